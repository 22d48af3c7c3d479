package ems

import (
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/licgate/licgate/internal/httpx"
)

// Option configures a [Handler].
type Option func(*config) error

// ErrBadOption is returned by [NewHandler] for a nil or invalid option value.
var ErrBadOption = errors.New("ems: bad option")

type config struct {
	vendor       bool
	userHash     [sha256.Size]byte
	passHash     [sha256.Size]byte
	idle         time.Duration
	vendorID     string
	version      string
	cookiePath   string
	secureCookie bool
	maxBody      int64
	polling      int
	clientIP     func(*http.Request) string
	logger       *slog.Logger
}

func defaultConfig() config {
	return config{
		idle:     30 * time.Minute,
		vendorID: "37515",
		version:  "9.0.0",
		maxBody:  64 << 10,
		clientIP: httpx.RemoteIP,
	}
}

// WithClientIP sets how the client's address is learned, for the budget of
// failed vendor logins (see [license.Service.CheckSecret]); behind a
// trusted proxy, read its forwarding header here. Default: the host of the
// request's RemoteAddr.
func WithClientIP(f func(*http.Request) string) Option {
	return func(c *config) error {
		if f == nil {
			return ErrBadOption
		}
		c.clientIP = f
		return nil
	}
}

// WithVendorCredentials turns login.ws on for one vendor (ISV) user. The
// user name and password, compared in constant time after trimming, must
// not be empty. A vendor session may act on every product key. Default:
// none, so login.ws refuses every login and only product-key sessions exist.
func WithVendorCredentials(user, password string) Option {
	return func(c *config) error {
		user, password = strings.TrimSpace(user), strings.TrimSpace(password)
		if user == "" || password == "" {
			return ErrBadOption
		}
		c.vendor = true
		c.userHash = sha256.Sum256([]byte(user))
		c.passHash = sha256.Sum256([]byte(password))
		return nil
	}
}

// WithSessionIdle sets how long a session lives past its last use, between
// one minute and one day. Default: 30 minutes.
func WithSessionIdle(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Minute || d > 24*time.Hour {
			return ErrBadOption
		}
		c.idle = d
		return nil
	}
}

// WithVendorID sets the vendor ID, 1 to 10 decimal digits, written in the
// <vendor id="…"> of every activationString. Default: "37515", the demo
// vendor of Thales' documentation.
func WithVendorID(id string) Option {
	return func(c *config) error {
		if id == "" || len(id) > 10 || strings.Trim(id, "0123456789") != "" {
			return ErrBadOption
		}
		c.vendorID = id
		return nil
	}
}

// WithServerVersion sets the <version> login.ws reports. Default: "9.0.0".
func WithServerVersion(v string) Option {
	return func(c *config) error {
		if v == "" {
			return ErrBadOption
		}
		c.version = v
		return nil
	}
}

// WithCookiePath sets the Path of the JSESSIONID cookie, which must start
// with "/"; set it when a proxy or [http.StripPrefix] hides the path clients
// call. Default: the request path up to the version segment, "/ems" for
// "/ems/v90/ws/login.ws", or "/" if that is empty.
func WithCookiePath(p string) Option {
	return func(c *config) error {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, ";\r\n\x00") {
			return ErrBadOption
		}
		c.cookiePath = p
		return nil
	}
}

// WithSecureCookie marks the JSESSIONID cookie Secure on every response, for
// a server behind a proxy that terminates TLS, so that browsers never send
// it over plain HTTP. Default: Secure only on requests that came over TLS.
func WithSecureCookie(secure bool) Option {
	return func(c *config) error {
		c.secureCookie = secure
		return nil
	}
}

// WithMaxBodyBytes caps request bodies, between 1 KiB and 1 MiB; a larger
// body is answered with 413. Default: 64 KiB.
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) error {
		if n < 1<<10 || n > 1<<20 {
			return ErrBadOption
		}
		c.maxBody = n
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

// WithPollingFrequency sets the polling-frequency header of the answer of
// activation/target.ws: how many minutes clients should wait before they
// ask for pending updates again, between 0 and 525600 (a year); 0 tells
// them to ignore it. Default: 0.
func WithPollingFrequency(minutes int) Option {
	return func(c *config) error {
		if minutes < 0 || minutes > 525600 {
			return ErrBadOption
		}
		c.polling = minutes
		return nil
	}
}
