package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// smallPool is the -db-max-open of the servers of the parallel tests:
// together they stay well below PostgreSQL's 100 connections.
const smallPool = "6"

// leaseAnswer is the answer of POST /v1/leases and of a heartbeat.
type leaseAnswer struct {
	ID             string    `json:"id"`
	ExpiresAt      time.Time `json:"expiresAt"`
	Token          string    `json:"token"`
	TokenExpiresAt time.Time `json:"tokenExpiresAt"`
}

// problemAnswer is a problem document of the JSON protocol.
type problemAnswer struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Reason string `json:"reason"`
}

// leaser speaks the lease routes of the server at base.
type leaser struct {
	t    *testing.T
	base string
}

// take asks for a lease of the license of key for instance.
func (c leaser) take(key, instance string) (int, leaseAnswer, problemAnswer) {
	c.t.Helper()
	body, _ := json.Marshal(map[string]string{"key": key, "instance": instance})
	return c.decode(apiCall{method: "POST", url: c.base + "/v1/leases", body: string(body)}.do(c.t))
}

// heartbeat renews the lease with its token.
func (c leaser) heartbeat(l leaseAnswer) (int, leaseAnswer, problemAnswer) {
	c.t.Helper()
	return c.decode(apiCall{method: "POST", url: c.base + "/v1/leases/" + l.ID + "/heartbeat", token: l.Token}.do(c.t))
}

// give gives the lease back.
func (c leaser) give(l leaseAnswer) int {
	c.t.Helper()
	return apiCall{method: "DELETE", url: c.base + "/v1/leases/" + l.ID, token: l.Token}.do(c.t).status
}

// decode reads a lease or a problem document, as the status says.
func (c leaser) decode(a apiAnswer) (int, leaseAnswer, problemAnswer) {
	c.t.Helper()
	var l leaseAnswer
	var p problemAnswer
	switch ct := a.header.Get("Content-Type"); {
	case a.status < 300 && ct == "application/json":
		if err := json.Unmarshal(a.body, &l); err != nil {
			c.t.Fatalf("%d %s: %v", a.status, a.body, err)
		}
	case a.status >= 400 && ct == "application/problem+json":
		if err := json.Unmarshal(a.body, &p); err != nil || p.Status != a.status || p.Type != "urn:licgate:problem:"+p.Reason || p.Detail == "" {
			c.t.Fatalf("not a problem document: %d %s: %v", a.status, a.body, err)
		}
	default:
		c.t.Fatalf("answer %d %s: %s", a.status, ct, a.body)
	}
	return a.status, l, p
}

// gateCall calls the gated /demo/hello with token and returns the
// status and the reason of a refusal.
func gateCall(t *testing.T, base, token string) (int, string) {
	t.Helper()
	a := apiCall{method: "GET", url: base + "/demo/hello", token: token}.do(t)
	var p problemAnswer
	json.Unmarshal(a.body, &p)
	return a.status, p.Reason
}

