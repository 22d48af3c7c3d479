package license

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"math/big"
	"strconv"
	"time"
)

// The vendor's use cases: products, licenses and the lists an
// administrator reads.

// CreateProduct validates and stores a new product. A product given
// without an RSA key gets a new one ([WithRSAKeyGenerator]); one given
// with a key keeps it, as a vendor moving from QLM keeps the key its
// shipped programs hold. An empty signature algorithm becomes
// [SignatureRSASHA1].
func (s *Service) CreateProduct(ctx context.Context, p Product) (Product, error) {
	p.CreatedAt = s.now()
	if p.SignatureAlgorithm == "" {
		p.SignatureAlgorithm = SignatureRSASHA1
	}
	if err := p.Validate(); err != nil {
		return Product{}, err
	}
	if p.RSAKey == nil {
		k, err := s.newRSAKey()
		if err != nil {
			return Product{}, err
		}
		p.RSAKey = k
	}
	ev, err := s.event(ctx, EventProductCreated, "product/"+p.ID, nil, p, nil)
	if err != nil {
		return Product{}, err
	}
	if err := s.store.CreateProduct(ctx, p, ev); err != nil {
		return Product{}, err
	}
	return p, nil
}

// newRSAKey makes a product key and checks it.
func (s *Service) newRSAKey() (*rsa.PrivateKey, error) {
	k, err := s.cfg.newRSAKey()
	if err != nil {
		return nil, err
	}
	if err := (Product{ID: "x", Name: "x", RSAKey: k}).Validate(); err != nil {
		return nil, err
	}
	return k, nil
}

// SetProductSigning changes how a product signs its answers: key, if not
// nil, replaces its RSA key (at least [MinRSABits]); alg, if not empty,
// its algorithm. Programs that hold the old public key stop trusting
// answers signed with a new one.
func (s *Service) SetProductSigning(ctx context.Context, productID string, key *rsa.PrivateKey, alg SignatureAlgorithm) (Product, error) {
	change := map[string]any{}
	if key != nil {
		change["rsaKey"] = "replaced"
	}
	if alg != "" {
		change["signatureAlgorithm"] = alg
	}
	ev, err := s.event(ctx, EventProductUpdated, "product/"+productID, nil, change, nil)
	if err != nil {
		return Product{}, err
	}
	return s.store.UpdateProduct(ctx, productID, func(p *Product) error {
		if key != nil {
			p.RSAKey = key
		}
		if alg != "" {
			p.SignatureAlgorithm = alg
		}
		return p.Validate()
	}, ev)
}

// ProductSigningKey returns the product with its RSA key, giving a product
// that has none (one created before products had keys) a new one first.
// Replicas that do this at once agree on one key: the first stored wins.
func (s *Service) ProductSigningKey(ctx context.Context, productID string) (Product, error) {
	p, err := s.store.Product(ctx, productID)
	if err != nil || p.RSAKey != nil {
		return p, err
	}
	k, err := s.newRSAKey()
	if err != nil {
		return Product{}, err
	}
	return s.store.UpdateProduct(ctx, productID, func(p *Product) error {
		if p.RSAKey == nil {
			p.RSAKey = k
		}
		if p.SignatureAlgorithm == "" {
			p.SignatureAlgorithm = SignatureRSASHA1
		}
		return nil
	})
}

// Product returns a product by ID; an error matching [ErrNotFound] if
// there is none.
func (s *Service) Product(ctx context.Context, id string) (Product, error) {
	return s.store.Product(ctx, id)
}

// Products returns every product, ordered by ID; an empty slice if none.
func (s *Service) Products(ctx context.Context) ([]Product, error) {
	return nonNil(s.store.Products(ctx))
}

