package middleware_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/middleware"
)

func TestGate_tokens(t *testing.T) {
	t.Parallel()
	signer, err := license.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	ks, err := license.NewKeySet(signer)
	if err != nil {
		t.Fatal(err)
	}
	other := newKeySet(t)
	k, _ := license.GenerateSigningKey()
	kid := strings.Split(string(ks.JWKS()), `"kid":"`)[1][:43]
	sameKid, err := license.NewKeySet(license.SigningKey{ID: kid, Private: k.Private})
	if err != nil {
		t.Fatal(err)
	}
	noneTok, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims(t0)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	// HS256 keyed with the Ed25519 public key: the classic algorithm confusion.
	pub := publicKey(t, ks)
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(t0))
	hs.Header["kid"] = kid
	hsTok, _ := hs.SignedString(pub)
	// Signed with the right key, but its header lists an extension this
	// verifier does not understand (RFC 7515 §4.1.11).
	crit := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims(t0))
	crit.Header["kid"] = signer.ID
	crit.Header["crit"] = []string{"urn:example:must-understand"}
	crit.Header["urn:example:must-understand"] = true
	critTok, err := crit.SignedString(signer.Private)
	if err != nil {
		t.Fatal(err)
	}
	valid := sign(t, ks, nil)
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(
		`{"sub":"`+testAID+`","aud":"demo","iss":"`+testIssuer+`","exp":9999999999,"lid":"x","cid":"y","features":["all"]}`)) + "." + parts[2]

	src := newMutableSource()
	gate := newGate(t, ks, src, newClock(), middleware.WithAudiences(testProduct, "other-product"))
	h := gate.Handler(echo)

	tests := []struct {
		name       string
		header     []string // Authorization values; nil for none
		wantStatus int
		wantReason string
		wantError  string // error= in WWW-Authenticate, "" for none
	}{
		{"no token", nil, 401, middleware.ReasonTokenMissing, ""},
		{"basic scheme", []string{"Basic dXNlcjpwYXNz"}, 401, middleware.ReasonTokenMissing, ""},
		{"empty bearer", []string{"Bearer"}, 401, middleware.ReasonTokenMalformed, "invalid_token"},
		{"two headers", []string{"Bearer " + valid, "Bearer " + valid}, 401, middleware.ReasonTokenMalformed, "invalid_token"},
		{"space inside", []string{"Bearer abc def"}, 401, middleware.ReasonTokenMalformed, "invalid_token"},
		{"garbage", []string{"Bearer not-a-token"}, 401, middleware.ReasonTokenMalformed, "invalid_token"},
		{"garbage with dots", []string{"Bearer a.b.c"}, 401, middleware.ReasonTokenMalformed, "invalid_token"},
		{"other key", []string{"Bearer " + sign(t, other, nil)}, 401, middleware.ReasonTokenInvalid, "invalid_token"},
		{"other key, same kid", []string{"Bearer " + sign(t, sameKid, nil)}, 401, middleware.ReasonTokenInvalid, "invalid_token"},
		{"alg none", []string{"Bearer " + noneTok}, 401, middleware.ReasonTokenInvalid, "invalid_token"},
		{"HS256 keyed with the public key", []string{"Bearer " + hsTok}, 401, middleware.ReasonTokenInvalid, "invalid_token"},
		{"tampered payload", []string{"Bearer " + tampered}, 401, middleware.ReasonTokenInvalid, "invalid_token"},
		{"crit header", []string{"Bearer " + critTok}, 401, middleware.ReasonTokenInvalid, "invalid_token"},
		{"expired", []string{"Bearer " + sign(t, ks, func(c *license.Claims) {
			c.ExpiresAt = jwt.NewNumericDate(t0.Add(-time.Second))
		})}, 401, middleware.ReasonTokenExpired, "invalid_token"},
		{"not yet valid", []string{"Bearer " + sign(t, ks, func(c *license.Claims) {
			c.NotBefore = jwt.NewNumericDate(t0.Add(time.Minute))
		})}, 401, middleware.ReasonTokenInvalid, "invalid_token"},
		{"wrong issuer", []string{"Bearer " + sign(t, ks, func(c *license.Claims) { c.Issuer = "evil" })}, 401, middleware.ReasonTokenInvalid, "invalid_token"},
		{"wrong audience", []string{"Bearer " + sign(t, ks, func(c *license.Claims) { c.Audience = jwt.ClaimStrings{"nope"} })}, 401, middleware.ReasonTokenInvalid, "invalid_token"},
		{"subject not an AID", []string{"Bearer " + sign(t, ks, func(c *license.Claims) { c.Subject = "admin" })}, 401, middleware.ReasonTokenInvalid, "invalid_token"},
		{"valid", []string{"Bearer " + valid}, 200, "", ""},
		{"valid, lower-case scheme", []string{"bearer  " + valid + " "}, 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/api", nil)
			for _, v := range tt.header {
				r.Header.Add("Authorization", v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status: got %d, want %d (body %s)", w.Code, tt.wantStatus, w.Body)
			}
			if tt.wantStatus == 200 {
				var got map[string]any
				if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
					t.Fatal(err)
				}
				if got["aid"] != testAID || got["license"] != testLicense || got["product"] != testProduct {
					t.Errorf("grant: got %v", got)
				}
				return
			}
			if got := problemReason(t, w); got != tt.wantReason {
				t.Errorf("reason: got %q, want %q", got, tt.wantReason)
			}
			auth := w.Header().Get("WWW-Authenticate")
			if !strings.HasPrefix(auth, "Bearer") {
				t.Errorf("WWW-Authenticate: got %q, want a Bearer challenge", auth)
			}
			if gotErr := strings.Contains(auth, `error="`+tt.wantError+`"`); tt.wantError != "" && !gotErr {
				t.Errorf("WWW-Authenticate: got %q, want error=%q", auth, tt.wantError)
			}
			if tt.wantError == "" && strings.Contains(auth, "error=") {
				t.Errorf("WWW-Authenticate: got %q, want no error code for a missing token", auth)
			}
		})
	}
}

