package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
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

// newService returns a license service on a memstore, with the product
// "onprem" and a license of it with two seats that grants "reports".
func newService(t *testing.T, now func() time.Time) (*license.Service, *license.KeySet, license.License) {
	t.Helper()
	ctx := context.Background()
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	svc, err := license.NewService(memstore.New(), license.WithKeySet(ks),
		license.WithSecret([]byte(strings.Repeat("k", 32))), license.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(context.Background()) })
	if _, err := svc.CreateProduct(ctx, license.Product{ID: "onprem", Name: "On-prem", Major: 1}); err != nil {
		t.Fatal(err)
	}
	l, err := svc.CreateLicense(ctx, license.NewLicense{ProductID: "onprem", Seats: 2, Features: []string{"reports"}})
	if err != nil {
		t.Fatal(err)
	}
	return svc, ks, l
}

func newLicenseServer(t *testing.T, now func() time.Time) *licenseServer {
	t.Helper()
	ctx := context.Background()
	svc, ks, l := newService(t, now)
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
	return serve(t, a)
}

// serve runs a on a loopback listener until the test ends, and returns
// its base URL.
func serve(t *testing.T, a *app) string {
	t.Helper()
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

// offlineServer is a license server that answers offline requests; the
// offline machine never reaches it.
type offlineServer struct {
	svc  *license.Service
	key  string // the license's activation key
	pins []string
}

func newOfflineServer(t *testing.T, now func() time.Time) *offlineServer {
	t.Helper()
	svc, ks, l := newService(t, now)
	var jwks struct{ Keys []struct{ Kid string } }
	if err := json.Unmarshal(ks.JWKS(), &jwks); err != nil {
		t.Fatal(err)
	}
	os := &offlineServer{svc: svc, key: l.Key}
	for _, k := range jwks.Keys {
		os.pins = append(os.pins, k.Kid)
	}
	return os
}

// licenseFile answers the offline request of computer and writes the
// license file to name, as the operator carries it to the machine.
func (s *offlineServer) licenseFile(t *testing.T, name, computer string, now time.Time) license.OfflineLicense {
	t.Helper()
	f, err := s.svc.ActivateOffline(context.Background(), license.OfflineRequest{
		Format: license.OfflineRequestFormat, Version: license.OfflineVersion,
		Key: s.key, ComputerID: computer, CreatedAt: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	writeJSON(t, name, f)
	return f
}

func writeJSON(t *testing.T, name string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func offlineConfig(file string, pins []string, clk *clock) config {
	return config{
		licenseFile: file, computerID: "server-1", pins: pins, product: "onprem",
		now: clk.now, logger: slog.New(slog.DiscardHandler),
	}
}

// TestSelfGate_offline: with a license file and no server, the service
// serves until the file's token expires, then answers 503, until a
// renewed file is put in place.
func TestSelfGate_offline(t *testing.T) {
	clk := newClock()
	srv := newOfflineServer(t, clk.now)
	file := filepath.Join(t.TempDir(), "license.json")
	f := srv.licenseFile(t, file, "server-1", clk.now())
	a, err := newApp(offlineConfig(file, srv.pins, clk))
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, a)

	code, body := get(t, base+"/hello")
	if code != 200 || body["product"] != "onprem" || body["license"] != f.LicenseID {
		t.Fatalf("license file valid: got %d %v, want 200 with the license", code, body)
	}
	if code, _ := get(t, base+"/reports"); code != 200 {
		t.Errorf("licensed feature: got %d, want 200", code)
	}
	clk.advance(f.ExpiresAt.Sub(clk.now()) - time.Second)
	if code, _ := get(t, base+"/hello"); code != 200 {
		t.Fatalf("a second before the file expires: got %d, want 200", code)
	}
	clk.advance(time.Second)
	code, body = get(t, base+"/hello")
	if code != 503 || body["reason"] != "token_expired" || !strings.Contains(body["title"].(string), "expired") {
		t.Fatalf("file expired: got %d %v, want 503 token_expired saying so", code, body)
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("healthz is not gated: got %d", code)
	}

	if changed, err := a.reload(); changed || err != nil {
		t.Fatalf("reload of an unchanged file: got %v, %v; want false, nil", changed, err)
	}
	// A renewed file, from a new request at the server.
	renewed := srv.licenseFile(t, file, "server-1", clk.now())
	if !renewed.ExpiresAt.After(f.ExpiresAt) {
		t.Fatalf("renewed file expires %v, not after %v", renewed.ExpiresAt, f.ExpiresAt)
	}
	if changed, err := a.reload(); !changed || err != nil {
		t.Fatalf("reload of a renewed file: got %v, %v; want true, nil", changed, err)
	}
	if code, body := get(t, base+"/hello"); code != 200 {
		t.Fatalf("renewed file: got %d %v, want 200", code, body)
	}
}

// TestSelfGate_offlineReload: the file is reloaded on a signal, and a bad
// file leaves the one in force.
func TestSelfGate_offlineReload(t *testing.T) {
	clk := newClock()
	srv := newOfflineServer(t, clk.now)
	file := filepath.Join(t.TempDir(), "license.json")
	f := srv.licenseFile(t, file, "server-1", clk.now())
	a, err := newApp(offlineConfig(file, srv.pins, clk))
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, a)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hup := make(chan os.Signal)
	go a.watch(ctx, time.Hour, hup)

	os.WriteFile(file, []byte("{not a license file"), 0o600)
	if changed, err := a.reload(); changed || err == nil {
		t.Fatalf("reload of a bad file: got %v, %v; want false and an error", changed, err)
	}
	if code, _ := get(t, base+"/hello"); code != 200 {
		t.Fatalf("after a bad file: got %d, want 200 under the file in force", code)
	}
	other := srv.licenseFile(t, filepath.Join(t.TempDir(), "other.json"), "server-2", clk.now())
	writeJSON(t, file, other)
	if changed, err := a.reload(); changed || err == nil {
		t.Fatalf("reload of another machine's file: got %v, %v; want false and an error", changed, err)
	}

	clk.advance(f.ExpiresAt.Sub(clk.now()))
	if code, _ := get(t, base+"/hello"); code != 503 {
		t.Fatalf("file expired: got %d, want 503", code)
	}
	srv.licenseFile(t, file, "server-1", clk.now())
	hup <- syscall.SIGHUP // taken by watch, which reloads
	hup <- syscall.SIGHUP // taken once the reload is done
	if code, body := get(t, base+"/hello"); code != 200 {
		t.Fatalf("renewed file, after SIGHUP: got %d %v, want 200", code, body)
	}
}

func TestSelfGate_offlineBadFiles(t *testing.T) {
	clk := newClock()
	srv := newOfflineServer(t, clk.now)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	f := srv.licenseFile(t, good, "server-1", clk.now())

	// A file the operator wrote with a key of their own.
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	v, err := f.Verifier(srv.pins)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(f.Token)
	if err != nil {
		t.Fatal(err)
	}
	c.Features = append(c.Features, "everything")
	forged := f
	forged.Token, _ = ks.Sign(c)
	forged.Keys = ks.JWKS()
	forgedFile := filepath.Join(dir, "forged.json")
	writeJSON(t, forgedFile, forged)

	garbage := filepath.Join(dir, "garbage.json")
	os.WriteFile(garbage, []byte("not json"), 0o600)

	tests := []struct {
		name string
		cfg  func(c *config)
	}{
		{"forged", func(c *config) { c.licenseFile = forgedFile }},
		// The forged file's keys verify it; only the pins tell it apart.
		{"forged, with no pins", func(c *config) { c.licenseFile, c.pins = forgedFile, nil }},
		{"with no pins", func(c *config) { c.pins = nil }},
		{"pinned to another key", func(c *config) { c.pins = []string{k.ID} }},
		{"another machine's", func(c *config) { c.computerID = "server-2" }},
		{"another product's", func(c *config) { c.product = "other" }},
		{"not a license file", func(c *config) { c.licenseFile = garbage }},
		{"missing", func(c *config) { c.licenseFile = filepath.Join(dir, "missing.json") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := offlineConfig(good, srv.pins, clk)
			tt.cfg(&cfg)
			if _, err := newApp(cfg); err == nil {
				t.Error("newApp accepted the file")
			}
		})
	}
	// An expired file is taken: the service answers 503 until it is renewed.
	clk.advance(f.ExpiresAt.Sub(clk.now()) + time.Hour)
	if _, err := newApp(offlineConfig(good, srv.pins, clk)); err != nil {
		t.Errorf("newApp refused an expired file: %v", err)
	}
}

// TestMain_licenseFileNeedsPin: the command refuses a license file without
// pins, since the keys in the file cannot vouch for it. main exits, so it
// runs in a child process of the test binary.
func TestMain_licenseFileNeedsPin(t *testing.T) {
	if os.Getenv("SELFGATE_RUN_MAIN") == "1" {
		os.Args = []string{"selfgate", "-license-file", "license.json", "-computer-id", "server-1"}
		main()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMain_licenseFileNeedsPin$")
	cmd.Env = append(os.Environ(), "SELFGATE_RUN_MAIN=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "-license-file needs -pin") {
		t.Fatalf("selfgate -license-file without -pin: got %v, %q; want exit status 1 saying -pin is needed", err, out)
	}
}
