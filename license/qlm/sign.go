package qlm

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/licgate/licgate/license"
)

// Errors of signing and of reading keys. They are matched with
// [errors.Is].
var (
	// ErrRSAKey means an RSA key could not be read, or is unfit to sign:
	// smaller than [license.MinRSABits], inconsistent, or public only where
	// a private key is needed. Such errors also match [license.ErrInvalid],
	// and [license.Explain] gives their reason.
	ErrRSAKey = errors.New("qlm: unusable RSA key")

	// ErrSignatureAlgorithm means a signature algorithm is neither
	// [license.SignatureRSASHA1] nor [license.SignatureRSASHA256].
	ErrSignatureAlgorithm = errors.New("qlm: unknown signature algorithm")

	// ErrNotAnswer means the bytes given to [SignAnswer] are not one
	// <QuickLicenseManager> element, optionally after a byte order mark and
	// an XML declaration.
	ErrNotAnswer = errors.New("qlm: not a QuickLicenseManager answer")
)

// keyError is an [ErrRSAKey] with its reason; it unwraps to a
// [license.InvalidError] so that [license.Explain] tells the reason.
type keyError struct{ reason string }

func (e *keyError) Error() string        { return "qlm: unusable RSA key: " + e.reason }
func (e *keyError) Is(target error) bool { return target == ErrRSAKey }
func (e *keyError) Unwrap() error        { return &license.InvalidError{Reason: e.reason} }

func keyErrorf(format string, args ...any) error {
	return &keyError{reason: fmt.Sprintf(format, args...)}
}

const (
	answerRoot = "QuickLicenseManager"
	answerEnd  = "</" + answerRoot + ">"
	bom        = "\uFEFF"
)

// SignAnswer returns body, a QLM answer as [xmlmodel.MarshalQLM] writes it,
// with the XML signature QLM's clients verify (the spec's §4.2): an
// enveloped XML-DSig <Signature xmlns="http://www.w3.org/2000/09/xmldsig#">
// over the whole <QuickLicenseManager> element, its last child, with
// Reference URI="", the enveloped-signature and C14N 1.0 transforms,
// C14N 1.0 (REC-xml-c14n-20010315) as the canonicalization method, and
// RSA-SHA1 with a SHA-1 digest, or RSA-SHA256 with a SHA-256 digest when
// alg is [license.SignatureRSASHA256]. An empty alg means
// [license.SignatureRSASHA1].
//
// The signature has no <KeyInfo>: clients hold the product's public key
// (see [MarshalRSAKeyValue]). Nothing separates </Signature> from
// </QuickLicenseManager>, since clients insert that key there by string
// search. The bytes of body are kept as they are, byte order mark and XML
// declaration included; the signature is inserted before the closing tag.
// The result verifies with the public key alone, wherever it is stored.
//
// Errors match [ErrRSAKey] for a nil or unfit key, [ErrSignatureAlgorithm]
// for an unknown alg, and [ErrNotAnswer] for a body that is not one
// <QuickLicenseManager> element.
func SignAnswer(body []byte, key *rsa.PrivateKey, alg license.SignatureAlgorithm) ([]byte, error) {
	if err := checkRSAKey(key); err != nil {
		return nil, err
	}
	hash, err := signatureHash(alg)
	if err != nil {
		return nil, err
	}
	root, end, err := parseAnswer(body)
	if err != nil {
		return nil, err
	}
	sig, err := signature(root, key, hash)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(body)+len(sig))
	out = append(out, body[:end]...)
	out = append(out, sig...)
	return append(out, body[end:]...), nil
}

// signatureHash maps a product's algorithm to its hash.
func signatureHash(alg license.SignatureAlgorithm) (crypto.Hash, error) {
	switch alg {
	case "", license.SignatureRSASHA1:
		return crypto.SHA1, nil
	case license.SignatureRSASHA256:
		return crypto.SHA256, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrSignatureAlgorithm, alg)
}