// waitGate waits until the gate answers token with want and reason, for
// at most within, and fails the test otherwise.
func waitGate(t *testing.T, base, token string, want int, reason string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		code, got := gateCall(t, base, token)
		if code == want && got == reason {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/demo/hello: %d %q, want %d %q within %v", code, got, want, reason, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFloatingLeases follows a 2-seat floating license made by the CLI
// through licgate serve: three instances lease it over HTTP, one gives
// its seat back, one stops its heartbeats and loses its seat when its
// 10-second lease runs out, and the gate of /demo/hello (state TTL 1 s)
// lets their tokens through while the leases live and refuses them, each
// with its reason, once they ended.
func TestFloatingLeases(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, where []string) {
		t.Parallel()
		s := launch(t, with(where, "-demo=false", "-db-max-open", smallPool, "-gate-ttl", "1s")...)
		cli(t, new(license.Product), with(where, "product", "add", "-id", "farm", "-name", "Build Farm")...)
		var l license.License
		cli(t, &l, with(where, "license", "add", "-product", "farm", "-floating", "-seats", "2", "-lease-ttl", "10s")...)
		if !l.Floating || l.LeaseSeconds != 10 || l.Seats != 2 {
			t.Fatalf("license add -floating printed %+v", l)
		}
		c := leaser{t, s.base}

		// b first: the test waits for its end.
		st, b, _ := c.take(l.Key, "agent-b")
		if st != 201 || b.Token == "" || time.Until(b.ExpiresAt) > 10*time.Second || time.Until(b.ExpiresAt) < 8*time.Second {
			t.Fatalf("lease b: %d %+v", st, b)
		}
		st, a, _ := c.take(l.Key, "agent-a")
		if st != 201 {
			t.Fatalf("lease a: %d", st)
		}
		st, _, p := c.take(l.Key, "agent-c")
		if st != 409 || p.Reason != "no_seats" || p.Title != "No seats left" {
			t.Fatalf("a third instance of a 2-seat license: %d %+v, want 409 no_seats", st, p)
		}
		if st, again, _ := c.take(l.Key, "agent-a"); st != 200 || again.ID != a.ID {
			t.Fatalf("agent-a again: %d %s, want 200 and its lease %s", st, again.ID, a.ID)
		}
		for _, x := range []leaseAnswer{a, b} {
			if code, reason := gateCall(t, s.base, x.Token); code != 200 {
				t.Fatalf("/demo/hello with a live lease's token: %d %s", code, reason)
			}
		}

		// a gives its seat back; c takes it.
		if st := c.give(a); st != 204 {
			t.Fatalf("DELETE /v1/leases/%s: %d, want 204", a.ID, st)
		}
		waitGate(t, s.base, a.Token, 403, "activation_released", 2*time.Second)
		if st, _, p := c.heartbeat(a); st != 409 || p.Reason != "activation_released" {
			t.Fatalf("a heartbeat of a lease given back: %d %+v", st, p)
		}
		st, cl, _ := c.take(l.Key, "agent-c")
		if st != 201 {
			t.Fatalf("agent-c after a gave its seat back: %d", st)
		}

		// b stops its heartbeats; c keeps them up.
		for time.Now().Before(b.ExpiresAt.Add(300 * time.Millisecond)) {
			if st, hb, p := c.heartbeat(cl); st != 200 || hb.ID != cl.ID || !hb.ExpiresAt.After(cl.ExpiresAt.Add(-time.Second)) {
				t.Fatalf("heartbeat of c: %d %+v %+v", st, hb, p)
			}
			time.Sleep(min(2*time.Second, time.Until(b.ExpiresAt.Add(300*time.Millisecond))))
		}
		if st, _, p := c.heartbeat(b); st != 409 || p.Reason != "lease_expired" {
			t.Fatalf("a heartbeat after the lease ran out: %d %+v, want 409 lease_expired", st, p)
		}
		waitGate(t, s.base, b.Token, 403, "lease_expired", 2*time.Second)
		if st, d, _ := c.take(l.Key, "agent-d"); st != 201 || d.ID == b.ID {
			t.Fatalf("agent-d after b's lease ran out: %d", st)
		}
		if st, _, p := c.take(l.Key, "agent-e"); st != 409 || p.Reason != "no_seats" {
			t.Fatalf("agent-e with c and d leasing: %d %+v", st, p)
		}
		if st, _, _ := c.heartbeat(cl); st != 200 {
			t.Fatalf("heartbeat of c at the end: %d", st)
		}
		if code, _ := gateCall(t, s.base, cl.Token); code != 200 {
			t.Fatalf("/demo/hello with c's token: %d", code)
		}

		var acts []license.Activation
		cli(t, &acts, with(where, "activation", "list", "-license", l.ID)...)
		active := map[string]bool{}
		for _, x := range acts {
			if x.Status == license.StatusActive {
				active[x.ComputerID] = true
			}
		}
		if len(acts) != 4 || len(active) != 2 || !active["agent-c"] || !active["agent-d"] {
			t.Fatalf("activation list: %d leases, active %v; want 4, agent-c and agent-d", len(acts), active)
		}

		// The histogram names the routes by their patterns, never by a
		// lease's ID.
		m := scrape(t, s.base)
		for _, k := range []string{
			`licgate_http_request_duration_seconds_count{code="201",route="POST /v1/leases"}`,
			`licgate_http_request_duration_seconds_count{code="409",route="POST /v1/leases"}`,
			`licgate_http_request_duration_seconds_count{code="200",route="POST /v1/leases/{id}/heartbeat"}`,
			`licgate_http_request_duration_seconds_count{code="409",route="POST /v1/leases/{id}/heartbeat"}`,
			`licgate_http_request_duration_seconds_count{code="204",route="DELETE /v1/leases/{id}"}`,
		} {
			if m[k] < 1 {
				t.Errorf("%s is %v, want at least 1", k, m[k])
			}
		}
		for k := range m {
			if strings.Contains(k, a.ID) || strings.Contains(k, b.ID) || strings.Contains(k, cl.ID) {
				t.Errorf("a lease ID became a label: %s", k)
			}
		}
	})
}

