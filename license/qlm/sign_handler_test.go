package qlm_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licgate/licgate/internal/xmlsectest"
	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/license/qlm"
)

// signFixture is a handler on a memory store whose products get the test
// key, so that the tests wait for one 2048-bit key in all rather than one
// per product.
type signFixture struct {
	svc   *license.Service
	store *memstore.Store
	h     *qlm.Handler
	key   *rsa.PrivateKey
	lic   license.License
}

func newSignFixture(tb testing.TB) *signFixture {
	tb.Helper()
	ctx := context.Background()
	f := &signFixture{store: memstore.New(), key: testKey(tb)}
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	var err error
	f.svc, err = license.NewService(f.store, license.WithKeySet(ks), license.WithSecret(make([]byte, 32)),
		license.WithRSAKeyGenerator(func() (*rsa.PrivateKey, error) { return f.key, nil }),
		license.WithClock(func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.svc.Close(ctx) })
	if _, err := f.svc.CreateProduct(ctx, license.Product{ID: "2", Name: "Demo Enterprise", Major: 1}); err != nil {
		tb.Fatal(err)
	}
	f.lic, err = f.svc.CreateLicense(ctx, license.NewLicense{ProductID: "2", Customer: license.Customer{Email: "tom@soraco.co"}, Seats: 2})
	if err != nil {
		tb.Fatal(err)
	}
	if f.h, err = qlm.NewHandler(f.svc); err != nil {
		tb.Fatal(err)
	}
	return f
}

func (f *signFixture) get(tb testing.TB, method, query string) []byte {
	tb.Helper()
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/qlm/qlmservice.asmx/"+method+"?"+query, nil))
	b, _ := io.ReadAll(w.Body)
	if w.Code != 200 {
		tb.Fatalf("%s: %d %s", method, w.Code, b)
	}
	return b
}

// TestHandlerSignsLicenseAnswers checks which answers are signed: those
// that carry a license, never an error nor a message.
func TestHandlerSignsLicenseAnswers(t *testing.T) {
	f := newSignFixture(t)
	key := url.QueryEscape(f.lic.Key)
	pubPEM := filepath.Join(t.TempDir(), "public.pem")
	p, err := qlm.MarshalPublicKeyPEM(&f.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubPEM, p, 0o600); err != nil {
		t.Fatal(err)
	}

	activation := f.get(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=PC-1&is_sign=true")
	var a response
	decode(t, activation, &a)
	if a.Error != "" || a.ComputerKey == "" {
		t.Fatalf("activation failed: %s", activation)
	}
	validation := f.get(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=PC-1&is_pckey="+url.QueryEscape(a.ComputerKey))
	bom := f.get(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=PC-1&is_writebom=true&is_pckey="+url.QueryEscape(a.ComputerKey))
	if !bytes.HasPrefix(bom, []byte("\uFEFF<?xml version='1.0' encoding='UTF-8'?><QuickLicenseManager>")) {
		t.Errorf("the BOM or the declaration is lost: %q", bom[:70])
	}
	for name, body := range map[string][]byte{"activation": activation, "validation": validation, "with BOM": bom} {
		if !bytes.HasSuffix(body, []byte("</SignatureValue></Signature></QuickLicenseManager>")) {
			t.Errorf("%s: not signed as QLM signs: %s", name, body)
			continue
		}
		if err := verifyGoxmldsig(body, f.key); err != nil {
			t.Errorf("%s: goxmldsig: %v", name, err)
		}
		file := filepath.Join(t.TempDir(), "QlmLicense.xml")
		if err := os.WriteFile(file, body, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := xmlsectest.Verify(t, file, pubPEM); err != nil {
			t.Errorf("%s: xmlsec1: %v\n%s", name, err, out)
		}
	}

	for name, body := range map[string][]byte{
		"error":         f.get(t, "ValidateLicenseHttp", "is_avkey=AAAA-BBBB&is_pcid=PC-1"),
		"missing pcid":  f.get(t, "ValidateLicenseHttp", "is_avkey="+key),
		"unknown":       f.get(t, "NoSuchMethodHttp", ""),
		"ping":          f.get(t, "PingHttp", ""),
		"release":       f.get(t, "ReleaseLicenseHttp", "is_avkey="+key+"&is_pcid=PC-1"),
		"code requests": f.get(t, "RequestAuthorizationCodeForActivationHttp", "is_email=x%40y.z&is_pcid=P&is_productid=2"),
	} {
		if bytes.Contains(body, []byte("Signature")) {
			t.Errorf("%s answer is signed: %s", name, body)
		}
	}
}

// TestHandlerSignsWithProductSetting checks that the product's setting
// and key are used as they stand, and that a product made before products
// had keys gets one at its first answer, and keeps it.
func TestHandlerSignsWithProductSetting(t *testing.T) {
	f := newSignFixture(t)
	ctx := context.Background()
	if _, err := f.svc.SetProductSigning(ctx, "2", nil, license.SignatureRSASHA256); err != nil {
		t.Fatal(err)
	}
	body := f.get(t, "ValidateLicenseHttp", "is_avkey="+url.QueryEscape(f.lic.Key)+"&is_pcid=PC-1")
	if !bytes.Contains(body, []byte(`xmldsig-more#rsa-sha256`)) || verifyGoxmldsig(body, f.key) != nil {
		t.Errorf("not signed with RSA-SHA256: %s", body)
	}

	// A product stored without a key, as the stores hold those created
	// before keys existed.
	if err := f.store.CreateProduct(ctx, license.Product{ID: "old", Name: "Old", Major: 1, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	l, err := f.svc.CreateLicense(ctx, license.NewLicense{ProductID: "old", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	first := f.get(t, "ValidateLicenseHttp", "is_avkey="+url.QueryEscape(l.Key)+"&is_pcid=PC-1")
	p, err := f.svc.Product(ctx, "old")
	if err != nil || p.RSAKey == nil {
		t.Fatalf("the old product has no key after signing: %v", err)
	}
	if !strings.Contains(string(first), "xmldsig#rsa-sha1") || verifyGoxmldsig(first, p.RSAKey) != nil {
		t.Errorf("the old product's answer does not verify with its new key: %s", first)
	}
}
