package ems_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/ems"
	"github.com/licgate/licgate/xmlmodel"
)

// The calls of issue 8: pending updates by C2V, customers, routes licgate
// does not serve, and the encodings Windows clients declare.

// TestFetchPendingUpdates: POST activation/target.ws needs no login and
// answers every C2V alike, a known protection key, an unknown one or a new
// host, with any session or none: 200, polling-frequency, and a sentence
// without <hasp_info> (Thales' samples apply an answer only if it holds
// <hasp_info>) and with "No pending update" (what the C# clients look
// for). It never carries a token, a product key or a session.
func TestFetchPendingUpdates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	e.loginPK(c, "v90", e.lic.ProductKey)
	r := e.activate(c, "v90", e.lic.ProductKey, updateC2V("712734935"))
	if r.status != http.StatusOK {
		t.Fatalf("activation: %d %s", r.status, r.body)
	}
	aid := between(r.body, "<AID>", "</AID>")
	vend := e.client()
	e.loginVendor(vend)

	const update = `<?xml version="1.0" encoding="UTF-8" ?><hasp_info><haspscope><hasp id="%s"><vendor id="37515"/></hasp></haspscope><c2v>YYIrYoADY3R2oQaABE0Qj4OiCoACAOqB</c2v></hasp_info>`
	known := strings.Replace(update, "%s", "712734935", 1)
	unknown := strings.Replace(update, "%s", "712734936", 1)
	tests := []struct {
		name        string
		client      *http.Client
		ver         string
		contentType string
		body        string
	}{
		{"known key, Java sample", http.DefaultClient, "v78", "application/xml", known},
		{"unknown key, Java sample", http.DefaultClient, "v78", "application/xml", unknown},
		{"known key, C sample (ANSI, NUL terminator)", http.DefaultClient, "v78", "application/xml; charset=utf-8", known + "\x00"},
		{"unknown key, C sample", http.DefaultClient, "v78", "application/xml; charset=utf-8", unknown + "\x00"},
		{"known key, .NET StringContent", http.DefaultClient, "v79", "application/xml; charset=utf-8", "\uFEFF" + known},
		{"known key, declared utf-16", http.DefaultClient, "v90", "text/xml", strings.Replace(known, "UTF-8", "utf-16", 1)},
		{"known key, UTF-16", http.DefaultClient, "v90", "text/xml; charset=utf-16", string(utf16LE(known))},
		{"known key, the key's own session", c, "v90", "application/xml", known},
		{"known key, a vendor session", vend, "V90", "application/xml", known},
		{"new host", http.DefaultClient, "v90", "application/xml", fingerprintC2V(docFingerprint)},
		{"no content type", http.DefaultClient, "v90", "", known},
	}
	var first resp
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.client, http.MethodPost, e.url(tt.ver, "activation/target.ws"), tt.contentType, tt.body)
			if r.status != http.StatusOK || r.body != ems.MsgNoPendingUpdate || r.header.Get(ems.PollingFrequencyHeader) != "0" {
				t.Fatalf("got %d %q, polling-frequency %q", r.status, r.body, r.header.Get(ems.PollingFrequencyHeader))
			}
			for _, secret := range []string{"<hasp_info>", "eyJ", aid, e.lic.ProductKey, e.lic.ID} {
				if strings.Contains(r.body, secret) {
					t.Errorf("the answer holds %q", secret)
				}
			}
			if len(r.header.Values("Set-Cookie")) != 0 {
				t.Errorf("Set-Cookie %v", r.header.Values("Set-Cookie"))
			}
			if i == 0 {
				first = r
				return
			}
			for _, k := range []string{"Content-Type", "Content-Length", "Cache-Control", "X-Content-Type-Options", "Polling-Frequency"} {
				if r.header.Get(k) != first.header.Get(k) {
					t.Errorf("%s %q, for the first C2V %q", k, r.header.Get(k), first.header.Get(k))
				}
			}
		})
	}
	if e.license(e.lic.ID).SeatsHeld != 1 {
		t.Error("target.ws changed the seats")
	}

	const badC2V = "The C2V is not valid: it must be a <hasp_info> XML document."
	for _, tt := range []struct{ name, body, want string }{
		{"empty", "", badC2V},
		{"not XML", "productKey=" + e.lic.ProductKey, badC2V},
		{"an activation document", javaRequest(known, ""), badC2V},
		{"no key", "<hasp_info><c2v>x</c2v></hasp_info>", "The C2V names no protection key (<hasp id>) and carries no <host_fingerprint>."},
	} {
		wantText(t, e.do(http.DefaultClient, http.MethodPost, e.url("v78", "activation/target.ws"), "application/xml", tt.body), http.StatusBadRequest, tt.want)
	}
	r = e.do(http.DefaultClient, http.MethodGet, e.url("v78", "activation/target.ws"), "", "")
	wantText(t, r, http.StatusMethodNotAllowed, "The HTTP method GET is not allowed for this web service.")
	if r.header.Get("Allow") != http.MethodPost {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}

	// The header is written in lower case, for Java's case-sensitive map.
	h, err := ems.NewHandler(e.svc, ems.WithPollingFrequency(60))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/ems/v78/ws/activation/target.ws", strings.NewReader(known)))
	if got := rec.Header()["polling-frequency"]; rec.Code != http.StatusOK || len(got) != 1 || got[0] != "60" {
		t.Errorf("got %d, header %v", rec.Code, rec.Header())
	}
}

