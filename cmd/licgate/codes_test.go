package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// sixDigits finds anything in a log that could be an authorization code.
var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// logCode matches the record of the log notifier.
var logCode = regexp.MustCompile(`msg="authorization code".* code=(\d{6})`)

// waitLogCode waits for the n-th code the log notifier writes.
func waitLogCode(t *testing.T, logs *syncBuffer, n int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := logCode.FindAllStringSubmatch(logs.String(), -1); len(m) >= n {
			return m[n-1][1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no code %d in the log:\n%s", n, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// codeData returns a data directory with the product "app" and a license
// for ann@example.com.
func codeData(t *testing.T) (string, license.License) {
	t.Helper()
	data := newData(t)
	cli(t, new(license.Product), "product", "add", "-data", data, "-id", "app", "-name", "App")
	var l license.License
	cli(t, &l, "license", "add", "-data", data, "-product", "app", "-email", "ann@example.com", "-seats", "5")
	return data, l
}

const requestAnn = "/qlm/qlmservice.asmx/RequestAuthorizationCodeForActivationHttp?is_email=ann%40example.com&is_productid=app&is_pcid="

// TestCodesNeverLoggedWithoutAsking runs a server outside demo mode with
// no way to send codes: it says so at start, refuses code requests, and
// writes no code to its log. -notify-log and demo mode are the two ways to
// have codes logged.
func TestCodesNeverLoggedWithoutAsking(t *testing.T) {
	data, _ := codeData(t)

	base, logs := startServerLogs(t, "-data", data, "-demo=false")
	if l := logs.String(); !strings.Contains(l, "will be refused") {
		t.Errorf("the start log does not say that code requests will be refused:\n%s", l)
	}
	r := get(t, base+requestAnn+"pc-1")
	if r.Error == "" || !strings.Contains(r.Error, "cannot be sent") {
		t.Errorf("code request without notifier: %+v; want the error of license.ErrNoChannel", r)
	}
	time.Sleep(300 * time.Millisecond) // any background delivery would have run
	if m := sixDigits.FindString(logs.String()); m != "" {
		t.Errorf("the log holds %q, which could be a code:\n%s", m, logs.String())
	}

	for _, args := range [][]string{{"-demo=false", "-notify-log"}, {"-demo=true"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			base, logs := startServerLogs(t, append([]string{"-data", data}, args...)...)
			if r := get(t, base+requestAnn+"pc-2"); r.Error != "" {
				t.Fatalf("code request: %s", r.Error)
			}
			code := waitLogCode(t, logs, 1)
			if a := get(t, base+"/qlm/qlmservice.asmx/ActivateKeyByAuthorizationCodeHttp?is_authcode="+code+"&is_pcid=pc-2&is_productid=app"); a.Error != "" {
				t.Fatalf("activation with the logged code: %s", a.Error)
			}
		})
	}
}

// TestNotifyLogAndSMTPExclusive checks that -notify-log and -smtp are not
// taken together.
func TestNotifyLogAndSMTPExclusive(t *testing.T) {
	var out, errOut strings.Builder
	if code := Run(t.Context(), []string{"serve", "-data", t.TempDir(), "-notify-log", "-smtp", "smtp://localhost:25"}, &out, &errOut); code != 2 {
		t.Fatalf("exit %d, stderr %q; want a usage error", code, errOut.String())
	}
}

// TestCodeLimitsSharedByServers runs two servers on one data directory
// and asks both, in turn, for codes for one email: together they accept no
// more than the per-email limit.
func TestCodeLimitsSharedByServers(t *testing.T) {
	data, _ := codeData(t)
	a := startServer(t, "-data", data, "-demo=false", "-notify-log")
	b := startServer(t, "-data", data, "-demo=false", "-notify-log")
	accepted := map[string]int{}
	for i := 0; i < 3*license.DefaultCodesPerEmail; i++ {
		base := []string{a, b}[i%2]
		r := get(t, base+requestAnn+fmt.Sprintf("pc-%d", i))
		switch {
		case r.Error == "":
			accepted[base]++
		case !strings.HasPrefix(r.Error, "Too many requests"):
			t.Fatalf("request %d: %q", i, r.Error)
		}
	}
	if n := accepted[a] + accepted[b]; n != license.DefaultCodesPerEmail || accepted[a] == 0 || accepted[b] == 0 {
		t.Fatalf("the two servers accepted %d and %d code requests for one email, want %d in all",
			accepted[a], accepted[b], license.DefaultCodesPerEmail)
	}
}

// TestWrongCodeBurst sends 200 wrong codes at once from one address: no
// more than the failure limit are compared, the rest are told to wait.
func TestWrongCodeBurst(t *testing.T) {
	const limit, burst = 60, 200
	data, _ := codeData(t)
	base, logs := startServerLogs(t, "-data", data, "-demo=false", "-notify-log", "-code-limit-failures", fmt.Sprint(limit))
	if r := get(t, base+requestAnn+"target"); r.Error != "" {
		t.Fatal(r.Error)
	}
	code := waitLogCode(t, logs, 1)
	wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
	u := base + "/qlm/qlmservice.asmx/ActivateKeyByAuthorizationCodeHttp?is_authcode=" + wrong + "&is_pcid=target&is_productid=app"

	var (
		wg               sync.WaitGroup
		mu               sync.Mutex
		invalid, limited int
		other            []string
		start            = make(chan struct{})
	)
	for i := 0; i < burst; i++ {
		wg.Go(func() {
			<-start
			r, err := fetchQLM(u)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				other = append(other, err.Error())
			case strings.HasPrefix(r.Error, "The authorization code is not valid"):
				invalid++
			case strings.HasPrefix(r.Error, "Too many requests"):
				limited++
			default:
				other = append(other, r.Error)
			}
		})
	}
	close(start)
	wg.Wait()
	if invalid > limit || invalid == 0 || invalid+limited != burst {
		t.Fatalf("%d concurrent wrong codes: %d compared (\"not valid\"), %d told to wait, others %q; want at most %d compared and the rest told to wait",
			burst, invalid, limited, other, limit)
	}
}

// fetchQLM is get for goroutines other than the test's: it returns its
// failures.
func fetchQLM(u string) (qlmAnswer, error) {
	resp, err := http.Get(u)
	if err != nil {
		return qlmAnswer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return qlmAnswer{}, err
	}
	var a qlmAnswer
	if resp.StatusCode != 200 {
		return a, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	if err := xml.Unmarshal(b, &a); err != nil {
		return a, fmt.Errorf("%s: %v", b, err)
	}
	return a, nil
}
