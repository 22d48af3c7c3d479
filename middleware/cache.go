package middleware

import (
	"time"

	"github.com/patrickmn/go-cache"
)

// expirer is a cache entry that knows when it stops being usable.
type expirer interface {
	expiry() time.Time
}

// ttlCache is a typed view of a go-cache keyed by string. Each entry
// carries its own expiry, checked against the gate's clock, so correctness
// does not depend on go-cache reading the wall clock: its own expiration,
// set to the same horizon, only frees memory. The janitor goroutine go-cache
// starts lives until the cache is garbage collected.
type ttlCache[V expirer] struct {
	c *cache.Cache
}

func newTTLCache[V expirer](cleanup time.Duration) ttlCache[V] {
	return ttlCache[V]{c: cache.New(cache.NoExpiration, cleanup)}
}

// get returns the entry under key if it has not expired at now.
func (t ttlCache[V]) get(key string, now time.Time) (V, bool) {
	var zero V
	x, ok := t.c.Get(key)
	if !ok {
		return zero, false
	}
	v, ok := x.(V)
	if !ok || !now.Before(v.expiry()) {
		return zero, false
	}
	return v, true
}

// set stores v under key until its expiry, or removes key if v has already
// expired at now.
func (t ttlCache[V]) set(key string, v V, now time.Time) {
	d := v.expiry().Sub(now)
	if d <= 0 {
		t.c.Delete(key)
		return
	}
	t.c.Set(key, v, d)
}

// len returns the number of entries, expired ones not yet removed included.
func (t ttlCache[V]) len() int { return t.c.ItemCount() }
