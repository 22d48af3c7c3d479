package storetest

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// newWebhook returns a webhook with a fresh ID, created at a time.
func newWebhook(tb testing.TB, created time.Time) license.Webhook {
	tb.Helper()
	id := newID(tb)
	return license.Webhook{
		ID:        id,
		URL:       "https://hooks.example.com/licgate/" + id[:8],
		Secret:    "whsec_" + base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(id, "-", "")[:32])),
		CreatedAt: created,
	}
}

// mustWebhook stores a new webhook created at a time, with its event.
func mustWebhook(tb testing.TB, s license.Store, created time.Time) license.Webhook {
	tb.Helper()
	w := newWebhook(tb, created)
	if err := s.CreateWebhook(tb.Context(), w, newEvent(tb, license.EventWebhookCreated, "webhook/"+w.ID, created, false)); err != nil {
		tb.Fatalf("CreateWebhook: %v", err)
	}
	return w
}

// claim claims deliveries, failing the test on error.
func claim(tb testing.TB, s license.Store, now time.Time, lease time.Duration, limit int) []license.Delivery {
	tb.Helper()
	ds, err := s.ClaimDeliveries(tb.Context(), now, lease, limit)
	if err != nil {
		tb.Fatalf("ClaimDeliveries at %v: %v", now, err)
	}
	return ds
}

// deliveryKey names a delivery by its webhook and event.
type deliveryKey struct{ webhookID, eventID string }

// deliveryKeys returns the keys of deliveries, in their order.
func deliveryKeys(ds []license.Delivery) []deliveryKey {
	var ks []deliveryKey
	for _, d := range ds {
		ks = append(ks, deliveryKey{d.Webhook.ID, d.Event.ID})
	}
	return ks
}

// sortKeys orders delivery keys, for deliveries whose order is not
// specified (those due at the same time).
func sortKeys(ks []deliveryKey) []deliveryKey {
	slices.SortFunc(ks, func(a, b deliveryKey) int {
		return cmp.Or(strings.Compare(a.webhookID, b.webhookID), strings.Compare(a.eventID, b.eventID))
	})
	return ks
}

// checkDue fails unless deliveries are ordered by NextAt.
func checkDue(tb testing.TB, what string, ds []license.Delivery) {
	tb.Helper()
	if !slices.IsSortedFunc(ds, func(a, b license.Delivery) int { return a.NextAt.Compare(b.NextAt) }) {
		tb.Errorf("%s: not ordered by NextAt", what)
	}
}

// newAttempt returns an attempt at a claimed delivery at a time, answered
// with an HTTP status (0 for none).
func newAttempt(tb testing.TB, d license.Delivery, at time.Time, status int) license.Attempt {
	tb.Helper()
	id, err := license.NewTimeUUID(at)
	if err != nil {
		tb.Fatalf("NewTimeUUID: %v", err)
	}
	a := license.Attempt{
		ID: id, DeliveryID: d.ID, WebhookID: d.Webhook.ID, EventID: d.Event.ID, EventType: d.Event.Type,
		At: at, Number: d.Attempts + 1, StatusCode: status, DurationMS: 42, OK: status/100 == 2,
	}
	switch {
	case status == 0:
		a.Error = "timeout"
	case !a.OK:
		a.Error = fmt.Sprintf("HTTP %d", status)
	}
	return a
}

// mustFinish finishes a delivery, failing the test on error.
func mustFinish(tb testing.TB, s license.Store, d license.Delivery, r license.DeliveryResult) {
	tb.Helper()
	if err := s.FinishDelivery(tb.Context(), d, r); err != nil {
		tb.Fatalf("FinishDelivery(%s, %s): %v", d.ID, r.State, err)
	}
}

