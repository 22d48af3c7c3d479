package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/license/rest"
)

// realServer is licgate itself (license.Service on memstore behind
// rest.Handler) on a loopback HTTP server, whose clock runs skew ahead of
// the client's test clock, with faults injected in front of the handler.
type realServer struct {
	*httptest.Server
	clock *testClock // the client's
	skew  atomic.Int64
	svc   *license.Service
	lic   license.License // floating, one seat
	key   license.License // activation by key, one seat
	pins  []string

	mu    sync.Mutex
	fault func(r *http.Request) (int, string)
	beats int
	codes []string // sent by email
}

// Notify keeps the codes the service sends.
func (s *realServer) Notify(_ context.Context, m license.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes = append(s.codes, m.Code)
	return nil
}

func (s *realServer) lastCode() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.codes) == 0 {
		return ""
	}
	return s.codes[len(s.codes)-1]
}

func (s *realServer) now() time.Time { return s.clock.Now().Add(time.Duration(s.skew.Load())) }

func newRealServer(t *testing.T, ttl time.Duration) *realServer {
	t.Helper()
	s := &realServer{clock: newTestClock()}
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	svc, err := license.NewService(memstore.New(), license.WithKeySet(ks),
		license.WithSecret([]byte("0123456789abcdef0123456789abcdef")), license.WithClock(s.now),
		license.WithEmailNotifier(s))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Cleanup(func() { svc.Close(ctx) })
	if _, err := svc.CreateProduct(ctx, license.Product{ID: "app", Name: "App", Major: 1}); err != nil {
		t.Fatal(err)
	}
	if s.lic, err = svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Seats: 1, Floating: true, LeaseTTL: ttl}); err != nil {
		t.Fatal(err)
	}
	if s.key, err = svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Seats: 1, Customer: license.Customer{Email: "ann@example.com"}}); err != nil {
		t.Fatal(err)
	}
	h, err := rest.NewHandler(svc)
	if err != nil {
		t.Fatal(err)
	}
	s.svc, s.pins = svc, []string{k.ID}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		fault := s.fault
		s.mu.Unlock()
		if fault != nil {
			if status, ra := fault(r); status != 0 {
				if ra != "" {
					w.Header().Set("Retry-After", ra)
				}
				http.Error(w, "injected", status)
				return
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if isBeat(r) && rec.Code == http.StatusOK {
			s.mu.Lock()
			s.beats++
			s.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *realServer) setFault(fn func(r *http.Request) (int, string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = fn
}

func (s *realServer) beatCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.beats
}

func (s *realServer) client(t *testing.T, hook func(time.Duration), opts ...Option) *Client {
	t.Helper()
	c, err := New(s.URL, append([]Option{WithClock(s.clock.Now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	c.wait = fakeWait(s.clock, hook)
	return c
}

// seatFree reports whether another instance can take the seat, and gives
// it back if so.
func (s *realServer) seatFree(t *testing.T) bool {
	t.Helper()
	c := s.client(t, nil)
	l, err := c.Lease(context.Background(), s.lic.Key, "probe", "")
	if errors.Is(err, license.ErrNoSeats) {
		return false
	}
	if err != nil {
		t.Fatalf("probe lease: %v", err)
	}
	if err := l.Release(context.Background()); err != nil {
		t.Fatalf("probe release: %v", err)
	}
	return true
}

func TestRealKeepHoldsTheSeatAndGivesItBack(t *testing.T) {
	t.Parallel()
	s := newRealServer(t, 30*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var c *Client
	c = s.client(t, func(time.Duration) {
		if s.beatCount() == 6 {
			if s.seatFree(t) {
				t.Error("the seat was free while the lease was kept")
			}
			cancel()
		}
	})
	l, err := c.Lease(ctx, s.lic.Key, "inst-1", "worker")
	if err != nil {
		t.Fatal(err)
	}
	if l.TTL() != 30*time.Second {
		t.Errorf("TTL %v, want 30s", l.TTL())
	}
	if err := l.Keep(ctx); err != nil {
		t.Fatalf("Keep: got %v, want nil", err)
	}
	// Six beats, each a third of the TTL apart, carried it well past
	// its first end.
	if got := s.clock.Now().Sub(start); got != 70*time.Second {
		t.Errorf("Keep ran %v, want 70s (to the wait after the sixth beat)", got)
	}
	if !s.seatFree(t) {
		t.Error("the seat is still held after Keep ended")
	}
}

func TestRealKeepSurvivesAnOutage(t *testing.T) {
	t.Parallel()
	s := newRealServer(t, 30*time.Second)
	outageEnd := start.Add(25 * time.Second)
	s.setFault(func(r *http.Request) (int, string) {
		if isBeat(r) && s.clock.Now().Before(outageEnd) {
			return http.StatusServiceUnavailable, ""
		}
		return 0, ""
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := s.client(t, func(time.Duration) {
		if s.beatCount() == 2 {
			cancel()
		}
	})
	l, err := c.Lease(ctx, s.lic.Key, "inst-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Keep(ctx); err != nil {
		t.Fatalf("Keep: got %v, want nil", err)
	}
	if s.beatCount() != 2 {
		t.Errorf("beats %d, want 2", s.beatCount())
	}
}

func TestRealKeepReportsALeaseThatRanOut(t *testing.T) {
	t.Parallel()
	s := newRealServer(t, 30*time.Second)
	// The server's clock jumps on while the client waits for its first
	// beat: by the server's account the lease ran out, though its token
	// (two TTLs) still holds.
	c := s.client(t, func(time.Duration) { s.skew.Store(int64(35 * time.Second)) })
	ctx := context.Background()
	l, err := c.Lease(ctx, s.lic.Key, "inst-1", "")
	if err != nil {
		t.Fatal(err)
	}
	err = l.Keep(ctx)
	if !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("Keep: got %v, want ErrLeaseLost", err)
	}
	var p *ProblemError
	if !errors.As(err, &p) || p.Status != http.StatusConflict || !errors.Is(err, license.ErrLeaseExpired) {
		t.Fatalf("Keep: got %v, want the server's 409 lease_expired inside", err)
	}
	if !s.seatFree(t) {
		t.Error("the seat of a lease that ran out is held")
	}
}

func TestRealKeepReportsARevokedLease(t *testing.T) {
	t.Parallel()
	s := newRealServer(t, 30*time.Second)
	var l *Lease
	c := s.client(t, func(time.Duration) {
		if s.beatCount() == 1 {
			if _, err := s.svc.RevokeActivation(context.Background(), l.ID()); err != nil {
				t.Errorf("revoke: %v", err)
			}
		}
	})
	ctx := context.Background()
	l, err := c.Lease(ctx, s.lic.Key, "inst-1", "")
	if err != nil {
		t.Fatal(err)
	}
	err = l.Keep(ctx)
	if !errors.Is(err, ErrLeaseLost) || !errors.Is(err, license.ErrRevoked) {
		t.Fatalf("Keep: got %v, want ErrLeaseLost and license.ErrRevoked", err)
	}
}

func TestRealKeepPicksUpFreshTokens(t *testing.T) {
	t.Parallel()
	// A long lease whose token the server renews on some heartbeat: run
	// Keep long enough for the token to be replaced.
	s := newRealServer(t, license.MinLeaseTTL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var l *Lease
	var first string
	c := s.client(t, func(time.Duration) {
		if l.Token() != first || s.beatCount() > 10000 {
			cancel()
		}
	})
	l, err := c.Lease(ctx, s.lic.Key, "inst-1", "")
	if err != nil {
		t.Fatal(err)
	}
	first = l.Token()
	if err := l.Keep(ctx); err != nil {
		t.Fatalf("Keep: %v", err)
	}
	if l.Token() == first {
		t.Fatalf("no fresh token after %d beats", s.beatCount())
	}
	// The fresh token is the lease's: it verifies, and the lease is free.
	v, _ := license.NewVerifier(license.VerifierConfig{Keyfunc: s.svc.KeySet().Keyfunc, Issuer: s.svc.Issuer(), Now: s.now})
	if c, err := v.Verify(l.Token()); err != nil || c.AID() != l.ID() {
		t.Errorf("fresh token: %v", err)
	}
	if !s.seatFree(t) {
		t.Error("the seat is held after Keep ended")
	}
}

func TestRealActivateAndOffline(t *testing.T) {
	t.Parallel()
	s := newRealServer(t, 30*time.Second)
	ctx := context.Background()
	dir := t.TempDir()
	c := s.client(t, nil, WithDir(dir), WithProductID("app"))
	a, err := c.Activate(ctx, s.key.Key, "pc-1", "Ann's PC")
	if err != nil {
		t.Fatal(err)
	}
	if a.LicenseID != s.key.ID || a.ProductID != "app" || a.Existing {
		t.Errorf("got %+v", a)
	}
	if tok, err := s.client(t, nil, WithDir(dir)).Token(); err != nil || tok != a.Token {
		t.Errorf("Token: %q, %v", tok, err)
	}
	if _, err := c.Activate(ctx, s.key.Key, "pc-2", ""); !errors.Is(err, license.ErrNoSeats) {
		t.Errorf("second computer: got %v, want ErrNoSeats", err)
	}
	if _, err := c.Activate(ctx, s.lic.Key, "pc-1", ""); !errors.Is(err, license.ErrFloating) {
		t.Errorf("floating license: got %v, want ErrFloating", err)
	}
	if _, err := c.Lease(ctx, s.key.Key, "i", ""); !errors.Is(err, license.ErrFloating) {
		t.Errorf("lease of a license that is not floating: got %v, want ErrFloating", err)
	}
	if err := c.RequestCode(ctx, "nobody@example.com", "pc-1"); err != nil {
		t.Errorf("RequestCode for an unknown address: %v", err)
	}
	// By code, on pc-1, which holds the seat: the same activation.
	if err := c.RequestCode(ctx, "ann@example.com", "pc-1"); err != nil {
		t.Fatalf("RequestCode: %v", err)
	}
	// The service sends the code after it answered.
	code := ""
	for deadline := time.Now().Add(10 * time.Second); code == "" && time.Now().Before(deadline); code = s.lastCode() {
		time.Sleep(10 * time.Millisecond)
	}
	if code == "" {
		t.Fatal("no code was sent")
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if _, err := c.ActivateByCode(ctx, wrong, "ann@example.com", "pc-1", ""); !errors.Is(err, license.ErrCodeInvalid) {
		t.Errorf("wrong code: got %v, want ErrCodeInvalid", err)
	}
	byCode, err := c.ActivateByCode(ctx, code, "ann@example.com", "pc-1", "")
	if err != nil || byCode.AID != a.AID || !byCode.Existing {
		t.Fatalf("ActivateByCode: got %+v, %v", byCode, err)
	}
	if tok, _ := c.Token(); tok != byCode.Token {
		t.Errorf("the token of the code activation was not kept")
	}

	// Offline, on another license with a free seat.
	l2, err := s.svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	req, err := NewOfflineRequest(l2.Key, "pc-off", "")
	if err != nil {
		t.Fatal(err)
	}
	file, err := c.Offline(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	off, _ := New("", WithClock(s.clock.Now), WithPinnedKeys(s.pins...))
	if _, claims, err := off.LoadLicenseFile(file, "pc-off"); err != nil || claims.LicenseID != l2.ID {
		t.Fatalf("LoadLicenseFile: %v", err)
	}
	if _, _, err := off.LoadLicenseFile(file, "pc-1"); !errors.Is(err, license.ErrComputerMismatch) {
		t.Errorf("another computer: got %v", err)
	}
}

func TestRealLeaseWithASkewedClock(t *testing.T) {
	t.Parallel()
	s := newRealServer(t, 30*time.Second)
	// The server's clock is 25 s behind this computer's: by this clock
	// the lease seems to end 5 s after its grant.
	s.skew.Store(int64(-25 * time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := s.client(t, func(time.Duration) {
		if s.beatCount() == 3 {
			cancel()
		}
	})
	l, err := c.Lease(ctx, s.lic.Key, "inst-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if l.TTL() != license.MinLeaseTTL {
		t.Errorf("TTL %v, want the shortest a lease can be, %v", l.TTL(), license.MinLeaseTTL)
	}
	if err := l.Keep(ctx); err != nil {
		t.Fatalf("Keep: %v", err)
	}
	if s.beatCount() != 3 {
		t.Errorf("beats %d, want 3", s.beatCount())
	}
}
