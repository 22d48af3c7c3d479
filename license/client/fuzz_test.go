package client

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"
)

// FuzzParseProblem feeds the problem reader what a server, or whatever
// stands in its place, may answer with.
func FuzzParseProblem(f *testing.F) {
	f.Add(409, "application/problem+json", "", `{"type":"urn:licgate:problem:no_seats","title":"No seats left","status":409,"detail":"d","reason":"no_seats"}`)
	f.Add(429, "application/problem+json; charset=utf-8", "60", `{"reason":"rate_limited"}`)
	f.Add(503, "text/html", "Sun, 01 Mar 2026 12:01:00 GMT", "<html>")
	f.Add(401, "application/json", "-1", `{"reason":null,"detail":["x"]}`)
	f.Add(500, "", "99999999999999999999", "\xff\xfe")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, contentType, retryAfter, body string) {
		h := http.Header{"Content-Type": {contentType}, "Retry-After": {retryAfter}}
		p := parseProblem(status, h, []byte(body), now)
		if p.Status != status || p.RetryAfter < 0 || p.RetryAfter > maxRetryAfter {
			t.Fatalf("got %+v", p)
		}
		if len(p.Reason) > 64 || len(p.Detail) > 1024 {
			t.Fatalf("unbounded fields: %d, %d", len(p.Reason), len(p.Detail))
		}
		for _, r := range p.Error() {
			if r < 0x20 {
				t.Fatalf("control character in %q", p.Error())
			}
		}
		_ = errors.Is(p, ErrLeaseLost)
	})
}

// FuzzAnswers feeds the readers of the server's answers: activations and
// leases.
func FuzzAnswers(f *testing.F) {
	f.Add(`{"aid":"6f1c","licenseId":"l","productId":"app","computerId":"pc-1","token":"a.b.c","expiresAt":"2026-03-01T12:00:00Z","existing":true}`)
	f.Add(`{"id":"6f1c","token":"a.b.c","expiresAt":"2026-03-01T12:00:30Z","tokenExpiresAt":"2026-03-02T12:00:00Z"}`)
	f.Add(`{"id":"6f1c","expiresAt":"2026-03-01T12:00:30.123456789+02:00"}`)
	f.Add(`{"expiresAt":"yesterday"}`)
	f.Fuzz(func(t *testing.T, body string) {
		ans := answer{status: 200, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(body)}
		if a, err := parseActivationAnswer(ans, "pc-1"); err == nil {
			if a.check() != nil || a.ComputerID != "pc-1" {
				t.Fatalf("accepted %+v", a)
			}
		} else if !errors.Is(err, ErrBadResponse) {
			t.Fatalf("error %v does not match ErrBadResponse", err)
		}
		var la leaseAnswer
		if err := decode(ans, &la); err != nil && !errors.Is(err, ErrBadResponse) {
			t.Fatalf("error %v does not match ErrBadResponse", err)
		}
	})
}

// FuzzStateFiles feeds the readers of the state directory's files, and
// checks that what they accept survives a round trip.
func FuzzStateFiles(f *testing.F) {
	f.Add(`{"lastSeen":"2026-03-01T12:00:00Z"}`)
	f.Add(`{"aid":"6f1c","licenseId":"l","productId":"app","computerId":"pc-1","token":"a.b.c","expiresAt":"2026-03-01T12:00:00Z","existing":false}`)
	f.Add(`{"lastSeen":"0001-01-01T00:00:00Z"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, data string) {
		if ts, err := parseClockState([]byte(data)); err == nil {
			again, err := parseClockState(encode(clockState{LastSeen: ts}))
			if err != nil || !again.Equal(ts) {
				t.Fatalf("clock state %v does not round-trip: %v, %v", ts, again, err)
			}
		} else if !errors.Is(err, ErrBadState) {
			t.Fatalf("error %v does not match ErrBadState", err)
		}
		if a, err := parseActivation([]byte(data)); err == nil {
			b, _ := json.Marshal(a)
			again, err := parseActivation(b)
			if err != nil || again.Token != a.Token || again.AID != a.AID || !again.ExpiresAt.Equal(a.ExpiresAt) {
				t.Fatalf("activation %+v does not round-trip: %+v, %v", a, again, err)
			}
		} else if !errors.Is(err, ErrBadState) {
			t.Fatalf("error %v does not match ErrBadState", err)
		}
	})
}
