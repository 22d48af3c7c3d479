package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/licgate/licgate/license"
)

// openSQLite opens a store on a new SQLite file.
func openSQLite(t *testing.T) *Store {
	t.Helper()
	db, err := sql.Open("sqlite", SQLiteDSN(filepath.Join(t.TempDir(), "licgate.db")))
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(4)
	s, err := Open(t.Context(), db, SQLite)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// mustLicense stores a license with many seats.
func mustLicense(t *testing.T, s *Store) license.License {
	t.Helper()
	ctx := t.Context()
	id, _ := license.NewUUID()
	pk, _ := license.NewProductKey()
	key, _ := license.NewKey(license.KeyPermanent)
	p := license.Product{ID: "p-" + id[:8], Name: "P", Major: 1}
	l := license.License{ID: id, Key: key, ProductKey: pk, ProductID: p.ID, Seats: 1000, Status: license.StatusActive}
	if err := s.CreateProduct(ctx, p); err != nil {
		t.Fatalf("CreateProduct: %v", err)
	}
	if err := s.CreateLicense(ctx, l); err != nil {
		t.Fatalf("CreateLicense: %v", err)
	}
	return l
}

func newActivation(t *testing.T, licenseID, computerID string) license.Activation {
	t.Helper()
	aid, _ := license.NewUUID()
	ck, _ := license.NewKey(license.ComputerPermanent)
	return license.Activation{AID: aid, LicenseID: licenseID, ComputerID: computerID, ComputerKey: ck,
		Status: license.StatusActive, ActivatedAt: time.Unix(0, 0).UTC()}
}

// queued returns how many calls wait in the writer's queue.
func (w *writer) queued() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue)
}

