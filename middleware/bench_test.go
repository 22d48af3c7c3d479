package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/middleware"
)

// discard is a ResponseWriter that keeps nothing, so the benchmarks
// measure the gate and not a recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkGate measures one request through the gate to a handler that
// does nothing, with a real license.Service on a memstore as the state
// source:
//
//   - cached: the token verified before and the state in cache, the path
//     of every request but the first of a token and one per TTL;
//   - miss: the token cached, the state fetched from the service on every
//     request (the clock moves one TTL per request);
//   - verify: a fresh EdDSA verification on every request, no token cache,
//     the state in cache;
//   - cached-hook: cached, with a decision hook that counts (what a
//     metrics hook does), to show that the hook allocates nothing;
//   - token-only: the token cached, no state source ([WithTokenOnly]);
//   - offline: a gate of [NewOffline] on an offline license file of the
//     service, its token static and cached.
//
// verify also reports the cost of cached as a percentage of its own, as
// the metric cached/verify-%.
func BenchmarkGate(b *testing.B) {
	clk := newClock()
	s := newService(b, clk.Now, license.WithTokenTTL(100*365*24*time.Hour))
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	gate := func(opts ...middleware.Option) http.Handler {
		g, err := middleware.New(append([]middleware.Option{
			middleware.WithKeySet(s.svc.KeySet()), middleware.WithIssuer(s.svc.Issuer()), middleware.WithClock(clk.Now),
		}, opts...)...)
		if err != nil {
			b.Fatal(err)
		}
		return g.Handler(next)
	}
	newGate := func(opts ...middleware.Option) http.Handler {
		return gate(append([]middleware.Option{middleware.WithStateSource(s.svc)}, opts...)...)
	}
	nsPerOp := map[string]float64{}
	run := func(name string, h http.Handler, each func()) {
		b.Run(name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/api", nil)
			r.Header.Set("Authorization", "Bearer "+s.token)
			w := &discard{h: http.Header{}}
			h.ServeHTTP(w, r) // warm the caches
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if each != nil {
					each()
				}
				h.ServeHTTP(w, r)
			}
			nsPerOp[name] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if c := nsPerOp["cached"]; name == "verify" && c > 0 {
				b.ReportMetric(100*c/nsPerOp[name], "cached/verify-%")
			}
		})
	}

	run("cached", newGate(), nil)
	const ttl = time.Second
	run("miss", newGate(middleware.WithStateTTL(ttl), middleware.WithVerifyCacheTTL(100*365*24*time.Hour)),
		func() { clk.Advance(ttl) })
	clk.Set(t0)
	run("verify", newGate(middleware.WithVerifyCacheTTL(0)), nil)

	var decided atomic.Int64
	run("cached-hook", newGate(middleware.WithDecisionHook(func(_ *http.Request, reason string) {
		if reason == middleware.ReasonOK {
			decided.Add(1)
		}
	})), nil)

	run("token-only", gate(middleware.WithTokenOnly()), nil)
	og, err := middleware.NewOffline(offlineFile(b, s, "pc-off"), middleware.WithClock(clk.Now),
		middleware.WithPinnedKeys(keyIDs(b, s.svc.KeySet().JWKS())...))
	if err != nil {
		b.Fatal(err)
	}
	run("offline", og.Handler(next), nil)

	if c, v := nsPerOp["cached"], nsPerOp["verify"]; c > 0 && v > 0 {
		b.Logf("cached/verify = %.2f%% (cached %.0f ns/op, verify %.0f ns/op)", 100*c/v, c, v)
	}
}
