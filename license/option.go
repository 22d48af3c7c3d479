package license

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"log/slog"
	"time"
)

// Option configures a [Service].
type Option func(*config) error

// Errors returned by [NewService] for a bad configuration.
var (
	// ErrNoKeySet means no key set was given to sign activation tokens.
	ErrNoKeySet = errors.New("license: no key set")
	// ErrWeakSecret means the code-hashing secret is missing or shorter than 32 bytes.
	ErrWeakSecret = errors.New("license: secret must be at least 32 bytes")
	// ErrBadOption means an option was given a nil or out-of-range value.
	ErrBadOption = errors.New("license: bad option")
)

type config struct {
	keys          *KeySet
	secret        []byte
	issuer        string
	email         Notifier
	sms           Notifier
	codeTTL       time.Duration
	maxAttempts   int
	tokenTTL      time.Duration
	reveal        bool
	perEmail      int
	perAddr       int
	failsPerAddr  int
	rateWindow    time.Duration
	maxDeliveries int
	now           func() time.Time
	logger        *slog.Logger
	newRSAKey     func() (*rsa.PrivateKey, error)
	observer      Observer
	eventHook     func()
	offlineTTL    time.Duration
}

func defaultConfig() config {
	return config{
		issuer:        "licgate",
		codeTTL:       10 * time.Minute,
		maxAttempts:   5,
		tokenTTL:      30 * 24 * time.Hour,
		perEmail:      DefaultCodesPerEmail,
		perAddr:       DefaultCodesPerAddr,
		failsPerAddr:  DefaultFailuresPerAddr,
		rateWindow:    10 * time.Minute,
		maxDeliveries: 64,
		offlineTTL:    DefaultOfflineTTL,
		now:           time.Now,
		newRSAKey:     func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, MinRSABits) },
	}
}

// WithKeySet sets the keys that sign activation tokens. Required.
func WithKeySet(ks *KeySet) Option {
	return func(c *config) error {
		if ks == nil {
			return ErrNoKeySet
		}
		c.keys = ks
		return nil
	}
}

// WithSecret sets the key of the HMAC that authorization codes are stored
// under. Every replica must share it, and it must stay secret. Required, at
// least 32 bytes.
func WithSecret(secret []byte) Option {
	return func(c *config) error {
		if len(secret) < 32 {
			return ErrWeakSecret
		}
		c.secret = append([]byte(nil), secret...)
		return nil
	}
}

// WithIssuer sets the iss claim of activation tokens, typically the server's
// public URL. Default: "licgate".
func WithIssuer(iss string) Option {
	return func(c *config) error {
		if iss == "" {
			return ErrBadOption
		}
		c.issuer = iss
		return nil
	}
}

// WithEmailNotifier sets how codes are emailed. Default: none, so codes
// cannot be requested for customers who have no phone number.
func WithEmailNotifier(n Notifier) Option {
	return func(c *config) error {
		if n == nil {
			return ErrBadOption
		}
		c.email = n
		return nil
	}
}

// WithSMSNotifier sets how codes are texted to customers who have a phone
// number; they get SMS instead of email. Default: none, so every code goes
// by email.
func WithSMSNotifier(n Notifier) Option {
	return func(c *config) error {
		if n == nil {
			return ErrBadOption
		}
		c.sms = n
		return nil
	}
}

// WithCodeTTL sets how long an authorization code lives, between one minute
// and one day. Default: 10 minutes.
func WithCodeTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Minute || d > 24*time.Hour {
			return ErrBadOption
		}
		c.codeTTL = d
		return nil
	}
}

// WithMaxCodeAttempts sets how many attempts, 1 to 10, an authorization code
// survives. Default: 5.
func WithMaxCodeAttempts(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 10 {
			return ErrBadOption
		}
		c.maxAttempts = n
		return nil
	}
}

// WithTokenTTL sets the refresh horizon of activation tokens: a token expires
// at the license's expiry or this long after it was issued, whichever comes
// first. Default: 30 days.
func WithTokenTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Minute {
			return ErrBadOption
		}
		c.tokenTTL = d
		return nil
	}
}

// WithRevealUnknownEmail makes a code request for an email address without a
// usable license fail with [ErrNotFound], and delivers codes before
// answering so that delivery errors reach the caller. Without it, every
// well-formed request gets the same answer, and codes are delivered in the
// background, so neither the answer nor its timing tells whether an address
// has a license. Default: false.
func WithRevealUnknownEmail(reveal bool) Option {
	return func(c *config) error {
		c.reveal = reveal
		return nil
	}
}

// Default rate limits of [WithCodeRateLimits], per 10 minutes.
const (
	DefaultCodesPerEmail   = 8  // code requests for one email address
	DefaultCodesPerAddr    = 60 // code requests from one client address
	DefaultFailuresPerAddr = 60 // wrong codes from one client address
)

// WithCodeRateLimits sets how many codes may be requested per email address
// and per client address (IPv6 by /64), and how many failed attempts at a
// secret (wrong codes, wrong vendor credentials) a client address may make,
// within window. Each limit is a token bucket that refills evenly over the
// window, kept in the [Store], so replicas sharing a database share the
// limits; a failure is taken from its budget before the comparison it
// guards. Zero turns a limit off. The per-code attempt limit
// ([WithMaxCodeAttempts]) is what stops guessing; these stop floods.
// Default: [DefaultCodesPerEmail], [DefaultCodesPerAddr] and
// [DefaultFailuresPerAddr] per 10 minutes.
func WithCodeRateLimits(perEmail, perAddr, failsPerAddr int, window time.Duration) Option {
	return func(c *config) error {
		if perEmail < 0 || perAddr < 0 || failsPerAddr < 0 || window <= 0 {
			return ErrBadOption
		}
		c.perEmail, c.perAddr, c.failsPerAddr, c.rateWindow = perEmail, perAddr, failsPerAddr, window
		return nil
	}
}

// WithClock sets the source of the current time. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return ErrBadOption
		}
		c.now = now
		return nil
	}
}

// WithLogger sets where the service reports background delivery failures.
// Default: nil, silent.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		c.logger = l
		return nil
	}
}

// WithRSAKeyGenerator sets how a product's RSA key is made when a product
// is created without one, for example to reuse one key across the
// products of a test. It must return keys of at least [MinRSABits].
// Default: a new 2048-bit key from crypto/rand.
func WithRSAKeyGenerator(gen func() (*rsa.PrivateKey, error)) Option {
	return func(c *config) error {
		if gen == nil {
			return ErrBadOption
		}
		c.newRSAKey = gen
		return nil
	}
}

// WithEventHook sets a function called after each transaction that wrote
// a webhook event has committed, such as the Wake of a webhook dispatcher
// (license/webhook), so that events go out at once rather than at its next
// poll. It must not block. Default: none.
func WithEventHook(f func()) Option {
	return func(c *config) error {
		if f == nil {
			return ErrBadOption
		}
		c.eventHook = f
		return nil
	}
}

// Bounds of [WithOfflineTTL].
const (
	MinOfflineTTL = time.Hour
	MaxOfflineTTL = 10 * 366 * 24 * time.Hour
)

// WithOfflineTTL sets how long the token of an offline license file lives
// (see [Service.ActivateOffline]), [MinOfflineTTL] to [MaxOfflineTTL].
// Default: [DefaultOfflineTTL], 90 days.
func WithOfflineTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < MinOfflineTTL || d > MaxOfflineTTL {
			return ErrBadOption
		}
		c.offlineTTL = d
		return nil
	}
}
