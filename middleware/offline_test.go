package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/middleware"
)

// offlineFile activates s's license on computer by an offline request and
// returns the license file as the offline machine reads it.
func offlineFile(t testing.TB, s *service, computer string) license.OfflineLicense {
	t.Helper()
	req, err := license.NewOfflineRequest(s.lic.Key, computer, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.svc.ActivateOffline(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	f, err = license.ParseOfflineLicense(data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// keyIDs returns the key IDs of a JWKS, which are the keys' thumbprints.
func keyIDs(t testing.TB, jwks []byte) []string {
	t.Helper()
	var set struct{ Keys []struct{ Kid string } }
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range set.Keys {
		ids = append(ids, k.Kid)
	}
	return ids
}

// forge returns a license file like f whose token, with f's claims as mod
// changes them, is signed by a key of the forger's own, carried in the
// file under the key ID kid, or its thumbprint if kid is empty.
func forge(t testing.TB, f license.OfflineLicense, kid string, mod func(*license.Claims)) license.OfflineLicense {
	t.Helper()
	k, err := license.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	if kid != "" {
		k.ID = kid
	}
	ks, err := license.NewKeySet(k)
	if err != nil {
		t.Fatal(err)
	}
	var c license.Claims
	if _, _, err := jwt.NewParser().ParseUnverified(f.Token, &c); err != nil {
		t.Fatal(err)
	}
	if mod != nil {
		mod(&c)
	}
	tok, err := ks.Sign(&c)
	if err != nil {
		t.Fatal(err)
	}
	f.Token, f.Keys = tok, ks.JWKS()
	return f
}

func TestNewOffline(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := newService(t, clk.Now, license.WithOfflineTTL(7*24*time.Hour))
	f := offlineFile(t, s, "pc-off")
	pins := keyIDs(t, s.svc.KeySet().JWKS())
	if _, err := f.Verify("pc-off", clk.Now(), pins...); err != nil {
		t.Fatalf("the file does not verify on its computer: %v", err)
	}
	d := &decisions{}
	gate, err := middleware.NewOffline(f, middleware.WithClock(clk.Now), middleware.WithAudiences(testProduct),
		middleware.WithPinnedKeys(pins...), middleware.WithDecisionHook(d.hook))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gate.Close() })
	var grant middleware.Grant
	h := gate.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		grant, _ = middleware.FromContext(r.Context())
	}))
	reports := gate.Require("reports")(h)
	export := gate.Require("export")(h)

	// No request carries a token: the gate uses the file's.
	if w := do(h, ""); w.Code != 200 {
		t.Fatalf("valid file: got %d %s, want 200", w.Code, w.Body)
	}
	want := license.State{
		AID: f.AID, LicenseID: f.LicenseID, ProductID: testProduct,
		Activation: license.StatusActive, License: license.StatusActive, Status: license.StatusActive,
		Features: []string{"reports"},
	}
	if g := grant; g.AID() != f.AID || g.Claims.ComputerID != "pc-off" || g.Stale ||
		g.State.AID != want.AID || g.State.LicenseID != want.LicenseID || g.State.ProductID != want.ProductID ||
		g.State.Status != want.Status || g.State.Activation != want.Activation || g.State.License != want.License ||
		strings.Join(g.State.Features, ",") != "reports" {
		t.Errorf("grant: got %+v, want the claims of the file as an active state %+v", g, want)
	}
	if w := do(reports, ""); w.Code != 200 {
		t.Errorf("licensed feature: got %d, want 200", w.Code)
	}
	if w := do(export, ""); w.Code != 403 || problemReason(t, w) != middleware.ReasonFeatureMissing {
		t.Errorf("unlicensed feature: got %d %s, want 403 feature_missing", w.Code, w.Body)
	}
	// The server cannot reach the offline machine: a revocation there
	// changes nothing here before the token expires.
	if _, err := s.svc.RevokeActivation(context.Background(), f.AID); err != nil {
		t.Fatal(err)
	}
	clk.Set(f.ExpiresAt.Add(-time.Second))
	if w := do(h, ""); w.Code != 200 {
		t.Fatalf("a second before the token expires: got %d %s, want 200", w.Code, w.Body)
	}
	d.take()
	clk.Set(f.ExpiresAt)
	w := do(h, "")
	if w.Code != 401 || problemReason(t, w) != middleware.ReasonTokenExpired {
		t.Fatalf("token expired: got %d %s, want 401 token_expired", w.Code, w.Body)
	}
	if got := w.Header().Get("WWW-Authenticate"); !strings.Contains(got, "token expired") {
		t.Errorf("WWW-Authenticate: got %q, want it to say the token expired", got)
	}
	if got := d.take(); len(got) != 1 || got[0] != middleware.ReasonTokenExpired {
		t.Errorf("decision hook told %q, want [token_expired]", got)
	}
}

