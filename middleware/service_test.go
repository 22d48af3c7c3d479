package middleware_test

import (
	"context"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/middleware"
)

// service is a license.Service on a memstore with one product, one
// license and one activation.
type service struct {
	svc   *license.Service
	lic   license.License
	aid   string
	token string
}

func newService(t testing.TB, now func() time.Time, opts ...license.Option) *service {
	t.Helper()
	ctx := context.Background()
	base := []license.Option{
		license.WithKeySet(newKeySet(t)), license.WithSecret([]byte("0123456789abcdef0123456789abcdef")),
		license.WithIssuer(testIssuer), license.WithClock(now),
	}
	svc, err := license.NewService(memstore.New(), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(context.Background()) })
	if _, err := svc.CreateProduct(ctx, license.Product{ID: testProduct, Name: "Demo", Major: 1}); err != nil {
		t.Fatal(err)
	}
	l, err := svc.CreateLicense(ctx, license.NewLicense{
		ProductID: testProduct, Customer: license.Customer{Email: "ada@example.com"},
		Seats: 2, Features: []string{"reports"},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.ValidateKey(ctx, license.KeyValidation{Key: l.Key, ComputerID: "pc-1"})
	if err != nil {
		t.Fatal(err)
	}
	return &service{svc: svc, lic: l, aid: res.Activation.AID, token: res.Token}
}

func TestGate_service(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := newService(t, clk.Now)
	gate, err := middleware.New(
		middleware.WithKeySet(s.svc.KeySet()), middleware.WithIssuer(s.svc.Issuer()),
		middleware.WithStateSource(s.svc), middleware.WithClock(clk.Now),
	)
	if err != nil {
		t.Fatal(err)
	}
	h := gate.Handler(echo)
	reports := gate.Require("reports")(echo)
	export := gate.Require("export")(echo)
	ctx := context.Background()

	if w := do(h, s.token); w.Code != 200 {
		t.Fatalf("valid: got %d %s, want 200", w.Code, w.Body)
	}
	if w := do(reports, s.token); w.Code != 200 {
		t.Fatalf("licensed feature: got %d, want 200", w.Code)
	}
	if w := do(export, s.token); w.Code != 403 {
		t.Fatalf("unlicensed feature: got %d, want 403", w.Code)
	}
	if _, err := s.svc.SetLicenseStatus(ctx, s.lic.ID, license.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Second)
	if w := do(h, s.token); w.Code != 403 || problemReason(t, w) != middleware.ReasonSuspended {
		t.Fatalf("suspended: got %d %s, want 403 %s", w.Code, w.Body, middleware.ReasonSuspended)
	}
	if _, err := s.svc.SetLicenseStatus(ctx, s.lic.ID, license.StatusActive); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Second)
	if w := do(h, s.token); w.Code != 200 {
		t.Fatalf("reactivated: got %d, want 200", w.Code)
	}
	if _, err := s.svc.RevokeActivation(ctx, s.aid); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Second)
	if w := do(h, s.token); w.Code != 403 || problemReason(t, w) != middleware.ReasonRevoked {
		t.Fatalf("revoked: got %d %s, want 403 %s", w.Code, w.Body, middleware.ReasonRevoked)
	}
}
