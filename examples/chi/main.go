// Command chi runs a license server and an API gated by it on one chi
// router: customers' programs activate through QLM's HTTP API, and
// the API lets a request through only with the activation token they got.
package main

import (
	"context"
	"crypto/rand"
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
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
	"github.com/licgate/licgate/license/qlm"
	"github.com/licgate/licgate/license/status"
	"github.com/licgate/licgate/middleware"
)

// config is what main reads from flags and tests set directly.
type config struct {
	ttl    time.Duration    // state cache TTL of the gate
	now    func() time.Time // the clock of the service and the gate
	logger *slog.Logger
}

// app is the license server and the gated API.
type app struct {
	svc     *license.Service
	key     string // the activation key of the demo license
	handler http.Handler
}

func newApp(ctx context.Context, cfg config) (*app, error) {
	k, err := license.GenerateSigningKey()
	if err != nil {
		return nil, err
	}
	ks, err := license.NewKeySet(k)
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	svc, err := license.NewService(memstore.New(),
		license.WithKeySet(ks), license.WithSecret(secret), license.WithClock(cfg.now),
		license.WithEmailNotifier(license.NotifierFunc(func(_ context.Context, m license.Message) error {
			cfg.logger.Info("authorization code", "to", m.To, "code", m.Code)
			return nil
		})))
	if err != nil {
		return nil, err
	}
	if _, err := svc.CreateProduct(ctx, license.Product{ID: "demo", Name: "Demo", Major: 1}); err != nil {
		return nil, err
	}
	l, err := svc.CreateLicense(ctx, license.NewLicense{
		ProductID: "demo", Customer: license.Customer{Email: "ada@example.com", Name: "Ada"},
		Seats: 3, Features: []string{"reports"},
	})
	if err != nil {
		return nil, err
	}

	// The license server: activation, public keys, activation status.
	q, err := qlm.NewHandler(svc, qlm.WithLogger(cfg.logger))
	if err != nil {
		return nil, err
	}
	st, err := status.NewHandler(svc, status.WithLogger(cfg.logger))
	if err != nil {
		return nil, err
	}
	jwks := svc.KeySet().JWKS()

	// The gate, verifying with the service's keys and asking the service
	// in this process for activation state.
	gate, err := middleware.NewLocal(svc,
		middleware.WithStateTTL(cfg.ttl),
		middleware.WithClock(cfg.now),
		middleware.WithLogger(cfg.logger),
	)
	if err != nil {
		return nil, err
	}

	r := chi.NewRouter()
	r.Handle("/qlm/qlmservice.asmx/*", q)
	r.Get("/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	})
	r.Method(http.MethodGet, status.Path, st)
	r.Route("/api", func(r chi.Router) {
		r.Use(gate.Handler)
		r.Get("/hello", hello)
		// Behind gate.Handler, Require only checks the features.
		r.With(gate.Require("reports")).Get("/reports", hello)
		r.With(gate.RequireFunc(func(r *http.Request) []string {
			return []string{chi.URLParam(r, "name")}
		})).Get("/features/{name}", hello)
	})
	return &app{svc: svc, key: l.Key, handler: r}, nil
}

// hello answers with the license the gate put in the context.
func hello(w http.ResponseWriter, r *http.Request) {
	g, _ := middleware.FromContext(r.Context())
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"hello":    "licensed world",
		"license":  g.Claims.LicenseID,
		"product":  g.State.ProductID,
		"computer": g.Claims.ComputerID,
		"features": g.State.Features,
	})
}

// run serves a on ln until ctx is done.
func run(ctx context.Context, ln net.Listener, a *app, out io.Writer) error {
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(out, `serving on %s
activate:  curl '%s/qlm/qlmservice.asmx/ValidateLicenseHttp?is_avkey=%s&is_pcid=my-pc'
then:      curl -H "Authorization: Bearer <activationToken>" %s/api/hello
`, base, base, a.key, base)
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
	addr := flag.String("addr", "127.0.0.1:8082", "address to listen on")
	ttl := flag.Duration("ttl", 30*time.Second, "how long the gate caches an activation's state")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	a, err := newApp(ctx, config{ttl: *ttl, now: time.Now, logger: logger})
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
