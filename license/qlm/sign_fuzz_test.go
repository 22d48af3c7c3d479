package qlm_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/licgate/licgate/license/qlm"
	"github.com/licgate/licgate/xmlmodel"
)

// FuzzSignAnswer checks that SignAnswer either refuses a body as not an
// answer, or returns the body, unchanged but for the signature inserted
// before its end tag, with a signature that verifies.
func FuzzSignAnswer(f *testing.F) {
	key := testKey(f)
	for _, a := range sampleAnswers() {
		for _, bom := range []bool{false, true} {
			b, err := xmlmodel.MarshalQLM(a, bom)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("<QuickLicenseManager><?pi x?><!--c--><![CDATA[<&>]]><a b='&#9;&#10;&#13;'>&#13;\r\n</a></QuickLicenseManager> \n"))
	f.Add([]byte(`<QuickLicenseManager xmlns:p="urn:p"><p:a xml:lang="fr"/></QuickLicenseManager>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		signed, err := qlm.SignAnswer(body, key, "")
		if err != nil {
			if !errors.Is(err, qlm.ErrNotAnswer) {
				t.Fatalf("got %v, want ErrNotAnswer", err)
			}
			return
		}
		i := bytes.LastIndex(signed, []byte("<Signature xmlns="))
		if i < 0 || !bytes.HasPrefix(body, signed[:i]) || !bytes.HasSuffix(signed, body[i:]) || len(signed) <= len(body) {
			t.Fatalf("the body changed:\n%q\n%q", body, signed)
		}
		if err := verifyLikeXMLCrypto(signed, &key.PublicKey); err != nil {
			t.Fatalf("%v:\n%q", err, signed)
		}
	})
}
