package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/licgate/licgate/license"
)

// releaseTimeout bounds the request that gives a lease back when Keep's
// context ends: that context is over, so the request needs its own.
const releaseTimeout = 5 * time.Second

// Lease is a seat of a floating license held by this running program
// ([Client.Lease]). The server ends it unless heartbeats renew it within
// its TTL; [Lease.Keep] sends them. A Lease is safe for concurrent use.
type Lease struct {
	c  *Client
	id string
	// ttl is how long the lease lives without a heartbeat, as measured at
	// the grant: expiresAt − now.
	ttl time.Duration
	// stopped ends when the lease is given back (Release) or lost.
	stopped context.Context
	stop    context.CancelCauseFunc
	keepMu  sync.Mutex // one Keep at a time

	mu             sync.Mutex
	token          string
	tokenExpiresAt time.Time
	expiresAt      time.Time
	// beatAt is when the last successful grant or heartbeat was sent, and
	// end the local time by which the lease ends without another.
	beatAt, end time.Time
}

// errReleased is the cause of a lease's end by Release.
var errReleased = errors.New("client: lease released")

// leaseAnswer is the answer to a grant or a heartbeat.
type leaseAnswer struct {
	ID             string    `json:"id"`
	Token          string    `json:"token"`
	ExpiresAt      time.Time `json:"expiresAt"`
	TokenExpiresAt time.Time `json:"tokenExpiresAt"`
}

// Lease takes a seat of the floating license of the activation key for
// this running program: instance identifies it (a UUID the program makes
// at start, say) and name, which may be empty, describes it for the
// vendor. A program that asks again with the same instance while its lease
// lives gets that lease back. Hold the seat with [Lease.Keep] and give it
// back with [Lease.Release], or by ending Keep's context. The server's
// refusals are a [*ProblemError]: [license.ErrNoSeats] matches one for a
// license whose seats are all held, [license.ErrFloating] one for a
// license that is not floating, [license.ErrNotFound] one for an unknown
// key.
func (c *Client) Lease(ctx context.Context, key, instance, name string) (*Lease, error) {
	if key == "" || instance == "" {
		return nil, fmt.Errorf("%w: Lease needs a key and an instance", ErrBadOption)
	}
	start, err := c.now(time.Time{})
	if err != nil {
		return nil, err
	}
	body := struct {
		Key      string `json:"key"`
		Instance string `json:"instance"`
		Name     string `json:"name,omitempty"`
	}{key, instance, name}
	ans, err := c.send(ctx, http.MethodPost, "/v1/leases", "", encode(body), 0, http.StatusCreated, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var la leaseAnswer
	if err := decode(ans, &la); err != nil {
		return nil, err
	}
	if la.ID == "" || la.Token == "" || la.ExpiresAt.IsZero() {
		return nil, fmt.Errorf("%w: a lease needs an id, a token and its end", ErrBadResponse)
	}
	now, err := c.now(time.Time{})
	if err != nil {
		return nil, err
	}
	ttl := la.ExpiresAt.Sub(now)
	if ttl < license.MinLeaseTTL {
		// No lease is this short: the clocks of the server and this
		// computer disagree. Renew as often as the shortest lease needs.
		c.log.Warn("licgate client: the lease ends too soon by this computer's clock; is the clock right?",
			"lease", la.ID, "expiresAt", la.ExpiresAt, "now", now)
		ttl = license.MinLeaseTTL
	}
	stopped, stop := context.WithCancelCause(context.Background())
	return &Lease{
		c: c, id: la.ID, ttl: ttl, stopped: stopped, stop: stop,
		token: la.Token, tokenExpiresAt: la.TokenExpiresAt, expiresAt: la.ExpiresAt,
		beatAt: start, end: start.Add(ttl),
	}, nil
}

// ID returns the lease's ID.
func (l *Lease) ID() string { return l.id }

// Token returns the lease's token, an activation token of the lease that
// gates verify like any other. A heartbeat may bring a fresh one, so ask
// for it each time it is needed rather than keeping it.
func (l *Lease) Token() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.token
}

