package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// races are the concurrency tests, run by [Run] on one store and by
// [RunShared] across several.
var races = []struct {
	name string
	race func(t *testing.T, stores []license.Store)
}{
	{"RaceSeats", raceSeats},
	{"RaceSameComputer", raceSameComputer},
	{"RaceActivateCode", raceActivateCode},
	{"RaceSpendCodeAttempt", raceSpendCodeAttempt},
	{"RaceUpdateLicense", raceUpdateLicense},
	{"RaceSeatsHeld", raceSeatsHeld},
	{"RaceTakeToken", raceTakeToken},
	{"RaceClaimDeliveries", raceClaimDeliveries},
	{"RaceBeginIdempotent", raceBeginIdempotent},
	{"RaceLeases", raceLeases},
}

// RunShared runs the concurrency tests of the suite with their goroutines
// spread over stores, which must share one database: separate *sql.DB
// handles on one SQLite file, as the server and the CLI hold, or separate
// pools on one PostgreSQL database, as replicas hold. The subtests run one
// after the other.
func RunShared(t *testing.T, stores ...license.Store) {
	t.Helper()
	if len(stores) == 0 {
		t.Fatal("RunShared: no stores")
	}
	for _, tt := range races {
		t.Run(tt.name, func(t *testing.T) { tt.race(t, stores) })
	}
}

// concurrently calls f(0), …, f(n-1) from n goroutines released together and
// returns their errors.
func concurrently(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// raceSeats has 50 computers race for the 3 seats of a license, each
// checking the seats held inside WithLicense as [license.Service] does:
// exactly 3 win and 47 get ErrNoSeats.
func raceSeats(t *testing.T, stores []license.Store) {
	const goroutines, seats = 50, 3
	ctx := t.Context()
	l := mustLicense(t, stores[0], seats)
	acts := make([]license.Activation, goroutines)
	for i := range acts {
		acts[i] = newActivation(t, l.ID, computer(i))
	}
	errExisting := errors.New("a new computer got an existing activation")
	errs := concurrently(goroutines, func(i int) error {
		_, existing, err := activate(ctx, stores[i%len(stores)], acts[i], false)
		if err == nil && existing {
			return errExisting
		}
		return err
	})
	won, noSeats := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, license.ErrNoSeats):
			noSeats++
		default:
			t.Errorf("activate(%s): got error %v, want nil or %v", computer(i), err, license.ErrNoSeats)
		}
	}
	if won != seats || noSeats != goroutines-seats {
		t.Errorf("activations won, ErrNoSeats: got %d, %d, want %d, %d", won, noSeats, seats, goroutines-seats)
	}
	for _, s := range stores {
		as, err := s.Activations(ctx, l.ID)
		mustNil(t, "Activations", err)
		if len(as) != seats {
			t.Errorf("activations stored: got %d, want %d", len(as), seats)
		}
		checkSeatsHeld(t, s, l.ID, seats)
	}
}

// raceSameComputer has 20 requests activate one computer at once: one
// activation is inserted and all of them get its AID.
func raceSameComputer(t *testing.T, stores []license.Store) {
	const goroutines = 20
	ctx := t.Context()
	l := mustLicense(t, stores[0], 1)
	acts := make([]license.Activation, goroutines)
	for i := range acts {
		acts[i] = newActivation(t, l.ID, "pc-shared")
	}
	aids := make([]string, goroutines)
	inserted := make([]bool, goroutines)
	errs := concurrently(goroutines, func(i int) error {
		a, existing, err := activate(ctx, stores[i%len(stores)], acts[i], false)
		aids[i], inserted[i] = a.AID, err == nil && !existing
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("activate #%d: got error %v, want nil", i, err)
		}
	}
	if n := len(slices.DeleteFunc(slices.Clone(inserted), func(b bool) bool { return !b })); n != 1 {
		t.Errorf("calls that inserted: got %d, want 1", n)
	}
	as, err := stores[0].Activations(ctx, l.ID)
	mustNil(t, "Activations", err)
	if len(as) != 1 {
		t.Fatalf("activations stored: got %d, want 1", len(as))
	}
	for i, aid := range aids {
		if errs[i] == nil && aid != as[0].AID {
			t.Errorf("AID of call #%d: got %s, want %s", i, aid, as[0].AID)
		}
	}
	checkSeatsHeld(t, stores[len(stores)-1], l.ID, 1)
}

