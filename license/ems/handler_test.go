package ems_test

import (
	"bytes"
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/ems"
	"github.com/licgate/licgate/xmlmodel"
)

var (
	uuidRE      = regexp.MustCompile(`^\w{8}-\w{4}-\w{4}-\w{4}-\w{12}$`)
	sessionIDRE = regexp.MustCompile(`^[0-9A-F]{32}$`)
)

// TestRealClientFlow is the flow of the real clients: product-key login
// with a cookie jar, a CDATA C2V with the value before the name, the AID
// read from the answer, the license fetched again by AID with the session,
// and activationString fed to the C sample's naive parser.
func TestRealClientFlow(t *testing.T) {
	t.Parallel()
	for _, ver := range []string{"v21", "v710", "v90", "v7_1"} {
		t.Run(ver, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			c := e.client()
			sid := e.loginPK(c, ver, e.lic.ProductKey)
			if !sessionIDRE.MatchString(sid) {
				t.Fatalf("sessionId %q, want 32 upper-case hex", sid)
			}

			r := e.activate(c, ver, e.lic.ProductKey, fingerprintC2V(docFingerprint))
			if r.status != http.StatusOK {
				t.Fatalf("activation: %d %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != ems.ContentTypeXML {
				t.Errorf("Content-Type %q, want %q", ct, ems.ContentTypeXML)
			}
			if !strings.HasPrefix(r.body, xmlmodel.EMSDeclaration) || !strings.Contains(r.body, "<activation>") {
				t.Errorf("answer does not start with the declaration and <activation>: %.80s", r.body)
			}
			aid := between(r.body, "<AID>", "</AID>")
			keyID := between(r.body, "<protectionKeyId>", "</protectionKeyId>")
			if !uuidRE.MatchString(aid) || aid != strings.ToLower(aid) {
				t.Errorf("AID %q, want a lower-case UUID", aid)
			}
			if len(keyID) != 18 || strings.Trim(keyID, "0123456789") != "" {
				t.Errorf("protectionKeyId %q, want 18 digits", keyID)
			}
			if want := ems.ProtectionKeyID(e.svc, e.lic.ProductKey, docFingerprint); keyID != want {
				t.Errorf("protectionKeyId %q, want %q", keyID, want)
			}

			g := e.do(c, http.MethodGet, e.url(ver, "activation/"+aid+".ws"), "", "", "Accept", "application/vnd.ems.v12")
			if g.status != http.StatusOK {
				t.Fatalf("GET activation: %d %s", g.status, g.body)
			}
			for _, bad := range []string{"&#34;", "&#39;", "&apos;", "&#xA;", "CDATA"} {
				if strings.Contains(g.body, bad) {
					t.Errorf("answer contains %s", bad)
				}
			}
			v2c := naiveUnescape(between(g.body, "<activationString>", "</activationString>"))
			if err := wellFormed(v2c); err != nil {
				t.Fatalf("naive client got malformed XML %q: %v", v2c, err)
			}
			if !strings.HasPrefix(v2c, `<?xml version="1.0" encoding="utf-8"?><hasp_info>`) ||
				!strings.Contains(v2c, `<hasp id="`+keyID+`" />`) || !strings.Contains(v2c, `<vendor id="37515" >`) {
				t.Errorf("activationString %q", v2c)
			}
			verifier, err := license.NewVerifier(license.VerifierConfig{
				Keyfunc: e.svc.KeySet().Keyfunc, Issuer: e.svc.Issuer(), Now: func() time.Time { return *e.now.Load() },
			})
			if err != nil {
				t.Fatal(err)
			}
			claims, err := verifier.Verify(between(v2c, "<v2c>", "</v2c>"))
			if err != nil {
				t.Fatalf("the token in <v2c>: %v", err)
			}
			if claims.AID() != aid || claims.ComputerID != keyID || claims.LicenseID != e.lic.ID {
				t.Errorf("claims %+v, want AID %s, computer %s", claims, aid, keyID)
			}

			if r := e.do(c, http.MethodPost, e.url(ver, "logout.ws"), "", ""); r.status != http.StatusNoContent || r.body != "" {
				t.Errorf("logout: %d %q", r.status, r.body)
			}
		})
	}
}

