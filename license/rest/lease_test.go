package rest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

func TestLeaseFlow(t *testing.T) {
	t.Parallel()
	for _, kind := range []storeKind{mem, sqlite} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			testLeaseFlow(t, kind)
		})
	}
}

func testLeaseFlow(t *testing.T, kind storeKind) {
	e := newEnv(t, kind)
	const ttl = time.Minute
	l := e.license(t, license.NewLicense{Seats: 2, Floating: true, LeaseTTL: ttl})
	verifier, err := license.NewVerifier(license.VerifierConfig{Keyfunc: e.svc.KeySet().Keyfunc, Issuer: e.svc.Issuer(), Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	wantStatus := func(t *testing.T, r response, status int, reason string) {
		t.Helper()
		if r.status != status {
			t.Fatalf("status: got %d, want %d: %s", r.status, status, r.body)
		}
		if reason != "" {
			if got := r.reason(t); got != reason {
				t.Fatalf("reason: got %q, want %q", got, reason)
			}
		}
	}

	// Two seats: two instances take them, the third is refused.
	ra, a := e.take(t, l.Key, "worker-a")
	wantStatus(t, ra, http.StatusCreated, "")
	rb, b := e.take(t, l.Key, "worker-b")
	wantStatus(t, rb, http.StatusCreated, "")
	rc, _ := e.take(t, l.Key, "worker-c")
	wantStatus(t, rc, http.StatusConflict, license.OutcomeNoSeats)
	if !a.ExpiresAt.Equal(t0.Add(ttl)) || !a.TokenExpiresAt.Equal(t0.Add(2*ttl)) {
		t.Fatalf("lease a: expiresAt %v tokenExpiresAt %v, want %v and %v", a.ExpiresAt, a.TokenExpiresAt, t0.Add(ttl), t0.Add(2*ttl))
	}
	if c, err := verifier.Verify(a.Token); err != nil || c.Subject != a.ID {
		t.Fatalf("token of lease a: %v, subject %v, want %s", err, c, a.ID)
	}

	// Only the lease's own token gives it back.
	r := e.do(t, "DELETE", "/v1/leases/"+a.ID, nil, bearer(b.Token)...)
	wantStatus(t, r, http.StatusUnauthorized, reasonTokenInvalid)
	if got := r.header.Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
		t.Fatalf("WWW-Authenticate: got %q", got)
	}
	r = e.do(t, "DELETE", "/v1/leases/"+a.ID, nil)
	wantStatus(t, r, http.StatusUnauthorized, reasonTokenInvalid)
	if got := r.header.Get("WWW-Authenticate"); got != "Bearer" {
		t.Fatalf("WWW-Authenticate without a token: got %q, want Bearer", got)
	}
	r = e.do(t, "DELETE", "/v1/leases/"+a.ID, nil, bearer(a.Token)...)
	wantStatus(t, r, http.StatusNoContent, "")
	if len(r.body) != 0 {
		t.Fatalf("204 with a body: %q", r.body)
	}
	r = e.do(t, "DELETE", "/v1/leases/"+a.ID, nil, bearer(a.Token)...)
	wantStatus(t, r, http.StatusConflict, license.ReasonActivationReleased)
	r = e.do(t, "POST", "/v1/leases/"+a.ID+"/heartbeat", nil, bearer(a.Token)...)
	wantStatus(t, r, http.StatusConflict, license.ReasonActivationReleased)

	// The freed seat goes to the instance that was refused.
	rc, c := e.take(t, l.Key, "worker-c")
	wantStatus(t, rc, http.StatusCreated, "")

	// c beats, b does not.
	e.clock.Advance(30 * time.Second)
	r = e.do(t, "POST", "/v1/leases/"+c.ID+"/heartbeat", nil, bearer(c.Token)...)
	wantStatus(t, r, http.StatusOK, "")
	var hb lease
	r.json(t, &hb)
	if hb.ID != c.ID || !hb.ExpiresAt.Equal(t0.Add(30*time.Second+ttl)) || hb.Token != "" || !hb.TokenExpiresAt.IsZero() {
		t.Fatalf("heartbeat far from the token's end: %s", r.body)
	}

	// b ran out: its seat is the next instance's, its heartbeat is refused.
	e.clock.Advance(31 * time.Second)
	rd, d := e.take(t, l.Key, "worker-d")
	wantStatus(t, rd, http.StatusCreated, "")
	r = e.do(t, "POST", "/v1/leases/"+b.ID+"/heartbeat", nil, bearer(b.Token)...)
	wantStatus(t, r, http.StatusConflict, license.ReasonLeaseExpired)
	r = e.do(t, "DELETE", "/v1/leases/"+b.ID, nil, bearer(b.Token)...)
	wantStatus(t, r, http.StatusConflict, license.ReasonLeaseExpired)

	// The same instance again gets its lease back.
	rc2, c2 := e.take(t, l.Key, "worker-c")
	wantStatus(t, rc2, http.StatusOK, "")
	if c2.ID != c.ID || c2.Token == "" {
		t.Fatalf("same instance again: id %s token %q, want id %s and a token", c2.ID, c2.Token, c.ID)
	}

	// Another lease's token, or none that verifies, is refused.
	for name, tok := range map[string]string{"other lease": d.Token, "garbage": "x.y.z", "activation key": l.Key} {
		r = e.do(t, "POST", "/v1/leases/"+c.ID+"/heartbeat", nil, bearer(tok)...)
		if r.status != http.StatusUnauthorized || r.reason(t) != reasonTokenInvalid {
			t.Fatalf("heartbeat with %s: got %d %s", name, r.status, r.body)
		}
	}

	// A fresh token only once less than a TTL of it is left.
	e.clock.Advance(30 * time.Second) // c2's token has 90 s left
	r = e.do(t, "POST", "/v1/leases/"+c.ID+"/heartbeat", nil, bearer(c2.Token)...)
	wantStatus(t, r, http.StatusOK, "")
	r.json(t, &hb)
	if hb.Token != "" {
		t.Fatalf("fresh token with 90 s left: %s", r.body)
	}
	e.clock.Advance(40 * time.Second) // 50 s left
	r = e.do(t, "POST", "/v1/leases/"+c.ID+"/heartbeat", nil, bearer(c2.Token)...)
	wantStatus(t, r, http.StatusOK, "")
	r.json(t, &hb)
	now := e.clock.Now()
	if hb.Token == "" || !hb.TokenExpiresAt.Equal(now.Add(2*ttl)) || !hb.ExpiresAt.Equal(now.Add(ttl)) {
		t.Fatalf("heartbeat near the token's end: %s", r.body)
	}
	if cl, err := verifier.Verify(hb.Token); err != nil || cl.Subject != c.ID {
		t.Fatalf("fresh token: %v", err)
	}

	// The old token expires while the lease lives: it no longer beats, but
	// it may still give the lease back.
	e.clock.Advance(51 * time.Second)
	r = e.do(t, "POST", "/v1/leases/"+c.ID+"/heartbeat", nil, bearer(c2.Token)...)
	wantStatus(t, r, http.StatusUnauthorized, reasonTokenInvalid)
	r = e.do(t, "DELETE", "/v1/leases/"+c.ID, nil, bearer(c2.Token)...)
	wantStatus(t, r, http.StatusNoContent, "")
}

// reasonTokenInvalid is rest.ReasonTokenInvalid, spelt out so the
// wire contract is tested, not the constant.
const reasonTokenInvalid = "token_invalid"

func TestLeaseRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, mem)
	fixed := e.license(t, license.NewLicense{Seats: 2})
	floating := e.license(t, license.NewLicense{Seats: 1, Floating: true})
	rfix, err := e.svc.Activate(t.Context(), license.ActivationRequest{LicenseID: fixed.ID, ComputerID: "pc-1"})
	if err != nil {
		t.Fatal(err)
	}
	_, held := e.take(t, floating.Key, "worker-1")

	tests := []struct {
		name       string
		method     string
		path       string
		body       any
		hdr        []string
		wantStatus int
		wantReason string
	}{
		{"not floating", "POST", "/v1/leases", map[string]string{"key": fixed.Key, "instance": "w"}, nil, 409, "floating"},
		{"unknown key", "POST", "/v1/leases", map[string]string{"key": unknownKey(t), "instance": "w"}, nil, 404, "not_found"},
		{"no key", "POST", "/v1/leases", map[string]string{"instance": "w"}, nil, 400, "bad_request"},
		{"no instance", "POST", "/v1/leases", map[string]string{"key": floating.Key}, nil, 400, "bad_request"},
		{"bad instance", "POST", "/v1/leases", map[string]string{"key": floating.Key, "instance": "has space"}, nil, 400, "invalid"},
		{"activation key with a computer", "POST", "/v1/activations", map[string]string{"key": floating.Key, "computerId": "pc-1"}, nil, 409, "floating"},
		{"activation as a lease", "POST", "/v1/leases/" + rfix.Activation.AID + "/heartbeat", nil, bearer(rfix.Token), 409, "floating"},
		{"activation returned as a lease", "DELETE", "/v1/leases/" + rfix.Activation.AID, nil, bearer(rfix.Token), 409, "floating"},
		{"heartbeat GET", "GET", "/v1/leases/" + held.ID + "/heartbeat", nil, bearer(held.Token), 405, "method_not_allowed"},
		{"lease GET", "GET", "/v1/leases/" + held.ID, nil, bearer(held.Token), 405, "method_not_allowed"},
		{"leases GET", "GET", "/v1/leases", nil, nil, 405, "method_not_allowed"},
		{"trailing slash", "DELETE", "/v1/leases/" + held.ID + "/", nil, bearer(held.Token), 404, "not_found"},
		{"deeper path", "POST", "/v1/leases/" + held.ID + "/heartbeat/x", nil, bearer(held.Token), 404, "not_found"},
		{"no id", "DELETE", "/v1/leases/", nil, bearer(held.Token), 404, "not_found"},
		{"basic auth", "POST", "/v1/leases/" + held.ID + "/heartbeat", nil, []string{"Authorization", "Basic eDp5"}, 401, "token_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := e.do(t, tt.method, tt.path, tt.body, tt.hdr...)
			if r.status != tt.wantStatus {
				t.Fatalf("status: got %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			if got := r.reason(t); got != tt.wantReason {
				t.Fatalf("reason: got %q, want %q", got, tt.wantReason)
			}
			if tt.wantStatus == 405 && r.header.Get("Allow") == "" {
				t.Fatal("405 without Allow")
			}
		})
	}
}

