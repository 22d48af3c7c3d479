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
	"strconv"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/admin"
	"github.com/licgate/licgate/license/ems"
	"github.com/licgate/licgate/license/notify"
	"github.com/licgate/licgate/license/qlm"
	"github.com/licgate/licgate/license/rest"
	"github.com/licgate/licgate/license/status"
	"github.com/licgate/licgate/license/webhook"
	"github.com/licgate/licgate/middleware"
)

// serveFlags configure licgate serve.
type serveFlags struct {
	storeFlags
	addr          string
	adminAddr     string
	webhookRetry  retrySchedule
	smtp          string
	mailFrom      string
	smsURL        string
	smsFrom       string
	notifyLog     bool
	demo          bool
	issuer        string
	reveal        bool
	qlmVendor     string
	qlmUser       string
	qlmPassword   string
	qlmSelfRel    releaseBudget
	emsUser       string
	emsPassword   string
	secureCookies bool
	emsPolling    int
	limitEmail    int
	limitAddr     int
	limitFails    int
	ipHeader      string
	gateTTL       time.Duration
	gateGrace     time.Duration
	offlineTTL    time.Duration
	logLevel      string
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("licgate serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serveFlags
	f.register(fs)
	f.registerPool(fs)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&f.adminAddr, "admin-addr", "", "address of a listener of its own for the admin API (/admin/v1/), which then is not served on -addr; empty serves it on -addr")
	f.webhookRetry = retrySchedule(webhook.DefaultSchedule())
	fs.Var(&f.webhookRetry, "webhook-retries", "waits between the attempts at a webhook delivery, comma-separated; after the last the delivery has failed (none: no retries)")
	fs.StringVar(&f.smtp, "smtp", "", "SMTP server for codes by email: smtp://user:pass@host:port (smtps:// for implicit TLS)")
	fs.StringVar(&f.mailFrom, "mail-from", "licgate <licgate@localhost>", "From address of code emails")
	fs.StringVar(&f.smsURL, "sms-url", "", "Twilio-compatible SMS API base URL with credentials: https://SID:TOKEN@api.twilio.com")
	fs.StringVar(&f.smsFrom, "sms-from", "", "sending phone number for codes by SMS")
	fs.BoolVar(&f.notifyLog, "notify-log", false, "write authorization codes to the log instead of emailing them (development only: whoever reads the log can activate); -demo does this too unless -smtp is set")
	fs.BoolVar(&f.demo, "demo", true, "demo mode: seed a demo product and license into an empty store, and without -smtp write codes to the log")
	fs.StringVar(&f.issuer, "issuer", "licgate", "iss claim of activation tokens")
	fs.BoolVar(&f.reveal, "reveal-unknown-email", false, "answer code requests for unknown emails with an error (leaks who is a customer)")
	fs.StringVar(&f.qlmVendor, "qlm-vendor", "", "enables ReleaseLicenseHttp and ActivateKey for the vendor: the is_vendor they require (with -qlm-user and -qlm-password)")
	fs.StringVar(&f.qlmUser, "qlm-user", "", "is_user required by ReleaseLicenseHttp and ActivateKey")
	fs.StringVar(&f.qlmPassword, "qlm-password", "", "is_pwd required by ReleaseLicenseHttp and ActivateKey")
	fs.Var(&f.qlmSelfRel, "qlm-self-release", "lets a QLM client release its own seat with its computer key (is_pckey), without vendor credentials, N times per license per period: N/PERIOD, such as 3/720h; empty: off")
	fs.StringVar(&f.emsUser, "ems-user", "", "enables the EMS vendor login (login.ws): its user name (with -ems-password)")
	fs.StringVar(&f.emsPassword, "ems-password", "", "password of the EMS vendor login")
	fs.IntVar(&f.emsPolling, "ems-polling-frequency", 0, "minutes EMS clients should wait between asks for pending updates (activation/target.ws's polling-frequency header; 0: ignore)")
	fs.BoolVar(&f.secureCookies, "secure-cookies", false, "mark the EMS session cookie Secure on every answer: set it when a proxy in front of licgate terminates TLS (over direct TLS it is Secure anyway)")
	fs.IntVar(&f.limitEmail, "code-limit-email", license.DefaultCodesPerEmail, "code requests allowed per email address per 10 minutes (0: no limit)")
	fs.IntVar(&f.limitAddr, "code-limit-addr", license.DefaultCodesPerAddr, "code requests allowed per client address per 10 minutes (0: no limit)")
	fs.IntVar(&f.limitFails, "code-limit-failures", license.DefaultFailuresPerAddr, "wrong codes allowed per client address per 10 minutes (0: no limit)")
	fs.StringVar(&f.ipHeader, "client-ip-header", "", "behind a trusted reverse proxy: the header it puts the client address in (X-Forwarded-For: its last entry); empty uses the connection's address")
	fs.DurationVar(&f.gateTTL, "gate-ttl", 30*time.Second, "how long the /demo gate caches an activation's state; a revocation takes effect within it")
	fs.DurationVar(&f.gateGrace, "gate-grace", 0, "how long past -gate-ttl the last known good state keeps /demo serving while the store fails; 0 fails closed")
	fs.DurationVar(&f.offlineTTL, "offline-ttl", license.DefaultOfflineTTL, "how long the token of an offline license file lives (POST /v1/offline, the /offline page), 1h to 10 years, bounded by the license's expiry")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// Everything that can be checked without touching the disk or the
	// network is checked before the port is bound.
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return usageError("-log-level: %v", err)
	}
	if err := f.checkPool(); err != nil {
		return err
	}
	if err := f.checkCredentials(); err != nil {
		return err
	}
	if err := checkOfflineTTL(f.offlineTTL); err != nil {
		return err
	}
	logger := slog.New(requestIDHandler{slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})})
	m, err := newMetrics()
	if err != nil {
		return err
	}
	notifiers, err := f.notifiers(logger)
	if err != nil {
		return err
	}

	// Bind first: a server whose port is taken fails before it creates,
	// seeds or prints anything.
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	var adminLn net.Listener
	if f.adminAddr != "" {
		if adminLn, err = net.Listen("tcp", f.adminAddr); err != nil {
			return err
		}
		defer adminLn.Close()
	}

	st, db, err := f.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer db.Close()
	defer st.Close()
	sec, err := f.loadSecrets(true)
	if err != nil {
		return err
	}
	// The dispatcher wakes on the service's events, and the service opens
	// the webhook secrets it sealed: svc is set before the dispatcher runs.
	var svc *license.Service
	hooks, err := webhook.New(st,
		webhook.WithResultHook(m.webhookAttempt),
		webhook.WithLogger(logger),
		webhook.WithSchedule(f.webhookRetry),
		webhook.WithSecrets(func(w license.Webhook) (string, error) { return svc.OpenWebhookSecret(w) }),
	)
	if err != nil {
		return err
	}
	opts := append([]license.Option{
		license.WithKeySet(sec.keys), license.WithSecret(sec.secret), license.WithIssuer(f.issuer),
		license.WithRevealUnknownEmail(f.reveal), license.WithLogger(logger), license.WithObserver(m),
		license.WithCodeRateLimits(f.limitEmail, f.limitAddr, f.limitFails, 10*time.Minute),
		license.WithEventHook(hooks.Wake), license.WithOfflineTTL(f.offlineTTL),
	}, notifiers.opts...)
	svc, err = license.NewService(st, opts...)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		svc.Close(cctx)
	}()
	h, adminH, closeHandler, err := f.handler(svc, m, logger)
	if err != nil {
		return err
	}
	defer closeHandler()
	servers := []*http.Server{newHTTPServer(h, logger)}
	listeners := []net.Listener{ln}
	if adminLn != nil {
		servers = append(servers, newHTTPServer(adminH, logger))
		listeners = append(listeners, adminLn)
	}
	for _, w := range notifiers.warnings {
		logger.Warn(w)
	}
	if f.demo {
		if err := seedDemo(ctx, svc, ln.Addr().String(), notifiers.toLog, stdout); err != nil {
			return fmt.Errorf("demo data: %s", explain(err))
		}
	}
	go janitor(ctx, svc, logger)
	// The dispatcher outlives the servers' draining, so that the events of
	// the last requests are sent, or left pending for the next start.
	hctx, stopHooks := context.WithCancel(context.WithoutCancel(ctx))
	hooksDone := make(chan struct{})
	go func() {
		defer close(hooksDone)
		hooks.Run(hctx)
	}()
	defer func() {
		stopHooks()
		<-hooksDone
	}()
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errc <- srv.Serve(listeners[i]) }()
	}
	if adminLn != nil {
		logger.Info("licgate serving", "addr", ln.Addr().String(), "admin_addr", adminLn.Addr().String(), "issuer", f.issuer)
	} else {
		logger.Info("licgate serving", "addr", ln.Addr().String(), "issuer", f.issuer)
	}
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
		logger.Info("shutting down")
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	errs := make(chan error, len(servers))
	for _, srv := range servers {
		go func() { errs <- srv.Shutdown(sctx) }()
	}
	for range servers {
		if err := <-errs; err != nil && !errors.Is(err, http.ErrServerClosed) && serveErr == nil {
			serveErr = err
		}
	}
	return serveErr
}

