package license

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_000_000, 0)
	l := newLimiter(3, time.Minute, 10, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if !l.allow("a") {
			t.Fatalf("request %d refused, want allowed", i+1)
		}
	}
	if l.allow("a") || l.ok("a") {
		t.Fatal("4th request allowed, want refused")
	}
	if !l.allow("b") {
		t.Fatal("another key refused")
	}
	now = now.Add(20 * time.Second) // one token back
	if !l.allow("a") || l.allow("a") {
		t.Fatal("after a third of the window, want exactly one more request")
	}
}

func TestLimiterBoundsMemory(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_000_000, 0)
	l := newLimiter(1, time.Minute, 100, func() time.Time { return now })
	for i := 0; i < 100; i++ {
		l.allow(fmt.Sprint(i))
	}
	if l.allow("new") {
		t.Fatal("a new key was admitted while the table was full of live buckets")
	}
	now = now.Add(time.Minute)
	if !l.allow("new") {
		t.Fatal("after the window, a new key was refused")
	}
	if len(l.buckets) > 100 {
		t.Fatalf("limiter holds %d buckets, want at most 100", len(l.buckets))
	}
}

func TestAddrKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"192.0.2.1:5555", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"not-an-ip", "not-an-ip"},
	}
	for _, tt := range tests {
		if got := addrKey(tt.in); got != tt.want {
			t.Errorf("addrKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
