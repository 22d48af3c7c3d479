package qlm

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/xmlmodel"
)

// ELicenseStatus bit flags, as QLM clients read <status>.
const (
	StatusPermanent         = 2
	StatusDemo              = 4 // trial or subscription: the license expires
	StatusInvalid           = 8
	StatusProductInvalid    = 16
	StatusVersionInvalid    = 32
	StatusExpired           = 64
	StatusMachineInvalid    = 256
	StatusNeedsActivation   = 512
	StatusExceededInstances = 1024
	StatusRevoked           = 2048
)

// Handler serves the QLM HTTP methods. It takes the method name from the
// last segment of the URL path, so it can be mounted under any prefix, for
// example at "/qlm/qlmservice.asmx/". Every answer is 200 with a
// text/xml <QuickLicenseManager> fragment; failures are <error> elements.
// A Handler is safe for concurrent use.
type Handler struct {
	svc     *license.Service
	cfg     config
	logger  *slog.Logger
	methods map[string]func(context.Context, args, *http.Request) any
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
	h.methods = map[string]func(context.Context, args, *http.Request) any{
		"requestauthorizationcodeforactivationhttp": h.requestCode,
		"activatekeybyauthorizationcodehttp":        h.activateByCode,
		"validatelicensehttp":                       h.validate,
		"releaselicensehttp":                        h.release,
		"activatekey":                               h.activateKey,
		"pinghttp":                                  h.ping,
	}
	return h, nil
}

// ServeHTTP implements [http.Handler].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var resp any
	bom := false
	switch r.Method {
	case http.MethodGet, http.MethodPost, http.MethodHead:
		method := path.Base(r.URL.Path)
		fn, ok := h.methods[strings.ToLower(method)]
		if !ok {
			resp = fail("Unknown method: " + printable(method))
			break
		}
		a, err := readArgs(w, r, h.cfg.maxBody)
		if err != nil {
			resp = fail("Bad request: " + err.Error() + ".")
			break
		}
		if bom, err = a.bool("is_writebom", false); err != nil {
			resp = invalid(err)
			break
		}
		resp = fn(h.withActor(r), a, r)
	default:
		resp = fail("HTTP method " + r.Method + " is not supported; use GET or POST.")
	}
	// This is the one place where the bytes of every answer are made, license
	// answers (xmlmodel.QLMLicense) included: whatever must change a body
	// as a whole, such as an XML signature, belongs right here, between
	// marshalling and writing.
	s, sign := resp.(signed)
	if sign {
		resp = s.answer
	}
	body, err := xmlmodel.MarshalQLM(resp, bom)
	if err == nil && sign {
		body, err = h.sign(r.Context(), s, body)
	}
	if err != nil {
		h.logger.ErrorContext(r.Context(), "qlm: encode response", "err", err)
		body, _ = xmlmodel.MarshalQLM(fail("Internal error."), false)
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/xml; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// Protocol is the [license.Actor] protocol of the requests a [Handler]
// serves.
const Protocol = "qlm"

// withActor returns r's context with the [license.Actor] of r: the QLM
// protocol, the client's address as [WithClientIP] learns it, and the
// request ID of an actor the context already carries (one that a server
// wrapping the handler put there).
func (h *Handler) withActor(r *http.Request) context.Context {
	ctx := r.Context()
	prev, _ := license.ActorFrom(ctx)
	return license.WithActor(ctx, license.Actor{Protocol: Protocol, Addr: h.cfg.clientIP(r), RequestID: prev.RequestID})
}

// fail is an error answer: <error> alone, as QLM documents it, with no
// <status> a client could mistake for a license's.
func fail(msg string) xmlmodel.QLMResult { return xmlmodel.QLMResult{Error: msg} }

// invalid is the error answer for an argument that cannot be read.
func invalid(err error) xmlmodel.QLMResult {
	return fail("Invalid argument: " + err.Error() + ".")
}

// printable shortens s and drops what is not printable, for echoing input.
func printable(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return -1
		}
		return r
	}, s)
}