// raceActivateCode has 10 requests activate one computer with one code: one
// succeeds and consumes it, the others get ErrCodeInvalid.
func raceActivateCode(t *testing.T, stores []license.Store) {
	const goroutines = 10
	ctx := t.Context()
	l := mustLicense(t, stores[0], 5)
	mustPutCode(t, stores[0], newCode(l.ID, "pc-1", 1))
	acts := make([]license.Activation, goroutines)
	for i := range acts {
		acts[i] = newActivation(t, l.ID, "pc-1")
	}
	errs := concurrently(goroutines, func(i int) error {
		_, _, err := activate(ctx, stores[i%len(stores)], acts[i], true)
		return err
	})
	won, invalid := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, license.ErrCodeInvalid):
			invalid++
		default:
			t.Errorf("activate #%d: got error %v, want nil or %v", i, err, license.ErrCodeInvalid)
		}
	}
	if won != 1 || invalid != goroutines-1 {
		t.Errorf("activations won, ErrCodeInvalid: got %d, %d, want 1, %d", won, invalid, goroutines-1)
	}
	as, err := stores[0].Activations(ctx, l.ID)
	mustNil(t, "Activations", err)
	if len(as) != 1 {
		t.Errorf("activations stored: got %d, want 1", len(as))
	}
	checkSeatsHeld(t, stores[len(stores)-1], l.ID, 1)
}

// raceSpendCodeAttempt makes 20 concurrent attempts at a code that allows 5:
// exactly 5 are counted, each seeing a different count before it.
func raceSpendCodeAttempt(t *testing.T, stores []license.Store) {
	const goroutines, maxAttempts = 20, 5
	ctx := t.Context()
	l := mustLicense(t, stores[0], 1)
	mustPutCode(t, stores[0], newCode(l.ID, "pc-1", 1))
	attempts := make([]int, goroutines)
	errs := concurrently(goroutines, func(i int) error {
		c, err := stores[i%len(stores)].SpendCodeAttempt(ctx, l.ID, "pc-1", maxAttempts, t0)
		attempts[i] = c.Attempts
		return err
	})
	var seen []int
	for i, err := range errs {
		switch {
		case err == nil:
			seen = append(seen, attempts[i])
		case !errors.Is(err, license.ErrCodeInvalid):
			t.Errorf("SpendCodeAttempt #%d: got error %v, want nil or %v", i, err, license.ErrCodeInvalid)
		}
	}
	slices.Sort(seen)
	if want := []int{0, 1, 2, 3, 4}; !slices.Equal(seen, want) {
		t.Errorf("attempts before the counted attempts: got %v, want %v", seen, want)
	}
	cs, err := stores[0].Codes(ctx, "pc-1", t0)
	mustNil(t, "Codes", err)
	if len(cs) != 0 {
		t.Errorf("codes left: got %d, want 0", len(cs))
	}
}

// raceUpdateLicense has 20 read-modify-write updates add a seat each: none
// is lost.
func raceUpdateLicense(t *testing.T, stores []license.Store) {
	const goroutines = 20
	ctx := t.Context()
	l := mustLicense(t, stores[0], 1)
	errs := concurrently(goroutines, func(i int) error {
		return stores[i%len(stores)].WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
			cur := tx.License()
			cur.Seats++
			return tx.Update(cur)
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("WithLicense #%d: got error %v, want nil", i, err)
		}
	}
	got, err := stores[0].License(ctx, l.ID)
	mustNil(t, "License", err)
	if want := 1 + goroutines; got.Seats != want {
		t.Errorf("seats: got %d, want %d", got.Seats, want)
	}
}

// raceSeatsHeld races activations of new computers (with the seat check)
// against releases and revocations of the license's activations, two of
// each activation at once: afterwards SeatsHeld equals the active
// activations and never exceeds the seats, each activation ended once.
func raceSeatsHeld(t *testing.T, stores []license.Store) {
	const seats, held, newcomers = 12, 8, 30
	ctx := t.Context()
	l := mustLicense(t, stores[0], seats)
	pre := make([]license.Activation, held)
	for i := range pre {
		pre[i] = mustActivate(t, stores[0], l.ID, "held-"+computer(i))
	}
	acts := make([]license.Activation, newcomers)
	for i := range acts {
		acts[i] = newActivation(t, l.ID, computer(i))
	}
	at := t0.Add(time.Hour)
	// Goroutine i < 2*held ends pre[i/2], releasing if i is even, revoking
	// if odd; the others activate acts[i-2*held].
	errs := concurrently(2*held+newcomers, func(i int) error {
		s := stores[i%len(stores)]
		if i >= 2*held {
			_, _, err := activate(ctx, s, acts[i-2*held], false)
			return err
		}
		st := license.StatusReleased
		if i%2 == 1 {
			st = license.StatusRevoked
		}
		return s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
			_, err := tx.End(pre[i/2].AID, st, at)
			return err
		})
	})
	won := 0
	for i, err := range errs[2*held:] {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, license.ErrNoSeats):
			t.Errorf("activate(%s): got error %v, want nil or %v", computer(i), err, license.ErrNoSeats)
		}
	}
	if won < seats-held || won > seats {
		t.Errorf("activations won: got %d, want %d to %d", won, seats-held, seats)
	}
	for k := range pre {
		ended, already := 0, 0
		for _, err := range errs[2*k : 2*k+2] {
			switch {
			case err == nil:
				ended++
			case errors.Is(err, license.ErrReleased), errors.Is(err, license.ErrRevoked):
				already++
			default:
				t.Errorf("End(%s): got error %v, want nil, %v or %v", pre[k].AID, err, license.ErrReleased, license.ErrRevoked)
			}
		}
		if ended != 1 || already != 1 {
			t.Errorf("End of %s: got %d ended and %d refused, want 1 and 1", pre[k].AID, ended, already)
		}
	}
	for _, s := range stores {
		checkSeatsHeld(t, s, l.ID, won)
	}
}

