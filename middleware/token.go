package middleware

import (
	"fmt"
	"net/http"
	"strings"
)

// MaxTokenBytes is the longest activation token the gate reads; a longer
// one is malformed. Activation tokens are well under 2 KiB.
const MaxTokenBytes = 8 << 10

// TokenExtractor finds the activation token a request carries, for
// [WithTokenExtractor]. It returns "" and a nil error when the request
// carries none in its place, and an error wrapping [ErrTokenMalformed] when
// that place holds something that cannot be a token.
type TokenExtractor func(r *http.Request) (string, error)

// sourceKind says where a token source looks.
type sourceKind int

const (
	fromBearer sourceKind = iota
	fromHeader
	fromCookie
	fromStatic
	fromFunc
)

// tokenSource is one place the gate looks for a token. The gate tries its
// sources in order, without a closure per request.
type tokenSource struct {
	kind sourceKind
	name string // header or cookie name, or the static token
	fn   TokenExtractor
}

// extract returns the token of r from the first source that has one.
func extract(srcs []tokenSource, r *http.Request) (string, error) {
	for i := range srcs {
		s := &srcs[i]
		var (
			tok string
			err error
		)
		switch s.kind {
		case fromBearer:
			tok, err = bearer(r.Header["Authorization"])
		case fromHeader:
			tok, err = headerValue(r.Header[s.name])
		case fromCookie:
			tok, err = cookieValue(r.Header["Cookie"], s.name)
		case fromStatic:
			tok = s.name
		case fromFunc:
			tok, err = s.fn(r)
			if err == nil && len(tok) > MaxTokenBytes {
				err = errTooLong
			}
		}
		if err != nil || tok != "" {
			return tok, err
		}
	}
	return "", nil
}

var errTooLong = fmt.Errorf("%w: longer than %d bytes", ErrTokenMalformed, MaxTokenBytes)

// bearer parses the Authorization header values of a request (RFC 6750
// §2.1): the scheme "Bearer" in any case, one or more spaces, then the
// token. A header with another scheme carries no bearer token; several
// Authorization headers, an empty bearer token or one with spaces inside
// are malformed. It does not check the token's characters; verification
// does.
func bearer(vals []string) (string, error) {
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", fmt.Errorf("%w: %d Authorization headers", ErrTokenMalformed, len(vals))
	}
	v := trimSpace(vals[0])
	const scheme = "bearer"
	if len(v) < len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
		return "", nil // another scheme, or none
	}
	rest := v[len(scheme):]
	if rest == "" {
		return "", fmt.Errorf("%w: empty bearer token", ErrTokenMalformed)
	}
	if rest[0] != ' ' && rest[0] != '\t' {
		return "", nil // a scheme that merely starts with "bearer"
	}
	tok := trimSpace(rest)
	return checkToken(tok)
}

// headerValue returns the token carried whole in a named header.
func headerValue(vals []string) (string, error) {
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", fmt.Errorf("%w: %d token headers", ErrTokenMalformed, len(vals))
	}
	v := trimSpace(vals[0])
	if v == "" {
		return "", nil
	}
	return checkToken(v)
}

// cookieValue returns the value of the first valid cookie called name in
// the Cookie header lines, unquoted, parsed as net/http parses them but
// without allocating.
func cookieValue(lines []string, name string) (string, error) {
	for _, line := range lines {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = trimSpace(part)
			k, v, _ := strings.Cut(part, "=")
			if part == "" || trimSpace(k) != name {
				continue
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if !validCookieValue(v) {
				continue // skipped, as net/http does
			}
			if v == "" {
				return "", nil
			}
			return checkToken(v)
		}
	}
	return "", nil
}

// validCookieValue applies net/http's test of cookie value bytes.
func validCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return false
		}
	}
	return true
}

// checkToken rejects a token with white space inside or too long to be one.
func checkToken(tok string) (string, error) {
	if tok == "" {
		return "", fmt.Errorf("%w: empty token", ErrTokenMalformed)
	}
	if len(tok) > MaxTokenBytes {
		return "", errTooLong
	}
	if strings.IndexByte(tok, ' ') >= 0 || strings.IndexByte(tok, '\t') >= 0 {
		return "", fmt.Errorf("%w: white space inside the token", ErrTokenMalformed)
	}
	return tok, nil
}

// wellFormed reports whether tok is made of the characters of RFC 6750's
// b64token and has the three dot-separated parts of a compact JWS. It runs
// only before a verification, never on the cached path.
func wellFormed(tok string) bool {
	dots := 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '-', c == '_', c == '~', c == '+', c == '/', c == '=':
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return dots == 2
}

// trimSpace trims ASCII white space, as textproto.TrimString does.
func trimSpace(s string) string {
	for s != "" && isSpace(s[0]) {
		s = s[1:]
	}
	for s != "" && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
