package main

import (
	"slices"
	"testing"
	"time"
)

// FuzzReleaseBudget: -qlm-self-release parses to off or to a budget of at
// least one release per minute or more, and what it prints parses back to
// the same budget.
func FuzzReleaseBudget(f *testing.F) {
	for _, s := range []string{"", "off", "0", "3/720h", " 1 / 1m ", "0/1h", "3/30s", "3/", "/1h", "9999999999999999999/1h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b releaseBudget
		if err := b.Set(s); err != nil {
			if b != (releaseBudget{}) {
				t.Fatalf("Set(%q) failed but left %+v", s, b)
			}
			return
		}
		if b.n != 0 && (b.n < 1 || b.per.Minutes() < 1) {
			t.Fatalf("Set(%q) = %+v, below the bounds", s, b)
		}
		var again releaseBudget
		if err := again.Set(b.String()); err != nil || again != b {
			t.Fatalf("Set(%q).String() = %q parses to %+v, %v; want %+v", s, b.String(), again, err, b)
		}
	})
}

// FuzzRetrySchedule: -webhook-retries parses to no retries or to positive
// waits, leaves the value alone when it fails, and what it prints parses
// back to the same schedule.
func FuzzRetrySchedule(f *testing.F) {
	for _, s := range []string{"", "none", "5s", "5s,30s,2m", " 1m , 1h ", "0s", "-1s", "5s,,1m", "5", "1h,x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		before := retrySchedule{time.Second}
		r := before
		if err := r.Set(s); err != nil {
			if !slices.Equal(r, before) {
				t.Fatalf("Set(%q) failed but left %v", s, r)
			}
			return
		}
		for _, d := range r {
			if d <= 0 {
				t.Fatalf("Set(%q) = %v, with a wait of %v", s, r, d)
			}
		}
		var again retrySchedule
		if err := again.Set(r.String()); err != nil || !slices.Equal(again, r) {
			t.Fatalf("Set(%q).String() = %q parses to %v, %v; want %v", s, r.String(), again, err, r)
		}
	})
}
