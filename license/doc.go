// Package license is the domain of licgate: products, licenses,
// activations and authorization codes, the use cases over them, and the
// activation tokens that prove an activation.
//
// It has no HTTP, no SQL and no XML. Protocol handlers (license/qlm,
// license/ems, license/status) translate wire formats into calls of
// [Service] and hold no rules; stores (license/memstore, license/sqlstore)
// implement [Store], keeping data and offering atomic primitives over one
// locked license ([Store.WithLicense]), and hold no rules either; notifiers
// (license/notify) implement [Notifier].
//
// # Identifiers and credentials
//
// IDs (of a license, an activation, a product, a computer) identify and
// may appear in tokens, URLs, logs and answers; they grant nothing. The
// activation key ([License.Key]), the EMS product key
// ([License.ProductKey]), computer keys, codes and session IDs are
// credentials: random, derived from nothing a client sees, and compared in
// constant time ([Service.LicenseByKey], [Service.LicenseByProductKey]).
//
// # Activation
//
// A [License] lets up to Seats computers hold an [Activation] at once.
// [Service.Activate] is the one place the rules are decided, for every
// protocol and store: a usable license, a computer not revoked from it, a
// free seat. The number of seats held is kept in the license record
// ([License.SeatsHeld]) and changed in the transaction that takes or frees
// a seat, so activating costs the same however full the license. A
// computer that activates again gets its existing activation back.
// [Service.RequestCode] and [Service.ActivateByCode] activate by a 6-digit
// [AuthorizationCode] sent by email or SMS.
//
// # State
//
// Whether an activation lets a request through is decided by one
// function, [State.Err], which the service, the status endpoint and the
// gate all use; each refusal has its own sentinel ([ErrLicenseRevoked] is
// not [ErrActivationRevoked]).
//
// # Codes and limits
//
// Codes are drawn from crypto/rand, live 10 minutes, die after 5 attempts,
// work once, and are stored only as an HMAC keyed with the service secret,
// compared in constant time. Requests are rate-limited per email and per
// client address, and failures per client address, by token buckets kept
// in the store, so every replica shares them; a failure is taken from its
// budget before the comparison. By default neither the answer to a code
// request nor its timing tells whether an email has a license.
//
// # Tokens
//
// Each activation comes with a JWT signed with Ed25519 by a [KeySet]: iss,
// sub (the AID), aud (the product), iat, nbf, exp and the [Claims] of the
// license, identifiers only. A [Verifier] pins the algorithm, refuses
// critical header extensions, and checks issuer and audience;
// [KeySet.JWKS] publishes the public keys.
//
// # Errors
//
// Errors match the sentinels of this package with [errors.Is];
// [*InvalidError] and [*NotFoundError] say which argument or record. Show
// clients [Explain], never an error's own text.
//
// # Observing
//
// Protocol handlers put who is asking, an [Actor], in the request's
// context with [WithActor]. An [Observer] given by [WithObserver] is told
// of each activation attempt and each code request with that actor and a
// stable [Outcome]: the hook for metrics and audit records, which this
// package leaves to adapters.
package license
