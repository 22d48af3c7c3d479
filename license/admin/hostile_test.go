package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/licgate/licgate/license"
)

func TestHostileInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t, memStore(t))
	f.product("app")
	l, err := f.svc.CreateLicense(context.Background(), license.NewLicense{ProductID: "app", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	lic := "/licenses/" + l.ID
	huge := `{"productId":"app","name":"` + strings.Repeat("a", 70<<10) + `"}`
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		hdr        []string
		wantStatus int
		wantReason string
	}{
		{"huge body", "POST", "/licenses", huge, nil, 413, "too_large"},
		{"huge patch", "PATCH", lic, huge, nil, 413, "too_large"},
		{"huge body of a release", "POST", "/activations/" + l.ID + "/release", huge, nil, 413, "too_large"},
		{"text body", "POST", "/licenses", `{"productId":"app"}`, []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type"},
		{"form body", "PATCH", lic, `seats=2`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
		{"no content type", "POST", "/licenses", `{"productId":"app"}`, []string{"Content-Type", ""}, 415, "unsupported_media_type"},
		{"latin-1", "POST", "/licenses", `{"productId":"app"}`, []string{"Content-Type", "application/json; charset=latin1"}, 415, "unsupported_media_type"},
		{"empty body", "POST", "/licenses", ``, []string{"Content-Type", "application/json"}, 400, "bad_request"},
		{"array", "POST", "/licenses", `[{"productId":"app"}]`, nil, 400, "bad_request"},
		{"null", "PATCH", lic, `null`, nil, 400, "bad_request"},
		{"string", "PATCH", lic, `"seats"`, nil, 400, "bad_request"},
		{"trailing data", "PATCH", lic, `{"seats":2}{"seats":3}`, nil, 400, "bad_request"},
		{"trailing garbage", "PATCH", lic, `{"seats":2} x`, nil, 400, "bad_request"},
		{"unknown member", "POST", "/licenses", `{"productId":"app","admin":true}`, nil, 400, "bad_request"},
		{"duplicate member", "PATCH", lic, `{"seats":2,"seats":900}`, nil, 400, "bad_request"},
		{"missing member", "POST", "/products", `{"id":"x","name":"X"}`, nil, 400, "bad_request"},
		{"wrong type", "PATCH", lic, `{"seats":"many"}`, nil, 400, "bad_request"},
		{"bad time", "PATCH", lic, `{"expiresAt":"next year"}`, nil, 400, "bad_request"},
		{"invalid UTF-8", "PATCH", lic, "{\"name\":\"\xff\"}", nil, 400, "bad_request"},
		{"negative seats", "PATCH", lic, `{"seats":-1}`, nil, 400, "invalid"},
		{"too many seats", "POST", "/licenses", `{"productId":"app","seats":1000000000}`, nil, 400, "invalid"},
		{"bad email", "POST", "/licenses", `{"productId":"app","email":"Ann <ann@example.com>"}`, nil, 400, "invalid"},
		{"control character", "PATCH", lic, `{"name":"a\u0000b"}`, nil, 400, "invalid"},
		{"bad feature", "PATCH", lic, `{"features":["a b"]}`, nil, 400, "invalid"},
		{"non-UUID license", "GET", "/licenses/not-a-uuid", "", nil, 404, "not_found"},
		{"long license ID", "GET", "/licenses/" + strings.Repeat("a", 300), "", nil, 404, "not_found"},
		{"long activation ID", "POST", "/activations/" + strings.Repeat("a", 300) + "/revoke", "", nil, 404, "not_found"},
		{"upper-case UUID", "GET", "/licenses/" + strings.ToUpper(l.ID), "", nil, 404, "not_found"},
		{"unknown activation", "GET", "/activations/0190a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b", "", nil, 404, "not_found"},
		{"unknown webhook", "GET", "/webhooks/x", "", nil, 404, "not_found"},
		{"negative limit", "GET", "/licenses?limit=-1", "", nil, 400, "bad_request"},
		{"zero limit", "GET", "/licenses?limit=0", "", nil, 400, "bad_request"},
		{"huge limit", "GET", "/licenses?limit=501", "", nil, 400, "bad_request"},
		{"overflowing limit", "GET", "/audit?limit=99999999999999999999999", "", nil, 400, "bad_request"},
		{"word limit", "GET", "/audit?limit=ten", "", nil, 400, "bad_request"},
		{"two limits", "GET", "/licenses?limit=5&limit=6", "", nil, 400, "bad_request"},
		{"bad status", "GET", "/licenses?status=released", "", nil, 400, "bad_request"},
		{"long email", "GET", "/licenses?email=" + strings.Repeat("a", 300), "", nil, 400, "bad_request"},
		{"bad since", "GET", "/audit?since=yesterday", "", nil, 400, "bad_request"},
		{"date since", "GET", "/audit?since=2030-01-01", "", nil, 400, "bad_request"},
		{"long cursor", "GET", "/audit?cursor=" + strings.Repeat("a", 600), "", nil, 400, "bad_request"},
		{"bad cursor of deliveries", "GET", "/webhooks/0190a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b/deliveries?cursor=%00", "", nil, 400, "bad_request"},
		{"unknown route", "GET", "/licences", "", nil, 404, "not_found"},
		{"unknown sub-route", "GET", lic + "/secrets", "", nil, 404, "not_found"},
		{"method not allowed", "DELETE", lic, "", nil, 405, "method_not_allowed"},
		{"PUT", "PUT", "/products", `{}`, nil, 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, hd, body := f.do(tt.method, tt.path, f.adminToken, tt.body, tt.hdr...)
			p := problemOf(t, st, body, tt.wantStatus, tt.wantReason)
			if p.Detail == "" || p.Title == "" || p.Type != "urn:licgate:problem:"+tt.wantReason {
				t.Errorf("got problem %+v", p)
			}
			if strings.Contains(p.Detail, "license:") || len(p.Detail) > 300 {
				t.Errorf("the detail leaks or echoes: %q", p.Detail)
			}
			if hd.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no nosniff")
			}
			if st == 405 && hd.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
	if got, err := f.svc.License(context.Background(), l.ID); err != nil || got.Seats != 1 || got.Name != "" {
		t.Errorf("a refused request changed the license: %+v, %v", got, err)
	}
}

// HEAD answers as GET without a body.
func TestHead(t *testing.T) {
	t.Parallel()
	f := newFixture(t, memStore(t))
	req, _ := http.NewRequest(http.MethodHead, f.base+"/products", nil)
	req.Header.Set("Authorization", "Bearer "+f.readToken)
	resp, err := f.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || resp.ContentLength <= 0 {
		t.Errorf("got %d %q %d", resp.StatusCode, resp.Header.Get("Content-Type"), resp.ContentLength)
	}
}
