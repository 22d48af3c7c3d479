package admin

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/url"

	"github.com/licgate/licgate/license"
)

func (h *Handler) createProduct(c *call, in *NewProduct, _ *none) (Product, error) {
	p, err := h.svc.CreateProduct(c.ctx, license.Product{
		ID: in.ID, Name: in.Name, Major: in.Major, Minor: in.Minor, SignatureAlgorithm: in.SignatureAlgorithm,
	})
	if err != nil {
		return Product{}, err
	}
	c.location = "products/" + url.PathEscape(p.ID)
	return productOf(p)
}

func (h *Handler) listProducts(c *call, _, _ *none) (ProductList, error) {
	ps, err := h.svc.Products(c.ctx)
	if err != nil {
		return ProductList{}, err
	}
	out := ProductList{Data: make([]Product, 0, len(ps))}
	for _, p := range ps {
		ap, err := productOf(p)
		if err != nil {
			return ProductList{}, err
		}
		out.Data = append(out.Data, ap)
	}
	return out, nil
}

func (h *Handler) getProduct(c *call, _, _ *none) (Product, error) {
	id := c.r.PathValue("id")
	p, err := h.svc.Product(c.ctx, id)
	if err != nil {
		return Product{}, named(err, "product", id)
	}
	return productOf(p)
}

// productOf is a product as the API shows it, with its public key.
func productOf(p license.Product) (Product, error) {
	out := Product{Product: p}
	out.RSAKey = nil
	if p.RSAKey != nil {
		der, err := x509.MarshalPKIXPublicKey(&p.RSAKey.PublicKey)
		if err != nil {
			return Product{}, err
		}
		out.PublicKey = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	return out, nil
}

// named makes a bare not-found error of a store name the record, so that
// the client reads which one does not exist.
func named(err error, what, id string) error {
	var nf *license.NotFoundError
	if errors.Is(err, license.ErrNotFound) && !errors.As(err, &nf) {
		return license.NotFound(what, id)
	}
	return err
}
