package xmlmodel

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// EMSDeclaration is the XML declaration the EMS web services put before
// their documents (all but the answer of GET productKey/{pk}.ws).
const EMSDeclaration = `<?xml version="1.0" encoding="UTF-8"?>`

// EMS attribute names that licgate reads or writes.
const (
	AttrC2V                       = "C2V"                          // the C2V of the key to activate
	AttrProtectionKeyID           = "ProtectionKeyId"              // the ID of the key to update, instead of a C2V
	AttrClearBeforeApplyingUpdate = "CLEAR_BEFORE_APPLYING_UPDATE" // echoed with the value "null"
	AttrAcknowledgementRequest    = "ACKNOWLEDGEMENT_REQUEST"      // a product key attribute
)

// Activation is the <activation> document of Activation.xsd: the request of
// POST productKey/{pk}/activation.ws (Input only) and the answer of that
// call and of GET activation/{aid}.ws (Output and Input).
//
// Unmarshaling accepts children in any order, CDATA or escaped text,
// unknown elements and attributes, and trims every value. Marshaling
// writes the schema's order and escapes text with [EscapeText], which naive
// clients need for activationString.
type Activation struct {
	XMLName xml.Name          `xml:"activation"`
	Output  *ActivationOutput `xml:"activationOutput"`
	Input   ActivationInput   `xml:"activationInput"`
}

// ActivationOutput is what the server made of an activation: the AID, the
// protection key it is for, and the license (a V2C) as text.
type ActivationOutput struct {
	AID             string `xml:"AID"`
	ProtectionKeyID string `xml:"protectionKeyId"`
	// ActivationString is a V2C <hasp_info> document. It is written as
	// entity-escaped text, never CDATA (see [EscapeText]).
	ActivationString string `xml:"activationString"`
}

// ActivationInput is what the client sent: the attributes (the C2V among
// them), comments and whether to mail the customer.
type ActivationInput struct {
	// Attributes are read from <activationAttribute> and, as some EMS
	// samples name them, <licensingAttribute> elements; they are written as
	// <activationAttribute>.
	Attributes []ActivationAttribute `xml:"activationAttribute"`
	Comments   string                `xml:"comments"`
	// SendMail is nil when the element is absent or not a boolean.
	SendMail *bool `xml:"sendMail"`
}

// ActivationAttribute is one named value of an activation, a product key or
// an entitlement, with its optional group and permissions.
type ActivationAttribute struct {
	Name              string `xml:"attributeName"`
	Value             string `xml:"attributeValue"`
	GroupName         string `xml:"groupName"`
	ISVPermission     string `xml:"isvPermission"`
	EndUserPermission string `xml:"endUserPermission"`
}

// Attribute returns the first attribute whose name equals name, ignoring
// case, and whether there is one.
func (in ActivationInput) Attribute(name string) (ActivationAttribute, bool) {
	for _, a := range in.Attributes {
		if strings.EqualFold(a.Name, name) {
			return a, true
		}
	}
	return ActivationAttribute{}, false
}

// ProductKey is the <productKey> document of GET and POST
// productKey/{pk}.ws, in the element order of the EMS schema (see the spec's
// §4.5). Counts and booleans are kept as the text they are on the wire, so
// that an update can tell an absent element ("") from a given one.
type ProductKey struct {
	XMLName              xml.Name      `xml:"productKey"`
	ProductKeyID         string        `xml:"productKeyId"`
	TotalEntitled        string        `xml:"totalEntitled"`
	Available            string        `xml:"available"`
	Enabled              string        `xml:"enabled"`
	Type                 string        `xml:"type"`
	RegistrationRequired string        `xml:"registrationRequired"`
	CustomerEmail        string        `xml:"customerEmail"`
	CustomerName         string        `xml:"customerName"`
	ProductInfo          []ProductInfo `xml:"productInfo"`
	// AIDs are the activations of the key.
	AIDs []ProductKeyAID `xml:"AID"`
	// Attributes are read from <activationAttribute> and <licensingAttribute>
	// elements and written as <activationAttribute>.
	Attributes       []ActivationAttribute `xml:"activationAttribute"`
	ProtectionKeyIDs []ProtectionKeyRef    `xml:"protectionKeyId"`
	EntitlementID    string                `xml:"entitlementId"`
	// CustomerID is the customer's number (licgate: the license's number),
	// empty for a key without a customer; it is always written.
	CustomerID string `xml:"customerId"`
}

