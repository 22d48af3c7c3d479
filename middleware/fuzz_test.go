package middleware

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// FuzzBearer checks that parsing any Authorization header either finds a
// token taken from the header, free of white space and not too long, finds
// none, or fails with ErrTokenMalformed; and never panics.
func FuzzBearer(f *testing.F) {
	for _, s := range []string{
		"", "Bearer", "Bearer ", "bearer x.y.z", "BEARER  x.y.z  ", "Bearer\tx.y.z", "Basic dXNlcg==",
		"Bearerx.y.z", "Bearer a b", "Bearer " + strings.Repeat("a", MaxTokenBytes+1), "Bearer é.ü.ß",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, err := bearer([]string{h})
		checkExtracted(t, h, tok, err)
		if err == nil && tok != "" && !strings.EqualFold(trimSpace(h)[:6], "bearer") {
			t.Errorf("token %q from a header %q without the Bearer scheme", tok, h)
		}
	})
}

// FuzzCookie checks the cookie scan the same way, on any Cookie header.
func FuzzCookie(f *testing.F) {
	for _, s := range []string{
		"", "lic=a.b.c", "a=b; lic=x.y.z; c=d", `lic="x.y.z"`, `lic="`, "lic=", ";;;", "lic", "lic=a b",
		" lic = x ", "lic=a.b.c; lic=d.e.f",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, err := cookieValue([]string{h}, "lic")
		checkExtracted(t, h, tok, err)
		// Go's own parser must agree when it finds a valid cookie.
		r := &http.Request{Header: http.Header{"Cookie": {h}}}
		if c, cerr := r.Cookie("lic"); cerr == nil && trimSpace(c.Value) != "" && err == nil && tok != trimSpace(c.Value) {
			t.Errorf("cookie %q: got %q, net/http %q", h, tok, c.Value)
		}
	})
}

func checkExtracted(t *testing.T, h, tok string, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrTokenMalformed) {
			t.Fatalf("header %q: error %v does not match ErrTokenMalformed", h, err)
		}
		if tok != "" {
			t.Fatalf("header %q: token %q with error %v", h, tok, err)
		}
		return
	}
	if tok == "" {
		return
	}
	if !strings.Contains(h, tok) {
		t.Errorf("header %q: token %q is not part of it", h, tok)
	}
	if len(tok) > MaxTokenBytes || strings.ContainsAny(tok, " \t") {
		t.Errorf("header %q: token %q too long or with white space", h, tok)
	}
}

// FuzzWellFormed checks that wellFormed accepts only three parts of
// b64token characters.
func FuzzWellFormed(f *testing.F) {
	for _, s := range []string{"a.b.c", "..", "a.b", "a.b.c.d", "a b.c.d", "eyJ.eyJ.sig="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !wellFormed(s) {
			return
		}
		if strings.Count(s, ".") != 2 {
			t.Errorf("%q accepted with %d dots", s, strings.Count(s, "."))
		}
		if strings.ContainsFunc(s, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~+/=", r))
		}) {
			t.Errorf("%q accepted with a character outside b64token", s)
		}
	})
}
