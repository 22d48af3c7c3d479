package license

import (
	"context"
	"errors"
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
		a, err = tx.End(cur.AID, StatusReleased, s.now())
		return err
	})
	return a, err
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
		a, err = tx.End(aid, st, s.now())
		return err
	})
	if errors.Is(err, ErrRevoked) {
		err = ErrActivationRevoked
	}
	return a, err
}
