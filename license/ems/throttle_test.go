package ems_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/ems"
)

func loginBody(pass string) string {
	return "<authenticationDetail><userName>" + vendorUser + "</userName><password>" + pass + "</password></authenticationDetail>"
}

// TestLoginThrottled shows that guessing the vendor password from one
// address stops after the failures the service allows, even for the right
// password.
func TestLoginThrottled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := 0; i < license.DefaultFailuresPerAddr; i++ {
		if r := e.do(e.client(), "POST", e.url("v90", "login.ws"), "application/xml", loginBody("guess")); r.status != 401 {
			t.Fatalf("guess %d: %d %s", i+1, r.status, r.body)
		}
	}
	r := e.do(e.client(), "POST", e.url("v90", "login.ws"), "application/xml", loginBody(vendorPass))
	wantText(t, r, 429, "Too many failed attempts from this address. Try again later.")
}

// TestLoginBurst: a burst of concurrent wrong passwords from one address
// gets at most the budget compared; the rest are refused without a
// comparison, and another address is not affected.
func TestLoginBurst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h, err := ems.NewHandler(e.svc, ems.WithVendorCredentials(vendorUser, vendorPass),
		ems.WithClientIP(func(r *http.Request) string { return r.Header.Get("X-Test-Addr") }))
	if err != nil {
		t.Fatal(err)
	}
	const n = 3 * license.DefaultFailuresPerAddr
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req := httptest.NewRequest("POST", "/ems/v90/ws/login.ws", strings.NewReader(loginBody("guess")))
			req.Header.Set("X-Test-Addr", "192.0.2.1")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			codes[i] = rec.Code
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[401] != license.DefaultFailuresPerAddr || count[429] != n-license.DefaultFailuresPerAddr {
		t.Errorf("statuses %v: want %d × 401 (the budget), the rest 429", count, license.DefaultFailuresPerAddr)
	}
	req := httptest.NewRequest("POST", "/ems/v90/ws/login.ws", strings.NewReader(loginBody(vendorPass)))
	req.Header.Set("X-Test-Addr", "198.51.100.7")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("another address: %d %s", rec.Code, rec.Body)
	}
}
