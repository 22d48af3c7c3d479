package qlm_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/qlm"
)

func TestParseRSAPrivateKey(t *testing.T) {
	want := testKey(t)
	dotnet := readTestdata(t, "rsakey-dotnet.xml")
	// .NET tools that pretty-print wrap the values in white space.
	pretty := bytes.ReplaceAll(dotnet, []byte("><"), []byte(">\r\n  <"))
	pretty = bytes.ReplaceAll(pretty, []byte("<Modulus>"), []byte("<Modulus>\n  "))
	tests := []struct {
		name string
		data []byte
	}{
		{".NET XML", dotnet},
		{".NET XML, pretty-printed, with BOM and declaration", append([]byte("\uFEFF<?xml version=\"1.0\" encoding=\"utf-16\"?>\n"), pretty...)},
		{"PKCS #1 PEM", readTestdata(t, "rsakey-pkcs1.pem")},
		{"PKCS #8 PEM", readTestdata(t, "rsakey-pkcs8.pem")},
		{"PEM after a certificate and text", append([]byte("a key for tests\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), readTestdata(t, "rsakey-pkcs8.pem")...)},
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
	if k, err := qlm.ParseRSAPrivateKey(readTestdata(t, "rsakey-other-pkcs8.pem")); err != nil || k.Equal(want) {
		t.Errorf("openssl's key: %v", err)
	}
}

func TestExportPublicKey(t *testing.T) {
	k := testKey(t)
	if got, want := qlm.MarshalRSAKeyValue(&k.PublicKey), readTestdata(t, "rsakey-public.xml"); !bytes.Equal(got, want) {
		t.Errorf("MarshalRSAKeyValue\n got %s\nwant %s", got, want)
	}
	got, err := qlm.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if want := readTestdata(t, "rsakey-public.pem"); !bytes.Equal(got, want) {
		t.Errorf("MarshalPublicKeyPEM\n got %s\nwant %s", got, want)
	}
	for _, form := range [][]byte{got, qlm.MarshalRSAKeyValue(&k.PublicKey), readTestdata(t, "rsakey-dotnet.xml")} {
		pub, err := qlm.ParseRSAPublicKey(form)
		if err != nil || !pub.Equal(&k.PublicKey) {
			t.Errorf("ParseRSAPublicKey(%.40q) = %v", form, err)
		}
	}
	p1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)})
	if pub, err := qlm.ParseRSAPublicKey(p1); err != nil || !pub.Equal(&k.PublicKey) {
		t.Errorf("ParseRSAPublicKey(RSA PUBLIC KEY) = %v", err)
	}
}

func TestParseRSAKeyRefuses(t *testing.T) {
	dotnet := string(readTestdata(t, "rsakey-dotnet.xml"))
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
		{"1024 bits", string(readTestdata(t, "rsakey-1024-dotnet.xml")), "the key has 1024 bits; at least 2048 are needed"},
		{"public XML only", string(readTestdata(t, "rsakey-public.xml")), "no private parts"},
		{"public PEM", string(readTestdata(t, "rsakey-public.pem")), "no PEM private key"},
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
