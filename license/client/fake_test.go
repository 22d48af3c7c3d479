package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
)

// start is when the test clocks begin.
var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testClock is a clock that moves only when told to.
type testClock struct{ t atomic.Pointer[time.Time] }

func newTestClock() *testClock {
	c := &testClock{}
	c.Set(start)
	return c
}

func (c *testClock) Now() time.Time  { return *c.t.Load() }
func (c *testClock) Set(t time.Time) { c.t.Store(&t) }
func (c *testClock) Advance(d time.Duration) {
	for {
		old := c.t.Load()
		t := old.Add(d)
		if c.t.CompareAndSwap(old, &t) {
			return
		}
	}
}

// fakeWait returns a wait that moves clk on by d at once instead of
// sleeping, and then calls hook, if any, with d.
func fakeWait(clk *testClock, hook func(d time.Duration)) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		clk.Advance(d)
		if hook != nil {
			hook(d)
		}
		return ctx.Err()
	}
}

// fakeServer speaks the wire contract of license/rest, with the fault
// injection the lease tests need: leases in memory, activations and
// offline files from a real license.Service, all on one test clock.
type fakeServer struct {
	*httptest.Server
	clock *testClock
	svc   *license.Service
	key   string // of the license that activates, one seat
	fkey  string // of the floating license, ttl, seats
	pins  []string
	ttl   time.Duration
	seats int

	mu      sync.Mutex
	leases  map[string]*fakeLease
	beats   []time.Time // when heartbeats were renewed, by the clock
	deletes int
	n       int
	// fresh makes every heartbeat issue a new token.
	fresh bool
	// fault, if set, may answer a request instead of the server: it
	// returns the status (0 for none) and a Retry-After.
	fault func(r *http.Request) (int, string)
	// codes counts code requests.
	codes int
}

