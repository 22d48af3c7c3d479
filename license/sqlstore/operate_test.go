package sqlstore_test

import (
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/sqlstore"
)

// sharedDialects opens stores of each dialect on one empty database, as
// processes or replicas sharing it do, skipping PostgreSQL without a test
// database.
var sharedDialects = []struct {
	name string
	open func(t *testing.T, n int) []*sqlstore.Store
}{
	{"SQLite", func(t *testing.T, n int) []*sqlstore.Store {
		path := filepath.Join(t.TempDir(), "licgate.db")
		stores := make([]*sqlstore.Store, n)
		for i := range stores {
			stores[i] = openStore(t, openSQLiteDB(t, path), sqlstore.SQLite)
		}
		return stores
	}},
	{"Postgres", func(t *testing.T, n int) []*sqlstore.Store {
		cfg := postgresConfig(t)
		schema := newSchema(t, cfg)
		stores := make([]*sqlstore.Store, n)
		for i := range stores {
			stores[i] = openStore(t, openPostgresDB(t, cfg, schema), sqlstore.Postgres)
		}
		return stores
	}},
}

// webhookEvent returns a webhook event at a time.
func webhookEvent(t *testing.T, at time.Time) license.Event {
	t.Helper()
	id, err := license.NewTimeUUID(at)
	if err != nil {
		t.Fatal(err)
	}
	return license.Event{ID: id, At: at, Type: license.EventLicenseUpdated, Target: "license/x", Outcome: "ok",
		Data: json.RawMessage(`{"id":"x"}`)}
}

// TestClaimDeliveriesShared claims the outbox from several stores on one
// database at once, several claims of each running together: every
// delivery is claimed exactly once.
func TestClaimDeliveriesShared(t *testing.T) {
	const (
		webhooks = 3
		events   = 60
		claimers = 4 // per store
		limit    = 7
	)
	for _, dt := range sharedDialects {
		t.Run(dt.name, func(t *testing.T) {
			ctx := t.Context()
			stores := dt.open(t, 2)
			t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
			for i := range webhooks {
				w := license.Webhook{ID: newUUID(t), URL: "https://example.com/hook", Secret: "whsec_x", CreatedAt: t0}
				e := license.Event{ID: newUUID(t), At: t0, Type: license.EventWebhookCreated, Target: "webhook/" + w.ID, Outcome: "ok"}
				if err := stores[i%len(stores)].CreateWebhook(ctx, w, e); err != nil {
					t.Fatalf("CreateWebhook: %v", err)
				}
			}
			for i := range events {
				if err := stores[i%len(stores)].Record(ctx, webhookEvent(t, t0.Add(time.Duration(i)*time.Millisecond))); err != nil {
					t.Fatalf("Record: %v", err)
				}
			}

			now := t0.Add(time.Hour)
			var (
				mu      sync.Mutex
				claimed = map[string]int{}
				wg      sync.WaitGroup
			)
			for _, s := range stores {
				for range claimers {
					wg.Go(func() {
						for {
							ds, err := s.ClaimDeliveries(ctx, now, time.Minute, limit)
							if err != nil {
								t.Errorf("ClaimDeliveries: %v", err)
								return
							}
							if len(ds) == 0 {
								return
							}
							mu.Lock()
							for _, d := range ds {
								claimed[d.ID]++
								if d.Webhook.Secret == "" || d.Event.Data == nil {
									t.Errorf("delivery %s: got webhook %+v and event data %s, want both", d.ID, d.Webhook, d.Event.Data)
								}
							}
							mu.Unlock()
						}
					})
				}
			}
			wg.Wait()
			if len(claimed) != webhooks*events {
				t.Errorf("deliveries claimed: got %d, want %d", len(claimed), webhooks*events)
			}
			for id, n := range claimed {
				if n != 1 {
					t.Errorf("delivery %s: claimed %d times, want once", id, n)
				}
			}
			// Every delivery is held until the lease ends, then due again.
			for _, s := range stores {
				if ds, err := s.ClaimDeliveries(ctx, now.Add(time.Minute-time.Microsecond), time.Minute, limit); err != nil || len(ds) != 0 {
					t.Errorf("ClaimDeliveries within the lease: got %d, %v, want none", len(ds), err)
				}
			}
			ds, err := stores[0].ClaimDeliveries(ctx, now.Add(time.Minute), time.Minute, webhooks*events+1)
			if err != nil || len(ds) != webhooks*events {
				t.Errorf("ClaimDeliveries once the lease ended: got %d, %v, want %d", len(ds), err, webhooks*events)
			}
		})
	}
}

