package qlm_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/qlm"
)

// TestQuirksThroughHandler sends what real clients send, which ASP.NET
// accepts: none of it may fail the request.
func TestQuirksThroughHandler(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l, err := f.svc.CreateLicense(context.Background(), license.NewLicense{ProductID: "2", Seats: 10, Customer: license.Customer{Email: "q@x.io"}})
	if err != nil {
		t.Fatal(err)
	}
	key := url.QueryEscape(l.Key)
	tests := []struct {
		name, query                    string
		wantComputer, wantComputerName string
	}{
		{"stray backtick and semicolon after is_computer_name", "is_avkey=" + key + "&is_pcid=Q1&is_computer_name=Tom`;", "Q1", "Tom`;"},
		{"stray segment", "is_avkey=" + key + "&is_pcid=Q2&is_computer_name=Tom&`;", "Q2", "Tom"},
		{"computer ID with a semicolon", "is_avkey=" + key + "&is_pcid=PC;3&is_computer_name=a;b", "PC;3", "a;b"},
		{"100%PC", "is_avkey=" + key + "&is_pcid=100%PC&is_computer_name=%zz", "100%PC", "%zz"},
		{"plus is a space", "is_avkey=" + key + "&is_pcid=Q4&is_computer_name=Tom+s+PC", "Q4", "Tom s PC"},
		{"%u escapes", "is_avkey=" + key + "&is_pcid=%u00e9t%u00e9", "été", ""},
		{"names differing in case", "is_avkey=" + key + "&IS_PCID=D1&is_pcid=D2&Is_Computer_Name=N", "D1,D2", "N"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var first string
			for range 3 { // the same answer every time
				r := f.call(t, "ValidateLicenseHttp", tt.query)
				if r.Error != "" || r.ComputerID != tt.wantComputer || r.ComputerName != tt.wantComputerName {
					t.Fatalf("%+v; want computer %q named %q", r, tt.wantComputer, tt.wantComputerName)
				}
				if first == "" {
					first = r.ComputerKey
				} else if r.ComputerKey != first {
					t.Fatal("the same request activated another computer")
				}
			}
		})
	}
}

// TestErrorAnswersHaveNoStatus: QLM's error envelope is <error> alone.
func TestErrorAnswersHaveNoStatus(t *testing.T) {
	t.Parallel()
	f := newFixture(t, qlm.WithRelease("v", "u", "p"), qlm.WithActivateKey("v", "u", "p"), qlm.WithSelfRelease(1, time.Hour))
	key := url.QueryEscape(f.lic.Key)
	f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=A")
	f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=B")
	for _, q := range []string{
		"ValidateLicenseHttp?is_avkey=nonsense&is_pcid=A",
		"ValidateLicenseHttp?is_avkey=" + key + "&is_pcid=C",
		"ValidateLicenseHttp?is_avkey=" + key + "&is_pcid=A&is_productid=9",
		"ValidateLicenseHttp?is_avkey=" + key + "&is_pcid=A&is_majorversion=7",
		"ValidateLicenseHttp?is_avkey=" + key + "&is_pcid=A&is_pckey=JUNK",
		"ReleaseLicenseHttp?is_avkey=" + key + "&is_pcid=C&is_pckey=JUNK",
		"ActivateKey?is_avkey=" + key + "&is_pcid=C&is_vendor=v&is_user=u&is_pwd=p",
		"ActivateKeyByAuthorizationCodeHttp?is_authcode=123456&is_pcid=A",
		"NoSuchMethod",
	} {
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/q/"+q, nil))
		body := w.Body.String()
		if !strings.HasPrefix(body, "<?xml version='1.0' encoding='UTF-8'?><QuickLicenseManager><error>") ||
			!strings.HasSuffix(body, "</error></QuickLicenseManager>") || strings.Contains(body, "<status>") {
			t.Errorf("%s answered %s; want <error> alone", q, body)
		}
	}
}

