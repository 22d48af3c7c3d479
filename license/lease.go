package license

import (
	"context"
	"errors"
	"time"
)

// Floating licenses: their seats are leases held by running programs. A
// lease is an activation of the license whose computer is the program's
// instance name and which ends by itself at LeaseUntil unless a heartbeat
// extends it. Nothing needs to sweep for the rule to hold: every
// transaction that takes a seat of a floating license first ends the
// leases that ran out ([LicenseTx.ExpireLeases]), and [State.Err] refuses a
// lease past its end whether or not it was ended yet.

// LeaseRequest asks for a lease of a floating license.
type LeaseRequest struct {
	// LicenseID names the license; the caller has established that the
	// client may use it (it presented the activation key,
	// [Service.LicenseByKey]).
	LicenseID string
	// Instance names what runs: a container, a process, a VM. An instance
	// that asks again while its lease lives gets that lease back.
	Instance string
	// Name is an optional description of the instance.
	Name string
}

// Lease is a lease of a floating license with its token.
type Lease struct {
	Activation Activation
	License    License
	// Token is an activation token whose subject is the lease's AID; empty
	// when a heartbeat did not need to renew it.
	Token string
	// TokenExpiresAt is when Token expires; zero with no Token.
	TokenExpiresAt time.Time
	// Existing is set when [Service.TakeLease] gave the instance back the
	// lease it held, extended, rather than a new one.
	Existing bool
}

// ExpiresAt returns when the lease ends unless a heartbeat extends it.
func (l Lease) ExpiresAt() time.Time { return l.Activation.LeaseUntil }

// TakeLease takes a seat of a floating license for an instance, or returns
// the instance's live lease, extended. Leases that ran out are ended first,
// in the same transaction, so their seats are free at once. Errors:
// [ErrFloating] for a license that is not floating, [ErrNoSeats] with every
// seat leased, and those of [Service.Activate].
func (s *Service) TakeLease(ctx context.Context, req LeaseRequest) (Lease, error) {
	l, err := s.License(ctx, req.LicenseID)
	if err != nil {
		return Lease{}, err
	}
	if !l.Floating {
		return Lease{}, ErrFloating
	}
	p, err := s.store.Product(ctx, l.ProductID)
	if err != nil {
		return Lease{}, err
	}
	a, err := s.newActivation(l, ActivationRequest{LicenseID: l.ID, ComputerID: req.Instance, ComputerName: req.Name})
	if err != nil {
		return Lease{}, err
	}
	now := a.ActivatedAt
	existing := false
	err = s.store.WithLicense(ctx, l.ID, func(tx LicenseTx) error {
		l = tx.License()
		if err := StateOf(l, Activation{}).Err(now); err != nil {
			return err
		}
		if _, err := s.expireLeases(ctx, tx, now); err != nil {
			return err
		}
		l = tx.License()
		a.LeaseUntil = now.Add(l.LeaseTTL())
		cur, ok, err := tx.ActiveOn(a.ComputerID)
		switch {
		case err != nil:
			return err
		case ok:
			existing = true
			a, err = tx.Extend(cur.AID, a.LeaseUntil)
			return err
		case l.SeatsHeld >= l.Seats:
			return ErrNoSeats
		}
		if err := tx.Insert(a); err != nil {
			return err
		}
		l = tx.License()
		return s.recordTx(ctx, tx, EventActivationCreated, activationTarget(a.AID), nil, a.Data(l.ProductID))
	})
	s.observeActivation(ctx, false, l.ID, req.Instance, Result{License: l, Activation: a}, err)
	if err != nil {
		s.record(ctx, EventActivationRefused, licenseTarget(l.ID), err, map[string]string{"computerId": req.Instance})
		return Lease{}, err
	}
	s.woken(nil)
	lease, err := s.leaseWithToken(p, l, a)
	lease.Existing = existing
	return lease, err
}

// expireLeases ends the leases of the locked license that ran out by now
// and records their ends.
func (s *Service) expireLeases(ctx context.Context, tx LicenseTx, now time.Time) ([]Activation, error) {
	if !tx.License().Floating {
		return nil, nil
	}
	ended, err := tx.ExpireLeases(now)
	if err != nil {
		return nil, err
	}
	for _, a := range ended {
		if err := s.recordTx(ctx, tx, EventActivationReleased, activationTarget(a.AID),
			map[string]any{"status": map[string]Status{"from": StatusActive, "to": StatusReleased}, "reason": ReasonLeaseExpired},
			a.Data(tx.License().ProductID)); err != nil {
			return nil, err
		}
	}
	return ended, nil
}

