package ems_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/licgate/licgate/license/ems"
)

// BenchmarkHandler_GetActivation measures GET activation/{aid}.ws with a
// live product-key session on the memory store: session touch, activation,
// license and product look-ups, a fresh token, and the XML answer.
func BenchmarkHandler_GetActivation(b *testing.B) {
	e := newEnv(b)
	h, err := ems.NewHandler(e.svc)
	if err != nil {
		b.Fatal(err)
	}
	cookie := recorderLogin(b, h, e.lic.ProductKey)
	req := httptest.NewRequest(http.MethodPost, "/ems/v90/ws/productKey/"+e.lic.ProductKey+"/activation.ws",
		strings.NewReader(javaRequest(fingerprintC2V(docFingerprint), "bench")))
	req.Header.Set("Cookie", cookie)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	aid := between(rec.Body.String(), "<AID>", "</AID>")
	if rec.Code != http.StatusOK || aid == "" {
		b.Fatalf("activation: %d %s", rec.Code, rec.Body)
	}
	get := httptest.NewRequest(http.MethodGet, "/ems/v90/ws/activation/"+aid+".ws", nil)
	get.Header.Set("Cookie", cookie)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, get)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET: %d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkHandler_Activate measures POST productKey/{pk}/activation.ws
// of a C2V whose key already holds its activation, as a client that posts
// its C2V again does: session touch, product key look-up, C2V parsing, the
// activation rules in one locked transaction, a fresh token, and the XML
// answer.
func BenchmarkHandler_Activate(b *testing.B) {
	e := newEnv(b)
	h, err := ems.NewHandler(e.svc)
	if err != nil {
		b.Fatal(err)
	}
	cookie := recorderLogin(b, h, e.lic.ProductKey)
	body := javaRequest(fingerprintC2V(docFingerprint), "bench")
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/ems/v90/ws/productKey/"+e.lic.ProductKey+"/activation.ws", strings.NewReader(body))
		req.Header.Set("Cookie", cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("activation: %d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkHandler_FetchUpdates measures POST activation/target.ws with a
// C2V of Thales' Java sample: body read, encoding, C2V parsing and the
// answer; no store is touched.
func BenchmarkHandler_FetchUpdates(b *testing.B) {
	e := newEnv(b)
	h, err := ems.NewHandler(e.svc)
	if err != nil {
		b.Fatal(err)
	}
	body := updateC2V("712734935")
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/ems/v78/ws/activation/target.ws", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/xml")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("target.ws: %d %s", rec.Code, rec.Body)
		}
	}
}
