package license

import "errors"

// Sentinel errors returned by [Service] and [Store]. Callers match them with
// [errors.Is]; the wrapped detail is for logs, never for clients.
var (
	// ErrNotFound means the product, license, activation or code does not exist.
	ErrNotFound = errors.New("license: not found")

	// ErrConflict means a record with the same identity already exists.
	ErrConflict = errors.New("license: already exists")

	// ErrInvalid means an argument failed validation; the wrapping error says which.
	ErrInvalid = errors.New("license: invalid argument")

	// ErrNoSeats means every seat of the license is held by another computer.
	ErrNoSeats = errors.New("license: no seats left")

	// ErrExpired means the license is past its expiry date.
	ErrExpired = errors.New("license: expired")

	// ErrRevoked means the license or the activation has been revoked.
	ErrRevoked = errors.New("license: revoked")

	// ErrSuspended means the license is suspended.
	ErrSuspended = errors.New("license: suspended")

	// ErrReleased means the activation was released and no longer holds a seat.
	ErrReleased = errors.New("license: activation released")

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

	// ErrRateLimited means too many requests came from one address or for one
	// email address; the caller should try again later.
	ErrRateLimited = errors.New("license: too many requests")

	// ErrDelivery means a notifier could not deliver an authorization code.
	ErrDelivery = errors.New("license: code delivery failed")

	// ErrNoChannel means no notifier can reach the customer (no email notifier,
	// or no SMS notifier for a customer without an email address).
	ErrNoChannel = errors.New("license: no delivery channel")

	// ErrPermission means the session may not make the change it asked for,
	// for example a product-key session changing the number of seats.
	ErrPermission = errors.New("license: not permitted")

	// ErrToken means an activation token is malformed, forged, expired or not
	// meant for this verifier.
	ErrToken = errors.New("license: invalid activation token")
)
