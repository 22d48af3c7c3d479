package ems

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/xmlmodel"
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

// The error bodies of the EMS documentation, exactly.
const (
	MsgNoActivation     = "No activation exists for the AID. Provide a valid AID." // GET activation/{aid}.ws
	MsgNoProductKey     = "The Product key does not exist."                        // POST productKey/…, loginByProductKey.ws
	MsgNoProductKeyInfo = "The Product Key does not exist."                        // GET productKey/{pk}.ws
)

// Handler serves the Sentinel EMS v90 web services under any prefix: it
// finds the version segment (v followed by digits or underscores, any
// version) and the "ws" segment after it in the URL path, and routes what
// follows:
//
//	POST     login.ws                      vendor login (see [WithVendorCredentials])
//	POST/GET loginByProductKey.ws          product-key login; productKey from the query or a form body
//	POST/GET logout.ws                     204, ends the session
//	GET      productKey/{pk}.ws            product key details
//	POST     productKey/{pk}.ws            update seats, enabled, customerEmail
//	POST     productKey/{pk}/activation.ws activate with a C2V
//	GET      activation/{aid}.ws           the license of an activation
//
// Both logins set the cookie JSESSIONID (32 upper-case hex characters,
// HttpOnly, Path the prefix before the version segment); the product-key
// login also returns it as <sessionId>. Every other call needs the cookie
// (or a servlet-style ";jsessionid=" path parameter). Sessions live in the
// [license.Store], so every replica sharing it honours them.
//
// XML answers are 200 with [ContentTypeXML]. Failures are plain text
// ([ContentTypeText]): the exact texts of the EMS documentation where it has
// one ([MsgNoActivation], [MsgNoProductKey], [MsgNoProductKeyInfo], all 404),
// otherwise:
//
//	400 malformed XML, a missing or unusable C2V, invalid values
//	401 no session, or an unknown, expired or ended one; wrong vendor credentials
//	404 besides the texts above, a path that names no web service
//	403 a revoked, disabled (suspended) or expired product key; a product-key
//	    session changing more than the customer email
//	405 a method the resource does not take
//	409 every seat of the product key in use
//	410 a released activation
//	413 a body over the limit (see [WithMaxBodyBytes])
//	500 anything else; the detail goes to the logger only
//
// A product-key session sees only its own key: another key, or another
// key's activation, answers exactly like a missing one. Every answer
// carries Cache-Control: no-store. A Handler is safe for concurrent use.
type Handler struct {
	svc    *license.Service
	cfg    config
	logger *slog.Logger
}

