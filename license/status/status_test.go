package status_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/license/status"
	"github.com/licgate/licgate/middleware"
)

var _ middleware.RemoteStateSource = (*status.Client)(nil)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

type env struct {
	svc   *license.Service
	lic   license.License
	aid   string
	token string
	now   atomic.Pointer[time.Time]
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{}
	e.now.Store(&t0)
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	svc, err := license.NewService(memstore.New(), license.WithKeySet(ks),
		license.WithSecret([]byte(strings.Repeat("s", 32))), license.WithIssuer("https://lic.example"),
		license.WithClock(func() time.Time { return *e.now.Load() }))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.CreateProduct(ctx, license.Product{ID: "demo", Name: "Demo", Major: 1}); err != nil {
		t.Fatal(err)
	}
	l, err := svc.CreateLicense(ctx, license.NewLicense{
		ProductID: "demo", Customer: license.Customer{Email: "ada@example.com"},
		Features: []string{"reports"}, ExpiresAt: t0.AddDate(1, 0, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.ValidateKey(ctx, license.KeyValidation{Key: l.Key, ComputerID: "pc-1"})
	if err != nil {
		t.Fatal(err)
	}
	e.svc, e.lic, e.aid, e.token = svc, l, res.Activation.AID, res.Token
	return e
}

// sign signs claims for the activation with the service's keys.
func (e *env) sign(t *testing.T, mod func(*license.Claims)) string {
	t.Helper()
	c := &license.Claims{LicenseID: e.lic.ID, ComputerID: "pc-1", RegisteredClaims: jwt.RegisteredClaims{
		Issuer: e.svc.Issuer(), Subject: e.aid, Audience: jwt.ClaimStrings{"demo"},
		IssuedAt: jwt.NewNumericDate(t0), NotBefore: jwt.NewNumericDate(t0), ExpiresAt: jwt.NewNumericDate(t0.Add(time.Hour)),
	}}
	mod(c)
	s, err := e.svc.KeySet().Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// failing is a status.Service whose store fails.
type failing struct{ *license.Service }

func (failing) ActivationState(context.Context, string) (license.State, error) {
	return license.State{}, errors.New("database is down")
}

func TestHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h, err := status.NewHandler(e.svc)
	if err != nil {
		t.Fatal(err)
	}
	hf, _ := status.NewHandler(failing{e.svc})
	k, _ := license.GenerateSigningKey()
	other, _ := license.NewKeySet(k)
	otherTok, _ := other.Sign(&license.Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: e.svc.Issuer(), Subject: e.aid, Audience: jwt.ClaimStrings{"demo"}, ExpiresAt: jwt.NewNumericDate(t0.Add(time.Hour)),
	}})
	unknown := "00000000-0000-4000-8000-000000000000"

	tests := []struct {
		name       string
		h          http.Handler
		method     string
		auth       string
		wantStatus int
		wantReason string
	}{
		{"valid", h, "GET", "Bearer " + e.token, 200, ""},
		{"head", h, "HEAD", "Bearer " + e.token, 200, ""},
		{"post", h, "POST", "Bearer " + e.token, 405, "method_not_allowed"},
		{"no token", h, "GET", "", 401, "token_missing"},
		{"basic", h, "GET", "Basic eDp5", 401, "token_missing"},
		{"garbage", h, "GET", "Bearer garbage", 401, "token_invalid"},
		{"other key", h, "GET", "Bearer " + otherTok, 401, "token_invalid"},
		{"expired", h, "GET", "Bearer " + e.sign(t, func(c *license.Claims) { c.ExpiresAt = jwt.NewNumericDate(t0) }), 401, "token_invalid"},
		{"other issuer", h, "GET", "Bearer " + e.sign(t, func(c *license.Claims) { c.Issuer = "evil" }), 401, "token_invalid"},
		{"unknown activation", h, "GET", "Bearer " + e.sign(t, func(c *license.Claims) { c.Subject = unknown }), 404, "activation_unknown"},
		{"store down", hf, "GET", "Bearer " + e.token, 503, "state_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, status.Path, nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			tt.h.ServeHTTP(w, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status: got %d, want %d (body %s)", w.Code, tt.wantStatus, w.Body)
			}
			if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options: got %q, want nosniff", got)
			}
			if got := w.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control: got %q, want no-store", got)
			}
			if tt.method == "HEAD" {
				if w.Body.Len() != 0 {
					t.Errorf("HEAD body: got %q, want none", w.Body)
				}
				return
			}
			if tt.wantStatus == 200 {
				if got := w.Header().Get("Content-Type"); got != "application/json" {
					t.Errorf("Content-Type: got %q, want application/json", got)
				}
				var st map[string]any
				if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
					t.Fatal(err)
				}
				want := map[string]any{
					"aid": e.aid, "licenseId": e.lic.ID, "productId": "demo", "status": "active",
					"expiresAt": t0.AddDate(1, 0, 0).Format(time.RFC3339), "features": []any{"reports"},
				}
				for k, v := range want {
					if got, _ := json.Marshal(st[k]); string(got) != mustJSON(v) {
						t.Errorf("%s: got %s, want %s", k, got, mustJSON(v))
					}
				}
				return
			}
			if got := w.Header().Get("Content-Type"); got != "application/problem+json" {
				t.Errorf("Content-Type: got %q, want application/problem+json", got)
			}
			var p struct{ Reason string }
			json.Unmarshal(w.Body.Bytes(), &p)
			if p.Reason != tt.wantReason {
				t.Errorf("reason: got %q, want %q", p.Reason, tt.wantReason)
			}
			if strings.Contains(w.Body.String(), "database") {
				t.Errorf("body leaks the internal error: %s", w.Body)
			}
			if tt.wantStatus == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate: got %q, want a Bearer challenge", w.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h, _ := status.NewHandler(e.svc)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	odd := func(fn http.HandlerFunc) string {
		s := httptest.NewServer(fn)
		t.Cleanup(s.Close)
		return s.URL
	}
	var leaked atomic.Bool
	target := odd(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Store(true)
		}
		h.ServeHTTP(w, r)
	})

	tests := []struct {
		name    string
		url     string
		aid     string
		token   string
		wantErr error
	}{
		{"valid", srv.URL + status.Path, e.aid, e.token, nil},
		{"unknown token", srv.URL + status.Path, e.aid, "a.b.c", status.ErrUnauthorized},
		{"unknown activation", srv.URL + status.Path, "00000000-0000-4000-8000-000000000000",
			e.sign(t, func(c *license.Claims) { c.Subject = "00000000-0000-4000-8000-000000000000" }), license.ErrNotFound},
		{"answer for another activation", srv.URL, "00000000-0000-4000-8000-000000000000", e.token, status.ErrBadResponse},
		{"html", odd(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`{"aid":"` + e.aid + `"}`))
		}), e.aid, e.token, status.ErrBadResponse},
		{"huge body", odd(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"aid":"` + e.aid + `","features":["` + strings.Repeat("x", 100<<10) + `"]}`))
		}), e.aid, e.token, status.ErrBadResponse},
		{"trailing data", odd(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"aid":"` + e.aid + `"} {}`))
		}), e.aid, e.token, status.ErrBadResponse},
		{"server error", odd(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", 500) }), e.aid, e.token, status.ErrUnavailable},
		{"redirect", odd(func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, target, http.StatusFound) }), e.aid, e.token, status.ErrUnavailable},
		{"slow", odd(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }), e.aid, e.token, status.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := status.NewClient(tt.url, status.WithTimeout(200*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			st, err := c.ActivationState(context.Background(), tt.aid, tt.token)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				if st.AID != e.aid || st.Status != license.StatusActive || !st.HasFeature("reports") || !st.ExpiresAt.Equal(t0.AddDate(1, 0, 0)) {
					t.Errorf("state: got %+v", st)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error: got %v, want %v", err, tt.wantErr)
			}
		})
	}
	if leaked.Load() {
		t.Error("the token followed a redirect")
	}
}

