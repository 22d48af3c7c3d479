package httpx

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

type request struct {
	Key  string `json:"key"`
	Name string `json:"name,omitempty"`
	N    int    `json:"n"`
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		body       string
		want       request
		wantFault  Fault
		wantMember string
	}{
		{"all", `{"key":"k","name":"x","n":2}`, request{"k", "x", 2}, 0, ""},
		{"some", ` {"key":"k"}` + "\n", request{Key: "k"}, 0, ""},
		{"empty object", `{}`, request{}, 0, ""},
		{"not UTF-8", "{\"key\":\"\xff\"}", request{}, FaultNotUTF8, ""},
		{"array", `[]`, request{}, FaultNotObject, ""},
		{"null", `null`, request{}, FaultNotObject, ""},
		{"empty", ``, request{}, FaultNotObject, ""},
		{"unclosed", `{"key":"k"`, request{}, FaultNotObject, ""},
		{"trailing comma", `{"key":"k",}`, request{}, FaultNotObject, ""},
		{"two objects", `{} {}`, request{}, FaultTrailing, ""},
		{"garbage after", `{}x`, request{}, FaultTrailing, ""},
		{"other case", `{"KEY":"k"}`, request{}, FaultUnknown, "KEY"},
		{"unknown", `{"key":"k","x":1}`, request{}, FaultUnknown, "x"},
		{"twice", `{"key":"a","key":"b"}`, request{}, FaultDuplicate, "key"},
		{"value cut", `{"key":`, request{}, FaultMalformed, "key"},
		{"bad value", `{"n":tru}`, request{}, FaultMalformed, "n"},
		{"wrong type", `{"n":"2"}`, request{}, FaultMismatch, ""},
		{"unknown before twice", `{"x":1,"key":"a","key":"b"}`, request{}, FaultUnknown, "x"},
		{"twice before cut", `{"key":"a","key":"b",`, request{}, FaultDuplicate, "key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got request
			err := DecodeJSON([]byte(tt.body), &got)
			if tt.wantFault == 0 {
				if err != nil || got != tt.want {
					t.Fatalf("got %+v, %v, want %+v", got, err, tt.want)
				}
				return
			}
			var je *JSONError
			if !errors.As(err, &je) || je.Fault != tt.wantFault || je.Member != tt.wantMember {
				t.Fatalf("got %#v, want fault %d member %q", err, tt.wantFault, tt.wantMember)
			}
		})
	}
}

func TestCheckObject_anyMember(t *testing.T) {
	t.Parallel()
	if err := CheckObject([]byte(`{"A":1,"a":2,"b":{"a":1,"a":2}}`), nil); err != nil {
		t.Errorf("got %v, want none: only top-level names count, case matters", err)
	}
	var je *JSONError
	if err := CheckObject([]byte(`{"a":1,"a":2}`), nil); !errors.As(err, &je) || je.Fault != FaultDuplicate {
		t.Errorf("got %v, want a duplicate", err)
	}
}

func TestDescribeJSON(t *testing.T) {
	t.Parallel()
	var n struct {
		N int `json:"n"`
	}
	var tm time.Time
	unknown := json.NewDecoder(strings.NewReader(`{"x\u00e9y":1}`))
	unknown.DisallowUnknownFields()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"field type", json.Unmarshal([]byte(`{"n":"1"}`), &n), `the member "n" has the wrong type`},
		{"type", json.Unmarshal([]byte(`"1"`), new(int)), "a value has the wrong type"},
		{"syntax", json.Unmarshal([]byte(`{"n":}`), &n), "malformed JSON at byte 6"},
		{"cut", json.NewDecoder(strings.NewReader(`{"n":`)).Decode(&n), "it ends early"},
		{"unknown member", unknown.Decode(&n), `unknown member "xy"`},
		{"time", json.Unmarshal([]byte(`"yesterday"`), &tm), "a time is not RFC 3339"},
		{"other", errors.New("disk on fire"), "malformed JSON"},
	}
	for _, tt := range tests {
		if got := DescribeJSON(tt.err); got != tt.want {
			t.Errorf("%s: got %q, want %q (from %v)", tt.name, got, tt.want, tt.err)
		}
	}
}

// FuzzDecodeJSON feeds bodies to the strict decoder: it never panics,
// refuses with a *JSONError whose log line quotes only printable input, and
// what it accepts survives a round trip through the type's own JSON.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"key":"k","name":"x","n":2}`, `{"key":"a","key":"b"}`, `{"KEY":"a"}`, `{"n":"1"}`, `{} {}`, `[]`, `null`,
		`{"key":"\ud800"}`, ` {"n":1}` + "\n", `{"key":"x",}`, "{\"key\":\"\xff\"}", `{"key":`, `{"n":1e400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var q request
		if err := DecodeJSON(body, &q); err != nil {
			var je *JSONError
			if !errors.As(err, &je) || je.Fault < FaultNotUTF8 || je.Fault > FaultMismatch {
				t.Fatalf("got %#v, want a *JSONError", err)
			}
			if msg := err.Error(); je.Err == nil && strings.IndexFunc(msg, notPrintable) >= 0 {
				t.Fatalf("log line %q quotes unprintable input", msg)
			}
			return
		}
		b, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		var again request
		if err := DecodeJSON(b, &again); err != nil || again != q {
			t.Fatalf("round trip of %q: got %+v, %v, want %+v", body, again, err, q)
		}
	})
}

func notPrintable(r rune) bool { return r < 0x20 || r > 0x7e }