// target reads is_productid, is_majorversion and is_minorversion (also in
// the documentation's misspelling is_minorverson).
func target(a args) (license.Target, error) {
	t := license.Target{ProductID: a.get("is_productid")}
	major, ok, err := a.int("is_majorversion")
	if err != nil {
		return t, err
	}
	t.Major, t.HasMajor = major, ok
	if _, _, err := a.int("is_minorversion", "is_minorverson"); err != nil {
		return t, err
	}
	return t, nil
}

func (h *Handler) requestCode(ctx context.Context, a args, r *http.Request) any {
	t, err := target(a)
	if err != nil {
		return invalid(err)
	}
	switch {
	case a.get("is_email") == "":
		return fail("Missing argument: is_email.")
	case a.get("is_pcid") == "":
		return fail("Missing argument: is_pcid.")
	case t.ProductID == "":
		return fail("Missing argument: is_productid.")
	}
	props, err := ParseProperties(a.get("is_pp"))
	if err != nil {
		return fail("Invalid is_pp: " + err.Error())
	}
	err = h.svc.RequestCode(ctx, license.CodeRequest{
		Email: a.get("is_email"), ComputerID: a.get("is_pcid"), Target: t,
		Properties: props, ClientAddr: h.cfg.clientIP(r),
	})
	if err != nil {
		return h.failure(ctx, err)
	}
	mins := int(h.svc.CodeTTL().Round(time.Minute) / time.Minute)
	return xmlmodel.QLMResult{Result: fmt.Sprintf(
		"If a license matches this request, an authorization code has been sent to the email address or phone number on file. It expires in %d minutes.", mins)}
}

func (h *Handler) activateByCode(ctx context.Context, a args, r *http.Request) any {
	t, err := target(a)
	if err != nil {
		return invalid(err)
	}
	if a.get("is_pcid") == "" {
		return fail("Missing argument: is_pcid.")
	}
	var res license.Result
	if ck := a.get("is_pckey"); ck != "" {
		res, err = h.svc.Validate(ctx, license.ValidationRequest{ComputerKey: ck, ComputerID: a.get("is_pcid"), Target: t})
	} else {
		if a.get("is_authcode") == "" {
			return fail("Missing argument: is_authcode.")
		}
		res, err = h.svc.ActivateByCode(ctx, license.CodeActivation{
			Code: a.get("is_authcode"), ComputerID: a.get("is_pcid"),
			ComputerName: a.get("is_computer_name"), Target: t,
			Email: a.get("is_email"), ClientAddr: h.cfg.clientIP(r),
		})
	}
	if err != nil {
		return h.failure(ctx, err)
	}
	return h.licenseInfo(ctx, res)
}

func (h *Handler) validate(ctx context.Context, a args, r *http.Request) any {
	t, err := target(a)
	if err != nil {
		return invalid(err)
	}
	activate, err := a.bool("is_activate", true)
	if err != nil {
		return invalid(err)
	}
	key, pcid, ck := a.get("is_avkey"), a.get("is_pcid"), a.get("is_pckey")
	if pcid == "" {
		return fail("Missing argument: is_pcid.")
	}
	if key == "" && ck == "" {
		return fail("Missing argument: is_avkey.")
	}
	var res license.Result
	switch {
	case key == "":
		res, err = h.svc.Validate(ctx, license.ValidationRequest{ComputerKey: ck, ComputerID: pcid, Target: t})
	default:
		var l license.License
		if l, err = h.svc.LicenseByKey(ctx, key); err != nil {
			break
		}
		switch {
		case ck != "":
			res, err = h.svc.Validate(ctx, license.ValidationRequest{ComputerKey: ck, ComputerID: pcid, LicenseID: l.ID, Target: t})
		case !activate:
			res, err = h.svc.Validate(ctx, license.ValidationRequest{LicenseID: l.ID, ComputerID: pcid, Target: t})
		default:
			res, err = h.svc.Activate(ctx, license.ActivationRequest{
				LicenseID: l.ID, ComputerID: pcid, ComputerName: a.get("is_computer_name"), Target: t,
			})
		}
	}
	if err != nil {
		return h.failure(ctx, err)
	}
	return h.licenseInfo(ctx, res)
}