// ProductInfo is a product of a product key, written as an empty element
// with attributes.
type ProductInfo struct {
	ID                string `xml:"id,attr"`
	ProductName       string `xml:"productName,attr"`
	ProductIdentifier string `xml:"productIdentifier,attr"`
	Type              string `xml:"type,attr"`
}

// ProductKeyAID is an activation of a product key:
// <AID protectionKeyId="…">aid</AID>.
type ProductKeyAID struct {
	ProtectionKeyID string `xml:"protectionKeyId,attr"`
	AID             string `xml:",chardata"`
}

// ProtectionKeyRef is a protection key of a product key:
// <protectionKeyId keyType="…" isDriverless="…">id</protectionKeyId>.
type ProtectionKeyRef struct {
	KeyType      string `xml:"keyType,attr"`
	IsDriverless string `xml:"isDriverless,attr"`
	ID           string `xml:",chardata"`
}

// The values of <regRequired> in the answer of loginByProductKey.ws, as
// Thales' C activation sample defines them (REG_NOTREQUIRED=1,
// REG_DESIRED=2, REG_MANDATORY=3) and the documentation's sample shows
// (1); they match registrationRequired's NOT_REQUIRED, DESIRED and
// MANDATORY in a <productKey>.
const (
	RegNotRequired = "1"
	RegDesired     = "2"
	RegMandatory   = "3"
)

// EMSResponse is the answer of loginByProductKey.ws.
type EMSResponse struct {
	XMLName xml.Name `xml:"EMSResponse"`
	// RegRequired says whether the customer should register (PUT
	// customer.ws) before activating: one of the RegNotRequired,
	// RegDesired and RegMandatory values.
	RegRequired string `xml:"regRequired"`
	SessionID   string `xml:"sessionId"`
	// Stat is "ok" on success.
	Stat string `xml:"stat"`
	// RedirectToUserReg is read by some clients; written only when set.
	RedirectToUserReg string `xml:"redirectToUserReg"`
}

// Customer is the <customer> document of EMS's customer.xsd: the request
// of PUT customer.ws, which registers a customer, and the answer of GET
// customer/{id}.ws. Unmarshaling accepts children in any order, ignores
// unknown ones (addresses, xsi attributes, …) and trims every value;
// marshaling writes id, type, name, enabled, phone (when set) and the
// default contact, always, as clients read
// Root.Element("defaultContact").Element("emailId").
type Customer struct {
	XMLName xml.Name `xml:"customer"`
	// ID is the customer's number (licgate: the license's number).
	ID string `xml:"id"`
	// Type is "ind" for an individual.
	Type        string `xml:"type"`
	Name        string `xml:"name"`
	Enabled     string `xml:"enabled"`
	Description string `xml:"description"`
	CRMID       string `xml:"crmId"`
	RefID       string `xml:"refId"`
	Phone       string `xml:"phone"`
	Fax         string `xml:"fax"`
	// DefaultContact is the person to reach.
	DefaultContact Contact `xml:"defaultContact"`
}

// Contact is a person of a customer: the <defaultContact> of a <customer>.
type Contact struct {
	EmailID    string `xml:"emailId"`
	FirstName  string `xml:"firstName"`
	MiddleName string `xml:"middleName"`
	LastName   string `xml:"lastName"`
	Phone      string `xml:"phone"`
	Locale     string `xml:"locale"`
}

