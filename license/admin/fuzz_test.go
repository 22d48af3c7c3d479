package admin

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// FuzzDecodeBody feeds request bodies to the decoder of each body type: it
// never panics, and what it accepts survives a round trip through the
// type's own JSON.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"seats":2,"expiresAt":null,"features":["a","b"],"status":"suspended"}`,
		`{"expiresAt":"2030-01-02T03:04:05.123+02:00","properties":[{"category":"c","name":"n","value":"1","type":"int"}]}`,
		`{"productId":"app","email":"ann@example.com","seats":3,"expiresAt":"2031-01-01T00:00:00Z"}`,
		`{"id":"app","name":"App","major":1,"minor":2,"signatureAlgorithm":"rsa-sha256"}`,
		`{"url":"https://example.com/hook"}`,
		`{"seats":2,"seats":3}`, `[]`, `null`, `{"a":1}`, `{} {}`, "{\"name\":\"\xff\"}",
	} {
		for kind := range uint8(4) {
			f.Add(kind, []byte(s))
		}
	}
	types := []reflect.Type{
		reflect.TypeFor[LicensePatch](), reflect.TypeFor[NewLicense](),
		reflect.TypeFor[NewProduct](), reflect.TypeFor[NewWebhook](),
	}
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		typ := types[int(kind)%len(types)]
		v := reflect.New(typ).Interface()
		if err := decodeJSON(body, v); err != nil {
			if _, ok := err.(*Problem); !ok {
				t.Fatalf("got %T %v, want a *Problem", err, err)
			}
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("accepted %q but cannot marshal it: %v", body, err)
		}
		again := reflect.New(typ).Interface()
		if err := json.Unmarshal(out, again); err != nil {
			t.Fatalf("cannot read back %s: %v", out, err)
		}
		out2, _ := json.Marshal(again)
		if !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed %s into %s", out, out2)
		}
	})
}

// FuzzDecodeCursor: no panic; an accepted cursor encodes back to the same
// position.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(cursorLicenses, license.Cursor{At: time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC), ID: "0190a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b"}))
	f.Add(encodeCursor(cursorEvents, license.Cursor{At: time.Now(), ID: "x"}))
	f.Add("")
	f.Add("bHwyMDMwLTAxLTAxVDAwOjAwOjAwWnw")
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(cursorLicenses, s)
		if err != nil {
			return
		}
		if s == "" {
			if !c.IsZero() {
				t.Fatal("the empty cursor is not the start")
			}
			return
		}
		back, err := decodeCursor(cursorLicenses, encodeCursor(cursorLicenses, c))
		if err != nil || !back.At.Equal(c.At) || back.ID != c.ID {
			t.Fatalf("round trip of %q: got %+v, %v; want %+v", s, back, err, c)
		}
		if _, err := decodeCursor(cursorEvents, s); err == nil {
			t.Fatal("a cursor of licenses passed as one of events")
		}
	})
}

// FuzzDecodeQuery: no panic; accepted filters stay within their limits
// and survive the client's encoding.
func FuzzDecodeQuery(f *testing.F) {
	for _, s := range []string{
		"product=app&email=a%40b.c&status=active&limit=50&cursor=abc",
		"since=2030-01-01T00:00:00Z&target=license/x&limit=1",
		"limit=-1", "limit=501", "limit=1&limit=2", "status=released", "since=yesterday", "limit=%ff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		var lf LicenseFilter
		if err := decodeQuery(q, &lf); err == nil {
			if lf.Limit < 0 || lf.Limit > MaxLimit || len(lf.Email) > 254 {
				t.Fatalf("accepted %+v", lf)
			}
			var back LicenseFilter
			if err := decodeQuery(encodeQuery(lf), &back); err != nil || back != lf {
				t.Fatalf("round trip of %+v: got %+v, %v", lf, back, err)
			}
		}
		var af AuditFilter
		if err := decodeQuery(q, &af); err == nil {
			var back AuditFilter
			if err := decodeQuery(encodeQuery(af), &back); err != nil || !back.Since.Equal(af.Since) || back.Target != af.Target || back.PageQuery != af.PageQuery {
				t.Fatalf("round trip of %+v: got %+v, %v", af, back, err)
			}
		}
	})
}

// FuzzHeaders feeds the bearer and Idempotency-Key parsers.
func FuzzHeaders(f *testing.F) {
	f.Add("Bearer lgt_0123456789abcdef_AAAA")
	f.Add("bearer  x ")
	f.Add("Basic abc")
	f.Add("Bearer a b")
	f.Add("key-1")
	f.Fuzz(func(t *testing.T, v string) {
		if tok, ok := bearer([]string{v}); ok && (tok == "" || len(tok) > maxToken || bytes.ContainsAny([]byte(tok), " \t")) {
			t.Fatalf("bearer(%q) = %q", v, tok)
		}
		if key, err := checkIdempotencyKey([]string{v}); err == nil && (key != v || len(key) > maxIdempotencyKey) {
			t.Fatalf("checkIdempotencyKey(%q) = %q", v, key)
		}
	})
}
