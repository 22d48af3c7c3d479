package ems

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/xmlmodel"
)

// Sessions and their cookie: the two logins, the logout, and finding the
// session a request carries.

func (h *Handler) login(w http.ResponseWriter, r *http.Request, rt route) error {
	var ad xmlmodel.AuthenticationDetail
	if err := h.readXML(w, r, &ad, "authenticationDetail"); err != nil {
		return err
	}
	// The failure budget is taken before the comparison, so concurrent
	// guesses cannot exceed it.
	ok, err := h.svc.CheckSecret(r.Context(), h.cfg.clientIP(r), func() bool {
		return h.vendorOK(ad.UserName, ad.Password)
	})
	switch {
	case err != nil:
		return err
	case !ok:
		return errBadLogin
	}
	id, _, err := h.svc.NewSession(r.Context(), license.SessionVendor, ad.UserName, h.cfg.idle)
	if err != nil {
		return err
	}
	http.SetCookie(w, h.cookie(r, rt, id))
	return h.writeXML(w, xmlmodel.AuthenticationDetail{UserName: ad.UserName, Version: h.cfg.version}, true)
}

// vendorOK compares the credentials with the configured ones in constant
// time, hashing first so that lengths do not leak either.
func (h *Handler) vendorOK(user, password string) bool {
	u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
	ok := subtle.ConstantTimeCompare(u[:], h.cfg.userHash[:]) & subtle.ConstantTimeCompare(p[:], h.cfg.passHash[:])
	return h.cfg.vendor && ok == 1
}

// loginByProductKey opens a session for the holder of a product key. Only
// the product key opens one: a license ID, an AID or anything else a
// client or a gated service sees is not found.
func (h *Handler) loginByProductKey(w http.ResponseWriter, r *http.Request, rt route) error {
	pk, err := h.productKeyParam(w, r)
	if err != nil {
		return err
	}
	if pk == "" {
		return errNoProductKeyParam
	}
	l, err := h.svc.LicenseByProductKey(r.Context(), pk)
	if err != nil {
		return err
	}
	id, _, err := h.svc.NewSession(r.Context(), license.SessionProductKey, l.ID, h.cfg.idle)
	if err != nil {
		return err
	}
	http.SetCookie(w, h.cookie(r, rt, id))
	return h.writeXML(w, xmlmodel.EMSResponse{RegRequired: regRequired(l), SessionID: id, Stat: "ok"}, true)
}

// regRequired is the <regRequired> of a product-key login: registration
// is desired (PUT customer.ws) while the license has no customer, and not
// required once it has one. licgate activates a license without a
// customer, so it never says mandatory.
func regRequired(l license.License) string {
	if l.Customer == (license.Customer{}) {
		return xmlmodel.RegDesired
	}
	return xmlmodel.RegNotRequired
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

// formValue returns the first non-empty value of the parameter, trimmed
// of spaces and of the NUL a C client sends when it counts a string's
// terminator (Thales' WinINet sample does); the name is matched exactly,
// then ignoring case.
func formValue(v url.Values, name string) string {
	trim := func(s string) string { return strings.TrimSpace(strings.Trim(s, "\x00")) }
	for _, s := range v[name] {
		if s = trim(s); s != "" {
			return s
		}
	}
	for k, vs := range v {
		if strings.EqualFold(k, name) {
			for _, s := range vs {
				if s = trim(s); s != "" {
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
	c := h.cookie(r, rt, "")
	c.MaxAge = -1 // net/http writes Max-Age=0: delete it
	http.SetCookie(w, c)
	w.WriteHeader(http.StatusNoContent)
	return nil
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

// cookie is the session cookie holding id: out of reach of scripts
// (HttpOnly), not sent with cross-site subrequests or POSTs (SameSite=Lax),
// and Secure when the request came over TLS or [WithSecureCookie] says the
// server sits behind TLS. It has no expiry: the session ends sooner, when
// idle.
func (h *Handler) cookie(r *http.Request, rt route, id string) *http.Cookie {
	return &http.Cookie{
		Name: CookieName, Value: id, Path: h.cookiePath(rt),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.cfg.secureCookie || r.TLS != nil,
	}
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
