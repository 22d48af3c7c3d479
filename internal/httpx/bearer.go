package httpx

import "strings"

// What may end the scheme "Bearer" in [Bearer].
const (
	// SP is a space only, as RFC 6750 §2.1 writes the credentials.
	SP = " "
	// SPTab is a space or a horizontal tab.
	SPTab = " \t"
)

// Bearer returns the token of the one Authorization header in vals, if it
// is a Bearer one (RFC 6750 §2.1): the scheme in any case, ended by a byte
// of sep ([SP] or [SPTab]), then the token, at most max bytes and without
// a space or tab inside. Whitespace around the scheme and the token is
// dropped. No header, several, another scheme, an empty token or a longer
// one is not a bearer token; what the token holds is for its verifier to
// judge.
func Bearer(vals []string, max int, sep string) (string, bool) {
	if len(vals) != 1 {
		return "", false
	}
	v := strings.TrimSpace(vals[0])
	i := strings.IndexAny(v, sep)
	if i < 0 {
		return "", false
	}
	scheme, tok := v[:i], strings.TrimSpace(v[i:])
	if !strings.EqualFold(scheme, "Bearer") || tok == "" || len(tok) > max ||
		strings.ContainsAny(tok, " \t") {
		return "", false
	}
	return tok, true
}
