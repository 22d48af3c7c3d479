package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/sqlstore"
)

// TestMigrateLeases migrates a database of schema version 5 to version 6,
// which adds the columns of floating licenses and leases: licenses made
// before are not floating, their activations not leases, and leases work
// beside them.
func TestMigrateLeases(t *testing.T) {
	for _, dt := range dialects {
		t.Run(dt.name, func(t *testing.T) {
			ctx := t.Context()
			db := dt.open(t)
			if err := sqlstore.MigrateTo(ctx, db, dt.d, 5); err != nil {
				t.Fatalf("MigrateTo(5): %v", err)
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.ExecContext(ctx, rebindIf(dt.d, q), args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec("INSERT INTO products (id, name, major, minor, created_at, rsa_key, signature_algorithm)" +
				" VALUES ('app', 'App', 1, 0, 0, '', 'rsa-sha1')")
			id := newUUID(t)
			exec("INSERT INTO licenses (id, license_key, product_key, number, product_id, email, phone, name, company,"+
				" seats, seats_held, expires_at, features, properties, status, created_at)"+
				" VALUES (?, ?, ?, 42, 'app', '', '', '', '', 5, 1, NULL, '[]', '[]', 'active', 7)",
				id, newKey(t), newUUID(t))
			active, ended := newUUID(t), newUUID(t)
			for _, a := range []struct {
				aid, status string
				released    any
			}{{active, "active", nil}, {ended, "released", int64(9)}} {
				exec("INSERT INTO activations (aid, license_id, computer_id, computer_name, computer_key, status,"+
					" activated_at, released_at, attributes, comments) VALUES (?, ?, ?, '', ?, ?, 8, ?, '[]', '')",
					a.aid, id, "pc-"+a.aid[:8], newKey(t), a.status, a.released)
			}

			s := openStore(t, db, dt.d)
			l, err := s.License(ctx, id)
			if err != nil || l.Floating || l.LeaseSeconds != 0 || l.SeatsHeld != 1 {
				t.Fatalf("license after migration: got floating %v, lease seconds %d, seats held %d, %v; want false, 0, 1",
					l.Floating, l.LeaseSeconds, l.SeatsHeld, err)
			}
			for _, aid := range []string{active, ended} {
				if a, err := s.Activation(ctx, aid); err != nil || a.IsLease() {
					t.Errorf("activation after migration: got %+v, %v, want no lease", a, err)
				}
			}
			// A lease beside them ends by itself; the others stay.
			now := time.UnixMicro(1_000_000).UTC()
			lease := license.Activation{AID: newUUID(t), LicenseID: id, ComputerID: "instance", ComputerKey: newKey(t),
				Status: license.StatusActive, ActivatedAt: now, LeaseUntil: now.Add(time.Minute)}
			var gone []license.Activation
			err = s.WithLicense(ctx, id, func(tx license.LicenseTx) error {
				if err := tx.Insert(lease); err != nil {
					return err
				}
				gone, err = tx.ExpireLeases(now.Add(time.Hour))
				return err
			})
			if err != nil || len(gone) != 1 || gone[0].AID != lease.AID {
				t.Fatalf("ExpireLeases: got %d ended, %v, want the lease", len(gone), err)
			}
			if l, err := s.License(ctx, id); err != nil || l.SeatsHeld != 1 {
				t.Errorf("seats held after the lease: got %d, %v, want 1", l.SeatsHeld, err)
			}
		})
	}
}

// TestLeasePlans checks that the statements that find leases by their end
// read a partial index of active activations, never the activations that
// ended: on SQLite as its planner chooses (the index of leases), on
// PostgreSQL with sequential scans off and a generic plan, as a prepared
// statement gets after five runs. (On an empty table PostgreSQL may take
// the index of active activations by computer, which costs the same there;
// once a license holds many leases that ran out, it takes the index of
// leases by license and end, whose bounds are tighter.)
func TestLeasePlans(t *testing.T) {
	for _, dt := range dialects {
		t.Run(dt.name, func(t *testing.T) {
			ctx := t.Context()
			db := dt.open(t)
			s := openStore(t, db, dt.d)
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			explain := "EXPLAIN QUERY PLAN "
			if dt.d == sqlstore.Postgres {
				explain = "EXPLAIN "
				for _, q := range []string{"SET enable_seqscan = off", "SET plan_cache_mode = force_generic_plan"} {
					if _, err := conn.ExecContext(ctx, q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				defer conn.ExecContext(context.Background(), "RESET ALL")
			}
			for name, q := range sqlstore.LeaseQueries(s) {
				plan := queryPlan(t, conn, dt.d, explain, q.Query, q.Args)
				if !strings.Contains(plan, "activations_lease") && !strings.Contains(plan, "activations_active_computer") {
					t.Errorf("plan of %s: got\n%s\nwant a partial index of active activations", name, plan)
				}
			}
		})
	}
}

// queryPlan returns the plan of q, one line per row.
func queryPlan(t *testing.T, conn *sql.Conn, d sqlstore.Dialect, explain, q string, args []any) string {
	t.Helper()
	ctx := t.Context()
	if d == sqlstore.Postgres {
		// A generic plan: prepared, run with parameters.
		if _, err := conn.ExecContext(ctx, "PREPARE lease_plan AS "+q); err != nil {
			t.Fatalf("PREPARE: %v", err)
		}
		defer conn.ExecContext(context.Background(), "DEALLOCATE lease_plan")
		ps := make([]string, len(args))
		for i, a := range args {
			if s, ok := a.(string); ok {
				ps[i] = "'" + s + "'"
			} else {
				ps[i] = fmt.Sprint(a)
			}
		}
		q, args = "EXECUTE lease_plan ("+strings.Join(ps, ", ")+")", nil
	}
	rows, err := conn.QueryContext(ctx, explain+q, args...)
	if err != nil {
		t.Fatalf("%s%s: %v", explain, q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals[len(vals)-1])
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// benchEnded is how many ended leases the license holds in the full case
// of BenchmarkTakeLease.
const benchEnded = 20_000

// benchLeaseTTL and benchLeaseStep make the steady state of
// BenchmarkTakeLease: the clock moves one step at each take and leases
// live a TTL, so that about TTL/step leases are live and, once there, each
// take ends one that ran out.
const (
	benchLeaseTTL  = 100 * time.Second
	benchLeaseStep = time.Second
)

// fillEnded inserts n leases of a license that ran out and were ended
// (released at their end, before start), in one transaction.
func fillEnded(b *testing.B, db *sql.DB, d sqlstore.Dialect, licenseID string, n int, start time.Time) {
	b.Helper()
	q := "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)" +
		" INSERT INTO activations (aid, license_id, computer_id, computer_name, computer_key, status," +
		" activated_at, released_at, attributes, comments, lease_until)" +
		" SELECT lower(hex(randomblob(16))), ?2, 'ended-' || i, '', 'ended-' || ?2 || '-' || i, 'released'," +
		" ?3 - 100000000, ?3 - i, '[]', '', ?3 - i FROM n"
	if d == sqlstore.Postgres {
		q = "INSERT INTO activations (aid, license_id, computer_id, computer_name, computer_key, status," +
			" activated_at, released_at, attributes, comments, lease_until)" +
			" SELECT gen_random_uuid()::text, $2::text, 'ended-' || i, '', 'ended-' || $2::text || '-' || i, 'released'," +
			" $3::bigint - 100000000, $3::bigint - i, '[]', '', $3::bigint - i FROM generate_series(1, $1::integer) AS g(i)"
	}
	if _, err := db.ExecContext(b.Context(), q, n, licenseID, start.UnixMicro()); err != nil {
		b.Fatalf("fill ended leases: %v", err)
	}
}

// BenchmarkTakeLease takes leases of a floating license of 1,000 seats for
// new instances, as [license.Service] does, inside one WithLicense: end
// the leases that ran out, look for the instance's live lease, check the
// seats held, insert the lease. The clock moves a second at each take and
// leases live 100 s, so that about 100 are live and each take ends one.
// The license holds no other activation (empty) or 20,000 leases that
// ended (full), on SQLite and on PostgreSQL (with LICGATE_TEST_POSTGRES
// set), one client after the other and 8 at once, in a database beside
// 50,000 activations of another license. The full case reports
// full/empty, its take rate over the empty one's: the ended leases are
// outside the partial index that ExpireLeases reads, so it stays near 1.
func BenchmarkTakeLease(b *testing.B) {
	cases := []struct {
		name  string
		ended int
	}{{"ended=0", 0}, {"ended=20000", benchEnded}}
	for _, st := range benchStores {
		b.Run(st.name, func(b *testing.B) {
			for _, parallel := range []bool{false, true} {
				mode := "sequential"
				if parallel {
					mode = "parallel"
				}
				b.Run(mode, func(b *testing.B) {
					var emptyNs float64
					for _, bc := range cases {
						b.Run(bc.name, func(b *testing.B) {
							ns := benchTakeLease(b, st, parallel, bc.ended)
							if bc.ended == 0 {
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

// benchTakeLease runs one case of BenchmarkTakeLease and returns its
// nanoseconds per take.
func benchTakeLease(b *testing.B, st benchStore, parallel bool, ended int) float64 {
	ctx := b.Context()
	db := st.open(b)
	s := openStore(b, db, st.d)
	svc := newBenchService(b, s)
	p, err := svc.CreateProduct(ctx, license.Product{ID: "bench", Name: "Bench", Major: 1})
	if err != nil {
		b.Fatal(err)
	}
	newBenchLicense(b, svc, db, st, p.ID, benchOthers)
	l, err := svc.CreateLicense(ctx, license.NewLicense{ProductID: p.ID, Seats: 1000, Floating: true, LeaseTTL: benchLeaseTTL})
	if err != nil {
		b.Fatalf("CreateLicense: %v", err)
	}
	start := time.Now().UTC().Truncate(time.Microsecond)
	if ended > 0 {
		fillEnded(b, db, st.d, l.ID, ended, start)
	}
	if st.d == sqlstore.Postgres {
		if _, err := db.ExecContext(ctx, "ANALYZE licenses, activations"); err != nil {
			b.Fatal(err)
		}
	}
	var n atomic.Int64
	take := func() error {
		i := n.Add(1)
		now := start.Add(time.Duration(i) * benchLeaseStep)
		aid, err := license.NewUUID()
		if err != nil {
			return err
		}
		key, err := license.NewKey(license.ComputerPermanent)
		if err != nil {
			return err
		}
		a := license.Activation{AID: aid, LicenseID: l.ID, ComputerID: fmt.Sprintf("instance-%d", i), ComputerKey: key,
			Status: license.StatusActive, ActivatedAt: now, LeaseUntil: now.Add(benchLeaseTTL)}
		return s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
			if _, err := tx.ExpireLeases(now); err != nil {
				return err
			}
			if _, ok, err := tx.ActiveOn(a.ComputerID); err != nil || ok {
				return fmt.Errorf("ActiveOn of a new instance: got ok %v, err %v", ok, err)
			}
			if cur := tx.License(); cur.SeatsHeld >= cur.Seats {
				return license.ErrNoSeats
			}
			return tx.Insert(a)
		})
	}
	b.ReportAllocs()
	b.ResetTimer()
	if parallel {
		b.SetParallelism(benchParallelism)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := take(); err != nil {
					b.Error(err)
				}
			}
		})
	} else {
		for range b.N {
			if err := take(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(1e9/ns, "leases/s")
	// At most a TTL's worth of leases is live: the others were ended.
	got, err := s.License(ctx, l.ID)
	if want := int(min(int64(b.N), int64(benchLeaseTTL/benchLeaseStep))); err != nil || got.SeatsHeld > want {
		b.Errorf("seats held after %d takes: got %d, %v, want at most %d", b.N, got.SeatsHeld, err, want)
	}
	return ns
}
