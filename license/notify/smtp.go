package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/netip"
	"net/smtp"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
)

// SMTP is a [license.Notifier] that emails authorization codes through an
// SMTP server. It is safe for concurrent use; every Notify opens its own
// connection. Create one with [NewSMTP].
type SMTP struct {
	ep        smtpEndpoint
	from      *mail.Address
	tlsConfig *tls.Config
	customTLS bool // tlsConfig came from WithTLSConfig
	timeout   time.Duration
	hello     string

	// Seams for tests.
	now  func() time.Time
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

var _ license.Notifier = (*SMTP)(nil)

// SMTPOption configures an [SMTP] notifier.
type SMTPOption func(*smtpConfig) error

type smtpConfig struct {
	tlsConfig *tls.Config
	customTLS bool
	timeout   time.Duration
	hello     string
}

// WithTLSConfig sets the TLS configuration used for STARTTLS and smtps://
// connections, for example to trust a private CA or a test server's
// self-signed certificate. It is cloned; an empty ServerName is filled in
// with the host of the server URL. A nil config yields [ErrBadOption].
// Default: the system's roots, TLS 1.2 or later.
func WithTLSConfig(c *tls.Config) SMTPOption {
	return func(cfg *smtpConfig) error {
		if c == nil {
			return fmt.Errorf("%w: nil TLS config", ErrBadOption)
		}
		cfg.tlsConfig = c.Clone()
		cfg.customTLS = true
		return nil
	}
}

// WithTimeout bounds one delivery, from dialling to the server's answer
// to the message; a shorter deadline on the context passed to Notify wins.
// A duration that is not positive yields [ErrBadOption]. Default: 30 seconds.
func WithTimeout(d time.Duration) SMTPOption {
	return func(cfg *smtpConfig) error {
		if d <= 0 {
			return fmt.Errorf("%w: timeout %v is not positive", ErrBadOption, d)
		}
		cfg.timeout = d
		return nil
	}
}

// WithHelloName sets the name this client gives in EHLO (or HELO): a
// domain name or an address literal such as "[192.0.2.1]". Anything else
// yields [ErrBadOption]. Default: this machine's host name, or "localhost"
// if that is not a valid domain name.
func WithHelloName(name string) SMTPOption {
	return func(cfg *smtpConfig) error {
		if !validHelloName(name) {
			return fmt.Errorf("%w: hello name %q", ErrBadOption, name)
		}
		cfg.hello = name
		return nil
	}
}

// NewSMTP returns a notifier that sends mail through the server named by
// rawURL, from the address from.
//
// rawURL is smtp://[user:password@]host[:port] (port 25 by default; the
// connection starts in plain text and is upgraded with STARTTLS) or
// smtps://[user:password@]host[:port] (port 465 by default; TLS from the
// first byte). The user name and password are URL-unescaped and are given
// together or not at all. from is an address net/mail can parse, with or
// without a display name: "Acme Licensing <licenses@acme.example>".
//
// The connection policy is fixed:
//   - STARTTLS is used whenever the server offers it, and a failed upgrade
//     fails the delivery; there is no fall-back to plain text.
//   - Plain text without TLS is accepted only when the host is "localhost"
//     or a loopback IP and the connection indeed reached a loopback address
//     (a local relay). To any other host, a server that does not offer
//     STARTTLS gets nothing but EHLO, and Notify returns [ErrInsecure].
//   - With credentials, AUTH PLAIN is used, or AUTH LOGIN if the server
//     offers only that; they are sent only over TLS or to a loopback host.
//
// To a loopback server, whose traffic never leaves the machine, TLS is
// used when offered but its certificate is not verified unless
// [WithTLSConfig] is given, so a local relay with a self-signed certificate
// (Debian's Postfix with its snakeoil certificate) works out of the box.
// Certificates of every other server are verified.
//
// NewSMTP returns [ErrBadURL] for a malformed URL, [ErrBadAddress] for a
// malformed from address, and the error of a failing option.
func NewSMTP(rawURL, from string, opts ...SMTPOption) (*SMTP, error) {
	ep, err := parseSMTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	if err := checkHeader("from", from); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadAddress, err)
	}
	fa, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("%w: from address: %v", ErrBadAddress, err)
	}
	cfg := smtpConfig{
		tlsConfig: &tls.Config{MinVersion: tls.VersionTLS12},
		timeout:   30 * time.Second,
		hello:     defaultHelloName(),
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("%w: nil option", ErrBadOption)
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.tlsConfig.ServerName == "" {
		cfg.tlsConfig.ServerName = ep.host
	}
	s := &SMTP{
		ep:        ep,
		from:      fa,
		tlsConfig: cfg.tlsConfig,
		customTLS: cfg.customTLS,
		timeout:   cfg.timeout,
		hello:     cfg.hello,
		now:       time.Now,
	}
	s.dial = (&net.Dialer{Timeout: cfg.timeout}).DialContext
	return s, nil
}