// TestFloatingCLI makes and changes floating licenses with the CLI, on
// the database and through the admin API, and checks its refusals.
func TestFloatingCLI(t *testing.T) {
	t.Parallel()
	where := []string{"-data", t.TempDir()}
	s := launch(t, with(where, "-demo=false", "-db-max-open", smallPool)...)
	cli(t, new(license.Product), with(where, "product", "add", "-id", "farm", "-name", "Build Farm")...)
	tok := newAdminToken(t, where, "ops", "admin")
	remote := []string{"-server", s.base, "-token", tok}

	var def, fixed license.License
	cli(t, &def, with(remote, "license", "add", "-product", "farm", "-floating", "-seats", "3")...)
	if !def.Floating || def.LeaseSeconds != 900 || def.Seats != 3 {
		t.Fatalf("license add -floating -server printed %+v; want floating, 900 s, 3 seats", def)
	}
	var got license.License
	cli(t, &got, with(remote, "license", "add", "-product", "farm", "-floating", "-lease-ttl", "2m")...)
	if !got.Floating || got.LeaseSeconds != 120 {
		t.Fatalf("license add -floating -lease-ttl 2m -server printed %+v", got)
	}
	cli(t, &got, with(remote, "license", "update", "-id", def.ID, "-lease-ttl", "30s")...)
	if got.LeaseSeconds != 30 || !got.Floating {
		t.Fatalf("license update -lease-ttl 30s -server printed %+v", got)
	}
	cli(t, &got, with(where, "license", "update", "-id", def.ID, "-lease-ttl", "1h", "-seats", "4")...)
	if got.LeaseSeconds != 3600 || got.Seats != 4 || !got.Floating {
		t.Fatalf("license update -lease-ttl 1h printed %+v", got)
	}
	var list []license.License
	cli(t, &list, with(remote, "license", "list", "-product", "farm")...)
	if len(list) != 2 || list[0].LeaseSeconds+list[1].LeaseSeconds != 3600+120 {
		t.Fatalf("license list -server: %+v", list)
	}
	cli(t, &fixed, with(where, "license", "add", "-product", "farm")...)

	for _, tt := range []struct {
		args     []string
		wantCode int
		want     string
	}{
		{with(where, "license", "add", "-product", "farm", "-lease-ttl", "1m"), 2, "-lease-ttl goes with -floating"},
		{with(where, "license", "add", "-product", "farm", "-floating", "-lease-ttl", "5s"), 2, "-lease-ttl must be whole seconds from 10s to 168h0m0s"},
		{with(where, "license", "add", "-product", "farm", "-floating", "-lease-ttl", "10500ms"), 2, "whole seconds"},
		{with(where, "license", "update", "-id", def.ID, "-lease-ttl", "soon"), 2, "not a duration"},
		{with(where, "license", "update", "-id", def.ID, "-lease-ttl", "200h"), 2, "-lease-ttl must be"},
		{with(where, "license", "update", "-id", fixed.ID, "-lease-ttl", "1m"), 1, "only a floating license has a lease TTL"},
		{with(remote, "license", "update", "-id", fixed.ID, "-lease-ttl", "1m"), 1, "only a floating license has a lease TTL"},
		{with(remote, "license", "add", "-product", "farm", "-lease-ttl", "1m"), 2, "-lease-ttl goes with -floating"},
	} {
		code, out, errOut := runCLIIn(tt.args...)
		if code != tt.wantCode || out != "" || !strings.Contains(errOut, tt.want) {
			t.Errorf("licgate %s: exit %d, stdout %q, stderr %q; want exit %d saying %q", strings.Join(tt.args, " "), code, out, errOut, tt.wantCode, tt.want)
		}
	}
}

