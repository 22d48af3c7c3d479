package main

// Benchmarks of licgate serve over HTTP on loopback: the real server, started
// in this process by Run on a free port, driven by real HTTP clients. This
// file holds BenchmarkActivateHTTP and the helpers the other bench_*_test.go
// files share. Since server and clients share the process (and, on a small
// machine, the processor), the figures are lower bounds of what a server
// alone would do, and b.ReportAllocs counts the allocations of both.

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	"golang.org/x/sync/errgroup"
	_ "modernc.org/sqlite" // SQLite driver "sqlite"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/sqlstore"
)

const (
	// benchPostgresEnv names the environment variable with the DSN (URL
	// form) of a PostgreSQL database the benchmarks may create databases
	// next to; without it the PostgreSQL cases are skipped.
	benchPostgresEnv = "LICGATE_TEST_POSTGRES"

	// benchDeadline bounds every timed run, so that a stuck server fails the
	// benchmark instead of hanging it.
	benchDeadline = 5 * time.Minute

	// activationClients is how many keep-alive clients activate at once.
	activationClients = 8
	// heldSeats is how many seats the "full" license holds before the run.
	heldSeats = 20_000
)

// BenchmarkActivateHTTP measures how fast licgate serve activates new
// computers over HTTP as a license fills, against a bare database
// transaction: issue 7 wants the rate at 20,000 seats held at least 0.9 of
// the rate at none, on both stores, and on SQLite at least 0.5 of the bare
// transaction.
//
// An activation is QLM ValidateLicenseHttp?is_avkey=KEY&is_pcid=NEW, a new
// computer every time, from 8 keep-alive clients at once, on a license of
// 1,000,000 seats. Each store runs two servers, each on a database of its
// own: one whose license holds no seats, one whose license holds 20,000
// (filled through the store before the server starts). On SQLite the bare
// transaction runs beside them, from 8 goroutines, on files in the same
// directory opened with sqlstore.SQLiteDSN: one transaction takes a seat on
// a license row (UPDATE … seats_held = seats_held + 1) and inserts an
// activation row, in a database holding no activations and in one holding
// 20,000, so that what SQLite itself loses as its tables grow shows apart
// from what licgate loses.
//
// The cases take turns, 200 operations each, in an order that shifts every
// round, so that all of them meet the same machine: on a shared one, rates
// measured one after the other differ by more than the effects under test.
// An op is one operation of every case. Reported: held0-act/s and
// held20k-act/s, the activation rates, and full/empty, their ratio; on
// SQLite also bare0-tx/s and bare20k-tx/s, the bare rates, bare-full/empty,
// their ratio, empty/bare (held0 over bare0) and full/bare (held20k over
// bare20k). The PostgreSQL case runs in fresh databases next to the one
// LICGATE_TEST_POSTGRES names, and is skipped without it. Run it, with the
// ratios measured in one run, as:
//
//	LICGATE_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	  go test ./cmd/licgate -run '^$' -bench 'ActivateHTTP' -benchtime 3000x
//
// Every run, b.N's ramp-up and -count's included, starts from new databases,
// so the licenses start at 0 and 20,000 seats held and end at b.N more.
// Files go to a temporary directory; set TMPDIR to measure another disk.
// Every operation has a deadline (benchDeadline).
func BenchmarkActivateHTTP(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		bare0, bare20k := newBareSQLite(b, 0), newBareSQLite(b, heldSeats)
		empty := newSeatFixture(b, sqliteSeatStore(b), 0)
		full := newSeatFixture(b, sqliteSeatStore(b), heldSeats)
		r := rotate(b, bare0.takeSeat, bare20k.takeSeat, empty.activateNew, full.activateNew)
		b.ReportMetric(r[0], "bare0-tx/s")
		b.ReportMetric(r[1], "bare20k-tx/s")
		b.ReportMetric(r[2], "held0-act/s")
		b.ReportMetric(r[3], "held20k-act/s")
		reportRatio(b, r[3], r[2], "full/empty")
		reportRatio(b, r[1], r[0], "bare-full/empty")
		reportRatio(b, r[2], r[0], "empty/bare")
		reportRatio(b, r[3], r[1], "full/bare")
	})
	b.Run("postgres", func(b *testing.B) {
		empty := newSeatFixture(b, postgresSeatStore(b), 0)
		full := newSeatFixture(b, postgresSeatStore(b), heldSeats)
		r := rotate(b, empty.activateNew, full.activateNew)
		b.ReportMetric(r[0], "held0-act/s")
		b.ReportMetric(r[1], "held20k-act/s")
		reportRatio(b, r[1], r[0], "full/empty")
	})
}

