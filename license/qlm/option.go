package qlm

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/licgate/licgate/internal/httpx"
)

// Option configures a [Handler].
type Option func(*config) error

// ErrBadOption is returned by [NewHandler] for a nil or invalid option value.
var ErrBadOption = errors.New("qlm: bad option")

type config struct {
	release       *vendorLogin // ReleaseLicenseHttp with vendor credentials
	activateKey   *vendorLogin // ActivateKey
	selfRelease   selfRelease  // ReleaseLicenseHttp with the computer key
	clientIP      func(*http.Request) string
	serverVersion string
	maxBody       int64
	logger        *slog.Logger
}

func defaultConfig() config {
	return config{
		clientIP:      RemoteIP,
		serverVersion: "licgate",
		maxBody:       64 << 10,
	}
}

// vendorLogin is the is_vendor, is_user and is_pwd a vendor method requires.
type vendorLogin struct{ vendor, user, password string }

func newVendorLogin(vendor, user, password string) (*vendorLogin, error) {
	if vendor == "" || user == "" || password == "" {
		return nil, ErrBadOption
	}
	return &vendorLogin{vendor, user, password}, nil
}

// selfRelease is the budget of releases without vendor credentials: limit
// per license per period; a zero limit is off.
type selfRelease struct {
	limit int
	per   time.Duration
}

// WithRelease turns ReleaseLicenseHttp on for the vendor. A release must
// carry is_vendor, is_user and is_pwd equal to the given vendor
// credentials, none of which may be empty; wrong ones count against the
// client address's failure budget ([license.Service.CheckSecret]).
// Vendor releases have no release limit. See also [WithSelfRelease].
// Default: ReleaseLicenseHttp answers that it is disabled.
func WithRelease(vendor, user, password string) Option {
	return func(c *config) (err error) {
		c.release, err = newVendorLogin(vendor, user, password)
		return err
	}
}

// WithActivateKey turns ActivateKey on: the e-commerce activation that a
// vendor's store calls, with is_avkey and is_pcid, to activate a key for a
// customer's computer. A call must carry is_vendor, is_user and is_pwd
// equal to the given credentials, none of which may be empty; wrong ones
// count against the client address's failure budget. It answers as
// ValidateLicenseHttp does when it activates. Default: ActivateKey answers
// that it is disabled.
func WithActivateKey(vendor, user, password string) Option {
	return func(c *config) (err error) {
		c.activateKey, err = newVendorLogin(vendor, user, password)
		return err
	}
}

// WithSelfRelease lets a client release its own seat without vendor
// credentials, as QLM's releaseLicenseRequiresAuthentication=false does:
// ReleaseLicenseHttp with is_avkey, is_pcid and the computer key that
// computer was given, is_pckey. A wrong computer key counts against the
// client address's failure budget. Each license may be released this way
// limit times per period (QLM's maxReleaseCount per
// maxReleasePeriodInDays), a budget kept in the store, so that it holds
// across replicas: a token bucket of limit tokens that refills evenly over
// per. limit must be at least 1 and per at least a minute. Calls that
// carry is_vendor, is_user or is_pwd are vendor releases ([WithRelease]).
// Default: off; without [WithRelease] too, ReleaseLicenseHttp is disabled.
func WithSelfRelease(limit int, per time.Duration) Option {
	return func(c *config) error {
		if limit < 1 || per < time.Minute {
			return ErrBadOption
		}
		c.selfRelease = selfRelease{limit: limit, per: per}
		return nil
	}
}

// WithClientIP sets how the client's address is learned, for rate limiting;
// behind a trusted proxy, read its forwarding header here. Default:
// [RemoteIP].
func WithClientIP(f func(*http.Request) string) Option {
	return func(c *config) error {
		if f == nil {
			return ErrBadOption
		}
		c.clientIP = f
		return nil
	}
}

// WithServerVersion sets the version PingHttp reports. Default: "licgate".
func WithServerVersion(v string) Option {
	return func(c *config) error {
		if v == "" {
			return ErrBadOption
		}
		c.serverVersion = v
		return nil
	}
}

// WithMaxBodyBytes caps request bodies, between 1 KiB and 1 MiB.
// Default: 64 KiB.
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

// RemoteIP returns the host part of r.RemoteAddr, or r.RemoteAddr whole
// if it has no port.
func RemoteIP(r *http.Request) string { return httpx.RemoteIP(r) }
