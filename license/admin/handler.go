package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/licgate/licgate/internal/httpx"
	"github.com/licgate/licgate/license"
)

// Handler serves the admin JSON API of a [license.Service]: products,
// licenses, activations, the audit trail and webhooks, described by an
// OpenAPI 3.1 document at /openapi.json. It serves paths relative to where
// it is mounted, so mount it with [http.StripPrefix]:
//
//	mux.Handle("/admin/v1/", http.StripPrefix("/admin/v1", h))
//
// Every request but GET /openapi.json needs an admin token
// ("Authorization: Bearer lgt_…", see [license.Service.CreateAdminToken]);
// a read token may only GET. Errors are RFC 9457 problem documents
// ([Problem]). A Handler is safe for concurrent use.
type Handler struct {
	svc    *license.Service
	store  license.Store
	cfg    config
	logger *slog.Logger
	mux    *http.ServeMux
	doc    *document
}

// Protocol is the [license.Actor] protocol of the requests a [Handler]
// serves.
const Protocol = "api"

// New returns the admin API of svc.
func New(svc *license.Service, opts ...Option) (*Handler, error) {
	if svc == nil {
		return nil, fmt.Errorf("%w: nil service", ErrBadOption)
	}
	cfg := defaultConfig()
	cfg.now = svc.Now
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrBadOption)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	h := &Handler{svc: svc, store: svc.Store(), cfg: cfg, logger: cfg.logger, mux: http.NewServeMux()}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	table := routes()
	doc, err := newDocument(table)
	if err != nil {
		return nil, err
	}
	h.doc = doc
	allow := map[string][]string{}
	var paths []string
	for _, rt := range table {
		h.mux.Handle(rt.method+" "+rt.path, h.endpoint(rt))
		if allow[rt.path] == nil {
			paths = append(paths, rt.path)
		}
		allow[rt.path] = append(allow[rt.path], rt.method)
		if rt.method == http.MethodGet {
			allow[rt.path] = append(allow[rt.path], http.MethodHead)
		}
	}
	for _, p := range paths {
		h.mux.Handle(p, h.methodNotAllowed(strings.Join(allow[p], ", ")))
	}
	h.mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.write(w, r, h.problem(r.Context(), newProblem(license.OutcomeNotFound, "There is no such resource.")))
	}))
	return h, nil
}

// ServeHTTP implements [http.Handler].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) methodNotAllowed(allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := h.problem(r.Context(), newProblem(ReasonMethodNotAllowed, "Use "+allow+"."))
		rep.header.Set("Allow", allow)
		h.write(w, r, rep)
	})
}

// call is one request on its way to a route's function.
type call struct {
	r     *http.Request
	ctx   context.Context // with the actor
	token license.AdminToken
	body  []byte
	in    any // decoded body, a pointer, or nil
	query any // decoded query, a pointer, or nil
	// location, if set, is the Location of the answer, relative to the
	// request's URL.
	location string
}

// reply is an answer, made whole before it is written, so that it can be
// kept for idempotent retries.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// maxPathValue bounds a path parameter; longer names nothing.
const maxPathValue = 255

// endpoint is the chain every route runs: the actor, the token and its
// scope, the path parameters, the body and the query, idempotency, then
// the route's function.
func (h *Handler) endpoint(rt *route) http.Handler {
	write := rt.method != http.MethodGet
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		prev, _ := license.ActorFrom(ctx)
		actor := license.Actor{Protocol: Protocol, Addr: h.cfg.clientIP(r), RequestID: prev.RequestID}
		if actor.RequestID == "" {
			actor.RequestID = requestID(r)
		}
		ctx = license.WithActor(ctx, actor)
		c := &call{r: r, ctx: ctx}
		if rt.scope != scopePublic {
			tok, err := h.authenticate(ctx, r, actor.Addr)
			if err != nil {
				h.write(w, r, h.problem(ctx, err))
				return
			}
			if !tok.Allows(write) {
				h.write(w, r, h.problem(ctx, newProblem(ReasonForbidden, "The token "+strconv.Quote(tok.Name)+" may only read.")))
				return
			}
			actor.Name = tok.Name
			c.ctx = license.WithActor(ctx, actor)
			c.token = tok
		}
		for _, name := range rt.params {
			if len(r.PathValue(name)) > maxPathValue {
				h.write(w, r, h.problem(ctx, newProblem(license.OutcomeNotFound, "There is no such resource.")))
				return
			}
		}
		if err := h.read(w, c, rt); err != nil {
			h.write(w, r, h.problem(ctx, err))
			return
		}
		if key, ok := r.Header[idempotencyHeader]; ok && r.Method == http.MethodPost {
			h.write(w, r, h.idempotent(c, key, func() reply { return h.run(c, rt) }))
			return
		}
		h.write(w, r, h.run(c, rt))
	})
}

