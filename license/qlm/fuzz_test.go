package qlm

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
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

// FuzzReadArgs checks readArgs against aspnetParams, a literal port of how
// ASP.NET fills Request.Params from a query string and an urlencoded body:
// it never fails a request that ASP.NET accepts and that is within
// licgate's documented limits, and every QLM argument reads as ASP.NET
// reads it.
func FuzzReadArgs(f *testing.F) {
	f.Add("is_email=a%40b.c&IS_PCID=x", "is_pcid=y&is_avkey=z", "application/x-www-form-urlencoded")
	f.Add("a=%zz", "", "")
	f.Add("is_computer_name=PC%201`;&is_pcid=100%PC;x", "", "")
	f.Add("is_pcid=%u00e9%uD83D%uDE00%uD83D&is_avkey=%F0%9F", "Is_PcId=%u12&is_pcid", "text/plain")
	f.Add("is_pcid=a+b&&=&is_pcid=&%3D=%3D", "is_pp=x.y::1||x.z::2", "")
	f.Add("", "--b\r\nContent-Disposition: form-data; name=\"is_pcid\"\r\n\r\nq\r\n--b--\r\n", "multipart/form-data; boundary=b")
	f.Fuzz(func(t *testing.T, query, body, ctype string) {
		const maxBody = 64 << 10
		r := httptest.NewRequest(http.MethodPost, "/q/PingHttp", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", ctype)
		a, err := readArgs(httptest.NewRecorder(), r, maxBody)
		if strings.Contains(strings.ToLower(ctype), "multipart") {
			return // not modelled; it must only not panic
		}
		want, accepted := aspnetParams(query, body)
		overLimit := len(query) > maxQueryLen || len(body) > maxBody || !accepted
		for name, v := range want {
			limit := maxArgLen
			if name == "IS_PP" {
				limit = maxPPLen
			}
			overLimit = overLimit || strings.HasPrefix(name, "IS_") && len(v) > limit
		}
		if err != nil {
			if !overLimit {
				t.Fatalf("query %q body %q: %v; ASP.NET accepts it", query, body, err)
			}
			return
		}
		for _, n := range qlmNames {
			got, ok := a[n]
			w, wok := want[strings.ToUpper(n)]
			if ok != wok || got != w {
				t.Fatalf("query %q body %q: %s = %q (%v), ASP.NET reads %q (%v)", query, body, n, got, ok, w, wok)
			}
		}
		for k := range a {
			if !slices.Contains(qlmNames, k) && want[strings.ToUpper(k)] != a[k] {
				t.Fatalf("argument %q = %q, ASP.NET reads %q", k, a[k], want[strings.ToUpper(k)])
			}
		}
	})
}

// qlmNames are the arguments the handler reads.
var qlmNames = []string{
	"is_email", "is_pcid", "is_pckey", "is_avkey", "is_authcode", "is_productid", "is_majorversion",
	"is_minorversion", "is_minorverson", "is_computer_name", "is_activate", "is_writebom", "is_pp",
	"is_vendor", "is_user", "is_pwd",
}

// aspnetParams returns what Request.Params[name] yields for every name of
// the query string and the body, by the upper-case form of the name, and
// whether ASP.NET accepts them (at most 1000 distinct names in each). It
// follows System.Web's code step by step: HttpValueCollection
// .FillFromEncodedBytes, HttpEncoder.UrlDecode(byte[], …, Encoding) with
// its UrlDecoder helper, Utf16StringValidator, NameValueCollection with
// StringComparer.OrdinalIgnoreCase and its comma-joined Get.
func aspnetParams(query, body string) (map[string]string, bool) {
	values := map[string][]string{}
	for _, s := range []string{query, body} {
		keys := map[string]bool{}
		bs := []byte(s)
		for i := 0; i < len(bs); i++ {
			if len(keys) >= 1000 {
				return nil, false
			}
			si, ti := i, -1
			for ; i < len(bs); i++ {
				if bs[i] == '=' && ti < 0 {
					ti = i
				} else if bs[i] == '&' {
					break
				}
			}
			if ti < 0 {
				keys["\x00null"] = true
				continue
			}
			name := strings.ToUpper(dotnetURLDecode(bs[si:ti]))
			keys[name] = true
			values[name] = append(values[name], dotnetURLDecode(bs[ti+1:i]))
			if i == len(bs)-1 && bs[i] == '&' {
				keys["\x00null"] = true
			}
		}
	}
	out := map[string]string{}
	for k, vs := range values {
		out[k] = strings.Join(vs, ",")
	}
	return out, true
}

// dotnetURLDecode is HttpEncoder.UrlDecode(byte[], int, int, Encoding)
// with UTF-8, on UTF-16 code units as .NET keeps strings.
func dotnetURLDecode(b []byte) string {
	var chars []uint16
	var pending []byte
	flushBytes := func() {
		for _, r := range string(pending) { // invalid bytes read as U+FFFD
			chars = utf16.AppendRune(chars, r)
		}
		pending = pending[:0]
	}
	hex := func(c byte) int {
		if v, err := strconv.ParseUint(string(c), 16, 8); err == nil {
			return int(v)
		}
		return -1
	}
	count := len(b)
	for i := 0; i < count; i++ {
		c := b[i]
		if c == '+' {
			c = ' '
		} else if c == '%' && i < count-2 {
			if b[i+1] == 'u' && i < count-5 {
				h1, h2, h3, h4 := hex(b[i+2]), hex(b[i+3]), hex(b[i+4]), hex(b[i+5])
				if h1 >= 0 && h2 >= 0 && h3 >= 0 && h4 >= 0 {
					flushBytes()
					chars = append(chars, uint16(h1<<12|h2<<8|h3<<4|h4))
					i += 5
					continue
				}
			} else {
				h1, h2 := hex(b[i+1]), hex(b[i+2])
				if h1 >= 0 && h2 >= 0 {
					c = byte(h1<<4 | h2)
					i += 2
				}
			}
		}
		pending = append(pending, c)
	}
	flushBytes()
	return string(utf16.Decode(chars)) // lone surrogates become U+FFFD
}
