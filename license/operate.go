package license

import (
	"encoding/json"
	"time"
)

// The records that let a vendor run licgate from outside: admin tokens,
// webhooks and their deliveries, and the answers kept for idempotent
// retries.

// Scope is what an admin token may do.
type Scope string

// Scopes of admin tokens.
const (
	ScopeAdmin Scope = "admin" // read and change everything
	ScopeRead  Scope = "read"  // read only
)

// AdminToken is a bearer token of the admin API. Only a hash of its secret
// is stored; the token itself is shown once, when it is made
// ([Service.CreateAdminToken]).
type AdminToken struct {
	// Name is the token's unique name, chosen by the vendor ("shop",
	// "crm"): the "who" of the audit trail.
	Name  string `json:"name"`
	Scope Scope  `json:"scope"`
	// ID is the random, public half of the token, by which it is found.
	ID string `json:"-"`
	// Hash is SHA-256 of the secret half.
	Hash      []byte    `json:"-"`
	CreatedAt time.Time `json:"createdAt"`
}

// Webhook is an endpoint that receives the webhook events
// ([WebhookEventTypes]), signed as the Standard Webhooks specification
// says with its secret.
type Webhook struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// Secret is "whsec_" and the base64 of 32 random bytes. The store
	// keeps it sealed by the service's secret, since signing needs it back
	// ([Service.OpenWebhookSecret]); the admin API shows it only in the
	// answer that creates the webhook.
	Secret    string    `json:"-"`
	CreatedAt time.Time `json:"createdAt"`
}

// Delivery is one webhook event on its way to one webhook: the outbox. The
// store makes a pending delivery for every webhook in the transaction that
// writes an [Event] with Data, so none is lost; dispatchers claim due
// deliveries ([Store.ClaimDeliveries]) and report each attempt
// ([Store.FinishDelivery]).
type Delivery struct {
	ID      string        `json:"id"`
	Webhook Webhook       `json:"-"`
	Event   Event         `json:"-"`
	State   DeliveryState `json:"state"`
	// Attempts is how many attempts were made so far.
	Attempts int `json:"attempts"`
	// NextAt is when the next attempt is due, for a pending delivery.
	NextAt time.Time `json:"nextAt"`
}

// DeliveryState is where a delivery stands.
type DeliveryState string

// Delivery states.
const (
	DeliveryPending   DeliveryState = "pending"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryFailed    DeliveryState = "failed" // gave up
)

// Attempt is one attempt at a delivery, as the webhook's list of
// deliveries shows it.
type Attempt struct {
	ID         string    `json:"id"`
	DeliveryID string    `json:"deliveryId"`
	WebhookID  string    `json:"webhookId"`
	EventID    string    `json:"eventId"`
	EventType  string    `json:"eventType"`
	At         time.Time `json:"at"`
	// Number counts the delivery's attempts from 1.
	Number int `json:"number"`
	// StatusCode is the receiver's HTTP status, 0 if none came.
	StatusCode int `json:"statusCode"`
	// Error says why it failed, empty on success.
	Error string `json:"error,omitempty"`
	// Duration is how long the attempt took, in milliseconds.
	DurationMS int64 `json:"durationMs"`
	// OK is set if the receiver took the event (a 2xx answer).
	OK bool `json:"ok"`
}

// DeliveryResult is the outcome of one attempt at a claimed delivery.
type DeliveryResult struct {
	Attempt Attempt
	// State is the delivery's state after the attempt.
	State DeliveryState
	// NextAt is when to try again, for a delivery left pending.
	NextAt time.Time
}

// Idempotent is an answer kept for a request with an Idempotency-Key, so
// that a retry of it gets the first answer and changes nothing twice.
type Idempotent struct {
	// Scope keeps the keys of different callers apart (the admin token's
	// name); Key is the caller's Idempotency-Key.
	Scope string
	Key   string
	// Fingerprint identifies the request (method, path and a hash of the
	// body): a key reused for another request is refused.
	Fingerprint string
	// Done is set once the answer is kept; until then the request is in
	// progress, held until LockedUntil.
	Done        bool
	LockedUntil time.Time
	Status      int
	Header      json.RawMessage // the answer's kept headers, a JSON object
	Body        []byte
	CreatedAt   time.Time
}
