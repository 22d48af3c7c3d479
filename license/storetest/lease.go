package storetest

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// Leases of floating licenses: activations with a LeaseUntil, which
// [license.LicenseTx.ExpireLeases] ends once it is not after now.

// floating makes a license floating, with leases of a minute.
func floating(l *license.License) { l.Floating, l.LeaseSeconds = true, 60 }

// newLease returns a valid, active lease of a license for an instance,
// taken at t0 and ending at until.
func newLease(tb testing.TB, licenseID, instance string, until time.Time) license.Activation {
	tb.Helper()
	a := newActivation(tb, licenseID, instance)
	a.LeaseUntil = until
	return a
}

// mustLease stores a new active lease of a license for an instance.
func mustLease(tb testing.TB, s license.Store, licenseID, instance string, until time.Time) license.Activation {
	tb.Helper()
	return mustInsert(tb, s, newLease(tb, licenseID, instance, until))
}

// expire runs ExpireLeases(now) on a license in a transaction of its own and
// returns what it ended.
func expire(tb testing.TB, s license.Store, licenseID string, now time.Time) []license.Activation {
	tb.Helper()
	var ended []license.Activation
	err := s.WithLicense(context.Background(), licenseID, func(tx license.LicenseTx) error {
		var err error
		ended, err = tx.ExpireLeases(now)
		return err
	})
	if err != nil {
		tb.Fatalf("ExpireLeases: %v", err)
	}
	return ended
}

// ranOut returns a as ExpireLeases ends it: released at its LeaseUntil.
func ranOut(a license.Activation) license.Activation {
	a.Status, a.ReleasedAt = license.StatusReleased, a.LeaseUntil
	return a
}

