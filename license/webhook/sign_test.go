package webhook_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/webhook"
)

// The test vector of the Standard Webhooks and Svix libraries.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignVector(t *testing.T) {
	t.Parallel()
	got, err := webhook.Sign(vectorSecret, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != vectorSignature {
		t.Errorf("got %s, want %s", got, vectorSignature)
	}
	// The prefix is optional, as in the reference libraries.
	bare, err := webhook.Sign(strings.TrimPrefix(vectorSecret, webhook.SecretPrefix), vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody))
	if err != nil || bare != vectorSignature {
		t.Errorf("without prefix: got %s, %v, want %s", bare, err, vectorSignature)
	}
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	a, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two secrets are equal")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_"))
	if !strings.HasPrefix(a, "whsec_") || err != nil || len(key) != 32 {
		t.Errorf("got %q (%d bytes, %v), want whsec_ and base64 of 32 bytes", a, len(key), err)
	}
}

func TestSignBadSecret(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"", "whsec_", "whsec_!!!", "whsec_abc"} {
		_, err := webhook.Sign(secret, "id", time.Unix(1, 0), nil)
		if !errors.Is(err, webhook.ErrBadSecret) {
			t.Errorf("Sign(%q): got %v, want %v", secret, err, webhook.ErrBadSecret)
		}
		if err != nil && len(secret) > len(webhook.SecretPrefix) && strings.Contains(err.Error(), secret) {
			t.Errorf("Sign(%q): the error quotes the secret: %v", secret, err)
		}
	}
}

