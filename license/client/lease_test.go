package client

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// recorder collects the waits of a client.
type recorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *recorder) add(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, d)
}

func (r *recorder) all() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.waits...)
}

func isBeat(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/heartbeat") }

func TestKeepBeatsOnScheduleAndReturnsTheLease(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newTestClient(t, f, func(time.Duration) {
		if len(f.beatTimes()) == 5 {
			cancel()
		}
	})
	l, err := c.Lease(ctx, f.fkey, "inst-1", "test")
	if err != nil {
		t.Fatal(err)
	}
	if l.ID() == "" || l.Token() == "" || !l.ExpiresAt().Equal(start.Add(30*time.Second)) || l.TTL() != 30*time.Second {
		t.Fatalf("got lease %q %q %v ttl %v", l.ID(), l.Token(), l.ExpiresAt(), l.TTL())
	}
	if err := l.Keep(ctx); err != nil {
		t.Fatalf("Keep: got %v, want nil", err)
	}
	beats := f.beatTimes()
	if len(beats) != 5 {
		t.Fatalf("got %d beats, want 5", len(beats))
	}
	for i, b := range beats {
		if want := start.Add(time.Duration(i+1) * 10 * time.Second); !b.Equal(want) {
			t.Errorf("beat %d at %v, want %v", i, b.Sub(start), want.Sub(start))
		}
	}
	if got := f.live(); got != 0 {
		t.Errorf("got %d live leases after Keep ended, want 0 (returned)", got)
	}
	if !l.ExpiresAt().Equal(beats[4].Add(30 * time.Second)) {
		t.Errorf("ExpiresAt %v, want the last beat's", l.ExpiresAt())
	}
	// The seat is free for another instance.
	if _, err := c.Lease(context.Background(), f.fkey, "inst-2", ""); err != nil {
		t.Errorf("a new lease after the return: %v", err)
	}
	// The lease is over: Keep says so at once.
	if err := l.Keep(context.Background()); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Keep after the return: got %v, want ErrLeaseLost", err)
	}
}

