package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// serverPins returns the key IDs of the server's published keys: what a
// program pins, learned from /.well-known/jwks.json alone.
func serverPins(t *testing.T, base string) []string {
	t.Helper()
	a := apiCall{method: "GET", url: base + "/.well-known/jwks.json"}.do(t)
	if a.status != 200 {
		t.Fatalf("GET /.well-known/jwks.json: %d", a.status)
	}
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(a.body, &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("JWKS %s: %v", a.body, err)
	}
	var pins []string
	for _, k := range set.Keys {
		pins = append(pins, k.Kid)
	}
	return pins
}

// verifyLicenseFile checks a license file as the offline computer does,
// with the pins and no network, and returns it and its claims.
func verifyLicenseFile(t *testing.T, data []byte, computerID string, pins []string) (license.OfflineLicense, *license.Claims) {
	t.Helper()
	f, err := license.ParseOfflineLicense(data)
	if err != nil {
		t.Fatalf("not a license file: %v: %s", err, data)
	}
	c, err := f.Verify(computerID, time.Now(), pins...)
	if err != nil {
		t.Fatalf("the license file does not verify with the server's pinned keys: %v", err)
	}
	if c.AID() != f.AID || c.ComputerID != computerID || f.ComputerID != computerID {
		t.Fatalf("license file %+v, claims %+v", f, c)
	}
	return f, c
}

