package qlm_test

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"log"
	"strings"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/qlm"
	"github.com/licgate/licgate/xmlmodel"
)

// A QLM answer signed as QLM's clients verify it. The Handler signs its
// license answers itself; SignAnswer serves those who build answers of
// their own.
func ExampleSignAnswer() {
	made, err := rsa.GenerateKey(rand.Reader, 2048) // stands for the product's key
	if err != nil {
		log.Fatal(err)
	}
	data := rsaKeyValueXML(made) // as QLM exports it: .NET's RSA.ToXmlString(true)
	key, err := qlm.ParseRSAPrivateKey(data)
	if err != nil {
		log.Fatal(err)
	}
	body, err := xmlmodel.MarshalQLM(xmlmodel.QLMResult{Result: "ok"}, false)
	if err != nil {
		log.Fatal(err)
	}
	signed, err := qlm.SignAnswer(body, key, license.SignatureRSASHA1)
	if err != nil {
		log.Fatal(err)
	}
	s := string(signed)
	fmt.Println(s[:strings.Index(s, "<SignedInfo>")])
	fmt.Println(strings.HasSuffix(s, "</SignatureValue></Signature></QuickLicenseManager>"))
	// Output:
	// <?xml version='1.0' encoding='UTF-8'?><QuickLicenseManager><result>ok</result><Signature xmlns="http://www.w3.org/2000/09/xmldsig#">
	// true
}
