package webhook

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

func noJitter(d time.Duration) time.Duration { return d }

func TestDefaultScheduleFitsTheWindow(t *testing.T) {
	t.Parallel()
	var sum time.Duration
	s := DefaultSchedule()
	for i, d := range s {
		if i < 2 && d > time.Minute {
			t.Errorf("retry %d waits %v, want the first retries within a minute", i+1, d)
		}
		sum += d
	}
	if sum > RetryWindow {
		t.Errorf("the schedule adds up to %v, want at most %v", sum, RetryWindow)
	}
	s[0] = time.Hour
	if DefaultSchedule()[0] != 5*time.Second {
		t.Error("DefaultSchedule shares its slice")
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e := license.Event{ID: "e", At: at}
	schedule := []time.Duration{5 * time.Second, time.Hour, 48 * time.Hour, 48 * time.Hour}
	end := at.Add(RetryWindow)
	tests := []struct {
		name      string
		n         int
		o         outcome
		now       time.Time
		wantState license.DeliveryState
		wantNext  time.Time
	}{
		{"2xx delivers", 1, outcome{status: 204, ok: true}, at, license.DeliveryDelivered, time.Time{}},
		{"2xx delivers even late", 9, outcome{status: 200, ok: true}, end.Add(time.Hour), license.DeliveryDelivered, time.Time{}},
		{"500 retries", 1, outcome{status: 500}, at, license.DeliveryPending, at.Add(5 * time.Second)},
		{"no answer retries", 2, outcome{}, at.Add(time.Minute), license.DeliveryPending, at.Add(time.Minute + time.Hour)},
		{"redirect retries", 1, outcome{status: http.StatusFound}, at, license.DeliveryPending, at.Add(5 * time.Second)},
		{"410 fails at once", 1, outcome{status: http.StatusGone}, at, license.DeliveryFailed, time.Time{}},
		{"permanent fails at once", 1, outcome{permanent: true}, at, license.DeliveryFailed, time.Time{}},
		{"schedule spent", 5, outcome{status: 500}, at.Add(time.Hour), license.DeliveryFailed, time.Time{}},
		{"retry past the window is brought forward", 3, outcome{status: 500}, at.Add(30 * time.Hour), license.DeliveryPending, end.Add(-lastCall)},
		{"after the last call, fails", 4, outcome{status: 500}, end.Add(-lastCall), license.DeliveryFailed, time.Time{}},
		{"event older than the window fails", 1, outcome{status: 500}, end, license.DeliveryFailed, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			state, next := decide(schedule, noJitter, e, tt.n, tt.o, tt.now)
			if state != tt.wantState || !next.Equal(tt.wantNext) {
				t.Errorf("got %s %v, want %s %v", state, next, tt.wantState, tt.wantNext)
			}
		})
	}
}

func TestJitter(t *testing.T) {
	t.Parallel()
	d := 10 * time.Minute
	lo, hi := d, d
	for range 2000 {
		j := jitter(d)
		if j < d*9/10 || j > d*11/10 {
			t.Fatalf("jitter(%v) = %v, want within 10%%", d, j)
		}
		lo, hi = min(lo, j), max(hi, j)
	}
	if hi-lo < d/10 {
		t.Errorf("jitter spread %v..%v, want about ±10%%", lo, hi)
	}
	if got := jitter(1); got != 1 {
		t.Errorf("jitter(1ns) = %v, want 1ns", got)
	}
}

func TestCleanError(t *testing.T) {
	t.Parallel()
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	tests := []struct {
		name, text, want string
	}{
		{"empty", "", ""},
		{"short", "answered 500 Internal Server Error", "answered 500 Internal Server Error"},
		{"secret", "bad " + secret + " and MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "bad [secret] and [secret]"},
		{"invalid UTF-8", "a\xffb", "a?b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := cleanError(tt.text, secret); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	long := cleanError(strings.Repeat("é", 300), secret)
	if len(long) > maxErrorLen || !strings.HasSuffix(long, "…") || !strings.HasPrefix(long, "éé") {
		t.Errorf("got %d bytes %q, want at most %d ending in …", len(long), long, maxErrorLen)
	}
}
