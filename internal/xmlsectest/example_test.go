package xmlsectest_test

import (
	"testing"

	"github.com/licgate/licgate/internal/xmlsectest"
)

// A test checks a signed answer saved to answer.xml against the product's
// public key alone, exported to key.pem.
func ExampleVerify() {
	var t *testing.T // the test's own
	if out, err := xmlsectest.Verify(t, "answer.xml", "key.pem"); err != nil {
		t.Fatalf("xmlsec1 refused the signature: %v\n%s", err, out)
	}
}
