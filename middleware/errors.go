package middleware

import (
	"errors"
	"fmt"

	"github.com/licgate/licgate/license"
)

// Sentinel errors the gate hands to its [ErrorHandler], matched with
// [errors.Is]. The errors a gate produces wrap one of them and, for logs
// only, the underlying cause. Those about the state of an activation also
// match the [license] sentinel they come from, such as [license.ErrRevoked].
var (
	// ErrNoToken means the request carries no activation token. 401.
	ErrNoToken = errors.New("middleware: no activation token")

	// ErrTokenMalformed means the request carries something in the place of
	// a token that is not a well-formed token. 401.
	ErrTokenMalformed = errors.New("middleware: malformed activation token")

	// ErrTokenInvalid means the token is forged, uses another algorithm, is
	// not yet valid, or names another issuer or product. 401.
	ErrTokenInvalid = errors.New("middleware: invalid activation token")

	// ErrTokenExpired means the token is past its exp. 401.
	ErrTokenExpired = errors.New("middleware: activation token expired")

	// ErrRevoked means the activation or its license has been revoked. 403.
	ErrRevoked = fmt.Errorf("middleware: %w", license.ErrRevoked)

	// ErrSuspended means the license is suspended. 403.
	ErrSuspended = fmt.Errorf("middleware: %w", license.ErrSuspended)

	// ErrReleased means the activation was released by its computer. 403.
	ErrReleased = fmt.Errorf("middleware: %w", license.ErrReleased)

	// ErrLicenseExpired means the license is past its expiry date. 403.
	ErrLicenseExpired = fmt.Errorf("middleware: %w", license.ErrExpired)

	// ErrWrongProduct means the activation's license is for a product the
	// gate does not accept, or not the product its token names. 403.
	ErrWrongProduct = fmt.Errorf("middleware: %w", license.ErrWrongProduct)

	// ErrActivationUnknown means the state source does not know the
	// activation the token names. 403.
	ErrActivationUnknown = fmt.Errorf("middleware: activation unknown: %w", license.ErrNotFound)

	// ErrFeatureMissing means the license does not grant a feature the route
	// requires. 403.
	ErrFeatureMissing = errors.New("middleware: license lacks a required feature")

	// ErrStateUnavailable means the state of the activation could not be
	// learned and no last known good state is within its grace period. 503.
	ErrStateUnavailable = errors.New("middleware: activation state unavailable")

	// ErrKeysUnavailable means no verification key could be loaded from the
	// JWKS URL yet, so no token can be checked. 503.
	ErrKeysUnavailable = errors.New("middleware: verification keys unavailable")
)

// Errors returned by [New] for a bad configuration.
var (
	// ErrBadOption means an option was given a nil or out-of-range value.
	ErrBadOption = errors.New("middleware: bad option")

	// ErrNoKeys means neither [WithKeySet] nor [WithJWKSURL] was given, or
	// both were.
	ErrNoKeys = errors.New("middleware: exactly one of WithKeySet and WithJWKSURL is required")

	// ErrNoStateSource means neither [WithStateSource] nor
	// [WithRemoteStateSource] was given, or both were.
	ErrNoStateSource = errors.New("middleware: exactly one state source is required")
)
