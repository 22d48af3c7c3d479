package admin

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/licgate/licgate/license"
)

// Parsers of what a client sends: bodies, query strings, cursors. Each
// returns a bad_request, too_large or unsupported_media_type [*Problem],
// whose detail may quote the input only shortened and made printable.

// readBody reads the request body, at most max bytes.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, newProblem(ReasonTooLarge, "The request body is larger than "+strconv.FormatInt(max, 10)+" bytes.")
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, newProblem(ReasonTooLarge, "The request body is larger than "+strconv.FormatInt(max, 10)+" bytes.")
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

// decodeJSON decodes body, which must be one JSON object and nothing
// more, into v, a pointer to a struct: no member v does not know, every
// member whose tag has neither omitempty nor omitzero (those the OpenAPI
// document lists as required), and no duplicate member.
func decodeJSON(body []byte, v any) error {
	if !utf8.Valid(body) {
		return badRequest("The request body is not UTF-8.")
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil || members == nil {
		return badRequest("The request body must be one JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("The request body does not fit: %s.", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("The request body must be one JSON object.")
	}
	if err := checkDuplicates(body); err != nil {
		return err
	}
	for _, name := range requiredMembers(reflect.TypeOf(v).Elem()) {
		if _, ok := members[name]; !ok {
			return badRequest("The member %q is required.", name)
		}
	}
	return nil
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
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown member " + printable(strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	var perr *time.ParseError
	if errors.As(err, &perr) {
		return "a time is not RFC 3339"
	}
	return "malformed JSON"
}

// checkDuplicates refuses an object with a member twice at its top level,
// which decoders read differently (the first or the last wins).
func checkDuplicates(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil { // {
		return badRequest("The request body must be one JSON object.")
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return badRequest("The request body must be one JSON object.")
		}
		k, _ := t.(string)
		if seen[k] {
			return badRequest("The member %q appears twice.", printable(k))
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return badRequest("The request body must be one JSON object.")
		}
	}
	return nil
}

// requiredMembers lists the JSON names of t's fields, embedded structs'
// included, that are required: those without omitempty or omitzero.
func requiredMembers(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if tag == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, requiredMembers(f.Type)...)
			continue
		}
		if strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,") {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

// queryField is a field of a filter type read from the query string: its
// tag is `query:"name,min=1,max=500"` (for strings, max is a length) or
// `query:"name,enum=a|b"`.
type queryField struct {
	index    []int
	name     string
	min, max int
	hasMin   bool
	enum     []string
	kind     reflect.Type
}

var timeType = reflect.TypeFor[time.Time]()

// queryFields lists the query fields of a filter type.
func queryFields(t reflect.Type) []queryField {
	var out []queryField
	for _, f := range reflect.VisibleFields(t) {
		tag, ok := f.Tag.Lookup("query")
		if !ok {
			continue
		}
		parts := strings.Split(tag, ",")
		q := queryField{index: f.Index, name: parts[0], kind: f.Type, max: 256}
		for _, p := range parts[1:] {
			k, v, _ := strings.Cut(p, "=")
			switch k {
			case "min":
				q.min, _ = strconv.Atoi(v)
				q.hasMin = true
			case "max":
				q.max, _ = strconv.Atoi(v)
			case "enum":
				q.enum = strings.Split(v, "|")
			}
		}
		out = append(out, q)
	}
	return out
}

// decodeQuery sets the fields of v, a pointer to a filter, from the query
// string. A parameter given twice, or out of its range, is refused; an
// empty one is absent; one v does not know is ignored.
func decodeQuery(q url.Values, v any) error {
	rv := reflect.ValueOf(v).Elem()
	for _, f := range queryFields(rv.Type()) {
		vals := q[f.name]
		if len(vals) > 1 {
			return badRequest("The query parameter %q is given more than once.", f.name)
		}
		if len(vals) == 0 || vals[0] == "" {
			continue
		}
		s := vals[0]
		fv := rv.FieldByIndex(f.index)
		switch {
		case f.kind == timeType:
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return badRequest("The query parameter %q must be an RFC 3339 time.", f.name)
			}
			fv.Set(reflect.ValueOf(t))
		case f.kind.Kind() == reflect.Int:
			n, err := strconv.Atoi(s)
			if err != nil || f.hasMin && n < f.min || n > f.max {
				return badRequest("The query parameter %q must be an integer from %d to %d.", f.name, f.min, f.max)
			}
			fv.SetInt(int64(n))
		case f.kind.Kind() == reflect.String:
			if len(s) > f.max || !utf8.ValidString(s) {
				return badRequest("The query parameter %q must be at most %d bytes of UTF-8.", f.name, f.max)
			}
			if f.enum != nil && !contains(f.enum, s) {
				return badRequest("The query parameter %q must be one of %s.", f.name, strings.Join(f.enum, ", "))
			}
			fv.SetString(s)
		}
	}
	return nil
}

// encodeQuery is the reverse of decodeQuery, for the client: zero fields
// are left out.
func encodeQuery(v any) url.Values {
	q := url.Values{}
	rv := reflect.ValueOf(v)
	for _, f := range queryFields(rv.Type()) {
		fv := rv.FieldByIndex(f.index)
		if fv.IsZero() {
			continue
		}
		switch {
		case f.kind == timeType:
			q.Set(f.name, fv.Interface().(time.Time).Format(time.RFC3339Nano))
		case f.kind.Kind() == reflect.Int:
			q.Set(f.name, strconv.FormatInt(fv.Int(), 10))
		case f.kind.Kind() == reflect.String:
			q.Set(f.name, fv.String())
		}
	}
	return q
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Cursor kinds: a cursor of one list is refused by another.
const (
	cursorLicenses = 'l'
	cursorEvents   = 'e'
	cursorAttempts = 'a'
)

// maxCursorID bounds the ID inside a cursor.
const maxCursorID = 64

// encodeCursor makes the opaque cursor of a position in a list of a kind:
// base64url of the kind, the time in RFC 3339 with nanoseconds and the
// ID. It is not a secret, nor signed: a client that forges one only
// pages from elsewhere.
func encodeCursor(kind byte, c license.Cursor) string {
	s := string(kind) + "|" + c.At.UTC().Format(time.RFC3339Nano) + "|" + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// decodeCursor reads a cursor of the kind; empty is the start of the
// list.
func decodeCursor(kind byte, s string) (license.Cursor, error) {
	if s == "" {
		return license.Cursor{}, nil
	}
	bad := badRequest("The cursor is not one of this list.")
	if len(s) > 512 {
		return license.Cursor{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return license.Cursor{}, bad
	}
	parts := strings.SplitN(string(raw), "|", 3)
	if len(parts) != 3 || parts[0] != string(kind) {
		return license.Cursor{}, bad
	}
	at, err := time.Parse(time.RFC3339Nano, parts[1])
	id := parts[2]
	if err != nil || id == "" || len(id) > maxCursorID || at.IsZero() {
		return license.Cursor{}, bad
	}
	for _, r := range id {
		if r <= ' ' || r > '~' {
			return license.Cursor{}, bad
		}
	}
	return license.Cursor{At: at.UTC(), ID: id}, nil
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
