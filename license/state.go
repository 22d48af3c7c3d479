package license

import (
	"context"
	"time"
)

// State is the current standing of an activation: what a gate needs to
// decide whether to let a request through.
type State struct {
	AID       string `json:"aid"`
	LicenseID string `json:"licenseId"`
	ProductID string `json:"productId"`
	// Status is the activation's status, or, while the activation is active,
	// the license's: active, suspended, revoked or released.
	Status Status `json:"status"`
	// ExpiresAt is the license's expiry; zero means never.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	Features  []string  `json:"features,omitempty"`
}

// Err returns nil if the state lets a request through at now, or the
// sentinel that says why not: [ErrRevoked], [ErrSuspended], [ErrReleased]
// or [ErrExpired].
func (s State) Err(now time.Time) error {
	switch s.Status {
	case StatusActive:
	case StatusSuspended:
		return ErrSuspended
	case StatusReleased:
		return ErrReleased
	default:
		return ErrRevoked
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

// ActivationState returns the current state of an activation; ErrNotFound if
// there is none.
func (s *Service) ActivationState(ctx context.Context, aid string) (State, error) {
	if !IsUUID(aid) {
		return State{}, ErrNotFound
	}
	a, err := s.store.Activation(ctx, aid)
	if err != nil {
		return State{}, err
	}
	l, err := s.store.License(ctx, a.LicenseID)
	if err != nil {
		return State{}, err
	}
	st := State{AID: a.AID, LicenseID: l.ID, ProductID: l.ProductID, Status: a.Status, ExpiresAt: l.ExpiresAt, Features: l.Features}
	if a.Status == StatusActive {
		st.Status = l.Status
	}
	return st, nil
}
