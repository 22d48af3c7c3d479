package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
)

// tree lists every path under dir, with its mode, so that a test can tell
// whether a command wrote anything there.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		paths = append(paths, p+" "+fi.Mode().String())
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	sort.Strings(paths)
	return paths
}

// TestAdminRefusesMissingDatabase points the admin commands at places
// that hold no licgate database: each refuses, names the place and says
// how to create one, and creates nothing.
func TestAdminRefusesMissingDatabase(t *testing.T) {
	root := t.TempDir()
	emptyDir := filepath.Join(root, "empty")
	if err := os.Mkdir(emptyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	emptyFile := filepath.Join(root, "empty.db")
	if err := os.WriteFile(emptyFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	otherData := filepath.Join(root, "keys") // -data beside a -db: must stay absent
	tests := []struct {
		name  string
		flags []string
		where string // what the message must name
	}{
		{"mistyped -data", []string{"-data", filepath.Join(root, "licgate-dta")}, filepath.Join(root, "licgate-dta")},
		{"empty -data", []string{"-data", emptyDir}, emptyDir},
		{"missing -db file", []string{"-db", filepath.Join(root, "nope.db"), "-data", otherData}, filepath.Join(root, "nope.db")},
		{"-db in a missing directory", []string{"-db", filepath.Join(root, "nodir", "x.db"), "-data", otherData}, filepath.Join(root, "nodir", "x.db")},
		{"-db file without schema", []string{"-db", emptyFile, "-data", otherData}, emptyFile},
	}
	commands := [][]string{
		{"product", "list"},
		{"product", "add", "-id", "p", "-name", "P"},
		{"license", "add", "-product", "p", "-email", "a@example.com"},
		{"license", "list"},
		{"activation", "list"},
		{"activation", "revoke", "-aid", "00000000-0000-4000-8000-000000000000"},
	}
	before := tree(t, root)
	for _, tt := range tests {
		for _, cmd := range commands {
			args := append(append([]string{}, cmd...), tt.flags...)
			var out, errOut bytes.Buffer
			code := Run(context.Background(), args, &out, &errOut)
			msg := errOut.String()
			if code != 1 || out.Len() > 0 || !strings.Contains(msg, tt.where) || !strings.Contains(msg, "licgate serve") {
				t.Errorf("%s: licgate %s: exit %d, stdout %q, stderr %q; want exit 1 naming %s and how to create a database",
					tt.name, strings.Join(args, " "), code, out.String(), msg, tt.where)
			}
		}
	}
	if after := tree(t, root); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("refused commands changed the file tree:\nbefore %q\nafter  %q", before, after)
	}
	if fi, err := os.Stat(emptyFile); err != nil || fi.Size() != 0 {
		t.Errorf("the empty -db file was written to: %v, %v", fi, err)
	}
}

// TestServeBindsFirst starts a second server on a taken port: it fails
// before it creates, seeds or prints anything.
func TestServeBindsFirst(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	root := t.TempDir()
	for _, extra := range [][]string{nil, {"-db", filepath.Join(root, "db", "x.db")}} {
		args := append([]string{"serve", "-addr", ln.Addr().String(), "-data", filepath.Join(root, "data")}, extra...)
		var out, errOut bytes.Buffer
		code := Run(context.Background(), args, &out, &errOut)
		if code == 0 || out.Len() > 0 || !strings.Contains(errOut.String(), ln.Addr().String()) {
			t.Errorf("licgate %s on a taken port: exit %d, stdout %q, stderr %q; want a failure naming the address and nothing printed",
				strings.Join(args, " "), code, out.String(), errOut.String())
		}
		if strings.Contains(errOut.String(), "level=") {
			t.Errorf("licgate %s logged before it bound its port: %q", strings.Join(args, " "), errOut.String())
		}
	}
	if got := tree(t, root); len(got) != 1 {
		t.Errorf("a server that could not bind wrote %q", got)
	}
}

// TestEmptyListsPrintBrackets checks that every list prints [] when it is
// empty, never null.
func TestEmptyListsPrintBrackets(t *testing.T) {
	data := newData(t)
	for _, args := range [][]string{
		{"product", "list"},
		{"license", "list"},
		{"activation", "list"},
	} {
		var out, errOut bytes.Buffer
		if code := Run(context.Background(), append(args, "-data", data), &out, &errOut); code != 0 || out.String() != "[]\n" {
			t.Errorf("licgate %s on an empty store: exit %d, stdout %q, stderr %q; want []", strings.Join(args, " "), code, out.String(), errOut.String())
		}
	}
	cli(t, new(license.Product), "product", "add", "-data", data, "-id", "p", "-name", "P")
	var l license.License
	cli(t, &l, "license", "add", "-data", data, "-product", "p")
	for _, args := range [][]string{
		{"license", "list", "-product", "p"},
		{"activation", "list", "-license", l.ID},
	} {
		var out, errOut bytes.Buffer
		if code := Run(context.Background(), append(args, "-data", data), &out, &errOut); code != 0 || out.String() == "null\n" {
			t.Errorf("licgate %s: exit %d, stdout %q, stderr %q", strings.Join(args, " "), code, out.String(), errOut.String())
		}
	}
}

// TestDBFileModes serves from a SQLite file given with -db in a directory
// that does not exist yet: the directory is 0700, and the database and
// its -wal and -shm files are 0600, as are the keys and the secret.
func TestDBFileModes(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "db")
	path := filepath.Join(dir, "licgate.db")
	data := filepath.Join(root, "data")
	base := startServer(t, "-db", path, "-data", data, "-demo=false")
	cli(t, new(license.Product), "product", "add", "-db", path, "-data", data, "-id", "p", "-name", "P")
	var l license.License
	cli(t, &l, "license", "add", "-db", path, "-data", data, "-product", "p", "-seats", "3")
	for i := 0; i < 3; i++ {
		if a := get(t, base+"/qlm/qlmservice.asmx/ValidateLicenseHttp?is_pcid=pc-"+string(rune('a'+i))+"&is_avkey="+url.QueryEscape(l.Key)); a.Error != "" {
			t.Fatal(a.Error)
		}
	}
	// While the server runs, SQLite keeps its -wal and -shm files.
	for _, f := range []struct {
		path string
		mode os.FileMode
	}{
		{dir, 0o700 | fs.ModeDir},
		{path, 0o600},
		{path + "-wal", 0o600},
		{path + "-shm", 0o600},
		{data, 0o700 | fs.ModeDir},
		{filepath.Join(data, signingKeyFile), 0o600},
		{filepath.Join(data, secretFile), 0o600},
	} {
		fi, err := os.Stat(f.path)
		if err != nil {
			t.Errorf("%s: %v", f.path, err)
			continue
		}
		if got := fi.Mode() & (fs.ModeDir | fs.ModePerm); got != f.mode {
			t.Errorf("%s has mode %v, want %v", f.path, got, f.mode)
		}
	}
}

