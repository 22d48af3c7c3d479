package webhook_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/license/sqlstore"
	"github.com/licgate/licgate/license/webhook"

	_ "modernc.org/sqlite"
)

// t0 is when the test events happen.
var t0 = time.Date(2026, 5, 6, 7, 8, 9, 123456000, time.UTC)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// lockedBuffer is a log sink safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// recorder is a store that reports claims and finished deliveries.
type recorder struct {
	license.Store
	claims   chan struct{}
	finishes chan license.DeliveryResult
}

var _ license.Store = (*recorder)(nil)

func newRecorder(st license.Store) *recorder {
	return &recorder{Store: st, claims: make(chan struct{}, 1), finishes: make(chan license.DeliveryResult, 100)}
}

func (r *recorder) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]license.Delivery, error) {
	ds, err := r.Store.ClaimDeliveries(ctx, now, lease, limit)
	select {
	case r.claims <- struct{}{}:
	default:
	}
	return ds, err
}

func (r *recorder) FinishDelivery(ctx context.Context, d license.Delivery, res license.DeliveryResult) error {
	err := r.Store.FinishDelivery(ctx, d, res)
	r.finishes <- res
	return err
}

// next waits for the next finished delivery.
func (r *recorder) next(t *testing.T) license.DeliveryResult {
	t.Helper()
	select {
	case res := <-r.finishes:
		return res
	case <-time.After(10 * time.Second):
		t.Fatal("no attempt finished")
		return license.DeliveryResult{}
	}
}

// message is a request a receiver got.
type message struct {
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint answering with status(n) to its n-th
// message (from 1).
type receiver struct {
	srv      *httptest.Server
	status   func(n int) int
	mu       sync.Mutex
	messages []message
	got      chan message
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	t.Helper()
	rc := &receiver{status: status, got: make(chan message, 1000)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := message{header: r.Header.Clone(), body: body}
		rc.mu.Lock()
		rc.messages = append(rc.messages, m)
		n := len(rc.messages)
		rc.mu.Unlock()
		rc.got <- m
		w.WriteHeader(rc.status(n))
		_, _ = io.WriteString(w, strings.Repeat("x", 100<<10)) // more than is read
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) all() []message {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]message(nil), rc.messages...)
}

func always(code int) func(int) int { return func(int) int { return code } }

// newStore returns a store with one webhook at url.
func newStore(t *testing.T, url string) (*memstore.Store, license.Webhook) {
	t.Helper()
	st := memstore.New()
	return st, addWebhook(t, st, url)
}

// addWebhook adds a webhook at url to st.
func addWebhook(t *testing.T, st license.Store, url string) license.Webhook {
	t.Helper()
	secret, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	w := license.Webhook{ID: newID(t, t0), URL: url, Secret: secret, CreatedAt: t0.Add(-time.Hour)}
	e := license.Event{ID: newID(t, w.CreatedAt), At: w.CreatedAt, Type: license.EventWebhookCreated,
		Actor: license.Actor{}, Target: "webhook/" + w.ID, Outcome: "ok"}
	if err := st.CreateWebhook(context.Background(), w, e); err != nil {
		t.Fatal(err)
	}
	return w
}