// waitQueued waits until n calls wait in the writer's queue.
func waitQueued(t *testing.T, w *writer, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for w.queued() < n {
		if time.Now().After(deadline) {
			t.Fatalf("queued calls: got %d, want %d", w.queued(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGroupCommit queues writes behind a write that holds the writer, then
// lets them run: they share one transaction, each in its savepoint, so
// those that fail or panic are rolled back alone; a write cancelled while
// queued never runs; one that cancels its context once its function ran is
// committed all the same.
func TestGroupCommit(t *testing.T) {
	s := openSQLite(t)
	ctx := t.Context()
	l := mustLicense(t, s)

	started, release := make(chan struct{}), make(chan struct{})
	blocker := make(chan error, 1)
	go func() {
		blocker <- s.WithLicense(ctx, l.ID, func(license.LicenseTx) error {
			close(started)
			<-release
			return nil
		})
	}()
	<-started

	errBoom := errors.New("boom")
	type outcome int
	const (
		succeed outcome = iota
		fail
		panics
		cancelsAfter
	)
	plan := []outcome{succeed, fail, succeed, panics, succeed, cancelsAfter, fail, succeed, succeed, fail}
	var (
		mu  sync.Mutex
		txs = map[*sql.Tx]bool{}
	)
	results := make([]error, len(plan))
	recovered := make([]any, len(plan))
	var wg sync.WaitGroup
	for i, o := range plan {
		a := newActivation(t, l.ID, fmt.Sprintf("pc-%d", i))
		cctx, cancel := context.WithCancel(ctx)
		wg.Go(func() {
			defer cancel()
			defer func() { recovered[i] = recover() }()
			results[i] = s.WithLicense(cctx, l.ID, func(tx license.LicenseTx) error {
				mu.Lock()
				txs[tx.(*licenseTx).c.tx] = true
				mu.Unlock()
				if err := tx.Insert(a); err != nil {
					return err
				}
				switch o {
				case fail:
					return errBoom
				case panics:
					panic("fn panicked")
				case cancelsAfter:
					cancel()
				}
				return nil
			})
		})
		waitQueued(t, s.w, i+1) // behind the blocker, whose batch runs
	}

	// A call cancelled while it waits in the queue leaves it, unrun.
	cctx, cancel := context.WithCancel(ctx)
	ran := false
	cancelled := make(chan error, 1)
	go func() {
		cancelled <- s.WithLicense(cctx, l.ID, func(license.LicenseTx) error { ran = true; return nil })
	}()
	waitQueued(t, s.w, len(plan)+1)
	cancel()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("WithLicense cancelled in the queue: got %v, want %v", err, context.Canceled)
	}

	close(release)
	if err := <-blocker; err != nil {
		t.Fatalf("blocking WithLicense: %v", err)
	}
	wg.Wait()
	if ran {
		t.Errorf("fn of the call cancelled in the queue ran: got true, want false")
	}
	if len(txs) != 1 {
		t.Errorf("transactions of the queued calls: got %d, want 1", len(txs))
	}
	held := 0
	for i, o := range plan {
		_, err := s.ActivationByComputer(ctx, l.ID, fmt.Sprintf("pc-%d", i))
		switch o {
		case succeed, cancelsAfter:
			held++
			if results[i] != nil || err != nil {
				t.Errorf("call %d: got %v, stored %v, want nil, stored", i, results[i], err)
			}
		case fail:
			if results[i] != errBoom || !errors.Is(err, license.ErrNotFound) {
				t.Errorf("failing call %d: got %v, stored %v, want %v as is, not stored", i, results[i], err, errBoom)
			}
		case panics:
			if recovered[i] != "fn panicked" || !errors.Is(err, license.ErrNotFound) {
				t.Errorf("panicking call %d: got panic %v, stored %v, want its own panic, not stored", i, recovered[i], err)
			}
		}
	}
	got, err := s.License(ctx, l.ID)
	if err != nil || got.SeatsHeld != held {
		t.Errorf("SeatsHeld: got %d, %v, want %d", got.SeatsHeld, err, held)
	}
	if n := s.w.queued(); n != 0 || s.w.busy {
		t.Errorf("writer after the batches: got %d queued, busy %v, want 0, false", n, s.w.busy)
	}
}

// TestWriterAllWrites checks that writes other than WithLicense go through
// the writer too: run while it is held, they wait for it.
func TestWriterAllWrites(t *testing.T) {
	s := openSQLite(t)
	ctx := t.Context()
	l := mustLicense(t, s)
	now := time.Unix(1_000_000, 0)
	writes := []struct {
		name  string
		write func() error
	}{
		{"CreateProduct", func() error { return s.CreateProduct(ctx, license.Product{ID: "other", Name: "O"}) }},
		{"PutCode", func() error {
			return s.PutCode(ctx, license.AuthorizationCode{LicenseID: l.ID, ComputerID: "pc", Hash: []byte{1}, ExpiresAt: now.Add(time.Hour)})
		}},
		{"SpendCodeAttempt", func() error {
			_, err := s.SpendCodeAttempt(ctx, l.ID, "none", 5, now)
			return ignore(err, license.ErrCodeInvalid)
		}},
		{"DeleteExpiredCodes", func() error { _, err := s.DeleteExpiredCodes(ctx, now); return err }},
		{"CreateSession", func() error {
			return s.CreateSession(ctx, license.Session{IDHash: []byte{1}, Kind: license.SessionVendor, Subject: "a", ExpiresAt: now.Add(time.Hour)})
		}},
		{"TouchSession", func() error {
			_, err := s.TouchSession(ctx, []byte{2}, now, time.Hour)
			return ignore(err, license.ErrNotFound)
		}},
		{"DeleteSession", func() error { return s.DeleteSession(ctx, []byte{3}) }},
		{"DeleteExpiredSessions", func() error { _, err := s.DeleteExpiredSessions(ctx, now); return err }},
		{"TakeToken", func() error {
			_, err := s.TakeToken(ctx, license.Bucket{Key: "k", Burst: 1, Window: time.Minute}, now)
			return err
		}},
		{"ReturnToken", func() error { return s.ReturnToken(ctx, license.Bucket{Key: "k", Burst: 1, Window: time.Minute}, now) }},
		{"DeleteFullBuckets", func() error { _, err := s.DeleteFullBuckets(ctx, now); return err }},
	}
	for _, tt := range writes {
		started, release := make(chan struct{}), make(chan struct{})
		blocker := make(chan error, 1)
		go func() {
			blocker <- s.WithLicense(ctx, l.ID, func(license.LicenseTx) error {
				close(started)
				<-release
				return nil
			})
		}()
		<-started
		done := make(chan error, 1)
		go func() { done <- tt.write() }()
		waitQueued(t, s.w, 1)
		close(release)
		if err := <-blocker; err != nil {
			t.Fatalf("blocking WithLicense: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

// ignore returns nil for an error matching target.
func ignore(err, target error) error {
	if errors.Is(err, target) {
		return nil
	}
	return err
}
