package status

import "errors"

// Sentinel errors of the status client and handler, matched with
// [errors.Is]. An activation the server does not know is reported as
// [github.com/licgate/licgate/license.ErrNotFound].
var (
	// ErrUnauthorized means the status endpoint refused the activation
	// token (401): expired, forged, or from another issuer.
	ErrUnauthorized = errors.New("status: activation token refused")

	// ErrUnavailable means the status endpoint could not be reached or
	// answered with an unexpected status.
	ErrUnavailable = errors.New("status: endpoint unavailable")

	// ErrBadResponse means the status endpoint answered 200 with a body
	// that is not the JSON state of the activation asked about.
	ErrBadResponse = errors.New("status: bad response")

	// ErrBadOption means an option or argument was nil or out of range.
	ErrBadOption = errors.New("status: bad option")
)
