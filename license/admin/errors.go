package admin

import "errors"

// Sentinel errors of this package, matched with [errors.Is]. A problem the
// server answered is a [*Problem], which also matches the license
// sentinel of its reason (see [Problem.Is]).
var (
	// ErrBadOption means an option or argument of [New] or [NewClient] was
	// nil or out of range.
	ErrBadOption = errors.New("admin: bad option")

	// ErrBadResponse means the server answered with a status the client
	// did not expect and no problem document, or with a body that is not
	// the JSON the operation promises.
	ErrBadResponse = errors.New("admin: bad response")
)
