package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licgate/licgate/internal/smtptest"
)

// codeRequestGap is the least time between the starts of two code requests
// in BenchmarkCodeRequestTiming. The server delivers codes in the
// background, at most 64 at a time, each starting 5 to 25 ms after its
// request, and answers "Too many requests" while all 64 are taken, for any
// email; one request per millisecond stays clear of that, and is about the
// pace of the attack in issue 7.
const codeRequestGap = time.Millisecond

// BenchmarkCodeRequestTiming asks whether a code request's answer, or the
// time it takes, tells if the email holds a license: the attack of issue 7,
// which told emails apart 64–77 % of the time from 8 samples (medians 1.17
// vs 0.79 ms). licgate serve runs with the rate limits off and an in-process
// SMTP server that accepts the codes; known@example.com has a license,
// unknown@example.com has none. Each op is one request for each email,
// in random order over the run, sent one at a time (and at most one per
// codeRequestGap) over one keep-alive connection, and timed from sending to
// the last byte of the answer.
//
// It reports the median latency of each email in ms (known-ms, unknown-ms),
// their ratio (known/unknown), and the accuracy of the best threshold
// classifier on single samples (acc-1) and on the median of 8 samples
// (acc-8, from 2000 medians of 8 drawn with replacement for each email). The
// threshold is chosen on the same samples it is scored on, as an attacker
// fitting the data would; acc-8-null is the same statistic with the emails'
// labels shuffled, the score that noise alone reaches with this many
// samples. 0.5 is a coin toss. The benchmark fails if any two answers differ
// in status or bytes, or if the known email did not get its codes.
//
// Run it with 300 requests per email:
//
//	go test ./cmd/licgate -run '^$' -bench 'CodeRequestTiming' -benchtime 300x
func BenchmarkCodeRequestTiming(b *testing.B) {
	mail := &smtptest.Server{}
	mailAddr := mail.Start(b)
	s := sqliteSeatStore(b)
	ctx := context.Background()
	st, db, err := s.open(ctx)
	if err != nil {
		b.Fatalf("open the store: %v", err)
	}
	_, err = benchLicense(ctx, st, "known@example.com", 10, 0)
	st.Close()
	db.Close()
	if err != nil {
		b.Fatal(err)
	}
	srv := startBenchServer(b, 1, append(s.args, "-demo=false", "-smtp", "smtp://"+mailAddr,
		"-code-limit-email", "0", "-code-limit-addr", "0", "-code-limit-failures", "0")...)

	const known, unknown = "known@example.com", "unknown@example.com"
	request := func(email string) string {
		return "/qlm/qlmservice.asmx/RequestAuthorizationCodeForActivationHttp?is_email=" + url.QueryEscape(email) +
			"&is_pcid=PC-TIMING&is_productid=bench&is_majorversion=1&is_minorversion=0"
	}
	paths := map[bool]string{true: request(known), false: request(unknown)}
	var first []byte // the first answer; every other must be the same
	codesSent := 0   // requests for the known email
	var last time.Time
	ask := func(ctx context.Context, isKnown bool) (time.Duration, error) {
		time.Sleep(time.Until(last.Add(codeRequestGap)))
		start := time.Now()
		last = start
		code, body, err := srv.get(ctx, paths[isKnown], "")
		d := time.Since(start)
		if err != nil {
			return 0, err
		}
		answer := fmt.Appendf(nil, "%d %s", code, body)
		switch {
		case first == nil:
			if code != http.StatusOK || bytes.Contains(body, []byte("<error>")) {
				return 0, fmt.Errorf("code request: %d %s", code, body)
			}
			first = answer
		case !bytes.Equal(answer, first):
			return 0, fmt.Errorf("answers differ (known email: %v):\n%s\nthen\n%s", isKnown, first, answer)
		}
		if isKnown {
			codesSent++
		}
		return d, nil
	}
	// Warm up the connection, the server and the database.
	for i := range 40 {
		if _, err := ask(ctx, i%2 == 0); err != nil {
			b.Fatal(err)
		}
	}

	b.Run("interleaved", func(b *testing.B) {
		ctx, cancel := context.WithTimeout(b.Context(), benchDeadline)
		defer cancel()
		rng := rand.New(rand.NewPCG(1, 2))
		order := make([]bool, 2*b.N)
		for i := range b.N {
			order[i] = true
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var knownMS, unknownMS []float64
		b.ReportAllocs()
		b.ResetTimer()
		for _, isKnown := range order {
			d, err := ask(ctx, isKnown)
			if err != nil {
				b.Fatal(err)
			}
			if isKnown {
				knownMS = append(knownMS, ms(d))
			} else {
				unknownMS = append(unknownMS, ms(d))
			}
		}
		b.StopTimer()

		mk, mu := median(knownMS), median(unknownMS)
		b.ReportMetric(mk, "known-ms")
		b.ReportMetric(mu, "unknown-ms")
		reportRatio(b, mk, mu, "known/unknown")
		b.ReportMetric(bestThreshold(knownMS, unknownMS), "acc-1")
		b.ReportMetric(bestThreshold(medians(rng, knownMS, 8, 2000), medians(rng, unknownMS, 8, 2000)), "acc-8")
		all := slices.Concat(knownMS, unknownMS)
		rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		nullK, nullU := all[:len(knownMS)], all[len(knownMS):]
		b.ReportMetric(bestThreshold(medians(rng, nullK, 8, 2000), medians(rng, nullU, 8, 2000)), "acc-8-null")
	})

	// Every code for the known email was sent, and none for the other.
	msgs := mail.WaitMessages(b, codesSent, time.Minute)
	for _, m := range msgs {
		if len(m.To) != 1 || !strings.EqualFold(m.To[0], known) {
			b.Fatalf("a code went to %v", m.To)
		}
	}
	if len(msgs) != codesSent {
		b.Fatalf("%d codes sent for %d requests of the known email", len(msgs), codesSent)
	}
}

// median returns the median of xs, which it does not change.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// medians returns m medians of k samples of xs, drawn with replacement.
func medians(rng *rand.Rand, xs []float64, k, m int) []float64 {
	if len(xs) == 0 {
		return nil
	}
	out := make([]float64, m)
	draw := make([]float64, k)
	for i := range out {
		for j := range draw {
			draw[j] = xs[rng.IntN(len(xs))]
		}
		out[i] = median(draw)
	}
	return out
}

// bestThreshold returns the accuracy of the best rule "x above t is class a"
// or "x above t is class b", over every threshold t, on the samples a and b.
// The rule that always says the larger class scores at least half.
func bestThreshold(a, b []float64) float64 {
	type sample struct {
		x   float64
		isA bool
	}
	all := make([]sample, 0, len(a)+len(b))
	for _, x := range a {
		all = append(all, sample{x, true})
	}
	for _, x := range b {
		all = append(all, sample{x, false})
	}
	if len(all) == 0 {
		return 0
	}
	slices.SortFunc(all, func(p, q sample) int {
		switch {
		case p.x < q.x:
			return -1
		case p.x > q.x:
			return 1
		}
		return 0
	})
	total := float64(len(all))
	best := float64(max(len(a), len(b))) / total
	aBelow, bBelow := 0, 0 // samples at or below the threshold
	for i := 0; i < len(all); {
		for j := i; i < len(all) && all[i].x == all[j].x; i++ {
			if all[i].isA {
				aBelow++
			} else {
				bBelow++
			}
		}
		aHigh := float64(bBelow+len(a)-aBelow) / total // a above, b at or below
		aLow := float64(aBelow+len(b)-bBelow) / total  // a at or below, b above
		best = max(best, aHigh, aLow)
	}
	return best
}

// TestBenchStatistics checks the statistics the benchmarks report.
func TestBenchStatistics(t *testing.T) {
	tests := []struct {
		name string
		a, b []float64
		want float64
	}{
		{"apart", []float64{3, 4, 5}, []float64{0, 1, 2}, 1},
		{"apart, a below", []float64{0, 1}, []float64{5, 6}, 1},
		{"equal", []float64{1, 1}, []float64{1, 1}, 0.5},
		{"one overlaps", []float64{2, 3, 4, 5}, []float64{0, 1, 2.5, 6}, 0.75},
		{"uneven", []float64{1}, []float64{1, 1, 1}, 0.75},
	}
	for _, tt := range tests {
		if got := bestThreshold(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: bestThreshold(%v, %v) = %v, want %v", tt.name, tt.a, tt.b, got, tt.want)
		}
	}
	if got := median([]float64{5, 1, 3, 2}); got != 2.5 {
		t.Errorf("median = %v, want 2.5", got)
	}
	d := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if got := percentile(d, 0.99); got != 10 {
		t.Errorf("p99 of 1..10 = %v, want 10", got)
	}
	if got := percentile(d, 0.5); got != 5 {
		t.Errorf("p50 of 1..10 = %v, want 5", got)
	}
}
