package xmlmodel

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readEMS(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ems", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seedActivation is the seed's sample response as data.
func seedActivation() Activation {
	return Activation{
		Output: &ActivationOutput{
			AID:             "c2396d75-3236-4ca6-9f10-682c62bdebfe",
			ProtectionKeyID: "712734935",
			ActivationString: `<?xml version="1.0" encoding="utf-8"?><hasp_info><haspscope><vendor id="37515" >` +
				`<hasp id="712734935" /></vendor></haspscope><v2c>/fZRh+EzAKMLgAEBgQZQcmludAChA…4ABAA==</v2c></hasp_info>`,
		},
		Input: ActivationInput{
			Attributes: []ActivationAttribute{
				{Name: "CLEAR_BEFORE_APPLYING_UPDATE", Value: "null", ISVPermission: "NONE", EndUserPermission: "READ_WRITE"},
				{Name: "C2V", Value: `<?xml version="1.0" encoding="UTF-8"?><hasp_info> <haspscope> <hasp id="712734935"> ` +
					`<vendor id="37515"/> </hasp> </haspscope> <c2v> YYIrYoADY3R2oQaABE0Qj4OiCoACAOqB </c2v></hasp_info>`},
			},
			Comments: "New Comments Added By Web Services",
		},
	}
}

// node is an element of a parsed document, for element-by-element
// comparison: whitespace between elements is ignored and text is trimmed.
type node struct {
	Name     string
	Attrs    []xml.Attr
	Text     string
	Children []*node
}

func parseTree(t testing.TB, doc []byte) *node {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("parse %q: %v", doc, err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &node{Name: tk.Name.Local}
			for _, a := range tk.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
					continue
				}
				n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: a.Name.Local}, Value: a.Value})
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			n.Text = strings.TrimSpace(n.Text)
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(tk)
			}
		}
	}
	return root
}

// diffTree returns the first difference between two trees, or "".
func diffTree(path string, got, want *node) string {
	path += "/" + want.Name
	if got.Name != want.Name {
		return fmt.Sprintf("%s: element <%s>, want <%s>", path, got.Name, want.Name)
	}
	if !reflect.DeepEqual(got.Attrs, want.Attrs) {
		return fmt.Sprintf("%s: attributes %v, want %v", path, got.Attrs, want.Attrs)
	}
	if got.Text != want.Text {
		return fmt.Sprintf("%s: text %q, want %q", path, got.Text, want.Text)
	}
	if len(got.Children) != len(want.Children) {
		var g, w []string
		for _, c := range got.Children {
			g = append(g, c.Name)
		}
		for _, c := range want.Children {
			w = append(w, c.Name)
		}
		return fmt.Sprintf("%s: children %v, want %v", path, g, w)
	}
	for i := range want.Children {
		if d := diffTree(path, got.Children[i], want.Children[i]); d != "" {
			return d
		}
	}
	return ""
}

func TestActivation_seedGolden(t *testing.T) {
	t.Parallel()
	golden := readEMS(t, "getLicByAid_response.xml")

	t.Run("unmarshal", func(t *testing.T) {
		var got Activation
		if err := UnmarshalEMS(golden, &got); err != nil {
			t.Fatal(err)
		}
		got.XMLName = xml.Name{}
		if want := seedActivation(); !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
	})
	t.Run("marshal", func(t *testing.T) {
		b, err := MarshalEMS(seedActivation(), true)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte(EMSDeclaration)) {
			t.Errorf("got %.60q, want the declaration first", b)
		}
		if d := diffTree("", parseTree(t, b), parseTree(t, golden)); d != "" {
			t.Error(d)
		}
		for _, bad := range []string{"&#34;", "&#39;", "&apos;", "&#xA;", "&#x9;", "CDATA"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("output contains %s: %s", bad, b)
			}
		}
	})
}

