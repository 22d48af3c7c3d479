package license

import (
	"context"
	"errors"
)

// ValidationRequest asks for the standing of an existing activation, named
// in exactly one way: by AID, by the computer key it was given (with the
// computer it was given to), or by license and computer.
type ValidationRequest struct {
	// AID names the activation. The caller has established that the client
	// may see it (an EMS session that allows its license).
	AID string
	// ComputerKey, a credential, names the activation it was issued with;
	// ComputerID must be that activation's computer, and LicenseID, if set,
	// its license.
	ComputerKey string
	// LicenseID and ComputerID name the active activation of the license on
	// the computer, if any; the caller has established that the client may
	// see the license (it presented its activation key).
	LicenseID  string
	ComputerID string
	// Target, if set, is the product the client expects.
	Target Target
}

// Validate returns the activation a request names with its license,
// product and a fresh token, if its state lets requests through
// ([State.Err]). Asked by license and computer for a computer that holds no
// activation, it returns the license with a zero Activation and no error,
// so a client can report that it needs activating. Errors: [ErrNotFound],
// [ErrComputerMismatch] for a computer key that is unknown or not the
// computer's, [ErrWrongProduct], [ErrWrongVersion], [ErrInvalid], and those
// of [State.Err].
func (s *Service) Validate(ctx context.Context, req ValidationRequest) (Result, error) {
	var (
		a   Activation
		err error
	)
	switch {
	case req.AID != "" && req.ComputerKey == "" && req.LicenseID == "":
		a, err = s.Activation(ctx, req.AID)
	case req.ComputerKey != "" && req.AID == "":
		a, err = s.activationByComputerKey(ctx, req.ComputerKey, req.ComputerID)
		if err == nil && req.LicenseID != "" && a.LicenseID != req.LicenseID {
			err = ErrComputerMismatch
		}
	case req.LicenseID != "" && req.AID == "":
		if err := CheckComputerID(req.ComputerID); err != nil {
			return Result{}, err
		}
		a, err = s.store.ActivationByComputer(ctx, req.LicenseID, req.ComputerID)
		if errors.Is(err, ErrNotFound) {
			a, err = Activation{}, nil
		}
	default:
		return Result{}, invalidf("name the activation by AID, by computer key or by license and computer")
	}
	if err != nil {
		return Result{}, err
	}
	licenseID := a.LicenseID
	if licenseID == "" {
		licenseID = req.LicenseID
	}
	l, err := s.License(ctx, licenseID)
	if err != nil {
		return Result{}, err
	}
	p, err := s.store.Product(ctx, l.ProductID)
	if err != nil {
		return Result{}, err
	}
	if err := req.Target.check(p); err != nil {
		return Result{}, err
	}
	if err := StateOf(l, a).Err(s.now()); err != nil {
		return Result{}, err
	}
	return s.result(p, l, a, a.AID != "")
}

// activationByComputerKey returns the activation of a computer key, which
// must have been issued to the computer; ErrComputerMismatch otherwise.
func (s *Service) activationByComputerKey(ctx context.Context, computerKey, computerID string) (Activation, error) {
	if err := CheckComputerID(computerID); err != nil {
		return Activation{}, err
	}
	ck, err := ParseKey(computerKey)
	if err != nil {
		return Activation{}, ErrComputerMismatch
	}
	a, err := s.store.ActivationByComputerKey(ctx, ck)
	switch {
	case errors.Is(err, ErrNotFound):
		return Activation{}, ErrComputerMismatch
	case err != nil:
		return Activation{}, err
	case !equalSecret(a.ComputerKey, ck) || !equalSecret(a.ComputerID, computerID):
		return Activation{}, ErrComputerMismatch
	}
	return a, nil
}