// TestGateRefusesUnknownCrit signs a token with the server's own key and
// an extension in its crit header that no one understands: /demo/hello
// answers 401, while the same claims signed without it pass.
func TestGateRefusesUnknownCrit(t *testing.T) {
	data := newData(t)
	cli(t, new(license.Product), "product", "add", "-data", data, "-id", "p", "-name", "P")
	var l license.License
	cli(t, &l, "license", "add", "-data", data, "-product", "p")
	base := startServer(t, "-data", data, "-demo=false")
	a := get(t, base+"/qlm/qlmservice.asmx/ValidateLicenseHttp?is_pcid=box&is_avkey="+url.QueryEscape(l.Key))
	if a.Error != "" {
		t.Fatal(a.Error)
	}
	pemBytes, err := os.ReadFile(filepath.Join(data, signingKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	key, err := license.ParseSigningKeyPEM(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	var claims license.Claims
	if _, _, err := jwt.NewParser().ParseUnverified(a.ActivationToken, &claims); err != nil {
		t.Fatal(err)
	}
	sign := func(header map[string]any) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, &claims)
		tok.Header["kid"] = key.ID
		for k, v := range header {
			tok.Header[k] = v
		}
		s, err := tok.SignedString(ed25519.PrivateKey(key.Private))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	call := func(token string) int {
		req, _ := http.NewRequest("GET", base+"/demo/hello", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := call(sign(nil)); got != 200 {
		t.Fatalf("the token re-signed without crit: %d, want 200", got)
	}
	if got := call(sign(map[string]any{"crit": []string{"urn:example:must-understand"}, "urn:example:must-understand": true})); got != 401 {
		t.Fatalf("a token with an unknown crit extension: %d, want 401", got)
	}
}

// purgeCounter is a store that counts the janitor's purges.
type purgeCounter struct {
	license.Store
	codes, sessions, buckets, idempotent atomic.Int32
	idempotentBefore                     time.Time
}

func (p *purgeCounter) DeleteExpiredCodes(ctx context.Context, now time.Time) (int, error) {
	p.codes.Add(1)
	return p.Store.DeleteExpiredCodes(ctx, now)
}

func (p *purgeCounter) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	p.sessions.Add(1)
	return p.Store.DeleteExpiredSessions(ctx, now)
}

func (p *purgeCounter) DeleteFullBuckets(ctx context.Context, now time.Time) (int, error) {
	p.buckets.Add(1)
	return p.Store.DeleteFullBuckets(ctx, now)
}

func (p *purgeCounter) DeleteIdempotentBefore(ctx context.Context, t time.Time) (int, error) {
	p.idempotent.Add(1)
	p.idempotentBefore = t
	return p.Store.DeleteIdempotentBefore(ctx, t)
}

var _ license.Store = (*purgeCounter)(nil)

// TestSweepPurgesBuckets checks that the janitor's round purges expired
// codes and sessions, full rate-limit buckets and the answers to
// idempotent requests older than a day.
func TestSweepPurgesBuckets(t *testing.T) {
	st := &purgeCounter{Store: memstore.New()}
	sec, err := (&storeFlags{data: t.TempDir()}).loadSecrets(false)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := license.NewService(st, license.WithKeySet(sec.keys), license.WithSecret(sec.secret))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	sweep(context.Background(), svc, slog.New(slog.DiscardHandler))
	if st.codes.Load() != 1 || st.sessions.Load() != 1 || st.buckets.Load() != 1 || st.idempotent.Load() != 1 {
		t.Fatalf("one sweep purged codes %d, sessions %d, buckets %d, idempotent answers %d times; want 1 each",
			st.codes.Load(), st.sessions.Load(), st.buckets.Load(), st.idempotent.Load())
	}
	if age := start.Sub(st.idempotentBefore); age < 24*time.Hour-time.Minute || age > 24*time.Hour+time.Minute {
		t.Errorf("idempotent answers were purged before %v, %v ago; want a day", st.idempotentBefore, age)
	}
}
