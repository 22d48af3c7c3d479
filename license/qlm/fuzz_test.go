package qlm

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{
		"quality.module_qa::abc::2017-12-31||quality.module_control::true||quality.module_validation::76",
		"a.b::+5", "a.b::-3::2020-01-01 10:00:00", "", "||", "a::b", "a.b::c::d::e", "a.b::\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := ParseProperties(s)
		if err != nil {
			return
		}
		for _, c := range cs {
			if err := c.Validate(); err != nil {
				t.Fatalf("ParseProperties(%q) returned an invalid change %+v: %v", s, c, err)
			}
		}
	})
}

func FuzzReadArgs(f *testing.F) {
	f.Add("is_email=a%40b.c&IS_PCID=x", "is_pcid=y&is_avkey=z", "application/x-www-form-urlencoded")
	f.Add("a=%zz", "", "")
	f.Add("", "--b\r\nContent-Disposition: form-data; name=\"is_pcid\"\r\n\r\nq\r\n--b--\r\n", "multipart/form-data; boundary=b")
	f.Fuzz(func(t *testing.T, query, body, ctype string) {
		r := httptest.NewRequest(http.MethodPost, "/q/PingHttp", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", ctype)
		a, err := readArgs(httptest.NewRecorder(), r, 64<<10)
		if err != nil {
			return
		}
		if len(a) > maxArgs {
			t.Fatalf("%d arguments, limit %d", len(a), maxArgs)
		}
		for k, v := range a {
			if k != strings.ToLower(k) {
				t.Fatalf("argument name %q not folded", k)
			}
			if len(v) > maxPPLen {
				t.Fatalf("argument %s has %d bytes", k, len(v))
			}
		}
	})
}