func publicKey(t *testing.T, ks *license.KeySet) []byte {
	t.Helper()
	var set struct {
		Keys []struct{ X string } `json:"keys"`
	}
	if err := json.Unmarshal(ks.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	b, err := base64.RawURLEncoding.DecodeString(set.Keys[0].X)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGate_states(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	tok := sign(t, ks, nil)
	tests := []struct {
		name       string
		state      func(*license.State)
		err        error
		opts       []middleware.Option
		wantStatus int
		wantReason string
		wantErr    error
	}{
		{name: "active", wantStatus: 200},
		{name: "license revoked", state: func(s *license.State) { setLicense(s, license.StatusRevoked) }, wantStatus: 403, wantReason: middleware.ReasonLicenseRevoked, wantErr: license.ErrLicenseRevoked},
		{name: "activation revoked", state: func(s *license.State) { setActivation(s, license.StatusRevoked) }, wantStatus: 403, wantReason: middleware.ReasonActivationRevoked, wantErr: license.ErrActivationRevoked},
		{name: "activation revoked, license suspended", state: func(s *license.State) {
			setLicense(s, license.StatusSuspended)
			setActivation(s, license.StatusRevoked)
		}, wantStatus: 403, wantReason: middleware.ReasonActivationRevoked, wantErr: middleware.ErrActivationRevoked},
		{name: "suspended", state: func(s *license.State) { setLicense(s, license.StatusSuspended) }, wantStatus: 403, wantReason: middleware.ReasonSuspended, wantErr: license.ErrSuspended},
		{name: "released", state: func(s *license.State) { setActivation(s, license.StatusReleased) }, wantStatus: 403, wantReason: middleware.ReasonReleased, wantErr: license.ErrReleased},
		{name: "unknown license status", state: func(s *license.State) { setLicense(s, "weird") }, wantStatus: 403, wantReason: middleware.ReasonLicenseRevoked, wantErr: middleware.ErrRevoked},
		{name: "unknown activation status", state: func(s *license.State) { setActivation(s, "weird") }, wantStatus: 403, wantReason: middleware.ReasonActivationRevoked, wantErr: middleware.ErrRevoked},
		{name: "no status at all", state: func(s *license.State) { *s = license.State{AID: s.AID, ProductID: s.ProductID} }, wantStatus: 403, wantReason: middleware.ReasonLicenseRevoked},
		// A licgate 0.x status endpoint sends only the summed-up status.
		{name: "0.x active", state: legacy(license.StatusActive), wantStatus: 200},
		{name: "0.x revoked", state: legacy(license.StatusRevoked), wantStatus: 403, wantReason: middleware.ReasonActivationRevoked, wantErr: license.ErrRevoked},
		{name: "0.x suspended", state: legacy(license.StatusSuspended), wantStatus: 403, wantReason: middleware.ReasonSuspended, wantErr: license.ErrSuspended},
		{name: "0.x released", state: legacy(license.StatusReleased), wantStatus: 403, wantReason: middleware.ReasonReleased, wantErr: license.ErrReleased},
		{name: "license expired", state: func(s *license.State) { s.ExpiresAt = t0 }, wantStatus: 403, wantReason: middleware.ReasonLicenseExpired, wantErr: license.ErrExpired},
		{name: "license expires later", state: func(s *license.State) { s.ExpiresAt = t0.Add(time.Second) }, wantStatus: 200},
		{name: "lease ended", state: func(s *license.State) { s.LeaseUntil = t0 }, wantStatus: 403, wantReason: middleware.ReasonLeaseExpired, wantErr: license.ErrLeaseExpired},
		{name: "lease ended is a release", state: func(s *license.State) { s.LeaseUntil = t0.Add(-time.Hour) }, wantStatus: 403, wantReason: middleware.ReasonLeaseExpired, wantErr: middleware.ErrReleased},
		{name: "lease ends later", state: func(s *license.State) { s.LeaseUntil = t0.Add(time.Second) }, wantStatus: 200},
		{name: "lease ended, license suspended", state: func(s *license.State) {
			s.LeaseUntil = t0
			setLicense(s, license.StatusSuspended)
		}, wantStatus: 403, wantReason: middleware.ReasonLeaseExpired, wantErr: middleware.ErrLeaseExpired},
		{name: "activation unknown", err: license.ErrNotFound, wantStatus: 403, wantReason: middleware.ReasonActivationUnknown, wantErr: license.ErrNotFound},
		{name: "state of another product", state: func(s *license.State) { s.ProductID = "other" }, wantStatus: 403, wantReason: middleware.ReasonWrongProduct, wantErr: license.ErrWrongProduct},
		{name: "source answers for another AID", state: func(s *license.State) { s.AID = "00000000-0000-4000-8000-000000000000" }, wantStatus: 503, wantReason: middleware.ReasonStateUnavailable},
		{name: "source down", err: errors.New("connection refused"), wantStatus: 503, wantReason: middleware.ReasonStateUnavailable, wantErr: middleware.ErrStateUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := activeState()
			if tt.state != nil {
				tt.state(&st)
			}
			src := &fakeSource{ActivationStateFn: func(context.Context, string) (license.State, error) { return st, tt.err }}
			var gotErr error
			opts := append([]middleware.Option{middleware.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
				gotErr = err
				middleware.DefaultErrorHandler(w, r, err)
			})}, tt.opts...)
			h := newGate(t, ks, src, newClock(), opts...).Handler(echo)
			w := do(h, tok)
			if w.Code != tt.wantStatus {
				t.Fatalf("status: got %d, want %d (body %s)", w.Code, tt.wantStatus, w.Body)
			}
			if tt.wantStatus == 200 {
				return
			}
			if got := problemReason(t, w); got != tt.wantReason {
				t.Errorf("reason: got %q, want %q", got, tt.wantReason)
			}
			// A refusal of the state is named as the license server names it.
			if refusal := st.Err(t0); tt.err == nil && refusal != nil && st.AID == testAID && st.ProductID == testProduct {
				if got, want := problemReason(t, w), license.Reason(refusal); got != want {
					t.Errorf("reason: got %q, license.Reason says %q", got, want)
				}
			}
			if tt.wantErr != nil && !errors.Is(gotErr, tt.wantErr) {
				t.Errorf("error: got %v, want one matching %v", gotErr, tt.wantErr)
			}
			if w.Header().Get("WWW-Authenticate") != "" {
				t.Errorf("WWW-Authenticate on a %d: %q", w.Code, w.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

func TestGate_features(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	tok := sign(t, ks, nil)
	src := newMutableSource()
	gate := newGate(t, ks, src, newClock())
	mux := http.NewServeMux()
	mux.Handle("/reports", gate.Require("reports")(echo))
	mux.Handle("/both", gate.Require("reports", "export")(echo))
	mux.Handle("/admin", gate.Require("reports", "admin")(echo))
	mux.Handle("/features/{name}", gate.RequireFunc(func(r *http.Request) []string {
		return []string{r.PathValue("name")}
	})(echo))
	outer := http.NewServeMux()
	outer.Handle("/", gate.Handler(mux))

	tests := []struct {
		path       string
		h          http.Handler
		wantStatus int
	}{
		{"/reports", mux, 200},
		{"/both", mux, 200},
		{"/admin", mux, 403},
		{"/features/export", mux, 200},
		{"/features/admin", mux, 403},
		{"/reports", outer, 200},
		{"/admin", outer, 403},
		{"/features/admin", outer, 403},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, tt.path, nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			tt.h.ServeHTTP(w, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status: got %d, want %d (body %s)", w.Code, tt.wantStatus, w.Body)
			}
			if w.Code == 403 {
				if got := problemReason(t, w); got != middleware.ReasonFeatureMissing {
					t.Errorf("reason: got %q, want %q", got, middleware.ReasonFeatureMissing)
				}
				if got := w.Header().Get("WWW-Authenticate"); !strings.Contains(got, "insufficient_scope") {
					t.Errorf("WWW-Authenticate: got %q, want insufficient_scope", got)
				}
			}
		})
	}
}

func TestGate_requireBehindHandlerReusesGrant(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	src := newMutableSource()
	gate := newGate(t, ks, src, newClock())
	var inner *http.Request
	var outerReq *http.Request
	h := gate.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		outerReq = r
		gate.Require("reports")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inner = r })).ServeHTTP(w, r)
	}))
	if w := do(h, sign(t, ks, nil)); w.Code != 200 {
		t.Fatalf("status: got %d, want 200", w.Code)
	}
	if inner != outerReq {
		t.Errorf("Require behind Handler made a new request; want the same one")
	}
	if got := src.calls.Load(); got != 1 {
		t.Errorf("source calls: got %d, want 1", got)
	}
}

