package qlm_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/licgate/licgate/internal/xmlsectest"
	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/qlm"
	"github.com/licgate/licgate/xmlmodel"
)

// sampleAnswers are answers of each shape the handler writes, with text
// that tests the canonicalization: markup characters, quotes, white space
// a parser normalizes, non-ASCII, and the embedded properties document.
func sampleAnswers() map[string]any {
	created := time.Date(2023, 10, 29, 13, 14, 26, 0, time.UTC)
	return map[string]any{
		"license": xmlmodel.QLMLicense{
			CreationDateUTC: xmlmodel.QLMTime(created), ComputerKey: "JNR9020800G7HJKM8P9Q211E4WAYSITSNYDGB5X",
			ComputerName: "PC <&> \"quoted\" 'single'", ComputerID: "100%PC;x",
			UserCompany: "Société Générale & Fils\t(tab)", UserFullName: "Tom\r\nSpencer\rCR", UserEmail: "tom@soraco.co",
			ProductID: "2", ProductName: "Demo Enterprise ]]> 日本語", MajorVersion: 1, LicenseModel: "subscription",
			Result: "Your license is valid.", Status: 4, Features: "0:7;", Duration: -1, NumActivationsAllowed: 1,
			ExpiryDate: xmlmodel.QLMMinute(created), ActivationKey: "FNR9020700G7HJKM8P9Q211JSEUB6ZKJAPHBQEP",
			ProductProperties: `<?xml version="1.0" encoding="utf-8"?><ProductProperties><Property ID="{8ff1b8b6}" name="a&amp;b" value="1"></Property></ProductProperties>`,
			ActivationDate:    xmlmodel.QLMMinute(created), ServerDate: xmlmodel.QLMMinute(created), ComputerType: "PC",
		},
		"result": xmlmodel.QLMResult{Result: "ActivationKey A162 has been released."},
		"ping": xmlmodel.QLMPing{Result: "Successfully connected", ServerDate: "2015-08-05T15:53:16Z", ServerVersion: "licgate",
			LegacyServerDate: &xmlmodel.QLMLegacyDate{Date: "2015-08-05T15:53:16Z \"<&>\"\t\n"}},
	}
}