// NewHandler returns a handler that serves svc's use cases.
func NewHandler(svc *license.Service, opts ...Option) (*Handler, error) {
	if svc == nil {
		return nil, fmt.Errorf("%w: nil service", ErrBadOption)
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	h := &Handler{svc: svc, cfg: cfg, logger: cfg.logger}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	return h, nil
}

// resource is what a request path names.
type resource int

const (
	resUnknown resource = iota
	resLogin
	resLoginByProductKey
	resLogout
	resProductKey
	resProductKeyActivation
	resActivation
)

// route is a parsed request path.
type route struct {
	res    resource
	id     string // the product key or AID, as in the path
	prefix string // the path before the version segment
	// session is a servlet-style ";jsessionid=" path parameter.
	session string
}

// parseRoute finds "/v{N}/ws/" in p and the resource after it.
func parseRoute(p string) route {
	seg := strings.Split(p, "/")
	for i := 0; i+2 < len(seg); i++ {
		if !isVersion(seg[i]) || seg[i+1] != "ws" {
			continue
		}
		rt := route{prefix: strings.Join(seg[:i], "/")}
		rest := seg[i+2:]
		last := rest[len(rest)-1]
		if j := indexFoldASCII(last, ";jsessionid="); j >= 0 {
			rt.session = last[j+len(";jsessionid="):]
			rest[len(rest)-1] = last[:j]
		}
		rt.res, rt.id = resolve(rest)
		return rt
	}
	return route{}
}

// indexFoldASCII is strings.Index ignoring ASCII case; unlike lower-casing
// first, it keeps byte offsets of invalid UTF-8 intact.
func indexFoldASCII(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func isVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	return strings.Trim(s[1:], "0123456789_") == ""
}

func resolve(rest []string) (resource, string) {
	id := func(s string) (string, bool) {
		if len(s) <= len(".ws") || !strings.HasSuffix(strings.ToLower(s), ".ws") {
			return "", false
		}
		return s[:len(s)-len(".ws")], true
	}
	is := strings.EqualFold
	switch len(rest) {
	case 1:
		switch {
		case is(rest[0], "login.ws"):
			return resLogin, ""
		case is(rest[0], "loginByProductKey.ws"):
			return resLoginByProductKey, ""
		case is(rest[0], "logout.ws"):
			return resLogout, ""
		}
	case 2:
		if v, ok := id(rest[1]); ok {
			switch {
			case is(rest[0], "productKey"):
				return resProductKey, v
			case is(rest[0], "activation"):
				return resActivation, v
			}
		}
	case 3:
		if is(rest[0], "productKey") && rest[1] != "" && is(rest[2], "activation.ws") {
			return resProductKeyActivation, rest[1]
		}
	}
	return resUnknown, ""
}

// ServeHTTP implements [http.Handler].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := parseRoute(r.URL.Path)
	w.Header().Set("Cache-Control", "no-store")
	if allow := allowed(rt.res, r.Method); allow != "" {
		w.Header().Set("Allow", allow)
		h.fail(w, r, rt, errMethod)
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
	}
	if err != nil {
		h.fail(w, r, rt, err)
	}
}

// allowed returns the Allow header for a method the resource does not
// take, or "" if it takes it.
func allowed(res resource, method string) string {
	var allow []string
	switch res {
	case resUnknown:
		return ""
	case resLogin, resProductKeyActivation:
		allow = []string{http.MethodPost}
	case resLoginByProductKey, resLogout:
		allow = []string{http.MethodPost, http.MethodGet}
	case resProductKey:
		allow = []string{http.MethodGet, http.MethodPost}
	case resActivation:
		allow = []string{http.MethodGet}
	}
	for _, m := range allow {
		if m == method {
			return ""
		}
	}
	return strings.Join(allow, ", ")
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request, rt route) error {
	var ad xmlmodel.AuthenticationDetail
	if err := h.readXML(w, r, &ad, "authenticationDetail"); err != nil {
		return err
	}
	ip := h.cfg.clientIP(r)
	if h.svc.Throttled(ip) {
		return errThrottled
	}
	if !h.vendorOK(ad.UserName, ad.Password) {
		h.svc.RecordFailure(ip)
		return errBadLogin
	}
	id, _, err := h.svc.NewSession(r.Context(), license.SessionVendor, ad.UserName, h.cfg.idle)
	if err != nil {
		return err
	}
	h.setCookie(w, r, rt, id)
	return h.writeXML(w, xmlmodel.AuthenticationDetail{UserName: ad.UserName, Version: h.cfg.version}, true)
}

// vendorOK compares the credentials with the configured ones in constant
// time, hashing first so that lengths do not leak either.
func (h *Handler) vendorOK(user, password string) bool {
	u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
	ok := subtle.ConstantTimeCompare(u[:], h.cfg.userHash[:]) & subtle.ConstantTimeCompare(p[:], h.cfg.passHash[:])
	return h.cfg.vendor && ok == 1
}

func (h *Handler) loginByProductKey(w http.ResponseWriter, r *http.Request, rt route) error {
	pk, err := h.productKeyParam(w, r)
	if err != nil {
		return err
	}
	if pk == "" {
		return errNoProductKeyParam
	}
	id, _, err := h.svc.NewSession(r.Context(), license.SessionProductKey, pk, h.cfg.idle)
	if err != nil {
		return err
	}
	h.setCookie(w, r, rt, id)
	return h.writeXML(w, xmlmodel.EMSResponse{RegRequired: "0", SessionID: id, Stat: "ok"}, true)
}

