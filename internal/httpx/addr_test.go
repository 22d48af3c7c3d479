package httpx

import (
	"net/http"
	"testing"
)

func TestRemoteIP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, addr, want string
	}{
		{"IPv4 with port", "192.0.2.1:1234", "192.0.2.1"},
		{"IPv6 with port", "[2001:db8::1]:443", "2001:db8::1"},
		{"no port", "192.0.2.1", "192.0.2.1"},
		{"empty", "", ""},
		{"pipe", "@", "@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := RemoteIP(&http.Request{RemoteAddr: tt.addr}); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