// release serves ReleaseLicenseHttp: a vendor release with is_vendor,
// is_user and is_pwd ([WithRelease]), or the client's own release with the
// computer key ([WithSelfRelease]).
func (h *Handler) release(ctx context.Context, a args, r *http.Request) any {
	vendorCall := a.get("is_vendor") != "" || a.get("is_user") != "" || a.get("is_pwd") != ""
	switch {
	case h.cfg.release != nil && (vendorCall || h.cfg.selfRelease.limit == 0):
		return h.vendorRelease(ctx, a, r)
	case h.cfg.selfRelease.limit > 0:
		return h.selfRelease(ctx, a, r)
	}
	return fail("ReleaseLicenseHttp is disabled on this server.")
}

func (h *Handler) vendorRelease(ctx context.Context, a args, r *http.Request) any {
	if resp, ok := h.vendorAuth(ctx, a, r, h.cfg.release); !ok {
		return resp
	}
	key, pcid := a.get("is_avkey"), a.get("is_pcid")
	if key == "" || pcid == "" {
		return fail("Missing argument: is_avkey and is_pcid are required.")
	}
	l, err := h.svc.LicenseByKey(ctx, key)
	if err == nil {
		_, err = h.svc.Release(ctx, l.ID, pcid)
	}
	if err != nil {
		return h.failure(ctx, err)
	}
	return released(l)
}

// selfRelease releases the seat of a client that proves it holds it with
// the computer key, within the license's release budget.
func (h *Handler) selfRelease(ctx context.Context, a args, r *http.Request) any {
	key, pcid, ck := a.get("is_avkey"), a.get("is_pcid"), a.get("is_pckey")
	if key == "" || pcid == "" || ck == "" {
		return fail("Missing argument: is_avkey, is_pcid and is_pckey (the computer key) are required to release a license without vendor credentials.")
	}
	l, err := h.svc.LicenseByKey(ctx, key)
	if err != nil {
		return h.failure(ctx, err)
	}
	_, err = h.svc.ReleaseOwn(ctx, license.OwnRelease{
		LicenseID: l.ID, ComputerID: pcid, ComputerKey: ck, ClientAddr: h.cfg.clientIP(r),
		Limit: h.cfg.selfRelease.limit, Per: h.cfg.selfRelease.per,
	})
	if err != nil {
		return h.failure(ctx, err)
	}
	return released(l)
}

func released(l license.License) xmlmodel.QLMResult {
	return xmlmodel.QLMResult{Result: fmt.Sprintf("ActivationKey %s has been released.", l.Key)}
}

// activateKey serves ActivateKey, the e-commerce activation: a vendor
// activates a key for a computer, and gets what ValidateLicenseHttp
// answers when it activates.
func (h *Handler) activateKey(ctx context.Context, a args, r *http.Request) any {
	if h.cfg.activateKey == nil {
		return fail("ActivateKey is disabled on this server.")
	}
	if resp, ok := h.vendorAuth(ctx, a, r, h.cfg.activateKey); !ok {
		return resp
	}
	t, err := target(a)
	if err != nil {
		return invalid(err)
	}
	key, pcid := a.get("is_avkey"), a.get("is_pcid")
	if key == "" || pcid == "" {
		return fail("Missing argument: is_avkey and is_pcid are required.")
	}
	l, err := h.svc.LicenseByKey(ctx, key)
	if err != nil {
		return h.failure(ctx, err)
	}
	res, err := h.svc.Activate(ctx, license.ActivationRequest{
		LicenseID: l.ID, ComputerID: pcid, ComputerName: a.get("is_computer_name"), Target: t,
	})
	if err != nil {
		return h.failure(ctx, err)
	}
	return h.licenseInfo(ctx, res)
}