// FullName returns the contact's first, middle and last names joined by
// spaces, without empty ones.
func (c Contact) FullName() string {
	var parts []string
	for _, s := range []string{c.FirstName, c.MiddleName, c.LastName} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// AuthenticationDetail is the request (UserName, Password) and the answer
// (UserName, Version) of login.ws.
type AuthenticationDetail struct {
	XMLName  xml.Name `xml:"authenticationDetail"`
	UserName string   `xml:"userName"`
	Password string   `xml:"password"`
	Version  string   `xml:"version"`
}

// Errors of [UnmarshalEMS] and [DecodeEMSText].
var (
	// ErrEMSCharset means a document in 8-bit bytes declares an encoding
	// other than UTF-8, US-ASCII, ISO-8859-1 or UTF-16 (read as UTF-8), or
	// a UTF-16 document has an odd number of bytes.
	ErrEMSCharset = errors.New("xmlmodel: unsupported XML encoding")
)

// UnmarshalEMS parses an EMS document into v. It is [xml.Unmarshal] on the
// text [DecodeEMSText] reads from data: the document is read as its bytes
// say, whatever encoding its declaration names.
func UnmarshalEMS(data []byte, v any) error {
	text, err := decodeEMS(data)
	if err != nil {
		return err
	}
	d := xml.NewDecoder(bytes.NewReader(text))
	// The text is UTF-8 now, whatever the declaration says.
	d.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	return d.Decode(v)
}

// DecodeEMSText returns an EMS document (or a C2V) as UTF-8 text, reading
// it as its bytes say rather than as its declaration says, since Windows
// clients send documents whose declaration names an encoding their bytes
// do not have:
//
//   - a UTF-8 byte order mark means UTF-8, whatever the declaration says;
//   - a UTF-16 byte order mark, or the NUL bytes UTF-16 puts beside the
//     first "<" (XML 1.0, appendix F), means UTF-16 of that byte order;
//   - otherwise the bytes are 8-bit: ISO-8859-1 if the declaration says so,
//     else UTF-8, also when the declaration says UTF-16 (as the documents
//     .NET's StringWriter writes do: they declare utf-16 and are sent as
//     UTF-8); any other declared encoding is [ErrEMSCharset].
//
// The byte order mark is removed, and so are trailing NUL characters,
// which C clients send when they count a string's terminator; the
// declaration is kept as it is. Bytes that are not valid in the encoding
// found are left for the XML parser to refuse.
func DecodeEMSText(data []byte) (string, error) {
	b, err := decodeEMS(data)
	return string(b), err
}

var bomUTF8 = []byte{0xEF, 0xBB, 0xBF}

func decodeEMS(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		return data[len(bomUTF8):], nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return decodeUTF16(data[2:], false)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return decodeUTF16(data[2:], true)
	case len(data) >= 4 && data[0] == '<' && data[1] == 0 && data[3] == 0:
		return decodeUTF16(data, false)
	case len(data) >= 4 && data[0] == 0 && data[1] == '<' && data[2] == 0:
		return decodeUTF16(data, true)
	}
	data = bytes.TrimRight(data, "\x00")
	switch label := declaredEncoding(data); label {
	case "", "utf-8", "utf8", "us-ascii", "ascii",
		"utf-16", "utf16", "utf-16le", "utf-16be", "ucs-2", "unicode":
		return data, nil
	case "iso-8859-1", "iso8859-1", "latin1", "l1", "iso_8859-1":
		out := make([]byte, 0, len(data)+len(data)/8)
		for _, c := range data {
			out = utf8.AppendRune(out, rune(c))
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%w %q", ErrEMSCharset, label)
	}
}

// decodeUTF16 returns UTF-16 text as UTF-8; unpaired surrogates become
// U+FFFD.
func decodeUTF16(b []byte, bigEndian bool) ([]byte, error) {
	if len(b)%2 != 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1] // a C string's terminator after the text
	}
	if len(b)%2 != 0 {
		return nil, fmt.Errorf("%w: UTF-16 with an odd number of bytes", ErrEMSCharset)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		if bigEndian {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	out := make([]byte, 0, len(u))
	for _, r := range utf16.Decode(u) {
		out = utf8.AppendRune(out, r)
	}
	return bytes.TrimRight(out, "\x00"), nil
}

// declaredEncoding returns the encoding an XML declaration at the start of
// data names, lower case and trimmed, or "" if there is none.
func declaredEncoding(data []byte) string {
	data = bytes.TrimLeft(data, " \t\r\n")
	if !bytes.HasPrefix(data, []byte("<?xml")) {
		return ""
	}
	end := bytes.Index(data, []byte("?>"))
	if end < 0 {
		return ""
	}
	decl := data[len("<?xml"):end]
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if len(rest) == 0 || rest[0] != '=' {
		return ""
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '"' && rest[0] != '\'' {
		return ""
	}
	q := rest[0]
	j := bytes.IndexByte(rest[1:], q)
	if j < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(string(rest[1 : 1+j])))
}

// MarshalEMS writes v as an EMS document, without indentation. With
// declaration set, [EMSDeclaration] and a newline come first, as EMS writes
// them before every document but the answer of GET productKey/{pk}.ws.
func MarshalEMS(v any, declaration bool) ([]byte, error) {
	var buf bytes.Buffer
	if declaration {
		buf.WriteString(EMSDeclaration)
		buf.WriteByte('\n')
	}
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// EscapeText returns s escaped for XML character data the way EMS clients
// need it: & as &amp;, < as &lt;, > as &gt; and " as &quot;, and nothing
// else. Newlines and tabs stay raw, and neither &apos;, &#39;, &#34; nor
// &#xA; is ever written, so a client that cuts the text out between its tags
// and un-escapes only &gt;, &lt; and &quot; gets the original XML back
// (unlike [xml.EscapeText], which writes &#34; and &#xA;). Characters XML
// does not allow (most control characters, invalid UTF-8) are replaced by
// U+FFFD.
func EscapeText(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '&' || c == '<' || c == '>' || c == '"' || c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c >= utf8.RuneSelf {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == utf8.RuneError && n == 1, !isXMLChar(r):
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// isXMLChar reports whether r is a Char of XML 1.0.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// clean trims a value read from a request and folds its line endings to
// \n, as an XML parser does for literal ones, so that values survive a
// round trip through [EscapeText] unchanged.
func clean(s string) string {
	s = strings.TrimSpace(s)
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// parseBool reads an xsd:boolean; anything else is nil.
func parseBool(s string) *bool {
	var v bool
	switch clean(s) {
	case "true", "1":
		v = true
	case "false", "0":
	default:
		return nil
	}
	return &v
}

// writer writes elements through an [xml.Encoder], with text escaped by
// [EscapeText]; the first error sticks.
type writer struct {
	e   *xml.Encoder
	err error
}

// innerXML carries text already escaped.
type innerXML struct {
	S string `xml:",innerxml"`
}

// el returns the start of an element without attributes. The types here
// always write their EMS element names, whatever start the encoder offers.
func el(name string) xml.StartElement { return xml.StartElement{Name: xml.Name{Local: name}} }

func (w *writer) start(s xml.StartElement) {
	if w.err == nil {
		w.err = w.e.EncodeToken(s)
	}
}

func (w *writer) end(name string) {
	if w.err == nil {
		w.err = w.e.EncodeToken(xml.EndElement{Name: xml.Name{Local: name}})
	}
}

// text writes <name>value</name>.
func (w *writer) text(name, value string) {
	if w.err == nil {
		w.err = w.e.EncodeElement(innerXML{EscapeText(value)}, el(name))
	}
}

// opt writes <name>value</name> unless value is empty.
func (w *writer) opt(name, value string) {
	if value != "" {
		w.text(name, value)
	}
}

// elem writes v as the element start.
func (w *writer) elem(v any, start xml.StartElement) {
	if w.err == nil {
		w.err = w.e.EncodeElement(v, start)
	}
}

// MarshalXML implements [xml.Marshaler]: activationOutput (if set), then
// activationInput.
func (a Activation) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	w := &writer{e: e}
	s := el("activation")
	w.start(s)
	if a.Output != nil {
		w.elem(a.Output, el("activationOutput"))
	}
	w.elem(a.Input, el("activationInput"))
	w.end(s.Name.Local)
	return w.err
}

// MarshalXML implements [xml.Marshaler]: AID, protectionKeyId and
// activationString, always written.
func (o ActivationOutput) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	w := &writer{e: e}
	s := el("activationOutput")
	w.start(s)
	w.text("AID", o.AID)
	w.text("protectionKeyId", o.ProtectionKeyID)
	w.text("activationString", o.ActivationString)
	w.end(s.Name.Local)
	return w.err
}

// UnmarshalXML implements [xml.Unmarshaler], trimming every value.
func (o *ActivationOutput) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain ActivationOutput
	var p plain
	if err := d.DecodeElement(&p, &start); err != nil {
		return err
	}
	*o = ActivationOutput{AID: clean(p.AID), ProtectionKeyID: clean(p.ProtectionKeyID), ActivationString: clean(p.ActivationString)}
	return nil
}

// MarshalXML implements [xml.Marshaler]: the attributes, comments (always,
// possibly empty) and sendMail (when set).
func (in ActivationInput) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	w := &writer{e: e}
	s := el("activationInput")
	w.start(s)
	for _, a := range in.Attributes {
		w.elem(a, el("activationAttribute"))
	}
	w.text("comments", in.Comments)
	if in.SendMail != nil {
		w.text("sendMail", strconv.FormatBool(*in.SendMail))
	}
	w.end(s.Name.Local)
	return w.err
}

// UnmarshalXML implements [xml.Unmarshaler]. It reads attributes from
// <activationAttribute> and <licensingAttribute> in document order and trims
// every value.
func (in *ActivationInput) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var out ActivationInput
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "activationAttribute", "licensingAttribute":
				var a ActivationAttribute
				if err := d.DecodeElement(&a, &t); err != nil {
					return err
				}
				out.Attributes = append(out.Attributes, a)
			case "comments":
				var s string
				if err := d.DecodeElement(&s, &t); err != nil {
					return err
				}
				out.Comments = clean(s)
			case "sendMail":
				var s string
				if err := d.DecodeElement(&s, &t); err != nil {
					return err
				}
				out.SendMail = parseBool(s)
			default:
				if err := d.Skip(); err != nil {
					return err
				}
			}
		case xml.EndElement:
			*in = out
			return nil
		}
	}
}

