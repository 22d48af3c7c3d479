// Package httpx is the HTTP plumbing that licgate's protocol handlers
// share: the client's address, the bearer token of a request, capped and
// strict reading of JSON request bodies, and the writing of answers and
// RFC 9457 problem documents. It is internal so that none of it is public
// API, and it imports only the standard library, so that any package of
// the module may use it.
//
// # Refusals
//
// [ReadBody] and [CheckJSON] refuse with a [*Refusal]: the reason and the
// sentence of the problem document that answers the request, which each
// handler turns into its own problem type. [DecodeJSON] and [CheckObject]
// refuse with a [*JSONError], whose [Fault] says what is wrong, so that
// each handler words it as its contract does. No refusal quotes the input
// but through [Printable].
//
// # Requests
//
// [RemoteIP] is the default client address of every handler. [Bearer]
// reads "Authorization: Bearer" (RFC 6750 §2.1).
//
// # Answers
//
// [WriteBody] writes an answer with the headers every JSON answer of
// licgate carries; [Problem] is the problem document with licgate's
// reason member.
package httpx