// Notify emails m's code to m.To. m.Channel must be [license.ChannelEmail]
// (or empty) and m.Code set, else Notify returns [ErrBadMessage]; a line
// break in the recipient, the customer's or the product's name yields
// [ErrHeaderInjection], a malformed recipient [ErrBadAddress]; these are
// found before dialling. A remote server without STARTTLS yields
// [ErrInsecure], one without a usable AUTH mechanism (when credentials are
// set) [ErrAuthUnsupported], and a refusal by the server wraps its
// [*net/textproto.Error]. The context
// bounds the whole delivery: when it is cancelled or its deadline passes,
// the connection is cut and the error wraps ctx.Err().
func (s *SMTP) Notify(ctx context.Context, m license.Message) error {
	if m.Channel != "" && m.Channel != license.ChannelEmail {
		return fmt.Errorf("%w: channel %q is not email", ErrBadMessage, m.Channel)
	}
	msg, to, err := s.compose(m)
	if err != nil {
		return err
	}
	return s.send(ctx, to, msg)
}

// compose validates m and returns the message to send and the envelope
// recipient.
func (s *SMTP) compose(m license.Message) (msg []byte, rcpt string, err error) {
	if err := checkCode(m.Code); err != nil {
		return nil, "", err
	}
	for _, f := range []struct{ what, v string }{
		{"recipient", m.To}, {"customer name", m.Name}, {"product name", m.Product.Name},
	} {
		if err := checkHeader(f.what, f.v); err != nil {
			return nil, "", err
		}
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, "", fmt.Errorf("%w: recipient: %v", ErrBadAddress, err)
	}
	if to.Name == "" {
		to.Name = m.Name
	}
	t := Compose(m)
	subject, err := encodeHeader("Subject", t.Subject)
	if err != nil {
		return nil, "", err
	}

	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(fold(name + ": " + value)); b.WriteString("\r\n") }
	header("From", s.from.String())
	header("To", to.String())
	b.WriteString(subject + "\r\n")
	header("Date", s.now().Format(time.RFC1123Z))
	header("Message-ID", "<"+rand.Text()+"@"+domainOf(s.from.Address)+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(t.Body)); err != nil {
		return nil, "", err
	}
	if err := qp.Close(); err != nil {
		return nil, "", err
	}
	return b.Bytes(), to.Address, nil
}

