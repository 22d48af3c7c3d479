package rest_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/license/rest"
)

func TestNewHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t, mem)
	tests := []struct {
		name string
		svc  *license.Service
		opts []rest.Option
	}{
		{"nil service", nil, nil},
		{"nil option", e.svc, []rest.Option{nil}},
		{"nil client IP", e.svc, []rest.Option{rest.WithClientIP(nil)}},
		{"body too small", e.svc, []rest.Option{rest.WithMaxBodyBytes(100)}},
		{"body too large", e.svc, []rest.Option{rest.WithMaxBodyBytes(2 << 20)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := rest.NewHandler(tt.svc, tt.opts...); !errors.Is(err, rest.ErrBadOption) {
				t.Fatalf("got %v, want ErrBadOption", err)
			}
		})
	}
	if _, err := rest.NewHandler(e.svc, rest.WithLogger(nil), rest.WithMaxBodyBytes(1<<20)); err != nil {
		t.Fatal(err)
	}
}

// activation is an answer of POST /v1/activations.
type activation struct {
	AID        string    `json:"aid"`
	LicenseID  string    `json:"licenseId"`
	ProductID  string    `json:"productId"`
	ComputerID string    `json:"computerId"`
	Token      string    `json:"token"`
	ExpiresAt  time.Time `json:"expiresAt"`
	Existing   bool      `json:"existing"`
}

func TestActivateByKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, mem)
	l := e.license(t, license.NewLicense{Seats: 1})
	body := map[string]string{"key": l.Key, "computerId": "pc-1", "computerName": "Ada's PC"}
	r := e.do(t, "POST", "/v1/activations", body)
	if r.status != http.StatusCreated {
		t.Fatalf("first: got %d, want 201: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type: got %q", ct)
	}
	var a activation
	r.json(t, &a)
	if a.LicenseID != l.ID || a.ProductID != "demo" || a.ComputerID != "pc-1" || a.Existing || a.AID == "" {
		t.Fatalf("first: %s", r.body)
	}
	v, _ := license.NewVerifier(license.VerifierConfig{Keyfunc: e.svc.KeySet().Keyfunc, Issuer: e.svc.Issuer(), Now: e.clock.Now})
	c, err := v.Verify(a.Token)
	if err != nil || c.Subject != a.AID || !c.ExpiresAt.Time.Equal(a.ExpiresAt) {
		t.Fatalf("token: %v; claims %+v, expiresAt %v", err, c, a.ExpiresAt)
	}
	if !strings.Contains(string(r.body), `"expiresAt":"`+a.ExpiresAt.Format(time.RFC3339)+`"`) {
		t.Fatalf("expiresAt is not RFC 3339 in UTC: %s", r.body)
	}

	r = e.do(t, "POST", "/v1/activations", body)
	var again activation
	r.json(t, &again)
	if r.status != http.StatusOK || !again.Existing || again.AID != a.AID {
		t.Fatalf("again: got %d %s, want 200 with the same aid, existing", r.status, r.body)
	}

	r = e.do(t, "POST", "/v1/activations", map[string]string{"key": l.Key, "computerId": "pc-2"})
	if r.status != http.StatusConflict || r.reason(t) != "no_seats" {
		t.Fatalf("second computer: got %d %s, want 409 no_seats", r.status, r.body)
	}
}

func TestActivateByCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, mem)
	l := e.license(t, license.NewLicense{Seats: 2})

	// Known and unknown emails get the same answer.
	for _, email := range []string{"nobody@example.com", "ada@example.com"} {
		r := e.do(t, "POST", "/v1/codes", map[string]string{"email": email, "computerId": "pc-1", "productId": "demo"})
		if r.status != http.StatusAccepted || string(r.body) != `{"status":"accepted"}`+"\n" {
			t.Fatalf("code for %s: got %d %s, want 202 accepted", email, r.status, r.body)
		}
	}
	var code string
	select {
	case m := <-e.inbox:
		code = m.Code
	case <-time.After(10 * time.Second):
		t.Fatal("no code was sent")
	}

	r := e.do(t, "POST", "/v1/activations", map[string]string{"code": "000000", "computerId": "pc-1"})
	if code != "000000" && (r.status != http.StatusForbidden || r.reason(t) != "code_invalid") {
		t.Fatalf("wrong code: got %d %s, want 403 code_invalid", r.status, r.body)
	}
	r = e.do(t, "POST", "/v1/activations", map[string]string{
		"code": code, "email": "ada@example.com", "productId": "demo", "computerId": "pc-1",
	})
	var a activation
	r.json(t, &a)
	if r.status != http.StatusCreated || a.LicenseID != l.ID || a.ComputerID != "pc-1" || a.Token == "" || a.ExpiresAt.IsZero() {
		t.Fatalf("activation by code: got %d %s", r.status, r.body)
	}
	// The code is used up.
	r = e.do(t, "POST", "/v1/activations", map[string]string{"code": code, "computerId": "pc-1"})
	if r.status != http.StatusForbidden || r.reason(t) != "code_invalid" {
		t.Fatalf("code again: got %d %s, want 403 code_invalid", r.status, r.body)
	}
}

// Wrong codes draw on the budget of the client's address, as WithClientIP
// learns it; a spent budget is 429 with Retry-After.
func TestCodeBudget(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, mem, []license.Option{license.WithCodeRateLimits(8, 60, 2, time.Hour)},
		rest.WithClientIP(func(r *http.Request) string { return r.Header.Get("X-Test-Client") }))
	e.license(t, license.NewLicense{Seats: 2})
	guess := map[string]string{"code": "123456", "computerId": "pc-1"}
	for i, want := range []int{403, 403, 429} {
		r := e.do(t, "POST", "/v1/activations", guess, "X-Test-Client", "192.0.2.1")
		if r.status != want {
			t.Fatalf("guess %d: got %d %s, want %d", i, r.status, r.body, want)
		}
		if want == 429 && (r.reason(t) != "rate_limited" || r.header.Get("Retry-After") == "") {
			t.Fatalf("429: reason %q, Retry-After %q", r.reason(t), r.header.Get("Retry-After"))
		}
	}
	r := e.do(t, "POST", "/v1/activations", guess, "X-Test-Client", "192.0.2.2")
	if r.status != http.StatusForbidden {
		t.Fatalf("another address: got %d %s, want 403", r.status, r.body)
	}
}

func TestRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, mem)
	l := e.license(t, license.NewLicense{Seats: 2})
	key := `"key":"` + l.Key + `"`
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		wantStatus  int
		wantReason  string
	}{
		{"ok", "POST", "/v1/activations", "application/json", `{` + key + `,"computerId":"pc-1"}`, 201, ""},
		{"charset", "POST", "/v1/activations", "application/json; charset=UTF-8", `{` + key + `,"computerId":"pc-1"}`, 200, ""},
		{"text", "POST", "/v1/activations", "text/plain", `{` + key + `,"computerId":"pc-1"}`, 415, "unsupported_media_type"},
		{"no content type", "POST", "/v1/activations", "", `{` + key + `,"computerId":"pc-1"}`, 415, "unsupported_media_type"},
		{"latin1", "POST", "/v1/activations", "application/json; charset=latin1", `{}`, 415, "unsupported_media_type"},
		{"form", "POST", "/v1/activations", "application/x-www-form-urlencoded", `key=x`, 415, "unsupported_media_type"},
		{"not JSON", "POST", "/v1/activations", "application/json", `key=x`, 400, "bad_request"},
		{"empty", "POST", "/v1/activations", "application/json", ``, 400, "bad_request"},
		{"array", "POST", "/v1/activations", "application/json", `[{` + key + `}]`, 400, "bad_request"},
		{"null", "POST", "/v1/activations", "application/json", `null`, 400, "bad_request"},
		{"trailing", "POST", "/v1/activations", "application/json", `{` + key + `,"computerId":"pc-1"} {}`, 400, "bad_request"},
		{"trailing garbage", "POST", "/v1/activations", "application/json", `{` + key + `,"computerId":"pc-1"}x`, 400, "bad_request"},
		{"unknown member", "POST", "/v1/activations", "application/json", `{` + key + `,"computerId":"pc-1","admin":true}`, 400, "bad_request"},
		{"member in capitals", "POST", "/v1/activations", "application/json", `{"KEY":"` + l.Key + `","computerId":"pc-1"}`, 400, "bad_request"},
		{"duplicate member", "POST", "/v1/activations", "application/json", `{` + key + `,` + key + `,"computerId":"pc-1"}`, 400, "bad_request"},
		{"wrong type", "POST", "/v1/activations", "application/json", `{` + key + `,"computerId":7}`, 400, "bad_request"},
		{"not UTF-8", "POST", "/v1/activations", "application/json", "{" + key + ",\"computerId\":\"pc-\xff\"}", 400, "bad_request"},
		{"too large", "POST", "/v1/activations", "application/json", `{"key":"` + strings.Repeat("k", 64<<10) + `"}`, 413, "too_large"},
		{"key and code", "POST", "/v1/activations", "application/json", `{` + key + `,"code":"123456","computerId":"pc-1"}`, 400, "bad_request"},
		{"neither", "POST", "/v1/activations", "application/json", `{"computerId":"pc-1"}`, 400, "bad_request"},
		{"email with key", "POST", "/v1/activations", "application/json", `{` + key + `,"email":"ada@example.com","computerId":"pc-1"}`, 400, "bad_request"},
		{"unknown key", "POST", "/v1/activations", "application/json", `{"key":"nope","computerId":"pc-1"}`, 404, "not_found"},
		{"bad computer", "POST", "/v1/activations", "application/json", `{` + key + `,"computerId":"has space"}`, 400, "invalid"},
		{"no computer", "POST", "/v1/activations", "application/json", `{` + key + `}`, 400, "invalid"},
		{"malformed code", "POST", "/v1/activations", "application/json", `{"code":"12","computerId":"pc-1"}`, 400, "invalid"},
		{"GET activations", "GET", "/v1/activations", "", ``, 405, "method_not_allowed"},
		{"PUT codes", "PUT", "/v1/codes", "application/json", `{}`, 405, "method_not_allowed"},
		{"bad email", "POST", "/v1/codes", "application/json", `{"email":"not an email","computerId":"pc-1","productId":"demo"}`, 400, "invalid"},
		{"code without product", "POST", "/v1/codes", "application/json", `{"email":"ada@example.com","computerId":"pc-1"}`, 400, "invalid"},
		{"code member", "POST", "/v1/codes", "application/json", `{"email":"ada@example.com","computerId":"pc-1","code":"1"}`, 400, "bad_request"},
		{"GET offline API", "GET", "/v1/offline", "", ``, 405, "method_not_allowed"},
		{"unknown v1", "GET", "/v1/nothing", "", ``, 404, "not_found"},
		{"v1 root", "GET", "/v1/", "", ``, 404, "not_found"},
		{"below activations", "POST", "/v1/activations/x", "application/json", `{}`, 404, "not_found"},
		{"elsewhere", "GET", "/", "", ``, 404, "not_found"},
		{"DELETE page", "DELETE", "/offline", "", ``, 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, tt.method, tt.path, tt.body, "Content-Type", tt.contentType)
			if r.status != tt.wantStatus {
				t.Fatalf("status: got %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("headers: %v", r.header)
			}
			if tt.wantReason == "" {
				return
			}
			p := r.problem(t)
			if p["reason"] != tt.wantReason || p["type"] != "urn:licgate:problem:"+tt.wantReason {
				t.Fatalf("problem: got %s, want reason %s", r.body, tt.wantReason)
			}
			if d, _ := p["detail"].(string); d == "" || strings.Contains(d, l.Key) {
				t.Fatalf("detail: %q", d)
			}
			if tt.wantStatus == 405 && r.header.Get("Allow") == "" {
				t.Fatal("405 without Allow")
			}
		})
	}
}

