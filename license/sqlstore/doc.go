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
// # Concurrency
//
// Activate is one write transaction: on PostgreSQL it locks the license row
// (SELECT … FOR UPDATE) while it counts seats, so replicas cannot oversell a
// license; on SQLite the transaction is immediate and holds the database's
// write lock from BEGIN, which serializes writers across connections and
// processes. A unique index on the active activation of each license and
// computer backs both. SpendCodeAttempt is a single conditional UPDATE.
// Migrations run in one transaction, under an advisory lock on PostgreSQL,
// so replicas can start together.
//
// # SQLite
//
// Open SQLite databases with the DSN of [SQLiteDSN]: write-ahead logging, a
// 5 s busy timeout, foreign keys on, and immediate write transactions.
// [Open] refuses connections without a busy timeout or foreign keys
// ([ErrSQLiteSettings]); it cannot see whether transactions are immediate,
// and without that concurrent writers fail with SQLITE_BUSY.
//
// Open sets nothing on the *sql.DB. SQLite lets one writer in at a time and
// parks the others in its busy handler, which sleeps in steps of up to
// 100 ms, so a large pool only adds waiting; a small one that keeps its
// connections (and their prepared statements) suits it:
//
//	db.SetMaxOpenConns(4)
//	db.SetMaxIdleConns(4)
//
// Commits are durable (synchronous=FULL, SQLite's default). Adding
// "&_pragma=synchronous(NORMAL)" to the DSN makes writes about three times as
// fast in this package's benchmarks, at the risk of losing, never
// corrupting, the last transactions on a power failure.
//
// # Storage
//
// Times are stored as unix microseconds: stores keep microsecond precision,
// and times come back in UTC. Zero times (a license that never expires, an
// activation not released) are NULL. Features, properties and attributes
// are JSON text; sessions are stored by the hash of their ID only. Every
// statement is parameterized.
package sqlstore