// TestBeginIdempotentShared begins one request from several stores on one
// database at once: exactly one starts it, and the others get it as kept.
func TestBeginIdempotentShared(t *testing.T) {
	const callers = 8 // per store
	for _, dt := range sharedDialects {
		t.Run(dt.name, func(t *testing.T) {
			ctx := t.Context()
			stores := dt.open(t, 2)
			now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
			rec := license.Idempotent{Scope: "shop", Key: newUUID(t), Fingerprint: "POST /licenses 1234",
				LockedUntil: now.Add(time.Minute), CreatedAt: now}
			var (
				mu      sync.Mutex
				started int
				wg      sync.WaitGroup
			)
			for _, s := range stores {
				for range callers {
					wg.Go(func() {
						got, ok, err := s.BeginIdempotent(ctx, rec, now)
						if err != nil {
							t.Errorf("BeginIdempotent: %v", err)
							return
						}
						if got.Key != rec.Key || got.Fingerprint != rec.Fingerprint || got.Done || !got.LockedUntil.Equal(rec.LockedUntil) {
							t.Errorf("BeginIdempotent: got %+v, want %+v", got, rec)
						}
						if ok {
							mu.Lock()
							started++
							mu.Unlock()
						}
					})
				}
			}
			wg.Wait()
			if started != 1 {
				t.Errorf("requests started: got %d, want 1", started)
			}
		})
	}
}

// TestMigrateEvents migrates a database of schema version 4 to version 5,
// which adds tables and changes none: the data stays, and the new tables
// work.
func TestMigrateEvents(t *testing.T) {
	for _, dt := range dialects {
		t.Run(dt.name, func(t *testing.T) {
			ctx := t.Context()
			db := dt.open(t)
			if err := sqlstore.MigrateTo(ctx, db, dt.d, 4); err != nil {
				t.Fatalf("MigrateTo(4): %v", err)
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.ExecContext(ctx, rebindIf(dt.d, q), args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec("INSERT INTO products (id, name, major, minor, created_at, rsa_key, signature_algorithm)" +
				" VALUES ('app', 'App', 1, 0, 0, '', 'rsa-sha1')")
			id, key, pk := newUUID(t), newKey(t), newUUID(t)
			exec("INSERT INTO licenses (id, license_key, product_key, number, product_id, email, phone, name, company,"+
				" seats, seats_held, expires_at, features, properties, status, created_at)"+
				" VALUES (?, ?, ?, 42, 'app', 'ada@example.com', '', 'Ada', '', 5, 1, NULL, '[\"pro\"]', '[]', 'active', 7)",
				id, key, pk)
			aid := newUUID(t)
			exec("INSERT INTO activations (aid, license_id, computer_id, computer_name, computer_key, status,"+
				" activated_at, released_at, attributes, comments) VALUES (?, ?, 'pc', '', ?, 'active', 8, NULL, '[]', '')",
				aid, id, newKey(t))

			s := openStore(t, db, dt.d)
			var version int
			if err := db.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&version); err != nil || version < 5 {
				t.Fatalf("schema version: got %d, %v, want 5 or later", version, err)
			}
			l, err := s.License(ctx, id)
			if err != nil {
				t.Fatalf("License: %v", err)
			}
			if l.Key != key || l.ProductKey != pk || l.Number != 42 || l.Name != "Ada" || l.SeatsHeld != 1 ||
				len(l.Features) != 1 || !l.CreatedAt.Equal(time.UnixMicro(7)) {
				t.Errorf("license after migration: got %+v", l)
			}
			if a, err := s.Activation(ctx, aid); err != nil || a.LicenseID != id || a.Status != license.StatusActive {
				t.Errorf("activation after migration: got %+v, %v", a, err)
			}
			ls, err := s.FindLicenses(ctx, license.LicenseQuery{Email: "ada@example.com"})
			if err != nil || len(ls) != 1 || ls[0].ID != id {
				t.Errorf("FindLicenses: got %d licenses, %v, want %s", len(ls), err, id)
			}

			t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
			w := license.Webhook{ID: newUUID(t), URL: "https://example.com/hook", Secret: "whsec_x", CreatedAt: t0}
			if err := s.CreateWebhook(ctx, w, license.Event{ID: newUUID(t), At: t0, Type: license.EventWebhookCreated}); err != nil {
				t.Fatalf("CreateWebhook: %v", err)
			}
			e := webhookEvent(t, t0)
			e.Target = "license/" + id
			if err := s.WithLicense(ctx, id, func(tx license.LicenseTx) error { return tx.Record(e) }); err != nil {
				t.Fatalf("WithLicense Record: %v", err)
			}
			es, err := s.Events(ctx, license.AuditQuery{Target: e.Target})
			if err != nil || len(es) != 1 || es[0].ID != e.ID {
				t.Errorf("Events(%s): got %v, %v, want %s", e.Target, es, err, e.ID)
			}
			ds, err := s.ClaimDeliveries(ctx, t0, time.Minute, 10)
			if err != nil || len(ds) != 1 || ds[0].Event.ID != e.ID || ds[0].Webhook.ID != w.ID {
				t.Errorf("ClaimDeliveries: got %+v, %v, want one of event %s to webhook %s", ds, err, e.ID, w.ID)
			}
		})
	}
}
