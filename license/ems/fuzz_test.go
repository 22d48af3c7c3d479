package ems_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/licgate/licgate/license/ems"
)

// recorderLogin logs in by product key through h and returns the cookie.
func recorderLogin(tb testing.TB, h http.Handler, pk string) string {
	tb.Helper()
	req := httptest.NewRequest(http.MethodPost, "/ems/v90/ws/loginByProductKey.ws?productKey="+pk, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	return rec.Header().Get("Set-Cookie")
}

// FuzzHandler posts arbitrary bodies to every web service with a live
// session: the handler answers every one with a known status, never 500,
// and every failure with plain text.
func FuzzHandler(f *testing.F) {
	e := newEnv(f)
	h, err := ems.NewHandler(e.svc, ems.WithVendorCredentials(vendorUser, vendorPass))
	if err != nil {
		f.Fatal(err)
	}
	cookie := recorderLogin(f, h, e.lic3.ProductKey)
	for _, s := range []string{
		javaRequest(fingerprintC2V(docFingerprint), "c"),
		javaRequest(updateC2V("712734935"), ""),
		`<activation><activationInput><activationAttribute><attributeName>ProtectionKeyId</attributeName><attributeValue>1</attributeValue></activationAttribute></activationInput></activation>`,
		`<productKey><customerEmail>a@example.com</customerEmail><totalEntitled>3</totalEntitled></productKey>`,
		`<authenticationDetail><userName>admin</userName><password>x</password></authenticationDetail>`,
		`productKey=` + e.lic3.ProductKey,
		`<activation>`,
		`<?xml version="1.0" encoding="utf-16"?><hasp_info><haspscope><hasp id="712734935"/></haspscope></hasp_info>`,
		`<customer><defaultContact><emailId>a@example.com</emailId><firstName>A</firstName></defaultContact></customer>`,
		"\uFEFF<?xml version=\"1.0\" encoding=\"utf-16\"?><customer><id>1</id></customer>",
	} {
		f.Add(uint8(0), s)
		f.Add(uint8(1), s)
	}
	paths := []struct{ method, path string }{
		{"POST", "productKey/" + e.lic3.ProductKey + "/activation.ws"},
		{"POST", "productKey/" + e.lic3.ProductKey + ".ws"},
		{"POST", "login.ws"},
		{"POST", "loginByProductKey.ws"},
		{"GET", "activation/" + e.lic3.ID + ".ws"},
		{"POST", "activation/target.ws"},
		{"PUT", "customer.ws"},
	}
	// 429 once the fuzzer has sent the vendor's budget of wrong passwords.
	known := map[int]bool{200: true, 201: true, 204: true, 400: true, 401: true, 403: true, 404: true, 405: true, 409: true, 410: true, 413: true, 429: true}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		p := paths[int(which)%len(paths)]
		req := httptest.NewRequest(p.method, "/ems/v90/ws/"+p.path, strings.NewReader(body))
		req.Header.Set("Cookie", cookie)
		req.Header.Set("Content-Type", "application/xml")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !known[rec.Code] {
			t.Fatalf("%s %s %q: status %d %s", p.method, p.path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && rec.Header().Get("Content-Type") != ems.ContentTypeText {
			t.Errorf("failure with Content-Type %q", rec.Header().Get("Content-Type"))
		}
	})
}

// TestOversizeChunked: a body of unknown length is cut at the limit too.
func TestOversizeChunked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h, err := ems.NewHandler(e.svc, ems.WithMaxBodyBytes(1<<10))
	if err != nil {
		t.Fatal(err)
	}
	cookie := recorderLogin(t, h, e.lic.ProductKey)
	body := io.MultiReader(strings.NewReader(javaRequest(fingerprintC2V(strings.Repeat("A", 2<<10)), "")))
	req := httptest.NewRequest(http.MethodPost, "/ems/v90/ws/productKey/"+e.lic.ProductKey+"/activation.ws", body)
	req.ContentLength = -1
	req.Header.Set("Cookie", cookie)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || rec.Body.String() != "The request body is larger than 1024 bytes." {
		t.Errorf("got %d %q", rec.Code, rec.Body)
	}
}