// testOutbox checks that an event with Data makes one pending delivery for
// every webhook stored when it is recorded, due at its time, and that
// ClaimDeliveries hands it out with its webhook and event.
func testOutbox(t *testing.T, s license.Store) {
	w1 := mustWebhook(t, s, t0)
	w2 := mustWebhook(t, s, t0.Add(time.Second))
	e1 := mustRecord(t, s, newEvent(t, license.EventLicenseCreated, "license/"+newID(t), t0.Add(time.Minute), true))
	mustRecord(t, s, newEvent(t, license.EventCodeRequested, "license/"+newID(t), t0.Add(time.Minute), false))
	w3 := mustWebhook(t, s, t0.Add(2*time.Minute))
	e2 := mustRecord(t, s, newEvent(t, license.EventActivationCreated, "activation/"+newID(t), t0.Add(3*time.Minute), true))

	ds := claim(t, s, t0.Add(time.Hour), time.Minute, 100)
	checkDue(t, "ClaimDeliveries", ds)
	want := sortKeys([]deliveryKey{{w1.ID, e1.ID}, {w2.ID, e1.ID}, {w1.ID, e2.ID}, {w2.ID, e2.ID}, {w3.ID, e2.ID}})
	equal(t, "deliveries", sortKeys(deliveryKeys(ds)), want)
	webhooks := map[string]license.Webhook{w1.ID: w1, w2.ID: w2, w3.ID: w3}
	events := map[string]license.Event{e1.ID: e1, e2.ID: e2}
	ids := map[string]bool{}
	for _, d := range ds {
		if d.ID == "" || ids[d.ID] {
			t.Errorf("delivery ID %q: empty or repeated", d.ID)
		}
		ids[d.ID] = true
		equal(t, "Delivery.Webhook", d.Webhook, webhooks[d.Webhook.ID])
		e := events[d.Event.ID]
		equal(t, "Delivery.Event", d.Event, e)
		if d.State != license.DeliveryPending || d.Attempts != 0 || !d.NextAt.Equal(e.At) {
			t.Errorf("delivery of %s: got state %s, attempts %d, next at %v, want %s, 0, %v", e.Type, d.State, d.Attempts, d.NextAt, license.DeliveryPending, e.At)
		}
	}
	if ds := claim(t, s, t0.Add(time.Hour), time.Minute, 100); len(ds) != 0 {
		t.Errorf("ClaimDeliveries of claimed deliveries: got %d, want 0", len(ds))
	}
}

// testClaimDeliveries checks which deliveries ClaimDeliveries hands out:
// the due ones not claimed, oldest first, at most limit, each held until
// now+lease.
func testClaimDeliveries(t *testing.T, s license.Store) {
	w := mustWebhook(t, s, t0)
	var es []license.Event
	for i := range 5 {
		// Recorded newest first: the store orders them.
		es = append(es, newEvent(t, license.EventLicenseUpdated, "license/"+newID(t), t0.Add(time.Duration(4-i)*time.Minute), true))
	}
	for _, e := range es {
		mustRecord(t, s, e)
	}
	sortEvents(es)
	key := func(i int) deliveryKey { return deliveryKey{w.ID, es[i].ID} }
	lease := 10 * time.Minute
	tests := []struct {
		name  string
		now   time.Duration // after t0
		limit int
		want  []deliveryKey
	}{
		{"before any is due", -time.Second, 10, nil},
		{"the oldest two of three due", 2 * time.Minute, 2, []deliveryKey{key(0), key(1)}},
		{"the third, due at now", 2 * time.Minute, 10, []deliveryKey{key(2)}},
		{"the others, while the claims hold", 12*time.Minute - time.Microsecond, 10, []deliveryKey{key(3), key(4)}},
		{"none, while the claims hold", 12*time.Minute - time.Microsecond, 10, nil},
		{"the first three again, once their claims end", 12 * time.Minute, 10, []deliveryKey{key(0), key(1), key(2)}},
		{"none, claimed again", 22*time.Minute - 2*time.Microsecond, 10, nil},
		{"every one, once every claim ends", 22 * time.Minute, 10, []deliveryKey{key(0), key(1), key(2), key(3), key(4)}},
	}
	var last []license.Delivery
	for _, tt := range tests {
		last = claim(t, s, t0.Add(tt.now), lease, tt.limit)
		equal(t, "ClaimDeliveries: "+tt.name, deliveryKeys(last), tt.want)
	}
	// Retries move the oldest two behind the others, in the order of
	// their new NextAt.
	if len(last) != 5 {
		t.Fatalf("ClaimDeliveries: got %d, want 5", len(last))
	}
	for i, next := range map[int]time.Duration{0: 40 * time.Minute, 1: 35 * time.Minute} {
		mustFinish(t, s, last[i], license.DeliveryResult{
			Attempt: newAttempt(t, last[i], t0.Add(23*time.Minute), 503), State: license.DeliveryPending, NextAt: t0.Add(next),
		})
	}
	ds := claim(t, s, t0.Add(40*time.Minute), lease, 10)
	equal(t, "ClaimDeliveries after retries", deliveryKeys(ds), []deliveryKey{key(2), key(3), key(4), key(1), key(0)})
}

