package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/licgate/licgate/internal/smtptest"
	"github.com/licgate/licgate/license"
)

// testMessage is the message most SMTP tests send.
func testMessage() license.Message {
	return license.Message{
		Channel: license.ChannelEmail,
		To:      "jane@example.com",
		Name:    "Jane Doe",
		Product: license.Product{ID: "editor", Name: "Acme Editor", Major: 2, Minor: 1},
		Code:    "042137",
		TTL:     10 * time.Minute,
	}
}

// newTestSMTP returns a notifier for rawURL that trusts the test certificate.
func newTestSMTP(t *testing.T, rawURL string, opts ...SMTPOption) *SMTP {
	t.Helper()
	_, clientTLS := smtptest.TestTLS(t)
	s, err := NewSMTP(rawURL, "Acme Licensing <licenses@acme.example>",
		append([]SMTPOption{WithTLSConfig(clientTLS), WithTimeout(5 * time.Second), WithHelloName("client.acme.example")}, opts...)...)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return s
}

// redirect makes s dial addr whatever host its URL names, so a test can
// play a remote server on the loopback interface.
func redirect(s *SMTP, addr string) {
	var d net.Dialer
	s.dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
}

// parsedMessage is a received message, parsed.
type parsedMessage struct {
	header mail.Header
	body   string // decoded from quoted-printable
}

func parseReceived(t *testing.T, data []byte) parsedMessage {
	t.Helper()
	if bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("message has a bare LF:\n%q", data)
	}
	for i, l := range strings.Split(string(data), "\r\n") {
		// RFC 5322 section 2.1.1: at most 998 bytes, and 78 where a line can be folded.
		if len(l) > 998 || len(strings.TrimRight(l, " ")) > 78 && len(strings.Fields(l)) > 1 {
			t.Errorf("line %d is %d bytes long: %q", i, len(l), l)
		}
	}
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("mail.ReadMessage: %v\n%s", err, data)
	}
	if got := m.Header.Get("Content-Transfer-Encoding"); got != "quoted-printable" {
		t.Fatalf("Content-Transfer-Encoding = %q, want quoted-printable", got)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatalf("decode quoted-printable body: %v", err)
	}
	return parsedMessage{header: m.Header, body: string(body)}
}

var codeLine = regexp.MustCompile(`(?m)^(\d{6})\r?$`)

// checkMessage checks the headers and body of a message carrying m.
func checkMessage(t *testing.T, p parsedMessage, m license.Message) {
	t.Helper()
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(p.header.Get("Subject"))
	if err != nil {
		t.Errorf("decode Subject: %v", err)
	}
	if want := "Your activation code for " + m.Product.Name; subject != want {
		t.Errorf("Subject = %q, want %q", subject, want)
	}
	from, err := p.header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "licenses@acme.example" || from[0].Name != "Acme Licensing" {
		t.Errorf("From = %v (%v), want Acme Licensing <licenses@acme.example>", from, err)
	}
	to, err := p.header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != m.To || to[0].Name != m.Name {
		t.Errorf("To = %v (%v), want %s <%s>", to, err, m.Name, m.To)
	}
	if d, err := p.header.Date(); err != nil || time.Since(d).Abs() > time.Minute {
		t.Errorf("Date = %v (%v), want about now", d, err)
	}
	if id := p.header.Get("Message-ID"); !regexp.MustCompile(`^<[A-Z2-7]{26}@acme\.example>$`).MatchString(id) {
		t.Errorf("Message-ID = %q", id)
	}
	if got := p.header.Get("MIME-Version"); got != "1.0" {
		t.Errorf("MIME-Version = %q, want 1.0", got)
	}
	mt, params, err := mime.ParseMediaType(p.header.Get("Content-Type"))
	if err != nil || mt != "text/plain" || !strings.EqualFold(params["charset"], "utf-8") {
		t.Errorf("Content-Type = %q, want text/plain; charset=UTF-8", p.header.Get("Content-Type"))
	}
	codes := codeLine.FindAllStringSubmatch(p.body, -1)
	if len(codes) != 1 || codes[0][1] != m.Code {
		t.Errorf("body has code lines %q, want one line %q:\n%s", codes, m.Code, p.body)
	}
	for _, want := range []string{
		m.Product.Name + " " + m.Product.Version(),
		"This code expires in " + FormatTTL(m.TTL) + ".",
		"works once, on one computer",
		"did not ask for this code",
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("body lacks %q:\n%s", want, p.body)
		}
	}
	if m.Name != "" && !strings.Contains(p.body, "Hello "+m.Name+",") {
		t.Errorf("body does not greet %q:\n%s", m.Name, p.body)
	}
}

