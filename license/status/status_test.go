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
		ProductID: "demo", Customer: license.Customer{Email: "ada@example.com"}, Seats: 2,
		Features: []string{"reports"}, ExpiresAt: t0.AddDate(1, 0, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Activate(ctx, license.ActivationRequest{LicenseID: l.ID, ComputerID: "pc-1"})
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
					"aid": e.aid, "licenseId": e.lic.ID, "productId": "demo",
					"activationStatus": "active", "licenseStatus": "active", "status": "active",
					"expiresAt": t0.AddDate(1, 0, 0).Format(time.RFC3339), "features": []any{"reports"},
					"allowed": true,
				}
				if _, ok := st["reason"]; ok {
					t.Errorf("reason %v in an answer that allows", st["reason"])
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
			var p struct{ Reason, Title string }
			json.Unmarshal(w.Body.Bytes(), &p)
			if p.Reason != tt.wantReason {
				t.Errorf("reason: got %q, want %q", p.Reason, tt.wantReason)
			}
			if !isSentence(p.Title) {
				t.Errorf("title: got %q, want a sentence for the client", p.Title)
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

// isSentence reports whether s reads as a sentence written for a client:
// a capital first, a full stop last, and no "package:" prefix.
func isSentence(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' || !strings.HasSuffix(s, ".") {
		return false
	}
	first, _, _ := strings.Cut(s, " ")
	return !strings.HasSuffix(first, ":")
}

// TestHandler_states checks that the answer tells a revoked license from
// a revoked activation, and that State.Err reads it so on the other side.
func TestHandler_states(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name                string
		change              func(e *env) error
		wantActivation      license.Status
		wantLicense         license.Status
		wantStatus          license.Status
		wantErr, wantNotErr error
	}{
		{"active", nil, license.StatusActive, license.StatusActive, license.StatusActive, nil, nil},
		{"license revoked", func(e *env) error {
			_, err := e.svc.SetLicenseStatus(ctx, e.lic.ID, license.StatusRevoked)
			return err
		}, license.StatusActive, license.StatusRevoked, license.StatusRevoked, license.ErrLicenseRevoked, license.ErrActivationRevoked},
		{"activation revoked", func(e *env) error {
			_, err := e.svc.RevokeActivation(ctx, e.aid)
			return err
		}, license.StatusRevoked, license.StatusActive, license.StatusRevoked, license.ErrActivationRevoked, license.ErrLicenseRevoked},
		{"license suspended", func(e *env) error {
			_, err := e.svc.SetLicenseStatus(ctx, e.lic.ID, license.StatusSuspended)
			return err
		}, license.StatusActive, license.StatusSuspended, license.StatusSuspended, license.ErrSuspended, nil},
		{"activation released", func(e *env) error {
			_, err := e.svc.ReleaseActivation(ctx, e.aid)
			return err
		}, license.StatusReleased, license.StatusActive, license.StatusReleased, license.ErrReleased, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			if tt.change != nil {
				if err := tt.change(e); err != nil {
					t.Fatal(err)
				}
			}
			h, _ := status.NewHandler(e.svc)
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			c, _ := status.NewClient(srv.URL)
			st, err := c.ActivationState(ctx, e.aid, e.token)
			if err != nil {
				t.Fatal(err)
			}
			if st.Activation != tt.wantActivation || st.License != tt.wantLicense || st.Status != tt.wantStatus {
				t.Errorf("statuses: got activation %q, license %q, status %q; want %q, %q, %q",
					st.Activation, st.License, st.Status, tt.wantActivation, tt.wantLicense, tt.wantStatus)
			}
			err = st.Err(t0)
			if (tt.wantErr == nil) != (err == nil) || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Err: got %v, want %v", err, tt.wantErr)
			}
			if tt.wantNotErr != nil && errors.Is(err, tt.wantNotErr) {
				t.Errorf("Err: got %v, which must not match %v", err, tt.wantNotErr)
			}
			// The answer's verdict is the same decision.
			req, _ := http.NewRequest("GET", srv.URL, nil)
			req.Header.Set("Authorization", "Bearer "+e.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var verdict struct {
				Allowed bool
				Reason  string
			}
			if err := json.NewDecoder(resp.Body).Decode(&verdict); err != nil {
				t.Fatal(err)
			}
			if verdict.Allowed != (tt.wantErr == nil) || verdict.Reason != license.Reason(tt.wantErr) {
				t.Errorf("verdict: got allowed %v, reason %q; want %v, %q", verdict.Allowed, verdict.Reason, tt.wantErr == nil, license.Reason(tt.wantErr))
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

	// jsonServer answers with a JSON body, as a server of any version might.
	jsonServer := func(body string) string {
		return odd(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(body))
		})
	}
	tests := []struct {
		name    string
		url     string
		aid     string
		token   string
		wantErr error
		check   func(t *testing.T, st license.State)
	}{
		{"valid", srv.URL + status.Path, e.aid, e.token, nil, func(t *testing.T, st license.State) {
			if st.AID != e.aid || st.Status != license.StatusActive || st.Activation != license.StatusActive ||
				st.License != license.StatusActive || !st.HasFeature("reports") || !st.ExpiresAt.Equal(t0.AddDate(1, 0, 0)) {
				t.Errorf("state: got %+v", st)
			}
		}},
		{"0.x server, active", jsonServer(`{"aid":"` + e.aid + `","licenseId":"x","productId":"demo","status":"active"}`),
			e.aid, e.token, nil, func(t *testing.T, st license.State) {
				if st.Status != license.StatusActive || st.Err(t0) != nil {
					t.Errorf("state: got %+v, Err %v; want active", st, st.Err(t0))
				}
			}},
		{"0.x server, suspended", jsonServer(`{"aid":"` + e.aid + `","productId":"demo","status":"suspended"}`),
			e.aid, e.token, nil, func(t *testing.T, st license.State) {
				if err := st.Err(t0); !errors.Is(err, license.ErrSuspended) {
					t.Errorf("Err: got %v, want ErrSuspended", err)
				}
			}},
		{"0.x server, revoked", jsonServer(`{"aid":"` + e.aid + `","productId":"demo","status":"revoked"}`),
			e.aid, e.token, nil, func(t *testing.T, st license.State) {
				if err := st.Err(t0); !errors.Is(err, license.ErrRevoked) {
					t.Errorf("Err: got %v, want ErrRevoked", err)
				}
			}},
		{"newer server, unknown members", jsonServer(`{"aid":"` + e.aid + `","activationStatus":"active","licenseStatus":"active","status":"active","seatsHeld":3}`),
			e.aid, e.token, nil, func(t *testing.T, st license.State) {
				if st.Err(t0) != nil {
					t.Errorf("Err: got %v, want nil", st.Err(t0))
				}
			}},
		{"no status at all", jsonServer(`{"aid":"` + e.aid + `"}`), e.aid, e.token, status.ErrBadResponse, nil},
		{"unknown token", srv.URL + status.Path, e.aid, "a.b.c", status.ErrUnauthorized, nil},
		{"unknown activation", srv.URL + status.Path, "00000000-0000-4000-8000-000000000000",
			e.sign(t, func(c *license.Claims) { c.Subject = "00000000-0000-4000-8000-000000000000" }), license.ErrNotFound, nil},
		{"answer for another activation", srv.URL, "00000000-0000-4000-8000-000000000000", e.token, status.ErrBadResponse, nil},
		{"html", odd(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`{"aid":"` + e.aid + `"}`))
		}), e.aid, e.token, status.ErrBadResponse, nil},
		{"huge body", odd(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"aid":"` + e.aid + `","features":["` + strings.Repeat("x", 100<<10) + `"]}`))
		}), e.aid, e.token, status.ErrBadResponse, nil},
		{"trailing data", odd(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"aid":"` + e.aid + `"} {}`))
		}), e.aid, e.token, status.ErrBadResponse, nil},
		{"server error", odd(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", 500) }), e.aid, e.token, status.ErrUnavailable, nil},
		{"redirect", odd(func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, target, http.StatusFound) }), e.aid, e.token, status.ErrUnavailable, nil},
		{"slow", odd(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }), e.aid, e.token, status.ErrUnavailable, nil},
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
				tt.check(t, st)
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