func TestGate_revocationWithinTTL(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	tok := sign(t, ks, nil)
	clk := newClock()
	src := newMutableSource()
	h := newGate(t, ks, src, clk, middleware.WithStateTTL(30*time.Second)).Handler(echo)

	if w := do(h, tok); w.Code != 200 {
		t.Fatalf("before revocation: got %d, want 200", w.Code)
	}
	src.set(func(st *license.State, _ *error) { setActivation(st, license.StatusRevoked) })
	clk.Advance(30*time.Second - time.Nanosecond)
	if w := do(h, tok); w.Code != 200 {
		t.Fatalf("within the TTL (cached): got %d, want 200", w.Code)
	}
	clk.Advance(time.Nanosecond)
	w := do(h, tok)
	if w.Code != 403 || problemReason(t, w) != middleware.ReasonActivationRevoked {
		t.Fatalf("at the TTL: got %d %s, want 403 %s", w.Code, w.Body, middleware.ReasonActivationRevoked)
	}
	if got := src.calls.Load(); got != 2 {
		t.Errorf("source calls: got %d, want 2", got)
	}
}

func TestGate_negativeTTL(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	tok := sign(t, ks, nil)
	clk := newClock()
	src := newMutableSource()
	src.set(func(st *license.State, _ *error) { setLicense(st, license.StatusSuspended) })
	h := newGate(t, ks, src, clk, middleware.WithNegativeTTL(5*time.Second)).Handler(echo)

	for range 3 {
		if w := do(h, tok); w.Code != 403 {
			t.Fatalf("suspended: got %d, want 403", w.Code)
		}
	}
	src.set(func(st *license.State, _ *error) { setLicense(st, license.StatusActive) })
	clk.Advance(5 * time.Second)
	if w := do(h, tok); w.Code != 200 {
		t.Fatalf("reactivated, after the negative TTL: got %d, want 200", w.Code)
	}
	if got := src.calls.Load(); got != 2 {
		t.Errorf("source calls: got %d, want 2", got)
	}
}

