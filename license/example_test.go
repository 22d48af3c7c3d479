package license_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

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

// Activation by key: the client presents the activation key, which names
// the license; a computer that activates again keeps its seat; a new one
// needs a free seat.
func ExampleService_Activate() {
	ctx := context.Background()
	svc := newService()
	defer svc.Close(ctx)
	svc.CreateProduct(ctx, license.Product{ID: "cad", Name: "Acme CAD", Major: 3})
	created, _ := svc.CreateLicense(ctx, license.NewLicense{ProductID: "cad", Customer: license.Customer{Email: "ann@example.com"}, Seats: 1})

	activate := func(computer string) (license.Result, error) {
		l, err := svc.LicenseByKey(ctx, created.Key) // the credential the client typed
		if err != nil {
			return license.Result{}, err
		}
		return svc.Activate(ctx, license.ActivationRequest{LicenseID: l.ID, ComputerID: computer})
	}
	first, _ := activate("pc-1")
	again, _ := activate("pc-1")
	_, err := activate("pc-2")

	fmt.Println("same activation:", first.Activation.AID == again.Activation.AID, again.Existing)
	fmt.Println("seats held:", again.License.SeatsHeld, "of", again.License.Seats)
	switch {
	case errors.Is(err, license.ErrNoSeats):
		fmt.Println("second computer:", license.Explain(err))
	case err != nil:
		fmt.Println("other error:", err)
	}
	// Output:
	// same activation: true true
	// seats held: 1 of 1
	// second computer: Every seat of the license is in use.
}

// Verifying an activation token, and telling the failures apart.
func ExampleVerifier_Verify() {
	ctx := context.Background()
	svc := newService()
	defer svc.Close(ctx)
	svc.CreateProduct(ctx, license.Product{ID: "cad", Name: "Acme CAD", Major: 3})
	l, _ := svc.CreateLicense(ctx, license.NewLicense{ProductID: "cad", Seats: 1, Features: []string{"render"}})
	res, _ := svc.Activate(ctx, license.ActivationRequest{LicenseID: l.ID, ComputerID: "pc-1"})

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

// counter is an Observer that counts activations by protocol and outcome,
// as a metrics adapter does. It must be fast and safe for concurrent use.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) Activation(_ context.Context, e license.ActivationEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[e.Actor.Protocol+" "+e.Outcome]++
}

func (c *counter) CodeRequest(context.Context, license.CodeEvent) {}

// An observer is told of every activation attempt, with the actor a
// protocol handler put in the context and a stable outcome.
func ExampleWithObserver() {
	ctx := context.Background()
	c := &counter{n: map[string]int{}}
	key, _ := license.GenerateSigningKey()
	keys, _ := license.NewKeySet(key)
	svc, _ := license.NewService(memstore.New(), license.WithKeySet(keys),
		license.WithSecret([]byte("a secret of at least thirty-two bytes")), license.WithObserver(c))
	defer svc.Close(ctx)
	svc.CreateProduct(ctx, license.Product{ID: "cad", Name: "Acme CAD", Major: 3})
	l, _ := svc.CreateLicense(ctx, license.NewLicense{ProductID: "cad", Customer: license.Customer{Email: "ann@example.com"}, Seats: 1})

	ctx = license.WithActor(ctx, license.Actor{Protocol: "qlm", Addr: "192.0.2.1", RequestID: "req-1"})
	svc.Activate(ctx, license.ActivationRequest{LicenseID: l.ID, ComputerID: "pc-1"})
	svc.Activate(ctx, license.ActivationRequest{LicenseID: l.ID, ComputerID: "pc-2"})
	fmt.Println(c.n["qlm ok"], c.n["qlm no_seats"])
	// Output: 1 1
}