// newHTTPServer returns the HTTP server of licgate serve's handler h.
func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20, // long QLM query strings reach the handler and get an <error>
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// checkCredentials checks that the QLM release and EMS vendor credentials
// are given whole or not at all, and the EMS polling frequency.
func (f *serveFlags) checkCredentials() error {
	qlm := []string{f.qlmVendor, f.qlmUser, f.qlmPassword}
	if n := countSet(qlm...); n != 0 && n != len(qlm) {
		return usageError("-qlm-vendor, -qlm-user and -qlm-password must all be set to enable ReleaseLicenseHttp")
	}
	if n := countSet(f.emsUser, f.emsPassword); n == 1 {
		return usageError("-ems-user and -ems-password must both be set to enable the EMS vendor login")
	}
	if f.emsPolling < 0 || f.emsPolling > 525600 {
		return usageError("-ems-polling-frequency must be 0 to 525600 minutes, not %d", f.emsPolling)
	}
	return nil
}

func countSet(vs ...string) int {
	n := 0
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			n++
		}
	}
	return n
}

// notifierSetup is how codes will reach customers, and what to say about
// it at start.
type notifierSetup struct {
	opts     []license.Option
	toLog    bool     // email codes are written to the log
	warnings []string // logged once the port is bound
}

// notifiers chooses how codes are sent: email by -smtp, else to the log in
// demo mode or with -notify-log, else not at all; SMS by -sms-url. A
// server with neither refuses code requests (license.ErrNoChannel) rather
// than write codes where an operator did not ask for them.
func (f *serveFlags) notifiers(logger *slog.Logger) (notifierSetup, error) {
	var ns notifierSetup
	switch {
	case f.smtp != "" && f.notifyLog:
		return ns, usageError("-notify-log and -smtp exclude each other: codes go either to the log or by email")
	case f.smtp != "":
		n, err := notify.NewSMTP(f.smtp, f.mailFrom)
		if err != nil {
			return ns, usageError("-smtp: %v", err)
		}
		ns.opts = append(ns.opts, license.WithEmailNotifier(n))
	case f.demo || f.notifyLog:
		n, err := notify.NewLog(logger)
		if err != nil {
			return ns, err
		}
		ns.opts = append(ns.opts, license.WithEmailNotifier(n))
		ns.toLog = true
		ns.warnings = append(ns.warnings, "authorization codes go to this log, not by email (-demo or -notify-log without -smtp): whoever reads the log can activate; set -smtp to email them")
	}
	if f.smsURL != "" {
		n, err := notify.NewTwilio(f.smsURL, f.smsFrom)
		if err != nil {
			return ns, usageError("-sms-url: %v", err)
		}
		ns.opts = append(ns.opts, license.WithSMSNotifier(n))
	}
	switch {
	case len(ns.opts) == 0:
		ns.warnings = append(ns.warnings, "no -smtp or -sms-url: requests for authorization codes will be refused, because this server has no way to send them (and writes codes to its log only with -demo or -notify-log); set -smtp to email codes or -sms-url to text them")
	case f.smtp == "" && !ns.toLog:
		ns.warnings = append(ns.warnings, "no -smtp: codes reach only customers with a phone number, by SMS")
	}
	return ns, nil
}