// TestSeedResponse compares GET activation/{aid}.ws, after activating with
// the seed's C2V and comments, element by element with the seed's sample;
// only the AID and the V2C differ.
func TestSeedResponse(t *testing.T) {
	t.Parallel()
	golden, err := os.ReadFile(filepath.Join("..", "..", "xmlmodel", "testdata", "ems", "getLicByAid_response.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var seed xmlmodel.Activation
	if err := xmlmodel.UnmarshalEMS(golden, &seed); err != nil {
		t.Fatal(err)
	}
	c2vAttr, _ := seed.Input.Attribute(xmlmodel.AttrC2V)

	e := newEnv(t)
	c := e.client()
	e.loginPK(c, "v90", e.lic.ProductKey)
	body := `<activation><activationInput><activationAttribute><attributeValue><![CDATA[` + c2vAttr.Value +
		`]]></attributeValue><attributeName>C2V</attributeName></activationAttribute><comments>` + seed.Input.Comments +
		`</comments></activationInput></activation>`
	r := e.do(c, http.MethodPost, e.url("v90", "productKey/"+e.lic.ProductKey+"/activation.ws"), "text/xml; charset=utf-8", body)
	if r.status != http.StatusOK {
		t.Fatalf("activation: %d %s", r.status, r.body)
	}
	aid := between(r.body, "<AID>", "</AID>")
	g := e.do(c, http.MethodGet, e.url("v90", "activation/"+aid+".ws"), "", "")
	if g.status != http.StatusOK {
		t.Fatalf("GET: %d %s", g.status, g.body)
	}
	skip := map[string]bool{"/activation/activationOutput/AID": true, "/activation/activationOutput/activationString": true}
	if d := diffTree("", parseTree(t, g.body), parseTree(t, string(golden)), skip); d != "" {
		t.Error(d)
	}
	// The V2C has the seed's shape, with the token for v2c.
	var got xmlmodel.Activation
	if err := xmlmodel.UnmarshalEMS([]byte(g.body), &got); err != nil {
		t.Fatal(err)
	}
	shape := regexp.MustCompile(`<v2c>[^<]*</v2c>`)
	if a, b := shape.ReplaceAllString(got.Output.ActivationString, "<v2c/>"), shape.ReplaceAllString(seed.Output.ActivationString, "<v2c/>"); a != b {
		t.Errorf("activationString\n got %s\nwant %s", a, b)
	}
	if got.Output.AID != aid {
		t.Errorf("GET answered AID %s, want %s", got.Output.AID, aid)
	}
}

func TestLoginByProductKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("productKey", e.lic.ProductKey)
	mw.Close()
	tests := []struct {
		name        string
		method      string
		query       string
		contentType string
		body        string
		wantStatus  int
		wantBody    string
	}{
		{"form body", "POST", "", "application/x-www-form-urlencoded", "productKey=" + e.lic.ProductKey, 200, ""},
		{"form body without content type", "POST", "", "", "productKey=" + e.lic.ProductKey, 200, ""},
		{"form body as text/xml", "POST", "", "text/xml", "productKey=" + e.lic.ProductKey + "\n", 200, ""},
		{"query, empty body", "POST", "productKey=" + e.lic.ProductKey, "", "", 200, ""},
		{"query, text/xml", "POST", "productKey=" + e.lic.ProductKey, "text/xml; charset=utf-8", "", 200, ""},
		{"query with GET", "GET", "productKey=" + e.lic.ProductKey, "", "", 200, ""},
		{"multipart", "POST", "", mw.FormDataContentType(), mp.String(), 200, ""},
		{"upper case", "POST", "", "application/x-www-form-urlencoded", "productKey=" + strings.ToUpper(e.lic.ProductKey), 200, ""},
		{"other parameters too", "POST", "lang=en", "application/x-www-form-urlencoded", "x=1&productKey=+" + e.lic.ProductKey + "+", 200, ""},
		{"missing", "POST", "", "application/x-www-form-urlencoded", "", 400, "Provide the product key in the productKey parameter."},
		{"unknown", "POST", "", "application/x-www-form-urlencoded", "productKey=fb9a91ba-20ee-4ecd-a049-5194c8d5d2dc", 404, ems.MsgNoProductKey},
		{"malformed", "POST", "", "application/x-www-form-urlencoded", "productKey=not-a-key", 404, ems.MsgNoProductKey},
		{"the license ID", "POST", "", "application/x-www-form-urlencoded", "productKey=" + e.lic.ID, 404, ems.MsgNoProductKey},
		{"the license ID in the query", "GET", "productKey=" + e.lic.ID, "", "", 404, ems.MsgNoProductKey},
		{"wrong method", "PUT", "productKey=" + e.lic.ProductKey, "", "", 405, "The HTTP method PUT is not allowed for this web service."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := e.url("v90", "loginByProductKey.ws")
			if tt.query != "" {
				u += "?" + tt.query
			}
			r := e.do(http.DefaultClient, tt.method, u, tt.contentType, tt.body)
			if tt.wantStatus != 200 {
				wantText(t, r, tt.wantStatus, tt.wantBody)
				if len(r.header.Values("Set-Cookie")) != 0 {
					t.Errorf("failed login sets a cookie: %v", r.header.Values("Set-Cookie"))
				}
				return
			}
			if r.status != 200 {
				t.Fatalf("got %d %q", r.status, r.body)
			}
			var er xmlmodel.EMSResponse
			if err := xmlmodel.UnmarshalEMS([]byte(r.body), &er); err != nil {
				t.Fatal(err)
			}
			if er.Stat != "ok" || er.RegRequired != xmlmodel.RegNotRequired || !sessionIDRE.MatchString(er.SessionID) {
				t.Errorf("got %+v", er)
			}
			want := "JSESSIONID=" + er.SessionID + "; Path=/ems; HttpOnly; SameSite=Lax"
			if got := r.header.Get("Set-Cookie"); got != want {
				t.Errorf("Set-Cookie %q, want %q", got, want)
			}
		})
	}
}

func TestSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	// Another key's activation, made by the vendor.
	vend := e.client()
	e.loginVendor(vend)
	r := e.activate(vend, "v90", e.other.ProductKey, updateC2V("555"))
	if r.status != 200 {
		t.Fatalf("vendor activation of another key: %d %s", r.status, r.body)
	}
	otherAID := between(r.body, "<AID>", "</AID>")

	c := e.client()
	sid := e.loginPK(c, "v90", e.lic.ProductKey)
	r = e.activate(c, "v90", e.lic.ProductKey, updateC2V("712734935"))
	if r.status != 200 {
		t.Fatalf("activation: %d %s", r.status, r.body)
	}
	aid := between(r.body, "<AID>", "</AID>")

	const noSession = "You are not logged in, or your session has expired or ended. Log in with login.ws or loginByProductKey.ws first."
	unknownAID := e.do(c, "GET", e.url("v90", "activation/c2396d75-3236-4ca6-9f10-682c62bdebfe.ws"), "", "")
	wantText(t, unknownAID, 404, ems.MsgNoActivation)

	t.Run("across keys", func(t *testing.T) {
		foreign := e.do(c, "GET", e.url("v90", "activation/"+otherAID+".ws"), "", "")
		if foreign.status != unknownAID.status || foreign.body != unknownAID.body {
			t.Errorf("another key's activation: %d %q, a missing one: %d %q", foreign.status, foreign.body, unknownAID.status, unknownAID.body)
		}
		wantText(t, e.do(c, "GET", e.url("v90", "productKey/"+e.other.ProductKey+".ws"), "", ""), 404, ems.MsgNoProductKeyInfo)
		wantText(t, e.activate(c, "v90", e.other.ProductKey, updateC2V("1")), 404, ems.MsgNoProductKey)
		wantText(t, e.do(c, "POST", e.url("v90", "productKey/"+e.other.ProductKey+".ws"), "application/xml",
			"<productKey><customerEmail>x@example.com</customerEmail></productKey>"), 404, ems.MsgNoProductKey)
		// The vendor sees both.
		for _, a := range []string{aid, otherAID} {
			if r := e.do(vend, "GET", e.url("v21", "activation/"+a+".ws"), "", ""); r.status != 200 {
				t.Errorf("vendor GET %s: %d %s", a, r.status, r.body)
			}
		}
	})

	t.Run("without or with a bad cookie", func(t *testing.T) {
		for _, hdr := range [][]string{nil, {"Cookie", "JSESSIONID=8DFF9A5071E4BE930C8FC89E8BB8BD35"}, {"Cookie", "JSESSIONID=garbage"}} {
			wantText(t, e.do(http.DefaultClient, "GET", e.url("v90", "activation/"+aid+".ws"), "", "", hdr...), 401, noSession)
		}
	})

	t.Run("explicit cookie header, lower case, path parameter", func(t *testing.T) {
		u := e.url("v90", "activation/"+aid+".ws")
		if r := e.do(http.DefaultClient, "GET", u, "", "", "Cookie", "JSESSIONID="+sid); r.status != 200 {
			t.Errorf("Cookie header: %d %s", r.status, r.body)
		}
		if r := e.do(http.DefaultClient, "GET", u, "", "", "Cookie", "other=1; JSESSIONID=stale; JSESSIONID="+strings.ToLower(sid)); r.status != 200 {
			t.Errorf("lower-case ID after a stale one: %d %s", r.status, r.body)
		}
		if r := e.do(http.DefaultClient, "GET", e.url("v90", "activation/"+aid+".ws;jsessionid="+sid), "", ""); r.status != 200 {
			t.Errorf("path parameter: %d %s", r.status, r.body)
		}
	})

	t.Run("another replica", func(t *testing.T) {
		srv2 := newServer(t, e.mux(e.newService()))
		if r := e.do(http.DefaultClient, "GET", srv2+"/ems/v90/ws/activation/"+aid+".ws", "", "", "Cookie", "JSESSIONID="+sid); r.status != 200 {
			t.Errorf("replica: %d %s", r.status, r.body)
		}
	})

	t.Run("idle expiry", func(t *testing.T) {
		c2 := e.client()
		e.loginPK(c2, "v90", e.lic.ProductKey)
		u := e.url("v90", "productKey/"+e.lic.ProductKey+".ws")
		for range 3 {
			e.advance(20 * time.Minute) // each use extends the session
			if r := e.do(c2, "GET", u, "", ""); r.status != 200 {
				t.Fatalf("after 20 minutes: %d %s", r.status, r.body)
			}
		}
		e.advance(31 * time.Minute)
		wantText(t, e.do(c2, "GET", u, "", ""), 401, noSession)
		if n, err := e.svc.PurgeExpiredSessions(ctx); err != nil || n == 0 {
			t.Errorf("PurgeExpiredSessions: %d, %v", n, err)
		}
	})

	t.Run("logout", func(t *testing.T) {
		c3 := e.client()
		e.loginPK(c3, "v90", e.lic.ProductKey)
		cookie := c3.Jar.Cookies(mustURL(t, e.url("v90", "x")))
		r := e.do(c3, "POST", e.url("v90", "logout.ws"), "", "")
		if r.status != 204 || !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
			t.Errorf("logout: %d %q", r.status, r.header.Get("Set-Cookie"))
		}
		wantText(t, e.do(c3, "GET", e.url("v90", "activation/"+aid+".ws"), "", ""), 401, noSession)
		// The ended session stays ended, even if a client kept the cookie.
		wantText(t, e.do(http.DefaultClient, "GET", e.url("v90", "activation/"+aid+".ws"), "", "", "Cookie", "JSESSIONID="+cookie[0].Value), 401, noSession)
		if r := e.do(c3, "GET", e.url("v90", "logout.ws"), "", ""); r.status != 204 {
			t.Errorf("second logout, by GET: %d", r.status)
		}
	})
}

