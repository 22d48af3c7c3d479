package admin_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"database/sql"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	_ "modernc.org/sqlite"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/admin"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/license/sqlstore"
)

// mount is where the tests mount the handler, as the bundled server does.
const mount = "/admin/v1"

// testRSAKey is one product key for every product of the tests: making
// one takes long.
var testRSAKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// fixture is a service with its admin API on a loopback HTTP server, two
// tokens and clients whose every answer is checked against the served
// OpenAPI document.
type fixture struct {
	t          *testing.T
	svc        *license.Service
	srv        *httptest.Server
	base       string
	adminToken string
	readToken  string
	hc         *http.Client // checks every answer
	admin      *admin.Client
	read       *admin.Client
	anon       *admin.Client
}

func memStore(t *testing.T) license.Store { return memstore.New() }

// sqliteStore opens a store on a SQLite file of the test's temporary
// directory.
func sqliteStore(t *testing.T) license.Store {
	t.Helper()
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(filepath.Join(t.TempDir(), "licgate.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	s, err := sqlstore.Open(context.Background(), db, sqlstore.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newService(t testing.TB, store license.Store, opts ...license.Option) *license.Service {
	t.Helper()
	key, err := license.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := license.NewKeySet(key)
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]license.Option{
		license.WithKeySet(keys),
		license.WithSecret([]byte("a secret of at least thirty-two bytes")),
		license.WithRSAKeyGenerator(testRSAKey),
	}, opts...)
	svc, err := license.NewService(store, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(context.Background()) })
	return svc
}

func newFixture(t *testing.T, store license.Store, opts ...admin.Option) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, svc: newService(t, store)}
	h, err := admin.New(f.svc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(mount+"/", http.StripPrefix(mount, h))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.base = f.srv.URL + mount
	if _, f.adminToken, err = f.svc.CreateAdminToken(ctx, "shop", license.ScopeAdmin); err != nil {
		t.Fatal(err)
	}
	if _, f.readToken, err = f.svc.CreateAdminToken(ctx, "crm", license.ScopeRead); err != nil {
		t.Fatal(err)
	}
	f.hc = &http.Client{Transport: &checked{t: t, spec: loadSpec(t, f.srv.URL+mount+"/openapi.json"), next: http.DefaultTransport}}
	f.admin = f.client(f.adminToken)
	f.read = f.client(f.readToken)
	f.anon = f.client("")
	return f
}

// client returns a checked client with the token.
func (f *fixture) client(token string) *admin.Client {
	f.t.Helper()
	c, err := admin.NewClient(f.base, token, admin.WithHTTPClient(f.hc))
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// do sends a raw request through the checked client and returns the
// status, the headers and the body.
func (f *fixture) do(method, path, token string, body string, hdr ...string) (int, http.Header, []byte) {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.base+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// product creates a product through the service.
func (f *fixture) product(id string) license.Product {
	f.t.Helper()
	p, err := f.svc.CreateProduct(context.Background(), license.Product{ID: id, Name: "Product " + id, Major: 2})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// problemOf decodes a problem document and checks its status and reason.
func problemOf(t *testing.T, status int, body []byte, wantStatus int, wantReason string) admin.Problem {
	t.Helper()
	var p admin.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("not a problem: %v: %s", err, body)
	}
	if status != wantStatus || p.Status != wantStatus || p.Reason != wantReason {
		t.Fatalf("got %d %s (%q), want %d %s", status, p.Reason, p.Detail, wantStatus, wantReason)
	}
	return p
}

// spec is the served OpenAPI document, loaded with libopenapi, and a
// validator of answers built from it.
type spec struct {
	mu      sync.Mutex
	v       validator.Validator
	problem *base.Schema
	schemas schema_validation.SchemaValidator
}

var (
	specsMu sync.Mutex
	specs   = map[string]*spec{} // by document
)

// loadSpec fetches the document, unchecked, and builds its validator,
// once per distinct document.
func loadSpec(t *testing.T, url string) *spec {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	specsMu.Lock()
	defer specsMu.Unlock()
	if s := specs[string(b)]; s != nil {
		return s
	}
	doc, err := libopenapi.NewDocument(b)
	if err != nil {
		t.Fatal(err)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	s := &spec{v: v, schemas: schema_validation.NewSchemaValidator(config.WithFormatAssertions())}
	s.problem = m.Model.Components.Schemas.GetOrZero("Problem").Schema()
	specs[string(b)] = s
	return s
}

// checked is an http.RoundTripper that fails the test when an answer does
// not match the served OpenAPI document: status, content type and body of
// the operation. An answer to a path or method the document does not have
// (404 and 405) must be a problem document.
type checked struct {
	t    testing.TB
	spec *spec
	next http.RoundTripper
}

func (c *checked) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	c.check(req, resp, body)
	return resp, nil
}

func (c *checked) check(req *http.Request, resp *http.Response, body []byte) {
	if req.Method == http.MethodHead {
		return
	}
	copyResp := *resp
	copyResp.Body = io.NopCloser(bytes.NewReader(body))
	c.spec.mu.Lock()
	defer c.spec.mu.Unlock()
	ok, errs := c.spec.v.ValidateHttpResponse(req, &copyResp)
	if ok {
		return
	}
	if len(errs) > 0 && errs[0].ValidationType == helpers.PathValidation {
		mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if mt != "application/problem+json" || (resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed) {
			c.t.Errorf("%s %s: %d %s outside the document", req.Method, req.URL.Path, resp.StatusCode, mt)
			return
		}
		if ok, errs := c.spec.schemas.ValidateSchemaBytes(c.spec.problem, body); !ok {
			c.t.Errorf("%s %s: %d: not a problem: %v", req.Method, req.URL.Path, resp.StatusCode, describe(errs))
		}
		return
	}
	c.t.Errorf("%s %s: %d answer does not match the OpenAPI document: %s\nbody: %.500s", req.Method, req.URL, resp.StatusCode, describe(errs), body)
}

func describe[E interface{ Error() string }](errs []E) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("\n  ")
		b.WriteString(e.Error())
	}
	return b.String()
}

// newRequest makes a request for a handler called directly, with a JSON
// body if not empty.
func newRequest(method, path, body string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, path, rd)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}

// serve calls h directly.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// httptestRecorder calls h directly with a request without body and
// returns the body of the answer.
func httptestRecorder(h http.Handler, method, path string) []byte {
	return serve(h, newRequest(method, path, "")).Body.Bytes()
}

// newRawServer serves fn on loopback and returns its URL.
func newRawServer(t *testing.T, fn http.HandlerFunc) string {
	srv := httptest.NewServer(fn)
	t.Cleanup(srv.Close)
	return srv.URL
}