// MarshalXML implements [xml.Marshaler]: attributeName and attributeValue
// always, then groupName, isvPermission and endUserPermission when set.
func (a ActivationAttribute) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	w := &writer{e: e}
	s := el("activationAttribute")
	w.start(s)
	w.text("attributeName", a.Name)
	w.text("attributeValue", a.Value)
	w.opt("groupName", a.GroupName)
	w.opt("isvPermission", a.ISVPermission)
	w.opt("endUserPermission", a.EndUserPermission)
	w.end(s.Name.Local)
	return w.err
}

// UnmarshalXML implements [xml.Unmarshaler], trimming every value.
func (a *ActivationAttribute) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain ActivationAttribute
	var p plain
	if err := d.DecodeElement(&p, &start); err != nil {
		return err
	}
	*a = ActivationAttribute{
		Name: clean(p.Name), Value: clean(p.Value), GroupName: clean(p.GroupName),
		ISVPermission: clean(p.ISVPermission), EndUserPermission: clean(p.EndUserPermission),
	}
	return nil
}

// MarshalXML implements [xml.Marshaler]: productKeyId and customerId
// always, every other element when set, in the schema's order.
func (p ProductKey) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	w := &writer{e: e}
	s := el("productKey")
	w.start(s)
	w.text("productKeyId", p.ProductKeyID)
	w.opt("totalEntitled", p.TotalEntitled)
	w.opt("available", p.Available)
	w.opt("enabled", p.Enabled)
	w.opt("type", p.Type)
	w.opt("registrationRequired", p.RegistrationRequired)
	w.opt("customerEmail", p.CustomerEmail)
	w.opt("customerName", p.CustomerName)
	for _, pi := range p.ProductInfo {
		w.elem(pi, el("productInfo"))
	}
	for _, a := range p.AIDs {
		w.elem(a, el("AID"))
	}
	for _, a := range p.Attributes {
		w.elem(a, el("activationAttribute"))
	}
	for _, k := range p.ProtectionKeyIDs {
		w.elem(k, el("protectionKeyId"))
	}
	w.opt("entitlementId", p.EntitlementID)
	// customerId is always written, empty for a key without a customer:
	// clients read it with XDocument's Root.Element("customerId").Value,
	// which fails on a missing element.
	w.text("customerId", p.CustomerID)
	w.end(s.Name.Local)
	return w.err
}

