package httpx

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestReadBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		body       io.Reader
		length     int64 // -1: unknown
		want       string
		wantReason string
	}{
		{"within", strings.NewReader("0123456789"), 10, "0123456789", ""},
		{"empty", strings.NewReader(""), 0, "", ""},
		{"declared larger", strings.NewReader("0123456789a"), 11, "", ReasonTooLarge},
		{"found larger", strings.NewReader("0123456789a"), -1, "", ReasonTooLarge},
		{"unreadable", errReader{}, -1, "", ReasonBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/", tt.body)
			r.ContentLength = tt.length
			got, err := ReadBody(httptest.NewRecorder(), r, 10)
			var rf *Refusal
			switch {
			case tt.wantReason == "" && err != nil:
				t.Fatalf("got %v, want no error", err)
			case tt.wantReason != "" && (!errors.As(err, &rf) || rf.Reason != tt.wantReason):
				t.Fatalf("got %v, want a %s refusal", err, tt.wantReason)
			case string(got) != tt.want:
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadBody_detail(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("POST", "/", strings.NewReader("too long"))
	_, err := ReadBody(httptest.NewRecorder(), r, 4)
	want := &Refusal{ReasonTooLarge, "The request body is larger than 4 bytes."}
	if rf, ok := err.(*Refusal); !ok || *rf != *want {
		t.Errorf("got %#v, want %#v", err, want)
	}
}

func TestCheckJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		ct         []string
		wantDetail string
	}{
		{"plain", []string{"application/json"}, ""},
		{"charset", []string{"application/json; charset=utf-8"}, ""},
		{"charset upper", []string{"Application/JSON; charset=UTF-8"}, ""},
		{"none", nil, "The request body must be application/json."},
		{"two", []string{"application/json", "application/json"}, "The request body must be application/json."},
		{"text", []string{"text/plain"}, "The request body must be application/json."},
		{"malformed", []string{"application/json;;"}, "The request body must be application/json."},
		{"latin1", []string{"application/json; charset=latin1"}, "The request body must be application/json in UTF-8."},
		{"other parameter", []string{"application/json; x=y"}, "The request body must be application/json in UTF-8."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := &http.Request{Header: http.Header{"Content-Type": tt.ct}}
			err := CheckJSON(r)
			var rf *Refusal
			switch {
			case tt.wantDetail == "" && err != nil:
				t.Errorf("got %v, want none", err)
			case tt.wantDetail != "" && (!errors.As(err, &rf) || rf.Reason != ReasonUnsupportedMediaType || rf.Detail != tt.wantDetail):
				t.Errorf("got %v, want %s: %s", err, ReasonUnsupportedMediaType, tt.wantDetail)
			}
		})
	}
}

func TestPrintable(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"key", "key"},
		{"a\x00b\nc\x7f", "abc"},
		{"caf\u00e9\u2028", "caf"},
		{strings.Repeat("z", 70), strings.Repeat("z", 64)},
		{"\xff", ""},
	}
	for _, tt := range tests {
		if got := Printable(tt.in); got != tt.want {
			t.Errorf("Printable(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
