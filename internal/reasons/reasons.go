package reasons

import (
	"net/http"

	"github.com/licgate/licgate/license"
)

// Reasons of the refusals every API answers with, besides those of
// [license.Outcome].
const (
	BadRequest           = "bad_request"            // 400: the request is malformed
	MethodNotAllowed     = "method_not_allowed"     // 405, with Allow
	TooLarge             = "too_large"              // 413: the body is over the limit
	UnsupportedMediaType = "unsupported_media_type" // 415: the body is not of the media type asked for
	Internal             = "internal"               // 500: the detail went to the log only
)

// Kind is the status and title of the problems of a reason.
type Kind struct {
	Status int
	Title  string
}

// KindOf returns the kind of a reason and whether the table knows it: the
// one place where the statuses of reasons are decided. A reason it does
// not know, such as a refusal of the request's state that a later version
// adds, is 409 "Refused". [license.OutcomeOK] is no problem: it has no
// kind.
func KindOf(reason string) (k Kind, ok bool) {
	switch reason {
	case BadRequest:
		return Kind{http.StatusBadRequest, "Bad request"}, true
	case license.OutcomeInvalid:
		return Kind{http.StatusBadRequest, "Invalid argument"}, true
	case license.OutcomeToken:
		return Kind{http.StatusUnauthorized, "Invalid token"}, true
	case license.OutcomeUnauthenticated:
		return Kind{http.StatusUnauthorized, "Unauthenticated"}, true
	case license.OutcomeCodeInvalid:
		// Well formed, but it grants nothing: a refused credential.
		return Kind{http.StatusForbidden, "Invalid authorization code"}, true
	case license.OutcomePermission, license.OutcomeMismatch:
		return Kind{http.StatusForbidden, "Not permitted"}, true
	case license.OutcomeNotFound:
		return Kind{http.StatusNotFound, "Not found"}, true
	case MethodNotAllowed:
		return Kind{http.StatusMethodNotAllowed, "Method not allowed"}, true
	case license.OutcomeConflict:
		return Kind{http.StatusConflict, "Conflict"}, true
	case license.OutcomeNoSeats:
		return Kind{http.StatusConflict, "No seats left"}, true
	case license.OutcomeFloating:
		return Kind{http.StatusConflict, "Floating license"}, true
	case license.OutcomeWrongProduct:
		return Kind{http.StatusConflict, "Wrong product"}, true
	case license.OutcomeWrongVersion:
		return Kind{http.StatusConflict, "Wrong version"}, true
	case license.OutcomeNotActivated:
		return Kind{http.StatusConflict, "Not activated"}, true
	case license.ReasonLeaseExpired:
		return Kind{http.StatusConflict, "Lease expired"}, true
	case license.ReasonActivationReleased:
		return Kind{http.StatusConflict, "Activation released"}, true
	case license.ReasonActivationRevoked:
		return Kind{http.StatusConflict, "Activation revoked"}, true
	case license.ReasonLicenseRevoked:
		return Kind{http.StatusConflict, "License revoked"}, true
	case license.ReasonLicenseSuspended:
		return Kind{http.StatusConflict, "License suspended"}, true
	case license.ReasonLicenseExpired:
		return Kind{http.StatusConflict, "License expired"}, true
	case TooLarge:
		return Kind{http.StatusRequestEntityTooLarge, "Request body too large"}, true
	case UnsupportedMediaType:
		return Kind{http.StatusUnsupportedMediaType, "Unsupported media type"}, true
	case license.OutcomeRateLimited:
		return Kind{http.StatusTooManyRequests, "Too many requests"}, true
	case license.OutcomeReleaseLimited:
		return Kind{http.StatusTooManyRequests, "Too many releases"}, true
	case Internal, license.OutcomeError:
		return Kind{http.StatusInternalServerError, "Internal error"}, true
	case license.OutcomeDelivery:
		return Kind{http.StatusBadGateway, "Delivery failed"}, true
	case license.OutcomeNoChannel:
		return Kind{http.StatusServiceUnavailable, "No delivery channel"}, true
	case license.OutcomeCanceled:
		return Kind{http.StatusServiceUnavailable, "Canceled"}, true
	}
	return Kind{http.StatusConflict, "Refused"}, false
}

// Sentinel returns the license sentinel error a reason stands for, the
// error [license.Outcome] names by it, or nil for a reason that stands
// for none (ok, error, canceled, and the transport reasons). A problem
// of the reason matches it with [errors.Is].
func Sentinel(reason string) error {
	switch reason {
	case license.OutcomeNotFound:
		return license.ErrNotFound
	case license.OutcomeInvalid:
		return license.ErrInvalid
	case license.OutcomeConflict:
		return license.ErrConflict
	case license.OutcomeNoSeats:
		return license.ErrNoSeats
	case license.OutcomeWrongProduct:
		return license.ErrWrongProduct
	case license.OutcomeWrongVersion:
		return license.ErrWrongVersion
	case license.OutcomeCodeInvalid:
		return license.ErrCodeInvalid
	case license.OutcomeReleaseLimited:
		return license.ErrReleaseLimited
	case license.OutcomeRateLimited:
		return license.ErrRateLimited
	case license.OutcomeMismatch:
		return license.ErrComputerMismatch
	case license.OutcomeNotActivated:
		return license.ErrNotActivated
	case license.OutcomeDelivery:
		return license.ErrDelivery
	case license.OutcomeNoChannel:
		return license.ErrNoChannel
	case license.OutcomePermission:
		return license.ErrPermission
	case license.OutcomeToken:
		return license.ErrToken
	case license.OutcomeUnauthenticated:
		return license.ErrUnauthenticated
	case license.OutcomeFloating:
		return license.ErrFloating
	case license.ReasonLeaseExpired:
		return license.ErrLeaseExpired
	case license.ReasonActivationReleased:
		return license.ErrReleased
	case license.ReasonActivationRevoked:
		return license.ErrActivationRevoked
	case license.ReasonLicenseRevoked:
		return license.ErrLicenseRevoked
	case license.ReasonLicenseSuspended:
		return license.ErrSuspended
	case license.ReasonLicenseExpired:
		return license.ErrExpired
	}
	return nil
}
