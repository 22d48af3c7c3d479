package httpx

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWriteBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		method     string
		status     int
		body       string
		wantBody   string
		wantLength string
	}{
		{"GET", "GET", 200, "{}\n", "{}\n", "3"},
		{"HEAD", "HEAD", 200, "{}\n", "", "3"},
		{"no content", "DELETE", 204, "", "", ""},
		{"error", "POST", 400, "{}\n", "{}\n", "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			WriteBody(rec, httptest.NewRequest(tt.method, "/", nil), tt.status, []byte(tt.body))
			hd := rec.Header()
			switch {
			case rec.Code != tt.status:
				t.Errorf("got status %d, want %d", rec.Code, tt.status)
			case rec.Body.String() != tt.wantBody:
				t.Errorf("got body %q, want %q", rec.Body, tt.wantBody)
			case hd.Get("Content-Length") != tt.wantLength:
				t.Errorf("got Content-Length %q, want %q", hd.Get("Content-Length"), tt.wantLength)
			case hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("Cache-Control") != "no-store":
				t.Errorf("got headers %v", hd)
			}
		})
	}
}

func TestProblem_JSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Problem
		want string
	}{
		{"with detail", NewProblem(http.StatusBadRequest, "bad_request", "Bad request", `The member "x" is not known.`),
			`{"type":"urn:licgate:problem:bad_request","title":"Bad request","status":400,"detail":"The member \"x\" is not known.","reason":"bad_request"}` + "\n"},
		{"without", NewProblem(http.StatusUnauthorized, "token_missing", "An activation token is required.", ""),
			`{"type":"urn:licgate:problem:token_missing","title":"An activation token is required.","status":401,"reason":"token_missing"}` + "\n"},
	}
	for _, tt := range tests {
		if got := string(tt.p.JSON()); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}
