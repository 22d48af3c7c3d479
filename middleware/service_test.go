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
// license of two seats and one activation.
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
	res := activate(t, svc, l.Key, "pc-1")
	return &service{svc: svc, lic: l, aid: res.Activation.AID, token: res.Token}
}

// activate activates the license whose key is key on a computer, as a
// protocol handler does.
func activate(t testing.TB, svc *license.Service, key, computer string) license.Result {
	t.Helper()
	ctx := context.Background()
	l, err := svc.LicenseByKey(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Activate(ctx, license.ActivationRequest{LicenseID: l.ID, ComputerID: computer})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestNewLocal runs a gate made by NewLocal beside the service through
// every change of state the vendor can make, each with its own reason.
func TestNewLocal(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := newService(t, clk.Now)
	gate, err := middleware.NewLocal(s.svc, middleware.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gate.Close() })
	h := gate.Handler(echo)
	other := activate(t, s.svc, s.lic.Key, "pc-2")
	var third string // an activation that is itself active when its license is revoked
	ctx := context.Background()

	steps := []struct {
		name       string
		change     func() error
		token      *string
		wantStatus int
		wantReason string
	}{
		{"active", nil, &s.token, 200, ""},
		{"suspended", func() error {
			_, err := s.svc.SetLicenseStatus(ctx, s.lic.ID, license.StatusSuspended)
			return err
		}, &s.token, 403, middleware.ReasonSuspended},
		{"resumed", func() error {
			_, err := s.svc.SetLicenseStatus(ctx, s.lic.ID, license.StatusActive)
			return err
		}, &s.token, 200, ""},
		{"activation revoked", func() error {
			_, err := s.svc.RevokeActivation(ctx, s.aid)
			return err
		}, &s.token, 403, middleware.ReasonActivationRevoked},
		{"the license's other activation still passes", nil, &other.Token, 200, ""},
		{"activation released", func() error {
			_, err := s.svc.ReleaseActivation(ctx, other.Activation.AID)
			return err
		}, &other.Token, 403, middleware.ReasonReleased},
		{"a new activation on the freed seat", func() error {
			third = activate(t, s.svc, s.lic.Key, "pc-3").Token
			return nil
		}, &third, 200, ""},
		{"license revoked", func() error {
			_, err := s.svc.SetLicenseStatus(ctx, s.lic.ID, license.StatusRevoked)
			return err
		}, &third, 403, middleware.ReasonLicenseRevoked},
	}
	for _, st := range steps {
		if st.change != nil {
			if err := st.change(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			clk.Advance(30 * time.Second) // the default state TTL
		}
		w := do(h, *st.token)
		if w.Code != st.wantStatus {
			t.Fatalf("%s: got %d %s, want %d", st.name, w.Code, w.Body, st.wantStatus)
		}
		if st.wantReason != "" {
			if got := problemReason(t, w); got != st.wantReason {
				t.Errorf("%s: reason %q, want %q", st.name, got, st.wantReason)
			}
		}
	}
}
