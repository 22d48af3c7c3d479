package reasons_test

import (
	"fmt"

	"github.com/licgate/licgate/internal/reasons"
	"github.com/licgate/licgate/license"
)

func ExampleKindOf() {
	reason := license.Outcome(license.ErrNoSeats)
	k, _ := reasons.KindOf(reason)
	fmt.Println(k.Status, k.Title, reasons.Sentinel(reason) == license.ErrNoSeats)
	// Output: 409 No seats left true
}