// parseAnswer parses body and returns its root element and the offset of
// the root's end tag, where the signature goes. It accepts what
// MarshalQLM writes and nothing that could canonicalize differently in
// another parser: no DOCTYPE, one root, nothing but white space after it.
func parseAnswer(body []byte) (*etree.Element, int, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(bytes.TrimPrefix(body, []byte(bom))); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrNotAnswer, err)
	}
	var root *etree.Element
	for _, t := range doc.Child {
		switch t := t.(type) {
		case *etree.Element:
			if root != nil {
				return nil, 0, fmt.Errorf("%w: more than one root element", ErrNotAnswer)
			}
			root = t
		case *etree.ProcInst:
			if t.Target != "xml" || root != nil {
				return nil, 0, fmt.Errorf("%w: a processing instruction outside the root", ErrNotAnswer)
			}
			// Parsed as UTF-8 here, the bytes must be UTF-8 for every
			// verifier too, or they would canonicalize to other text.
			if enc := pseudoAttr(t.Inst, "encoding"); enc != "" && !strings.EqualFold(enc, "UTF-8") {
				return nil, 0, fmt.Errorf("%w: the declared encoding %q is not UTF-8", ErrNotAnswer, enc)
			}
		case *etree.CharData:
			if !t.IsWhitespace() {
				return nil, 0, fmt.Errorf("%w: text outside the root", ErrNotAnswer)
			}
		default:
			return nil, 0, fmt.Errorf("%w: a comment or directive outside the root", ErrNotAnswer)
		}
	}
	if root == nil || root.Space != "" || root.NamespaceURI() != "" || root.Tag != answerRoot {
		return nil, 0, fmt.Errorf("%w: the root element is not <%s>", ErrNotAnswer, answerRoot)
	}
	if root.FindElement("//Signature") != nil {
		return nil, 0, fmt.Errorf("%w: it holds a <Signature> already", ErrNotAnswer)
	}
	trimmed := bytes.TrimRight(body, " \t\r\n")
	if !bytes.HasSuffix(trimmed, []byte(answerEnd)) {
		return nil, 0, fmt.Errorf("%w: it does not end with %s", ErrNotAnswer, answerEnd)
	}
	return root, len(trimmed) - len(answerEnd), nil
}

// pseudoAttr returns the value of a pseudo-attribute of an XML
// declaration, such as encoding in "version='1.0' encoding='UTF-8'".
func pseudoAttr(inst, name string) string {
	for f := inst; ; {
		i := strings.Index(f, name)
		if i < 0 {
			return ""
		}
		f = strings.TrimLeft(f[i+len(name):], " \t\r\n")
		if !strings.HasPrefix(f, "=") {
			continue
		}
		f = strings.TrimLeft(f[1:], " \t\r\n")
		if f == "" || (f[0] != '"' && f[0] != '\'') {
			return f
		}
		if j := strings.IndexByte(f[1:], f[0]); j >= 0 {
			return f[1 : j+1]
		}
		return f[1:]
	}
}

// signature returns the serialized <Signature> of root. goxmldsig builds
// and signs the SignedInfo; its <KeyInfo>, which would carry certificates
// QLM's clients neither have nor expect, is dropped. KeyInfo lies outside
// SignedInfo, so dropping it leaves the signature valid.
func signature(root *etree.Element, key *rsa.PrivateKey, hash crypto.Hash) ([]byte, error) {
	ctx, err := dsig.NewSigningContext(key, nil)
	if err != nil {
		return nil, err
	}
	ctx.Hash = hash
	ctx.Prefix = ""
	ctx.IdAttribute = "" // never a "#id" reference: always the whole document
	ctx.Canonicalizer = dsig.MakeC14N10RecCanonicalizer()
	sig, err := ctx.ConstructSignature(root, true)
	if err != nil {
		return nil, fmt.Errorf("qlm: sign answer: %w", err)
	}
	if ki := sig.SelectElement(dsig.KeyInfoTag); ki != nil {
		sig.RemoveChild(ki)
	}
	out := etree.NewDocument()
	out.SetRoot(sig)
	return out.WriteToBytes()
}

// signed is a handler's answer that goes out signed with the key of its
// product; ServeHTTP marshals answer, then signs it.
type signed struct {
	answer  any
	product license.Product
}

// sign signs body, the marshalled answer of s, with the key of s's
// product. The product of a result carries its key; one created before
// products had keys gets one here, once ([license.Service.ProductSigningKey]).
func (h *Handler) sign(ctx context.Context, s signed, body []byte) ([]byte, error) {
	p := s.product
	if p.RSAKey == nil {
		var err error
		if p, err = h.svc.ProductSigningKey(ctx, p.ID); err != nil {
			return nil, err
		}
	}
	return SignAnswer(body, p.RSAKey, p.SignatureAlgorithm)
}
