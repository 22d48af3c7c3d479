package qlm

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"io"
	"math/big"
	"strings"

	"github.com/licgate/licgate/license"
)

// MaxKeyFile is the largest key file the parsers read, in bytes: a
// 16384-bit key in any of the forms takes less.
const MaxKeyFile = 64 << 10

// rsaKeyValue is .NET's RSA.ToXmlString form: big-endian unsigned
// integers in base64; the private parts only with includePrivateParameters.
type rsaKeyValue struct {
	XMLName  xml.Name `xml:"RSAKeyValue"`
	Modulus  string   `xml:"Modulus"`
	Exponent string   `xml:"Exponent"`
	P        string   `xml:"P,omitempty"`
	Q        string   `xml:"Q,omitempty"`
	DP       string   `xml:"DP,omitempty"`
	DQ       string   `xml:"DQ,omitempty"`
	InverseQ string   `xml:"InverseQ,omitempty"`
	D        string   `xml:"D,omitempty"`
}

// ParseRSAPrivateKey reads a product's RSA private key in any form that
// licgate imports, telling them apart by their first bytes: .NET's
// <RSAKeyValue> XML with the private parts (what QLM keeps as a product's
// "Mobile Devices Encryption" key, and what RSA.ToXmlString(true) writes),
// or PEM ("RSA PRIVATE KEY", PKCS #1, or "PRIVATE KEY", PKCS #8). The
// key must be valid and at least [license.MinRSABits] long. Errors match
// [ErrRSAKey].
func ParseRSAPrivateKey(data []byte) (*rsa.PrivateKey, error) {
	if isXML(data) {
		return ParseRSAKeyValue(data)
	}
	return ParseRSAPrivateKeyPEM(data)
}

// ParseRSAKeyValue reads .NET's <RSAKeyValue> XML with the private parts
// (Modulus, Exponent, P, Q, DP, DQ, InverseQ, D, each base64). The parts
// must agree with one another and the key must be at least
// [license.MinRSABits] long. Errors match [ErrRSAKey].
func ParseRSAKeyValue(data []byte) (*rsa.PrivateKey, error) {
	v, err := decodeRSAKeyValue(data)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(v.D) == "" && strings.TrimSpace(v.P) == "" {
		return nil, keyErrorf("the <RSAKeyValue> has no private parts (P, Q, D…): it is a public key; export the key with its private parameters")
	}
	var n, e, p, q, dp, dq, qinv, d *big.Int
	for _, x := range []struct {
		name, b64 string
		n         **big.Int
	}{
		{"Modulus", v.Modulus, &n}, {"Exponent", v.Exponent, &e}, {"P", v.P, &p}, {"Q", v.Q, &q},
		{"DP", v.DP, &dp}, {"DQ", v.DQ, &dq}, {"InverseQ", v.InverseQ, &qinv}, {"D", v.D, &d},
	} {
		if *x.n, err = xmlInt(x.name, x.b64); err != nil {
			return nil, err
		}
	}
	if !e.IsInt64() || e.Int64() > 1<<31-1 {
		return nil, keyErrorf("the public exponent is too large")
	}
	k := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: n, E: int(e.Int64())},
		D:         d,
		Primes:    []*big.Int{p, q},
	}
	if err := checkRSAKey(k); err != nil {
		return nil, err
	}
	k.Precompute()
	if k.Precomputed.Dp == nil || k.Precomputed.Dp.Cmp(dp) != 0 || k.Precomputed.Dq.Cmp(dq) != 0 || k.Precomputed.Qinv.Cmp(qinv) != 0 {
		return nil, keyErrorf("DP, DQ or InverseQ does not agree with P, Q and D")
	}
	return k, nil
}

// ParseRSAPrivateKeyPEM reads the first private key of a PEM file: "RSA
// PRIVATE KEY" (PKCS #1) or "PRIVATE KEY" (PKCS #8, holding an RSA key).
// Other blocks before it, such as a certificate, are skipped. Encrypted
// keys are refused: decrypt them first (openssl pkey). The key must be at
// least [license.MinRSABits] long. Errors match [ErrRSAKey].
func ParseRSAPrivateKeyPEM(data []byte) (*rsa.PrivateKey, error) {
	if len(data) > MaxKeyFile {
		return nil, keyErrorf("the key file is larger than %d bytes", MaxKeyFile)
	}
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, keyErrorf("no PEM private key (RSA PRIVATE KEY or PRIVATE KEY) and no <RSAKeyValue> found")
		}
		var k *rsa.PrivateKey
		switch b.Type {
		case "RSA PRIVATE KEY":
			if b.Headers["Proc-Type"] != "" {
				return nil, keyErrorf("the PEM key is encrypted; decrypt it first")
			}
			var err error
			if k, err = x509.ParsePKCS1PrivateKey(b.Bytes); err != nil {
				return nil, keyErrorf("the PKCS #1 key cannot be read: %v", err)
			}
		case "PRIVATE KEY":
			parsed, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, keyErrorf("the PKCS #8 key cannot be read: %v", err)
			}
			var ok bool
			if k, ok = parsed.(*rsa.PrivateKey); !ok {
				return nil, keyErrorf("the PKCS #8 key is a %T, not an RSA key", parsed)
			}
		case "ENCRYPTED PRIVATE KEY":
			return nil, keyErrorf("the PEM key is encrypted; decrypt it first")
		default:
			continue
		}
		if err := checkRSAKey(k); err != nil {
			return nil, err
		}
		k.Precompute()
		return k, nil
	}
}

