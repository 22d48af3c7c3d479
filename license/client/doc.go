// Package client is what a licensed Go program needs to talk to a
// licgate server: activate and keep the activation token, hold a seat of a
// floating license while it runs, and activate a computer that has no
// network with files carried by hand. It speaks the JSON protocol of
// github.com/licgate/licgate/license/rest, and imports only the standard
// library and the license package.
//
// # Activation
//
// [Client.Activate] (with an activation key) or [Client.RequestCode] then
// [Client.ActivateByCode] (with a code sent to the customer) activates the
// computer and keeps the [Activation] in the state directory
// ([WithDir]); [Client.Token] reads the token back, in this run or the
// next, for a gate (github.com/licgate/licgate/middleware) to verify.
//
// # Floating licenses
//
// [Client.Lease] takes a seat for the running program; [Lease.Keep] holds
// it with heartbeats until its context ends, then gives it back:
//
//	lease, err := c.Lease(ctx, key, instanceID, "build agent 7")
//	…
//	go func() {
//		if err := lease.Keep(ctx); errors.Is(err, client.ErrLeaseLost) {
//			stopWork()
//		}
//	}()
//
// # Offline activation
//
// The computer without network writes a request file with
// [NewOfflineRequest]; a computer with network sends it with
// [Client.Offline] (or through the server's /offline page) and carries
// the license file back; [Client.LoadLicenseFile] checks it there, with
// no network, each time the program starts: the file carries the server's
// public keys, and the program carries their thumbprints
// ([WithPinnedKeys]), so that a file signed with anyone else's key fails.
//
// # The clock
//
// An offline license lasts until its token expires by the computer's
// clock, so setting the clock back would extend it. Every operation that
// reads the time ([Client.CheckClock] does only that) therefore compares
// it with the latest time the client has seen, kept in the state directory (or in memory without one), and with
// the issue time of a license file it loads; a clock more than the
// tolerance ([WithClockTolerance]) behind either fails with a
// [*ClockError], and otherwise the last time seen moves forward.
//
// This is a tripwire, not a lock: a program cannot stop a determined user
// who owns the computer. Deleting the state directory, or editing it,
// forgets the last time seen (though not the license file's issue time),
// and a clock set back before the first run goes unnoticed. What it does
// is make a rolled-back clock fail loudly instead of silently extending an
// offline license. Conversely, a clock that once ran far ahead trips the
// check when corrected, until it catches up or the clock file
// (clock.json in the state directory) is deleted.
//
// # Errors
//
// Refusals the server answers with are a [*ProblemError], which matches
// the license sentinel of its reason ([license.ErrNoSeats],
// [license.ErrNotFound], …). The client's own sentinels are
// [ErrNotActivated], [ErrLeaseLost], [ErrClockMovedBack], [ErrBadState],
// [ErrBadResponse] and [ErrBadOption].
package client
