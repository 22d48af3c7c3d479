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