func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestVendorLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name, body string
		wantStatus int
	}{
		{"ok", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<authenticationDetail>\n  <userName>admin</userName>\n  <password>s3cret pass</password>\n</authenticationDetail>", 200},
		{"ok, CDATA and order", "<authenticationDetail><password><![CDATA[s3cret pass]]></password><userName> admin </userName></authenticationDetail>", 200},
		{"wrong password", "<authenticationDetail><userName>admin</userName><password>admin</password></authenticationDetail>", 401},
		{"wrong user", "<authenticationDetail><userName>root</userName><password>s3cret pass</password></authenticationDetail>", 401},
		{"empty", "<authenticationDetail/>", 401},
		{"malformed", "<authenticationDetail><userName>admin", 400},
		{"wrong root", "<activation/>", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := e.do(http.DefaultClient, "POST", e.url("v90", "login.ws"), "application/xml", tt.body)
			switch tt.wantStatus {
			case 200:
				if r.status != 200 || !strings.HasPrefix(r.header.Get("Set-Cookie"), "JSESSIONID=") {
					t.Fatalf("got %d %q %q", r.status, r.body, r.header.Get("Set-Cookie"))
				}
				var ad xmlmodel.AuthenticationDetail
				if err := xmlmodel.UnmarshalEMS([]byte(r.body), &ad); err != nil || ad.UserName != "admin" || ad.Version == "" || ad.Password != "" {
					t.Errorf("got %+v, %v", ad, err)
				}
			case 401:
				wantText(t, r, 401, "The user name or password is not valid.")
			case 400:
				wantText(t, r, 400, "The request body is not a well-formed <authenticationDetail> XML document.")
			}
		})
	}

	t.Run("not configured", func(t *testing.T) {
		t.Parallel()
		h, err := ems.NewHandler(e.svc)
		if err != nil {
			t.Fatal(err)
		}
		u := newServer(t, h) + "/ems/v90/ws/login.ws"
		for _, body := range []string{tests[0].body, "<authenticationDetail><userName></userName><password></password></authenticationDetail>"} {
			wantText(t, e.do(http.DefaultClient, "POST", u, "application/xml", body), 401, "The user name or password is not valid.")
		}
	})
}

func TestActivationErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	e.loginPK(c, "v90", e.lic.ProductKey)
	r := e.activate(c, "v90", e.lic.ProductKey, updateC2V("712734935"))
	if r.status != 200 {
		t.Fatalf("activation: %d %s", r.status, r.body)
	}
	aid := between(r.body, "<AID>", "</AID>")
	big := strings.Repeat("A", 70<<10)
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantBody   string
	}{
		{"own AID", "GET", "activation/" + aid + ".ws", "", 200, ""},
		{"own AID, upper case", "GET", "activation/" + strings.ToUpper(aid) + ".ws", "", 200, ""},
		{"unknown AID", "GET", "activation/00000000-0000-4000-8000-000000000000.ws", "", 404, ems.MsgNoActivation},
		{"malformed AID", "GET", "activation/xyz.ws", "", 404, ems.MsgNoActivation},
		{"AID with spaces", "GET", "activation/%20" + aid + "x.ws", "", 404, ems.MsgNoActivation},
		{"product key as AID", "GET", "activation/" + e.lic.ProductKey + ".ws", "", 404, ems.MsgNoActivation},
		{"license ID as AID", "GET", "activation/" + e.lic.ID + ".ws", "", 404, ems.MsgNoActivation},
		{"license ID as product key", "POST", "productKey/" + e.lic.ID + "/activation.ws", javaRequest(updateC2V("1"), ""), 404, ems.MsgNoProductKey},
		{"GET license ID as product key", "GET", "productKey/" + e.lic.ID + ".ws", "", 404, ems.MsgNoProductKeyInfo},
		{"POST to activation", "POST", "activation/" + aid + ".ws", "", 405, "The HTTP method POST is not allowed for this web service."},
		{"unknown product key", "POST", "productKey/fb9a91ba-20ee-4ecd-a049-5194c8d5d2dc/activation.ws", javaRequest(updateC2V("1"), ""), 404, ems.MsgNoProductKey},
		{"malformed product key", "POST", "productKey/abc/activation.ws", javaRequest(updateC2V("1"), ""), 404, ems.MsgNoProductKey},
		{"GET unknown product key", "GET", "productKey/fb9a91ba-20ee-4ecd-a049-5194c8d5d2dc.ws", "", 404, ems.MsgNoProductKeyInfo},
		{"GET malformed product key", "GET", "productKey/abc.ws", "", 404, ems.MsgNoProductKeyInfo},
		{"POST unknown product key", "POST", "productKey/abc.ws", "<productKey/>", 404, ems.MsgNoProductKey},
		{"malformed XML", "POST", "productKey/" + e.lic.ProductKey + "/activation.ws", "<activation><activationInput>", 400, "The request body is not a well-formed <activation> XML document."},
		{"not XML", "POST", "productKey/" + e.lic.ProductKey + "/activation.ws", "productKey=x", 400, "The request body is not a well-formed <activation> XML document."},
		{"empty body", "POST", "productKey/" + e.lic.ProductKey + "/activation.ws", "", 400, "The request body is not a well-formed <activation> XML document."},
		{"wrong root", "POST", "productKey/" + e.lic.ProductKey + "/activation.ws", "<productKey/>", 400, "The request body is not a well-formed <activation> XML document."},
		{"oversize", "POST", "productKey/" + e.lic.ProductKey + "/activation.ws", javaRequest(fingerprintC2V(big), ""), 413, "The request body is larger than 65536 bytes."},
		{"no C2V", "POST", "productKey/" + e.lic.ProductKey + "/activation.ws", "<activation><activationInput><comments>x</comments></activationInput></activation>", 400,
			"Provide the C2V in an activationAttribute named C2V (or the protection key ID in one named ProtectionKeyId)."},
		{"null C2V", "POST", "productKey/" + e.lic.ProductKey + "/activation.ws", javaRequest("null", ""), 400,
			"Provide the C2V in an activationAttribute named C2V (or the protection key ID in one named ProtectionKeyId)."},
		{"C2V not XML", "POST", "productKey/" + e.lic.ProductKey + "/activation.ws", javaRequest("MXhJSYmNpjnybwMQ", ""), 400, "The C2V is not valid: it must be a <hasp_info> XML document."},
		{"C2V wrong root", "POST", "productKey/" + e.lic.ProductKey + "/activation.ws", javaRequest("<v2c>x</v2c>", ""), 400, "The C2V is not valid: it must be a <hasp_info> XML document."},
		{"C2V without key", "POST", "productKey/" + e.lic.ProductKey + "/activation.ws", javaRequest("<hasp_info><c2v>x</c2v></hasp_info>", ""), 400,
			"The C2V names no protection key (<hasp id>) and carries no <host_fingerprint>."},
		{"C2V with a bad key ID", "POST", "productKey/" + e.lic.ProductKey + "/activation.ws", javaRequest(updateC2V("12ab"), ""), 400,
			"The request is not valid: the protection key ID must be 1 to 32 decimal digits."},
		{"comments too long", "POST", "productKey/" + e.lic.ProductKey + "/activation.ws", javaRequest(updateC2V("712734935"), strings.Repeat("x", 511)), 400,
			"The request is not valid: the comments are longer than 510 characters or not UTF-8."},
		{"re-activation, same key", "POST", "productKey/" + e.lic.ProductKey + "/activation.ws", javaRequest(updateC2V("712734935"), ""), 200, ""},
		{"no seats", "POST", "productKey/" + e.lic.ProductKey + "/activation.ws", javaRequest(updateC2V("712734936"), ""), 409,
			"The Product key has no activations left: all of its seats are in use."},
		{"unknown service", "GET", "target.ws", "", 404, ems.MsgNoService},
		{"unknown resource", "GET", "activation/" + aid + "/target.ws", "", 404, ems.MsgNoService},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ct := ""
			if tt.body != "" {
				ct = "application/xml"
			}
			r := e.do(c, tt.method, e.url("v90", tt.path), ct, tt.body)
			if tt.wantStatus == 200 {
				if r.status != 200 || between(r.body, "<AID>", "</AID>") != aid {
					t.Errorf("got %d %s, want 200 with AID %s", r.status, r.body, aid)
				}
				return
			}
			wantText(t, r, tt.wantStatus, tt.wantBody)
		})
	}

	t.Run("version segments", func(t *testing.T) {
		t.Parallel()
		for _, ver := range []string{"v1", "v21", "v71", "v710", "v90", "v9_0", "V90"} {
			if r := e.do(c, "GET", e.url(ver, "activation/"+aid+".ws"), "", ""); r.status != 200 {
				t.Errorf("%s: %d %s", ver, r.status, r.body)
			}
		}
		for _, ver := range []string{"v", "x90", "v9a", "90"} {
			wantText(t, e.do(c, "GET", e.url(ver, "activation/"+aid+".ws"), "", ""), 404, ems.MsgNoService)
		}
	})
}

