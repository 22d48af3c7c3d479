// Package ems serves the Sentinel LDK-EMS v90 web services that customers'
// programs built for Thales Sentinel use to activate: log in by product key,
// register a customer, post a C2V to activate, fetch the license of an
// activation by its ID, and ask for pending updates by C2V.
// [NewHandler] returns an [http.Handler] that can be mounted under any
// prefix and answers every version segment (v21, v710, v90, …) alike.
//
// The handler holds no rules: it translates the EMS XML documents of
// [github.com/licgate/licgate/xmlmodel] to the protocol-neutral use cases
// of [license.Service] ([license.Service.Activate],
// [license.Service.Validate], …) and back, so seats, expiry and revocation
// are those of every other protocol, and an activation made here is the
// same record QLM or the gate sees. What only EMS needs lives here: the
// protection key ID of a new key, the product key's details, and what a
// product-key session may do.
//
// # Product keys, protection keys and the activation string
//
// A product key is a credential of its own ([license.License.ProductKey]):
// a random UUID, apart from the license ID, which identifies the license in
// tokens and answers and grants nothing. Upper case and surrounding spaces
// are accepted. A license made by the first edition of licgate keeps its
// old ID as its product key, so installed clients keep working.
//
// The protection key ID of an activation is the <hasp id> of the C2V
// posted, or, for a C2V that only carries a <host_fingerprint> (a new key),
// an 18-digit ID derived with the service's keyed hash
// ([license.Service.KeyedHash]) from the product key and the fingerprint,
// so posting the same C2V again returns the same activation and takes no
// second seat. The activationString is a <hasp_info> document whose <v2c>
// carries the activation token (see [V2C]), escaped so that a client that
// un-escapes only &gt;, &lt; and &quot; gets well-formed XML back (see
// [xmlmodel.EscapeText]).
//
// # Sessions
//
// Sessions are servlet-like: a JSESSIONID cookie set by login.ws and
// loginByProductKey.ws, whose ID the latter also returns as <sessionId>.
// They are kept, hashed, in the [license.Store], so they hold on every
// replica behind a load balancer; they expire after an idle time
// ([WithSessionIdle]) and end with logout.ws. Expired sessions stay in the
// store until [license.Service.PurgeExpiredSessions] removes them.
//
// A vendor session (login.ws, [WithVendorCredentials]) may do everything
// but fetch an update by C2V, which no one can (see [Handler]);
// wrong vendor logins draw on the client address's failure budget
// ([license.Service.CheckSecret]). A product-key session may only activate
// its own key, read it and its activations, and register a customer on it
// when none is attached.
//
// # Browsers
//
// The cookie is HttpOnly and SameSite=Lax, and Secure over TLS or with
// [WithSecureCookie]. A state-changing call that a browser sends from a
// page of another site is refused (see [Handler]); programs, which send no
// Origin or Sec-Fetch-Site header, are not affected.
//
// # Errors
//
// Failures are plain-text sentences with the exact status and body of the
// EMS documentation where it has one; [Handler] lists the rest.
package ems
