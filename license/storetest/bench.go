package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// Bench benchmarks the hot paths of a store, as sub-benchmarks: License (by
// ID), Activation (by AID), ActivateExisting (a computer that holds its
// activation, the re-validation path), ActivateNew (a new computer taking a
// seat, with the seat check inside WithLicense as [license.Service] makes
// it) and TakeToken (a rate limit). It adds products, licenses, activations
// and buckets to s.
func Bench(b *testing.B, s license.Store) {
	ctx := b.Context()
	l := mustLicense(b, s, 10)
	a := mustActivate(b, s, l.ID, "bench-pc")

	b.Run("License", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.License(ctx, l.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Activation", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Activation(ctx, a.AID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ActivateExisting", func(b *testing.B) {
		again := newActivation(b, l.ID, "bench-pc")
		b.ReportAllocs()
		for b.Loop() {
			if _, existing, err := activate(ctx, s, again, false); err != nil || !existing {
				b.Fatalf("activate: existing %v, err %v", existing, err)
			}
		}
	})
	b.Run("ActivateNew", func(b *testing.B) {
		// Every license takes perLicense activations; all are made before
		// the timer starts.
		const perLicense = 1000
		acts := make([]license.Activation, 0, b.N)
		for len(acts) < b.N {
			l := mustLicense(b, s, perLicense)
			for i := 0; i < perLicense && len(acts) < b.N; i++ {
				acts = append(acts, newActivation(b, l.ID, fmt.Sprintf("bench-%d", i)))
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, existing, err := activate(ctx, s, acts[i], false); err != nil || existing {
				b.Fatalf("activate: existing %v, err %v", existing, err)
			}
		}
	})
	b.Run("TakeToken", func(b *testing.B) {
		// A bucket that refills faster than it is drawn from.
		bk := license.Bucket{Key: "bench:" + newID(b), Burst: 1_000_000, Window: time.Microsecond}
		b.ReportAllocs()
		now := t0
		for b.Loop() {
			now = now.Add(time.Microsecond)
			if _, err := s.TakeToken(ctx, bk, now); err != nil {
				b.Fatal(err)
			}
		}
	})
}
