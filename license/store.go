package license

import (
	"context"
	"time"
)

// Store keeps products, licenses, activations, authorization codes,
// sessions and rate-limit buckets. It holds no rules: it stores and loads,
// and offers atomic primitives over one locked license ([Store.WithLicense])
// from which [Service] builds every rule. Implementations must be safe for
// concurrent use, including by several processes sharing one database, and
// must return the sentinel errors named on each method so that [Service]
// can tell cases apart. Passing [Run] of license/storetest is the contract.
type Store interface {
	// CreateProduct stores a new product and the events, in one
	// transaction; ErrConflict if its ID is taken.
	CreateProduct(ctx context.Context, p Product, events ...Event) error
	// Product returns a product by ID; ErrNotFound if there is none.
	Product(ctx context.Context, id string) (Product, error)
	// Products returns every product, ordered by ID.
	Products(ctx context.Context) ([]Product, error)
	// UpdateProduct changes a product through fn, which sees the product as
	// it stands, with the row locked against other updates, in one
	// transaction, with the events; fn's error aborts it and is returned as
	// is. The ID and creation time never change. ErrNotFound if there is
	// none.
	UpdateProduct(ctx context.Context, id string, fn func(*Product) error, events ...Event) (Product, error)

	// CreateLicense stores a new license with SeatsHeld 0, whatever l says,
	// and the events, in one transaction; ErrConflict if its ID, key,
	// product key or number is taken, ErrNotFound if its product does not
	// exist.
	CreateLicense(ctx context.Context, l License, events ...Event) error
	// License returns a license by ID; ErrNotFound if there is none.
	License(ctx context.Context, id string) (License, error)
	// LicenseByKey returns the license with the canonical activation key;
	// ErrNotFound if there is none.
	LicenseByKey(ctx context.Context, key string) (License, error)
	// LicenseByProductKey returns the license with the canonical (lower
	// case) product key; ErrNotFound if there is none.
	LicenseByProductKey(ctx context.Context, productKey string) (License, error)
	// LicenseByNumber returns the license with the number; ErrNotFound if
	// there is none.
	LicenseByNumber(ctx context.Context, n int64) (License, error)
	// LicensesByEmail returns the licenses of a product whose customer has
	// the lower-cased email address, oldest first; an empty slice if none.
	LicensesByEmail(ctx context.Context, email, productID string) ([]License, error)
	// Licenses returns the licenses of a product, or every license if
	// productID is empty, oldest first.
	Licenses(ctx context.Context, productID string) ([]License, error)
	// FindLicenses returns the licenses that match q, ordered by CreatedAt
	// then ID, at most q.Limit of them after q.After; an empty slice if
	// none.
	FindLicenses(ctx context.Context, q LicenseQuery) ([]License, error)

	// WithLicense runs fn in one transaction that holds the license locked
	// against every other WithLicense of it, in this process or another
	// sharing the database, and commits what fn did through tx if fn
	// returns nil, or nothing at all if it returns an error, which
	// WithLicense then returns as is. ErrNotFound if the license does not
	// exist. fn must not use the store, nor tx after it returns.
	WithLicense(ctx context.Context, licenseID string, fn func(tx LicenseTx) error) error

	// Activation returns an activation by AID; ErrNotFound if there is none.
	Activation(ctx context.Context, aid string) (Activation, error)
	// ActivationByComputer returns the active activation of a license on a
	// computer; ErrNotFound if there is none.
	ActivationByComputer(ctx context.Context, licenseID, computerID string) (Activation, error)
	// ActivationByComputerKey returns the activation with the canonical
	// computer key, whatever its status; ErrNotFound if there is none.
	ActivationByComputerKey(ctx context.Context, computerKey string) (Activation, error)
	// Activations returns the activations of a license, or every activation
	// if licenseID is empty, oldest first.
	Activations(ctx context.Context, licenseID string) ([]Activation, error)
	// LicensesWithExpiredLeases returns the IDs of up to limit licenses
	// that hold an active lease whose LeaseUntil is not after now; an empty
	// slice if none.
	LicensesWithExpiredLeases(ctx context.Context, now time.Time, limit int) ([]string, error)

	// PutCode stores a code, replacing any code of the same license and
	// computer; ErrNotFound if the license does not exist.
	PutCode(ctx context.Context, c AuthorizationCode) error
	// Codes returns the codes issued for a computer that expire after now.
	Codes(ctx context.Context, computerID string, now time.Time) ([]AuthorizationCode, error)
	// SpendCodeAttempt atomically counts one attempt at the code of a license
	// and computer, if it has fewer than max attempts and expires after now,
	// and returns it as it was before the attempt. Otherwise it deletes the
	// code, if any, and returns ErrCodeInvalid.
	SpendCodeAttempt(ctx context.Context, licenseID, computerID string, max int, now time.Time) (AuthorizationCode, error)
	// DeleteExpiredCodes removes codes that expire at or before now and
	// returns how many it removed.
	DeleteExpiredCodes(ctx context.Context, now time.Time) (int, error)

	// CreateSession stores a new session; ErrConflict if its hash is taken.
	CreateSession(ctx context.Context, s Session) error
	// TouchSession returns the session with the ID hash if it expires after
	// now, and moves its expiry to now+idle; ErrNotFound if it is missing or
	// expired.
	TouchSession(ctx context.Context, idHash []byte, now time.Time, idle time.Duration) (Session, error)
	// DeleteSession removes a session; deleting a missing one is not an error.
	DeleteSession(ctx context.Context, idHash []byte) error
	// DeleteExpiredSessions removes sessions that expire at or before now
	// and returns how many it removed.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)

	// TakeToken atomically takes one token from the bucket b at now and
	// reports whether there was one. A bucket not yet stored starts full
	// (b.Burst tokens) and refills at b.Burst tokens per b.Window, never
	// above b.Burst; a now earlier than the bucket's last change adds
	// nothing. Every store sharing the database shares the bucket.
	TakeToken(ctx context.Context, b Bucket, now time.Time) (bool, error)
	// ReturnToken gives one token back to the bucket b, never above
	// b.Burst; returning to a bucket not stored does nothing.
	ReturnToken(ctx context.Context, b Bucket, now time.Time) error
	// DeleteFullBuckets removes buckets that have refilled completely by now,
	// which hold no information, and returns how many it removed.
	DeleteFullBuckets(ctx context.Context, now time.Time) (int, error)

	// Record appends an event to the audit trail in a transaction of its
	// own, with its deliveries if it has Data (see [LicenseTx.Record]).
	Record(ctx context.Context, e Event) error
	// Events returns the events that match q, ordered by At then ID, at
	// most q.Limit of them after q.After; an empty slice if none.
	Events(ctx context.Context, q AuditQuery) ([]Event, error)

	// CreateAdminToken stores a new admin token and the event in one
	// transaction; ErrConflict if its name or ID is taken.
	CreateAdminToken(ctx context.Context, t AdminToken, e Event) error
	// AdminTokenByID returns the admin token with the ID; ErrNotFound if
	// there is none.
	AdminTokenByID(ctx context.Context, id string) (AdminToken, error)
	// AdminTokens returns every admin token, ordered by name.
	AdminTokens(ctx context.Context) ([]AdminToken, error)
	// DeleteAdminToken removes the admin token with the name and stores the
	// event, in one transaction; ErrNotFound if there is none.
	DeleteAdminToken(ctx context.Context, name string, e Event) error

	// CreateWebhook stores a new webhook and the event in one transaction;
	// ErrConflict if its ID is taken. It receives the events recorded after
	// it.
	CreateWebhook(ctx context.Context, w Webhook, e Event) error
	// Webhook returns a webhook by ID, with its secret; ErrNotFound if
	// there is none.
	Webhook(ctx context.Context, id string) (Webhook, error)
	// Webhooks returns every webhook, oldest first.
	Webhooks(ctx context.Context) ([]Webhook, error)
	// DeleteWebhook removes a webhook with its deliveries and attempts, and
	// stores the event, in one transaction; ErrNotFound if there is none.
	DeleteWebhook(ctx context.Context, id string, e Event) error
	// ClaimDeliveries claims up to limit pending deliveries that are due at
	// now (NextAt not after it) and not claimed, oldest NextAt first, with
	// their webhook and event, and holds them claimed until now+lease, so
	// that no other dispatcher, in this process or another sharing the
	// database, claims them meanwhile. An empty slice if none.
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	// FinishDelivery stores the attempt r.Attempt at the delivery d (its
	// Number is d.Attempts+1), moves d to r.State (pending again with
	// r.NextAt, delivered or failed) and ends the claim, in one
	// transaction. ErrNotFound if the delivery is gone (its webhook was
	// deleted).
	FinishDelivery(ctx context.Context, d Delivery, r DeliveryResult) error
	// Attempts returns the attempts at the deliveries of a webhook, ordered
	// by At then ID, at most p.Limit of them after p.After; an empty slice
	// if none.
	Attempts(ctx context.Context, webhookID string, p Page) ([]Attempt, error)

	// BeginIdempotent starts the request rec describes. If no request of
	// its scope and key is kept, it stores rec, not done, and returns rec
	// and true. If one is kept that is not done, has rec's fingerprint and
	// whose lock ended by now (its server stopped), it takes it over with
	// rec.LockedUntil and returns it and true. Otherwise it returns what is
	// kept and false, and changes nothing.
	BeginIdempotent(ctx context.Context, rec Idempotent, now time.Time) (Idempotent, bool, error)
	// FinishIdempotent keeps the answer of a started request (rec's Status,
	// Header and Body) and marks it done.
	FinishIdempotent(ctx context.Context, rec Idempotent) error
	// AbandonIdempotent forgets a started request that is not done, so a
	// retry runs it again; forgetting a missing one is not an error.
	AbandonIdempotent(ctx context.Context, scope, key string) error
	// DeleteIdempotentBefore removes the requests kept since before t and
	// returns how many it removed.
	DeleteIdempotentBefore(ctx context.Context, t time.Time) (int, error)
}

