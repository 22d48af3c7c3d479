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
	cookie := recorderLogin(b, h, e.lic.ID)
	req := httptest.NewRequest(http.MethodPost, "/ems/v90/ws/productKey/"+e.lic.ID+"/activation.ws",
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
