package ems

import (
	"context"
	"net/http"
	"strconv"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/xmlmodel"
)

// The product key web services: read a product key and its activations,
// and change it.

// sessionLicense returns the request's session and the license of the
// product key in the URL, if the session allows it. An unknown product
// key, and one the session does not allow, are the same error matching
// [license.ErrNotFound]. Only a product key finds a license: its ID does
// not.
func (h *Handler) sessionLicense(r *http.Request, rt route) (license.Session, license.License, error) {
	sess, err := h.session(r, rt)
	if err != nil {
		return license.Session{}, license.License{}, err
	}
	l, err := h.svc.LicenseByProductKey(r.Context(), rt.id)
	if err != nil {
		return license.Session{}, license.License{}, err
	}
	if !sess.Allows(l.ID) {
		return license.Session{}, license.License{}, license.NotFound("product key", "")
	}
	return sess, l, nil
}

// getProductKey serves GET productKey/{pk}.ws.
func (h *Handler) getProductKey(w http.ResponseWriter, r *http.Request, rt route) error {
	_, l, err := h.sessionLicense(r, rt)
	if err != nil {
		return err
	}
	doc, err := h.productKeyDoc(r.Context(), l)
	if err != nil {
		return err
	}
	return h.writeXML(w, doc, false)
}

// productKeyUpdate is what a <productKey> document asks to change; nil or
// empty fields stay as they are.
type productKeyUpdate struct {
	seats   *int   // totalEntitled
	enabled *bool  // false suspends the license, true makes it active again
	email   string // customerEmail, normalized
}

// parseProductKeyUpdate reads the changeable fields of a <productKey>
// document: totalEntitled, enabled and customerEmail.
func parseProductKeyUpdate(doc xmlmodel.ProductKey) (productKeyUpdate, error) {
	var u productKeyUpdate
	if doc.TotalEntitled != "" {
		n, err := strconv.Atoi(doc.TotalEntitled)
		if err != nil {
			return productKeyUpdate{}, errBadTotal
		}
		u.seats = &n
	}
	switch doc.Enabled {
	case "":
	case "true", "1":
		u.enabled = new(true)
	case "false", "0":
		u.enabled = new(false)
	default:
		return productKeyUpdate{}, errBadEnabled
	}
	if doc.CustomerEmail != "" {
		email, err := license.NormalizeEmail(doc.CustomerEmail)
		if err != nil {
			return productKeyUpdate{}, err
		}
		u.email = email
	}
	return u, nil
}

// changesEntitlement reports whether u changes the seats or the status of
// l, which only a vendor may.
func (u productKeyUpdate) changesEntitlement(l license.License) bool {
	return u.seats != nil && *u.seats != l.Seats ||
		u.enabled != nil && *u.enabled != (l.Status == license.StatusActive)
}

// apply makes the changes of u to l, as the vendor. A revoked license
// stays revoked: disabling it changes nothing, and enabling it fails in
// [license.Service.UpdateLicense].
func (u productKeyUpdate) apply(l *license.License) {
	if u.seats != nil {
		l.Seats = *u.seats
	}
	if u.enabled != nil {
		switch {
		case *u.enabled:
			l.Status = license.StatusActive
		case l.Status != license.StatusRevoked:
			l.Status = license.StatusSuspended
		}
	}
	if u.email != "" {
		l.Email = u.email
	}
}

// updateProductKey serves POST productKey/{pk}.ws. A vendor session may
// change the seats, the status and the customer email. A product-key
// session may only register the customer email of a license that has no
// customer; a document that repeats the current values is accepted from
// either.
func (h *Handler) updateProductKey(w http.ResponseWriter, r *http.Request, rt route) error {
	sess, l, err := h.sessionLicense(r, rt)
	if err != nil {
		return err
	}
	var doc xmlmodel.ProductKey
	if err := h.readXML(w, r, &doc, "productKey"); err != nil {
		return err
	}
	if doc.ProductKeyID != "" {
		if pk, err := license.ParseProductKey(doc.ProductKeyID); err != nil || pk != l.ProductKey {
			return errKeyMismatch
		}
	}
	u, err := parseProductKeyUpdate(doc)
	if err != nil {
		return err
	}
	ctx := r.Context()
	switch {
	case sess.Kind == license.SessionVendor:
		l, err = h.svc.UpdateLicense(ctx, l.ID, func(cur *license.License) error {
			u.apply(cur)
			return nil
		})
	case u.changesEntitlement(l):
		return errVendorOnly
	case u.email != "" && u.email != l.Email:
		// ErrPermission if the license has a customer already.
		l, err = h.svc.RegisterCustomer(ctx, l.ID, license.Customer{Email: u.email})
	}
	if err != nil {
		return err
	}
	doc, err = h.productKeyDoc(ctx, l)
	if err != nil {
		return err
	}
	return h.writeXML(w, doc, false)
}

// productKeyDoc is the <productKey> answer: EMS's fixed attributes, the
// license's seats and status, and one AID and protectionKeyId per
// activation holding a seat. entitlementId is the license ID, and
// customerId the license's number when it has a customer (see
// getCustomer), else empty.
func (h *Handler) productKeyDoc(ctx context.Context, l license.License) (xmlmodel.ProductKey, error) {
	p, err := h.svc.Product(ctx, l.ProductID)
	if err != nil {
		return xmlmodel.ProductKey{}, err
	}
	as, err := h.svc.Activations(ctx, l.ID)
	if err != nil {
		return xmlmodel.ProductKey{}, err
	}
	doc := xmlmodel.ProductKey{
		ProductKeyID:         l.ProductKey,
		TotalEntitled:        strconv.Itoa(l.Seats),
		Available:            strconv.Itoa(max(0, l.Seats-l.SeatsHeld)),
		Enabled:              strconv.FormatBool(l.Status == license.StatusActive),
		Type:                 "Product Key-based",
		RegistrationRequired: registrationRequired(l),
		CustomerEmail:        l.Email,
		CustomerName:         l.Name,
		ProductInfo: []xmlmodel.ProductInfo{{
			ID: p.ID, ProductName: p.Name, ProductIdentifier: p.ID, Type: "BASE",
		}},
		Attributes: []xmlmodel.ActivationAttribute{
			{Name: xmlmodel.AttrC2V, Value: "null", ISVPermission: "NONE", EndUserPermission: "WRITE"},
			{Name: xmlmodel.AttrAcknowledgementRequest, Value: "false", ISVPermission: "WRITE", EndUserPermission: "NONE"},
			{Name: xmlmodel.AttrClearBeforeApplyingUpdate, Value: "null", ISVPermission: "NONE", EndUserPermission: "WRITE"},
		},
		EntitlementID: l.ID,
		CustomerID:    customerID(l),
	}
	seen := make(map[string]bool, len(as))
	for _, a := range as {
		if a.Status != license.StatusActive {
			continue
		}
		doc.AIDs = append(doc.AIDs, xmlmodel.ProductKeyAID{ProtectionKeyID: a.ComputerID, AID: a.AID})
		if !seen[a.ComputerID] {
			seen[a.ComputerID] = true
			doc.ProtectionKeyIDs = append(doc.ProtectionKeyIDs, xmlmodel.ProtectionKeyRef{ID: a.ComputerID})
		}
	}
	return doc, nil
}

// registrationRequired is the <registrationRequired> of a product key, as
// [regRequired] says it for the login: DESIRED while the license has no
// customer, NOT_REQUIRED once it has one.
func registrationRequired(l license.License) string {
	if regRequired(l) == xmlmodel.RegDesired {
		return "DESIRED"
	}
	return "NOT_REQUIRED"
}