func TestClient_serverGone(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	c, _ := status.NewClient(u + status.Path)
	if _, err := c.ActivationState(context.Background(), "x", "a.b.c"); !errors.Is(err, status.ErrUnavailable) {
		t.Errorf("got %v, want ErrUnavailable", err)
	}
}

func TestNewClient_options(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		url  string
		opts []status.ClientOption
	}{
		{"relative", "/v1/activation/status", nil},
		{"ftp", "ftp://lic.example/status", nil},
		{"nil client", "https://lic.example", []status.ClientOption{status.WithHTTPClient(nil)}},
		{"zero timeout", "https://lic.example", []status.ClientOption{status.WithTimeout(0)}},
		{"nil option", "https://lic.example", []status.ClientOption{nil}},
	} {
		if _, err := status.NewClient(tt.url, tt.opts...); !errors.Is(err, status.ErrBadOption) {
			t.Errorf("%s: got %v, want ErrBadOption", tt.name, err)
		}
	}
	if _, err := status.NewHandler(nil); !errors.Is(err, status.ErrBadOption) {
		t.Errorf("NewHandler(nil): got %v, want ErrBadOption", err)
	}
}

// A gate in another process follows the activation through the status
// endpoint: revoked there, refused here within the TTL.
func TestClient_behindGate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h, _ := status.NewHandler(e.svc)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, _ := status.NewClient(srv.URL + status.Path)
	now := t0
	gate, err := middleware.New(
		middleware.WithKeySet(e.svc.KeySet()), middleware.WithIssuer(e.svc.Issuer()),
		middleware.WithRemoteStateSource(c), middleware.WithClock(func() time.Time { return now }),
	)
	if err != nil {
		t.Fatal(err)
	}
	api := gate.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	get := func() int {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+e.token)
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		return w.Code
	}
	if got := get(); got != 200 {
		t.Fatalf("active: got %d, want 200", got)
	}
	if _, err := e.svc.RevokeActivation(context.Background(), e.aid); err != nil {
		t.Fatal(err)
	}
	now = now.Add(30 * time.Second)
	if got := get(); got != 403 {
		t.Fatalf("revoked, after the TTL: got %d, want 403", got)
	}
}
