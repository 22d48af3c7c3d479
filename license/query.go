package license

import (
	"context"
	"time"
)

// Product returns a product by ID; ErrNotFound if there is none.
func (s *Service) Product(ctx context.Context, id string) (Product, error) {
	return s.store.Product(ctx, id)
}

// Products returns every product.
func (s *Service) Products(ctx context.Context) ([]Product, error) {
	return s.store.Products(ctx)
}

// License returns a license by ID; ErrNotFound if there is none.
func (s *Service) License(ctx context.Context, id string) (License, error) {
	if !IsUUID(id) {
		return License{}, ErrNotFound
	}
	return s.store.License(ctx, id)
}

// Licenses returns the licenses of a product, or all of them if productID is
// empty.
func (s *Service) Licenses(ctx context.Context, productID string) ([]License, error) {
	return s.store.Licenses(ctx, productID)
}

// Activation returns an activation by AID; ErrNotFound if there is none.
func (s *Service) Activation(ctx context.Context, aid string) (Activation, error) {
	if !IsUUID(aid) {
		return Activation{}, ErrNotFound
	}
	return s.store.Activation(ctx, aid)
}

// Activations returns the activations of a license, or all of them if
// licenseID is empty.
func (s *Service) Activations(ctx context.Context, licenseID string) ([]Activation, error) {
	if licenseID != "" && !IsUUID(licenseID) {
		return nil, ErrNotFound
	}
	return s.store.Activations(ctx, licenseID)
}

// CodeTTL returns how long an authorization code lives.
func (s *Service) CodeTTL() time.Duration { return s.cfg.codeTTL }

// SeatsInUse returns how many computers hold an activation of the license.
func (s *Service) SeatsInUse(ctx context.Context, licenseID string) (int, error) {
	return s.store.CountActive(ctx, licenseID)
}