// TestGate_negativeTTLDefaultsToStateTTL checks that with a state TTL
// shorter than the default negative TTL, a resumed license is let in again
// within the state TTL.
func TestGate_negativeTTLDefaultsToStateTTL(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	tok := sign(t, ks, nil)
	clk := newClock()
	src := newMutableSource()
	src.set(func(st *license.State, _ *error) { setLicense(st, license.StatusSuspended) })
	h := newGate(t, ks, src, clk, middleware.WithStateTTL(2*time.Second)).Handler(echo)

	if w := do(h, tok); w.Code != 403 {
		t.Fatalf("suspended: got %d, want 403", w.Code)
	}
	src.set(func(st *license.State, _ *error) { setLicense(st, license.StatusActive) })
	clk.Advance(2 * time.Second)
	if w := do(h, tok); w.Code != 200 {
		t.Fatalf("resumed, after the 2s state TTL: got %d, want 200", w.Code)
	}
}

func TestGate_grace(t *testing.T) {
	t.Parallel()
	const ttl, grace, neg = 30 * time.Second, 60 * time.Second, 10 * time.Second
	tests := []struct {
		name  string
		grace time.Duration
		// steps: offset from t0, whether the source is down, wanted status and staleness.
		steps []graceStep
	}{
		{"fail closed", 0, []graceStep{
			{0, false, 200, false},
			{ttl - 1, true, 200, false},
			{ttl, true, 503, false},
			{ttl + time.Hour, true, 503, false},
			{ttl + time.Hour, false, 200, false},
		}},
		{"grace", grace, []graceStep{
			{0, false, 200, false},
			{ttl, true, 200, true},
			{ttl + neg/2, true, 200, true},
			{ttl + grace - 1, true, 200, true},
			{ttl + grace, true, 503, false},
			{ttl + grace + neg, true, 503, false},
			{ttl + grace + neg, false, 200, false},
			{ttl + grace + neg + ttl, true, 200, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ks := newKeySet(t)
			tok := sign(t, ks, nil)
			clk := newClock()
			src := newMutableSource()
			h := newGate(t, ks, src, clk, middleware.WithStateTTL(ttl), middleware.WithNegativeTTL(neg),
				middleware.WithGracePeriod(tt.grace)).Handler(echo)
			for _, s := range tt.steps {
				clk.Set(t0.Add(s.at))
				src.set(func(_ *license.State, err *error) {
					*err = nil
					if s.down {
						*err = errors.New("license server unreachable")
					}
				})
				w := do(h, tok)
				if w.Code != s.want {
					t.Fatalf("at t0+%v (down %v): got %d %s, want %d", s.at, s.down, w.Code, w.Body, s.want)
				}
				if w.Code == 200 {
					var got struct{ Stale bool }
					json.Unmarshal(w.Body.Bytes(), &got)
					if got.Stale != s.stale {
						t.Errorf("at t0+%v: stale %v, want %v", s.at, got.Stale, s.stale)
					}
				} else if r := problemReason(t, w); r != middleware.ReasonStateUnavailable {
					t.Errorf("at t0+%v: reason %q, want %q", s.at, r, middleware.ReasonStateUnavailable)
				}
			}
		})
	}
}

// legacy returns a state change to a state as a licgate 0.x server sends
// it: the summed-up status alone.
func legacy(st license.Status) func(*license.State) {
	return func(s *license.State) {
		s.Activation, s.License, s.Status = "", "", st
	}
}

type graceStep struct {
	at    time.Duration
	down  bool
	want  int
	stale bool
}

func TestGate_graceKeepsRefusals(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	tok := sign(t, ks, nil)
	clk := newClock()
	src := newMutableSource()
	src.set(func(st *license.State, _ *error) { setLicense(st, license.StatusRevoked) })
	h := newGate(t, ks, src, clk, middleware.WithGracePeriod(time.Hour)).Handler(echo)
	if w := do(h, tok); w.Code != 403 {
		t.Fatalf("revoked: got %d, want 403", w.Code)
	}
	src.set(func(_ *license.State, err *error) { *err = errors.New("down") })
	clk.Advance(11 * time.Second)
	if w := do(h, tok); w.Code != 403 {
		t.Fatalf("revoked, source down: got %d, want 403", w.Code)
	}
}

func TestGate_singleflight(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	tok := sign(t, ks, nil)
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	src := &fakeSource{ActivationStateFn: func(context.Context, string) (license.State, error) {
		started <- struct{}{}
		<-release
		return activeState(), nil
	}}
	h := newGate(t, ks, src, newClock()).Handler(echo)

	const n = 64
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { codes <- do(h, tok).Code })
	}
	<-started
	close(release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 200 {
			t.Errorf("status: got %d, want 200", c)
		}
	}
	if got := src.calls.Load(); got != 1 {
		t.Errorf("source calls for %d concurrent requests on a cold AID: got %d, want 1", n, got)
	}
}