func TestActivation_requests(t *testing.T) {
	t.Parallel()
	docC2V := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n <hasp_info>\n   <host_fingerprint>MXhJSYmNpjnybwMQmXCmqPiNEj1XJk6XGATACNudoCILIEUrZc/\n" +
		"z14yWKbGXxi6iKDbiEQtnVdXiVHoOE1XumZZjF+Qy</host_fingerprint>\n </hasp_info>"
	javaC2V := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hasp_info>\n  <haspscope>\n    <hasp id=\"712734935\">\n" +
		"      <vendor id=\"37515\"/>\n    </hasp>\n  </haspscope>\n  <c2v>YYIrYoADY3R2oQaABE0Qj4OiCoACAOqB</c2v>\n</hasp_info>"
	tests := []struct {
		name string
		doc  []byte
		want ActivationInput
	}{
		{"doc sample", readEMS(t, "generateLic_request_doc.xml"), ActivationInput{
			Attributes: []ActivationAttribute{{Name: "C2V", Value: docC2V}},
			Comments:   "New Comments Added By Web Services",
		}},
		{"java sample", readEMS(t, "generateLic_request_java.xml"), ActivationInput{
			Attributes: []ActivationAttribute{{Name: "C2V", Value: javaC2V}},
		}},
		{"key id", readEMS(t, "generateLic_request_keyid.xml"), ActivationInput{
			Attributes: []ActivationAttribute{{Name: "ProtectionKeyId", Value: "43243243243"}},
		}},
		{"escaped text, licensingAttribute, CRLF, sendMail", []byte(
			"<activation><activationInput><sendMail> 1 </sendMail><licensingAttribute><attributeValue>&lt;a&gt;\r\nb&lt;/a&gt;</attributeValue>" +
				"<groupName>LICENSE_TERMS</groupName><attributeName>C2V</attributeName><unknown/></licensingAttribute>" +
				"<activationAttribute><attributeName>X</attributeName></activationAttribute><comments><![CDATA[ hi ]]></comments></activationInput></activation>"),
			ActivationInput{
				Attributes: []ActivationAttribute{{Name: "C2V", Value: "<a>\nb</a>", GroupName: "LICENSE_TERMS"}, {Name: "X"}},
				Comments:   "hi",
				SendMail:   new(true),
			}},
		{"namespaced, output ignored order", []byte(
			`<activation xmlns="urn:x"><activationInput><activationAttribute><attributeName>C2V</attributeName><attributeValue>v</attributeValue></activationAttribute></activationInput><activationOutput/></activation>`),
			ActivationInput{Attributes: []ActivationAttribute{{Name: "C2V", Value: "v"}}}},
		{"latin-1", []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><activation><activationInput><comments>caf\xe9</comments></activationInput></activation>"),
			ActivationInput{Comments: "café"}},
		{"byte order mark", []byte("\uFEFF<activation><activationInput><comments>x</comments></activationInput></activation>"),
			ActivationInput{Comments: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got Activation
			if err := UnmarshalEMS(tt.doc, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Input, tt.want) {
				t.Errorf("got %+v, want %+v", got.Input, tt.want)
			}
		})
	}
}

func TestUnmarshalEMS_errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		v    any
	}{
		{"wrong root", `<productKey/>`, new(Activation)},
		{"wrong root product key", `<activation/>`, new(ProductKey)},
		{"wrong root login", `<activation/>`, new(AuthenticationDetail)},
		{"unclosed", `<activation><activationInput>`, new(Activation)},
		{"control character", "<activation><activationInput><comments>\x01</comments></activationInput></activation>", new(Activation)},
		{"charset", `<?xml version="1.0" encoding="EBCDIC"?><activation/>`, new(Activation)},
		{"empty", ``, new(Activation)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := UnmarshalEMS([]byte(tt.doc), tt.v); err == nil {
				t.Errorf("got nil error for %q", tt.doc)
			}
		})
	}
	if err := UnmarshalEMS([]byte(`<?xml version="1.0" encoding="EBCDIC"?><activation/>`), new(Activation)); !errors.Is(err, ErrEMSCharset) {
		t.Errorf("got %v, want ErrEMSCharset", err)
	}
}

