package rest_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/license/rest"
	"github.com/licgate/licgate/license/sqlstore"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// clock is a settable clock for the service.
type clock struct{ now atomic.Pointer[time.Time] }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.now.Store(&t)
	return c
}

func (c *clock) Now() time.Time { return *c.now.Load() }

func (c *clock) Advance(d time.Duration) {
	t := c.Now().Add(d)
	c.now.Store(&t)
}

// env is a service with a product "demo", served by a rest.Handler over
// loopback.
type env struct {
	svc   *license.Service
	clock *clock
	h     *rest.Handler
	srv   *httptest.Server
	inbox chan license.Message
	// pins are the thumbprints of the service's keys, as a program holds
	// them to verify a license file.
	pins []string
}

// storeKind names the stores the tests run on.
type storeKind string

const (
	mem    storeKind = "memstore"
	sqlite storeKind = "sqlite"
)

func newStore(t testing.TB, kind storeKind) license.Store {
	t.Helper()
	if kind == mem {
		return memstore.New()
	}
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(filepath.Join(t.TempDir(), "licgate.db")))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	s, err := sqlstore.Open(context.Background(), db, sqlstore.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		db.Close()
	})
	return s
}

func newEnv(t testing.TB, kind storeKind, opts ...rest.Option) *env {
	t.Helper()
	return newEnvWith(t, kind, nil, opts...)
}

// newEnvWith is newEnv with options of the service too.
func newEnvWith(t testing.TB, kind storeKind, svcOpts []license.Option, opts ...rest.Option) *env {
	t.Helper()
	e := &env{clock: newClock(t0), inbox: make(chan license.Message, 16)}
	k, err := license.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	ks, err := license.NewKeySet(k)
	if err != nil {
		t.Fatal(err)
	}
	e.pins = []string{license.Thumbprint(k.Public)}
	svcOpts = append([]license.Option{license.WithKeySet(ks),
		license.WithSecret([]byte(strings.Repeat("s", 32))), license.WithIssuer("https://lic.example"),
		license.WithClock(e.clock.Now),
		license.WithEmailNotifier(license.NotifierFunc(func(_ context.Context, m license.Message) error {
			select {
			case e.inbox <- m:
			default:
			}
			return nil
		}))}, svcOpts...)
	svc, err := license.NewService(newStore(t, kind), svcOpts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(context.Background()) })
	if _, err := svc.CreateProduct(context.Background(), license.Product{ID: "demo", Name: "Demo", Major: 1}); err != nil {
		t.Fatal(err)
	}
	h, err := rest.NewHandler(svc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	e.svc, e.h = svc, h
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// license creates a license of "demo" for ada@example.com.
func (e *env) license(t testing.TB, n license.NewLicense) license.License {
	t.Helper()
	n.ProductID = "demo"
	if n.Email == "" {
		n.Email = "ada@example.com"
	}
	l, err := e.svc.CreateLicense(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// response is an answer as a test reads it.
type response struct {
	status int
	header http.Header
	body   []byte
}

// problem decodes a problem document, failing the test if it is not one.
func (r response) problem(t testing.TB) map[string]any {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type: got %q, want application/problem+json (status %d, body %s)", ct, r.status, r.body)
	}
	var p map[string]any
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem: %v: %s", err, r.body)
	}
	for _, k := range []string{"type", "title", "status", "reason"} {
		if _, ok := p[k]; !ok {
			t.Fatalf("problem lacks %q: %s", k, r.body)
		}
	}
	if int(p["status"].(float64)) != r.status {
		t.Fatalf("problem status: got %v, want %d", p["status"], r.status)
	}
	return p
}

// reason returns the reason of a problem answer.
func (r response) reason(t testing.TB) string {
	t.Helper()
	return r.problem(t)["reason"].(string)
}

// json decodes a JSON answer into v.
func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer %d: %v: %s", r.status, err, r.body)
	}
}

// do sends a request to the server. body is marshalled to JSON unless it
// is a string or []byte; hdr are header name, value pairs.
func (e *env) do(t testing.TB, method, path string, body any, hdr ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// lease is an answer of POST /v1/leases or a heartbeat.
type lease struct {
	ID             string    `json:"id"`
	Token          string    `json:"token"`
	ExpiresAt      time.Time `json:"expiresAt"`
	TokenExpiresAt time.Time `json:"tokenExpiresAt"`
}

// take asks for a lease of the license for an instance.
func (e *env) take(t testing.TB, key, instance string) (response, lease) {
	t.Helper()
	r := e.do(t, "POST", "/v1/leases", map[string]string{"key": key, "instance": instance})
	var l lease
	if r.status < 300 {
		r.json(t, &l)
	}
	return r, l
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
