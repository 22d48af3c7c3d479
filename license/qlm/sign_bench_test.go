package qlm_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/qlm"
	"github.com/licgate/licgate/xmlmodel"
)

// BenchmarkSignedValidateLicense measures a deployed client's
// re-validation with its computer key, answered signed, on a memory store.
func BenchmarkSignedValidateLicense(b *testing.B) {
	for _, alg := range []license.SignatureAlgorithm{license.SignatureRSASHA1, license.SignatureRSASHA256} {
		b.Run(string(alg), func(b *testing.B) {
			f := newSignFixture(b)
			if _, err := f.svc.SetProductSigning(b.Context(), "2", nil, alg); err != nil {
				b.Fatal(err)
			}
			var first response
			decode(b, f.get(b, "ValidateLicenseHttp", "is_pcid=A&is_avkey="+url.QueryEscape(f.lic.Key)), &first)
			target := "/q/ValidateLicenseHttp?is_pcid=A&is_avkey=" + url.QueryEscape(f.lic.Key) + "&is_pckey=" + url.QueryEscape(first.ComputerKey)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				f.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
				if w.Code != 200 || w.Body.Len() < 2000 {
					b.Fatal(w.Code, w.Body.String())
				}
			}
		})
	}
}

// BenchmarkSignAnswer measures signing alone, on a license answer.
func BenchmarkSignAnswer(b *testing.B) {
	key := testKey(b)
	body, err := xmlmodel.MarshalQLM(sampleAnswers()["license"], false)
	if err != nil {
		b.Fatal(err)
	}
	for _, alg := range []license.SignatureAlgorithm{license.SignatureRSASHA1, license.SignatureRSASHA256} {
		b.Run(string(alg), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := qlm.SignAnswer(body, key, alg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
