package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// postgresEnv names the DSN of a PostgreSQL database for tests, such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const postgresEnv = "LICGATE_TEST_POSTGRES"

// postgresDSN returns a DSN whose connections work in a new, empty schema
// of the test database, named by the application name it also returns,
// and a connection for the test itself; it skips the test without one.
func postgresDSN(t *testing.T) (dsn, app string, admin *sql.DB) {
	t.Helper()
	base := os.Getenv(postgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: set %s to a DSN", postgresEnv)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	rand.Read(b)
	schema := "licgate_cmd_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema, admin
}

// sessions counts the database sessions of an application name, and
// those among them that started after since.
func sessions(t *testing.T, admin *sql.DB, app string, since time.Time) (all, newer int) {
	t.Helper()
	err := admin.QueryRow(`SELECT count(*), count(*) FILTER (WHERE backend_start > $2)
		FROM pg_stat_activity WHERE application_name = $1`, app, since).Scan(&all, &newer)
	if err != nil {
		t.Fatal(err)
	}
	return all, newer
}

// TestPostgresPool serves from PostgreSQL with -db-max-open 8: the server
// opens its 8 connections at start, and 16 concurrent clients of the
// status endpoint make it open no new database session.
func TestPostgresPool(t *testing.T) {
	dsn, app, admin := postgresDSN(t)
	root := t.TempDir()
	base := startServer(t, "-db", dsn, "-data", filepath.Join(root, "data"), "-demo=false", "-db-max-open", "8")
	if all, _ := sessions(t, admin, app, time.Time{}); all != 8 {
		t.Fatalf("after start the server holds %d database sessions, want the 8 of -db-max-open", all)
	}
	// The CLI's own sessions go by another name.
	cliDSN := strings.Replace(dsn, "application_name="+app, "application_name="+app+"_cli", 1)
	cli(t, new(license.Product), "product", "add", "-db", cliDSN, "-data", filepath.Join(root, "data"), "-id", "p", "-name", "P")
	var l license.License
	cli(t, &l, "license", "add", "-db", cliDSN, "-data", filepath.Join(root, "data"), "-product", "p", "-seats", "16")
	tokens := make([]string, 16)
	for i := range tokens {
		a := get(t, base+fmt.Sprintf("/qlm/qlmservice.asmx/ValidateLicenseHttp?is_pcid=pc-%d&is_avkey=%s", i, url.QueryEscape(l.Key)))
		if a.Error != "" {
			t.Fatal(a.Error)
		}
		tokens[i] = a.ActivationToken
	}
	var since time.Time
	if err := admin.QueryRow("SELECT now()").Scan(&since); err != nil {
		t.Fatal(err)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []string
		n        int
	)
	deadline := time.Now().Add(2 * time.Second)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for _, tok := range tokens {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest("GET", base+"/v1/activation/status", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := client.Do(req)
				mu.Lock()
				n++
				switch {
				case err != nil:
					failures = append(failures, err.Error())
				case resp.StatusCode != 200:
					failures = append(failures, resp.Status)
				}
				mu.Unlock()
				if err == nil {
					resp.Body.Close()
				}
			}
		})
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d status requests failed: %q", len(failures), n, failures[:min(5, len(failures))])
	}
	all, newer := sessions(t, admin, app, since)
	if all != 8 || newer != 0 {
		t.Fatalf("after %d status requests from 16 clients the server holds %d database sessions, %d of them new; want 8, none new", n, all, newer)
	}
}

// TestPostgresPoolFlags checks the pool the flags configure, and that bad
// values are refused before anything starts.
func TestPostgresPoolFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-db-max-open", "0"},
		{"-db-max-idle", "-1"},
		{"-db-max-open", "4", "-db-max-idle", "5"},
	} {
		var out, errOut bytes.Buffer
		if code := Run(context.Background(), append([]string{"serve", "-data", t.TempDir()}, args...), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "-db-max") {
			t.Errorf("serve %v: exit %d, stderr %q; want a usage error", args, code, errOut.String())
		}
	}
	dsn, _, _ := postgresDSN(t)
	for _, tt := range []struct {
		maxOpen, maxIdle, wantIdle int
	}{
		{6, 0, 6},
		{6, 2, 2},
	} {
		sf := storeFlags{data: t.TempDir(), db: dsn, maxOpen: tt.maxOpen, maxIdle: tt.maxIdle}
		st, db, err := sf.openStore(context.Background(), true)
		if err != nil {
			t.Fatal(err)
		}
		s := db.Stats()
		st.Close()
		db.Close()
		if s.MaxOpenConnections != tt.maxOpen || s.Idle != tt.wantIdle || s.OpenConnections != tt.wantIdle {
			t.Errorf("-db-max-open %d -db-max-idle %d: max open %d, open %d, idle %d; want %d, %d, %d",
				tt.maxOpen, tt.maxIdle, s.MaxOpenConnections, s.OpenConnections, s.Idle, tt.maxOpen, tt.wantIdle, tt.wantIdle)
		}
	}
}

// TestAdminRefusesEmptyPostgres points the admin commands at a PostgreSQL
// schema without licgate's tables: they refuse, and create neither tables
// nor files.
func TestAdminRefusesEmptyPostgres(t *testing.T) {
	dsn, schema, admin := postgresDSN(t)
	data := filepath.Join(t.TempDir(), "data")
	for _, args := range [][]string{
		{"product", "list"},
		{"license", "add", "-product", "p"},
	} {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), append(args, "-db", dsn, "-data", data), &out, &errOut)
		if code != 1 || out.Len() > 0 || !strings.Contains(errOut.String(), "PostgreSQL") || !strings.Contains(errOut.String(), "licgate serve") {
			t.Errorf("licgate %v on an empty schema: exit %d, stdout %q, stderr %q", args, code, out.String(), errOut.String())
		}
	}
	var tables int
	if err := admin.QueryRow("SELECT count(*) FROM information_schema.tables WHERE table_schema = $1", schema).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("refused commands created %d tables", tables)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("refused commands created %s: %v", data, err)
	}
}
