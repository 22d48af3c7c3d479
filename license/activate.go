package license

import (
	"context"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ActivationRequest asks to activate a license on a computer.
type ActivationRequest struct {
	// LicenseID names the license. The caller has established that the
	// client may activate it: it presented the activation key
	// ([Service.LicenseByKey]), the product key ([Service.LicenseByProductKey])
	// or a session that allows the license. [Service.ActivateByCode] does
	// this itself.
	LicenseID    string
	ComputerID   string
	ComputerName string
	// Target, if set, is the product the client expects.
	Target Target
	// Attributes and Comments are stored with a new activation (EMS).
	Attributes []Attribute
	Comments   string
}

// Activate takes a seat of the license for the computer, or returns the
// activation the computer already holds (Existing set) without taking a
// second seat, and issues a fresh token either way. It is the one place
// where the activation rules are decided, for every protocol and store:
//
//   - the license must be usable ([State.Err]: not revoked, not
//     suspended, not expired);
//   - a computer the vendor revoked from the license stays out
//     ([ErrActivationRevoked]);
//   - a new computer needs a free seat ([ErrNoSeats]), counted in the
//     license record, so the check costs the same however full it is.
//
// Errors also include those of the arguments ([ErrInvalid]), an unknown
// license ([ErrNotFound]) and the target ([ErrWrongProduct],
// [ErrWrongVersion]).
//
// The [Observer] of [WithObserver] is told of every attempt.
func (s *Service) Activate(ctx context.Context, req ActivationRequest) (Result, error) {
	res, err := s.activate(ctx, req, activationExtras{})
	s.observeActivation(ctx, false, req.LicenseID, req.ComputerID, res, err)
	return res, err
}

// activationExtras is what activating with a code adds: the code to
// consume and the property changes it carries, in the same transaction.
type activationExtras struct {
	consumeCode bool
	properties  []PropertyChange
}

func (s *Service) activate(ctx context.Context, req ActivationRequest, x activationExtras) (Result, error) {
	if err := CheckComputerID(req.ComputerID); err != nil {
		return Result{}, err
	}
	l, err := s.License(ctx, req.LicenseID)
	if err != nil {
		return Result{}, err
	}
	// From here on the license is known: a refusal goes to the audit
	// trail.
	refuse := func(err error) (Result, error) {
		s.record(ctx, EventActivationRefused, licenseTarget(l.ID), err, map[string]string{"computerId": req.ComputerID})
		return Result{}, err
	}
	if l.Floating {
		return refuse(ErrFloating)
	}
	p, err := s.store.Product(ctx, l.ProductID)
	if err != nil {
		return refuse(err)
	}
	if err := req.Target.check(p); err != nil {
		return refuse(err)
	}
	a, err := s.newActivation(l, req)
	if err != nil {
		return refuse(err)
	}
	var existing bool
	err = s.store.WithLicense(ctx, l.ID, func(tx LicenseTx) error {
		l = tx.License()
		if err := StateOf(l, Activation{}).Err(a.ActivatedAt); err != nil {
			return err
		}
		cur, ok, err := tx.ActiveOn(a.ComputerID)
		switch {
		case err != nil:
			return err
		case ok:
			a, existing = cur, true
		default:
			if revoked, err := tx.RevokedOn(a.ComputerID); err != nil {
				return err
			} else if revoked {
				return ErrActivationRevoked
			}
			if l.SeatsHeld >= l.Seats {
				return ErrNoSeats
			}
			if err := tx.Insert(a); err != nil {
				return err
			}
			if err := s.recordTx(ctx, tx, EventActivationCreated, activationTarget(a.AID), nil, a.Data(l.ProductID)); err != nil {
				return err
			}
		}
		if x.consumeCode {
			if err := tx.ConsumeCode(a.ComputerID); err != nil {
				return err
			}
		}
		if len(x.properties) > 0 {
			l.Properties = append([]Property(nil), l.Properties...)
			if err := ApplyPropertyChanges(&l, x.properties, a.ActivatedAt); err != nil {
				return err
			}
			if err := tx.Update(l); err != nil {
				return err
			}
		}
		l = tx.License()
		return nil
	})
	if err != nil {
		return refuse(err)
	}
	if !existing {
		s.woken(nil)
	}
	return s.result(p, l, a, existing)
}

// newActivation makes the record of a new activation, with a fresh AID and
// computer key, and validates it.
func (s *Service) newActivation(l License, req ActivationRequest) (Activation, error) {
	now := s.now()
	aid, err := NewTimeUUID(now)
	if err != nil {
		return Activation{}, err
	}
	typ := ComputerPermanent
	if !l.ExpiresAt.IsZero() {
		typ = ComputerSubscription
	}
	ck, err := NewKey(typ)
	if err != nil {
		return Activation{}, err
	}
	a := Activation{
		AID: aid, LicenseID: l.ID, ComputerID: req.ComputerID, ComputerName: req.ComputerName,
		ComputerKey: ck, Status: StatusActive, ActivatedAt: now,
		Attributes: req.Attributes, Comments: req.Comments,
	}
	return a, a.Validate()
}

// LicenseByKey returns the license whose activation key a client
// presented, typed as a person types it (see [ParseKey]). An unknown or
// malformed key is an error matching [ErrNotFound] that does not echo it.
func (s *Service) LicenseByKey(ctx context.Context, key string) (License, error) {
	k, err := ParseKey(key)
	if err != nil {
		return License{}, NotFound("activation key", "")
	}
	l, err := s.store.LicenseByKey(ctx, k)
	if errors.Is(err, ErrNotFound) || err == nil && !equalSecret(l.Key, k) {
		return License{}, NotFound("activation key", "")
	}
	return l, err
}

// LicenseByProductKey returns the license whose EMS product key a client
// presented, in any case and with surrounding spaces. An unknown or
// malformed product key is an error matching [ErrNotFound] that does not
// echo it.
func (s *Service) LicenseByProductKey(ctx context.Context, productKey string) (License, error) {
	pk, err := ParseProductKey(productKey)
	if err != nil {
		return License{}, NotFound("product key", "")
	}
	l, err := s.store.LicenseByProductKey(ctx, pk)
	if errors.Is(err, ErrNotFound) || err == nil && !equalSecret(l.ProductKey, pk) {
		return License{}, NotFound("product key", "")
	}
	return l, err
}

// IssueToken signs an activation token for a. It expires at the license's
// expiry or after the token TTL, whichever comes first. Its claims are
// identifiers only: the AID, the license, product and computer IDs, the
// features and the version. None of them is a credential.
func (s *Service) IssueToken(p Product, l License, a Activation) (string, error) {
	tok, _, err := s.issueToken(p, l, a, s.now().Add(s.cfg.tokenTTL))
	return tok, err
}

// issueToken signs an activation token for a that expires at exp, or at
// the license's expiry if that comes first, and returns it with its
// expiry.
func (s *Service) issueToken(p Product, l License, a Activation, exp time.Time) (string, time.Time, error) {
	now := s.now()
	if !l.ExpiresAt.IsZero() && l.ExpiresAt.Before(exp) {
		exp = l.ExpiresAt
	}
	exp = exp.Truncate(time.Second) // as the token writes it
	tok, err := s.cfg.keys.Sign(&Claims{
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
	return tok, exp, err
}