// handler builds the routes of licgate serve and returns them, with the
// admin API among them unless -admin-addr gives it a listener of its own,
// then the routes of that listener (nil without -admin-addr), and what to
// call when the server is done.
func (f *serveFlags) handler(svc *license.Service, m *metrics, logger *slog.Logger) (http.Handler, http.Handler, func(), error) {
	clientIP := qlm.RemoteIP
	if f.ipHeader != "" {
		clientIP = headerIP(f.ipHeader)
	}
	qopts := []qlm.Option{qlm.WithLogger(logger), qlm.WithClientIP(clientIP)}
	if f.qlmVendor != "" || f.qlmUser != "" || f.qlmPassword != "" {
		qopts = append(qopts, qlm.WithRelease(f.qlmVendor, f.qlmUser, f.qlmPassword),
			qlm.WithActivateKey(f.qlmVendor, f.qlmUser, f.qlmPassword))
	}
	if f.qlmSelfRel.n > 0 {
		qopts = append(qopts, qlm.WithSelfRelease(f.qlmSelfRel.n, f.qlmSelfRel.per))
	}
	q, err := qlm.NewHandler(svc, qopts...)
	if err != nil {
		return nil, nil, nil, usageError("-qlm-vendor, -qlm-user and -qlm-password must all be set to enable ReleaseLicenseHttp")
	}
	eopts := []ems.Option{ems.WithLogger(logger), ems.WithSecureCookie(f.secureCookies), ems.WithPollingFrequency(f.emsPolling), ems.WithClientIP(clientIP)}
	if f.emsUser != "" || f.emsPassword != "" {
		eopts = append(eopts, ems.WithVendorCredentials(f.emsUser, f.emsPassword))
	}
	e, err := ems.NewHandler(svc, eopts...)
	if err != nil {
		return nil, nil, nil, usageError("-ems-user and -ems-password must both be set to enable the EMS vendor login")
	}
	mux := http.NewServeMux()
	// /qlm/qlmservice.asmx/ in any case, as IIS matches it: see the return.
	mux.Handle("/ems/", e)
	jwks := svc.KeySet().JWKS()
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(jwks)
	})
	st, err := status.NewHandler(svc, status.WithLogger(logger))
	if err != nil {
		return nil, nil, nil, err
	}
	mux.Handle("GET "+status.Path, st)
	// licgate's JSON protocol for programs and the offline page. Each of
	// its routes is a pattern of its own, which names it in the metrics;
	// "/v1/" and the page's path send the rest (another method, an unknown
	// path) to it too, for its 404 and 405 problems. status.Path, more
	// specific, stays the status endpoint's.
	rh, err := rest.NewHandler(svc, rest.WithClientIP(clientIP), rest.WithLogger(logger))
	if err != nil {
		return nil, nil, nil, err
	}
	for _, p := range []string{
		"POST " + rest.ActivationsPath,
		"POST " + rest.CodesPath,
		"POST " + rest.LeasesPath,
		"POST " + rest.LeasesPath + "/{id}/heartbeat",
		"DELETE " + rest.LeasesPath + "/{id}",
		"POST " + rest.OfflinePath,
		"GET " + rest.PagePath,
		"POST " + rest.PagePath,
		rest.PagePath,
		"/v1/",
	} {
		mux.Handle(p, rh)
	}
	// The gate of the /demo routes, in the same process as the license
	// server: svc's keys, issuer and activation states, any product.
	gate, err := middleware.NewLocal(svc,
		middleware.WithStateTTL(f.gateTTL),
		middleware.WithGracePeriod(f.gateGrace),
		middleware.WithLogger(logger),
		middleware.WithDecisionHook(m.gateDecision),
	)
	if err != nil {
		return nil, nil, nil, usageError("-gate-ttl, -gate-grace: %v", err)
	}
	mux.Handle("GET /demo/hello", gate.Handler(http.HandlerFunc(demoHello)))
	mux.HandleFunc("GET /demo/public", demoHello) // the same, ungated: a baseline
	mux.Handle("GET /demo/features/{name}", gate.RequireFunc(func(r *http.Request) []string {
		return []string{r.PathValue("name")}
	})(http.HandlerFunc(demoHello)))
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", readyz(func(ctx context.Context) error {
		_, err := svc.Products(ctx)
		return err
	}, logger))
	mux.Handle("GET /metrics", m.handler(logger))
	a, err := admin.New(svc, admin.WithClientIP(clientIP), admin.WithLogger(logger), admin.WithIdempotencyTTL(idempotentAge))
	if err != nil {
		return nil, nil, nil, err
	}
	var adminRoutes http.Handler
	if f.adminAddr == "" {
		mux.Handle(adminPrefix+"/", mountAdmin(a))
	} else {
		amux := http.NewServeMux()
		amux.Handle(adminPrefix+"/", mountAdmin(a))
		adminRoutes = m.instrument(amux, clientIP, logger)
	}
	routes := caseFoldPrefix("/qlm/qlmservice.asmx/", q, mux)
	return m.instrument(routes, clientIP, logger), adminRoutes, func() { gate.Close() }, nil
}

