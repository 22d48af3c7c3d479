package client

import (
	"errors"
	"fmt"
	"time"

	"github.com/licgate/licgate/internal/reasons"
	"github.com/licgate/licgate/license"
)

// Sentinel errors of the client, matched with [errors.Is]. A refusal the
// server answered with is a [*ProblemError], which also matches the
// license sentinel of its reason.
var (
	// ErrNotActivated means the client holds no activation token: no
	// activation was made with this state directory (or, without one, by
	// this Client).
	ErrNotActivated = errors.New("client: not activated")

	// ErrLeaseLost means a lease of a floating license can no longer be
	// kept: the server ended it (it expired, or was released or revoked),
	// it refused the lease's token, or the lease's end passed without a
	// successful heartbeat. The wrapped error, often a [*ProblemError],
	// says which. The program should stop the work the lease allowed.
	ErrLeaseLost = errors.New("client: lease lost")

	// ErrClockMovedBack means the computer's clock reads more than the
	// tolerance ([WithClockTolerance]) before a time the client already
	// saw. The error is a [*ClockError].
	ErrClockMovedBack = errors.New("client: clock moved back")

	// ErrBadState means a state file in the directory of [WithDir] is not
	// one the client wrote: it is corrupt or was edited. Deleting it loses
	// what it held (the activation token, or the last time seen).
	ErrBadState = errors.New("client: corrupt state file")

	// ErrBadResponse means the server answered with a success status but
	// a body that is not what the operation promises.
	ErrBadResponse = errors.New("client: bad response")

	// ErrBadOption means an option or argument was nil, empty or out of
	// range, or an operation needs a server URL the client was made
	// without.
	ErrBadOption = errors.New("client: bad option")
)

// ProblemError is a refusal or failure the server answered with: an
// RFC 9457 problem document, or, when the answer carried none (a proxy's
// error page, say), just its status. It matches the license sentinel of
// its reason: no_seats [license.ErrNoSeats], not_found
// [license.ErrNotFound], lease_expired [license.ErrLeaseExpired],
// activation_revoked [license.ErrActivationRevoked], and so on.
type ProblemError struct {
	// Status is the HTTP status code.
	Status int
	// Reason is the stable reason of the problem (no_seats, not_found,
	// lease_expired, activation_released, activation_revoked, floating,
	// rate_limited, …); empty when the answer had no problem document.
	Reason string
	// Title is a short summary for people.
	Title string
	// Detail says what went wrong, for the person who made the request.
	Detail string
	// RetryAfter is how long the server asked the client to wait before
	// trying again (Retry-After), or 0.
	RetryAfter time.Duration
}

// Error returns the problem as one line for logs.
func (p *ProblemError) Error() string {
	s := fmt.Sprintf("client: server answered %d", p.Status)
	if p.Reason != "" {
		s += " " + p.Reason
	}
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// Is reports whether the problem stands for target, a license sentinel,
// by its reason: see [ProblemError]. A 429 without a reason matches
// [license.ErrRateLimited].
func (p *ProblemError) Is(target error) bool {
	if s := reasons.Sentinel(p.Reason); s != nil {
		return errors.Is(s, target)
	}
	return p.Reason == "" && p.Status == 429 && target == license.ErrRateLimited
}

// ClockError reports a clock that reads before a time the client already
// saw, by more than the tolerance. It matches [ErrClockMovedBack].
type ClockError struct {
	// Now is what the clock read.
	Now time.Time
	// LastSeen is the latest time the client saw before: kept in its
	// state, or the time a license file was issued.
	LastSeen time.Time
}

// Error says how far the clock is behind.
func (e *ClockError) Error() string {
	return fmt.Sprintf("client: clock moved back: it reads %s, %v before %s, a time already seen",
		e.Now.UTC().Format(time.RFC3339), e.LastSeen.Sub(e.Now).Round(time.Second), e.LastSeen.UTC().Format(time.RFC3339))
}

// Unwrap returns [ErrClockMovedBack].
func (e *ClockError) Unwrap() error { return ErrClockMovedBack }
