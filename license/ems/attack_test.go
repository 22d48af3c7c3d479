package ems_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/ems"
)

// tokenClaims verifies an activation token as a gated service does and
// returns its claims.
func (e *env) tokenClaims(token string) *license.Claims {
	e.t.Helper()
	v, err := license.NewVerifier(license.VerifierConfig{
		Keyfunc: e.svc.KeySet().Keyfunc, Issuer: e.svc.Issuer(), Now: func() time.Time { return *e.now.Load() },
	})
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := v.Verify(token)
	if err != nil {
		e.t.Fatalf("token: %v", err)
	}
	return c
}

// TestTokenOpensNothing replays the attack of issue 7 and fails if any
// step of it works. A gated service, its logs and its proxies see a
// customer's activation token, whose claims name the AID (sub), the license
// (lid) and the product (aud); /demo/hello echoes the license ID. In the
// first edition the license ID was the product key, so with it anyone
// could log in by product key, list the license's computers and AIDs,
// fetch a fresh token for another computer, and POST a new customerEmail.
// None of those values is a product key now, and a session of another
// product key sees nothing of the license.
func TestTokenOpensNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	victim := e.client()
	e.loginPK(victim, "v90", e.lic3.ProductKey)
	var aids []string
	var token string
	for _, host := range []string{"host-a", "host-b"} {
		r := e.activate(victim, "v90", e.lic3.ProductKey, fingerprintC2V(host))
		if r.status != http.StatusOK {
			t.Fatalf("the customer's activation: %d %s", r.status, r.body)
		}
		aids = append(aids, between(r.body, "<AID>", "</AID>"))
		token = between(naiveUnescape(between(r.body, "<activationString>", "</activationString>")), "<v2c>", "</v2c>")
	}
	claims := e.tokenClaims(token) // host-b's token
	if claims.LicenseID != e.lic3.ID || claims.AID() != aids[1] || claims.ProductID() != "memo" {
		t.Fatalf("claims %+v, want lid %s, sub %s, aud memo", claims, e.lic3.ID, aids[1])
	}
	before := e.license(e.lic3.ID)

	seen := []string{claims.LicenseID, claims.AID(), claims.ProductID(), claims.ComputerID,
		strings.ToUpper(claims.LicenseID), " " + claims.LicenseID + " "}
	t.Run("loginByProductKey with what a gated service sees", func(t *testing.T) {
		for _, v := range seen {
			for _, r := range []resp{
				e.do(e.client(), "POST", e.url("v90", "loginByProductKey.ws"), "application/x-www-form-urlencoded", "productKey="+url.QueryEscape(v)),
				e.do(e.client(), "POST", e.url("v21", "loginByProductKey.ws?productKey="+url.QueryEscape(v)), "", ""),
				e.do(e.client(), "GET", e.url("v710", "loginByProductKey.ws?productKey="+url.QueryEscape(v)), "", ""),
			} {
				wantText(t, r, http.StatusNotFound, ems.MsgNoProductKey)
				if c := r.header.Values("Set-Cookie"); len(c) != 0 {
					t.Errorf("productKey=%q set a cookie: %v", v, c)
				}
			}
		}
	})

	// What the attacker would do next, without a session and with a session
	// of a product key of its own.
	own := e.client()
	e.loginPK(own, "v90", e.other.ProductKey)
	next := []struct {
		name               string
		method, path, body string
		// wantBody is the answer to a session of another product key, a 404.
		wantBody string
	}{
		{"list the computers", "GET", "productKey/" + claims.LicenseID + ".ws", "", ems.MsgNoProductKeyInfo},
		{"a token for this computer", "GET", "activation/" + aids[1] + ".ws", "", ems.MsgNoActivation},
		{"a token for another computer", "GET", "activation/" + aids[0] + ".ws", "", ems.MsgNoActivation},
		{"activate a computer of its own", "POST", "productKey/" + claims.LicenseID + "/activation.ws",
			javaRequest(fingerprintC2V("attacker"), ""), ems.MsgNoProductKey},
		{"take over the customer", "POST", "productKey/" + claims.LicenseID + ".ws",
			"<productKey><productKeyId>" + claims.LicenseID + "</productKeyId><customerEmail>mallory@evil.example</customerEmail></productKey>",
			ems.MsgNoProductKey},
	}
	const noSession = "You are not logged in, or your session has expired or ended. Log in with login.ws or loginByProductKey.ws first."
	for _, tt := range next {
		t.Run(tt.name, func(t *testing.T) {
			ct := ""
			if tt.body != "" {
				ct = "application/xml"
			}
			wantText(t, e.do(e.client(), tt.method, e.url("v90", tt.path), ct, tt.body), http.StatusUnauthorized, noSession)
			wantText(t, e.do(e.client(), tt.method, e.url("v90", tt.path+";jsessionid="+claims.LicenseID), ct, tt.body), http.StatusUnauthorized, noSession)
			wantText(t, e.do(own, tt.method, e.url("v90", tt.path), ct, tt.body), http.StatusNotFound, tt.wantBody)
		})
	}

	after := e.license(e.lic3.ID)
	if after.Email != before.Email || after.SeatsHeld != 2 || after.Status != license.StatusActive {
		t.Errorf("the license changed: %+v, was %+v", after, before)
	}
	if as, err := e.svc.Activations(context.Background(), e.lic3.ID); err != nil || len(as) != 2 {
		t.Errorf("%d activations, %v; want the customer's 2", len(as), err)
	}
	// The customer's own session still works.
	if r := e.do(victim, "GET", e.url("v90", "activation/"+aids[0]+".ws"), "", ""); r.status != http.StatusOK {
		t.Errorf("the customer's GET: %d %s", r.status, r.body)
	}
}

