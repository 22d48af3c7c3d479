package license

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Service holds the use cases of licgate, in protocol-neutral terms:
// activate, validate, release, revoke, request and use a code, and the
// vendor's administration. Protocol handlers translate their wire formats
// into calls of its methods and hold no rules of their own; stores keep the
// data and hold none either. A Service is safe for concurrent use; call
// [Service.Close] to wait for codes still being delivered.
//
// The use cases live one to a file: activate.go, validate.go, release.go,
// code.go, session.go, admin.go, and state.go for the one decision whether
// a state lets a request through.
type Service struct {
	store Store
	cfg   config

	deliveries chan struct{} // semaphore of background deliveries
	wg         sync.WaitGroup
	closeOnce  sync.Once
	ctx        context.Context // cancelled by Close, for background deliveries
	cancel     context.CancelFunc
}

// NewService returns a service on store. [WithKeySet] and [WithSecret] are
// required.
func NewService(store Store, opts ...Option) (*Service, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: nil store", ErrBadOption)
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrBadOption)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.keys == nil {
		return nil, ErrNoKeySet
	}
	if cfg.secret == nil {
		return nil, ErrWeakSecret
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{store: store, cfg: cfg, deliveries: make(chan struct{}, cfg.maxDeliveries)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Close waits for background code deliveries to finish, up to ctx's
// deadline, then cancels those still running.
func (s *Service) Close(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	s.closeOnce.Do(s.cancel)
	return err
}

// Store returns the store the service runs on.
func (s *Service) Store() Store { return s.store }

// KeySet returns the keys that sign activation tokens.
func (s *Service) KeySet() *KeySet { return s.cfg.keys }

// Issuer returns the iss claim of the tokens the service issues.
func (s *Service) Issuer() string { return s.cfg.issuer }

// Now returns the current time by the service's clock.
func (s *Service) Now() time.Time { return s.cfg.now() }

// CodeTTL returns how long an authorization code lives.
func (s *Service) CodeTTL() time.Duration { return s.cfg.codeTTL }

// KeyedHash returns HMAC-SHA256, keyed with the service secret, of purpose
// and parts, each part preceded by a NUL byte. Protocol packages derive
// stable identifiers with it (an EMS protection key ID from a host
// fingerprint) that no one without the secret can predict; purpose keeps
// each use apart from every other.
func (s *Service) KeyedHash(purpose string, parts ...string) []byte {
	m := hmac.New(sha256.New, s.cfg.secret)
	m.Write([]byte(purpose))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// now is the service clock in UTC, to the microsecond that stores keep.
func (s *Service) now() time.Time { return s.cfg.now().UTC().Truncate(time.Microsecond) }

// Target names the product a client expects, as QLM clients send it. Zero
// fields are not checked.
type Target struct {
	ProductID string
	// Major is checked when HasMajor is set.
	Major    int
	HasMajor bool
}

// check returns ErrWrongProduct or ErrWrongVersion unless p is the target.
func (t Target) check(p Product) error {
	if t.ProductID != "" && t.ProductID != p.ID {
		return ErrWrongProduct
	}
	if t.HasMajor && t.Major != p.Major {
		return ErrWrongVersion
	}
	return nil
}

// Result is what an activation or validation yields.
type Result struct {
	Product Product
	// License is the license as it stood when the activation was decided,
	// SeatsHeld included.
	License    License
	Activation Activation // zero when the computer holds no activation
	// Token is a fresh activation token; empty when Activation is zero.
	Token string
	// Existing is set when the computer already held the activation.
	Existing bool
}

// Activated reports whether the result carries an activation.
func (r Result) Activated() bool { return r.Activation.AID != "" }

// result completes a result with the product and a fresh token.
func (s *Service) result(p Product, l License, a Activation, existing bool) (Result, error) {
	r := Result{Product: p, License: l, Activation: a, Existing: existing}
	if !r.Activated() {
		return r, nil
	}
	tok, err := s.IssueToken(p, l, a)
	if err != nil {
		return Result{}, err
	}
	r.Token = tok
	return r, nil
}
