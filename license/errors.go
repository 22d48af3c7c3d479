package license

import (
	"errors"
	"fmt"
)

// Sentinel errors returned by [Service] and [Store]. Callers match them with
// [errors.Is]. What a client may be shown is the sentence of [Explain], never
// the error's own text, which names packages and is meant for logs.
var (
	// ErrNotFound means the product, license, activation or code does not exist.
	ErrNotFound = errors.New("license: not found")

	// ErrConflict means a record with the same identity already exists.
	ErrConflict = errors.New("license: already exists")

	// ErrInvalid means an argument failed validation; the wrapping
	// [*InvalidError] says which and why.
	ErrInvalid = errors.New("license: invalid argument")

	// ErrNoSeats means every seat of the license is held by another computer.
	ErrNoSeats = errors.New("license: no seats left")

	// ErrExpired means the license is past its expiry date.
	ErrExpired = errors.New("license: expired")

	// ErrRevoked means the license or the activation has been revoked. The
	// errors that say which, [ErrLicenseRevoked] and [ErrActivationRevoked],
	// both match it.
	ErrRevoked = errors.New("license: revoked")

	// ErrLicenseRevoked means the vendor revoked the whole license.
	ErrLicenseRevoked error = &subError{"license: license revoked", ErrRevoked}

	// ErrActivationRevoked means the vendor revoked this computer's
	// activation; the computer may not activate the license again.
	ErrActivationRevoked error = &subError{"license: activation revoked", ErrRevoked}

	// ErrSuspended means the license is suspended.
	ErrSuspended = errors.New("license: suspended")

	// ErrReleased means the activation was released and no longer holds a seat.
	ErrReleased = errors.New("license: activation released")

	// ErrLeaseExpired means a lease of a floating license ran out: no
	// heartbeat extended it in time. It matches [ErrReleased], since its
	// seat is free as if it had been released.
	ErrLeaseExpired error = &subError{"license: lease expired", ErrReleased}

	// ErrWrongProduct means the license belongs to another product.
	ErrWrongProduct = errors.New("license: wrong product")

	// ErrWrongVersion means the license is for another major version of the product.
	ErrWrongVersion = errors.New("license: wrong product version")

	// ErrComputerMismatch means a computer key does not belong to the computer
	// or the license it was presented with.
	ErrComputerMismatch = errors.New("license: computer key mismatch")

	// ErrNotActivated means the license holds no activation for the computer.
	ErrNotActivated = errors.New("license: not activated on this computer")

	// ErrCodeInvalid means an authorization code is wrong, expired, used up or
	// unknown. The four cases are deliberately not told apart.
	ErrCodeInvalid = errors.New("license: invalid authorization code")

	// ErrRateLimited means too many requests, or too many failed attempts at
	// a secret, came from one address or for one email address; the caller
	// should try again later.
	ErrRateLimited = errors.New("license: too many requests")

	// ErrReleaseLimited means the license has been released by its holders
	// as often as its release budget allows for now. It matches
	// [ErrRateLimited].
	ErrReleaseLimited error = &subError{"license: too many releases", ErrRateLimited}

	// ErrDelivery means a notifier could not deliver an authorization code.
	ErrDelivery = errors.New("license: code delivery failed")

	// ErrNoChannel means no notifier can reach the customer: the service has
	// neither an email nor an SMS notifier, or the customer has no address
	// the configured notifiers can reach.
	ErrNoChannel = errors.New("license: no delivery channel")

	// ErrPermission means the caller may not make the change it asked for,
	// for example a product-key holder replacing the customer.
	ErrPermission = errors.New("license: not permitted")

	// ErrToken means an activation token is malformed, forged, expired or not
	// meant for this verifier.
	ErrToken = errors.New("license: invalid activation token")

	// ErrFloating means a floating license was asked for an activation of
	// a computer, or a license that is not floating for a lease.
	ErrFloating = errors.New("license: floating licenses take leases, other licenses activations")

	// ErrUnauthenticated means a caller's credentials, such as an admin
	// token, are missing or wrong.
	ErrUnauthenticated = errors.New("license: missing or wrong credentials")
)