// adminPrefix is where the admin API is mounted.
const adminPrefix = "/admin/v1"

// mountAdmin serves the admin API, whose paths are relative to its mount,
// under [adminPrefix]. Like the ServeMux, it sets r.Pattern, which names
// the route in the metrics: to the pattern of the API's route that
// matched, under the prefix ("GET /admin/v1/licenses/{id}"), or to
// "/admin/v1/" if it cannot tell.
func mountAdmin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Pattern = adminPrefix + "/"
		// StripPrefix hands h a copy of r, on which the API's ServeMux
		// sets the pattern.
		http.StripPrefix(adminPrefix, http.HandlerFunc(func(w http.ResponseWriter, inner *http.Request) {
			h.ServeHTTP(w, inner)
			if inner.Pattern != "" {
				r.Pattern = underPrefix(inner.Pattern)
			}
		})).ServeHTTP(w, r)
	})
}

// underPrefix returns a pattern of the admin API's own ServeMux, "[METHOD
// ]/path", with [adminPrefix] before its path.
func underPrefix(pattern string) string {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return adminPrefix + pattern
	}
	return method + " " + adminPrefix + path
}

// caseFoldPrefix sends requests whose path starts with prefix, compared
// without regard to ASCII case (as IIS compares paths), to h, and every
// other request to next. http.ServeMux compares paths with case, and QLM
// clients write the path as they please: /qlm/QlmService.asmx/... . Like
// the ServeMux, it sets r.Pattern to the pattern that matched, prefix,
// which names the route in the metrics.
func caseFoldPrefix(prefix string, h, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if len(p) >= len(prefix) && asciiEqualFold(p[:len(prefix)], prefix) {
			r.Pattern = prefix
			h.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// asciiEqualFold reports whether a and b are equal ignoring ASCII case
// only (strings.EqualFold would also match "ſ" with "s" and "K" with "k").
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// releaseBudget is the value of -qlm-self-release: N releases per license
// per period, written N/PERIOD (3/720h); empty is off.
type releaseBudget struct {
	n   int
	per time.Duration
}

// String implements flag.Value.
func (b *releaseBudget) String() string {
	if b == nil || b.n == 0 {
		return ""
	}
	return strconv.Itoa(b.n) + "/" + b.per.String()
}

// Set implements flag.Value.
func (b *releaseBudget) Set(s string) error {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" || s == "off" {
		*b = releaseBudget{}
		return nil
	}
	ns, ps, ok := strings.Cut(s, "/")
	n, err1 := strconv.Atoi(strings.TrimSpace(ns))
	per, err2 := time.ParseDuration(strings.TrimSpace(ps))
	if !ok || err1 != nil || err2 != nil || n < 1 || per < time.Minute {
		return fmt.Errorf("want N/PERIOD with N at least 1 and PERIOD at least 1m, such as 3/720h; got %q", s)
	}
	*b = releaseBudget{n: n, per: per}
	return nil
}

// idempotentAge is how long the answers to requests with an
// Idempotency-Key are kept for their retries.
const idempotentAge = 24 * time.Hour

// retrySchedule is the value of -webhook-retries: waits between attempts,
// comma-separated; "none" or empty for no retries.
type retrySchedule []time.Duration

// String implements flag.Value.
func (s *retrySchedule) String() string {
	if s == nil || len(*s) == 0 {
		return "none"
	}
	parts := make([]string, len(*s))
	for i, d := range *s {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

// Set implements flag.Value.
func (s *retrySchedule) Set(v string) error {
	v = strings.TrimSpace(v)
	if v == "" || v == "none" {
		*s = retrySchedule{}
		return nil
	}
	var out retrySchedule
	for _, p := range strings.Split(v, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(p))
		if err != nil || d <= 0 {
			return fmt.Errorf("want positive durations separated by commas, such as 5s,30s,2m, or none; got %q", p)
		}
		out = append(out, d)
	}
	*s = out
	return nil
}

// leasesPerSweep bounds how many licenses' run-out leases one sweep
// ends. Correctness needs no sweep (a seat is taken only after the
// license's run-out leases are ended, in the same transaction); it keeps
// lists and webhooks current.
const leasesPerSweep = 1000

// janitor deletes expired codes and sessions, rate-limit buckets that
// have refilled and the answers to idempotent requests older than
// [idempotentAge], and ends the leases of floating licenses that ran
// out, once a minute.
func janitor(ctx context.Context, svc *license.Service, logger *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sweep(ctx, svc, logger)
	}
}

// sweep runs the janitor's purges once.
func sweep(ctx context.Context, svc *license.Service, logger *slog.Logger) {
	for _, p := range []struct {
		what  string
		purge func(context.Context) (int, error)
	}{
		{"expired codes", svc.PurgeExpiredCodes},
		{"expired sessions", svc.PurgeExpiredSessions},
		{"full rate-limit buckets", svc.PurgeFullBuckets},
		{"idempotent answers", func(ctx context.Context) (int, error) { return svc.PurgeIdempotent(ctx, idempotentAge) }},
		{"run-out leases", func(ctx context.Context) (int, error) { return svc.ExpireLeases(ctx, leasesPerSweep) }},
	} {
		n, err := p.purge(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("purge "+p.what, "err", err)
		case n > 0:
			logger.Debug("purged "+p.what, "n", n)
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