func TestSMTPDelivers(t *testing.T) {
	t.Parallel()
	srvTLS, _ := smtptest.TestTLS(t)
	secret := "p@ss:w/rd%é"
	tests := []struct {
		name     string
		srv      smtptest.Config
		scheme   string
		creds    bool
		msg      func(*license.Message)
		wantTLS  bool
		wantAuth string // the AUTH mechanism the client must use
	}{
		{name: "loopback without TLS", srv: smtptest.Config{}, scheme: "smtp"},
		{name: "loopback HELO fallback", srv: smtptest.Config{NoEHLO: true}, scheme: "smtp"},
		{name: "STARTTLS used when offered", srv: smtptest.Config{TLS: srvTLS}, scheme: "smtp", wantTLS: true},
		{
			name:   "STARTTLS then AUTH PLAIN",
			srv:    smtptest.Config{TLS: srvTLS, AuthMechs: "LOGIN PLAIN CRAM-MD5", RequireAuth: true},
			scheme: "smtp", creds: true, wantTLS: true, wantAuth: "PLAIN",
		},
		{
			name:   "STARTTLS then AUTH LOGIN",
			srv:    smtptest.Config{TLS: srvTLS, AuthMechs: "LOGIN", RequireAuth: true},
			scheme: "smtp", creds: true, wantTLS: true, wantAuth: "LOGIN",
		},
		{
			name:   "AUTH in the clear to loopback",
			srv:    smtptest.Config{AuthMechs: "PLAIN", RequireAuth: true},
			scheme: "smtp", creds: true, wantAuth: "PLAIN",
		},
		{
			name:   "implicit TLS",
			srv:    smtptest.Config{TLS: srvTLS, ImplicitTLS: true, AuthMechs: "PLAIN", RequireAuth: true},
			scheme: "smtps", creds: true, wantTLS: true, wantAuth: "PLAIN",
		},
		{
			name:   "non-ASCII names",
			srv:    smtptest.Config{TLS: srvTLS},
			scheme: "smtp", wantTLS: true,
			msg: func(m *license.Message) {
				m.Name, m.Product.Name, m.To = "Jürgen Müller, Jr.", "Café Éditeur ✓", "jurgen@example.de"
			},
		},
		{
			name:   "hours, no name",
			srv:    smtptest.Config{},
			scheme: "smtp",
			msg:    func(m *license.Message) { m.Name, m.TTL = "", 2*time.Hour },
		},
		{
			// A product name of dots puts a dot at the start of a
			// quoted-printable line, which must survive dot-stuffing.
			name:   "dot-stuffing",
			srv:    smtptest.Config{},
			scheme: "smtp",
			msg:    func(m *license.Message) { m.Product.Name = strings.Repeat(".", 150) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &smtptest.Server{Config: tt.srv}
			if tt.creds {
				srv.User, srv.Pass = "user@acme.example", secret
			}
			addr := srv.Start(t)
			u := &url.URL{Scheme: tt.scheme, Host: addr}
			if tt.creds {
				u.User = url.UserPassword(srv.User, srv.Pass)
			}
			m := testMessage()
			if tt.msg != nil {
				tt.msg(&m)
			}
			if err := newTestSMTP(t, u.String()).Notify(t.Context(), m); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			got := srv.Messages()
			if len(got) != 1 {
				t.Fatalf("server received %d messages, want 1", len(got))
			}
			r := got[0]
			if r.From != "licenses@acme.example" || len(r.To) != 1 || r.To[0] != m.To {
				t.Errorf("envelope from %q to %q, want licenses@acme.example to %q", r.From, r.To, m.To)
			}
			if r.TLS != tt.wantTLS {
				t.Errorf("TLS at MAIL = %v, want %v", r.TLS, tt.wantTLS)
			}
			if tt.creds && r.Authed != srv.User {
				t.Errorf("authenticated as %q, want %q", r.Authed, srv.User)
			}
			var auths []string
			for _, c := range srv.Commands() {
				if v, _, _ := strings.Cut(c.Line, " "); strings.EqualFold(v, "AUTH") {
					auths = append(auths, c.Line)
					if c.TLS != tt.wantTLS {
						t.Errorf("AUTH under TLS = %v, want %v", c.TLS, tt.wantTLS)
					}
				}
				if strings.Contains(c.Line, secret) {
					t.Errorf("password sent as plain text: %q", c.Line)
				}
			}
			switch {
			case tt.wantAuth == "" && len(auths) > 0:
				t.Errorf("AUTH sent without credentials: %q", auths)
			case tt.wantAuth != "" && (len(auths) != 1 || !strings.HasPrefix(auths[0], "AUTH "+tt.wantAuth)):
				t.Errorf("AUTH commands %q, want one AUTH %s", auths, tt.wantAuth)
			}
			checkMessage(t, parseReceived(t, r.Data), m)
		})
	}
}

