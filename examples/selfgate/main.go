// Command selfgate is an on-premises service that gates itself with its
// own activation. Online, it reads the activation token it was given from
// a file, verifies it against the license server's JWKS, and checks the
// activation's state through the server's status endpoint, riding out an
// outage of the server for a grace period. Offline (-license-file), it
// reads the machine's offline license file and needs no server: it serves
// while the file's token is valid, and picks up a renewed file without a
// restart.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/middleware"
)

// config is what main reads from flags and tests set directly.
type config struct {
	tokenFile string        // the service's activation token
	server    string        // the license server's base URL
	issuer    string        // the iss its tokens carry
	ttl       time.Duration // how long a state is cached
	grace     time.Duration // how long past the TTL a state serves while the server is down

	licenseFile string   // the machine's offline license file; no server then
	computerID  string   // this machine, as its license file names it
	pins        []string // thumbprints of the license server's keys
	product     string   // the product this service is; "" accepts any

	now    func() time.Time
	logger *slog.Logger
}

// app is the gated service.
type app struct {
	cfg     config
	handler http.Handler
	current atomic.Pointer[gated] // the routes behind the gate in force

	mu   sync.Mutex // serialises reloads of the license file
	seen []byte     // the license file as last read
}

// gated is the routes behind one gate.
type gated struct {
	gate *middleware.Gate
	h    http.Handler
}

func newApp(cfg config) (*app, error) {
	a := &app{cfg: cfg}
	var (
		g   *gated
		err error
	)
	if cfg.licenseFile != "" {
		var data []byte
		if data, err = readFile(cfg.licenseFile, license.MaxOfflineFileBytes); err == nil {
			g, err = a.offlineGate(data)
			a.seen = data
		}
	} else {
		g, err = a.onlineGate()
	}
	if err != nil {
		return nil, err
	}
	a.current.Store(g)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.current.Load().h.ServeHTTP(w, r)
	}))
	a.handler = mux
	return a, nil
}

// onlineGate returns the routes behind a gate that asks the license
// server: its keys from its JWKS, the activation's state from its status
// endpoint, presenting the service's own token.
func (a *app) onlineGate() (*gated, error) {
	data, err := readFile(a.cfg.tokenFile, 16<<10)
	if err != nil {
		return nil, err
	}
	opts := append(a.commonOptions(),
		middleware.WithStaticToken(strings.TrimSpace(string(data))),
		middleware.WithIssuer(a.cfg.issuer),
		middleware.WithStateTTL(a.cfg.ttl),
		middleware.WithGracePeriod(a.cfg.grace),
	)
	gate, err := middleware.NewRemote(a.cfg.server, opts...)
	if err != nil {
		return nil, err
	}
	return routes(gate), nil
}

// offlineGate returns the routes behind a gate of a license file, with no
// server: the file's token, verified with the pinned keys of the server
// among those in the file, decides until it expires. The file must be for
// this machine; one that has expired is taken all the same, and answers
// 503 until a renewed one replaces it.
func (a *app) offlineGate(data []byte) (*gated, error) {
	f, err := license.ParseOfflineLicense(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.cfg.licenseFile, err)
	}
	opts := append(a.commonOptions(), middleware.WithPinnedKeys(a.cfg.pins...))
	gate, err := middleware.NewOffline(f, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.cfg.licenseFile, err)
	}
	// The token is authentic (NewOffline checked it), so its claims,
	// which an expired token keeps, say which machine it is for.
	v, err := f.Verifier(a.cfg.pins, func(c *license.VerifierConfig) { c.Now = a.cfg.now })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.cfg.licenseFile, err)
	}
	c, verr := v.Verify(f.Token)
	switch {
	case c == nil:
		return nil, fmt.Errorf("%s: %w", a.cfg.licenseFile, verr)
	case c.ComputerID != a.cfg.computerID:
		return nil, fmt.Errorf("%s: the license file is for computer %q, not %q", a.cfg.licenseFile, c.ComputerID, a.cfg.computerID)
	case verr != nil:
		a.cfg.logger.Warn("the license file has expired: install a renewed one", "file", a.cfg.licenseFile, "expired", c.ExpiresAt.Time)
	default:
		a.cfg.logger.Info("serving under the license file", "file", a.cfg.licenseFile, "license", c.LicenseID, "until", c.ExpiresAt.Time)
	}
	return routes(gate), nil
}

// commonOptions are the gate options of both modes.
func (a *app) commonOptions() []middleware.Option {
	opts := []middleware.Option{
		middleware.WithClock(a.cfg.now),
		middleware.WithLogger(a.cfg.logger),
		middleware.WithErrorHandler(errorHandler),
	}
	if a.cfg.product != "" {
		opts = append(opts, middleware.WithAudiences(a.cfg.product))
	}
	return opts
}

