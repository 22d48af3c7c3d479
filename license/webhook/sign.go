package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
)

// Headers of a webhook message, as the Standard Webhooks specification
// names them.
const (
	// HeaderID carries the message ID: the event's ID, the same on every
	// retry, so that a receiver can drop duplicates.
	HeaderID = "webhook-id"
	// HeaderTimestamp carries the time of the attempt, in seconds since
	// the Unix epoch.
	HeaderTimestamp = "webhook-timestamp"
	// HeaderSignature carries the signatures, "v1," and the standard
	// base64 of an HMAC-SHA256, several separated by spaces.
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every signing secret: "whsec_" and the standard
// base64 of the key.
const SecretPrefix = "whsec_"

// DefaultTolerance is how far the webhook-timestamp of a message may be
// from now for [Verify] when it is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// NewSecret returns a new signing secret: [SecretPrefix] and the standard
// base64 of 32 random bytes. It is [license.NewWebhookSecret], which the
// service uses when it creates a webhook.
func NewSecret() (string, error) {
	return license.NewWebhookSecret()
}

// Sign returns the webhook-signature header of a message: "v1," and the
// standard base64 of the HMAC-SHA256 of "{id}.{unix seconds of ts}.{body}",
// keyed with the base64-decoded part of secret after [SecretPrefix] (the
// prefix may be left out). It returns [ErrBadSecret] for a malformed
// secret.
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	mac := sign(key, id, ts.Unix(), body)
	out := make([]byte, 0, 3+base64.StdEncoding.EncodedLen(len(mac)))
	out = append(out, "v1,"...)
	out = base64.StdEncoding.AppendEncode(out, mac)
	return string(out), nil
}

// Verify checks a message received from a webhook sender: that h carries
// [HeaderID], [HeaderTimestamp] and [HeaderSignature], that the timestamp
// is within tolerance of now (a tolerance of 0 or less means
// [DefaultTolerance]), and that one of the space-separated "v1,…"
// signatures matches body, compared in constant time. Signatures of other
// versions are ignored.
//
// It returns nil for an authentic message, else an error matching
// [ErrBadSecret], [ErrMissingHeader], [ErrBadTimestamp],
// [ErrOutsideTolerance] or [ErrBadSignature]. A receiver should also drop
// a message whose webhook-id it has already handled.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := decodeSecret(secret)
	if err != nil {
		return err
	}
	id, tsText := h.Get(HeaderID), h.Get(HeaderTimestamp)
	sigs := h.Values(HeaderSignature)
	if id == "" || tsText == "" || len(sigs) == 0 {
		return ErrMissingHeader
	}
	ts, ok := parseTimestamp(tsText)
	if !ok {
		return ErrBadTimestamp
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	t := time.Unix(ts, 0)
	if now.Sub(t) > tolerance || t.Sub(now) > tolerance {
		return fmt.Errorf("%w: sent at %s, now %s", ErrOutsideTolerance,
			t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	want := base64.StdEncoding.AppendEncode(nil, sign(key, id, ts, body))
	for _, v := range sigs {
		for _, s := range strings.Fields(v) {
			version, sig, ok := strings.Cut(s, ",")
			if ok && version == "v1" && hmac.Equal([]byte(sig), want) {
				return nil
			}
		}
	}
	return ErrBadSignature
}

// Payload returns the body of the message that carries e: the JSON object
// {"type": e.Type, "timestamp": e.At in RFC 3339 with nanoseconds in UTC,
// "data": e.Data}. It returns [ErrBadEvent] if e.Data is not JSON.
func Payload(e license.Event) ([]byte, error) {
	b, err := json.Marshal(payload{
		Type:      e.Type,
		Timestamp: e.At.UTC().Format(time.RFC3339Nano),
		Data:      e.Data,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: data is not JSON", ErrBadEvent, e.ID)
	}
	return b, nil
}

// payload is the body of a message, as the Standard Webhooks
// specification shapes it.
type payload struct {
	Type      string          `json:"type"`
	Timestamp string          `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// decodeSecret returns the key of a secret.
func decodeSecret(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("%w: want %q and the standard base64 of the key", ErrBadSecret, SecretPrefix)
	}
	return key, nil
}

// sign returns the HMAC-SHA256 of "{id}.{ts}.{body}" under key.
func sign(key []byte, id string, ts int64, body []byte) []byte {
	var buf [24]byte
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write(strconv.AppendInt(append(buf[:0], '.'), ts, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// parseTimestamp parses the value of a webhook-timestamp header: decimal
// digits only, no sign, short enough not to overflow.
func parseTimestamp(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
