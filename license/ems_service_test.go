package license_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
)

// emsEnv is a service with a product and a two-seat license, for the EMS
// use cases.
type emsEnv struct {
	svc *license.Service
	now *atomic.Pointer[time.Time]
	lic license.License
}

func newEMSEnv(t *testing.T) *emsEnv {
	t.Helper()
	e := &emsEnv{now: new(atomic.Pointer[time.Time])}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e.now.Store(&start)
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	svc, err := license.NewService(memstore.New(), license.WithKeySet(ks),
		license.WithSecret([]byte("0123456789abcdef0123456789abcdef")),
		license.WithClock(func() time.Time { return *e.now.Load() }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(context.Background()) })
	ctx := context.Background()
	if _, err := svc.CreateProduct(ctx, license.Product{ID: "app", Name: "App", Major: 1}); err != nil {
		t.Fatal(err)
	}
	if e.lic, err = svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Customer: license.Customer{Email: "a@example.com"}, Seats: 2}); err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

func (e *emsEnv) advance(d time.Duration) {
	t := e.now.Load().Add(d)
	e.now.Store(&t)
}

var emsVendorSession = license.Session{Kind: license.SessionVendor, Subject: "admin"}

func TestEMSSessions(t *testing.T) {
	t.Parallel()
	e := newEMSEnv(t)
	ctx := context.Background()
	idle := 30 * time.Minute

	id, sess, err := e.svc.NewSession(ctx, license.SessionProductKey, "  "+strings.ToUpper(e.lic.ID)+" ", idle)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != license.SessionIDLen || strings.ToUpper(id) != id || sess.Subject != e.lic.ID || len(sess.IDHash) != 32 {
		t.Errorf("got %q, %+v", id, sess)
	}
	if strings.Contains(string(sess.IDHash), id) {
		t.Error("the raw ID is stored")
	}
	got, err := e.svc.Session(ctx, strings.ToLower(id), idle)
	if err != nil || got.Kind != license.SessionProductKey || got.Subject != e.lic.ID {
		t.Errorf("Session: %+v, %v", got, err)
	}
	if !got.Allows(e.lic.ID) || got.Allows("00000000-0000-4000-8000-000000000000") {
		t.Error("a product-key session allows the wrong licenses")
	}
	if !emsVendorSession.Allows(e.lic.ID) || (license.Session{}).Allows(e.lic.ID) {
		t.Error("vendor or zero session")
	}

	e.advance(idle - time.Second)
	if _, err := e.svc.Session(ctx, id, idle); err != nil {
		t.Errorf("before the idle time: %v", err)
	}
	e.advance(idle)
	if _, err := e.svc.Session(ctx, id, idle); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("after the idle time: %v, want ErrNotFound", err)
	}

	id2, _, err := e.svc.NewSession(ctx, license.SessionVendor, "admin", idle)
	if err != nil {
		t.Fatal(err)
	}
	if id2 == id {
		t.Error("two sessions share an ID")
	}
	if err := e.svc.EndSession(ctx, id2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Session(ctx, id2, idle); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("after EndSession: %v", err)
	}
	for _, bad := range []string{"", "xyz", strings.Repeat("G", 32), id2 + "0"} {
		if _, err := e.svc.Session(ctx, bad, idle); !errors.Is(err, license.ErrNotFound) {
			t.Errorf("Session(%q): %v", bad, err)
		}
		if err := e.svc.EndSession(ctx, bad); err != nil {
			t.Errorf("EndSession(%q): %v", bad, err)
		}
	}

	for _, tt := range []struct {
		kind    license.SessionKind
		subject string
		idle    time.Duration
		want    error
	}{
		{license.SessionProductKey, "fb9a91ba-20ee-4ecd-a049-5194c8d5d2dc", idle, license.ErrNotFound},
		{license.SessionProductKey, "not-a-key", idle, license.ErrNotFound},
		{license.SessionVendor, "", idle, license.ErrInvalid},
		{license.SessionVendor, "admin", 0, license.ErrInvalid},
		{"other", "x", idle, license.ErrInvalid},
	} {
		if _, _, err := e.svc.NewSession(ctx, tt.kind, tt.subject, tt.idle); !errors.Is(err, tt.want) {
			t.Errorf("NewSession(%q, %q, %v): %v, want %v", tt.kind, tt.subject, tt.idle, err, tt.want)
		}
	}
	if n, err := e.svc.PurgeExpiredSessions(ctx); err != nil || n != 1 {
		t.Errorf("PurgeExpiredSessions: %d, %v; want the expired product-key session", n, err)
	}
}

