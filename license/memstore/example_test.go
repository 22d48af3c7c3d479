package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
)

// Two computers race for the one seat of a license: the first takes it, the
// second finds none, and the first coming back gets its own activation again.
func ExampleNew() {
	ctx := context.Background()
	s := memstore.New()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

	if err := s.CreateProduct(ctx, license.Product{ID: "app", Name: "App", Major: 1, CreatedAt: now}); err != nil {
		fmt.Println(err)
		return
	}
	id, _ := license.NewUUID()
	key, _ := license.NewKey(license.KeyPermanent)
	l := license.License{
		ID: id, Key: key, ProductID: "app", Customer: license.Customer{Email: "ada@example.com"},
		Seats: 1, Status: license.StatusActive, CreatedAt: now,
	}
	if err := s.CreateLicense(ctx, l); err != nil {
		fmt.Println(err)
		return
	}
	for _, computer := range []string{"pc-1", "pc-2", "pc-1"} {
		aid, _ := license.NewUUID()
		ck, _ := license.NewKey(license.ComputerPermanent)
		a := license.Activation{
			AID: aid, LicenseID: l.ID, ComputerID: computer, ComputerKey: ck,
			Status: license.StatusActive, ActivatedAt: now,
		}
		_, existing, err := s.Activate(ctx, license.ActivateParams{
			Activation: a,
			Check:      func(cur license.License) error { return cur.Usable(now) },
		})
		switch {
		case errors.Is(err, license.ErrNoSeats):
			fmt.Println(computer, "finds no seat")
		case err != nil:
			fmt.Println(computer, err)
		default:
			fmt.Println(computer, "activated, existing:", existing)
		}
	}
	// Output:
	// pc-1 activated, existing: false
	// pc-2 finds no seat
	// pc-1 activated, existing: true
}
