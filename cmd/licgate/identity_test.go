package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/licgate/licgate/license"
)

// emsCall makes one EMS request with client c (nil: a client without
// cookies) and returns the status, the body and the response.
func emsCall(t *testing.T, c *http.Client, method, u, contentType, body string, header ...string) (int, string, *http.Response) {
	t.Helper()
	if c == nil {
		c = &http.Client{}
	}
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp
}

// newJarClient returns a client that keeps cookies, as EMS clients do.
func newJarClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

// rawCLI runs one admin command and returns its output as generic JSON, so
// that field names can be checked as they are printed.
func rawCLI(t *testing.T, args ...string) any {
	t.Helper()
	var v any
	cli(t, &v, args...)
	return v
}

// strings collects every string in a decoded JSON value.
func jsonStrings(v any, out map[string]bool) {
	switch v := v.(type) {
	case string:
		out[v] = true
	case []any:
		for _, e := range v {
			jsonStrings(e, out)
		}
	case map[string]any:
		for _, e := range v {
			jsonStrings(e, out)
		}
	}
}

// TestCLIPrintsProductKey checks that license add and license list print
// the EMS product key as productKey, beside id and key, and that it is
// neither of them.
func TestCLIPrintsProductKey(t *testing.T) {
	data := newData(t)
	cli(t, new(license.Product), "product", "add", "-data", data, "-id", "pk", "-name", "PK")
	added, _ := rawCLI(t, "license", "add", "-data", data, "-product", "pk", "-email", "a@example.com").(map[string]any)
	list, _ := rawCLI(t, "license", "list", "-data", data).([]any)
	if len(list) != 1 {
		t.Fatalf("license list printed %v, want one license", list)
	}
	listed, _ := list[0].(map[string]any)
	for name, l := range map[string]map[string]any{"license add": added, "license list": listed} {
		id, _ := l["id"].(string)
		key, _ := l["key"].(string)
		pk, _ := l["productKey"].(string)
		if id == "" || key == "" || pk == "" || pk == id || pk == key {
			t.Errorf("%s printed id %q, key %q, productKey %q; want three distinct values", name, id, key, pk)
		}
	}
	if added["productKey"] != listed["productKey"] {
		t.Errorf("license add printed productKey %v, license list %v", added["productKey"], listed["productKey"])
	}
}