// testFinishDelivery checks that FinishDelivery stores the attempt, moves
// the delivery and ends its claim.
func testFinishDelivery(t *testing.T, s license.Store) {
	ctx := t.Context()
	w := mustWebhook(t, s, t0)
	other := mustWebhook(t, s, t0)
	e1 := mustRecord(t, s, newEvent(t, license.EventLicenseCreated, "license/"+newID(t), t0, true))
	e2 := mustRecord(t, s, newEvent(t, license.EventLicenseUpdated, "license/"+newID(t), t0.Add(time.Second), true))
	ds := claim(t, s, t0.Add(time.Second), time.Hour, 10)
	var d1, d2, o1, o2 license.Delivery
	for _, d := range ds {
		switch {
		case d.Webhook.ID == w.ID && d.Event.ID == e1.ID:
			d1 = d
		case d.Webhook.ID == w.ID && d.Event.ID == e2.ID:
			d2 = d
		case d.Webhook.ID == other.ID && d.Event.ID == e1.ID:
			o1 = d
		case d.Webhook.ID == other.ID && d.Event.ID == e2.ID:
			o2 = d
		}
	}
	if len(ds) != 4 || d1.ID == "" || d2.ID == "" || o1.ID == "" || o2.ID == "" {
		t.Fatalf("ClaimDeliveries: got %v, want the deliveries of 2 events to 2 webhooks", deliveryKeys(ds))
	}

	// A failed attempt leaves d1 pending, due again in 10 minutes: the
	// claim ends, though its lease would hold for an hour.
	a1 := newAttempt(t, d1, t0.Add(2*time.Second), 500)
	mustFinish(t, s, d1, license.DeliveryResult{Attempt: a1, State: license.DeliveryPending, NextAt: t0.Add(10 * time.Minute)})
	a2 := newAttempt(t, d2, t0.Add(3*time.Second), 204)
	mustFinish(t, s, d2, license.DeliveryResult{Attempt: a2, State: license.DeliveryDelivered})
	o := newAttempt(t, o1, t0.Add(3*time.Second), 200)
	mustFinish(t, s, o1, license.DeliveryResult{Attempt: o, State: license.DeliveryDelivered})
	// Given up at the first attempt.
	mustFinish(t, s, o2, license.DeliveryResult{Attempt: newAttempt(t, o2, t0.Add(4*time.Second), 410), State: license.DeliveryFailed})
	if ds := claim(t, s, t0.Add(10*time.Minute-time.Microsecond), time.Minute, 10); len(ds) != 0 {
		t.Errorf("ClaimDeliveries before the retry is due: got %v, want none", deliveryKeys(ds))
	}
	ds = claim(t, s, t0.Add(10*time.Minute), time.Minute, 10)
	if len(ds) != 1 || ds[0].ID != d1.ID {
		t.Fatalf("ClaimDeliveries once the retry is due: got %v, want %s", deliveryKeys(ds), d1.ID)
	}
	d := ds[0]
	if d.State != license.DeliveryPending || d.Attempts != 1 || !d.NextAt.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("retried delivery: got state %s, attempts %d, next at %v, want %s, 1, %v", d.State, d.Attempts, d.NextAt, license.DeliveryPending, t0.Add(10*time.Minute))
	}
	equal(t, "retried delivery's event", d.Event, e1)
	a3 := newAttempt(t, d, t0.Add(10*time.Minute+time.Second), 0)
	mustFinish(t, s, d, license.DeliveryResult{Attempt: a3, State: license.DeliveryFailed})
	if ds := claim(t, s, t0.Add(24*time.Hour), time.Minute, 10); len(ds) != 0 {
		t.Errorf("ClaimDeliveries of delivered and failed deliveries: got %v, want none", deliveryKeys(ds))
	}

	want := []license.Attempt{a1, a2, a3}
	got, err := s.Attempts(ctx, w.ID, license.Page{Limit: license.MaxPageLimit})
	mustNil(t, "Attempts", err)
	equal(t, "Attempts", got, want)
	got = walk(t, "Attempts by pages of 2", 2, func(p license.Page) ([]license.Attempt, error) { return s.Attempts(ctx, w.ID, p) }, attemptCursor)
	equal(t, "Attempts by pages of 2", got, want)
	got, err = s.Attempts(ctx, w.ID, license.Page{After: attemptCursor(a1), Limit: 1})
	mustNil(t, "Attempts after the first", err)
	equal(t, "Attempts after the first", got, want[1:2])
	got, err = s.Attempts(ctx, other.ID, license.Page{Limit: 1})
	mustNil(t, "Attempts of the other webhook", err)
	equal(t, "Attempts of the other webhook", got, []license.Attempt{o})
	got, err = s.Attempts(ctx, newID(t), license.Page{Limit: 10})
	mustNil(t, "Attempts of an unknown webhook", err)
	equal(t, "Attempts of an unknown webhook", got, nil)

	// A delivery is gone with its webhook.
	e3 := mustRecord(t, s, newEvent(t, license.EventLicenseUpdated, "license/"+newID(t), t0.Add(time.Hour), true))
	ds = claim(t, s, t0.Add(time.Hour), time.Minute, 10)
	mustNil(t, "DeleteWebhook", s.DeleteWebhook(ctx, w.ID, newEvent(t, license.EventWebhookDeleted, "webhook/"+w.ID, t0.Add(time.Hour), false)))
	for _, d := range ds {
		r := license.DeliveryResult{Attempt: newAttempt(t, d, t0.Add(time.Hour+time.Second), 200), State: license.DeliveryDelivered}
		err := s.FinishDelivery(ctx, d, r)
		if d.Webhook.ID == w.ID {
			wantErr(t, "FinishDelivery after DeleteWebhook", err, license.ErrNotFound)
		} else {
			mustNil(t, "FinishDelivery of another webhook's delivery", err)
		}
	}
	equal(t, "deliveries of e3", sortKeys(deliveryKeys(ds)), sortKeys([]deliveryKey{{w.ID, e3.ID}, {other.ID, e3.ID}}))
	got, err = s.Attempts(ctx, w.ID, license.Page{Limit: 10})
	mustNil(t, "Attempts of a deleted webhook", err)
	equal(t, "Attempts of a deleted webhook", got, nil)
	got, err = s.Attempts(ctx, other.ID, license.Page{Limit: 10})
	mustNil(t, "Attempts of the other webhook", err)
	if len(got) != 3 {
		t.Errorf("Attempts of the other webhook: got %d, want 3", len(got))
	}
}