func TestEMSProtectionKeyID(t *testing.T) {
	t.Parallel()
	e := newEMSEnv(t)
	a := e.svc.ProtectionKeyID(e.lic.ID, "MXhJSYmN\npjnyb")
	if len(a) != 18 || strings.Trim(a, "0123456789") != "" || a[0] == '0' {
		t.Errorf("got %q, want 18 digits", a)
	}
	if b := e.svc.ProtectionKeyID(e.lic.ID, " MXhJSYmNpjnyb\r\n"); b != a {
		t.Errorf("white space changed the ID: %s, %s", a, b)
	}
	if b := e.svc.ProtectionKeyID(e.lic.ID, "MXhJSYmNpjnyc"); b == a {
		t.Error("two fingerprints, one ID")
	}
	for _, id := range []string{"", "12a", "-1", strings.Repeat("1", license.MaxProtectionKeyIDLen+1)} {
		if err := license.CheckProtectionKeyID(id); !errors.Is(err, license.ErrInvalid) {
			t.Errorf("CheckProtectionKeyID(%q): %v", id, err)
		}
	}
	if err := license.CheckProtectionKeyID("712734935"); err != nil {
		t.Error(err)
	}
}

func TestEMSActivateProductKey(t *testing.T) {
	t.Parallel()
	e := newEMSEnv(t)
	ctx := context.Background()
	pkSession := license.Session{Kind: license.SessionProductKey, Subject: e.lic.ID}
	req := license.ProductKeyActivation{ProductKey: strings.ToUpper(e.lic.ID), Fingerprint: "fp1", Comments: "c",
		Attributes: []license.Attribute{{Name: "C2V", Value: "<hasp_info/>"}}}
	r1, err := e.svc.ActivateProductKey(ctx, pkSession, req)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Existing || r1.Token == "" || r1.Activation.ComputerID != e.svc.ProtectionKeyID(e.lic.ID, "fp1") ||
		r1.Activation.Comments != "c" || len(r1.Activation.Attributes) != 1 {
		t.Errorf("got %+v", r1)
	}
	r2, err := e.svc.ActivateProductKey(ctx, pkSession, req)
	if err != nil || !r2.Existing || r2.Activation.AID != r1.Activation.AID {
		t.Errorf("again: %+v, %v", r2.Activation, err)
	}
	if _, err := e.svc.ActivateProductKey(ctx, emsVendorSession, license.ProductKeyActivation{ProductKey: e.lic.ID, ProtectionKeyID: "42"}); err != nil {
		t.Errorf("by key ID: %v", err)
	}
	for _, tt := range []struct {
		name string
		sess license.Session
		req  license.ProductKeyActivation
		want error
	}{
		{"full", pkSession, license.ProductKeyActivation{ProductKey: e.lic.ID, Fingerprint: "fp3"}, license.ErrNoSeats},
		{"foreign session", license.Session{Kind: license.SessionProductKey, Subject: "x"}, req, license.ErrNotFound},
		{"zero session", license.Session{}, req, license.ErrNotFound},
		{"unknown key", emsVendorSession, license.ProductKeyActivation{ProductKey: "fb9a91ba-20ee-4ecd-a049-5194c8d5d2dc", Fingerprint: "f"}, license.ErrNotFound},
		{"no key", pkSession, license.ProductKeyActivation{ProductKey: e.lic.ID, Fingerprint: " \n "}, license.ErrInvalid},
		{"bad key ID", pkSession, license.ProductKeyActivation{ProductKey: e.lic.ID, ProtectionKeyID: "x1"}, license.ErrInvalid},
	} {
		if _, err := e.svc.ActivateProductKey(ctx, tt.sess, tt.req); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}

	// LicenseByActivation.
	got, err := e.svc.LicenseByActivation(ctx, pkSession, strings.ToUpper(r1.Activation.AID))
	if err != nil || got.Activation.AID != r1.Activation.AID || got.Token == "" || got.Product.ID != "app" {
		t.Errorf("LicenseByActivation: %+v, %v", got, err)
	}
	for _, aid := range []string{"x", "fb9a91ba-20ee-4ecd-a049-5194c8d5d2dc"} {
		if _, err := e.svc.LicenseByActivation(ctx, pkSession, aid); !errors.Is(err, license.ErrNotFound) {
			t.Errorf("LicenseByActivation(%q): %v", aid, err)
		}
	}
	other := license.Session{Kind: license.SessionProductKey, Subject: "fb9a91ba-20ee-4ecd-a049-5194c8d5d2dc"}
	if _, err := e.svc.LicenseByActivation(ctx, other, r1.Activation.AID); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("another key's session: %v", err)
	}
	if _, err := e.svc.RevokeActivation(ctx, r1.Activation.AID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.LicenseByActivation(ctx, pkSession, r1.Activation.AID); !errors.Is(err, license.ErrRevoked) {
		t.Errorf("revoked: %v", err)
	}

	d, err := e.svc.ProductKey(ctx, pkSession, e.lic.ID)
	if err != nil || len(d.Activations) != 1 || d.Available() != 1 || d.Product.ID != "app" {
		t.Errorf("ProductKey: %+v, %v", d, err)
	}
}

