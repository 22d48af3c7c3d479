// Package license is the domain of licgate: products, licenses,
// activations and authorization codes, the use cases over them, and the
// activation tokens that prove an activation.
//
// It has no HTTP, no SQL and no XML. Protocol handlers (license/qlm,
// license/ems) translate wire formats into calls of [Service]; stores
// (license/memstore, license/sqlstore) implement [Store]; notifiers
// (license/notify) implement [Notifier].
//
// # Activation
//
// A [License] lets up to Seats computers hold an [Activation] at once.
// [Service.ValidateKey] activates by activation key; [Service.RequestCode]
// and [Service.ActivateByCode] activate by a 6-digit [AuthorizationCode]
// sent by email or SMS. The seat check and the insert happen in one
// transaction of the [Store], and a computer that activates again gets its
// existing activation back.
//
// # Codes
//
// Codes are drawn from crypto/rand, live 10 minutes, die after 5 attempts,
// work once, and are stored only as an HMAC keyed with the service secret,
// compared in constant time. Requests are rate-limited per email and per
// client address, and by default the answer does not tell whether an email
// has a license.
//
// # Tokens
//
// Each activation comes with a JWT signed with Ed25519 by a [KeySet]: iss,
// sub (the AID), aud (the product), iat, nbf, exp and the [Claims] of the
// license. A [Verifier] pins the algorithm and checks issuer and audience;
// [KeySet.JWKS] publishes the public keys.
package license