// actors records the actors of the activations the service observes.
type actors struct {
	mu  sync.Mutex
	got []license.Actor
}

func (a *actors) Activation(ctx context.Context, e license.ActivationEvent) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, e.Actor)
}

func (a *actors) CodeRequest(context.Context, license.CodeEvent) {}

var _ license.Observer = (*actors)(nil)

func TestActor(t *testing.T) {
	t.Parallel()
	obs := &actors{}
	e := newEnvWith(t, mem, []license.Option{license.WithObserver(obs)})
	l := e.license(t, license.NewLicense{Seats: 1})
	req := httptest.NewRequest("POST", "/v1/activations", strings.NewReader(`{"key":"`+l.Key+`","computerId":"pc-1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "198.51.100.7:4242"
	req = req.WithContext(license.WithActor(req.Context(), license.Actor{Protocol: "outer", RequestID: "req-1"}))
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	if w.Code != http.StatusCreated {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
	want := license.Actor{Protocol: "rest", Addr: "198.51.100.7", RequestID: "req-1"}
	if len(obs.got) != 1 || obs.got[0] != want {
		t.Fatalf("actors: got %+v, want %+v", obs.got, want)
	}
}

// Keys, tokens and codes never reach the log, whatever happens.
func TestNoSecretsInLogs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, mem, rest.WithLogger(logger))
	l := e.license(t, license.NewLicense{Seats: 1})
	fl := e.license(t, license.NewLicense{Seats: 1, Floating: true})
	var secrets []string
	r := e.do(t, "POST", "/v1/activations", map[string]string{"key": l.Key, "computerId": "pc-1"})
	var a activation
	r.json(t, &a)
	secrets = append(secrets, l.Key, fl.Key, a.Token)
	e.do(t, "POST", "/v1/activations", map[string]string{"key": l.Key, "computerId": "pc-2"})
	e.do(t, "POST", "/v1/activations", map[string]string{"code": "654321", "computerId": "pc-2"})
	e.do(t, "POST", "/v1/activations", map[string]string{"key": l.Key + "X", "computerId": "pc-2"})
	e.do(t, "POST", "/v1/activations", `{"key":"`+l.Key+`","bogus":1}`)
	_, ls := e.take(t, fl.Key, "w1")
	e.take(t, fl.Key, "w2")
	secrets = append(secrets, ls.Token)
	e.do(t, "POST", "/v1/leases/"+ls.ID+"/heartbeat", nil, bearer(a.Token)...)
	e.do(t, "POST", "/v1/codes", map[string]string{"email": "ada@example.com", "computerId": "pc-3", "productId": "demo"})
	select {
	case m := <-e.inbox:
		secrets = append(secrets, m.Code)
	case <-time.After(10 * time.Second):
		t.Fatal("no code was sent")
	}
	mu.Lock()
	defer mu.Unlock()
	if buf.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	for _, s := range secrets {
		if strings.Contains(buf.String(), s) {
			t.Fatalf("the log holds a secret %q:\n%s", s, buf.String())
		}
	}
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// The handler answers on its absolute paths when mounted as the bundled
// server mounts it.
func TestMount(t *testing.T) {
	t.Parallel()
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	svc, err := license.NewService(memstore.New(), license.WithKeySet(ks), license.WithSecret([]byte(strings.Repeat("s", 32))))
	if err != nil {
		t.Fatal(err)
	}
	h, err := rest.NewHandler(svc)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", h)
	mux.Handle("/offline", h)
	for path, want := range map[string]int{"/offline": 200, "/v1/leases": 405, "/v1/x": 404} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != want {
			t.Fatalf("GET %s: got %d, want %d", path, w.Code, want)
		}
	}
}
