package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/license/status"
)

// clock is a settable clock, so the test never sleeps.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// licenseServer is a license server with one activation of a license
// granting "reports"; it serves the JWKS and the status endpoint.
type licenseServer struct {
	srv   *httptest.Server
	svc   *license.Service
	lic   string
	aid   string
	token string
}

func newLicenseServer(t *testing.T, now func() time.Time) *licenseServer {
	t.Helper()
	ctx := context.Background()
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	svc, err := license.NewService(memstore.New(), license.WithKeySet(ks),
		license.WithSecret([]byte(strings.Repeat("k", 32))), license.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	svc.CreateProduct(ctx, license.Product{ID: "onprem", Name: "On-prem", Major: 1})
	l, err := svc.CreateLicense(ctx, license.NewLicense{ProductID: "onprem", Seats: 1, Features: []string{"reports"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Activate(ctx, license.ActivationRequest{LicenseID: l.ID, ComputerID: "server-1"})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := status.NewHandler(svc)
	mux := http.NewServeMux()
	jwks := ks.JWKS()
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	})
	mux.Handle("GET "+status.Path, st)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &licenseServer{srv: srv, svc: svc, lic: l.ID, aid: res.Activation.AID, token: res.Token}
}

// start writes the token file and runs the service on a loopback listener.
func start(t *testing.T, ls *licenseServer, clk *clock, ttl, grace time.Duration) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "activation.jwt")
	if err := os.WriteFile(file, []byte(ls.token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := newApp(config{
		tokenFile: file, server: ls.srv.URL, issuer: "licgate", ttl: ttl, grace: grace,
		now: clk.now, logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln, a, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func get(t *testing.T, u string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func newClock() *clock {
	c := new(clock)
	c.ns.Store(time.Now().UnixNano())
	return c
}

func TestSelfGate_graceThen503(t *testing.T) {
	const ttl, grace = 30 * time.Second, time.Hour
	clk := newClock()
	ls := newLicenseServer(t, clk.now)
	base := start(t, ls, clk, ttl, grace)

	code, body := get(t, base+"/hello")
	if code != 200 || body["product"] != "onprem" || body["license"] == "" || body["stale"] != false {
		t.Fatalf("activated: got %d %v, want 200 with the license", code, body)
	}
	if code, _ := get(t, base+"/reports"); code != 200 {
		t.Errorf("licensed feature: got %d, want 200", code)
	}
	ls.srv.Close() // the license server goes away
	clk.advance(ttl)
	if code, body := get(t, base+"/hello"); code != 200 || body["stale"] != true {
		t.Fatalf("server down, state past its TTL: got %d %v, want 200 stale", code, body)
	}
	clk.advance(grace - time.Second)
	if code, _ := get(t, base+"/hello"); code != 200 {
		t.Fatalf("server down, within the grace period: got %d, want 200", code)
	}
	clk.advance(time.Second)
	if code, body := get(t, base+"/hello"); code != 503 || body["reason"] != "state_unavailable" {
		t.Fatalf("server down, grace over: got %d %v, want 503 state_unavailable", code, body)
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("healthz is not gated: got %d", code)
	}
}

func TestSelfGate_revoked(t *testing.T) {
	const ttl = 30 * time.Second
	clk := newClock()
	ls := newLicenseServer(t, clk.now)
	base := start(t, ls, clk, ttl, time.Hour)
	if code, _ := get(t, base+"/hello"); code != 200 {
		t.Fatalf("activated: got %d, want 200", code)
	}
	if _, err := ls.svc.RevokeActivation(context.Background(), ls.aid); err != nil {
		t.Fatal(err)
	}
	clk.advance(ttl)
	if code, body := get(t, base+"/hello"); code != 403 || body["reason"] != "activation_revoked" {
		t.Fatalf("revoked, after the TTL: got %d %v, want 403 activation_revoked", code, body)
	}
}

func TestSelfGate_licenseRevoked(t *testing.T) {
	const ttl = 30 * time.Second
	clk := newClock()
	ls := newLicenseServer(t, clk.now)
	base := start(t, ls, clk, ttl, time.Hour)
	if code, _ := get(t, base+"/hello"); code != 200 {
		t.Fatalf("activated: got %d, want 200", code)
	}
	if _, err := ls.svc.SetLicenseStatus(context.Background(), ls.lic, license.StatusRevoked); err != nil {
		t.Fatal(err)
	}
	clk.advance(ttl)
	if code, body := get(t, base+"/hello"); code != 403 || body["reason"] != "license_revoked" {
		t.Fatalf("license revoked, after the TTL: got %d %v, want 403 license_revoked", code, body)
	}
}

func TestSelfGate_badTokenFile(t *testing.T) {
	clk := newClock()
	ls := newLicenseServer(t, clk.now)
	file := filepath.Join(t.TempDir(), "activation.jwt")
	os.WriteFile(file, []byte("not a token"), 0o600)
	if _, err := newApp(config{tokenFile: file, server: ls.srv.URL, issuer: "licgate", ttl: time.Minute, now: clk.now,
		logger: slog.New(slog.DiscardHandler)}); err == nil {
		t.Error("newApp accepted a token file without a token")
	}
}
