package xmlmodel

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzEMSRoundTrip checks, for every EMS document type, that a document
// that parses is written back in a form that parses to the same value.
func FuzzEMSRoundTrip(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "ems", "*.xml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("<activation><activationInput><comments>a&#xD;&#xA;b\r\nc</comments><sendMail>0</sendMail></activationInput></activation>"))
	f.Add([]byte(`<EMSResponse><stat> ok </stat><redirectToUserReg>x</redirectToUserReg></EMSResponse>`))
	f.Add([]byte(`<authenticationDetail><password><![CDATA[ a"b ]]></password></authenticationDetail>`))

	kinds := []func() any{
		func() any { return new(Activation) },
		func() any { return new(ProductKey) },
		func() any { return new(EMSResponse) },
		func() any { return new(AuthenticationDetail) },
		func() any { return new(Customer) },
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, mk := range kinds {
			v1 := mk()
			if UnmarshalEMS(doc, v1) != nil {
				continue
			}
			out, err := MarshalEMS(v1, true)
			if err != nil {
				t.Fatalf("marshal %+v: %v", v1, err)
			}
			v2 := mk()
			if err := UnmarshalEMS(out, v2); err != nil {
				t.Fatalf("reparse %q (from %q): %v", out, doc, err)
			}
			switch a := v1.(type) {
			case *Activation:
				a.XMLName = xml.Name{}
				v2.(*Activation).XMLName = xml.Name{}
			case *Customer:
				a.XMLName = xml.Name{}
				v2.(*Customer).XMLName = xml.Name{}
			}
			if !reflect.DeepEqual(v1, v2) {
				t.Fatalf("round trip changed the value\n in: %q\nout: %q\n v1: %+v\n v2: %+v", doc, out, v1, v2)
			}
		}
	})
}
