package admin

import (
	"context"
	"errors"
	"net/http"

	"github.com/licgate/licgate/internal/httpx"
	"github.com/licgate/licgate/license"
)

// maxToken bounds the bearer token read; admin tokens are 64 characters.
const maxToken = 1 << 10

// authenticate returns the admin token of the request. A request without
// a bearer token is refused at once, without touching the failure
// budget; a token is checked by the service under the client address's
// failure budget, so that a wrong one is recorded as a failed login and
// guessing is throttled.
func (h *Handler) authenticate(ctx context.Context, r *http.Request, addr string) (license.AdminToken, error) {
	tok, ok := bearer(r.Header.Values("Authorization"))
	if !ok {
		return license.AdminToken{}, newProblem(ReasonUnauthenticated, "An admin token is required: Authorization: Bearer <token>.")
	}
	t, err := h.svc.AuthenticateAdmin(ctx, tok, addr)
	switch {
	case errors.Is(err, license.ErrRateLimited):
		return license.AdminToken{}, newProblem(ReasonRateLimited, "Too many wrong tokens came from this address. Please try again later.")
	case errors.Is(err, license.ErrUnauthenticated):
		return license.AdminToken{}, newProblem(ReasonUnauthenticated, "The admin token is not valid.")
	}
	return t, err
}

// bearer returns the token of the one Authorization header, if it is a
// Bearer one (RFC 6750 §2.1) of at most maxToken bytes, its scheme ended
// by a space.
func bearer(vals []string) (string, bool) { return httpx.Bearer(vals, maxToken, httpx.SP) }
