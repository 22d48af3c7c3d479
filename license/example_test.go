package license_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
)

func newService() *license.Service {
	key, _ := license.GenerateSigningKey()
	keys, _ := license.NewKeySet(key)
	svc, _ := license.NewService(memstore.New(),
		license.WithKeySet(keys),
		license.WithSecret([]byte("a secret of at least thirty-two bytes")))
	return svc
}

// Activation by key, and what happens when the seats run out.
func ExampleService_ValidateKey() {
	ctx := context.Background()
	svc := newService()
	defer svc.Close(ctx)
	svc.CreateProduct(ctx, license.Product{ID: "cad", Name: "Acme CAD", Major: 3})
	l, _ := svc.CreateLicense(ctx, license.NewLicense{ProductID: "cad", Customer: license.Customer{Email: "ann@example.com"}, Seats: 1})

	first, _ := svc.ValidateKey(ctx, license.KeyValidation{Key: l.Key, ComputerID: "pc-1"})
	again, _ := svc.ValidateKey(ctx, license.KeyValidation{Key: l.Key, ComputerID: "pc-1"})
	_, err := svc.ValidateKey(ctx, license.KeyValidation{Key: l.Key, ComputerID: "pc-2"})

	fmt.Println("same activation:", first.Activation.AID == again.Activation.AID, again.Existing)
	fmt.Println("second computer:", errors.Is(err, license.ErrNoSeats))
	// Output:
	// same activation: true true
	// second computer: true
}

// Verifying an activation token, and telling the failures apart.
func ExampleVerifier_Verify() {
	ctx := context.Background()
	svc := newService()
	defer svc.Close(ctx)
	svc.CreateProduct(ctx, license.Product{ID: "cad", Name: "Acme CAD", Major: 3})
	l, _ := svc.CreateLicense(ctx, license.NewLicense{ProductID: "cad", Customer: license.Customer{Email: "ann@example.com"}, Features: []string{"render"}})
	res, _ := svc.ValidateKey(ctx, license.KeyValidation{Key: l.Key, ComputerID: "pc-1"})

	v, _ := license.NewVerifier(license.VerifierConfig{Keyfunc: svc.KeySet().Keyfunc, Issuer: svc.Issuer(), Audiences: []string{"cad"}})
	for _, tok := range []string{res.Token, res.Token + "x"} {
		c, err := v.Verify(tok)
		switch {
		case err == nil:
			fmt.Println("valid, render:", c.HasFeature("render"))
		case errors.Is(err, license.ErrToken):
			fmt.Println("rejected")
		}
	}
	// Output:
	// valid, render: true
	// rejected
}
