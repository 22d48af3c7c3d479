package license

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Service holds the use cases of licgate. Protocol handlers translate their
// wire formats into calls of its methods and hold no rules of their own.
// A Service is safe for concurrent use; call [Service.Close] to wait for
// codes still being delivered.
type Service struct {
	store Store
	cfg   config

	emailLimit *limiter
	addrLimit  *limiter
	failLimit  *limiter

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
	const maxKeys = 100_000
	s := &Service{
		store:      store,
		cfg:        cfg,
		emailLimit: newLimiter(cfg.perEmail, cfg.rateWindow, maxKeys, cfg.now),
		addrLimit:  newLimiter(cfg.perAddr, cfg.rateWindow, maxKeys, cfg.now),
		failLimit:  newLimiter(cfg.failsPerAddr, cfg.rateWindow, maxKeys, cfg.now),
		deliveries: make(chan struct{}, cfg.maxDeliveries),
	}
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

// CreateProduct validates and stores a new product.
func (s *Service) CreateProduct(ctx context.Context, p Product) (Product, error) {
	p.CreatedAt = s.now()
	if err := p.Validate(); err != nil {
		return Product{}, err
	}
	if err := s.store.CreateProduct(ctx, p); err != nil {
		return Product{}, err
	}
	return p, nil
}

// NewLicense describes a license to create.
type NewLicense struct {
	ProductID string
	Customer
	// Seats defaults to 1.
	Seats int
	// ExpiresAt is zero for a license that never expires.
	ExpiresAt  time.Time
	Features   []string
	Properties []Property
}

// CreateLicense creates a license with a fresh ID and activation key. The key
// starts with [KeySubscription] if the license expires, [KeyPermanent] if not.
func (s *Service) CreateLicense(ctx context.Context, n NewLicense) (License, error) {
	id, err := NewUUID()
	if err != nil {
		return License{}, err
	}
	typ := KeyPermanent
	if !n.ExpiresAt.IsZero() {
		typ = KeySubscription
	}
	key, err := NewKey(typ)
	if err != nil {
		return License{}, err
	}
	email, err := NormalizeEmail(n.Email)
	if err != nil {
		return License{}, err
	}
	n.Customer.Email = email
	if n.Seats == 0 {
		n.Seats = 1
	}
	now := s.now()
	l := License{
		ID: id, Key: key, ProductID: n.ProductID, Customer: n.Customer, Seats: n.Seats,
		ExpiresAt: n.ExpiresAt.UTC(), Features: n.Features, Properties: n.Properties,
		Status: StatusActive, CreatedAt: now,
	}
	for i := range l.Properties {
		if l.Properties[i].UpdatedAt.IsZero() {
			l.Properties[i].UpdatedAt = now
		}
	}
	if err := l.Validate(); err != nil {
		return License{}, err
	}
	if err := s.store.CreateLicense(ctx, l); err != nil {
		return License{}, err
	}
	return l, nil
}

// SetLicenseStatus suspends, revokes or reactivates a license.
func (s *Service) SetLicenseStatus(ctx context.Context, id string, st Status) (License, error) {
	switch st {
	case StatusActive, StatusSuspended, StatusRevoked:
	default:
		return License{}, invalidf("license status %q", st)
	}
	return s.store.UpdateLicense(ctx, id, func(l *License) error {
		l.Status = st
		return nil
	})
}

// RevokeActivation revokes an activation for good; its seat is freed and
// its token stops passing gates that check state.
func (s *Service) RevokeActivation(ctx context.Context, aid string) (Activation, error) {
	if !IsUUID(aid) {
		return Activation{}, ErrNotFound
	}
	return s.store.SetActivationStatus(ctx, aid, StatusRevoked, s.now())
}

// Result is what an activation or validation yields.
type Result struct {
	Product    Product
	License    License
	Activation Activation // zero when the computer holds no activation
	// Token is a fresh activation token; empty when Activation is zero.
	Token string
	// Existing is set when the computer already held the activation.
	Existing bool
}

// Activated reports whether the result carries an activation.
func (r Result) Activated() bool { return r.Activation.AID != "" }

// Target names the product a client expects, as QLM clients send it. Zero
// fields are not checked.
type Target struct {
	ProductID string
	// Major is checked when HasMajor is set.
	Major    int
	HasMajor bool
}

// CodeRequest asks for an authorization code (QLM
// RequestAuthorizationCodeForActivationHttp).
type CodeRequest struct {
	Email      string
	ComputerID string
	Target
	// Properties are applied to the license when the code is used.
	Properties []PropertyChange
	// ClientAddr is the requester's IP address, for rate limiting.
	ClientAddr string
}

// RequestCode finds the customer's license for the product, makes a code
// for the computer, stores its hash and sends it by SMS (if the customer has
// a phone and SMS is configured) or email. A newer code replaces an older
// one for the same license and computer.
//
// Unless [WithRevealUnknownEmail] is set, RequestCode returns nil for every
// well-formed request, whether or not a code was sent, and does the lookup,
// the storing and the delivery in the background, so neither its answer nor
// its timing tells whether the email has a license. It returns errors wrapping [ErrInvalid], [ErrRateLimited],
// [ErrNoChannel], and with the option also [ErrNotFound] and [ErrDelivery].
func (s *Service) RequestCode(ctx context.Context, req CodeRequest) error {
	email, err := NormalizeEmail(req.Email)
	if err != nil {
		return err
	}
	if err := CheckComputerID(req.ComputerID); err != nil {
		return err
	}
	if len(req.Properties) > MaxProperties {
		return invalidf("%d properties, at most %d", len(req.Properties), MaxProperties)
	}
	for _, p := range req.Properties {
		if err := p.Validate(); err != nil {
			return err
		}
	}
	if s.cfg.email == nil && s.cfg.sms == nil {
		return ErrNoChannel
	}
	if !s.addrLimit.allow(addrKey(req.ClientAddr)) || !s.emailLimit.allow(email) {
		return ErrRateLimited
	}
	if s.cfg.reveal {
		return s.issueCode(ctx, email, req)
	}
	// Everything that depends on whether the email has a license happens
	// in the background, so neither the answer nor its timing tells.
	select {
	case s.deliveries <- struct{}{}:
	default:
		return fmt.Errorf("%w: delivery queue full", ErrRateLimited)
	}
	s.wg.Add(1)
	go func() {
		defer func() { <-s.deliveries; s.wg.Done() }()
		ctx, cancel := context.WithTimeout(s.ctx, time.Minute)
		defer cancel()
		err := s.issueCode(ctx, email, req)
		switch {
		case errors.Is(err, ErrNotFound):
			s.cfg.logger.Info("code requested for an email without a usable license", "product", req.ProductID)
		case err != nil:
			s.cfg.logger.Error("code not delivered", "product", req.ProductID, "err", err)
		}
	}()
	return nil
}

// issueCode finds the license, stores a new code's hash and sends the code.
func (s *Service) issueCode(ctx context.Context, email string, req CodeRequest) error {
	p, l, err := s.findLicenseForCode(ctx, email, req)
	if err != nil {
		return err
	}
	msg := Message{Channel: ChannelEmail, To: l.Email, Name: l.Name, Product: p, TTL: s.cfg.codeTTL}
	n := s.cfg.email
	if l.Phone != "" && s.cfg.sms != nil {
		msg.Channel, msg.To, n = ChannelSMS, l.Phone, s.cfg.sms
	}
	if n == nil {
		return ErrNoChannel
	}
	code, err := NewCode()
	if err != nil {
		return err
	}
	msg.Code = code
	now := s.now()
	c := AuthorizationCode{
		LicenseID: l.ID, ComputerID: req.ComputerID, Hash: s.codeHash(l.ID, req.ComputerID, code),
		Channel: msg.Channel, ExpiresAt: now.Add(s.cfg.codeTTL), CreatedAt: now, Properties: req.Properties,
	}
	if err := s.store.PutCode(ctx, c); err != nil {
		return err
	}
	if err := n.Notify(ctx, msg); err != nil {
		return fmt.Errorf("%w: %w", ErrDelivery, err)
	}
	s.cfg.logger.Info("code delivered", "license", l.ID, "channel", msg.Channel)
	return nil
}

// findLicenseForCode picks, among the customer's usable licenses of the
// product, the one already activated on the computer, else the first with a
// free seat, else the first. ErrNotFound if there is none.
func (s *Service) findLicenseForCode(ctx context.Context, email string, req CodeRequest) (Product, License, error) {
	if req.ProductID == "" {
		return Product{}, License{}, invalidf("product id missing")
	}
	p, err := s.store.Product(ctx, req.ProductID)
	if err != nil {
		return Product{}, License{}, err
	}
	if req.HasMajor && req.Major != p.Major {
		return Product{}, License{}, fmt.Errorf("%w: product %s is version %d, not %d", ErrNotFound, p.ID, p.Major, req.Major)
	}
	ls, err := s.store.LicensesByEmail(ctx, email, p.ID)
	if err != nil {
		return Product{}, License{}, err
	}
	now := s.now()
	var first, free *License
	for i := range ls {
		l := &ls[i]
		if l.Usable(now) != nil {
			continue
		}
		if _, err := s.store.ActivationByComputer(ctx, l.ID, req.ComputerID); err == nil {
			return p, *l, nil
		}
		if first == nil {
			first = l
		}
		if free == nil {
			n, err := s.store.CountActive(ctx, l.ID)
			if err != nil {
				return Product{}, License{}, err
			}
			if n < l.Seats {
				free = l
			}
		}
	}
	switch {
	case free != nil:
		return p, *free, nil
	case first != nil:
		return p, *first, nil
	}
	return Product{}, License{}, fmt.Errorf("%w: no usable license for this email and product", ErrNotFound)
}

// CodeActivation activates with an authorization code (QLM
// ActivateKeyByAuthorizationCodeHttp).
type CodeActivation struct {
	Code         string
	ComputerID   string
	ComputerName string
	Target
	// Email, if set, narrows the search to that customer's licenses.
	Email      string
	ClientAddr string
}

// ActivateByCode checks the code in constant time, counting the attempt
// first so that concurrent guesses cannot exceed the limit, then activates
// the computer, consuming the code, in one transaction. A wrong, expired,
// used-up or unknown code yields [ErrCodeInvalid]; other errors are those of
// [Store.Activate] and [License.Usable].
func (s *Service) ActivateByCode(ctx context.Context, req CodeActivation) (Result, error) {
	code, err := ParseAuthorizationCode(req.Code)
	if err != nil {
		return Result{}, err
	}
	if err := CheckComputerID(req.ComputerID); err != nil {
		return Result{}, err
	}
	if err := checkText("computer name", req.ComputerName, 0, MaxNameLen); err != nil {
		return Result{}, err
	}
	email := ""
	if req.Email != "" {
		if email, err = NormalizeEmail(req.Email); err != nil {
			return Result{}, err
		}
	}
	if s.Throttled(req.ClientAddr) {
		return Result{}, ErrRateLimited
	}
	now := s.now()
	codes, err := s.store.Codes(ctx, req.ComputerID, now)
	if err != nil {
		return Result{}, err
	}
	for _, c := range codes {
		l, err := s.store.License(ctx, c.LicenseID)
		if err != nil {
			continue
		}
		if req.ProductID != "" && l.ProductID != req.ProductID || email != "" && l.Email != email {
			continue
		}
		spent, err := s.store.SpendCodeAttempt(ctx, c.LicenseID, c.ComputerID, s.cfg.maxAttempts, now)
		if err != nil {
			continue
		}
		if !hmac.Equal(spent.Hash, s.codeHash(c.LicenseID, c.ComputerID, code)) {
			continue
		}
		p, err := s.store.Product(ctx, l.ProductID)
		if err != nil {
			return Result{}, err
		}
		if err := checkTarget(p, req.Target); err != nil {
			return Result{}, err
		}
		return s.activate(ctx, p, l, activation{
			computerID: req.ComputerID, computerName: req.ComputerName,
			code: CodeRef{LicenseID: c.LicenseID, ComputerID: c.ComputerID}, properties: spent.Properties,
		})
	}
	s.RecordFailure(req.ClientAddr)
	return Result{}, ErrCodeInvalid
}

// Throttled reports whether a client address has used up its failed
// attempts at a secret (wrong authorization codes, wrong vendor
// credentials) for now; see [WithCodeRateLimits]. Protocol handlers check
// it before comparing credentials.
func (s *Service) Throttled(clientAddr string) bool {
	return !s.failLimit.ok(addrKey(clientAddr))
}

// RecordFailure counts one failed attempt at a secret by a client address.
func (s *Service) RecordFailure(clientAddr string) {
	s.failLimit.allow(addrKey(clientAddr))
}

func (s *Service) codeHash(licenseID, computerID, code string) []byte {
	m := hmac.New(sha256.New, s.cfg.secret)
	m.Write([]byte("licgate authorization code\x00"))
	m.Write([]byte(licenseID))
	m.Write([]byte{0})
	m.Write([]byte(computerID))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return m.Sum(nil)
}

func checkTarget(p Product, t Target) error {
	if t.ProductID != "" && t.ProductID != p.ID {
		return ErrWrongProduct
	}
	if t.HasMajor && t.Major != p.Major {
		return ErrWrongVersion
	}
	return nil
}

// activation is what one activation call needs besides the license.
type activation struct {
	computerID   string
	computerName string
	attributes   []Attribute
	comments     string
	code         CodeRef
	properties   []PropertyChange
}

// activate takes a seat of l for a computer, or returns the activation the
// computer already holds, and issues a token.
func (s *Service) activate(ctx context.Context, p Product, l License, in activation) (Result, error) {
	aid, err := NewUUID()
	if err != nil {
		return Result{}, err
	}
	typ := ComputerPermanent
	if !l.ExpiresAt.IsZero() {
		typ = ComputerSubscription
	}
	ck, err := NewKey(typ)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	a := Activation{
		AID: aid, LicenseID: l.ID, ComputerID: in.computerID, ComputerName: in.computerName,
		ComputerKey: ck, Status: StatusActive, ActivatedAt: now,
		Attributes: in.attributes, Comments: in.comments,
	}
	if err := a.Validate(); err != nil {
		return Result{}, err
	}
	var locked License
	a, existing, err := s.store.Activate(ctx, ActivateParams{
		Activation: a,
		Check: func(cur License) error {
			locked = cur
			return cur.Usable(now)
		},
		Code:       in.code,
		Properties: in.properties,
	})
	if err != nil {
		return Result{}, err
	}
	if len(in.properties) > 0 {
		// The store applied them to the locked row; show the customer the result.
		_ = ApplyPropertyChanges(&locked, in.properties, now)
	}
	return s.result(p, locked, a, existing)
}

func (s *Service) result(p Product, l License, a Activation, existing bool) (Result, error) {
	tok, err := s.IssueToken(p, l, a)
	if err != nil {
		return Result{}, err
	}
	return Result{Product: p, License: l, Activation: a, Token: tok, Existing: existing}, nil
}

// IssueToken signs an activation token for a. It expires at the license's
// expiry or after the token TTL, whichever comes first.
func (s *Service) IssueToken(p Product, l License, a Activation) (string, error) {
	now := s.now()
	exp := now.Add(s.cfg.tokenTTL)
	if !l.ExpiresAt.IsZero() && l.ExpiresAt.Before(exp) {
		exp = l.ExpiresAt
	}
	return s.cfg.keys.Sign(&Claims{
		LicenseID:  l.ID,
		ComputerID: a.ComputerID,
		Features:   l.Features,
		Version:    p.Version(),
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.cfg.issuer,
			Subject:   a.AID,
			Audience:  jwt.ClaimStrings{p.ID},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
	})
}

// KeyValidation activates or re-validates by activation key (QLM
// ValidateLicenseHttp).
type KeyValidation struct {
	Key          string
	ComputerID   string
	ComputerName string
	Target
	// ComputerKey, if set, asks to re-validate the computer's activation
	// instead of activating.
	ComputerKey string
	// ReportOnly asks for the license state without activating.
	ReportOnly bool
}

// ValidateKey activates the computer on the license with the key, or with a
// computer key re-validates its activation, returning a fresh token either
// way. With ReportOnly and no activation for the computer, it returns the
// license with a zero Activation. Errors: [ErrNotFound] for an unknown key,
// [ErrWrongProduct], [ErrWrongVersion], [ErrComputerMismatch],
// [ErrNotActivated], [ErrNoSeats], and those of [License.Usable] and
// [Activation.Usable].
func (s *Service) ValidateKey(ctx context.Context, req KeyValidation) (Result, error) {
	key, err := ParseKey(req.Key)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	if err := CheckComputerID(req.ComputerID); err != nil {
		return Result{}, err
	}
	if err := checkText("computer name", req.ComputerName, 0, MaxNameLen); err != nil {
		return Result{}, err
	}
	l, err := s.store.LicenseByKey(ctx, key)
	if err != nil {
		return Result{}, err
	}
	p, err := s.store.Product(ctx, l.ProductID)
	if err != nil {
		return Result{}, err
	}
	if err := checkTarget(p, req.Target); err != nil {
		return Result{}, err
	}
	if req.ComputerKey != "" {
		res, err := s.ValidateComputerKey(ctx, req.ComputerKey, req.ComputerID, req.Target)
		if err == nil && res.License.ID != l.ID {
			return Result{}, ErrComputerMismatch
		}
		return res, err
	}
	if req.ReportOnly {
		a, err := s.store.ActivationByComputer(ctx, l.ID, req.ComputerID)
		switch {
		case errors.Is(err, ErrNotFound):
			return Result{Product: p, License: l}, nil
		case err != nil:
			return Result{}, err
		}
		if err := l.Usable(s.now()); err != nil {
			return Result{}, err
		}
		return s.result(p, l, a, true)
	}
	return s.activate(ctx, p, l, activation{computerID: req.ComputerID, computerName: req.ComputerName})
}

// ValidateComputerKey re-validates the activation that holds a computer key
// on a computer (QLM's calls with is_pckey and no activation key).
func (s *Service) ValidateComputerKey(ctx context.Context, computerKey, computerID string, t Target) (Result, error) {
	ck, err := ParseKey(computerKey)
	if err != nil {
		return Result{}, ErrComputerMismatch
	}
	if err := CheckComputerID(computerID); err != nil {
		return Result{}, err
	}
	a, err := s.store.ActivationByComputerKey(ctx, ck)
	if errors.Is(err, ErrNotFound) {
		return Result{}, ErrComputerMismatch
	}
	if err != nil {
		return Result{}, err
	}
	if subtle.ConstantTimeCompare([]byte(a.ComputerID), []byte(computerID)) != 1 {
		return Result{}, ErrComputerMismatch
	}
	if err := a.Usable(); err != nil {
		return Result{}, err
	}
	l, err := s.store.License(ctx, a.LicenseID)
	if err != nil {
		return Result{}, err
	}
	p, err := s.store.Product(ctx, l.ProductID)
	if err != nil {
		return Result{}, err
	}
	if err := checkTarget(p, t); err != nil {
		return Result{}, err
	}
	if err := l.Usable(s.now()); err != nil {
		return Result{}, err
	}
	return s.result(p, l, a, true)
}

// Release frees the seat the computer holds on the license with the key
// (QLM ReleaseLicenseHttp). Errors: [ErrNotFound] for an unknown key,
// [ErrNotActivated] when the computer holds no activation.
func (s *Service) Release(ctx context.Context, key, computerID string) (License, Activation, error) {
	k, err := ParseKey(key)
	if err != nil {
		return License{}, Activation{}, fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	if err := CheckComputerID(computerID); err != nil {
		return License{}, Activation{}, err
	}
	l, err := s.store.LicenseByKey(ctx, k)
	if err != nil {
		return License{}, Activation{}, err
	}
	a, err := s.store.ActivationByComputer(ctx, l.ID, computerID)
	if errors.Is(err, ErrNotFound) {
		return License{}, Activation{}, ErrNotActivated
	}
	if err != nil {
		return License{}, Activation{}, err
	}
	a, err = s.store.SetActivationStatus(ctx, a.AID, StatusReleased, s.now())
	return l, a, err
}

// PurgeExpiredCodes deletes codes past their expiry and returns how many.
func (s *Service) PurgeExpiredCodes(ctx context.Context) (int, error) {
	return s.store.DeleteExpiredCodes(ctx, s.now())
}

// now is the service clock in UTC, to the microsecond that stores keep.
func (s *Service) now() time.Time { return s.cfg.now().UTC().Truncate(time.Microsecond) }
