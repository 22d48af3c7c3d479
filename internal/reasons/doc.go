// Package reasons holds the rules that licgate's HTTP APIs (the admin
// API, the REST API) and their clients share about the stable reasons of
// problem documents: the status and title of each reason ([KindOf]), and
// the license sentinel error a reason stands for ([Sentinel]).
//
// A reason is one of [license.Outcome] (which includes the refusals of
// [license.Reason]) or one of the transport refusals every API answers
// with ([BadRequest], [Internal], …). An API layers its own reasons, such
// as the admin API's forbidden, over this table.
//
// It is internal so that none of it is public API, and it imports only
// the standard library and package license, so that the client may use
// it too.
package reasons
