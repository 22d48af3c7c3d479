package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/admin"
)

func TestIdempotency(t *testing.T) {
	t.Parallel()
	for _, st := range []struct {
		name string
		open func(*testing.T) license.Store
	}{{"memstore", memStore}, {"sqlite", sqliteStore}} {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, st.open(t))
			f.product("app")
			ctx := context.Background()
			count := func() int {
				t.Helper()
				ls, err := f.svc.Licenses(ctx, "app")
				if err != nil {
					t.Fatal(err)
				}
				return len(ls)
			}
			body := `{"productId":"app","email":"ann@example.com","seats":3}`

			// Twice with one key: one license, the same bytes.
			s1, h1, b1 := f.do("POST", "/licenses", f.adminToken, body, "Idempotency-Key", "order-1")
			s2, h2, b2 := f.do("POST", "/licenses", f.adminToken, body, "Idempotency-Key", "order-1")
			if s1 != 201 || s2 != 201 || !bytes.Equal(b1, b2) {
				t.Fatalf("got %d %s and %d %s", s1, b1, s2, b2)
			}
			if h1.Get("Idempotent-Replayed") != "" || h2.Get("Idempotent-Replayed") != "true" {
				t.Errorf("got Idempotent-Replayed %q and %q", h1.Get("Idempotent-Replayed"), h2.Get("Idempotent-Replayed"))
			}
			if h1.Get("Location") == "" || h2.Get("Location") != h1.Get("Location") {
				t.Errorf("got Location %q and %q", h1.Get("Location"), h2.Get("Location"))
			}
			if n := count(); n != 1 {
				t.Fatalf("got %d licenses, want 1", n)
			}

			// The same key for another request.
			s, _, b := f.do("POST", "/licenses", f.adminToken, `{"productId":"app","seats":4}`, "Idempotency-Key", "order-1")
			problemOf(t, s, b, 422, "idempotency_key_reused")
			s, _, b = f.do("POST", "/products", f.adminToken, `{"id":"x","name":"X","major":1,"minor":0}`, "Idempotency-Key", "order-1")
			problemOf(t, s, b, 422, "idempotency_key_reused")

			// Another token's key does not collide.
			_, other, err := f.svc.CreateAdminToken(ctx, "erp", license.ScopeAdmin)
			if err != nil {
				t.Fatal(err)
			}
			s3, _, b3 := f.do("POST", "/licenses", other, `{"productId":"app","seats":4}`, "Idempotency-Key", "order-1")
			if s3 != 201 || bytes.Equal(b3, b1) {
				t.Fatalf("other token: got %d %s", s3, b3)
			}
			if n := count(); n != 2 {
				t.Fatalf("got %d licenses, want 2", n)
			}

			// Twenty at once: one license; every answer is the first, once
			// it is kept.
			const n = 20
			var wg sync.WaitGroup
			answers := make([][]byte, n)
			for i := range n {
				wg.Go(func() {
					for {
						s, _, b := f.do("POST", "/licenses", f.adminToken, `{"productId":"app","seats":7}`, "Idempotency-Key", "burst")
						if s == http.StatusConflict && strings.Contains(string(b), "idempotency_key_in_use") {
							continue
						}
						if s != 201 {
							t.Errorf("got %d %s", s, b)
						}
						answers[i] = b
						return
					}
				})
			}
			wg.Wait()
			for i := range answers {
				if !bytes.Equal(answers[i], answers[0]) {
					t.Fatalf("answer %d differs:\n%s\n%s", i, answers[i], answers[0])
				}
			}
			if n := count(); n != 3 {
				t.Fatalf("got %d licenses, want 3", n)
			}

			// A refusal is kept too; a bad key is refused.
			s4, _, b4 := f.do("POST", "/licenses", f.adminToken, `{"productId":"nope"}`, "Idempotency-Key", "bad-product")
			s5, h5, b5 := f.do("POST", "/licenses", f.adminToken, `{"productId":"nope"}`, "Idempotency-Key", "bad-product")
			if s4 != 404 || s5 != 404 || !bytes.Equal(b4, b5) || h5.Get("Idempotent-Replayed") != "true" {
				t.Errorf("refusal: got %d %s, then %d %s", s4, b4, s5, b5)
			}
			for _, key := range []string{strings.Repeat("k", 256), "tab\tkey", "é"} {
				s, _, b := f.do("POST", "/licenses", f.adminToken, body, "Idempotency-Key", key)
				problemOf(t, s, b, 400, "bad_request")
			}
			// A release replays its answer instead of failing the second time.
			l := license.License{}
			if err := json.Unmarshal(b1, &l); err != nil {
				t.Fatal(err)
			}
			res, err := f.svc.Activate(ctx, license.ActivationRequest{LicenseID: l.ID, ComputerID: "pc-1"})
			if err != nil {
				t.Fatal(err)
			}
			path := "/activations/" + res.Activation.AID + "/release"
			r1, _, a1 := f.do("POST", path, f.adminToken, "", "Idempotency-Key", "rel-1")
			r2, _, a2 := f.do("POST", path, f.adminToken, "", "Idempotency-Key", "rel-1")
			r3, _, a3 := f.do("POST", path, f.adminToken, "")
			if r1 != 200 || r2 != 200 || !bytes.Equal(a1, a2) {
				t.Errorf("release: got %d %s, then %d %s", r1, a1, r2, a2)
			}
			problemOf(t, r3, a3, 409, "activation_released")
		})
	}
}

// A kept answer is forgotten after the TTL: the key starts a new request.
func TestIdempotencyTTL(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f := newFixture(t, memStore(t), admin.WithClock(clock), admin.WithIdempotencyTTL(time.Hour))
	f.product("app")
	_, _, b1 := f.do("POST", "/licenses", f.adminToken, `{"productId":"app"}`, "Idempotency-Key", "k")
	mu.Lock()
	now = now.Add(59 * time.Minute)
	mu.Unlock()
	_, h2, b2 := f.do("POST", "/licenses", f.adminToken, `{"productId":"app"}`, "Idempotency-Key", "k")
	if !bytes.Equal(b1, b2) || h2.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("within the TTL: got %s, want %s", b2, b1)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	s3, h3, b3 := f.do("POST", "/licenses", f.adminToken, `{"productId":"app"}`, "Idempotency-Key", "k")
	if s3 != 201 || bytes.Equal(b1, b3) || h3.Get("Idempotent-Replayed") != "" {
		t.Fatalf("after the TTL: got %d %s", s3, b3)
	}
}