type fakeLease struct {
	id, instance, token string
	end                 time.Time
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	f := &fakeServer{clock: newTestClock(), ttl: 30 * time.Second, seats: 1, leases: map[string]*fakeLease{}}
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	svc, err := license.NewService(memstore.New(), license.WithKeySet(ks),
		license.WithSecret([]byte("0123456789abcdef0123456789abcdef")), license.WithClock(f.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.CreateProduct(ctx, license.Product{ID: "app", Name: "App", Major: 1}); err != nil {
		t.Fatal(err)
	}
	l, err := svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Customer: license.Customer{Email: "ann@example.com"}, Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	f.svc, f.key, f.fkey, f.pins = svc, l.Key, "FLOAT-KEY", []string{k.ID}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() { f.Close(); svc.Close(ctx) })
	return f
}

func problem(w http.ResponseWriter, status int, reason string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"type":"urn:licgate:problem:%s","title":"t","status":%d,"detail":"d","reason":%q}`, reason, status, reason)
}

func writeAnswer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	fault := f.fault
	f.mu.Unlock()
	if fault != nil {
		if status, ra := fault(r); status != 0 {
			if ra != "" {
				w.Header().Set("Retry-After", ra)
			}
			if status >= 500 {
				http.Error(w, "down", status)
			} else {
				problem(w, status, license.OutcomeRateLimited)
			}
			return
		}
	}
	ctx := r.Context()
	switch p := r.URL.Path; {
	case r.Method == http.MethodPost && p == "/v1/activations":
		var q activationRequest
		json.NewDecoder(r.Body).Decode(&q)
		l, err := f.svc.LicenseByKey(ctx, q.Key)
		if err != nil {
			problem(w, 404, license.Outcome(err))
			return
		}
		res, err := f.svc.Activate(ctx, license.ActivationRequest{LicenseID: l.ID, ComputerID: q.ComputerID, ComputerName: q.ComputerName})
		if err != nil {
			problem(w, 409, license.Outcome(err))
			return
		}
		status := http.StatusCreated
		if res.Existing {
			status = http.StatusOK
		}
		writeAnswer(w, status, Activation{AID: res.Activation.AID, LicenseID: l.ID, ProductID: "app", ComputerID: q.ComputerID,
			Token: res.Token, ExpiresAt: f.clock.Now().Add(time.Hour), Existing: res.Existing})
	case r.Method == http.MethodPost && p == "/v1/codes":
		f.mu.Lock()
		f.codes++
		f.mu.Unlock()
		writeAnswer(w, http.StatusAccepted, map[string]string{"status": "accepted"})
	case r.Method == http.MethodPost && p == "/v1/offline":
		data, _ := io.ReadAll(r.Body)
		req, err := license.ParseOfflineRequest(data)
		if err != nil {
			problem(w, 400, license.OutcomeInvalid)
			return
		}
		lf, err := f.svc.ActivateOffline(ctx, req)
		if err != nil {
			problem(w, 409, license.Outcome(err))
			return
		}
		writeAnswer(w, http.StatusOK, lf)
	case r.Method == http.MethodPost && p == "/v1/leases":
		f.takeLease(w, r)
	case strings.HasPrefix(p, "/v1/leases/"):
		f.lease(w, r, strings.TrimPrefix(p, "/v1/leases/"))
	default:
		problem(w, 404, license.OutcomeNotFound)
	}
}

func (f *fakeServer) takeLease(w http.ResponseWriter, r *http.Request) {
	var q struct{ Key, Instance, Name string }
	json.NewDecoder(r.Body).Decode(&q)
	f.mu.Lock()
	defer f.mu.Unlock()
	if q.Key != f.fkey {
		problem(w, 404, license.OutcomeNotFound)
		return
	}
	now := f.clock.Now()
	live := 0
	for _, l := range f.leases {
		if now.Before(l.end) {
			if l.instance == q.Instance {
				l.end = now.Add(f.ttl)
				writeAnswer(w, http.StatusOK, leaseAnswer{ID: l.id, Token: l.token, ExpiresAt: l.end, TokenExpiresAt: l.end.Add(time.Hour)})
				return
			}
			live++
		}
	}
	if live >= f.seats {
		problem(w, 409, license.OutcomeNoSeats)
		return
	}
	f.n++
	l := &fakeLease{id: fmt.Sprintf("lease-%d", f.n), instance: q.Instance, token: fmt.Sprintf("tok-%d-0", f.n), end: now.Add(f.ttl)}
	f.leases[l.id] = l
	writeAnswer(w, http.StatusCreated, leaseAnswer{ID: l.id, Token: l.token, ExpiresAt: l.end, TokenExpiresAt: l.end.Add(time.Hour)})
}

func (f *fakeServer) lease(w http.ResponseWriter, r *http.Request, rest string) {
	id, tail, _ := strings.Cut(rest, "/")
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.leases[id]
	if !ok {
		problem(w, 404, license.OutcomeNotFound)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+l.token {
		problem(w, 401, license.OutcomeToken)
		return
	}
	now := f.clock.Now()
	switch {
	case r.Method == http.MethodDelete && tail == "":
		f.deletes++
		delete(f.leases, id)
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPost && tail == "heartbeat":
		if !now.Before(l.end) {
			problem(w, 409, license.ReasonLeaseExpired)
			return
		}
		l.end = now.Add(f.ttl)
		f.beats = append(f.beats, now)
		a := leaseAnswer{ID: l.id, ExpiresAt: l.end}
		if f.fresh {
			l.token = fmt.Sprintf("%s-%d", l.token, len(f.beats))
			a.Token, a.TokenExpiresAt = l.token, now.Add(time.Hour)
		}
		writeAnswer(w, http.StatusOK, a)
	default:
		problem(w, 405, "method_not_allowed")
	}
}

// live returns how many leases hold a seat now.
func (f *fakeServer) live() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, l := range f.leases {
		if f.clock.Now().Before(l.end) {
			n++
		}
	}
	return n
}

func (f *fakeServer) deleted() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.deletes
}

func (f *fakeServer) beatTimes() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.beats...)
}

func (f *fakeServer) setFault(fn func(r *http.Request) (int, string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fn
}

// newTestClient returns a client of f on f's clock whose waits move the
// clock, with opts after those.
func newTestClient(t *testing.T, f *fakeServer, hook func(time.Duration), opts ...Option) *Client {
	t.Helper()
	c, err := New(f.URL, append([]Option{WithClock(f.clock.Now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	c.wait = fakeWait(f.clock, hook)
	return c
}
