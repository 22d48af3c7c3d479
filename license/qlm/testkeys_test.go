package qlm_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/licgate/licgate/license/qlm"
)

// The tests' RSA keys are generated when the test binary runs, never
// stored: a private key in the tree cannot be told from a leaked one.
// Each key is generated once per binary, on first use.

// testKeyForms is one key in each form the tests read or compare with.
type testKeyForms struct {
	key *rsa.PrivateKey
	// dotnet is the key as .NET's RSA.ToXmlString(true) writes it, the
	// form QLM exports a product's key in.
	dotnet []byte
	// pkcs1 and pkcs8 are the key in PEM: "RSA PRIVATE KEY" and "PRIVATE KEY".
	pkcs1, pkcs8 []byte
	// publicXML and publicPEM are the public part as .NET's
	// RSA.ToXmlString(false) and openssl's "PUBLIC KEY" write it, built
	// here without qlm's marshalers so that tests can compare with them.
	publicXML, publicPEM []byte
}

var generatedKey = sync.OnceValues(func() (*testKeyForms, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	if k.E != 65537 {
		return nil, fmt.Errorf("the key's exponent is %d, not 65537", k.E)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	pubPEM, err := publicKeyPEM2048(&k.PublicKey)
	if err != nil {
		return nil, err
	}
	return &testKeyForms{
		key:       k,
		dotnet:    rsaKeyValueXML(k),
		pkcs1:     pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}),
		pkcs8:     pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		publicXML: publicRSAKeyValueXML(&k.PublicKey),
		publicPEM: pubPEM,
	}, nil
})

// testKeys returns the test binary's 2048-bit key in all its forms.
func testKeys(tb testing.TB) *testKeyForms {
	tb.Helper()
	f, err := generatedKey()
	if err != nil {
		tb.Fatalf("generating the test key: %v", err)
	}
	return f
}

// testKey returns the test binary's 2048-bit key, parsed from its .NET
// form as a product's key imported from QLM is.
func testKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	f := testKeys(tb)
	k, err := qlm.ParseRSAPrivateKey(f.dotnet)
	if err != nil {
		tb.Fatal(err)
	}
	if !k.Equal(f.key) {
		tb.Fatal("the .NET form reads back as another key")
	}
	return k
}

var generated1024 = sync.OnceValues(func() ([]byte, error) {
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		return nil, err
	}
	return rsaKeyValueXML(k), nil
})

// smallKeyXML returns a valid 1024-bit key, too small for QLM answers,
// in .NET's <RSAKeyValue> form with the private parts.
func smallKeyXML(tb testing.TB) []byte {
	tb.Helper()
	b, err := generated1024()
	if err != nil {
		tb.Fatalf("generating a 1024-bit key: %v", err)
	}
	return b
}

var opensslKeyPEM = sync.OnceValues(func() ([]byte, error) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		return nil, err
	}
	// No -out: the key goes to a pipe, never to a file.
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("openssl genpkey: %v: %s", err, stderr.Bytes())
	}
	return out, nil
})

// otherKeyPEM returns a second 2048-bit key, as openssl genpkey writes it
// (PKCS #8 PEM): a key made by another implementation than Go's. Without
// openssl the test is skipped, except in CI, where its absence fails the
// test, as for xmlsec1.
func otherKeyPEM(tb testing.TB) []byte {
	tb.Helper()
	b, err := opensslKeyPEM()
	if errors.Is(err, exec.ErrNotFound) {
		if os.Getenv("CI") == "" {
			tb.Skip("openssl is not installed; CI runs this test")
		}
		tb.Fatal("openssl is not installed, and CI needs it")
	}
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		tb.Fatalf("openssl genpkey wrote no PKCS #8 PEM: %.40q", b)
	}
	return b
}

// keySeeds are the key forms the parsers' fuzz targets start from:
// private keys in every form, public keys, and one too small. openssl's
// key is left out where openssl is missing, except in CI.
func keySeeds(f *testing.F) [][]byte {
	f.Helper()
	k := testKeys(f)
	seeds := [][]byte{k.dotnet, k.pkcs1, k.pkcs8, k.publicXML, k.publicPEM, smallKeyXML(f)}
	other, err := opensslKeyPEM()
	switch {
	case err == nil:
		seeds = append(seeds, other)
	case !errors.Is(err, exec.ErrNotFound) || os.Getenv("CI") != "":
		f.Fatalf("openssl's key: %v", err)
	}
	return seeds
}

