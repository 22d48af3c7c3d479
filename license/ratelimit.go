package license

import (
	"net/netip"
	"sync"
	"time"
)

// limiter is a keyed token bucket: each key may spend burst tokens, refilled
// at burst per window. Memory is bounded: when more than maxKeys buckets
// exist, full ones (which carry no information) are dropped, and if that is
// not enough the limiter refuses new keys until some refill, so a flood of
// distinct keys cannot grow it without bound.
type limiter struct {
	burst   float64
	rate    float64 // tokens per second
	maxKeys int
	now     func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(burst int, window time.Duration, maxKeys int, now func() time.Time) *limiter {
	return &limiter{
		burst:   float64(burst),
		rate:    float64(burst) / window.Seconds(),
		maxKeys: maxKeys,
		now:     now,
		buckets: make(map[string]*bucket),
	}
}

// allow spends one token of key and reports whether there was one.
func (l *limiter) allow(key string) bool { return l.take(key, 1) }

// ok reports whether key has a token left, without spending it.
func (l *limiter) ok(key string) bool { return l.take(key, 0) }

func (l *limiter) take(key string, n float64) bool {
	if l == nil || l.burst <= 0 {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, found := l.buckets[key]
	if !found {
		if n == 0 {
			return true
		}
		if len(l.buckets) >= l.maxKeys {
			l.sweep(now)
			if len(l.buckets) >= l.maxKeys {
				return false
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	if b.tokens < 1 {
		return false
	}
	b.tokens -= n
	return true
}

func (l *limiter) refill(b *bucket, now time.Time) {
	if d := now.Sub(b.last).Seconds(); d > 0 {
		b.tokens = min(l.burst, b.tokens+d*l.rate)
		b.last = now
	}
}

func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// addrKey reduces a client address to the unit one party controls: an IPv4
// address, or the /64 network of an IPv6 address. Anything unparsable is
// used as it is.
func addrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		if ap, err2 := netip.ParseAddrPort(addr); err2 == nil {
			a = ap.Addr()
		} else {
			return addr
		}
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