// testLeaseFields checks that Floating, LeaseSeconds and LeaseUntil are kept
// by every write and come back from every read, and that Update changes
// LeaseSeconds but never Floating.
func testLeaseFields(t *testing.T, s license.Store) {
	ctx := t.Context()
	p := mustProduct(t, s, "lease")
	fl := newLicense(t, p.ID, 3)
	floating(&fl)
	fixed := newLicense(t, p.ID, 3)
	fixed.CreatedAt = t0.Add(time.Second)
	for _, l := range []license.License{fl, fixed} {
		mustNil(t, "CreateLicense", s.CreateLicense(ctx, l))
	}
	checkLicenses := func(what string, want ...license.License) {
		t.Helper()
		for _, l := range want {
			lookups := []struct {
				name string
				get  func() (license.License, error)
			}{
				{"License", func() (license.License, error) { return s.License(ctx, l.ID) }},
				{"LicenseByKey", func() (license.License, error) { return s.LicenseByKey(ctx, l.Key) }},
				{"LicenseByProductKey", func() (license.License, error) { return s.LicenseByProductKey(ctx, l.ProductKey) }},
				{"LicenseByNumber", func() (license.License, error) { return s.LicenseByNumber(ctx, l.Number) }},
			}
			for _, lu := range lookups {
				got, err := lu.get()
				mustNil(t, lu.name+" "+what, err)
				equal(t, lu.name+" "+what, got, l)
			}
			err := s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
				equal(t, "License() "+what, tx.License(), l)
				return nil
			})
			mustNil(t, "WithLicense", err)
		}
		lists := []struct {
			name string
			list func() ([]license.License, error)
		}{
			{"Licenses", func() ([]license.License, error) { return s.Licenses(ctx, p.ID) }},
			{"Licenses of every product", func() ([]license.License, error) { return s.Licenses(ctx, "") }},
			{"LicensesByEmail", func() ([]license.License, error) { return s.LicensesByEmail(ctx, fl.Email, p.ID) }},
			{"FindLicenses", func() ([]license.License, error) {
				return s.FindLicenses(ctx, license.LicenseQuery{Page: license.Page{Limit: license.MaxPageLimit}})
			}},
		}
		for _, lt := range lists {
			got, err := lt.list()
			mustNil(t, lt.name+" "+what, err)
			equal(t, lt.name+" "+what, got, want)
		}
	}
	checkLicenses("after CreateLicense", fl, fixed)

	// Update changes LeaseSeconds; Floating stays as created, both ways,
	// and the number as it is.
	wantFl, wantFixed := fl, fixed
	wantFl.LeaseSeconds = 3600
	for _, tt := range []struct {
		l    license.License
		edit func(*license.License)
	}{
		{fl, func(u *license.License) { u.Floating, u.LeaseSeconds, u.Number = false, 3600, newNumber(t) }},
		{fixed, func(u *license.License) { u.Floating = true }},
	} {
		err := s.WithLicense(ctx, tt.l.ID, func(tx license.LicenseTx) error {
			u := tx.License()
			tt.edit(&u)
			return tx.Update(u)
		})
		mustNil(t, "WithLicense updating", err)
	}
	checkLicenses("after Update", wantFl, wantFixed)

	// LeaseUntil: kept by Insert, to the microsecond in UTC, and given back
	// by every read; zero for an activation that is not a lease.
	zone := time.FixedZone("UTC+2", 2*60*60)
	until := time.Date(2030, 1, 2, 5, 4, 5, 987654321, zone)
	lease := newLease(t, fl.ID, "instance-1", until)
	plain := newActivation(t, fl.ID, "pc-1")
	plain.ActivatedAt = t0.Add(time.Second)
	want := lease
	want.LeaseUntil = time.Date(2030, 1, 2, 3, 4, 5, 987654000, time.UTC)
	err := s.WithLicense(ctx, fl.ID, func(tx license.LicenseTx) error {
		for _, a := range []license.Activation{lease, plain} {
			if err := tx.Insert(a); err != nil {
				return err
			}
		}
		for _, tt := range []struct {
			computerID string
			want       license.Activation
		}{{"instance-1", want}, {"pc-1", plain}} {
			got, ok, err := tx.ActiveOn(tt.computerID)
			if err != nil || !ok {
				t.Errorf("ActiveOn(%s): got ok %v, err %v, want true, nil", tt.computerID, ok, err)
			}
			equal(t, "ActiveOn("+tt.computerID+")", got, tt.want)
			if got.LeaseUntil.Location() != time.UTC {
				t.Errorf("ActiveOn(%s): LeaseUntil in %v, want UTC", tt.computerID, got.LeaseUntil.Location())
			}
		}
		return nil
	})
	mustNil(t, "WithLicense inserting", err)
	found := []struct {
		name string
		get  func() (license.Activation, error)
		want license.Activation
	}{
		{"Activation", func() (license.Activation, error) { return s.Activation(ctx, lease.AID) }, want},
		{"ActivationByComputer", func() (license.Activation, error) { return s.ActivationByComputer(ctx, fl.ID, "instance-1") }, want},
		{"ActivationByComputerKey", func() (license.Activation, error) { return s.ActivationByComputerKey(ctx, lease.ComputerKey) }, want},
		{"Activation of a non-lease", func() (license.Activation, error) { return s.Activation(ctx, plain.AID) }, plain},
	}
	for _, tt := range found {
		got, err := tt.get()
		mustNil(t, tt.name, err)
		equal(t, tt.name, got, tt.want)
		if got.LeaseUntil.Location() != time.UTC {
			t.Errorf("%s: LeaseUntil in %v, want UTC", tt.name, got.LeaseUntil.Location())
		}
	}
	for _, id := range []string{fl.ID, ""} {
		as, err := s.Activations(ctx, id)
		mustNil(t, "Activations", err)
		equal(t, "Activations("+id+")", as, []license.Activation{want, plain})
	}
	// End keeps LeaseUntil.
	ended := mustEnd(t, s, want, license.StatusReleased, t0.Add(time.Minute))
	want.Status, want.ReleasedAt = license.StatusReleased, t0.Add(time.Minute)
	equal(t, "End of a lease", ended, want)
	got, err := s.Activation(ctx, lease.AID)
	mustNil(t, "Activation after End", err)
	equal(t, "Activation after End", got, want)
	checkSeatsHeld(t, s, fl.ID, 1)
}

