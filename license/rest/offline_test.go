package rest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/rest"
)

// requestFile returns the offline request file of the computer.
func requestFile(t testing.TB, key, computerID string) []byte {
	t.Helper()
	req, err := license.NewOfflineRequest(key, computerID, "Offline PC", t0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// unknownKey returns a well-formed activation key of no license.
func unknownKey(t testing.TB) string {
	t.Helper()
	k, err := license.NewKey(license.KeyPermanent)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// checkLicenseFile checks a download of a license file and verifies it
// for the computer with only the keys inside, pinned by the thumbprints
// of the service's keys; it returns its AID.
func checkLicenseFile(t testing.TB, e *env, r response, computerID string) string {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("license file: got %d %s", r.status, r.body)
	}
	if got := r.header.Get("Content-Disposition"); got != `attachment; filename="licgate-license.json"` {
		t.Fatalf("Content-Disposition: got %q", got)
	}
	if got := r.header.Get("Content-Type"); got != "application/json" {
		t.Fatalf("Content-Type: got %q", got)
	}
	return verifyLicenseFile(t, e, r.body, computerID)
}

func verifyLicenseFile(t testing.TB, e *env, data []byte, computerID string) string {
	t.Helper()
	f, err := license.ParseOfflineLicense(data)
	if err != nil {
		t.Fatalf("parse license file: %v\n%s", err, data)
	}
	c, err := f.Verify(computerID, e.clock.Now(), e.pins...)
	if err != nil {
		t.Fatalf("verify license file: %v", err)
	}
	if c.Subject != f.AID || f.ComputerID != computerID || f.ProductID != "demo" {
		t.Fatalf("license file: %+v", f)
	}
	if _, err := f.Verify("another-pc", e.clock.Now(), e.pins...); !errors.Is(err, license.ErrComputerMismatch) {
		t.Fatalf("verify for another computer: got %v, want ErrComputerMismatch", err)
	}
	return f.AID
}

func TestOfflineAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, mem)
	l := e.license(t, license.NewLicense{Seats: 1})
	file := requestFile(t, l.Key, "pc-offline")
	aid := checkLicenseFile(t, e, e.do(t, "POST", "/v1/offline", file), "pc-offline")
	if again := checkLicenseFile(t, e, e.do(t, "POST", "/v1/offline", file), "pc-offline"); again != aid {
		t.Fatalf("same request again: aid %s, want %s", again, aid)
	}
	r := e.do(t, "POST", "/v1/offline", requestFile(t, l.Key, "pc-other"))
	if r.status != http.StatusConflict || r.reason(t) != "no_seats" {
		t.Fatalf("second computer: got %d %s, want 409 no_seats", r.status, r.body)
	}
}

func TestOfflineHostile(t *testing.T) {
	t.Parallel()
	e := newEnv(t, mem)
	big := newEnv(t, mem, rest.WithMaxBodyBytes(1<<20))
	l := e.license(t, license.NewLicense{Seats: 5})
	valid := string(requestFile(t, l.Key, "pc-1"))
	replace := func(old, new string) string { return strings.Replace(valid, old, new, 1) }
	huge := `{"format":"licgate-offline-request","version":1,"key":"` + l.Key + `","computerId":"pc-1","computerName":"` +
		strings.Repeat("x", 100<<10) + `"}`
	tests := []struct {
		name        string
		e           *env
		contentType string
		body        string
		wantStatus  int
		wantReason  string
	}{
		{"huge", e, "application/json", huge, 413, "too_large"},
		{"huge within the body limit", big, "application/json", huge, 400, "invalid"},
		{"not JSON", e, "application/json", "PK\x03\x04 a zip", 400, "invalid"},
		{"empty", e, "application/json", "", 400, "invalid"},
		{"unknown field", e, "application/json", replace(`"version":1`, `"version":1,"admin":true`), 400, "invalid"},
		{"wrong format", e, "application/json", replace("licgate-offline-request", "licgate-offline-license"), 400, "invalid"},
		{"wrong version", e, "application/json", replace(`"version":1`, `"version":2`), 400, "invalid"},
		{"two values", e, "application/json", valid + valid, 400, "invalid"},
		{"array", e, "application/json", "[" + valid + "]", 400, "invalid"},
		{"bad computer", e, "application/json", replace(`"pc-1"`, `"p c"`), 400, "invalid"},
		{"unknown key", e, "application/json", string(requestFile(t, unknownKey(t), "pc-1")), 404, "not_found"},
		{"not declared JSON", e, "text/plain", valid, 415, "unsupported_media_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := tt.e.do(t, "POST", "/v1/offline", tt.body, "Content-Type", tt.contentType)
			if r.status != tt.wantStatus || r.reason(t) != tt.wantReason {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, tt.wantStatus, tt.wantReason)
			}
			if strings.Contains(string(r.body), l.Key) {
				t.Fatalf("the answer echoes the key: %s", r.body)
			}
		})
	}
}

func TestOfflinePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, mem)
	r := e.do(t, "GET", "/offline", nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /offline: %d %v", r.status, r.header)
	}
	page := string(r.body)
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Fatalf("CSP %q lacks %q", csp, want)
		}
	}
	style := regexp.MustCompile(`(?s)<style>(.*)</style>`).FindStringSubmatch(page)
	if style == nil {
		t.Fatal("no style")
	}
	sum := sha256.Sum256([]byte(style[1]))
	if !strings.Contains(csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Fatalf("CSP %q does not allow the page's style", csp)
	}
	for _, want := range []string{
		`<html lang="en">`, `<form method="post" enctype="multipart/form-data">`,
		`<label for="request">`, `<input type="file" id="request" name="request"`, `<button type="submit">`,
	} {
		if !strings.Contains(page, want) {
			t.Fatalf("the page lacks %s:\n%s", want, page)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://", "src=", "url("} {
		if strings.Contains(strings.ToLower(page), bad) {
			t.Fatalf("the page holds %q", bad)
		}
	}
	if m := regexp.MustCompile(`(?i)\son[a-z]+\s*=`).FindString(page); m != "" {
		t.Fatalf("the page has an event handler attribute %q", m)
	}
	if r.header.Get("X-Frame-Options") != "DENY" || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers: %v", r.header)
	}
	if r := e.do(t, "HEAD", "/offline", nil); r.status != 200 || len(r.body) != 0 {
		t.Fatalf("HEAD: %d %q", r.status, r.body)
	}
}

// formBody is a multipart body and its content type.
type formBody struct{ body, ct string }

// form returns a multipart body with the file as "request"; extra are
// more fields, name then value.
func form(t testing.TB, file []byte, extra ...string) formBody {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(extra); i += 2 {
		mw.WriteField(extra[i], extra[i+1])
	}
	if file != nil {
		fw, err := mw.CreateFormFile("request", "licgate-request.json")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	mw.Close()
	return formBody{buf.String(), mw.FormDataContentType()}
}

func TestOfflineForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t, mem)
	l := e.license(t, license.NewLicense{Seats: 1})
	ok := form(t, requestFile(t, l.Key, "pc-1"))
	aid := checkLicenseFile(t, e, e.do(t, "POST", "/offline", ok.body, "Content-Type", ok.ct), "pc-1")
	if aid == "" {
		t.Fatal("no aid")
	}

	many := make([]string, 0, 20)
	for range 10 {
		many = append(many, "x", "y")
	}
	tests := []struct {
		name       string
		in         formBody
		hdr        []string
		wantStatus int
		wantText   string
	}{
		{"no file", form(t, nil), nil, 400, "Choose the request file first."},
		{"empty file", form(t, []byte{}), nil, 400, "Choose the request file first."},
		{"not JSON", form(t, []byte("<b>hello</b>")), nil, 400, "not the JSON"},
		{"wrong type", form(t, []byte(`{"format":"licgate-offline-request","version":1,"computerId":7}`)), nil, 400,
			"field &#34;computerId&#34; has the wrong type"},
		{"huge file", form(t, bytes.Repeat([]byte("x"), 70<<10)), nil, 413, "larger than 64 KiB"},
		{"too many fields", form(t, requestFile(t, l.Key, "pc-9"), many...), nil, 400, "more fields"},
		{"unknown key", form(t, requestFile(t, unknownKey(t), "pc-1")), nil, 404, "does not exist"},
		{"no seats", form(t, requestFile(t, l.Key, "pc-2")), nil, 409, "Every seat"},
		{"not multipart", formBody{"request=x", "application/x-www-form-urlencoded"}, nil, 415, "multipart/form-data"},
		{"cross-site origin", ok, []string{"Origin", "https://evil.example"}, 403, "only from this site"},
		{"cross-site fetch", ok, []string{"Sec-Fetch-Site", "cross-site"}, 403, "only from this site"},
		{"same-site fetch", ok, []string{"Sec-Fetch-Site", "same-site"}, 403, "only from this site"},
		{"same-origin fetch", ok, []string{"Sec-Fetch-Site", "same-origin"}, 200, ""},
		{"same origin", ok, []string{"Origin", e.srv.URL}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := e.do(t, "POST", "/offline", tt.in.body, append([]string{"Content-Type", tt.in.ct}, tt.hdr...)...)
			if r.status != tt.wantStatus {
				t.Fatalf("status: got %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			if tt.wantStatus == 200 {
				checkLicenseFile(t, e, r, "pc-1")
				return
			}
			page := string(r.body)
			if r.header.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(page, `role="alert"`) ||
				!strings.Contains(page, tt.wantText) || r.header.Get("Content-Security-Policy") == "" {
				t.Fatalf("error page: %v\n%s", r.header, page)
			}
			if strings.Contains(page, "<b>hello") || strings.Contains(page, l.Key) {
				t.Fatalf("the page echoes the file:\n%s", page)
			}
		})
	}
}

// FuzzOfflineRequest sends request files through the handler's body
// reading to license.ParseOfflineRequest and the service: every answer is
// a license file or a problem, never an internal error.
func FuzzOfflineRequest(f *testing.F) {
	e := newEnv(f, mem)
	l := e.license(f, license.NewLicense{Seats: 1000})
	valid := requestFile(f, l.Key, "pc-1")
	f.Add(valid)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"format":"licgate-offline-request","version":1,"key":"` + l.Key + `","computerId":"pc-2","createdAt":"2030-01-01T00:00:00Z"}`))
	f.Add(bytes.Replace(valid, []byte(`"version":1`), []byte(`"version":1e400`), 1))
	f.Add([]byte(`{"format":"licgate-offline-request","version":1,"key":null}`))
	f.Add([]byte("\xef\xbb\xbf{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := e.do(t, "POST", "/v1/offline", data)
		switch r.status {
		case http.StatusOK:
			if _, err := license.ParseOfflineLicense(r.body); err != nil {
				t.Fatalf("200 with a bad license file: %v", err)
			}
		case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge:
			r.problem(t)
		default:
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})
}