// TestProtectionKeyID: re-posting the same C2V, in another layout, finds the
// activation it made; a new host takes a seat; the ProtectionKeyId attribute
// names a key directly.
func TestProtectionKeyID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	e.loginPK(c, "v90", e.lic3.ProductKey)
	first := e.activate(c, "v90", e.lic3.ProductKey, fingerprintC2V(docFingerprint))
	rewrapped := strings.ReplaceAll(docFingerprint, "\n", "\r\n  ")
	again := e.do(c, "POST", e.url("v90", "productKey/"+e.lic3.ProductKey+"/activation.ws"), "text/xml",
		`<activation><activationInput><activationAttribute><attributeName>C2V</attributeName><attributeValue>`+
			xmlmodel.EscapeText(fingerprintC2V(rewrapped))+`</attributeValue></activationAttribute></activationInput></activation>`)
	if first.status != 200 || again.status != 200 {
		t.Fatalf("got %d %s / %d %s", first.status, first.body, again.status, again.body)
	}
	if a, b := between(first.body, "<AID>", "</AID>"), between(again.body, "<AID>", "</AID>"); a != b {
		t.Errorf("re-posting the C2V made a second activation: %s, %s", a, b)
	}
	if held := e.license(e.lic3.ID).SeatsHeld; held != 1 {
		t.Errorf("%d seats held, want 1", held)
	}
	// The same host on another license is another key.
	if ems.ProtectionKeyID(e.svc, e.lic.ProductKey, docFingerprint) == ems.ProtectionKeyID(e.svc, e.lic3.ProductKey, docFingerprint) {
		t.Error("the same protection key ID on two licenses")
	}

	byID := e.do(c, "POST", e.url("v90", "productKey/"+e.lic3.ProductKey+"/activation.ws"), "application/xml",
		string(mustRead(t, "generateLic_request_keyid.xml")))
	if byID.status != 200 || between(byID.body, "<protectionKeyId>", "</protectionKeyId>") != "43243243243" {
		t.Errorf("by key ID: %d %s", byID.status, byID.body)
	}
	if !strings.Contains(byID.body, "<attributeName>ProtectionKeyId</attributeName><attributeValue>43243243243</attributeValue>") {
		t.Errorf("the attribute is not echoed: %s", byID.body)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "xmlmodel", "testdata", "ems", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestConcurrentActivations: eight hosts race for the three seats of a key.
func TestConcurrentActivations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	e.loginPK(c, "v90", e.lic3.ProductKey)
	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := e.activate(c, "v90", e.lic3.ProductKey, fingerprintC2V("host-"+strconv.Itoa(i)))
			statuses[i] = r.status
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[200] != 3 || count[409] != n-3 {
		t.Errorf("statuses %v, want 3 × 200 and %d × 409", count, n-3)
	}
	as, err := e.svc.Activations(context.Background(), e.lic3.ID)
	if err != nil || len(as) != 3 {
		t.Errorf("%d activations, %v; want 3", len(as), err)
	}
}

