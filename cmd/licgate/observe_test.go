package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// scrape returns the samples of base's /metrics, keyed by name and
// labels as the text format writes them.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("metrics line %q", line)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitMetric scrapes base until the sample key reaches want.
func waitMetric(t *testing.T, base, key string, want float64) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := scrape(t, base)
		if m[key] >= want || time.Now().After(deadline) {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMetrics scrapes /metrics before and after a burst of traffic over
// real HTTP, and checks that each counter moved by exactly what the burst
// did, with the right labels, and that routes are patterns, never paths.
func TestMetrics(t *testing.T) {
	data := newData(t)
	var p license.Product
	cli(t, &p, "product", "add", "-data", data, "-id", "met", "-name", "Metered", "-major", "1")
	var l license.License
	cli(t, &l, "license", "add", "-data", data, "-product", "met", "-email", "mia@example.com", "-seats", "2")
	base := startServer(t, "-data", data, "-demo=false", "-notify-log")
	qlm := base + "/qlm/qlmservice.asmx/"
	before := scrape(t, base)
	for _, k := range []string{"go_goroutines", "process_open_fds", "go_gc_duration_seconds_count"} {
		if _, ok := before[k]; !ok {
			t.Errorf("%s missing from /metrics", k)
		}
	}

	validate := func(pcid, product string) qlmAnswer {
		return get(t, qlm+"ValidateLicenseHttp?is_avkey="+url.QueryEscape(l.Key)+"&is_pcid="+url.QueryEscape(pcid)+"&is_productid="+product)
	}
	first := validate("PC-1", "met")
	for _, c := range []struct {
		pcid, product string
		ok            bool
	}{
		{"PC-2", "met", true},
		{"PC-1", "met", true}, // already held: no seat taken
		{"PC-3", "met", false},
		{"PC-4", "other", false},
		{"PC-5", "met", false},
	} {
		if r := validate(c.pcid, c.product); (r.Error == "") != c.ok {
			t.Fatalf("ValidateLicenseHttp %s: %+v", c.pcid, r)
		}
	}
	// A wrong key is refused before any activation is attempted.
	if r := get(t, qlm+"ValidateLicenseHttp?is_avkey=NOPE&is_pcid=PC-9"); r.Error == "" {
		t.Fatal("a wrong key activated")
	}
	// The QLM path in another case is the same route.
	if r := get(t, base+"/QLM/QlmService.asmx/PingHttp"); r.Error != "" {
		t.Fatal(r.Error)
	}
	if r := get(t, qlm+"RequestAuthorizationCodeForActivationHttp?is_email=mia%40example.com&is_pcid=PC-6&is_productid=met"); r.Error != "" {
		t.Fatal(r.Error)
	}
	if r := get(t, qlm+"RequestAuthorizationCodeForActivationHttp?is_email=nope&is_pcid=PC-6&is_productid=met"); r.Error == "" {
		t.Fatal("a malformed email was accepted")
	}
	status := func(path, token string) int {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		path, token string
		want        int
	}{
		{"/demo/hello", first.ActivationToken, 200},
		{"/demo/hello", first.ActivationToken, 200},
		{"/demo/hello", "", 401},
		{"/demo/features/nope", first.ActivationToken, 403},
		{"/no/such/path-4711", "", 404},
	} {
		if got := status(c.path, c.token); got != c.want {
			t.Fatalf("GET %s: %d, want %d", c.path, got, c.want)
		}
	}

	after := waitMetric(t, base, `licgate_code_requests_total{channel="email",result="ok"}`, before[`licgate_code_requests_total{channel="email",result="ok"}`]+1)
	want := map[string]float64{
		`licgate_activations_total{protocol="qlm",result="ok"}`:                                     3,
		`licgate_activations_total{protocol="qlm",result="no_seats"}`:                               2,
		`licgate_activations_total{protocol="qlm",result="wrong_product"}`:                          1,
		`licgate_code_requests_total{channel="email",result="ok"}`:                                  1,
		`licgate_code_requests_total{channel="",result="invalid"}`:                                  1,
		`licgate_gate_decisions_total{reason="ok"}`:                                                 2,
		`licgate_gate_decisions_total{reason="token_missing"}`:                                      1,
		`licgate_gate_decisions_total{reason="feature_missing"}`:                                    1,
		`licgate_http_request_duration_seconds_count{code="200",route="/qlm/qlmservice.asmx/"}`:     10,
		`licgate_http_request_duration_seconds_count{code="200",route="GET /demo/hello"}`:           2,
		`licgate_http_request_duration_seconds_count{code="401",route="GET /demo/hello"}`:           1,
		`licgate_http_request_duration_seconds_count{code="403",route="GET /demo/features/{name}"}`: 1,
		`licgate_http_request_duration_seconds_count{code="404",route="other"}`:                     1,
	}
	for k, w := range want {
		if got := after[k] - before[k]; got != w {
			t.Errorf("%s moved by %v, want %v", k, got, w)
		}
	}
	if after[`licgate_http_request_duration_seconds_count{code="200",route="GET /metrics"}`] < 1 {
		t.Error("the scrapes of /metrics are not measured")
	}
	for k, v := range after {
		if strings.HasPrefix(k, "licgate_activations_total") && want[k] == 0 && v != before[k] {
			t.Errorf("%s moved by %v, want 0", k, v-before[k])
		}
		if strings.Contains(k, "path-4711") || strings.Contains(k, "QlmService") {
			t.Errorf("a raw path became a label: %s", k)
		}
	}
}

// TestRequestID checks X-Request-ID over real HTTP: a sane one is echoed,
// a missing or insane one replaced by a new one, and every log line the
// request causes carries it, those of the background code delivery
// included.
func TestRequestID(t *testing.T) {
	data := newData(t)
	var p license.Product
	cli(t, &p, "product", "add", "-data", data, "-id", "rid", "-name", "Traced", "-major", "1")
	var l license.License
	cli(t, &l, "license", "add", "-data", data, "-product", "rid", "-email", "rita@example.com", "-seats", "1")
	base, logs := startServerLogs(t, "-data", data, "-demo=false", "-notify-log", "-log-level", "debug")

	do := func(path, id string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if id != "" {
			req.Header.Set("X-Request-ID", id)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	tests := []struct {
		name, sent string
		keep       bool
	}{
		{"given", "shop-order-1234_abc.def", true},
		{"missing", "", false},
		{"too long", strings.Repeat("a", 129), false},
		{"with a space", "a b", false},
		{"not ASCII", "caf\u00e9", false},
	}
	for _, tt := range tests {
		got := do("/healthz", tt.sent).Header.Get("X-Request-ID")
		switch {
		case tt.keep && got != tt.sent:
			t.Errorf("%s: echoed %q, want %q", tt.name, got, tt.sent)
		case !tt.keep && !hex32.MatchString(got):
			t.Errorf("%s: echoed %q, want a new random ID", tt.name, got)
		}
	}
	if a, b := do("/healthz", "").Header.Get("X-Request-ID"), do("/healthz", "").Header.Get("X-Request-ID"); a == b {
		t.Errorf("two requests got the same ID %q", a)
	}

	// A code request: its lines are written by the QLM handler's request
	// and, later, by the background delivery and the log notifier.
	do("/qlm/qlmservice.asmx/RequestAuthorizationCodeForActivationHttp?is_email=rita%40example.com&is_pcid=PC-1&is_productid=rid", "rid-code-1")
	// A refusal of the gate, logged at debug level.
	do("/demo/hello", "rid-gate-2")
	wantLines := map[string][]string{
		"rid-code-1": {`msg="authorization code"`, `msg="code delivered"`, `msg=request `},
		"rid-gate-2": {`msg="license gate: request refused"`, `msg=request `},
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		missing := ""
		for id, msgs := range wantLines {
			for _, msg := range msgs {
				if !hasLine(logs.String(), msg, "request_id="+id) {
					missing = msg + " with request_id=" + id
				}
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line %s in:\n%s", missing, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hasLine reports whether a line of logs holds both a and b.
func hasLine(logs, a, b string) bool {
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, a) && strings.Contains(line, b) {
			return true
		}
	}
	return false
}

// TestHealthAndReadiness checks /healthz and /readyz over real HTTP on
// SQLite.
func TestHealthAndReadiness(t *testing.T) {
	base := startServer(t, "-data", t.TempDir(), "-demo=false")
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := getText(t, base+path); code != 200 || body != "ok\n" {
			t.Errorf("GET %s: %d %q, want 200 ok", path, code, body)
		}
	}
}

// TestReadinessPostgres serves from PostgreSQL and takes the store away:
// /readyz answers 503 while it is gone and /healthz stays 200.
func TestReadinessPostgres(t *testing.T) {
	dsn, app, admin := postgresDSN(t)
	base := startServer(t, "-db", dsn, "-data", filepath.Join(t.TempDir(), "data"), "-demo=false")
	if code, _ := getText(t, base+"/readyz"); code != 200 {
		t.Fatalf("GET /readyz: %d, want 200", code)
	}
	// The schema holds the store: without it, no query can succeed.
	if _, err := admin.Exec("DROP SCHEMA " + app + " CASCADE"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec("CREATE SCHEMA IF NOT EXISTS " + app) }) // for postgresDSN's cleanup
	if code, body := getText(t, base+"/readyz"); code != 503 || body != "store unavailable\n" {
		t.Errorf("GET /readyz without the store: %d %q, want 503", code, body)
	}
	if code, _ := getText(t, base+"/healthz"); code != 200 {
		t.Errorf("GET /healthz without the store: %d, want 200", code)
	}
}

func getText(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReadyz checks /readyz's handler with a store check that fails, and
// one that hangs past the timeout.
func TestReadyz(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.DiscardHandler)
	tests := []struct {
		name  string
		check func(context.Context) error
		want  int
	}{
		{"reachable", func(context.Context) error { return nil }, 200},
		{"failing", func(context.Context) error { return errors.New("connection refused") }, 503},
		{"hanging", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			start := time.Now()
			readyz(tt.check, logger)(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if w.Code != tt.want {
				t.Errorf("got %d, want %d", w.Code, tt.want)
			}
			if d := time.Since(start); d > readyTimeout+time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestRequestIDHandler checks that log records carry the request ID of
// the context they are logged with, through WithAttrs too.
func TestRequestIDHandler(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	logger := slog.New(requestIDHandler{slog.NewTextHandler(&b, nil)}).With("k", "v")
	ctx := license.WithActor(context.Background(), license.Actor{RequestID: "r-1"})
	logger.InfoContext(ctx, "with")
	logger.Info("without")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "k=v request_id=r-1") || strings.Contains(lines[1], "request_id") {
		t.Errorf("got %q", lines)
	}
}
