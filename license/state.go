package license

import (
	"context"
	"errors"
	"time"
)

// State is the current standing of an activation: what a gate needs to
// decide whether to let a request through. [State.Err] is that decision,
// and the only place it is made: the service, the status endpoint and the
// gate all ask it.
type State struct {
	AID       string `json:"aid"`
	LicenseID string `json:"licenseId"`
	ProductID string `json:"productId"`
	// Activation is the activation's own status: active, released or
	// revoked. Empty judges the license alone, as before an activation.
	Activation Status `json:"activationStatus,omitempty"`
	// License is the license's status: active, suspended or revoked.
	License Status `json:"licenseStatus,omitempty"`
	// Status sums the two up for gates of licgate 0.x, which read only it:
	// the activation's status, or while that is active, the license's.
	Status Status `json:"status"`
	// ExpiresAt is the license's expiry; zero means never.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	Features  []string  `json:"features,omitempty"`
	// LeaseUntil is when the lease ends, for a lease of a floating
	// license; zero otherwise.
	LeaseUntil time.Time `json:"leaseUntil,omitzero"`
}

// StateOf returns the state of activation a of license l. A zero a gives
// the state of the license alone, as [State.Err] judges it before an
// activation exists.
func StateOf(l License, a Activation) State {
	st := State{
		AID: a.AID, LicenseID: l.ID, ProductID: l.ProductID,
		Activation: a.Status, License: l.Status, Status: l.Status,
		ExpiresAt: l.ExpiresAt, Features: l.Features, LeaseUntil: a.LeaseUntil,
	}
	if a.Status != "" && a.Status != StatusActive {
		st.Status = a.Status
	}
	return st
}

// Err returns nil if the state lets a request through at now, or the
// sentinel that says why not, each case its own: [ErrReleased] or
// [ErrActivationRevoked] for the activation, [ErrLicenseRevoked] or
// [ErrSuspended] for the license, and [ErrExpired] past the license's
// expiry. An unknown status refuses, as a revocation. A state from a server
// that sends only the summed-up Status is judged by it.
func (s State) Err(now time.Time) error {
	act, lic := s.Activation, s.License
	if act == "" && lic == "" {
		// From a licgate 0.x status endpoint.
		switch s.Status {
		case StatusReleased, StatusRevoked:
			act = s.Status
		default:
			lic = s.Status
		}
	}
	switch act {
	case "", StatusActive:
	case StatusReleased:
		return ErrReleased
	default:
		return ErrActivationRevoked
	}
	if !s.LeaseUntil.IsZero() && !now.Before(s.LeaseUntil) {
		return ErrLeaseExpired
	}
	switch lic {
	case StatusActive:
	case StatusSuspended:
		return ErrSuspended
	default:
		return ErrLicenseRevoked
	}
	if !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt) {
		return ErrExpired
	}
	return nil
}

// HasFeature reports whether the state grants feature f.
func (s State) HasFeature(f string) bool {
	for _, g := range s.Features {
		if g == f {
			return true
		}
	}
	return false
}

// ActivationState returns the current state of an activation; an error
// matching [ErrNotFound] if there is none.
func (s *Service) ActivationState(ctx context.Context, aid string) (State, error) {
	if !IsUUID(aid) {
		return State{}, NotFound("activation", aid)
	}
	a, err := s.store.Activation(ctx, aid)
	if err != nil {
		return State{}, err
	}
	l, err := s.store.License(ctx, a.LicenseID)
	if err != nil {
		return State{}, err
	}
	return StateOf(l, a), nil
}

// Stable reasons of the refusals of [State.Err], as the status endpoint
// and the gate name them in their answers.
const (
	ReasonActivationReleased = "activation_released"
	ReasonLeaseExpired       = "lease_expired"
	ReasonActivationRevoked  = "activation_revoked"
	ReasonLicenseRevoked     = "license_revoked"
	ReasonLicenseSuspended   = "license_suspended"
	ReasonLicenseExpired     = "license_expired"
)

// Reason returns the stable reason of a refusal of [State.Err]: one of the
// Reason constants, "" for nil, or "revoked" for any other error, which a
// state never yields.
func Reason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrLeaseExpired):
		return ReasonLeaseExpired
	case errors.Is(err, ErrReleased):
		return ReasonActivationReleased
	case errors.Is(err, ErrActivationRevoked):
		return ReasonActivationRevoked
	case errors.Is(err, ErrSuspended):
		return ReasonLicenseSuspended
	case errors.Is(err, ErrExpired):
		return ReasonLicenseExpired
	case errors.Is(err, ErrLicenseRevoked):
		return ReasonLicenseRevoked
	}
	return "revoked"
}
