// Package ems serves the Sentinel LDK-EMS v90 web services that customers'
// programs built for Thales Sentinel use to activate: log in by product key,
// post a C2V to activate, and fetch the license of an activation by its ID.
// [NewHandler] returns an [http.Handler] that can be mounted under any
// prefix and answers every version segment (v21, v710, v90, …) alike.
//
// The handler holds no rules: it translates the EMS XML documents of
// [github.com/licgate/licgate/xmlmodel] to calls of [license.Service] and
// back, so seats, expiry and revocation are those of every other protocol,
// and an activation made here is the same record QLM or the gate sees.
//
// # Product keys, protection keys and the activation string
//
// A product key is a license ID (a lower-case UUID; upper case is
// accepted). The protection key ID of an activation is the <hasp id> of the
// C2V posted, or, for a C2V that only carries a <host_fingerprint> (a new
// key), an 18-digit ID derived from the license and the fingerprint (see
// [license.Service.ProtectionKeyID]), so posting the same C2V again returns
// the same activation and takes no second seat. The activationString is a
// <hasp_info> document whose <v2c> carries the activation token (see
// [V2C]), escaped so that a client that un-escapes only &gt;, &lt; and
// &quot; gets well-formed XML back (see [xmlmodel.EscapeText]).
//
// # Sessions
//
// Sessions are servlet-like: a JSESSIONID cookie set by login.ws and
// loginByProductKey.ws, whose ID the latter also returns as <sessionId>.
// They are kept, hashed, in the [license.Store], so they hold on every
// replica behind a load balancer; they expire after an idle time
// ([WithSessionIdle]) and end with logout.ws. A product-key session sees
// only its own product key. Expired sessions stay in the store until
// [license.Service.PurgeExpiredSessions] removes them.
//
// # Errors
//
// Failures are plain text with the exact status and body of the EMS
// documentation where it has one; [Handler] lists the rest.
package ems