// vendorAuth checks is_vendor, is_user and is_pwd against want, within the
// client address's failure budget. It returns the error answer and false
// when they do not match.
func (h *Handler) vendorAuth(ctx context.Context, a args, r *http.Request, want *vendorLogin) (xmlmodel.QLMResult, bool) {
	ok, err := h.svc.CheckSecret(ctx, h.cfg.clientIP(r), func() bool {
		return equal(a.get("is_vendor"), want.vendor)&equal(a.get("is_user"), want.user)&equal(a.get("is_pwd"), want.password) == 1
	})
	switch {
	case err != nil:
		return h.failure(ctx, err), false
	case !ok:
		return fail("Authentication failed: is_vendor, is_user and is_pwd do not match."), false
	}
	return xmlmodel.QLMResult{}, true
}

// equal compares in constant time, hashing first so that lengths leak nothing.
func equal(got, want string) int {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:])
}

func (h *Handler) ping(ctx context.Context, a args, r *http.Request) any {
	now := h.svc.Now().UTC().Format("2006-01-02T15:04:05Z")
	return xmlmodel.QLMPing{
		Result:           fmt.Sprintf("Successfully connected to License Server at %s UTC. QLM Version: %s", now, h.cfg.serverVersion),
		ServerDate:       now,
		ServerVersion:    h.cfg.serverVersion,
		LegacyServerDate: &xmlmodel.QLMLegacyDate{Date: now},
	}
}

// failure maps a service error to an <error> answer, in one place.
// Error answers carry <error> alone, as QLM documents them: no <status>,
// which clients read as a license's. Clients see sentences; internal
// errors are logged, not shown.
func (h *Handler) failure(ctx context.Context, err error) xmlmodel.QLMResult {
	switch {
	case errors.Is(err, license.ErrInvalid):
		return fail(license.Explain(err))
	case errors.Is(err, license.ErrReleaseLimited):
		return fail(license.Explain(err))
	case errors.Is(err, license.ErrRateLimited):
		return fail("Too many requests. Please try again later.")
	case errors.Is(err, license.ErrCodeInvalid):
		return fail("The authorization code is not valid. It may be mistyped, expired or already used; request a new one.")
	case errors.Is(err, license.ErrNoSeats):
		return fail("You have reached the maximum number of activations allowed for this license. Release another computer first.")
	case errors.Is(err, license.ErrActivationRevoked):
		return fail("The activation of this computer has been revoked by the vendor.")
	case errors.Is(err, license.ErrRevoked):
		return fail("The license has been revoked.")
	case errors.Is(err, license.ErrSuspended):
		return fail("The license is suspended.")
	case errors.Is(err, license.ErrReleased):
		return fail("The license was released on this computer and must be activated again.")
	case errors.Is(err, license.ErrExpired):
		return fail("Your license key expired.")
	case errors.Is(err, license.ErrWrongProduct):
		return fail("The activation key is not valid for this product.")
	case errors.Is(err, license.ErrWrongVersion):
		return fail("The activation key is not valid for this version of the product.")
	case errors.Is(err, license.ErrComputerMismatch):
		return fail("The computer key does not match this computer.")
	case errors.Is(err, license.ErrNotActivated):
		return fail("The license is not activated on this computer.")
	case errors.Is(err, license.ErrNotFound):
		return fail("The activation key is not valid")
	case errors.Is(err, license.ErrNoChannel):
		return fail("Authorization codes cannot be sent: this server has no email or SMS delivery configured.")
	case errors.Is(err, license.ErrDelivery):
		h.logger.ErrorContext(ctx, "qlm: code delivery", "err", err)
		return fail("The authorization code could not be sent. Please try again later.")
	}
	h.logger.ErrorContext(ctx, "qlm: internal error", "err", err)
	return fail("Internal server error. Please try again later.")
}

