package smtptest

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"runtime"
	"testing"
	"time"
)

// loginAuth is AUTH LOGIN, which net/smtp lacks.
type loginAuth struct{ user, pass string }

var _ smtp.Auth = loginAuth{}

func (a loginAuth) Start(*smtp.ServerInfo) (string, []byte, error) { return "LOGIN", nil, nil }

func (a loginAuth) Next(challenge []byte, more bool) ([]byte, error) {
	switch {
	case !more:
		return nil, nil
	case string(challenge) == "Username:":
		return []byte(a.user), nil
	case string(challenge) == "Password:":
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("unexpected challenge %q", challenge)
}

// send delivers one message from a@example.com to b@example.com over c and
// quits.
func send(t *testing.T, c *smtp.Client, auth smtp.Auth) {
	t.Helper()
	if auth != nil {
		if err := c.Auth(auth); err != nil {
			t.Fatalf("Auth: %v", err)
		}
	}
	if err := c.Mail("a@example.com"); err != nil {
		t.Fatalf("Mail: %v", err)
	}
	if err := c.Rcpt("b@example.com"); err != nil {
		t.Fatalf("Rcpt: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("Data: %v", err)
	}
	if _, err := io.WriteString(w, "Subject: x\r\n\r\n.\r\n..two\r\nend\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Data close: %v", err)
	}
	if err := c.Quit(); err != nil {
		t.Fatalf("Quit: %v", err)
	}
}

func TestServerTLSAndAuth(t *testing.T) {
	t.Parallel()
	srvTLS, cliTLS := TestTLS(t)
	tests := []struct {
		name     string
		cfg      Config
		auth     smtp.Auth
		wantTLS  bool
		wantUser string
	}{
		{name: "plain", cfg: Config{}},
		{name: "STARTTLS", cfg: Config{TLS: srvTLS}, wantTLS: true},
		{
			name: "STARTTLS, AUTH PLAIN",
			cfg:  Config{TLS: srvTLS, AuthMechs: "PLAIN", User: "u", Pass: "p", RequireAuth: true},
			auth: smtp.PlainAuth("", "u", "p", "localhost"), wantTLS: true, wantUser: "u",
		},
		{
			name: "STARTTLS, AUTH LOGIN",
			cfg:  Config{TLS: srvTLS, AuthMechs: "LOGIN", User: "u", Pass: "p", RequireAuth: true},
			auth: loginAuth{"u", "p"}, wantTLS: true, wantUser: "u",
		},
		{
			name: "implicit TLS, AUTH PLAIN",
			cfg:  Config{TLS: srvTLS, ImplicitTLS: true, AuthMechs: "PLAIN LOGIN", User: "u", Pass: "p"},
			auth: smtp.PlainAuth("", "u", "p", "localhost"), wantTLS: true, wantUser: "u",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &Server{Config: tt.cfg}
			addr := srv.Start(t)
			var conn net.Conn
			var err error
			if tt.cfg.ImplicitTLS {
				cfg := cliTLS.Clone()
				cfg.ServerName = "localhost"
				conn, err = tls.Dial("tcp", addr, cfg)
			} else {
				conn, err = net.Dial("tcp", addr)
			}
			if err != nil {
				t.Fatal(err)
			}
			c, err := smtp.NewClient(conn, "localhost")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			offered, _ := c.Extension("STARTTLS")
			if want := tt.cfg.TLS != nil && !tt.cfg.ImplicitTLS; offered != want {
				t.Errorf("STARTTLS offered %v, want %v", offered, want)
			}
			if offered {
				cfg := cliTLS.Clone()
				cfg.ServerName = "localhost"
				if err := c.StartTLS(cfg); err != nil {
					t.Fatalf("StartTLS: %v", err)
				}
			}
			send(t, c, tt.auth)

			got := srv.Messages()
			if len(got) != 1 {
				t.Fatalf("got %d messages, want 1", len(got))
			}
			m := got[0]
			if m.From != "a@example.com" || len(m.To) != 1 || m.To[0] != "b@example.com" {
				t.Errorf("envelope from %q to %q, want a@example.com to [b@example.com]", m.From, m.To)
			}
			if want := "Subject: x\r\n\r\n.\r\n..two\r\nend\r\n"; string(m.Data) != want {
				t.Errorf("data %q, want %q", m.Data, want)
			}
			if m.TLS != tt.wantTLS || m.Authed != tt.wantUser {
				t.Errorf("TLS %v, authenticated as %q; want %v, %q", m.TLS, m.Authed, tt.wantTLS, tt.wantUser)
			}
			underTLS := tt.cfg.ImplicitTLS
			for _, c := range srv.Commands() {
				if c.TLS != underTLS {
					t.Errorf("%q under TLS %v, want %v", c.Line, c.TLS, underTLS)
				}
				underTLS = underTLS || c.Line == "STARTTLS"
			}
		})
	}
}

