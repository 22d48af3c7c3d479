package notify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "tok3n-s3cret"
)

func smsMessage() license.Message {
	return license.Message{
		Channel: license.ChannelSMS,
		To:      "+1 (415) 555-0100",
		Name:    "Jane Doe",
		Product: license.Product{ID: "editor", Name: "Acme Editor", Major: 2, Minor: 1},
		Code:    "042137",
		TTL:     10 * time.Minute,
	}
}

// twilioURL returns the base URL of srv with the test credentials.
func twilioURL(srv *httptest.Server, prefix string) string {
	return strings.Replace(srv.URL, "http://", "http://"+testSID+":"+testToken+"@", 1) + prefix
}

func TestTwilioSends(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "/", "/proxy/twilio"} {
		t.Run("prefix "+prefix, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if r.Method != http.MethodPost {
					t.Errorf("method %s, want POST", r.Method)
				}
				wantPath := strings.TrimSuffix(prefix, "/") + "/2010-04-01/Accounts/" + testSID + "/Messages.json"
				if r.URL.Path != wantPath {
					t.Errorf("path %q, want %q", r.URL.Path, wantPath)
				}
				if user, pass, ok := r.BasicAuth(); !ok || user != testSID || pass != testToken {
					t.Errorf("basic auth %q:%q (%v), want the SID and token", user, pass, ok)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
					t.Errorf("Content-Type %q", ct)
				}
				if err := r.ParseForm(); err != nil {
					t.Error(err)
					return
				}
				want := map[string]string{
					"To":   "+14155550100",
					"From": "+15005550006",
					"Body": "Acme Editor activation code: 042137. It expires in 10 minutes.",
				}
				for k, v := range want {
					if got := r.PostForm[k]; len(got) != 1 || got[0] != v {
						t.Errorf("form %s = %q, want %q", k, got, v)
					}
				}
				if len(r.PostForm) != len(want) {
					t.Errorf("form has %d fields, want %d: %v", len(r.PostForm), len(want), r.PostForm)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusCreated)
				w.Write([]byte(`{"sid": "SM0123", "status": "queued"}`))
			}))
			t.Cleanup(srv.Close)
			n, err := NewTwilio(twilioURL(srv, prefix), "+1 500 555 0006")
			if err != nil {
				t.Fatal(err)
			}
			if err := n.Notify(t.Context(), smsMessage()); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("server called %d times, want 1", n)
			}
		})
	}
}

func TestTwilioErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		header  http.Header
		body    string
		want    APIError
		wantMsg string // in err.Error()
	}{
		{
			name:   "Twilio 400",
			status: http.StatusBadRequest,
			body: `{"code": 21211, "message": "The 'To' number +14155550100 is not a valid phone number.",
				"more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`,
			want: APIError{StatusCode: 400, Code: 21211,
				Message:  "The 'To' number +14155550100 is not a valid phone number.",
				MoreInfo: "https://www.twilio.com/docs/errors/21211"},
			wantMsg: "status 400, code 21211: The 'To' number",
		},
		{
			name:    "wrong credentials",
			status:  http.StatusUnauthorized,
			body:    `{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}`,
			want:    APIError{StatusCode: 401, Code: 20003, Message: "Authenticate", MoreInfo: "https://www.twilio.com/docs/errors/20003"},
			wantMsg: "status 401, code 20003: Authenticate",
		},
		{
			name:    "string code, control characters",
			status:  http.StatusTooManyRequests,
			body:    `{"code": "20429", "message": "Too many\nrequests"}`,
			want:    APIError{StatusCode: 429, Code: 20429, Message: "Too many requests"},
			wantMsg: "status 429, code 20429: Too many requests",
		},
		{
			name:    "not JSON",
			status:  http.StatusBadGateway,
			body:    "<html>bad gateway</html>",
			want:    APIError{StatusCode: 502},
			wantMsg: "status 502",
		},
		{
			name:    "redirect not followed",
			status:  http.StatusFound,
			header:  http.Header{"Location": {"https://elsewhere.example/steal"}},
			want:    APIError{StatusCode: 302},
			wantMsg: "status 302",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header()[k] = v
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			t.Cleanup(srv.Close)
			n, err := NewTwilio(twilioURL(srv, ""), "+15005550006")
			if err != nil {
				t.Fatal(err)
			}
			err = n.Notify(t.Context(), smsMessage())
			if !errors.Is(err, ErrAPI) {
				t.Fatalf("Notify = %v, want ErrAPI", err)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("Notify = %T, want *APIError", err)
			}
			if *apiErr != tt.want {
				t.Errorf("got %+v, want %+v", *apiErr, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q lacks %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error %q reveals the auth token", err)
			}
		})
	}
}