func newID(t *testing.T, at time.Time) string {
	t.Helper()
	id, err := license.NewTimeUUID(at)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// record records a webhook event at at.
func record(t *testing.T, st license.Store, at time.Time) license.Event {
	t.Helper()
	id := newID(t, at)
	e := license.Event{ID: id, At: at, Type: license.EventLicenseCreated, Target: "license/" + id, Outcome: "ok",
		Data: json.RawMessage(`{"id":"` + id + `","seats":3}`)}
	if err := st.Record(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

// newDispatcher returns a dispatcher of st or fails the test.
func newDispatcher(t *testing.T, st license.Store, opts ...webhook.Option) *webhook.Dispatcher {
	t.Helper()
	d, err := webhook.New(st, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// run runs d until the test ends, and checks that Run then returns nil
// promptly.
func run(t *testing.T, d *webhook.Dispatcher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: got %v, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after its context was cancelled")
		}
	})
}

func attempts(t *testing.T, st license.Store, webhookID string) []license.Attempt {
	t.Helper()
	as, err := st.Attempts(context.Background(), webhookID, license.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// within checks that got is d after from, give or take 10%.
func within(t *testing.T, what string, from, got time.Time, d time.Duration) {
	t.Helper()
	if wait := got.Sub(from); wait < d*9/10 || wait > d*11/10 {
		t.Errorf("%s: waits %v, want %v ± 10%%", what, wait, d)
	}
}

func TestDispatcherRetriesUntilDelivered(t *testing.T) {
	t.Parallel()
	codes := []int{http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusNoContent}
	rc := newReceiver(t, func(n int) int { return codes[min(n, 3)-1] })
	st, w := newStore(t, rc.srv.URL)
	rec := newRecorder(st)
	clk := newClock(t0)
	hooked := make(chan license.DeliveryState, 10)
	d := newDispatcher(t, rec, webhook.WithClock(clk.Now), webhook.WithPollInterval(time.Hour),
		webhook.WithResultHook(func(_ license.Attempt, s license.DeliveryState) { hooked <- s }))
	e := record(t, st, t0)
	run(t, d)

	times := []time.Time{t0}
	r1 := rec.next(t)
	if r1.State != license.DeliveryPending {
		t.Fatalf("after attempt 1: got %s, want pending", r1.State)
	}
	within(t, "retry 1", t0, r1.NextAt, 5*time.Second)

	// Not due yet: nothing happens.
	clk.Set(r1.NextAt.Add(-time.Millisecond))
	d.Wake()
	select {
	case res := <-rec.finishes:
		t.Fatalf("attempt before it was due: %+v", res)
	case <-time.After(50 * time.Millisecond):
	}

	clk.Set(r1.NextAt)
	times = append(times, r1.NextAt)
	d.Wake()
	r2 := rec.next(t)
	if r2.State != license.DeliveryPending {
		t.Fatalf("after attempt 2: got %s, want pending", r2.State)
	}
	within(t, "retry 2", r1.NextAt, r2.NextAt, 30*time.Second)

	clk.Set(r2.NextAt)
	times = append(times, r2.NextAt)
	d.Wake()
	if r3 := rec.next(t); r3.State != license.DeliveryDelivered {
		t.Fatalf("after attempt 3: got %s, want delivered", r3.State)
	}

	as := attempts(t, st, w.ID)
	if len(as) != 3 {
		t.Fatalf("got %d attempts, want 3", len(as))
	}
	for i, a := range as {
		if a.Number != i+1 || a.StatusCode != codes[i] || a.OK != (i == 2) || (a.Error == "") != (i == 2) ||
			!a.At.Equal(times[i].Truncate(time.Microsecond)) || a.EventID != e.ID || a.WebhookID != w.ID || a.EventType != e.Type || a.ID == "" {
			t.Errorf("attempt %d: got %+v", i+1, a)
		}
	}
	if want := "answered 500 Internal Server Error"; as[0].Error != want {
		t.Errorf("attempt 1 error: got %q, want %q", as[0].Error, want)
	}

	ms := rc.all()
	if len(ms) != 3 {
		t.Fatalf("the receiver got %d messages, want 3", len(ms))
	}
	want, err := webhook.Payload(e)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if got := m.header.Get(webhook.HeaderID); got != e.ID {
			t.Errorf("message %d: webhook-id %q, want the event ID %q", i+1, got, e.ID)
		}
		if got, want := m.header.Get(webhook.HeaderTimestamp), strconv.FormatInt(times[i].Unix(), 10); got != want {
			t.Errorf("message %d: webhook-timestamp %s, want %s", i+1, got, want)
		}
		if err := webhook.Verify(w.Secret, m.header, m.body, times[i], time.Second); err != nil {
			t.Errorf("message %d: %v", i+1, err)
		}
		if string(m.body) != string(want) {
			t.Errorf("message %d: body %s, want %s", i+1, m.body, want)
		}
		if ct, ua := m.header.Get("Content-Type"), m.header.Get("User-Agent"); ct != "application/json" || ua != "licgate-webhooks" {
			t.Errorf("message %d: Content-Type %q, User-Agent %q", i+1, ct, ua)
		}
	}
	for i, want := range []license.DeliveryState{license.DeliveryPending, license.DeliveryPending, license.DeliveryDelivered} {
		select {
		case got := <-hooked:
			if got != want {
				t.Errorf("result hook %d: got %s, want %s", i+1, got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("result hook %d not called", i+1)
		}
	}
}

func TestDispatcherGivesUpAfterTheWindow(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, always(http.StatusBadGateway))
	st, w := newStore(t, rc.srv.URL)
	rec := newRecorder(st)
	clk := newClock(t0)
	d := newDispatcher(t, rec, webhook.WithClock(clk.Now), webhook.WithPollInterval(time.Hour))
	record(t, st, t0)
	run(t, d)

	schedule := webhook.DefaultSchedule()
	end := t0.Add(webhook.RetryWindow)
	at := t0
	n := 0
	for {
		res := rec.next(t)
		n++
		if res.State != license.DeliveryPending {
			if res.State != license.DeliveryFailed {
				t.Fatalf("attempt %d: got %s, want failed", n, res.State)
			}
			break
		}
		if !res.NextAt.Before(end) {
			t.Fatalf("attempt %d: next at %v, want before %v", n, res.NextAt, end)
		}
		if n > len(schedule) {
			t.Fatalf("attempt %d: still pending after the schedule", n)
		}
		if res.NextAt != end.Add(-time.Minute) {
			within(t, "retry "+strconv.Itoa(n), at, res.NextAt, schedule[n-1])
		}
		at = res.NextAt
		clk.Set(at)
		d.Wake()
	}
	if n != len(schedule)+1 {
		t.Errorf("got %d attempts, want %d", n, len(schedule)+1)
	}
	as := attempts(t, st, w.ID)
	if len(as) != n || !as[n-1].At.Before(end) {
		t.Errorf("got %d attempts, the last at %v; want %d before %v", len(as), as[len(as)-1].At, n, end)
	}
}

func TestDispatcherOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		now        time.Time // of the attempt; t0 if zero
		wantState  license.DeliveryState
		wantOK     bool
		wantErrSub string
	}{
		{name: "200", status: 200, wantState: license.DeliveryDelivered, wantOK: true},
		{name: "202", status: 202, wantState: license.DeliveryDelivered, wantOK: true},
		{name: "410 fails at once", status: 410, wantState: license.DeliveryFailed, wantErrSub: "410 Gone"},
		{name: "400 retries", status: 400, wantState: license.DeliveryPending, wantErrSub: "400 Bad Request"},
		{name: "429 retries", status: 429, wantState: license.DeliveryPending, wantErrSub: "429"},
		{name: "redirect retries", status: 307, wantState: license.DeliveryPending, wantErrSub: "redirects are not followed"},
		{name: "event older than the window fails", status: 500, now: t0.Add(73 * time.Hour), wantState: license.DeliveryFailed, wantErrSub: "500"},
		{name: "late but taken is delivered", status: 200, now: t0.Add(73 * time.Hour), wantState: license.DeliveryDelivered, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var elsewhere atomic.Int32
			other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
			t.Cleanup(other.Close)
			rc := newReceiver(t, always(tt.status))
			rc.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", other.URL)
				w.WriteHeader(tt.status)
			})
			st, wh := newStore(t, rc.srv.URL)
			rec := newRecorder(st)
			now := tt.now
			if now.IsZero() {
				now = t0
			}
			d := newDispatcher(t, rec, webhook.WithClock(func() time.Time { return now }))
			record(t, st, t0)
			run(t, d)
			res := rec.next(t)
			if res.State != tt.wantState {
				t.Errorf("got %s, want %s", res.State, tt.wantState)
			}
			a := res.Attempt
			if a.StatusCode != tt.status || a.OK != tt.wantOK || !strings.Contains(a.Error, tt.wantErrSub) || (tt.wantErrSub == "") != (a.Error == "") {
				t.Errorf("got %+v, want status %d, ok %v, error with %q", a, tt.status, tt.wantOK, tt.wantErrSub)
			}
			if as := attempts(t, st, wh.ID); len(as) != 1 {
				t.Errorf("got %d attempts, want 1", len(as))
			}
			if elsewhere.Load() != 0 {
				t.Error("a redirect was followed")
			}
		})
	}
}