// send delivers msg to rcpt in one SMTP session.
func (s *SMTP) send(ctx context.Context, rcpt string, msg []byte) error {
	addr := net.JoinHostPort(s.ep.host, s.ep.port)
	raw, err := s.dial(ctx, "tcp", addr)
	if err != nil {
		return s.fail(ctx, "dial", err)
	}
	defer raw.Close()
	deadline := time.Now().Add(s.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := raw.SetDeadline(deadline); err != nil {
		return s.fail(ctx, "dial", err)
	}
	// Cancelling ctx cuts every read and write short, under TLS or not.
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	loopback := isLoopbackHost(s.ep.host) && isLoopbackAddr(raw.RemoteAddr())
	tlsConfig := s.tlsConfig
	if loopback && !s.customTLS {
		tlsConfig = tlsConfig.Clone()
		tlsConfig.InsecureSkipVerify = true // loopback: nothing on the wire to protect
	}

	conn := raw
	if s.ep.implicitTLS {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return s.fail(ctx, "TLS handshake", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.ep.host)
	if err != nil {
		return s.fail(ctx, "greeting", err)
	}
	defer c.Close()
	if err := c.Hello(s.hello); err != nil {
		return s.fail(ctx, "EHLO", err)
	}
	_, isTLS := c.TLSConnectionState()
	offered, _ := c.Extension("STARTTLS")
	startTLS, err := planTLS(loopback, isTLS, offered)
	if err != nil {
		_ = c.Quit()
		return fmt.Errorf("%w: %s does not offer STARTTLS and is not a loopback host", err, addr)
	}
	if startTLS {
		if err := c.StartTLS(tlsConfig); err != nil {
			return s.fail(ctx, "STARTTLS", err)
		}
		isTLS = true
	}
	if s.ep.user != "" {
		if !mayAuth(loopback, isTLS) { // planTLS made sure of it; kept as a second lock
			return fmt.Errorf("%w: no credentials in the clear to %s", ErrInsecure, addr)
		}
		_, mechs := c.Extension("AUTH")
		a, err := pickAuth(mechs, s.ep.user, s.ep.pass, func(si *smtp.ServerInfo) bool { return mayAuth(loopback, si.TLS) })
		if err != nil {
			_ = c.Quit()
			return fmt.Errorf("%w: %s offers %q", err, addr, mechs)
		}
		if err := c.Auth(a); err != nil {
			return s.fail(ctx, "AUTH", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return s.fail(ctx, "MAIL", err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		return s.fail(ctx, "RCPT", err)
	}
	w, err := c.Data()
	if err != nil {
		return s.fail(ctx, "DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return s.fail(ctx, "DATA", err)
	}
	if err := w.Close(); err != nil {
		return s.fail(ctx, "DATA", err)
	}
	// The server has taken the message; a failing QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// fail wraps err from a stage of the session, adding the context's error
// when the context ended it.
func (s *SMTP) fail(ctx context.Context, stage string, err error) error {
	cerr := ctx.Err()
	if d, ok := ctx.Deadline(); cerr == nil && ok && !time.Now().Before(d) {
		cerr = context.DeadlineExceeded // the connection deadline beat the context's timer
	}
	if cerr != nil {
		return fmt.Errorf("notify: smtp %s %s: %w: %w", s.ep.host, stage, cerr, err)
	}
	return fmt.Errorf("notify: smtp %s %s: %w", s.ep.host, stage, err)
}

// planTLS decides, after the first EHLO, whether the session upgrades
// with STARTTLS. A session already under TLS goes on; otherwise STARTTLS
// is used whenever offered; otherwise only a loopback server may be spoken
// to in plain text, and any other gets ErrInsecure.
func planTLS(loopback, isTLS, offersSTARTTLS bool) (startTLS bool, err error) {
	switch {
	case isTLS:
		return false, nil
	case offersSTARTTLS:
		return true, nil
	case loopback:
		return false, nil
	default:
		return false, ErrInsecure
	}
}

// mayAuth reports whether credentials may be sent: only over TLS, or to a
// server on the loopback interface.
func mayAuth(loopback, isTLS bool) bool { return isTLS || loopback }

// pickAuth chooses AUTH PLAIN, or LOGIN if the server advertises only that,
// from the AUTH keyword's parameters. allowed is asked again at the moment
// credentials would be sent.
func pickAuth(advertised, user, pass string, allowed func(*smtp.ServerInfo) bool) (smtp.Auth, error) {
	var plain, login bool
	for _, m := range strings.Fields(advertised) {
		switch strings.ToUpper(m) {
		case "PLAIN":
			plain = true
		case "LOGIN":
			login = true
		}
	}
	switch {
	case plain:
		return &plainAuth{user: user, pass: pass, allowed: allowed}, nil
	case login:
		return &loginAuth{user: user, pass: pass, allowed: allowed}, nil
	}
	return nil, ErrAuthUnsupported
}

// plainAuth is SASL PLAIN (RFC 4616). Unlike smtp.PlainAuth it follows
// this package's loopback rule rather than net/smtp's list of local names.
type plainAuth struct {
	user, pass string
	allowed    func(*smtp.ServerInfo) bool
}

func (a *plainAuth) Start(si *smtp.ServerInfo) (string, []byte, error) {
	if !a.allowed(si) {
		return "", nil, ErrInsecure
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a *plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("notify: unexpected AUTH PLAIN challenge")
	}
	return nil, nil
}

// loginAuth is the LOGIN mechanism: the server prompts for the user name,
// then the password.
type loginAuth struct {
	user, pass string
	allowed    func(*smtp.ServerInfo) bool
	step       int
}

func (a *loginAuth) Start(si *smtp.ServerInfo) (string, []byte, error) {
	if !a.allowed(si) {
		return "", nil, ErrInsecure
	}
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(_ []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	switch a.step {
	case 1:
		return []byte(a.user), nil
	case 2:
		return []byte(a.pass), nil
	}
	return nil, errors.New("notify: unexpected AUTH LOGIN challenge")
}

// smtpEndpoint is a parsed SMTP server URL.
type smtpEndpoint struct {
	implicitTLS bool
	host, port  string
	user, pass  string
}

// parseSMTPURL parses smtp:// and smtps:// URLs. Its errors never quote the
// URL, which may hold a password.
func parseSMTPURL(raw string) (smtpEndpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return smtpEndpoint{}, fmt.Errorf("%w: not a URL", ErrBadURL)
	}
	var ep smtpEndpoint
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		ep.port = "25"
	case "smtps":
		ep.implicitTLS, ep.port = true, "465"
	default:
		return smtpEndpoint{}, fmt.Errorf("%w: scheme must be smtp or smtps", ErrBadURL)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return smtpEndpoint{}, fmt.Errorf("%w: want smtp://[user:password@]host[:port] with no path or query", ErrBadURL)
	}
	ep.host = u.Hostname()
	if ep.host == "" {
		return smtpEndpoint{}, fmt.Errorf("%w: no host", ErrBadURL)
	}
	if !validHost(ep.host) {
		return smtpEndpoint{}, fmt.Errorf("%w: host must be a domain name or an IP address", ErrBadURL)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return smtpEndpoint{}, fmt.Errorf("%w: bad port", ErrBadURL)
		}
		ep.port = strconv.Itoa(n)
	} else if strings.HasSuffix(u.Host, ":") {
		return smtpEndpoint{}, fmt.Errorf("%w: empty port", ErrBadURL)
	}
	if u.User != nil {
		ep.user = u.User.Username()
		ep.pass, _ = u.User.Password()
		switch {
		case ep.user == "" || ep.pass == "":
			return smtpEndpoint{}, fmt.Errorf("%w: give both a user name and a password, or neither", ErrBadURL)
		case strings.ContainsRune(ep.user, 0) || strings.ContainsRune(ep.pass, 0):
			return smtpEndpoint{}, fmt.Errorf("%w: NUL in user name or password", ErrBadURL)
		}
	}
	return ep, nil
}

// checkCode reports whether code can go into a message: non-empty, at most
// 64 bytes, printable ASCII with no spaces.
func checkCode(code string) error {
	if code == "" || len(code) > 64 {
		return fmt.Errorf("%w: missing or over-long code", ErrBadMessage)
	}
	for i := 0; i < len(code); i++ {
		if code[i] <= ' ' || code[i] > '~' {
			return fmt.Errorf("%w: code holds a space or a non-ASCII character", ErrBadMessage)
		}
	}
	return nil
}

// isLoopbackHost reports whether host is "localhost" or a loopback IP.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// isLoopbackAddr reports whether a connection's remote address is a
// loopback IP.
func isLoopbackAddr(a net.Addr) bool {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.IsLoopback()
	}
	ap, err := netip.ParseAddrPort(a.String())
	return err == nil && ap.Addr().IsLoopback()
}

// domainOf returns the domain of an email address, for Message-IDs.
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i+1 < len(addr) {
		return addr[i+1:]
	}
	return "localhost"
}

func defaultHelloName() string {
	if h, err := os.Hostname(); err == nil && validHelloName(h) {
		return h
	}
	return "localhost"
}

// validHelloName reports whether s is a domain name or an address literal,
// as EHLO takes (RFC 5321 section 4.1.1.1).
func validHelloName(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	if s[0] == '[' {
		if s[len(s)-1] != ']' || len(s) < 3 {
			return false
		}
		for _, r := range s[1 : len(s)-1] {
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '.' || r == ':') {
				return false
			}
		}
		return true
	}
	return validDomain(s)
}

// validHost reports whether host is an IP address (with, for IPv6, an
// optional zone naming an interface) or an ASCII domain name.
func validHost(host string) bool {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Zone() == "" || validDomain(a.Zone())
	}
	return len(host) <= 253 && validDomain(strings.TrimSuffix(host, "."))
}

// validDomain reports whether s is dot-separated labels of letters, digits,
// '-' and '_', each 1 to 63 characters and not starting or ending with '-'.
func validDomain(s string) bool {
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
