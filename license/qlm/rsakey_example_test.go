package qlm_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/qlm"
)

// A vendor moving from QLM imports the product's key as QLM exported it,
// .NET <RSAKeyValue> XML with the private parts; PEM is read the same way.
// Here a key made on the spot stands for the exported file.
func ExampleParseRSAPrivateKey() {
	made, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		log.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(made)
	if err != nil {
		log.Fatal(err)
	}
	for _, file := range []struct {
		form string
		data []byte
	}{
		{".NET XML", rsaKeyValueXML(made)}, // what RSA.ToXmlString(true) writes
		{"PKCS #1 PEM", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(made)})},
		{"PKCS #8 PEM", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})},
	} {
		key, err := qlm.ParseRSAPrivateKey(file.data)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(file.form, key.N.BitLen(), key.Equal(made))
	}
	// Output:
	// .NET XML 2048 true
	// PKCS #1 PEM 2048 true
	// PKCS #8 PEM 2048 true
}

// Keys too small to sign QLM answers are refused with a reason; the
// error also matches [license.ErrInvalid], whose sentence
// ([license.Explain]) gives the reason to the person who sent the key.
func ExampleParseRSAPrivateKey_errorChecking() {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		log.Fatal(err)
	}
	_, err = qlm.ParseRSAPrivateKey(rsaKeyValueXML(small))
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
	made, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		log.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(made)
	if err != nil {
		log.Fatal(err)
	}
	key, err := qlm.ParseRSAPrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}))
	if err != nil {
		log.Fatal(err)
	}
	xml := string(qlm.MarshalRSAKeyValue(&key.PublicKey))
	fmt.Println(xml[:len("<RSAKeyValue><Modulus>")], "…", xml[strings.Index(xml, "</Modulus>"):])
	pubPEM, err := qlm.MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.SplitN(string(pubPEM), "\n", 2)[0])
	// Output:
	// <RSAKeyValue><Modulus> … </Modulus><Exponent>AQAB</Exponent></RSAKeyValue>
	// -----BEGIN PUBLIC KEY-----
}
