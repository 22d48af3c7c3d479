package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/middleware"
)

// seedDemo creates a demo product and license if the store has no product,
// and prints how to try them. codesToLog says whether codes by email go to
// the server's log. Another server seeding the same store at the same time
// is not an error.
func seedDemo(ctx context.Context, svc *license.Service, addr string, codesToLog bool, w io.Writer) error {
	ps, err := svc.Products(ctx)
	if err != nil || len(ps) > 0 {
		return err
	}
	p, err := svc.CreateProduct(ctx, license.Product{ID: "demo", Name: "Demo Product", Major: 1, Minor: 0})
	if errors.Is(err, license.ErrConflict) {
		return nil
	}
	if err != nil {
		return err
	}
	l, err := svc.CreateLicense(ctx, license.NewLicense{
		ProductID: p.ID,
		Customer:  license.Customer{Email: "demo@example.com", Name: "Demo Customer", Company: "Example Corp"},
		Seats:     3,
		Features:  []string{"reports", "export"},
	})
	if err != nil {
		return err
	}
	base := "http://" + addr
	where := "it appears in this server's log"
	if !codesToLog {
		where = "it goes to demo@example.com by the configured -smtp"
	}
	fmt.Fprintf(w, `licgate: seeded a demo product %q and a 3-seat license for %s
  license ID:      %s (an identifier: it grants nothing)
  activation key:  %s (a credential, for QLM)
  EMS product key: %s (a credential, for EMS)
Try it:
  # activate by activation key
  curl '%s/qlm/qlmservice.asmx/ValidateLicenseHttp?is_avkey=%s&is_pcid=my-pc'
  # or by email: ask for a code (%s), then activate with it
  curl '%s/qlm/qlmservice.asmx/RequestAuthorizationCodeForActivationHttp?is_email=demo@example.com&is_pcid=my-pc&is_productid=demo&is_majorversion=1&is_minorverson=0'
  curl '%s/qlm/qlmservice.asmx/ActivateKeyByAuthorizationCodeHttp?is_authcode=CODE&is_pcid=my-pc&is_productid=demo&is_majorversion=1'
  # then call the gated demo route with the <activationToken> of the answer
  curl -H 'Authorization: Bearer TOKEN' %s/demo/hello
  curl -H 'Authorization: Bearer TOKEN' %s/demo/features/reports
  # or log in to EMS with the product key and read it
  curl -c ems.cookies -X POST '%s/ems/v90/ws/loginByProductKey.ws?productKey=%s'
  curl -b ems.cookies '%s/ems/v90/ws/productKey/%s.ws'
`, p.ID, l.Email, l.ID, l.Key, l.ProductKey, base, l.Key, where, base, base, base, base, base, l.ProductKey, base, l.ProductKey)
	return nil
}

// demoHello answers with what the gate knows of the request: on
// /demo/hello the grant it let the request through with, on /demo/public,
// the same handler without the gate, nothing.
func demoHello(w http.ResponseWriter, r *http.Request) {
	g, _ := middleware.FromContext(r.Context())
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"hello":      "licensed world",
		"aid":        g.AID(),
		"licenseId":  g.State.LicenseID,
		"productId":  g.State.ProductID,
		"computerId": g.Claims.ComputerID,
		"features":   g.State.Features,
		"stale":      g.Stale,
	})
}
