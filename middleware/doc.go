// Package middleware is licgate's gate: net/http middleware that lets a
// request through only while a valid activation stands behind it.
//
// A [Gate] reads the activation token a request carries (or the one the
// service itself was activated with), verifies it, learns the state of its
// activation through a cache, and either calls the next handler, with the
// [Grant] in the request context for [FromContext], or hands an error to
// its [ErrorHandler].
//
//	gate, err := middleware.NewLocal(svc) // a *license.Service in this process
//	gate, err := middleware.NewRemote("https://lic.example.com") // or a licgate server elsewhere
//	mux.Handle("/api/", gate.Handler(api))
//	mux.Handle("/api/reports", gate.Require("reports")(reports))
//
// [NewLocal] takes the keys, the issuer and the state from a license
// server in the same process; [NewRemote] takes the keys from a licgate
// server's JWKS and the state from its status endpoint; [NewOffline] takes
// the token, the keys and the issuer from an offline license file, with no
// state at all; [New] takes every choice as an option.
//
// # Tokens
//
// The token is read from an "Authorization: Bearer" header unless options
// say otherwise ([WithHeaderToken], [WithCookieToken], [WithStaticToken],
// [WithTokenExtractor]). It is verified with [license.Verifier]: EdDSA
// only, no crit header, with a known key ([WithKeySet], or [WithJWKSURL]
// through github.com/MicahParks/keyfunc/v3), the issuer of [WithIssuer],
// an audience among [WithAudiences], within exp and nbf by the clock of
// [WithClock]; or by a verifier of one's own ([WithVerifier]). A token
// that passes is remembered until its exp, or [WithVerifyCacheTTL] if
// sooner, so a known token costs a map lookup.
// Up to 131072 tokens are remembered; past that, tokens are verified on
// every request. [WithCORSPreflight] lets CORS preflight requests, which
// browsers send without credentials, through to the handler ungated.
//
// # State
//
// The state of an activation comes from a [StateSource], such as a
// [*license.Service] in the same process, or a [RemoteStateSource], such
// as a [status.Client] asking a licgate server with the token as proof.
// Whether a state lets a request through is decided by [license.State.Err]
// alone, at the time of each request, so that a license expires on time
// even while its state is cached. States are cached by activation ID for
// [WithStateTTL] (30 s by default), and refusals for [WithNegativeTTL]; on
// a miss, one fetch per activation runs however many requests wait for
// it. While the source answers, a revoked, suspended or released
// activation is shut out at most one TTL after the change, and a lease of
// a floating license as soon as it ends ([ErrLeaseExpired]), unless the
// source, asked again then, says it was renewed. When the source fails,
// the last known good state serves for [WithGracePeriod] past its TTL (0
// by default, so the gate fails closed), then requests fail with
// [ErrStateUnavailable].
//
// The caches are github.com/patrickmn/go-cache instances whose entries
// carry their own expiry, checked against the gate's clock; go-cache's
// janitor goroutine, which frees expired entries every
// [WithCleanupInterval], lives until the Gate is garbage collected.
//
// # Offline
//
// A machine that cannot reach its license server has a license file
// ([license.OfflineLicense]) and no state source: [NewOffline], or
// [WithTokenOnly] given to [New], makes a gate whose verified token alone
// decides until it expires, and which nothing can shut out before then.
// Such tokens are short-lived next to their license, and a renewed file
// brings a new one. A license file carries the keys that verify it, so
// anyone can write one: [WithPinnedKeys] accepts only the license server's
// own keys. A gate never runs token-only unless told to: [New] without a
// state source fails with [ErrNoStateSource].
//
// # Errors
//
// Every refusal is an error wrapping one sentinel of this package, matched
// with [errors.Is]; those from a state also match the [license] sentinel
// of the case. [DefaultErrorHandler] maps them in one place: 401 with a
// WWW-Authenticate Bearer challenge for a missing, malformed, invalid or
// expired token; 403 for a revoked license ([ErrLicenseRevoked]), a
// revoked activation ([ErrActivationRevoked]), a suspended license, a
// released or unknown activation, an expired lease or license, a wrong
// product or a missing feature; 503 when the state or the keys cannot be
// learned.
// The body is an RFC 9457 problem document with a stable reason and a
// title written for the client; the internal detail goes only to the
// logger of [WithLogger]. A [DecisionHook] given by [WithDecisionHook] is
// told each decision, [ReasonOK] or the reason, for metrics.
package middleware