// startTLS is a step of [TestServerReplies] that makes the TLS handshake.
const startTLS = "(handshake)"

// TestServerReplies plays SMTP dialogues line by line.
func TestServerReplies(t *testing.T) {
	t.Parallel()
	srvTLS, cliTLS := TestTLS(t)
	type step struct {
		send string
		want int // reply code
	}
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"order", Config{}, []step{
			{"MAIL FROM:<a@example.com>", 503}, {"AUTH PLAIN", 503}, {"HELO client", 250},
			{"RCPT TO:<b@example.com>", 503}, {"DATA", 503}, {"MAIL FROM:<a@example.com>", 250},
			{"DATA", 503}, {"RSET", 250}, {"RCPT TO:<b@example.com>", 503}, {"NOOP", 250},
			{"VRFY b", 500}, {"MAIL a@example.com", 501}, {"MAIL FROM:<a@example.com>", 250},
			{"RCPT b@example.com", 501}, {"EHLO client", 250}, {"RCPT TO:<b@example.com>", 503},
			{"QUIT", 221},
		}},
		{"no STARTTLS", Config{}, []step{{"EHLO client", 250}, {"STARTTLS", 502}}},
		{"no EHLO", Config{NoEHLO: true}, []step{
			{"EHLO client", 502}, {"MAIL FROM:<a@example.com>", 503}, {"HELO client", 250},
			{"MAIL FROM:<a@example.com>", 250},
		}},
		{"auth required", Config{AuthMechs: "PLAIN", User: "u", Pass: "p", RequireAuth: true}, []step{
			{"EHLO client", 250}, {"MAIL FROM:<a@example.com>", 530},
			{"AUTH LOGIN", 504}, {"AUTH CRAM-MD5", 504}, {"AUTH PLAIN !!", 501},
			{"AUTH PLAIN " + b64("\x00u\x00wrong"), 535}, {"AUTH PLAIN", 334}, {b64("\x00u\x00p"), 235},
			{"MAIL FROM:<a@example.com>", 250},
		}},
		{"auth login", Config{AuthMechs: "LOGIN", User: "u", Pass: "p"}, []step{
			{"EHLO client", 250}, {"AUTH PLAIN " + b64("\x00u\x00p"), 504},
			{"AUTH LOGIN", 334}, {b64("u"), 334}, {b64("wrong"), 535},
			{"AUTH LOGIN " + b64("u"), 334}, {"!!", 501},
			{"AUTH LOGIN " + b64("u"), 334}, {b64("p"), 235},
		}},
		{"STARTTLS forgets the session", Config{TLS: srvTLS, AuthMechs: "PLAIN", User: "u", Pass: "p", RequireAuth: true}, []step{
			{"EHLO client", 250}, {"AUTH PLAIN " + b64("\x00u\x00p"), 235}, {"STARTTLS", 220}, {startTLS, 0},
			{"MAIL FROM:<a@example.com>", 503}, {"STARTTLS", 502}, {"EHLO client", 250},
			{"MAIL FROM:<a@example.com>", 530},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &Server{Config: tt.cfg}
			conn, err := net.Dial("tcp", srv.Start(t))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { conn.Close() }()
			c := textproto.NewConn(conn)
			if _, _, err := c.ReadResponse(220); err != nil {
				t.Fatalf("greeting: %v", err)
			}
			for _, s := range tt.steps {
				if s.send == startTLS {
					cfg := cliTLS.Clone()
					cfg.ServerName = "localhost"
					tc := tls.Client(conn, cfg)
					if err := tc.Handshake(); err != nil {
						t.Fatalf("handshake: %v", err)
					}
					conn, c = tc, textproto.NewConn(tc)
					continue
				}
				if err := c.PrintfLine("%s", s.send); err != nil {
					t.Fatal(err)
				}
				if code, msg, err := c.ReadResponse(s.want); err != nil {
					t.Fatalf("%q: %d %s, want %d", s.send, code, msg, s.want)
				}
			}
		})
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestServerWaitMessages(t *testing.T) {
	t.Parallel()
	var srv Server
	addr := srv.Start(t)
	const n = 3
	errs := make(chan error, n)
	go func() {
		for i := range n {
			time.Sleep(20 * time.Millisecond)
			errs <- smtp.SendMail(addr, nil, "a@example.com", []string{fmt.Sprint("b", i, "@example.com")}, []byte("x\r\n"))
		}
	}()
	got := srv.WaitMessages(t, n, 5*time.Second)
	if len(got) != n {
		t.Fatalf("got %d messages, want %d", len(got), n)
	}
	for i, m := range got {
		if want := fmt.Sprint("b", i, "@example.com"); len(m.To) != 1 || m.To[0] != want {
			t.Errorf("message %d to %q, want [%s]", i, m.To, want)
		}
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	// Already there: no wait.
	if got := srv.WaitMessages(t, 2, 0); len(got) != n {
		t.Errorf("got %d messages, want %d", len(got), n)
	}
}

// fakeTB records Fatalf and ends the goroutine, as testing.T does.
type fakeTB struct {
	testing.TB
	fatal string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestServerWaitMessagesTimeout(t *testing.T) {
	t.Parallel()
	var srv Server
	addr := srv.Start(t)
	if err := smtp.SendMail(addr, nil, "a@example.com", []string{"b@example.com"}, []byte("x\r\n")); err != nil {
		t.Fatal(err)
	}
	tb := &fakeTB{TB: t}
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		srv.WaitMessages(tb, 2, 100*time.Millisecond)
		t.Error("WaitMessages returned without enough messages")
	}()
	<-done
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("WaitMessages gave up after %v, want 100ms", d)
	}
	if want := "smtptest: 1 messages after 100ms, want 2"; tb.fatal != want {
		t.Errorf("Fatalf(%q), want %q", tb.fatal, want)
	}
}