// rsaKeyValueXML renders k as .NET's RSA.ToXmlString(true) does: the
// parameters in RSAParameters order, each big-endian and base64, D as long
// as the modulus and P, Q, DP, DQ and InverseQ half as long, zero-padded as
// .NET's ExportParameters returns them; no white space, no final newline.
func rsaKeyValueXML(k *rsa.PrivateKey) []byte {
	size := (k.N.BitLen() + 7) / 8
	half := (size + 1) / 2
	p, q := k.Primes[0], k.Primes[1]
	one := big.NewInt(1)
	var b strings.Builder
	b.WriteString("<RSAKeyValue>")
	for _, x := range []struct {
		name  string
		n     *big.Int
		width int
	}{
		{"Modulus", k.N, size},
		{"Exponent", big.NewInt(int64(k.E)), 0},
		{"P", p, half},
		{"Q", q, half},
		{"DP", new(big.Int).Mod(k.D, new(big.Int).Sub(p, one)), half},
		{"DQ", new(big.Int).Mod(k.D, new(big.Int).Sub(q, one)), half},
		{"InverseQ", new(big.Int).ModInverse(q, p), half},
		{"D", k.D, size},
	} {
		v := x.n.Bytes()
		if x.width > 0 {
			v = x.n.FillBytes(make([]byte, x.width))
		}
		fmt.Fprintf(&b, "<%s>%s</%[1]s>", x.name, base64.StdEncoding.EncodeToString(v))
	}
	b.WriteString("</RSAKeyValue>")
	return []byte(b.String())
}

// publicRSAKeyValueXML renders pub as .NET's RSA.ToXmlString(false) does,
// for a key with the exponent of every key .NET and Go make, 65537 ("AQAB").
func publicRSAKeyValueXML(pub *rsa.PublicKey) []byte {
	return []byte("<RSAKeyValue><Modulus>" + base64.StdEncoding.EncodeToString(pub.N.Bytes()) +
		"</Modulus><Exponent>AQAB</Exponent></RSAKeyValue>")
}

// publicKeyPEM2048 renders a 2048-bit public key with exponent 65537 as
// openssl's "PUBLIC KEY" PEM, from the fixed DER of such a key's
// SubjectPublicKeyInfo rather than with crypto/x509 and encoding/pem.
func publicKeyPEM2048(pub *rsa.PublicKey) ([]byte, error) {
	if pub.N.BitLen() != 2048 || pub.E != 65537 {
		return nil, fmt.Errorf("a %d-bit key with exponent %d, want 2048 and 65537", pub.N.BitLen(), pub.E)
	}
	var der []byte
	der = append(der,
		0x30, 0x82, 0x01, 0x22, // SEQUENCE, 290 bytes: SubjectPublicKeyInfo
		0x30, 0x0d, // SEQUENCE: AlgorithmIdentifier
		0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, // OID 1.2.840.113549.1.1.1, rsaEncryption
		0x05, 0x00, // NULL parameters
		0x03, 0x82, 0x01, 0x0f, 0x00, // BIT STRING, 271 bytes, no unused bits
		0x30, 0x82, 0x01, 0x0a, // SEQUENCE, 266 bytes: RSAPublicKey
		0x02, 0x82, 0x01, 0x01, 0x00, // INTEGER, 257 bytes: the modulus, its top bit set
	)
	der = append(der, pub.N.Bytes()...)
	der = append(der, 0x02, 0x03, 0x01, 0x00, 0x01) // INTEGER 65537
	if len(der) != 4+0x122 {
		return nil, fmt.Errorf("the DER has %d bytes", len(der))
	}
	s := base64.StdEncoding.EncodeToString(der)
	var b strings.Builder
	b.WriteString("-----BEGIN PUBLIC KEY-----\n")
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	b.WriteString(s + "\n-----END PUBLIC KEY-----\n")
	return []byte(b.String()), nil
}
