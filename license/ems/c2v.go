package ems

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/xmlmodel"
)

// Request errors that the C2V or the attributes cause; each has its own
// answer (see [Handler]).
var (
	errNoC2V       = errors.New("ems: no C2V or ProtectionKeyId attribute")
	errC2VSyntax   = errors.New("ems: C2V is not a hasp_info document")
	errC2VNoTarget = errors.New("ems: C2V names no protection key and has no host fingerprint")
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

// activationRequest turns an <activationInput> into the service's request:
// the protection key from the C2V attribute (or a ProtectionKeyId
// attribute), and the attributes to store, CLEAR_BEFORE_APPLYING_UPDATE
// first as EMS echoes it.
func activationRequest(productKey string, in xmlmodel.ActivationInput) (license.ProductKeyActivation, error) {
	req := license.ProductKeyActivation{ProductKey: productKey, Comments: in.Comments}
	if a, ok := in.Attribute(xmlmodel.AttrC2V); ok && a.Value != "" && a.Value != "null" {
		c, err := parseC2V(a.Value)
		if err != nil {
			return license.ProductKeyActivation{}, err
		}
		req.ProtectionKeyID, req.Fingerprint = c.keyID, c.fingerprint
	} else if a, ok := in.Attribute(xmlmodel.AttrProtectionKeyID); ok && a.Value != "" {
		req.ProtectionKeyID = a.Value
	} else {
		return license.ProductKeyActivation{}, errNoC2V
	}
	if _, ok := in.Attribute(xmlmodel.AttrClearBeforeApplyingUpdate); !ok {
		req.Attributes = append(req.Attributes, license.Attribute{
			Name: xmlmodel.AttrClearBeforeApplyingUpdate, Value: "null", ISVPermission: "NONE", EndUserPermission: "READ_WRITE",
		})
	}
	for _, a := range in.Attributes {
		if a == (xmlmodel.ActivationAttribute{}) {
			continue
		}
		req.Attributes = append(req.Attributes, license.Attribute{
			Name: a.Name, Value: a.Value, Group: a.GroupName, ISVPermission: a.ISVPermission, EndUserPermission: a.EndUserPermission,
		})
	}
	return req, nil
}