// testWebhooks checks webhook CRUD, and that DeleteWebhook takes its
// deliveries and attempts away.
func testWebhooks(t *testing.T, s license.Store) {
	ctx := t.Context()
	ws, err := s.Webhooks(ctx)
	mustNil(t, "Webhooks of an empty store", err)
	equal(t, "Webhooks of an empty store", ws, nil)
	w1 := newWebhook(t, t0.Add(time.Minute))
	w2 := newWebhook(t, t0)
	c1 := newEvent(t, license.EventWebhookCreated, "webhook/"+w1.ID, t0.Add(time.Minute), false)
	mustNil(t, "CreateWebhook", s.CreateWebhook(ctx, w1, c1))
	mustNil(t, "CreateWebhook", s.CreateWebhook(ctx, w2, newEvent(t, license.EventWebhookCreated, "webhook/"+w2.ID, t0, false)))
	got, err := s.Webhook(ctx, w1.ID)
	mustNil(t, "Webhook", err)
	equal(t, "Webhook", got, w1)
	ws, err = s.Webhooks(ctx)
	mustNil(t, "Webhooks", err)
	equal(t, "Webhooks", ws, []license.Webhook{w2, w1})

	dup := newWebhook(t, t0)
	dup.ID = w1.ID
	err = s.CreateWebhook(ctx, dup, newEvent(t, license.EventWebhookCreated, "webhook/"+w1.ID, t0.Add(2*time.Minute), false))
	wantErr(t, "CreateWebhook with a taken ID", err, license.ErrConflict)
	got, err = s.Webhook(ctx, w1.ID)
	mustNil(t, "Webhook after a conflict", err)
	equal(t, "Webhook after a conflict", got, w1)
	_, err = s.Webhook(ctx, newID(t))
	wantErr(t, "Webhook(missing)", err, license.ErrNotFound)
	missing := newID(t)
	err = s.DeleteWebhook(ctx, missing, newEvent(t, license.EventWebhookDeleted, "webhook/"+missing, t0, false))
	wantErr(t, "DeleteWebhook(missing)", err, license.ErrNotFound)
	equal(t, "Events of a missing webhook", eventsOf(t, s, "webhook/"+missing), nil)

	// Both webhooks have deliveries, and w1 an attempt.
	e1 := mustRecord(t, s, newEvent(t, license.EventLicenseCreated, "license/"+newID(t), t0.Add(time.Hour), true))
	e2 := mustRecord(t, s, newEvent(t, license.EventLicenseUpdated, "license/"+newID(t), t0.Add(time.Hour), true))
	ds := claim(t, s, t0.Add(time.Hour), time.Minute, 1)
	if len(ds) != 1 {
		t.Fatalf("ClaimDeliveries: got %d, want 1", len(ds))
	}
	mustFinish(t, s, ds[0], license.DeliveryResult{
		Attempt: newAttempt(t, ds[0], t0.Add(time.Hour), 503), State: license.DeliveryPending, NextAt: t0.Add(time.Hour),
	})
	deleted := ds[0].Webhook.ID
	kept := w1.ID
	if deleted == w1.ID {
		kept = w2.ID
	}
	d := newEvent(t, license.EventWebhookDeleted, "webhook/"+deleted, t0.Add(2*time.Hour), false)
	mustNil(t, "DeleteWebhook", s.DeleteWebhook(ctx, deleted, d))
	_, err = s.Webhook(ctx, deleted)
	wantErr(t, "Webhook after DeleteWebhook", err, license.ErrNotFound)
	ws, err = s.Webhooks(ctx)
	mustNil(t, "Webhooks after DeleteWebhook", err)
	if len(ws) != 1 || ws[0].ID != kept {
		t.Errorf("Webhooks after DeleteWebhook: got %d, want only %s", len(ws), kept)
	}
	err = s.DeleteWebhook(ctx, deleted, newEvent(t, license.EventWebhookDeleted, "webhook/"+deleted, t0.Add(3*time.Hour), false))
	wantErr(t, "DeleteWebhook again", err, license.ErrNotFound)
	as, err := s.Attempts(ctx, deleted, license.Page{Limit: 10})
	mustNil(t, "Attempts of a deleted webhook", err)
	equal(t, "Attempts of a deleted webhook", as, nil)
	ds = claim(t, s, t0.Add(3*time.Hour), time.Minute, 10)
	equal(t, "deliveries after DeleteWebhook", sortKeys(deliveryKeys(ds)), sortKeys([]deliveryKey{{kept, e1.ID}, {kept, e2.ID}}))
	want := []license.Event{c1}
	if deleted == w1.ID {
		want = append(want, d)
	}
	equal(t, "Events of w1", eventsOf(t, s, "webhook/"+w1.ID), want)
}

