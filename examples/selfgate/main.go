// Command selfgate is an on-premises service that gates itself with its
// own activation: it reads the activation token it was given from a file,
// verifies it against the license server's JWKS, and checks the
// activation's state through the server's status endpoint, riding out an
// outage of the server for a grace period.
package main

import (
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
	"time"

	"github.com/licgate/licgate/middleware"
)

// config is what main reads from flags and tests set directly.
type config struct {
	tokenFile string        // the service's activation token
	server    string        // the license server's base URL
	issuer    string        // the iss its tokens carry
	ttl       time.Duration // how long a state is cached
	grace     time.Duration // how long past the TTL a state serves while the server is down
	now       func() time.Time
	logger    *slog.Logger
}

// app is the gated service.
type app struct {
	gate    *middleware.Gate
	handler http.Handler
}

func newApp(cfg config) (*app, error) {
	token, err := readToken(cfg.tokenFile)
	if err != nil {
		return nil, err
	}
	// The server's keys from its JWKS, the activation's state from its
	// status endpoint, presenting the service's own token.
	gate, err := middleware.NewRemote(cfg.server,
		middleware.WithStaticToken(token),
		middleware.WithIssuer(cfg.issuer),
		middleware.WithStateTTL(cfg.ttl),
		middleware.WithGracePeriod(cfg.grace),
		middleware.WithClock(cfg.now),
		middleware.WithLogger(cfg.logger),
	)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.Handle("GET /hello", gate.Handler(http.HandlerFunc(hello)))
	mux.Handle("GET /reports", gate.Require("reports")(http.HandlerFunc(hello)))
	return &app{gate: gate, handler: mux}, nil
}

// readToken reads an activation token file: one compact JWS, at most 16 KiB.
func readToken(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 16<<10+1))
	if err != nil {
		return "", err
	}
	if len(b) > 16<<10 {
		return "", fmt.Errorf("%s: larger than 16 KiB", name)
	}
	return strings.TrimSpace(string(b)), nil
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
		"stale":    g.Stale, // the license server is down; serving through the grace period
	})
}

// run serves a on ln until ctx is done.
func run(ctx context.Context, ln net.Listener, a *app, out io.Writer) error {
	defer a.gate.Close()
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
	addr := flag.String("addr", "127.0.0.1:8083", "address to listen on")
	flag.StringVar(&cfg.tokenFile, "token-file", "activation.jwt", "file holding this installation's activation token")
	flag.StringVar(&cfg.server, "server", "http://127.0.0.1:8080", "base URL of the license server")
	flag.StringVar(&cfg.issuer, "issuer", "licgate", "issuer of the license server's tokens")
	flag.DurationVar(&cfg.ttl, "ttl", 30*time.Second, "how long the activation's state is cached")
	flag.DurationVar(&cfg.grace, "grace", 72*time.Hour, "how long the service keeps running while the license server is unreachable")
	flag.Parse()
	cfg.now = time.Now
	cfg.logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	a, err := newApp(cfg)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if err := run(ctx, ln, a, os.Stdout); err != nil {
		log.Fatal(err)
	}
}