// reportRatio reports x/y under unit, unless y is 0.
func reportRatio(b *testing.B, x, y float64, unit string) {
	if y > 0 {
		b.ReportMetric(x/y, unit)
	}
}

// rotationBatch is how many operations of one case run before the next
// case's turn in rotate.
const rotationBatch = 200

// rotate runs b.N operations of each case, from activationClients
// goroutines, the cases taking turns in batches of rotationBatch, in an order
// that shifts every round. It returns the rate of each case: operations per
// second of the time its own batches took.
func rotate(b *testing.B, cases ...func(ctx context.Context) error) []float64 {
	b.ReportAllocs()
	ctx, cancel := context.WithTimeout(b.Context(), benchDeadline)
	defer cancel()
	spent := make([]time.Duration, len(cases))
	b.ResetTimer()
	for round, done := 0, 0; done < b.N; round++ {
		n := min(rotationBatch, b.N-done)
		for k := range cases {
			c := (k + round) % len(cases)
			start := time.Now()
			err := drive(ctx, activationClients, n, func(ctx context.Context, _, _ int) error { return cases[c](ctx) })
			spent[c] += time.Since(start)
			if err != nil {
				b.Fatalf("case %d: %v", c, err)
			}
		}
		done += n
	}
	b.StopTimer()
	rates := make([]float64, len(cases))
	for c, d := range spent {
		rates[c] = float64(b.N) / d.Seconds()
	}
	return rates
}

// seatStore is a database the seat fixture fills and then serves.
type seatStore struct {
	// open opens the database with sqlstore; the caller closes both.
	open func(ctx context.Context) (*sqlstore.Store, *sql.DB, error)
	// settle, if set, brings db to the state a database reaches in service
	// after it is filled. An empty database is left as a new one is.
	settle func(ctx context.Context, db *sql.DB) error
	// args point licgate serve at the database.
	args []string
}

// sqliteSeatStore is the SQLite file of a fresh data directory, which
// licgate serve opens by default.
func sqliteSeatStore(tb testing.TB) seatStore {
	dir := tb.TempDir()
	path := filepath.Join(dir, "licgate.db")
	return seatStore{
		open: func(ctx context.Context) (*sqlstore.Store, *sql.DB, error) {
			// Made 0600 first, as licgate serve makes it.
			f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
			if err != nil {
				return nil, nil, err
			}
			f.Close()
			return openSQLStore(ctx, "sqlite", sqlstore.SQLiteDSN(path), sqlstore.SQLite)
		},
		args: []string{"-data", dir},
	}
}

// postgresSeatStore is a fresh PostgreSQL database, or skips the benchmark
// if LICGATE_TEST_POSTGRES is not set. Its server keeps 16 connections (if
// it has the flags for it), twice what 8 clients use, so that the two
// servers of BenchmarkActivateHTTP fit in max_connections with room to
// spare.
func postgresSeatStore(tb testing.TB) seatStore {
	tb.Helper()
	s := postgresSeatStoreOn(tb, newBenchPostgres(tb))
	if serveHasFlag("db-max-open") {
		s.args = append(s.args, "-db-max-open", "16")
	}
	return s
}

// postgresSeatStoreOn is the PostgreSQL database pg.
func postgresSeatStoreOn(tb testing.TB, pg *benchPostgres) seatStore {
	return seatStore{
		open: func(ctx context.Context) (*sqlstore.Store, *sql.DB, error) {
			return openSQLStore(ctx, "pgx", pg.dsn, sqlstore.Postgres)
		},
		args: []string{"-data", tb.TempDir(), "-db", pg.dsn},
		// Filling a license a few thousand activations per transaction
		// leaves its row with thousands of dead versions, which a server
		// taking one seat per transaction never makes, and the new rows
		// without statistics; autovacuum would clean up within a minute,
		// in the middle of the run. Do its work before the run instead.
		// (Not on an empty database: a new one has never been analyzed,
		// and one analyzed while empty is planned as empty, with scans
		// that slow down as the run fills it, until autovacuum analyzes
		// it again.)
		settle: func(ctx context.Context, db *sql.DB) error {
			_, err := db.ExecContext(ctx, "VACUUM ANALYZE")
			return err
		},
	}
}