// signed returns the headers and body of a message signed at ts.
func signed(t *testing.T, secret string, ts time.Time) (http.Header, []byte) {
	t.Helper()
	body := []byte(`{"type":"license.created","timestamp":"2026-01-02T03:04:05.000000006Z","data":{"id":"x"}}`)
	sig, err := webhook.Sign(secret, "evt_1", ts, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(webhook.HeaderID, "evt_1")
	h.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(webhook.HeaderSignature, sig)
	return h, body
}

func TestVerify(t *testing.T) {
	t.Parallel()
	secret, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	other, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name      string
		secret    string
		change    func(h http.Header, body []byte) []byte
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{name: "valid", now: ts},
		{name: "valid at the edge of the tolerance", now: ts.Add(time.Minute), tolerance: time.Minute},
		{name: "valid early at the edge of the tolerance", now: ts.Add(-time.Minute), tolerance: time.Minute},
		{name: "zero tolerance is the default", now: ts.Add(webhook.DefaultTolerance)},
		{name: "beyond the default tolerance", now: ts.Add(webhook.DefaultTolerance + time.Second), want: webhook.ErrOutsideTolerance},
		{name: "too old", now: ts.Add(61 * time.Second), tolerance: time.Minute, want: webhook.ErrOutsideTolerance},
		{name: "too new", now: ts.Add(-61 * time.Second), tolerance: time.Minute, want: webhook.ErrOutsideTolerance},
		{name: "wrong secret", secret: other, now: ts, want: webhook.ErrBadSignature},
		{name: "bad secret", secret: "whsec_%%%", now: ts, want: webhook.ErrBadSecret},
		{name: "tampered body", now: ts, want: webhook.ErrBadSignature, change: func(_ http.Header, b []byte) []byte {
			return append(b[:len(b)-1:len(b)-1], ' ', '}')
		}},
		{name: "tampered ID", now: ts, want: webhook.ErrBadSignature, change: func(h http.Header, b []byte) []byte {
			h.Set(webhook.HeaderID, "evt_2")
			return b
		}},
		{name: "tampered timestamp", now: ts, want: webhook.ErrBadSignature, change: func(h http.Header, b []byte) []byte {
			h.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts.Unix()+1, 10))
			return b
		}},
		{name: "tampered signature", now: ts, want: webhook.ErrBadSignature, change: func(h http.Header, b []byte) []byte {
			s := []byte(h.Get(webhook.HeaderSignature))
			s[5] ^= 1
			h.Set(webhook.HeaderSignature, string(s))
			return b
		}},
		{name: "one of several signatures", now: ts, change: func(h http.Header, b []byte) []byte {
			h.Set(webhook.HeaderSignature, "v1,Zm9v v2,"+h.Get(webhook.HeaderSignature)[3:]+" "+h.Get(webhook.HeaderSignature)+" v1a,eA==")
			return b
		}},
		{name: "right signature, other version", now: ts, want: webhook.ErrBadSignature, change: func(h http.Header, b []byte) []byte {
			h.Set(webhook.HeaderSignature, "v2,"+h.Get(webhook.HeaderSignature)[3:])
			return b
		}},
		{name: "signature without version", now: ts, want: webhook.ErrBadSignature, change: func(h http.Header, b []byte) []byte {
			h.Set(webhook.HeaderSignature, h.Get(webhook.HeaderSignature)[3:])
			return b
		}},
		{name: "no ID", now: ts, want: webhook.ErrMissingHeader, change: func(h http.Header, b []byte) []byte {
			h.Del(webhook.HeaderID)
			return b
		}},
		{name: "no timestamp", now: ts, want: webhook.ErrMissingHeader, change: func(h http.Header, b []byte) []byte {
			h.Del(webhook.HeaderTimestamp)
			return b
		}},
		{name: "no signature", now: ts, want: webhook.ErrMissingHeader, change: func(h http.Header, b []byte) []byte {
			h.Del(webhook.HeaderSignature)
			return b
		}},
		{name: "signed timestamp", now: ts, want: webhook.ErrBadTimestamp, change: func(h http.Header, b []byte) []byte {
			h.Set(webhook.HeaderTimestamp, "+"+h.Get(webhook.HeaderTimestamp))
			return b
		}},
		{name: "negative timestamp", now: ts, want: webhook.ErrBadTimestamp, change: func(h http.Header, b []byte) []byte {
			h.Set(webhook.HeaderTimestamp, "-1")
			return b
		}},
		{name: "fractional timestamp", now: ts, want: webhook.ErrBadTimestamp, change: func(h http.Header, b []byte) []byte {
			h.Set(webhook.HeaderTimestamp, h.Get(webhook.HeaderTimestamp)+".5")
			return b
		}},
		{name: "huge timestamp", now: ts, want: webhook.ErrBadTimestamp, change: func(h http.Header, b []byte) []byte {
			h.Set(webhook.HeaderTimestamp, "99999999999999999999999")
			return b
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, body := signed(t, secret, ts)
			if tt.change != nil {
				body = tt.change(h, body)
			}
			key := secret
			if tt.secret != "" {
				key = tt.secret
			}
			err := webhook.Verify(key, h, body, tt.now, tt.tolerance)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// TestInterop proves that an independent Standard Webhooks library accepts
// what Sign makes, and that Verify accepts what it makes.
func TestInterop(t *testing.T) {
	t.Parallel()
	secret, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	e := license.Event{
		ID:   "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		At:   now.Add(-time.Second),
		Type: license.EventActivationCreated,
		Data: []byte(`{"aid":"a","note":"caf\u00e9 <&>"}`),
	}
	body, err := webhook.Payload(e)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("ours verified by theirs", func(t *testing.T) {
		t.Parallel()
		sig, err := webhook.Sign(secret, e.ID, now, body)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set(standardwebhooks.HeaderWebhookID, e.ID)
		h.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
		h.Set(standardwebhooks.HeaderWebhookSignature, sig)
		if err := theirs.Verify(body, h); err != nil {
			t.Errorf("got %v, want nil", err)
		}
		body2 := append([]byte(nil), body...)
		body2[len(body2)-2] ^= 1
		if err := theirs.Verify(body2, h); err == nil {
			t.Error("a tampered body verified")
		}
	})
	t.Run("theirs verified by ours", func(t *testing.T) {
		t.Parallel()
		sig, err := theirs.Sign(e.ID, now, body)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set(webhook.HeaderID, e.ID)
		h.Set(webhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		h.Set(webhook.HeaderSignature, sig)
		if err := webhook.Verify(secret, h, body, now, 0); err != nil {
			t.Errorf("got %v, want nil", err)
		}
	})
	t.Run("same vector", func(t *testing.T) {
		t.Parallel()
		wh, err := standardwebhooks.NewWebhook(vectorSecret)
		if err != nil {
			t.Fatal(err)
		}
		got, err := wh.Sign(vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody))
		if err != nil || got != vectorSignature {
			t.Errorf("theirs: got %s, %v, want %s", got, err, vectorSignature)
		}
	})
}

func TestPayload(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 4, 5, 6, 7, 8, time.FixedZone("CET", 3600))
	e := license.Event{ID: "e", At: at, Type: license.EventLicenseCreated, Data: []byte(` {"id": "l1", "seats": 2} `)}
	got, err := webhook.Payload(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"license.created","timestamp":"2026-03-04T04:06:07.000000008Z","data":{"id":"l1","seats":2}}`
	if string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}

	e.Data = nil
	if got, err := webhook.Payload(e); err != nil || !strings.HasSuffix(string(got), `"data":null}`) {
		t.Errorf("nil data: got %s, %v, want data null", got, err)
	}
	e.Data = []byte(`{"id":`)
	if _, err := webhook.Payload(e); !errors.Is(err, webhook.ErrBadEvent) {
		t.Errorf("bad data: got %v, want %v", err, webhook.ErrBadEvent)
	}
}
