package license

import (
	"context"
	"time"
)

// Store keeps products, licenses, activations and authorization codes.
// Implementations must be safe for concurrent use, including by several
// processes sharing one database, and must return the sentinel errors named
// on each method so that [Service] can tell cases apart.
type Store interface {
	// CreateProduct stores a new product; ErrConflict if its ID is taken.
	CreateProduct(ctx context.Context, p Product) error
	// Product returns a product by ID; ErrNotFound if there is none.
	Product(ctx context.Context, id string) (Product, error)
	// Products returns every product, ordered by ID.
	Products(ctx context.Context) ([]Product, error)

	// CreateLicense stores a new license; ErrConflict if its ID or key is
	// taken, ErrNotFound if its product does not exist.
	CreateLicense(ctx context.Context, l License) error
	// License returns a license by ID; ErrNotFound if there is none.
	License(ctx context.Context, id string) (License, error)
	// LicenseByKey returns the license with the canonical key; ErrNotFound if
	// there is none.
	LicenseByKey(ctx context.Context, key string) (License, error)
	// LicensesByEmail returns the licenses of a product whose customer has
	// the lower-cased email address, oldest first; an empty slice if none.
	LicensesByEmail(ctx context.Context, email, productID string) ([]License, error)
	// Licenses returns the licenses of a product, or every license if
	// productID is empty, oldest first.
	Licenses(ctx context.Context, productID string) ([]License, error)
	// UpdateLicense changes a license through fn, which sees the current
	// record and returns the new one, in one transaction with the row locked;
	// ErrNotFound if there is none. The ID, key and product never change.
	UpdateLicense(ctx context.Context, id string, fn func(*License) error) (License, error)

	// Activate records an activation of a license in one transaction:
	// it locks the license and calls p.Check with it (an error from Check
	// aborts and is returned as is); it returns the existing active
	// activation of the same computer, if any, with existing set; otherwise
	// it returns ErrRevoked if the license holds a revoked activation of the
	// computer (the vendor shut it out), ErrNoSeats if the license's active
	// activations already fill its seats, or inserts p.Activation. If p.Code is set, that code is
	// consumed in the same transaction, and ErrCodeInvalid is returned if it
	// is gone. ErrNotFound if the license does not exist.
	Activate(ctx context.Context, p ActivateParams) (a Activation, existing bool, err error)
	// Activation returns an activation by AID; ErrNotFound if there is none.
	Activation(ctx context.Context, aid string) (Activation, error)
	// ActivationByComputer returns the active activation of a license on a
	// computer; ErrNotFound if there is none.
	ActivationByComputer(ctx context.Context, licenseID, computerID string) (Activation, error)
	// ActivationByComputerKey returns the activation with the canonical
	// computer key, whatever its status; ErrNotFound if there is none.
	ActivationByComputerKey(ctx context.Context, computerKey string) (Activation, error)
	// CountActive returns how many active activations a license holds.
	CountActive(ctx context.Context, licenseID string) (int, error)
	// Activations returns the activations of a license, or every activation
	// if licenseID is empty, oldest first.
	Activations(ctx context.Context, licenseID string) ([]Activation, error)
	// SetActivationStatus moves an active activation to released or revoked
	// at the given time; ErrNotFound if it does not exist, and ErrReleased or
	// ErrRevoked if it is no longer active.
	SetActivationStatus(ctx context.Context, aid string, status Status, at time.Time) (Activation, error)

	// PutCode stores a code, replacing any code of the same license and
	// computer.
	PutCode(ctx context.Context, c AuthorizationCode) error
	// Codes returns the codes issued for a computer that expire after now.
	Codes(ctx context.Context, computerID string, now time.Time) ([]AuthorizationCode, error)
	// SpendCodeAttempt atomically counts one attempt at the code of a license
	// and computer, if it has fewer than max attempts and expires after now,
	// and returns it as it was before the attempt. Otherwise it deletes the
	// code, if any, and returns ErrCodeInvalid.
	SpendCodeAttempt(ctx context.Context, licenseID, computerID string, max int, now time.Time) (AuthorizationCode, error)
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

	// DeleteExpiredCodes removes codes that expire at or before now and
	// returns how many it removed.
	DeleteExpiredCodes(ctx context.Context, now time.Time) (int, error)
}

// SessionKind tells who a session belongs to.
type SessionKind string

// Session kinds.
const (
	SessionVendor     SessionKind = "vendor"      // a vendor (ISV) user, Subject is the user name
	SessionProductKey SessionKind = "product-key" // a customer, Subject is the license ID
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

// ActivateParams are the arguments of [Store.Activate].
type ActivateParams struct {
	// Activation is the record to insert when the computer has none.
	Activation Activation
	// Check runs inside the transaction with the locked license; a non-nil
	// error aborts the activation. It may be nil.
	Check func(License) error
	// Code, if its LicenseID is set, names an authorization code to consume
	// in the same transaction.
	Code CodeRef
	// Properties are applied to the license in the same transaction when an
	// activation is inserted or returned.
	Properties []PropertyChange
}

// CodeRef names the authorization code of one license and computer.
type CodeRef struct {
	LicenseID  string
	ComputerID string
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
