package storetest

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// newEvent returns an event of a type and target at a time, with a change.
// With data it is a webhook event, which the store puts in the outbox.
func newEvent(tb testing.TB, typ, target string, at time.Time, data bool) license.Event {
	tb.Helper()
	id, err := license.NewTimeUUID(at)
	if err != nil {
		tb.Fatalf("NewTimeUUID: %v", err)
	}
	e := license.Event{
		ID:      id,
		At:      at,
		Type:    typ,
		Actor:   license.Actor{Name: "storetest", Protocol: "api", Addr: "192.0.2.1", RequestID: "req-" + id[:8]},
		Target:  target,
		Outcome: "ok",
		Change:  json.RawMessage(`{"seats":{"from":1,"to":2}}`),
	}
	if data {
		e.Data = json.RawMessage(`{"target":"` + target + `","seats":2,"features":["a","b"]}`)
	}
	return e
}

// mustRecord records an event on its own.
func mustRecord(tb testing.TB, s license.Store, e license.Event) license.Event {
	tb.Helper()
	if err := s.Record(tb.Context(), e); err != nil {
		tb.Fatalf("Record(%s): %v", e.ID, err)
	}
	return e
}

// eventsOf returns every event of a target, or every event if target is
// empty, as s lists them.
func eventsOf(tb testing.TB, s license.Store, target string) []license.Event {
	tb.Helper()
	es, err := s.Events(tb.Context(), license.AuditQuery{Target: target, Page: license.Page{Limit: license.MaxPageLimit}})
	if err != nil {
		tb.Fatalf("Events(%q): %v", target, err)
	}
	return es
}

// sortEvents orders events by At, then ID, as Events lists them.
func sortEvents(es []license.Event) {
	slices.SortFunc(es, func(a, b license.Event) int { return cmp.Or(a.At.Compare(b.At), strings.Compare(a.ID, b.ID)) })
}

// eventCursor returns the cursor after an event.
func eventCursor(e license.Event) license.Cursor { return license.Cursor{At: e.At, ID: e.ID} }

// licenseCursor returns the cursor after a license.
func licenseCursor(l license.License) license.Cursor {
	return license.Cursor{At: l.CreatedAt, ID: l.ID}
}

// attemptCursor returns the cursor after an attempt.
func attemptCursor(a license.Attempt) license.Cursor { return license.Cursor{At: a.At, ID: a.ID} }

// walk lists a whole list by pages of limit items, each after the last item
// of the one before, and returns it. Every page but the last holds limit
// items, and the last page is empty.
func walk[T any](tb testing.TB, what string, limit int, list func(p license.Page) ([]T, error), cursor func(T) license.Cursor) []T {
	tb.Helper()
	var all []T
	p := license.Page{Limit: limit}
	short := false
	for range 1000 {
		got, err := list(p)
		if err != nil {
			tb.Fatalf("%s after %+v: %v", what, p.After, err)
		}
		if len(got) == 0 {
			return all
		}
		switch {
		case len(got) > limit:
			tb.Errorf("%s after %+v: got %d items, want at most %d", what, p.After, len(got), limit)
		case short:
			tb.Errorf("%s: a page of fewer than %d items was not the last", what, limit)
		}
		short = len(got) < limit
		all = append(all, got...)
		p.After = cursor(got[len(got)-1])
	}
	tb.Fatalf("%s: more than 1000 pages", what)
	return nil
}

