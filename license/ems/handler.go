package ems

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/licgate/licgate/license"
)

// Content types of the answers.
const (
	// ContentTypeXML is the type of every XML answer, as a Java servlet
	// writes it.
	ContentTypeXML = "application/xml;charset=UTF-8"
	// ContentTypeText is the type of every error answer.
	ContentTypeText = "text/plain; charset=utf-8"
)

// CookieName is the name of the session cookie.
const CookieName = "JSESSIONID"

// Handler serves the Sentinel EMS v90 web services under any prefix: it
// finds the version segment (v followed by digits or underscores, any
// version) and the "ws" segment after it in the URL path, and routes what
// follows, matching names in any case:
//
//	POST     login.ws                      vendor login (see [WithVendorCredentials])
//	POST/GET loginByProductKey.ws          product-key login; productKey from the query or a form body
//	POST/GET logout.ws                     204, ends the session
//	GET      productKey/{pk}.ws            product key details
//	POST     productKey/{pk}.ws            update seats, enabled, customerEmail
//	POST     productKey/{pk}/activation.ws activate with a C2V
//	GET      activation/{aid}.ws           the license of an activation
//	POST     activation/target.ws          pending updates by C2V, no login: never any (see below)
//	PUT      customer.ws                   register (or, as the vendor, set) a license's customer
//	GET      customer/{id}.ws              a license's customer
//
// {pk} is the license's product key ([license.License.ProductKey]), a
// credential; the license ID is not a product key. A customer's {id}, the
// customerId of a product key, is the license's number
// ([license.License.Number]), an identifier.
//
// # Registration
//
// The product-key login's <regRequired> is 2 (desired) while the license
// has no customer and 1 (not required) once it has one, the values of
// Thales' samples (registrationRequired DESIRED and NOT_REQUIRED in
// <productKey>). PUT customer.ws takes a <customer> document whose
// defaultContact/emailId is required: from a product-key session it
// registers the customer of a license that has none (201 Created), from a
// vendor session it sets the customer of the license its <id> names (201
// if it had none, else 200); both answers have an empty body and a
// relative Location, customer/{id}.ws.
//
// # Pending updates
//
// POST activation/target.ws takes a raw C2V and needs no login, so anyone
// who can name a protection key may call it. licgate never has an update
// to give there: its only V2C content is the activation token, a
// credential, delivered by the activation calls to a session allowed to
// see it. So every well-formed C2V, of a known key or not, is answered
// alike and without a look-up: 200, the header polling-frequency (see
// [WithPollingFrequency]) and the text [MsgNoPendingUpdate], which holds
// no <hasp_info>, so that clients apply nothing.
//
// Both logins set the cookie JSESSIONID (32 upper-case hex characters,
// HttpOnly, SameSite=Lax, Secure over TLS or with [WithSecureCookie], Path
// the prefix before the version segment); the product-key login also
// returns it as <sessionId>. Every other call needs the cookie (or a
// servlet-style ";jsessionid=" path parameter). Sessions live in the
// [license.Store], so every replica sharing it honours them.
//
// # Who may do what
//
// A vendor session may do everything. A product-key session may only
// activate its own product key, read it and its activations, and register
// a customer on it when none is attached; replacing the customer, or
// changing the seats (totalEntitled) or the status (enabled), takes a
// vendor session. Another product key, or another key's activation,
// answers exactly like a missing one.
//
// A call that changes state (every POST and PUT but activation/target.ws,
// and the logins and the logout whatever their method) is refused when a
// browser makes it from another site, as [http.CrossOriginProtection] tells by the Sec-Fetch-Site and
// Origin headers. Programs, which send neither, are not affected.
//
// # Answers
//
// XML answers are 200 with [ContentTypeXML]. Request documents are read
// as their bytes say, whatever encoding their declaration names (see
// [xmlmodel.DecodeEMSText]). Failures are plain text
// ([ContentTypeText]), a sentence for the person reading a client's log:
// the exact texts of the EMS documentation where it has one
// ([MsgNoActivation], [MsgNoProductKey], [MsgNoProductKeyInfo], all 404),
// otherwise:
//
//	400 malformed XML, a missing or unusable C2V, invalid values; a
//	    customer without an email address, or a vendor's without an <id>
//	401 no session, or an unknown, expired or ended one; wrong vendor credentials
//	403 a revoked, disabled (suspended) or expired product key; a revoked
//	    activation; a change that takes a vendor session; a state-changing
//	    call from another site
//	404 besides the texts above, [MsgNoCustomer], and [MsgNoService] for
//	    a path that names no web service licgate serves, whatever the method
//	405 a method a served resource does not take, with Allow
//	409 every seat of the product key in use
//	410 a released activation
//	413 a body over the limit (see [WithMaxBodyBytes])
//	429 too many wrong vendor logins from one address
//	500 anything else; the detail goes to the logger only
//
// Every answer carries Cache-Control: no-store. A Handler is safe for
// concurrent use.
type Handler struct {
	svc    *license.Service
	cfg    config
	logger *slog.Logger
	csrf   *http.CrossOriginProtection
}