// productKeyParam reads the productKey parameter as a servlet's
// getParameter does: from the query string, else from a form body, which is
// read as urlencoded whatever its Content-Type says (unless multipart).
func (h *Handler) productKeyParam(w http.ResponseWriter, r *http.Request) (string, error) {
	q, _ := url.ParseQuery(r.URL.RawQuery) // keep what parses
	if v := formValue(q, "productKey"); v != "" {
		return v, nil
	}
	if r.Method != http.MethodPost {
		return "", nil
	}
	body, err := h.readBody(w, r)
	if err != nil {
		return "", err
	}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		return multipartValue(body, params["boundary"], "productKey"), nil
	}
	form, _ := url.ParseQuery(string(bytes.TrimSpace(body)))
	return formValue(form, "productKey"), nil
}

// formValue returns the first non-empty value of the parameter, trimmed;
// the name is matched exactly, then ignoring case.
func formValue(v url.Values, name string) string {
	for _, s := range v[name] {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	for k, vs := range v {
		if strings.EqualFold(k, name) {
			for _, s := range vs {
				if s = strings.TrimSpace(s); s != "" {
					return s
				}
			}
		}
	}
	return ""
}

func multipartValue(body []byte, boundary, name string) string {
	if boundary == "" {
		return ""
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		p, err := mr.NextPart()
		if err != nil {
			return ""
		}
		if strings.EqualFold(p.FormName(), name) {
			b, _ := io.ReadAll(io.LimitReader(p, 1<<10))
			return strings.TrimSpace(string(b))
		}
	}
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, rt route) error {
	for _, id := range sessionIDs(r, rt) {
		if err := h.svc.EndSession(r.Context(), id); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Path: h.cookiePath(rt), MaxAge: -1, HttpOnly: true, Secure: h.secure(r)})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) getProductKey(w http.ResponseWriter, r *http.Request, rt route) error {
	sess, err := h.session(r, rt)
	if err != nil {
		return err
	}
	d, err := h.svc.ProductKey(r.Context(), sess, rt.id)
	if err != nil {
		return err
	}
	return h.writeXML(w, productKeyDoc(d), false)
}

func (h *Handler) updateProductKey(w http.ResponseWriter, r *http.Request, rt route) error {
	sess, err := h.session(r, rt)
	if err != nil {
		return err
	}
	var doc xmlmodel.ProductKey
	if err := h.readXML(w, r, &doc, "productKey"); err != nil {
		return err
	}
	if doc.ProductKeyID != "" && !strings.EqualFold(doc.ProductKeyID, strings.TrimSpace(rt.id)) {
		return errKeyMismatch
	}
	var u license.ProductKeyUpdate
	if doc.TotalEntitled != "" {
		n, err := strconv.Atoi(doc.TotalEntitled)
		if err != nil {
			return errBadTotal
		}
		u.Seats = &n
	}
	switch doc.Enabled {
	case "":
	case "true", "1":
		u.Enabled = new(true)
	case "false", "0":
		u.Enabled = new(false)
	default:
		return errBadEnabled
	}
	if doc.CustomerEmail != "" {
		u.Email = &doc.CustomerEmail
	}
	d, err := h.svc.UpdateProductKey(r.Context(), sess, rt.id, u)
	if err != nil {
		return err
	}
	return h.writeXML(w, productKeyDoc(d), false)
}

func (h *Handler) activate(w http.ResponseWriter, r *http.Request, rt route) error {
	sess, err := h.session(r, rt)
	if err != nil {
		return err
	}
	var doc xmlmodel.Activation
	if err := h.readXML(w, r, &doc, "activation"); err != nil {
		return err
	}
	req, err := activationRequest(rt.id, doc.Input)
	if err != nil {
		return err
	}
	res, err := h.svc.ActivateProductKey(r.Context(), sess, req)
	if err != nil {
		return err
	}
	return h.writeXML(w, h.activationDoc(res), true)
}

