package ems

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/xmlmodel"
)

// The customer web services: register a license's customer, and read it.
// licgate keeps one customer per license, so a customer's number
// (customerId) is the license's number ([license.License.Number]), an
// identifier that grants nothing.

// putCustomer serves PUT customer.ws. A product-key session registers the
// customer of its license, which must have none (201 Created, or 200 if it
// sends the customer the license already has); a vendor session sets the
// customer of the license whose number the document's <id> gives (201 if
// it had none, else 200). Both answers have an empty body, as Thales' C
// sample, which takes any text for a failure, needs, and a Location.
func (h *Handler) putCustomer(w http.ResponseWriter, r *http.Request, rt route) error {
	sess, err := h.session(r, rt)
	if err != nil {
		return err
	}
	var doc xmlmodel.Customer
	if err := h.readXML(w, r, &doc, "customer"); err != nil {
		return err
	}
	c, err := customerOf(doc)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var l license.License
	switch sess.Kind {
	case license.SessionVendor:
		n, ok := parseNumber(doc.ID)
		if !ok {
			return errNoCustomerID
		}
		if l, err = h.svc.LicenseByNumber(ctx, n); err != nil {
			return err
		}
	default:
		if l, err = h.svc.License(ctx, sess.Subject); err != nil {
			return err
		}
	}
	status := http.StatusCreated
	switch {
	case l.Customer == c:
		status = http.StatusOK // nothing to change: a client that retries
	case sess.Kind == license.SessionVendor:
		if l.Customer != (license.Customer{}) {
			status = http.StatusOK
		}
		l, err = h.svc.UpdateLicense(ctx, l.ID, func(cur *license.License) error {
			cur.Customer = c
			return nil
		})
	default:
		// ErrPermission if the license has a customer already.
		l, err = h.svc.RegisterCustomer(ctx, l.ID, c)
	}
	if err != nil {
		return err
	}
	hd := w.Header()
	// Relative to the request's URL, so it holds under any mount or proxy.
	hd.Set("Location", "customer/"+strconv.FormatInt(l.Number, 10)+".ws")
	hd.Set("Content-Length", "0")
	w.WriteHeader(status)
	return nil
}

// customerOf reads the customer a <customer> document describes: the
// default contact's email address (required), its name, or the
// customer's name if the contact has none, the customer's name as the
// company when it is not the contact's name, and the customer's phone, or
// the contact's.
func customerOf(doc xmlmodel.Customer) (license.Customer, error) {
	if doc.DefaultContact.EmailID == "" {
		return license.Customer{}, errNoCustomerEmail
	}
	email, err := license.NormalizeEmail(doc.DefaultContact.EmailID)
	if err != nil {
		return license.Customer{}, err
	}
	c := license.Customer{Email: email, Name: doc.DefaultContact.FullName(), Phone: doc.Phone}
	switch {
	case c.Name == "":
		c.Name = doc.Name
	case doc.Name != c.Name:
		c.Company = doc.Name
	}
	if c.Phone == "" {
		c.Phone = doc.DefaultContact.Phone
	}
	return c, c.Validate()
}

// getCustomer serves GET customer/{id}.ws: the customer of the license
// with the number, to a vendor session, or to a product-key session of
// that license. Another license's customer, and a license without one,
// answer exactly like a missing one.
func (h *Handler) getCustomer(w http.ResponseWriter, r *http.Request, rt route) error {
	sess, err := h.session(r, rt)
	if err != nil {
		return err
	}
	notFound := license.NotFound("customer", "")
	n, ok := parseNumber(rt.id)
	if !ok {
		return notFound
	}
	ctx := r.Context()
	var l license.License
	switch sess.Kind {
	case license.SessionVendor:
		l, err = h.svc.LicenseByNumber(ctx, n)
	default:
		l, err = h.svc.License(ctx, sess.Subject)
	}
	if err != nil {
		return err
	}
	if l.Number != n || l.Customer == (license.Customer{}) {
		return notFound
	}
	return h.writeXML(w, customerDoc(l), true)
}

// customerDoc is the <customer> answer for a license's customer: an
// individual ("ind"), named by its company if it has one, whose default
// contact holds the email address and the name, split at its first space
// into first and last name.
func customerDoc(l license.License) xmlmodel.Customer {
	first, last, _ := strings.Cut(l.Name, " ")
	name := l.Name
	if l.Company != "" {
		name = l.Company
	}
	return xmlmodel.Customer{
		ID: strconv.FormatInt(l.Number, 10), Type: "ind", Name: name, Enabled: "true", Phone: l.Phone,
		DefaultContact: xmlmodel.Contact{EmailID: l.Email, FirstName: first, LastName: last},
	}
}

// customerID is the customerId of a license: its number, if it has a
// customer, else "".
func customerID(l license.License) string {
	if l.Customer == (license.Customer{}) {
		return ""
	}
	return strconv.FormatInt(l.Number, 10)
}

// parseNumber reads a customer number: decimal digits only, as EMS writes
// them.
func parseNumber(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 18 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}