// testExpireLeases checks that ExpireLeases ends exactly the leases of the
// license that ran out by now, a lease ending at now included, and nothing
// else.
func testExpireLeases(t *testing.T, s license.Store) {
	ctx := t.Context()
	now := t0.Add(time.Hour)
	l := mustLicense(t, s, 10, floating)
	other := mustLicense(t, s, 10, floating)

	plain := mustActivate(t, s, l.ID, "pc-plain")
	atNow := mustLease(t, s, l.ID, "instance-now", now)
	oldest := mustLease(t, s, l.ID, "instance-oldest", now.Add(-2*time.Minute))
	older := mustLease(t, s, l.ID, "instance-older", now.Add(-time.Minute))
	live := mustLease(t, s, l.ID, "instance-live", now.Add(time.Microsecond))
	gone := mustEnd(t, s, mustLease(t, s, l.ID, "instance-gone", now.Add(-time.Hour)), license.StatusReleased, now.Add(-2*time.Hour))
	banned := mustEnd(t, s, mustLease(t, s, l.ID, "instance-banned", now.Add(-time.Hour)), license.StatusRevoked, now.Add(-2*time.Hour))
	foreign := mustLease(t, s, other.ID, "instance-now", now.Add(-time.Minute))
	checkSeatsHeld(t, s, l.ID, 5)

	want := []license.Activation{ranOut(oldest), ranOut(older), ranOut(atNow)}
	err := s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
		ended, err := tx.ExpireLeases(now)
		if err != nil {
			return err
		}
		equal(t, "ExpireLeases", ended, want)
		if got := tx.License().SeatsHeld; got != 2 {
			t.Errorf("SeatsHeld after ExpireLeases: got %d, want 2", got)
		}
		for _, a := range want {
			if _, ok, err := tx.ActiveOn(a.ComputerID); err != nil || ok {
				t.Errorf("ActiveOn(%s) after ExpireLeases: got ok %v, err %v, want false, nil", a.ComputerID, ok, err)
			}
		}
		// Nothing more runs out by now; the transaction stays usable, and
		// the ended lease's instance may lease again.
		again, err := tx.ExpireLeases(now)
		if err != nil {
			return err
		}
		if len(again) != 0 {
			t.Errorf("ExpireLeases again: got %d ended, want 0", len(again))
		}
		return tx.Insert(newLease(t, l.ID, "instance-now", now.Add(time.Minute)))
	})
	mustNil(t, "WithLicense", err)
	for _, a := range []license.Activation{want[0], want[1], want[2], plain, live, gone, banned, foreign} {
		got, err := s.Activation(ctx, a.AID)
		mustNil(t, "Activation", err)
		equal(t, "Activation after ExpireLeases", got, a)
	}
	checkSeatsHeld(t, s, l.ID, 3)
	checkSeatsHeld(t, s, other.ID, 1)

	// A lease inserted in the transaction is ended by it too: reads see
	// the transaction's writes. A later now ends the live lease.
	later := now.Add(time.Minute)
	var late license.Activation
	err = s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
		late = newLease(t, l.ID, "instance-late", now.Add(-time.Second))
		if err := tx.Insert(late); err != nil {
			return err
		}
		ended, err := tx.ExpireLeases(later)
		if err != nil {
			return err
		}
		if got := tx.License().SeatsHeld; got != 1 {
			t.Errorf("SeatsHeld after the second ExpireLeases: got %d, want 1", got)
		}
		if len(ended) != 3 {
			t.Errorf("ExpireLeases(later): got %d ended, want 3", len(ended))
			return nil
		}
		equal(t, "ExpireLeases(later): the inserted lease and the live one", ended[:2], []license.Activation{ranOut(late), ranOut(live)})
		if ended[2].ComputerID != "instance-now" || ended[2].Status != license.StatusReleased || ended[2].ReleasedAt != later {
			t.Errorf("ExpireLeases(later): got %+v, want instance-now released at %v", ended[2], later)
		}
		return nil
	})
	mustNil(t, "WithLicense", err)
	checkSeatsHeld(t, s, l.ID, 1)
	if ended := expire(t, s, l.ID, later.Add(time.Hour)); len(ended) != 0 {
		t.Errorf("ExpireLeases with no lease left: got %d ended, want 0", len(ended))
	}
	// A license that is not floating has no lease to end.
	fixed := mustLicense(t, s, 1)
	mustActivate(t, s, fixed.ID, "pc-1")
	if ended := expire(t, s, fixed.ID, later); len(ended) != 0 {
		t.Errorf("ExpireLeases of a license with no lease: got %d ended, want 0", len(ended))
	}
	checkSeatsHeld(t, s, fixed.ID, 1)
}

