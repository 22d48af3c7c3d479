package httpx

import (
	"net"
	"net/http"
)

// RemoteIP returns the host part of r.RemoteAddr, or r.RemoteAddr whole
// if it has no port. It trusts no forwarding header: behind a proxy,
// handlers take a function of their own (their WithClientIP option).
func RemoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