// NewLicense describes a license to create.
type NewLicense struct {
	ProductID string
	// Customer may be empty, for a license sold by product key whose holder
	// registers later; codes by email need an email address.
	Customer
	// Seats is how many computers may hold an activation at once, at least 1.
	Seats int
	// ExpiresAt is zero for a license that never expires.
	ExpiresAt  time.Time
	Features   []string
	Properties []Property
	// Floating makes the seats leases held by running programs
	// ([Service.TakeLease]) instead of activations of computers.
	Floating bool
	// LeaseTTL is how long a lease lives without a heartbeat, for a
	// floating license: [MinLeaseTTL] to [MaxLeaseTTL], whole seconds; zero
	// means [DefaultLeaseTTL].
	LeaseTTL time.Duration
}

// CreateLicense creates a license with a fresh ID and fresh credentials:
// an activation key, starting with [KeySubscription] if the license
// expires, [KeyPermanent] if not, and an EMS product key ([NewProductKey]).
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
	pk, err := NewProductKey()
	if err != nil {
		return License{}, err
	}
	number, err := newLicenseNumber()
	if err != nil {
		return License{}, err
	}
	if n.Email != "" {
		if n.Email, err = NormalizeEmail(n.Email); err != nil {
			return License{}, err
		}
	}
	now := s.now()
	l := License{
		ID: id, Key: key, ProductKey: pk, Number: number, ProductID: n.ProductID, Customer: n.Customer, Seats: n.Seats,
		ExpiresAt: n.ExpiresAt.UTC(), Features: n.Features, Properties: n.Properties,
		Status: StatusActive, CreatedAt: now, Floating: n.Floating,
	}
	switch {
	case n.Floating && n.LeaseTTL == 0:
		l.LeaseSeconds = int(DefaultLeaseTTL / time.Second)
	case n.LeaseTTL%time.Second != 0:
		return License{}, invalidf("the lease TTL must be whole seconds, not %v", n.LeaseTTL)
	default:
		l.LeaseSeconds = int(n.LeaseTTL / time.Second)
	}
	for i := range l.Properties {
		if l.Properties[i].UpdatedAt.IsZero() {
			l.Properties[i].UpdatedAt = now
		}
	}
	if err := l.Validate(); err != nil {
		return License{}, err
	}
	// A number is drawn from a space of a trillion: should it be taken,
	// draw another.
	for try := 0; ; try++ {
		ev, err := s.event(ctx, EventLicenseCreated, licenseTarget(l.ID), nil, l.Data(), l.Data())
		if err != nil {
			return License{}, err
		}
		err = s.store.CreateLicense(ctx, l, ev)
		if err == nil {
			s.woken(nil)
			return l, nil
		}
		if !errors.Is(err, ErrConflict) || try == 3 {
			return License{}, err
		}
		if l.Number, err = newLicenseNumber(); err != nil {
			return License{}, err
		}
	}
}

// newLicenseNumber draws a license number uniformly from 1 to
// MaxLicenseNumber.
func newLicenseNumber() (int64, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(MaxLicenseNumber))
	if err != nil {
		return 0, err
	}
	return n.Int64() + 1, nil
}

// LicenseByNumber returns the license with the number; an error matching
// [ErrNotFound] if there is none.
func (s *Service) LicenseByNumber(ctx context.Context, n int64) (License, error) {
	if n < 1 || n > MaxLicenseNumber {
		return License{}, NotFound("license number", strconv.FormatInt(n, 10))
	}
	return s.store.LicenseByNumber(ctx, n)
}

// License returns a license by ID; an error matching [ErrNotFound] naming
// it if there is none.
func (s *Service) License(ctx context.Context, id string) (License, error) {
	if !IsUUID(id) {
		return License{}, NotFound("license", id)
	}
	return s.store.License(ctx, id)
}

// Licenses returns the licenses of a product, or all of them if productID
// is empty, oldest first; an empty slice if none.
func (s *Service) Licenses(ctx context.Context, productID string) ([]License, error) {
	return nonNil(s.store.Licenses(ctx, productID))
}

