package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

func TestNewRefusesBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  string
		opts []Option
	}{
		{"relative URL", "lic.example.com", nil},
		{"other scheme", "ftp://lic.example.com", nil},
		{"query", "https://lic.example.com/?a=b", nil},
		{"user info", "https://u:p@lic.example.com", nil},
		{"nil option", "https://lic.example.com", []Option{nil}},
		{"nil HTTP client", "https://lic.example.com", []Option{WithHTTPClient(nil)}},
		{"nil clock", "https://lic.example.com", []Option{WithClock(nil)}},
		{"empty dir", "https://lic.example.com", []Option{WithDir("")}},
		{"negative tolerance", "https://lic.example.com", []Option{WithClockTolerance(-time.Second)}},
		{"tiny timeout", "https://lic.example.com", []Option{WithTimeout(time.Millisecond)}},
		{"empty product", "https://lic.example.com", []Option{WithProductID("")}},
		{"no pins", "https://lic.example.com", []Option{WithPinnedKeys()}},
		{"empty pin", "https://lic.example.com", []Option{WithPinnedKeys("abc", "")}},
	}
	for _, tt := range tests {
		if _, err := New(tt.url, tt.opts...); !errors.Is(err, ErrBadOption) {
			t.Errorf("%s: got %v, want ErrBadOption", tt.name, err)
		}
	}
	if _, err := New("https://lic.example.com/base/", WithLogger(nil), WithTimeout(time.Second)); err != nil {
		t.Errorf("good options: %v", err)
	}
}

func TestParseProblem(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		status      int
		contentType string
		retryAfter  string
		body        string
		wantReason  string
		wantDetail  string
		wantRetry   time.Duration
		wantIs      error
	}{
		{"problem", 409, "application/problem+json", "", `{"type":"urn:licgate:problem:no_seats","title":"No seats left","status":409,"detail":"Every seat is in use.","reason":"no_seats"}`,
			"no_seats", "Every seat is in use.", 0, license.ErrNoSeats},
		{"lease expired matches released", 409, "application/problem+json", "", `{"reason":"lease_expired"}`, "lease_expired", "", 0, license.ErrReleased},
		{"revoked", 409, "application/problem+json", "", `{"reason":"activation_revoked"}`, "activation_revoked", "", 0, license.ErrRevoked},
		{"rate limited", 429, "application/problem+json", "60", `{"reason":"rate_limited"}`, "rate_limited", "", time.Minute, license.ErrRateLimited},
		{"bare 429 with a date", 429, "text/plain", now.Add(90 * time.Second).Format(http.TimeFormat), "slow down", "", "", 90 * time.Second, license.ErrRateLimited},
		{"proxy page", 502, "text/html", "", "<html>bad gateway</html>", "", "", 0, nil},
		{"not JSON", 500, "application/problem+json", "", "{", "", "", 0, nil},
		{"control characters", 400, "application/problem+json", "", `{"reason":"invalid","detail":"line\nforged"}`, "invalid", "lineforged", 0, license.ErrInvalid},
		{"negative Retry-After", 503, "", "-5", "", "", "", 0, nil},
		{"huge Retry-After", 503, "", "99999999999", "", "", "", maxRetryAfter, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Content-Type": {tt.contentType}, "Retry-After": {tt.retryAfter}}
			p := parseProblem(tt.status, h, []byte(tt.body), now)
			if p.Status != tt.status || p.Reason != tt.wantReason || p.Detail != tt.wantDetail || p.RetryAfter != tt.wantRetry {
				t.Errorf("got %+v, want status %d reason %q detail %q retry %v", p, tt.status, tt.wantReason, tt.wantDetail, tt.wantRetry)
			}
			if tt.wantIs != nil && !errors.Is(p, tt.wantIs) {
				t.Errorf("%v does not match %v", p, tt.wantIs)
			}
			if tt.wantIs == nil && (errors.Is(p, license.ErrNotFound) || errors.Is(p, license.ErrRateLimited)) {
				t.Errorf("%v matches a sentinel", p)
			}
		})
	}
}

func TestBadResponses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
	}{
		{"not JSON", 201, "application/json", "{"},
		{"HTML", 201, "text/html", "<html>"},
		{"no token", 201, "application/json", `{"aid":"a","computerId":"pc-1","expiresAt":"2026-01-01T00:00:00Z"}`},
		{"another computer", 201, "application/json", `{"aid":"a","computerId":"pc-2","token":"t","expiresAt":"2026-01-01T00:00:00Z"}`},
		{"too large", 201, "application/json", `{"aid":"` + strings.Repeat("a", maxBody) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			c, _ := New(srv.URL)
			if _, err := c.Activate(context.Background(), "KEY", "pc-1", ""); !errors.Is(err, ErrBadResponse) {
				t.Errorf("got %v, want ErrBadResponse", err)
			}
			if _, err := c.Token(); !errors.Is(err, ErrNotActivated) {
				t.Errorf("a bad answer was kept: %v", err)
			}
		})
	}
}

func TestNoRedirects(t *testing.T) {
	t.Parallel()
	var leaked atomic.Bool
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { leaked.Store(true) }))
	defer evil.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	c, _ := New(srv.URL + "/")
	_, err := c.Activate(context.Background(), "KEY", "pc-1", "")
	var p *ProblemError
	if !errors.As(err, &p) || p.Status != http.StatusTemporaryRedirect {
		t.Errorf("got %v, want the 307 as a problem", err)
	}
	if leaked.Load() {
		t.Error("the key followed the redirect")
	}
}

func TestErrorsRead(t *testing.T) {
	t.Parallel()
	p := &ProblemError{Status: 409, Reason: "no_seats", Detail: "Every seat is in use."}
	if got, want := p.Error(), "client: server answered 409 no_seats: Every seat is in use."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	ce := &ClockError{Now: start, LastSeen: start.Add(time.Hour)}
	if got, want := ce.Error(), "client: clock moved back: it reads 2026-03-01T12:00:00Z, 1h0m0s before 2026-03-01T13:00:00Z, a time already seen"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