// newToken returns an admin token with a name and a fresh ID.
func newToken(tb testing.TB, name string, scope license.Scope) license.AdminToken {
	tb.Helper()
	h := sessionHash(byte(len(name)))
	return license.AdminToken{Name: name, Scope: scope, ID: newID(tb), Hash: h, CreatedAt: t0}
}

// testAdminTokens checks admin token CRUD and the events stored with it.
func testAdminTokens(t *testing.T, s license.Store) {
	ctx := t.Context()
	ts, err := s.AdminTokens(ctx)
	mustNil(t, "AdminTokens of an empty store", err)
	equal(t, "AdminTokens of an empty store", ts, nil)
	shop := newToken(t, "shop", license.ScopeAdmin)
	crm := newToken(t, "crm", license.ScopeRead)
	crm.CreatedAt = t0.Add(time.Minute)
	created := newEvent(t, license.EventTokenCreated, "token/shop", t0, false)
	mustNil(t, "CreateAdminToken", s.CreateAdminToken(ctx, shop, created))
	mustNil(t, "CreateAdminToken", s.CreateAdminToken(ctx, crm, newEvent(t, license.EventTokenCreated, "token/crm", t0.Add(time.Minute), false)))
	got, err := s.AdminTokenByID(ctx, shop.ID)
	mustNil(t, "AdminTokenByID", err)
	equal(t, "AdminTokenByID", got, shop)
	ts, err = s.AdminTokens(ctx)
	mustNil(t, "AdminTokens", err)
	equal(t, "AdminTokens", ts, []license.AdminToken{crm, shop})

	sameName := newToken(t, "shop", license.ScopeRead)
	sameID := newToken(t, "audit", license.ScopeRead)
	sameID.ID = crm.ID
	for _, tt := range []struct {
		name string
		tok  license.AdminToken
	}{{"a taken name", sameName}, {"a taken ID", sameID}} {
		e := newEvent(t, license.EventTokenCreated, "token/"+tt.tok.Name, t0.Add(time.Hour), false)
		wantErr(t, "CreateAdminToken with "+tt.name, s.CreateAdminToken(ctx, tt.tok, e), license.ErrConflict)
	}
	// A taken event ID stores no token.
	if err := s.CreateAdminToken(ctx, newToken(t, "audit", license.ScopeRead), created); err == nil {
		t.Errorf("CreateAdminToken with a taken event ID: got nil, want an error")
	}
	ts, err = s.AdminTokens(ctx)
	mustNil(t, "AdminTokens after conflicts", err)
	equal(t, "AdminTokens after conflicts", ts, []license.AdminToken{crm, shop})
	equal(t, "Events of token/audit after conflicts", eventsOf(t, s, "token/audit"), nil)
	_, err = s.AdminTokenByID(ctx, newID(t))
	wantErr(t, "AdminTokenByID(missing)", err, license.ErrNotFound)

	revoked := newEvent(t, license.EventTokenRevoked, "token/shop", t0.Add(time.Hour), false)
	mustNil(t, "DeleteAdminToken", s.DeleteAdminToken(ctx, "shop", revoked))
	_, err = s.AdminTokenByID(ctx, shop.ID)
	wantErr(t, "AdminTokenByID after DeleteAdminToken", err, license.ErrNotFound)
	err = s.DeleteAdminToken(ctx, "shop", newEvent(t, license.EventTokenRevoked, "token/shop", t0.Add(2*time.Hour), false))
	wantErr(t, "DeleteAdminToken again", err, license.ErrNotFound)
	ts, err = s.AdminTokens(ctx)
	mustNil(t, "AdminTokens after DeleteAdminToken", err)
	equal(t, "AdminTokens after DeleteAdminToken", ts, []license.AdminToken{crm})
	equal(t, "Events of token/shop", eventsOf(t, s, "token/shop"), []license.Event{created, revoked})

	// The name is free again.
	again := newToken(t, "shop", license.ScopeRead)
	mustNil(t, "CreateAdminToken with a freed name", s.CreateAdminToken(ctx, again, newEvent(t, license.EventTokenCreated, "token/shop", t0.Add(3*time.Hour), false)))
	got, err = s.AdminTokenByID(ctx, again.ID)
	mustNil(t, "AdminTokenByID of the new token", err)
	equal(t, "AdminTokenByID of the new token", got, again)
}

