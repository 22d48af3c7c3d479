package sqlstore

import (
	"strconv"
	"strings"
)

// Dialect is the SQL dialect of the database a [Store] runs on.
type Dialect int

// Dialects.
const (
	// SQLite is SQLite 3.37 or newer, through a driver such as
	// modernc.org/sqlite (driver name "sqlite") with the DSN of [SQLiteDSN].
	SQLite Dialect = iota + 1
	// Postgres is PostgreSQL 13 or newer, through a driver such as
	// github.com/jackc/pgx/v5/stdlib (driver name "pgx").
	Postgres
)

// String returns the dialect's name: "sqlite" or "postgres".
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// valid reports whether d is a known dialect.
func (d Dialect) valid() bool { return d == SQLite || d == Postgres }

// rebind rewrites the ? placeholders of q into the dialect's: $1, $2, … for
// PostgreSQL. The queries of this package hold no ? in literals.
func (d Dialect) rebind(q string) string {
	if d != Postgres {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// SQLiteDSN returns the modernc.org/sqlite data source name of the database
// file at path: write-ahead logging (readers never wait for the writer), a
// busy timeout of 5 seconds (a writer waits for another instead of failing
// with SQLITE_BUSY), foreign keys enforced, a checkpoint of the log every
// 8,000 pages (32 MiB) rather than SQLite's 1,000, and immediate
// transactions (_txlock=immediate), so that a transaction takes the write
// lock at BEGIN and never fails upgrading a read lock. [Store] relies on
// the last: open SQLite databases with this DSN or one with the same
// settings.
//
// The checkpoint interval matters as tables grow: an activation writes
// entries of indexes whose keys are random (the computer key), which land
// on pages all over the index, and a checkpoint copies every page changed
// since the last one into the database file. Checkpointing eight times less
// often copies a page that changed many times once, which kept activations
// at 20,000 seats held as fast as on an empty database in this package's
// benchmarks, where with 1,000 pages they lost 10 to 15 %.
func SQLiteDSN(path string) string {
	// A URI filename, so that query parameters cannot be taken for part of
	// the path; SQLite decodes %XX escapes in it.
	path = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(8000)&_txlock=immediate"
}