func TestKeepSurvivesAnOutageShorterThanTheLease(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	outageEnd := start.Add(10*time.Second + 15*time.Second) // half the TTL past the first beat
	var failed atomic.Int32
	f.setFault(func(r *http.Request) (int, string) {
		if isBeat(r) && f.clock.Now().Before(outageEnd) {
			failed.Add(1)
			return http.StatusServiceUnavailable, ""
		}
		return 0, ""
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{}
	c := newTestClient(t, f, func(d time.Duration) {
		rec.add(d)
		if len(f.beatTimes()) == 3 {
			cancel()
		}
	})
	l, err := c.Lease(ctx, f.fkey, "inst-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Keep(ctx); err != nil {
		t.Fatalf("Keep: got %v, want nil", err)
	}
	beats := f.beatTimes()
	if len(beats) != 3 || beats[0].Before(outageEnd) || !beats[0].Before(start.Add(30*time.Second)) {
		t.Fatalf("beats %v; want the first after the outage and before the lease's end", beats)
	}
	// The retries backed off: from about a second, doubling, over 15 s.
	if n := failed.Load(); n < 3 || n > 8 {
		t.Errorf("%d failed beats in the outage (waits %v); want a handful", n, rec.all())
	}
}

func TestKeepHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	var once sync.Once
	f.setFault(func(r *http.Request) (int, string) {
		status := 0
		if isBeat(r) {
			once.Do(func() { status = http.StatusTooManyRequests })
		}
		return status, "7"
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{}
	c := newTestClient(t, f, func(d time.Duration) {
		rec.add(d)
		if len(f.beatTimes()) == 1 {
			cancel()
		}
	})
	l, err := c.Lease(ctx, f.fkey, "inst-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Keep(ctx); err != nil {
		t.Fatalf("Keep: got %v", err)
	}
	waits := rec.all()
	if len(waits) < 2 || waits[1] != 7*time.Second {
		t.Errorf("waits %v, want 10s then Retry-After's 7s", waits)
	}
}

func TestKeepRetriesNoLaterThanTheLeaseEnd(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	f.setFault(func(r *http.Request) (int, string) {
		if isBeat(r) {
			return http.StatusTooManyRequests, "3600" // longer than the lease
		}
		return 0, ""
	})
	rec := &recorder{}
	c := newTestClient(t, f, rec.add)
	ctx := context.Background()
	l, err := c.Lease(ctx, f.fkey, "inst-1", "")
	if err != nil {
		t.Fatal(err)
	}
	err = l.Keep(ctx)
	var p *ProblemError
	if !errors.Is(err, ErrLeaseLost) || !errors.As(err, &p) || p.Status != 429 {
		t.Fatalf("Keep: got %v, want ErrLeaseLost wrapping the 429", err)
	}
	if now := f.clock.Now(); now.Before(start.Add(30*time.Second)) || now.After(start.Add(30*time.Second)) {
		t.Errorf("Keep gave up at %v, want at the lease's end, 30s", now.Sub(start))
	}
	// 10s to the first beat; a retry a tenth of the TTL before the end
	// rather than an hour on; then the rest of the lease.
	want := []time.Duration{10 * time.Second, 17 * time.Second, 3 * time.Second}
	if got := rec.all(); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("waits %v, want %v", got, want)
	}
}

func TestKeepReportsALeaseTheServerEnded(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	// The program stalls (a suspended laptop): the clock jumps past the
	// lease's end, which the server enforces.
	c := newTestClient(t, f, func(time.Duration) { f.clock.Advance(time.Minute) })
	ctx := context.Background()
	l, err := c.Lease(ctx, f.fkey, "inst-1", "")
	if err != nil {
		t.Fatal(err)
	}
	// The local end passed too, so make it the server's word that counts:
	// pretend the lease was renewed locally.
	l.mu.Lock()
	l.end = l.end.Add(time.Hour)
	l.mu.Unlock()
	err = l.Keep(ctx)
	if !errors.Is(err, ErrLeaseLost) || !errors.Is(err, license.ErrLeaseExpired) {
		t.Fatalf("Keep: got %v, want ErrLeaseLost and license.ErrLeaseExpired", err)
	}
	if err := l.Keep(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Keep again: got %v, want ErrLeaseLost", err)
	}
}

func TestKeepLosesALeaseWhoseEndPassedUnrenewed(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	f.setFault(func(r *http.Request) (int, string) {
		if isBeat(r) {
			return http.StatusBadGateway, ""
		}
		return 0, ""
	})
	c := newTestClient(t, f, nil)
	ctx := context.Background()
	l, err := c.Lease(ctx, f.fkey, "inst-1", "")
	if err != nil {
		t.Fatal(err)
	}
	err = l.Keep(ctx)
	var p *ProblemError
	if !errors.Is(err, ErrLeaseLost) || !errors.As(err, &p) || p.Status != http.StatusBadGateway {
		t.Fatalf("Keep: got %v, want ErrLeaseLost wrapping the 502", err)
	}
	if got := f.clock.Now().Sub(start); got != 30*time.Second {
		t.Errorf("gave up at %v, want 30s", got)
	}
}

func TestKeepPicksUpFreshTokens(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	f.mu.Lock()
	f.fresh = true
	f.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen []string
	var c *Client
	var l *Lease
	c = newTestClient(t, f, func(time.Duration) {
		seen = append(seen, l.Token())
		if len(f.beatTimes()) == 3 {
			cancel()
		}
	})
	l, err := c.Lease(ctx, f.fkey, "inst-1", "")
	if err != nil {
		t.Fatal(err)
	}
	first := l.Token()
	// Readers on other goroutines, for the race detector.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			_ = l.Token()
			_ = l.ExpiresAt()
			_ = l.TokenExpiresAt()
		}
	}()
	if err := l.Keep(ctx); err != nil {
		t.Fatalf("Keep: %v", err)
	}
	<-done
	// The server accepts only the current token, so three beats and the
	// return mean each fresh token was used.
	if len(f.beatTimes()) != 3 || f.deleted() != 1 {
		t.Fatalf("beats %d, deletes %d; want 3 and 1", len(f.beatTimes()), f.deleted())
	}
	if l.Token() == first || !strings.HasPrefix(l.Token(), first) {
		t.Errorf("token %q after beats; want a fresh one, not %q", l.Token(), first)
	}
	if len(seen) < 2 || seen[0] != first || seen[len(seen)-1] == first {
		t.Errorf("tokens over time %v", seen)
	}
}

