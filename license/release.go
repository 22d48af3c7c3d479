package license

import (
	"context"
	"errors"
	"time"
)

// Release frees the seat a computer holds on a license (QLM
// ReleaseLicenseHttp): its activation becomes released, and the computer
// may activate again later. The caller has established that the client may
// release it. Errors: [ErrNotActivated] when the computer holds no active
// activation of the license, [ErrNotFound] for an unknown license.
func (s *Service) Release(ctx context.Context, licenseID, computerID string) (Activation, error) {
	if err := CheckComputerID(computerID); err != nil {
		return Activation{}, err
	}
	if !IsUUID(licenseID) {
		return Activation{}, NotFound("license", licenseID)
	}
	var a Activation
	err := s.store.WithLicense(ctx, licenseID, func(tx LicenseTx) error {
		cur, ok, err := tx.ActiveOn(computerID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotActivated
		}
		if a, err = tx.End(cur.AID, StatusReleased, s.now()); err != nil {
			return err
		}
		return s.recordEnd(ctx, tx, a)
	})
	s.woken(err)
	return a, err
}

// recordEnd records the end of an activation in its transaction.
func (s *Service) recordEnd(ctx context.Context, tx LicenseTx, a Activation) error {
	typ := EventActivationReleased
	if a.Status == StatusRevoked {
		typ = EventActivationRevoked
	}
	return s.recordTx(ctx, tx, typ, activationTarget(a.AID), statusChange(StatusActive, a.Status), a.Data(tx.License().ProductID))
}

// ReleaseActivation frees the seat of an activation named by its AID.
// Errors: [ErrNotFound], [ErrReleased] or [ErrActivationRevoked] if it no
// longer holds a seat.
func (s *Service) ReleaseActivation(ctx context.Context, aid string) (Activation, error) {
	return s.end(ctx, aid, StatusReleased)
}

// RevokeActivation revokes an activation for good: its seat is freed, its
// tokens stop passing gates that check state, and its computer may not
// activate the license again. Errors: [ErrNotFound], [ErrReleased] or
// [ErrActivationRevoked] if it no longer holds a seat.
func (s *Service) RevokeActivation(ctx context.Context, aid string) (Activation, error) {
	return s.end(ctx, aid, StatusRevoked)
}

func (s *Service) end(ctx context.Context, aid string, st Status) (Activation, error) {
	a, err := s.Activation(ctx, aid)
	if err != nil {
		return Activation{}, err
	}
	err = s.store.WithLicense(ctx, a.LicenseID, func(tx LicenseTx) error {
		if a, err = tx.End(aid, st, s.now()); err != nil {
			return err
		}
		return s.recordEnd(ctx, tx, a)
	})
	s.woken(err)
	if errors.Is(err, ErrRevoked) {
		err = ErrActivationRevoked
	}
	return a, err
}

// OwnRelease asks to free a seat by its holder, who proves it holds the
// seat with the computer key, as QLM's ReleaseLicenseHttp does when the
// server does not require vendor credentials.
type OwnRelease struct {
	// LicenseID names the license; the caller has established that the
	// client may name it (it presented the activation key).
	LicenseID   string
	ComputerID  string
	ComputerKey string
	// Limit releases of the license are allowed per Per, so that one key
	// cannot be passed around more freely than its seats allow.
	Limit int
	Per   time.Duration
	// ClientAddr is the client's address: a wrong computer key costs it a
	// failure (see [Service.CheckSecret]).
	ClientAddr string
}

// ReleaseOwn frees the seat of the computer that holds the computer key,
// within the license's release budget. The computer key is compared under
// the client address's failure budget; the release budget is taken before
// the release and given back if none happens. Errors: [ErrComputerMismatch]
// for a wrong key, [ErrRateLimited] when the client has failed too often,
// [ErrReleaseLimited] (which matches ErrRateLimited) when the license has
// been released Limit times within Per, and those of [Service.Release].
func (s *Service) ReleaseOwn(ctx context.Context, req OwnRelease) (Activation, error) {
	if req.Limit < 1 || req.Per <= 0 {
		return Activation{}, invalidf("the release limit must be at least one release per positive period")
	}
	var verr error
	ok, err := s.CheckSecret(ctx, req.ClientAddr, func() bool {
		_, verr = s.Validate(ctx, ValidationRequest{ComputerKey: req.ComputerKey, ComputerID: req.ComputerID, LicenseID: req.LicenseID})
		return !errors.Is(verr, ErrComputerMismatch)
	})
	switch {
	case err != nil:
		return Activation{}, err
	case !ok:
		return Activation{}, ErrComputerMismatch
	case verr != nil:
		return Activation{}, verr
	}
	b := Bucket{Key: bucketRelease + req.LicenseID, Burst: req.Limit, Window: req.Per}
	if err := s.take(ctx, b); err != nil {
		if errors.Is(err, ErrRateLimited) {
			return Activation{}, ErrReleaseLimited
		}
		return Activation{}, err
	}
	a, err := s.Release(ctx, req.LicenseID, req.ComputerID)
	if err != nil {
		if rerr := s.refund(ctx, b); rerr != nil {
			return Activation{}, errors.Join(err, rerr)
		}
		return Activation{}, err
	}
	return a, nil
}