func TestGate_waiterCancelled(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	release := make(chan struct{})
	src := &fakeSource{ActivationStateFn: func(context.Context, string) (license.State, error) {
		<-release
		return activeState(), nil
	}}
	defer close(release)
	h := newGate(t, ks, src, newClock()).Handler(echo)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+sign(t, ks, nil))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 503 {
		t.Errorf("status: got %d, want 503", w.Code)
	}
}

func TestGate_licenseExpiredWithToken(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	clk := newClock()
	src := newMutableSource()
	exp := t0.Add(time.Hour)
	src.set(func(st *license.State, _ *error) { st.ExpiresAt = exp })
	// The token expires with the license, as license.Service issues it.
	tok := sign(t, ks, func(c *license.Claims) { c.ExpiresAt = jwt.NewNumericDate(exp) })
	h := newGate(t, ks, src, clk).Handler(echo)
	if w := do(h, tok); w.Code != 200 {
		t.Fatalf("before expiry: got %d, want 200", w.Code)
	}
	clk.Set(exp)
	w := do(h, tok)
	if w.Code != 403 || problemReason(t, w) != middleware.ReasonLicenseExpired {
		t.Fatalf("at expiry: got %d %s, want 403 %s", w.Code, w.Body, middleware.ReasonLicenseExpired)
	}
	// A token that expires before its license is simply expired.
	short := sign(t, ks, func(c *license.Claims) { c.ExpiresAt = jwt.NewNumericDate(t0.Add(time.Minute)) })
	clk.Set(t0.Add(time.Minute))
	w = do(h, short)
	if w.Code != 401 || problemReason(t, w) != middleware.ReasonTokenExpired {
		t.Fatalf("token expired before its license: got %d %s, want 401 %s", w.Code, w.Body, middleware.ReasonTokenExpired)
	}
}