// newIdempotent returns a request of a scope and key, locked for a minute
// from t0.
func newIdempotent(scope, key, fingerprint string) license.Idempotent {
	return license.Idempotent{Scope: scope, Key: key, Fingerprint: fingerprint, LockedUntil: t0.Add(time.Minute), CreatedAt: t0}
}

// mustBegin calls BeginIdempotent and checks what it says.
func mustBegin(tb testing.TB, s license.Store, what string, rec license.Idempotent, now time.Time, want license.Idempotent, wantStarted bool) {
	tb.Helper()
	got, started, err := s.BeginIdempotent(tb.Context(), rec, now)
	mustNil(tb, what, err)
	if started != wantStarted {
		tb.Errorf("%s: started %v, want %v", what, started, wantStarted)
	}
	equal(tb, what, got, want)
}

// testIdempotent checks BeginIdempotent, FinishIdempotent and
// AbandonIdempotent.
func testIdempotent(t *testing.T, s license.Store) {
	ctx := t.Context()
	key := newID(t)
	rec := newIdempotent("shop", key, "POST /v1/licenses 1234")
	mustBegin(t, s, "BeginIdempotent of a new key", rec, t0, rec, true)

	retry := rec
	retry.LockedUntil = t0.Add(2 * time.Minute)
	other := retry
	other.Fingerprint = "POST /v1/licenses 5678"
	mustBegin(t, s, "BeginIdempotent while locked", retry, t0.Add(30*time.Second), rec, false)
	mustBegin(t, s, "BeginIdempotent of another request", other, t0.Add(5*time.Minute), rec, false)
	// The lock ended at t0+1m: the same request takes it over, once.
	taken := rec
	taken.LockedUntil = retry.LockedUntil
	mustBegin(t, s, "BeginIdempotent once the lock ended", retry, t0.Add(time.Minute), taken, true)
	mustBegin(t, s, "BeginIdempotent after a takeover", retry, t0.Add(time.Minute), taken, false)
	// Keys of other scopes are apart.
	crm := newIdempotent("crm", key, "POST /v1/licenses 5678")
	mustBegin(t, s, "BeginIdempotent of the key in another scope", crm, t0, crm, true)

	answer := taken
	answer.Status = 201
	answer.Header = json.RawMessage(`{"Content-Type":["application/json"],"Location":["/v1/licenses/abc"]}`)
	answer.Body = []byte("{\"id\": \"abc\"}\n")
	mustNil(t, "FinishIdempotent", s.FinishIdempotent(ctx, answer))
	done := answer
	done.Done = true
	mustBegin(t, s, "BeginIdempotent of a done request", retry, t0.Add(time.Hour), done, false)
	mustBegin(t, s, "BeginIdempotent of another request on a done key", other, t0.Add(time.Hour), done, false)
	// A done request is not abandoned.
	mustNil(t, "AbandonIdempotent of a done request", s.AbandonIdempotent(ctx, "shop", key))
	mustBegin(t, s, "BeginIdempotent after abandoning a done request", retry, t0.Add(time.Hour), done, false)
	// The other scope's request is still in progress.
	mustBegin(t, s, "BeginIdempotent of the other scope", crm, t0, crm, false)

	// An abandoned request starts again.
	mustNil(t, "AbandonIdempotent", s.AbandonIdempotent(ctx, "crm", key))
	fresh := crm
	fresh.Fingerprint = "DELETE /v1/webhooks/x"
	fresh.CreatedAt = t0.Add(time.Minute)
	mustBegin(t, s, "BeginIdempotent after AbandonIdempotent", fresh, t0.Add(time.Minute), fresh, true)
	mustNil(t, "AbandonIdempotent of a missing request", s.AbandonIdempotent(ctx, "crm", newID(t)))
}