// TestFloatingConcurrent sends 50 lease requests at once for a 5-seat
// floating license through licgate serve: exactly 5 are granted, on
// SQLite and on PostgreSQL.
func TestFloatingConcurrent(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, where []string) {
		t.Parallel()
		s := launch(t, with(where, "-demo=false", "-db-max-open", smallPool)...)
		cli(t, new(license.Product), with(where, "product", "add", "-id", "farm", "-name", "Build Farm")...)
		var l license.License
		cli(t, &l, with(where, "license", "add", "-product", "farm", "-floating", "-seats", "5", "-lease-ttl", "5m")...)
		granted, refused := leaseRace(t, []string{s.base}, l.Key, 50)
		if granted != 5 || refused != 45 {
			t.Fatalf("50 concurrent lease requests on 5 seats: %d granted, %d refused no_seats; want 5 and 45", granted, refused)
		}
		var ls []license.License
		cli(t, &ls, with(where, "license", "list", "-product", "farm")...)
		if len(ls) != 1 || ls[0].SeatsHeld != 5 {
			t.Fatalf("after the race the license holds %d seats, want 5", ls[0].SeatsHeld)
		}
	})
}

// leaseRace sends n lease requests at once, each for a new instance,
// spread over the servers, and counts the 201s and the 409 no_seats; any
// other answer fails the test.
func leaseRace(t *testing.T, bases []string, key string, n int) (granted, refused int) {
	t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
		other []string
	)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	for i := range n {
		wg.Go(func() {
			body := fmt.Sprintf(`{"key":%q,"instance":"worker-%d"}`, key, i)
			<-start
			resp, err := hc.Post(bases[i%len(bases)]+"/v1/leases", "application/json", strings.NewReader(body))
			if err != nil {
				mu.Lock()
				other = append(other, err.Error())
				mu.Unlock()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case resp.StatusCode == 201:
				granted++
			case resp.StatusCode == 409 && bytes.Contains(b, []byte(`"reason":"no_seats"`)):
				refused++
			default:
				other = append(other, fmt.Sprintf("%d %s", resp.StatusCode, b))
			}
		})
	}
	close(start)
	wg.Wait()
	if len(other) > 0 {
		t.Fatalf("%d of %d lease requests got another answer: %q", len(other), n, other[:min(3, len(other))])
	}
	return granted, refused
}

// TestFloatingReplicas runs two licgate serve on one database, two
// processes on one SQLite file or two on one PostgreSQL schema, and
// leases one floating license through both at once: never more than its
// seats in total, and a seat given back on one is taken on the other.
func TestFloatingReplicas(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, where []string) {
		t.Parallel()
		s1 := launch(t, with(where, "-demo=false", "-db-max-open", smallPool)...)
		s2 := launch(t, with(where, "-demo=false", "-db-max-open", smallPool)...)
		cli(t, new(license.Product), with(where, "product", "add", "-id", "farm", "-name", "Build Farm")...)
		var l license.License
		cli(t, &l, with(where, "license", "add", "-product", "farm", "-floating", "-seats", "3", "-lease-ttl", "5m")...)
		granted, refused := leaseRace(t, []string{s1.base, s2.base}, l.Key, 40)
		if granted != 3 || refused != 37 {
			t.Fatalf("40 lease requests through two replicas on 3 seats: %d granted, %d refused; want 3 and 37", granted, refused)
		}
		c1, c2 := leaser{t, s1.base}, leaser{t, s2.base}
		if st, _, p := c2.take(l.Key, "late"); st != 409 || p.Reason != "no_seats" {
			t.Fatalf("a fourth lease on replica 2: %d %+v", st, p)
		}
		// A lease taken again on the other replica is the same lease.
		var acts []license.Activation
		cli(t, &acts, with(where, "activation", "list", "-license", l.ID)...)
		if len(acts) != 3 {
			t.Fatalf("the license holds %d leases, want 3", len(acts))
		}
		holder := acts[0].ComputerID
		st, h1, _ := c1.take(l.Key, holder)
		st2, h2, _ := c2.take(l.Key, holder)
		if st != 200 || st2 != 200 || h1.ID != acts[0].AID || h2.ID != acts[0].AID {
			t.Fatalf("the holder %s again on both replicas: %d %s, %d %s; want 200 and %s", holder, st, h1.ID, st2, h2.ID, acts[0].AID)
		}
		// Given back on replica 1 (with the token replica 2 issued), its
		// seat is taken on replica 2, and then none is left on either.
		if st := c1.give(h2); st != 204 {
			t.Fatalf("DELETE on replica 1: %d", st)
		}
		if st, _, _ := c2.take(l.Key, "late"); st != 201 {
			t.Fatalf("the freed seat on replica 2: %d", st)
		}
		for _, c := range []leaser{c1, c2} {
			if st, _, p := c.take(l.Key, "later"); st != 409 || p.Reason != "no_seats" {
				t.Fatalf("a fourth lease on %s: %d %+v", c.base, st, p)
			}
		}
		var ls []license.License
		cli(t, &ls, with(where, "license", "list", "-product", "farm")...)
		if ls[0].SeatsHeld != 3 {
			t.Fatalf("the license holds %d seats, want 3", ls[0].SeatsHeld)
		}
	})
}