// testEvents checks the audit trail: events listed by At then ID, filtered
// by Since and Target, and walked by pages.
func testEvents(t *testing.T, s license.Store) {
	ctx := t.Context()
	es, err := s.Events(ctx, license.AuditQuery{Page: license.Page{Limit: 10}})
	mustNil(t, "Events of an empty store", err)
	if len(es) != 0 {
		t.Errorf("Events of an empty store: got %d, want 0", len(es))
	}

	// Three events at t0+2m and two at t0+5m: their IDs order them, and a
	// page of three ends inside the first tie.
	offsets := []time.Duration{0, time.Minute, 2 * time.Minute, 2 * time.Minute, 2 * time.Minute,
		3 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute, 6 * time.Minute}
	targetA, targetB := "license/"+newID(t), "license/"+newID(t)
	var all []license.Event
	for i, d := range offsets {
		target := targetA
		switch {
		case i%3 == 1:
			target = targetB
		case i == 6:
			target = "" // an attempt that named nothing known
		}
		all = append(all, newEvent(t, license.EventLicenseUpdated, target, t0.Add(d), i%2 == 0))
	}
	all[5].Change = nil // nothing changed
	all[5].Outcome = "no_seats"
	// Recorded out of order: the store orders them.
	for _, i := range []int{9, 3, 0, 7, 2, 5, 1, 8, 4, 6} {
		mustRecord(t, s, all[i])
	}
	sortEvents(all)
	filter := func(keep func(e license.Event) bool) []license.Event {
		var es []license.Event
		for _, e := range all {
			if keep(e) {
				es = append(es, e)
			}
		}
		return es
	}

	dup := all[4]
	dup.Type = license.EventLicenseCreated
	wantErr(t, "Record with a taken ID", s.Record(ctx, dup), license.ErrConflict)

	tests := []struct {
		name string
		q    license.AuditQuery
		want []license.Event
	}{
		{"every event", license.AuditQuery{}, all},
		{"of a target", license.AuditQuery{Target: targetA}, filter(func(e license.Event) bool { return e.Target == targetA })},
		{"of another target", license.AuditQuery{Target: targetB}, filter(func(e license.Event) bool { return e.Target == targetB })},
		{"of an unknown target", license.AuditQuery{Target: "license/" + newID(t)}, nil},
		{"since the first tie", license.AuditQuery{Since: t0.Add(2 * time.Minute)}, all[2:]},
		{"since just after the first tie", license.AuditQuery{Since: t0.Add(2*time.Minute + time.Microsecond)}, all[5:]},
		{"since the last", license.AuditQuery{Since: t0.Add(6 * time.Minute)}, all[9:]},
		{"since after the last", license.AuditQuery{Since: t0.Add(7 * time.Minute)}, nil},
		{"of a target since", license.AuditQuery{Target: targetA, Since: t0.Add(3 * time.Minute)}, filter(func(e license.Event) bool {
			return e.Target == targetA && !e.At.Before(t0.Add(3*time.Minute))
		})},
	}
	for _, tt := range tests {
		q := tt.q
		q.Limit = license.MaxPageLimit
		got, err := s.Events(ctx, q)
		mustNil(t, "Events "+tt.name, err)
		equal(t, "Events "+tt.name, got, tt.want)
		got = walk(t, "Events "+tt.name+" by pages of 3", 3, func(p license.Page) ([]license.Event, error) {
			q := tt.q
			q.Page = p
			return s.Events(ctx, q)
		}, eventCursor)
		equal(t, "Events "+tt.name+" by pages of 3", got, tt.want)
	}

	pages := []struct {
		name string
		p    license.Page
		want []license.Event
	}{
		{"first two", license.Page{Limit: 2}, all[:2]},
		{"one after the first of a tie", license.Page{After: eventCursor(all[2]), Limit: 1}, all[3:4]},
		{"after the last of a tie", license.Page{After: eventCursor(all[4]), Limit: 2}, all[5:7]},
		{"after a time between events", license.Page{After: license.Cursor{At: t0.Add(150 * time.Second), ID: all[0].ID}, Limit: 2}, all[5:7]},
		{"after the last", license.Page{After: eventCursor(all[9]), Limit: 5}, nil},
	}
	for _, tt := range pages {
		got, err := s.Events(ctx, license.AuditQuery{Page: tt.p})
		mustNil(t, "Events "+tt.name, err)
		equal(t, "Events "+tt.name, got, tt.want)
	}
}