func utf16LE(s string) []byte {
	out := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

// TestCustomers follows the registration flow of Thales' samples and the
// C# clients: a product-key login says registration is desired while the
// license has no customer, PUT customer.ws registers one (201, empty
// body), and GET productKey/{pk}.ws then names it by a numeric customerId,
// which GET customer/{id}.ws answers with the default contact's email.
func TestCustomers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	bare2, err := e.svc.CreateLicense(ctx, license.NewLicense{ProductID: "memo", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	const hasCustomer = "The Product key already has a customer, and only the vendor may replace it. Log in with login.ws to change the customer."
	login := func(c *http.Client, pk string) xmlmodel.EMSResponse {
		t.Helper()
		r := e.do(c, "POST", e.url("v21", "loginByProductKey.ws"), "", "productKey="+pk)
		var er xmlmodel.EMSResponse
		if err := xmlmodel.UnmarshalEMS([]byte(r.body), &er); r.status != 200 || err != nil {
			t.Fatalf("login: %d %s", r.status, r.body)
		}
		return er
	}
	productKey := func(c *http.Client, pk string) xmlmodel.ProductKey {
		t.Helper()
		r := e.do(c, "GET", e.url("v90", "productKey/"+pk+".ws"), "", "")
		var doc xmlmodel.ProductKey
		if err := xmlmodel.UnmarshalEMS([]byte(r.body), &doc); r.status != 200 || err != nil {
			t.Fatalf("GET productKey: %d %s", r.status, r.body)
		}
		if !strings.Contains(r.body, "<customerId>") {
			t.Errorf("no <customerId> element, which XDocument clients read: %s", r.body)
		}
		return doc
	}
	cDoc := string(mustRead(t, "customer_request_c.xml"))
	put := func(c *http.Client, body string) resp {
		return e.do(c, "PUT", e.url("v21", "customer.ws"), "text/xml; charset=utf-8", body)
	}

	c := e.client()
	if er := login(c, e.bare.ProductKey); er.RegRequired != xmlmodel.RegDesired {
		t.Errorf("regRequired %q without a customer, want %q", er.RegRequired, xmlmodel.RegDesired)
	}
	if pk := productKey(c, e.bare.ProductKey); pk.CustomerID != "" || pk.RegistrationRequired != "DESIRED" {
		t.Errorf("customerId %q, registrationRequired %q without a customer", pk.CustomerID, pk.RegistrationRequired)
	}
	wantText(t, put(e.client(), cDoc), 401, "You are not logged in, or your session has expired or ended. Log in with login.ws or loginByProductKey.ws first.")
	wantText(t, put(c, `<customer><type>ind</type><defaultContact><firstName>A</firstName></defaultContact></customer>`), 400,
		"Provide the customer's email address in <defaultContact><emailId>.")
	wantText(t, put(c, `<customer><defaultContact><emailId>not mail</emailId></defaultContact></customer>`), 400,
		`The request is not valid: the email address "not mail" is not a plain address.`)
	wantText(t, put(c, `<productKey/>`), 400, "The request body is not a well-formed <customer> XML document.")

	bare := e.license(e.bare.ID)
	r := put(c, cDoc)
	if r.status != http.StatusCreated || r.body != "" || r.header.Get("Location") != "customer/"+strconv.FormatInt(bare.Number, 10)+".ws" {
		t.Fatalf("registration: %d %q, Location %q", r.status, r.body, r.header.Get("Location"))
	}
	if got := e.license(e.bare.ID).Customer; got != (license.Customer{Email: "jane@example.com", Name: "Jane Doe"}) {
		t.Errorf("customer %+v", got)
	}
	if r := put(c, cDoc); r.status != http.StatusOK || r.body != "" {
		t.Errorf("the same customer again: %d %q", r.status, r.body)
	}
	wantText(t, put(c, strings.Replace(cDoc, "jane@", "mallory@", 1)), 403, hasCustomer)

	if er := login(c, e.bare.ProductKey); er.RegRequired != xmlmodel.RegNotRequired {
		t.Errorf("regRequired %q with a customer, want %q", er.RegRequired, xmlmodel.RegNotRequired)
	}
	pk := productKey(c, e.bare.ProductKey)
	if pk.CustomerID != strconv.FormatInt(bare.Number, 10) || pk.RegistrationRequired != "NOT_REQUIRED" || pk.CustomerEmail != "jane@example.com" {
		t.Errorf("customerId %q (number %d), registrationRequired %q", pk.CustomerID, bare.Number, pk.RegistrationRequired)
	}
	// RyanSKennedy's client: customer/{customerId}.ws, then defaultContact/emailId.
	r = e.do(c, "GET", e.url("v90", "customer/"+pk.CustomerID+".ws"), "", "")
	var cust xmlmodel.Customer
	if err := xmlmodel.UnmarshalEMS([]byte(r.body), &cust); r.status != 200 || err != nil || !strings.HasPrefix(r.body, xmlmodel.EMSDeclaration) {
		t.Fatalf("GET customer: %d %s", r.status, r.body)
	}
	if cust.ID != pk.CustomerID || cust.DefaultContact != (xmlmodel.Contact{EmailID: "jane@example.com", FirstName: "Jane", LastName: "Doe"}) {
		t.Errorf("customer %+v", cust)
	}

	// Any other customer answers like a missing one to a product-key session.
	missing := e.do(c, "GET", e.url("v90", "customer/999999999999.ws"), "", "")
	wantText(t, missing, 404, ems.MsgNoCustomer)
	for _, id := range []string{strconv.FormatInt(e.lic.Number, 10), strconv.FormatInt(bare2.Number, 10), "0", "-1", "abc", e.lic.ID, e.lic.Email} {
		wantText(t, e.do(c, "GET", e.url("v90", "customer/"+id+".ws"), "", ""), 404, ems.MsgNoCustomer)
	}

	// A .NET client's registration: declared utf-16, sent as UTF-8.
	c2 := e.client()
	login(c2, bare2.ProductKey)
	if r := put(c2, string(mustRead(t, "customer_request_dotnet.xml"))); r.status != http.StatusCreated {
		t.Errorf(".NET registration: %d %s", r.status, r.body)
	}
	if got := e.license(bare2.ID).Customer; got != (license.Customer{Email: "jürgen@example.com", Name: "Jürgen Müller"}) {
		t.Errorf(".NET customer %+v", got)
	}

	t.Run("vendor", func(t *testing.T) {
		vend := e.client()
		e.loginVendor(vend)
		other := strconv.FormatInt(e.other.Number, 10)
		if r := e.do(vend, "GET", e.url("v90", "customer/"+other+".ws"), "", ""); r.status != 200 || !strings.Contains(r.body, "<emailId>someone@example.org</emailId>") {
			t.Errorf("vendor GET: %d %s", r.status, r.body)
		}
		wantText(t, e.do(vend, "GET", e.url("v90", "customer/999999999999.ws"), "", ""), 404, ems.MsgNoCustomer)
		doc := `<customer><id>` + other + `</id><name>ACME</name><phone>+41 44 000 00 00</phone><defaultContact><emailId>Ann@Example.com</emailId><firstName>Ann</firstName><lastName>Lee</lastName></defaultContact></customer>`
		if r := put(vend, doc); r.status != http.StatusOK || r.body != "" {
			t.Errorf("vendor sets a customer: %d %q", r.status, r.body)
		}
		want := license.Customer{Email: "ann@example.com", Name: "Ann Lee", Company: "ACME", Phone: "+41 44 000 00 00"}
		if got := e.license(e.other.ID).Customer; got != want {
			t.Errorf("customer %+v, want %+v", got, want)
		}
		r := e.do(vend, "GET", e.url("v90", "customer/"+other+".ws"), "", "")
		if !strings.Contains(r.body, "<name>ACME</name>") || !strings.Contains(r.body, "<phone>+41 44 000 00 00</phone>") {
			t.Errorf("GET after the change: %s", r.body)
		}
		wantText(t, put(vend, cDoc), 400, "Name the customer to change in the <id> element: the customerId of its Product key.")
		wantText(t, put(vend, strings.Replace(doc, other, "999999999999", 1)), 404, ems.MsgNoCustomer)
	})
}

// TestUnservedRoutes: a web service licgate does not serve answers 404
// with a sentence, whatever the method; only a served resource with a
// wrong method answers 405, naming the method and with Allow.
func TestUnservedRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	e.loginVendor(c)
	const aid = "c2396d75-3236-4ca6-9f10-682c62bdebfe"
	for _, path := range []string{
		"entitlement.ws", "entitlement.ws?keyId=1", "target.ws", "target/712734935.ws", "target/712734935/activation.ws",
		"target/712734935/entitlement.ws", "activation/" + aid + "/target.ws", "productKey/" + e.lic.ProductKey + "/target.ws",
		"entitlement/7/pushActivation.ws", "c2v/decodeC2V.ws", "customer/1/contact.ws", "verifyLogin.ws", "", "x",
	} {
		for _, method := range []string{"GET", "POST", "PUT", "DELETE"} {
			r := e.do(c, method, e.url("v90", path), "application/xml", "<x/>")
			wantText(t, r, http.StatusNotFound, ems.MsgNoService)
			if r.header.Get("Allow") != "" {
				t.Errorf("%s %s: Allow %q", method, path, r.header.Get("Allow"))
			}
		}
	}
	wantText(t, e.do(c, "GET", e.srv.URL+"/ems/anything", "", ""), http.StatusNotFound, ems.MsgNoService)

	for _, tt := range []struct{ method, path, allow string }{
		{"DELETE", "activation/" + aid + ".ws", "GET"},
		{"PUT", "login.ws", "POST"},
		{"DELETE", "productKey/" + e.lic.ProductKey + ".ws", "GET, POST"},
		{"GET", "customer.ws", "PUT"},
		{"POST", "customer.ws", "PUT"},
		{"POST", "customer/1.ws", "GET"},
		{"GET", "activation/target.ws", "POST"},
	} {
		r := e.do(c, tt.method, e.url("v90", tt.path), "", "")
		wantText(t, r, http.StatusMethodNotAllowed, "The HTTP method "+tt.method+" is not allowed for this web service.")
		if r.header.Get("Allow") != tt.allow {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, r.header.Get("Allow"), tt.allow)
		}
	}
}

