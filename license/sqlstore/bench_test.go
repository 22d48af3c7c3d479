package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/sqlstore"
)

// benchOthers is how many activations of another license the database
// holds in every case, so that both cases run on a table of the same size,
// with the planner's statistics of a populated table: what they compare is
// the seats the license holds, not the size of the table. (On a table that
// starts empty PostgreSQL caches plans that scan it until autovacuum
// analyzes it again, and SQLite's B-trees are shallower.)
const benchOthers = 50_000

// benchCases are the seats the license activated holds when a benchmark
// starts, each on a database of its own.
var benchCases = []struct {
	name string
	held int
}{
	{"held=0", 0},
	{"held=50000", 50_000},
}

// benchParallelism is the goroutines per GOMAXPROCS of the parallel
// benchmarks: 8 clients on 2 cores.
const benchParallelism = 4

// benchStore opens a store of a dialect for a benchmark, with a pool sized
// as the package documentation suggests.
type benchStore struct {
	name string
	d    sqlstore.Dialect
	open func(b *testing.B) *sql.DB
	// fill inserts n active activations of a license in one transaction
	// and sets its seats held to n.
	fill string
}

var benchStores = []benchStore{
	{
		name: "SQLite",
		d:    sqlstore.SQLite,
		open: func(b *testing.B) *sql.DB {
			db := openSQLiteDB(b, filepath.Join(b.TempDir(), "licgate.db"))
			db.SetMaxOpenConns(4)
			db.SetMaxIdleConns(4)
			return db
		},
		fill: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)" +
			" INSERT INTO activations (aid, license_id, computer_id, computer_name, computer_key, status," +
			" activated_at, released_at, attributes, comments)" +
			" SELECT lower(hex(randomblob(16))), ?2, 'fill-' || i, '', 'fill-' || ?2 || '-' || i, 'active', ?3, NULL, '[]', ''" +
			" FROM n",
	},
	{
		name: "Postgres",
		d:    sqlstore.Postgres,
		open: func(b *testing.B) *sql.DB {
			cfg := postgresConfig(b)
			return openPostgresDB(b, cfg, newSchema(b, cfg))
		},
		fill: "INSERT INTO activations (aid, license_id, computer_id, computer_name, computer_key, status," +
			" activated_at, released_at, attributes, comments)" +
			" SELECT gen_random_uuid()::text, $2::text, 'fill-' || i, '', 'fill-' || $2::text || '-' || i, 'active', $3, NULL, '[]', ''" +
			" FROM generate_series(1, $1::integer) AS g(i)",
	},
}

// newBenchService returns a service on s.
func newBenchService(b *testing.B, s license.Store) *license.Service {
	b.Helper()
	key, err := license.GenerateSigningKey()
	if err != nil {
		b.Fatal(err)
	}
	keys, err := license.NewKeySet(key)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := license.NewService(s, license.WithKeySet(keys), license.WithSecret([]byte("a benchmark secret of thirty-two bytes or more")))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { svc.Close(context.Background()) })
	return svc
}

// newBenchLicense creates a license of a million seats that holds held of
// them, filled in by bulk SQL; on PostgreSQL it then gathers statistics.
func newBenchLicense(b *testing.B, svc *license.Service, db *sql.DB, st benchStore, productID string, held int) license.License {
	b.Helper()
	ctx := b.Context()
	l, err := svc.CreateLicense(ctx, license.NewLicense{ProductID: productID, Seats: license.MaxSeats})
	if err != nil {
		b.Fatalf("CreateLicense: %v", err)
	}
	if held > 0 {
		fill(b, db, st, l.ID, held)
	}
	if st.d == sqlstore.Postgres {
		// Statistics for the planner, as autovacuum would gather them.
		if _, err := db.ExecContext(ctx, "ANALYZE licenses, activations"); err != nil {
			b.Fatal(err)
		}
	}
	got, err := svc.License(ctx, l.ID)
	if err != nil || got.SeatsHeld != held {
		b.Fatalf("license after filling: SeatsHeld %d, %v, want %d", got.SeatsHeld, err, held)
	}
	return got
}

