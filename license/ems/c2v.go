package ems

import (
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/xmlmodel"
)

// c2v is what an activation needs from a C2V: the ID of the protection key
// it comes from (an update C2V) or the fingerprint of the host a new key is
// for.
type c2v struct {
	keyID       string
	fingerprint string
}

// parseC2V reads a C2V <hasp_info> document: the id of its first <hasp>
// element, wherever it sits (haspscope/hasp or haspscope/vendor/hasp), and
// the text of its first <host_fingerprint>.
func parseC2V(s string) (c2v, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	// The text was decoded with the request; whatever encoding its own
	// declaration names, it is UTF-8 now.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var out c2v
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return c2v{}, errC2VSyntax
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if roots++; t.Name.Local != "hasp_info" {
					return c2v{}, errC2VSyntax
				}
			}
			switch t.Name.Local {
			case "hasp":
				for _, a := range t.Attr {
					if a.Name.Local == "id" && out.keyID == "" {
						out.keyID = strings.TrimSpace(a.Value)
					}
				}
			case "host_fingerprint":
				var fp string
				if err := d.DecodeElement(&fp, &t); err != nil {
					return c2v{}, errC2VSyntax
				}
				if out.fingerprint == "" {
					out.fingerprint = strings.TrimSpace(fp)
				}
				continue
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if depth != 0 || roots == 0 {
		return c2v{}, errC2VSyntax
	}
	if out.keyID == "" && out.fingerprint == "" {
		return c2v{}, errC2VNoTarget
	}
	return out, nil
}

// activationInput is what an <activationInput> asks for: the protection
// key to activate, named by its ID or by the host fingerprint of a new key,
// and the attributes and comments to store with the activation.
type activationInput struct {
	protectionKeyID string
	fingerprint     string
	attributes      []license.Attribute
	comments        string
}

// activationRequest reads an <activationInput>: the protection key from
// the C2V attribute (or a ProtectionKeyId attribute), and the attributes to
// store, CLEAR_BEFORE_APPLYING_UPDATE first as EMS echoes it.
func activationRequest(in xmlmodel.ActivationInput) (activationInput, error) {
	req := activationInput{comments: in.Comments}
	if a, ok := in.Attribute(xmlmodel.AttrC2V); ok && a.Value != "" && a.Value != "null" {
		c, err := parseC2V(a.Value)
		if err != nil {
			return activationInput{}, err
		}
		req.protectionKeyID, req.fingerprint = c.keyID, c.fingerprint
	} else if a, ok := in.Attribute(xmlmodel.AttrProtectionKeyID); ok && a.Value != "" {
		req.protectionKeyID = a.Value
	} else {
		return activationInput{}, errNoC2V
	}
	if _, ok := in.Attribute(xmlmodel.AttrClearBeforeApplyingUpdate); !ok {
		req.attributes = append(req.attributes, license.Attribute{
			Name: xmlmodel.AttrClearBeforeApplyingUpdate, Value: "null", ISVPermission: "NONE", EndUserPermission: "READ_WRITE",
		})
	}
	for _, a := range in.Attributes {
		if a == (xmlmodel.ActivationAttribute{}) {
			continue
		}
		req.attributes = append(req.attributes, license.Attribute{
			Name: a.Name, Value: a.Value, Group: a.GroupName, ISVPermission: a.ISVPermission, EndUserPermission: a.EndUserPermission,
		})
	}
	return req, nil
}

// maxProtectionKeyIDLen is the most digits a protection key ID may have.
const maxProtectionKeyIDLen = 32

// computerID returns the protection key ID that the activation is for,
// which licgate keeps as the activation's computer ID: the ID the request
// names, or the one derived from the host fingerprint of a new key (see
// [protectionKeyID]). productKey is that of the license being activated.
func (in activationInput) computerID(svc *license.Service, productKey string) (string, error) {
	switch {
	case in.protectionKeyID != "":
		return in.protectionKeyID, checkProtectionKeyID(in.protectionKeyID)
	case len(in.fingerprint) > license.MaxAttributeValue:
		return "", &license.InvalidError{Reason: fmt.Sprintf("the host fingerprint is longer than %d bytes", license.MaxAttributeValue)}
	case stripSpace(in.fingerprint) == "":
		return "", errC2VNoTarget
	}
	return protectionKeyID(svc, productKey, in.fingerprint), nil
}

// checkProtectionKeyID reports whether id is a protection key ID: 1 to
// maxProtectionKeyIDLen decimal digits.
func checkProtectionKeyID(id string) error {
	if id == "" || len(id) > maxProtectionKeyIDLen || strings.Trim(id, "0123456789") != "" {
		return &license.InvalidError{Reason: fmt.Sprintf("the protection key ID must be 1 to %d decimal digits", maxProtectionKeyIDLen)}
	}
	return nil
}

// protectionKeyID returns the ID of the protection key that a new key with
// the host fingerprint gets on the license with the product key: 18
// decimal digits from the service's keyed hash of the product key and the
// fingerprint with all white space removed. The same fingerprint on the
// same license always yields the same ID, so posting a C2V again finds the
// activation it made and takes no second seat; no one without the
// service's secret can predict it.
//
// It must never change: the first edition derived it from the license ID,
// which a license made then keeps as its product key, so the bytes hashed
// are the same and installed keys keep their activations.
func protectionKeyID(svc *license.Service, productKey, fingerprint string) string {
	sum := svc.KeyedHash("licgate ems protection key", productKey, stripSpace(fingerprint))
	const lo, span = 100_000_000_000_000_000, 900_000_000_000_000_000 // 18 digits
	n := binary.BigEndian.Uint64(sum) % span
	return strconv.FormatUint(lo+n, 10)
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}