// testDeleteIdempotentBefore checks that DeleteIdempotentBefore removes the
// requests kept since before a time, done or not.
func testDeleteIdempotentBefore(t *testing.T, s license.Store) {
	ctx := t.Context()
	recs := make([]license.Idempotent, 4)
	for i := range recs {
		recs[i] = newIdempotent("shop", newID(t), "POST /v1/licenses")
		recs[i].CreatedAt = t0.Add(time.Duration(i) * time.Minute)
		mustBegin(t, s, "BeginIdempotent", recs[i], t0, recs[i], true)
	}
	done := recs[0]
	done.Done, done.Status, done.Body = true, 200, []byte("ok")
	mustNil(t, "FinishIdempotent", s.FinishIdempotent(ctx, done))
	tests := []struct {
		before time.Duration
		want   int
	}{
		{-time.Minute, 0},
		{time.Minute, 1},
		{time.Minute, 0},
		{2*time.Minute + time.Microsecond, 2},
	}
	for _, tt := range tests {
		n, err := s.DeleteIdempotentBefore(ctx, t0.Add(tt.before))
		mustNil(t, "DeleteIdempotentBefore", err)
		if n != tt.want {
			t.Errorf("DeleteIdempotentBefore(t0%+v): got %d, want %d", tt.before, n, tt.want)
		}
	}
	for i, rec := range recs {
		if i < 3 {
			// Deleted: it starts again.
			mustBegin(t, s, "BeginIdempotent of a deleted request", rec, t0.Add(time.Hour), rec, true)
			continue
		}
		mustBegin(t, s, "BeginIdempotent of a kept request", rec, t0, rec, false)
	}
}