func TestDispatcherSlowReceiver(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	st, w := newStore(t, srv.URL)
	rec := newRecorder(st)
	timeout := 200 * time.Millisecond
	d := newDispatcher(t, rec, webhook.WithClock(func() time.Time { return t0 }),
		webhook.WithHTTPClient(&http.Client{Timeout: timeout}))
	record(t, st, t0)
	run(t, d)
	res := rec.next(t)
	a := res.Attempt
	if res.State != license.DeliveryPending || a.StatusCode != 0 || a.OK || a.DurationMS < timeout.Milliseconds() ||
		!strings.Contains(a.Error, "no answer within 200ms") || strings.Contains(a.Error, srv.URL) {
		t.Errorf("got %s %+v, want a pending delivery and a timed-out attempt", res.State, a)
	}
	if as := attempts(t, st, w.ID); len(as) != 1 {
		t.Errorf("got %d attempts, want 1", len(as))
	}
}

func TestDispatcherErrorHidesSecretAndURL(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	secret, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	st, w := newStore(t, closed.URL+"/hook?token="+secret)
	rec := newRecorder(st)
	var logs lockedBuffer
	d := newDispatcher(t, rec, webhook.WithClock(func() time.Time { return t0 }),
		webhook.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	record(t, st, t0)
	run(t, d)
	res := rec.next(t)
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), "will retry") && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // the log line follows the recording
	}
	if l := logs.String(); !strings.Contains(l, "will retry") || strings.Contains(l, secret) || strings.Contains(l, w.Secret) || strings.Contains(l, "token") {
		t.Errorf("logs: %s", l)
	}
	a := res.Attempt
	if res.State != license.DeliveryPending || a.StatusCode != 0 || a.Error == "" || len(a.Error) > 200 ||
		strings.Contains(a.Error, secret) || strings.Contains(a.Error, w.Secret) || strings.Contains(a.Error, "token=") {
		t.Errorf("got %s %+v, want pending with a clean error", res.State, a)
	}
}

