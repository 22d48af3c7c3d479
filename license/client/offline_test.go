package client

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
)

func TestOfflineRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	ctx := context.Background()

	req, err := NewOfflineRequest(f.key, "pc-off", "air-gapped lab")
	if err != nil {
		t.Fatal(err)
	}
	if r, err := license.ParseOfflineRequest(req); err != nil || r.ComputerID != "pc-off" || r.Key != f.key {
		t.Fatalf("request file %s: %v", req, err)
	}
	// A connected computer carries it to the server.
	online := newTestClient(t, f, nil)
	file, err := online.Offline(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// The offline computer, with no server, loads it.
	offline, err := New("", WithClock(f.clock.Now), WithDir(t.TempDir()), WithPinnedKeys(f.pins...))
	if err != nil {
		t.Fatal(err)
	}
	lf, claims, err := offline.LoadLicenseFile(file, "pc-off")
	if err != nil {
		t.Fatal(err)
	}
	if claims.ComputerID != "pc-off" || claims.ProductID() != "app" || lf.AID != claims.AID() {
		t.Errorf("got claims %+v, file %+v", claims, lf)
	}
	// Calls that need the network fail at once.
	if _, err := offline.Activate(ctx, f.key, "pc-off", ""); !errors.Is(err, ErrBadOption) {
		t.Errorf("Activate without a server: got %v, want ErrBadOption", err)
	}

	tamper := func(edit func(*license.OfflineLicense)) []byte {
		var x license.OfflineLicense
		if err := json.Unmarshal(file, &x); err != nil {
			t.Fatal(err)
		}
		edit(&x)
		b, _ := json.Marshal(x)
		return b
	}
	other, _ := license.GenerateSigningKey()
	otherKeys, _ := license.NewKeySet(other)
	// A forger's own server, with its own key, issuing a file for the
	// same computer under the same issuer.
	forger, err := license.NewService(memstore.New(), license.WithKeySet(otherKeys),
		license.WithSecret([]byte("0123456789abcdef0123456789abcdef")), license.WithClock(f.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer forger.Close(ctx)
	forger.CreateProduct(ctx, license.Product{ID: "app", Name: "App", Major: 1})
	fl, _ := forger.CreateLicense(ctx, license.NewLicense{ProductID: "app", Seats: 1})
	freq, _ := license.NewOfflineRequest(fl.Key, "pc-off", "", f.clock.Now())
	forged, err := forger.ActivateOffline(ctx, freq)
	if err != nil {
		t.Fatal(err)
	}
	forgedFile, _ := json.Marshal(forged)
	tests := []struct {
		name     string
		data     []byte
		computer string
		advance  time.Duration
		want     error
	}{
		{"another computer", file, "pc-other", 0, license.ErrComputerMismatch},
		{"a forged signature", tamper(func(x *license.OfflineLicense) {
			parts := strings.Split(x.Token, ".")
			parts[2] = strings.Repeat("A", len(parts[2]))
			x.Token = strings.Join(parts, ".")
		}), "pc-off", 0, license.ErrToken},
		{"a changed claim", tamper(func(x *license.OfflineLicense) {
			parts := strings.Split(x.Token, ".")
			parts[1] = parts[1][:len(parts[1])-2] + "AA"
			x.Token = strings.Join(parts, ".")
		}), "pc-off", 0, license.ErrToken},
		{"keys swapped", tamper(func(x *license.OfflineLicense) { x.Keys = otherKeys.JWKS() }), "pc-off", 0, license.ErrToken},
		{"another issuer", tamper(func(x *license.OfflineLicense) { x.Issuer = "https://evil.example" }), "pc-off", 0, license.ErrToken},
		{"a file signed by another key", forgedFile, "pc-off", 0, license.ErrToken},
		{"not a license file", []byte(`{"format":"x"}`), "pc-off", 0, license.ErrInvalid},
		{"expired", file, "pc-off", license.DefaultOfflineTTL + time.Hour, license.ErrToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New("", WithClock(func() time.Time { return f.clock.Now().Add(tt.advance) }), WithPinnedKeys(f.pins...))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.LoadLicenseFile(tt.data, tt.computer); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestLoadLicenseFileRefusesARolledBackClock(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	req, _ := NewOfflineRequest(f.key, "pc-off", "")
	file, err := newTestClient(t, f, nil).Offline(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	clk := newTestClock()
	load := func() error {
		c, err := New("", WithClock(clk.Now), WithDir(dir), WithPinnedKeys(f.pins...))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.LoadLicenseFile(file, "pc-off")
		return err
	}
	// A clock a minute behind the server's still loads the file (as at
	// its issue time).
	clk.Set(start.Add(-time.Minute))
	if err := load(); err != nil {
		t.Fatalf("a minute behind: %v", err)
	}
	// A clock set back before the file was issued: caught by the file
	// itself, even with a fresh state directory.
	clk.Set(start.Add(-24 * time.Hour))
	var ce *ClockError
	if err := load(); !errors.As(err, &ce) || !ce.LastSeen.Equal(start) {
		t.Fatalf("before the file: got %v, want a ClockError at the issue time", err)
	}
	// Used until just before it expired, then set back a month: caught by
	// the last time seen, across restarts.
	clk.Set(start.Add(license.DefaultOfflineTTL - time.Hour))
	if err := load(); err != nil {
		t.Fatal(err)
	}
	clk.Set(start.Add(license.DefaultOfflineTTL - 30*24*time.Hour))
	if err := load(); !errors.Is(err, ErrClockMovedBack) {
		t.Fatalf("set back a month: got %v, want ErrClockMovedBack", err)
	}
}

func TestOfflineChecksTheRequest(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	c := newTestClient(t, f, nil)
	if _, err := c.Offline(context.Background(), []byte(`{"format":"nope"}`)); !errors.Is(err, license.ErrInvalid) {
		t.Errorf("got %v, want ErrInvalid", err)
	}
	if _, err := NewOfflineRequest("not a key", "pc", ""); !errors.Is(err, license.ErrInvalid) {
		t.Errorf("got %v, want ErrInvalid", err)
	}
	req, _ := NewOfflineRequest(f.key, "pc-off", "")
	file, err := c.Offline(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	unpinned, _ := New("", WithClock(f.clock.Now))
	if _, _, err := unpinned.LoadLicenseFile(file, "pc-off"); !errors.Is(err, ErrBadOption) {
		t.Errorf("no pinned key: got %v, want ErrBadOption", err)
	}
}
