package ems

import (
	"strings"
	"testing"

	"github.com/licgate/licgate/xmlmodel"
)

func TestParseC2V(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    c2v
		wantErr error
	}{
		{"fingerprint", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hasp_info>\n <host_fingerprint type=\"SL-AdminMode\" crc=\"1\">\n AbC/+=\n</host_fingerprint>\n</hasp_info>", c2v{fingerprint: "AbC/+="}, nil},
		{"haspscope/hasp", `<hasp_info><haspscope><hasp id="712734935"><vendor id="37515"/></hasp></haspscope><c2v>x</c2v></hasp_info>`, c2v{keyID: "712734935"}, nil},
		{"haspscope/vendor/hasp", `<hasp_info><haspscope><vendor id="37515"><hasp id=" 42 " type="HASP-SL"/></vendor></haspscope></hasp_info>`, c2v{keyID: "42"}, nil},
		{"both, first of each", `<hasp_info><hasp id="1"/><hasp id="2"/><host_fingerprint>f</host_fingerprint><host_fingerprint>g</host_fingerprint></hasp_info>`, c2v{keyID: "1", fingerprint: "f"}, nil},
		{"other declared encoding", `<?xml version="1.0" encoding="windows-1252"?><hasp_info><hasp id="7"/></hasp_info>`, c2v{keyID: "7"}, nil},
		{"namespaced", `<h:hasp_info xmlns:h="urn:x"><h:hasp id="8"/></h:hasp_info>`, c2v{keyID: "8"}, nil},
		{"no key", `<hasp_info><c2v>x</c2v></hasp_info>`, c2v{}, errC2VNoTarget},
		{"hasp without id", `<hasp_info><hasp/></hasp_info>`, c2v{}, errC2VNoTarget},
		{"not XML", `MXhJSYmNpjnybwMQ`, c2v{}, errC2VSyntax},
		{"empty", ``, c2v{}, errC2VSyntax},
		{"wrong root", `<hasp id="1"/>`, c2v{}, errC2VSyntax},
		{"unclosed", `<hasp_info><hasp id="1">`, c2v{}, errC2VSyntax},
		{"broken", `<hasp_info><hasp id="1></hasp_info>`, c2v{}, errC2VSyntax},
		{"second root", `<hasp_info/><other/>`, c2v{}, errC2VSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseC2V(tt.in)
			if got != tt.want || err != tt.wantErr {
				t.Errorf("got %+v, %v; want %+v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestActivationRequest(t *testing.T) {
	t.Parallel()
	in := xmlmodel.ActivationInput{
		Attributes: []xmlmodel.ActivationAttribute{
			{},
			{Name: "C2V", Value: `<hasp_info><hasp id="5"/></hasp_info>`, GroupName: "LICENSE_TERMS"},
		},
		Comments: "hi",
	}
	req, err := activationRequest(in)
	if err != nil {
		t.Fatal(err)
	}
	if req.protectionKeyID != "5" || req.comments != "hi" || len(req.attributes) != 2 ||
		req.attributes[0].Name != xmlmodel.AttrClearBeforeApplyingUpdate || req.attributes[0].Value != "null" ||
		req.attributes[0].EndUserPermission != "READ_WRITE" || req.attributes[1].Group != "LICENSE_TERMS" {
		t.Errorf("got %+v", req)
	}
	// A client's own CLEAR_BEFORE_APPLYING_UPDATE is kept, and no default added.
	in.Attributes = append(in.Attributes, xmlmodel.ActivationAttribute{Name: "CLEAR_BEFORE_APPLYING_UPDATE", Value: "true"})
	req, err = activationRequest(in)
	if err != nil || len(req.attributes) != 2 || req.attributes[1].Value != "true" {
		t.Errorf("got %+v, %v", req, err)
	}
}

func TestParseRoute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want route
	}{
		{"/ems/v90/ws/login.ws", route{res: resLogin, prefix: "/ems"}},
		{"/ems/v21/ws/loginbyproductkey.ws", route{res: resLoginByProductKey, prefix: "/ems"}},
		{"/ems/v710/ws/logout.ws", route{res: resLogout, prefix: "/ems"}},
		{"/a/b/ems/v7_1/ws/productKey/PK.ws", route{res: resProductKey, id: "PK", prefix: "/a/b/ems"}},
		{"/ems/v90/ws/productKey/PK/activation.ws", route{res: resProductKeyActivation, id: "PK", prefix: "/ems"}},
		{"/ems/v90/ws/activation/AID.ws", route{res: resActivation, id: "AID", prefix: "/ems"}},
		{"/ems/v90/ws/activation/AID.ws;jsessionid=ABC", route{res: resActivation, id: "AID", prefix: "/ems", session: "ABC"}},
		{"/ems/v78/ws/activation/target.ws", route{res: resTarget, prefix: "/ems"}},
		{"/ems/v78/ws/Activation/Target.WS", route{res: resTarget, prefix: "/ems"}},
		{"/ems/v21/ws/customer.ws", route{res: resCustomer, prefix: "/ems"}},
		{"/ems/v21/ws/customer.ws;jsessionid=ABC", route{res: resCustomer, prefix: "/ems", session: "ABC"}},
		{"/ems/v90/ws/customer/5.ws", route{res: resCustomerID, id: "5", prefix: "/ems"}},
		{"/ems/V90/WS/login.ws", route{res: resLogin, prefix: "/ems"}},
		{"/ems/v90/ws/target.ws", route{prefix: "/ems"}},
		{"/ems/v90/ws/target/1.ws", route{prefix: "/ems"}},
		{"/ems/v90/ws/entitlement.ws", route{prefix: "/ems"}},
		{"/v90/ws/activation/AID.ws", route{res: resActivation, id: "AID"}},
		{"/ems/v90/ws/activation/.ws", route{prefix: "/ems"}},
		{"/ems/v90/ws/activation/AID", route{prefix: "/ems"}},
		{"/ems/v90/ws/productKey//activation.ws", route{prefix: "/ems"}},
		{"/ems/v90/ws/", route{prefix: "/ems"}},
		{"/ems/v90/login.ws", route{}},
		{"/ems/x90/ws/login.ws", route{}},
		{"", route{}},
	}
	for _, tt := range tests {
		if got := parseRoute(tt.path); got != tt.want {
			t.Errorf("parseRoute(%q) = %+v, want %+v", tt.path, got, tt.want)
		}
	}
}

// FuzzParseC2V: the C2V parser never panics, and whatever it accepts names
// a protection key or a fingerprint.
func FuzzParseC2V(f *testing.F) {
	for _, s := range []string{
		`<hasp_info><haspscope><hasp id="712734935"><vendor id="37515"/></hasp></haspscope></hasp_info>`,
		"<?xml version=\"1.0\"?>\n<hasp_info><host_fingerprint>MXhJ\nSYmN</host_fingerprint></hasp_info>",
		`<hasp_info><haspscope><vendor id="1"><hasp id="2"/></vendor></haspscope></hasp_info>`,
		`<hasp_info><host_fingerprint><x/>a</host_fingerprint></hasp_info>`,
		`MXhJSYmNpjnybwMQ`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseC2V(s)
		if err == nil && c.keyID == "" && c.fingerprint == "" {
			t.Errorf("accepted %q without a key or fingerprint", s)
		}
		if err != nil && c != (c2v{}) {
			t.Errorf("error %v with a result %+v", err, c)
		}
	})
}

