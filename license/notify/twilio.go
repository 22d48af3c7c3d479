package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/licgate/licgate/license"
)

// maxResponse caps how much of an SMS API response is read.
const maxResponse = 64 << 10

// Twilio is a [license.Notifier] that texts authorization codes through
// Twilio's Messages API, or any API compatible with it. It is safe for
// concurrent use. Create one with [NewTwilio].
type Twilio struct {
	endpoint   string // the Messages.json URL, without credentials
	sid, token string
	from       string
	client     *http.Client
}

var _ license.Notifier = (*Twilio)(nil)

// TwilioOption configures a [Twilio] notifier.
type TwilioOption func(*twilioConfig) error

type twilioConfig struct {
	client *http.Client
}

// WithHTTPClient sets the HTTP client that calls the API, for its
// transport, proxy or timeout. Its redirect policy is used as it is. A nil
// client yields [ErrBadOption]. Default: a client with a 15-second timeout
// that does not follow redirects (a redirect is reported as an [*APIError]).
func WithHTTPClient(c *http.Client) TwilioOption {
	return func(cfg *twilioConfig) error {
		if c == nil {
			return fmt.Errorf("%w: nil HTTP client", ErrBadOption)
		}
		cfg.client = c
		return nil
	}
}

// NewTwilio returns a notifier that sends SMS from the number from through
// the API at baseURL, whose user information is the account SID and the
// auth token: "https://ACxxxxxxxx:token@api.twilio.com". Each message is a
// POST to {baseURL}/2010-04-01/Accounts/{SID}/Messages.json with HTTP Basic
// authentication; baseURL may carry a path prefix. baseURL must be https,
// except that http is accepted for a loopback host ("localhost" or a
// loopback IP), as in tests.
//
// from is the sender: a phone number (spaces, '-', '(', ')' and '.' are
// removed, so "+1 (500) 555-0006" is sent as "+15005550006") or an
// alphanumeric sender ID of up to 11 letters, digits and spaces.
//
// NewTwilio returns [ErrBadURL] for a malformed URL or missing credentials,
// [ErrBadAddress] for a malformed from, and the error of a failing option.
// Its errors never quote the auth token.
func NewTwilio(baseURL, from string, opts ...TwilioOption) (*Twilio, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("%w: not a URL", ErrBadURL)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
	default:
		return nil, fmt.Errorf("%w: scheme must be https (http only to a loopback host)", ErrBadURL)
	}
	if u.Opaque != "" || !validHost(u.Hostname()) || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("%w: want https://SID:token@host[/prefix] with no query", ErrBadURL)
	}
	if u.User == nil {
		return nil, fmt.Errorf("%w: no account SID and auth token", ErrBadURL)
	}
	sid := u.User.Username()
	token, _ := u.User.Password()
	if !validSID(sid) || token == "" {
		return nil, fmt.Errorf("%w: account SID must be letters and digits, and the auth token non-empty", ErrBadURL)
	}
	sender, err := parseSender(from)
	if err != nil {
		return nil, err
	}
	cfg := twilioConfig{client: &http.Client{
		Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("%w: nil option", ErrBadOption)
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	api := *u
	api.User = nil
	return &Twilio{
		endpoint: api.JoinPath("2010-04-01", "Accounts", sid, "Messages.json").String(),
		sid:      sid,
		token:    token,
		from:     sender,
		client:   cfg.client,
	}, nil
}

// Notify texts m's code to the phone number m.To. m.Channel must be
// [license.ChannelSMS] (or empty) and m.Code set, else Notify returns
// [ErrBadMessage]; a malformed number yields [ErrBadAddress]. When the API
// answers with a status other than 2xx the error is an [*APIError], which
// matches [ErrAPI]. The context bounds the request.
func (t *Twilio) Notify(ctx context.Context, m license.Message) error {
	if m.Channel != "" && m.Channel != license.ChannelSMS {
		return fmt.Errorf("%w: channel %q is not SMS", ErrBadMessage, m.Channel)
	}
	if err := checkCode(m.Code); err != nil {
		return err
	}
	to, err := normalizePhone(m.To)
	if err != nil {
		return fmt.Errorf("%w: recipient: %v", ErrBadAddress, err)
	}
	form := url.Values{"To": {to}, "From": {t.from}, "Body": {Compose(m).Short}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("notify: sms: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(t.sid, t.token)
	resp, err := t.client.Do(req)
	if err != nil {
		// A *url.Error names the endpoint, which holds no token.
		return fmt.Errorf("notify: sms: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil // the message is queued, whatever happened to the rest of the body
	}
	if err != nil && len(body) == 0 {
		return fmt.Errorf("notify: sms: status %d: %w", resp.StatusCode, err)
	}
	return newAPIError(resp.StatusCode, body)
}

// APIError is a non-2xx answer of an SMS API. It matches [ErrAPI] with
// [errors.Is]; use [errors.As] to read it.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is the API's error code (Twilio's "code", such as 21211 for an
	// invalid To number), or 0 if the body had none.
	Code int
	// Message is the API's error message, or "" if the body had none.
	Message string
	// MoreInfo is the API's link to documentation of the error, if any.
	MoreInfo string
}

// Error reports the status, code and message.
func (e *APIError) Error() string {
	s := fmt.Sprintf("notify: SMS API error: status %d", e.StatusCode)
	if e.Code != 0 {
		s += ", code " + strconv.Itoa(e.Code)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is reports whether target is [ErrAPI].
func (e *APIError) Is(target error) bool { return target == ErrAPI }

// newAPIError reads Twilio's JSON error body
// ({"code": 21211, "message": "…", "more_info": "…", "status": 400}), or
// keeps only the status when the body is something else.
func newAPIError(status int, body []byte) *APIError {
	e := &APIError{StatusCode: status}
	var v struct {
		Code     json.RawMessage `json:"code"` // a number, or a string in some clones
		Message  string          `json:"message"`
		MoreInfo string          `json:"more_info"`
	}
	if json.Unmarshal(body, &v) == nil {
		if n, err := strconv.Atoi(strings.Trim(string(v.Code), `"`)); err == nil {
			e.Code = n
		}
		e.Message = sanitize(v.Message, 512)
		e.MoreInfo = sanitize(v.MoreInfo, 256)
	}
	return e
}

// sanitize drops control characters from s and caps it at n bytes, so an
// API's text cannot forge log lines.
func sanitize(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}

// normalizePhone removes the formatting characters license numbers may hold
// (spaces, '-', '(', ')', '.') and checks that what is left is an optional
// '+' and 5 to 15 digits.
func normalizePhone(s string) (string, error) {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", fmt.Errorf("phone number holds %q", r)
		}
	}
	p := b.String()
	if n := len(strings.TrimPrefix(p, "+")); n < 5 || n > 15 {
		return "", fmt.Errorf("phone number has %d digits, want 5 to 15", n)
	}
	return p, nil
}

// parseSender accepts a phone number or an alphanumeric sender ID.
func parseSender(from string) (string, error) {
	if p, err := normalizePhone(from); err == nil {
		return p, nil
	}
	ok := from != "" && len(from) <= 11 && strings.TrimSpace(from) == from
	letter := false
	for _, r := range from {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			letter = true
		case r >= '0' && r <= '9' || r == ' ':
		default:
			ok = false
		}
	}
	if !ok || !letter {
		return "", fmt.Errorf("%w: from must be a phone number or a sender ID of up to 11 letters, digits and spaces", ErrBadAddress)
	}
	return from, nil
}

// validSID reports whether s looks like an account SID: 1 to 64 letters and
// digits.
func validSID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