// TestDeclaredUTF16 sends login and activation documents as .NET's
// StringWriter writes them (declared utf-16, sent as UTF-8), with a UTF-8
// byte order mark, and in real UTF-16: all are read.
func TestDeclaredUTF16(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const decl = "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n"
	loginDoc := "<authenticationDetail xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\r\n" +
		"  <userName>" + vendorUser + "</userName>\r\n  <password>" + vendorPass + "</password>\r\n</authenticationDetail>"
	forms := map[string]func(string) string{
		"declared utf-16":      func(s string) string { return decl + s },
		"BOM, declared utf-16": func(s string) string { return "\uFEFF" + decl + s },
		"UTF-16":               func(s string) string { return string(utf16LE(decl + s)) },
	}
	for name, form := range forms {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := e.client()
			if r := e.do(c, "POST", e.url("v90", "login.ws"), "application/xml; charset=utf-8", form(loginDoc)); r.status != 200 {
				t.Fatalf("login: %d %s", r.status, r.body)
			}
			pc := e.client()
			e.loginPK(pc, "v90", e.lic3.ProductKey)
			act := strings.TrimPrefix(javaRequest(updateC2V("712734935"), "Grüße"), `<?xml version="1.0" encoding="UTF-8" ?>`+"\n")
			r := e.do(pc, "POST", e.url("v90", "productKey/"+e.lic3.ProductKey+"/activation.ws"), "text/xml; charset=utf-8", form(act))
			if r.status != 200 || !strings.Contains(r.body, "<comments>Grüße</comments>") {
				t.Errorf("activation: %d %s", r.status, r.body)
			}
		})
	}
}

// TestWinINetLogin: Thales' C sample posts the productKey form with the
// string's NUL terminator.
func TestWinINetLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(http.DefaultClient, "POST", e.url("v21", "loginByProductKey.ws"), "application/x-www-form-urlencoded; charset=utf-8", "productKey="+e.lic.ProductKey+"\x00")
	if r.status != 200 || between(r.body, "<stat>", "</stat>") != "ok" {
		t.Errorf("got %d %s", r.status, r.body)
	}
}
