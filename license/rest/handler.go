package rest

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/licgate/licgate/internal/httpx"
	"github.com/licgate/licgate/license"
)

// Protocol is the [license.Actor] protocol of the requests a [Handler]
// serves.
const Protocol = "rest"

// Paths the handler serves, absolute: mount it at "/v1/" and at
// [PagePath].
const (
	ActivationsPath = "/v1/activations"
	CodesPath       = "/v1/codes"
	LeasesPath      = "/v1/leases"
	OfflinePath     = "/v1/offline"
	PagePath        = "/offline"
)

// Handler serves licgate's JSON protocol for licensed programs and the
// offline activation page (see the package documentation for the wire
// contract). It answers on the absolute paths of the contract, whatever it
// is mounted at, and 404 on any other. A Handler is safe for concurrent
// use.
type Handler struct {
	svc      *license.Service
	cfg      config
	verifier *license.Verifier
	// cop refuses cross-site posts of the /offline form.
	cop  *http.CrossOriginProtection
	page *template.Template
	// csp is the Content-Security-Policy of the page.
	csp string
}

// NewHandler returns the handler of svc's use cases. It fails with
// [ErrBadOption] for a nil service or option, or an option's bad value.
func NewHandler(svc *license.Service, opts ...Option) (*Handler, error) {
	if svc == nil || svc.KeySet() == nil {
		return nil, fmt.Errorf("%w: nil service or key set", ErrBadOption)
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrBadOption)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	v, err := license.NewVerifier(license.VerifierConfig{
		Keyfunc: svc.KeySet().Keyfunc, Issuer: svc.Issuer(), Now: svc.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadOption, err)
	}
	page, err := template.New("offline").Parse(pageHTML)
	if err != nil {
		return nil, err
	}
	return &Handler{
		svc: svc, cfg: cfg, verifier: v,
		cop: http.NewCrossOriginProtection(), page: page, csp: pageCSP(),
	}, nil
}

// ServeHTTP routes a request by its path and method.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = r.WithContext(h.withActor(r))
	switch p := r.URL.Path; p {
	case ActivationsPath:
		h.api(w, r, http.MethodPost, h.activate)
	case CodesPath:
		h.api(w, r, http.MethodPost, h.requestCode)
	case LeasesPath:
		h.api(w, r, http.MethodPost, h.takeLease)
	case OfflinePath:
		h.api(w, r, http.MethodPost, h.activateOffline)
	case PagePath:
		h.servePage(w, r)
	default:
		switch id, action := leaseRoute(p); action {
		case "return":
			h.api(w, r, http.MethodDelete, func(w http.ResponseWriter, r *http.Request) (int, any, error) {
				return h.returnLease(r, id)
			})
		case "heartbeat":
			h.api(w, r, http.MethodPost, func(w http.ResponseWriter, r *http.Request) (int, any, error) {
				return h.heartbeat(r, id)
			})
		default:
			writeProblem(w, r, newProblem(license.OutcomeNotFound, "There is nothing at this path."))
		}
	}
}

// leaseRoute returns the lease ID of /v1/leases/{id} with the action
// "return", or of /v1/leases/{id}/heartbeat with "heartbeat"; "" for
// another path.
func leaseRoute(p string) (id, action string) {
	rest, ok := strings.CutPrefix(p, LeasesPath+"/")
	if !ok {
		return "", ""
	}
	id, tail, sub := strings.Cut(rest, "/")
	switch {
	case id == "":
		return "", ""
	case !sub:
		return id, "return"
	case tail == "heartbeat":
		return id, "heartbeat"
	}
	return "", ""
}

// withActor returns r's context with the [license.Actor] of r: this
// protocol, the client's address as [WithClientIP] learns it, and the
// request ID of an actor the context already carries (one that a server
// wrapping the handler put there).
func (h *Handler) withActor(r *http.Request) context.Context {
	ctx := r.Context()
	prev, _ := license.ActorFrom(ctx)
	return license.WithActor(ctx, license.Actor{Protocol: Protocol, Addr: h.cfg.clientIP(r), RequestID: prev.RequestID})
}

// endpoint serves one route of the JSON API: it returns the status and
// the value to answer with as JSON (nil for none), or an error.
type endpoint func(w http.ResponseWriter, r *http.Request) (status int, body any, err error)

// api serves an endpoint that allows one method, and writes its answer
// or its error.
func (h *Handler) api(w http.ResponseWriter, r *http.Request, method string, fn endpoint) {
	if r.Method != method {
		w.Header().Set("Allow", method)
		writeProblem(w, r, newProblem(ReasonMethodNotAllowed, "Use "+method+"."))
		return
	}
	status, body, err := fn(w, r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeJSON(w, r, status, body)
}

// writeJSON answers v as JSON; a license file as a download.
func (h *Handler) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	if v == nil {
		httpx.WriteBody(w, r, status, nil)
		return
	}
	body, err := json.Marshal(v)
	if err != nil {
		h.writeError(w, r, fmt.Errorf("rest: encode answer: %w", err))
		return
	}
	if _, ok := v.(license.OfflineLicense); ok {
		w.Header().Set("Content-Disposition", `attachment; filename="`+LicenseFileName+`"`)
	}
	w.Header().Set("Content-Type", "application/json")
	httpx.WriteBody(w, r, status, append(body, '\n'))
}