func TestTwilioTransportErrors(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-block:
		}
	}))
	t.Cleanup(func() { close(block); srv.Close() })

	n, err := NewTwilio(twilioURL(srv, ""), "+15005550006")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = n.Notify(ctx, smsMessage())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Notify = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Notify took %v", d)
	}
	if err != nil && strings.Contains(err.Error(), testToken) {
		t.Errorf("error %q reveals the auth token", err)
	}

	// The client's own timeout.
	n, err = NewTwilio(twilioURL(srv, ""), "+15005550006", WithHTTPClient(&http.Client{Timeout: 100 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(t.Context(), smsMessage()); err == nil || strings.Contains(err.Error(), testToken) {
		t.Errorf("Notify with a client timeout = %v, want an error without the token", err)
	}
}

func TestTwilioBadMessage(t *testing.T) {
	t.Parallel()
	n, err := NewTwilio("http://AC1:tok@127.0.0.1:1", "+15005550006")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(*license.Message)
		wantErr error
	}{
		{"email channel", func(m *license.Message) { m.Channel = license.ChannelEmail }, ErrBadMessage},
		{"no code", func(m *license.Message) { m.Code = "" }, ErrBadMessage},
		{"email as number", func(m *license.Message) { m.To = "jane@example.com" }, ErrBadAddress},
		{"too few digits", func(m *license.Message) { m.To = "+1 23" }, ErrBadAddress},
		{"too many digits", func(m *license.Message) { m.To = "+1234567890123456" }, ErrBadAddress},
		{"plus inside", func(m *license.Message) { m.To = "1+2345678" }, ErrBadAddress},
	}
	for _, tt := range tests {
		m := smsMessage()
		tt.edit(&m)
		if err := n.Notify(t.Context(), m); !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: Notify = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
}

func TestNewTwilio(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		url     string
		from    string
		opts    []TwilioOption
		wantErr error
		wantEnd string // the endpoint, when it succeeds
	}{
		{name: "twilio", url: "https://AC123:s3cr3t@api.twilio.com", from: "+15005550006",
			wantEnd: "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"},
		{name: "prefix", url: "https://AC123:s3cr3t@sms.example.com/v1/", from: "ACME",
			wantEnd: "https://sms.example.com/v1/2010-04-01/Accounts/AC123/Messages.json"},
		{name: "http loopback", url: "http://AC1:s3cr3t@localhost:8080", from: "+15005550006",
			wantEnd: "http://localhost:8080/2010-04-01/Accounts/AC1/Messages.json"},
		{name: "http IPv6 loopback", url: "http://AC1:s3cr3t@[::1]:8080", from: "+15005550006",
			wantEnd: "http://[::1]:8080/2010-04-01/Accounts/AC1/Messages.json"},
		{name: "http remote", url: "http://AC1:s3cr3t@api.twilio.com", from: "+15005550006", wantErr: ErrBadURL},
		{name: "other scheme", url: "ftp://AC1:s3cr3t@api.twilio.com", from: "+15005550006", wantErr: ErrBadURL},
		{name: "no credentials", url: "https://api.twilio.com", from: "+15005550006", wantErr: ErrBadURL},
		{name: "no token", url: "https://AC1@api.twilio.com", from: "+15005550006", wantErr: ErrBadURL},
		{name: "no SID", url: "https://:s3cr3t@api.twilio.com", from: "+15005550006", wantErr: ErrBadURL},
		{name: "SID with a slash", url: "https://AC%2F..:s3cr3t@api.twilio.com", from: "+15005550006", wantErr: ErrBadURL},
		{name: "query", url: "https://AC1:s3cr3t@api.twilio.com?x=1", from: "+15005550006", wantErr: ErrBadURL},
		{name: "no host", url: "https://AC1:s3cr3t@", from: "+15005550006", wantErr: ErrBadURL},
		{name: "not a URL", url: "https://AC1:s3cr3t%zz@api.twilio.com", from: "+15005550006", wantErr: ErrBadURL},
		{name: "empty from", url: "https://AC1:s3cr3t@api.twilio.com", from: "", wantErr: ErrBadAddress},
		{name: "long sender ID", url: "https://AC1:s3cr3t@api.twilio.com", from: "AcmeLicensing", wantErr: ErrBadAddress},
		{name: "sender ID with symbols", url: "https://AC1:s3cr3t@api.twilio.com", from: "Acme!", wantErr: ErrBadAddress},
		{name: "nil client", url: "https://AC1:s3cr3t@api.twilio.com", from: "+15005550006", opts: []TwilioOption{WithHTTPClient(nil)}, wantErr: ErrBadOption},
		{name: "nil option", url: "https://AC1:s3cr3t@api.twilio.com", from: "+15005550006", opts: []TwilioOption{nil}, wantErr: ErrBadOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, err := NewTwilio(tt.url, tt.from, tt.opts...)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("NewTwilio = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("error %q reveals the token", err)
				}
				return
			}
			if n.endpoint != tt.wantEnd {
				t.Errorf("endpoint %q, want %q", n.endpoint, tt.wantEnd)
			}
			if n.client.Timeout != 15*time.Second || n.client.CheckRedirect == nil {
				t.Errorf("default client: timeout %v, redirect policy set %v", n.client.Timeout, n.client.CheckRedirect != nil)
			}
		})
	}
}
