package admin

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/licgate/licgate/license"
)

// The request and response bodies of the API. The server decodes and
// encodes them, the [Client] sends and reads them, and the OpenAPI
// document describes them by reflection: one definition for all three.
// Licenses, activations, webhooks, attempts and events travel as their
// license types marshal.

// NewProduct is the body of POST /products.
type NewProduct struct {
	// ID names the product: 1 to 64 letters, digits, '-', '_' and '.'.
	ID   string `json:"id"`
	Name string `json:"name"`
	// Major and Minor are the product's version; QLM clients name the
	// major version they expect.
	Major int `json:"major"`
	Minor int `json:"minor"`
	// SignatureAlgorithm signs the product's QLM answers; empty means
	// [license.SignatureRSASHA1].
	SignatureAlgorithm license.SignatureAlgorithm `json:"signatureAlgorithm,omitempty"`
}

// Product is a product as the API shows it: the product's JSON and the
// public half of its RSA key, which the product's programs need to verify
// signed QLM answers.
type Product struct {
	license.Product
	// PublicKey is the PKIX PEM ("PUBLIC KEY") of the product's RSA key;
	// empty for a product that has no key yet.
	PublicKey string `json:"publicKey,omitempty"`
}

// ProductList is the answer of GET /products: every product, by ID.
type ProductList struct {
	Data []Product `json:"data"`
}

// NewLicense is the body of POST /licenses. The answer is the new
// [license.License], credentials included.
type NewLicense struct {
	ProductID string `json:"productId"`
	license.Customer
	// Seats is how many computers may hold an activation at once; 0 or
	// absent means 1.
	Seats int `json:"seats,omitempty"`
	// ExpiresAt ends the license; absent, it never expires.
	ExpiresAt  time.Time          `json:"expiresAt,omitzero"`
	Features   []string           `json:"features,omitempty"`
	Properties []license.Property `json:"properties,omitempty"`
	// Floating makes the seats leases held by running programs (POST
	// /v1/leases of the server's JSON protocol) instead of activations of
	// computers. It is chosen here and never changes.
	Floating bool `json:"floating,omitempty"`
	// LeaseSeconds is how long a lease of a floating license lives
	// without a heartbeat, 10 to 604800 (7 days); 0 or absent means 900
	// (15 minutes). Only a floating license has one.
	LeaseSeconds int `json:"leaseSeconds,omitempty" jsonschema:"minimum=0,maximum=604800"`
}

// LicensePatch is the body of PATCH /licenses/{id}: the members present
// change, those absent stay as they are; all change in one transaction,
// recorded as one audit event. Features and Properties replace the
// license's lists whole. A revoked license stays revoked.
type LicensePatch struct {
	Seats *int `json:"seats,omitempty"`
	// ExpiresAt sets the expiry, or with JSON null clears it.
	ExpiresAt  NullTime            `json:"expiresAt,omitzero"`
	Features   *[]string           `json:"features,omitempty"`
	Properties *[]license.Property `json:"properties,omitempty"`
	Email      *string             `json:"email,omitempty"`
	Phone      *string             `json:"phone,omitempty"`
	Name       *string             `json:"name,omitempty"`
	Company    *string             `json:"company,omitempty"`
	// Status is active, suspended or revoked.
	Status *license.Status `json:"status,omitempty"`
	// LeaseSeconds is the lease TTL of a floating license, 10 to 604800;
	// leases taken or renewed from then on live that long. A license
	// that is not floating has none.
	LeaseSeconds *int `json:"leaseSeconds,omitempty" jsonschema:"minimum=10,maximum=604800"`
}

// NullTime is a time that a [LicensePatch] sets, clears or leaves alone.
// The zero NullTime is absent from the JSON and changes nothing; with Set
// and a zero Time it is JSON null, which clears; with Set and a Time it is
// an RFC 3339 string, which sets.
type NullTime struct {
	Time time.Time
	Set  bool
}

// IsZero reports whether t changes nothing, so that omitzero drops it.
func (t NullTime) IsZero() bool { return !t.Set }

// MarshalJSON writes null for a cleared time, else the time in RFC 3339.
func (t NullTime) MarshalJSON() ([]byte, error) {
	if t.Time.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.Time)
}

// UnmarshalJSON reads null or an RFC 3339 string, and marks t as set.
func (t *NullTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*t = NullTime{Set: true}
		return nil
	}
	var v time.Time
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*t = NullTime{Time: v, Set: true}
	return nil
}

// LicensePage is one page of GET /licenses.
type LicensePage struct {
	Data []license.License `json:"data"`
	// Next is the cursor of the next page, absent on the last one.
	Next string `json:"next,omitempty"`
}

// ActivationList is the answer of GET /licenses/{id}/activations: every
// activation of the license, oldest first.
type ActivationList struct {
	Data []license.Activation `json:"data"`
}

// EventPage is one page of GET /audit.
type EventPage struct {
	Data []license.Event `json:"data"`
	// Next is the cursor of the next page, absent on the last one.
	Next string `json:"next,omitempty"`
}

// NewWebhook is the body of POST /webhooks.
type NewWebhook struct {
	// URL is an absolute http or https URL without credentials.
	URL string `json:"url"`
}

// CreatedWebhook is the answer of POST /webhooks: the webhook and, this
// once, its signing secret.
type CreatedWebhook struct {
	license.Webhook
	// Secret signs the webhook's messages (Standard Webhooks); no later
	// answer shows it.
	Secret string `json:"secret"`
}

// WebhookList is the answer of GET /webhooks, oldest first.
type WebhookList struct {
	Data []license.Webhook `json:"data"`
}

// AttemptPage is one page of GET /webhooks/{id}/deliveries.
type AttemptPage struct {
	Data []license.Attempt `json:"data"`
	// Next is the cursor of the next page, absent on the last one.
	Next string `json:"next,omitempty"`
}

// PageQuery asks for one page of a list: at most Limit items (1 to
// [MaxLimit], 0 for [DefaultLimit]) after Cursor, the Next of the page
// before, or from the start if empty.
type PageQuery struct {
	Limit  int    `query:"limit,min=1,max=500"`
	Cursor string `query:"cursor,max=512"`
}

// Paging limits of the lists.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// LicenseFilter selects the licenses of GET /licenses; empty fields
// select all.
type LicenseFilter struct {
	// Product is a product ID.
	Product string `query:"product,max=64"`
	// Email is the customer's email address, in any case.
	Email string `query:"email,max=254"`
	// Status is active, suspended or revoked.
	Status license.Status `query:"status,enum=active|suspended|revoked"`
	PageQuery
}

// AuditFilter selects the events of GET /audit; empty fields select all.
type AuditFilter struct {
	// Since keeps events at or after it.
	Since time.Time `query:"since"`
	// Target keeps the events of one target, such as "license/ID".
	Target string `query:"target,max=200"`
	PageQuery
}

// Problem is an error answer, an RFC 9457 problem document
// (application/problem+json), and the error the [Client] returns for it.
// Reason is stable, for programs to switch on; Detail is a sentence for a
// person. See [Problem.Is] for the sentinels it matches.
type Problem struct {
	// Type is "urn:licgate:problem:" and the reason.
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	// Reason is one of the reasons of [license.Outcome] (not_found,
	// invalid, conflict, no_seats, license_revoked, …) or of the API
	// (unauthenticated, forbidden, bad_request, …).
	Reason string `json:"reason"`
}