// ParseRSAPublicKey reads an RSA public key as clients hold it: .NET's
// <RSAKeyValue> XML (only Modulus and Exponent are read; private parts, if
// present, are ignored), or PEM ("PUBLIC KEY", PKIX, or "RSA PUBLIC KEY",
// PKCS #1). A private key's PEM is not accepted. The key must be at least
// [license.MinRSABits] long. Errors match [ErrRSAKey].
func ParseRSAPublicKey(data []byte) (*rsa.PublicKey, error) {
	var pub *rsa.PublicKey
	if isXML(data) {
		v, err := decodeRSAKeyValue(data)
		if err != nil {
			return nil, err
		}
		n, err := xmlInt("Modulus", v.Modulus)
		if err != nil {
			return nil, err
		}
		e, err := xmlInt("Exponent", v.Exponent)
		if err != nil {
			return nil, err
		}
		if !e.IsInt64() || e.Int64() > 1<<31-1 {
			return nil, keyErrorf("the public exponent is too large")
		}
		pub = &rsa.PublicKey{N: n, E: int(e.Int64())}
	} else {
		if len(data) > MaxKeyFile {
			return nil, keyErrorf("the key file is larger than %d bytes", MaxKeyFile)
		}
		for rest := data; pub == nil; {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				return nil, keyErrorf("no PEM public key (PUBLIC KEY or RSA PUBLIC KEY) and no <RSAKeyValue> found")
			}
			switch b.Type {
			case "PUBLIC KEY":
				parsed, err := x509.ParsePKIXPublicKey(b.Bytes)
				if err != nil {
					return nil, keyErrorf("the PKIX public key cannot be read: %v", err)
				}
				var ok bool
				if pub, ok = parsed.(*rsa.PublicKey); !ok {
					return nil, keyErrorf("the public key is a %T, not an RSA key", parsed)
				}
			case "RSA PUBLIC KEY":
				var err error
				if pub, err = x509.ParsePKCS1PublicKey(b.Bytes); err != nil {
					return nil, keyErrorf("the PKCS #1 public key cannot be read: %v", err)
				}
			}
		}
	}
	if err := checkPublicKey(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// MarshalRSAKeyValue returns pub in .NET's public <RSAKeyValue> form,
// <RSAKeyValue><Modulus>…</Modulus><Exponent>AQAB</Exponent></RSAKeyValue>,
// as QLM clients hold a product's key (RSA.FromXmlString reads it).
func MarshalRSAKeyValue(pub *rsa.PublicKey) []byte {
	e := big.NewInt(int64(pub.E)).Bytes()
	var b bytes.Buffer
	b.WriteString("<RSAKeyValue><Modulus>")
	b.WriteString(base64.StdEncoding.EncodeToString(pub.N.Bytes()))
	b.WriteString("</Modulus><Exponent>")
	b.WriteString(base64.StdEncoding.EncodeToString(e))
	b.WriteString("</Exponent></RSAKeyValue>")
	return b.Bytes()
}

// MarshalPublicKeyPEM returns pub as a PEM "PUBLIC KEY" block (PKIX,
// SubjectPublicKeyInfo), the form of openssl, xmlsec1 --pubkey-pem, Node's
// crypto and Java's X509EncodedKeySpec.
func MarshalPublicKeyPEM(pub *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// checkRSAKey reports whether k can sign QLM answers: present, large
// enough and valid.
func checkRSAKey(k *rsa.PrivateKey) error {
	if k == nil {
		return keyErrorf("no RSA key")
	}
	if err := checkPublicKey(&k.PublicKey); err != nil {
		return err
	}
	if len(k.Primes) != 2 {
		return keyErrorf("the key has %d primes; QLM keys have 2", len(k.Primes))
	}
	if err := k.Validate(); err != nil {
		return keyErrorf("the key is not valid: %v", err)
	}
	return nil
}

func checkPublicKey(pub *rsa.PublicKey) error {
	if pub == nil || pub.N == nil {
		return keyErrorf("no RSA key")
	}
	if bits := pub.N.BitLen(); bits < license.MinRSABits {
		return keyErrorf("the key has %d bits; at least %d are needed", bits, license.MinRSABits)
	}
	if bits := pub.N.BitLen(); bits > 16384 {
		return keyErrorf("the key has %d bits; at most 16384 are supported", bits)
	}
	if pub.E < 3 || pub.E%2 == 0 {
		return keyErrorf("the public exponent %d is not an odd number of at least 3", pub.E)
	}
	return nil
}

// isXML reports whether data, after a byte order mark and white space,
// starts with '<' (XML) rather than '-' (PEM).
func isXML(data []byte) bool {
	data = bytes.TrimLeft(bytes.TrimPrefix(data, []byte(bom)), " \t\r\n")
	return len(data) > 0 && data[0] == '<'
}

func decodeRSAKeyValue(data []byte) (rsaKeyValue, error) {
	var v rsaKeyValue
	if len(data) > MaxKeyFile {
		return v, keyErrorf("the key file is larger than %d bytes", MaxKeyFile)
	}
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte(bom))))
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := d.Decode(&v); err != nil {
		return v, keyErrorf("the <RSAKeyValue> XML cannot be read: %v", err)
	}
	return v, nil
}

// xmlInt decodes one base64 big-endian unsigned integer of an
// <RSAKeyValue>, ignoring the white space .NET tools may wrap it with.
func xmlInt(name, s string) (*big.Int, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	if s == "" {
		return nil, keyErrorf("the <RSAKeyValue> has no %s", name)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return nil, keyErrorf("the %s of the <RSAKeyValue> is not base64", name)
		}
	}
	n := new(big.Int).SetBytes(b)
	if n.Sign() == 0 {
		return nil, keyErrorf("the %s of the <RSAKeyValue> is zero", name)
	}
	return n, nil
}
