package qlm

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
)

// Option configures a [Handler].
type Option func(*config) error

// ErrBadOption is returned by [NewHandler] for a nil or invalid option value.
var ErrBadOption = errors.New("qlm: bad option")

type config struct {
	release       bool
	vendor        string
	user          string
	password      string
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

// WithRelease turns ReleaseLicenseHttp on. A release must carry is_vendor,
// is_user and is_pwd equal to the given vendor credentials, none of which may
// be empty. Default: ReleaseLicenseHttp answers that it is disabled.
func WithRelease(vendor, user, password string) Option {
	return func(c *config) error {
		if vendor == "" || user == "" || password == "" {
			return ErrBadOption
		}
		c.release, c.vendor, c.user, c.password = true, vendor, user, password
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

// RemoteIP returns the host part of r.RemoteAddr.
func RemoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
