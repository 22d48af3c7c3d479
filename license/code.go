package license

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"math/big"
	"time"
)

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
// one for the same license and computer. Requests are limited per email
// address and per client address ([WithCodeRateLimits]), in the store, so
// the limits hold across replicas.
//
// Unless [WithRevealUnknownEmail] is set, RequestCode returns nil for every
// well-formed request within the limits, whether or not a code will be
// sent: what it does before it returns is the same for every email, and
// the lookup, the storing and the delivery run in the background, starting
// a little after it returns, so neither its answer nor its timing tells
// whether the email has a license. It returns errors matching [ErrInvalid],
// [ErrRateLimited], [ErrNoChannel], and with the option also [ErrNotFound]
// and [ErrDelivery].
//
// The [Observer] of [WithObserver] is told once per request, when its
// outcome is known: before RequestCode returns for a refusal or with
// [WithRevealUnknownEmail], else after the background delivery, with the
// license and the channel it found (what the caller is never told).
func (s *Service) RequestCode(ctx context.Context, req CodeRequest) error {
	refused := func(err error) error {
		s.observeCode(ctx, "", req.ComputerID, "", err)
		return err
	}
	email, err := NormalizeEmail(req.Email)
	if err != nil {
		return refused(err)
	}
	if err := CheckComputerID(req.ComputerID); err != nil {
		return refused(err)
	}
	if req.ProductID == "" {
		return refused(invalidf("the product ID is missing"))
	}
	if len(req.Properties) > MaxProperties {
		return refused(invalidf("%d properties, at most %d", len(req.Properties), MaxProperties))
	}
	for _, p := range req.Properties {
		if err := p.Validate(); err != nil {
			return refused(err)
		}
	}
	if s.cfg.email == nil && s.cfg.sms == nil {
		return refused(ErrNoChannel)
	}
	if err := s.take(ctx, s.bucket(bucketCodeAddr, addrKey(req.ClientAddr), s.cfg.perAddr)); err != nil {
		return refused(err)
	}
	if err := s.take(ctx, s.emailBucket(email)); err != nil {
		return refused(err)
	}
	if s.cfg.reveal {
		lid, ch, err := s.issueCode(ctx, email, req)
		s.observeCode(ctx, lid, req.ComputerID, ch, err)
		return err
	}
	select {
	case s.deliveries <- struct{}{}:
	default:
		return refused(ErrRateLimited)
	}
	// The delivery keeps who asked, for its logs and its observer, but not
	// the request's cancellation: the request is answered before it runs.
	bctx := s.ctx
	if a, ok := ActorFrom(ctx); ok {
		bctx = WithActor(bctx, a)
	}
	// The work that depends on whether the email has a license starts once
	// the answer is on its way, at a moment that varies, so that it does not
	// compete with this request for the processor or the database.
	s.wg.Add(1)
	time.AfterFunc(deliveryDelay(), func() {
		defer func() { <-s.deliveries; s.wg.Done() }()
		ctx, cancel := context.WithTimeout(bctx, time.Minute)
		defer cancel()
		lid, ch, err := s.issueCode(ctx, email, req)
		s.observeCode(ctx, lid, req.ComputerID, ch, err)
		switch {
		case errors.Is(err, ErrNotFound):
			s.cfg.logger.InfoContext(ctx, "code requested for an email without a usable license", "product", req.ProductID)
		case err != nil:
			s.cfg.logger.ErrorContext(ctx, "code not delivered", "product", req.ProductID, "err", err)
		}
	})
	return nil
}

// deliveryDelay returns a delay between 5 and 25 ms, uniformly random.
func deliveryDelay() time.Duration {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(20*time.Millisecond)))
	if err != nil {
		return 15 * time.Millisecond
	}
	return 5*time.Millisecond + time.Duration(n.Int64())
}

// issueCode finds the license, stores a new code's hash and sends the code.
// It returns the license and the channel as far as it got.
func (s *Service) issueCode(ctx context.Context, email string, req CodeRequest) (licenseID string, ch Channel, err error) {
	p, l, err := s.findLicenseForCode(ctx, email, req)
	if err != nil {
		return "", "", err
	}
	msg := Message{Channel: ChannelEmail, To: l.Email, Name: l.Name, Product: p, TTL: s.cfg.codeTTL}
	n := s.cfg.email
	if l.Phone != "" && s.cfg.sms != nil {
		msg.Channel, msg.To, n = ChannelSMS, l.Phone, s.cfg.sms
	}
	if n == nil {
		return l.ID, "", ErrNoChannel
	}
	code, err := NewCode()
	if err != nil {
		return l.ID, msg.Channel, err
	}
	msg.Code = code
	now := s.now()
	c := AuthorizationCode{
		LicenseID: l.ID, ComputerID: req.ComputerID, Hash: s.codeHash(l.ID, req.ComputerID, code),
		Channel: msg.Channel, ExpiresAt: now.Add(s.cfg.codeTTL), CreatedAt: now, Properties: req.Properties,
	}
	if err := s.store.PutCode(ctx, c); err != nil {
		return l.ID, msg.Channel, err
	}
	if err := n.Notify(ctx, msg); err != nil {
		return l.ID, msg.Channel, errors.Join(ErrDelivery, err)
	}
	s.cfg.logger.InfoContext(ctx, "code delivered", "license", l.ID, "channel", msg.Channel)
	return l.ID, msg.Channel, nil
}

