package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/sqlstore"
	"github.com/licgate/licgate/license/storetest"
)

// postgresEnv names the environment variable that holds the DSN of a
// PostgreSQL database to test against, for example
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. Each test runs in
// a schema of its own, dropped at the end.
const postgresEnv = "LICGATE_TEST_POSTGRES"

// openSQLiteDB opens the SQLite database file at path, closing it at the end
// of the test.
func openSQLiteDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(path))
	if err != nil {
		tb.Fatalf("sql.Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// openStore opens a store on db, failing the test on error.
func openStore(tb testing.TB, db *sql.DB, d sqlstore.Dialect) *sqlstore.Store {
	tb.Helper()
	s, err := sqlstore.Open(context.Background(), db, d)
	if err != nil {
		tb.Fatalf("Open(%v): %v", d, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// openShared opens a store on each of dbs at once, as processes starting
// together do, so that their migrations race.
func openShared(t *testing.T, d sqlstore.Dialect, dbs []*sql.DB) []license.Store {
	t.Helper()
	stores := make([]license.Store, len(dbs))
	errs := make([]error, len(dbs))
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() { stores[i], errs[i] = sqlstore.Open(t.Context(), db, d) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("Open(%v) on %d handles at once: %v", d, len(dbs), err)
	}
	return stores
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) license.Store {
		return openStore(t, openSQLiteDB(t, filepath.Join(t.TempDir(), "licgate.db")), sqlstore.SQLite)
	})
}

// TestSQLiteShared races separate *sql.DB handles on one file, as the
// server and the CLI do.
func TestSQLiteShared(t *testing.T) {
	path := filepath.Join(t.TempDir(), "licgate.db")
	dbs := make([]*sql.DB, 4)
	for i := range dbs {
		dbs[i] = openSQLiteDB(t, path)
	}
	storetest.RunShared(t, openShared(t, sqlstore.SQLite, dbs)...)
}

// postgresConfig returns the configuration of the test database, or skips
// the test if there is none.
func postgresConfig(tb testing.TB) *pgx.ConnConfig {
	tb.Helper()
	dsn := os.Getenv(postgresEnv)
	if dsn == "" {
		tb.Skipf("PostgreSQL tests skipped: set %s to a DSN, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", postgresEnv)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", postgresEnv, err)
	}
	return cfg
}

// newSchema creates a schema with a random name in the test database and
// drops it at the end of the test.
func newSchema(tb testing.TB, cfg *pgx.ConnConfig) string {
	tb.Helper()
	admin := stdlib.OpenDB(*cfg)
	b := make([]byte, 8)
	rand.Read(b)
	schema := "licgate_test_" + hex.EncodeToString(b)
	quoted := pgx.Identifier{schema}.Sanitize()
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+quoted); err != nil {
		admin.Close()
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+quoted+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// openPostgresDB opens a pool whose connections work in schema, closing it
// at the end of the test.
func openPostgresDB(tb testing.TB, cfg *pgx.ConnConfig, schema string) *sql.DB {
	tb.Helper()
	cfg = cfg.Copy()
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestPostgres(t *testing.T) {
	cfg := postgresConfig(t)
	storetest.Run(t, func(t *testing.T) license.Store {
		return openStore(t, openPostgresDB(t, cfg, newSchema(t, cfg)), sqlstore.Postgres)
	})
}

// TestPostgresShared races separate pools on one database, as replicas do.
func TestPostgresShared(t *testing.T) {
	cfg := postgresConfig(t)
	schema := newSchema(t, cfg)
	dbs := make([]*sql.DB, 3)
	for i := range dbs {
		dbs[i] = openPostgresDB(t, cfg, schema)
	}
	storetest.RunShared(t, openShared(t, sqlstore.Postgres, dbs)...)
}

func TestOpenErrors(t *testing.T) {
	db := openSQLiteDB(t, filepath.Join(t.TempDir(), "licgate.db"))
	plain, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "plain.db"))
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	t.Cleanup(func() { plain.Close() })
	tests := []struct {
		name string
		db   *sql.DB
		d    sqlstore.Dialect
		want error
	}{
		{"nil db", nil, sqlstore.SQLite, sqlstore.ErrNilDB},
		{"zero dialect", db, 0, sqlstore.ErrDialect},
		{"unknown dialect", db, 42, sqlstore.ErrDialect},
		{"SQLite without the DSN's settings", plain, sqlstore.SQLite, sqlstore.ErrSQLiteSettings},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sqlstore.Open(t.Context(), tt.db, tt.d)
			if !errors.Is(err, tt.want) || s != nil {
				t.Errorf("Open: got %v, %v, want nil, %v", s, err, tt.want)
			}
		})
	}
}

// TestReopen opens a store twice on one file: the second Open finds the
// schema up to date and the data in place.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "licgate.db")
	db := openSQLiteDB(t, path)
	s := openStore(t, db, sqlstore.SQLite)
	p := license.Product{ID: "app", Name: "App", Major: 1}
	if err := s.CreateProduct(ctx, p); err != nil {
		t.Fatalf("CreateProduct: %v", err)
	}
	db.Close()

	s = openStore(t, openSQLiteDB(t, path), sqlstore.SQLite)
	got, err := s.Product(ctx, "app")
	if err != nil || got.Name != p.Name {
		t.Errorf("Product after reopening: got %v, %v, want %v, nil", got, err, p)
	}
}

// TestSchemaVersion refuses a database migrated by a newer program.
func TestSchemaVersion(t *testing.T) {
	db := openSQLiteDB(t, filepath.Join(t.TempDir(), "licgate.db"))
	openStore(t, db, sqlstore.SQLite)
	if _, err := db.ExecContext(t.Context(), "INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)"); err != nil {
		t.Fatalf("insert version: %v", err)
	}
	_, err := sqlstore.Open(t.Context(), db, sqlstore.SQLite)
	if !errors.Is(err, sqlstore.ErrSchemaVersion) {
		t.Errorf("Open: got %v, want %v", err, sqlstore.ErrSchemaVersion)
	}
}

// TestSQLiteDSN checks the settings the DSN promises, on a path that needs
// escaping.
func TestSQLiteDSN(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "odd ?name#%41.db")
	db := openSQLiteDB(t, path)
	ctx := t.Context()
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"busy_timeout", "5000"},
		{"foreign_keys", "1"},
	}
	for _, tt := range tests {
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tt.pragma, err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s: got %v, want %v", tt.pragma, got, tt.want)
		}
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: got %v, want it at %q", err, path)
	}
}

func BenchmarkSQLite(b *testing.B) {
	db := openSQLiteDB(b, filepath.Join(b.TempDir(), "licgate.db"))
	storetest.Bench(b, openStore(b, db, sqlstore.SQLite))
}

func BenchmarkPostgres(b *testing.B) {
	cfg := postgresConfig(b)
	storetest.Bench(b, openStore(b, openPostgresDB(b, cfg, newSchema(b, cfg)), sqlstore.Postgres))
}
