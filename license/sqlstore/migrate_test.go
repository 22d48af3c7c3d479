package sqlstore_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/sqlstore"
)

// dialects opens an empty database of each dialect, skipping PostgreSQL
// without a test database.
var dialects = []struct {
	name string
	d    sqlstore.Dialect
	open func(t *testing.T) *sql.DB
}{
	{"SQLite", sqlstore.SQLite, func(t *testing.T) *sql.DB {
		return openSQLiteDB(t, filepath.Join(t.TempDir(), "licgate.db"))
	}},
	{"Postgres", sqlstore.Postgres, func(t *testing.T) *sql.DB {
		cfg := postgresConfig(t)
		return openPostgresDB(t, cfg, newSchema(t, cfg))
	}},
}

// legacy is a license of schema version 2, whose ID was also its EMS
// product key.
type legacy struct {
	id      string
	active  int // active activations
	ended   int // released and revoked ones
	codes   []string
	session []byte // the hash of a product-key session
}

// TestMigrateProductKeys migrates licenses of schema version 2: each keeps
// its ID as its product key, gets a new random ID, and takes its
// activations, codes and product-key sessions along; its seats held are
// counted.
func TestMigrateProductKeys(t *testing.T) {
	for _, dt := range dialects {
		t.Run(dt.name, func(t *testing.T) {
			ctx := t.Context()
			db := dt.open(t)
			if err := sqlstore.MigrateTo(ctx, db, dt.d, 2); err != nil {
				t.Fatalf("MigrateTo(2): %v", err)
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.ExecContext(ctx, rebindIf(dt.d, q), args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec("INSERT INTO products (id, name, major, minor, created_at) VALUES ('app', 'App', 1, 0, 0)")
			licenses := []legacy{
				{id: newUUID(t), active: 2, ended: 2, codes: []string{"pc-a", "pc-b"}, session: hash(1)},
				{id: newUUID(t), active: 1, codes: []string{"pc-c"}, session: hash(2)},
				{id: newUUID(t)},
			}
			for i, l := range licenses {
				exec("INSERT INTO licenses (id, license_key, product_id, email, phone, name, company, seats, expires_at,"+
					" features, properties, status, created_at) VALUES (?, ?, 'app', 'ada@example.com', '', '', '', 5, NULL, '[]', '[]', 'active', ?)",
					l.id, newKey(t), i)
				for j := range l.active + l.ended {
					status := "active"
					if j >= l.active {
						status = []string{"released", "revoked"}[j%2]
					}
					exec("INSERT INTO activations (aid, license_id, computer_id, computer_name, computer_key, status,"+
						" activated_at, released_at, attributes, comments) VALUES (?, ?, ?, '', ?, ?, ?, NULL, '[]', '')",
						newUUID(t), l.id, "pc-"+newUUID(t)[:8], newKey(t), status, j)
				}
				for _, pc := range l.codes {
					exec("INSERT INTO codes (license_id, computer_id, hash, channel, attempts, expires_at, created_at, properties)"+
						" VALUES (?, ?, ?, 'email', 0, ?, 0, '[]')", l.id, pc, hash(3), time.Hour.Microseconds())
				}
				if l.session != nil {
					exec("INSERT INTO sessions (id_hash, kind, subject, created_at, expires_at) VALUES (?, 'product-key', ?, 0, ?)",
						l.session, l.id, time.Hour.Microseconds())
				}
			}
			// A vendor session whose subject happens to be a license ID,
			// and a product-key session of a license that is gone: neither
			// moves.
			exec("INSERT INTO sessions (id_hash, kind, subject, created_at, expires_at) VALUES (?, 'vendor', ?, 0, ?)",
				hash(4), licenses[0].id, time.Hour.Microseconds())
			gone := newUUID(t)
			exec("INSERT INTO sessions (id_hash, kind, subject, created_at, expires_at) VALUES (?, 'product-key', ?, 0, ?)",
				hash(5), gone, time.Hour.Microseconds())

			s := openStore(t, db, dt.d)
			// Migration 4 leaves the products without a signing key, to be
			// made when they first sign, and with QLM's default algorithm.
			if p, err := s.Product(ctx, "app"); err != nil || p.RSAKey != nil || p.SignatureAlgorithm != license.SignatureRSASHA1 {
				t.Errorf("product after migration: key %v, algorithm %q, err %v; want no key, %q", p.RSAKey != nil, p.SignatureAlgorithm, err, license.SignatureRSASHA1)
			}
			ids := make(map[string]bool)
			numbers := make(map[int64]bool)
			for _, old := range licenses {
				l, err := s.LicenseByProductKey(ctx, old.id)
				if err != nil {
					t.Fatalf("LicenseByProductKey(the old ID): %v", err)
				}
				if l.ProductKey != old.id || l.ID == old.id || !isUUIDv4(l.ID) || ids[l.ID] {
					t.Errorf("license %s: got ID %s, product key %s, want a new version 4 UUID and the old ID", old.id, l.ID, l.ProductKey)
				}
				ids[l.ID] = true
				// Migration 4 numbers every license.
				if l.Number < 1 || l.Number > license.MaxLicenseNumber || numbers[l.Number] {
					t.Errorf("license %s: got number %d, want a unique one in 1..%d", old.id, l.Number, int64(license.MaxLicenseNumber))
				}
				numbers[l.Number] = true
				if byNumber, err := s.LicenseByNumber(ctx, l.Number); err != nil || byNumber.ID != l.ID {
					t.Errorf("LicenseByNumber(%d): got %s, %v, want %s", l.Number, byNumber.ID, err, l.ID)
				}
				if l.SeatsHeld != old.active {
					t.Errorf("license %s: got SeatsHeld %d, want %d", old.id, l.SeatsHeld, old.active)
				}
				if _, err := s.License(ctx, old.id); !errors.Is(err, license.ErrNotFound) {
					t.Errorf("License(the old ID): got %v, want %v", err, license.ErrNotFound)
				}
				as, err := s.Activations(ctx, l.ID)
				if err != nil || len(as) != old.active+old.ended {
					t.Errorf("Activations of the new ID: got %d, %v, want %d", len(as), err, old.active+old.ended)
				}
				for _, pc := range old.codes {
					cs, err := s.Codes(ctx, pc, time.UnixMicro(0))
					if err != nil || len(cs) != 1 || cs[0].LicenseID != l.ID {
						t.Errorf("Codes(%s): got %v, %v, want one code of %s", pc, cs, err, l.ID)
					}
				}
				if old.session != nil {
					sess, err := s.TouchSession(ctx, old.session, time.UnixMicro(0), time.Hour)
					if err != nil || sess.Subject != l.ID {
						t.Errorf("product-key session: got subject %q, %v, want %s", sess.Subject, err, l.ID)
					}
				}
			}
			for _, tt := range []struct {
				hash []byte
				want string
			}{{hash(4), licenses[0].id}, {hash(5), gone}} {
				sess, err := s.TouchSession(ctx, tt.hash, time.UnixMicro(0), time.Hour)
				if err != nil || sess.Subject != tt.want {
					t.Errorf("%s session: got subject %q, %v, want %s unchanged", sess.Kind, sess.Subject, err, tt.want)
				}
			}
			// The foreign keys hold, and are immediate again.
			err := db.QueryRowContext(ctx, "SELECT 1 FROM products").Scan(new(int))
			if err != nil {
				t.Fatalf("products: %v", err)
			}
			_, err = db.ExecContext(ctx, rebindIf(dt.d, "INSERT INTO codes (license_id, computer_id, hash, channel, attempts, expires_at, created_at, properties)"+
				" VALUES (?, 'pc', ?, 'email', 0, 0, 0, '[]')"), licenses[0].id, hash(6))
			if err == nil {
				t.Errorf("a code of the old license ID: got no error, want a foreign key violation")
			}
			if dt.d == sqlstore.Postgres {
				var deferrable int
				err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND condeferrable"+
					" AND connamespace = current_schema()::regnamespace").Scan(&deferrable)
				if err != nil || deferrable != 0 {
					t.Errorf("deferrable foreign keys: got %d, %v, want 0", deferrable, err)
				}
			}
			if dt.d == sqlstore.SQLite {
				rows, err := db.QueryContext(ctx, "PRAGMA foreign_key_check")
				if err != nil {
					t.Fatalf("foreign_key_check: %v", err)
				}
				if rows.Next() {
					t.Errorf("foreign_key_check: got violations, want none")
				}
				rows.Close()
			}
		})
	}
}

// TestWithoutCreate refuses an empty database and creates nothing in it,
// but opens, and migrates, one that holds a schema.
func TestWithoutCreate(t *testing.T) {
	for _, dt := range dialects {
		t.Run(dt.name, func(t *testing.T) {
			ctx := t.Context()
			empty := dt.open(t)
			s, err := sqlstore.Open(ctx, empty, dt.d, sqlstore.WithoutCreate())
			if !errors.Is(err, sqlstore.ErrNoSchema) || s != nil {
				t.Errorf("Open(empty, WithoutCreate): got %v, %v, want nil, %v", s, err, sqlstore.ErrNoSchema)
			}
			// Still empty: a later Open without the option creates the schema.
			openStore(t, empty, dt.d)

			old := dt.open(t)
			if err := sqlstore.MigrateTo(ctx, old, dt.d, 2); err != nil {
				t.Fatalf("MigrateTo(2): %v", err)
			}
			s, err = sqlstore.Open(ctx, old, dt.d, sqlstore.WithoutCreate())
			if err != nil {
				t.Fatalf("Open(version 2, WithoutCreate): %v", err)
			}
			defer s.Close()
			if _, err := s.TakeToken(ctx, license.Bucket{Key: "k", Burst: 1, Window: time.Minute}, time.Now()); err != nil {
				t.Errorf("TakeToken after migrating: %v", err)
			}
		})
	}
	if _, err := sqlstore.Open(t.Context(), openSQLiteDB(t, filepath.Join(t.TempDir(), "x.db")), sqlstore.SQLite, nil); !errors.Is(err, sqlstore.ErrNilOption) {
		t.Errorf("Open with a nil option: got %v, want %v", err, sqlstore.ErrNilOption)
	}
}

// TestSQLiteWithoutCreateMissingFile shows how a program keeps SQLite from
// creating a missing file: mode=rw in the DSN.
func TestSQLiteWithoutCreateMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.db")
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(path)+"&mode=rw")
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	defer db.Close()
	if _, err := sqlstore.Open(t.Context(), db, sqlstore.SQLite, sqlstore.WithoutCreate()); err == nil {
		t.Errorf("Open of a missing file with mode=rw: got nil, want an error")
	}
	if m, _ := filepath.Glob(path + "*"); len(m) != 0 {
		t.Errorf("files after Open of a missing file: got %v, want none", m)
	}
}

func newUUID(t *testing.T) string {
	t.Helper()
	id, err := license.NewUUID()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func newKey(t *testing.T) string {
	t.Helper()
	k, err := license.NewKey(license.KeyPermanent)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// hash returns a 32-byte hash starting with b.
func hash(b byte) []byte {
	h := make([]byte, 32)
	for i := range h {
		h[i] = b + byte(i)
	}
	return h
}

// isUUIDv4 reports whether s is a lower-case, version 4, RFC 4122 UUID.
func isUUIDv4(s string) bool {
	return license.IsUUID(s) && s[14] == '4' && slices.Contains([]byte("89ab"), s[19])
}

// rebindIf rebinds q for PostgreSQL.
func rebindIf(d sqlstore.Dialect, q string) string {
	if d == sqlstore.Postgres {
		return rebindForTest(q)
	}
	return q
}

// rebindForTest turns ? placeholders into PostgreSQL's.
func rebindForTest(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r != '?' {
			b.WriteRune(r)
			continue
		}
		n++
		b.WriteString("$" + strconv.Itoa(n))
	}
	return b.String()
}