func TestActivateKey(t *testing.T) {
	t.Parallel()
	key := func(f *fixture) string { return url.QueryEscape(f.lic.Key) }
	tests := []struct {
		name    string
		opts    []qlm.Option
		query   func(f *fixture) string
		wantErr string // empty: activates
	}{
		{"disabled by default", nil,
			func(f *fixture) string { return "is_avkey=" + key(f) + "&is_pcid=A&is_vendor=v&is_user=u&is_pwd=p" }, "disabled"},
		{"activates", []qlm.Option{qlm.WithActivateKey("v", "u", "p")},
			func(f *fixture) string {
				return "is_avkey=" + key(f) + "&is_pcid=A&is_productid=2&is_majorversion=1&is_minorversion=0&is_vendor=v&is_user=u&is_pwd=p&is_email=x%40y.z&is_computer_name=Shop"
			}, ""},
		{"credentials in any case of name", []qlm.Option{qlm.WithActivateKey("v", "u", "p")},
			func(f *fixture) string { return "IS_AVKEY=" + key(f) + "&Is_PcId=A&IS_VENDOR=v&IS_USER=u&IS_PWD=p" }, ""},
		{"wrong password", []qlm.Option{qlm.WithActivateKey("v", "u", "p")},
			func(f *fixture) string { return "is_avkey=" + key(f) + "&is_pcid=A&is_vendor=v&is_user=u&is_pwd=x" }, "Authentication failed"},
		{"no credentials", []qlm.Option{qlm.WithActivateKey("v", "u", "p")},
			func(f *fixture) string { return "is_avkey=" + key(f) + "&is_pcid=A" }, "Authentication failed"},
		{"release credentials are not ActivateKey's", []qlm.Option{qlm.WithRelease("v", "u", "p"), qlm.WithActivateKey("v2", "u2", "p2")},
			func(f *fixture) string { return "is_avkey=" + key(f) + "&is_pcid=A&is_vendor=v&is_user=u&is_pwd=p" }, "Authentication failed"},
		{"unknown key", []qlm.Option{qlm.WithActivateKey("v", "u", "p")},
			func(f *fixture) string { return "is_avkey=AAAA&is_pcid=A&is_vendor=v&is_user=u&is_pwd=p" }, "not valid"},
		{"wrong product", []qlm.Option{qlm.WithActivateKey("v", "u", "p")},
			func(f *fixture) string {
				return "is_avkey=" + key(f) + "&is_pcid=A&is_productid=9&is_vendor=v&is_user=u&is_pwd=p"
			}, "product"},
		{"missing computer", []qlm.Option{qlm.WithActivateKey("v", "u", "p")},
			func(f *fixture) string { return "is_avkey=" + key(f) + "&is_vendor=v&is_user=u&is_pwd=p" }, "is_pcid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tt.opts...)
			r := f.call(t, "ActivateKey", tt.query(f))
			switch {
			case tt.wantErr != "" && !strings.Contains(r.Error, tt.wantErr):
				t.Fatalf("error %q, want it to mention %q", r.Error, tt.wantErr)
			case tt.wantErr == "" && (r.Error != "" || r.ComputerKey == "" || r.ComputerID != "A" || r.ActivationKey != f.lic.Key || r.Status == nil || *r.Status != qlm.StatusPermanent):
				t.Fatalf("activation: %+v", r)
			case tt.wantErr == "":
				// The customer's program then validates with the computer key.
				v := f.call(t, "ValidateLicenseHttp", "is_avkey="+key(f)+"&is_pcid=A&is_pckey="+url.QueryEscape(r.ComputerKey))
				if v.Error != "" || v.ComputerKey != r.ComputerKey {
					t.Fatalf("validation after ActivateKey: %+v", v)
				}
			}
		})
	}
}