func TestGate_verifyCacheHonoursExp(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	clk := newClock()
	src := newMutableSource()
	tok := sign(t, ks, func(c *license.Claims) { c.ExpiresAt = jwt.NewNumericDate(t0.Add(time.Minute)) })
	h := newGate(t, ks, src, clk, middleware.WithStateTTL(time.Hour)).Handler(echo)
	if w := do(h, tok); w.Code != 200 {
		t.Fatalf("fresh: got %d, want 200", w.Code)
	}
	clk.Advance(time.Minute)
	if w := do(h, tok); w.Code != 401 {
		t.Fatalf("at exp, cached before: got %d, want 401", w.Code)
	}
}

func TestGate_tokenSources(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	tok := sign(t, ks, nil)
	src := newMutableSource()
	tests := []struct {
		name       string
		opts       []middleware.Option
		set        func(r *http.Request)
		wantStatus int
	}{
		{"header", []middleware.Option{middleware.WithHeaderToken("x-activation-token")},
			func(r *http.Request) { r.Header.Set("X-Activation-Token", tok) }, 200},
		{"header ignores bearer", []middleware.Option{middleware.WithHeaderToken("X-Activation-Token")},
			func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }, 401},
		{"cookie", []middleware.Option{middleware.WithCookieToken("lic")},
			func(r *http.Request) { r.Header.Set("Cookie", "a=b; lic="+tok+"; c=d") }, 200},
		{"quoted cookie", []middleware.Option{middleware.WithCookieToken("lic")},
			func(r *http.Request) { r.Header.Set("Cookie", `lic="`+tok+`"`) }, 200},
		{"bearer then cookie, cookie", []middleware.Option{middleware.WithBearerToken(), middleware.WithCookieToken("lic")},
			func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "lic", Value: tok}) }, 200},
		{"bearer then cookie, bad bearer wins", []middleware.Option{middleware.WithBearerToken(), middleware.WithCookieToken("lic")},
			func(r *http.Request) {
				r.Header.Set("Authorization", "Bearer")
				r.AddCookie(&http.Cookie{Name: "lic", Value: tok})
			}, 401},
		{"static", []middleware.Option{middleware.WithStaticToken(tok)}, func(*http.Request) {}, 200},
		{"extractor", []middleware.Option{middleware.WithTokenExtractor(func(r *http.Request) (string, error) {
			return r.URL.Query().Get("token"), nil
		})}, func(r *http.Request) { r.URL.RawQuery = "token=" + tok }, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newGate(t, ks, src, newClock(), tt.opts...).Handler(echo)
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			tt.set(r)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.wantStatus {
				t.Errorf("status: got %d, want %d (body %s)", w.Code, tt.wantStatus, w.Body)
			}
		})
	}
}