func TestEMSUpdateProductKey(t *testing.T) {
	t.Parallel()
	e := newEMSEnv(t)
	ctx := context.Background()
	pk := license.Session{Kind: license.SessionProductKey, Subject: e.lic.ID}
	email := "New@Example.com"
	d, err := e.svc.UpdateProductKey(ctx, pk, e.lic.ID, license.ProductKeyUpdate{Email: &email, Seats: new(2), Enabled: new(true)})
	if err != nil || d.License.Email != "new@example.com" {
		t.Fatalf("customer email: %+v, %v", d.License, err)
	}
	for _, u := range []license.ProductKeyUpdate{{Seats: new(3)}, {Enabled: new(false)}} {
		if _, err := e.svc.UpdateProductKey(ctx, pk, e.lic.ID, u); !errors.Is(err, license.ErrPermission) {
			t.Errorf("customer %+v: %v, want ErrPermission", u, err)
		}
	}
	d, err = e.svc.UpdateProductKey(ctx, emsVendorSession, e.lic.ID, license.ProductKeyUpdate{Seats: new(5), Enabled: new(false)})
	if err != nil || d.License.Seats != 5 || d.License.Status != license.StatusSuspended {
		t.Errorf("vendor: %+v, %v", d.License, err)
	}
	if d, err = e.svc.UpdateProductKey(ctx, emsVendorSession, e.lic.ID, license.ProductKeyUpdate{Enabled: new(true)}); err != nil || d.License.Status != license.StatusActive {
		t.Errorf("enable: %+v, %v", d.License, err)
	}
	bad := "nope"
	for _, u := range []license.ProductKeyUpdate{{Seats: new(0)}, {Seats: new(license.MaxSeats + 1)}, {Email: &bad}} {
		if _, err := e.svc.UpdateProductKey(ctx, emsVendorSession, e.lic.ID, u); !errors.Is(err, license.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", u, err)
		}
	}
	if _, err := e.svc.SetLicenseStatus(ctx, e.lic.ID, license.StatusRevoked); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateProductKey(ctx, emsVendorSession, e.lic.ID, license.ProductKeyUpdate{Enabled: new(true)}); !errors.Is(err, license.ErrRevoked) {
		t.Errorf("enable a revoked key: %v", err)
	}
	if d, err := e.svc.UpdateProductKey(ctx, emsVendorSession, e.lic.ID, license.ProductKeyUpdate{Enabled: new(false)}); err != nil || d.License.Status != license.StatusRevoked {
		t.Errorf("disable a revoked key: %+v, %v", d.License, err)
	}
	if _, err := e.svc.UpdateProductKey(ctx, pk, "fb9a91ba-20ee-4ecd-a049-5194c8d5d2dc", license.ProductKeyUpdate{}); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("foreign key: %v", err)
	}
}
