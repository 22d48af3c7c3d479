// Package rest is licgate's own JSON protocol for licensed programs:
// activation by key or by authorization code, leases of floating
// licenses, and offline activation, by API and by a page in a browser.
//
// [NewHandler] returns an [http.Handler] over a [*license.Service] that
// answers on absolute paths: mount it at "/v1/" and at "/offline", as the
// bundled server does. The handler translates the wire format to the
// service's calls and back and decides nothing itself; every request
// carries a [license.Actor] of protocol "rest" in its context.
//
// # Wire contract
//
//	POST   /v1/activations   {"key","computerId","computerName"?}
//	                         or {"code","email"?,"productId"?,"computerId","computerName"?}
//	       201 new, 200 the computer held it already:
//	       {"aid","licenseId","productId","computerId","token","expiresAt","existing"}
//	POST   /v1/codes         {"email","computerId","productId"}        202 {"status":"accepted"}
//	POST   /v1/leases        {"key","instance","name"?}
//	       201 new, 200 the instance's live lease: {"id","token","expiresAt","tokenExpiresAt"}
//	POST   /v1/leases/{id}/heartbeat   Authorization: Bearer <lease token>
//	       200 {"id","expiresAt"} and "token", "tokenExpiresAt" when the token was renewed
//	DELETE /v1/leases/{id}   Authorization: Bearer <lease token>       204
//	POST   /v1/offline       the request file, application/json        200 the license file
//	GET    /offline          the page; POST /offline its form, multipart/form-data
//
// Times are RFC 3339 in UTC. The expiresAt of an activation is its
// token's; of a lease, when it ends unless a heartbeat extends it. An
// activation by code draws on the failure budget of the client's address
// ([WithClientIP]). A code request is accepted alike for every email, so
// the answer never tells whether an email has a license. A lease's token
// must verify with the service's keys and issuer and name the lease;
// one that merely expired may still DELETE its lease, so that a program
// that kept its first token can give the lease back. A heartbeat renews
// the token once less than a lease TTL of it is left. The license file
// comes as a download (Content-Disposition: attachment;
// filename="licgate-license.json").
//
// # Errors
//
// Every refusal of the API is an RFC 9457 problem document,
// application/problem+json:
//
//	{"type":"urn:licgate:problem:no_seats","title":"No seats left","status":409,
//	 "detail":"Every seat of the license is in use.","reason":"no_seats"}
//
// The reason is [license.Outcome] of the service's error, or one of the
// handler's own Reason constants; the detail is a sentence for the
// client ([license.Explain]), never an error's text:
//
//	400 bad_request (not one JSON object of the known members, exactly named,
//	    each once; members that do not go together), invalid
//	401 token_invalid, with WWW-Authenticate: Bearer (missing token) or
//	    Bearer error="invalid_token"
//	403 code_invalid: a well-formed code that grants nothing, a refused
//	    credential (a malformed one is 400 invalid); not_permitted,
//	    computer_mismatch
//	404 not_found: an unknown key (never echoed) or path
//	405 method_not_allowed, with Allow
//	409 no_seats, floating, lease_expired, activation_released,
//	    activation_revoked, license_revoked, license_suspended,
//	    license_expired, wrong_product, wrong_version, conflict
//	413 too_large: a body over [WithMaxBodyBytes]
//	415 unsupported_media_type: a body that is not application/json
//	429 rate_limited, release_limited, with Retry-After
//	500 internal: the error goes to the logger only
//	502 delivery_failed; 503 no_channel, canceled
//
// Keys, codes and tokens are never logged, nor quoted in an answer.
//
// # The offline page
//
// GET /offline is one self-contained, accessible HTML page: no script, no
// external asset, a Content-Security-Policy that allows only its own
// style (by hash) and a form that posts to this site. Its form sends the
// request file as the field "request"; the answer is the license file, or
// the page again with the error (escaped) and its status. Cross-site posts
// are refused (403) by [http.CrossOriginProtection]; programs, which send
// neither Origin nor Sec-Fetch-Site, are unaffected. The form is read as
// a stream, bounded: the file to [license.MaxOfflineFileBytes], the body
// to a little more, and nothing goes to disk.
package rest
