package main

import (
	"cmp"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/admin"
	"github.com/licgate/licgate/license/client"
)

// remoteBackend runs the admin commands through the admin API of a
// server, with an [admin.Client]. What the API cannot do (import a
// product's RSA key) it refuses, naming the local commands that can.
type remoteBackend struct{ c *admin.Client }

var _ backend = remoteBackend{}

// newRemoteBackend returns the backend of the server at server, its base
// URL (the admin API is at its [adminPrefix]), with an admin token.
func newRemoteBackend(server, token string) (remoteBackend, error) {
	base := strings.TrimSuffix(server, "/")
	if !strings.HasSuffix(base, adminPrefix) {
		base += adminPrefix
	}
	c, err := admin.NewClient(base, token)
	if err != nil {
		return remoteBackend{}, usageError("-server %q, -token: %v", server, err)
	}
	return remoteBackend{c}, nil
}

// errNeedsDatabase is the error of what only the local commands can do.
func errNeedsDatabase(what string) error {
	return fmt.Errorf("%s needs the local database: the admin API does not do it. Run the command with -data or -db where the database is", what)
}

func (b remoteBackend) CreateProduct(ctx context.Context, p license.Product) (license.Product, error) {
	if p.RSAKey != nil {
		return license.Product{}, errNeedsDatabase("importing a product's RSA key (-rsa-key)")
	}
	out, err := b.c.CreateProduct(ctx, admin.NewProduct{
		ID: p.ID, Name: p.Name, Major: p.Major, Minor: p.Minor, SignatureAlgorithm: p.SignatureAlgorithm,
	})
	return out.Product, err
}

func (b remoteBackend) Products(ctx context.Context) ([]license.Product, error) {
	ps, err := b.c.Products(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]license.Product, len(ps))
	for i, p := range ps {
		out[i] = p.Product
	}
	return out, nil
}

func (b remoteBackend) ProductKey(ctx context.Context, id string) (productSigning, error) {
	p, err := b.c.Product(ctx, id)
	if err != nil {
		return productSigning{}, err
	}
	if p.PublicKey == "" {
		return productSigning{}, fmt.Errorf("the product %q has no RSA key yet: it gets one when it first signs a QLM answer, or when \"licgate product key\" runs where the database is", id)
	}
	block, _ := pem.Decode([]byte(p.PublicKey))
	if block == nil {
		return productSigning{}, fmt.Errorf("the server sent a public key of the product %q that is not PEM", id)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	rk, ok := k.(*rsa.PublicKey)
	if err != nil || !ok {
		return productSigning{}, fmt.Errorf("the server sent a public key of the product %q that is not an RSA key", id)
	}
	return productSigning{ID: p.ID, Key: rk, Algorithm: p.SignatureAlgorithm}, nil
}

func (b remoteBackend) SetProductSigning(context.Context, string, *rsa.PrivateKey, license.SignatureAlgorithm) (license.Product, error) {
	return license.Product{}, errSetSignatureRemote
}

// errSetSignatureRemote refuses product set-signature with -server.
var errSetSignatureRemote = errNeedsDatabase("changing a product's signing key or algorithm")

func (b remoteBackend) CreateLicense(ctx context.Context, n license.NewLicense) (license.License, error) {
	return b.c.CreateLicense(ctx, admin.NewLicense{
		ProductID: n.ProductID, Customer: n.Customer, Seats: n.Seats,
		ExpiresAt: n.ExpiresAt, Features: n.Features, Properties: n.Properties,
		Floating: n.Floating, LeaseSeconds: int(n.LeaseTTL / time.Second),
	})
}

func (b remoteBackend) Licenses(ctx context.Context, productID string) ([]license.License, error) {
	if productID != "" {
		// The list of an unknown product is empty; say it is unknown, as
		// the local command does.
		if _, err := b.c.Product(ctx, productID); err != nil {
			return nil, err
		}
	}
	var out []license.License
	for l, err := range b.c.AllLicenses(ctx, admin.LicenseFilter{Product: productID, PageQuery: admin.PageQuery{Limit: admin.MaxLimit}}) {
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

func (b remoteBackend) UpdateLicense(ctx context.Context, id string, c licenseChange) (license.License, error) {
	var p admin.LicensePatch
	p.Seats, p.Status, p.LeaseSeconds = c.Seats, c.Status, c.LeaseSeconds
	if c.ExpiresAt != nil {
		p.ExpiresAt = admin.NullTime{Time: *c.ExpiresAt, Set: true}
	}
	if c.Features != nil {
		f := *c.Features
		if f == nil {
			f = []string{} // JSON null would leave them as they are
		}
		p.Features = &f
	}
	return b.c.UpdateLicense(ctx, strings.ToLower(id), p)
}

func (b remoteBackend) Activations(ctx context.Context, licenseID string) ([]license.Activation, error) {
	if licenseID != "" {
		return b.c.Activations(ctx, strings.ToLower(licenseID))
	}
	// The API lists activations by license: gather them, in the order of
	// the local list.
	var out []license.Activation
	for l, err := range b.c.AllLicenses(ctx, admin.LicenseFilter{PageQuery: admin.PageQuery{Limit: admin.MaxLimit}}) {
		if err != nil {
			return nil, err
		}
		as, err := b.c.Activations(ctx, l.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, as...)
	}
	slices.SortStableFunc(out, func(a, b license.Activation) int {
		return cmp.Or(a.ActivatedAt.Compare(b.ActivatedAt), cmp.Compare(a.AID, b.AID))
	})
	return out, nil
}

func (b remoteBackend) RevokeActivation(ctx context.Context, aid string) (license.Activation, error) {
	return b.c.RevokeActivation(ctx, strings.ToLower(aid))
}

func (b remoteBackend) Audit(ctx context.Context, q license.AuditQuery, max int) ([]license.Event, error) {
	limit := admin.MaxLimit
	if max > 0 {
		limit = min(limit, max)
	}
	out := []license.Event{}
	for e, err := range b.c.AllAudit(ctx, admin.AuditFilter{Since: q.Since, Target: q.Target, PageQuery: admin.PageQuery{Limit: limit}}) {
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		if max > 0 && len(out) == max {
			break
		}
	}
	return out, nil
}

func (b remoteBackend) CreateWebhook(ctx context.Context, url string) (license.Webhook, error) {
	w, err := b.c.CreateWebhook(ctx, url)
	w.Webhook.Secret = w.Secret
	return w.Webhook, err
}

func (b remoteBackend) Webhooks(ctx context.Context) ([]license.Webhook, error) {
	return b.c.Webhooks(ctx)
}

func (b remoteBackend) DeleteWebhook(ctx context.Context, id string) (license.Webhook, error) {
	id = strings.ToLower(id)
	w, err := b.c.Webhook(ctx, id)
	if err != nil {
		return license.Webhook{}, err
	}
	return w, b.c.DeleteWebhook(ctx, id)
}

func (b remoteBackend) WebhookAttempts(ctx context.Context, id string) ([]license.Attempt, error) {
	var out []license.Attempt
	for a, err := range b.c.AllWebhookDeliveries(ctx, strings.ToLower(id), admin.PageQuery{Limit: admin.MaxLimit}) {
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// problemDetail returns the detail of a problem the admin API or the
// JSON protocol (/v1/…) answered with, if err is one.
func problemDetail(err error) (string, bool) {
	var p *admin.Problem
	if errors.As(err, &p) && p.Detail != "" {
		return p.Detail, true
	}
	var cp *client.ProblemError
	if errors.As(err, &cp) && cp.Detail != "" {
		return cp.Detail, true
	}
	return "", false
}