// TestLicenseStates: each state that stops an activation has its own
// answer, on GET activation/{aid}.ws and on a new activation; a revoked
// license and a revoked activation are told apart.
func TestLicenseStates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const (
		licenseRevoked    = "The Product key has been revoked."
		activationRevoked = "The activation of this protection key has been revoked; the key may not activate the Product key again."
	)
	tests := []struct {
		name       string
		change     func(e *env, aid string) error
		wantStatus int
		wantBody   string
		// postKey, if set, is a protection key to activate after the change,
		// with the same answer.
		postKey string
	}{
		{"revoked key", func(e *env, _ string) error {
			_, err := e.svc.SetLicenseStatus(ctx, e.lic3.ID, license.StatusRevoked)
			return err
		}, 403, licenseRevoked, "99"},
		{"disabled key", func(e *env, _ string) error {
			_, err := e.svc.SetLicenseStatus(ctx, e.lic3.ID, license.StatusSuspended)
			return err
		}, 403, "The Product key is disabled.", "99"},
		{"expired key", func(e *env, _ string) error { e.advance(366 * 24 * time.Hour); return nil },
			403, "The Product key has expired.", ""},
		{"revoked activation", func(e *env, aid string) error {
			_, err := e.svc.RevokeActivation(ctx, aid)
			return err
		}, 403, activationRevoked, "712734935"},
		{"released activation", func(e *env, _ string) error {
			_, err := e.svc.Release(ctx, e.lic3.ID, "712734935")
			return err
		}, 410, "The activation was released and no longer holds a license. Activate the Product key again.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			c := e.client()
			e.loginPK(c, "v90", e.lic3.ProductKey)
			r := e.activate(c, "v90", e.lic3.ProductKey, updateC2V("712734935"))
			if r.status != 200 {
				t.Fatalf("activation: %d %s", r.status, r.body)
			}
			aid := between(r.body, "<AID>", "</AID>")
			if err := tt.change(e, aid); err != nil {
				t.Fatal(err)
			}
			e.loginPK(c, "v90", e.lic3.ProductKey) // the old session may have expired
			wantText(t, e.do(c, "GET", e.url("v90", "activation/"+aid+".ws"), "", ""), tt.wantStatus, tt.wantBody)
			if tt.postKey != "" {
				wantText(t, e.activate(c, "v90", e.lic3.ProductKey, updateC2V(tt.postKey)), tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestProductKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	e.loginPK(c, "v90", e.lic3.ProductKey)
	r := e.activate(c, "v90", e.lic3.ProductKey, updateC2V("712734935"))
	aid := between(r.body, "<AID>", "</AID>")
	pkURL := e.url("v90", "productKey/"+e.lic3.ProductKey+".ws")

	g := e.do(c, "GET", pkURL, "", "")
	if g.status != 200 || !strings.HasPrefix(g.body, "<productKey>") {
		t.Fatalf("GET: %d %.60q, want no declaration", g.status, g.body)
	}
	var pk xmlmodel.ProductKey
	if err := xmlmodel.UnmarshalEMS([]byte(g.body), &pk); err != nil {
		t.Fatal(err)
	}
	if pk.ProductKeyID != e.lic3.ProductKey || pk.TotalEntitled != "3" || pk.Available != "2" || pk.Enabled != "true" ||
		len(pk.AIDs) != 1 || pk.AIDs[0] != (xmlmodel.ProductKeyAID{ProtectionKeyID: "712734935", AID: aid}) ||
		pk.CustomerEmail != "team@example.com" || len(pk.ProductInfo) != 1 || pk.ProductInfo[0].ProductName != "SafeNet Memo Card Plugin" {
		t.Errorf("got %+v", pk)
	}
	wantOrder := []string{"productKeyId", "totalEntitled", "available", "enabled", "type", "registrationRequired", "customerEmail",
		"customerName", "productInfo", "AID", "activationAttribute", "activationAttribute", "activationAttribute", "protectionKeyId",
		"entitlementId", "customerId"}
	var order []string
	for _, n := range parseTree(t, g.body).Children {
		order = append(order, n.Name)
	}
	if strings.Join(order, " ") != strings.Join(wantOrder, " ") {
		t.Errorf("elements %v\nwant %v", order, wantOrder)
	}

	const (
		vendorOnly  = "A Product key login may not change the seats (totalEntitled) or the status (enabled) of a Product key. Log in with login.ws to change them."
		hasCustomer = "The Product key already has a customer, and only the vendor may replace it. Log in with login.ws to change the customer."
	)
	emailDoc := strings.Replace(string(mustRead(t, "productKey_update_email.xml")),
		"0071eb86-911c-40aa-a07b-552d23ce37a1", strings.ToUpper(e.lic3.ProductKey), 1)
	tests := []struct {
		name       string
		vendor     bool
		body       string
		wantStatus int
		wantBody   string
		check      func(xmlmodel.ProductKey) bool
	}{
		{"customer sends the unchanged document", false, g.body, 200, "",
			func(p xmlmodel.ProductKey) bool {
				return p.CustomerEmail == "team@example.com" && p.TotalEntitled == "3"
			}},
		{"customer sends the email in other case", false, "<productKey><customerEmail> Team@Example.com </customerEmail></productKey>", 200, "",
			func(p xmlmodel.ProductKey) bool { return p.CustomerEmail == "team@example.com" }},
		{"customer replaces the email", false, emailDoc, 403, hasCustomer, nil},
		{"customer replaces the email in the document", false, strings.Replace(g.body, "team@example.com", "ann@example.com", 1), 403, hasCustomer, nil},
		{"customer changes the seats", false, "<productKey><totalEntitled>10</totalEntitled></productKey>", 403, vendorOnly, nil},
		{"customer disables", false, "<productKey><enabled>false</enabled></productKey>", 403, vendorOnly, nil},
		{"customer disables and replaces the email", false,
			"<productKey><enabled>0</enabled><customerEmail>x@example.com</customerEmail></productKey>", 403, vendorOnly, nil},
		{"bad email", false, "<productKey><customerEmail>not an email</customerEmail></productKey>", 400,
			`The request is not valid: the email address "not an email" is not a plain address.`, nil},
		{"other key in the body", false, "<productKey><productKeyId>" + e.lic.ProductKey + "</productKeyId></productKey>", 400,
			"The productKeyId in the request body is not the product key of the URL.", nil},
		{"license ID in the body", false, "<productKey><productKeyId>" + e.lic3.ID + "</productKeyId></productKey>", 400,
			"The productKeyId in the request body is not the product key of the URL.", nil},
		{"bad count", true, "<productKey><totalEntitled>many</totalEntitled></productKey>", 400, "totalEntitled must be a whole number.", nil},
		{"zero seats", true, "<productKey><totalEntitled>0</totalEntitled></productKey>", 400,
			"The request is not valid: seats must be 1 to 1000000, not 0.", nil},
		{"bad boolean", true, "<productKey><enabled>yes</enabled></productKey>", 400, "enabled must be true or false.", nil},
		{"malformed", true, "<productKey>", 400, "The request body is not a well-formed <productKey> XML document.", nil},
		{"vendor sets seats", true, "<productKey><totalEntitled>5</totalEntitled></productKey>", 200, "",
			func(p xmlmodel.ProductKey) bool { return p.TotalEntitled == "5" && p.Available == "4" }},
		{"vendor replaces the email", true, emailDoc, 200, "",
			func(p xmlmodel.ProductKey) bool { return p.CustomerEmail == "jane@example.com" }},
	}
	vend := e.client()
	e.loginVendor(vend)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := c
			if tt.vendor {
				cl = vend
			}
			before := e.license(e.lic3.ID)
			r := e.do(cl, "POST", pkURL, "application/xml", tt.body)
			if tt.wantStatus != 200 {
				wantText(t, r, tt.wantStatus, tt.wantBody)
				if after := e.license(e.lic3.ID); !reflect.DeepEqual(after, before) {
					t.Errorf("a refused update changed the license:\n%+v\nto\n%+v", before, after)
				}
				return
			}
			var p xmlmodel.ProductKey
			if err := xmlmodel.UnmarshalEMS([]byte(r.body), &p); r.status != 200 || err != nil || !tt.check(p) {
				t.Errorf("got %d %s (%v)", r.status, r.body, err)
			}
		})
	}

	t.Run("vendor disables and enables", func(t *testing.T) {
		r := e.do(vend, "POST", pkURL, "application/xml", "<productKey><enabled>false</enabled></productKey>")
		if r.status != 200 || !strings.Contains(r.body, "<enabled>false</enabled>") {
			t.Fatalf("disable: %d %s", r.status, r.body)
		}
		wantText(t, e.do(c, "GET", e.url("v90", "activation/"+aid+".ws"), "", ""), 403, "The Product key is disabled.")
		if r := e.do(vend, "POST", pkURL, "application/xml", "<productKey><enabled>true</enabled></productKey>"); r.status != 200 {
			t.Fatalf("enable: %d %s", r.status, r.body)
		}
		if r := e.do(c, "GET", e.url("v90", "activation/"+aid+".ws"), "", ""); r.status != 200 {
			t.Errorf("after enabling: %d %s", r.status, r.body)
		}
		if _, err := e.svc.SetLicenseStatus(context.Background(), e.lic3.ID, license.StatusRevoked); err != nil {
			t.Fatal(err)
		}
		wantText(t, e.do(vend, "POST", pkURL, "application/xml", "<productKey><enabled>true</enabled></productKey>"), 403,
			"The Product key has been revoked.")
		// Disabling a revoked key leaves it revoked.
		if r := e.do(vend, "POST", pkURL, "application/xml", "<productKey><enabled>false</enabled></productKey>"); r.status != 200 {
			t.Errorf("disable a revoked key: %d %s", r.status, r.body)
		}
		if st := e.license(e.lic3.ID).Status; st != license.StatusRevoked {
			t.Errorf("status %s, want revoked", st)
		}
	})
}

