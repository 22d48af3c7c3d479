// Package storetest is the conformance suite of [license.Store]: every Store
// implementation must pass [Run].
//
// An implementation's test calls [Run] with a function that opens a new,
// empty store; the suite covers every method's happy path and every sentinel
// error documented on [license.Store], copies (a store must not alias the
// slices it is given or returns), time precision, and races that a store
// without proper locking fails: fifty computers racing for three seats,
// twenty requests activating one computer, twenty concurrent attempts at an
// authorization code that allows five, and concurrent read-modify-write
// updates of one license. [RunShared] runs the races across several stores
// that share one database, as replicas or separate processes do, and [Bench]
// measures the hot paths.
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
//   - [license.Store.UpdateLicense] keeps the ID, key and product even if fn
//     changes them, and returns fn's error as is.
//   - [license.Store.Activate] calls Check before anything else, even when
//     the computer already holds an activation; it consumes the code on the
//     existing-activation path too; an activation whose AID or computer key is
//     taken yields [license.ErrConflict].
//   - [license.Store.SetActivationStatus] sets ReleasedAt for both released
//     and revoked, and rejects any other target status with an error
//     wrapping [license.ErrInvalid].
//   - [license.Store.TouchSession] returns the session with its new expiry.
//
// Check and the fn of UpdateLicense run inside the store's transaction or
// lock and must not call the store.
package storetest
