package qlm_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// BenchmarkValidateLicense measures the hot path of a deployed client:
// re-validation with a computer key, on an in-memory store.
func BenchmarkValidateLicense(b *testing.B) {
	f := newFixture(b)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, httptest.NewRequest("GET", "/q/ValidateLicenseHttp?is_pcid=A&is_avkey="+url.QueryEscape(f.lic.Key), nil))
	var first response
	decode(b, w.Body.Bytes(), &first)
	target := "/q/ValidateLicenseHttp?is_pcid=A&is_avkey=" + url.QueryEscape(f.lic.Key) + "&is_pckey=" + url.QueryEscape(first.ComputerKey)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
