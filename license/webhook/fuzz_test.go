package webhook_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/licgate/licgate/license/webhook"
)

// FuzzVerify checks that Verify never panics on any header, accepts a
// message only when a "v1," token carries its exact signature, and
// fails only with its documented errors.
func FuzzVerify(f *testing.F) {
	f.Add(vectorID, "1614265330", vectorSignature, []byte(vectorBody))
	f.Add(vectorID, "1614265330", "v1,Zm9v "+vectorSignature+" v2,eA==", []byte(vectorBody))
	f.Add(vectorID, "1614265330", "  v1,  ,v1 v1,,", []byte(vectorBody))
	f.Add("", "", "", []byte(nil))
	f.Add("x", "+1614265330", "v1", []byte("{}"))
	f.Add("x", "-1", "v1,=", []byte("{}"))
	f.Add("x", "99999999999999999999", "v1,"+strings.Repeat("A", 44), []byte("{}"))
	f.Add("a.b", "00001614265330", "\tv1,abc\n", []byte("\x00\xff"))

	now := time.Unix(vectorTimestamp, 0)
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h[http.CanonicalHeaderKey(webhook.HeaderID)] = []string{id}
		h[http.CanonicalHeaderKey(webhook.HeaderTimestamp)] = []string{ts}
		h[http.CanonicalHeaderKey(webhook.HeaderSignature)] = []string{sig}
		err := webhook.Verify(vectorSecret, h, body, now, 100*365*24*time.Hour)
		switch {
		case err == nil:
			want, serr := webhook.Sign(vectorSecret, id, unix(ts), body)
			if serr != nil || !hasToken(sig, want) {
				t.Fatalf("verified a message not signed so: id %q ts %q sig %q", id, ts, sig)
			}
		case errors.Is(err, webhook.ErrMissingHeader), errors.Is(err, webhook.ErrBadTimestamp),
			errors.Is(err, webhook.ErrOutsideTolerance), errors.Is(err, webhook.ErrBadSignature):
		default:
			t.Fatalf("undocumented error %v", err)
		}
	})
}

// unix parses a timestamp that Verify accepted.
func unix(ts string) time.Time {
	var n int64
	for _, c := range ts {
		n = n*10 + int64(c-'0')
	}
	return time.Unix(n, 0)
}

// hasToken reports whether a webhook-signature value holds tok.
func hasToken(header, tok string) bool {
	for _, f := range strings.Fields(header) {
		if f == tok {
			return true
		}
	}
	return false
}
