package middleware_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/status"
	"github.com/licgate/licgate/middleware"
)

// TestGate_leaseEndsWhileCached: a lease is refused the moment it ends,
// though its state is cached for longer; the gate asks the source again
// then, so that a lease renewed in the meantime goes on at once.
func TestGate_leaseEndsWhileCached(t *testing.T) {
	t.Parallel()
	const ttl, lease = 30 * time.Second, 10 * time.Second
	tests := []struct {
		name       string
		atLeaseEnd func(st *license.State, err *error) // what the source says when the lease ends
		wantStatus int
		wantReason string
	}{
		{"not renewed", nil, 403, middleware.ReasonLeaseExpired},
		{"renewed", func(st *license.State, _ *error) { st.LeaseUntil = t0.Add(lease + time.Minute) }, 200, ""},
		// The last known state serves through the outage, and refuses.
		{"source down", func(_ *license.State, err *error) { *err = errors.New("down") }, 403, middleware.ReasonLeaseExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ks := newKeySet(t)
			tok := sign(t, ks, nil)
			clk := newClock()
			src := newMutableSource()
			src.set(func(st *license.State, _ *error) { st.LeaseUntil = t0.Add(lease) })
			d := &decisions{}
			h := newGate(t, ks, src, clk, middleware.WithStateTTL(ttl), middleware.WithDecisionHook(d.hook)).Handler(echo)

			for _, at := range []time.Duration{0, lease - time.Second} {
				clk.Set(t0.Add(at))
				if w := do(h, tok); w.Code != 200 {
					t.Fatalf("lease running, at +%v: got %d %s, want 200", at, w.Code, w.Body)
				}
			}
			if got := src.calls.Load(); got != 1 {
				t.Fatalf("source asked %d times while the lease ran, want 1", got)
			}
			if tt.atLeaseEnd != nil {
				src.set(tt.atLeaseEnd)
			}
			d.take()
			clk.Set(t0.Add(lease))
			w := do(h, tok)
			if w.Code != tt.wantStatus {
				t.Fatalf("at the lease's end, within the TTL: got %d %s, want %d", w.Code, w.Body, tt.wantStatus)
			}
			if got := src.calls.Load(); got != 2 {
				t.Errorf("source asked %d times, want 2: again when the lease ended", got)
			}
			if tt.wantReason == "" {
				return
			}
			if got := problemReason(t, w); got != tt.wantReason {
				t.Errorf("reason: got %q, want %q", got, tt.wantReason)
			}
			if got := d.take(); len(got) != 1 || got[0] != tt.wantReason {
				t.Errorf("decision hook told %q, want [%s]", got, tt.wantReason)
			}
		})
	}
}

// TestNewRemote_lease: the leaseUntil of a status endpoint's answer is
// honoured.
func TestNewRemote_lease(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	tok := sign(t, ks, nil)
	clk := newClock()
	var (
		mu    sync.Mutex
		until = t0.Add(10 * time.Second)
		asked atomic.Int64
	)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(ks.JWKS())
	})
	mux.HandleFunc("GET "+status.Path, func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		if r.Header.Get("Authorization") != "Bearer "+tok {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		st := activeState()
		st.LeaseUntil = until
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(st)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	gate, err := middleware.NewRemote(srv.URL, middleware.WithIssuer(testIssuer),
		middleware.WithHTTPClient(srv.Client()), middleware.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gate.Close() })
	h := gate.Handler(echo)
	renew := func(to time.Time) {
		mu.Lock()
		defer mu.Unlock()
		until = to
	}

	steps := []struct {
		name       string
		at         time.Duration
		renewTo    time.Duration // the server's leaseUntil from then on, if not 0
		wantStatus int
		wantAsked  int64
	}{
		{"lease running", 0, 0, 200, 1},
		{"heartbeat renews it on the server", 5 * time.Second, 70 * time.Second, 200, 1},
		{"first lease ends: the gate asks and learns of the renewal", 10 * time.Second, 0, 200, 2},
		{"renewed lease ends unrenewed", 70 * time.Second, 0, 403, 3},
	}
	for _, st := range steps {
		clk.Set(t0.Add(st.at))
		if st.renewTo != 0 {
			renew(t0.Add(st.renewTo))
		}
		w := do(h, tok)
		if w.Code != st.wantStatus {
			t.Fatalf("%s: got %d %s, want %d", st.name, w.Code, w.Body, st.wantStatus)
		}
		if w.Code == 403 && problemReason(t, w) != middleware.ReasonLeaseExpired {
			t.Errorf("%s: reason %q, want %q", st.name, problemReason(t, w), middleware.ReasonLeaseExpired)
		}
		if got := asked.Load(); got != st.wantAsked {
			t.Errorf("%s: status endpoint asked %d times, want %d", st.name, got, st.wantAsked)
		}
	}
}