func TestDispatcherMalformedEventFails(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, always(200))
	st, w := newStore(t, rc.srv.URL)
	// A secret no one can sign with: a permanent failure.
	bad := license.Webhook{ID: newID(t, t0), URL: rc.srv.URL, Secret: "whsec_???", CreatedAt: t0}
	if err := st.CreateWebhook(context.Background(), bad, license.Event{ID: newID(t, t0), At: t0, Type: license.EventWebhookCreated, Outcome: "ok"}); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder(st)
	d := newDispatcher(t, rec, webhook.WithClock(func() time.Time { return t0 }))
	record(t, st, t0)
	run(t, d)
	for range 2 {
		res := rec.next(t)
		switch res.Attempt.WebhookID {
		case w.ID:
			if res.State != license.DeliveryDelivered {
				t.Errorf("good webhook: got %s, want delivered", res.State)
			}
		case bad.ID:
			if res.State != license.DeliveryFailed || !strings.Contains(res.Attempt.Error, "secret is malformed") || strings.Contains(res.Attempt.Error, "???") {
				t.Errorf("bad webhook: got %s %q, want failed", res.State, res.Attempt.Error)
			}
		}
	}
	if n := len(rc.all()); n != 1 {
		t.Errorf("the receiver got %d messages, want 1", n)
	}
}

