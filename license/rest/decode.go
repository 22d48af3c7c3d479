package rest

import (
	"errors"

	"github.com/licgate/licgate/internal/httpx"
)

// Readers of what a client sends. Each returns a bad_request or
// token_invalid [*problem], whose detail quotes the input at most as a
// member's name, shortened and made printable: request bodies carry keys
// and codes. Reading the body and checking its media type are
// [httpx.ReadBody] and [httpx.CheckJSON], whose refusals [problemOf] turns
// into problems.

// maxToken caps the bearer token the handler reads.
const maxToken = 8 << 10

// decodeJSON decodes body into v, a pointer to a struct whose fields all
// have json tags, as [httpx.DecodeJSON] does: one JSON object, nothing
// before or after it, whose members are named exactly as v's tags, none
// twice, and have the types of v's fields.
func decodeJSON(body []byte, v any) error {
	var je *httpx.JSONError
	if err := httpx.DecodeJSON(body, v); !errors.As(err, &je) {
		return err
	}
	switch je.Fault {
	case httpx.FaultNotUTF8:
		return badRequest("The request body is not UTF-8.")
	case httpx.FaultUnknown:
		return badRequest("The member %q is not known.", httpx.Printable(je.Member))
	case httpx.FaultDuplicate:
		return badRequest("The member %q appears twice.", je.Member)
	case httpx.FaultMalformed:
		return badRequest("The request body is not JSON: %s.", httpx.DescribeJSON(je.Err))
	case httpx.FaultTrailing:
		return badRequest("The request body holds more than one JSON value.")
	case httpx.FaultMismatch:
		return badRequest("The request body does not fit: %s.", httpx.DescribeJSON(je.Err))
	}
	return badRequest("The request body must be one JSON object.")
}

// bearer returns the token of the one Authorization header, if it is a
// Bearer one (RFC 6750 §2.1) of at most maxToken bytes, its scheme ended
// by a space or a tab.
func bearer(vals []string) (string, bool) { return httpx.Bearer(vals, maxToken, httpx.SPTab) }
