package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/webhook"
)

// forEachStore runs test on SQLite in a new data directory and, with
// LICGATE_TEST_POSTGRES, on a new PostgreSQL schema; where are the flags
// that name the store, for serve and the CLI alike. The server must start
// first: it creates the database.
func forEachStore(t *testing.T, test func(t *testing.T, where []string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, []string{"-data", t.TempDir()}) })
	t.Run("postgres", func(t *testing.T) {
		dsn, _, _ := postgresDSN(t)
		test(t, []string{"-db", dsn, "-data", t.TempDir()})
	})
}

// with returns args after where, in a new slice.
func with(where []string, args ...string) []string {
	return append(append([]string{}, args...), where...)
}

// apiCall is one request of the admin API, as a shop would send it.
type apiCall struct {
	method, url, token, body string
	header                   []string // name, value, …
}

// apiAnswer is what came back.
type apiAnswer struct {
	status int
	header http.Header
	body   []byte
}

// do sends the request.
func (c apiCall) do(t *testing.T) apiAnswer {
	t.Helper()
	req, err := http.NewRequest(c.method, c.url, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(c.header); i += 2 {
		req.Header.Set(c.header[i], c.header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return apiAnswer{status: resp.StatusCode, header: resp.Header, body: b}
}

// newAdminToken makes an admin token with the CLI and returns it.
func newAdminToken(t *testing.T, where []string, name, scope string) string {
	t.Helper()
	var tok struct{ Name, Scope, Token string }
	cli(t, &tok, with(where, "token", "create", "-name", name, "-scope", scope)...)
	if tok.Name != name || tok.Scope != scope || !strings.HasPrefix(tok.Token, "lgt_") {
		t.Fatalf("token create printed %+v", tok)
	}
	return tok.Token
}

// runCLIIn runs a command and returns its exit code and outputs.
func runCLIIn(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestAdminTokens makes tokens with the CLI and uses them as a shop would,
// over real HTTP: a license created twice with one Idempotency-Key is
// created once, and a missing, wrong or read-only token is refused.
func TestAdminTokens(t *testing.T) {
	forEachStore(t, func(t *testing.T, where []string) {
		s := launch(t, with(where, "-demo=false")...)
		cli(t, new(license.Product), with(where, "product", "add", "-id", "app", "-name", "App")...)
		shop := newAdminToken(t, where, "shop", "admin")
		reader := newAdminToken(t, where, "dashboard", "read")

		// The list shows names, scopes and times, never a token or a hash.
		tokens, _ := rawCLI(t, with(where, "token", "list")...).([]any)
		var names []string
		for _, v := range tokens {
			tk, _ := v.(map[string]any)
			keys := slices.Sorted(maps.Keys(tk))
			if !slices.Equal(keys, []string{"createdAt", "name", "scope"}) {
				t.Errorf("token list printed the members %v, want createdAt, name, scope", keys)
			}
			names = append(names, tk["name"].(string)+":"+tk["scope"].(string))
		}
		if !slices.Equal(names, []string{"dashboard:read", "shop:admin"}) {
			t.Errorf("token list printed %v", names)
		}
		for _, tt := range []struct {
			args []string
			want string
		}{
			{with(where, "token", "create", "-name", "shop"), `"shop" exists already`},
			{with(where, "token", "create", "-name", "x", "-scope", "root"), `-scope "root"`},
			{with(where, "token", "revoke", "-name", "nobody"), `"nobody" does not exist`},
			{[]string{"token", "create", "-name", "remote", "-server", s.base}, "where the database is"},
			{[]string{"token", "list", "-server", s.base}, "where the database is"},
		} {
			if code, out, errOut := runCLIIn(tt.args...); code == 0 || out != "" || !strings.Contains(errOut, tt.want) {
				t.Errorf("licgate %s: exit %d, stdout %q, stderr %q; want a failure saying %q", strings.Join(tt.args, " "), code, out, errOut, tt.want)
			}
		}

		// A shop retries the creation of a license after a timeout: one
		// license, and the same answer twice.
		create := apiCall{method: "POST", url: s.base + "/admin/v1/licenses", token: shop,
			body:   `{"productId": "app", "email": "ann@example.com", "seats": 2}`,
			header: []string{"Idempotency-Key", "order-1001"}}
		first, again := create.do(t), create.do(t)
		if first.status != 201 || again.status != 201 || !bytes.Equal(first.body, again.body) {
			t.Fatalf("POST /admin/v1/licenses twice with one Idempotency-Key: %d %s, then %d %s; want 201 and the same answer",
				first.status, first.body, again.status, again.body)
		}
		var l license.License
		if err := json.Unmarshal(first.body, &l); err != nil || l.Key == "" || l.Seats != 2 {
			t.Fatalf("the answer %s: %v", first.body, err)
		}
		var ls []license.License
		cli(t, &ls, with(where, "license", "list")...)
		if len(ls) != 1 || ls[0].ID != l.ID {
			t.Fatalf("after the retry the store holds %d licenses, want the one created", len(ls))
		}

		wrong := "lgt_0123456789abcdef_" + strings.Repeat("A", 43)
		for _, tt := range []struct {
			name  string
			call  apiCall
			want  int
			inAll bool
		}{
			{"no token", apiCall{method: "GET", url: s.base + "/admin/v1/licenses"}, 401, true},
			{"a wrong token", apiCall{method: "GET", url: s.base + "/admin/v1/licenses", token: wrong}, 401, true},
			{"not a token", apiCall{method: "GET", url: s.base + "/admin/v1/licenses", token: "hunter2"}, 401, true},
			{"a read token changing", apiCall{method: "POST", url: s.base + "/admin/v1/licenses", token: reader, body: `{"productId": "app"}`}, 403, false},
			{"a read token reading", apiCall{method: "GET", url: s.base + "/admin/v1/licenses", token: reader}, 200, false},
		} {
			a := tt.call.do(t)
			if a.status != tt.want {
				t.Errorf("%s: %d %s, want %d", tt.name, a.status, a.body, tt.want)
			}
			if a.status == 401 && !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: 401 without WWW-Authenticate: Bearer", tt.name)
			}
			if a.status >= 400 && a.header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s: %d as %s, want a problem document", tt.name, a.status, a.header.Get("Content-Type"))
			}
		}

		var revoked map[string]any
		cli(t, &revoked, with(where, "token", "revoke", "-name", "shop")...)
		if revoked["name"] != "shop" || revoked["scope"] != "admin" {
			t.Errorf("token revoke printed %v", revoked)
		}
		if a := (apiCall{method: "GET", url: s.base + "/admin/v1/licenses", token: shop}).do(t); a.status != 401 {
			t.Errorf("a revoked token: %d, want 401", a.status)
		}

		// The admin API's routes are measured by pattern, never by path.
		m := scrape(t, s.base)
		for k, want := range map[string]float64{
			`licgate_http_request_duration_seconds_count{code="201",route="POST /admin/v1/licenses"}`: 2,
			`licgate_http_request_duration_seconds_count{code="401",route="GET /admin/v1/licenses"}`:  4,
			`licgate_http_request_duration_seconds_count{code="403",route="POST /admin/v1/licenses"}`: 1,
		} {
			if m[k] != want {
				t.Errorf("%s = %v, want %v", k, m[k], want)
			}
		}
		for k := range m {
			if strings.Contains(k, l.ID) {
				t.Errorf("a raw path became a label: %s", k)
			}
		}
	})
}

// event is an event of the audit trail as the CLI prints it.
type event struct {
	ID      string
	At      time.Time
	Type    string
	Actor   license.Actor
	Target  string
	Outcome string
	Change  json.RawMessage
}

// TestAuditTrail makes changes and attempts every way there is: through
// the admin API, the CLI, QLM and EMS; the audit trail names each actor,
// and the request ID it was sent with.
func TestAuditTrail(t *testing.T) {
	forEachStore(t, func(t *testing.T, where []string) {
		s := launch(t, with(where, "-demo=false", "-ems-user", "vendor", "-ems-password", "right")...)
		cli(t, new(license.Product), with(where, "product", "add", "-id", "app", "-name", "App")...)
		shop := newAdminToken(t, where, "shop", "admin")

		// The shop creates a license.
		a := apiCall{method: "POST", url: s.base + "/admin/v1/licenses", token: shop,
			body: `{"productId": "app", "email": "ann@example.com", "seats": 3}`, header: []string{"X-Request-ID", "api-req-1"}}.do(t)
		var l license.License
		if a.status != 201 || json.Unmarshal(a.body, &l) != nil {
			t.Fatalf("POST /admin/v1/licenses: %d %s", a.status, a.body)
		}
		// The vendor adds a seat at the command line.
		cli(t, new(license.License), with(where, "license", "update", "-id", l.ID, "-seats", "4")...)
		// A QLM client activates.
		req, _ := http.NewRequest("GET", s.base+"/qlm/qlmservice.asmx/ValidateLicenseHttp?is_pcid=PC-1&is_avkey="+url.QueryEscape(l.Key), nil)
		req.Header.Set("X-Request-ID", "qlm-req-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var qa qlmAnswer
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if xml.Unmarshal(b, &qa) != nil || qa.Error != "" || qa.ComputerKey == "" {
			t.Fatalf("QLM activation: %s", b)
		}
		// An EMS client activates by product key.
		jar := newJarClient()
		if code, body, _ := emsCall(t, jar, "POST", s.base+"/ems/v90/ws/loginByProductKey.ws?productKey="+l.ProductKey, "", ""); code != 200 {
			t.Fatalf("loginByProductKey: %d %s", code, body)
		}
		c2v := `<activation><activationInput><activationAttribute><attributeValue><![CDATA[<?xml version="1.0" encoding="UTF-8"?><hasp_info><haspscope><hasp id="712734935"><vendor id="37515"/></hasp></haspscope><c2v>YYIr</c2v></hasp_info>]]></attributeValue><attributeName>C2V</attributeName></activationAttribute></activationInput></activation>`
		if code, body, _ := emsCall(t, jar, "POST", s.base+"/ems/v21/ws/productKey/"+l.ProductKey+"/activation.ws", "application/xml", c2v, "X-Request-ID", "ems-req-1"); code != 200 {
			t.Fatalf("EMS activation: %d %s", code, body)
		}
		// Someone guesses the EMS vendor's password.
		login := `<authenticationDetail><userName>vendor</userName><password>wrong</password></authenticationDetail>`
		if code, body, _ := emsCall(t, nil, "POST", s.base+"/ems/v90/ws/login.ws", "application/xml", login, "X-Request-ID", "ems-req-2"); code == 200 {
			t.Fatalf("a wrong vendor password logged in: %s", body)
		}

		var events []event
		cli(t, &events, with(where, "audit", "list")...)
		find := func(typ, protocol string) event {
			t.Helper()
			for _, e := range events {
				if e.Type == typ && e.Actor.Protocol == protocol {
					return e
				}
			}
			t.Fatalf("no %s event by %s in %+v", typ, protocol, events)
			return event{}
		}
		tests := []struct {
			typ, target string
			actor       license.Actor
			outcome     string
		}{
			{"token.created", "token/shop", license.Actor{Name: "cli", Protocol: "cli"}, "ok"},
			{"license.created", "license/" + l.ID, license.Actor{Name: "shop", Protocol: "api", Addr: "127.0.0.1", RequestID: "api-req-1"}, "ok"},
			{"license.updated", "license/" + l.ID, license.Actor{Name: "cli", Protocol: "cli"}, "ok"},
			{"activation.created", "", license.Actor{Protocol: "qlm", Addr: "127.0.0.1", RequestID: "qlm-req-1"}, "ok"},
			{"activation.created", "", license.Actor{Protocol: "ems", Addr: "127.0.0.1", RequestID: "ems-req-1"}, "ok"},
			{"login.failed", "", license.Actor{Protocol: "ems", Addr: "127.0.0.1", RequestID: "ems-req-2"}, "unauthenticated"},
		}
		for _, tt := range tests {
			e := find(tt.typ, tt.actor.Protocol)
			if e.Actor != tt.actor || e.Outcome != tt.outcome || (tt.target != "" && e.Target != tt.target) {
				t.Errorf("%s by %s: actor %+v, target %q, outcome %q; want %+v, %q, %q",
					tt.typ, tt.actor.Protocol, e.Actor, e.Target, e.Outcome, tt.actor, tt.target, tt.outcome)
			}
			if strings.HasPrefix(tt.typ, "activation.") && !strings.HasPrefix(e.Target, "activation/") {
				t.Errorf("%s by %s: target %q", tt.typ, tt.actor.Protocol, e.Target)
			}
		}
		if ch := string(find("license.updated", "cli").Change); ch != `{"seats":{"from":3,"to":4}}` {
			t.Errorf("the CLI's change is recorded as %s", ch)
		}
		// No credential reaches the trail.
		all, _ := json.Marshal(events)
		for _, secret := range []string{l.Key, l.ProductKey, qa.ComputerKey, shop, "wrong"} {
			if bytes.Contains(all, []byte(secret)) {
				t.Errorf("the audit trail holds the credential %q", secret)
			}
		}

		// The filters, locally and through the API, print the same.
		for _, args := range [][]string{
			{"audit", "list"},
			{"audit", "list", "-target", "license/" + l.ID},
			{"audit", "list", "-limit", "2"},
			{"audit", "list", "-since", events[len(events)-1].At.Format(time.RFC3339Nano)},
			{"audit", "list", "-since", "2999-01-01T00:00:00Z"},
		} {
			local := runOK(t, with(where, args...)...)
			remote := runOK(t, append(args, "-server", s.base, "-token", shop)...)
			if local != remote {
				t.Errorf("licgate %s printed\n%s\nlocally and\n%s\nthrough the API", strings.Join(args, " "), local, remote)
			}
		}
		var byTarget []event
		cli(t, &byTarget, with(where, "audit", "list", "-target", "license/"+l.ID)...)
		if len(byTarget) != 2 || byTarget[0].Type != "license.created" || byTarget[1].Type != "license.updated" {
			t.Errorf("audit list -target license/ID printed %+v", byTarget)
		}
		var two, none []event
		cli(t, &two, with(where, "audit", "list", "-limit", "2")...)
		cli(t, &none, with(where, "audit", "list", "-since", "2999-01-01T00:00:00Z")...)
		if len(two) != 2 || two[0].ID != events[0].ID || none == nil || len(none) != 0 {
			t.Errorf("audit list -limit 2 printed %d events, -since the future %v", len(two), none)
		}
		if code, _, errOut := runCLIIn(with(where, "audit", "list", "-since", "yesterday")...); code != 2 || !strings.Contains(errOut, "RFC 3339") {
			t.Errorf("audit list -since yesterday: exit %d, %q", code, errOut)
		}
	})
}

// runOK runs a command that must succeed and returns what it printed.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := runCLIIn(args...)
	if code != 0 {
		t.Fatalf("licgate %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// receiver is a webhook endpoint that verifies what it receives, fails the
// first failures requests, and keeps each message it accepted once, by its
// webhook-id.
type receiver struct {
	mu       sync.Mutex
	secret   string
	failures int
	requests int
	bad      []string
	accepted map[string]string // webhook-id: type
	dups     int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.requests++
	if rc.requests <= rc.failures {
		http.Error(w, "not yet", http.StatusInternalServerError)
		return
	}
	if err := webhook.Verify(rc.secret, r.Header, body, time.Now(), 0); err != nil {
		rc.bad = append(rc.bad, err.Error())
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	var msg struct{ Type string }
	if err := json.Unmarshal(body, &msg); err != nil {
		rc.bad = append(rc.bad, string(body))
	}
	id := r.Header.Get(webhook.HeaderID)
	if _, ok := rc.accepted[id]; ok {
		rc.dups++
	} else {
		rc.accepted[id] = msg.Type
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) setSecret(s string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret = s
}

// types returns how many messages of each type were accepted.
func (rc *receiver) types() map[string]int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := map[string]int{}
	for _, typ := range rc.accepted {
		out[typ]++
	}
	return out
}

// waitTypes waits until the receiver has accepted the wanted messages.
func (rc *receiver) waitTypes(t *testing.T, want map[string]int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := rc.types()
		if maps.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			rc.mu.Lock()
			defer rc.mu.Unlock()
			t.Fatalf("the receiver accepted %v after %d requests (refused: %q), want %v", got, rc.requests, rc.bad, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWebhookDeliveries registers a receiver that fails its first two
// requests: it gets license.created and activation.created once each,
// signed, after retries, which the deliveries list and the metrics show.
func TestWebhookDeliveries(t *testing.T) {
	forEachStore(t, func(t *testing.T, where []string) {
		rc := &receiver{failures: 2, accepted: map[string]string{}}
		hook := httptest.NewServer(rc)
		defer hook.Close()
		s := launch(t, with(where, "-demo=false", "-webhook-retries", "50ms,50ms,50ms,50ms,50ms")...)
		cli(t, new(license.Product), with(where, "product", "add", "-id", "app", "-name", "App")...)
		shop := newAdminToken(t, where, "shop", "admin")
		remote := []string{"-server", s.base, "-token", shop}

		var wh struct{ ID, URL, Secret string }
		cli(t, &wh, append([]string{"webhook", "add", "-url", hook.URL + "/licgate"}, remote...)...)
		if wh.ID == "" || wh.URL != hook.URL+"/licgate" || !strings.HasPrefix(wh.Secret, "whsec_") {
			t.Fatalf("webhook add printed %+v", wh)
		}
		rc.setSecret(wh.Secret)
		before := scrape(t, s.base)

		a := apiCall{method: "POST", url: s.base + "/admin/v1/licenses", token: shop, body: `{"productId": "app", "seats": 1}`}.do(t)
		var l license.License
		if a.status != 201 || json.Unmarshal(a.body, &l) != nil {
			t.Fatalf("POST /admin/v1/licenses: %d %s", a.status, a.body)
		}
		if r := get(t, s.base+"/qlm/qlmservice.asmx/ValidateLicenseHttp?is_pcid=PC-1&is_avkey="+url.QueryEscape(l.Key)); r.Error != "" {
			t.Fatal(r.Error)
		}
		rc.waitTypes(t, map[string]int{"license.created": 1, "activation.created": 1})
		time.Sleep(300 * time.Millisecond) // any duplicate would come now
		rc.mu.Lock()
		if rc.dups != 0 || len(rc.bad) != 0 || rc.requests != 4 {
			t.Errorf("the receiver got %d requests, %d duplicates, refused %q; want 4, none, none", rc.requests, rc.dups, rc.bad)
		}
		rc.mu.Unlock()

		var attempts []license.Attempt
		cli(t, &attempts, append([]string{"webhook", "deliveries", "-id", wh.ID}, remote...)...)
		failed, ok := 0, map[string]int{}
		for _, at := range attempts {
			switch {
			case at.OK && at.StatusCode == 204:
				ok[at.EventType]++
			case !at.OK && at.StatusCode == 500:
				failed++
			default:
				t.Errorf("attempt %+v", at)
			}
		}
		if len(attempts) != 4 || failed != 2 || ok["license.created"] != 1 || ok["activation.created"] != 1 {
			t.Errorf("webhook deliveries listed %+v; want 2 failed attempts and one accepted of each event", attempts)
		}
		if local := runOK(t, with(where, "webhook", "deliveries", "-id", wh.ID)...); local != runOK(t, append([]string{"webhook", "deliveries", "-id", wh.ID}, remote...)...) {
			t.Errorf("webhook deliveries printed differently locally and through the API")
		}

		after := waitMetric(t, s.base, `licgate_webhook_deliveries_total{result="delivered"}`, before[`licgate_webhook_deliveries_total{result="delivered"}`]+2)
		for result, want := range map[string]float64{"delivered": 2, "retry": 2, "failed": 0} {
			k := `licgate_webhook_deliveries_total{result="` + result + `"}`
			if _, shown := before[k]; !shown {
				t.Errorf("%s was not shown before the first delivery", k)
			}
			if got := after[k] - before[k]; got != want {
				t.Errorf("%s moved by %v, want %v", k, got, want)
			}
		}

		var deleted, listed []map[string]any
		cli(t, &listed, with(where, "webhook", "list")...)
		var del map[string]any
		cli(t, &del, append([]string{"webhook", "delete", "-id", wh.ID}, remote...)...)
		cli(t, &deleted, with(where, "webhook", "list")...)
		if len(listed) != 1 || listed[0]["id"] != wh.ID || listed[0]["secret"] != nil || del["id"] != wh.ID || len(deleted) != 0 {
			t.Errorf("webhook list printed %v, delete %v, then list %v", listed, del, deleted)
		}
	})
}

// TestWebhookAfterRestart changes a license while the receiver is down,
// stops the server before the event is delivered, and starts another on
// the same data once the receiver is up: it delivers the event.
func TestWebhookAfterRestart(t *testing.T) {
	forEachStore(t, func(t *testing.T, where []string) {
		addr := freeAddr(t) // nothing listens there yet
		first := launch(t, with(where, "-demo=false", "-webhook-retries", "2s")...)
		cli(t, new(license.Product), with(where, "product", "add", "-id", "app", "-name", "App")...)
		shop := newAdminToken(t, where, "shop", "admin")
		var wh struct{ ID, Secret string }
		cli(t, &wh, with(where, "webhook", "add", "-url", "http://"+addr+"/hook")...)
		a := apiCall{method: "POST", url: first.base + "/admin/v1/licenses", token: shop, body: `{"productId": "app"}`}.do(t)
		if a.status != 201 {
			t.Fatalf("POST /admin/v1/licenses: %d %s", a.status, a.body)
		}
		// The first attempt fails at once (nothing listens), and the next
		// is 2s away: stop the server before it.
		deadline := time.Now().Add(10 * time.Second)
		var attempts []license.Attempt
		for len(attempts) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("no attempt was made")
			}
			time.Sleep(20 * time.Millisecond)
			cli(t, &attempts, with(where, "webhook", "deliveries", "-id", wh.ID)...)
		}
		first.stop()
		if len(attempts) != 1 || attempts[0].OK || attempts[0].StatusCode != 0 || attempts[0].Error == "" {
			t.Fatalf("attempts while the receiver was down: %+v", attempts)
		}

		rc := &receiver{secret: wh.Secret, accepted: map[string]string{}}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		hook := httptest.NewUnstartedServer(rc)
		hook.Listener.Close()
		hook.Listener = ln
		hook.Start()
		defer hook.Close()
		launch(t, with(where, "-demo=false", "-webhook-retries", "2s")...)
		rc.waitTypes(t, map[string]int{"license.created": 1})
		cli(t, &attempts, with(where, "webhook", "deliveries", "-id", wh.ID)...)
		if len(attempts) != 2 || !attempts[1].OK || attempts[1].Number != 2 {
			t.Errorf("attempts after the restart: %+v", attempts)
		}
	})
}

// TestAdminAddr serves the admin API on a listener of its own: it answers
// there, and is not found on the main listener.
func TestAdminAddr(t *testing.T) {
	data := t.TempDir()
	adminAddr := freeAddr(t)
	s := launch(t, "-data", data, "-demo=false", "-admin-addr", adminAddr)
	shop := newAdminToken(t, []string{"-data", data}, "shop", "admin")
	adminBase := "http://" + adminAddr
	for _, tt := range []struct {
		name string
		call apiCall
		want int
	}{
		{"the document on the admin listener", apiCall{method: "GET", url: adminBase + "/admin/v1/openapi.json"}, 200},
		{"products on the admin listener", apiCall{method: "GET", url: adminBase + "/admin/v1/products", token: shop}, 200},
		{"the document on the main listener", apiCall{method: "GET", url: s.base + "/admin/v1/openapi.json"}, 404},
		{"products on the main listener", apiCall{method: "GET", url: s.base + "/admin/v1/products", token: shop}, 404},
		{"QLM on the admin listener", apiCall{method: "GET", url: adminBase + "/qlm/qlmservice.asmx/PingHttp"}, 404},
		{"health on the admin listener", apiCall{method: "GET", url: adminBase + "/healthz"}, 404},
		{"QLM on the main listener", apiCall{method: "GET", url: s.base + "/qlm/qlmservice.asmx/PingHttp"}, 200},
	} {
		if a := tt.call.do(t); a.status != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, a.status, a.body, tt.want)
		}
	}
	var ps []license.Product
	cli(t, &ps, "product", "list", "-server", adminBase, "-token", shop)
	m := scrape(t, s.base)
	if m[`licgate_http_request_duration_seconds_count{code="200",route="GET /admin/v1/products"}`] != 2 {
		t.Errorf("the admin listener's requests are not measured by route")
	}

	// A taken -admin-addr fails the start before anything is written.
	root := t.TempDir()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"serve", "-addr", freeAddr(t), "-admin-addr", adminAddr, "-data", root + "/data"}, &out, &errOut)
	if code == 0 || out.Len() > 0 || !strings.Contains(errOut.String(), adminAddr) {
		t.Errorf("serve with a taken -admin-addr: exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	if got := tree(t, root); len(got) != 1 {
		t.Errorf("a server that could not bind -admin-addr wrote %q", got)
	}
}

// TestRemoteCLIMatchesLocal runs every admin command through the admin
// API of a server on another data directory, from a directory without a
// database, and on that server's database: they print the same JSON.
func TestRemoteCLIMatchesLocal(t *testing.T) {
	data := t.TempDir()
	local := []string{"-data", data}
	s := launch(t, "-data", data, "-demo=false")
	shop := newAdminToken(t, local, "shop", "admin")
	// The remote CLI runs elsewhere: its ./licgate-data holds nothing.
	elsewhere := t.TempDir()
	t.Chdir(elsewhere)
	t.Setenv("LICGATE_SERVER", "http://127.0.0.1:1") // the flags win
	remote := []string{"-server", s.base, "-token", shop}
	loc := func(args ...string) string { t.Helper(); return runOK(t, append(args, local...)...) }
	rem := func(args ...string) string { t.Helper(); return runOK(t, append(args, remote...)...) }
	decode := func(out string) any {
		t.Helper()
		var v any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		return v
	}
	// sameShape checks that two objects have the same members, and the
	// same values in those that must not differ.
	sameShape := func(what, a, b string, equal ...string) map[string]any {
		t.Helper()
		ma, _ := decode(a).(map[string]any)
		mb, _ := decode(b).(map[string]any)
		ka, kb := slices.Sorted(maps.Keys(ma)), slices.Sorted(maps.Keys(mb))
		if len(ka) == 0 || !slices.Equal(ka, kb) {
			t.Errorf("%s printed the members %v locally and %v through the API", what, ka, kb)
		}
		for _, k := range equal {
			if !equalJSON(ma[k], mb[k]) {
				t.Errorf("%s printed %s %v locally and %v through the API", what, k, ma[k], mb[k])
			}
		}
		return mb
	}
	same := func(args ...string) string {
		t.Helper()
		l, r := loc(args...), rem(args...)
		if l != r {
			t.Errorf("licgate %s printed\n%s\nlocally and\n%s\nthrough the API", strings.Join(args, " "), l, r)
		}
		return r
	}

	sameShape("product add", loc("product", "add", "-id", "loc", "-name", "Local", "-major", "2"),
		rem("product", "add", "-id", "rem", "-name", "Remote", "-major", "2"), "major", "minor")
	sameShape("product add -signature", loc("product", "add", "-id", "loc256", "-name", "L", "-signature", "rsa-sha256"),
		rem("product", "add", "-id", "rem256", "-name", "R", "-signature", "rsa-sha256"), "signatureAlgorithm")
	same("product", "list")
	for _, f := range []string{"json", "pem", "xml"} {
		same("product", "key", "-id", "rem", "-format", f)
		same("product", "key", "-id", "loc256", "-format", f)
	}

	licA := sameShape("license add", loc("license", "add", "-product", "loc", "-email", "a@example.com", "-seats", "2", "-expires", "2099-12-31", "-features", "x,y"),
		rem("license", "add", "-product", "loc", "-email", "b@example.com", "-seats", "2", "-expires", "2099-12-31", "-features", "x,y"),
		"productId", "seats", "seatsHeld", "expiresAt", "features", "status")
	licB := sameShape("license add", loc("license", "add", "-product", "rem", "-name", "Bo"), rem("license", "add", "-product", "rem", "-name", "Bo"),
		"productId", "name", "seats", "status")
	idA, _ := licA["id"].(string)
	idB, _ := licB["id"].(string)
	keyA, _ := licA["key"].(string)
	same("license", "list")
	same("license", "list", "-product", "loc")

	sameShape("license update", loc("license", "update", "-id", idA, "-seats", "3", "-expires", "2098-01-31", "-features", "z"),
		rem("license", "update", "-id", idA, "-seats", "3", "-expires", "2098-01-31", "-features", "z"), "id", "seats", "expiresAt", "features")
	cleared := sameShape("license update -expires never", loc("license", "update", "-id", idA, "-expires", "never", "-features", ""),
		rem("license", "update", "-id", idA, "-expires", "never", "-features", ""), "id", "expiresAt", "features")
	if cleared["expiresAt"] != nil || cleared["features"] != nil {
		t.Errorf("license update -expires never -features '' left %v", cleared)
	}
	for _, verb := range []string{"suspend", "resume", "revoke"} {
		l := sameShape("license "+verb, loc("license", verb, "-id", idB), rem("license", verb, "-id", idB), "id", "status")
		if want := map[string]string{"suspend": "suspended", "resume": "active", "revoke": "revoked"}[verb]; l["status"] != want {
			t.Errorf("license %s printed the status %v", verb, l["status"])
		}
	}

	for _, pc := range []string{"PC-1", "PC-2", "PC-3"} {
		if r := get(t, s.base+"/qlm/qlmservice.asmx/ValidateLicenseHttp?is_pcid="+pc+"&is_avkey="+url.QueryEscape(keyA)); r.Error != "" {
			t.Fatal(r.Error)
		}
	}
	same("activation", "list")
	acts, _ := decode(same("activation", "list", "-license", idA)).([]any)
	if len(acts) != 3 {
		t.Fatalf("activation list printed %d activations, want 3", len(acts))
	}
	aid := func(i int) string { a, _ := acts[i].(map[string]any); s, _ := a["aid"].(string); return s }
	sameShape("activation revoke", loc("activation", "revoke", "-aid", aid(0)), rem("activation", "revoke", "-aid", aid(1)), "licenseId", "status")

	whURL := "https://hooks.example.com/licgate"
	sameShape("webhook add", loc("webhook", "add", "-url", whURL), rem("webhook", "add", "-url", whURL), "url")
	hooks, _ := decode(same("webhook", "list")).([]any)
	if len(hooks) != 2 {
		t.Fatalf("webhook list printed %v", hooks)
	}
	hookID := func(i int) string { h, _ := hooks[i].(map[string]any); s, _ := h["id"].(string); return s }
	same("webhook", "deliveries", "-id", hookID(0))
	sameShape("webhook delete", loc("webhook", "delete", "-id", hookID(0)), rem("webhook", "delete", "-id", hookID(1)), "url")
	same("webhook", "list")
	same("audit", "list")

	// Refusals read the same, and what the API cannot do is refused.
	ghost := "00000000-0000-4000-8000-000000000000"
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"license", "suspend", "-id", ghost}, `license "` + ghost + `" does not exist`},
		{[]string{"license", "list", "-product", "ghost"}, `product "ghost" does not exist`},
		{[]string{"license", "add", "-product", "ghost"}, `product "ghost" does not exist`},
		{[]string{"activation", "list", "-license", ghost}, `license "` + ghost + `" does not exist`},
		{[]string{"activation", "revoke", "-aid", ghost}, `activation "` + ghost + `" does not exist`},
		{[]string{"webhook", "delete", "-id", ghost}, `webhook "` + ghost + `" does not exist`},
		{[]string{"license", "resume", "-id", idB}, "revoked"},
		{[]string{"webhook", "add", "-url", "ftp://example.com/"}, "http or https"},
	} {
		for _, flags := range [][]string{local, remote} {
			args := append(append([]string{}, tt.args...), flags...)
			code, out, errOut := runCLIIn(args...)
			if code != 1 || out != "" || !strings.Contains(errOut, tt.want) || strings.Contains(errOut, "admin:") {
				t.Errorf("licgate %s: exit %d, stdout %q, stderr %q; want a failure saying %q", strings.Join(args, " "), code, out, errOut, tt.want)
			}
		}
	}
	for _, tt := range []struct {
		args []string
		want string
		code int
	}{
		{append([]string{"product", "set-signature", "-id", "rem", "-signature", "rsa-sha256"}, remote...), "needs the local database", 1},
		{append([]string{"product", "add", "-id", "k", "-name", "K", "-rsa-key", "key.pem"}, remote...), "needs the local database", 1},
		{[]string{"product", "list", "-server", s.base}, "-token", 2},
		{[]string{"product", "list", "-server", s.base, "-token", shop, "-data", data}, "-data", 2},
		{[]string{"product", "list", "-server", s.base, "-token", "lgt_nope"}, "admin token is not valid", 1},
		{[]string{"product", "list", "-server", "not a URL", "-token", shop}, "-server", 2},
	} {
		code, out, errOut := runCLIIn(tt.args...)
		if code != tt.code || out != "" || !strings.Contains(errOut, tt.want) {
			t.Errorf("licgate %s: exit %d, stdout %q, stderr %q; want exit %d saying %q", strings.Join(tt.args, " "), code, out, errOut, tt.code, tt.want)
		}
	}

	// LICGATE_SERVER and LICGATE_TOKEN stand for the flags.
	t.Setenv("LICGATE_SERVER", s.base)
	t.Setenv("LICGATE_TOKEN", shop)
	if got := runOK(t, "product", "list"); got != loc("product", "list") {
		t.Errorf("product list with LICGATE_SERVER and LICGATE_TOKEN printed %s", got)
	}
	if got := tree(t, elsewhere); len(got) != 1 {
		t.Errorf("the remote CLI wrote %q", got)
	}
}

// equalJSON reports whether two decoded JSON values are equal.
func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestUnderPrefix checks the route names of the admin API's patterns.
func TestUnderPrefix(t *testing.T) {
	t.Parallel()
	tests := []struct{ pattern, want string }{
		{"GET /licenses/{id}", "GET /admin/v1/licenses/{id}"},
		{"POST /licenses", "POST /admin/v1/licenses"},
		{"/licenses/{id}", "/admin/v1/licenses/{id}"},
		{"/", "/admin/v1/"},
	}
	for _, tt := range tests {
		if got := underPrefix(tt.pattern); got != tt.want {
			t.Errorf("underPrefix(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}