// TestOfflineActivation activates a computer with no network through
// licgate serve and the CLI: "offline request" writes its request file,
// which is answered by POST /v1/offline, by "offline answer" with
// -server and by "offline answer" on the database; each license file
// verifies with the server's JWKS alone, its token passes the gated
// /demo/hello, and every answer names the same activation. A second
// computer finds no seat of the one-seat license, whichever way it asks.
func TestOfflineActivation(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, where []string) {
		t.Parallel()
		s := launch(t, with(where, "-demo=false", "-db-max-open", smallPool, "-offline-ttl", "48h")...)
		cli(t, new(license.Product), with(where, "product", "add", "-id", "desk", "-name", "Desk")...)
		var l license.License
		cli(t, &l, with(where, "license", "add", "-product", "desk", "-seats", "1", "-features", "print")...)
		dir := t.TempDir()

		code, reqJSON, errOut := runCLIIn("offline", "request", "-key", l.Key, "-computer", "pc-off", "-name", "Offline PC")
		if code != 0 {
			t.Fatalf("offline request: exit %d: %s", code, errOut)
		}
		req, err := license.ParseOfflineRequest([]byte(reqJSON))
		if err != nil || req.Key != l.Key || req.ComputerID != "pc-off" || req.ComputerName != "Offline PC" || time.Since(req.CreatedAt) > time.Minute {
			t.Fatalf("offline request printed %s (%v)", reqJSON, err)
		}
		reqFile := filepath.Join(dir, "request.json")
		if err := os.WriteFile(reqFile, []byte(reqJSON), 0o600); err != nil {
			t.Fatal(err)
		}
		pins := serverPins(t, s.base)

		// The server answers it over HTTP.
		a := apiCall{method: "POST", url: s.base + "/v1/offline", body: reqJSON}.do(t)
		if a.status != 200 || a.header.Get("Content-Type") != "application/json" || !strings.Contains(a.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("POST /v1/offline: %d %v %s", a.status, a.header, a.body)
		}
		f1, c1 := verifyLicenseFile(t, a.body, "pc-off", pins)
		if f1.LicenseID != l.ID || f1.ProductID != "desk" || !c1.HasFeature("print") {
			t.Fatalf("license file %+v", f1)
		}
		if left := time.Until(f1.ExpiresAt); left < 47*time.Hour || left > 48*time.Hour {
			t.Errorf("the token of the license file lives %v more, want the 48h of -offline-ttl", left)
		}
		if code, reason := gateCall(t, s.base, f1.Token); code != 200 {
			t.Fatalf("/demo/hello with the license file's token: %d %s", code, reason)
		}

		// The CLI through the server: the same activation.
		code, out, errOut := runCLIIn("offline", "answer", "-server", s.base, reqFile)
		if code != 0 {
			t.Fatalf("offline answer -server: exit %d: %s", code, errOut)
		}
		f2, _ := verifyLicenseFile(t, []byte(out), "pc-off", pins)
		if f2.AID != f1.AID {
			t.Fatalf("offline answer -server: AID %s, want the first answer's %s", f2.AID, f1.AID)
		}

		// The CLI on the database, into a file, from stdin's place too.
		outFile := filepath.Join(dir, "license.json")
		code, out, errOut = runCLIIn(with(where, "offline", "answer", "-out", outFile, "-offline-ttl", "48h", reqFile)...)
		if code != 0 || out != "" {
			t.Fatalf("offline answer -out: exit %d, stdout %q: %s", code, out, errOut)
		}
		fi, err := os.Stat(outFile)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("the license file: %v, mode %v; want 0600", err, fi.Mode())
		}
		data, _ := os.ReadFile(outFile)
		f3, _ := verifyLicenseFile(t, data, "pc-off", pins)
		if f3.AID != f1.AID {
			t.Fatalf("offline answer on the database: AID %s, want %s", f3.AID, f1.AID)
		}
		if left := time.Until(f3.ExpiresAt); left < 47*time.Hour || left > 48*time.Hour {
			t.Errorf("offline answer -offline-ttl 48h: the token lives %v more", left)
		}
		if code, reason := gateCall(t, s.base, f3.Token); code != 200 {
			t.Fatalf("/demo/hello with the CLI's license file: %d %s", code, reason)
		}
		var acts []license.Activation
		cli(t, &acts, with(where, "activation", "list", "-license", l.ID)...)
		if len(acts) != 1 || acts[0].AID != f1.AID || acts[0].ComputerName != "Offline PC" {
			t.Fatalf("activation list: %+v, want the one activation %s", acts, f1.AID)
		}
		var evs []license.Event
		cli(t, &evs, with(where, "audit", "list", "-target", "activation/"+f1.AID)...)
		if len(evs) == 0 || evs[0].Type != license.EventActivationCreated || evs[0].Actor.Protocol != "rest" {
			t.Errorf("the activation's events: %+v; want it created by rest", evs)
		}

		// Pinned to other keys, or for another computer, the file fails.
		other, _ := license.GenerateSigningKey()
		if _, err := f1.Verify("pc-off", time.Now(), other.ID); err == nil {
			t.Error("the license file verified with a pin of another key")
		}
		if _, err := f1.Verify("pc-other", time.Now(), pins...); err == nil {
			t.Error("the license file verified for another computer")
		}

		// The key IDs to pin, from the data directory and from the server.
		for _, args := range [][]string{{"keys", "-data", where[len(where)-1]}, {"keys", "-server", s.base}} {
			code, out, errOut := runCLIIn(args...)
			if code != 0 || out != strings.Join(pins, ",")+"\n" {
				t.Errorf("licgate %s: exit %d, %q (%s); want %q", strings.Join(args, " "), code, out, errOut, strings.Join(pins, ","))
			}
		}

		// A second computer: no seat left, whichever way it asks.
		code, req2, _ := runCLIIn("offline", "request", "-key", l.Key, "-computer", "pc-two")
		if code != 0 {
			t.Fatal("offline request pc-two failed")
		}
		req2File := filepath.Join(dir, "request-2.json")
		os.WriteFile(req2File, []byte(req2), 0o600)
		a = apiCall{method: "POST", url: s.base + "/v1/offline", body: req2}.do(t)
		var p problemAnswer
		if json.Unmarshal(a.body, &p); a.status != 409 || p.Reason != "no_seats" {
			t.Fatalf("POST /v1/offline for a second computer: %d %s, want 409 no_seats", a.status, a.body)
		}
		for _, args := range [][]string{
			{"offline", "answer", "-server", s.base, req2File},
			with(where, "offline", "answer", req2File),
		} {
			code, out, errOut := runCLIIn(args...)
			if code != 1 || out != "" || !strings.Contains(errOut, "Every seat of the license is in use.") {
				t.Errorf("licgate %s: exit %d, stdout %q, stderr %q; want a refusal for want of seats", strings.Join(args, " "), code, out, errOut)
			}
		}

		// The page, through serve.
		resp, err := http.Get(s.base + "/offline")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
			resp.Header.Get("Content-Security-Policy") == "" || !bytes.Contains(page, []byte("<form")) {
			t.Fatalf("GET /offline: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), page[:min(200, len(page))])
		}
		m := scrape(t, s.base)
		for _, k := range []string{
			`licgate_http_request_duration_seconds_count{code="200",route="POST /v1/offline"}`,
			`licgate_http_request_duration_seconds_count{code="409",route="POST /v1/offline"}`,
			`licgate_http_request_duration_seconds_count{code="200",route="GET /offline"}`,
		} {
			if m[k] < 1 {
				t.Errorf("%s is %v, want at least 1", k, m[k])
			}
		}
	})
}

