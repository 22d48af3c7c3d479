package qlm_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/qlm"
)

// A vendor moving from QLM imports the product's key as QLM exported it,
// .NET <RSAKeyValue> XML with the private parts; PEM is read the same way.
func ExampleParseRSAPrivateKey() {
	for _, name := range []string{"rsakey-dotnet.xml", "rsakey-pkcs1.pem", "rsakey-pkcs8.pem"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			log.Fatal(err)
		}
		key, err := qlm.ParseRSAPrivateKey(data)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(name, key.N.BitLen())
	}
	// Output:
	// rsakey-dotnet.xml 2048
	// rsakey-pkcs1.pem 2048
	// rsakey-pkcs8.pem 2048
}

// Keys too small to sign QLM answers are refused with a reason; the
// error also matches [license.ErrInvalid], whose sentence
// ([license.Explain]) gives the reason to the person who sent the key.
func ExampleParseRSAPrivateKey_errorChecking() {
	data, err := os.ReadFile("testdata/rsakey-1024-dotnet.xml")
	if err != nil {
		log.Fatal(err)
	}
	_, err = qlm.ParseRSAPrivateKey(data)
	switch {
	case errors.Is(err, qlm.ErrRSAKey):
		fmt.Println(err)
		fmt.Println(errors.Is(err, license.ErrInvalid))
	case err != nil:
		log.Fatal(err)
	}
	// Output:
	// qlm: unusable RSA key: the key has 1024 bits; at least 2048 are needed
	// true
}

// The public key, for the programs that verify the product's answers: in
// .NET form for QLM's clients, and in PEM for everyone else.
func ExampleMarshalRSAKeyValue() {
	data, err := os.ReadFile("testdata/rsakey-pkcs8.pem")
	if err != nil {
		log.Fatal(err)
	}
	key, err := qlm.ParseRSAPrivateKey(data)
	if err != nil {
		log.Fatal(err)
	}
	xml := string(qlm.MarshalRSAKeyValue(&key.PublicKey))
	fmt.Println(xml[:len("<RSAKeyValue><Modulus>")], "…", xml[strings.Index(xml, "</Modulus>"):])
	pem, err := qlm.MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.SplitN(string(pem), "\n", 2)[0])
	// Output:
	// <RSAKeyValue><Modulus> … </Modulus><Exponent>AQAB</Exponent></RSAKeyValue>
	// -----BEGIN PUBLIC KEY-----
}