// TestProductKeySessionRegistersOnce: a product-key session may attach a
// customer to a license sold without one, once; replacing the customer
// then takes the vendor.
func TestProductKeySessionRegistersOnce(t *testing.T) {
	t.Parallel()
	const hasCustomer = "The Product key already has a customer, and only the vendor may replace it. Log in with login.ws to change the customer."
	e := newEnv(t)
	c := e.client()
	e.loginPK(c, "v90", e.bare.ProductKey)
	pkURL := e.url("v90", "productKey/"+e.bare.ProductKey+".ws")
	if r := e.do(c, "GET", pkURL, "", ""); r.status != 200 || strings.Contains(r.body, "<customerEmail>") {
		t.Fatalf("GET: %d %s, want no customer", r.status, r.body)
	}
	post := func(cl *http.Client, email string) resp {
		return e.do(cl, "POST", pkURL, "application/xml",
			"<productKey><productKeyId>"+e.bare.ProductKey+"</productKeyId><customerEmail>"+email+"</customerEmail></productKey>")
	}
	if r := post(c, "Jane@Example.com"); r.status != 200 || !strings.Contains(r.body, "<customerEmail>jane@example.com</customerEmail>") {
		t.Fatalf("registration: %d %s", r.status, r.body)
	}
	if r := post(c, "jane@example.com"); r.status != 200 {
		t.Errorf("the same email again: %d %s", r.status, r.body)
	}
	wantText(t, post(c, "mallory@evil.example"), 403, hasCustomer)
	// Another session of the same key gets no further.
	c2 := e.client()
	e.loginPK(c2, "v90", e.bare.ProductKey)
	wantText(t, post(c2, "mallory@evil.example"), 403, hasCustomer)
	if got := e.license(e.bare.ID).Email; got != "jane@example.com" {
		t.Errorf("email %q, want jane@example.com", got)
	}
	vend := e.client()
	e.loginVendor(vend)
	if r := post(vend, "ann@example.com"); r.status != 200 || e.license(e.bare.ID).Email != "ann@example.com" {
		t.Errorf("the vendor replaces the customer: %d %s", r.status, r.body)
	}

	t.Run("two sessions race", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		const n = 8
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			cl := e.client()
			e.loginPK(cl, "v90", e.bare.ProductKey)
			wg.Go(func() {
				statuses[i] = e.do(cl, "POST", e.url("v90", "productKey/"+e.bare.ProductKey+".ws"), "application/xml",
					"<productKey><customerEmail>user"+string(rune('a'+i))+"@example.com</customerEmail></productKey>").status
			})
		}
		wg.Wait()
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		if count[200] != 1 || count[403] != n-1 {
			t.Errorf("statuses %v, want one 200 and %d × 403", count, n-1)
		}
	})
}

// textPlainForm is the body a browser sends for an HTML form with
// enctype="text/plain" and one field: name=value and a line break. With
// name `<productKey><enabled>false</enabled><x y` and value `"z"/></productKey>`
// that is a well-formed <productKey> document.
func textPlainForm(name, value string) string { return name + "=" + value + "\r\n" }

