package qlm_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/qlm"
)

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu    sync.Mutex
	acts  []license.ActivationEvent
	codes []license.CodeEvent
}

var _ license.Observer = (*recorder)(nil)

func (r *recorder) Activation(_ context.Context, e license.ActivationEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acts = append(r.acts, e)
}

func (r *recorder) CodeRequest(_ context.Context, e license.CodeEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.codes = append(r.codes, e)
}

// TestActor checks that the service sees who asked, on every path that
// activates or asks for a code: the QLM protocol, the client's address as
// WithClientIP gives it, and the request ID of an actor already in the
// context.
func TestActor(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	f := newFixtureWith(t, []license.Option{license.WithObserver(rec)},
		qlm.WithClientIP(func(*http.Request) string { return "192.0.2.44" }))
	withID := func(r *http.Request) *http.Request {
		return r.WithContext(license.WithActor(r.Context(), license.Actor{Protocol: "outer", RequestID: "rid-7"}))
	}
	get := func(q string) *http.Request {
		return withID(httptest.NewRequest(http.MethodGet, "/qlm/qlmservice.asmx/"+q, nil))
	}
	if r := f.do(t, get("ValidateLicenseHttp?is_avkey="+f.lic.Key+"&is_pcid=PC-1&is_productid=2")); r.Error != "" {
		t.Fatal(r.Error)
	}
	if r := f.do(t, get("RequestAuthorizationCodeForActivationHttp?is_email=tom%40soraco.co&is_pcid=PC-2&is_productid=2")); r.Error != "" {
		t.Fatal(r.Error)
	}
	code := f.inbox.last(t).Code
	if r := f.do(t, get("ActivateKeyByAuthorizationCodeHttp?is_authcode="+code+"&is_pcid=PC-2&is_productid=2")); r.Error != "" {
		t.Fatal(r.Error)
	}
	if r := f.do(t, get("ValidateLicenseHttp?is_avkey="+f.lic.Key+"&is_pcid=PC-3&is_productid=2")); r.Error == "" {
		t.Fatal("a third computer on two seats was activated")
	}
	// Without an actor in the context, the handler still names the
	// protocol and the address.
	f.do(t, httptest.NewRequest(http.MethodGet, "/qlm/qlmservice.asmx/ValidateLicenseHttp?is_avkey="+f.lic.Key+"&is_pcid=PC-1", nil))

	want := license.Actor{Protocol: qlm.Protocol, Addr: "192.0.2.44", RequestID: "rid-7"}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	outcomes := []string{"ok", "ok", "no_seats", "ok"}
	if len(rec.acts) != len(outcomes) {
		t.Fatalf("%d activation events, want %d: %+v", len(rec.acts), len(outcomes), rec.acts)
	}
	for i, a := range rec.acts {
		w := want
		if i == len(outcomes)-1 {
			w.RequestID = ""
		}
		if a.Actor != w || a.Outcome != outcomes[i] {
			t.Errorf("event %d: actor %+v, outcome %q; want %+v, %q", i, a.Actor, a.Outcome, w, outcomes[i])
		}
	}
	if !rec.acts[1].ByCode {
		t.Error("the activation by code is not marked ByCode")
	}
	if len(rec.codes) != 1 || rec.codes[0].Actor != want || rec.codes[0].Outcome != "ok" || rec.codes[0].Channel != license.ChannelEmail {
		t.Errorf("code events = %+v", rec.codes)
	}
}