// TestSMTPRemoteHost plays a server that is not on the loopback interface:
// the URL names mail.example.com, the dialler reaches the test server.
func TestSMTPRemoteHost(t *testing.T) {
	t.Parallel()
	srvTLS, _ := smtptest.TestTLS(t)
	tests := []struct {
		name    string
		srv     smtptest.Config
		trust   bool // trust the test certificate
		wantErr error
		wantTLS bool
	}{
		{name: "no STARTTLS", srv: smtptest.Config{AuthMechs: "PLAIN LOGIN"}, trust: true, wantErr: ErrInsecure},
		{name: "no STARTTLS, HELO only", srv: smtptest.Config{NoEHLO: true, AuthMechs: "PLAIN"}, trust: true, wantErr: ErrInsecure},
		{name: "STARTTLS with an untrusted certificate", srv: smtptest.Config{TLS: srvTLS, AuthMechs: "PLAIN"}},
		{name: "STARTTLS", srv: smtptest.Config{TLS: srvTLS, AuthMechs: "PLAIN", RequireAuth: true}, trust: true, wantTLS: true},
		{name: "STARTTLS, no AUTH offered", srv: smtptest.Config{TLS: srvTLS}, trust: true, wantErr: ErrAuthUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &smtptest.Server{Config: tt.srv}
			srv.User, srv.Pass = "user", "hunter22"
			addr := srv.Start(t)
			_, port, _ := net.SplitHostPort(addr)
			raw := "smtp://user:hunter22@mail.example.com:" + port
			var s *SMTP
			if tt.trust {
				s = newTestSMTP(t, raw)
			} else {
				var err error
				if s, err = NewSMTP(raw, "licenses@acme.example", WithTimeout(5*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			redirect(s, addr)
			err := s.Notify(t.Context(), testMessage())
			switch {
			case !tt.trust:
				if err == nil {
					t.Fatal("Notify trusted an unknown certificate")
				}
			case !errors.Is(err, tt.wantErr):
				t.Fatalf("Notify: %v, want %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "hunter22") {
				t.Errorf("error %q holds the password", err)
			}
			for _, c := range srv.Commands() {
				verb, _, _ := strings.Cut(strings.ToUpper(c.Line), " ")
				switch verb {
				case "EHLO", "HELO", "STARTTLS", "QUIT":
				default:
					if !c.TLS {
						t.Errorf("%q sent before TLS", c.Line)
					}
				}
				if strings.Contains(c.Line, "hunter22") {
					t.Errorf("password sent as plain text: %q", c.Line)
				}
			}
			got := srv.Messages()
			if wantN := map[bool]int{true: 1}[tt.wantTLS]; len(got) != wantN {
				t.Fatalf("server received %d messages, want %d", len(got), wantN)
			}
			if tt.wantTLS && (!got[0].TLS || got[0].Authed != "user") {
				t.Errorf("message TLS %v, authenticated as %q; want TLS as user", got[0].TLS, got[0].Authed)
			}
		})
	}
}

func TestPlanTLS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		loopback, isTLS, offered bool
		wantStart                bool
		wantErr                  error
	}{
		{loopback: false, isTLS: false, offered: false, wantErr: ErrInsecure},
		{loopback: false, isTLS: false, offered: true, wantStart: true},
		{loopback: false, isTLS: true, offered: false},
		{loopback: false, isTLS: true, offered: true},
		{loopback: true, isTLS: false, offered: false},
		{loopback: true, isTLS: false, offered: true, wantStart: true},
		{loopback: true, isTLS: true, offered: false},
		{loopback: true, isTLS: true, offered: true},
	}
	for _, tt := range tests {
		start, err := planTLS(tt.loopback, tt.isTLS, tt.offered)
		if start != tt.wantStart || !errors.Is(err, tt.wantErr) {
			t.Errorf("planTLS(loopback=%v, tls=%v, offered=%v) = %v, %v; want %v, %v",
				tt.loopback, tt.isTLS, tt.offered, start, err, tt.wantStart, tt.wantErr)
		}
		// Credentials may follow whenever the session may go on.
		if err == nil && !mayAuth(tt.loopback, tt.isTLS || start) {
			t.Errorf("mayAuth(loopback=%v, tls=%v) = false after planTLS allowed the session", tt.loopback, tt.isTLS || start)
		}
	}
	for _, tt := range []struct{ loopback, isTLS, want bool }{
		{false, false, false}, {false, true, true}, {true, false, true}, {true, true, true},
	} {
		if got := mayAuth(tt.loopback, tt.isTLS); got != tt.want {
			t.Errorf("mayAuth(loopback=%v, tls=%v) = %v, want %v", tt.loopback, tt.isTLS, got, tt.want)
		}
	}
}

func TestPickAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		advertised, wantMech string
		wantErr              error
	}{
		{advertised: "PLAIN LOGIN", wantMech: "PLAIN"},
		{advertised: "LOGIN PLAIN", wantMech: "PLAIN"},
		{advertised: "login", wantMech: "LOGIN"},
		{advertised: "CRAM-MD5 XOAUTH2", wantErr: ErrAuthUnsupported},
		{advertised: "", wantErr: ErrAuthUnsupported},
	}
	for _, tt := range tests {
		a, err := pickAuth(tt.advertised, "u", "p", func(si *smtp.ServerInfo) bool { return si.TLS })
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("pickAuth(%q) error %v, want %v", tt.advertised, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		// Refused without TLS, whatever the mechanism.
		if _, _, err := a.Start(&smtp.ServerInfo{Name: "mail.example.com", TLS: false}); !errors.Is(err, ErrInsecure) {
			t.Errorf("%s Start without TLS: %v, want ErrInsecure", tt.wantMech, err)
		}
		mech, resp, err := a.Start(&smtp.ServerInfo{Name: "mail.example.com", TLS: true})
		if err != nil || mech != tt.wantMech {
			t.Errorf("pickAuth(%q) Start = %q, %v; want %q", tt.advertised, mech, err, tt.wantMech)
		}
		if mech == "PLAIN" && string(resp) != "\x00u\x00p" {
			t.Errorf("PLAIN response %q", resp)
		}
	}
}

