// Package admin is the admin JSON API of licgate: an [http.Handler] over a
// [license.Service] for products, licenses, activations, the audit trail
// and webhooks, and a [Client] for Go programs and the licgate command
// line. The two share one definition of every request and answer.
//
// # Mounting
//
// A [Handler] serves paths relative to where it is mounted; strip the
// prefix:
//
//	h, err := admin.New(svc)
//	mux.Handle("/admin/v1/", http.StripPrefix("/admin/v1", h))
//
// The bundled server mounts it at /admin/v1/. GET /openapi.json serves
// the OpenAPI 3.1 document of the API, generated from the code: from the
// route table that also builds the router, and from the Go types of this
// package and of license by reflection. Its server URL is where the
// handler is mounted.
//
// # Authentication
//
// Every other request carries an admin token ([license.Service.CreateAdminToken])
// as "Authorization: Bearer lgt_…". A read token may only GET (403
// otherwise). A wrong token is 401, counted against the client address's
// failure budget ([license.WithCodeRateLimits]) and recorded as a failed
// login; past the budget every token is 429 for a while. The audit trail
// names the token of each change ([license.Actor]).
//
// # Errors
//
// Errors are RFC 9457 problem documents, application/problem+json, with a
// stable reason: those of [license.Outcome] (not_found, invalid,
// conflict, no_seats, license_revoked, …) and the API's own
// ([ReasonBadRequest] and the others). The detail is a sentence for a
// person ([license.Explain]); internal errors go to the logger only. The
// [Client] returns them as a [*Problem], which matches the license
// sentinel of its reason with [errors.Is].
//
// # Idempotency and paging
//
// A POST with an Idempotency-Key runs once; a retry with the key gets the
// first answer again, byte for byte, with Idempotent-Replayed: true (see
// [WithIdempotencyKey], [WithIdempotencyTTL]). The answers are kept in
// the store, so every replica sharing it recognises a retry. One case is
// not covered: a server that dies after creating a license and before
// keeping the answer lets a retry, once the key's 30-second lock has
// passed, create a second license; nothing of a license is derived from
// the key to prevent it, since credentials must not be derivable from
// what a client sends. Lists that grow, licenses,
// the audit trail and delivery attempts, come a page at a time: pass an
// answer's next as the cursor of the next request ([Client.AllLicenses]
// walks them all).
package admin