// openSQLite opens the SQLite store at path as a replica of its own would.
func openSQLite(t *testing.T, path string) *sqlstore.Store {
	t.Helper()
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	t.Cleanup(func() { _ = db.Close() })
	st, err := sqlstore.Open(context.Background(), db, sqlstore.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// TestDispatchersShareTheWork runs two dispatchers on one database, each
// through a store of its own where the store allows it, as two replicas
// would: each event is delivered exactly once.
func TestDispatchersShareTheWork(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		stores func(t *testing.T) (license.Store, license.Store)
	}{
		{"memstore", func(t *testing.T) (license.Store, license.Store) {
			st := memstore.New()
			return st, st
		}},
		{"sqlite replicas", func(t *testing.T) (license.Store, license.Store) {
			path := filepath.Join(t.TempDir(), "licgate.db")
			return openSQLite(t, path), openSQLite(t, path)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const events = 60
			rc := newReceiver(t, always(200))
			st1, st2 := tt.stores(t)
			w := addWebhook(t, st1, rc.srv.URL)
			var delivered atomic.Int32
			allDone := make(chan struct{})
			hook := func(_ license.Attempt, s license.DeliveryState) {
				if s == license.DeliveryDelivered && delivered.Add(1) == events {
					close(allDone)
				}
			}
			d1 := newDispatcher(t, st1, webhook.WithPollInterval(5*time.Millisecond), webhook.WithWorkers(3), webhook.WithBatch(2), webhook.WithResultHook(hook))
			d2 := newDispatcher(t, st2, webhook.WithPollInterval(5*time.Millisecond), webhook.WithWorkers(4), webhook.WithResultHook(hook))
			run(t, d1)
			run(t, d2)
			now := time.Now()
			for i := range events {
				st, d := st1, d1
				if i%2 == 1 {
					st, d = st2, d2
				}
				record(t, st, now.Add(time.Duration(i)*time.Microsecond))
				d.Wake()
			}
			select {
			case <-allDone:
			case <-time.After(30 * time.Second):
				t.Fatalf("delivered %d of %d", delivered.Load(), events)
			}
			time.Sleep(50 * time.Millisecond) // a duplicate would show now
			seen := map[string]int{}
			for _, m := range rc.all() {
				seen[m.header.Get(webhook.HeaderID)]++
			}
			if len(seen) != events {
				t.Errorf("got %d distinct events, want %d", len(seen), events)
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("event %s delivered %d times, want once", id, n)
				}
			}
			if as := attempts(t, st2, w.ID); len(as) != events {
				t.Errorf("got %d attempts, want %d", len(as), events)
			}
		})
	}
}

func TestDispatcherBoundsWorkers(t *testing.T) {
	t.Parallel()
	const workers, events = 2, 7
	var inFlight, most atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
	}))
	t.Cleanup(srv.Close)
	st, w := newStore(t, srv.URL)
	rec := newRecorder(st)
	for i := range events {
		record(t, st, t0.Add(time.Duration(i)*time.Millisecond))
	}
	d := newDispatcher(t, rec, webhook.WithClock(func() time.Time { return t0.Add(time.Second) }),
		webhook.WithWorkers(workers), webhook.WithPollInterval(time.Hour))
	run(t, d)
	for range events {
		if res := rec.next(t); res.State != license.DeliveryDelivered {
			t.Fatalf("got %s, want delivered", res.State)
		}
	}
	if got := most.Load(); got != workers {
		t.Errorf("at most %d messages in flight, want %d", got, workers)
	}
	if as := attempts(t, st, w.ID); len(as) != events {
		t.Errorf("got %d attempts, want %d", len(as), events)
	}
}

func TestDispatcherWake(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, always(200))
	st, _ := newStore(t, rc.srv.URL)
	rec := newRecorder(st)
	d := newDispatcher(t, rec, webhook.WithPollInterval(time.Hour))
	run(t, d)
	select {
	case <-rec.claims: // Run has looked once and now waits an hour
	case <-time.After(5 * time.Second):
		t.Fatal("Run never claimed")
	}
	e := record(t, st, time.Now())
	select {
	case m := <-rc.got:
		t.Fatalf("delivered without a wake: %s", m.header.Get(webhook.HeaderID))
	case <-time.After(50 * time.Millisecond):
	}
	start := time.Now()
	d.Wake()
	select {
	case m := <-rc.got:
		if got := m.header.Get(webhook.HeaderID); got != e.ID {
			t.Errorf("got %s, want %s", got, e.ID)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("delivered %v after the wake", took)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a wake did not deliver")
	}
}

