package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

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
	// No email: codes by email find the license above alone.
	fl, err := svc.CreateLicense(ctx, license.NewLicense{
		ProductID: p.ID,
		Customer:  license.Customer{Name: "Demo Build Farm", Company: "Example Corp"},
		Seats:     2,
		Features:  []string{"reports"},
		Floating:  true,
		LeaseTTL:  time.Minute,
	})
	if err != nil {
		return err
	}
	where := "it appears in this server's log"
	if !codesToLog {
		where = "it goes to demo@example.com by the configured -smtp"
	}
	fmt.Fprintf(w, `licgate: seeded a demo product %[1]q, a 3-seat license for %[2]s and a 2-seat floating license
  license ID:      %[3]s (an identifier: it grants nothing)
  activation key:  %[4]s (a credential, for QLM and /v1/…)
  EMS product key: %[5]s (a credential, for EMS)
  floating key:    %[6]s (a credential: leases of 1 minute, renewed by heartbeats)
Try it:
  # activate by activation key
  curl '%[7]s/qlm/qlmservice.asmx/ValidateLicenseHttp?is_avkey=%[4]s&is_pcid=my-pc'
  # or by email: ask for a code (%[8]s), then activate with it
  curl '%[7]s/qlm/qlmservice.asmx/RequestAuthorizationCodeForActivationHttp?is_email=demo@example.com&is_pcid=my-pc&is_productid=demo&is_majorversion=1&is_minorverson=0'
  curl '%[7]s/qlm/qlmservice.asmx/ActivateKeyByAuthorizationCodeHttp?is_authcode=CODE&is_pcid=my-pc&is_productid=demo&is_majorversion=1'
  # then call the gated demo route with the <activationToken> of the answer
  curl -H 'Authorization: Bearer TOKEN' %[7]s/demo/hello
  curl -H 'Authorization: Bearer TOKEN' %[7]s/demo/features/reports
  # or log in to EMS with the product key and read it
  curl -c ems.cookies -X POST '%[7]s/ems/v90/ws/loginByProductKey.ws?productKey=%[5]s'
  curl -b ems.cookies '%[7]s/ems/v90/ws/productKey/%[5]s.ws'
  # lease a seat of the floating license (a third instance gets 409 no_seats),
  # renew it with the "id" and "token" of the answer, give it back
  curl -s %[7]s/v1/leases -H 'Content-Type: application/json' -d '{"key":"%[6]s","instance":"worker-1"}'
  curl -s -X POST %[7]s/v1/leases/ID/heartbeat -H 'Authorization: Bearer TOKEN'
  curl -s -X DELETE %[7]s/v1/leases/ID -H 'Authorization: Bearer TOKEN'
  # activate a computer with no network: its request file, answered with a
  # license file (or upload request.json at %[7]s/offline)
  licgate offline request -key %[4]s -computer offline-pc > request.json
  curl -s %[7]s/v1/offline -H 'Content-Type: application/json' --data-binary @request.json > license.json
  # the key IDs a program pins to trust license files: the kid of each key
  curl -s %[7]s/.well-known/jwks.json
  licgate keys -server %[7]s
`, p.ID, l.Email, l.ID, l.Key, l.ProductKey, fl.Key, "http://"+addr, where)
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