// licenseInfo builds the ValidateLicenseHttp element set, signed with the
// product's key (sign.go).
func (h *Handler) licenseInfo(ctx context.Context, res license.Result) any {
	l, p, act := res.License, res.Product, res.Activation
	now := h.svc.Now()
	status := StatusPermanent
	model := "permanent"
	if !l.ExpiresAt.IsZero() {
		status, model = StatusDemo, "subscription"
	}
	var result string
	available := l.Seats - l.SeatsHeld
	switch {
	case !res.Activated():
		status |= StatusNeedsActivation
		result = "The license is valid but not activated on this computer."
	default:
		copies := "copies"
		if l.Seats == 1 {
			copies = "copy"
		}
		result = fmt.Sprintf("Your license is valid and entitles you to install %d %s of %s.", l.Seats, copies, p.Name)
		if !l.ExpiresAt.IsZero() {
			result += " Your license expires on " + l.ExpiresAt.Format("1/2/2006") + "."
		}
	}
	return signed{product: p, answer: xmlmodel.QLMLicense{
		CreationDateUTC:        xmlmodel.QLMTime(l.CreatedAt),
		ComputerKey:            act.ComputerKey,
		ActivationToken:        res.Token,
		ComputerName:           act.ComputerName,
		ComputerID:             act.ComputerID,
		UserCompany:            l.Company,
		UserFullName:           l.Name,
		UserEmail:              l.Email,
		ProductID:              p.ID,
		ProductName:            p.Name,
		MajorVersion:           p.Major,
		MinorVersion:           p.Minor,
		LicenseModel:           model,
		MaintenanceRenewalDate: xmlmodel.QLMTime(l.ExpiresAt),
		Result:                 result,
		Status:                 status,
		Features:               features(l.Features),
		Duration:               -1,
		FloatingSeats:          0,
		NumActivationsAllowed:  l.Seats,
		AvailableLicenses:      max(available, 0),
		ExpiryDate:             xmlmodel.QLMMinute(l.ExpiresAt),
		ActivationKey:          l.Key,
		ProductProperties:      h.properties(ctx, l.Properties),
		ActivationDate:         xmlmodel.QLMMinute(act.ActivatedAt),
		ServerDate:             xmlmodel.QLMMinute(now),
		ComputerType:           "PC",
	}}
}

// features renders the features written in QLM's own "set:mask" syntax
// (for example "0:7"), one "set:mask;" each; named features have no QLM
// form and travel only in the activation token.
func features(fs []string) string {
	var b strings.Builder
	for _, f := range fs {
		set, mask, ok := strings.Cut(f, ":")
		if !ok {
			continue
		}
		s, err1 := strconv.Atoi(set)
		m, err2 := strconv.Atoi(mask)
		if err1 != nil || err2 != nil || s < 0 || s > 3 || m < 0 || m > 255 {
			continue
		}
		fmt.Fprintf(&b, "%d:%d;", s, m)
	}
	return b.String()
}

// properties renders the license's properties as the <ProductProperties>
// document QLM embeds, as text, in <productProperties>.
func (h *Handler) properties(ctx context.Context, ps []license.Property) string {
	if len(ps) == 0 {
		return ""
	}
	doc := xmlmodel.QLMProductProperties{Properties: make([]xmlmodel.QLMProperty, 0, len(ps))}
	for _, p := range ps {
		doc.Properties = append(doc.Properties, xmlmodel.QLMProperty{
			ID: propertyID(p), Name: p.Name, Category: p.Category, Value: p.Value, Type: string(p.Type),
			LastDefinitionUpdate: xmlmodel.QLMTime(p.UpdatedAt), LastValueUpdate: xmlmodel.QLMTime(p.UpdatedAt),
			ExpiryDate: xmlmodel.QLMTime(p.ExpiresAt), Operation: "None",
		})
	}
	b, err := xml.Marshal(doc)
	if err != nil {
		h.logger.ErrorContext(ctx, "qlm: encode properties", "err", err)
		return ""
	}
	return `<?xml version="1.0" encoding="utf-8"?>` + string(b)
}

// propertyID is a stable GUID for a property, derived from its category and
// name, in QLM's braced form.
func propertyID(p license.Property) string {
	s := sha256.Sum256([]byte(p.Category + "\x00" + p.Name))
	return fmt.Sprintf("{%x-%x-%x-%x-%x}", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}