func TestWakeNeverBlocks(t *testing.T) {
	t.Parallel()
	d := newDispatcher(t, memstore.New())
	done := make(chan struct{})
	go func() {
		for range 1000 {
			d.Wake()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Wake blocked without Run")
	}
}

// TestDispatcherStopAndReclaim stops a dispatcher mid-attempt: Run
// returns at once, the abandoned attempt is not recorded, and another
// dispatcher delivers the event once the lease has ended.
func TestDispatcherStopAndReclaim(t *testing.T) {
	t.Parallel()
	hang := make(chan struct{})
	var calls atomic.Int32
	got := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get(webhook.HeaderID)
		if calls.Add(1) == 1 {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(hang) })
	st, w := newStore(t, srv.URL)
	e := record(t, st, t0)
	clk := newClock(t0)
	lease := 30 * time.Second

	d1 := newDispatcher(t, st, webhook.WithClock(clk.Now), webhook.WithLease(lease), webhook.WithDrain(100*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d1.Run(ctx) }()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no message")
	}
	if err := d1.Run(ctx); !errors.Is(err, webhook.ErrRunning) {
		t.Errorf("a second Run: got %v, want %v", err, webhook.ErrRunning)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: got %v, want nil", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return while an attempt hung")
	}
	if as := attempts(t, st, w.ID); len(as) != 0 {
		t.Errorf("got %d attempts recorded, want none for an abandoned attempt", len(as))
	}

	rec := newRecorder(st)
	d2 := newDispatcher(t, rec, webhook.WithClock(clk.Now), webhook.WithPollInterval(10*time.Millisecond))
	run(t, d2)
	select {
	case <-rec.claims:
	case <-time.After(5 * time.Second):
		t.Fatal("no claim")
	}
	select {
	case id := <-got:
		t.Fatalf("%s claimed again within the lease", id)
	case <-time.After(50 * time.Millisecond):
	}
	clk.Set(t0.Add(lease))
	d2.Wake()
	if res := rec.next(t); res.State != license.DeliveryDelivered || res.Attempt.Number != 1 {
		t.Errorf("got %s, attempt %d; want delivered at attempt 1", res.State, res.Attempt.Number)
	}
	if id := <-got; id != e.ID {
		t.Errorf("got %s, want %s", id, e.ID)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	st := memstore.New()
	tests := []struct {
		name string
		st   license.Store
		opts []webhook.Option
		want error
	}{
		{name: "defaults", st: st},
		{name: "all options", st: st, opts: []webhook.Option{
			webhook.WithHTTPClient(&http.Client{Timeout: time.Second}), webhook.WithPollInterval(time.Second),
			webhook.WithLease(2 * time.Second), webhook.WithBatch(1), webhook.WithWorkers(1),
			webhook.WithClock(time.Now), webhook.WithLogger(nil), webhook.WithSchedule(nil),
			webhook.WithResultHook(func(license.Attempt, license.DeliveryState) {}),
		}},
		{name: "nil store", want: webhook.ErrNilStore},
		{name: "nil option", st: st, opts: []webhook.Option{nil}, want: webhook.ErrBadOption},
		{name: "nil client", st: st, opts: []webhook.Option{webhook.WithHTTPClient(nil)}, want: webhook.ErrBadOption},
		{name: "client without timeout", st: st, opts: []webhook.Option{webhook.WithHTTPClient(&http.Client{})}, want: webhook.ErrBadOption},
		{name: "lease not above the timeout", st: st, opts: []webhook.Option{webhook.WithLease(10 * time.Second)}, want: webhook.ErrBadOption},
		{name: "timeout not below the lease", st: st, opts: []webhook.Option{webhook.WithHTTPClient(&http.Client{Timeout: 2 * time.Minute})}, want: webhook.ErrBadOption},
		{name: "zero poll", st: st, opts: []webhook.Option{webhook.WithPollInterval(0)}, want: webhook.ErrBadOption},
		{name: "zero lease", st: st, opts: []webhook.Option{webhook.WithLease(0)}, want: webhook.ErrBadOption},
		{name: "zero batch", st: st, opts: []webhook.Option{webhook.WithBatch(0)}, want: webhook.ErrBadOption},
		{name: "zero workers", st: st, opts: []webhook.Option{webhook.WithWorkers(0)}, want: webhook.ErrBadOption},
		{name: "nil clock", st: st, opts: []webhook.Option{webhook.WithClock(nil)}, want: webhook.ErrBadOption},
		{name: "nil hook", st: st, opts: []webhook.Option{webhook.WithResultHook(nil)}, want: webhook.ErrBadOption},
		{name: "zero wait in schedule", st: st, opts: []webhook.Option{webhook.WithSchedule([]time.Duration{time.Second, 0})}, want: webhook.ErrBadOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := webhook.New(tt.st, tt.opts...)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) || (err == nil) != (d != nil) {
				t.Errorf("got %v, %v, want %v", d, err, tt.want)
			}
		})
	}
}