// testExpireLeasesRollback checks that fn's error undoes ExpireLeases,
// Extend and End of leases: the leases run out as before, and are found
// and ended as before.
func testExpireLeasesRollback(t *testing.T, s license.Store) {
	ctx := t.Context()
	now := t0.Add(time.Hour)
	l := mustLicense(t, s, 3, floating)
	out := mustLease(t, s, l.ID, "instance-out", now.Add(-time.Minute))
	live := newLease(t, l.ID, "instance-live", now.Add(time.Minute))
	live.ActivatedAt = t0.Add(time.Second)
	mustInsert(t, s, live)
	before, err := s.License(ctx, l.ID)
	mustNil(t, "License", err)
	err = s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
		ended, err := tx.ExpireLeases(now)
		if err != nil || len(ended) != 1 {
			t.Errorf("ExpireLeases: got %d ended, %v, want 1, nil", len(ended), err)
		}
		if _, err := tx.Extend(live.AID, now.Add(time.Hour)); err != nil {
			t.Errorf("Extend: %v", err)
		}
		if err := tx.Insert(newLease(t, l.ID, "instance-out", now.Add(time.Minute))); err != nil {
			t.Errorf("Insert of a new lease of the ended lease's instance: %v", err)
		}
		return errBoom
	})
	if err != errBoom {
		t.Errorf("WithLicense: got error %v, want %v as is", err, errBoom)
	}
	// Ending the leases otherwise, undone too.
	err = s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
		for _, e := range []struct {
			a      license.Activation
			status license.Status
		}{{out, license.StatusRevoked}, {live, license.StatusReleased}} {
			if _, err := tx.End(e.a.AID, e.status, now); err != nil {
				t.Errorf("End(%s): %v", e.a.ComputerID, err)
			}
		}
		return errBoom
	})
	if err != errBoom {
		t.Errorf("WithLicense: got error %v, want %v as is", err, errBoom)
	}
	got, err := s.License(ctx, l.ID)
	mustNil(t, "License", err)
	equal(t, "License after a rolled-back ExpireLeases", got, before)
	as, err := s.Activations(ctx, l.ID)
	mustNil(t, "Activations", err)
	equal(t, "Activations after a rolled-back ExpireLeases", as, []license.Activation{out, live})
	// The lease ran out still, and is ended by the next ExpireLeases.
	equal(t, "ExpireLeases after a rolled-back one", expire(t, s, l.ID, now), []license.Activation{ranOut(out)})
	ids, err := s.LicensesWithExpiredLeases(ctx, now.Add(time.Minute), 10)
	mustNil(t, "LicensesWithExpiredLeases", err)
	equal(t, "LicensesWithExpiredLeases once the live lease ran out", ids, []string{l.ID})
	checkSeatsHeld(t, s, l.ID, 1)
}

