package middleware_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/middleware"
)

// decisions is a DecisionHook that keeps the reasons it is given.
type decisions struct {
	mu      sync.Mutex
	reasons []string
}

func (d *decisions) hook(r *http.Request, reason string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reasons = append(d.reasons, reason)
}

func (d *decisions) take() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.reasons
	d.reasons = nil
	return out
}

func TestDecisionHook(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	good := sign(t, ks, nil)
	tests := []struct {
		name  string
		state func(st *license.State, err *error)
		token string
		want  []string
	}{
		{"let through", nil, good, []string{middleware.ReasonOK}},
		{"no token", nil, "", []string{middleware.ReasonTokenMissing}},
		{"malformed", nil, "not-a-token", []string{middleware.ReasonTokenMalformed}},
		{"suspended", func(st *license.State, _ *error) { setLicense(st, license.StatusSuspended) }, good, []string{middleware.ReasonSuspended}},
		{"revoked activation", func(st *license.State, _ *error) { setActivation(st, license.StatusRevoked) }, good, []string{middleware.ReasonActivationRevoked}},
		{"lease ended", func(st *license.State, _ *error) { st.LeaseUntil = t0 }, good, []string{middleware.ReasonLeaseExpired}},
		{"source down", func(_ *license.State, err *error) { *err = errors.New("down") }, good, []string{middleware.ReasonStateUnavailable}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := newMutableSource()
			if tt.state != nil {
				src.set(tt.state)
			}
			d := &decisions{}
			g := newGate(t, ks, src, newClock(), middleware.WithDecisionHook(d.hook))
			w := do(g.Handler(echo), tt.token)
			got := d.take()
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if w.Code != http.StatusOK && problemReason(t, w) != got[0] {
				t.Errorf("hook told %q, problem says %q", got[0], problemReason(t, w))
			}
		})
	}
}

func TestDecisionHookNested(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	d := &decisions{}
	g := newGate(t, ks, newMutableSource(), newClock(), middleware.WithDecisionHook(d.hook))
	tok := sign(t, ks, nil)
	if w := do(g.Handler(g.Require("reports")(echo)), tok); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if got := d.take(); fmt.Sprint(got) != "[ok]" {
		t.Errorf("passing both: got %q, want [ok]", got)
	}
	if w := do(g.Handler(g.Require("missing")(echo)), tok); w.Code != http.StatusForbidden {
		t.Fatalf("status %d", w.Code)
	}
	if got := d.take(); fmt.Sprint(got) != "[ok feature_missing]" {
		t.Errorf("refused inside: got %q, want [ok feature_missing]", got)
	}
	// A preflight let by is not decided.
	pg := newGate(t, ks, newMutableSource(), newClock(), middleware.WithDecisionHook(d.hook), middleware.WithCORSPreflight())
	r := httptest.NewRequest(http.MethodOptions, "/api", nil)
	r.Header.Set("Origin", "https://app.example")
	r.Header.Set("Access-Control-Request-Method", "GET")
	pg.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(httptest.NewRecorder(), r)
	if got := d.take(); len(got) != 0 {
		t.Errorf("preflight: got %q, want nothing", got)
	}
}

func TestWithDecisionHookNil(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	_, err := middleware.New(middleware.WithKeySet(ks), middleware.WithStateSource(newMutableSource()), middleware.WithDecisionHook(nil))
	if !errors.Is(err, middleware.ErrBadOption) {
		t.Errorf("got %v, want ErrBadOption", err)
	}
}
