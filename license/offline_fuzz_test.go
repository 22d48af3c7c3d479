package license_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// FuzzParseOfflineFiles feeds both offline file parsers anything: they
// either refuse it as invalid or return a file that passes their own
// checks and survives a round trip through JSON.
func FuzzParseOfflineFiles(f *testing.F) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	req, _ := license.NewOfflineRequest("A8BF2-MNA6V-0DZ0W-QA47K-MJES8-EKVC2", "pc", "PC", now)
	good, _ := json.Marshal(req)
	f.Add(good)
	f.Add([]byte(`{"format":"licgate-offline-license","version":1,"issuer":"licgate","token":"x","keys":{"keys":[]}}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := license.ParseOfflineRequest(data)
		switch {
		case err != nil && !errors.Is(err, license.ErrInvalid):
			t.Fatalf("request: an error that is not ErrInvalid: %v", err)
		case err == nil:
			if err := r.Validate(); err != nil {
				t.Fatalf("a parsed request does not validate: %v", err)
			}
			again, _ := json.Marshal(r)
			if _, err := license.ParseOfflineRequest(again); err != nil {
				t.Fatalf("a parsed request does not parse again: %v", err)
			}
		}
		l, err := license.ParseOfflineLicense(data)
		switch {
		case err != nil && !errors.Is(err, license.ErrInvalid):
			t.Fatalf("license: an error that is not ErrInvalid: %v", err)
		case err == nil:
			// Whatever the file says, it verifies only with a pinned key.
			if _, err := l.Verify("pc", now, "not-a-thumbprint"); err == nil {
				t.Fatal("a fuzzed license file verified")
			}
		}
	})
}

// FuzzAuthenticateAdmin tries anything as an admin token: only the token
// itself passes.
func FuzzAuthenticateAdmin(f *testing.F) {
	e := newEnv(f, license.WithCodeRateLimits(5, 20, 1_000_000, time.Hour))
	_, secret, err := e.svc.CreateAdminToken(context.Background(), "shop", license.ScopeAdmin)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(secret)
	f.Add("lgt_0123456789abcdef_" + secret[21:])
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		got, err := e.svc.AuthenticateAdmin(context.Background(), tok, "192.0.2.1")
		switch {
		case tok == secret && err != nil:
			t.Fatalf("the token itself: %v", err)
		case tok != secret && err == nil:
			t.Fatalf("%q passed as %s's token", tok, got.Name)
		case tok != secret && !errors.Is(err, license.ErrUnauthenticated):
			t.Fatalf("%q: %v", tok, err)
		}
	})
}