// TestJSONProtocolRoutes checks how serve mounts the JSON protocol: the
// status endpoint keeps its path, and other methods and paths get the
// protocol's problems, each under a pattern in the metrics.
func TestJSONProtocolRoutes(t *testing.T) {
	t.Parallel()
	s := launch(t, "-data", t.TempDir(), "-demo=false")
	for _, tt := range []struct {
		method, path string
		want         int
		reason       string
	}{
		{"GET", "/v1/activation/status", 401, ""},
		{"GET", "/v1/leases", 405, "method_not_allowed"},
		{"PUT", "/offline", 405, "method_not_allowed"},
		{"GET", "/v1/nothing-4711", 404, "not_found"},
		{"POST", "/v1/leases/x/y", 404, "not_found"},
		{"POST", "/v1/activations", 415, "unsupported_media_type"},
		{"POST", "/v1/codes", 415, "unsupported_media_type"},
	} {
		a := apiCall{method: tt.method, url: s.base + tt.path}.do(t)
		var p problemAnswer
		json.Unmarshal(a.body, &p)
		if a.status != tt.want || (tt.reason != "" && p.Reason != tt.reason) {
			t.Errorf("%s %s: %d %s, want %d %s", tt.method, tt.path, a.status, a.body, tt.want, tt.reason)
		}
	}
	m := scrape(t, s.base)
	for k, want := range map[string]float64{
		`licgate_http_request_duration_seconds_count{code="401",route="GET /v1/activation/status"}`: 1,
		`licgate_http_request_duration_seconds_count{code="405",route="/v1/"}`:                      1,
		`licgate_http_request_duration_seconds_count{code="405",route="/offline"}`:                  1,
		`licgate_http_request_duration_seconds_count{code="404",route="/v1/"}`:                      2,
		`licgate_http_request_duration_seconds_count{code="415",route="POST /v1/activations"}`:      1,
		`licgate_http_request_duration_seconds_count{code="415",route="POST /v1/codes"}`:            1,
	} {
		if m[k] != want {
			t.Errorf("%s is %v, want %v", k, m[k], want)
		}
	}
	for k := range m {
		if strings.Contains(k, "4711") || strings.Contains(k, "/x/") {
			t.Errorf("a raw path became a label: %s", k)
		}
	}
}

