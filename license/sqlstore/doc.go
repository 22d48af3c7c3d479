// Package sqlstore is a [license.Store] on database/sql, for SQLite (the
// embedded default) and PostgreSQL (several replicas on one database).
//
// [Open] takes a *sql.DB and its [Dialect], brings the schema up to date
// with the migrations embedded in the package, and returns a [Store]. The
// package imports no driver: the application picks one, such as
// modernc.org/sqlite (driver name "sqlite", pure Go) or
// github.com/jackc/pgx/v5/stdlib (driver name "pgx").
//
//	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN("licgate.db"))
//	…
//	s, err := sqlstore.Open(ctx, db, sqlstore.SQLite)
//	…
//	defer s.Close()
//
// A program that must find an existing database, such as an admin command
// line, passes [WithoutCreate]: an empty database yields [ErrNoSchema]
// instead of a new schema.
//
// # Concurrency
//
// The store holds no rules; [Store.WithLicense] runs the service's over one
// locked license. On PostgreSQL it is a transaction that locks the
// license's row (SELECT … FOR UPDATE), so replicas cannot oversell a
// license. On SQLite every write of a Store, WithLicense or not, goes
// through one writer: writes that arrive together share one immediate
// transaction, each in a savepoint of its own that its failure rolls back
// alone, and one commit (group commit); each returns once that commit is
// done. No connection of the process waits in SQLite's busy handler, whose
// sleeps would otherwise dominate; another process writing the same file
// (the admin command line beside the server) is waited for within the busy
// timeout. A write whose context is done before it starts is skipped; once
// it ran, it waits for the commit.
//
// The seats a license holds are a counter in its row, changed in the
// transaction that inserts or ends an activation, so taking a seat costs
// the same however full the license is; unique indexes on the active
// activation of each license and computer and on AIDs and computer keys
// back the rules. The leases of floating licenses are activations with an
// end (lease_until); partial indexes hold only the active ones, by license
// and end and by end alone, so that the transaction that takes a lease ends
// those that ran out with one UPDATE … RETURNING whose cost follows the
// leases held, not the ended leases the license piled up. Rate-limit
// buckets are rows that one statement takes a token from, atomically
// across every store sharing the database.
// Migrations run in one transaction, under an advisory lock on PostgreSQL,
// so replicas can start together.
//
// The audit trail is a table that is only ever inserted into. An event
// with webhook data also puts a pending delivery for every webhook in the
// outbox, with one INSERT … SELECT in the transaction of the change, so a
// change and its webhook events commit together. Dispatchers claim due
// deliveries for a lease: on PostgreSQL with SELECT … FOR UPDATE SKIP
// LOCKED, so that replicas never claim one twice, on SQLite through the
// writer. A request with an Idempotency-Key is started by one upsert,
// atomically across every store sharing the database.
//
// Schema version 3 gives each license an EMS product key of its own.
// Licenses created before it keep their product key, which was their ID,
// and get a new random ID, moved to their activations, codes and product-key
// sessions; activation tokens issued before carry the old ID in their
// license claim, and anything outside the database that names a license by
// its ID must be updated.
//
// # SQLite
//
// Open SQLite databases with the DSN of [SQLiteDSN]: write-ahead logging, a
// 5 s busy timeout, foreign keys on, and immediate write transactions.
// [Open] refuses connections without a busy timeout or foreign keys
// ([ErrSQLiteSettings]); it cannot see whether transactions are immediate,
// and without that writers of separate processes fail with SQLITE_BUSY.
//
// Open sets nothing on the *sql.DB. The writer uses one connection at a
// time, and reads the others (with one, reads wait for each batch); a small
// pool that keeps its connections, and their prepared statements, suits it:
//
//	db.SetMaxOpenConns(4)
//	db.SetMaxIdleConns(4)
//
// Commits are durable (synchronous=FULL, SQLite's default). Adding
// "&_pragma=synchronous(NORMAL)" to the DSN makes writes faster, at the risk
// of losing, never corrupting, the last transactions on a power failure.
//
// # PostgreSQL
//
// PostgreSQL 13 or newer. Keep as many idle connections as open ones
// (db.SetMaxIdleConns), so that no request waits for a new session.
//
// # Storage
//
// Times are stored as unix microseconds: stores keep microsecond precision,
// and times come back in UTC. Zero times (a license that never expires, an
// activation not released) are NULL. Features, properties and attributes
// are JSON text; sessions are stored by the hash of their ID only. Every
// statement is parameterized and prepared.
package sqlstore