// testChangeEvents checks that CreateProduct, UpdateProduct and
// CreateLicense store their events with the change, and neither when they
// fail.
func testChangeEvents(t *testing.T, s license.Store) {
	ctx := t.Context()
	w := mustWebhook(t, s, t0)
	p := newProduct(t, "events")
	pt := "product/" + p.ID
	created := []license.Event{
		newEvent(t, license.EventProductCreated, pt, t0, false),
		newEvent(t, license.EventLicenseCreated, pt, t0.Add(time.Second), false),
	}
	mustNil(t, "CreateProduct with events", s.CreateProduct(ctx, p, created...))
	equal(t, "Events after CreateProduct", eventsOf(t, s, pt), created)

	// A failed CreateProduct stores no event; an event whose ID is taken
	// stores no product.
	lost := newEvent(t, license.EventProductCreated, pt, t0.Add(time.Minute), false)
	wantErr(t, "CreateProduct with a taken ID", s.CreateProduct(ctx, p, lost), license.ErrConflict)
	other := newProduct(t, "events")
	if err := s.CreateProduct(ctx, other, newEvent(t, license.EventProductCreated, "product/"+other.ID, t0, false), created[0]); err == nil {
		t.Errorf("CreateProduct with a taken event ID: got nil, want an error")
	}
	_, err := s.Product(ctx, other.ID)
	wantErr(t, "Product after CreateProduct with a taken event ID", err, license.ErrNotFound)
	equal(t, "Events of the product not created", eventsOf(t, s, "product/"+other.ID), nil)

	updated := newEvent(t, license.EventProductUpdated, pt, t0.Add(2*time.Second), false)
	_, err = s.UpdateProduct(ctx, p.ID, func(q *license.Product) error { q.Name = "Renamed"; return nil }, updated)
	mustNil(t, "UpdateProduct with an event", err)
	_, err = s.UpdateProduct(ctx, p.ID, func(q *license.Product) error { q.Name = "Lost"; return errBoom },
		newEvent(t, license.EventProductUpdated, pt, t0.Add(3*time.Second), false))
	wantErr(t, "UpdateProduct whose fn fails", err, errBoom)
	_, err = s.UpdateProduct(ctx, "no-such-product", func(*license.Product) error { return nil },
		newEvent(t, license.EventProductUpdated, pt, t0.Add(4*time.Second), false))
	wantErr(t, "UpdateProduct(missing)", err, license.ErrNotFound)
	_, err = s.UpdateProduct(ctx, p.ID, func(q *license.Product) error { q.Name = "Lost"; return nil }, created[1])
	if err == nil {
		t.Errorf("UpdateProduct with a taken event ID: got nil, want an error")
	}
	got, err := s.Product(ctx, p.ID)
	mustNil(t, "Product", err)
	if got.Name != "Renamed" {
		t.Errorf("Product name after UpdateProduct with a taken event ID: got %q, want %q", got.Name, "Renamed")
	}
	equal(t, "Events after UpdateProduct", eventsOf(t, s, pt), append(slices.Clone(created), updated))

	// A license event with data goes to the outbox with it.
	l := newLicense(t, p.ID, 1)
	lt := "license/" + l.ID
	lc := newEvent(t, license.EventLicenseCreated, lt, t0, true)
	mustNil(t, "CreateLicense with an event", s.CreateLicense(ctx, l, lc))
	sameID := newLicense(t, p.ID, 1)
	sameID.ID = l.ID
	noProduct := newLicense(t, "no-such-product", 1)
	failing := []struct {
		name string
		l    license.License
		want error
	}{
		{"a taken ID", sameID, license.ErrConflict},
		{"an unknown product", noProduct, license.ErrNotFound},
	}
	for _, tt := range failing {
		err := s.CreateLicense(ctx, tt.l, newEvent(t, license.EventLicenseCreated, lt, t0.Add(time.Second), true))
		wantErr(t, "CreateLicense with "+tt.name, err, tt.want)
	}
	taken := newLicense(t, p.ID, 1)
	if err := s.CreateLicense(ctx, taken, lc); err == nil {
		t.Errorf("CreateLicense with a taken event ID: got nil, want an error")
	}
	_, err = s.License(ctx, taken.ID)
	wantErr(t, "License after CreateLicense with a taken event ID", err, license.ErrNotFound)
	equal(t, "Events after CreateLicense", eventsOf(t, s, lt), []license.Event{lc})
	ds := claim(t, s, t0.Add(time.Hour), time.Minute, 10)
	equal(t, "deliveries after CreateLicense", deliveryKeys(ds), []deliveryKey{{w.ID, lc.ID}})
}

