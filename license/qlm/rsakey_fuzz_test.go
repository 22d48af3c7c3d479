package qlm_test

import (
	"testing"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/qlm"
)

// FuzzParseRSAPrivateKey checks that no input makes the key parsers panic,
// and that every key they accept can sign and exports a public key that
// reads back as the same key.
func FuzzParseRSAPrivateKey(f *testing.F) {
	for _, seed := range keySeeds(f) {
		f.Add(seed)
	}
	f.Add([]byte("<RSAKeyValue><Modulus>AQAB</Modulus><Exponent>AQAB</Exponent><P>Aw==</P><Q>BQ==</Q><DP>AQ==</DP><DQ>AQ==</DQ><InverseQ>AQ==</InverseQ><D>AQ==</D></RSAKeyValue>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := qlm.ParseRSAPrivateKey(data)
		if err != nil {
			return
		}
		if k.N.BitLen() < license.MinRSABits || k.Validate() != nil {
			t.Fatalf("accepted an unfit key of %d bits", k.N.BitLen())
		}
		pub, err := qlm.ParseRSAPublicKey(qlm.MarshalRSAKeyValue(&k.PublicKey))
		if err != nil || !pub.Equal(&k.PublicKey) {
			t.Fatalf("the public key does not read back: %v", err)
		}
		if _, err := qlm.SignAnswer([]byte("<QuickLicenseManager><result/></QuickLicenseManager>"), k, ""); err != nil {
			t.Fatalf("an accepted key cannot sign: %v", err)
		}
	})
}

// FuzzParseRSAPublicKey checks that no input makes the public key parser
// panic, and that what it accepts exports and reads back in both forms.
func FuzzParseRSAPublicKey(f *testing.F) {
	for _, seed := range keySeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pub, err := qlm.ParseRSAPublicKey(data)
		if err != nil {
			return
		}
		if pub.N.BitLen() < license.MinRSABits {
			t.Fatalf("accepted a key of %d bits", pub.N.BitLen())
		}
		p, err := qlm.MarshalPublicKeyPEM(pub)
		if err != nil {
			t.Fatal(err)
		}
		for _, form := range [][]byte{p, qlm.MarshalRSAKeyValue(pub)} {
			if back, err := qlm.ParseRSAPublicKey(form); err != nil || !back.Equal(pub) {
				t.Fatalf("%s does not read back: %v", form, err)
			}
		}
	})
}
