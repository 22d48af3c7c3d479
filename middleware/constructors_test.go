package middleware_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/status"
	"github.com/licgate/licgate/middleware"
)

func TestSentinels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"license revoked is license.ErrLicenseRevoked", middleware.ErrLicenseRevoked, license.ErrLicenseRevoked, true},
		{"license revoked is license.ErrRevoked", middleware.ErrLicenseRevoked, license.ErrRevoked, true},
		{"license revoked is ErrRevoked", middleware.ErrLicenseRevoked, middleware.ErrRevoked, true},
		{"license revoked is not an activation revoked", middleware.ErrLicenseRevoked, license.ErrActivationRevoked, false},
		{"activation revoked is license.ErrActivationRevoked", middleware.ErrActivationRevoked, license.ErrActivationRevoked, true},
		{"activation revoked is license.ErrRevoked", middleware.ErrActivationRevoked, license.ErrRevoked, true},
		{"activation revoked is ErrRevoked", middleware.ErrActivationRevoked, middleware.ErrRevoked, true},
		{"activation revoked is not a license revoked", middleware.ErrActivationRevoked, middleware.ErrLicenseRevoked, false},
		{"revoked is license.ErrRevoked", middleware.ErrRevoked, license.ErrRevoked, true},
		{"suspended", middleware.ErrSuspended, license.ErrSuspended, true},
		{"released", middleware.ErrReleased, license.ErrReleased, true},
		{"lease expired is license.ErrLeaseExpired", middleware.ErrLeaseExpired, license.ErrLeaseExpired, true},
		{"lease expired is ErrReleased", middleware.ErrLeaseExpired, middleware.ErrReleased, true},
		{"lease expired is license.ErrReleased", middleware.ErrLeaseExpired, license.ErrReleased, true},
		{"released is not a lease expired", middleware.ErrReleased, license.ErrLeaseExpired, false},
		{"license expired", middleware.ErrLicenseExpired, license.ErrExpired, true},
		{"wrong product", middleware.ErrWrongProduct, license.ErrWrongProduct, true},
		{"activation unknown", middleware.ErrActivationUnknown, license.ErrNotFound, true},
		{"no keys is a bad option", middleware.ErrNoKeys, middleware.ErrBadOption, true},
		{"no state source is a bad option", middleware.ErrNoStateSource, middleware.ErrBadOption, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := errors.Is(tt.err, tt.target); got != tt.want {
				t.Errorf("errors.Is(%v, %v): got %v, want %v", tt.err, tt.target, got, tt.want)
			}
		})
	}
}

func TestGate_CORSPreflight(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	src := newMutableSource()
	preflight := func(r *http.Request) {
		r.Method = http.MethodOptions
		r.Header.Set("Origin", "https://app.example")
		r.Header.Set("Access-Control-Request-Method", "GET")
	}
	tests := []struct {
		name       string
		enabled    bool
		set        func(r *http.Request)
		wantStatus int
		wantNext   bool
	}{
		{"preflight, enabled", true, preflight, http.StatusNoContent, true},
		{"preflight, disabled", false, preflight, 401, false},
		{"OPTIONS without Origin", true, func(r *http.Request) {
			preflight(r)
			r.Header.Del("Origin")
		}, 401, false},
		{"OPTIONS without Access-Control-Request-Method", true, func(r *http.Request) {
			preflight(r)
			r.Header.Del("Access-Control-Request-Method")
		}, 401, false},
		{"GET with preflight headers", true, func(r *http.Request) {
			preflight(r)
			r.Method = http.MethodGet
		}, 401, false},
		{"the request after the preflight is gated", true, func(r *http.Request) {
			r.Header.Set("Origin", "https://app.example")
		}, 401, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []middleware.Option
			if tt.enabled {
				opts = append(opts, middleware.WithCORSPreflight())
			}
			var reached bool
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached = true
				if _, ok := middleware.FromContext(r.Context()); ok {
					t.Error("a preflight has a grant in its context")
				}
				w.WriteHeader(http.StatusNoContent)
			})
			gate := newGate(t, ks, src, newClock(), opts...)
			for _, h := range []http.Handler{gate.Handler(next), gate.Require("reports")(next)} {
				reached = false
				r := httptest.NewRequest(http.MethodGet, "/api", nil)
				tt.set(r)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != tt.wantStatus || reached != tt.wantNext {
					t.Errorf("got %d, next reached %v; want %d, %v", w.Code, reached, tt.wantStatus, tt.wantNext)
				}
			}
		})
	}
	if got := src.calls.Load(); got != 0 {
		t.Errorf("state source asked %d times for requests without a token", got)
	}
}