func openSQLStore(ctx context.Context, driver, dsn string, d sqlstore.Dialect) (*sqlstore.Store, *sql.DB, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, nil, err
	}
	st, err := sqlstore.Open(ctx, db, d)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return st, db, nil
}

// seatFixture is licgate serve with one license of a million seats, some of
// them held, that new computers activate.
type seatFixture struct {
	srv  *benchServer
	path string // of ValidateLicenseHttp, up to the value of is_pcid
	next atomic.Int64
}

// newSeatFixture creates a product and a license of license.MaxSeats seats
// in the store, takes held of its seats, closes the store and starts
// licgate serve on it.
func newSeatFixture(tb testing.TB, s seatStore, held int) *seatFixture {
	tb.Helper()
	ctx := context.Background()
	st, db, err := s.open(ctx)
	if err != nil {
		tb.Fatalf("open the store: %v", err)
	}
	l, err := benchLicense(ctx, st, "bench@example.com", license.MaxSeats, held)
	if err == nil && held > 0 && s.settle != nil {
		err = s.settle(ctx, db)
	}
	st.Close()
	db.Close()
	if err != nil {
		tb.Fatal(err)
	}
	srv := startBenchServer(tb, activationClients, append(s.args, "-demo=false")...)
	return &seatFixture{
		srv:  srv,
		path: "/qlm/qlmservice.asmx/ValidateLicenseHttp?is_avkey=" + url.QueryEscape(l.Key) + "&is_pcid=",
	}
}

// activateNew activates a computer the license has never seen.
func (fx *seatFixture) activateNew(ctx context.Context) error {
	pcid := fmt.Sprintf("bench-pc-%d", fx.next.Add(1))
	code, body, err := fx.srv.get(ctx, fx.path+pcid, "")
	if err != nil {
		return err
	}
	if code != http.StatusOK || bytes.Contains(body, []byte("<error>")) ||
		!bytes.Contains(body, []byte("<pckey>")) || bytes.Contains(body, []byte("<pckey></pckey>")) {
		return fmt.Errorf("activate %s: %d %.400s", pcid, code, body)
	}
	return nil
}

