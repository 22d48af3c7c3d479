package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Readers of what a client sends. Each returns a bad_request, too_large,
// unsupported_media_type or token_invalid [*problem], whose detail quotes
// the input at most as a member's name, shortened and made printable:
// request bodies carry keys and codes.

// maxToken caps the bearer token the handler reads.
const maxToken = 8 << 10

// readBody reads the request body, at most max bytes.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	tooLarge := newProblem(ReasonTooLarge, "The request body is larger than "+strconv.FormatInt(max, 10)+" bytes.")
	if r.ContentLength > max {
		return nil, tooLarge
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, tooLarge
	case err != nil:
		return nil, badRequest("The request body could not be read.")
	}
	return b, nil
}

// checkJSON refuses a body that is not declared as application/json
// (UTF-8, the only charset JSON has).
func checkJSON(r *http.Request) error {
	ct := r.Header.Values("Content-Type")
	if len(ct) != 1 {
		return newProblem(ReasonUnsupportedMediaType, "The request body must be application/json.")
	}
	mt, params, err := mime.ParseMediaType(ct[0])
	if err != nil || mt != "application/json" {
		return newProblem(ReasonUnsupportedMediaType, "The request body must be application/json.")
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return newProblem(ReasonUnsupportedMediaType, "The request body must be application/json in UTF-8.")
		}
	}
	return nil
}

// decodeJSON decodes body into v, a pointer to a struct whose fields all
// have json tags: body must be one JSON object, nothing before or after
// it, whose members are named exactly as v's tags (encoding/json alone
// would take "KEY" for "key"), none twice (decoders disagree on which one
// wins), and have the types of v's fields.
func decodeJSON(body []byte, v any) error {
	if !utf8.Valid(body) {
		return badRequest("The request body is not UTF-8.")
	}
	known := memberNames(reflect.TypeOf(v).Elem())
	notObject := badRequest("The request body must be one JSON object.")
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return notObject
	}
	seen := make(map[string]bool, len(known))
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return notObject
		}
		k, _ := t.(string)
		switch {
		case !known[k]:
			return badRequest("The member %q is not known.", printable(k))
		case seen[k]:
			return badRequest("The member %q appears twice.", k)
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return badRequest("The request body is not JSON: %s.", jsonProblem(err))
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return notObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("The request body holds more than one JSON value.")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("The request body does not fit: %s.", jsonProblem(err))
	}
	return nil
}

// memberNames returns the JSON names of the fields of t, a struct.
func memberNames(t reflect.Type) map[string]bool {
	names := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
}

// jsonProblem describes a decoding error without echoing more than a
// member's name.
func jsonProblem(err error) string {
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &typ) && typ.Field != "":
		return "the member " + strconv.Quote(printable(typ.Field)) + " has the wrong type"
	case errors.As(err, &typ):
		return "a value has the wrong type"
	case errors.As(err, &syn):
		return "malformed JSON at byte " + strconv.FormatInt(syn.Offset, 10)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "it ends early"
	}
	return "malformed JSON"
}

// printable shortens s and drops what is not printable ASCII, for quoting
// input in a problem's detail.
func printable(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
}

// bearer returns the token of the one Authorization header, if it is a
// Bearer one (RFC 6750 §2.1) of a sane length.
func bearer(vals []string) (string, bool) {
	if len(vals) != 1 {
		return "", false
	}
	v := strings.TrimSpace(vals[0])
	i := strings.IndexAny(v, " \t")
	if i < 0 {
		return "", false
	}
	scheme, tok := v[:i], strings.TrimSpace(v[i:])
	if !strings.EqualFold(scheme, "Bearer") || tok == "" || len(tok) > maxToken ||
		strings.ContainsAny(tok, " \t") {
		return "", false
	}
	return tok, true
}