func TestWithVerifier(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	clk := newClock()
	v, err := license.NewVerifier(license.VerifierConfig{
		Keyfunc: ks.Keyfunc, Issuer: testIssuer, Audiences: []string{testProduct}, Now: clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	src := newMutableSource()
	exp := t0.Add(time.Hour)
	src.set(func(st *license.State, _ *error) { st.ExpiresAt = exp })
	gate, err := middleware.New(middleware.WithVerifier(v), middleware.WithStateSource(src), middleware.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gate.Close() })
	h := gate.Handler(echo)
	withExp := func(c *license.Claims) { c.ExpiresAt = jwt.NewNumericDate(exp) }

	tests := []struct {
		name       string
		at         time.Time
		token      string
		wantStatus int
		wantReason string
	}{
		{"valid", t0, sign(t, ks, withExp), 200, ""},
		{"other key", t0, sign(t, newKeySet(t), withExp), 401, middleware.ReasonTokenInvalid},
		{"audience the verifier refuses", t0, sign(t, ks, func(c *license.Claims) { c.Audience = jwt.ClaimStrings{"other"} }), 401, middleware.ReasonTokenInvalid},
		{"issuer the verifier refuses", t0, sign(t, ks, func(c *license.Claims) { c.Issuer = "evil" }), 401, middleware.ReasonTokenInvalid},
		// The verifier hands back the claims of an authentic expired token,
		// so the gate tells a license that expired with it.
		{"expired with its license", exp, sign(t, ks, withExp), 403, middleware.ReasonLicenseExpired},
	}
	for _, tt := range tests {
		clk.Set(tt.at)
		w := do(h, tt.token)
		if w.Code != tt.wantStatus {
			t.Fatalf("%s: got %d %s, want %d", tt.name, w.Code, w.Body, tt.wantStatus)
		}
		if tt.wantReason != "" && problemReason(t, w) != tt.wantReason {
			t.Errorf("%s: reason %q, want %q", tt.name, problemReason(t, w), tt.wantReason)
		}
	}
}

// licenseServer is a licgate server on httptest: a service on memstore
// with its JWKS and status endpoint, as licgate serve mounts them.
type licenseServer struct {
	*service
	srv        *httptest.Server
	jwks, stat atomic.Int64 // requests served
}

func newLicenseServer(t *testing.T, now func() time.Time) *licenseServer {
	t.Helper()
	ls := &licenseServer{service: newService(t, now)}
	sh, err := status.NewHandler(ls.svc)
	if err != nil {
		t.Fatal(err)
	}
	jwks := ls.svc.KeySet().JWKS()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		ls.jwks.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	})
	mux.Handle("GET "+status.Path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ls.stat.Add(1)
		sh.ServeHTTP(w, r)
	}))
	ls.srv = httptest.NewServer(mux)
	t.Cleanup(ls.srv.Close)
	return ls
}

func TestNewRemote(t *testing.T) {
	t.Parallel()
	clk := newClock()
	ls := newLicenseServer(t, clk.Now)
	// A trailing slash is allowed; the issuer is the server's.
	gate, err := middleware.NewRemote(ls.srv.URL+"/", middleware.WithIssuer(testIssuer),
		middleware.WithHTTPClient(ls.srv.Client()), middleware.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gate.Close() })
	h := gate.Handler(echo)
	ctx := context.Background()

	if w := do(h, ""); w.Code != 401 {
		t.Fatalf("no token: got %d, want 401", w.Code)
	}
	if w := do(h, sign(t, newKeySet(t), nil)); w.Code != 401 {
		t.Fatalf("token of another server: got %d, want 401", w.Code)
	}
	for range 3 {
		if w := do(h, ls.token); w.Code != 200 {
			t.Fatalf("valid: got %d %s, want 200", w.Code, w.Body)
		}
	}
	if got := ls.stat.Load(); got != 1 {
		t.Errorf("status requests for three requests within the TTL: got %d, want 1", got)
	}
	if ls.jwks.Load() == 0 {
		t.Error("the JWKS was never fetched")
	}
	if _, err := ls.svc.RevokeActivation(ctx, ls.aid); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Second)
	if w := do(h, ls.token); w.Code != 403 || problemReason(t, w) != middleware.ReasonActivationRevoked {
		t.Fatalf("activation revoked: got %d %s, want 403 %s", w.Code, w.Body, middleware.ReasonActivationRevoked)
	}
	other := activate(t, ls.svc, ls.lic.Key, "pc-2")
	if _, err := ls.svc.SetLicenseStatus(ctx, ls.lic.ID, license.StatusRevoked); err != nil {
		t.Fatal(err)
	}
	if w := do(h, other.Token); w.Code != 403 || problemReason(t, w) != middleware.ReasonLicenseRevoked {
		t.Fatalf("license revoked: got %d %s, want 403 %s", w.Code, w.Body, middleware.ReasonLicenseRevoked)
	}
}

