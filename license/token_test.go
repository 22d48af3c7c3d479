package license

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func testClaims(now time.Time) *Claims {
	return &Claims{
		LicenseID:  "9b2f6a4e-1c7d-4e8b-9a3f-2d5c6b7a8e9f",
		ComputerID: "PC-1",
		Features:   []string{"pro"},
		Version:    "1.0",
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    "https://lic.example",
			Subject:   "c2396d75-3236-4ca6-9f10-682c62bdebfe",
			Audience:  jwt.ClaimStrings{"demo"},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
		},
	}
}

func TestVerifier(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	k, _ := GenerateSigningKey()
	ks, err := NewKeySet(k)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := GenerateSigningKey()
	otherKS, _ := NewKeySet(other)
	otherSameKid, _ := NewKeySet(SigningKey{ID: k.ID, Private: other.Private})

	sign := func(ks *KeySet, mod func(*Claims)) string {
		c := testClaims(now)
		if mod != nil {
			mod(c)
		}
		s, err := ks.Sign(c)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	noneTok, _ := jwt.NewWithClaims(jwt.SigningMethodNone, testClaims(now)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, testClaims(now))
	hs.Header["kid"] = k.ID
	hsTok, _ := hs.SignedString([]byte(k.Public))
	valid := sign(ks, nil)
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"c2396d75-3236-4ca6-9f10-682c62bdebfe","aud":"demo","iss":"https://lic.example","exp":9999999999,"features":["all"]}`)) + "." + parts[2]

	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"valid", valid, true},
		{"garbage", "not-a-token", false},
		{"empty", "", false},
		{"other key", sign(otherKS, nil), false},
		{"other key, same kid", sign(otherSameKid, nil), false},
		{"alg none", noneTok, false},
		{"HS256 keyed with the public key", hsTok, false},
		{"tampered payload", tampered, false},
		{"expired", sign(ks, func(c *Claims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Second)) }), false},
		{"no exp", sign(ks, func(c *Claims) { c.ExpiresAt = nil }), false},
		{"not yet valid", sign(ks, func(c *Claims) { c.NotBefore = jwt.NewNumericDate(now.Add(time.Minute)) }), false},
		{"wrong issuer", sign(ks, func(c *Claims) { c.Issuer = "evil" }), false},
		{"wrong audience", sign(ks, func(c *Claims) { c.Audience = jwt.ClaimStrings{"other"} }), false},
		{"subject not an AID", sign(ks, func(c *Claims) { c.Subject = "admin" }), false},
	}
	v, err := NewVerifier(VerifierConfig{Keyfunc: ks.Keyfunc, Issuer: "https://lic.example", Audiences: []string{"demo", "x"}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := v.Verify(tt.token)
			if tt.ok {
				if err != nil {
					t.Fatalf("Verify() error = %v, want nil", err)
				}
				if c.AID() != "c2396d75-3236-4ca6-9f10-682c62bdebfe" || c.ProductID() != "demo" || !c.HasFeature("pro") || c.HasFeature("all") {
					t.Fatalf("claims = %+v", c)
				}
				return
			}
			if !errors.Is(err, ErrToken) {
				t.Fatalf("Verify() error = %v, want ErrToken", err)
			}
		})
	}
}

func TestKeySetRotation(t *testing.T) {
	t.Parallel()
	now := time.Now()
	old, _ := GenerateSigningKey()
	oldKS, _ := NewKeySet(old)
	tok, _ := oldKS.Sign(testClaims(now))

	cur, _ := GenerateSigningKey()
	ks, err := NewKeySet(cur, SigningKey{ID: old.ID, Public: old.Public})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := NewVerifier(VerifierConfig{Keyfunc: ks.Keyfunc, Issuer: "https://lic.example"})
	if _, err := v.Verify(tok); err != nil {
		t.Fatalf("token of a retired key: %v, want valid", err)
	}
	if _, err := NewKeySet(SigningKey{ID: old.ID, Public: old.Public}); err == nil {
		t.Fatal("NewKeySet without a private first key succeeded")
	}
	if _, err := NewKeySet(cur, cur); err == nil {
		t.Fatal("NewKeySet with a duplicate ID succeeded")
	}
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	k, _ := GenerateSigningKey()
	ks, _ := NewKeySet(k)
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(ks.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("got %d keys, want 1", len(set.Keys))
	}
	j := set.Keys[0]
	x, _ := base64.RawURLEncoding.DecodeString(j["x"])
	if j["kty"] != "OKP" || j["crv"] != "Ed25519" || j["alg"] != "EdDSA" || j["kid"] != k.ID || !ed25519.PublicKey(x).Equal(k.Public) {
		t.Fatalf("JWK = %v", j)
	}
	if _, ok := j["d"]; ok {
		t.Fatal("JWKS leaks the private key")
	}
}

func TestSigningKeyPEM(t *testing.T) {
	t.Parallel()
	k, _ := GenerateSigningKey()
	pemBytes, err := k.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseSigningKeyPEM(pemBytes)
	if err != nil || back.ID != k.ID || !back.Private.Equal(k.Private) {
		t.Fatalf("round trip = %+v, %v", back.ID, err)
	}
	if _, err := ParseSigningKeyPEM([]byte("junk")); err == nil {
		t.Fatal("ParseSigningKeyPEM(junk) succeeded")
	}
}

func TestThumbprintRFC8037(t *testing.T) {
	t.Parallel()
	// RFC 8037 Appendix A.3: the thumbprint of its example Ed25519 key.
	x, _ := base64.RawURLEncoding.DecodeString("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
	if got, want := Thumbprint(x), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"; got != want {
		t.Fatalf("Thumbprint = %s, want %s", got, want)
	}
}

// TestVerifierRefusesCrit: a token that lists critical header extensions is
// refused, since the verifier understands none (RFC 7515 §4.1.11).
func TestVerifierRefusesCrit(t *testing.T) {
	t.Parallel()
	k, _ := GenerateSigningKey()
	ks, _ := NewKeySet(k)
	v, _ := NewVerifier(VerifierConfig{Keyfunc: ks.Keyfunc, Issuer: "licgate"})
	claims := &Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: "licgate", Subject: "6f1c2a44-8d0e-4b43-9a4e-2f7a9c1d5e3b", Audience: jwt.ClaimStrings{"app"},
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
	}}
	for _, crit := range []any{nil, []string{"exp"}, []string{"urn:example:ext"}, []string{}} {
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
		tok.Header["kid"] = k.ID
		if crit != nil {
			tok.Header["crit"] = crit
			tok.Header["urn:example:ext"] = true
		}
		s, err := tok.SignedString(k.Private)
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(s)
		if crit == nil && err != nil {
			t.Errorf("no crit: %v", err)
		}
		if crit != nil && !errors.Is(err, ErrToken) {
			t.Errorf("crit %v: %v, want ErrToken", crit, err)
		}
	}
}

// TestVerifyExpiredClaims: an authentic token that passes every check but
// its expiry comes back with its claims, so callers can tell why it
// expired; a forged or foreign expired token comes back with none.
func TestVerifyExpiredClaims(t *testing.T) {
	t.Parallel()
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	k, _ := GenerateSigningKey()
	ks, _ := NewKeySet(k)
	other, _ := GenerateSigningKey()
	v, _ := NewVerifier(VerifierConfig{Keyfunc: ks.Keyfunc, Issuer: "licgate", Audiences: []string{"app"}, Now: func() time.Time { return now }})
	sign := func(key SigningKey, edit func(*Claims)) string {
		c := testClaims(now.Add(-2 * time.Hour))
		c.Issuer, c.Audience = "licgate", jwt.ClaimStrings{"app"}
		edit(c)
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
		tok.Header["kid"] = k.ID
		s, err := tok.SignedString(key.Private)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	expired := func(c *Claims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Hour)) }
	tests := []struct {
		name       string
		token      string
		wantClaims bool
	}{
		{"authentic, expired", sign(k, expired), true},
		{"forged, expired", sign(other, expired), false},
		{"expired, other issuer", sign(k, func(c *Claims) { expired(c); c.Issuer = "evil" }), false},
		{"expired, other audience", sign(k, func(c *Claims) { expired(c); c.Audience = jwt.ClaimStrings{"x"} }), false},
		{"expired, not yet valid either", sign(k, func(c *Claims) { expired(c); c.NotBefore = jwt.NewNumericDate(now) }), false},
	}
	for _, tt := range tests {
		c, err := v.Verify(tt.token)
		if !errors.Is(err, ErrToken) {
			t.Errorf("%s: err %v, want ErrToken", tt.name, err)
		}
		if (c != nil) != tt.wantClaims {
			t.Errorf("%s: claims %v, want claims: %v", tt.name, c, tt.wantClaims)
		}
	}
}