// read reads the body and the query of a request into c.
func (h *Handler) read(w http.ResponseWriter, c *call, rt *route) error {
	r := c.r
	if r.Method == http.MethodPost || r.Method == http.MethodPatch {
		b, err := httpx.ReadBody(w, r, h.cfg.maxBody)
		if err != nil {
			return err
		}
		c.body = b
	}
	if rt.in != nil {
		if err := httpx.CheckJSON(r); err != nil {
			return err
		}
		c.in = reflect.New(rt.in).Interface()
		if err := decodeJSON(c.body, c.in); err != nil {
			return err
		}
	}
	if rt.query != nil {
		c.query = reflect.New(rt.query).Interface()
		if err := decodeQuery(r.URL.Query(), c.query); err != nil {
			return err
		}
	}
	return nil
}

// run runs the route's function and makes its answer.
func (h *Handler) run(c *call, rt *route) reply {
	out, err := rt.serve(h, c)
	if err != nil {
		return h.problem(c.ctx, err)
	}
	rep := reply{status: rt.status, header: http.Header{}}
	if c.location != "" {
		rep.header.Set("Location", c.location)
	}
	if rt.status == http.StatusNoContent {
		return rep
	}
	var body []byte
	if raw, ok := out.(json.RawMessage); ok {
		body = raw
	} else if body, err = json.Marshal(out); err != nil {
		return h.problem(c.ctx, fmt.Errorf("admin: encode answer: %w", err))
	}
	rep.header.Set("Content-Type", "application/json")
	rep.body = append(body, '\n')
	return rep
}

// problem makes the answer for an error, and logs one that is internal.
func (h *Handler) problem(ctx context.Context, err error) reply {
	p, internal := problemOf(err)
	if internal {
		h.logger.ErrorContext(ctx, "admin: internal error", "err", err)
	}
	body, _ := json.Marshal(p)
	rep := reply{status: p.Status, header: http.Header{}, body: append(body, '\n')}
	rep.header.Set("Content-Type", "application/problem+json")
	switch p.Reason {
	case ReasonUnauthenticated:
		rep.header.Set("WWW-Authenticate", `Bearer realm="licgate admin"`)
	case ReasonRateLimited, license.OutcomeReleaseLimited:
		rep.header.Set("Retry-After", strconv.Itoa(retryAfter))
	case ReasonIdempotencyKeyInUse:
		rep.header.Set("Retry-After", "1")
	}
	return rep
}

// retryAfter is the Retry-After of a 429, in seconds: failure budgets
// refill one attempt at a time over minutes.
const retryAfter = 60

// write writes an answer.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, rep reply) {
	hd := w.Header()
	for k, v := range rep.header {
		hd[k] = v
	}
	httpx.WriteBody(w, r, rep.status, rep.body)
}

// maxRequestID bounds the X-Request-ID taken into the audit trail.
const maxRequestID = 128

// requestID returns the request's X-Request-ID if it is printable ASCII
// of a sane length, else "".
func requestID(r *http.Request) string {
	id := r.Header.Get("X-Request-ID")
	if len(id) > maxRequestID {
		return ""
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] > 0x7e {
			return ""
		}
	}
	return id
}
