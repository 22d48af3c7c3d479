package ems

import (
	"net/http"
	"strings"
)

// resource is what a request path names.
type resource int

const (
	resUnknown resource = iota
	resLogin
	resLoginByProductKey
	resLogout
	resProductKey
	resProductKeyActivation
	resActivation
	resTarget     // activation/target.ws: pending updates by C2V
	resCustomer   // customer.ws
	resCustomerID // customer/{id}.ws
)

// route is a parsed request path.
type route struct {
	res    resource
	id     string // the product key or AID, as in the path
	prefix string // the path before the version segment
	// session is a servlet-style ";jsessionid=" path parameter.
	session string
}

// parseRoute finds "/v{N}/ws/" in p and the resource after it. The version
// segment, "ws" and the resource names match in any case: EMS
// documentation and clients spell them variously (loginByProductKey.ws,
// loginbyproductkey.ws), and no EMS server serves anything else under
// those names.
func parseRoute(p string) route {
	seg := strings.Split(p, "/")
	for i := 0; i+2 < len(seg); i++ {
		if !isVersion(seg[i]) || !strings.EqualFold(seg[i+1], "ws") {
			continue
		}
		rt := route{prefix: strings.Join(seg[:i], "/")}
		rest := seg[i+2:]
		last := rest[len(rest)-1]
		if j := indexFoldASCII(last, ";jsessionid="); j >= 0 {
			rt.session = last[j+len(";jsessionid="):]
			rest[len(rest)-1] = last[:j]
		}
		rt.res, rt.id = resolve(rest)
		return rt
	}
	return route{}
}

// indexFoldASCII is strings.Index ignoring ASCII case; unlike lower-casing
// first, it keeps byte offsets of invalid UTF-8 intact.
func indexFoldASCII(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func isVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' && s[0] != 'V' {
		return false
	}
	return strings.Trim(s[1:], "0123456789_") == ""
}

func resolve(rest []string) (resource, string) {
	id := func(s string) (string, bool) {
		if len(s) <= len(".ws") || !strings.HasSuffix(strings.ToLower(s), ".ws") {
			return "", false
		}
		return s[:len(s)-len(".ws")], true
	}
	is := strings.EqualFold
	switch len(rest) {
	case 1:
		switch {
		case is(rest[0], "login.ws"):
			return resLogin, ""
		case is(rest[0], "loginByProductKey.ws"):
			return resLoginByProductKey, ""
		case is(rest[0], "logout.ws"):
			return resLogout, ""
		case is(rest[0], "customer.ws"):
			return resCustomer, ""
		}
	case 2:
		if is(rest[0], "activation") && is(rest[1], "target.ws") {
			return resTarget, ""
		}
		if v, ok := id(rest[1]); ok {
			switch {
			case is(rest[0], "productKey"):
				return resProductKey, v
			case is(rest[0], "activation"):
				return resActivation, v
			case is(rest[0], "customer"):
				return resCustomerID, v
			}
		}
	case 3:
		if is(rest[0], "productKey") && rest[1] != "" && is(rest[2], "activation.ws") {
			return resProductKeyActivation, rest[1]
		}
	}
	return resUnknown, ""
}

// allowed returns the Allow header for a method the resource does not
// take, or "" if it takes it. A path that names no web service licgate
// serves takes every method, to be answered 404: only a served resource
// blames the method.
func allowed(res resource, method string) string {
	var allow []string
	switch res {
	case resUnknown:
		return ""
	case resLogin, resProductKeyActivation, resTarget:
		allow = []string{http.MethodPost}
	case resCustomer:
		allow = []string{http.MethodPut}
	case resCustomerID:
		allow = []string{http.MethodGet}
	case resLoginByProductKey, resLogout:
		allow = []string{http.MethodPost, http.MethodGet}
	case resProductKey:
		allow = []string{http.MethodGet, http.MethodPost}
	case resActivation:
		allow = []string{http.MethodGet}
	}
	for _, m := range allow {
		if m == method {
			return ""
		}
	}
	return strings.Join(allow, ", ")
}

// changesState reports whether a call of the resource with the method
// changes state on the server: every POST and PUT, and the logins and the
// logout whatever their method, since each opens or ends a session, but
// not activation/target.ws, which changes nothing and answers every caller
// alike. Such a call is refused when a browser makes it from another site.
func changesState(res resource, method string) bool {
	switch res {
	case resUnknown, resTarget:
		return false
	case resLogin, resLoginByProductKey, resLogout:
		return true
	}
	return method != http.MethodGet && method != http.MethodHead
}
