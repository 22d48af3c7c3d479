package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/ems"
	"github.com/licgate/licgate/license/notify"
	"github.com/licgate/licgate/license/qlm"
	"github.com/licgate/licgate/license/status"
	"github.com/licgate/licgate/middleware"
)

// serveFlags configure licgate serve.
type serveFlags struct {
	storeFlags
	addr        string
	smtp        string
	mailFrom    string
	smsURL      string
	smsFrom     string
	demo        bool
	issuer      string
	reveal      bool
	qlmVendor   string
	qlmUser     string
	qlmPassword string
	emsUser     string
	emsPassword string
	limitEmail  int
	limitAddr   int
	limitFails  int
	ipHeader    string
	gateTTL     time.Duration
	gateGrace   time.Duration
	logLevel    string
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("licgate serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serveFlags
	f.register(fs)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&f.smtp, "smtp", "", "SMTP server for codes by email: smtp://user:pass@host:port (smtps:// for implicit TLS)")
	fs.StringVar(&f.mailFrom, "mail-from", "licgate <licgate@localhost>", "From address of code emails")
	fs.StringVar(&f.smsURL, "sms-url", "", "Twilio-compatible SMS API base URL with credentials: https://SID:TOKEN@api.twilio.com")
	fs.StringVar(&f.smsFrom, "sms-from", "", "sending phone number for codes by SMS")
	fs.BoolVar(&f.demo, "demo", true, "seed a demo product and license into an empty store")
	fs.StringVar(&f.issuer, "issuer", "licgate", "iss claim of activation tokens")
	fs.BoolVar(&f.reveal, "reveal-unknown-email", false, "answer code requests for unknown emails with an error (leaks who is a customer)")
	fs.StringVar(&f.qlmVendor, "qlm-vendor", "", "enables ReleaseLicenseHttp: the is_vendor it requires (with -qlm-user and -qlm-password)")
	fs.StringVar(&f.qlmUser, "qlm-user", "", "is_user required by ReleaseLicenseHttp")
	fs.StringVar(&f.qlmPassword, "qlm-password", "", "is_pwd required by ReleaseLicenseHttp")
	fs.StringVar(&f.emsUser, "ems-user", "", "enables the EMS vendor login (login.ws): its user name (with -ems-password)")
	fs.StringVar(&f.emsPassword, "ems-password", "", "password of the EMS vendor login")
	fs.IntVar(&f.limitEmail, "code-limit-email", license.DefaultCodesPerEmail, "code requests allowed per email address per 10 minutes (0: no limit)")
	fs.IntVar(&f.limitAddr, "code-limit-addr", license.DefaultCodesPerAddr, "code requests allowed per client address per 10 minutes (0: no limit)")
	fs.IntVar(&f.limitFails, "code-limit-failures", license.DefaultFailuresPerAddr, "wrong codes allowed per client address per 10 minutes (0: no limit)")
	fs.StringVar(&f.ipHeader, "client-ip-header", "", "behind a trusted reverse proxy: the header it puts the client address in (X-Forwarded-For: its last entry); empty uses the connection's address")
	fs.DurationVar(&f.gateTTL, "gate-ttl", 30*time.Second, "how long the /demo gate caches an activation's state; a revocation takes effect within it")
	fs.DurationVar(&f.gateGrace, "gate-grace", 0, "how long past -gate-ttl the last known good state keeps /demo serving while the store fails; 0 fails closed")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return usageError("-log-level: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	st, db, err := f.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	defer st.Close()
	sec, err := f.loadSecrets()
	if err != nil {
		return err
	}
	opts := []license.Option{
		license.WithKeySet(sec.keys), license.WithSecret(sec.secret), license.WithIssuer(f.issuer),
		license.WithRevealUnknownEmail(f.reveal), license.WithLogger(logger),
		license.WithCodeRateLimits(f.limitEmail, f.limitAddr, f.limitFails, 10*time.Minute),
	}
	switch {
	case f.smtp != "":
		n, err := notify.NewSMTP(f.smtp, f.mailFrom)
		if err != nil {
			return usageError("-smtp: %v", err)
		}
		opts = append(opts, license.WithEmailNotifier(n))
	default:
		logger.Warn("no -smtp: authorization codes go to this log")
		n, err := notify.NewLog(logger)
		if err != nil {
			return err
		}
		opts = append(opts, license.WithEmailNotifier(n))
	}
	if f.smsURL != "" {
		n, err := notify.NewTwilio(f.smsURL, f.smsFrom)
		if err != nil {
			return usageError("-sms-url: %v", err)
		}
		opts = append(opts, license.WithSMSNotifier(n))
	}
	svc, err := license.NewService(st, opts...)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		svc.Close(cctx)
	}()
	if f.demo {
		if err := seedDemo(ctx, svc, f.addr, stdout); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}
	h, err := f.handler(svc, logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20, // long QLM query strings reach the handler and get an <error>
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go janitor(ctx, svc, logger)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("licgate serving", "addr", ln.Addr().String(), "issuer", f.issuer)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// handler builds the routes of licgate serve.
func (f *serveFlags) handler(svc *license.Service, logger *slog.Logger) (http.Handler, error) {
	qopts := []qlm.Option{qlm.WithLogger(logger)}
	if f.ipHeader != "" {
		qopts = append(qopts, qlm.WithClientIP(headerIP(f.ipHeader)))
	}
	if f.qlmVendor != "" || f.qlmUser != "" || f.qlmPassword != "" {
		qopts = append(qopts, qlm.WithRelease(f.qlmVendor, f.qlmUser, f.qlmPassword))
	}
	q, err := qlm.NewHandler(svc, qopts...)
	if err != nil {
		return nil, usageError("-qlm-vendor, -qlm-user and -qlm-password must all be set to enable ReleaseLicenseHttp")
	}
	eopts := []ems.Option{ems.WithLogger(logger)}
	if f.ipHeader != "" {
		eopts = append(eopts, ems.WithClientIP(headerIP(f.ipHeader)))
	}
	if f.emsUser != "" || f.emsPassword != "" {
		eopts = append(eopts, ems.WithVendorCredentials(f.emsUser, f.emsPassword))
	}
	e, err := ems.NewHandler(svc, eopts...)
	if err != nil {
		return nil, usageError("-ems-user and -ems-password must both be set to enable the EMS vendor login")
	}
	mux := http.NewServeMux()
	mux.Handle("/qlm/qlmservice.asmx/", q)
	mux.Handle("/ems/", e)
	jwks := svc.KeySet().JWKS()
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(jwks)
	})
	st, err := status.NewHandler(svc, status.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	mux.Handle("GET "+status.Path, st)
	gate, err := middleware.New(
		middleware.WithKeySet(svc.KeySet()),
		middleware.WithIssuer(svc.Issuer()),
		middleware.WithStateSource(svc), // any product this server licenses
		middleware.WithStateTTL(f.gateTTL),
		middleware.WithGracePeriod(f.gateGrace),
		middleware.WithLogger(logger),
	)
	if err != nil {
		return nil, usageError("-gate-ttl, -gate-grace: %v", err)
	}
	mux.Handle("GET /demo/hello", gate.Handler(http.HandlerFunc(demoHello)))
	mux.HandleFunc("GET /demo/public", demoHello) // the same, ungated: a baseline
	mux.Handle("GET /demo/features/{name}", gate.RequireFunc(func(r *http.Request) []string {
		return []string{r.PathValue("name")}
	})(http.HandlerFunc(demoHello)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if _, err := svc.Products(ctx); err != nil {
			logger.Error("health check", "err", err)
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	return mux, nil
}

// janitor deletes expired codes and sessions once a minute.
func janitor(ctx context.Context, svc *license.Service, logger *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := svc.PurgeExpiredCodes(ctx); err != nil && ctx.Err() == nil {
			logger.Warn("purge expired codes", "err", err)
		}
		if _, err := svc.PurgeExpiredSessions(ctx); err != nil && ctx.Err() == nil {
			logger.Warn("purge expired sessions", "err", err)
		}
	}
}

// headerIP reads the client address from the last entry of a header that a
// trusted proxy sets, falling back to the connection's address.
func headerIP(name string) func(*http.Request) string {
	return func(r *http.Request) string {
		v := r.Header.Values(name)
		if len(v) > 0 {
			parts := strings.Split(v[len(v)-1], ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); ip != "" {
				return ip
			}
		}
		return qlm.RemoteIP(r)
	}
}