// testExtend checks Extend's moves and refusals.
func testExtend(t *testing.T, s license.Store) {
	ctx := t.Context()
	now := t0.Add(time.Hour)
	l := mustLicense(t, s, 5, floating)
	other := mustLicense(t, s, 5, floating)
	lease := mustLease(t, s, l.ID, "instance-1", now.Add(time.Minute))
	gone := mustEnd(t, s, mustLease(t, s, l.ID, "instance-gone", now), license.StatusReleased, now)
	banned := mustEnd(t, s, mustLease(t, s, l.ID, "instance-banned", now), license.StatusRevoked, now)
	plain := mustActivate(t, s, l.ID, "pc-plain")
	plainGone := mustEnd(t, s, mustActivate(t, s, l.ID, "pc-gone"), license.StatusReleased, now)
	foreign := mustLease(t, s, other.ID, "instance-1", now.Add(time.Minute))

	// Later, earlier, and with nanoseconds in another zone: to the
	// microsecond, in UTC.
	zone := time.FixedZone("UTC-5", -5*60*60)
	for _, tt := range []struct {
		until, want time.Time
	}{
		{now.Add(time.Hour), now.Add(time.Hour)},
		{now.Add(30 * time.Second), now.Add(30 * time.Second)},
		{now.Add(2 * time.Minute).In(zone).Add(999), now.Add(2 * time.Minute)},
	} {
		want := lease
		want.LeaseUntil = tt.want
		err := s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
			got, err := tx.Extend(lease.AID, tt.until)
			if err != nil {
				return err
			}
			equal(t, "Extend", got, want)
			if got.LeaseUntil.Location() != time.UTC {
				t.Errorf("Extend: LeaseUntil in %v, want UTC", got.LeaseUntil.Location())
			}
			cur, _, err := tx.ActiveOn(lease.ComputerID)
			equal(t, "ActiveOn after Extend", cur, want)
			if got := tx.License().SeatsHeld; got != 2 {
				t.Errorf("SeatsHeld after Extend: got %d, want 2", got)
			}
			return err
		})
		mustNil(t, "WithLicense extending", err)
		got, err := s.Activation(ctx, lease.AID)
		mustNil(t, "Activation after Extend", err)
		equal(t, "Activation after Extend", got, want)
	}
	lease.LeaseUntil = now.Add(2 * time.Minute)
	// Extended past now, it no longer runs out by then.
	if ended := expire(t, s, l.ID, now.Add(time.Minute)); len(ended) != 0 {
		t.Errorf("ExpireLeases before the extended end: got %d ended, want 0", len(ended))
	}

	tests := []struct {
		name  string
		aid   string
		until time.Time
		want  error
	}{
		{"a missing activation", newID(t), now, license.ErrNotFound},
		{"another license's lease", foreign.AID, now, license.ErrNotFound},
		{"a released lease", gone.AID, now, license.ErrReleased},
		{"a revoked lease", banned.AID, now, license.ErrActivationRevoked},
		{"an activation that is not a lease", plain.AID, now, license.ErrInvalid},
		{"a released activation that is not a lease", plainGone.AID, now, license.ErrInvalid},
		{"a lease to the zero time", lease.AID, time.Time{}, license.ErrInvalid},
	}
	for _, tt := range tests {
		err := s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
			_, err := tx.Extend(tt.aid, tt.until)
			wantErr(t, "Extend "+tt.name, err, tt.want)
			// The transaction stays usable.
			_, ok, err := tx.ActiveOn(lease.ComputerID)
			if err != nil || !ok {
				t.Errorf("ActiveOn after extending %s: got ok %v, err %v, want true, nil", tt.name, ok, err)
			}
			return nil
		})
		mustNil(t, "WithLicense", err)
	}
	for _, a := range []license.Activation{lease, gone, banned, plain, plainGone, foreign} {
		got, err := s.Activation(ctx, a.AID)
		mustNil(t, "Activation", err)
		equal(t, "Activation after failed extensions", got, a)
	}
	checkSeatsHeld(t, s, l.ID, 2)
	checkSeatsHeld(t, s, other.ID, 1)
}

