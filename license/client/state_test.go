package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %v, want %v", filepath.Base(path), got, want)
	}
}

func TestActivateKeepsTheTokenAcrossClients(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	dir := filepath.Join(t.TempDir(), "state")
	ctx := context.Background()

	c1 := newTestClient(t, f, nil, WithDir(dir))
	if _, err := c1.Token(); !errors.Is(err, ErrNotActivated) {
		t.Fatalf("Token before activating: got %v, want ErrNotActivated", err)
	}
	a, err := c1.Activate(ctx, f.key, "pc-1", "Ann's PC")
	if err != nil {
		t.Fatal(err)
	}
	if a.AID == "" || a.Token == "" || a.Existing || a.ComputerID != "pc-1" {
		t.Fatalf("got %+v", a)
	}
	checkMode(t, dir, 0o700)
	checkMode(t, filepath.Join(dir, activationFile), 0o600)
	checkMode(t, filepath.Join(dir, clockFile), 0o600)

	// Another client, as after a restart, reads the same token.
	c2 := newTestClient(t, f, nil, WithDir(dir))
	tok, err := c2.Token()
	if err != nil || tok != a.Token {
		t.Fatalf("Token from a new client: got %q, %v; want the activation's", tok, err)
	}
	got, err := c2.Activation()
	if err != nil || got != a {
		t.Fatalf("Activation from a new client: got %+v, %v; want %+v", got, err, a)
	}

	// Activating again keeps the seat and replaces the token.
	f.clock.Advance(time.Minute)
	again, err := c2.Activate(ctx, f.key, "pc-1", "")
	if err != nil || !again.Existing || again.AID != a.AID {
		t.Fatalf("again: got %+v, %v", again, err)
	}
	if tok, _ := c1.Token(); tok != again.Token {
		t.Errorf("c1 reads the old token")
	}
	// A second computer finds no seat; the refusal leaves the state be.
	_, err = c2.Activate(ctx, f.key, "pc-2", "")
	var p *ProblemError
	if !errors.Is(err, license.ErrNoSeats) || !errors.As(err, &p) || p.Status != 409 || p.Reason != license.OutcomeNoSeats {
		t.Fatalf("second computer: got %v, want a 409 no_seats", err)
	}
	if tok, _ := c2.Token(); tok != again.Token {
		t.Errorf("a refusal changed the token")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != activationFile && e.Name() != clockFile {
			t.Errorf("stray file %s in the state directory", e.Name())
		}
	}
}

func TestTokenInMemoryWithoutDir(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	c := newTestClient(t, f, nil)
	if _, err := c.Token(); !errors.Is(err, ErrNotActivated) {
		t.Fatalf("got %v, want ErrNotActivated", err)
	}
	a, err := c.Activate(context.Background(), f.key, "pc-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := c.Token(); err != nil || tok != a.Token {
		t.Fatalf("got %q, %v", tok, err)
	}
	if _, err := newTestClient(t, f, nil).Token(); !errors.Is(err, ErrNotActivated) {
		t.Errorf("another client without a directory: got %v, want ErrNotActivated", err)
	}
}

func TestCodeActivation(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	c := newTestClient(t, f, nil, WithProductID("app"))
	if err := c.RequestCode(context.Background(), "ann@example.com", "pc-1"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	n := f.codes
	f.mu.Unlock()
	if n != 1 {
		t.Errorf("got %d code requests, want 1", n)
	}
	// The fake knows no codes: a code activation reaches the server and
	// is refused like any.
	if _, err := c.ActivateByCode(context.Background(), "123456", "ann@example.com", "pc-1", ""); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("got %v, want the fake's not_found", err)
	}
	for _, err := range []error{
		c.RequestCode(context.Background(), "", "pc-1"),
		func() error { _, err := c.ActivateByCode(context.Background(), "", "a@b.c", "pc-1", ""); return err }(),
		func() error { _, err := c.Activate(context.Background(), "", "pc-1", ""); return err }(),
	} {
		if !errors.Is(err, ErrBadOption) {
			t.Errorf("got %v, want ErrBadOption", err)
		}
	}
}

func TestCorruptStateFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, content string
	}{
		{"activation not JSON", activationFile, "{"},
		{"activation without token", activationFile, `{"aid":"a","computerId":"pc","expiresAt":"2026-01-01T00:00:00Z"}`},
		{"clock not JSON", clockFile, "yesterday"},
		{"clock zero", clockFile, `{"lastSeen":"0001-01-01T00:00:00Z"}`},
		{"clock too large", clockFile, `{"lastSeen":"2026-01-01T00:00:00Z","x":"` + strings.Repeat("x", maxStateFile) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := New("", WithDir(dir))
			if err != nil {
				t.Fatal(err)
			}
			var got error
			if tt.file == clockFile {
				_, got = c.CheckClock()
			} else {
				_, got = c.Token()
			}
			if !errors.Is(got, ErrBadState) {
				t.Errorf("got %v, want ErrBadState", got)
			}
		})
	}
}

func TestWriteFileIsAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Readers never see a partial file while writers replace it.
	content := func(i int) []byte {
		return fmt.Appendf(nil, `{"lastSeen":"%s","pad":"%s"}`, start.Add(time.Duration(i)*time.Second).Format(time.RFC3339), strings.Repeat("x", 4000))
	}
	if err := writeFile(dir, clockFile, content(0)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := writeFile(dir, clockFile, content(w*1000+i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range 200 {
		data, err := readFile(dir, clockFile)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseClockState(data); err != nil {
			t.Fatalf("a reader saw %d bytes that do not parse: %v", len(data), err)
		}
	}
	close(stop)
	wg.Wait()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
	checkMode(t, filepath.Join(dir, clockFile), 0o600)
}

func TestClockMovedBackAcrossRestarts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clk := newTestClock()
	newClient := func(opts ...Option) *Client {
		c, err := New("", append([]Option{WithDir(dir), WithClock(clk.Now)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, err := newClient().CheckClock(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(48 * time.Hour) // the program runs two days
	if now, err := newClient().CheckClock(); err != nil || !now.Equal(start.Add(48*time.Hour)) {
		t.Fatalf("got %v, %v", now, err)
	}

	tests := []struct {
		name    string
		back    time.Duration
		opts    []Option
		wantErr bool
	}{
		{"a few seconds, as NTP does", 3 * time.Second, nil, false},
		{"within the default tolerance", 4 * time.Minute, nil, false},
		{"past the default tolerance", 6 * time.Minute, nil, true},
		{"a day back", 24 * time.Hour, nil, true},
		{"within a wider tolerance", 6 * time.Minute, []Option{WithClockTolerance(time.Hour)}, false},
		{"with no tolerance", time.Second, []Option{WithClockTolerance(0)}, true},
	}
	for _, tt := range tests {
		clk.Set(start.Add(48*time.Hour - tt.back))
		_, err := newClient(tt.opts...).CheckClock()
		var ce *ClockError
		switch {
		case tt.wantErr && (!errors.Is(err, ErrClockMovedBack) || !errors.As(err, &ce)):
			t.Errorf("%s: got %v, want a ClockError", tt.name, err)
		case tt.wantErr && (!ce.LastSeen.Equal(start.Add(48*time.Hour)) || !ce.Now.Equal(clk.Now())):
			t.Errorf("%s: got %+v", tt.name, ce)
		case !tt.wantErr && err != nil:
			t.Errorf("%s: got %v, want nil", tt.name, err)
		}
	}
	// A clock behind the last time seen does not move it back.
	clk.Set(start.Add(48 * time.Hour))
	if _, err := newClient(WithClockTolerance(0)).CheckClock(); err != nil {
		t.Errorf("the last time seen moved back: %v", err)
	}
	// Without a directory the last time seen lives in the client.
	mem, _ := New("", WithClock(clk.Now))
	mem.CheckClock()
	clk.Advance(-time.Hour)
	if _, err := mem.CheckClock(); !errors.Is(err, ErrClockMovedBack) {
		t.Errorf("in memory: got %v, want ErrClockMovedBack", err)
	}
}

func TestClockCheckedByOperations(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	c := newTestClient(t, f, nil)
	ctx := context.Background()
	if _, err := c.Activate(ctx, f.key, "pc-1", ""); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(-time.Hour)
	if _, err := c.Activate(ctx, f.key, "pc-1", ""); !errors.Is(err, ErrClockMovedBack) {
		t.Errorf("Activate: got %v, want ErrClockMovedBack", err)
	}
	if _, err := c.Lease(ctx, f.fkey, "i", ""); !errors.Is(err, ErrClockMovedBack) {
		t.Errorf("Lease: got %v, want ErrClockMovedBack", err)
	}
	if err := c.RequestCode(ctx, "a@example.com", "pc-1"); !errors.Is(err, ErrClockMovedBack) {
		t.Errorf("RequestCode: got %v, want ErrClockMovedBack", err)
	}
}

func TestKeepStopsWhenTheClockMovesBack(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	var c *Client
	c = newTestClient(t, f, func(time.Duration) {
		if len(f.beatTimes()) == 1 {
			f.clock.Advance(-time.Hour)
		}
	})
	ctx := context.Background()
	l, err := c.Lease(ctx, f.fkey, "inst-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Keep(ctx); !errors.Is(err, ErrClockMovedBack) {
		t.Fatalf("Keep: got %v, want ErrClockMovedBack", err)
	}
	if f.deleted() != 1 {
		t.Errorf("the lease was not given back")
	}
}
