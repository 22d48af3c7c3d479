package rest_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/licgate/licgate/license"
)

// chromium returns the path of a Chromium or Chrome binary. Without one
// the test is skipped, unless the environment variable CI is set: CI
// installs Debian's chromium package, so there its absence is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium, chromium-browser or google-chrome in PATH; install Debian's chromium package")
	}
	t.Skip("no chromium, chromium-browser or google-chrome in PATH")
	return ""
}

// The /offline page in a real browser: a person chooses a request file,
// submits, and the browser saves the license file; a bad file gets the
// page back with the error.
func TestOfflinePageInBrowser(t *testing.T) {
	t.Parallel()
	exe := chromium(t)
	e := newEnv(t, mem)
	l := e.license(t, license.NewLicense{Seats: 1})
	dir := t.TempDir()
	good := filepath.Join(dir, "request.json")
	bad := filepath.Join(dir, "bad.json")
	downloads := filepath.Join(dir, "downloads")
	if err := os.WriteFile(good, requestFile(t, l.Key, "pc-browser"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("<script>document.title='pwned'</script>"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(downloads, 0o700); err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The browser lives as long as the context of its first action, which
	// must have no deadline: stop it all if the test hangs.
	watchdog := time.AfterFunc(2*time.Minute, cancel)
	defer watchdog.Stop()

	progress := chromedp.Events(ctx, browser.DownloadProgress)
	err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			yes := true
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior:      browser.SetDownloadBehaviorBehaviorAllowAndName,
				DownloadPath:  downloads,
				EventsEnabled: &yes,
			})
			return err
		}),
		chromedp.Navigate(e.srv.URL+"/offline"),
		chromedp.WaitVisible(chromedp.CSS("#request")),
		chromedp.SetUploadFiles(chromedp.CSS("#request"), []string{good}),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	var saved string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("the download was canceled")
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			saved = filepath.Join(downloads, ev.GUID)
			break
		}
	}
	data, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	verifyLicenseFile(t, e, data, "pc-browser")

	// The page is accessible: its label names the file input.
	label, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("request").labels[0].textContent`))
	if err != nil || label != "Request file" {
		t.Fatalf("label: %q, %v", label, err)
	}

	// A bad file: the page again, with the error.
	err = chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+"/offline"),
		chromedp.WaitVisible(chromedp.CSS("#request")),
		chromedp.SetUploadFiles(chromedp.CSS("#request"), []string{bad}),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#error-message")),
	)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#error-message")))
	if err != nil || !strings.Contains(msg, "is not the JSON") {
		t.Fatalf("error message: %q, %v", msg, err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil || title != "Error: Offline activation" {
		t.Fatalf("title: %q, %v", title, err)
	}
	// The style sheet applied: the Content-Security-Policy allows it by
	// its hash.
	color, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.getElementById("error")).borderTopColor`))
	if err != nil || color != "rgb(176, 0, 32)" {
		t.Fatalf("style of the error: %q, %v", color, err)
	}
}
