package license

import (
	"encoding/json"
	"time"
)

// Event is something that happened to licgate's data, or was attempted:
// a change made by a vendor, an activation, a release, a revocation, a
// code request, a failed login. Every event is a record of the audit
// trail, which is append-only: stores insert events and never change or
// delete them. An event with Data is also a webhook event: the store puts
// it in the outbox of every registered webhook in the same transaction
// (see [Delivery]).
//
// The [Service] writes events; stores keep them, and nothing else makes
// them.
type Event struct {
	// ID is a version 7 UUID ([NewTimeUUID]), so IDs sort in time.
	ID string `json:"id"`
	// At is when it happened, by the service's clock.
	At time.Time `json:"at"`
	// Type says what happened, one of the Event constants, such as
	// [EventLicenseCreated].
	Type string `json:"type"`
	// Actor is who did it: an admin token's name, "cli", or a protocol and
	// a client address.
	Actor Actor `json:"actor"`
	// Target names what it happened to: "license/ID", "activation/AID",
	// "product/ID", "webhook/ID", "token/NAME", or "" when an attempt
	// named nothing known.
	Target string `json:"target"`
	// Outcome is "ok" or the stable reason of a refusal ([Outcome]).
	Outcome string `json:"outcome"`
	// Change is what changed, as JSON: the fields of a new record, or
	// {"field": {"from": …, "to": …}} for an update. It never holds a
	// credential (activation keys, product keys, tokens, secrets). Nil
	// when nothing changed.
	Change json.RawMessage `json:"change,omitempty"`
	// Data is the "data" member of the webhook payload, nil for an event
	// that is not sent to webhooks. Like Change, it holds no credential.
	Data json.RawMessage `json:"-"`
}

// Event types. The first five are sent to webhooks; every type goes to the
// audit trail.
const (
	EventLicenseCreated     = "license.created"
	EventLicenseUpdated     = "license.updated"
	EventActivationCreated  = "activation.created"
	EventActivationReleased = "activation.released"
	EventActivationRevoked  = "activation.revoked"

	// EventActivationRefused is an activation attempt of a known license
	// that was refused; Outcome says why.
	EventActivationRefused = "activation.refused"
	EventCodeRequested     = "code.requested"
	EventLoginFailed       = "login.failed"
	EventProductCreated    = "product.created"
	EventProductUpdated    = "product.updated"
	EventTokenCreated      = "token.created"
	EventTokenRevoked      = "token.revoked"
	EventWebhookCreated    = "webhook.created"
	EventWebhookDeleted    = "webhook.deleted"
)

// WebhookEventTypes are the event types sent to webhooks.
var WebhookEventTypes = []string{
	EventLicenseCreated, EventLicenseUpdated,
	EventActivationCreated, EventActivationReleased, EventActivationRevoked,
}

// Cursor is a position in a list ordered by time, then ID: the last item
// of a page. The next page holds the items after it.
type Cursor struct {
	At time.Time
	ID string
}

// IsZero reports whether c is the start of a list.
func (c Cursor) IsZero() bool { return c.At.IsZero() && c.ID == "" }

// Page says which part of a list to return: at most Limit items after
// After, oldest first.
type Page struct {
	After Cursor
	// Limit is at least 1; the service caps it at [MaxPageLimit].
	Limit int
}

// Paging limits.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 1000
)

// AuditQuery selects events of the audit trail.
type AuditQuery struct {
	// Since, if not zero, keeps events at or after it.
	Since time.Time
	// Target, if not empty, keeps events of that target ("license/ID").
	Target string
	Page
}

// LicenseQuery selects licenses.
type LicenseQuery struct {
	ProductID string // "" for every product
	Email     string // canonical (lower case); "" for any
	Status    Status // "" for any
	Page             // ordered by CreatedAt, then ID
}