// FuzzParseRoute: routing never panics and only a parsed resource carries
// an ID.
func FuzzParseRoute(f *testing.F) {
	for _, s := range []string{"/ems/v90/ws/productKey/x/activation.ws", "/ems/v90/ws/activation/y.ws;jsessionid=z", "/v1/ws/login.ws", "//v_/ws//"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		rt := parseRoute(p)
		if (rt.res == resUnknown || rt.res == resTarget || rt.res == resCustomer) && rt.id != "" {
			t.Errorf("unknown resource with an ID: %+v", rt)
		}
		if (rt.res == resProductKey || rt.res == resActivation || rt.res == resProductKeyActivation || rt.res == resCustomerID) && rt.id == "" {
			t.Errorf("resource without an ID: %+v", rt)
		}
		if !strings.HasPrefix(p, rt.prefix) {
			t.Errorf("prefix %q not a prefix of %q", rt.prefix, p)
		}
	})
}

// FuzzActivationRequest: any body that parses as an <activation> yields a
// request that names a key, or one of the request errors.
func FuzzActivationRequest(f *testing.F) {
	for _, s := range []string{
		`<activation><activationInput><activationAttribute><attributeValue><![CDATA[<hasp_info><hasp id="1"/></hasp_info>]]></attributeValue><attributeName>C2V</attributeName></activationAttribute></activationInput></activation>`,
		`<activation><activationInput><licensingAttribute><attributeName>ProtectionKeyId</attributeName><attributeValue>43243243243</attributeValue></licensingAttribute><comments/></activationInput></activation>`,
		`<activation><activationInput><activationAttribute><attributeName>C2V</attributeName><attributeValue>&lt;hasp_info&gt;&lt;host_fingerprint&gt;x&lt;/host_fingerprint&gt;&lt;/hasp_info&gt;</attributeValue></activationAttribute></activationInput></activation>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var doc xmlmodel.Activation
		if xmlmodel.UnmarshalEMS(body, &doc) != nil {
			return
		}
		req, err := activationRequest(doc.Input)
		switch err {
		case nil:
			if req.protectionKeyID == "" && req.fingerprint == "" {
				t.Errorf("request without a key: %+v", req)
			}
		case errNoC2V, errC2VSyntax, errC2VNoTarget:
		default:
			t.Errorf("unexpected error %v", err)
		}
	})
}