// fill inserts held active activations of a license in one transaction and
// sets its seats held to match.
func fill(b *testing.B, db *sql.DB, st benchStore, licenseID string, held int) {
	b.Helper()
	ctx := b.Context()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, st.fill, held, licenseID, time.Now().UnixMicro()); err != nil {
		b.Fatalf("fill: %v", err)
	}
	q := "UPDATE licenses SET seats_held = ? WHERE id = ?"
	if st.d == sqlstore.Postgres {
		q = "UPDATE licenses SET seats_held = $1 WHERE id = $2"
	}
	if _, err := tx.ExecContext(ctx, q, held, licenseID); err != nil {
		b.Fatalf("seats held: %v", err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkActivate activates new computers through the service, on a
// SQLite file and on PostgreSQL (with LICGATE_TEST_POSTGRES set), one
// client after the other (sequential) and 8 at once (parallel, where
// SQLite's group commit shows), on a license that holds 0 or 50,000 seats
// when it starts, in a database of its own beside 50,000 activations of
// another license. The 50,000 case reports full/empty, its activation rate
// over the other's, which the seat counter in the license row keeps near 1.
func BenchmarkActivate(b *testing.B) {
	for _, st := range benchStores {
		b.Run(st.name, func(b *testing.B) {
			for _, parallel := range []bool{false, true} {
				mode := "sequential"
				if parallel {
					mode = "parallel"
				}
				b.Run(mode, func(b *testing.B) {
					var emptyNs float64
					for _, bc := range benchCases {
						b.Run(bc.name, func(b *testing.B) {
							ctx := b.Context()
							db := st.open(b)
							s := openStore(b, db, st.d)
							svc := newBenchService(b, s)
							p, err := svc.CreateProduct(ctx, license.Product{ID: "bench", Name: "Bench", Major: 1})
							if err != nil {
								b.Fatal(err)
							}
							newBenchLicense(b, svc, db, st, p.ID, benchOthers)
							l := newBenchLicense(b, svc, db, st, p.ID, bc.held)
							var n atomic.Int64
							activate := func() {
								req := license.ActivationRequest{LicenseID: l.ID, ComputerID: fmt.Sprintf("pc-%d", n.Add(1))}
								if res, err := svc.Activate(ctx, req); err != nil || res.Existing {
									b.Errorf("Activate: existing %v, err %v", res.Existing, err)
								}
							}
							b.ReportAllocs()
							b.ResetTimer()
							if parallel {
								b.SetParallelism(benchParallelism)
								b.RunParallel(func(pb *testing.PB) {
									for pb.Next() {
										activate()
									}
								})
							} else {
								for range b.N {
									activate()
								}
							}
							ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
							b.ReportMetric(1e9/ns, "activations/s")
							if bc.held == 0 {
								emptyNs = ns
							} else if emptyNs > 0 {
								b.ReportMetric(emptyNs/ns, "full/empty")
							}
						})
					}
				})
			}
		})
	}
}

// BenchmarkBareSQLiteSeat is the baseline of BenchmarkActivate on SQLite: a
// bare transaction on the same kind of file, with the same DSN and pool and
// the same 50,000 activations of another license, that takes a seat on the
// license row and inserts an activation row, and nothing else. In parallel its transactions contend for SQLite's write
// lock in the busy handler, as the store's would without its writer.
func BenchmarkBareSQLiteSeat(b *testing.B) {
	for _, parallel := range []bool{false, true} {
		mode := "sequential"
		if parallel {
			mode = "parallel"
		}
		b.Run(mode, func(b *testing.B) {
			ctx := b.Context()
			db := benchStores[0].open(b)
			s := openStore(b, db, sqlstore.SQLite)
			svc := newBenchService(b, s)
			p, err := svc.CreateProduct(ctx, license.Product{ID: "bench", Name: "Bench", Major: 1})
			if err != nil {
				b.Fatal(err)
			}
			newBenchLicense(b, svc, db, benchStores[0], p.ID, benchOthers)
			l := newBenchLicense(b, svc, db, benchStores[0], p.ID, 0)
			take, err := db.PrepareContext(ctx, "UPDATE licenses SET seats_held = seats_held + 1 WHERE id = ?")
			if err != nil {
				b.Fatal(err)
			}
			defer take.Close()
			insert, err := db.PrepareContext(ctx, "INSERT INTO activations (aid, license_id, computer_id, computer_name,"+
				" computer_key, status, activated_at, released_at, attributes, comments)"+
				" VALUES (?, ?, ?, '', ?, 'active', ?, NULL, '[]', '')")
			if err != nil {
				b.Fatal(err)
			}
			defer insert.Close()
			var n atomic.Int64
			seat := func() error {
				aid, err := license.NewUUID()
				if err != nil {
					return err
				}
				i := n.Add(1)
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				defer tx.Rollback()
				if _, err := tx.StmtContext(ctx, take).ExecContext(ctx, l.ID); err != nil {
					return err
				}
				_, err = tx.StmtContext(ctx, insert).ExecContext(ctx, aid, l.ID, fmt.Sprintf("pc-%d", i), fmt.Sprintf("key-%d", i), time.Now().UnixMicro())
				if err != nil {
					return err
				}
				return tx.Commit()
			}
			b.ReportAllocs()
			b.ResetTimer()
			if parallel {
				b.SetParallelism(benchParallelism)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := seat(); err != nil {
							b.Error(err)
						}
					}
				})
			} else {
				for range b.N {
					if err := seat(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "seats/s")
		})
	}
}