// testLicensesWithExpiredLeases checks which licenses the sweep finds: each
// once, only for an active lease that ran out, at most limit of them.
func testLicensesWithExpiredLeases(t *testing.T, s license.Store) {
	ctx := t.Context()
	now := t0.Add(time.Hour)
	ids, err := s.LicensesWithExpiredLeases(ctx, now, 10)
	mustNil(t, "LicensesWithExpiredLeases of an empty store", err)
	if len(ids) != 0 {
		t.Errorf("LicensesWithExpiredLeases of an empty store: got %v, want none", ids)
	}

	two := mustLicense(t, s, 5, floating)
	mustLease(t, s, two.ID, "instance-1", now.Add(-time.Minute))
	mustLease(t, s, two.ID, "instance-2", now.Add(-time.Second))
	mustLease(t, s, two.ID, "instance-3", now.Add(time.Minute))
	atNow := mustLicense(t, s, 5, floating)
	mustLease(t, s, atNow.ID, "instance-1", now)
	live := mustLicense(t, s, 5, floating)
	mustLease(t, s, live.ID, "instance-1", now.Add(time.Microsecond))
	ended := mustLicense(t, s, 5, floating)
	mustEnd(t, s, mustLease(t, s, ended.ID, "instance-1", now.Add(-time.Minute)), license.StatusReleased, now.Add(-time.Hour))
	mustEnd(t, s, mustLease(t, s, ended.ID, "instance-2", now.Add(-time.Minute)), license.StatusRevoked, now.Add(-time.Hour))
	fixed := mustLicense(t, s, 5)
	mustActivate(t, s, fixed.ID, "pc-1")

	sorted := func(ids []string) []string { return slices.Sorted(slices.Values(ids)) }
	tests := []struct {
		name  string
		now   time.Time
		limit int
		want  []string
	}{
		{"at now", now, 10, sorted([]string{two.ID, atNow.ID})},
		{"a microsecond before now", now.Add(-time.Microsecond), 10, []string{two.ID}},
		{"before any ran out", now.Add(-time.Hour), 10, nil},
		{"once every lease ran out", now.Add(time.Hour), 10, sorted([]string{two.ID, atNow.ID, live.ID})},
	}
	for _, tt := range tests {
		got, err := s.LicensesWithExpiredLeases(ctx, tt.now, tt.limit)
		mustNil(t, "LicensesWithExpiredLeases "+tt.name, err)
		equal(t, "LicensesWithExpiredLeases "+tt.name, sorted(got), tt.want)
	}
	// A limit below the licenses found gives that many of them, each once.
	for _, limit := range []int{1, 2} {
		got, err := s.LicensesWithExpiredLeases(ctx, now.Add(time.Hour), limit)
		mustNil(t, "LicensesWithExpiredLeases with a limit", err)
		if len(got) != limit || len(slices.Compact(sorted(got))) != limit {
			t.Errorf("LicensesWithExpiredLeases with limit %d: got %v, want %d distinct licenses", limit, got, limit)
		}
		for _, id := range got {
			if id != two.ID && id != atNow.ID && id != live.ID {
				t.Errorf("LicensesWithExpiredLeases with limit %d: got %s, a license with no lease that ran out", limit, id)
			}
		}
	}
	// Once its leases are ended, a license is no longer found.
	if got := expire(t, s, two.ID, now); len(got) != 2 {
		t.Errorf("ExpireLeases: got %d ended, want 2", len(got))
	}
	got, err := s.LicensesWithExpiredLeases(ctx, now, 10)
	mustNil(t, "LicensesWithExpiredLeases after ExpireLeases", err)
	equal(t, "LicensesWithExpiredLeases after ExpireLeases", got, []string{atNow.ID})
}