// UnmarshalXML implements [xml.Unmarshaler]. It reads attributes from
// <activationAttribute> and <licensingAttribute> in document order and trims
// every value.
func (p *ProductKey) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if start.Name.Local != "productKey" {
		return fmt.Errorf("xmlmodel: expected element <productKey> but have <%s>", start.Name.Local)
	}
	var out ProductKey
	texts := map[string]*string{
		"productKeyId": &out.ProductKeyID, "totalEntitled": &out.TotalEntitled, "available": &out.Available,
		"enabled": &out.Enabled, "type": &out.Type, "registrationRequired": &out.RegistrationRequired,
		"customerEmail": &out.CustomerEmail, "customerName": &out.CustomerName,
		"entitlementId": &out.EntitlementID, "customerId": &out.CustomerID,
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			var err error
			switch name := t.Name.Local; name {
			case "activationAttribute", "licensingAttribute":
				var a ActivationAttribute
				err = d.DecodeElement(&a, &t)
				out.Attributes = append(out.Attributes, a)
			case "productInfo":
				var pi ProductInfo
				err = d.DecodeElement(&pi, &t)
				pi = ProductInfo{ID: clean(pi.ID), ProductName: clean(pi.ProductName), ProductIdentifier: clean(pi.ProductIdentifier), Type: clean(pi.Type)}
				out.ProductInfo = append(out.ProductInfo, pi)
			case "AID":
				var a ProductKeyAID
				err = d.DecodeElement(&a, &t)
				out.AIDs = append(out.AIDs, ProductKeyAID{ProtectionKeyID: clean(a.ProtectionKeyID), AID: clean(a.AID)})
			case "protectionKeyId":
				var k ProtectionKeyRef
				err = d.DecodeElement(&k, &t)
				out.ProtectionKeyIDs = append(out.ProtectionKeyIDs, ProtectionKeyRef{KeyType: clean(k.KeyType), IsDriverless: clean(k.IsDriverless), ID: clean(k.ID)})
			default:
				if dst, ok := texts[name]; ok {
					var s string
					err = d.DecodeElement(&s, &t)
					*dst = clean(s)
				} else {
					err = d.Skip()
				}
			}
			if err != nil {
				return err
			}
		case xml.EndElement:
			*p = out
			return nil
		}
	}
}