func TestEscapeText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain /+= base64", "plain /+= base64"},
		{`<a b="c">&'</a>`, `&lt;a b=&quot;c&quot;&gt;&amp;'&lt;/a&gt;`},
		{"line\n\tnext\r", "line\n\tnext\r"},
		{"bell\x07 nul\x00 ff\x0c", "bell\uFFFD nul\uFFFD ff\uFFFD"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"non-char \uFFFE ok é…", "non-char \uFFFD ok é…"},
		{"]]>", "]]&gt;"},
	}
	for _, tt := range tests {
		if got := EscapeText(tt.in); got != tt.want {
			t.Errorf("EscapeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// naiveActivationString does what Thales' C activation sample does: cut the
// text between the tags with strstr and un-escape only &gt;, &lt; and &quot;.
func naiveActivationString(doc string) (string, bool) {
	const open, closing = "<activationString>", "</activationString>"
	i := strings.Index(doc, open)
	if i < 0 {
		return "", false
	}
	rest := doc[i+len(open):]
	j := strings.Index(rest, closing)
	if j < 0 {
		return "", false
	}
	s := rest[:j]
	s = strings.ReplaceAll(s, "&gt;", ">")
	s = strings.ReplaceAll(s, "&lt;", "<")
	s = strings.ReplaceAll(s, "&quot;", `"`)
	return s, true
}

func wellFormed(s string) error {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestEscapeText_naiveClient(t *testing.T) {
	t.Parallel()
	v2cs := []string{
		seedActivation().Output.ActivationString,
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<hasp_info>\n\t<haspscope><vendor id=\"37515\" ><hasp id='712734935' /></vendor></haspscope>\n" +
			"\t<v2c>eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln</v2c>\n</hasp_info>",
		`<hasp_info><note a="x &amp; y">it's "quoted" &lt;here&gt;</note></hasp_info>`,
	}
	for _, v2c := range v2cs {
		a := seedActivation()
		a.Output.ActivationString = v2c
		b, err := MarshalEMS(a, true)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := naiveActivationString(string(b))
		if !ok {
			t.Fatalf("no <activationString> in %s", b)
		}
		if err := wellFormed(got); err != nil {
			t.Errorf("naive client got malformed XML %q: %v", got, err)
		}
		if !strings.Contains(v2c, "&") && got != v2c {
			t.Errorf("naive client got %q, want %q", got, v2c)
		}
	}
}

func TestProductKey(t *testing.T) {
	t.Parallel()
	golden := readEMS(t, "getEntByPK_response.xml")
	want := ProductKey{
		ProductKeyID: "0071eb86-911c-40aa-a07b-552d23ce37a1", TotalEntitled: "1", Available: "1", Enabled: "true",
		Type: "Product Key-based", RegistrationRequired: "NOT_REQUIRED", CustomerEmail: "pmahajan@miain.com",
		CustomerName: "Parag Mahajan",
		ProductInfo:  []ProductInfo{{ID: "1", ProductName: "SafeNet Memo Card Plugin", ProductIdentifier: "2", Type: "BASE"}},
		Attributes: []ActivationAttribute{
			{Name: "C2V", Value: "null", ISVPermission: "NONE", EndUserPermission: "WRITE"},
			{Name: "ACKNOWLEDGEMENT_REQUEST", Value: "false", ISVPermission: "WRITE", EndUserPermission: "NONE"},
			{Name: "CLEAR_BEFORE_APPLYING_UPDATE", Value: "null", ISVPermission: "NONE", EndUserPermission: "WRITE"},
		},
		EntitlementID: "7", CustomerID: "5",
	}
	var got ProductKey
	if err := UnmarshalEMS(golden, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	b, err := MarshalEMS(want, false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("<productKey>")) {
		t.Errorf("got %.40q, want no declaration", b)
	}
	if d := diffTree("", parseTree(t, b), parseTree(t, golden)); d != "" {
		t.Error(d)
	}

	var la ProductKey
	if err := UnmarshalEMS(readEMS(t, "productKey_licensingAttribute.xml"), &la); err != nil {
		t.Fatal(err)
	}
	wantLA := ProductKey{
		ProductKeyID: "0071eb86-911c-40aa-a07b-552d23ce37a1", TotalEntitled: "2", Enabled: "false",
		ProductInfo:      want.ProductInfo,
		AIDs:             []ProductKeyAID{{ProtectionKeyID: "712734935", AID: "c2396d75-3236-4ca6-9f10-682c62bdebfe"}},
		Attributes:       []ActivationAttribute{{Name: "C2V", Value: "null"}},
		ProtectionKeyIDs: []ProtectionKeyRef{{KeyType: "SL-AdminMode", IsDriverless: "false", ID: "712734935"}},
	}
	if !reflect.DeepEqual(la, wantLA) {
		t.Errorf("got %+v\nwant %+v", la, wantLA)
	}
	b, err = MarshalEMS(la, false)
	if err != nil {
		t.Fatal(err)
	}
	const wantXML = `<productKey><productKeyId>0071eb86-911c-40aa-a07b-552d23ce37a1</productKeyId><totalEntitled>2</totalEntitled>` +
		`<enabled>false</enabled><productInfo id="1" productName="SafeNet Memo Card Plugin" productIdentifier="2" type="BASE"></productInfo>` +
		`<AID protectionKeyId="712734935">c2396d75-3236-4ca6-9f10-682c62bdebfe</AID>` +
		`<activationAttribute><attributeName>C2V</attributeName><attributeValue>null</attributeValue></activationAttribute>` +
		`<protectionKeyId keyType="SL-AdminMode" isDriverless="false">712734935</protectionKeyId><customerId></customerId></productKey>`
	if string(b) != wantXML {
		t.Errorf("got  %s\nwant %s", b, wantXML)
	}

	var upd ProductKey
	if err := UnmarshalEMS(readEMS(t, "productKey_update_email.xml"), &upd); err != nil {
		t.Fatal(err)
	}
	if upd.CustomerEmail != "jane@example.com" || upd.TotalEntitled != "" || upd.Enabled != "" {
		t.Errorf("got %+v, want only the email set", upd)
	}
}

func TestLoginDocuments(t *testing.T) {
	t.Parallel()
	var resp EMSResponse
	if err := UnmarshalEMS(readEMS(t, "loginByProductKey_response.xml"), &resp); err != nil {
		t.Fatal(err)
	}
	if want := (EMSResponse{RegRequired: "1", SessionID: "8DFF9A5071E4BE930C8FC89E8BB8BD35", Stat: "ok"}); resp != want {
		t.Errorf("got %+v, want %+v", resp, want)
	}
	b, err := MarshalEMS(resp, true)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffTree("", parseTree(t, b), parseTree(t, readEMS(t, "loginByProductKey_response.xml"))); d != "" {
		t.Error(d)
	}

	var req AuthenticationDetail
	if err := UnmarshalEMS(readEMS(t, "login_request.xml"), &req); err != nil {
		t.Fatal(err)
	}
	if want := (AuthenticationDetail{UserName: "admin", Password: "admin"}); req != want {
		t.Errorf("got %+v, want %+v", req, want)
	}
	b, err = MarshalEMS(AuthenticationDetail{UserName: "admin", Version: "x.x.x"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffTree("", parseTree(t, b), parseTree(t, readEMS(t, "login_response.xml"))); d != "" {
		t.Error(d)
	}
}

func TestMarshalEMS_exactBytes(t *testing.T) {
	t.Parallel()
	a := Activation{
		Output: &ActivationOutput{AID: "a", ProtectionKeyID: "1", ActivationString: `<x y="z">'</x>`},
		Input: ActivationInput{
			Attributes: []ActivationAttribute{{Name: "C2V", Value: "<c>\n\t</c>"}},
			SendMail:   new(false),
		},
	}
	b, err := MarshalEMS(a, true)
	if err != nil {
		t.Fatal(err)
	}
	const want = EMSDeclaration + "\n<activation><activationOutput><AID>a</AID><protectionKeyId>1</protectionKeyId>" +
		"<activationString>&lt;x y=&quot;z&quot;&gt;'&lt;/x&gt;</activationString></activationOutput>" +
		"<activationInput><activationAttribute><attributeName>C2V</attributeName><attributeValue>&lt;c&gt;\n\t&lt;/c&gt;</attributeValue>" +
		"</activationAttribute><comments></comments><sendMail>false</sendMail></activationInput></activation>"
	if string(b) != want {
		t.Errorf("got  %q\nwant %q", b, want)
	}
	// xml.Marshal gives the same document.
	b2, err := xml.Marshal(&a)
	if err != nil {
		t.Fatal(err)
	}
	if string(b2) != strings.TrimPrefix(want, EMSDeclaration+"\n") {
		t.Errorf("xml.Marshal: got %q", b2)
	}
}

func TestActivationInput_Attribute(t *testing.T) {
	t.Parallel()
	in := ActivationInput{Attributes: []ActivationAttribute{{Name: "ProtectionKeyId", Value: "1"}, {Name: "c2v", Value: "x"}}}
	if a, ok := in.Attribute(AttrC2V); !ok || a.Value != "x" {
		t.Errorf("got %+v, %v", a, ok)
	}
	if _, ok := in.Attribute("missing"); ok {
		t.Error("found a missing attribute")
	}
}