func TestSelfRelease(t *testing.T) {
	t.Parallel()
	type step struct {
		query   string // %K is the activation key, %A and %B the computer keys of A and B
		wantErr string // empty: released
	}
	tests := []struct {
		name  string
		opts  []qlm.Option
		steps []step
	}{
		{"off by default", nil, []step{
			{"is_avkey=%K&is_pcid=A&is_pckey=%A", "disabled"},
		}},
		{"releases its own seat", []qlm.Option{qlm.WithSelfRelease(3, 720*time.Hour)}, []step{
			{"is_avkey=%K&is_pcid=A&is_pckey=%A", ""},
			{"is_avkey=%K&is_pcid=A&is_pckey=%A", "released"},
		}},
		{"wrong computer key", []qlm.Option{qlm.WithSelfRelease(3, 720*time.Hour)}, []step{
			{"is_avkey=%K&is_pcid=A&is_pckey=%B", "does not match"},
			{"is_avkey=%K&is_pcid=A&is_pckey=CNOTAKEY", "does not match"},
			{"is_avkey=%K&is_pcid=B&is_pckey=%A", "does not match"},
		}},
		{"computer key required", []qlm.Option{qlm.WithSelfRelease(3, 720*time.Hour)}, []step{
			{"is_avkey=%K&is_pcid=A", "is_pckey"},
		}},
		{"unknown activation key", []qlm.Option{qlm.WithSelfRelease(3, 720*time.Hour)}, []step{
			{"is_avkey=AAAA&is_pcid=A&is_pckey=%A", "not valid"},
		}},
		{"limit per license exceeded", []qlm.Option{qlm.WithSelfRelease(1, 720*time.Hour)}, []step{
			{"is_avkey=%K&is_pcid=A&is_pckey=%A", ""},
			{"is_avkey=%K&is_pcid=B&is_pckey=%B", "too many times"},
		}},
		{"a failed release costs no budget", []qlm.Option{qlm.WithSelfRelease(1, 720*time.Hour)}, []step{
			{"is_avkey=%K&is_pcid=A&is_pckey=%B", "does not match"},
			{"is_avkey=%K&is_pcid=A&is_pckey=%A", ""},
		}},
		{"vendor credentials are a vendor release", []qlm.Option{qlm.WithRelease("v", "u", "p"), qlm.WithSelfRelease(1, 720*time.Hour)}, []step{
			{"is_avkey=%K&is_pcid=A&is_vendor=v&is_user=u&is_pwd=p", ""},
			{"is_avkey=%K&is_pcid=B&is_pckey=%B", ""},
		}},
		{"wrong vendor credentials are not a self-release", []qlm.Option{qlm.WithRelease("v", "u", "p"), qlm.WithSelfRelease(1, 720*time.Hour)}, []step{
			{"is_avkey=%K&is_pcid=A&is_pckey=%A&is_vendor=v&is_user=u&is_pwd=x", "Authentication failed"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tt.opts...)
			key := url.QueryEscape(f.lic.Key)
			a := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=A")
			b := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=B")
			if a.ComputerKey == "" || b.ComputerKey == "" {
				t.Fatalf("activations: %+v %+v", a, b)
			}
			for i, s := range tt.steps {
				q := strings.NewReplacer("%K", key, "%A", url.QueryEscape(a.ComputerKey), "%B", url.QueryEscape(b.ComputerKey)).Replace(s.query)
				r := f.call(t, "ReleaseLicenseHttp", q)
				switch {
				case s.wantErr == "" && (r.Error != "" || r.Result != "ActivationKey "+f.lic.Key+" has been released."):
					t.Fatalf("step %d: %+v, want a release", i, r)
				case s.wantErr != "" && !strings.Contains(r.Error, s.wantErr):
					t.Fatalf("step %d: error %q, want it to mention %q", i, r.Error, s.wantErr)
				}
			}
		})
	}
}

// TestSelfReleasedSeatTakenAgain: a seat a client released is free for
// another computer, and the released computer can come back with a new
// computer key; the budget refills over its period.
func TestSelfReleasedSeatTakenAgain(t *testing.T) {
	t.Parallel()
	f := newFixture(t, qlm.WithSelfRelease(1, 24*time.Hour))
	key := url.QueryEscape(f.lic.Key)
	a := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=A")
	b := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=B")
	if c := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=C"); c.Error == "" {
		t.Fatal("a third computer activated a two-seat license")
	}
	if r := f.call(t, "ReleaseLicenseHttp", "is_avkey="+key+"&is_pcid=A&is_pckey="+url.QueryEscape(a.ComputerKey)); r.Error != "" {
		t.Fatal(r.Error)
	}
	if c := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=C"); c.Error != "" {
		t.Fatalf("the released seat was not freed: %s", c.Error)
	}
	if v := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=A&is_pckey="+url.QueryEscape(a.ComputerKey)); v.Error == "" {
		t.Fatal("the released computer key still validates")
	}
	// C leaves; A comes back with a new computer key.
	c := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=C")
	if r := f.call(t, "ReleaseLicenseHttp", "is_avkey="+key+"&is_pcid=C&is_pckey="+url.QueryEscape(c.ComputerKey)); !strings.Contains(r.Error, "too many") {
		t.Fatalf("second release within a day: %+v", r)
	}
	*f.now = f.now.Add(25 * time.Hour)
	if r := f.call(t, "ReleaseLicenseHttp", "is_avkey="+key+"&is_pcid=C&is_pckey="+url.QueryEscape(c.ComputerKey)); r.Error != "" {
		t.Fatalf("release after the budget refilled: %s", r.Error)
	}
	a2 := f.call(t, "ValidateLicenseHttp", "is_avkey="+key+"&is_pcid=A")
	if a2.Error != "" || a2.ComputerKey == "" || a2.ComputerKey == a.ComputerKey {
		t.Fatalf("A again: %+v", a2)
	}
	_ = b
}

func TestOptionsRefuseBadValues(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for name, o := range map[string]qlm.Option{
		"self-release limit 0":      qlm.WithSelfRelease(0, time.Hour),
		"self-release period 0":     qlm.WithSelfRelease(1, 0),
		"ActivateKey empty user":    qlm.WithActivateKey("v", "", "p"),
		"ActivateKey empty vendor":  qlm.WithActivateKey("", "u", "p"),
		"release empty password":    qlm.WithRelease("v", "u", ""),
		"self-release negative per": qlm.WithSelfRelease(3, -time.Hour),
	} {
		if _, err := qlm.NewHandler(f.svc, o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
