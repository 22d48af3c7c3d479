package admin_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// recordTB records the failures of the checker instead of failing.
type recordTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recordTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// The checker that every test's client uses does catch answers that do
// not match the document.
func TestCheckerCatchesMismatches(t *testing.T) {
	t.Parallel()
	f := newFixture(t, memStore(t))
	license := `{"id":"0190a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b","key":"k","productKey":"p","number":1,"productId":"app","seats":1,"seatsHeld":0,"status":"active","createdAt":"2030-01-01T00:00:00Z"}`
	problem := `{"type":"urn:licgate:problem:not_found","title":"Not found","status":404,"detail":"No.","reason":"not_found"}`
	tests := []struct {
		name    string
		status  int
		ctype   string
		body    string
		path    string
		wantErr bool
	}{
		{"a good license", 200, "application/json", license, "/licenses/x", false},
		{"a good problem", 404, "application/problem+json", problem, "/licenses/x", false},
		{"an undocumented status", 418, "application/json", license, "/licenses/x", true},
		{"an extra member", 200, "application/json", strings.Replace(license, `"seats"`, `"secret":"x","seats"`, 1), "/licenses/x", true},
		{"a missing member", 200, "application/json", strings.Replace(license, `"key":"k",`, ``, 1), "/licenses/x", true},
		{"a wrong type", 200, "application/json", strings.Replace(license, `"seats":1`, `"seats":"1"`, 1), "/licenses/x", true},
		{"a bad time", 200, "application/json", strings.Replace(license, `2030-01-01T00:00:00Z`, `yesterday`, 1), "/licenses/x", true},
		{"a bad status", 200, "application/json", strings.Replace(license, `"active"`, `"happy"`, 1), "/licenses/x", true},
		{"a wrong content type", 200, "text/html", license, "/licenses/x", true},
		{"a problem as JSON", 404, "application/json", problem, "/licenses/x", true},
		{"a list that is null", 200, "application/json", `{"data":null}`, "/products", true},
		{"an unknown path, no problem", 404, "text/plain", "404 page not found", "/nope", true},
		{"an unknown path, a problem", 404, "application/problem+json", problem, "/nope", false},
		{"a 401 without WWW-Authenticate", 401, "application/problem+json", strings.ReplaceAll(problem, "404", "401"), "/licenses/x", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newRawServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ctype)
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			rec := &recordTB{TB: t}
			hc := &http.Client{Transport: &checked{t: rec, spec: loadSpec(t, f.base+"/openapi.json"), next: http.DefaultTransport}}
			resp, err := hc.Get(fake + mount + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := len(rec.errs) > 0; got != tt.wantErr {
				t.Errorf("got errors %v, want some: %v", rec.errs, tt.wantErr)
			}
		})
	}
}