// NewHandler returns a handler that serves svc's use cases.
func NewHandler(svc *license.Service, opts ...Option) (*Handler, error) {
	if svc == nil {
		return nil, fmt.Errorf("%w: nil service", ErrBadOption)
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
	h := &Handler{svc: svc, cfg: cfg, logger: cfg.logger, csrf: http.NewCrossOriginProtection()}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	return h, nil
}

// Protocol is the [license.Actor] protocol of the requests a [Handler]
// serves.
const Protocol = "ems"

// ServeHTTP implements [http.Handler]. The service, the logger and the
// store see the request's context with its [license.Actor]: the EMS
// protocol, the client's address as [WithClientIP] learns it, and the
// request ID of an actor the context already carries (one that a server
// wrapping the handler put there).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	prev, _ := license.ActorFrom(r.Context())
	r = r.WithContext(license.WithActor(r.Context(), license.Actor{Protocol: Protocol, Addr: h.cfg.clientIP(r), RequestID: prev.RequestID}))
	rt := parseRoute(r.URL.Path)
	w.Header().Set("Cache-Control", "no-store")
	if allow := allowed(rt.res, r.Method); allow != "" {
		w.Header().Set("Allow", allow)
		h.fail(w, r, rt, errMethod)
		return
	}
	if changesState(rt.res, r.Method) && h.crossSite(r) {
		h.fail(w, r, rt, errCrossSite)
		return
	}
	var err error
	switch rt.res {
	case resUnknown:
		err = errNoService
	case resLogin:
		err = h.login(w, r, rt)
	case resLoginByProductKey:
		err = h.loginByProductKey(w, r, rt)
	case resLogout:
		err = h.logout(w, r, rt)
	case resProductKey:
		if r.Method == http.MethodGet {
			err = h.getProductKey(w, r, rt)
		} else {
			err = h.updateProductKey(w, r, rt)
		}
	case resProductKeyActivation:
		err = h.activate(w, r, rt)
	case resActivation:
		err = h.getActivation(w, r, rt)
	case resTarget:
		err = h.fetchUpdates(w, r)
	case resCustomer:
		err = h.putCustomer(w, r, rt)
	case resCustomerID:
		err = h.getCustomer(w, r, rt)
	}
	if err != nil {
		h.fail(w, r, rt, err)
	}
}

// crossSite reports whether a browser sent r from a page of another site.
// [http.CrossOriginProtection] lets every GET through, so r is checked as
// if it were a POST: the logins and the logout change session state
// whatever their method.
func (h *Handler) crossSite(r *http.Request) bool {
	if r.Method != http.MethodPost {
		r = r.WithContext(r.Context()) // a shallow copy
		r.Method = http.MethodPost
	}
	return h.csrf.Check(r) != nil
}