func TestSMTPHeaderInjection(t *testing.T) {
	t.Parallel()
	srv := &smtptest.Server{}
	addr := srv.Start(t)
	s := newTestSMTP(t, "smtp://"+addr)
	tests := []struct {
		name string
		edit func(*license.Message)
	}{
		{"recipient", func(m *license.Message) { m.To = "jane@example.com\r\nBcc: all@example.com" }},
		{"customer name", func(m *license.Message) { m.Name = "Jane\r\nBcc: all@example.com" }},
		{"customer name LF", func(m *license.Message) { m.Name = "Jane\nBcc: all@example.com" }},
		{"product name", func(m *license.Message) { m.Product.Name = "Editor\rBcc: all@example.com" }},
	}
	for _, tt := range tests {
		m := testMessage()
		tt.edit(&m)
		if err := s.Notify(t.Context(), m); !errors.Is(err, ErrHeaderInjection) {
			t.Errorf("%s: Notify = %v, want ErrHeaderInjection", tt.name, err)
		}
	}
	if _, err := NewSMTP("smtp://localhost", "Acme\r\nBcc: all@example.com <x@acme.example>"); !errors.Is(err, ErrHeaderInjection) || !errors.Is(err, ErrBadAddress) {
		t.Errorf("NewSMTP with CRLF in from: %v, want ErrBadAddress and ErrHeaderInjection", err)
	}
	if n := len(srv.Commands()); n != 0 {
		t.Errorf("server got %d commands; a bad message must not be sent", n)
	}
}