// testWithLicenseRecord checks that LicenseTx.Record commits events and
// their deliveries with the transaction, and that a rollback takes both
// away.
func testWithLicenseRecord(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 3)
	w := mustWebhook(t, s, t0)
	target := "license/" + l.ID
	lost := []license.Event{
		newEvent(t, license.EventActivationCreated, target, t0, true),
		newEvent(t, license.EventActivationRefused, target, t0, false),
	}
	err := s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
		for _, e := range lost {
			if err := tx.Record(e); err != nil {
				t.Errorf("Record(%s) in a transaction rolled back: %v", e.Type, err)
			}
		}
		return errBoom
	})
	wantErr(t, "WithLicense failing after Record", err, errBoom)
	equal(t, "Events after a rollback", eventsOf(t, s, target), nil)
	ds := claim(t, s, t0.Add(time.Hour), time.Minute, 10)
	equal(t, "deliveries after a rollback", deliveryKeys(ds), nil)

	kept := []license.Event{
		newEvent(t, license.EventActivationCreated, target, t0.Add(time.Second), true),
		newEvent(t, license.EventActivationRefused, target, t0.Add(2*time.Second), false),
		lost[0], // rolled back, so its ID is free
	}
	sortEvents(kept)
	err = s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
		for _, e := range kept {
			if err := tx.Record(e); err != nil {
				return err
			}
		}
		return nil
	})
	mustNil(t, "WithLicense recording events", err)
	equal(t, "Events after a commit", eventsOf(t, s, target), kept)
	wantErr(t, "Record of an ID taken in a transaction", s.Record(ctx, kept[0]), license.ErrConflict)
	err = s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error { return tx.Record(kept[1]) })
	wantErr(t, "Record of a taken ID in a transaction", err, license.ErrConflict)
	equal(t, "Events after conflicts", eventsOf(t, s, target), kept)
	ds = claim(t, s, t0.Add(time.Hour), time.Minute, 10)
	var wantKeys []deliveryKey
	for _, e := range kept {
		if e.Data != nil {
			wantKeys = append(wantKeys, deliveryKey{w.ID, e.ID})
		}
	}
	equal(t, "deliveries after a commit", deliveryKeys(ds), wantKeys)
}

// testFindLicenses checks FindLicenses' filters and paging.
func testFindLicenses(t *testing.T, s license.Store) {
	ctx := t.Context()
	pa := mustProduct(t, s, "a")
	pb := mustProduct(t, s, "b")
	offsets := []time.Duration{3 * time.Hour, 0, time.Hour, time.Hour, time.Hour, 2 * time.Hour, 4 * time.Hour, 5 * time.Hour, 5 * time.Hour, 6 * time.Hour, 7 * time.Hour}
	emails := []string{"ada@example.com", "bob@example.com", ""}
	var all []license.License
	for i, d := range offsets {
		productID := pa.ID
		if i%4 == 3 {
			productID = pb.ID
		}
		l := newLicense(t, productID, 1+i)
		l.CreatedAt = t0.Add(d)
		l.Email = emails[i%3]
		if i%2 == 1 {
			l.Status = license.StatusSuspended
		}
		mustNil(t, "CreateLicense", s.CreateLicense(ctx, l))
		all = append(all, l)
	}
	slices.SortFunc(all, func(a, b license.License) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	tests := []struct {
		name string
		q    license.LicenseQuery
	}{
		{"every license", license.LicenseQuery{}},
		{"of a product", license.LicenseQuery{ProductID: pa.ID}},
		{"of another product", license.LicenseQuery{ProductID: pb.ID}},
		{"of an email", license.LicenseQuery{Email: "ada@example.com"}},
		{"of a status", license.LicenseQuery{Status: license.StatusSuspended}},
		{"of a product, email and status", license.LicenseQuery{ProductID: pa.ID, Email: "bob@example.com", Status: license.StatusSuspended}},
		{"of an unknown product", license.LicenseQuery{ProductID: "no-such-product"}},
		{"of an unknown email", license.LicenseQuery{Email: "eve@example.com"}},
	}
	for _, tt := range tests {
		var want []license.License
		for _, l := range all {
			if (tt.q.ProductID == "" || l.ProductID == tt.q.ProductID) && (tt.q.Email == "" || l.Email == tt.q.Email) &&
				(tt.q.Status == "" || l.Status == tt.q.Status) {
				want = append(want, l)
			}
		}
		q := tt.q
		q.Limit = license.MaxPageLimit
		got, err := s.FindLicenses(ctx, q)
		mustNil(t, "FindLicenses "+tt.name, err)
		equal(t, "FindLicenses "+tt.name, got, want)
		got = walk(t, "FindLicenses "+tt.name+" by pages of 3", 3, func(p license.Page) ([]license.License, error) {
			q := tt.q
			q.Page = p
			return s.FindLicenses(ctx, q)
		}, licenseCursor)
		equal(t, "FindLicenses "+tt.name+" by pages of 3", got, want)
	}
	// all[1:4] were created at the same time.
	got, err := s.FindLicenses(ctx, license.LicenseQuery{Page: license.Page{After: licenseCursor(all[2]), Limit: 2}})
	mustNil(t, "FindLicenses after a license inside a tie", err)
	equal(t, "FindLicenses after a license inside a tie", got, all[3:5])
}