// TestIdentifiersGrantNothing replays the attack of issue 7 against
// licgate serve: whoever sees an activation token, or the body a gated
// route answers with it, learns identifiers only. None of them opens an
// EMS session, and without a session nothing of the license can be read
// or changed.
func TestIdentifiersGrantNothing(t *testing.T) {
	data := newData(t)
	cli(t, new(license.Product), "product", "add", "-data", data, "-id", "cad", "-name", "CAD")
	var l license.License
	cli(t, &l, "license", "add", "-data", data, "-product", "cad", "-email", "victim@example.com", "-seats", "3", "-features", "export")
	base := startServer(t, "-data", data, "-demo=false")
	qlm := base + "/qlm/qlmservice.asmx/"
	ems := base + "/ems/v90/ws/"

	// The victim's computers: the attacker sees the token of one of them.
	other := get(t, qlm+"ValidateLicenseHttp?is_pcid=victim-laptop&is_avkey="+url.QueryEscape(l.Key))
	a := get(t, qlm+"ValidateLicenseHttp?is_pcid=victim-desktop&is_avkey="+url.QueryEscape(l.Key))
	if a.Error != "" || other.Error != "" || a.ActivationToken == "" {
		t.Fatalf("activation: %+v, %+v", a, other)
	}
	otherAID := verifyWithJWKS(t, base, other.ActivationToken).AID()

	// Everything the attacker sees: the claims of the token…
	seen := map[string]bool{}
	var claims jwt.MapClaims
	tok, _, err := jwt.NewParser().ParseUnverified(a.ActivationToken, &claims)
	if err != nil {
		t.Fatal(err)
	}
	jsonStrings(map[string]any(claims), seen)
	jsonStrings(tok.Header, seen)
	for _, c := range []string{"lid", "sub", "aud", "cid"} {
		if claims[c] == nil {
			t.Fatalf("the token has no %s claim: %v", c, claims)
		}
	}
	// …and every string /demo/hello answers with it.
	req, _ := http.NewRequest("GET", base+"/demo/hello", nil)
	req.Header.Set("Authorization", "Bearer "+a.ActivationToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var hello any
	err = json.NewDecoder(resp.Body).Decode(&hello)
	resp.Body.Close()
	if resp.StatusCode != 200 || err != nil {
		t.Fatalf("/demo/hello: %d, %v", resp.StatusCode, err)
	}
	jsonStrings(hello, seen)
	if !seen[l.ID] {
		t.Fatalf("the license ID is not among the values seen (%v): the test replays nothing", seen)
	}
	var candidates []string
	for v := range seen {
		if v != "" {
			candidates = append(candidates, v)
		}
	}
	sort.Strings(candidates)
	for _, v := range candidates {
		if v == l.ProductKey || v == l.Key {
			t.Fatalf("a credential is visible in the token or /demo/hello: %q", v)
		}
	}

	// 1. No seen value logs in as a product key, whichever way it is sent.
	for _, v := range candidates {
		for _, try := range []struct{ method, url, ctype, body string }{
			{"POST", ems + "loginByProductKey.ws?productKey=" + url.QueryEscape(v), "", ""},
			{"GET", ems + "loginByProductKey.ws?productKey=" + url.QueryEscape(v), "", ""},
			{"POST", ems + "loginByProductKey.ws", "application/x-www-form-urlencoded", "productKey=" + url.QueryEscape(v)},
		} {
			c := newJarClient()
			code, body, resp := emsCall(t, c, try.method, try.url, try.ctype, try.body)
			if code == 200 || strings.Contains(body, "<stat>ok</stat>") || len(resp.Cookies()) > 0 && resp.Cookies()[0].Value != "" {
				t.Errorf("%s loginByProductKey with %q: %d %q: a seen value logged in", try.method, v, code, body)
			}
		}
	}

	// 2. Without a session nothing can be listed, fetched or changed, by
	// any seen value in the place of the product key or the AID.
	steal := `<productKey><customerEmail>attacker@evil.example</customerEmail></productKey>`
	for _, v := range append(candidates, otherAID) {
		pv := url.PathEscape(v)
		if code, body, _ := emsCall(t, nil, "GET", ems+"productKey/"+pv+".ws", "", ""); code == 200 || strings.Contains(body, otherAID) {
			t.Errorf("GET productKey/%s.ws without a session: %d %q", v, code, body)
		}
		if code, body, _ := emsCall(t, nil, "GET", ems+"activation/"+pv+".ws", "", ""); code == 200 || strings.Contains(body, "activationString") {
			t.Errorf("GET activation/%s.ws without a session: %d %q", v, code, body)
		}
		if code, body, _ := emsCall(t, nil, "POST", ems+"productKey/"+pv+".ws", "application/xml", steal); code == 200 {
			t.Errorf("POST productKey/%s.ws without a session: %d %q", v, code, body)
		}
	}

	// 3. A session of another license's product key sees nothing of this one.
	var l2 license.License
	cli(t, &l2, "license", "add", "-data", data, "-product", "cad", "-email", "attacker@evil.example")
	c := newJarClient()
	if code, body, _ := emsCall(t, c, "POST", ems+"loginByProductKey.ws?productKey="+l2.ProductKey, "", ""); code != 200 {
		t.Fatalf("login with the attacker's own product key: %d %q", code, body)
	}
	for _, v := range append(candidates, otherAID) {
		pv := url.PathEscape(v)
		if code, body, _ := emsCall(t, c, "GET", ems+"productKey/"+pv+".ws", "", ""); code == 200 {
			t.Errorf("GET productKey/%s.ws with another key's session: %d %q", v, code, body)
		}
		if code, body, _ := emsCall(t, c, "GET", ems+"activation/"+pv+".ws", "", ""); code == 200 {
			t.Errorf("GET activation/%s.ws with another key's session: %d %q", v, code, body)
		}
		if code, body, _ := emsCall(t, c, "POST", ems+"productKey/"+pv+".ws", "application/xml", steal); code == 200 {
			t.Errorf("POST productKey/%s.ws with another key's session: %d %q", v, code, body)
		}
	}

	// The customer is who it was, and the victim's code requests still
	// reach the victim alone.
	var ls []license.License
	cli(t, &ls, "license", "list", "-data", data, "-product", "cad")
	for _, x := range ls {
		if x.ID == l.ID && x.Email != "victim@example.com" {
			t.Fatalf("the victim's license now has the customer %q", x.Email)
		}
	}
}

// TestProductKeySessionCannotReplaceCustomer checks that the holder of a
// product key may register a customer on a license that has none, but not
// replace one: that takes the vendor.
func TestProductKeySessionCannotReplaceCustomer(t *testing.T) {
	data := newData(t)
	cli(t, new(license.Product), "product", "add", "-data", data, "-id", "cad", "-name", "CAD")
	var owned, blank license.License
	cli(t, &owned, "license", "add", "-data", data, "-product", "cad", "-email", "owner@example.com")
	cli(t, &blank, "license", "add", "-data", data, "-product", "cad")
	base := startServer(t, "-data", data, "-demo=false")
	ems := base + "/ems/v90/ws/"
	customer := func(id string) string {
		t.Helper()
		var ls []license.License
		cli(t, &ls, "license", "list", "-data", data)
		for _, l := range ls {
			if l.ID == id {
				return l.Email
			}
		}
		t.Fatalf("license %s not listed", id)
		return ""
	}

	c := newJarClient()
	if code, body, _ := emsCall(t, c, "POST", ems+"loginByProductKey.ws?productKey="+owned.ProductKey, "", ""); code != 200 {
		t.Fatalf("loginByProductKey: %d %q", code, body)
	}
	doc := `<productKey><customerEmail>new@example.com</customerEmail></productKey>`
	if code, body, _ := emsCall(t, c, "POST", ems+"productKey/"+owned.ProductKey+".ws", "application/xml", doc); code != 403 {
		t.Errorf("replacing the customer with a product-key session: %d %q, want 403", code, body)
	}
	if got := customer(owned.ID); got != "owner@example.com" {
		t.Errorf("customer after a refused change = %q, want owner@example.com", got)
	}

	// Registering the first customer is the holder's to do.
	c = newJarClient()
	if code, body, _ := emsCall(t, c, "POST", ems+"loginByProductKey.ws?productKey="+blank.ProductKey, "", ""); code != 200 {
		t.Fatalf("loginByProductKey: %d %q", code, body)
	}
	if code, body, _ := emsCall(t, c, "POST", ems+"productKey/"+blank.ProductKey+".ws", "application/xml", doc); code != 200 {
		t.Errorf("registering a customer with a product-key session: %d %q, want 200", code, body)
	}
	if got := customer(blank.ID); got != "new@example.com" {
		t.Errorf("customer after registering = %q, want new@example.com", got)
	}
	if code, body, _ := emsCall(t, c, "POST", ems+"productKey/"+blank.ProductKey+".ws", "application/xml",
		`<productKey><customerEmail>third@example.com</customerEmail></productKey>`); code != 403 {
		t.Errorf("replacing the registered customer: %d %q, want 403", code, body)
	}
}

// TestEMSCookiesThroughServe checks the session cookie's attributes with
// and without -secure-cookies, and that a cross-site POST carrying the
// cookie is refused.
func TestEMSCookiesThroughServe(t *testing.T) {
	data := newData(t)
	cli(t, new(license.Product), "product", "add", "-data", data, "-id", "cad", "-name", "CAD")
	var l license.License
	cli(t, &l, "license", "add", "-data", data, "-product", "cad")
	for _, tt := range []struct {
		name       string
		args       []string
		wantSecure bool
	}{
		{"plain", nil, false},
		{"secure-cookies", []string{"-secure-cookies"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := startServer(t, append([]string{"-data", data, "-demo=false"}, tt.args...)...)
			ems := base + "/ems/v90/ws/"
			code, body, resp := emsCall(t, nil, "POST", ems+"loginByProductKey.ws?productKey="+l.ProductKey, "", "")
			if code != 200 {
				t.Fatalf("loginByProductKey: %d %q", code, body)
			}
			var sess *http.Cookie
			for _, c := range resp.Cookies() {
				if c.Name == "JSESSIONID" {
					sess = c
				}
			}
			if sess == nil {
				t.Fatalf("no JSESSIONID cookie: %q", resp.Header.Values("Set-Cookie"))
			}
			if !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Secure != tt.wantSecure {
				t.Errorf("cookie %q: HttpOnly %v, SameSite %v, Secure %v; want true, Lax, %v",
					resp.Header.Get("Set-Cookie"), sess.HttpOnly, sess.SameSite, sess.Secure, tt.wantSecure)
			}
			cookie := "JSESSIONID=" + sess.Value
			doc := `<productKey><customerEmail>csrf@evil.example</customerEmail></productKey>`
			// What a form on another site posts with the vendor's cookie.
			if code, body, _ := emsCall(t, nil, "POST", ems+"productKey/"+l.ProductKey+".ws", "text/plain", doc,
				"Origin", "https://evil.example", "Cookie", cookie); code != 403 {
				t.Errorf("cross-site POST: %d %q, want 403", code, body)
			}
			if code, body, _ := emsCall(t, nil, "POST", ems+"productKey/"+l.ProductKey+".ws", "text/plain", doc,
				"Sec-Fetch-Site", "cross-site", "Cookie", cookie); code != 403 {
				t.Errorf("cross-site POST (Sec-Fetch-Site): %d %q, want 403", code, body)
			}
			var ls []license.License
			cli(t, &ls, "license", "list", "-data", data)
			for _, x := range ls {
				if x.Email == "csrf@evil.example" {
					t.Fatal("a cross-site POST registered its customer")
				}
			}
			// A program, which sends no Origin, is not affected.
			if code, body, _ := emsCall(t, nil, "GET", ems+"productKey/"+l.ProductKey+".ws", "", "", "Cookie", cookie); code != 200 {
				t.Errorf("GET productKey with the cookie: %d %q, want 200", code, body)
			}
		})
	}
}

// TestCLIErrorsAreSentences checks that the CLI's errors name what was not
// found and carry no package prefixes.
func TestCLIErrorsAreSentences(t *testing.T) {
	data := newData(t)
	cli(t, new(license.Product), "product", "add", "-data", data, "-id", "p", "-name", "P")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"activation", "revoke", "-aid", "nope"}, `activation "nope" does not exist`},
		{[]string{"activation", "revoke", "-aid", "00000000-0000-4000-8000-000000000000"}, `activation "00000000-0000-4000-8000-000000000000" does not exist`},
		{[]string{"license", "suspend", "-id", "nope"}, `license "nope" does not exist`},
		{[]string{"license", "revoke", "-id", "00000000-0000-4000-8000-000000000000"}, `license "00000000-0000-4000-8000-000000000000" does not exist`},
		{[]string{"license", "add", "-product", "ghost"}, `product "ghost" does not exist`},
		{[]string{"license", "list", "-product", "ghost"}, `product "ghost" does not exist`},
		{[]string{"activation", "list", "-license", "nope"}, `license "nope" does not exist`},
		{[]string{"product", "add", "-id", "p", "-name", "again"}, `product "p" already exists`},
		{[]string{"product", "add", "-id", "bad id", "-name", "x"}, `product ID`},
		{[]string{"license", "add", "-product", "p", "-email", "not an email"}, `email`},
		{[]string{"license", "add", "-product", "p", "-seats", "0"}, `-seats must be at least 1`},
		{[]string{"license", "add", "-product", "p", "-seats", "-3"}, `-seats must be at least 1`},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		args := append(append([]string{}, tt.args...), "-data", data)
		code := Run(context.Background(), args, &out, &errOut)
		msg := errOut.String()
		if code == 0 || !strings.Contains(msg, tt.want) {
			t.Errorf("licgate %s: exit %d, stderr %q; want a failure saying %q", strings.Join(tt.args, " "), code, msg, tt.want)
		}
		first, _, _ := strings.Cut(msg, "\n")
		for _, pkg := range []string{"license:", "sqlstore:", "ems:", "qlm:"} {
			if strings.Contains(first, pkg) {
				t.Errorf("licgate %s: %q has the package prefix %q", strings.Join(tt.args, " "), first, pkg)
			}
		}
		if out.Len() > 0 {
			t.Errorf("licgate %s printed %q on a failure", strings.Join(tt.args, " "), out.String())
		}
	}
	var ls []license.License
	cli(t, &ls, "license", "list", "-data", data)
	if len(ls) != 0 {
		t.Errorf("refused license adds created %d licenses", len(ls))
	}
}