// TestCrossSiteRequests reproduces a cross-site request forgery: a page on
// another site that makes the vendor's browser post a form, with the
// vendor's cookie, to the EMS web services. Every state-changing call that
// says it comes from another site is refused; the same calls from a
// program, without Origin or Sec-Fetch-Site, are obeyed.
func TestCrossSiteRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	vend := e.client()
	e.loginVendor(vend)
	const crossSite = "This request came from a page of another web site, so it was refused: a call that changes the license server's state must come from a program or from the server's own site."
	disable := textPlainForm(`<productKey><enabled>false</enabled><x y`, `"z"/></productKey>`)
	seats := textPlainForm(`<productKey><totalEntitled>1000</totalEntitled><x y`, `"z"/></productKey>`)
	activation := textPlainForm(`<activation><activationInput><activationAttribute><attributeName>ProtectionKeyId</attributeName><attributeValue>4242</attributeValue></activationAttribute></activationInput><x y`, `"z"/></activation>`)
	pkPath := "productKey/" + e.lic3.ProductKey + ".ws"
	evil := []string{"Origin", "https://evil.example"}
	crossSiteFetch := []string{"Sec-Fetch-Site", "cross-site"}

	refused := []struct {
		name, method, path, body string
		hdr                      []string
	}{
		{"text/plain form disabling a key, Origin", "POST", pkPath, disable, evil},
		{"text/plain form disabling a key, Sec-Fetch-Site", "POST", pkPath, disable, crossSiteFetch},
		{"text/plain form changing the seats, both headers", "POST", pkPath, seats, append(append([]string{}, evil...), crossSiteFetch...)},
		{"another origin on the same host name", "POST", pkPath, disable, []string{"Origin", "http://127.0.0.1:1"}},
		{"a sibling site", "POST", pkPath, disable, []string{"Sec-Fetch-Site", "same-site"}},
		{"text/plain form activating", "POST", "productKey/" + e.lic3.ProductKey + "/activation.ws", activation, evil},
		{"logout by POST", "POST", "logout.ws", "", evil},
		{"logout by GET", "GET", "logout.ws", "", crossSiteFetch},
		{"login by product key, GET", "GET", "loginByProductKey.ws?productKey=" + e.other.ProductKey, "", crossSiteFetch},
		{"login by product key, POST", "POST", "loginByProductKey.ws", "productKey=" + e.other.ProductKey, evil},
		{"vendor login", "POST", "login.ws",
			"<authenticationDetail><userName>" + vendorUser + "</userName><password>" + vendorPass + "</password></authenticationDetail>", evil},
	}
	before := e.license(e.lic3.ID)
	for _, tt := range refused {
		t.Run("refused/"+tt.name, func(t *testing.T) {
			r := e.do(vend, tt.method, e.url("v90", tt.path), "text/plain", tt.body, tt.hdr...)
			wantText(t, r, http.StatusForbidden, crossSite)
			if c := r.header.Values("Set-Cookie"); len(c) != 0 {
				t.Errorf("a refused call set a cookie: %v", c)
			}
		})
	}
	if after := e.license(e.lic3.ID); after.Status != before.Status || after.Seats != before.Seats || after.SeatsHeld != 0 {
		t.Fatalf("refused calls changed the license: %+v", after)
	}
	if r := e.do(vend, "GET", e.url("v90", pkPath), "", ""); r.status != 200 {
		t.Fatalf("the vendor's session did not survive the refused logout: %d %s", r.status, r.body)
	}

	// Reads are not state changes, whatever their origin; nor are calls
	// from the server's own site.
	obeyed := []struct {
		name, method, path, body string
		hdr                      []string
		// fresh sends the call from a client without the vendor's cookie.
		fresh bool
		check func() bool
	}{
		{"a cross-site read", "GET", pkPath, "", crossSiteFetch, false, nil},
		{"same origin", "POST", pkPath, "<productKey><totalEntitled>4</totalEntitled></productKey>", []string{"Origin", e.srv.URL}, false,
			func() bool { return e.license(e.lic3.ID).Seats == 4 }},
		{"Sec-Fetch-Site same-origin", "POST", pkPath, "<productKey><totalEntitled>5</totalEntitled></productKey>", []string{"Sec-Fetch-Site", "same-origin"}, false,
			func() bool { return e.license(e.lic3.ID).Seats == 5 }},
		{"typed in the address bar", "GET", "loginByProductKey.ws?productKey=" + e.lic3.ProductKey, "", []string{"Sec-Fetch-Site", "none"}, true, nil},
		// The attack's own bodies, from a program: they parse, so the
		// refusal above is what stopped them.
		{"the text/plain form from a program", "POST", pkPath, disable, nil, false,
			func() bool { return e.license(e.lic3.ID).Status == license.StatusSuspended }},
		{"the text/plain seats form from a program", "POST", pkPath, seats, nil, false,
			func() bool { return e.license(e.lic3.ID).Seats == 1000 }},
	}
	for _, tt := range obeyed {
		t.Run("obeyed/"+tt.name, func(t *testing.T) {
			cl := vend
			if tt.fresh {
				cl = e.client()
			}
			r := e.do(cl, tt.method, e.url("v90", tt.path), "text/plain", tt.body, tt.hdr...)
			if r.status != http.StatusOK {
				t.Fatalf("got %d %s, want 200", r.status, r.body)
			}
			if tt.check != nil && !tt.check() {
				t.Errorf("the call was not carried out: %+v", e.license(e.lic3.ID))
			}
		})
	}
	if r := e.do(vend, "POST", e.url("v90", "logout.ws"), "", ""); r.status != http.StatusNoContent {
		t.Errorf("logout from a program: %d %s", r.status, r.body)
	}
}