// subError is a sentinel that refines a broader one: it matches its parent
// with errors.Is.
type subError struct {
	msg    string
	parent error
}

func (e *subError) Error() string { return e.msg }
func (e *subError) Unwrap() error { return e.parent }

// InvalidError is an argument that failed validation. It matches
// [ErrInvalid]. Reason is a phrase written for the person who sent the
// argument, without a package prefix, such as "the computer ID must be 1 to
// 255 characters".
type InvalidError struct {
	Reason string
}

func (e *InvalidError) Error() string { return "license: invalid argument: " + e.Reason }

// Is reports whether target is [ErrInvalid].
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// NotFoundError names a record that does not exist. It matches
// [ErrNotFound].
type NotFoundError struct {
	// What is the kind of record: "product", "license", "activation", …
	What string
	// ID is what it was looked up by; it may be empty when that is a secret.
	ID string
}

func (e *NotFoundError) Error() string {
	if e.ID == "" {
		return "license: " + e.What + " not found"
	}
	return fmt.Sprintf("license: %s %q not found", e.What, e.ID)
}

// Is reports whether target is [ErrNotFound].
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// NotFound returns an error matching [ErrNotFound] that names the record.
func NotFound(what, id string) error { return &NotFoundError{What: what, ID: id} }

func invalidf(format string, args ...any) error {
	return &InvalidError{Reason: fmt.Sprintf(format, args...)}
}

// Explain returns a sentence for a client about err, without package names
// or internal detail: the reason of an [*InvalidError] or a
// [*NotFoundError], else a sentence for the sentinel err matches. Errors the
// package does not know, such as a store's I/O errors, yield "An internal
// error occurred." so that their text never reaches a client.
func Explain(err error) string {
	var inv *InvalidError
	if errors.As(err, &inv) {
		return "Invalid argument: " + inv.Reason + "."
	}
	var nf *NotFoundError
	if errors.As(err, &nf) {
		if nf.ID == "" {
			return "The " + nf.What + " does not exist."
		}
		return fmt.Sprintf("The %s %q does not exist.", nf.What, nf.ID)
	}
	for _, m := range messages {
		if errors.Is(err, m.err) {
			return m.text
		}
	}
	return "An internal error occurred."
}

// messages are the sentences of [Explain], most specific first.
var messages = []struct {
	err  error
	text string
}{
	{ErrLicenseRevoked, "The license has been revoked."},
	{ErrActivationRevoked, "The activation of this computer has been revoked."},
	{ErrLeaseExpired, "The lease ended: it was not renewed in time. Take a new one."},
	{ErrRevoked, "The license or the activation has been revoked."},
	{ErrNotFound, "It does not exist."},
	{ErrConflict, "It already exists."},
	{ErrInvalid, "An argument is not valid."},
	{ErrNoSeats, "Every seat of the license is in use."},
	{ErrExpired, "The license has expired."},
	{ErrSuspended, "The license is suspended."},
	{ErrReleased, "The activation was released."},
	{ErrWrongProduct, "The license is for another product."},
	{ErrWrongVersion, "The license is for another version of the product."},
	{ErrComputerMismatch, "The computer key does not match this computer."},
	{ErrNotActivated, "The license is not activated on this computer."},
	{ErrCodeInvalid, "The authorization code is not valid."},
	{ErrReleaseLimited, "This license has been released too many times recently. Please try again later, or ask the vendor to release it."},
	{ErrRateLimited, "Too many requests. Please try again later."},
	{ErrDelivery, "The authorization code could not be sent."},
	{ErrNoChannel, "This server cannot send authorization codes."},
	{ErrPermission, "This change is not permitted."},
	{ErrToken, "The activation token is not valid."},
	{ErrUnauthenticated, "The credentials are missing or wrong."},
	{ErrFloating, "A floating license is used by taking a lease, and a license that is not floating by activating it."},
}
