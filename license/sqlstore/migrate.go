package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// migrations holds the schema of each dialect, one file per version, named
// NNNN_description.sql.
//
//go:embed migrations
var migrations embed.FS

// migrationLock is the key of the PostgreSQL advisory lock that serializes
// migrations across replicas starting together ("licgate" in ASCII).
const migrationLock int64 = 0x6c696367617465

// migration is one schema version.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the migrations of a dialect in version order.
func loadMigrations(d Dialect) ([]migration, error) {
	dir := path.Join("migrations", d.String())
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v < 1 || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("sqlstore: bad migration file name %s", e.Name())
		}
		b, err := fs.ReadFile(migrations, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlstore: migration %s out of sequence", m.name)
		}
	}
	return ms, nil
}

// migrate brings the schema up to date with ms in one transaction, or
// fails with ErrNoSchema if the database holds none and create is false. On
// PostgreSQL it first takes an advisory lock, so that replicas starting
// together migrate one after the other; on SQLite the immediate
// transaction's write lock does the same.
func (s *Store) migrate(ctx context.Context, ms []migration, create bool) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := s.migrateTx(ctx, tx, ms, create); err != nil {
		_ = tx.Rollback() // the error that matters is the migration's
		return err
	}
	return tx.Commit()
}

func (s *Store) migrateTx(ctx context.Context, tx *sql.Tx, ms []migration, create bool) error {
	if s.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
	}
	if !create {
		q := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
		if s.dialect == Postgres {
			q = "SELECT count(*) FROM (SELECT to_regclass('schema_migrations') AS t) AS r WHERE t IS NOT NULL"
		}
		var n int
		if err := tx.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNoSchema
		}
	}
	if _, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)"); err != nil {
		return err
	}
	var current int
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return err
	}
	if current == 0 && !create {
		return ErrNoSchema
	}
	if current > len(ms) {
		return fmt.Errorf("%w: version %d, this program knows up to %d", ErrSchemaVersion, current, len(ms))
	}
	for _, m := range ms[current:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, s.dialect.rebind("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)"), m.version, time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
	}
	return nil
}