// benchLicense creates, through a license.Service on st, a product "bench"
// (if there is none) and a license of seats seats for email, then takes held
// of its seats directly through the store, a few thousand activations per
// transaction, which is much faster than activating them one by one. It
// checks that the license counts them.
func benchLicense(ctx context.Context, st license.Store, email string, seats, held int) (license.License, error) {
	svc, err := benchService(st)
	if err != nil {
		return license.License{}, err
	}
	defer svc.Close(ctx)
	if _, err := st.Product(ctx, "bench"); errors.Is(err, license.ErrNotFound) {
		if _, err := svc.CreateProduct(ctx, license.Product{ID: "bench", Name: "Bench", Major: 1}); err != nil {
			return license.License{}, fmt.Errorf("create product: %w", err)
		}
	} else if err != nil {
		return license.License{}, err
	}
	l, err := svc.CreateLicense(ctx, license.NewLicense{
		ProductID: "bench", Customer: license.Customer{Email: email, Name: "Bench"}, Seats: seats,
	})
	if err != nil {
		return license.License{}, fmt.Errorf("create license: %w", err)
	}
	const perTx = 5000
	now := time.Now().UTC().Truncate(time.Microsecond)
	for done := 0; done < held; done += perTx {
		err := st.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
			for i := done; i < min(done+perTx, held); i++ {
				a, err := heldActivation(l.ID, fmt.Sprintf("held-%d", i), now)
				if err != nil {
					return err
				}
				if err := tx.Insert(a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return license.License{}, fmt.Errorf("hold seats: %w", err)
		}
	}
	if l, err = st.License(ctx, l.ID); err != nil {
		return license.License{}, err
	} else if l.SeatsHeld != held {
		return license.License{}, fmt.Errorf("the license counts %d seats held after %d activations", l.SeatsHeld, held)
	}
	return l, nil
}

// heldActivation is an active activation of a license on a computer, as
// Service.Activate would make it.
func heldActivation(licenseID, computerID string, at time.Time) (license.Activation, error) {
	aid, err := license.NewUUID()
	if err != nil {
		return license.Activation{}, err
	}
	ck, err := license.NewKey(license.ComputerPermanent)
	if err != nil {
		return license.Activation{}, err
	}
	return license.Activation{
		AID: aid, LicenseID: licenseID, ComputerID: computerID, ComputerKey: ck,
		Status: license.StatusActive, ActivatedAt: at,
	}, nil
}

// benchService is a service on st with throwaway keys, to create records
// with; licgate serve uses keys of its own.
func benchService(st license.Store) (*license.Service, error) {
	k, err := license.GenerateSigningKey()
	if err != nil {
		return nil, err
	}
	ks, err := license.NewKeySet(k)
	if err != nil {
		return nil, err
	}
	return license.NewService(st, license.WithKeySet(ks), license.WithSecret([]byte(rand.Text()+rand.Text())))
}

// bareSQLite is the baseline: a SQLite database with a license row and
// activation rows and nothing else, in licgate's DSN.
type bareSQLite struct {
	db   *sql.DB
	next atomic.Int64
}

// bareSQLiteSchema is a license row with a seat counter and the activations
// table of licgate's SQLite migrations (up to 0003), indexes included.
const bareSQLiteSchema = `
CREATE TABLE licenses (
	id         TEXT    NOT NULL PRIMARY KEY,
	seats      INTEGER NOT NULL,
	seats_held INTEGER NOT NULL
) STRICT;
CREATE TABLE activations (
	aid           TEXT    NOT NULL PRIMARY KEY,
	license_id    TEXT    NOT NULL REFERENCES licenses (id),
	computer_id   TEXT    NOT NULL,
	computer_name TEXT    NOT NULL,
	computer_key  TEXT    NOT NULL,
	status        TEXT    NOT NULL,
	activated_at  INTEGER NOT NULL,
	released_at   INTEGER,
	attributes    TEXT    NOT NULL,
	comments      TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX activations_active_computer ON activations (license_id, computer_id) WHERE status = 'active';
CREATE UNIQUE INDEX activations_computer_key ON activations (computer_key) WHERE computer_key <> '';
CREATE INDEX activations_license ON activations (license_id, activated_at, aid);
CREATE INDEX activations_activated ON activations (activated_at, aid);
CREATE INDEX activations_revoked ON activations (license_id, computer_id) WHERE status = 'revoked';
INSERT INTO licenses (id, seats, seats_held) VALUES ('bare', 1000000000, 0);
`

// bareSQLitePool is the size of the baseline's pool. One connection is the
// fastest way to drive SQLite's single writer from database/sql: writers
// queue in the pool instead of sleeping in SQLite's busy handler.
const bareSQLitePool = 1

// newBareSQLite makes the baseline's database and takes held seats in it,
// in one transaction.
func newBareSQLite(tb testing.TB, held int) *bareSQLite {
	tb.Helper()
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(filepath.Join(tb.TempDir(), "bare.db")))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(bareSQLitePool)
	db.SetMaxIdleConns(bareSQLitePool)
	if _, err := db.Exec(bareSQLiteSchema); err != nil {
		tb.Fatalf("bare schema: %v", err)
	}
	s := &bareSQLite{db: db}
	err = s.inTx(context.Background(), func(tx *sql.Tx) error {
		for range held {
			if err := s.takeSeatIn(context.Background(), tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("bare: hold %d seats: %v", held, err)
	}
	return s
}

// takeSeat is one transaction that takes a seat and inserts an activation.
func (s *bareSQLite) takeSeat(ctx context.Context) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.takeSeatIn(ctx, tx) })
}

// inTx runs fn in a transaction, committed if fn returns nil.
func (s *bareSQLite) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// takeSeatIn takes a seat on the license row and inserts an activation row
// in tx.
func (s *bareSQLite) takeSeatIn(ctx context.Context, tx *sql.Tx) error {
	n := s.next.Add(1)
	aid, err := license.NewUUID()
	if err != nil {
		return err
	}
	ck, err := license.NewKey(license.ComputerPermanent)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE licenses SET seats_held = seats_held + 1 WHERE id = 'bare' AND seats_held < seats`)
	if err != nil {
		return err
	}
	if k, err := res.RowsAffected(); err != nil || k != 1 {
		return fmt.Errorf("take a seat: %d rows, %v", k, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO activations
		(aid, license_id, computer_id, computer_name, computer_key, status, activated_at, released_at, attributes, comments)
		VALUES (?, 'bare', ?, '', ?, 'active', ?, NULL, '[]', '')`,
		aid, fmt.Sprintf("bare-pc-%d", n), ck, time.Now().UnixMicro())
	return err
}

