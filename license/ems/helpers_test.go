package ems_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/ems"
	"github.com/licgate/licgate/license/memstore"
)

const (
	vendorUser = "admin"
	vendorPass = "s3cret pass"
)

// env is a licgate server with the EMS handler at /ems/, a product and
// four licenses: one seat (lic), three seats (lic3), another customer's
// (other), and two seats sold without a customer (bare). A license's
// product key is its ProductKey, never its ID.
type env struct {
	t     testing.TB
	store license.Store
	svc   *license.Service
	srv   *httptest.Server
	now   *atomic.Pointer[time.Time]
	lic   license.License
	lic3  license.License
	other license.License
	bare  license.License
	// svcOpts are added to the options of every service of the env.
	svcOpts []license.Option
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func newEnv(t testing.TB, opts ...ems.Option) *env {
	t.Helper()
	return newEnvOn(t, memstore.New(), opts...)
}

// newEnvOn is newEnv on a given store.
func newEnvOn(t testing.TB, store license.Store, opts ...ems.Option) *env {
	t.Helper()
	return newEnvWith(t, store, nil, opts...)
}

// newEnvWith is newEnvOn whose services also take svcOpts.
func newEnvWith(t testing.TB, store license.Store, svcOpts []license.Option, opts ...ems.Option) *env {
	t.Helper()
	e := &env{t: t, store: store, now: new(atomic.Pointer[time.Time]), svcOpts: svcOpts}
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	e.now.Store(&start)
	e.svc = e.newService()
	ctx := context.Background()
	if _, err := e.svc.CreateProduct(ctx, license.Product{ID: "memo", Name: "SafeNet Memo Card Plugin", Major: 9}); err != nil {
		t.Fatal(err)
	}
	mk := func(seats int, c license.Customer) license.License {
		l, err := e.svc.CreateLicense(ctx, license.NewLicense{
			ProductID: "memo", Customer: c, Seats: seats,
			ExpiresAt: start.AddDate(1, 0, 0), Features: []string{"pro"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if l.ProductKey == l.ID {
			t.Fatal("a new license's product key is its ID")
		}
		return l
	}
	e.lic = mk(1, license.Customer{Email: "pm@example.com", Name: "Parag Mahajan"})
	e.lic3 = mk(3, license.Customer{Email: "team@example.com", Name: "Parag Mahajan"})
	e.other = mk(1, license.Customer{Email: "someone@example.org", Name: "Someone"})
	e.bare = mk(2, license.Customer{})
	e.srv = httptest.NewServer(e.mux(e.svc, opts...))
	t.Cleanup(e.srv.Close)
	return e
}

// newService returns a service on the env's store and clock: another
// replica.
func (e *env) newService() *license.Service {
	e.t.Helper()
	k, err := license.GenerateSigningKey()
	if err != nil {
		e.t.Fatal(err)
	}
	ks, err := license.NewKeySet(k)
	if err != nil {
		e.t.Fatal(err)
	}
	svc, err := license.NewService(e.store, append([]license.Option{license.WithKeySet(ks), license.WithSecret(testSecret),
		license.WithClock(func() time.Time { return *e.now.Load() })}, e.svcOpts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { svc.Close(context.Background()) })
	return svc
}

func (e *env) mux(svc *license.Service, opts ...ems.Option) http.Handler {
	e.t.Helper()
	h, err := ems.NewHandler(svc, append([]ems.Option{ems.WithVendorCredentials(vendorUser, vendorPass)}, opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ems/", h)
	return mux
}

func (e *env) advance(d time.Duration) {
	t := e.now.Load().Add(d)
	e.now.Store(&t)
}

// url returns the URL of a web service under version ver.
func (e *env) url(ver, path string) string { return e.srv.URL + "/ems/" + ver + "/ws/" + path }

// client is a cookie-jar HTTP client, as the .NET, curl and
// SafenetIntegration clients are.
func (e *env) client() *http.Client {
	e.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

type resp struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(c *http.Client, method, u, contentType, body string, hdr ...string) resp {
	e.t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body == "" {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}
}

// loginPK logs c in by product key with a form body, as Thales' samples
// do, and returns the body's sessionId.
func (e *env) loginPK(c *http.Client, ver, pk string) string {
	e.t.Helper()
	r := e.do(c, http.MethodPost, e.url(ver, "loginByProductKey.ws"), "application/x-www-form-urlencoded", "productKey="+url.QueryEscape(pk))
	if r.status != http.StatusOK {
		e.t.Fatalf("loginByProductKey: %d %s", r.status, r.body)
	}
	return between(r.body, "<sessionId>", "</sessionId>")
}

// loginVendor logs c in with the vendor's credentials.
func (e *env) loginVendor(c *http.Client) {
	e.t.Helper()
	r := e.do(c, http.MethodPost, e.url("v90", "login.ws"), "application/xml",
		"<authenticationDetail><userName>"+vendorUser+"</userName><password>"+vendorPass+"</password></authenticationDetail>")
	if r.status != http.StatusOK {
		e.t.Fatalf("vendor login: %d %s", r.status, r.body)
	}
}

// license returns a license as it stands in the store.
func (e *env) license(id string) license.License {
	e.t.Helper()
	l, err := e.svc.License(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// activate posts an activation request as the real clients do, and
// returns the answer.
func (e *env) activate(c *http.Client, ver, pk, c2vDoc string) resp {
	e.t.Helper()
	return e.do(c, http.MethodPost, e.url(ver, "productKey/"+pk+"/activation.ws"), "Application/xml;charset=UTF-8", javaRequest(c2vDoc, ""))
}

// javaRequest is an activation request shaped like Thales' Java sample:
// declaration, xsi attributes, CDATA on its own lines, value before name.
func javaRequest(c2vDoc, comments string) string {
	return `<?xml version="1.0" encoding="UTF-8" ?>
<activation xsi:noNamespaceSchemaLocation="License.xsd" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<activationInput>
<activationAttribute>
<attributeValue>
<![CDATA[` + c2vDoc + `]]> 
</attributeValue>
<attributeName>C2V</attributeName>
</activationAttribute>
<comments>` + comments + `</comments>
</activationInput>
</activation>`
}

// fingerprintC2V is the C2V of a new SL key on a host.
func fingerprintC2V(fp string) string {
	return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n <hasp_info>\n   <host_fingerprint>" + fp + "</host_fingerprint>\n </hasp_info>"
}

// updateC2V is the C2V of an existing key.
func updateC2V(keyID string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><hasp_info> <haspscope> <hasp id="` + keyID +
		`"> <vendor id="37515"/> </hasp> </haspscope> <c2v> YYIrYoADY3R2oQaABE0Qj4OiCoACAOqB </c2v></hasp_info>`
}

const docFingerprint = "MXhJSYmNpjnybwMQmXCmqPiNEj1XJk6XGATACNudoCILIEUrZc/\nz14yWKbGXxi6iKDbiEQtnVdXiVHoOE1XumZZjF+Qy"

// between is the C sample's strstr parser.
func between(s, open, closing string) string {
	i := strings.Index(s, open)
	if i < 0 {
		return ""
	}
	s = s[i+len(open):]
	j := strings.Index(s, closing)
	if j < 0 {
		return ""
	}
	return s[:j]
}

// naiveUnescape un-escapes only what Thales' C sample un-escapes.
func naiveUnescape(s string) string {
	s = strings.ReplaceAll(s, "&gt;", ">")
	s = strings.ReplaceAll(s, "&lt;", "<")
	return strings.ReplaceAll(s, "&quot;", `"`)
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

func wantText(t testing.TB, r resp, status int, body string) {
	t.Helper()
	if r.status != status || r.body != body {
		t.Errorf("got %d %q, want %d %q", r.status, r.body, status, body)
	}
	if ct := r.header.Get("Content-Type"); ct != ems.ContentTypeText {
		t.Errorf("Content-Type %q, want %q", ct, ems.ContentTypeText)
	}
}

// node is an element, for element-by-element comparison.
type node struct {
	Name     string
	Attrs    string
	Text     string
	Children []*node
}

func parseTree(t testing.TB, doc string) *node {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader([]byte(doc)))
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
				n.Attrs += fmt.Sprintf(" %s=%q", a.Name.Local, a.Value)
			}
			if len(stack) > 0 {
				stack[len(stack)-1].Children = append(stack[len(stack)-1].Children, n)
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

// diffTree returns the first difference between two trees, or ""; the
// texts of elements whose path is in skip are not compared.
func diffTree(path string, got, want *node, skip map[string]bool) string {
	path += "/" + want.Name
	switch {
	case got.Name != want.Name:
		return fmt.Sprintf("%s: element <%s>, want <%s>", path, got.Name, want.Name)
	case got.Attrs != want.Attrs:
		return fmt.Sprintf("%s: attributes %s, want %s", path, got.Attrs, want.Attrs)
	case !skip[path] && got.Text != want.Text:
		return fmt.Sprintf("%s: text %q, want %q", path, got.Text, want.Text)
	case len(got.Children) != len(want.Children):
		return fmt.Sprintf("%s: %d children, want %d", path, len(got.Children), len(want.Children))
	}
	for i := range want.Children {
		if d := diffTree(path, got.Children[i], want.Children[i], skip); d != "" {
			return d
		}
	}
	return ""
}
