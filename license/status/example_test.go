package status_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/license/status"
)

// A license server serves the status endpoint; a program holding an
// activation token asks it for the activation's state, and State.Err says
// whether that state lets it work, and if not, why.
func ExampleClient_ActivationState() {
	ctx := context.Background()
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	svc, _ := license.NewService(memstore.New(), license.WithKeySet(ks),
		license.WithSecret([]byte(strings.Repeat("s", 32))))
	svc.CreateProduct(ctx, license.Product{ID: "demo", Name: "Demo", Major: 1})
	l, _ := svc.CreateLicense(ctx, license.NewLicense{ProductID: "demo", Seats: 2, Features: []string{"reports"}})
	act, _ := svc.Activate(ctx, license.ActivationRequest{LicenseID: l.ID, ComputerID: "pc-1"})

	h, _ := status.NewHandler(svc)
	srv := httptest.NewServer(h)
	defer srv.Close()
	c, _ := status.NewClient(srv.URL + status.Path)

	st, err := c.ActivationState(ctx, act.Activation.AID, act.Token)
	fmt.Println(st.Activation, st.License, st.ProductID, st.Features, err, st.Err(time.Now()))

	svc.RevokeActivation(ctx, act.Activation.AID)
	st, _ = c.ActivationState(ctx, act.Activation.AID, act.Token)
	fmt.Println(st.Activation, st.License, st.Status, license.Explain(st.Err(time.Now())))

	_, err = c.ActivationState(ctx, act.Activation.AID, "forged.token.here")
	fmt.Println(errors.Is(err, status.ErrUnauthorized))
	// Output:
	// active active demo [reports] <nil> <nil>
	// revoked active revoked The activation of this computer has been revoked.
	// true
}

// Callers tell the outcomes apart with errors.Is.
func Example_errorChecking() {
	c, _ := status.NewClient("http://127.0.0.1:1" + status.Path)
	_, err := c.ActivationState(context.Background(), "c2396d75-3236-4ca6-9f10-682c62bdebfe", "a.b.c")
	switch {
	case errors.Is(err, license.ErrNotFound):
		fmt.Println("the activation is gone: activate again")
	case errors.Is(err, status.ErrUnauthorized):
		fmt.Println("the token is refused: get a new one")
	case errors.Is(err, status.ErrUnavailable), errors.Is(err, status.ErrBadResponse):
		fmt.Println("the license server cannot be asked now: keep the last known state")
	case err == nil:
		fmt.Println("ok")
	}
	// Output: the license server cannot be asked now: keep the last known state
}