// drive calls do n times, with i from 0 to n-1, from workers goroutines
// (worker is the goroutine's number), and returns the first error, after
// which no new call starts.
func drive(ctx context.Context, workers, n int, do func(ctx context.Context, worker, i int) error) error {
	g, ctx := errgroup.WithContext(ctx)
	var next atomic.Int64
	for w := range workers {
		g.Go(func() error {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return nil
				}
				if err := do(ctx, w, i); err != nil {
					return err
				}
			}
		})
	}
	return g.Wait()
}

// benchServer is licgate serve running in this process, with a client that
// keeps its connections alive.
type benchServer struct {
	base   string
	client *http.Client
	logs   *benchLog
	stop   func()
}

// startBenchServer runs licgate serve with args, logging at warn level, on
// a free loopback port, waits until it is healthy, and stops it when tb
// ends (or earlier, by stop). Its client keeps up to clients connections.
func startBenchServer(tb testing.TB, clients int, args ...string) *benchServer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan struct{})
	var code int      // Run's exit code, once exited is closed
	var reported bool // an early exit was reported already
	logs := new(benchLog)
	args = append([]string{"serve", "-addr", addr, "-log-level", "warn"}, args...)
	go func() { defer close(exited); code = Run(ctx, args, io.Discard, logs) }()

	tr := &http.Transport{
		MaxIdleConns:        clients,
		MaxIdleConnsPerHost: clients,
		MaxConnsPerHost:     clients,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	s := &benchServer{base: "http://" + addr, client: &http.Client{Transport: tr, Timeout: time.Minute}, logs: logs}
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			tr.CloseIdleConnections()
			select {
			case <-exited:
				if code != 0 && !reported {
					tb.Errorf("licgate serve exited %d: %s", code, logs)
				}
			case <-time.After(time.Minute):
				tb.Errorf("licgate serve did not shut down within a minute: %s", logs)
			}
		})
	}
	tb.Cleanup(s.stop)

	deadline := time.Now().Add(time.Minute)
	for {
		status, _, err := s.get(ctx, "/healthz", "")
		if err == nil && status == http.StatusOK {
			return s
		}
		select {
		case <-exited:
			reported = true
			tb.Fatalf("licgate %s exited %d before it was healthy: %s", strings.Join(args, " "), code, logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("licgate serve did not become healthy: %v: %s", err, logs)
		}
	}
}

// get sends a GET for path, with bearer as the bearer token if not empty,
// and returns the status and the body.
func (s *benchServer) get(ctx context.Context, path, bearer string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}

// serveHasFlag reports whether licgate serve has the flag, by its usage.
func serveHasFlag(name string) bool {
	var usage bytes.Buffer
	Run(context.Background(), []string{"serve", "-h"}, io.Discard, &usage)
	return strings.Contains(usage.String(), "-"+name+" ")
}

// benchLog is a concurrency-safe buffer for a server's log.
type benchLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *benchLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *benchLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// benchPostgres is a fresh database on the PostgreSQL server that
// LICGATE_TEST_POSTGRES names, dropped when the benchmark ends.
type benchPostgres struct {
	name  string
	dsn   string  // of the fresh database
	admin *sql.DB // on the database LICGATE_TEST_POSTGRES names
}

// newBenchPostgres creates the database, or skips tb if
// LICGATE_TEST_POSTGRES is not set.
func newBenchPostgres(tb testing.TB) *benchPostgres {
	tb.Helper()
	base := os.Getenv(benchPostgresEnv)
	if base == "" {
		tb.Skipf("PostgreSQL skipped: set %s to a DSN, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", benchPostgresEnv)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("%s: want a postgres:// URL: %v", benchPostgresEnv, err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	pg := &benchPostgres{name: "licgate_bench_" + hex.EncodeToString(b), admin: admin}
	if _, err := admin.Exec("CREATE DATABASE " + pg.name); err != nil {
		admin.Close()
		tb.Fatalf("create database: %v", err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE " + pg.name + " WITH (FORCE)"); err != nil {
			tb.Errorf("drop database %s: %v", pg.name, err)
		}
	})
	u.Path = "/" + pg.name
	pg.dsn = u.String()
	return pg
}
