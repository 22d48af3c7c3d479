package middleware

import (
	"errors"

	"github.com/licgate/licgate/license"
)

// Sentinel errors the gate hands to its [ErrorHandler], matched with
// [errors.Is]. The errors a gate produces wrap one of them and, for logs
// only, the underlying cause. Those about the state of an activation also
// match the [license] sentinel they stand for: [ErrLicenseRevoked] matches
// [license.ErrLicenseRevoked], [ErrRevoked] and [license.ErrRevoked].
var (
	// ErrNoToken means the request carries no activation token. 401.
	ErrNoToken = errors.New("middleware: no activation token")

	// ErrTokenMalformed means the request carries something in the place of
	// a token that is not a well-formed token. 401.
	ErrTokenMalformed = errors.New("middleware: malformed activation token")

	// ErrTokenInvalid means the token is forged, uses another algorithm, is
	// not yet valid, names another issuer or product, or lists critical
	// header extensions (crit) the verifier does not understand. 401.
	ErrTokenInvalid = errors.New("middleware: invalid activation token")

	// ErrTokenExpired means the token is past its exp. 401.
	ErrTokenExpired = errors.New("middleware: activation token expired")

	// ErrRevoked means the license or the activation has been revoked. The
	// gate reports which with [ErrLicenseRevoked] or [ErrActivationRevoked],
	// which both match ErrRevoked. 403.
	ErrRevoked error = &sentinel{"middleware: revoked", []error{license.ErrRevoked}}

	// ErrLicenseRevoked means the vendor revoked the whole license. 403.
	ErrLicenseRevoked error = &sentinel{"middleware: license revoked", []error{ErrRevoked, license.ErrLicenseRevoked}}

	// ErrActivationRevoked means the vendor revoked this activation; the
	// license may still stand. 403.
	ErrActivationRevoked error = &sentinel{"middleware: activation revoked", []error{ErrRevoked, license.ErrActivationRevoked}}

	// ErrSuspended means the license is suspended. 403.
	ErrSuspended error = &sentinel{"middleware: license suspended", []error{license.ErrSuspended}}

	// ErrReleased means the activation was released by its computer. 403.
	ErrReleased error = &sentinel{"middleware: activation released", []error{license.ErrReleased}}

	// ErrLeaseExpired means the lease of a floating license ran out: no
	// heartbeat renewed it in time. It matches [ErrReleased], as
	// [license.ErrLeaseExpired] matches [license.ErrReleased]. 403.
	ErrLeaseExpired error = &sentinel{"middleware: lease expired", []error{ErrReleased, license.ErrLeaseExpired}}

	// ErrLicenseExpired means the license is past its expiry date. 403.
	ErrLicenseExpired error = &sentinel{"middleware: license expired", []error{license.ErrExpired}}

	// ErrWrongProduct means the activation's license is for a product the
	// gate does not accept, or not the product its token names. 403.
	ErrWrongProduct error = &sentinel{"middleware: wrong product", []error{license.ErrWrongProduct}}

	// ErrActivationUnknown means the state source does not know the
	// activation the token names. 403.
	ErrActivationUnknown error = &sentinel{"middleware: activation unknown", []error{license.ErrNotFound}}

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

// Errors returned by [New], [NewLocal] and [NewRemote] for a bad
// configuration. Each of them matches ErrBadOption.
var (
	// ErrBadOption means an option was given a nil or out-of-range value,
	// or options that contradict each other.
	ErrBadOption = errors.New("middleware: bad option")

	// ErrNoKeys means the gate was given no way to verify tokens, or more
	// than one: exactly one of [WithKeySet], [WithJWKSURL] and
	// [WithVerifier] is required, unless [NewLocal] or [NewRemote] provide
	// it.
	ErrNoKeys error = &sentinel{"middleware: exactly one of WithKeySet, WithJWKSURL and WithVerifier is required", []error{ErrBadOption}}

	// ErrNoStateSource means the gate was given no state source, or more
	// than one: exactly one of [WithStateSource] and
	// [WithRemoteStateSource] is required, unless [NewLocal] or [NewRemote]
	// provide it. A gate with no state source at all must say so with
	// [WithTokenOnly], or be made by [NewOffline].
	ErrNoStateSource error = &sentinel{"middleware: exactly one of WithStateSource and WithRemoteStateSource is required", []error{ErrBadOption}}
)

// sentinel is a sentinel error that refines others: it matches each of
// its parents with errors.Is.
type sentinel struct {
	msg     string
	parents []error
}

func (e *sentinel) Error() string   { return e.msg }
func (e *sentinel) Unwrap() []error { return e.parents }
