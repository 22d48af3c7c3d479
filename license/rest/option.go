package rest

import (
	"log/slog"
	"net/http"

	"github.com/licgate/licgate/internal/httpx"
	"github.com/licgate/licgate/license"
)

// Option configures a [Handler].
type Option func(*config) error

type config struct {
	clientIP func(*http.Request) string
	maxBody  int64
	logger   *slog.Logger
}

func defaultConfig() config {
	return config{
		clientIP: httpx.RemoteIP,
		maxBody:  license.MaxOfflineFileBytes,
		logger:   slog.New(slog.DiscardHandler),
	}
}

// WithClientIP sets how the client's address is learned: it goes into the
// request's [license.Actor] and is the address whose failure budget an
// activation by code draws on ([license.Service.ActivateByCode]), and whose
// budget of code requests [license.Service.RequestCode] takes from. Behind
// a trusted proxy, read its forwarding header here. Default: the host of
// the request's RemoteAddr.
func WithClientIP(f func(*http.Request) string) Option {
	return func(c *config) error {
		if f == nil {
			return ErrBadOption
		}
		c.clientIP = f
		return nil
	}
}

// WithLogger sets where the handler reports internal errors, which
// clients never see, and refusals, at debug level. Tokens, keys and codes
// are never logged. Default: nil, silent.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l != nil {
			c.logger = l
		}
		return nil
	}
}

// WithMaxBodyBytes caps the JSON request bodies, the offline request file
// of POST /v1/offline included, between 1 KiB and 1 MiB. A larger body is
// refused with 413. The form of the /offline page has its own cap: a file
// of at most [license.MaxOfflineFileBytes] and a little for the form
// around it. Default: 64 KiB ([license.MaxOfflineFileBytes]).
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) error {
		if n < 1<<10 || n > 1<<20 {
			return ErrBadOption
		}
		c.maxBody = n
		return nil
	}
}