// findLicenseForCode picks, among the customer's usable licenses of the
// product, the one already activated on the computer, else the first with a
// free seat, else the first. ErrNotFound if there is none.
func (s *Service) findLicenseForCode(ctx context.Context, email string, req CodeRequest) (Product, License, error) {
	p, err := s.store.Product(ctx, req.ProductID)
	if err != nil {
		return Product{}, License{}, err
	}
	if req.HasMajor && req.Major != p.Major {
		return Product{}, License{}, NotFound("license of this product version", "")
	}
	ls, err := s.store.LicensesByEmail(ctx, email, p.ID)
	if err != nil {
		return Product{}, License{}, err
	}
	now := s.now()
	var first, free *License
	for i := range ls {
		l := &ls[i]
		if StateOf(*l, Activation{}).Err(now) != nil {
			continue
		}
		if _, err := s.store.ActivationByComputer(ctx, l.ID, req.ComputerID); err == nil {
			return p, *l, nil
		}
		if first == nil {
			first = l
		}
		if free == nil && l.SeatsHeld < l.Seats {
			free = l
		}
	}
	switch {
	case free != nil:
		return p, *free, nil
	case first != nil:
		return p, *first, nil
	}
	return Product{}, License{}, NotFound("usable license for this email and product", "")
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

// ActivateByCode checks the code and activates the computer with it. It
// takes one failure from the client address's budget first (see
// [Service.CheckSecret]), and one attempt from each candidate code before
// comparing it in constant time, so concurrent guesses exceed neither
// limit; then it activates as [Service.Activate] does, consuming the code
// and applying its property changes in the same transaction. A wrong,
// expired, used-up or unknown code yields [ErrCodeInvalid]. The
// [Observer] of [WithObserver] is told of every attempt.
func (s *Service) ActivateByCode(ctx context.Context, req CodeActivation) (Result, error) {
	res, licenseID, err := s.activateByCode(ctx, req)
	s.observeActivation(ctx, true, licenseID, req.ComputerID, res, err)
	return res, err
}

// activateByCode is ActivateByCode, that also returns the license of the
// code once one matched.
func (s *Service) activateByCode(ctx context.Context, req CodeActivation) (_ Result, licenseID string, _ error) {
	code, err := ParseAuthorizationCode(req.Code)
	if err != nil {
		return Result{}, "", err
	}
	if err := CheckComputerID(req.ComputerID); err != nil {
		return Result{}, "", err
	}
	if err := checkText("computer name", req.ComputerName, 0, MaxNameLen); err != nil {
		return Result{}, "", err
	}
	email := ""
	if req.Email != "" {
		if email, err = NormalizeEmail(req.Email); err != nil {
			return Result{}, "", err
		}
	}
	budget := s.failBucket(req.ClientAddr)
	if err := s.take(ctx, budget); err != nil {
		return Result{}, "", err
	}
	now := s.now()
	codes, err := s.store.Codes(ctx, req.ComputerID, now)
	if err != nil {
		return Result{}, "", err
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
		if err := s.refund(ctx, budget); err != nil {
			return Result{}, c.LicenseID, err
		}
		res, err := s.activate(ctx, ActivationRequest{
			LicenseID: c.LicenseID, ComputerID: req.ComputerID, ComputerName: req.ComputerName, Target: req.Target,
		}, activationExtras{consumeCode: true, properties: spent.Properties})
		return res, c.LicenseID, err
	}
	return Result{}, "", ErrCodeInvalid
}

func (s *Service) codeHash(licenseID, computerID, code string) []byte {
	return s.KeyedHash("licgate authorization code", licenseID, computerID, code)
}

// PurgeExpiredCodes deletes codes past their expiry and returns how many.
func (s *Service) PurgeExpiredCodes(ctx context.Context) (int, error) {
	return s.store.DeleteExpiredCodes(ctx, s.now())
}
