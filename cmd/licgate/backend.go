package main

import (
	"context"
	"crypto/rsa"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
)

// backend is what the admin commands do, either on the store of -data or
// -db ([localBackend]) or through the admin API of the server of -server
// ([remoteBackend]). Both answer with the types of package license, so
// that a command prints the same JSON whichever way it went, and both
// return errors whose text [explain] turns into the sentence to print.
type backend interface {
	CreateProduct(ctx context.Context, p license.Product) (license.Product, error)
	Products(ctx context.Context) ([]license.Product, error)
	// ProductKey returns the ID, public key and signature algorithm of a
	// product's QLM answers.
	ProductKey(ctx context.Context, id string) (productSigning, error)
	SetProductSigning(ctx context.Context, id string, key *rsa.PrivateKey, alg license.SignatureAlgorithm) (license.Product, error)

	CreateLicense(ctx context.Context, n license.NewLicense) (license.License, error)
	// Licenses returns every license of a product, or every license if
	// productID is empty.
	Licenses(ctx context.Context, productID string) ([]license.License, error)
	UpdateLicense(ctx context.Context, id string, c licenseChange) (license.License, error)

	// Activations returns every activation of a license, or every
	// activation if licenseID is empty.
	Activations(ctx context.Context, licenseID string) ([]license.Activation, error)
	RevokeActivation(ctx context.Context, aid string) (license.Activation, error)

	// Audit returns the events q selects, oldest first, every page of
	// them, but at most max if max is above 0.
	Audit(ctx context.Context, q license.AuditQuery, max int) ([]license.Event, error)

	// CreateWebhook returns the new webhook with its secret.
	CreateWebhook(ctx context.Context, url string) (license.Webhook, error)
	Webhooks(ctx context.Context) ([]license.Webhook, error)
	// DeleteWebhook returns the webhook it deleted.
	DeleteWebhook(ctx context.Context, id string) (license.Webhook, error)
	// WebhookAttempts returns every delivery attempt of a webhook, oldest
	// first.
	WebhookAttempts(ctx context.Context, id string) ([]license.Attempt, error)
}

// productSigning is a product's public signing key.
type productSigning struct {
	ID        string
	Key       *rsa.PublicKey
	Algorithm license.SignatureAlgorithm
}

// licenseChange is what "license update" and the status commands change;
// nil fields stay as they are.
type licenseChange struct {
	Seats *int
	// ExpiresAt is the new end; a pointer to the zero time means never.
	ExpiresAt *time.Time
	Features  *[]string
	Status    *license.Status
	// LeaseSeconds is the lease TTL of a floating license.
	LeaseSeconds *int
}

// apply makes the change to l.
func (c licenseChange) apply(l *license.License) {
	if c.Seats != nil {
		l.Seats = *c.Seats
	}
	if c.ExpiresAt != nil {
		l.ExpiresAt = *c.ExpiresAt
	}
	if c.Features != nil {
		l.Features = *c.Features
	}
	if c.Status != nil {
		l.Status = *c.Status
	}
	if c.LeaseSeconds != nil {
		l.LeaseSeconds = *c.LeaseSeconds
	}
}

// statusOnly reports whether the change is of the status alone.
func (c licenseChange) statusOnly() bool {
	return c.Status != nil && c.Seats == nil && c.ExpiresAt == nil && c.Features == nil && c.LeaseSeconds == nil
}

// localBackend runs the admin commands on a service of the local store.
type localBackend struct{ s *license.Service }

var _ backend = localBackend{}

func (b localBackend) CreateProduct(ctx context.Context, p license.Product) (license.Product, error) {
	created, err := b.s.CreateProduct(ctx, p)
	if errors.Is(err, license.ErrConflict) {
		return license.Product{}, fmt.Errorf("the product %q already exists", p.ID)
	}
	return created, err
}

func (b localBackend) Products(ctx context.Context) ([]license.Product, error) {
	return b.s.Products(ctx)
}

func (b localBackend) ProductKey(ctx context.Context, id string) (productSigning, error) {
	p, err := b.s.ProductSigningKey(ctx, id)
	if err != nil {
		return productSigning{}, named(err, "product", id)
	}
	return productSigning{ID: p.ID, Key: &p.RSAKey.PublicKey, Algorithm: p.SignatureAlgorithm}, nil
}

func (b localBackend) SetProductSigning(ctx context.Context, id string, key *rsa.PrivateKey, alg license.SignatureAlgorithm) (license.Product, error) {
	if _, err := b.s.Product(ctx, id); err != nil {
		return license.Product{}, named(err, "product", id)
	}
	p, err := b.s.SetProductSigning(ctx, id, key, alg)
	return p, named(err, "product", id)
}

func (b localBackend) CreateLicense(ctx context.Context, n license.NewLicense) (license.License, error) {
	if _, err := b.s.Product(ctx, n.ProductID); err != nil {
		return license.License{}, named(err, "product", n.ProductID)
	}
	return b.s.CreateLicense(ctx, n)
}

func (b localBackend) Licenses(ctx context.Context, productID string) ([]license.License, error) {
	if productID != "" {
		if _, err := b.s.Product(ctx, productID); err != nil {
			return nil, named(err, "product", productID)
		}
	}
	return b.s.Licenses(ctx, productID)
}

func (b localBackend) UpdateLicense(ctx context.Context, id string, c licenseChange) (license.License, error) {
	id = strings.ToLower(id)
	var l license.License
	var err error
	if c.statusOnly() {
		l, err = b.s.SetLicenseStatus(ctx, id, *c.Status)
	} else {
		l, err = b.s.UpdateLicense(ctx, id, func(l *license.License) error {
			c.apply(l)
			return nil
		})
	}
	return l, named(err, "license", id)
}

