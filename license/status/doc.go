// Package status is licgate's activation status endpoint and its client.
//
// A program holding an activation token asks the license server for the
// current state of its activation, presenting the token as proof of
// possession; the server answers with the [license.State] as JSON.
// [Handler] serves the endpoint from a [*license.Service] (licgate mounts
// it at [Path]); [Client] asks it, and its ActivationState method is what
// a github.com/licgate/licgate/middleware gate in another process uses as
// its RemoteStateSource, so that revocations reach it within the gate's
// TTL.
//
// # Wire contract
//
//	GET /v1/activation/status
//	Authorization: Bearer <activation token>
//
//	200 application/json  {"aid":…,"licenseId":…,"productId":…,"activationStatus":"active",
//	                       "licenseStatus":"active","status":"active","expiresAt":…,"features":[…]}
//	401 application/problem+json  missing, invalid or expired token (WWW-Authenticate: Bearer)
//	404 application/problem+json  the activation no longer exists
//	503 application/problem+json  the store failed
//
// activationStatus is active, released or revoked; licenseStatus is
// active, suspended or revoked; status sums them up for clients of licgate
// 0.x, which send and read only it: the activation's status, or while
// that is active, the license's. expiresAt is omitted for a license that
// never expires. Whether the state lets a request through is
// [license.State.Err]'s to say, on either side of the wire; it tells a
// revoked license from a revoked activation, and judges a state from a
// 0.x server, which has only status, by status. The answer says nothing
// the token's holder could not learn by activating, and is never cached.
// Problem documents carry a stable reason and a title written for the
// client, never an error's text. The client reads at most 64 KiB, JSON
// only, and never follows redirects.
package status
