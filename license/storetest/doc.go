// Package storetest is the conformance suite of [license.Store]: every Store
// implementation must pass [Run].
//
// An implementation's test calls [Run] with a function that opens a new,
// empty store; the suite covers every method's happy path and every sentinel
// error documented on [license.Store] and [license.LicenseTx], copies (a
// store must not alias the slices it is given or returns), time precision,
// and races that a store without proper locking fails: fifty computers
// racing for three seats, twenty requests activating one computer, twenty
// concurrent attempts at an authorization code that allows five, concurrent
// read-modify-write updates of one license, activations racing releases and
// revocations (after which the seats held must equal the active
// activations), thirty requests drawing on a rate-limit bucket of seven,
// eight webhook dispatchers claiming forty deliveries by batches of three
// (each must be handed out once), twenty retries beginning one idempotent
// request, then taking it over once its lock ended (one must win each
// time), and fifty instances taking leases of a floating license of five
// seats while a moving clock makes leases run out (every call must decide
// as it would had the calls run one after the other, and no more than five
// leases may ever be live at once). The races take seats as
// [license.Service] does: inside [license.Store.WithLicense], they compare
// the license's SeatsHeld with its Seats before they Insert (after ending
// the leases that ran out, for a lease). [RunShared] runs the races across
// several stores that share one database, as replicas or separate
// processes do, and [Bench] measures the hot paths.
//
// # Contract beyond the interface docs
//
// The suite also pins down what [license.Store] leaves implicit:
//
//   - Times come back in UTC, truncated to the microsecond; a zero time
//     stays zero.
//   - "Oldest first" orders by creation (or activation) time, then by ID;
//     product IDs order by their bytes, whatever the database's collation.
//   - An empty list may be nil.
//   - [license.LicenseTx.License] reflects Insert, End and Update at once,
//     and returns a copy: changing it changes nothing until Update.
//   - A failed Insert (ErrConflict) or End changes nothing and leaves the
//     transaction usable: what fn does next commits.
//   - Insert of an activation that is not active takes no seat.
//   - End sets ReleasedAt for both released and revoked, refuses an
//     activation of another license with ErrNotFound, a revoked one with
//     [license.ErrActivationRevoked] (which matches [license.ErrRevoked]),
//     and any other target status with an error matching
//     [license.ErrInvalid].
//   - [license.Store.WithLicense] returns fn's error as is, and ErrNotFound
//     without calling fn for a license that does not exist.
//   - A lease runs out at LeaseUntil: ExpireLeases(now) and
//     LicensesWithExpiredLeases(now) take a lease ending at now as run
//     out. ExpireLeases leaves activations that are not leases, and leases
//     already released or revoked, as they are; it sees leases inserted in
//     its own transaction, and what it did is undone with the transaction.
//     End keeps a lease's LeaseUntil.
//   - Extend refuses an activation that is not a lease (ErrInvalid)
//     whatever its status, and the zero time (ErrInvalid); it moves
//     LeaseUntil later or earlier, to the microsecond, and takes no seat.
//   - LicensesWithExpiredLeases returns its licenses in no particular
//     order.
//   - Update keeps Floating as created, like the ID, and the license
//     number.
//   - [license.Store.TouchSession] returns the session with its new expiry.
//   - A bucket refills continuously, to the microsecond; a take at a time
//     before the bucket's last change refills nothing (clocks of replicas
//     may differ). ReturnToken needs no refill to be exact: a bucket can
//     never hold more than its burst.
//   - JSON (an event's Change and Data, a kept answer's Header) may come
//     back reformatted: it compares as the value it encodes. A kept Body
//     comes back byte for byte.
//   - A time given to a query (Since, a cursor, now) counts to the
//     microsecond, as stored times do: Since with nanoseconds keeps the
//     events of its microsecond.
//   - Paging: a page holds exactly Limit items unless the list ends; the
//     cursor of an item is its (time, ID) and the next page starts
//     strictly after it, ties included.
//   - A claim ends at now+lease exactly: a delivery claimed at now may be
//     claimed again at now+lease, and FinishDelivery ends it at once.
//     Deliveries of one time come in no particular order.
//   - A lock of a kept request ends at LockedUntil: BeginIdempotent takes
//     it over at now == LockedUntil. AbandonIdempotent leaves a done
//     request alone, and DeleteIdempotentBefore removes done requests and
//     those in progress alike.
//   - A failed CreateProduct, UpdateProduct, CreateLicense,
//     CreateAdminToken, DeleteAdminToken, CreateWebhook or DeleteWebhook
//     stores none of its events, and one whose event ID is taken stores
//     nothing else.
//
// fn of WithLicense runs inside the store's transaction or lock and must
// not call the store; the suite calls only t.Errorf inside it, never
// t.Fatal, since fn may run on another goroutine than the caller's.
package storetest
