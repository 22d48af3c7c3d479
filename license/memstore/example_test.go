package memstore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
)

// A service on a store in memory, for tests and examples: two computers race
// for the one seat of a license; the first takes it, the second finds none,
// and the first coming back gets its own activation again.
func ExampleNew() {
	ctx := context.Background()
	key, _ := license.GenerateSigningKey()
	keys, _ := license.NewKeySet(key)
	svc, _ := license.NewService(memstore.New(), license.WithKeySet(keys),
		license.WithSecret([]byte("a secret of at least thirty-two bytes")))
	defer svc.Close(ctx)

	svc.CreateProduct(ctx, license.Product{ID: "app", Name: "App", Major: 1})
	l, _ := svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Seats: 1})
	for _, computer := range []string{"pc-1", "pc-2", "pc-1"} {
		res, err := svc.Activate(ctx, license.ActivationRequest{LicenseID: l.ID, ComputerID: computer})
		switch {
		case errors.Is(err, license.ErrNoSeats):
			fmt.Println(computer, "finds no seat")
		case err != nil:
			fmt.Println(computer, err)
		default:
			fmt.Println(computer, "activated, existing:", res.Existing, "seats held:", res.License.SeatsHeld)
		}
	}
	// Output:
	// pc-1 activated, existing: false seats held: 1
	// pc-2 finds no seat
	// pc-1 activated, existing: true seats held: 1
}