func (b localBackend) Activations(ctx context.Context, licenseID string) ([]license.Activation, error) {
	licenseID = strings.ToLower(licenseID)
	if licenseID != "" {
		if _, err := b.s.License(ctx, licenseID); err != nil {
			return nil, named(err, "license", licenseID)
		}
	}
	return b.s.Activations(ctx, licenseID)
}

func (b localBackend) RevokeActivation(ctx context.Context, aid string) (license.Activation, error) {
	a, err := b.s.RevokeActivation(ctx, strings.ToLower(aid))
	return a, named(err, "activation", aid)
}

func (b localBackend) Audit(ctx context.Context, q license.AuditQuery, max int) ([]license.Event, error) {
	return walk(max, func(after license.Cursor, limit int) ([]license.Event, error) {
		q.Page = license.Page{After: after, Limit: limit}
		return b.s.Audit(ctx, q)
	}, func(e license.Event) license.Cursor { return license.Cursor{At: e.At, ID: e.ID} })
}

func (b localBackend) CreateWebhook(ctx context.Context, url string) (license.Webhook, error) {
	return b.s.CreateWebhook(ctx, url)
}

func (b localBackend) Webhooks(ctx context.Context) ([]license.Webhook, error) {
	return b.s.Webhooks(ctx)
}

func (b localBackend) DeleteWebhook(ctx context.Context, id string) (license.Webhook, error) {
	id = strings.ToLower(id)
	w, err := b.s.Webhook(ctx, id)
	if err != nil {
		return license.Webhook{}, err
	}
	return w, b.s.DeleteWebhook(ctx, id)
}

func (b localBackend) WebhookAttempts(ctx context.Context, id string) ([]license.Attempt, error) {
	id = strings.ToLower(id)
	return walk(0, func(after license.Cursor, limit int) ([]license.Attempt, error) {
		return b.s.WebhookAttempts(ctx, id, license.Page{After: after, Limit: limit})
	}, func(a license.Attempt) license.Cursor { return license.Cursor{At: a.At, ID: a.ID} })
}

// walk collects the items of a paged list, page after page of
// [license.MaxPageLimit], until a page comes back short, or until it has
// max items if max is above 0.
func walk[T any](max int, page func(after license.Cursor, limit int) ([]T, error), cursor func(T) license.Cursor) ([]T, error) {
	all := []T{}
	var after license.Cursor
	for {
		limit := license.MaxPageLimit
		if max > 0 {
			limit = min(limit, max-len(all))
		}
		items, err := page(after, limit)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if len(items) < limit || len(items) == 0 || (max > 0 && len(all) >= max) {
			return all, nil
		}
		after = cursor(items[len(items)-1])
	}
}

// backendFlags say where the admin commands work: on the store of -data
// or -db, or with -server and -token through a server's admin API.
type backendFlags struct {
	storeFlags
	server string
	token  string
}

func (f *backendFlags) register(fs *flag.FlagSet) {
	f.storeFlags.register(fs)
	fs.StringVar(&f.server, "server", "", "base URL of a licgate server whose admin API to use (https://licgate.example.com) instead of -data or -db")
	fs.StringVar(&f.token, "token", "", "admin token for -server")
}

// resolve decides where the commands work, given the flags set on the
// command line: through the API if -server (or LICGATE_SERVER) is set,
// unless -data or -db on the command line, which beat LICGATE_SERVER,
// choose the local store. -server with -data or -db on the command line
// is refused.
func (f *backendFlags) resolve(cmdLine map[string]bool) error {
	local := cmdLine["data"] || cmdLine["db"]
	switch {
	case f.server == "":
		return nil
	case local && cmdLine["server"]:
		return usageError("-server works through the admin API: -data and -db do not go with it")
	case local:
		f.server = "" // from LICGATE_SERVER
		return nil
	case f.token == "":
		return usageError("-server needs an admin token: -token or LICGATE_TOKEN (made by \"licgate token create\" where the database is)")
	}
	return nil
}

// local reports whether the commands work on the local store.
func (f *backendFlags) local() bool { return f.server == "" }

// open returns the backend of the resolved flags, and what to call when
// done with it.
func (f *backendFlags) open(ctx context.Context) (backend, func(), error) {
	if !f.local() {
		b, err := newRemoteBackend(f.server, f.token)
		if err != nil {
			return nil, nil, err
		}
		return b, func() {}, nil
	}
	s, done, err := f.storeFlags.service(ctx)
	if err != nil {
		return nil, nil, err
	}
	return localBackend{s}, done, nil
}

// service opens the store and the secrets of the flags, creating nothing,
// and returns a service of them, with opts, and what to call when done
// with it.
func (s *storeFlags) service(ctx context.Context, opts ...license.Option) (*license.Service, func(), error) {
	st, db, err := s.openStore(ctx, false)
	if err != nil {
		return nil, nil, err
	}
	sec, err := s.loadSecrets(false)
	if err != nil {
		st.Close()
		db.Close()
		return nil, nil, err
	}
	svc, err := license.NewService(st, append([]license.Option{license.WithKeySet(sec.keys), license.WithSecret(sec.secret)}, opts...)...)
	if err != nil {
		st.Close()
		db.Close()
		return nil, nil, err
	}
	return svc, func() {
		svc.Close(ctx)
		st.Close()
		db.Close()
	}, nil
}
