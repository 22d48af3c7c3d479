package rest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/licgate/licgate/internal/httpx"
	"github.com/licgate/licgate/internal/reasons"
	"github.com/licgate/licgate/license"
)

// Reasons of the handler's own problems. Every other reason is
// [license.Outcome] of the service's error.
const (
	// ReasonBadRequest (400): the body is not one JSON object of the
	// request's members, or its members do not go together.
	ReasonBadRequest = "bad_request"
	// ReasonTokenInvalid (401): the bearer token of a lease is missing,
	// forged, expired or not the lease's.
	ReasonTokenInvalid = license.OutcomeToken
	// ReasonCrossOrigin (403): a browser posted the /offline form from
	// another site.
	ReasonCrossOrigin = "cross_origin"
	// ReasonMethodNotAllowed (405, with Allow).
	ReasonMethodNotAllowed = "method_not_allowed"
	// ReasonTooLarge (413): the body is over the limit.
	ReasonTooLarge = "too_large"
	// ReasonUnsupportedMediaType (415): the body is not application/json
	// (multipart/form-data for the /offline form).
	ReasonUnsupportedMediaType = "unsupported_media_type"
	// ReasonInternal (500): the detail went to the log only.
	ReasonInternal = "internal"
)

// retryAfter is the Retry-After of a 429, in seconds: the budgets of code
// requests and of failed codes refill one at a time over minutes.
const retryAfter = 60

// kind returns the status and title of a reason: the handler's own
// reasons here, the rest from the table every API shares
// ([reasons.KindOf]), where a reason it does not know, a refusal of the
// request's state that a later version adds, is 409.
func kind(reason string) (status int, title string) {
	if reason == ReasonCrossOrigin {
		return http.StatusForbidden, "Cross-origin request refused"
	}
	k, _ := reasons.KindOf(reason)
	return k.Status, k.Title
}

// problem is an RFC 9457 problem document with licgate's reason member.
// As an error it is one of the handler's own refusals, whose detail is
// written for the client.
type problem struct {
	httpx.Problem
	// challenge is the WWW-Authenticate of a 401.
	challenge string
}

func (p *problem) Error() string { return fmt.Sprintf("rest: %d %s: %s", p.Status, p.Reason, p.Detail) }

// newProblem returns the problem of a reason with a detail for the client.
func newProblem(reason, detail string) *problem {
	status, title := kind(reason)
	return &problem{Problem: httpx.NewProblem(status, reason, title, detail)}
}

// badRequest returns a bad_request problem whose detail is the sentence
// given, formatted.
func badRequest(format string, args ...any) *problem {
	return newProblem(ReasonBadRequest, fmt.Sprintf(format, args...))
}

// problemOf maps an error to the problem the client is shown: a *problem
// as it is, an [*httpx.Refusal] of the body by its reason and detail, a
// service error by [license.Outcome] with [license.Explain] as its detail. internal is set for an error whose text the client must
// not see, which the caller logs.
func problemOf(err error) (p *problem, internal bool) {
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

// report logs an error a request ended with: an internal one as an error,
// a refusal at debug level. Only the path and the reason go with it; the
// error's text names no credential (the service never puts one in it).
func (h *Handler) report(ctx context.Context, r *http.Request, p *problem, internal bool, err error) {
	if internal {
		h.cfg.logger.ErrorContext(ctx, "rest: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		return
	}
	h.cfg.logger.DebugContext(ctx, "rest: refused", "method", r.Method, "path", r.URL.Path, "reason", p.Reason)
}

// writeError answers err as a problem document.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p, internal := problemOf(err)
	h.report(r.Context(), r, p, internal, err)
	writeProblem(w, r, p)
}

// writeProblem writes p with the headers its reason calls for.
func writeProblem(w http.ResponseWriter, r *http.Request, p *problem) {
	hd := w.Header()
	switch p.Reason {
	case ReasonTokenInvalid, license.OutcomeUnauthenticated:
		c := p.challenge
		if c == "" {
			c = `Bearer error="invalid_token"`
		}
		hd.Set("WWW-Authenticate", c)
	case license.OutcomeRateLimited, license.OutcomeReleaseLimited:
		hd.Set("Retry-After", strconv.Itoa(retryAfter))
	}
	hd.Set("Content-Type", "application/problem+json")
	httpx.WriteBody(w, r, p.Status, p.JSON())
}