func TestServerMessagesCopy(t *testing.T) {
	t.Parallel()
	var srv Server
	addr := srv.Start(t)
	if err := smtp.SendMail(addr, nil, "a@example.com", []string{"b@example.com"}, []byte("x\r\n")); err != nil {
		t.Fatal(err)
	}
	m := srv.Messages()
	m[0].To[0], m[0].Data[0] = "changed", 'y'
	if m := srv.Messages(); m[0].To[0] != "b@example.com" || string(m[0].Data) != "x\r\n" {
		t.Errorf("a caller changed the server's message: %+v", m[0])
	}
}

func TestServerListen(t *testing.T) {
	t.Parallel()
	srvTLS, _ := TestTLS(t)
	if _, err := (&Server{Config: Config{ImplicitTLS: true}}).Listen(); !errors.Is(err, ErrNoTLSConfig) {
		t.Errorf("implicit TLS without a config: %v, want ErrNoTLSConfig", err)
	}
	srv := &Server{Config: Config{TLS: srvTLS, ImplicitTLS: true}}
	if _, err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Listen(); !errors.Is(err, ErrStarted) {
		t.Errorf("second Listen: %v, want ErrStarted", err)
	}
	srv.Close()
	srv.Close()
	if _, err := srv.Listen(); !errors.Is(err, ErrStarted) {
		t.Errorf("Listen after Close: %v, want ErrStarted", err)
	}
	var unused Server
	unused.Close()
	if _, err := unused.Listen(); !errors.Is(err, ErrStarted) {
		t.Errorf("Listen after Close: %v, want ErrStarted", err)
	}
}

// TestServerSilent checks that a silent server says nothing, and that Close
// ends its connections.
func TestServerSilent(t *testing.T) {
	t.Parallel()
	srv := &Server{Config: Config{Silent: true}}
	addr, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("EHLO client\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := conn.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read from a silent server: %d bytes, %v; want a timeout", n, err)
	}
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a silent connection")
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := conn.Read(make([]byte, 1)); err == nil {
		t.Errorf("read %d bytes after Close, want an error", n)
	}
	if c := srv.Commands(); len(c) != 0 {
		t.Errorf("a silent server logged %+v", c)
	}
}