func TestWithScheduleCopies(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, always(500))
	st, _ := newStore(t, rc.srv.URL)
	rec := newRecorder(st)
	schedule := []time.Duration{time.Hour}
	d := newDispatcher(t, rec, webhook.WithClock(func() time.Time { return t0 }), webhook.WithSchedule(schedule))
	schedule[0] = time.Nanosecond
	record(t, st, t0)
	run(t, d)
	res := rec.next(t)
	within(t, "retry", t0, res.NextAt, time.Hour)
}

// TestDispatcherDrainsOnStop stops a dispatcher while an attempt is in
// flight: the attempt finishes within the drain and is recorded, so a
// server stopping gracefully leaves no delivery claimed until its lease
// ends.
func TestDispatcherDrainsOnStop(t *testing.T) {
	t.Parallel()
	inFlight := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(inFlight)
		time.Sleep(200 * time.Millisecond)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	st, w := newStore(t, srv.URL)
	record(t, st, t0)
	d := newDispatcher(t, st, webhook.WithClock(newClock(t0).Now), webhook.WithDrain(5*time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case <-inFlight:
	case <-time.After(5 * time.Second):
		t.Fatal("no attempt")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within the drain")
	}
	as := attempts(t, st, w.ID)
	if len(as) != 1 || !as[0].OK {
		t.Errorf("got attempts %+v, want one delivered attempt recorded", as)
	}
}

// TestDispatcherOpensSealedSecrets delivers the events of a webhook that a
// Service registered, whose secret the store keeps sealed: signed with the
// secret in clear through WithSecrets, and not at all without it.
func TestDispatcherOpensSealedSecrets(t *testing.T) {
	t.Parallel()
	got := make(chan http.Header, 4)
	var bodies sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies.Store(r.Header.Get(webhook.HeaderID), b)
		got <- r.Header.Clone()
	}))
	t.Cleanup(srv.Close)
	st := memstore.New()
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	svc, err := license.NewService(st, license.WithKeySet(ks), license.WithSecret([]byte("0123456789abcdef0123456789abcdef")))
	if err != nil {
		t.Fatal(err)
	}
	w, err := svc.CreateWebhook(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}

	// Without WithSecrets the sealed secret signs nothing: the attempt
	// fails, to be retried, and nothing is sent.
	blind := newRecorder(st)
	run(t, newDispatcher(t, blind, webhook.WithPollInterval(10*time.Millisecond)))
	e := record(t, st, time.Now())
	res := blind.next(t)
	if res.State != license.DeliveryPending || res.Attempt.OK || !strings.Contains(res.Attempt.Error, "sealed") {
		t.Errorf("without WithSecrets: %s, %+v", res.State, res.Attempt)
	}
	select {
	case h := <-got:
		t.Fatalf("a message was sent without its secret: %v", h)
	default:
	}

	// With it, the message verifies with the secret the Service returned.
	clk := newClock(time.Now().Add(time.Hour)) // past the retry
	run(t, newDispatcher(t, st, webhook.WithClock(clk.Now), webhook.WithPollInterval(10*time.Millisecond),
		webhook.WithSecrets(svc.OpenWebhookSecret)))
	var h http.Header
	select {
	case h = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no message")
	}
	b, _ := bodies.Load(e.ID)
	if err := webhook.Verify(w.Secret, h, b.([]byte), clk.Now(), 0); err != nil {
		t.Errorf("the message does not verify with the webhook's secret: %v", err)
	}
}