// TokenExpiresAt returns when the current token expires.
func (l *Lease) TokenExpiresAt() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tokenExpiresAt
}

// ExpiresAt returns when the lease ends, by the server's clock, unless a
// heartbeat renews it first.
func (l *Lease) ExpiresAt() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.expiresAt
}

// TTL returns how long the lease lives without a heartbeat, as measured
// when it was granted.
func (l *Lease) TTL() time.Duration { return l.ttl }

// Keep holds the lease until ctx ends: it sends a heartbeat every third
// of the TTL, on the caller's goroutine, and returns
//
//   - nil when ctx ends, after giving the lease back (with a request of
//     its own, bounded by a few seconds, so the seat is free at once; if
//     that fails the lease simply runs out), or when [Lease.Release]
//     gave it back;
//   - an error matching [ErrLeaseLost] when the server ended the lease
//     (it expired, or was released or revoked: the wrapped
//     [*ProblemError] says which), refused its token, or when the lease's
//     end passed without a successful heartbeat. The program should stop
//     the work the lease allowed;
//   - a [*ClockError] if the clock moved back, after giving the lease back.
//
// A heartbeat that fails for a reason that may pass (the network, a
// server error, 429) is tried again after an exponential backoff with
// jitter, from a second to a third of the TTL, or after the server's
// Retry-After if that is longer. No retry is planned past the lease's end:
// the last one comes a tenth of the TTL before it.
//
// When Keep returns, the lease is over for this program: given back or
// lost. Keep called again, or on a lease already released, returns an
// error matching [ErrLeaseLost] at once.
func (l *Lease) Keep(ctx context.Context) error {
	l.keepMu.Lock()
	defer l.keepMu.Unlock()
	if err := l.over(); err != nil {
		return err
	}
	kctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(l.stopped, cancel)()
	for {
		l.mu.Lock()
		next := l.beatAt.Add(l.ttl / 3)
		l.mu.Unlock()
		now, err := l.c.now(time.Time{})
		if err != nil {
			return l.quit(ctx, err)
		}
		if d := next.Sub(now); d > 0 {
			if err := l.c.wait(kctx, d); err != nil {
				return l.quit(ctx, err)
			}
		}
		if err := l.renew(kctx); err != nil {
			return l.quit(ctx, err)
		}
	}
}

// over returns nil while the lease may be kept, and otherwise why not.
func (l *Lease) over() error {
	if l.stopped.Err() == nil {
		return nil
	}
	cause := context.Cause(l.stopped)
	if errors.Is(cause, ErrLeaseLost) {
		return cause
	}
	return fmt.Errorf("%w: %w", ErrLeaseLost, cause)
}

// quit ends Keep for err: a clean end when ctx ended or the lease was
// released; otherwise err, after marking a lost lease lost, or giving back
// a lease Keep can no longer hold.
func (l *Lease) quit(ctx context.Context, err error) error {
	switch {
	case l.stopped.Err() != nil && !errors.Is(context.Cause(l.stopped), ErrLeaseLost):
		return nil // released
	case ctx.Err() != nil:
		l.giveBack(ctx)
		return nil
	case errors.Is(err, ErrLeaseLost):
		l.c.log.Error("licgate client: lease lost", "lease", l.id, "err", err)
		l.stop(err)
		return err
	}
	l.giveBack(ctx)
	return err
}

// giveBack releases the lease with a request bounded by releaseTimeout,
// even though ctx may be over, and logs a failure: the lease is over for
// this program either way.
func (l *Lease) giveBack(ctx context.Context) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := l.Release(rctx); err != nil {
		l.c.log.Warn("licgate client: could not give the lease back; it will run out", "lease", l.id, "err", err)
		l.stop(errReleased)
	}
}