func TestSMTPBadMessage(t *testing.T) {
	t.Parallel()
	s := newTestSMTP(t, "smtp://127.0.0.1:1")
	tests := []struct {
		name    string
		edit    func(*license.Message)
		wantErr error
	}{
		{"sms channel", func(m *license.Message) { m.Channel = license.ChannelSMS }, ErrBadMessage},
		{"no code", func(m *license.Message) { m.Code = "" }, ErrBadMessage},
		{"code with space", func(m *license.Message) { m.Code = "12 34" }, ErrBadMessage},
		{"bad recipient", func(m *license.Message) { m.To = "not an address" }, ErrBadAddress},
	}
	for _, tt := range tests {
		m := testMessage()
		tt.edit(&m)
		if err := s.Notify(t.Context(), m); !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: Notify = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
}

func TestSMTPServerErrors(t *testing.T) {
	t.Parallel()
	srvTLS, _ := smtptest.TestTLS(t)
	srv := &smtptest.Server{Config: smtptest.Config{TLS: srvTLS, AuthMechs: "PLAIN", RequireAuth: true, User: "user", Pass: "right"}}
	addr := srv.Start(t)
	// Wrong password: the server's 535 comes back, the password does not.
	err := newTestSMTP(t, "smtp://user:wrong-password@"+addr).Notify(t.Context(), testMessage())
	if err == nil || !strings.Contains(err.Error(), "535") || strings.Contains(err.Error(), "wrong-password") {
		t.Errorf("Notify with a wrong password: %v, want a 535 error without the password", err)
	}
	// No credentials: MAIL is refused.
	err = newTestSMTP(t, "smtp://"+addr).Notify(t.Context(), testMessage())
	if err == nil || !strings.Contains(err.Error(), "530") {
		t.Errorf("Notify without credentials: %v, want a 530 error", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server accepted %d messages, want 0", n)
	}
}

// TestSMTPLoopbackSelfSigned checks that a local relay with a self-signed
// certificate works without configuration, over TLS.
func TestSMTPLoopbackSelfSigned(t *testing.T) {
	t.Parallel()
	srvTLS, _ := smtptest.TestTLS(t)
	srv := &smtptest.Server{Config: smtptest.Config{TLS: srvTLS}}
	addr := srv.Start(t)
	s, err := NewSMTP("smtp://"+addr, "licenses@acme.example", WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Notify(t.Context(), testMessage()); err != nil {
		t.Fatalf("Notify to a loopback relay with a self-signed certificate: %v", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("server received %d messages, want 1", n)
	}
}

// TestSMTPNoFallback checks that a failed STARTTLS is not followed by a
// plain-text session, even to a loopback server.
func TestSMTPNoFallback(t *testing.T) {
	t.Parallel()
	srvTLS, _ := smtptest.TestTLS(t)
	srv := &smtptest.Server{Config: smtptest.Config{TLS: srvTLS}}
	addr := srv.Start(t)
	// A TLS config of its own makes the notifier verify even on loopback;
	// the system roots do not know the test certificate.
	s, err := NewSMTP("smtp://"+addr, "licenses@acme.example", WithTimeout(5*time.Second), WithTLSConfig(&tls.Config{MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Notify(t.Context(), testMessage()); err == nil {
		t.Fatal("Notify trusted an unknown certificate")
	}
	for _, c := range srv.Commands() {
		if verb, _, _ := strings.Cut(c.Line, " "); verb != "EHLO" && verb != "STARTTLS" {
			t.Errorf("%q sent after a failed STARTTLS", c.Line)
		}
	}
}

func TestSMTPConcurrent(t *testing.T) {
	t.Parallel()
	srvTLS, _ := smtptest.TestTLS(t)
	srv := &smtptest.Server{Config: smtptest.Config{TLS: srvTLS, AuthMechs: "PLAIN", User: "u", Pass: "p"}}
	addr := srv.Start(t)
	s := newTestSMTP(t, "smtp://u:p@"+addr)
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() { errs <- s.Notify(t.Context(), testMessage()) }()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := len(srv.Messages()); got != n {
		t.Errorf("server received %d messages, want %d", got, n)
	}
}

func TestSMTPContext(t *testing.T) {
	t.Parallel()
	srv := &smtptest.Server{Config: smtptest.Config{Silent: true}}
	addr := srv.Start(t)
	tests := []struct {
		name    string
		opts    []SMTPOption
		ctx     func(t *testing.T) context.Context
		wantErr error
	}{
		{
			name: "deadline",
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
				t.Cleanup(cancel)
				return ctx
			},
			wantErr: context.DeadlineExceeded,
		},
		{
			name: "cancel",
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				time.AfterFunc(200*time.Millisecond, cancel)
				t.Cleanup(cancel)
				return ctx
			},
			wantErr: context.Canceled,
		},
		{
			name: "already cancelled",
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				return ctx
			},
			wantErr: context.Canceled,
		},
		{
			name:    "timeout option",
			opts:    []SMTPOption{WithTimeout(200 * time.Millisecond)},
			ctx:     func(t *testing.T) context.Context { return t.Context() },
			wantErr: os.ErrDeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestSMTP(t, "smtp://"+addr, tt.opts...)
			start := time.Now()
			err := s.Notify(tt.ctx(t), testMessage())
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Notify = %v, want %v", err, tt.wantErr)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Notify took %v against a silent server", d)
			}
		})
	}
}

func TestNewSMTP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		url     string
		from    string
		opts    []SMTPOption
		wantErr error
	}{
		{name: "ok", url: "smtp://mail.example.com:587", from: "licenses@acme.example"},
		{name: "display name", url: "smtps://u:p@mail.example.com", from: `"Acme, Inc." <licenses@acme.example>`},
		{name: "all options", url: "smtp://localhost", from: "a@b.example", opts: []SMTPOption{
			WithTLSConfig(&tls.Config{}), WithTimeout(time.Second), WithHelloName("[192.0.2.1]"),
		}},
		{name: "bad scheme", url: "http://mail.example.com", from: "a@b.example", wantErr: ErrBadURL},
		{name: "bad from", url: "smtp://localhost", from: "nobody", wantErr: ErrBadAddress},
		{name: "empty from", url: "smtp://localhost", from: "", wantErr: ErrBadAddress},
		{name: "nil TLS config", url: "smtp://localhost", from: "a@b.example", opts: []SMTPOption{WithTLSConfig(nil)}, wantErr: ErrBadOption},
		{name: "zero timeout", url: "smtp://localhost", from: "a@b.example", opts: []SMTPOption{WithTimeout(0)}, wantErr: ErrBadOption},
		{name: "bad hello", url: "smtp://localhost", from: "a@b.example", opts: []SMTPOption{WithHelloName("a b\r\nRCPT")}, wantErr: ErrBadOption},
		{name: "empty hello", url: "smtp://localhost", from: "a@b.example", opts: []SMTPOption{WithHelloName("")}, wantErr: ErrBadOption},
		{name: "nil option", url: "smtp://localhost", from: "a@b.example", opts: []SMTPOption{nil}, wantErr: ErrBadOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewSMTP(tt.url, tt.from, tt.opts...)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("NewSMTP = %v, want %v", err, tt.wantErr)
			}
			if err == nil && s == nil {
				t.Fatal("NewSMTP returned nil, nil")
			}
		})
	}
}

