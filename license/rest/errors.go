package rest

import "errors"

// Sentinel errors of the package, matched with [errors.Is].
var (
	// ErrBadOption means [NewHandler] was given a nil service, a nil
	// option or an option value out of range.
	ErrBadOption = errors.New("rest: bad option")
)