// raceLeases has 50 instances race for the 5 seats of a floating license
// as [license.Service] takes leases: inside WithLicense each ends the
// leases that ran out, checks the seats held, then inserts its lease. The
// clock moves one second at each call, under the license's lock, and
// leases live seven, so that leases run out while the race goes on. Every
// call must decide as the calls would one after the other in the order of
// their clock, no more than 5 leases may ever be live at once, and at the
// end SeatsHeld must equal the leases that have not run out.
func raceLeases(t *testing.T, stores []license.Store) {
	const goroutines, seats = 50, 5
	const step, ttl = time.Second, 7 * time.Second
	ctx := t.Context()
	l := mustLicense(t, stores[0], seats, floating)
	var clock atomic.Int64
	tick := func() (int64, time.Time) {
		k := clock.Add(1)
		return k, t0.Add(time.Duration(k) * step)
	}
	leases := make([]license.Activation, goroutines)
	for i := range leases {
		leases[i] = newActivation(t, l.ID, computer(i))
	}
	ticks := make([]int64, goroutines)
	errs := concurrently(goroutines, func(i int) error {
		return stores[i%len(stores)].WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
			k, now := tick()
			ticks[i] = k
			if _, err := tx.ExpireLeases(now); err != nil {
				return err
			}
			if cur := tx.License(); cur.SeatsHeld >= cur.Seats {
				return license.ErrNoSeats
			}
			leases[i].ActivatedAt, leases[i].LeaseUntil = now, now.Add(ttl)
			return tx.Insert(leases[i])
		})
	})

	// Replay the calls in the order of their clock.
	order := make([]int, goroutines)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return int(ticks[a] - ticks[b]) })
	var live []time.Time // the ends of the leases live in the replay
	won := 0
	for _, i := range order {
		now := t0.Add(time.Duration(ticks[i]) * step)
		live = slices.DeleteFunc(live, func(end time.Time) bool { return !end.After(now) })
		var want error
		if len(live) >= seats {
			want = license.ErrNoSeats
		} else {
			live = append(live, now.Add(ttl))
		}
		switch err := errs[i]; {
		case err != nil && !errors.Is(err, license.ErrNoSeats):
			t.Errorf("lease of %s: got error %v, want nil or %v", computer(i), err, license.ErrNoSeats)
		case (err == nil) != (want == nil):
			t.Errorf("lease of %s at tick %d: got error %v, want %v", computer(i), ticks[i], err, want)
		case err == nil:
			won++
		}
	}
	if won <= seats {
		t.Errorf("leases won: got %d, want more than %d (leases run out during the race)", won, seats)
	}

	// No instant saw more than seats leases live: the most overlap of the
	// intervals [ActivatedAt, LeaseUntil) is at the start of one of them.
	var taken []license.Activation
	for i, err := range errs {
		if err == nil {
			taken = append(taken, leases[i])
		}
	}
	for _, a := range taken {
		n := 0
		for _, b := range taken {
			if !b.ActivatedAt.After(a.ActivatedAt) && b.LeaseUntil.After(a.ActivatedAt) {
				n++
			}
		}
		if n > seats {
			t.Errorf("leases live at %v: got %d, want at most %d", a.ActivatedAt, n, seats)
		}
	}

	// End what ran out by the last tick: the seats held are then the
	// leases that have not run out, each a lease that won.
	_, end := tick()
	expire(t, stores[len(stores)-1], l.ID, end)
	notOut := 0
	for _, a := range taken {
		if a.LeaseUntil.After(end) {
			notOut++
		}
	}
	if notOut > seats {
		t.Errorf("leases not run out: got %d, want at most %d", notOut, seats)
	}
	for _, s := range stores {
		checkSeatsHeld(t, s, l.ID, notOut)
		as, err := s.Activations(ctx, l.ID)
		mustNil(t, "Activations", err)
		if len(as) != len(taken) {
			t.Errorf("leases stored: got %d, want %d", len(as), len(taken))
		}
		for _, a := range as {
			if a.Status == license.StatusActive && !a.LeaseUntil.After(end) ||
				a.Status == license.StatusReleased && a.ReleasedAt != a.LeaseUntil {
				t.Errorf("lease of %s: got status %s, until %v, released at %v at the end %v", a.ComputerID, a.Status, a.LeaseUntil, a.ReleasedAt, end)
			}
		}
	}
}