// leaseWithToken returns the lease with a fresh token. The token lives two
// lease TTLs from now, bounded by the license's expiry: long enough that a
// program heartbeating on time need not replace it at every beat, short
// enough that a token copied from a dead program is of no use for long. A
// gate that checks state refuses it as soon as the lease ends anyway.
func (s *Service) leaseWithToken(p Product, l License, a Activation) (Lease, error) {
	exp := s.now().Add(2 * l.LeaseTTL())
	tok, exp, err := s.issueToken(p, l, a, exp)
	if err != nil {
		return Lease{}, err
	}
	return Lease{Activation: a, License: l, Token: tok, TokenExpiresAt: exp}, nil
}

// RenewLease extends a live lease by its license's TTL: the heartbeat of
// the program that holds it. tokenExpiresAt is when the token the program
// presented expires: when less than one lease TTL of it is left, the
// answer carries a fresh token. Errors: [ErrLeaseExpired] for a lease that
// ran out (its seat may be taken already: take a new lease),
// [ErrReleased] or [ErrActivationRevoked] for one that was ended,
// [ErrNotFound], [ErrFloating] for an activation that is not a lease.
func (s *Service) RenewLease(ctx context.Context, aid string, tokenExpiresAt time.Time) (Lease, error) {
	a, err := s.Activation(ctx, aid)
	if err != nil {
		return Lease{}, err
	}
	if !a.IsLease() {
		return Lease{}, ErrFloating
	}
	var l License
	now := s.now()
	err = s.store.WithLicense(ctx, a.LicenseID, func(tx LicenseTx) error {
		l = tx.License()
		if _, err := s.expireLeases(ctx, tx, now); err != nil {
			return err
		}
		cur, ok, err := tx.ActiveOn(a.ComputerID)
		if err != nil {
			return err
		}
		if !ok || cur.AID != aid {
			// Ended: tell why.
			return errEnded(a, now)
		}
		if err := StateOf(l, cur).Err(now); err != nil {
			return err
		}
		a, err = tx.Extend(aid, now.Add(l.LeaseTTL()))
		return err
	})
	if err != nil {
		if errors.Is(err, ErrReleased) && !errors.Is(err, ErrLeaseExpired) {
			if cur, e := s.store.Activation(ctx, aid); e == nil {
				err = errEnded(cur, now)
			}
		}
		return Lease{}, err
	}
	s.woken(nil)
	if tokenExpiresAt.Sub(now) >= l.LeaseTTL() {
		return Lease{Activation: a, License: l}, nil
	}
	p, err := s.store.Product(ctx, l.ProductID)
	if err != nil {
		return Lease{}, err
	}
	return s.leaseWithToken(p, l, a)
}

// errEnded says why an activation that holds no seat ended.
func errEnded(a Activation, now time.Time) error {
	switch {
	case a.Status == StatusRevoked:
		return ErrActivationRevoked
	case a.IsLease() && !a.ReleasedAt.Before(a.LeaseUntil):
		return ErrLeaseExpired
	case a.Status == StatusActive && !a.Held(now):
		return ErrLeaseExpired
	}
	return ErrReleased
}

// ReturnLease ends a lease before its time, freeing its seat: the program
// that held it is done. Errors as [Service.ReleaseActivation], and
// [ErrFloating] for an activation that is not a lease.
func (s *Service) ReturnLease(ctx context.Context, aid string) (Activation, error) {
	a, err := s.Activation(ctx, aid)
	if err != nil {
		return Activation{}, err
	}
	if !a.IsLease() {
		return Activation{}, ErrFloating
	}
	a, err = s.ReleaseActivation(ctx, aid)
	if errors.Is(err, ErrReleased) {
		if cur, e := s.store.Activation(ctx, aid); e == nil {
			err = errEnded(cur, s.now())
		}
	}
	return a, err
}

// ExpireLeases ends the leases that ran out, up to limit licenses' worth,
// and returns how many it ended. Correctness needs no call to it (see
// [Service.TakeLease]); it tidies, so that lists and webhooks show ended
// leases as released soon after their end.
func (s *Service) ExpireLeases(ctx context.Context, limit int) (int, error) {
	now := s.now()
	ids, err := s.store.LicensesWithExpiredLeases(ctx, now, limit)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		var ended []Activation
		err := s.store.WithLicense(ctx, id, func(tx LicenseTx) error {
			var err error
			ended, err = s.expireLeases(ctx, tx, now)
			return err
		})
		switch {
		case err == nil:
			n += len(ended)
		case !errors.Is(err, ErrNotFound):
			return n, err
		}
	}
	if n > 0 {
		s.woken(nil)
	}
	return n, nil
}