// TestNewOffline_forged: a license file carries the keys that verify it,
// so anyone can write one; pinned keys tell the server's from the
// forger's, and NewOffline refuses to run without them. A file whose token
// can never pass is refused at once.
func TestNewOffline_forged(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := newService(t, clk.Now)
	f := offlineFile(t, s, "pc-off")
	pins := keyIDs(t, s.svc.KeySet().JWKS())
	pinned := middleware.WithPinnedKeys(pins...)
	addExport := func(c *license.Claims) { c.Features = append(c.Features, "export") }
	forged := forge(t, f, "", addExport)
	spoofed := forge(t, f, pins[0], addExport) // the forger's key under the server's key ID
	otherProduct := forge(t, f, "", func(c *license.Claims) { c.Audience = jwt.ClaimStrings{"other"} })
	// A file whose JWKS holds the server's keys beside the forger's.
	type jwks struct {
		Keys []json.RawMessage `json:"keys"`
	}
	var server, own jwks
	if json.Unmarshal(f.Keys, &server) != nil || json.Unmarshal(forged.Keys, &own) != nil {
		t.Fatal("a license file's keys are not a JWKS")
	}
	both := forged
	both.Keys, _ = json.Marshal(jwks{append(server.Keys, own.Keys...)})

	tests := []struct {
		name string
		file license.OfflineLicense
		opts []middleware.Option
		// want is nil for a file that passes; otherwise the error matches
		// it and ErrBadOption.
		want error
	}{
		{"server's file, pinned", f, []middleware.Option{pinned}, nil},
		{"forged file, pinned", forged, []middleware.Option{pinned}, middleware.ErrTokenInvalid},
		{"forged file with the server's keys too, pinned", both, []middleware.Option{pinned}, middleware.ErrTokenInvalid},
		{"forged key under the server's key ID, pinned", spoofed, []middleware.Option{pinned}, middleware.ErrTokenInvalid},
		// The keys in the file verify its token, but prove only that it is
		// intact: without pins there is no gate at all.
		{"forged file, not pinned", forged, nil, middleware.ErrBadOption},
		{"server's file, not pinned", f, nil, middleware.ErrBadOption},
		{"file for another product", otherProduct, []middleware.Option{pinned, middleware.WithAudiences(testProduct)}, middleware.ErrTokenInvalid},
		{"file of another issuer", forge(t, f, "", func(c *license.Claims) { c.Issuer = "other" }), []middleware.Option{pinned}, middleware.ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := append([]middleware.Option{middleware.WithClock(clk.Now)}, tt.opts...)
			g, err := middleware.NewOffline(tt.file, opts...)
			if tt.want != nil {
				if !errors.Is(err, tt.want) || !errors.Is(err, middleware.ErrBadOption) {
					t.Fatalf("got %v, want an error matching %v and ErrBadOption", err, tt.want)
				}
				if g != nil {
					t.Errorf("got a gate with the error %v, want none", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { g.Close() })
			if w := do(g.Handler(echo), ""); w.Code != 200 {
				t.Fatalf("got %d %s, want 200", w.Code, w.Body)
			}
		})
	}
}

// TestOfflineLicense_Verify: the offline machine's own check of its file
// trusts the keys in the file only as far as they are pinned, as the gate
// does.
func TestOfflineLicense_Verify(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := newService(t, clk.Now)
	f := offlineFile(t, s, "pc-off")
	pins := keyIDs(t, s.svc.KeySet().JWKS())
	forged := forge(t, f, "", nil)
	spoofed := forge(t, f, pins[0], nil)
	other, err := license.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		file     license.OfflineLicense
		computer string
		pins     []string
		want     error // nil for a file that verifies
	}{
		{"server's file, pinned", f, "pc-off", pins, nil},
		{"server's file, pinned among others", f, "pc-off", []string{other.ID, pins[0]}, nil},
		{"server's file, not pinned", f, "pc-off", nil, license.ErrInvalid},
		{"server's file, another key pinned", f, "pc-off", []string{other.ID}, license.ErrToken},
		{"forged file, not pinned", forged, "pc-off", nil, license.ErrInvalid},
		{"forged file, pinned", forged, "pc-off", pins, license.ErrToken},
		{"forged key under the server's key ID, pinned", spoofed, "pc-off", pins, license.ErrToken},
		{"another computer's file", f, "pc-other", pins, license.ErrComputerMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := tt.file.Verify(tt.computer, clk.Now(), tt.pins...)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				if c.AID() != f.AID || c.ComputerID != "pc-off" {
					t.Errorf("claims: got aid %q computer %q, want %q %q", c.AID(), c.ComputerID, f.AID, "pc-off")
				}
				return
			}
			if !errors.Is(err, tt.want) || c != nil {
				t.Fatalf("got %v, %v; want nil, an error matching %v", c, err, tt.want)
			}
		})
	}
	// Verifier, which Verify builds on, refuses to exist without a pin.
	for _, pins := range [][]string{nil, {}} {
		if v, err := f.Verifier(pins); v != nil || !errors.Is(err, license.ErrInvalid) {
			t.Errorf("Verifier(%q): got %v, %v; want nil, an error matching ErrInvalid", pins, v, err)
		}
	}
}