// LicenseTx is one license locked inside a [Store] transaction: the atomic
// primitives that [Service] builds the activation rules from. Its reads see
// its own writes. It is valid only inside the function given to
// [Store.WithLicense].
type LicenseTx interface {
	// License returns the license as it stands in the transaction, with
	// SeatsHeld current.
	License() License
	// ActiveOn returns the active activation of the license on a computer;
	// ok is false if there is none.
	ActiveOn(computerID string) (a Activation, ok bool, err error)
	// RevokedOn reports whether the license holds a revoked activation of
	// the computer.
	RevokedOn(computerID string) (bool, error)
	// Insert stores a new activation of the license. An active one takes a
	// seat: SeatsHeld grows by one, whatever Seats says (the seat rule is
	// the caller's); one of another status takes none. ErrConflict if its
	// AID or computer key is taken, or the computer already holds an active
	// activation of the license; the transaction stays usable after it.
	Insert(a Activation) error
	// End moves an active activation of the license to released or revoked
	// at the given time, freeing its seat, and returns it. ErrNotFound if the
	// license has no such activation; ErrReleased or ErrActivationRevoked if
	// it is no longer active; an error matching ErrInvalid for another
	// status.
	End(aid string, status Status, at time.Time) (Activation, error)
	// ExpireLeases ends every lease of the license that ran out by now:
	// each active activation whose LeaseUntil is set and not after now
	// becomes released, with ReleasedAt its LeaseUntil, and frees its seat
	// (SeatsHeld falls by one each). It returns them as ended, oldest
	// LeaseUntil first; an empty slice if none.
	ExpireLeases(now time.Time) ([]Activation, error)
	// Extend moves the LeaseUntil of an active lease of the license to
	// until and returns the lease. ErrNotFound if the license has no such
	// activation; ErrReleased or ErrActivationRevoked if it is no longer
	// active; an error matching ErrInvalid if it is not a lease.
	Extend(aid string, until time.Time) (Activation, error)
	// ConsumeCode deletes the authorization code of the license and the
	// computer; ErrCodeInvalid if there is none.
	ConsumeCode(computerID string) error
	// Update stores the changeable fields of l: customer, seats, expiry,
	// features, properties, status and lease seconds. ID, keys, number,
	// product, creation time, Floating and SeatsHeld stay as they are,
	// whatever l says.
	Update(l License) error
	// Record appends an event to the audit trail, committed with the
	// transaction. If it has Data, it also makes a pending delivery of it,
	// due at once (NextAt = e.At), for every webhook stored: the outbox.
	// ErrConflict if its ID is taken.
	Record(e Event) error
}

