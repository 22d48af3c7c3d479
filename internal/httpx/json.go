package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A Fault says what is wrong with a JSON request body.
type Fault int

// Faults of [JSONError].
const (
	FaultNotUTF8   Fault = iota + 1 // the body is not UTF-8
	FaultNotObject                  // the body is not one JSON object
	FaultMalformed                  // a member's value is not JSON
	FaultTrailing                   // another value follows the object
	FaultUnknown                    // a member the target has not
	FaultDuplicate                  // a member given twice
	FaultMismatch                   // a value does not fit its field
)

var faultText = map[Fault]string{
	FaultNotUTF8:   "body is not UTF-8",
	FaultNotObject: "body is not one JSON object",
	FaultMalformed: "member value is not JSON",
	FaultTrailing:  "body holds more than one JSON value",
	FaultUnknown:   "unknown member",
	FaultDuplicate: "member appears twice",
	FaultMismatch:  "body does not fit",
}

// A JSONError is a JSON request body refused by [DecodeJSON] or
// [CheckObject].
type JSONError struct {
	Fault Fault
	// Member is the name of the member at fault as the client sent it,
	// for FaultUnknown, FaultDuplicate and FaultMalformed; quote it only
	// through [Printable].
	Member string
	// Err is the decoder's error, for FaultMalformed and FaultMismatch;
	// [DescribeJSON] words it for the client.
	Err error
}

// Error returns the refusal as a line for logs.
func (e *JSONError) Error() string {
	s := "httpx: " + faultText[e.Fault]
	if e.Member != "" {
		s += " " + strconv.Quote(Printable(e.Member))
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the decoder's error, if any.
func (e *JSONError) Unwrap() error { return e.Err }

// DecodeJSON decodes body into v, a pointer to a struct whose fields all
// have json tags: body must be UTF-8, one JSON object and nothing before or
// after it, whose members are named exactly as v's tags (encoding/json
// alone would take "KEY" for "key"), none twice (decoders disagree on
// which one wins), and have the types of v's fields. It checks in that
// order, member by member, and refuses with a [*JSONError].
func DecodeJSON(body []byte, v any) error {
	if !utf8.Valid(body) {
		return &JSONError{Fault: FaultNotUTF8}
	}
	known := memberNames(reflect.TypeOf(v).Elem())
	if err := CheckObject(body, func(name string) bool { return known[name] }); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &JSONError{Fault: FaultMismatch, Err: err}
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

// CheckObject refuses with a [*JSONError] a body that is not one JSON
// object and nothing more, or one with a member given twice at its top
// level, which decoders read differently (the first or the last wins). If
// known is not nil, a member whose name it does not know is refused too.
// Members are checked in order, each name before its value.
func CheckObject(body []byte, known func(name string) bool) error {
	notObject := &JSONError{Fault: FaultNotObject}
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return notObject
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return notObject
		}
		k, _ := t.(string)
		switch {
		case known != nil && !known(k):
			return &JSONError{Fault: FaultUnknown, Member: k}
		case seen[k]:
			return &JSONError{Fault: FaultDuplicate, Member: k}
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return &JSONError{Fault: FaultMalformed, Member: k, Err: err}
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return notObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return &JSONError{Fault: FaultTrailing}
	}
	return nil
}

// DescribeJSON describes an error of encoding/json for the client, in a
// few words that echo no more than a member's name, made [Printable].
func DescribeJSON(err error) string {
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	var perr *time.ParseError
	switch {
	case errors.As(err, &typ) && typ.Field != "":
		return "the member " + strconv.Quote(Printable(typ.Field)) + " has the wrong type"
	case errors.As(err, &typ):
		return "a value has the wrong type"
	case errors.As(err, &syn):
		return "malformed JSON at byte " + strconv.FormatInt(syn.Offset, 10)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "it ends early"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// Decoder.DisallowUnknownFields says so only in its text.
		return "unknown member " + Printable(strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.As(err, &perr):
		return "a time is not RFC 3339"
	}
	return "malformed JSON"
}