func (h *Handler) getActivation(w http.ResponseWriter, r *http.Request, rt route) error {
	sess, err := h.session(r, rt)
	if err != nil {
		return err
	}
	res, err := h.svc.LicenseByActivation(r.Context(), sess, rt.id)
	if err != nil {
		return err
	}
	return h.writeXML(w, h.activationDoc(res), true)
}

// activationDoc is the <activation> answer for an activation: its AID,
// protection key and a V2C carrying the activation token, then the
// attributes and comments it was made with.
func (h *Handler) activationDoc(res license.Result) xmlmodel.Activation {
	a := res.Activation
	doc := xmlmodel.Activation{
		Output: &xmlmodel.ActivationOutput{
			AID:              a.AID,
			ProtectionKeyID:  a.ComputerID,
			ActivationString: V2C(h.cfg.vendorID, a.ComputerID, res.Token),
		},
		Input: xmlmodel.ActivationInput{Comments: a.Comments},
	}
	for _, at := range a.Attributes {
		doc.Input.Attributes = append(doc.Input.Attributes, xmlmodel.ActivationAttribute{
			Name: at.Name, Value: at.Value, GroupName: at.Group, ISVPermission: at.ISVPermission, EndUserPermission: at.EndUserPermission,
		})
	}
	return doc
}

// V2C returns the activationString of an activation: a <hasp_info> document
// in the shape of EMS's, whose <v2c> carries the activation token instead of
// a Sentinel update. A client that un-escapes activationString gets exactly
// this text back.
func V2C(vendorID, protectionKeyID, token string) string {
	return `<?xml version="1.0" encoding="utf-8"?><hasp_info><haspscope><vendor id="` + xmlmodel.EscapeText(vendorID) +
		`" ><hasp id="` + xmlmodel.EscapeText(protectionKeyID) + `" /></vendor></haspscope><v2c>` +
		xmlmodel.EscapeText(token) + `</v2c></hasp_info>`
}

// productKeyDoc is the <productKey> answer: EMS's fixed attributes, the
// license's seats and status, and one AID and protectionKeyId per
// activation holding a seat. licgate has no numeric entitlement or customer
// IDs: entitlementId is the license ID and customerId the customer's email.
func productKeyDoc(d license.ProductKeyDetails) xmlmodel.ProductKey {
	l := d.License
	doc := xmlmodel.ProductKey{
		ProductKeyID:         l.ID,
		TotalEntitled:        strconv.Itoa(l.Seats),
		Available:            strconv.Itoa(d.Available()),
		Enabled:              strconv.FormatBool(l.Status == license.StatusActive),
		Type:                 "Product Key-based",
		RegistrationRequired: "NOT_REQUIRED",
		CustomerEmail:        l.Email,
		CustomerName:         l.Name,
		ProductInfo: []xmlmodel.ProductInfo{{
			ID: d.Product.ID, ProductName: d.Product.Name, ProductIdentifier: d.Product.ID, Type: "BASE",
		}},
		Attributes: []xmlmodel.ActivationAttribute{
			{Name: xmlmodel.AttrC2V, Value: "null", ISVPermission: "NONE", EndUserPermission: "WRITE"},
			{Name: xmlmodel.AttrAcknowledgementRequest, Value: "false", ISVPermission: "WRITE", EndUserPermission: "NONE"},
			{Name: xmlmodel.AttrClearBeforeApplyingUpdate, Value: "null", ISVPermission: "NONE", EndUserPermission: "WRITE"},
		},
		EntitlementID: l.ID,
		CustomerID:    l.Email,
	}
	seen := make(map[string]bool, len(d.Activations))
	for _, a := range d.Activations {
		doc.AIDs = append(doc.AIDs, xmlmodel.ProductKeyAID{ProtectionKeyID: a.ComputerID, AID: a.AID})
		if !seen[a.ComputerID] {
			seen[a.ComputerID] = true
			doc.ProtectionKeyIDs = append(doc.ProtectionKeyIDs, xmlmodel.ProtectionKeyRef{ID: a.ComputerID})
		}
	}
	return doc
}

