package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// clock is a settable clock, so the test never sleeps.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// start runs the example on a loopback listener until the test ends.
func start(t *testing.T) (base string, a *app, clk *clock) {
	t.Helper()
	clk = new(clock)
	clk.ns.Store(time.Now().UnixNano())
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, config{ttl: 30 * time.Second, now: clk.now, logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln, a, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return "http://" + ln.Addr().String(), a, clk
}

// activate activates a computer through QLM and returns the activation token.
func activate(t *testing.T, base, key, computer string) string {
	t.Helper()
	resp, err := http.Get(base + "/qlm/qlmservice.asmx/ValidateLicenseHttp?" + url.Values{
		"is_avkey": {key}, "is_pcid": {computer},
	}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Token string `xml:"activationToken"`
		Error string `xml:"error"`
	}
	if err := xml.NewDecoder(resp.Body).Decode(&r); err != nil || r.Token == "" {
		t.Fatalf("activation: %v %q", err, r.Error)
	}
	return r.Token
}

func get(t *testing.T, u, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestServeMux(t *testing.T) {
	base, a, clk := start(t)
	tok := activate(t, base, a.key, "pc-1")

	if code, body := get(t, base+"/api/hello", ""); code != 401 || body["reason"] != "token_missing" {
		t.Errorf("no token: got %d %v, want 401 token_missing", code, body)
	}
	if code, _ := get(t, base+"/api/hello", "garbage"); code != 401 {
		t.Errorf("garbage token: got %d, want 401", code)
	}
	code, body := get(t, base+"/api/hello", tok)
	if code != 200 || body["product"] != "demo" || body["computer"] != "pc-1" || body["license"] == "" {
		t.Fatalf("valid token: got %d %v, want 200 with the license", code, body)
	}
	if code, _ := get(t, base+"/api/features/reports", tok); code != 200 {
		t.Errorf("licensed feature: got %d, want 200", code)
	}
	if code, body := get(t, base+"/api/features/export", tok); code != 403 || body["reason"] != "feature_missing" {
		t.Errorf("unlicensed feature: got %d %v, want 403 feature_missing", code, body)
	}

	// The status endpoint answers the token's holder.
	code, st := get(t, base+"/v1/activation/status", tok)
	if code != 200 || st["status"] != "active" {
		t.Fatalf("status: got %d %v, want 200 active", code, st)
	}

	// Revoked: refused once the cached state is older than the TTL.
	aid, _ := st["aid"].(string)
	if _, err := a.svc.RevokeActivation(context.Background(), aid); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, base+"/api/hello", tok); code != 200 {
		t.Errorf("revoked, within the TTL: got %d, want 200 (cached)", code)
	}
	clk.advance(30 * time.Second)
	if code, body := get(t, base+"/api/hello", tok); code != 403 || body["reason"] != "activation_revoked" {
		t.Errorf("revoked, after the TTL: got %d %v, want 403 activation_revoked", code, body)
	}

	// A revoked license is told apart from a revoked activation.
	tok2 := activate(t, base, a.key, "pc-2")
	if code, _ := get(t, base+"/api/hello", tok2); code != 200 {
		t.Fatalf("second computer: got %d, want 200", code)
	}
	lic, _ := body["license"].(string)
	if _, err := a.svc.SetLicenseStatus(context.Background(), lic, license.StatusRevoked); err != nil {
		t.Fatal(err)
	}
	clk.advance(30 * time.Second)
	if code, body := get(t, base+"/api/hello", tok2); code != 403 || body["reason"] != "license_revoked" {
		t.Errorf("license revoked, after the TTL: got %d %v, want 403 license_revoked", code, body)
	}
}
