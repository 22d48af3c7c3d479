package ems_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/ems"
	"github.com/licgate/licgate/license/memstore"
)

// recorder is an Observer that keeps the activation events.
type recorder struct {
	mu   sync.Mutex
	acts []license.ActivationEvent
}

var _ license.Observer = (*recorder)(nil)

func (r *recorder) Activation(_ context.Context, e license.ActivationEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acts = append(r.acts, e)
}

func (r *recorder) CodeRequest(context.Context, license.CodeEvent) {}

func (r *recorder) all() []license.ActivationEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]license.ActivationEvent(nil), r.acts...)
}

// TestActor checks that the service sees who asked: the EMS protocol, the
// client's address as WithClientIP gives it, and the request ID a server
// wrapping the handler put in the context.
func TestActor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		requestID string // put in the context by a wrapper; "" puts no actor
	}{
		{"with a request ID", "req-42"},
		{"without an actor", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			e := newEnvWith(t, memstore.New(), []license.Option{license.WithObserver(rec)})
			h := e.mux(e.svc, ems.WithClientIP(func(*http.Request) string { return "203.0.113.9" }))
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.requestID != "" {
					r = r.WithContext(license.WithActor(r.Context(), license.Actor{Protocol: "other", Addr: "x", RequestID: tt.requestID}))
				}
				h.ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)
			e.srv = srv
			c := e.client()
			e.loginPK(c, "v90", e.lic.ProductKey)
			if r := e.activate(c, "v90", e.lic.ProductKey, fingerprintC2V("fp-actor")); r.status != http.StatusOK {
				t.Fatalf("activation: %d %s", r.status, r.body)
			}
			if r := e.activate(c, "v90", e.lic.ProductKey, fingerprintC2V("fp-other")); r.status != http.StatusConflict {
				t.Fatalf("second computer: %d %s, want 409", r.status, r.body)
			}
			acts := rec.all()
			if len(acts) != 2 {
				t.Fatalf("%d events, want 2: %+v", len(acts), acts)
			}
			want := license.Actor{Protocol: ems.Protocol, Addr: "203.0.113.9", RequestID: tt.requestID}
			for i, outcome := range []string{"ok", "no_seats"} {
				if a := acts[i]; a.Actor != want || a.Outcome != outcome || a.LicenseID != e.lic.ID {
					t.Errorf("event %d = actor %+v, outcome %q, license %q; want %+v, %q, %q", i, a.Actor, a.Outcome, a.LicenseID, want, outcome, e.lic.ID)
				}
			}
		})
	}
}