func TestNewRemote_serverDown(t *testing.T) {
	t.Parallel()
	clk := newClock()
	ls := newLicenseServer(t, clk.Now)
	gate, err := middleware.NewRemote(ls.srv.URL, middleware.WithIssuer(testIssuer),
		middleware.WithHTTPClient(ls.srv.Client()), middleware.WithClock(clk.Now),
		middleware.WithGracePeriod(time.Minute), middleware.WithStateTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gate.Close() })
	h := gate.Handler(echo)
	if w := do(h, ls.token); w.Code != 200 {
		t.Fatalf("valid: got %d %s, want 200", w.Code, w.Body)
	}
	ls.srv.Close()
	clk.Advance(30 * time.Second)
	if w := do(h, ls.token); w.Code != 200 {
		t.Fatalf("server down, within the grace period: got %d %s, want 200", w.Code, w.Body)
	}
	clk.Advance(time.Minute)
	if w := do(h, ls.token); w.Code != 503 || problemReason(t, w) != middleware.ReasonStateUnavailable {
		t.Fatalf("server down, grace over: got %d %s, want 503", w.Code, w.Body)
	}
}

func TestConstructors_options(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := newService(t, clk.Now)
	var nilService *license.Service
	tests := []struct {
		name string
		new  func() (*middleware.Gate, error)
		want error
	}{
		{"NewLocal", func() (*middleware.Gate, error) { return middleware.NewLocal(s.svc) }, nil},
		{"NewLocal with options", func() (*middleware.Gate, error) {
			return middleware.NewLocal(s.svc, middleware.WithStateTTL(time.Minute), middleware.WithAudiences(testProduct))
		}, nil},
		{"NewLocal nil", func() (*middleware.Gate, error) { return middleware.NewLocal(nil) }, middleware.ErrBadOption},
		{"NewLocal typed nil", func() (*middleware.Gate, error) { return middleware.NewLocal(nilService) }, middleware.ErrBadOption},
		{"NewLocal with a key set", func() (*middleware.Gate, error) {
			return middleware.NewLocal(s.svc, middleware.WithKeySet(s.svc.KeySet()))
		}, middleware.ErrNoKeys},
		{"NewLocal with an issuer", func() (*middleware.Gate, error) {
			return middleware.NewLocal(s.svc, middleware.WithIssuer(testIssuer))
		}, middleware.ErrBadOption},
		{"NewLocal with a state source", func() (*middleware.Gate, error) {
			return middleware.NewLocal(s.svc, middleware.WithStateSource(s.svc))
		}, middleware.ErrNoStateSource},
		{"NewLocal with a verifier", func() (*middleware.Gate, error) {
			v, _ := license.NewVerifier(license.VerifierConfig{Keyfunc: s.svc.KeySet().Keyfunc, Issuer: testIssuer})
			return middleware.NewLocal(s.svc, middleware.WithVerifier(v))
		}, middleware.ErrNoKeys},
		{"NewRemote empty", func() (*middleware.Gate, error) { return middleware.NewRemote("") }, middleware.ErrBadOption},
		{"NewRemote relative", func() (*middleware.Gate, error) { return middleware.NewRemote("/lic") }, middleware.ErrBadOption},
		{"NewRemote ftp", func() (*middleware.Gate, error) { return middleware.NewRemote("ftp://lic.example") }, middleware.ErrBadOption},
		{"NewRemote with a query", func() (*middleware.Gate, error) { return middleware.NewRemote("https://lic.example/?a=b") }, middleware.ErrBadOption},
		{"NewRemote with a JWKS URL", func() (*middleware.Gate, error) {
			return middleware.NewRemote("https://lic.example", middleware.WithJWKSURL("https://lic.example/.well-known/jwks.json"))
		}, middleware.ErrNoKeys},
		{"NewRemote with a state source", func() (*middleware.Gate, error) {
			return middleware.NewRemote("https://lic.example", middleware.WithStateSource(s.svc))
		}, middleware.ErrNoStateSource},
		{"NewRemote with a nil option", func() (*middleware.Gate, error) {
			return middleware.NewRemote("https://lic.example", nil)
		}, middleware.ErrBadOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, err := tt.new()
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if err != nil && !errors.Is(err, middleware.ErrBadOption) {
				t.Errorf("got %v, want it to match ErrBadOption", err)
			}
			if g != nil {
				g.Close()
			}
		})
	}
}