// Fifty instances ask at once for five seats: five get one.
func TestLeaseConcurrent(t *testing.T) {
	t.Parallel()
	for _, kind := range []storeKind{mem, sqlite} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, kind)
			l := e.license(t, license.NewLicense{Seats: 5, Floating: true})
			const n = 50
			var wg sync.WaitGroup
			statuses := make([]int, n)
			reasons := make([]string, n)
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					r, _ := e.take(t, l.Key, fmt.Sprintf("instance-%02d", i))
					statuses[i] = r.status
					if r.status >= 300 {
						reasons[i] = r.reason(t)
					}
				})
			}
			close(start)
			wg.Wait()
			count := map[string]int{}
			for i := range n {
				count[fmt.Sprint(statuses[i], " ", reasons[i])]++
			}
			if count["201 "] != 5 || count["409 no_seats"] != n-5 || len(count) != 2 {
				t.Fatalf("got %v, want 5 × 201 and %d × 409 no_seats", count, n-5)
			}
			got, err := e.svc.License(t.Context(), l.ID)
			if err != nil || got.SeatsHeld != 5 {
				t.Fatalf("seats held: got %d (%v), want 5", got.SeatsHeld, err)
			}
		})
	}
}

func BenchmarkHandler_heartbeat(b *testing.B) {
	e := newEnv(b, mem)
	l := e.license(b, license.NewLicense{Seats: 1, Floating: true})
	_, ls := e.take(b, l.Key, "worker")
	path := "/v1/leases/" + ls.ID + "/heartbeat"
	auth := "Bearer " + ls.Token
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", path, nil)
		req.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("heartbeat: %d %s", w.Code, w.Body)
		}
	}
}