func TestSMTPDefaults(t *testing.T) {
	t.Parallel()
	s, err := NewSMTP("smtp://mail.example.com", "a@b.example")
	if err != nil {
		t.Fatal(err)
	}
	if s.timeout != 30*time.Second {
		t.Errorf("timeout = %v, want 30s", s.timeout)
	}
	if s.tlsConfig.MinVersion != tls.VersionTLS12 || s.tlsConfig.ServerName != "mail.example.com" || s.tlsConfig.InsecureSkipVerify {
		t.Errorf("TLS config: min version %x, server name %q, skip verify %v", s.tlsConfig.MinVersion, s.tlsConfig.ServerName, s.tlsConfig.InsecureSkipVerify)
	}
	if !validHelloName(s.hello) {
		t.Errorf("hello name %q is not valid", s.hello)
	}
}

func TestParseSMTPURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw     string
		want    smtpEndpoint
		wantErr bool
	}{
		{raw: "smtp://localhost", want: smtpEndpoint{host: "localhost", port: "25"}},
		{raw: "smtp://mail.example.com:587/", want: smtpEndpoint{host: "mail.example.com", port: "587"}},
		{raw: "SMTPS://mail.example.com", want: smtpEndpoint{implicitTLS: true, host: "mail.example.com", port: "465"}},
		{raw: "smtps://[::1]:2465", want: smtpEndpoint{implicitTLS: true, host: "::1", port: "2465"}},
		{raw: "smtp://user:pass@127.0.0.1:2525", want: smtpEndpoint{host: "127.0.0.1", port: "2525", user: "user", pass: "pass"}},
		{
			raw:  "smtp://apikey%40acme.example:p%40ss%3Aw%2Frd%25@mail.example.com",
			want: smtpEndpoint{host: "mail.example.com", port: "25", user: "apikey@acme.example", pass: "p@ss:w/rd%"},
		},
		{raw: "smtp://user:pass@mail.example.com:0025", want: smtpEndpoint{host: "mail.example.com", port: "25", user: "user", pass: "pass"}},
		{raw: "", wantErr: true},
		{raw: "mail.example.com:25", wantErr: true},
		{raw: "smtp:mail.example.com", wantErr: true},
		{raw: "smtp://", wantErr: true},
		{raw: "smtp://:25", wantErr: true},
		{raw: "smtp://mail.example.com:", wantErr: true},
		{raw: "smtp://mail.example.com:0", wantErr: true},
		{raw: "smtp://mail.example.com:65536", wantErr: true},
		{raw: "smtp://mail.example.com:smtp", wantErr: true},
		{raw: "smtp://mail.example.com/path", wantErr: true},
		{raw: "smtp://mail.example.com?tls=no", wantErr: true},
		{raw: "smtp://mail.example.com#x", wantErr: true},
		{raw: "smtp://user@mail.example.com", wantErr: true},
		{raw: "smtp://:pass@mail.example.com", wantErr: true},
		{raw: "smtp://user:p%00ss@mail.example.com", wantErr: true},
		{raw: "submission://mail.example.com", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseSMTPURL(tt.raw)
		if tt.wantErr {
			if !errors.Is(err, ErrBadURL) {
				t.Errorf("parseSMTPURL(%q) = %+v, %v; want ErrBadURL", tt.raw, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseSMTPURL(%q) = %+v, %v; want %+v", tt.raw, got, err, tt.want)
		}
	}
}

// TestParseSMTPURLKeepsSecrets checks that no error quotes the URL, whose
// password url.Parse's own errors would reveal.
func TestParseSMTPURLKeepsSecrets(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"smtp://user:s3cr%zzet@mail.example.com",
		"smtp://user:s3cret@mail.example.com:bad",
		"smtp://user:s3cret@mail.example.com/x",
		"ftp://user:s3cret@mail.example.com",
		"smtp://user:s3cret\x7f@mail.example.com",
	} {
		_, err := parseSMTPURL(raw)
		if err == nil {
			t.Errorf("parseSMTPURL(%q) succeeded", raw)
			continue
		}
		if strings.Contains(err.Error(), "s3cr") {
			t.Errorf("parseSMTPURL(%q) error %q reveals the password", raw, err)
		}
	}
}

// smtpURLErrors are the texts of every error parseSMTPURL returns.
var smtpURLErrors = map[string]bool{
	"notify: bad URL: not a URL":                                                     true,
	"notify: bad URL: scheme must be smtp or smtps":                                  true,
	"notify: bad URL: want smtp://[user:password@]host[:port] with no path or query": true,
	"notify: bad URL: no host":                                                       true,
	"notify: bad URL: host must be a domain name or an IP address":                   true,
	"notify: bad URL: bad port":                                                      true,
	"notify: bad URL: empty port":                                                    true,
	"notify: bad URL: give both a user name and a password, or neither":              true,
	"notify: bad URL: NUL in user name or password":                                  true,
}

func FuzzParseSMTPURL(f *testing.F) {
	for _, s := range []string{
		"smtp://localhost", "smtps://user:pass@mail.example.com:465", "smtp://[::1]:25",
		"smtp://a%40b:p%3A%2F@h", "smtp://h:0", "smtp://h:99999", "smtp://u@h", "SMTP://H/", "smtp://h?x#y",
		"smtp://user:s3cr%zzet@host", "smtp://[fe80::1%25eth0]:25",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		ep, err := parseSMTPURL(raw)
		if err != nil {
			if !errors.Is(err, ErrBadURL) {
				t.Fatalf("error %v does not match ErrBadURL", err)
			}
			// Every error is one of a few fixed texts, so none can quote the
			// URL or its password.
			if !smtpURLErrors[err.Error()] {
				t.Fatalf("unexpected error text %q", err)
			}
			return
		}
		if !validHost(ep.host) || strings.ContainsAny(ep.host, "\x00\r\n /@[]") {
			t.Fatalf("bad host %q from %q", ep.host, raw)
		}
		if ep.port != "25" && ep.port != "465" {
			if n, err := net.LookupPort("tcp", ep.port); err != nil || n < 1 || n > 65535 {
				t.Fatalf("bad port %q from %q", ep.port, raw)
			}
		}
		if (ep.user == "") != (ep.pass == "") || strings.ContainsRune(ep.user+ep.pass, 0) {
			t.Fatalf("bad credentials %q:%q from %q", ep.user, ep.pass, raw)
		}
		if ep.implicitTLS != strings.HasPrefix(strings.ToLower(raw), "smtps:") {
			t.Fatalf("implicitTLS %v from %q", ep.implicitTLS, raw)
		}
		if _, _, err := net.SplitHostPort(net.JoinHostPort(ep.host, ep.port)); err != nil {
			t.Fatalf("host %q and port %q do not make an address: %v", ep.host, ep.port, err)
		}
	})
}
