package middleware_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/middleware"
)

const (
	testIssuer  = "https://lic.example"
	testAID     = "c2396d75-3236-4ca6-9f10-682c62bdebfe"
	testLicense = "9b2f6a4e-1c7d-4e8b-9a3f-2d5c6b7a8e9f"
	testProduct = "demo"
)

// t0 is the time every test starts at.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// clock is a settable clock for WithClock.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := new(clock)
	c.ns.Store(t0.UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }
func (c *clock) Set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *clock) Since0() time.Duration   { return c.Now().Sub(t0) }

// fakeSource is a func-field fake of middleware.StateSource that counts
// its calls.
type fakeSource struct {
	ActivationStateFn func(ctx context.Context, aid string) (license.State, error)
	calls             atomic.Int64
}

var _ middleware.StateSource = (*fakeSource)(nil)

func (f *fakeSource) ActivationState(ctx context.Context, aid string) (license.State, error) {
	f.calls.Add(1)
	return f.ActivationStateFn(ctx, aid)
}

// remoteFunc is a func-type fake of middleware.RemoteStateSource.
type remoteFunc func(ctx context.Context, aid, token string) (license.State, error)

var _ middleware.RemoteStateSource = remoteFunc(nil)

func (f remoteFunc) ActivationState(ctx context.Context, aid, token string) (license.State, error) {
	return f(ctx, aid, token)
}

// mutableSource answers with a state and an error that tests change.
type mutableSource struct {
	mu    sync.Mutex
	st    license.State
	err   error
	calls atomic.Int64
}

var _ middleware.StateSource = (*mutableSource)(nil)

func newMutableSource() *mutableSource { return &mutableSource{st: activeState()} }

func (m *mutableSource) ActivationState(_ context.Context, aid string) (license.State, error) {
	m.calls.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return license.State{}, m.err
	}
	if aid != m.st.AID {
		return license.State{}, license.ErrNotFound
	}
	return m.st, nil
}

func (m *mutableSource) set(fn func(st *license.State, err *error)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fn(&m.st, &m.err)
}

func activeState() license.State {
	return license.State{
		AID: testAID, LicenseID: testLicense, ProductID: testProduct,
		Activation: license.StatusActive, License: license.StatusActive, Status: license.StatusActive,
		Features: []string{"reports", "export"},
	}
}

// setLicense sets the license status of st, and the summed-up status.
func setLicense(st *license.State, s license.Status) {
	st.License, st.Status = s, s
}

// setActivation sets the activation status of st, and the summed-up status.
func setActivation(st *license.State, s license.Status) {
	st.Activation, st.Status = s, s
}

func newKeySet(t testing.TB) *license.KeySet {
	t.Helper()
	k, err := license.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	ks, err := license.NewKeySet(k)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func claims(now time.Time) *license.Claims {
	return &license.Claims{
		LicenseID:  testLicense,
		ComputerID: "PC-1",
		Features:   []string{"reports", "export"},
		Version:    "1.0",
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    testIssuer,
			Subject:   testAID,
			Audience:  jwt.ClaimStrings{testProduct},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(24 * time.Hour)),
		},
	}
}

func sign(t testing.TB, ks *license.KeySet, mod func(*license.Claims)) string {
	t.Helper()
	c := claims(t0)
	if mod != nil {
		mod(c)
	}
	s, err := ks.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newGate returns a gate on ks and src with the test issuer and clock.
func newGate(t testing.TB, ks *license.KeySet, src middleware.StateSource, clk *clock, opts ...middleware.Option) *middleware.Gate {
	t.Helper()
	base := []middleware.Option{
		middleware.WithKeySet(ks),
		middleware.WithStateSource(src),
		middleware.WithIssuer(testIssuer),
		middleware.WithClock(clk.Now),
	}
	g, err := middleware.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// echo answers 200 with the grant's AID, license and features.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	g, ok := middleware.FromContext(r.Context())
	if !ok {
		http.Error(w, "no grant in context", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"aid": g.AID(), "license": g.Claims.LicenseID, "product": g.State.ProductID,
		"features": g.State.Features, "stale": g.Stale,
	})
})

// do runs one request with a bearer token (none if empty) through h.
func do(h http.Handler, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/api", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// problemReason returns the reason of a problem body.
func problemReason(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body %q: %v", w.Body.String(), err)
	}
	if p.Status != w.Code {
		t.Errorf("problem status %d, response status %d", p.Status, w.Code)
	}
	return p.Reason
}