// TestSessionCookie: the cookie is HttpOnly and SameSite=Lax on both
// logins and the logout, and Secure over TLS or with WithSecureCookie.
func TestSessionCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plain, err := ems.NewHandler(e.svc, ems.WithVendorCredentials(vendorUser, vendorPass))
	if err != nil {
		t.Fatal(err)
	}
	behindTLS, err := ems.NewHandler(e.svc, ems.WithVendorCredentials(vendorUser, vendorPass), ems.WithSecureCookie(true))
	if err != nil {
		t.Fatal(err)
	}
	tlsReq := func(r *http.Request) *http.Request {
		tls := httptest.NewRequest(r.Method, "https://example.com"+r.URL.RequestURI(), r.Body)
		tls.Header = r.Header
		return tls
	}
	login := `<authenticationDetail><userName>` + vendorUser + `</userName><password>` + vendorPass + `</password></authenticationDetail>`
	calls := []struct {
		name string
		req  func() *http.Request
	}{
		{"loginByProductKey", func() *http.Request {
			return httptest.NewRequest("POST", "/ems/v90/ws/loginByProductKey.ws?productKey="+e.lic.ProductKey, nil)
		}},
		{"login", func() *http.Request {
			return httptest.NewRequest("POST", "/ems/v90/ws/login.ws", strings.NewReader(login))
		}},
		{"logout", func() *http.Request { return httptest.NewRequest("POST", "/ems/v90/ws/logout.ws", nil) }},
	}
	for _, c := range calls {
		for _, tt := range []struct {
			name       string
			h          http.Handler
			tls        bool
			wantSecure bool
		}{
			{"plain HTTP", plain, false, false},
			{"TLS", plain, true, true},
			{"behind TLS", behindTLS, false, true},
		} {
			t.Run(c.name+"/"+tt.name, func(t *testing.T) {
				req := c.req()
				if tt.tls {
					req = tlsReq(req)
				}
				rec := httptest.NewRecorder()
				tt.h.ServeHTTP(rec, req)
				if rec.Code >= 300 {
					t.Fatalf("got %d %s", rec.Code, rec.Body)
				}
				sc := rec.Result().Cookies()
				if len(sc) != 1 || sc[0].Name != ems.CookieName {
					t.Fatalf("cookies %v", sc)
				}
				ck := sc[0]
				if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure != tt.wantSecure || ck.Path != "/ems" {
					t.Errorf("cookie %s: HttpOnly %v, SameSite %v, Secure %v, Path %s; want HttpOnly, Lax, Secure %v, /ems",
						ck.Raw, ck.HttpOnly, ck.SameSite, ck.Secure, ck.Path, tt.wantSecure)
				}
				if c.name == "logout" && ck.MaxAge >= 0 {
					t.Errorf("logout cookie %s does not delete it", ck.Raw)
				}
			})
		}
	}
}