func TestReleaseEndsKeep(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	ctx := context.Background()
	var l *Lease
	c := newTestClient(t, f, func(time.Duration) {
		if len(f.beatTimes()) == 2 {
			if err := l.Release(ctx); err != nil {
				t.Errorf("Release: %v", err)
			}
		}
	})
	l, err := c.Lease(ctx, f.fkey, "inst-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Keep(ctx); err != nil {
		t.Fatalf("Keep: got %v, want nil after Release", err)
	}
	if f.live() != 0 || f.deleted() != 1 {
		t.Errorf("live %d, deletes %d; want 0 and 1", f.live(), f.deleted())
	}
	if err := l.Release(ctx); err != nil {
		t.Errorf("second Release: %v", err)
	}
	if f.deleted() != 1 {
		t.Errorf("a second Release sent a request")
	}
}

func TestKeepWithRealTimers(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	c, err := New(f.URL, WithClock(f.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.Lease(context.Background(), f.fkey, "inst-1", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	// The timer is real: the 10 s wait ends with the context.
	if err := l.Keep(ctx); err != nil {
		t.Fatalf("Keep: %v", err)
	}
	if f.deleted() != 1 {
		t.Errorf("deletes %d, want 1", f.deleted())
	}
}

func TestLeaseRefusals(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	c := newTestClient(t, f, nil)
	ctx := context.Background()
	if _, err := c.Lease(ctx, f.fkey, "inst-1", ""); err != nil {
		t.Fatal(err)
	}
	again, err := c.Lease(ctx, f.fkey, "inst-1", "")
	if err != nil || again.ID() != "lease-1" {
		t.Fatalf("the same instance again: got %v, %v; want its lease", again, err)
	}
	tests := []struct {
		name, key, instance string
		want                error
	}{
		{"no seats", f.fkey, "inst-2", license.ErrNoSeats},
		{"unknown key", "NOPE", "inst-2", license.ErrNotFound},
		{"no instance", f.fkey, "", ErrBadOption},
	}
	for _, tt := range tests {
		_, err := c.Lease(ctx, tt.key, tt.instance, "")
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	ttl := 15 * time.Minute
	for attempt := range 20 {
		d := backoff(attempt, ttl)
		lo := min(time.Second<<attempt, ttl/3) / 2
		if d < lo || d > ttl/3 {
			t.Errorf("attempt %d: %v out of [%v, %v]", attempt, d, lo, ttl/3)
		}
	}
	if d := backoff(0, 10*time.Second); d > time.Second {
		t.Errorf("short TTL: %v", d)
	}
}

func TestKeepEndsCleanlyWhenTheReturnFails(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	var logs strings.Builder
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newTestClient(t, f, func(time.Duration) {
		if len(f.beatTimes()) == 1 {
			// The server goes down, and the program ends.
			f.setFault(func(*http.Request) (int, string) { return http.StatusServiceUnavailable, "" })
			cancel()
		}
	}, WithLogger(logger))
	l, err := c.Lease(ctx, f.fkey, "inst-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Keep(ctx); err != nil {
		t.Fatalf("Keep: got %v, want nil", err)
	}
	if err := l.Keep(context.Background()); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Keep again: got %v, want ErrLeaseLost", err)
	}
	logMu.Lock()
	out := logs.String()
	logMu.Unlock()
	if !strings.Contains(out, "could not give the lease back") {
		t.Errorf("log %q does not tell of the failed return", out)
	}
	if strings.Contains(out, l.Token()) || strings.Contains(out, f.fkey) {
		t.Errorf("log %q holds a credential", out)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