// testOperateTimes checks that the times of events, tokens, webhooks,
// deliveries, attempts and kept requests come back in UTC, to the
// microsecond.
func testOperateTimes(t *testing.T, s license.Store) {
	ctx := t.Context()
	zone := time.FixedZone("UTC+2", 2*60*60)
	in := time.Date(2031, 5, 6, 9, 8, 7, 123456789, zone)
	want := time.Date(2031, 5, 6, 7, 8, 7, 123456000, time.UTC)
	check := func(what string, got, want time.Time) {
		t.Helper()
		if got != want || got.Location() != time.UTC {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}

	w := newWebhook(t, in)
	mustNil(t, "CreateWebhook", s.CreateWebhook(ctx, w, newEvent(t, license.EventWebhookCreated, "webhook/"+w.ID, in, false)))
	gw, err := s.Webhook(ctx, w.ID)
	mustNil(t, "Webhook", err)
	check("Webhook.CreatedAt", gw.CreatedAt, want)
	tok := newToken(t, "times", license.ScopeAdmin)
	tok.CreatedAt = in
	mustNil(t, "CreateAdminToken", s.CreateAdminToken(ctx, tok, newEvent(t, license.EventTokenCreated, "token/times", in, false)))
	gt, err := s.AdminTokenByID(ctx, tok.ID)
	mustNil(t, "AdminTokenByID", err)
	check("AdminToken.CreatedAt", gt.CreatedAt, want)

	target := "license/" + newID(t)
	mustRecord(t, s, newEvent(t, license.EventLicenseCreated, target, in, true))
	// Since with nanoseconds keeps the event of its microsecond.
	es, err := s.Events(ctx, license.AuditQuery{Target: target, Since: in, Page: license.Page{Limit: 10}})
	mustNil(t, "Events", err)
	if len(es) != 1 {
		t.Fatalf("Events since its own time: got %d, want 1", len(es))
	}
	check("Event.At", es[0].At, want)
	es, err = s.Events(ctx, license.AuditQuery{Target: target, Page: license.Page{After: eventCursor(es[0]), Limit: 10}})
	mustNil(t, "Events after it", err)
	if len(es) != 0 {
		t.Errorf("Events after its own cursor: got %d, want 0", len(es))
	}

	ds := claim(t, s, in, time.Minute, 10)
	if len(ds) != 1 {
		t.Fatalf("ClaimDeliveries at the event's time: got %d, want 1", len(ds))
	}
	check("Delivery.NextAt", ds[0].NextAt, want)
	check("Delivery.Event.At", ds[0].Event.At, want)
	check("Delivery.Webhook.CreatedAt", ds[0].Webhook.CreatedAt, want)
	a := newAttempt(t, ds[0], in, 500)
	mustFinish(t, s, ds[0], license.DeliveryResult{Attempt: a, State: license.DeliveryPending, NextAt: in.Add(time.Minute)})
	ds = claim(t, s, in.Add(time.Minute), time.Minute, 10)
	if len(ds) != 1 {
		t.Fatalf("ClaimDeliveries at the retry's time: got %d, want 1", len(ds))
	}
	check("Delivery.NextAt after a retry", ds[0].NextAt, want.Add(time.Minute))
	as, err := s.Attempts(ctx, w.ID, license.Page{Limit: 10})
	mustNil(t, "Attempts", err)
	if len(as) != 1 {
		t.Fatalf("Attempts: got %d, want 1", len(as))
	}
	check("Attempt.At", as[0].At, want)

	rec := newIdempotent("shop", newID(t), "POST /v1/licenses")
	rec.CreatedAt, rec.LockedUntil = in, in.Add(time.Minute)
	got, _, err := s.BeginIdempotent(ctx, rec, in)
	mustNil(t, "BeginIdempotent", err)
	check("Idempotent.CreatedAt", got.CreatedAt, want)
	check("Idempotent.LockedUntil", got.LockedUntil, want.Add(time.Minute))
	got, started, err := s.BeginIdempotent(ctx, rec, in)
	mustNil(t, "BeginIdempotent again", err)
	if started {
		t.Errorf("BeginIdempotent while locked: started, want not")
	}
	check("kept Idempotent.CreatedAt", got.CreatedAt, want)
	check("kept Idempotent.LockedUntil", got.LockedUntil, want.Add(time.Minute))
}

// testOperateCopies checks that events, deliveries, tokens and kept
// requests share no memory with what the store was given or returned.
func testOperateCopies(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 1)
	mustWebhook(t, s, t0)
	target := "license/" + l.ID
	e := newEvent(t, license.EventLicenseCreated, target, t0, true)
	wantE := e
	wantE.Change, wantE.Data = bytes.Clone(e.Change), bytes.Clone(e.Data)
	mustRecord(t, s, e)
	e.Change[0], e.Data[0] = 'x', 'x'
	es := eventsOf(t, s, target)
	equal(t, "Events after changing the recorded event", es, []license.Event{wantE})
	es[0].Change[0], es[0].Data[0] = 'x', 'x'
	equal(t, "Events after changing a listed event", eventsOf(t, s, target), []license.Event{wantE})

	e2 := newEvent(t, license.EventLicenseUpdated, target, t0.Add(time.Second), true)
	wantE2 := e2
	wantE2.Change, wantE2.Data = bytes.Clone(e2.Change), bytes.Clone(e2.Data)
	err := s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
		if err := tx.Record(e2); err != nil {
			return err
		}
		e2.Change[0], e2.Data[0] = 'x', 'x'
		return nil
	})
	mustNil(t, "WithLicense", err)
	equal(t, "Events after changing an event recorded in a transaction", eventsOf(t, s, target), []license.Event{wantE, wantE2})

	ds := claim(t, s, t0.Add(time.Hour), time.Minute, 10)
	if len(ds) != 2 {
		t.Fatalf("ClaimDeliveries: got %d, want 2", len(ds))
	}
	for _, d := range ds {
		d.Event.Change[0], d.Event.Data[0] = 'x', 'x'
	}
	ds = claim(t, s, t0.Add(2*time.Hour), time.Minute, 10)
	if len(ds) != 2 {
		t.Fatalf("ClaimDeliveries again: got %d, want 2", len(ds))
	}
	equal(t, "claimed events after changing claimed events", []license.Event{ds[0].Event, ds[1].Event}, []license.Event{wantE, wantE2})

	tok := newToken(t, "copies", license.ScopeAdmin)
	wantT := tok
	wantT.Hash = bytes.Clone(tok.Hash)
	mustNil(t, "CreateAdminToken", s.CreateAdminToken(ctx, tok, newEvent(t, license.EventTokenCreated, "token/copies", t0, false)))
	tok.Hash[0] ^= 0xff
	got, err := s.AdminTokenByID(ctx, tok.ID)
	mustNil(t, "AdminTokenByID", err)
	equal(t, "AdminTokenByID after changing the created token", got, wantT)
	got.Hash[0] ^= 0xff
	ts, err := s.AdminTokens(ctx)
	mustNil(t, "AdminTokens", err)
	ts[0].Hash[0] ^= 0xff
	got, err = s.AdminTokenByID(ctx, tok.ID)
	mustNil(t, "AdminTokenByID", err)
	equal(t, "AdminTokenByID after changing returned tokens", got, wantT)

	rec := newIdempotent("shop", newID(t), "POST /v1/licenses")
	started, _, err := s.BeginIdempotent(ctx, rec, t0)
	mustNil(t, "BeginIdempotent", err)
	started.Fingerprint = "changed"
	answer := rec
	answer.Status, answer.Header, answer.Body = 200, json.RawMessage(`{"A":["b"]}`), []byte("body")
	wantR := answer
	wantR.Done, wantR.Header, wantR.Body = true, bytes.Clone(answer.Header), bytes.Clone(answer.Body)
	mustNil(t, "FinishIdempotent", s.FinishIdempotent(ctx, answer))
	answer.Header[0], answer.Body[0] = 'x', 'x'
	kept, _, err := s.BeginIdempotent(ctx, rec, t0.Add(time.Hour))
	mustNil(t, "BeginIdempotent", err)
	equal(t, "BeginIdempotent after changing the finished answer", kept, wantR)
	kept.Header[0], kept.Body[0] = 'x', 'x'
	kept, _, err = s.BeginIdempotent(ctx, rec, t0.Add(time.Hour))
	mustNil(t, "BeginIdempotent", err)
	equal(t, "BeginIdempotent after changing a returned answer", kept, wantR)
}