func TestMounting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h, err := ems.NewHandler(e.svc)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/ems/", h)
	mux.Handle("/stripped/", http.StripPrefix("/stripped", h))
	base := newServer(t, mux)
	for _, tt := range []struct{ path, wantCookiePath string }{
		{"/api/ems/v90/ws/loginByProductKey.ws", "/api/ems"},
		{"/stripped/v90/ws/loginByProductKey.ws", "/"},
	} {
		r := e.do(http.DefaultClient, "POST", base+tt.path+"?productKey="+e.lic.ProductKey, "", "")
		if r.status != 200 || !strings.Contains(r.header.Get("Set-Cookie"), "; Path="+tt.wantCookiePath+";") {
			t.Errorf("%s: %d %q", tt.path, r.status, r.header.Get("Set-Cookie"))
		}
	}

	h2, err := ems.NewHandler(e.svc, ems.WithCookiePath("/licensing"), ems.WithSecureCookie(true))
	if err != nil {
		t.Fatal(err)
	}
	r := e.do(http.DefaultClient, "POST", newServer(t, h2)+"/ems/v90/ws/loginByProductKey.ws?productKey="+e.lic.ProductKey, "", "")
	if got := r.header.Get("Set-Cookie"); !strings.HasSuffix(got, "; Path=/licensing; HttpOnly; Secure; SameSite=Lax") {
		t.Errorf("Set-Cookie %q", got)
	}
}

func TestNewHandlerOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bad := []ems.Option{
		ems.WithVendorCredentials("", "x"), ems.WithVendorCredentials("x", " "), ems.WithSessionIdle(time.Second),
		ems.WithVendorID("abc"), ems.WithVendorID(""), ems.WithServerVersion(""), ems.WithCookiePath("ems"),
		ems.WithCookiePath("/a;b"), ems.WithMaxBodyBytes(10), ems.WithMaxBodyBytes(1 << 30),
	}
	for i, o := range bad {
		if _, err := ems.NewHandler(e.svc, o); !errors.Is(err, ems.ErrBadOption) {
			t.Errorf("option %d: got %v, want ErrBadOption", i, err)
		}
	}
	if _, err := ems.NewHandler(nil); !errors.Is(err, ems.ErrBadOption) {
		t.Errorf("nil service: got %v", err)
	}
	if _, err := ems.NewHandler(e.svc, ems.WithVendorID("1234"), ems.WithServerVersion("x"), ems.WithMaxBodyBytes(1<<20),
		ems.WithLogger(nil), ems.WithSessionIdle(time.Hour)); err != nil {
		t.Error(err)
	}
}

func TestV2C(t *testing.T) {
	t.Parallel()
	const want = `<?xml version="1.0" encoding="utf-8"?><hasp_info><haspscope><vendor id="37515" ><hasp id="712734935" /></vendor></haspscope><v2c>a.b-c_d</v2c></hasp_info>`
	if got := ems.V2C("37515", "712734935", "a.b-c_d"); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := ems.V2C("1", `x"<&`, ""); wellFormed(got) != nil {
		t.Errorf("malformed: %s", got)
	}
}