// renew sends a heartbeat, retrying failures that may pass until the
// lease's end. Its errors: one matching ErrLeaseLost, a *ClockError, or
// ctx's.
func (l *Lease) renew(ctx context.Context) error {
	var last error
	for attempt := 0; ; attempt++ {
		now, err := l.c.now(time.Time{})
		if err != nil {
			return err
		}
		l.mu.Lock()
		end := l.end
		l.mu.Unlock()
		if !now.Before(end) {
			if last == nil {
				return fmt.Errorf("%w: it ended at %s without a heartbeat", ErrLeaseLost, end.Format(time.RFC3339))
			}
			return fmt.Errorf("%w: it ended at %s without a heartbeat: %w", ErrLeaseLost, end.Format(time.RFC3339), last)
		}
		err = l.heartbeat(ctx, now, end.Sub(now))
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if permanent(err) {
			return fmt.Errorf("%w: %w", ErrLeaseLost, err)
		}
		last = err
		d := backoff(attempt, l.ttl)
		var p *ProblemError
		if errors.As(err, &p) && p.RetryAfter > d {
			d = p.RetryAfter
		}
		if now, err = l.c.now(time.Time{}); err != nil {
			return err
		}
		switch until := end.Add(-l.ttl / 10).Sub(now); {
		case d <= until:
		case until > 0:
			d = until
		default:
			d = end.Sub(now) // no time for another try: see the lease out
		}
		l.c.log.Warn("licgate client: heartbeat failed; retrying", "lease", l.id, "attempt", attempt+1, "in", d, "err", err)
		if err := l.c.wait(ctx, d); err != nil {
			return err
		}
	}
}

// heartbeat renews the lease once, in a request sent at now and bounded
// by limit.
func (l *Lease) heartbeat(ctx context.Context, now time.Time, limit time.Duration) error {
	ans, err := l.c.send(ctx, http.MethodPost, "/v1/leases/"+url.PathEscape(l.id)+"/heartbeat", l.Token(), nil, limit, http.StatusOK)
	if err != nil {
		return err
	}
	var la leaseAnswer
	if err := decode(ans, &la); err != nil {
		return err
	}
	if la.ID != l.id || la.ExpiresAt.IsZero() {
		return fmt.Errorf("%w: a heartbeat answer needs the lease's id and its new end", ErrBadResponse)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expiresAt = la.ExpiresAt
	if la.Token != "" {
		l.token, l.tokenExpiresAt = la.Token, la.TokenExpiresAt
	}
	// The server renewed the lease when it got the request, after now.
	l.beatAt, l.end = now, now.Add(l.ttl)
	return nil
}

// permanent reports whether a failed request will fail again if tried
// again: a client error other than 408, 425 and 429.
func permanent(err error) bool {
	var p *ProblemError
	if !errors.As(err, &p) {
		return false
	}
	switch p.Status {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return false
	}
	return p.Status >= 400 && p.Status < 500
}

// backoff returns the wait before retry attempt+1 of a heartbeat of a
// lease of ttl: from a second (at most a tenth of the TTL), doubling, at
// most a third of the TTL; with "equal jitter", half of it random.
func backoff(attempt int, ttl time.Duration) time.Duration {
	d := min(time.Second, ttl/10)
	for i := 0; i < attempt && d < ttl/3; i++ {
		d *= 2
	}
	d = min(d, ttl/3)
	return d/2 + rand.N(d/2+1)
}

// Release gives the lease back, so its seat is free at once, and ends a
// [Lease.Keep] that is running (which returns nil). Releasing a lease
// again, or one the server already ended, is not an error.
func (l *Lease) Release(ctx context.Context) error {
	if l.stopped.Err() != nil {
		return nil
	}
	_, err := l.c.send(ctx, http.MethodDelete, "/v1/leases/"+url.PathEscape(l.id), l.Token(), nil, 0, http.StatusNoContent)
	var p *ProblemError
	if err != nil && errors.As(err, &p) && (p.Status == http.StatusNotFound || errors.Is(p, license.ErrReleased) || errors.Is(p, license.ErrRevoked)) {
		err = nil // already over
	}
	if err != nil {
		return err
	}
	l.stop(errReleased)
	return nil
}
