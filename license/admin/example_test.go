package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/admin"
	"github.com/licgate/licgate/license/memstore"
)

// exampleService is a service on memory for the examples.
func exampleService() *license.Service {
	key, _ := license.GenerateSigningKey()
	keys, _ := license.NewKeySet(key)
	svc, _ := license.NewService(memstore.New(),
		license.WithKeySet(keys),
		license.WithSecret([]byte("a secret of at least thirty-two bytes")))
	return svc
}

// Mount the admin API under /admin/v1/ of a ServeMux, make a token, and
// create a product and a license through the Client.
func ExampleNew() {
	ctx := context.Background()
	svc := exampleService()
	defer svc.Close(ctx)

	h, err := admin.New(svc)
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/v1/", http.StripPrefix("/admin/v1", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// The token is shown once; only its hash is stored.
	_, token, err := svc.CreateAdminToken(ctx, "shop", license.ScopeAdmin)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := admin.NewClient(srv.URL+"/admin/v1", token)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := c.CreateProduct(ctx, admin.NewProduct{ID: "cad", Name: "Acme CAD", Major: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := c.CreateLicense(ctx, admin.NewLicense{
		ProductID: p.ID, Customer: license.Customer{Email: "ann@example.com"}, Seats: 2,
	}, admin.WithIdempotencyKey("order-1042"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("product:", p.Name, p.Version(), "with a public key:", p.PublicKey != "")
	fmt.Println("license:", l.ProductID, l.Email, l.Seats, "seats,", l.Status)
	fmt.Println("credentials:", l.Key != "", l.ProductKey != "")

	page, _ := c.Audit(ctx, admin.AuditFilter{Target: "license/" + l.ID})
	e := page.Data[0]
	fmt.Println("audit:", e.Type, "by", e.Actor.Name, "over", e.Actor.Protocol)
	// Output:
	// product: Acme CAD 3.0 with a public key: true
	// license: cad ann@example.com 2 seats, active
	// credentials: true true
	// audit: license.created by shop over api
}

// The client returns the server's refusals as a *Problem, which matches
// the license sentinel of its reason.
func ExampleProblem() {
	ctx := context.Background()
	svc := exampleService()
	defer svc.Close(ctx)
	h, _ := admin.New(svc)
	srv := httptest.NewServer(h) // mounted at the root
	defer srv.Close()
	_, token, _ := svc.CreateAdminToken(ctx, "crm", license.ScopeRead)
	c, _ := admin.NewClient(srv.URL, token)

	for _, try := range []func() error{
		func() error { _, err := c.License(ctx, "0190a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b"); return err },
		func() error { _, err := c.CreateWebhook(ctx, "https://example.com/hook"); return err },
		func() error { _, err := c.Licenses(ctx, admin.LicenseFilter{Email: "ann@example.com"}); return err },
	} {
		err := try()
		var p *admin.Problem
		switch {
		case err == nil:
			fmt.Println("ok")
		case errors.Is(err, license.ErrNotFound):
			fmt.Println("not found:", err.(*admin.Problem).Detail)
		case errors.As(err, &p):
			fmt.Println(p.Status, p.Reason+":", p.Detail)
		default:
			fmt.Println("cannot reach the server:", err)
		}
	}
	// Output:
	// not found: The license "0190a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b" does not exist.
	// 403 forbidden: The token "crm" may only read.
	// ok
}
