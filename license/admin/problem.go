package admin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/licgate/licgate/internal/httpx"
	"github.com/licgate/licgate/internal/reasons"
	"github.com/licgate/licgate/license"
)

// Reasons of the API's own problems, besides those of [license.Outcome].
const (
	ReasonBadRequest           = "bad_request"            // 400: malformed JSON, unknown member, bad query value or cursor
	ReasonUnauthenticated      = "unauthenticated"        // 401: no token, or a wrong one
	ReasonForbidden            = "forbidden"              // 403: a read token asked for a change
	ReasonMethodNotAllowed     = "method_not_allowed"     // 405, with Allow
	ReasonTooLarge             = "too_large"              // 413: the body is over the limit
	ReasonUnsupportedMediaType = "unsupported_media_type" // 415: a body that is not application/json
	ReasonIdempotencyKeyInUse  = "idempotency_key_in_use" // 409: a request with the key is running
	ReasonIdempotencyKeyReused = "idempotency_key_reused" // 422: the key was used for another request
	ReasonRateLimited          = license.OutcomeRateLimited
	ReasonInternal             = "internal" // 500: details go to the log only
)

// kind returns the status and title of a reason: the API's own reasons
// here, the rest from the table every API shares ([reasons.KindOf]),
// where a reason it does not know is a refusal of the request's state:
// 409.
func kind(reason string) reasons.Kind {
	switch reason {
	case ReasonForbidden:
		return reasons.Kind{Status: http.StatusForbidden, Title: "Forbidden"}
	case ReasonIdempotencyKeyInUse:
		return reasons.Kind{Status: http.StatusConflict, Title: "Idempotency key in use"}
	case ReasonIdempotencyKeyReused:
		return reasons.Kind{Status: http.StatusUnprocessableEntity, Title: "Idempotency key reused"}
	}
	k, _ := reasons.KindOf(reason)
	return k
}

// newProblem returns the problem of a reason, with a detail for the
// client.
func newProblem(reason, detail string) *Problem {
	k := kind(reason)
	return &Problem{Type: httpx.ProblemType(reason), Title: k.Title, Status: k.Status, Detail: detail, Reason: reason}
}

// problemOf maps an error to the problem the client is shown: a *Problem
// as it is, an [*httpx.Refusal] of the body by its reason and detail, a
// service error by [license.Outcome] with [license.Explain] as its detail.
// internal is set for an error the client must not see the text of, which
// the caller logs.
func problemOf(err error) (p *Problem, internal bool) {
	var rf *httpx.Refusal
	switch {
	case errors.As(err, &p):
		return p, false
	case errors.As(err, &rf):
		return newProblem(rf.Reason, rf.Detail), false
	}
	reason := license.Outcome(err)
	if reason == license.OutcomeError {
		return newProblem(ReasonInternal, license.Explain(err)), true
	}
	return newProblem(reason, license.Explain(err)), false
}

// badRequest returns a bad_request problem whose detail is the sentence
// given, formatted.
func badRequest(format string, args ...any) *Problem {
	return newProblem(ReasonBadRequest, fmt.Sprintf(format, args...))
}

// Error returns the problem as a line for logs and command lines.
func (p *Problem) Error() string {
	if p.Detail == "" {
		return fmt.Sprintf("admin: %d %s", p.Status, p.Reason)
	}
	return fmt.Sprintf("admin: %d %s: %s", p.Status, p.Reason, p.Detail)
}

// Is reports whether the problem stands for target, a license sentinel:
// not_found matches [license.ErrNotFound], invalid [license.ErrInvalid],
// conflict [license.ErrConflict], unauthenticated
// [license.ErrUnauthenticated], forbidden [license.ErrPermission],
// rate_limited [license.ErrRateLimited], license_revoked
// [license.ErrLicenseRevoked] (and so [license.ErrRevoked]), and so on for
// every refusal of the license package.
func (p *Problem) Is(target error) bool {
	s := reasons.Sentinel(p.Reason)
	if p.Reason == ReasonForbidden {
		s = license.ErrPermission
	}
	return s != nil && errors.Is(s, target)
}
