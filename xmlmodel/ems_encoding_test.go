package xmlmodel

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// utf16Bytes returns s in UTF-16 of the byte order, with a byte order mark
// if bom is set.
func utf16Bytes(s string, bigEndian, bom bool) []byte {
	var out []byte
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	for _, u := range units {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

func TestDecodeEMSText(t *testing.T) {
	t.Parallel()
	const body = "<a>Jürgen €</a>"
	latin1 := append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><a>J`), 0xFC, 'r', 'g', 'e', 'n', '<', '/', 'a', '>')
	tests := []struct {
		name    string
		in      []byte
		want    string
		wantErr error
	}{
		{"UTF-8, no declaration", []byte(body), body, nil},
		{"UTF-8 declared", []byte(`<?xml version="1.0" encoding="UTF-8"?>` + body), `<?xml version="1.0" encoding="UTF-8"?>` + body, nil},
		{"UTF-8 declared utf-16 (.NET StringWriter)", []byte(`<?xml version="1.0" encoding="utf-16"?>` + body), `<?xml version="1.0" encoding="utf-16"?>` + body, nil},
		{"UTF-8 declared UTF-16 in single quotes", []byte(`<?xml version='1.0' encoding = 'UTF-16' ?>` + body), `<?xml version='1.0' encoding = 'UTF-16' ?>` + body, nil},
		{"UTF-8 BOM, declared utf-16", append([]byte{0xEF, 0xBB, 0xBF}, `<?xml version="1.0" encoding="utf-16"?>`+body...), `<?xml version="1.0" encoding="utf-16"?>` + body, nil},
		{"UTF-8 BOM, declared ISO-8859-1", append([]byte{0xEF, 0xBB, 0xBF}, `<?xml version="1.0" encoding="ISO-8859-1"?>`+body...), `<?xml version="1.0" encoding="ISO-8859-1"?>` + body, nil},
		{"UTF-8 BOM, declared EBCDIC", append([]byte{0xEF, 0xBB, 0xBF}, `<?xml version="1.0" encoding="EBCDIC"?>`+body...), `<?xml version="1.0" encoding="EBCDIC"?>` + body, nil},
		{"UTF-16LE with BOM", utf16Bytes(`<?xml version="1.0" encoding="utf-16"?>`+body, false, true), `<?xml version="1.0" encoding="utf-16"?>` + body, nil},
		{"UTF-16BE with BOM", utf16Bytes(`<?xml version="1.0" encoding="utf-16"?>`+body, true, true), `<?xml version="1.0" encoding="utf-16"?>` + body, nil},
		{"UTF-16LE with BOM declared UTF-8", utf16Bytes(`<?xml version="1.0" encoding="UTF-8"?>`+body, false, true), `<?xml version="1.0" encoding="UTF-8"?>` + body, nil},
		{"UTF-16LE without BOM", utf16Bytes(`<?xml version="1.0"?>`+body, false, false), `<?xml version="1.0"?>` + body, nil},
		{"UTF-16BE without BOM", utf16Bytes(body, true, false), body, nil},
		{"UTF-16 surrogate pair", utf16Bytes("<a>𝄞</a>", false, true), "<a>𝄞</a>", nil},
		{"UTF-16 odd length", append(utf16Bytes(body, false, true), '>'), "", ErrEMSCharset},
		{"UTF-16 and a NUL byte", append(utf16Bytes(body, false, true), 0), body, nil},
		{"UTF-16 and a NUL character", append(utf16Bytes(body, true, true), 0, 0), body, nil},
		{"UTF-8 and a NUL byte (WinINet sample)", []byte(body + "\x00"), body, nil},
		{"ISO-8859-1", latin1, `<?xml version="1.0" encoding="ISO-8859-1"?><a>Jürgen</a>`, nil},
		{"unknown encoding", []byte(`<?xml version="1.0" encoding="EBCDIC"?><a/>`), "", ErrEMSCharset},
		{"declaration without encoding", []byte(`<?xml version="1.0"?><a/>`), `<?xml version="1.0"?><a/>`, nil},
		{"empty", nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeEMSText(tt.in)
			if !errors.Is(err, tt.wantErr) || err == nil && got != tt.want {
				t.Errorf("got %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestUnmarshalEMS_encodings reads the documents real clients send in the
// encodings Windows clients give them: every form yields the same value.
func TestUnmarshalEMS_encodings(t *testing.T) {
	t.Parallel()
	const (
		login      = `<authenticationDetail><userName>Jürgen</userName><password>pässwörd</password></authenticationDetail>`
		activation = `<activation><activationInput><activationAttribute><attributeValue><![CDATA[<hasp_info><hasp id="1"/></hasp_info>]]></attributeValue><attributeName>C2V</attributeName></activationAttribute><comments>Grüße</comments></activationInput></activation>`
	)
	forms := func(body string) map[string][]byte {
		return map[string][]byte{
			"plain":                   []byte(body),
			"declared UTF-8":          []byte(`<?xml version="1.0" encoding="UTF-8"?>` + body),
			"declared utf-16":         []byte("<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n" + body),
			"BOM, declared utf-16":    append([]byte{0xEF, 0xBB, 0xBF}, "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n"+body...),
			"UTF-16LE, BOM":           utf16Bytes(`<?xml version="1.0" encoding="utf-16"?>`+body, false, true),
			"UTF-16BE, BOM":           utf16Bytes(`<?xml version="1.0" encoding="utf-16"?>`+body, true, true),
			"UTF-16LE, no BOM or dec": utf16Bytes(body, false, false),
		}
	}
	for name, doc := range forms(login) {
		var got AuthenticationDetail
		if err := UnmarshalEMS(doc, &got); err != nil || got.UserName != "Jürgen" || got.Password != "pässwörd" {
			t.Errorf("login, %s: got %+v, %v", name, got, err)
		}
	}
	for name, doc := range forms(activation) {
		var got Activation
		err := UnmarshalEMS(doc, &got)
		if a, ok := got.Input.Attribute(AttrC2V); err != nil || !ok || a.Value != `<hasp_info><hasp id="1"/></hasp_info>` || got.Input.Comments != "Grüße" {
			t.Errorf("activation, %s: got %+v, %v", name, got, err)
		}
	}
	// A document declared utf-16 whose bytes are not UTF-8 is refused, not
	// guessed at.
	if err := UnmarshalEMS(append([]byte(`<?xml version="1.0" encoding="utf-16"?><a>`), 0xFC, '<', '/', 'a', '>'), new(AuthenticationDetail)); err == nil {
		t.Error("Latin-1 bytes declared utf-16 were accepted")
	}
}

// FuzzDecodeEMSText: whatever the bytes, decoding does not panic; a UTF-8
// text without NUL reads the same with a UTF-8 BOM, in UTF-16 of either
// byte order with a BOM, and declared utf-16, and a document parses to the
// same value in all of those forms.
func FuzzDecodeEMSText(f *testing.F) {
	f.Add([]byte(`<authenticationDetail><userName>a</userName></authenticationDetail>`))
	f.Add([]byte(`<activation><activationInput><comments>é</comments></activationInput></activation>`))
	f.Add([]byte("<a>\xff</a>"))
	f.Add(utf16Bytes(`<?xml version="1.0"?><a/>`, false, false))
	f.Add([]byte(`<?xml version="1.0" encoding="latin1"?><a/>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := DecodeEMSText(in)
		if err == nil && utf8.Valid(in) && !bytes.HasPrefix(in, bomUTF8) && declaredEncoding(in) == "" &&
			!bytes.ContainsRune(in, 0) && got != string(in) {
			t.Fatalf("UTF-8 text changed: %q to %q", in, got)
		}
		s := string(in)
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || strings.HasPrefix(s, "\uFEFF") || declaredEncoding(in) != "" {
			return
		}
		decl := "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n"
		forms := [][]byte{
			append(append([]byte(nil), bomUTF8...), in...),
			utf16Bytes(s, false, true),
			utf16Bytes(s, true, true),
			[]byte(decl + s),
			utf16Bytes(decl+s, false, true),
		}
		for i, doc := range forms {
			out, err := DecodeEMSText(doc)
			if err != nil {
				t.Fatalf("form %d of %q: %v", i, s, err)
			}
			if out = strings.TrimPrefix(out, decl); out != s {
				t.Fatalf("form %d of %q: got %q", i, s, out)
			}
		}
		var want Activation
		wantErr := UnmarshalEMS(in, &want)
		for i, doc := range forms {
			var got Activation
			err := UnmarshalEMS(doc, &got)
			if (err == nil) != (wantErr == nil) || err == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("form %d of %q: got %+v, %v; want %+v, %v", i, s, got, err, want, wantErr)
			}
		}
	})
}

