package qlm

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestURLDecode pins HttpUtility.UrlDecode's behaviour, case by case, as
// System.Web's HttpEncoder.UrlDecode(byte[], …, Encoding) implements it.
func TestURLDecode(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a+b", "a b"},
		{"a%2Bb", "a+b"},
		{"100%PC", "100%PC"},           // not an escape: kept
		{"%zz", "%zz"},                 // not an escape: kept
		{"50%", "50%"},                 // '%' at the end
		{"%4", "%4"},                   // too short
		{"%41", "A"},                   // an escape at the very end
		{"%u00e9t%u00E9", "été"},       // %uXXXX, in either hex case
		{"%U00e9", "%U00e9"},           // only a lower-case u starts one
		{"%u00", "%u00"},               // too short for %uXXXX, and u is not hex
		{"%u00zz", "%u00zz"},           // not hex
		{"%uD83D%uDE00", "\U0001F600"}, // a surrogate pair
		{"%uD83Dx", "\uFFFDx"},         // a lone surrogate
		{"%C3%A9", "é"},                // UTF-8 bytes
		{"%FF", "\uFFFD"},              // not UTF-8
		{"%C3%u00e9", "\uFFFDé"},       // a broken sequence before a %u
		{"\xff", "\uFFFD"},             // raw bytes that are not UTF-8
		{"`;", "`;"},
		{"a;b", "a;b"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := urlDecode(tt.in); got != tt.want {
			t.Errorf("urlDecode(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := dotnetURLDecode([]byte(tt.in)); got != tt.want {
			t.Errorf("the reference decodes %q as %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestReadArgsQuirks: what real clients send that a strict parser refuses.
func TestReadArgsQuirks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, query, body string
		want              map[string]string
	}{
		{"stray backtick and semicolon after is_computer_name",
			"is_avkey=K&is_pcid=PC-1&is_computer_name=Tom`;", "",
			map[string]string{"is_avkey": "K", "is_pcid": "PC-1", "is_computer_name": "Tom`;"}},
		{"a stray segment without a name",
			"is_pcid=PC-1&`;&is_avkey=K", "",
			map[string]string{"is_pcid": "PC-1", "is_avkey": "K"}},
		{"semicolons never split",
			"is_pcid=PC;1;is_avkey=K", "",
			map[string]string{"is_pcid": "PC;1;is_avkey=K"}},
		{"an invalid escape is kept",
			"is_pcid=100%PC&is_computer_name=%zz", "",
			map[string]string{"is_pcid": "100%PC", "is_computer_name": "%zz"}},
		{"names differ in case: joined in order",
			"is_pcid=A&IS_PCID=B&Is_PcId=C", "",
			map[string]string{"is_pcid": "A,B,C"}},
		{"query before form",
			"IS_PCID=Q", "is_pcid=F1&is_PCID=F2",
			map[string]string{"is_pcid": "Q,F1,F2"}},
		{"empty values count",
			"is_pcid=&is_pcid=A", "",
			map[string]string{"is_pcid": ",A"}},
		{"the first '=' splits",
			"is_pcid==a=b", "",
			map[string]string{"is_pcid": "=a=b"}},
		{"escaped names",
			"is%5Fpcid=A&%69s_avkey=K", "",
			map[string]string{"is_pcid": "A", "is_avkey": "K"}},
		{"a dotless i upper-cases to I",
			"\u0131s_pcid=A", "",
			map[string]string{"is_pcid": "A"}},
		{"a Kelvin sign is not K",
			"is_pc\u212aey=A", "",
			map[string]string{}},
		{"not UTF-8",
			"is_pcid=%FF%FEx", "",
			map[string]string{"is_pcid": "\uFFFD\uFFFDx"}},
		{"other names are not kept",
			"a=1&_=1700000000&is_pcid=A", "",
			map[string]string{"is_pcid": "A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/q/PingHttp", strings.NewReader(tt.body))
			r.URL.RawQuery = tt.query
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			a, err := readArgs(httptest.NewRecorder(), r, 64<<10)
			if err != nil {
				t.Fatalf("readArgs: %v", err)
			}
			if len(a) != len(tt.want) {
				t.Fatalf("got %q, want %q", a, tt.want)
			}
			for k, v := range tt.want {
				if a[k] != v {
					t.Fatalf("%s = %q, want %q (all: %q)", k, a[k], v, a)
				}
			}
		})
	}
}

func TestReadArgsMultipartInOrder(t *testing.T) {
	t.Parallel()
	body := "--b\r\nContent-Disposition: form-data; name=\"IS_PCID\"\r\n\r\nM1\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.txt\"\r\n\r\nignored\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"is_pcid\"\r\n\r\nM2\r\n--b--\r\n"
	r := httptest.NewRequest(http.MethodPost, "/q/PingHttp?is_pcid=Q", strings.NewReader(body))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	a, err := readArgs(httptest.NewRecorder(), r, 64<<10)
	if err != nil || a["is_pcid"] != "Q,M1,M2" || len(a) != 1 {
		t.Fatalf("got %q, %v; want is_pcid Q,M1,M2", a, err)
	}
}

func BenchmarkReadArgs(b *testing.B) {
	r := httptest.NewRequest(http.MethodGet, "/q/ValidateLicenseHttp?is_avkey=A2B4-C6D8-E0F2-G4H6&is_pcid=PC-1&is_pckey=C2B4C6D8E0F2G4H6&is_productid=2&is_majorversion=1&is_minorversion=0", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := readArgs(w, r, 64<<10); err != nil {
			b.Fatal(err)
		}
	}
}