func TestSignAnswer(t *testing.T) {
	key := testKey(t)
	dir := t.TempDir()
	pubPEM := filepath.Join(dir, "public.pem")
	if err := os.WriteFile(pubPEM, testKeys(t).publicPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		alg        license.SignatureAlgorithm
		wantMethod string
		wantDigest string
	}{
		{"", "http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2000/09/xmldsig#sha1"},
		{license.SignatureRSASHA1, "http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2000/09/xmldsig#sha1"},
		{license.SignatureRSASHA256, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmlenc#sha256"},
	}
	for name, answer := range sampleAnswers() {
		for _, bom := range []bool{false, true} {
			for _, tt := range tests {
				t.Run(fmt.Sprintf("%s/bom=%v/%q", name, bom, tt.alg), func(t *testing.T) {
					body, err := xmlmodel.MarshalQLM(answer, bom)
					if err != nil {
						t.Fatal(err)
					}
					signed, err := qlm.SignAnswer(body, key, tt.alg)
					if err != nil {
						t.Fatal(err)
					}
					checkSignedShape(t, body, signed, tt.wantMethod, tt.wantDigest)
					if err := verifyGoxmldsig(signed, key); err != nil {
						t.Errorf("goxmldsig: %v\n%s", err, signed)
					}
					if err := verifyLikeXMLCrypto(signed, &key.PublicKey); err != nil {
						t.Errorf("xml-crypto's steps: %v\n%s", err, signed)
					}
					// A license file: stored, read back, verified by
					// another implementation with the public key alone.
					file := filepath.Join(t.TempDir(), "QlmLicense.xml")
					if err := os.WriteFile(file, signed, 0o600); err != nil {
						t.Fatal(err)
					}
					stored, err := os.ReadFile(file)
					if err != nil {
						t.Fatal(err)
					}
					if err := verifyGoxmldsig(stored, key); err != nil {
						t.Errorf("goxmldsig after a file: %v", err)
					}
					if out, err := xmlsectest.Verify(t, file, pubPEM); err != nil {
						t.Errorf("xmlsec1: %v\n%s\n%s", err, out, signed)
					}
				})
			}
		}
	}
}

// checkSignedShape checks the signature against the spec's §4.2 sample
// and that body itself is unchanged.
func checkSignedShape(t *testing.T, body, signed []byte, method, digest string) {
	t.Helper()
	const end = "</Signature></QuickLicenseManager>"
	i := bytes.Index(signed, []byte("<Signature "))
	if i < 0 || !bytes.HasSuffix(signed, []byte(end)) {
		t.Fatalf("no <Signature> just before </QuickLicenseManager>:\n%s", signed)
	}
	if want := body[:len(body)-len("</QuickLicenseManager>")]; !bytes.Equal(signed[:i], want) {
		t.Errorf("the answer changed before its signature:\n got %q\nwant %q", signed[:i], want)
	}
	if !bytes.HasPrefix(bytes.TrimPrefix(signed, []byte("\uFEFF")), []byte(xmlmodel.QLMDeclaration)) {
		t.Errorf("the XML declaration is lost: %q", signed[:60])
	}
	sig := string(signed[i : len(signed)-len("</QuickLicenseManager>")])
	want := `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>` +
		`<CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>` +
		`<SignatureMethod Algorithm="` + method + `"/>` +
		`<Reference URI=""><Transforms>` +
		`<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>` +
		`<Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>` +
		`</Transforms><DigestMethod Algorithm="` + digest + `"/><DigestValue>`
	if !strings.HasPrefix(sig, want) {
		t.Errorf("signature\n got %s\nwant prefix %s", sig, want)
	}
	if strings.Contains(sig, "KeyInfo") || strings.Count(sig, "<SignatureValue>") != 1 {
		t.Errorf("signature has a KeyInfo or not one SignatureValue: %s", sig)
	}
}

func TestSignAnswerTampered(t *testing.T) {
	key := testKey(t)
	dir := t.TempDir()
	pubPEM := filepath.Join(dir, "public.pem")
	if err := os.WriteFile(pubPEM, testKeys(t).publicPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	body, err := xmlmodel.MarshalQLM(sampleAnswers()["license"], false)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := qlm.SignAnswer(body, key, license.SignatureRSASHA1)
	if err != nil {
		t.Fatal(err)
	}
	sigValue := func(b []byte) string {
		s := string(b)
		i := strings.Index(s, "<SignatureValue>") + len("<SignatureValue>")
		return s[i : i+20]
	}
	// bySomeoneElse signs body with openssl's key: without openssl, only
	// that case is skipped.
	bySomeoneElse := func(t *testing.T) []byte {
		other, err := qlm.ParseRSAPrivateKey(otherKeyPEM(t))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := qlm.SignAnswer(body, other, license.SignatureRSASHA1)
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	tests := []struct {
		name string
		doc  []byte
		make func(t *testing.T) []byte // the doc, where it needs more than body
	}{
		{"status changed", bytes.Replace(signed, []byte("<status>4</status>"), []byte("<status>2</status>"), 1), nil},
		{"expiry changed", bytes.Replace(signed, []byte("<expiryDate>2023"), []byte("<expiryDate>2099"), 1), nil},
		{"element added", bytes.Replace(signed, []byte("<Signature "), []byte("<seats>99</seats><Signature "), 1), nil},
		{"signature method changed", bytes.Replace(signed, []byte("xmldsig#rsa-sha1"), []byte("xmldsig#rsa-sha256"), 1), nil},
		{"signature value changed", bytes.Replace(signed, []byte(sigValue(signed)), []byte(strings.Repeat("A", 20)), 1), nil},
		{"signed by another key", nil, bySomeoneElse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.make != nil {
				tt.doc = tt.make(t)
			}
			if bytes.Equal(tt.doc, signed) {
				t.Fatal("the test did not tamper")
			}
			if err := verifyGoxmldsig(tt.doc, key); err == nil {
				t.Error("goxmldsig accepted a tampered answer")
			}
			if err := verifyLikeXMLCrypto(tt.doc, &key.PublicKey); err == nil {
				t.Error("xml-crypto's steps accepted a tampered answer")
			}
			file := filepath.Join(t.TempDir(), "QlmLicense.xml")
			if err := os.WriteFile(file, tt.doc, 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := xmlsectest.Verify(t, file, pubPEM); err == nil {
				t.Errorf("xmlsec1 accepted a tampered answer:\n%s", out)
			}
		})
	}
}

// TestSignAnswerClientAddsKey does what the JavaScript QLM client does
// before it verifies with xml-crypto: it puts the product's public key,
// as .NET XML, just before </Signature></QuickLicenseManager>, found by
// string search. The signature must still verify with that key.
func TestSignAnswerClientAddsKey(t *testing.T) {
	key := testKey(t)
	pubXML := qlm.MarshalRSAKeyValue(&key.PublicKey)
	for _, alg := range []license.SignatureAlgorithm{license.SignatureRSASHA1, license.SignatureRSASHA256} {
		t.Run(string(alg), func(t *testing.T) {
			body, err := xmlmodel.MarshalQLM(sampleAnswers()["license"], false)
			if err != nil {
				t.Fatal(err)
			}
			signed, err := qlm.SignAnswer(body, key, alg)
			if err != nil {
				t.Fatal(err)
			}
			const end = "</Signature></QuickLicenseManager>"
			if !bytes.Contains(signed, []byte(end)) {
				t.Fatalf("the client's search for %s fails:\n%s", end, signed)
			}
			withKey := bytes.Replace(signed, []byte(end), []byte("<KeyInfo><KeyValue>"+string(pubXML)+"</KeyValue></KeyInfo>"+end), 1)

			// The client reads the key back from the document, with etree,
			// and verifies as xml-crypto does.
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(withKey); err != nil {
				t.Fatal(err)
			}
			kv := doc.FindElement("//Signature/KeyInfo/KeyValue/RSAKeyValue")
			if kv == nil {
				t.Fatalf("no RSAKeyValue in\n%s", withKey)
			}
			kd := etree.NewDocument()
			kd.SetRoot(kv.Copy())
			kb, err := kd.WriteToBytes()
			if err != nil {
				t.Fatal(err)
			}
			pub, err := qlm.ParseRSAPublicKey(kb)
			if err != nil {
				t.Fatal(err)
			}
			if !pub.Equal(&key.PublicKey) {
				t.Fatal("the key read back is another key")
			}
			if err := verifyLikeXMLCrypto(withKey, pub); err != nil {
				t.Errorf("xml-crypto's steps: %v\n%s", err, withKey)
			}
			file := filepath.Join(t.TempDir(), "QlmLicense.xml")
			if err := os.WriteFile(file, withKey, 0o600); err != nil {
				t.Fatal(err)
			}
			pubPEM := filepath.Join(t.TempDir(), "public.pem")
			if err := os.WriteFile(pubPEM, testKeys(t).publicPEM, 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := xmlsectest.Verify(t, file, pubPEM); err != nil {
				t.Errorf("xmlsec1: %v\n%s", err, out)
			}
		})
	}
}

func TestSignAnswerRefuses(t *testing.T) {
	key := testKey(t)
	small, err := qlm.ParseRSAKeyValue(smallKeyXML(t))
	if err == nil {
		t.Fatalf("a 1024-bit key was read: %d bits", small.N.BitLen())
	}
	good, _ := xmlmodel.MarshalQLM(xmlmodel.QLMResult{Result: "ok"}, false)
	tests := []struct {
		name string
		body string
		key  *rsa.PrivateKey
		alg  license.SignatureAlgorithm
		want error
	}{
		{"nil key", string(good), nil, "", qlm.ErrRSAKey},
		{"unknown algorithm", string(good), key, "rsa-md5", qlm.ErrSignatureAlgorithm},
		{"empty", "", key, "", qlm.ErrNotAnswer},
		{"not XML", "hello", key, "", qlm.ErrNotAnswer},
		{"another root", "<?xml version='1.0'?><Other><a/></Other>", key, "", qlm.ErrNotAnswer},
		{"a namespace", `<QuickLicenseManager xmlns="urn:x"><a/></QuickLicenseManager>`, key, "", qlm.ErrNotAnswer},
		{"two roots", "<QuickLicenseManager/><QuickLicenseManager></QuickLicenseManager>", key, "", qlm.ErrNotAnswer},
		{"empty element", "<QuickLicenseManager/>", key, "", qlm.ErrNotAnswer},
		{"doctype", `<!DOCTYPE QuickLicenseManager [<!ENTITY e "x">]><QuickLicenseManager>&e;</QuickLicenseManager>`, key, "", qlm.ErrNotAnswer},
		{"comment after", "<QuickLicenseManager><a/></QuickLicenseManager><!-- </QuickLicenseManager> -->", key, "", qlm.ErrNotAnswer},
		{"signed already", "<QuickLicenseManager><a/><Signature/></QuickLicenseManager>", key, "", qlm.ErrNotAnswer},
		{"Latin-1", "<?xml version='1.0' encoding='ISO-8859-1'?><QuickLicenseManager><a>\xe9</a></QuickLicenseManager>", key, "", qlm.ErrNotAnswer},
		{"unclosed", "<QuickLicenseManager><a>", key, "", qlm.ErrNotAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := qlm.SignAnswer([]byte(tt.body), tt.key, tt.alg)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %q, %v, want %v", out, err, tt.want)
			}
		})
	}
}

// verifyGoxmldsig verifies with goxmldsig's validator, which trusts
// certificates only: the public key goes in as a self-signed one.
func verifyGoxmldsig(doc []byte, key *rsa.PrivateKey) error {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "QLM product key"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	d := etree.NewDocument()
	if err := d.ReadFromBytes(bytes.TrimPrefix(doc, []byte("\uFEFF"))); err != nil {
		return err
	}
	v := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	_, err = v.Validate(d.Root())
	return err
}

// verifyLikeXMLCrypto takes the steps of xml-crypto's checkSignature,
// which verifies with a key it is handed (or finds in <KeyValue>) rather
// than with a certificate: it finds the one Signature, applies the
// Reference's transforms to the whole document, compares the digest, then
// checks the RSA signature over the canonical SignedInfo. Canonicalization
// is goxmldsig's C14N 1.0.
func verifyLikeXMLCrypto(doc []byte, pub *rsa.PublicKey) error {
	const ns = "http://www.w3.org/2000/09/xmldsig#"
	d := etree.NewDocument()
	if err := d.ReadFromBytes(bytes.TrimPrefix(doc, []byte("\uFEFF"))); err != nil {
		return err
	}
	root := d.Root()
	sigs := root.FindElements("//Signature")
	if len(sigs) != 1 || sigs[0].NamespaceURI() != ns {
		return fmt.Errorf("%d signatures", len(sigs))
	}
	sig := sigs[0]
	si := sig.SelectElement("SignedInfo")
	if si == nil {
		return errors.New("no SignedInfo")
	}
	if a := si.FindElement("CanonicalizationMethod").SelectAttrValue("Algorithm", ""); a != string(dsig.CanonicalXML10RecAlgorithmId) {
		return fmt.Errorf("canonicalization %s", a)
	}
	var h crypto.Hash
	switch si.FindElement("SignatureMethod").SelectAttrValue("Algorithm", "") {
	case "http://www.w3.org/2000/09/xmldsig#rsa-sha1":
		h = crypto.SHA1
	case "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256":
		h = crypto.SHA256
	default:
		return errors.New("unknown signature method")
	}
	refs := si.SelectElements("Reference")
	if len(refs) != 1 || refs[0].SelectAttrValue("URI", "x") != "" {
		return errors.New("not one Reference to the whole document")
	}
	ref := refs[0]

	// The Reference: the document, less the Signature, canonical.
	whole := root.Copy()
	for _, tr := range ref.FindElements("Transforms/Transform") {
		switch tr.SelectAttrValue("Algorithm", "") {
		case "http://www.w3.org/2000/09/xmldsig#enveloped-signature":
			if s := whole.FindElement("Signature"); s == nil || whole.RemoveChild(s) == nil {
				return errors.New("no enveloped signature to remove")
			}
		case string(dsig.CanonicalXML10RecAlgorithmId):
		default:
			return errors.New("unknown transform")
		}
	}
	c14n := dsig.MakeC14N10RecCanonicalizer()
	canon, err := c14n.Canonicalize(whole)
	if err != nil {
		return err
	}
	var digest []byte
	switch ref.FindElement("DigestMethod").SelectAttrValue("Algorithm", "") {
	case "http://www.w3.org/2000/09/xmldsig#sha1":
		s := sha1.Sum(canon)
		digest = s[:]
	case "http://www.w3.org/2001/04/xmlenc#sha256":
		s := sha256.Sum256(canon)
		digest = s[:]
	default:
		return errors.New("unknown digest method")
	}
	if got := ref.FindElement("DigestValue").Text(); got != base64.StdEncoding.EncodeToString(digest) {
		return fmt.Errorf("digest %s, want %s", got, base64.StdEncoding.EncodeToString(digest))
	}

	// SignedInfo, canonical in its place (inheriting the Signature's
	// xmlns), signed with the key.
	canonSI, err := c14n.Canonicalize(si)
	if err != nil {
		return err
	}
	hh := h.New()
	hh.Write(canonSI)
	value, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(sig.FindElement("SignatureValue").Text()), ""))
	if err != nil {
		return err
	}
	return rsa.VerifyPKCS1v15(pub, h, hh.Sum(nil), value)
}