// raceTakeToken takes 30 tokens at once from a bucket of 7: exactly 7 are
// taken.
func raceTakeToken(t *testing.T, stores []license.Store) {
	const goroutines, burst = 30, 7
	ctx := t.Context()
	b := newBucket(t, burst, time.Hour)
	oks := make([]bool, goroutines)
	errs := concurrently(goroutines, func(i int) error {
		var err error
		oks[i], err = stores[i%len(stores)].TakeToken(ctx, b, t0)
		return err
	})
	taken := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("TakeToken #%d: got error %v, want nil", i, err)
		}
		if oks[i] {
			taken++
		}
	}
	if taken != burst {
		t.Errorf("tokens taken: got %d, want %d", taken, burst)
	}
}

// raceClaimDeliveries has 8 dispatchers claim 40 deliveries by batches of
// 3 until none is left: each delivery is handed out exactly once.
func raceClaimDeliveries(t *testing.T, stores []license.Store) {
	const deliveries, goroutines, batch = 40, 8, 3
	ctx := t.Context()
	w := mustWebhook(t, stores[0], t0)
	want := make(map[string]int, deliveries) // event ID → claims
	for i := range deliveries {
		e := newEvent(t, license.EventLicenseUpdated, "license/"+newID(t), t0.Add(time.Duration(i)*time.Microsecond), true)
		mustRecord(t, stores[i%len(stores)], e)
		want[e.ID] = 0
	}
	claimed := make([][]license.Delivery, goroutines)
	errs := concurrently(goroutines, func(i int) error {
		s := stores[i%len(stores)]
		for range deliveries + 1 {
			ds, err := s.ClaimDeliveries(ctx, t0.Add(time.Hour), time.Hour, batch)
			if err != nil {
				return err
			}
			if len(ds) == 0 {
				return nil
			}
			if len(ds) > batch {
				return fmt.Errorf("claimed %d deliveries, want at most %d", len(ds), batch)
			}
			claimed[i] = append(claimed[i], ds...)
		}
		return errors.New("deliveries never ran out")
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("dispatcher #%d: got error %v, want nil", i, err)
		}
	}
	ids := make(map[string]bool)
	for _, ds := range claimed {
		for _, d := range ds {
			if d.Webhook.ID != w.ID {
				continue
			}
			if ids[d.ID] {
				t.Errorf("delivery %s: claimed twice", d.ID)
			}
			ids[d.ID] = true
			want[d.Event.ID]++
		}
	}
	for id, n := range want {
		if n != 1 {
			t.Errorf("deliveries of event %s claimed: got %d, want 1", id, n)
		}
	}
}

// raceBeginIdempotent has 20 retries of one request begin it at once:
// exactly one starts it. Once its lock ended, 20 more race to take it over:
// exactly one does.
func raceBeginIdempotent(t *testing.T, stores []license.Store) {
	const goroutines = 20
	ctx := t.Context()
	rec := newIdempotent("race", newID(t), "POST /v1/licenses")
	retry := rec
	retry.LockedUntil = t0.Add(time.Hour)
	for _, tt := range []struct {
		name string
		rec  license.Idempotent
		now  time.Time
	}{{"BeginIdempotent", rec, t0}, {"BeginIdempotent once the lock ended", retry, rec.LockedUntil}} {
		started := make([]bool, goroutines)
		errs := concurrently(goroutines, func(i int) error {
			got, ok, err := stores[i%len(stores)].BeginIdempotent(ctx, tt.rec, tt.now)
			if err == nil && (got.Key != rec.Key || got.Fingerprint != rec.Fingerprint) {
				return fmt.Errorf("got request %s (%s), want %s (%s)", got.Key, got.Fingerprint, rec.Key, rec.Fingerprint)
			}
			started[i] = ok
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("%s #%d: got error %v, want nil", tt.name, i, err)
			}
		}
		if n := len(slices.DeleteFunc(started, func(b bool) bool { return !b })); n != 1 {
			t.Errorf("%s: started %d times, want once", tt.name, n)
		}
	}
}
