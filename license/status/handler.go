package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/licgate/licgate/internal/httpx"
	"github.com/licgate/licgate/license"
)

// Path is where licgate serves the status endpoint. A [Handler] answers on
// any path it is mounted at; [Client] is given the full URL.
const Path = "/v1/activation/status"

// maxToken caps the bearer token the handler reads.
const maxToken = 8 << 10

// Service is what the handler needs of [*license.Service]: the state of
// activations, and the keys, issuer and clock to verify tokens with.
type Service interface {
	ActivationState(ctx context.Context, aid string) (license.State, error)
	KeySet() *license.KeySet
	Issuer() string
	Now() time.Time
}

var _ Service = (*license.Service)(nil)

// Handler serves the status endpoint: a GET with an activation token in
// "Authorization: Bearer" answers 200 with the activation's
// [license.State] as JSON, and the verdict of [license.State.Err] on it now:
// allowed, and if not, the reason ([license.Reason]):
//
//	{"aid":"…","licenseId":"…","productId":"demo","activationStatus":"active","licenseStatus":"suspended",
//	 "status":"suspended","expiresAt":"2031-01-01T00:00:00Z","features":["reports"],
//	 "allowed":false,"reason":"license_suspended"}
//
// The token proves that the caller holds the activation; it must verify
// against the service's keys and issuer, for any product. A missing,
// invalid or expired token is 401, an activation the store no longer has
// 404, a store failure 503, all as RFC 9457 problem documents whose title
// is a sentence written for the client; internal detail goes only to the
// logger. Answers are never cached. A Handler is safe for concurrent use.
type Handler struct {
	svc      Service
	verifier *license.Verifier
	logger   *slog.Logger
}

// Option configures a [Handler].
type Option func(*Handler) error

// WithLogger sets where the handler reports store failures. Default: nil,
// silent.
func WithLogger(l *slog.Logger) Option {
	return func(h *Handler) error {
		if l != nil {
			h.logger = l
		}
		return nil
	}
}

// NewHandler returns the status endpoint of svc.
func NewHandler(svc Service, opts ...Option) (*Handler, error) {
	if svc == nil || svc.KeySet() == nil {
		return nil, fmt.Errorf("%w: nil service or key set", ErrBadOption)
	}
	v, err := license.NewVerifier(license.VerifierConfig{
		Keyfunc: svc.KeySet().Keyfunc, Issuer: svc.Issuer(), Now: svc.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadOption, err)
	}
	h := &Handler{svc: svc, verifier: v, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrBadOption)
		}
		if err := o(h); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// ServeHTTP answers the state of the activation whose token the request
// carries.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeProblem(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "Use GET or HEAD.", "")
		return
	}
	tok, ok := httpx.Bearer(r.Header.Values("Authorization"), maxToken, httpx.SPTab)
	if !ok {
		writeProblem(w, r, http.StatusUnauthorized, "token_missing", "An activation token is required.", `Bearer`)
		return
	}
	c, err := h.verifier.Verify(tok)
	if err != nil {
		h.logger.DebugContext(r.Context(), "status: token refused", "err", err)
		writeProblem(w, r, http.StatusUnauthorized, "token_invalid", "The activation token is not valid.",
			`Bearer error="invalid_token"`)
		return
	}
	st, err := h.svc.ActivationState(r.Context(), c.Subject)
	switch {
	case errors.Is(err, license.ErrNotFound):
		writeProblem(w, r, http.StatusNotFound, "activation_unknown", "The activation does not exist.", "")
		return
	case err != nil:
		h.logger.ErrorContext(r.Context(), "status: activation state", "aid", c.Subject, "err", err)
		writeProblem(w, r, http.StatusServiceUnavailable, "state_unavailable", "The activation state cannot be read now.", "")
		return
	}
	// The verdict is the service's and the gate's one decision, State.Err,
	// given for clients that do not decide for themselves.
	verdict := st.Err(h.svc.Now())
	body, err := json.Marshal(answer{State: st, Allowed: verdict == nil, Reason: license.Reason(verdict)})
	if err != nil {
		h.logger.ErrorContext(r.Context(), "status: encode state", "aid", c.Subject, "err", err)
		writeProblem(w, r, http.StatusInternalServerError, "internal_error", "An internal error occurred.", "")
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Write(append(body, '\n'))
}

// answer is the body of a 200: the state, and whether it lets requests
// through now and if not why.
type answer struct {
	license.State
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason,omitempty"`
}

// writeProblem writes an RFC 9457 problem document without a detail.
// title is a sentence for the client, never an error's text. Unlike
// [httpx.WriteBody] it sets no Content-Length, as the endpoint never has.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, reason, title, challenge string) {
	hd := w.Header()
	if challenge != "" {
		hd.Set("WWW-Authenticate", challenge)
	}
	hd.Set("Content-Type", "application/problem+json")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(httpx.NewProblem(status, reason, title, "").JSON())
	}
}