// Bucket names a token bucket of a rate limit: Burst tokens, refilled
// evenly over Window. Key says whose bucket it is, such as a client
// address; the service chooses keys that hold no personal data.
type Bucket struct {
	Key    string
	Burst  int
	Window time.Duration
}

// SessionKind tells who a session belongs to.
type SessionKind string

// Session kinds.
const (
	SessionVendor     SessionKind = "vendor"      // a vendor (ISV) user, Subject is the user name
	SessionProductKey SessionKind = "product-key" // a product key's holder, Subject is the license ID
)

// Session is a login to a protocol that keeps state between requests (the
// EMS web services). Only a hash of its ID is stored, so a database leak
// yields no usable session.
type Session struct {
	IDHash    []byte
	Kind      SessionKind
	Subject   string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Allows reports whether the session may see and act on the license: a
// vendor session on every license, a product-key session only on the
// license of its key.
func (s Session) Allows(licenseID string) bool {
	switch s.Kind {
	case SessionVendor:
		return true
	case SessionProductKey:
		return s.Subject != "" && s.Subject == licenseID
	}
	return false
}

// Message is an authorization code on its way to a customer.
type Message struct {
	Channel Channel
	// To is an email address or a phone number, by Channel.
	To      string
	Name    string // the customer's name, possibly empty
	Product Product
	Code    string
	// TTL is how long the code lives from when it was made.
	TTL time.Duration
}

// Notifier delivers authorization codes. Implementations live in
// license/notify.
type Notifier interface {
	Notify(ctx context.Context, m Message) error
}

// NotifierFunc adapts a function to [Notifier].
type NotifierFunc func(ctx context.Context, m Message) error

// Notify calls f(ctx, m).
func (f NotifierFunc) Notify(ctx context.Context, m Message) error { return f(ctx, m) }
