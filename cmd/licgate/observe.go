package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/licgate/licgate/license"
)

// metrics are the Prometheus metrics of licgate serve, on a registry of
// their own (never the global default one). They count what the core
// packages report through their hooks: the service's [license.Observer]
// and the gate's decision hook.
type metrics struct {
	reg          *prometheus.Registry
	activations  *prometheus.CounterVec
	codeRequests *prometheus.CounterVec
	gate         *prometheus.CounterVec
	webhooks     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
}

var _ license.Observer = (*metrics)(nil)

// newMetrics returns the metrics of licgate serve with the Go runtime's
// and the process's collectors.
func newMetrics() (*metrics, error) {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		activations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "licgate_activations_total",
			Help: "Activation attempts by protocol (qlm, ems, rest) and result (ok or the reason of the refusal).",
		}, []string{"protocol", "result"}),
		codeRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "licgate_code_requests_total",
			Help: "Requests for authorization codes by channel (email, sms; empty when no license was found or the request was refused first) and result.",
		}, []string{"channel", "result"}),
		gate: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "licgate_gate_decisions_total",
			Help: "Decisions of the gate of the /demo routes by reason (ok or the reason of the refusal).",
		}, []string{"reason"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "licgate_webhook_deliveries_total",
			Help: "Attempts at delivering webhook events by result: delivered, retry (failed, to be tried again) or failed (failed, given up).",
		}, []string{"result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "licgate_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route (the pattern that matched, or other) and status code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "code"}),
	}
	// Every result is shown from the start, at 0, so that a rate over
	// the first failure has a sample before it.
	for _, r := range []string{"delivered", "retry", "failed"} {
		m.webhooks.WithLabelValues(r)
	}
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.activations, m.codeRequests, m.gate, m.webhooks, m.duration,
	} {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Activation implements [license.Observer].
func (m *metrics) Activation(_ context.Context, e license.ActivationEvent) {
	m.activations.WithLabelValues(e.Actor.Protocol, e.Outcome).Inc()
}

// CodeRequest implements [license.Observer].
func (m *metrics) CodeRequest(_ context.Context, e license.CodeEvent) {
	m.codeRequests.WithLabelValues(string(e.Channel), e.Outcome).Inc()
}

// gateDecision is the decision hook of the /demo gate.
func (m *metrics) gateDecision(_ *http.Request, reason string) {
	m.gate.WithLabelValues(reason).Inc()
}

// webhookAttempt is the result hook of the webhook dispatcher.
func (m *metrics) webhookAttempt(_ license.Attempt, st license.DeliveryState) {
	result := "retry"
	switch st {
	case license.DeliveryDelivered:
		result = "delivered"
	case license.DeliveryFailed:
		result = "failed"
	}
	m.webhooks.WithLabelValues(result).Inc()
}

// handler serves the metrics in Prometheus' text format.
func (m *metrics) handler(logger *slog.Logger) http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelError),
		Registry: m.reg,
	})
}

// requestIDHeader is the header a request's ID travels in, both ways.
const requestIDHeader = "X-Request-ID"

// maxRequestID bounds the length of a request ID taken from a caller.
const maxRequestID = 128

// instrument wraps next, the routes of licgate serve. Every request gets
// an ID: the caller's X-Request-ID if it is sane ([saneRequestID]), else a
// new random one. The ID is echoed in the answer's X-Request-ID and put in
// the request's context as the RequestID of a [license.Actor], with the
// client's address, so that every log line the request causes carries it
// (see [requestIDHandler]) and the protocol handlers keep it. The time to
// answer is observed by route, the pattern of the ServeMux that matched
// (never the raw path, so that the number of series stays bounded), or
// "other", and by status code; at debug level each request is logged.
func (m *metrics) instrument(next http.Handler, clientIP func(*http.Request) string, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(requestIDHeader)
		if !saneRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(requestIDHeader, id)
		r = r.WithContext(license.WithActor(r.Context(), license.Actor{Addr: clientIP(r), RequestID: id}))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		// The ServeMux sets the pattern on the request it is given, this one.
		route := r.Pattern
		if route == "" {
			route = "other"
		}
		code := sw.code
		if code == 0 {
			code = http.StatusOK
		}
		d := time.Since(start)
		m.duration.WithLabelValues(route, strconv.Itoa(code)).Observe(d.Seconds())
		logger.DebugContext(r.Context(), "request", "method", r.Method, "route", route, "status", code, "duration", d)
	})
}

// saneRequestID reports whether a caller's request ID may be kept: 1 to
// [maxRequestID] printable ASCII characters, no spaces, so that it can go
// into logs and headers as it is.
func saneRequestID(s string) bool {
	if s == "" || len(s) > maxRequestID {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// newRequestID returns 16 random bytes in hex.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// statusWriter remembers the status code of an answer.
type statusWriter struct {
	http.ResponseWriter
	code int
}

// WriteHeader implements [http.ResponseWriter].
func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 && code >= 200 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements [http.ResponseWriter].
func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets [http.ResponseController] reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestIDHandler adds the attribute request_id to every record logged
// with a context that carries a [license.Actor] with a request ID.
type requestIDHandler struct{ slog.Handler }

// Handle implements [slog.Handler].
func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if a, ok := license.ActorFrom(ctx); ok && a.RequestID != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", a.RequestID))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements [slog.Handler].
func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

// WithGroup implements [slog.Handler].
func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// healthz answers 200 while the process serves: a liveness check that
// touches nothing, so that a database outage does not get it restarted.
func healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, "ok\n")
}

// readyTimeout bounds the store check of /readyz.
const readyTimeout = 2 * time.Second

// readyz answers 200 while check, a look at the store bounded by
// [readyTimeout], succeeds, and 503 while it fails: a load balancer sends
// no traffic to a replica that cannot reach its store.
func readyz(check func(context.Context) error, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := check(ctx); err != nil {
			logger.WarnContext(r.Context(), "not ready: store unreachable", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "store unavailable\n")
			return
		}
		io.WriteString(w, "ok\n")
	}
}
