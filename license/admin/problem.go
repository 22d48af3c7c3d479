package admin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/licgate/licgate/internal/httpx"
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

// kinds maps every reason to its status and title: the one place where
// statuses are decided. A reason of [license.Outcome] that is not listed
// is a refusal of the request's state: 409.
var kinds = map[string]struct {
	status int
	title  string
}{
	ReasonBadRequest:                 {http.StatusBadRequest, "Bad request"},
	license.OutcomeInvalid:           {http.StatusBadRequest, "Invalid argument"},
	ReasonUnauthenticated:            {http.StatusUnauthorized, "Unauthenticated"},
	ReasonForbidden:                  {http.StatusForbidden, "Forbidden"},
	license.OutcomePermission:        {http.StatusForbidden, "Not permitted"},
	license.OutcomeNotFound:          {http.StatusNotFound, "Not found"},
	ReasonMethodNotAllowed:           {http.StatusMethodNotAllowed, "Method not allowed"},
	license.OutcomeConflict:          {http.StatusConflict, "Conflict"},
	ReasonIdempotencyKeyInUse:        {http.StatusConflict, "Idempotency key in use"},
	license.OutcomeNoSeats:           {http.StatusConflict, "No seats left"},
	license.ReasonActivationReleased: {http.StatusConflict, "Activation released"},
	license.ReasonActivationRevoked:  {http.StatusConflict, "Activation revoked"},
	license.ReasonLicenseRevoked:     {http.StatusConflict, "License revoked"},
	license.ReasonLicenseSuspended:   {http.StatusConflict, "License suspended"},
	license.ReasonLicenseExpired:     {http.StatusConflict, "License expired"},
	ReasonTooLarge:                   {http.StatusRequestEntityTooLarge, "Request body too large"},
	ReasonUnsupportedMediaType:       {http.StatusUnsupportedMediaType, "Unsupported media type"},
	ReasonIdempotencyKeyReused:       {http.StatusUnprocessableEntity, "Idempotency key reused"},
	ReasonRateLimited:                {http.StatusTooManyRequests, "Too many requests"},
	license.OutcomeReleaseLimited:    {http.StatusTooManyRequests, "Too many releases"},
	ReasonInternal:                   {http.StatusInternalServerError, "Internal error"},
	license.OutcomeDelivery:          {http.StatusBadGateway, "Delivery failed"},
	license.OutcomeNoChannel:         {http.StatusServiceUnavailable, "No delivery channel"},
	license.OutcomeCanceled:          {http.StatusServiceUnavailable, "Canceled"},
}

// newProblem returns the problem of a reason, with a detail for the
// client.
func newProblem(reason, detail string) *Problem {
	k, ok := kinds[reason]
	if !ok {
		k.status, k.title = http.StatusConflict, "Refused"
	}
	return &Problem{Type: httpx.ProblemType(reason), Title: k.title, Status: k.status, Detail: detail, Reason: reason}
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

// sentinels are the license errors a problem's reason stands for.
var sentinels = map[string]error{
	license.OutcomeNotFound:          license.ErrNotFound,
	license.OutcomeInvalid:           license.ErrInvalid,
	license.OutcomeConflict:          license.ErrConflict,
	license.OutcomeNoSeats:           license.ErrNoSeats,
	license.OutcomePermission:        license.ErrPermission,
	license.ReasonActivationReleased: license.ErrReleased,
	license.ReasonActivationRevoked:  license.ErrActivationRevoked,
	license.ReasonLicenseRevoked:     license.ErrLicenseRevoked,
	license.ReasonLicenseSuspended:   license.ErrSuspended,
	license.ReasonLicenseExpired:     license.ErrExpired,
	license.OutcomeReleaseLimited:    license.ErrReleaseLimited,
	ReasonRateLimited:                license.ErrRateLimited,
	ReasonUnauthenticated:            license.ErrUnauthenticated,
	ReasonForbidden:                  license.ErrPermission,
}

// Is reports whether the problem stands for target, a license sentinel:
// not_found matches [license.ErrNotFound], invalid [license.ErrInvalid],
// conflict [license.ErrConflict], unauthenticated
// [license.ErrUnauthenticated], forbidden [license.ErrPermission],
// rate_limited [license.ErrRateLimited], license_revoked
// [license.ErrLicenseRevoked] (and so [license.ErrRevoked]), and so on for
// every refusal of the license package.
func (p *Problem) Is(target error) bool {
	s, ok := sentinels[p.Reason]
	return ok && errors.Is(s, target)
}