// TestDemoFloating starts with the demo data: the banner prints the key
// of a floating demo license, which leases, and says how to get the key
// IDs to pin.
func TestDemoFloating(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	s := launchOut(t, &out, "-data", t.TempDir())
	banner := out.String()
	m := regexp.MustCompile(`floating key: +(\S+)`).FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("the banner names no floating key:\n%s", banner)
	}
	for _, want := range []string{s.base + "/.well-known/jwks.json", "licgate keys -server " + s.base, s.base + "/v1/leases", s.base + "/offline", "licgate offline request -key "} {
		if !strings.Contains(banner, want) {
			t.Errorf("the banner does not say %q:\n%s", want, banner)
		}
	}
	c := leaser{t, s.base}
	st, a, _ := c.take(m[1], "demo-1")
	if st != 201 || time.Until(a.ExpiresAt) > time.Minute || time.Until(a.ExpiresAt) < 50*time.Second {
		t.Fatalf("a lease of the demo floating license: %d, ends in %v; want 201, 1m", st, time.Until(a.ExpiresAt))
	}
	c.take(m[1], "demo-2")
	if st, _, p := c.take(m[1], "demo-3"); st != 409 || p.Reason != "no_seats" {
		t.Fatalf("a third lease of the 2-seat demo license: %d %+v", st, p)
	}
	if code, _ := gateCall(t, s.base, a.Token); code != 200 {
		t.Fatalf("/demo/hello with the demo lease's token: %d", code)
	}
}

// TestSweepEndsLeases checks that the janitor's sweep ends the leases
// that ran out, so that lists show them released, with a clock instead
// of waiting.
func TestSweepEndsLeases(t *testing.T) {
	data := newData(t)
	sf := storeFlags{data: data}
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	ctx := context.Background()
	svc, done, err := sf.service(ctx, license.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if _, err := svc.CreateProduct(ctx, license.Product{ID: "farm", Name: "Farm"}); err != nil {
		t.Fatal(err)
	}
	l, err := svc.CreateLicense(ctx, license.NewLicense{ProductID: "farm", Seats: 2, Floating: true, LeaseTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for _, inst := range []string{"a", "b"} {
		if _, err := svc.TakeLease(ctx, license.LeaseRequest{LicenseID: l.ID, Instance: inst}); err != nil {
			t.Fatal(err)
		}
	}
	logger := slog.New(slog.DiscardHandler)
	sweep(ctx, svc, logger)
	if got, _ := svc.License(ctx, l.ID); got.SeatsHeld != 2 {
		t.Fatalf("a sweep before the leases ran out: %d seats held, want 2", got.SeatsHeld)
	}
	mu.Lock()
	now = now.Add(time.Minute + time.Second)
	mu.Unlock()
	sweep(ctx, svc, logger)
	got, err := svc.License(ctx, l.ID)
	if err != nil || got.SeatsHeld != 0 {
		t.Fatalf("after the leases ran out and a sweep: %d seats held (%v), want 0", got.SeatsHeld, err)
	}
	acts, err := svc.Activations(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		if a.Status != license.StatusReleased {
			t.Errorf("lease %s is %s after the sweep, want released", a.ComputerID, a.Status)
		}
	}
}
