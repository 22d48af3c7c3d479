package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/licgate/licgate/license"
)

// qlmCompatAnswer is what these tests read of a QLM answer, with the raw
// body.
type qlmCompatAnswer struct {
	Error        string `xml:"error"`
	Result       string `xml:"result"`
	ComputerKey  string `xml:"pckey"`
	ComputerID   string `xml:"computerID"`
	ComputerName string `xml:"computerName"`
	body         string
}

// qlmDo sends a request to licgate serve and decodes its QLM answer.
func qlmDo(t *testing.T, method, u, body string) qlmCompatAnswer {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/xml; charset=utf-8" {
		t.Fatalf("%s %s: %d %s: %s", method, u, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	var a qlmCompatAnswer
	if err := xml.Unmarshal(b, &a); err != nil {
		t.Fatalf("%s %s: %s: %v", method, u, b, err)
	}
	a.body = string(b)
	return a
}

// TestQLMCompatThroughServe runs the QLM quirks of real clients against
// licgate serve: the path in any case, arguments as ASP.NET reads them,
// error answers without <status>, ActivateKey behind the vendor
// credentials, and a client releasing its own seat within its budget.
func TestQLMCompatThroughServe(t *testing.T) {
	data := newData(t)
	cli(t, new(license.Product), "product", "add", "-data", data, "-id", "app", "-name", "App", "-major", "2")
	var l license.License
	cli(t, &l, "license", "add", "-data", data, "-product", "app", "-email", "ann@example.com", "-seats", "2")
	base := startServer(t, "-data", data, "-demo=false",
		"-qlm-vendor", "shop", "-qlm-user", "u", "-qlm-password", "pw", "-qlm-self-release", "1/720h")
	key := url.QueryEscape(l.Key)

	t.Run("path in any case", func(t *testing.T) {
		for _, p := range []string{
			"/qlm/qlmservice.asmx/PingHttp",
			"/qlm/QlmService.asmx/PingHttp",
			"/qlm/QLMSERVICE.ASMX/pinghttp",
			"/QLM/QlmService.asmx/PINGHTTP",
		} {
			if r := qlmDo(t, "GET", base+p, ""); r.Error != "" || !strings.Contains(r.Result, "Successfully connected") {
				t.Errorf("GET %s: %s", p, r.body)
			}
		}
		resp, err := http.Get(base + "/qlm/qlmservice.asmxx/PingHttp")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("a path that only starts like the service: %d, want 404", resp.StatusCode)
		}
	})

	var computerKey string
	t.Run("arguments as ASP.NET reads them", func(t *testing.T) {
		tests := []struct {
			name, path, query, body string
			wantComputer, wantName  string
		}{
			{"stray backtick and semicolon after is_computer_name", "/qlm/QlmService.asmx/ValidateLicenseHttp",
				"is_avkey=" + key + "&is_pcid=PC-1&is_computer_name=Ann`;&is_activate=false", "", "", ""},
			{"computer name with a semicolon and 100%PC", "/qlm/QLMSERVICE.ASMX/validatelicensehttp",
				"is_avkey=" + key + "&is_pcid=100%PC&is_computer_name=a;b&is_activate=false", "", "", ""},
			{"activation with the quirks", "/qlm/QlmService.asmx/ValidateLicenseHttp",
				"is_avkey=" + key + "&is_pcid=100%PC;1&is_computer_name=Ann`s+PC`;", "", "100%PC;1", "Ann`s PC`;"},
			{"names differing in case, query before form", "/qlm/qlmservice.asmx/ValidateLicenseHttp",
				"IS_PCID=100%PC;1", "is_avkey=" + key + "&is_pcid=X&is_activate=false", "", ""},
		}
		for _, tt := range tests {
			method := "GET"
			if tt.body != "" {
				method = "POST"
			}
			r := qlmDo(t, method, base+tt.path+"?"+tt.query, tt.body)
			if r.Error != "" || r.ComputerID != tt.wantComputer || r.ComputerName != tt.wantName {
				t.Errorf("%s: %s; want computer %q named %q", tt.name, r.body, tt.wantComputer, tt.wantName)
			}
			if r.ComputerKey != "" {
				computerKey = r.ComputerKey
			}
		}
		if computerKey == "" {
			t.Fatal("no activation")
		}
	})

	t.Run("error answers carry no status", func(t *testing.T) {
		for _, q := range []string{
			"ValidateLicenseHttp?is_avkey=nonsense&is_pcid=PC-1",
			"ValidateLicenseHttp?is_avkey=" + key + "&is_pcid=100%25PC;1&is_pckey=CWRONG",
			"ActivateKey?is_avkey=" + key + "&is_pcid=PC-2&is_vendor=shop&is_user=u&is_pwd=wrong",
		} {
			r := qlmDo(t, "GET", base+"/qlm/qlmservice.asmx/"+q, "")
			if r.Error == "" || strings.Contains(r.body, "<status>") {
				t.Errorf("%s: %s; want <error> alone", q, r.body)
			}
		}
	})

	t.Run("ActivateKey and self-release", func(t *testing.T) {
		r := qlmDo(t, "POST", base+"/qlm/QlmService.asmx/ActivateKey",
			"is_avkey="+key+"&is_pcid=PC-2&is_productid=app&is_majorversion=2&is_vendor=shop&is_user=u&is_pwd=pw")
		if r.Error != "" || r.ComputerKey == "" || r.ComputerID != "PC-2" {
			t.Fatalf("ActivateKey: %s", r.body)
		}
		ck2 := url.QueryEscape(r.ComputerKey)
		rel := base + "/qlm/qlmservice.asmx/ReleaseLicenseHttp?is_avkey=" + key
		if r := qlmDo(t, "GET", rel+"&is_pcid=PC-2&is_pckey="+url.QueryEscape(computerKey), ""); !strings.Contains(r.Error, "does not match") {
			t.Fatalf("release with another computer's key: %s", r.body)
		}
		if r := qlmDo(t, "GET", rel+"&is_pcid=PC-2&is_pckey="+ck2, ""); r.Error != "" || !strings.Contains(r.Result, "has been released") {
			t.Fatalf("self-release: %s", r.body)
		}
		if r := qlmDo(t, "GET", rel+"&is_pcid=100%25PC;1&is_pckey="+url.QueryEscape(computerKey), ""); !strings.Contains(r.Error, "too many times") {
			t.Fatalf("a second self-release within the period: %s", r.body)
		}
		// The vendor has no budget, and the freed seat can be taken again.
		if r := qlmDo(t, "GET", rel+"&is_pcid=100%25PC;1&is_vendor=shop&is_user=u&is_pwd=pw", ""); r.Error != "" {
			t.Fatalf("vendor release: %s", r.body)
		}
		for _, pc := range []string{"PC-2", "PC-3"} {
			if r := qlmDo(t, "GET", base+"/qlm/qlmservice.asmx/ValidateLicenseHttp?is_avkey="+key+"&is_pcid="+pc, ""); r.Error != "" || r.ComputerKey == "" {
				t.Fatalf("activation of %s after the releases: %s", pc, r.body)
			}
		}
	})
}

