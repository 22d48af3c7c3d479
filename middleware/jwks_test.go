package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/middleware"
)

// jwksServer serves the JWKS of whichever key set is current, or 500 when
// there is none.
func jwksServer(t *testing.T, ks *license.KeySet) (*httptest.Server, *atomic.Pointer[license.KeySet], *atomic.Int64) {
	t.Helper()
	var cur atomic.Pointer[license.KeySet]
	cur.Store(ks)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		ks := cur.Load()
		if ks == nil {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(ks.JWKS())
	}))
	t.Cleanup(srv.Close)
	return srv, &cur, &hits
}

func jwksGate(t *testing.T, srv *httptest.Server) *middleware.Gate {
	t.Helper()
	g, err := middleware.New(
		middleware.WithJWKSURL(srv.URL+"/.well-known/jwks.json"),
		middleware.WithHTTPClient(srv.Client()),
		middleware.WithStateSource(newMutableSource()),
		middleware.WithIssuer(testIssuer),
		middleware.WithClock(newClock().Now),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func TestGate_JWKS(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	other := newKeySet(t)
	tests := []struct {
		name       string
		serve      *license.KeySet // nil: the JWKS endpoint fails
		signer     *license.KeySet
		wantStatus int
		wantReason string
	}{
		{"valid", ks, ks, 200, ""},
		{"other key", ks, other, 401, middleware.ReasonTokenInvalid},
		{"endpoint down at start", nil, ks, 503, middleware.ReasonKeysUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _, _ := jwksServer(t, tt.serve)
			h := jwksGate(t, srv).Handler(echo)
			w := do(h, sign(t, tt.signer, nil))
			if w.Code != tt.wantStatus {
				t.Fatalf("status: got %d, want %d (body %s)", w.Code, tt.wantStatus, w.Body)
			}
			if tt.wantReason != "" && problemReason(t, w) != tt.wantReason {
				t.Errorf("reason: got %q, want %q", problemReason(t, w), tt.wantReason)
			}
		})
	}
}

func TestGate_JWKSRotation(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t)
	srv, cur, hits := jwksServer(t, ks)
	h := jwksGate(t, srv).Handler(echo)
	if w := do(h, sign(t, ks, nil)); w.Code != 200 {
		t.Fatalf("old key: got %d, want 200", w.Code)
	}
	// The server rotates: a new signing key, the old one still verifying.
	k, _ := license.GenerateSigningKey()
	rotated, err := license.NewKeySet(k, publicOnly(t, ks))
	if err != nil {
		t.Fatal(err)
	}
	cur.Store(rotated)
	before := hits.Load()
	if w := do(h, sign(t, rotated, nil)); w.Code != 200 {
		t.Fatalf("new key after rotation: got %d, want 200 (body %s)", w.Code, w.Body)
	}
	if hits.Load() != before+1 {
		t.Errorf("JWKS fetches for an unknown kid: got %d, want 1", hits.Load()-before)
	}
	// Another unknown kid within the minute does not fetch again.
	if w := do(h, sign(t, newKeySet(t), nil)); w.Code != 401 {
		t.Fatalf("unknown key: got %d, want 401", w.Code)
	}
	if hits.Load() != before+1 {
		t.Errorf("JWKS fetches within the rate limit: got %d, want 1", hits.Load()-before)
	}
}

// publicOnly returns the verifying half of the signing key of ks.
func publicOnly(t *testing.T, ks *license.KeySet) license.SigningKey {
	t.Helper()
	pub := publicKey(t, ks)
	return license.SigningKey{ID: license.Thumbprint(pub), Public: pub}
}
