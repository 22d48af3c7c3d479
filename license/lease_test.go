package license_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// floating creates a floating license of e's product.
func (e *env) floating(t *testing.T, seats int, ttl time.Duration) license.License {
	t.Helper()
	l, err := e.svc.CreateLicense(context.Background(), license.NewLicense{ProductID: "app", Seats: seats, Floating: true, LeaseTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLeaseLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	l := e.floating(t, 2, time.Minute)
	take := func(instance string) (license.Lease, error) {
		return e.svc.TakeLease(ctx, license.LeaseRequest{LicenseID: l.ID, Instance: instance})
	}

	// Each kind of license is used its own way.
	if _, err := e.svc.TakeLease(ctx, license.LeaseRequest{LicenseID: e.lic.ID, Instance: "w"}); !errors.Is(err, license.ErrFloating) {
		t.Errorf("a lease of a license that does not float: %v", err)
	}
	if _, err := e.svc.Activate(ctx, license.ActivationRequest{LicenseID: l.ID, ComputerID: "pc"}); !errors.Is(err, license.ErrFloating) {
		t.Errorf("an activation of a floating license: %v", err)
	}

	w1, err := take("w1")
	if err != nil {
		t.Fatal(err)
	}
	if w1.Existing || w1.Token == "" || !w1.ExpiresAt().Equal(*e.now.Load()) && w1.ExpiresAt().Sub(*e.now.Load()) != time.Minute {
		t.Errorf("first lease = %+v", w1)
	}
	if _, err := take("w2"); err != nil {
		t.Fatal(err)
	}
	if _, err := take("w3"); !errors.Is(err, license.ErrNoSeats) {
		t.Errorf("a third instance on two seats: %v", err)
	}
	// The same instance gets its lease back, extended.
	e.advance(30 * time.Second)
	again, err := take("w1")
	if err != nil || !again.Existing || again.Activation.AID != w1.Activation.AID || !again.ExpiresAt().After(w1.ExpiresAt()) {
		t.Fatalf("w1 again = %+v, %v", again, err)
	}

	// w2 runs out at 60 s; w1, taken again at 30 s, lives to 90 s. Its state
	// says so before anything ends it.
	e.advance(31 * time.Second)
	st, err := e.svc.ActivationState(ctx, w1.Activation.AID)
	if err != nil || st.Err(*e.now.Load()) != nil {
		t.Errorf("w1's state at 61 s: %+v, %v", st, err)
	}
	w3, err := take("w3")
	if err != nil {
		t.Fatalf("w3 after w2 ran out: %v", err)
	}
	released := e.lastEvent(t, license.EventActivationReleased)
	if string(released.Change) != `{"reason":"lease_expired","status":{"from":"active","to":"released"}}` {
		t.Errorf("the end of w2 recorded as %s", released.Change)
	}

	// A heartbeat extends; a fresh token comes only near the old one's end.
	beat, err := e.svc.RenewLease(ctx, w1.Activation.AID, e.now.Load().Add(time.Hour))
	if err != nil || beat.Token != "" || !beat.ExpiresAt().After(again.ExpiresAt()) {
		t.Errorf("heartbeat = %+v, %v", beat, err)
	}
	beat, err = e.svc.RenewLease(ctx, w1.Activation.AID, e.now.Load().Add(time.Second))
	if err != nil || beat.Token == "" {
		t.Errorf("heartbeat with a token about to expire = %+v, %v", beat, err)
	}

	// Given back: released, and said so.
	if _, err := e.svc.ReturnLease(ctx, w3.Activation.AID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RenewLease(ctx, w3.Activation.AID, time.Time{}); !errors.Is(err, license.ErrReleased) || errors.Is(err, license.ErrLeaseExpired) {
		t.Errorf("heartbeat of a returned lease: %v", err)
	}
	// Run out, whether or not something ended it yet.
	e.advance(2 * time.Minute)
	st, _ = e.svc.ActivationState(ctx, w1.Activation.AID)
	if err := st.Err(*e.now.Load()); !errors.Is(err, license.ErrLeaseExpired) || license.Reason(err) != license.ReasonLeaseExpired {
		t.Errorf("w1's state after its end: %v", err)
	}
	if _, err := e.svc.RenewLease(ctx, w1.Activation.AID, time.Time{}); !errors.Is(err, license.ErrLeaseExpired) {
		t.Errorf("heartbeat of a run-out lease: %v", err)
	}
	if n, err := e.svc.ExpireLeases(ctx, 10); err != nil || n != 1 {
		t.Errorf("ExpireLeases = %d, %v; want w1 ended", n, err)
	}
	if _, err := e.svc.ReturnLease(ctx, w1.Activation.AID); !errors.Is(err, license.ErrLeaseExpired) {
		t.Errorf("returning a lease that ran out: %v", err)
	}
	got, err := e.svc.License(ctx, l.ID)
	if err != nil || got.SeatsHeld != 0 {
		t.Errorf("seats held at the end = %d, %v", got.SeatsHeld, err)
	}
	if _, err := e.svc.RenewLease(ctx, e.lic.ID, time.Time{}); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("heartbeat of an unknown lease: %v", err)
	}
}

func TestFloatingLicenseValidation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, ttl := range []time.Duration{time.Second, 8 * 24 * time.Hour, 1500 * time.Millisecond} {
		if _, err := e.svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Seats: 1, Floating: true, LeaseTTL: ttl}); !errors.Is(err, license.ErrInvalid) {
			t.Errorf("lease TTL %v: %v", ttl, err)
		}
	}
	l := e.floating(t, 1, 0)
	if l.LeaseTTL() != license.DefaultLeaseTTL {
		t.Errorf("default lease TTL = %v", l.LeaseTTL())
	}
	up, err := e.svc.UpdateLicense(ctx, l.ID, func(x *license.License) error { x.Floating = false; x.LeaseSeconds = 120; return nil })
	if err != nil || !up.Floating || up.LeaseSeconds != 120 {
		t.Errorf("update = %+v, %v: floating must stay, the TTL may change", up, err)
	}
	if _, err := e.svc.UpdateLicense(ctx, e.lic.ID, func(x *license.License) error { x.LeaseSeconds = 60; return nil }); !errors.Is(err, license.ErrInvalid) {
		t.Errorf("a lease TTL on a license that does not float: %v", err)
	}
	huge := license.License{LeaseSeconds: 1 << 62, Floating: true}
	if err := huge.Validate(); err == nil {
		t.Error("a lease TTL that overflows a duration passed")
	}
}