// MarshalXML implements [xml.Marshaler]: an empty element with the id,
// productName, productIdentifier and type attributes.
func (pi ProductInfo) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	s := el("productInfo")
	for _, a := range [...][2]string{{"id", pi.ID}, {"productName", pi.ProductName}, {"productIdentifier", pi.ProductIdentifier}, {"type", pi.Type}} {
		s.Attr = append(s.Attr, xml.Attr{Name: xml.Name{Local: a[0]}, Value: a[1]})
	}
	w := &writer{e: e}
	w.start(s)
	w.end(s.Name.Local)
	return w.err
}

// MarshalXML implements [xml.Marshaler]: <AID protectionKeyId="…">aid</AID>.
func (a ProductKeyAID) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	s := el("AID")
	if a.ProtectionKeyID != "" {
		s.Attr = []xml.Attr{{Name: xml.Name{Local: "protectionKeyId"}, Value: a.ProtectionKeyID}}
	}
	return e.EncodeElement(innerXML{EscapeText(a.AID)}, s)
}

// MarshalXML implements [xml.Marshaler]: the key ID with keyType and
// isDriverless attributes when set.
func (k ProtectionKeyRef) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	s := el("protectionKeyId")
	if k.KeyType != "" {
		s.Attr = append(s.Attr, xml.Attr{Name: xml.Name{Local: "keyType"}, Value: k.KeyType})
	}
	if k.IsDriverless != "" {
		s.Attr = append(s.Attr, xml.Attr{Name: xml.Name{Local: "isDriverless"}, Value: k.IsDriverless})
	}
	return e.EncodeElement(innerXML{EscapeText(k.ID)}, s)
}

