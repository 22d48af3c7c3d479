package xmlmodel_test

import (
	"fmt"
	"time"

	"github.com/licgate/licgate/xmlmodel"
)

// A QLM failure, as every QLM client expects it: 200, and an <error>.
func ExampleMarshalQLM() {
	b, _ := xmlmodel.MarshalQLM(xmlmodel.QLMResult{Error: "The activation key is not valid"}, false)
	fmt.Println(string(b))
	// Output:
	// <?xml version='1.0' encoding='UTF-8'?><QuickLicenseManager><error>The activation key is not valid</error></QuickLicenseManager>
}

func ExampleQLMMinute() {
	t := xmlmodel.QLMMinute(time.Date(2024, 9, 2, 23, 59, 30, 0, time.UTC))
	b, _ := t.MarshalText()
	fmt.Println(string(b))
	// Output: 2024-09-02 23:59
}