// maxSessionCookies bounds how many JSESSIONID cookies one request may make
// the handler look up.
const maxSessionCookies = 4

// sessionIDs returns the session IDs a request carries: its JSESSIONID
// cookies (a cookie jar may hold several, for different paths), then a
// ";jsessionid=" path parameter.
func sessionIDs(r *http.Request, rt route) []string {
	var ids []string
	for _, c := range r.CookiesNamed(CookieName) {
		if len(ids) == maxSessionCookies {
			break
		}
		if c.Value != "" {
			ids = append(ids, c.Value)
		}
	}
	if rt.session != "" && len(ids) < maxSessionCookies {
		ids = append(ids, rt.session)
	}
	return ids
}

// session returns the live session the request carries, or errNoSession.
func (h *Handler) session(r *http.Request, rt route) (license.Session, error) {
	for _, id := range sessionIDs(r, rt) {
		sess, err := h.svc.Session(r.Context(), id, h.cfg.idle)
		if err == nil {
			return sess, nil
		}
		if !errors.Is(err, license.ErrNotFound) {
			return license.Session{}, err
		}
	}
	return license.Session{}, errNoSession
}

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, rt route, id string) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: id, Path: h.cookiePath(rt), HttpOnly: true, Secure: h.secure(r)})
}

func (h *Handler) cookiePath(rt route) string {
	switch {
	case h.cfg.cookiePath != "":
		return h.cfg.cookiePath
	case rt.prefix == "" || !strings.HasPrefix(rt.prefix, "/"):
		return "/"
	}
	return rt.prefix
}

func (h *Handler) secure(r *http.Request) bool { return h.cfg.secureCookie || r.TLS != nil }

// readBody reads the request body, at most the configured bytes.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > h.cfg.maxBody {
		return nil, errTooLarge
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.maxBody))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, errTooLarge
	case err != nil:
		return nil, errReadBody
	}
	return b, nil
}

// readXML reads the body into v; a malformed document or one whose root is
// not the named element is a malformedError.
func (h *Handler) readXML(w http.ResponseWriter, r *http.Request, v any, root string) error {
	b, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	if err := xmlmodel.UnmarshalEMS(b, v); err != nil {
		return malformedError{root: root, err: err}
	}
	return nil
}

func (h *Handler) writeXML(w http.ResponseWriter, v any, declaration bool) error {
	b, err := xmlmodel.MarshalEMS(v, declaration)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ContentTypeXML)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}

// Request errors of the handler itself.
var (
	errNoService         = errors.New("ems: no such web service")
	errMethod            = errors.New("ems: method not allowed")
	errNoSession         = errors.New("ems: no live session")
	errBadLogin          = errors.New("ems: wrong vendor credentials")
	errThrottled         = errors.New("ems: too many failed attempts from this address")
	errNoProductKeyParam = errors.New("ems: no productKey parameter")
	errTooLarge          = errors.New("ems: request body too large")
	errReadBody          = errors.New("ems: request body unreadable")
	errKeyMismatch       = errors.New("ems: productKeyId differs from the URL")
	errBadTotal          = errors.New("ems: totalEntitled is not an integer")
	errBadEnabled        = errors.New("ems: enabled is not a boolean")
)

// malformedError is a request body that is not the expected XML document.
type malformedError struct {
	root string
	err  error
}

func (e malformedError) Error() string {
	return "ems: malformed <" + e.root + "> document: " + e.err.Error()
}
func (e malformedError) Unwrap() error { return e.err }