// MarshalXML implements [xml.Marshaler]: regRequired, sessionId and stat,
// then redirectToUserReg when set.
func (r EMSResponse) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	w := &writer{e: e}
	s := el("EMSResponse")
	w.start(s)
	w.text("regRequired", r.RegRequired)
	w.text("sessionId", r.SessionID)
	w.text("stat", r.Stat)
	w.opt("redirectToUserReg", r.RedirectToUserReg)
	w.end(s.Name.Local)
	return w.err
}

// UnmarshalXML implements [xml.Unmarshaler], trimming every value.
func (r *EMSResponse) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain EMSResponse
	var p plain
	if err := d.DecodeElement(&p, &start); err != nil {
		return err
	}
	*r = EMSResponse{
		RegRequired: clean(p.RegRequired), SessionID: clean(p.SessionID),
		Stat: clean(p.Stat), RedirectToUserReg: clean(p.RedirectToUserReg),
	}
	return nil
}

// MarshalXML implements [xml.Marshaler]: userName always, then password
// and version when set.
func (a AuthenticationDetail) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	w := &writer{e: e}
	s := el("authenticationDetail")
	w.start(s)
	w.text("userName", a.UserName)
	w.opt("password", a.Password)
	w.opt("version", a.Version)
	w.end(s.Name.Local)
	return w.err
}

// UnmarshalXML implements [xml.Unmarshaler], trimming every value.
func (a *AuthenticationDetail) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain AuthenticationDetail
	var p plain
	if err := d.DecodeElement(&p, &start); err != nil {
		return err
	}
	*a = AuthenticationDetail{UserName: clean(p.UserName), Password: clean(p.Password), Version: clean(p.Version)}
	return nil
}

// MarshalXML implements [xml.Marshaler]: id, type, name and enabled
// always, phone when set, then the default contact.
func (c Customer) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	w := &writer{e: e}
	s := el("customer")
	w.start(s)
	w.text("id", c.ID)
	w.text("type", c.Type)
	w.text("name", c.Name)
	w.text("enabled", c.Enabled)
	w.opt("description", c.Description)
	w.opt("crmId", c.CRMID)
	w.opt("refId", c.RefID)
	w.opt("phone", c.Phone)
	w.opt("fax", c.Fax)
	w.elem(c.DefaultContact, el("defaultContact"))
	w.end(s.Name.Local)
	return w.err
}

// UnmarshalXML implements [xml.Unmarshaler], trimming every value.
func (c *Customer) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain Customer
	var p plain
	if err := d.DecodeElement(&p, &start); err != nil {
		return err
	}
	*c = Customer{
		ID: clean(p.ID), Type: clean(p.Type), Name: clean(p.Name), Enabled: clean(p.Enabled),
		Description: clean(p.Description), CRMID: clean(p.CRMID), RefID: clean(p.RefID),
		Phone: clean(p.Phone), Fax: clean(p.Fax), DefaultContact: p.DefaultContact,
	}
	return nil
}

// MarshalXML implements [xml.Marshaler]: emailId, firstName and lastName
// always, the other names when set.
func (c Contact) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	w := &writer{e: e}
	s := el("defaultContact")
	w.start(s)
	w.text("emailId", c.EmailID)
	w.text("firstName", c.FirstName)
	w.opt("middleName", c.MiddleName)
	w.text("lastName", c.LastName)
	w.opt("phone", c.Phone)
	w.opt("locale", c.Locale)
	w.end(s.Name.Local)
	return w.err
}

// UnmarshalXML implements [xml.Unmarshaler], trimming every value.
func (c *Contact) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain Contact
	var p plain
	if err := d.DecodeElement(&p, &start); err != nil {
		return err
	}
	*c = Contact{
		EmailID: clean(p.EmailID), FirstName: clean(p.FirstName), MiddleName: clean(p.MiddleName),
		LastName: clean(p.LastName), Phone: clean(p.Phone), Locale: clean(p.Locale),
	}
	return nil
}
