package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licgate/licgate/internal/xmlsectest"
	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/qlm"
)

// dotnetPrivateXML writes k as .NET's RSA.ToXmlString(true) does, the
// form in which a vendor takes a product's key out of QLM.
func dotnetPrivateXML(k *rsa.PrivateKey) []byte {
	size := (k.N.BitLen() + 7) / 8
	half := (size + 1) / 2
	b64 := func(n *big.Int, l int) string { return base64.StdEncoding.EncodeToString(n.FillBytes(make([]byte, l))) }
	k.Precompute()
	return fmt.Appendf(nil, "<RSAKeyValue><Modulus>%s</Modulus><Exponent>%s</Exponent><P>%s</P><Q>%s</Q><DP>%s</DP><DQ>%s</DQ><InverseQ>%s</InverseQ><D>%s</D></RSAKeyValue>",
		b64(k.N, size), base64.StdEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
		b64(k.Primes[0], half), b64(k.Primes[1], half), b64(k.Precomputed.Dp, half), b64(k.Precomputed.Dq, half),
		b64(k.Precomputed.Qinv, half), b64(k.D, size))
}

// runCLI runs licgate with args and returns what it printed and its exit
// code.
func runCLI(args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// TestProductKeySignsWithImportedKey follows a vendor moving from QLM: it
// imports the product's .NET key, exports the public key as its shipped
// programs hold it, and the answers of licgate serve verify with that key
// after they are saved to a file, as the JavaScript client saves its
// license file.
func TestProductKeySignsWithImportedKey(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	data := newData(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "Demo Enterprise.xml")
	if err := os.WriteFile(keyFile, dotnetPrivateXML(key), 0o600); err != nil {
		t.Fatal(err)
	}

	var p license.Product
	cli(t, &p, "product", "add", "-data", data, "-id", "2", "-name", "Demo Enterprise", "-rsa-key", keyFile)
	if p.SignatureAlgorithm != license.SignatureRSASHA1 {
		t.Errorf("product add printed signatureAlgorithm %q, want %q", p.SignatureAlgorithm, license.SignatureRSASHA1)
	}
	out, _, _ := runCLI("product", "list", "-data", data)
	if strings.Contains(out, "PRIVATE") || strings.Contains(out, base64.StdEncoding.EncodeToString(key.D.Bytes())[:40]) {
		t.Fatalf("product list prints the private key: %s", out)
	}
	var l license.License
	cli(t, &l, "license", "add", "-data", data, "-product", "2", "-email", "tom@soraco.co")

	var pk struct {
		ID                 string `json:"id"`
		SignatureAlgorithm string `json:"signatureAlgorithm"`
		PublicKeyPEM       string `json:"publicKeyPEM"`
		RSAKeyValue        string `json:"rsaKeyValue"`
	}
	cli(t, &pk, "product", "key", "-data", data, "-id", "2")
	if pk.ID != "2" || pk.SignatureAlgorithm != "rsa-sha1" {
		t.Errorf("product key printed %+v", pk)
	}
	for _, form := range []string{pk.PublicKeyPEM, pk.RSAKeyValue} {
		if pub, err := qlm.ParseRSAPublicKey([]byte(form)); err != nil || !pub.Equal(&key.PublicKey) {
			t.Errorf("product key printed another key than the imported one: %v\n%s", err, form)
		}
	}
	if !strings.HasPrefix(pk.RSAKeyValue, "<RSAKeyValue><Modulus>") || !strings.HasSuffix(pk.RSAKeyValue, "</Modulus><Exponent>AQAB</Exponent></RSAKeyValue>") {
		t.Errorf("rsaKeyValue is not .NET's public form: %s", pk.RSAKeyValue)
	}
	xmlOut, _, code := runCLI("product", "key", "-data", data, "-id", "2", "-format", "xml")
	if code != 0 || xmlOut != pk.RSAKeyValue+"\n" {
		t.Errorf("-format xml printed %q (exit %d)", xmlOut, code)
	}
	pemOut, _, code := runCLI("product", "key", "-data", data, "-id", "2", "-format", "pem")
	if code != 0 || pemOut != pk.PublicKeyPEM {
		t.Errorf("-format pem printed %q (exit %d)", pemOut, code)
	}
	pubPEM := filepath.Join(dir, "public.pem")
	if err := os.WriteFile(pubPEM, []byte(pemOut), 0o600); err != nil {
		t.Fatal(err)
	}

	base := startServer(t, "-data", data, "-demo=false")
	validate := func(query string) []byte {
		t.Helper()
		resp, err := http.Get(base + "/qlm/qlmservice.asmx/ValidateLicenseHttp?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	verify := func(name string, body []byte, method string) {
		t.Helper()
		if !bytes.HasSuffix(body, []byte("</Signature></QuickLicenseManager>")) || !bytes.Contains(body, []byte(method)) {
			t.Fatalf("%s: not signed with %s: %s", name, method, body)
		}
		file := filepath.Join(t.TempDir(), "QlmLicense.xml")
		if err := os.WriteFile(file, body, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := xmlsectest.Verify(t, file, pubPEM); err != nil {
			t.Errorf("%s: xmlsec1: %v\n%s\n%s", name, err, out, body)
		}
		tampered := bytes.Replace(body, []byte("<userEmail>tom@"), []byte("<userEmail>eve@"), 1)
		if err := os.WriteFile(file, tampered, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := xmlsectest.Verify(t, file, pubPEM); err == nil {
			t.Errorf("%s: xmlsec1 accepts a changed answer:\n%s", name, out)
		}
	}
	key1 := url.QueryEscape(l.Key)
	first := validate("is_avkey=" + key1 + "&is_pcid=PC-1&is_productid=2&is_majorversion=1&is_minorversion=0&is_sign=true")
	var a qlmAnswer
	if err := xml.Unmarshal(first, &a); err != nil || a.ComputerKey == "" {
		t.Fatalf("activation: %v %s", err, first)
	}
	verify("activation", first, "xmldsig#rsa-sha1")

	var p2 license.Product
	cli(t, &p2, "product", "set-signature", "-data", data, "-id", "2", "-signature", "rsa-sha256")
	if p2.SignatureAlgorithm != license.SignatureRSASHA256 {
		t.Errorf("set-signature printed %+v", p2)
	}
	again := validate("is_avkey=" + key1 + "&is_pcid=PC-1&is_sign=true&is_pckey=" + url.QueryEscape(a.ComputerKey))
	verify("validation", again, "xmldsig-more#rsa-sha256")
}

func TestProductKeyCLIErrors(t *testing.T) {
	data := newData(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	smallFile := filepath.Join(dir, "small.xml")
	if err := os.WriteFile(smallFile, dotnetPrivateXML(small), 0o600); err != nil {
		t.Fatal(err)
	}
	publicFile := filepath.Join(dir, "public.xml")
	if err := os.WriteFile(publicFile, []byte("<RSAKeyValue><Modulus>AQAB</Modulus><Exponent>AQAB</Exponent></RSAKeyValue>"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"small key", []string{"product", "add", "-id", "p", "-name", "P", "-rsa-key", smallFile}, 1, "the key has 1024 bits; at least 2048 are needed"},
		{"public key", []string{"product", "add", "-id", "p", "-name", "P", "-rsa-key", publicFile}, 1, "no private parts"},
		{"missing file", []string{"product", "add", "-id", "p", "-name", "P", "-rsa-key", filepath.Join(dir, "none.pem")}, 1, "none.pem"},
		{"bad algorithm", []string{"product", "add", "-id", "p", "-name", "P", "-signature", "rsa-md5"}, 2, `-signature "rsa-md5" is neither rsa-sha1 nor rsa-sha256`},
		{"key of no product", []string{"product", "key", "-id", "nope"}, 1, `"nope"`},
		{"key without id", []string{"product", "key"}, 2, "-id is required"},
		{"bad format", []string{"product", "key", "-id", "p", "-format", "der"}, 2, `-format "der"`},
		{"set nothing", []string{"product", "set-signature", "-id", "p"}, 2, "-signature or -rsa-key is required"},
		{"set on no product", []string{"product", "set-signature", "-id", "nope", "-signature", "rsa-sha256"}, 1, `"nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(append(tt.args, "-data", data)...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, out, errOut, tt.wantCode, tt.wantErr)
			}
		})
	}
}