// UpdateLicense changes a license as the vendor: fn sees the license as it
// stands, locked, and changes what it will (customer, seats, expiry,
// features, properties, status, the lease TTL of a floating license); the
// result must be valid. The ID, the credentials, the product, whether it
// floats and the seats held cannot change. A revoked
// license stays revoked. Fewer seats than are held leaves the activations
// standing but allows no new one.
func (s *Service) UpdateLicense(ctx context.Context, id string, fn func(*License) error) (License, error) {
	if !IsUUID(id) {
		return License{}, NotFound("license", id)
	}
	var (
		out     License
		changed bool
	)
	err := s.store.WithLicense(ctx, id, func(tx LicenseTx) error {
		cur := tx.License()
		l := cur
		l.Features = append([]string(nil), cur.Features...)
		l.Properties = append([]Property(nil), cur.Properties...)
		if err := fn(&l); err != nil {
			return err
		}
		if cur.Status == StatusRevoked && l.Status != StatusRevoked {
			return ErrLicenseRevoked
		}
		if l.Email != cur.Email && l.Email != "" {
			email, err := NormalizeEmail(l.Email)
			if err != nil {
				return err
			}
			l.Email = email
		}
		l.ID, l.Key, l.ProductKey, l.ProductID, l.CreatedAt, l.SeatsHeld, l.Floating = cur.ID, cur.Key, cur.ProductKey, cur.ProductID, cur.CreatedAt, cur.SeatsHeld, cur.Floating
		if err := l.Validate(); err != nil {
			return err
		}
		if err := tx.Update(l); err != nil {
			return err
		}
		out = tx.License()
		change, err := diff(cur.Data(), out.Data())
		if err != nil || change == nil {
			return err
		}
		changed = true
		return s.recordTx(ctx, tx, EventLicenseUpdated, licenseTarget(id), change, out.Data())
	})
	if changed {
		s.woken(err)
	}
	return out, err
}

// SetLicenseStatus suspends, revokes or reactivates a license as the
// vendor. A revoked license cannot be reactivated ([ErrLicenseRevoked]).
func (s *Service) SetLicenseStatus(ctx context.Context, id string, st Status) (License, error) {
	switch st {
	case StatusActive, StatusSuspended, StatusRevoked:
	default:
		return License{}, invalidf("the license status %q is unknown", st)
	}
	return s.UpdateLicense(ctx, id, func(l *License) error {
		l.Status = st
		return nil
	})
}

// RegisterCustomer attaches a customer to a license that has none, as the
// holder of its product key may (EMS). Replacing a customer takes the
// vendor ([Service.UpdateLicense]): [ErrPermission] if the license already
// has a customer, that is any of an email address, a phone number, a name
// or a company. The customer needs an email address.
func (s *Service) RegisterCustomer(ctx context.Context, licenseID string, c Customer) (License, error) {
	if c.Email == "" {
		return License{}, invalidf("the customer's email address is missing")
	}
	return s.UpdateLicense(ctx, licenseID, func(l *License) error {
		if l.Customer != (Customer{}) {
			return ErrPermission
		}
		l.Customer = c
		return nil
	})
}

// Activation returns an activation by AID; an error matching [ErrNotFound]
// naming it if there is none.
func (s *Service) Activation(ctx context.Context, aid string) (Activation, error) {
	if !IsUUID(aid) {
		return Activation{}, NotFound("activation", aid)
	}
	return s.store.Activation(ctx, aid)
}

// Activations returns the activations of a license, or all of them if
// licenseID is empty, oldest first; an empty slice if none.
func (s *Service) Activations(ctx context.Context, licenseID string) ([]Activation, error) {
	if licenseID != "" && !IsUUID(licenseID) {
		return nil, NotFound("license", licenseID)
	}
	return nonNil(s.store.Activations(ctx, licenseID))
}

// nonNil turns a nil slice into an empty one, so that JSON prints [], not
// null.
func nonNil[T any](s []T, err error) ([]T, error) {
	if s == nil && err == nil {
		s = []T{}
	}
	return s, err
}
