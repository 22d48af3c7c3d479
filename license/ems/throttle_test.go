package ems_test

import (
	"testing"

	"github.com/licgate/licgate/license"
)

// TestLoginThrottled shows that guessing the vendor password from one
// address stops after the failures the service allows, even for the right
// password, and that another address is not affected.
func TestLoginThrottled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := func(pass string) string {
		return "<authenticationDetail><userName>" + vendorUser + "</userName><password>" + pass + "</password></authenticationDetail>"
	}
	for i := 0; i < license.DefaultFailuresPerAddr; i++ {
		if r := e.do(e.client(), "POST", e.url("v90", "login.ws"), "application/xml", body("guess")); r.status != 401 {
			t.Fatalf("guess %d: %d %s", i+1, r.status, r.body)
		}
	}
	r := e.do(e.client(), "POST", e.url("v90", "login.ws"), "application/xml", body(vendorPass))
	wantText(t, r, 429, "Too many failed attempts from this address. Try again later.")
}
