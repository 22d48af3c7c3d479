package xmlmodel

import (
	"bytes"
	"encoding/xml"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestQLMGoldenValidateLicense reads the ValidateLicenseHttp sample of QLM's
// documentation (testdata/qlm/validatelicense.xml) into QLMLicense.
func TestQLMGoldenValidateLicense(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/qlm/validatelicense.xml")
	if err != nil {
		t.Fatal(err)
	}
	var got QLMLicense
	if err := xml.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"creationDateUtc", time.Time(got.CreationDateUTC), time.Date(2023, 10, 29, 13, 14, 26, 0, time.UTC)},
		{"pckey", got.ComputerKey, "JNR9020800G7HJKM8P9Q211E4WAYSITSNYDGB5X"},
		{"computerID", got.ComputerID, "PC-638266749553925187"},
		{"userEmail", got.UserEmail, "Tom-638266749553925187@soraco.co"},
		{"productID", got.ProductID, "2"},
		{"majorVersion", got.MajorVersion, 1},
		{"licenseModel", got.LicenseModel, "subscription"},
		{"status", got.Status, 4},
		{"features", got.Features, "0:7;"},
		{"duration", got.Duration, -1},
		{"numActivationsAllowed", got.NumActivationsAllowed, 1},
		{"expiryDate", time.Time(got.ExpiryDate), time.Date(2024, 9, 2, 23, 59, 0, 0, time.UTC)},
		{"activationKey", got.ActivationKey, "FNR9020700G7HJKM8P9Q211JSEUB6ZKJAPHBQEP"},
		{"computerType", got.ComputerType, "PC"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestQLMLicenseElementOrder checks that QLMLicense writes the documented
// element set in the documented order, with <activationToken> after <pckey>.
func TestQLMLicenseElementOrder(t *testing.T) {
	t.Parallel()
	golden, _ := os.ReadFile("testdata/qlm/validatelicense.xml")
	want := elementNames(t, golden)
	// The sample's signature is not ours; the token is.
	want = want[:indexOf(want, "Signature")]
	want = append(want[:2], append([]string{"activationToken"}, want[2:]...)...)

	b, err := MarshalQLM(QLMLicense{ComputerKey: "C"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := elementNames(t, b); !reflect.DeepEqual(got, want) {
		t.Fatalf("elements:\n got %v\nwant %v", got, want)
	}
}

func elementNames(t *testing.T, doc []byte) []string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var names []string
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if depth == 1 {
				names = append(names, e.Name.Local)
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return names
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return len(s)
}

func TestMarshalQLM(t *testing.T) {
	t.Parallel()
	b, err := MarshalQLM(QLMResult{Error: `bad <input> & "quotes"`}, false)
	if err != nil {
		t.Fatal(err)
	}
	const want = `<?xml version='1.0' encoding='UTF-8'?><QuickLicenseManager><error>bad &lt;input&gt; &amp; &#34;quotes&#34;</error></QuickLicenseManager>`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	bom, _ := MarshalQLM(QLMResult{Result: "ok"}, true)
	if !bytes.HasPrefix(bom, []byte("\xEF\xBB\xBF<?xml")) {
		t.Fatalf("BOM missing: %q", bom[:8])
	}
	b, _ = MarshalQLM(QLMResult{Error: "The license has been revoked."}, false)
	if strings.Contains(string(b), "<status>") {
		t.Fatalf("an error answer carries a status: %s", b)
	}
}

func TestQLMTimes(t *testing.T) {
	t.Parallel()
	var zero QLMMinute
	if b, _ := zero.MarshalText(); string(b) != "0001-01-01 00:00" {
		t.Fatalf("zero QLMMinute = %q, want QLM's no-date", b)
	}
	var back QLMMinute
	if err := back.UnmarshalText([]byte("0001-01-01 00:00")); err != nil || !time.Time(back).IsZero() {
		t.Fatalf("QLM's no-date reads as %v, %v; want the zero time", time.Time(back), err)
	}
	var zt QLMTime
	if b, _ := zt.MarshalText(); string(b) != "0001-01-01 00:00:00" {
		t.Fatalf("zero QLMTime = %q", b)
	}
	for _, in := range []string{"2024-09-02 23:59", "2024-09-02 23:59:00", " 2024-09-02 23:59 "} {
		var m QLMMinute
		if err := m.UnmarshalText([]byte(in)); err != nil || !time.Time(m).Equal(time.Date(2024, 9, 2, 23, 59, 0, 0, time.UTC)) {
			t.Errorf("UnmarshalText(%q) = %v, %v", in, time.Time(m), err)
		}
	}
	var bad QLMTime
	if err := bad.UnmarshalText([]byte("9/2/2024")); err == nil {
		t.Error("UnmarshalText(9/2/2024) succeeded")
	}
}

// FuzzQLMRoundTrip unmarshals arbitrary input as a QLMLicense; whatever
// parses must marshal and parse back to the same value.
func FuzzQLMRoundTrip(f *testing.F) {
	golden, _ := os.ReadFile("testdata/qlm/validatelicense.xml")
	f.Add(golden)
	f.Add([]byte(`<QuickLicenseManager><error>x</error></QuickLicenseManager>`))
	f.Add([]byte(`<QuickLicenseManager><expiryDate></expiryDate><status>-1</status></QuickLicenseManager>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var a QLMLicense
		if xml.Unmarshal(data, &a) != nil {
			return
		}
		b, err := MarshalQLM(a, false)
		if err != nil {
			t.Fatalf("marshal %+v: %v", a, err)
		}
		var back QLMLicense
		if err := xml.Unmarshal(b, &back); err != nil {
			t.Fatalf("our own output %s does not parse: %v", b, err)
		}
		b2, _ := MarshalQLM(back, false)
		if !bytes.Equal(b, b2) {
			t.Fatalf("round trip differs:\n%s\n%s", b, b2)
		}
	})
}
