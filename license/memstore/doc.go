// Package memstore is a [license.Store] in memory, for tests, examples and
// demos: [New] returns an empty [Store].
//
// A Store is safe for concurrent use: one mutex serializes writers, so seat
// counts and code attempts are exact. It copies every slice on the way in and
// on the way out, so neither the caller nor the store can change the other's
// records. Events, with the webhook deliveries of those that have Data, are
// recorded under the same lock as the change they describe, and undone with
// it. It indexes the live leases of each floating license, so that ending
// those that ran out looks at them alone, not at every activation the
// license ever had. Like the SQL stores it keeps times to the microsecond
// and returns them in UTC, and it passes the same conformance suite,
// [github.com/licgate/licgate/license/storetest].
//
// Its contents die with the process, and it is not shared between processes;
// use [github.com/licgate/licgate/license/sqlstore] for that.
package memstore
