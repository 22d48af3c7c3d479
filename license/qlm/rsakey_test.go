package qlm_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/qlm"
)

func TestParseRSAPrivateKey(t *testing.T) {
	want := testKey(t)
	keys := testKeys(t)
	// .NET tools that pretty-print wrap the values in white space.
	pretty := bytes.ReplaceAll(keys.dotnet, []byte("><"), []byte(">\r\n  <"))
	pretty = bytes.ReplaceAll(pretty, []byte("<Modulus>"), []byte("<Modulus>\n  "))
	tests := []struct {
		name string
		data []byte
	}{
		{".NET XML", keys.dotnet},
		{".NET XML, pretty-printed, with BOM and declaration", append([]byte("\uFEFF<?xml version=\"1.0\" encoding=\"utf-16\"?>\n"), pretty...)},
		{"PKCS #1 PEM", keys.pkcs1},
		{"PKCS #8 PEM", keys.pkcs8},
		{"PEM after a certificate and text", append([]byte("a key for tests\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), keys.pkcs8...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := qlm.ParseRSAPrivateKey(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if !k.Equal(want) {
				t.Error("got another key")
			}
			if k.Precomputed.Dp == nil {
				t.Error("the key is not precomputed")
			}
		})
	}
	t.Run("openssl's key", func(t *testing.T) {
		t.Parallel()
		data := otherKeyPEM(t)
		k, err := qlm.ParseRSAPrivateKey(data)
		if err != nil {
			t.Fatalf("openssl's key: %v", err)
		}
		if k.Equal(want) || k.N.BitLen() != 2048 || k.Precomputed.Dp == nil {
			t.Errorf("openssl's key: the test key, %d bits, or not precomputed", k.N.BitLen())
		}
	})
}

func TestExportPublicKey(t *testing.T) {
	keys := testKeys(t)
	k := testKey(t)
	if got, want := qlm.MarshalRSAKeyValue(&k.PublicKey), keys.publicXML; !bytes.Equal(got, want) {
		t.Errorf("MarshalRSAKeyValue\n got %s\nwant %s", got, want)
	}
	got, err := qlm.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if want := keys.publicPEM; !bytes.Equal(got, want) {
		t.Errorf("MarshalPublicKeyPEM\n got %s\nwant %s", got, want)
	}
	for _, form := range [][]byte{got, qlm.MarshalRSAKeyValue(&k.PublicKey), keys.dotnet} {
		pub, err := qlm.ParseRSAPublicKey(form)
		if err != nil || !pub.Equal(&k.PublicKey) {
			t.Errorf("ParseRSAPublicKey(%.40q) = %v", form, err)
		}
	}
	p1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)})
	if pub, err := qlm.ParseRSAPublicKey(p1); err != nil || !pub.Equal(&k.PublicKey) {
		t.Errorf("ParseRSAPublicKey(RSA PUBLIC KEY) = %v", err)
	}
	t.Run("openssl's key", func(t *testing.T) {
		// openssl's public key PEM, made from its own private key,
		// against MarshalPublicKeyPEM of the same key as qlm reads it.
		data := otherKeyPEM(t)
		cmd := exec.Command("openssl", "pkey", "-pubout")
		cmd.Stdin = bytes.NewReader(data)
		want, err := cmd.Output()
		if err != nil {
			t.Fatalf("openssl pkey -pubout: %v", err)
		}
		other, err := qlm.ParseRSAPrivateKey(data)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := qlm.MarshalPublicKeyPEM(&other.PublicKey); err != nil || !bytes.Equal(got, want) {
			t.Errorf("MarshalPublicKeyPEM = %v\n got %s\nwant %s", err, got, want)
		}
	})
}

func TestParseRSAKeyRefuses(t *testing.T) {
	keys := testKeys(t)
	dotnet := string(keys.dotnet)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}))
	swap := func(s, elem, value string) string {
		i := strings.Index(s, "<"+elem+">") + len(elem) + 2
		j := strings.Index(s, "</"+elem+">")
		return s[:i] + value + s[j:]
	}
	otherDP := swap(dotnet, "DP", "AQAB")
	tests := []struct {
		name, data string
		wantReason string
	}{
		{"1024 bits", string(smallKeyXML(t)), "the key has 1024 bits; at least 2048 are needed"},
		{"public XML only", string(keys.publicXML), "no private parts"},
		{"public PEM", string(keys.publicPEM), "no PEM private key"},
		{"DP disagrees", otherDP, "DP, DQ or InverseQ does not agree"},
		{"D wrong", swap(dotnet, "D", "AQAB"), "not valid"},
		{"Q missing", swap(dotnet, "Q", ""), "has no Q"},
		{"not base64", swap(dotnet, "Modulus", "!!!"), "Modulus of the <RSAKeyValue> is not base64"},
		{"not XML", "<RSAKeyValue><Modulus>", "cannot be read"},
		{"another element", "<KeyValue/>", "cannot be read"},
		{"encrypted PKCS #8", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", "encrypted"},
		{"encrypted PKCS #1", "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\nAAAA\n-----END RSA PRIVATE KEY-----\n", "encrypted"},
		{"EC key", ecPEM, "not an RSA key"},
		{"garbage PKCS #1", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", "cannot be read"},
		{"empty", "", "no PEM private key"},
		{"too large", "<RSAKeyValue>" + strings.Repeat(" ", qlm.MaxKeyFile) + "</RSAKeyValue>", "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := qlm.ParseRSAPrivateKey([]byte(tt.data))
			if !errors.Is(err, qlm.ErrRSAKey) || !errors.Is(err, license.ErrInvalid) {
				t.Fatalf("got %v, %v, want an error matching ErrRSAKey and license.ErrInvalid", k != nil, err)
			}
			if got := license.Explain(err); !strings.Contains(got, tt.wantReason) {
				t.Errorf("Explain = %q, want it to say %q", got, tt.wantReason)
			}
		})
	}
}