func TestCustomer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want Customer
	}{
		{"customer_request_c.xml", Customer{Type: "ind", Enabled: "true",
			DefaultContact: Contact{EmailID: "jane@example.com", FirstName: "Jane", LastName: "Doe"}}},
		{"customer_request_dotnet.xml", Customer{Type: "ind", Enabled: "true",
			DefaultContact: Contact{EmailID: "jürgen@example.com", FirstName: "Jürgen", LastName: "Müller"}}},
		{"customer_response.xml", Customer{ID: "5", Type: "ind", Name: "Parag Mahajan", Enabled: "true",
			DefaultContact: Contact{EmailID: "pmahajan@miain.com", FirstName: "Parag", LastName: "Mahajan"}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			var got Customer
			if err := UnmarshalEMS(readEMS(t, tt.file), &got); err != nil {
				t.Fatal(err)
			}
			got.XMLName = tt.want.XMLName
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}

	b, err := MarshalEMS(Customer{ID: "5", Type: "ind", Name: `A "&" B`, Enabled: "true",
		DefaultContact: Contact{EmailID: "a@example.com", FirstName: "A", LastName: "B"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	const want = EMSDeclaration + "\n<customer><id>5</id><type>ind</type><name>A &quot;&amp;&quot; B</name><enabled>true</enabled>" +
		"<defaultContact><emailId>a@example.com</emailId><firstName>A</firstName><lastName>B</lastName></defaultContact></customer>"
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	if d := diffTree("", parseTree(t, b), parseTree(t, readEMS(t, "customer_response.xml"))); !strings.Contains(d, "text") {
		t.Errorf("the answer differs from the sample in more than texts: %s", d)
	}
	if err := UnmarshalEMS([]byte(`<productKey/>`), new(Customer)); err == nil {
		t.Error("a <productKey> read as a <customer>")
	}
	if got := (Contact{FirstName: "Jean", LastName: "Luc Picard"}).FullName(); got != "Jean Luc Picard" {
		t.Errorf("FullName %q", got)
	}
}