func TestNewOffline_options(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := newService(t, clk.Now)
	f := offlineFile(t, s, "pc-off")
	pinned := middleware.WithPinnedKeys(keyIDs(t, s.svc.KeySet().JWKS())...)
	with := func(mod func(*license.OfflineLicense)) license.OfflineLicense {
		c := f
		mod(&c)
		return c
	}
	tests := []struct {
		name string
		file license.OfflineLicense
		opts []middleware.Option
		want error
	}{
		{"file", f, nil, nil},
		{"an empty pin list too", f, []middleware.Option{middleware.WithPinnedKeys()}, middleware.ErrBadOption},
		{"a malformed pin too", f, []middleware.Option{middleware.WithPinnedKeys("abc")}, middleware.ErrBadOption},
		{"with options", f, []middleware.Option{middleware.WithAudiences(testProduct), middleware.WithLeeway(time.Minute),
			middleware.WithVerifyCacheTTL(time.Minute), middleware.WithTokenOnly()}, nil},
		{"expired file", f, []middleware.Option{middleware.WithClock(func() time.Time { return f.ExpiresAt.Add(time.Hour) })}, nil},
		{"file not yet valid", f, []middleware.Option{middleware.WithClock(func() time.Time { return t0.Add(-time.Hour) })}, nil},
		{"keys not a JWKS", with(func(f *license.OfflineLicense) { f.Keys = []byte(`"keys"`) }), nil, middleware.ErrBadOption},
		{"no keys", with(func(f *license.OfflineLicense) { f.Keys = nil }), nil, middleware.ErrBadOption},
		{"no token", with(func(f *license.OfflineLicense) { f.Token = "" }), nil, middleware.ErrBadOption},
		{"no issuer", with(func(f *license.OfflineLicense) { f.Issuer = "" }), nil, middleware.ErrBadOption},
		{"another issuer", f, []middleware.Option{middleware.WithIssuer("other")}, middleware.ErrBadOption},
		{"another key set", f, []middleware.Option{middleware.WithKeySet(s.svc.KeySet())}, middleware.ErrNoKeys},
		{"a state source", f, []middleware.Option{middleware.WithStateSource(s.svc)}, middleware.ErrNoStateSource},
		{"a grace period", f, []middleware.Option{middleware.WithGracePeriod(time.Hour)}, middleware.ErrBadOption},
		{"a state TTL", f, []middleware.Option{middleware.WithStateTTL(time.Hour)}, middleware.ErrBadOption},
		{"a bearer token too", f, []middleware.Option{middleware.WithBearerToken()}, middleware.ErrBadOption},
		{"another static token", f, []middleware.Option{middleware.WithStaticToken(s.token)}, middleware.ErrBadOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Every gate is pinned to the server's keys; a gate without
			// pins is in TestNewOffline_forged.
			opts := append([]middleware.Option{pinned}, tt.opts...)
			g, err := middleware.NewOffline(tt.file, opts...)
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

// TestWithTokenOnly: a gate with no state source, on bearer tokens.
func TestWithTokenOnly(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	clk := newClock()
	gate, err := middleware.New(middleware.WithKeySet(ks), middleware.WithIssuer(testIssuer),
		middleware.WithTokenOnly(), middleware.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	h := gate.Require("reports")(echo)
	exp := t0.Add(time.Hour)
	tok := sign(t, ks, func(c *license.Claims) { c.ExpiresAt = jwt.NewNumericDate(exp) })
	tests := []struct {
		name       string
		at         time.Time
		token      string
		wantStatus int
		wantReason string
	}{
		{"valid", t0, tok, 200, ""},
		{"valid, cached", t0.Add(time.Minute), tok, 200, ""},
		{"no token", t0, "", 401, middleware.ReasonTokenMissing},
		{"other key", t0, sign(t, newKeySet(t), nil), 401, middleware.ReasonTokenInvalid},
		{"without the feature", t0, sign(t, ks, func(c *license.Claims) { c.Features = []string{"export"} }), 403, middleware.ReasonFeatureMissing},
		{"expired", exp, tok, 401, middleware.ReasonTokenExpired},
		// Tokens expire with their license at the latest, but the gate
		// knows only the token.
		{"expired long ago", exp.Add(365 * 24 * time.Hour), tok, 401, middleware.ReasonTokenExpired},
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

// TestWithPinnedKeys: of a key set's keys, only the pinned verify.
func TestWithPinnedKeys(t *testing.T) {
	t.Parallel()
	k1, _ := license.GenerateSigningKey()
	k2, _ := license.GenerateSigningKey()
	ks, err := license.NewKeySet(k1, k2) // k1 signs
	if err != nil {
		t.Fatal(err)
	}
	tok := sign(t, ks, nil)
	tests := []struct {
		name       string
		pins       []string
		wantStatus int
	}{
		{"signing key pinned", []string{k1.ID}, 200},
		{"both pinned", []string{k2.ID, k1.ID}, 200},
		{"other key pinned", []string{k2.ID}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newGate(t, ks, newMutableSource(), newClock(), middleware.WithPinnedKeys(tt.pins...))
			if w := do(g.Handler(echo), tok); w.Code != tt.wantStatus {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.wantStatus)
			}
		})
	}
}
