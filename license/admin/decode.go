package admin

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/licgate/licgate/internal/httpx"
	"github.com/licgate/licgate/license"
)

// Parsers of what a client sends: bodies, query strings, cursors. Each
// returns a bad_request [*Problem], whose detail may quote the input only
// shortened and made printable ([httpx.Printable]). Reading the body and
// checking its media type are [httpx.ReadBody] and [httpx.CheckJSON],
// whose refusals [problemOf] turns into problems.

// decodeJSON decodes body, which must be one JSON object and nothing
// more, into v, a pointer to a struct: no member v does not know, every
// member whose tag has neither omitempty nor omitzero (those the OpenAPI
// document lists as required), and no duplicate member. Its checks run in
// this order: UTF-8, then the whole body's syntax, then members against
// v's fields (as encoding/json matches them, case aside), then duplicates,
// then required members.
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
		return badRequest("The request body does not fit: %s.", httpx.DescribeJSON(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("The request body must be one JSON object.")
	}
	var je *httpx.JSONError
	switch err := httpx.CheckObject(body, nil); {
	case errors.As(err, &je) && je.Fault == httpx.FaultDuplicate:
		return badRequest("The member %q appears twice.", httpx.Printable(je.Member))
	case err != nil:
		return badRequest("The request body must be one JSON object.")
	}
	for _, name := range requiredMembers(reflect.TypeOf(v).Elem()) {
		if _, ok := members[name]; !ok {
			return badRequest("The member %q is required.", name)
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
