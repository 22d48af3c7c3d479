package license_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/licgate/licgate/license"
)

// events returns the audit trail of e's service, all of it.
func (e *env) events(t *testing.T) []license.Event {
	t.Helper()
	evs, err := e.svc.Audit(context.Background(), license.AuditQuery{Page: license.Page{Limit: license.MaxPageLimit}})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// lastEvent returns the newest event of a type, failing if there is none.
func (e *env) lastEvent(t *testing.T, typ string) license.Event {
	t.Helper()
	evs := e.events(t)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == typ {
			return evs[i]
		}
	}
	t.Fatalf("no %s event in %d events", typ, len(evs))
	return license.Event{}
}

func countType(evs []license.Event, typ string) int {
	n := 0
	for _, ev := range evs {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// noCredentials fails if an event shows a credential of l.
func noCredentials(t *testing.T, ev license.Event, l license.License) {
	t.Helper()
	for _, b := range [][]byte{ev.Change, ev.Data} {
		for _, secret := range []string{l.Key, l.ProductKey} {
			if secret != "" && strings.Contains(string(b), secret) {
				t.Errorf("%s event shows a credential: %s", ev.Type, b)
			}
		}
	}
}

func TestEventsOfTheLicenseLifecycle(t *testing.T) {
	var woken atomic.Int32
	e := newEnv(t, license.WithEventHook(func() { woken.Add(1) }))
	ctx := license.WithActor(context.Background(), license.Actor{Name: "shop", Protocol: "api", Addr: "192.0.2.7", RequestID: "req-9"})

	created := e.lastEvent(t, license.EventLicenseCreated)
	if created.Target != "license/"+e.lic.ID || created.Outcome != license.OutcomeOK || created.Data == nil {
		t.Errorf("license.created = %+v", created)
	}
	noCredentials(t, created, e.lic)
	if woken.Load() != 1 {
		t.Errorf("event hook called %d times after a license was created, want 1", woken.Load())
	}

	// An activation, by a protocol's client.
	qctx := license.WithActor(context.Background(), license.Actor{Protocol: "qlm", Addr: "198.51.100.1"})
	res, err := e.svc.Activate(qctx, license.ActivationRequest{LicenseID: e.lic.ID, ComputerID: "pc-1"})
	if err != nil {
		t.Fatal(err)
	}
	act := e.lastEvent(t, license.EventActivationCreated)
	if act.Target != "activation/"+res.Activation.AID || act.Actor.Protocol != "qlm" || act.Actor.Addr != "198.51.100.1" {
		t.Errorf("activation.created = %+v", act)
	}
	var data license.ActivationData
	if err := json.Unmarshal(act.Data, &data); err != nil || data.ProductID != "app" || data.ComputerID != "pc-1" {
		t.Errorf("activation data %s (%v)", act.Data, err)
	}
	if strings.Contains(string(act.Data), res.Activation.ComputerKey) {
		t.Errorf("activation event shows the computer key: %s", act.Data)
	}
	// The same computer again takes no seat and records nothing.
	before := len(e.events(t))
	if _, err := e.svc.Activate(qctx, license.ActivationRequest{LicenseID: e.lic.ID, ComputerID: "pc-1"}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.events(t)); n != before {
		t.Errorf("an existing activation recorded %d events", n-before)
	}
	// A refusal of a known license is recorded with its reason, and wakes
	// no dispatcher.
	w := woken.Load()
	if _, err := e.svc.Activate(qctx, license.ActivationRequest{LicenseID: e.lic.ID, ComputerID: "pc-2"}); !errors.Is(err, license.ErrNoSeats) {
		t.Fatalf("second computer on one seat: %v", err)
	}
	refused := e.lastEvent(t, license.EventActivationRefused)
	if refused.Outcome != license.OutcomeNoSeats || refused.Target != "license/"+e.lic.ID || refused.Data != nil {
		t.Errorf("activation.refused = %+v", refused)
	}
	if woken.Load() != w {
		t.Error("a refusal woke the event hook")
	}

	// A vendor's change records what changed, and only that.
	if _, err := e.svc.UpdateLicense(ctx, e.lic.ID, func(l *license.License) error { l.Seats = 3; return nil }); err != nil {
		t.Fatal(err)
	}
	upd := e.lastEvent(t, license.EventLicenseUpdated)
	if upd.Actor != (license.Actor{Name: "shop", Protocol: "api", Addr: "192.0.2.7", RequestID: "req-9"}) {
		t.Errorf("license.updated actor = %+v", upd.Actor)
	}
	if string(upd.Change) != `{"seats":{"from":1,"to":3}}` {
		t.Errorf("license.updated change = %s", upd.Change)
	}
	noCredentials(t, upd, e.lic)
	before = len(e.events(t))
	if _, err := e.svc.UpdateLicense(ctx, e.lic.ID, func(l *license.License) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateLicense(ctx, e.lic.ID, func(l *license.License) error { l.Seats = 0; return nil }); !errors.Is(err, license.ErrInvalid) {
		t.Fatalf("zero seats: %v", err)
	}
	if n := len(e.events(t)); n != before {
		t.Errorf("a change of nothing and a refused change recorded %d events", n-before)
	}

	// Release and revocation.
	if _, err := e.svc.ReleaseActivation(ctx, res.Activation.AID); err != nil {
		t.Fatal(err)
	}
	rel := e.lastEvent(t, license.EventActivationReleased)
	if string(rel.Change) != `{"status":{"from":"active","to":"released"}}` {
		t.Errorf("activation.released change = %s", rel.Change)
	}
	res2, err := e.svc.Activate(qctx, license.ActivationRequest{LicenseID: e.lic.ID, ComputerID: "pc-3"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RevokeActivation(ctx, res2.Activation.AID); err != nil {
		t.Fatal(err)
	}
	if rev := e.lastEvent(t, license.EventActivationRevoked); rev.Target != "activation/"+res2.Activation.AID {
		t.Errorf("activation.revoked = %+v", rev)
	}

	// The trail is in order, and the webhook events carry data.
	evs := e.events(t)
	for i := 1; i < len(evs); i++ {
		if evs[i].ID <= evs[i-1].ID && !evs[i].At.After(evs[i-1].At) {
			t.Errorf("events %d and %d out of order", i-1, i)
		}
	}
	for _, ev := range evs {
		isHook := false
		for _, typ := range license.WebhookEventTypes {
			isHook = isHook || ev.Type == typ
		}
		if isHook != (ev.Data != nil) {
			t.Errorf("%s event: data %s", ev.Type, ev.Data)
		}
	}
	if got := countType(evs, license.EventActivationCreated); got != 2 {
		t.Errorf("%d activation.created events, want 2", got)
	}
}

func TestEventsFilteredByTarget(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	other, err := e.svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{e.lic.ID, other.ID, e.lic.ID} {
		if _, err := e.svc.SetLicenseStatus(ctx, id, license.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetLicenseStatus(ctx, id, license.StatusActive); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := e.svc.Audit(ctx, license.AuditQuery{Target: "license/" + e.lic.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 5 { // created, and 4 status changes
		t.Errorf("%d events of the license, want 5: %+v", len(evs), evs)
	}
	for _, ev := range evs {
		if ev.Target != "license/"+e.lic.ID {
			t.Errorf("event of %s listed", ev.Target)
		}
	}
}

func TestAdminTokens(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok, secret, err := e.svc.CreateAdminToken(ctx, "shop", license.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "lgt_") || strings.Contains(secret, tok.Name) {
		t.Errorf("token %q", secret)
	}
	got, err := e.svc.AuthenticateAdmin(ctx, secret, "192.0.2.1")
	if err != nil || got.Name != "shop" || got.Scope != license.ScopeRead {
		t.Fatalf("AuthenticateAdmin = %+v, %v", got, err)
	}
	if got.Allows(true) || !got.Allows(false) {
		t.Error("a read token may write, or not read")
	}
	if _, _, err := e.svc.CreateAdminToken(ctx, "shop", license.ScopeAdmin); !errors.Is(err, license.ErrConflict) {
		t.Errorf("a second token named shop: %v", err)
	}
	for _, bad := range []struct{ name, scope string }{{"", "admin"}, {" x", "admin"}, {strings.Repeat("n", 65), "admin"}, {"x", "root"}} {
		if _, _, err := e.svc.CreateAdminToken(ctx, bad.name, license.Scope(bad.scope)); !errors.Is(err, license.ErrInvalid) {
			t.Errorf("token %q scope %q: %v", bad.name, bad.scope, err)
		}
	}

	// Every kind of wrong token is the same error, and a failed login.
	flipped := []byte(secret)
	flipped[len(flipped)-1] ^= 1
	for _, wrong := range []string{"", "lgt_", string(flipped), secret + "x", strings.ToUpper(secret), "Bearer " + secret} {
		if _, err := e.svc.AuthenticateAdmin(ctx, wrong, "192.0.2.2"); !errors.Is(err, license.ErrUnauthenticated) {
			t.Errorf("AuthenticateAdmin(%q) = %v", wrong, err)
		}
	}
	if n := countType(e.events(t), license.EventLoginFailed); n != 6 {
		t.Errorf("%d failed logins recorded, want 6", n)
	}

	if err := e.svc.RevokeAdminToken(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AuthenticateAdmin(ctx, secret, "192.0.2.1"); !errors.Is(err, license.ErrUnauthenticated) {
		t.Errorf("a revoked token: %v", err)
	}
	if err := e.svc.RevokeAdminToken(ctx, "shop"); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("revoking twice: %v", err)
	}
	toks, err := e.svc.AdminTokens(ctx)
	if err != nil || len(toks) != 0 {
		t.Errorf("AdminTokens = %v, %v", toks, err)
	}
	evs := e.events(t)
	if countType(evs, license.EventTokenCreated) != 1 || countType(evs, license.EventTokenRevoked) != 1 {
		t.Error("token creation or revocation not recorded")
	}
	for _, ev := range evs {
		if strings.Contains(string(ev.Change), secret[20:]) {
			t.Errorf("%s event shows the token", ev.Type)
		}
	}
}

func TestWrongAdminTokensAreThrottled(t *testing.T) {
	e := newEnv(t, license.WithCodeRateLimits(5, 20, 3, 60_000_000_000))
	ctx := context.Background()
	_, secret, err := e.svc.CreateAdminToken(ctx, "crm", license.ScopeAdmin)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := e.svc.AuthenticateAdmin(ctx, "lgt_wrong", "203.0.113.5"); !errors.Is(err, license.ErrUnauthenticated) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, err := e.svc.AuthenticateAdmin(ctx, secret, "203.0.113.5"); !errors.Is(err, license.ErrRateLimited) {
		t.Errorf("the right token after the budget is spent: %v", err)
	}
	if _, err := e.svc.AuthenticateAdmin(ctx, secret, "203.0.113.6"); err != nil {
		t.Errorf("another address: %v", err)
	}
	// A good token gives its budget back: it can be used indefinitely.
	for i := range 10 {
		if _, err := e.svc.AuthenticateAdmin(ctx, secret, "203.0.113.7"); err != nil {
			t.Fatalf("use %d: %v", i, err)
		}
	}
}

func TestWebhookURLs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w, err := e.svc.CreateWebhook(ctx, "https://hooks.example.com/licgate?x=1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(w.Secret, "whsec_") || len(w.Secret) != len("whsec_")+44 {
		t.Errorf("secret %q", w.Secret)
	}
	for _, bad := range []string{"", "/relative", "ftp://x/y", "https://user:pw@x/", "https:///nohost", "javascript:alert(1)", "https://x/#frag", "https://x/" + strings.Repeat("a", 2048)} {
		if _, err := e.svc.CreateWebhook(ctx, bad); !errors.Is(err, license.ErrInvalid) {
			t.Errorf("CreateWebhook(%.40q) = %v", bad, err)
		}
	}
	if err := e.svc.DeleteWebhook(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteWebhook(ctx, w.ID); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	if _, err := e.svc.WebhookAttempts(ctx, "nope", license.Page{}); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("attempts of an unknown webhook: %v", err)
	}
}

// TestCodeRequestsInTheTrail records a code request that took from the
// budgets, and none of a flood that was refused before them, which anyone
// can send as fast as they like.
func TestCodeRequestsInTheTrail(t *testing.T) {
	e := newEnv(t, license.WithCodeRateLimits(1, 100, 100, 60_000_000_000), license.WithRevealUnknownEmail(true))
	ctx := license.WithActor(context.Background(), license.Actor{Protocol: "qlm", Addr: "192.0.2.9"})
	req := license.CodeRequest{Email: "ann@example.com", ComputerID: "pc", Target: license.Target{ProductID: "app"}, ClientAddr: "192.0.2.9"}
	if err := e.svc.RequestCode(ctx, req); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if err := e.svc.RequestCode(ctx, req); !errors.Is(err, license.ErrRateLimited) {
			t.Fatalf("over the email's limit: %v", err)
		}
		bad := req
		bad.Email = "not an email"
		if err := e.svc.RequestCode(ctx, bad); !errors.Is(err, license.ErrInvalid) {
			t.Fatalf("malformed email: %v", err)
		}
	}
	evs := e.events(t)
	if n := countType(evs, license.EventCodeRequested); n != 1 {
		t.Fatalf("%d code.requested events, want 1", n)
	}
	ev := e.lastEvent(t, license.EventCodeRequested)
	if ev.Target != "license/"+e.lic.ID || ev.Outcome != license.OutcomeOK || ev.Actor.Addr != "192.0.2.9" {
		t.Errorf("code.requested = %+v", ev)
	}
	if strings.Contains(string(ev.Change), "ann@") {
		t.Errorf("the event shows the email: %s", ev.Change)
	}
	for _, m := range e.email.all() {
		if strings.Contains(string(ev.Change), m.Code) {
			t.Errorf("the event shows the code: %s", ev.Change)
		}
	}
}

// TestWebhookSecretsSealed keeps a webhook's secret sealed in the store:
// the database alone does not give it, another server secret cannot open
// it, and the service that made it can.
func TestWebhookSecretsSealed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w, err := e.svc.CreateWebhook(ctx, "https://hooks.example.com/licgate")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := e.svc.Store().Webhook(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Secret == w.Secret || strings.Contains(stored.Secret, strings.TrimPrefix(w.Secret, "whsec_")) {
		t.Fatalf("the store keeps the secret in clear: %q", stored.Secret)
	}
	if got, err := e.svc.OpenWebhookSecret(stored); err != nil || got != w.Secret {
		t.Errorf("OpenWebhookSecret = %q, %v", got, err)
	}
	if got, err := e.svc.Webhook(ctx, w.ID); err != nil || got.Secret != w.Secret {
		t.Errorf("Webhook = %+v, %v", got, err)
	}
	// Bound to the webhook: the sealed secret of one does not open as another's.
	moved := stored
	moved.ID = "01a23267-d173-740b-80da-99e8e7e461c6"
	if _, err := e.svc.OpenWebhookSecret(moved); !errors.Is(err, license.ErrInvalid) {
		t.Errorf("a sealed secret moved to another webhook: %v", err)
	}
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	other, err := license.NewService(e.svc.Store(), license.WithKeySet(ks), license.WithSecret([]byte("another secret of thirty-two bytes!")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.OpenWebhookSecret(stored); !errors.Is(err, license.ErrInvalid) {
		t.Errorf("opened with another server secret: %v", err)
	}
	if got, err := other.OpenWebhookSecret(license.Webhook{ID: w.ID, Secret: w.Secret}); err != nil || got != w.Secret {
		t.Errorf("a secret in clear: %q, %v", got, err)
	}
	if _, err := e.svc.OpenWebhookSecret(license.Webhook{ID: w.ID, Secret: "lgs1:!!"}); !errors.Is(err, license.ErrInvalid) {
		t.Errorf("a malformed sealed secret: %v", err)
	}
}
