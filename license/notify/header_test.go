package notify

import (
	"errors"
	"mime"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEncodeHeader(t *testing.T) {
	t.Parallel()
	long := "Your activation code for " + strings.Repeat("Very Long Product Name ", 8)
	tests := []struct {
		name    string
		value   string
		want    string // exact output, if set
		wantErr error
	}{
		{name: "ascii", value: "Your activation code for Acme", want: "Subject: Your activation code for Acme"},
		{name: "non-ascii", value: "Café", want: "Subject: =?utf-8?q?Caf=C3=A9?="},
		{name: "long ascii folds", value: long},
		{name: "long non-ascii folds", value: strings.Repeat("Éditeur ", 30)},
		{name: "CRLF", value: "Hi\r\nBcc: victim@example.com", wantErr: ErrHeaderInjection},
		{name: "LF", value: "Hi\nBcc: victim@example.com", wantErr: ErrHeaderInjection},
		{name: "CR", value: "Hi\rBcc: victim@example.com", wantErr: ErrHeaderInjection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := encodeHeader("Subject", tt.value)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			checkEncodedHeader(t, "Subject", tt.value, got)
		})
	}
}

// checkEncodedHeader checks that line is a well-formed, folded header field
// that decodes to value.
func checkEncodedHeader(t *testing.T, name, value, line string) {
	t.Helper()
	for i, l := range strings.Split(line, "\r\n") {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("bare CR or LF in %q", line)
		}
		if i > 0 && (l == "" || l[0] != ' ' || strings.TrimSpace(l) == "") {
			t.Fatalf("continuation line %d %q does not start with a space or is blank", i, l)
		}
		if len(l) > 998 {
			t.Fatalf("line %d is %d bytes long", i, len(l))
		}
		if len(strings.TrimRight(l, " ")) > maxLine && len(strings.Fields(l)) > 1 {
			t.Fatalf("line %d %q is %d bytes, over %d, yet could have been folded", i, l, len(l), maxLine)
		}
	}
	unfolded := strings.ReplaceAll(line, "\r\n", "")
	raw, ok := strings.CutPrefix(unfolded, name+": ")
	if !ok {
		t.Fatalf("%q does not start with %q", line, name+": ")
	}
	if !utf8.ValidString(value) || strings.Contains(value, "=?") {
		return // the decoder would read "=?" as the start of an encoded word
	}
	got, err := new(mime.WordDecoder).DecodeHeader(raw)
	if err != nil {
		t.Fatalf("decode %q: %v", raw, err)
	}
	if got != value {
		t.Fatalf("decoded %q, want %q", got, value)
	}
}

func FuzzEncodeHeader(f *testing.F) {
	for _, s := range []string{
		"", "Acme", "Café Éditeur 2000", "Hi\r\nBcc: x@example.com", strings.Repeat("a ", 100),
		strings.Repeat("x", 200), "  leading and trailing  ", "日本語のソフトウェア", "tab\there", "\xff\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		got, err := encodeHeader("Subject", value)
		if strings.ContainsAny(value, "\r\n") {
			if !errors.Is(err, ErrHeaderInjection) {
				t.Fatalf("value %q with a line break: err = %v, want ErrHeaderInjection", value, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("encodeHeader(%q): %v", value, err)
		}
		if len(value) > 900 {
			return // a single word that long cannot be folded below 998
		}
		checkEncodedHeader(t, "Subject", value, got)
	})
}
