package admin

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/licgate/licgate/internal/httpx"
)

// Option configures a [Handler].
type Option func(*config) error

type config struct {
	clientIP       func(*http.Request) string
	logger         *slog.Logger
	maxBody        int64
	idempotencyTTL time.Duration
	now            func() time.Time
}

func defaultConfig() config {
	return config{
		clientIP:       RemoteIP,
		maxBody:        DefaultMaxBodyBytes,
		idempotencyTTL: DefaultIdempotencyTTL,
	}
}

// Defaults of the options.
const (
	// DefaultMaxBodyBytes is the default cap of request bodies.
	DefaultMaxBodyBytes = 64 << 10
	// DefaultIdempotencyTTL is how long an answer is kept for retries with
	// the same Idempotency-Key, by default.
	DefaultIdempotencyTTL = 24 * time.Hour
)

// WithClientIP sets how the client's address is learned, for the failure
// budget of wrong tokens and for the audit trail; behind a trusted proxy,
// read its forwarding header here. Default: [RemoteIP].
func WithClientIP(f func(*http.Request) string) Option {
	return func(c *config) error {
		if f == nil {
			return ErrBadOption
		}
		c.clientIP = f
		return nil
	}
}

// WithLogger sets where internal errors are reported; clients never see
// them. Default: nil, silent.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		c.logger = l
		return nil
	}
}

// WithMaxBodyBytes caps request bodies, between 1 KiB and 16 MiB; a
// larger body is refused with 413. Default: [DefaultMaxBodyBytes], 64 KiB.
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) error {
		if n < 1<<10 || n > 16<<20 {
			return ErrBadOption
		}
		c.maxBody = n
		return nil
	}
}

// WithIdempotencyTTL sets how long the answer to a POST with an
// Idempotency-Key is replayed to retries, between one minute and 30 days.
// A key met again after that starts a new request. Default:
// [DefaultIdempotencyTTL], 24 hours.
func WithIdempotencyTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Minute || d > 30*24*time.Hour {
			return ErrBadOption
		}
		c.idempotencyTTL = d
		return nil
	}
}

// WithClock sets the source of the current time, which dates and expires
// the answers kept for idempotent retries. Default: the service's clock
// ([license.Service.Now]).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return ErrBadOption
		}
		c.now = now
		return nil
	}
}

// RemoteIP returns the host part of r.RemoteAddr, or r.RemoteAddr whole
// if it has no port.
func RemoteIP(r *http.Request) string { return httpx.RemoteIP(r) }
