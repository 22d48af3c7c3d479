package sqlstore

import (
	"context"
	"database/sql"
)

// MigrateTo brings the schema of db up to version v and no further, so that
// tests can fill a database as an older licgate left it.
func MigrateTo(ctx context.Context, db *sql.DB, d Dialect, v int) error {
	ms, err := loadMigrations(d)
	if err != nil {
		return err
	}
	return (&Store{db: db, dialect: d}).migrate(ctx, ms[:v], true)
}

// LeaseQueries returns the statements of s that find leases by their end,
// by name, with arguments to run them with, so that tests can check their
// plans.
func LeaseQueries(s *Store) map[string]struct {
	Query string
	Args  []any
} {
	type q = struct {
		Query string
		Args  []any
	}
	return map[string]q{
		"expireLeases":              {s.q.expireLeases, []any{"license", int64(1)}},
		"licensesWithExpiredLeases": {s.q.licensesWithExpiredLeases, []any{int64(1), 10}},
	}
}
