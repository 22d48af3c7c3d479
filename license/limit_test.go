package license_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
)

// TestWrongCodeBurstTakesBudgetFirst: 600 concurrent wrong codes from one
// address, with a budget of 60 failures, get at most 60 comparisons; the
// rest are refused before any work.
func TestWrongCodeBurstTakesBudgetFirst(t *testing.T) {
	t.Parallel()
	const burst, budget = 600, 60
	e := newEnv(t, license.WithRevealUnknownEmail(true), license.WithCodeRateLimits(5, 20, budget, 10*time.Minute),
		license.WithMaxCodeAttempts(10))
	ctx := context.Background()
	var compared atomic.Int64
	counting := &countingStore{Store: e.svc.Store(), spent: &compared}
	svc, err := license.NewService(counting, license.WithKeySet(e.svc.KeySet()), license.WithSecret([]byte("0123456789abcdef0123456789abcdef")),
		license.WithEmailNotifier(e.email), license.WithCodeRateLimits(5, 20, budget, 10*time.Minute), license.WithRevealUnknownEmail(true),
		license.WithClock(e.svc.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close(ctx)
	if err := svc.RequestCode(ctx, license.CodeRequest{Email: "ann@example.com", ComputerID: "pc", Target: license.Target{ProductID: "app"}}); err != nil {
		t.Fatal(err)
	}
	var invalid, limited, other atomic.Int64
	var wg sync.WaitGroup
	for range burst {
		wg.Go(func() {
			_, err := svc.ActivateByCode(ctx, license.CodeActivation{Code: "000000", ComputerID: "pc", ClientAddr: "198.51.100.9"})
			switch {
			case errors.Is(err, license.ErrCodeInvalid):
				invalid.Add(1)
			case errors.Is(err, license.ErrRateLimited):
				limited.Add(1)
			default:
				other.Add(1)
			}
		})
	}
	wg.Wait()
	if invalid.Load() != budget || limited.Load() != burst-budget || other.Load() != 0 {
		t.Fatalf("%d invalid, %d limited, %d other; want %d, %d, 0", invalid.Load(), limited.Load(), other.Load(), budget, burst-budget)
	}
	if n := compared.Load(); n > budget {
		t.Fatalf("%d code attempts were spent, want at most the budget of %d", n, budget)
	}
}

// countingStore counts the attempts spent at codes.
type countingStore struct {
	license.Store
	spent *atomic.Int64
}

func (s *countingStore) SpendCodeAttempt(ctx context.Context, licenseID, computerID string, max int, now time.Time) (license.AuthorizationCode, error) {
	s.spent.Add(1)
	return s.Store.SpendCodeAttempt(ctx, licenseID, computerID, max, now)
}

// TestLimitsHoldAcrossReplicas: two services on one store, as two servers on
// one database, share the per-email limit.
func TestLimitsHoldAcrossReplicas(t *testing.T) {
	t.Parallel()
	store := memstore.New()
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	box := &sent{}
	var replicas []*license.Service
	for range 2 {
		svc, err := license.NewService(store, license.WithKeySet(ks), license.WithSecret([]byte("0123456789abcdef0123456789abcdef")),
			license.WithEmailNotifier(box))
		if err != nil {
			t.Fatal(err)
		}
		defer svc.Close(context.Background())
		replicas = append(replicas, svc)
	}
	ctx := context.Background()
	allowed := 0
	for i := range 2 * license.DefaultCodesPerEmail {
		err := replicas[i%2].RequestCode(ctx, license.CodeRequest{Email: "ann@example.com", ComputerID: "pc", Target: license.Target{ProductID: "app"},
			ClientAddr: "203.0.113.1"})
		switch {
		case err == nil:
			allowed++
		case !errors.Is(err, license.ErrRateLimited):
			t.Fatal(err)
		}
	}
	if allowed != license.DefaultCodesPerEmail {
		t.Fatalf("two replicas allowed %d code requests for one email, want %d in all", allowed, license.DefaultCodesPerEmail)
	}
}

// TestCheckSecret: a match gives its failure back, so only failures count;
// past the budget check is not even called.
func TestCheckSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t, license.WithCodeRateLimits(5, 20, 3, time.Hour))
	ctx := context.Background()
	for i := range 10 {
		if ok, err := e.svc.CheckSecret(ctx, "192.0.2.1", func() bool { return true }); !ok || err != nil {
			t.Fatalf("match %d: %v, %v", i, ok, err)
		}
	}
	for i := range 3 {
		if ok, err := e.svc.CheckSecret(ctx, "192.0.2.1", func() bool { return false }); ok || err != nil {
			t.Fatalf("mismatch %d: %v, %v", i, ok, err)
		}
	}
	called := false
	_, err := e.svc.CheckSecret(ctx, "192.0.2.1", func() bool { called = true; return true })
	if !errors.Is(err, license.ErrRateLimited) || called {
		t.Fatalf("over budget: err %v, check called %v; want ErrRateLimited without a call", err, called)
	}
	if ok, err := e.svc.CheckSecret(ctx, "192.0.2.2", func() bool { return true }); !ok || err != nil {
		t.Fatalf("another address: %v, %v", ok, err)
	}
}

// TestCodeRequestForegroundSameForEveryEmail: before RequestCode answers, it
// does the same store work for an email with a license as for one without:
// nothing that depends on the email's license runs until after it returns.
func TestCodeRequestForegroundSameForEveryEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	rec := &recordingStore{Store: e.svc.Store(), gate: make(chan struct{})}
	svc, err := license.NewService(rec, license.WithKeySet(e.svc.KeySet()), license.WithSecret([]byte("0123456789abcdef0123456789abcdef")),
		license.WithEmailNotifier(e.email), license.WithClock(e.svc.Now))
	if err != nil {
		t.Fatal(err)
	}
	var foreground [][]string
	for _, email := range []string{"ann@example.com", "nobody@example.com"} {
		rec.reset()
		if err := svc.RequestCode(ctx, license.CodeRequest{Email: email, ComputerID: "pc", Target: license.Target{ProductID: "app"}, ClientAddr: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
		foreground = append(foreground, rec.calls())
	}
	if !slices.Equal(foreground[0], foreground[1]) || slices.Contains(foreground[0], "LicensesByEmail") {
		t.Fatalf("store calls before the answer: known %v, unknown %v; want the same, with no license lookup", foreground[0], foreground[1])
	}
	close(rec.gate)
	svc.Close(ctx)
	if got := e.email.all(); len(got) != 1 || got[0].To != "ann@example.com" {
		t.Fatalf("sent %+v, want one code to ann", got)
	}
}

// recordingStore records the store calls the service makes, and holds the
// license lookup until gate is closed.
type recordingStore struct {
	license.Store
	gate chan struct{}
	mu   sync.Mutex
	log  []string
}

func (s *recordingStore) record(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, name)
}

func (s *recordingStore) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

func (s *recordingStore) calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

func (s *recordingStore) TakeToken(ctx context.Context, b license.Bucket, now time.Time) (bool, error) {
	s.record("TakeToken")
	return s.Store.TakeToken(ctx, b, now)
}

func (s *recordingStore) Product(ctx context.Context, id string) (license.Product, error) {
	s.record("Product")
	<-s.gate
	return s.Store.Product(ctx, id)
}

func (s *recordingStore) LicensesByEmail(ctx context.Context, email, productID string) ([]license.License, error) {
	s.record("LicensesByEmail")
	<-s.gate
	return s.Store.LicensesByEmail(ctx, email, productID)
}