func TestOfflineActivation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	req, err := license.NewOfflineRequest(e.lic.Key, "lab-7", "Lab 7", *e.now.Load())
	if err != nil {
		t.Fatal(err)
	}
	f, err := e.svc.ActivateOffline(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var jwks struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(e.svc.KeySet().JWKS(), &jwks); err != nil || len(jwks.Keys) == 0 {
		t.Fatalf("JWKS: %v", err)
	}
	pins := []string{jwks.Keys[0].Kid}
	c, err := f.Verify("lab-7", *e.now.Load(), pins...)
	if err != nil || c.AID() != f.AID || c.LicenseID != e.lic.ID {
		t.Fatalf("Verify = %+v, %v", c, err)
	}
	if _, err := f.Verify("lab-7", *e.now.Load()); !errors.Is(err, license.ErrInvalid) {
		t.Errorf("Verify with no pin: %v", err)
	}
	if _, err := f.Verify("lab-8", *e.now.Load(), pins...); !errors.Is(err, license.ErrComputerMismatch) {
		t.Errorf("Verify on another computer: %v", err)
	}
	// The license expires in six months, after the offline TTL.
	if want := e.now.Load().Add(license.DefaultOfflineTTL); !f.ExpiresAt.Equal(want) {
		t.Errorf("expires %v, want %v", f.ExpiresAt, want)
	}
	e.advance(time.Hour)
	again, err := e.svc.ActivateOffline(ctx, req)
	if err != nil || again.AID != f.AID || again.Token == f.Token {
		t.Errorf("renewal = %+v, %v: want the same activation, a new token", again, err)
	}
	other, _ := license.NewOfflineRequest(e.lic.Key, "lab-8", "", *e.now.Load())
	if _, err := e.svc.ActivateOffline(ctx, other); !errors.Is(err, license.ErrNoSeats) {
		t.Errorf("a second computer on one seat: %v", err)
	}
	bad := req
	if bad.Key, err = license.NewKey(license.KeyPermanent); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ActivateOffline(ctx, bad); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("an unknown key: %v", err)
	}
	data := []byte(`{"format":"licgate-offline-request","version":1,"key":"x","computerId":"a","createdAt":"2026-01-01T00:00:00Z","extra":1}`)
	if _, err := license.ParseOfflineRequest(data); !errors.Is(err, license.ErrInvalid) {
		t.Errorf("unknown field: %v", err)
	}
}

// TestOfflineTokenEndsWithTheLicense gives a license file no longer than
// the license it holds.
func TestOfflineTokenEndsWithTheLicense(t *testing.T) {
	e := newEnv(t, license.WithOfflineTTL(365*24*time.Hour))
	req, err := license.NewOfflineRequest(e.lic.Key, "lab-7", "", *e.now.Load())
	if err != nil {
		t.Fatal(err)
	}
	f, err := e.svc.ActivateOffline(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !f.ExpiresAt.Equal(e.lic.ExpiresAt) {
		t.Errorf("the file expires %v, the license %v", f.ExpiresAt, e.lic.ExpiresAt)
	}
	for _, d := range []time.Duration{time.Minute, 11 * 367 * 24 * time.Hour} {
		if _, err := license.NewService(e.svc.Store(), license.WithOfflineTTL(d)); !errors.Is(err, license.ErrBadOption) {
			t.Errorf("WithOfflineTTL(%v): %v", d, err)
		}
	}
}