func TestNew_options(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	src := newMutableSource()
	keys := middleware.WithKeySet(ks)
	source := middleware.WithStateSource(src)
	v, err := license.NewVerifier(license.VerifierConfig{Keyfunc: ks.Keyfunc, Issuer: testIssuer})
	if err != nil {
		t.Fatal(err)
	}
	verifier := middleware.WithVerifier(v)
	tests := []struct {
		name string
		opts []middleware.Option
		want error
	}{
		{"minimal", []middleware.Option{keys, source}, nil},
		{"no keys", []middleware.Option{source}, middleware.ErrNoKeys},
		{"both keys", []middleware.Option{keys, source, middleware.WithJWKSURL("https://lic.example/.well-known/jwks.json")}, middleware.ErrNoKeys},
		{"no source", []middleware.Option{keys}, middleware.ErrNoStateSource},
		{"nil option", []middleware.Option{keys, source, nil}, middleware.ErrBadOption},
		{"nil key set", []middleware.Option{middleware.WithKeySet(nil), source}, middleware.ErrBadOption},
		{"nil source", []middleware.Option{keys, middleware.WithStateSource(nil)}, middleware.ErrBadOption},
		{"relative JWKS URL", []middleware.Option{middleware.WithJWKSURL("/jwks.json"), source}, middleware.ErrBadOption},
		{"file JWKS URL", []middleware.Option{middleware.WithJWKSURL("file:///etc/passwd"), source}, middleware.ErrBadOption},
		{"zero TTL", []middleware.Option{keys, source, middleware.WithStateTTL(0)}, middleware.ErrBadOption},
		{"negative grace", []middleware.Option{keys, source, middleware.WithGracePeriod(-1)}, middleware.ErrBadOption},
		{"empty issuer", []middleware.Option{keys, source, middleware.WithIssuer("")}, middleware.ErrBadOption},
		{"empty audience", []middleware.Option{keys, source, middleware.WithAudiences("")}, middleware.ErrBadOption},
		{"bad header name", []middleware.Option{keys, source, middleware.WithHeaderToken("X Token")}, middleware.ErrBadOption},
		{"bad cookie name", []middleware.Option{keys, source, middleware.WithCookieToken("")}, middleware.ErrBadOption},
		{"bad static token", []middleware.Option{keys, source, middleware.WithStaticToken("hello")}, middleware.ErrBadOption},
		{"nil error handler", []middleware.Option{keys, source, middleware.WithErrorHandler(nil)}, middleware.ErrBadOption},
		{"nil clock", []middleware.Option{keys, source, middleware.WithClock(nil)}, middleware.ErrBadOption},
		{"nil extractor", []middleware.Option{keys, source, middleware.WithTokenExtractor(nil)}, middleware.ErrBadOption},
		{"nil HTTP client", []middleware.Option{keys, source, middleware.WithHTTPClient(nil)}, middleware.ErrBadOption},
		{"short JWKS refresh", []middleware.Option{keys, source, middleware.WithJWKSRefresh(time.Second)}, middleware.ErrBadOption},
		{"huge leeway", []middleware.Option{keys, source, middleware.WithLeeway(time.Hour)}, middleware.ErrBadOption},
		{"nil logger is silent", []middleware.Option{keys, source, middleware.WithLogger(nil)}, nil},
		{"key set twice", []middleware.Option{keys, keys, source}, middleware.ErrNoKeys},
		{"source twice", []middleware.Option{keys, source, source}, middleware.ErrNoStateSource},
		{"local and remote source", []middleware.Option{keys, source, middleware.WithRemoteStateSource(remoteFunc(func(context.Context, string, string) (license.State, error) {
			return activeState(), nil
		}))}, middleware.ErrNoStateSource},
		{"typed nil source", []middleware.Option{keys, middleware.WithStateSource((*mutableSource)(nil))}, middleware.ErrBadOption},
		{"issuer twice", []middleware.Option{keys, source, middleware.WithIssuer("a"), middleware.WithIssuer("b")}, middleware.ErrBadOption},
		{"verifier", []middleware.Option{verifier, source}, nil},
		{"nil verifier", []middleware.Option{middleware.WithVerifier(nil), source}, middleware.ErrBadOption},
		{"verifier and key set", []middleware.Option{verifier, keys, source}, middleware.ErrNoKeys},
		{"verifier and JWKS URL", []middleware.Option{verifier, source, middleware.WithJWKSURL("https://lic.example/.well-known/jwks.json")}, middleware.ErrNoKeys},
		{"verifier and issuer", []middleware.Option{verifier, source, middleware.WithIssuer(testIssuer)}, middleware.ErrBadOption},
		{"verifier and audiences", []middleware.Option{verifier, source, middleware.WithAudiences(testProduct)}, middleware.ErrBadOption},
		{"verifier and leeway", []middleware.Option{verifier, source, middleware.WithLeeway(time.Second)}, middleware.ErrBadOption},
		{"CORS preflight", []middleware.Option{keys, source, middleware.WithCORSPreflight()}, nil},
		{"token only", []middleware.Option{keys, middleware.WithTokenOnly()}, nil},
		{"token only twice", []middleware.Option{keys, middleware.WithTokenOnly(), middleware.WithTokenOnly()}, nil},
		{"token only and a source", []middleware.Option{keys, middleware.WithTokenOnly(), source}, middleware.ErrNoStateSource},
		{"token only and a state TTL", []middleware.Option{keys, middleware.WithTokenOnly(), middleware.WithStateTTL(time.Minute)}, middleware.ErrBadOption},
		{"token only and a negative TTL", []middleware.Option{keys, middleware.WithTokenOnly(), middleware.WithNegativeTTL(time.Minute)}, middleware.ErrBadOption},
		{"token only and a grace period", []middleware.Option{keys, middleware.WithTokenOnly(), middleware.WithGracePeriod(time.Hour)}, middleware.ErrBadOption},
		{"token only and a state timeout", []middleware.Option{keys, middleware.WithTokenOnly(), middleware.WithStateTimeout(time.Second)}, middleware.ErrBadOption},
		{"pinned keys", []middleware.Option{keys, source, middleware.WithPinnedKeys(license.Thumbprint(make([]byte, 32)))}, nil},
		{"no pinned keys", []middleware.Option{keys, source, middleware.WithPinnedKeys()}, middleware.ErrBadOption},
		{"bad pinned key", []middleware.Option{keys, source, middleware.WithPinnedKeys("abc")}, middleware.ErrBadOption},
		{"verifier and pinned keys", []middleware.Option{verifier, source, middleware.WithPinnedKeys(license.Thumbprint(make([]byte, 32)))}, middleware.ErrBadOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, err := middleware.New(tt.opts...)
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

func TestDefaultErrorHandler(t *testing.T) {
	t.Parallel()
	secret := errors.New("db password is hunter2")
	tests := []struct {
		err        error
		wantStatus int
		wantReason string
	}{
		{middleware.ErrNoToken, 401, middleware.ReasonTokenMissing},
		{errors.Join(middleware.ErrTokenInvalid, secret), 401, middleware.ReasonTokenInvalid},
		{middleware.ErrTokenExpired, 401, middleware.ReasonTokenExpired},
		{middleware.ErrTokenMalformed, 401, middleware.ReasonTokenMalformed},
		{middleware.ErrLicenseRevoked, 403, middleware.ReasonLicenseRevoked},
		{middleware.ErrActivationRevoked, 403, middleware.ReasonActivationRevoked},
		{middleware.ErrRevoked, 403, middleware.ReasonRevoked},
		{middleware.ErrSuspended, 403, middleware.ReasonSuspended},
		{middleware.ErrReleased, 403, middleware.ReasonReleased},
		{middleware.ErrLeaseExpired, 403, middleware.ReasonLeaseExpired},
		{middleware.ErrLicenseExpired, 403, middleware.ReasonLicenseExpired},
		{middleware.ErrWrongProduct, 403, middleware.ReasonWrongProduct},
		{middleware.ErrActivationUnknown, 403, middleware.ReasonActivationUnknown},
		{middleware.ErrFeatureMissing, 403, middleware.ReasonFeatureMissing},
		{errors.Join(middleware.ErrStateUnavailable, secret), 503, middleware.ReasonStateUnavailable},
		{middleware.ErrKeysUnavailable, 503, middleware.ReasonKeysUnavailable},
		{secret, 500, middleware.ReasonInternal},
	}
	for _, tt := range tests {
		t.Run(tt.wantReason, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			middleware.DefaultErrorHandler(w, httptest.NewRequest(http.MethodGet, "/", nil), tt.err)
			if w.Code != tt.wantStatus {
				t.Errorf("status: got %d, want %d", w.Code, tt.wantStatus)
			}
			if got := w.Header().Get("Content-Type"); got != "application/problem+json" {
				t.Errorf("Content-Type: got %q, want application/problem+json", got)
			}
			if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options: got %q, want nosniff", got)
			}
			if got := problemReason(t, w); got != tt.wantReason {
				t.Errorf("reason: got %q, want %q", got, tt.wantReason)
			}
			if strings.Contains(w.Body.String(), "hunter2") {
				t.Errorf("body leaks the internal error: %s", w.Body)
			}
			if got := middleware.StatusCode(tt.err); got != tt.wantStatus {
				t.Errorf("StatusCode: got %d, want %d", got, tt.wantStatus)
			}
		})
	}
}

func TestGate_endToEnd(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	src := newMutableSource()
	gate := newGate(t, ks, src, newClock())
	srv := httptest.NewServer(gate.Handler(echo))
	defer srv.Close()

	get := func(token string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	if resp := get(""); resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("no token: got %d %q, want 401 Bearer", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	resp := get(sign(t, ks, nil))
	if resp.StatusCode != 200 {
		t.Fatalf("valid: got %d, want 200", resp.StatusCode)
	}
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body["aid"] != testAID {
		t.Errorf("body: got %v, %v", body, err)
	}
}