func TestQLMSelfReleaseFlag(t *testing.T) {
	for _, v := range []string{"3", "0/720h", "3/0", "x/720h", "3/30d", "2/30s"} {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), []string{"serve", "-addr", "127.0.0.1:0", "-data", t.TempDir(), "-qlm-self-release", v}, &out, &errOut)
		if code == 0 || !strings.Contains(errOut.String(), "qlm-self-release") {
			t.Errorf("-qlm-self-release %s: exit %d, stderr %q; want a usage error", v, code, errOut.String())
		}
	}
	var b releaseBudget
	if err := b.Set("3/720h"); err != nil || b.n != 3 || b.per.Hours() != 720 || b.String() != "3/720h0m0s" {
		t.Fatalf("3/720h parsed as %+v, %v", b, err)
	}
}

// TestEMSPollingFrequencyFlag: -ems-polling-frequency sets the header of
// activation/target.ws; a value out of range is refused before the port is
// bound.
func TestEMSPollingFrequencyFlag(t *testing.T) {
	base := startServer(t, "-data", newData(t), "-demo=false", "-ems-polling-frequency", "90")
	c2v := `<?xml version="1.0" encoding="UTF-8"?><hasp_info><haspscope><vendor id="37515"><hasp id="123456789" /></vendor></haspscope></hasp_info>`
	resp, err := http.Post(base+"/ems/v90/ws/activation/target.ws", "application/xml", strings.NewReader(c2v))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Values("polling-frequency"); resp.StatusCode != 200 || len(got) != 1 || got[0] != "90" {
		t.Fatalf("target.ws: %d, polling-frequency %q; want 200, 90", resp.StatusCode, got)
	}
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"serve", "-addr", "127.0.0.1:0", "-data", t.TempDir(), "-ems-polling-frequency", "-1"}, &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), "-ems-polling-frequency") {
		t.Fatalf("-ems-polling-frequency -1: exit %d, %q; want a usage error", code, errOut.String())
	}
}