// routes returns the service's routes behind gate.
func routes(gate *middleware.Gate) *gated {
	mux := http.NewServeMux()
	mux.Handle("GET /hello", gate.Handler(http.HandlerFunc(hello)))
	mux.Handle("GET /reports", gate.Require("reports")(http.HandlerFunc(hello)))
	return &gated{gate: gate, h: mux}
}

// reload reads the license file again and, if it changed and is good,
// puts a gate of it in force; a file that does not load is logged and
// ignored, the gate in force stays. It reports whether the gate changed.
func (a *app) reload() (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	data, err := readFile(a.cfg.licenseFile, license.MaxOfflineFileBytes)
	if err != nil || bytes.Equal(data, a.seen) {
		return false, err
	}
	a.seen = data // a bad file is reported once, not at every look
	g, err := a.offlineGate(data)
	if err != nil {
		return false, err
	}
	a.current.Swap(g).gate.Close()
	return true, nil
}

// watch reloads the license file every interval and whenever a signal
// arrives on hup, until ctx is done.
func (a *app) watch(ctx context.Context, every time.Duration, hup <-chan os.Signal) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-hup:
		}
		switch changed, err := a.reload(); {
		case err != nil:
			a.cfg.logger.Error("the license file was not reloaded; the one in force stays", "file", a.cfg.licenseFile, "err", err)
		case changed:
			a.cfg.logger.Info("the license file was reloaded", "file", a.cfg.licenseFile)
		}
	}
}

// readFile reads a file of at most max bytes.
func readFile(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, max)
	}
	return b, nil
}

// errorHandler answers as the gate does, but for the service's own token
// having expired: the client can do nothing about that, so it is not a
// 401 asking for a token but a 503 saying what the operator must do.
func errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, middleware.ErrTokenExpired) {
		middleware.DefaultErrorHandler(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusServiceUnavailable)
	json.NewEncoder(w).Encode(map[string]any{
		"type":   "urn:licgate:problem:" + middleware.ReasonTokenExpired,
		"title":  "The license of this installation has expired. Ask the vendor for a renewed license file or activation.",
		"status": http.StatusServiceUnavailable,
		"reason": middleware.ReasonTokenExpired,
	})
}

// hello answers with the license the service runs under.
func hello(w http.ResponseWriter, r *http.Request) {
	g, _ := middleware.FromContext(r.Context())
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"hello":    "on-premises world",
		"license":  g.Claims.LicenseID,
		"product":  g.State.ProductID,
		"features": g.State.Features,
		"until":    g.Claims.ExpiresAt.Time, // when the token expires
		"stale":    g.Stale,                 // the license server is down; serving through the grace period
	})
}

// run serves a on ln until ctx is done.
func run(ctx context.Context, ln net.Listener, a *app, out io.Writer) error {
	defer func() { a.current.Load().gate.Close() }()
	fmt.Fprintf(out, "serving on http://%s (try /hello)\n", ln.Addr())
	srv := &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func main() {
	var cfg config
	host, _ := os.Hostname()
	addr := flag.String("addr", "127.0.0.1:8083", "address to listen on")
	flag.StringVar(&cfg.tokenFile, "token-file", "activation.jwt", "file holding this installation's activation token")
	flag.StringVar(&cfg.server, "server", "http://127.0.0.1:8080", "base URL of the license server")
	flag.StringVar(&cfg.issuer, "issuer", "licgate", "issuer of the license server's tokens")
	flag.DurationVar(&cfg.ttl, "ttl", 30*time.Second, "how long the activation's state is cached")
	flag.DurationVar(&cfg.grace, "grace", 72*time.Hour, "how long the service keeps running while the license server is unreachable")
	flag.StringVar(&cfg.licenseFile, "license-file", "", "offline license file of this machine: gate with it alone, no license server")
	flag.StringVar(&cfg.computerID, "computer-id", host, "this machine's computer ID, as its license file names it")
	pins := flag.String("pin", "", "comma-separated thumbprints (key IDs) of the license server's keys a license file must be signed with")
	flag.StringVar(&cfg.product, "product", "", "the product ID this service is licensed as; empty accepts any")
	flag.Parse()
	if *pins != "" {
		cfg.pins = strings.Split(*pins, ",")
	}
	cfg.now = time.Now
	cfg.logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	if cfg.licenseFile != "" {
		flag.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "server", "token-file", "issuer", "ttl", "grace":
				log.Fatalf("-%s does not go with -license-file, which needs no license server", f.Name)
			}
		})
		if len(cfg.pins) == 0 {
			log.Fatal("-license-file needs -pin: the key IDs of the license server's keys (the kid of each key its /.well-known/jwks.json lists), since anyone can sign a file with keys of their own")
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := newApp(cfg)
	if err != nil {
		log.Fatal(err)
	}
	if cfg.licenseFile != "" {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		go a.watch(ctx, 10*time.Second, hup)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if err := run(ctx, ln, a, os.Stdout); err != nil {
		log.Fatal(err)
	}
}