// TestOfflineUsage checks the refusals of the offline and keys commands,
// and of serve's -offline-ttl, before anything is opened.
func TestOfflineUsage(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	req := filepath.Join(empty, "r.json")
	os.WriteFile(req, []byte(`{"format":"licgate-offline-request","version":1,"key":"AAAAA","computerId":"x","createdAt":"2030-01-01T00:00:00Z"}`), 0o600)
	for _, tt := range []struct {
		args     []string
		wantCode int
		want     string
	}{
		{[]string{"offline"}, 2, "missing subcommand"},
		{[]string{"offline", "frob"}, 2, "unknown command"},
		{[]string{"offline", "request", "-computer", "x"}, 2, "-key and -computer are required"},
		{[]string{"offline", "request", "-key", "not-a-key", "-computer", "x"}, 1, "malformed"},
		{[]string{"offline", "request", "-key", "not-a-key", "-computer", "has space"}, 1, "offline request"},
		{[]string{"offline", "answer", "-data", empty}, 2, "the request file is required"},
		{[]string{"offline", "answer", "-data", empty, req, "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"offline", "answer", "-server", "http://127.0.0.1:1", "-data", empty, req}, 2, "-data and -db do not go with it"},
		{[]string{"offline", "answer", "-server", "http://127.0.0.1:1", "-issuer", "x", req}, 2, "-issuer and -offline-ttl are the server's"},
		{[]string{"offline", "answer", "-data", empty, "-offline-ttl", "1m", req}, 2, "-offline-ttl must be"},
		{[]string{"offline", "answer", "-data", empty, filepath.Join(empty, "none.json")}, 1, "no such file"},
		{[]string{"offline", "answer", "-data", empty, req}, 1, "malformed"},
		{[]string{"offline", "answer", "-server", "ftp://x", req}, 2, "-server"},
		{[]string{"keys", "-data", empty}, 1, "signing-key.pem does not exist"},
		{[]string{"keys", "-data", empty, "-server", "http://127.0.0.1:1"}, 2, "-data does not go with it"},
		{[]string{"serve", "-data", empty, "-offline-ttl", "30m"}, 2, "-offline-ttl must be"},
	} {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), tt.args, &out, &errOut)
		if code != tt.wantCode || out.Len() != 0 || !strings.Contains(errOut.String(), tt.want) {
			t.Errorf("licgate %s: exit %d, stdout %q, stderr %q; want exit %d saying %q", strings.Join(tt.args, " "), code, out.String(), errOut.String(), tt.wantCode, tt.want)
		}
	}
	// None of them made a database, a key or a file.
	entries, _ := os.ReadDir(empty)
	if len(entries) != 1 {
		t.Errorf("the refused commands left %d entries in the directory, want only the request file", len(entries))
	}
}

// TestParseFlagsArgs checks that a command's one argument may come before,
// between or after its flags, and that a second is refused.
func TestParseFlagsArgs(t *testing.T) {
	t.Setenv("LICGATE_OUT", "from-env")
	tests := []struct {
		args    []string
		wantPos []string
		wantOut string
		wantErr bool
	}{
		{[]string{"req.json"}, []string{"req.json"}, "from-env", false},
		{[]string{"-out", "x", "req.json"}, []string{"req.json"}, "x", false},
		{[]string{"req.json", "-out", "x"}, []string{"req.json"}, "x", false},
		{[]string{"-server", "s", "req.json", "-out", "x"}, []string{"req.json"}, "x", false},
		{[]string{"-"}, []string{"-"}, "from-env", false},
		{[]string{"--", "-odd.json"}, []string{"-odd.json"}, "from-env", false},
		{nil, nil, "from-env", false},
		{[]string{"a.json", "b.json"}, nil, "", true},
		{[]string{"a.json", "-nope"}, nil, "", true},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var out, server string
		fs.StringVar(&out, "out", "", "")
		fs.StringVar(&server, "server", "", "")
		pos, set, err := parseFlagsArgs(fs, tt.args, 1)
		if tt.wantErr {
			if err == nil {
				t.Errorf("%q: got %q, want an error", tt.args, pos)
			}
			continue
		}
		if err != nil || !slices.Equal(pos, tt.wantPos) || out != tt.wantOut || set["out"] != (tt.wantOut != "from-env") {
			t.Errorf("%q: got %q, -out %q (set %v), %v; want %q, -out %q", tt.args, pos, out, set["out"], err, tt.wantPos, tt.wantOut)
		}
	}
}