// status maps an error to the status and plain-text body of the answer, in
// one place. Texts are for a person reading a client's log; internal detail
// never reaches them.
func (h *Handler) status(r *http.Request, rt route, err error) (int, string) {
	var mal malformedError
	switch {
	case errors.Is(err, errNoService):
		return http.StatusNotFound, "There is no such EMS web service."
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed, "The HTTP method " + r.Method + " is not allowed for this web service."
	case errors.Is(err, errNoSession):
		return http.StatusUnauthorized, "You are not logged in, or your session has expired or ended. Log in with login.ws or loginByProductKey.ws first."
	case errors.Is(err, errBadLogin):
		return http.StatusUnauthorized, "The user name or password is not valid."
	case errors.Is(err, errThrottled):
		return http.StatusTooManyRequests, "Too many failed attempts from this address. Try again later."
	case errors.Is(err, errNoProductKeyParam):
		return http.StatusBadRequest, "Provide the product key in the productKey parameter."
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", h.cfg.maxBody)
	case errors.Is(err, errReadBody):
		return http.StatusBadRequest, "The request body could not be read."
	case errors.As(err, &mal):
		return http.StatusBadRequest, "The request body is not a well-formed <" + mal.root + "> XML document."
	case errors.Is(err, errKeyMismatch):
		return http.StatusBadRequest, "The productKeyId in the request body is not the product key of the URL."
	case errors.Is(err, errBadTotal):
		return http.StatusBadRequest, "totalEntitled must be a whole number."
	case errors.Is(err, errBadEnabled):
		return http.StatusBadRequest, "enabled must be true or false."
	case errors.Is(err, errNoC2V):
		return http.StatusBadRequest, "Provide the C2V in an activationAttribute named C2V (or the protection key ID in one named ProtectionKeyId)."
	case errors.Is(err, errC2VSyntax):
		return http.StatusBadRequest, "The C2V is not valid: it must be a <hasp_info> XML document."
	case errors.Is(err, errC2VNoTarget):
		return http.StatusBadRequest, "The C2V names no protection key (<hasp id>) and carries no <host_fingerprint>."
	case errors.Is(err, license.ErrNotFound):
		switch {
		case rt.res == resActivation:
			return http.StatusNotFound, MsgNoActivation
		case rt.res == resProductKey && r.Method == http.MethodGet:
			return http.StatusNotFound, MsgNoProductKeyInfo
		}
		return http.StatusNotFound, MsgNoProductKey
	case errors.Is(err, license.ErrNoSeats):
		return http.StatusConflict, "The Product key has no activations left: all of its seats are in use."
	case errors.Is(err, license.ErrRevoked):
		return http.StatusForbidden, "The Product key or the activation has been revoked."
	case errors.Is(err, license.ErrSuspended):
		return http.StatusForbidden, "The Product key is disabled."
	case errors.Is(err, license.ErrExpired):
		return http.StatusForbidden, "The Product key has expired."
	case errors.Is(err, license.ErrReleased):
		return http.StatusGone, "The activation was released and no longer holds a license. Activate the Product key again."
	case errors.Is(err, license.ErrPermission):
		return http.StatusForbidden, "A Product key login may change only the customerEmail. Log in with login.ws to change the rest."
	case errors.Is(err, license.ErrInvalid):
		detail := strings.TrimPrefix(err.Error(), license.ErrInvalid.Error()+": ")
		return http.StatusBadRequest, "The request is not valid: " + detail + "."
	}
	return http.StatusInternalServerError, "Internal server error."
}

// fail answers with the status and text of err.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, rt route, err error) {
	status, msg := h.status(r, rt, err)
	if status == http.StatusInternalServerError && !errors.Is(err, context.Canceled) {
		h.logger.ErrorContext(r.Context(), "ems: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	hd := w.Header()
	hd.Set("Content-Type", ContentTypeText)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.Itoa(len(msg)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
}
