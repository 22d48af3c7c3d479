package smtptest

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// sessionTimeout bounds every SMTP session, so a stuck client cannot hold
// [Server.Close] up for long.
const sessionTimeout = 10 * time.Second

// Config says how a [Server] behaves. The zero Config is a plain SMTP
// server without TLS or AUTH that accepts any message.
type Config struct {
	// TLS, if non-nil, makes the server offer STARTTLS, or serve implicit
	// TLS if ImplicitTLS is set. [TestTLS] returns one.
	TLS *tls.Config

	// ImplicitTLS makes the server speak TLS from the first byte, as on the
	// smtps port, instead of offering STARTTLS. It needs TLS.
	ImplicitTLS bool

	// AuthMechs is the space-separated list of AUTH mechanisms to advertise
	// in the EHLO reply, for example "PLAIN LOGIN". The server implements
	// PLAIN and LOGIN, answering 504 to anything else; "" advertises none.
	AuthMechs string

	// User and Pass are the credentials AUTH accepts; others get 535.
	User, Pass string

	// RequireAuth makes the server refuse MAIL with 530 until a client has
	// authenticated.
	RequireAuth bool

	// NoEHLO makes the server answer EHLO with 502, so that clients fall
	// back to HELO (and see no extensions).
	NoEHLO bool

	// Silent makes the server accept connections and never say a word, not
	// even the greeting, until the client hangs up or the server closes.
	Silent bool
}

// Message is one message a [Server] accepted.
type Message struct {
	// From is the reverse path of MAIL FROM, without the angle brackets.
	From string

	// To holds the forward paths of RCPT TO, in order.
	To []string

	// Data is the message content after DATA, dot-unstuffed, with its CRLF
	// line endings and without the final ".".
	Data []byte

	// TLS says whether the session was under TLS when MAIL came.
	TLS bool

	// Authed is the user name the session had authenticated as when MAIL
	// came, or "" if it had not.
	Authed string
}

// Command is one line a client sent to a [Server]: a command, or a reply to
// an AUTH challenge. Message content after DATA is not a Command.
type Command struct {
	// Line is the line without its CRLF.
	Line string

	// TLS says whether the line came under TLS.
	TLS bool
}

// Server is an in-process SMTP server for tests. Set its [Config] before
// [Server.Start] or [Server.Listen] and leave it alone afterwards; the other
// methods are safe for concurrent use. A Server serves once: it cannot be
// started again after [Server.Close].
//
// The server calls itself "test.example". A session ends after 10 seconds.
// STARTTLS forgets the session (greeting, authentication, mail
// transaction) as RFC 3207 says, and EHLO and HELO abort a mail
// transaction.
type Server struct {
	Config

	wg      sync.WaitGroup // the accept loop and one goroutine per connection
	mu      sync.Mutex     // guards the fields below
	ln      net.Listener
	closed  bool
	conns   map[net.Conn]struct{}
	msgs    []Message
	cmds    []Command
	arrived chan struct{} // closed, and cleared, when a message arrives
}

// Start listens on a port of 127.0.0.1 chosen by the system and serves in
// the background until the test and its subtests end, when a cleanup
// function closes the server. It returns the address, "127.0.0.1:port".
// Start fails the test if [Server.Listen] does.
func (s *Server) Start(t testing.TB) string {
	t.Helper()
	addr, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return addr
}

// Listen is [Server.Start] for code without a [testing.TB]: it listens on a
// port of 127.0.0.1 chosen by the system and serves in the background until
// [Server.Close]. It returns the address, "127.0.0.1:port". It returns
// [ErrStarted] if the server has been started or closed before, and
// [ErrNoTLSConfig] if the [Config] asks for implicit TLS without a
// certificate.
func (s *Server) Listen() (addr string, err error) {
	if s.ImplicitTLS && s.TLS == nil {
		return "", ErrNoTLSConfig
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil || s.closed {
		return "", ErrStarted
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("smtptest: %w", err)
	}
	if s.ImplicitTLS {
		ln = tls.NewListener(ln, s.TLS)
	}
	s.ln, s.conns = ln, make(map[net.Conn]struct{})
	s.wg.Go(func() { s.accept(ln) })
	return ln.Addr().String(), nil
}

// Close stops the server: it closes the listener and every open
// connection, and returns when all of them are done. What the server has
// received stays readable. Close may be called more than once, and before
// the server started.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	if s.ln != nil {
		s.ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Messages returns the messages the server has accepted so far, oldest
// first. The caller owns the result.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messagesLocked()
}

// Commands returns the lines clients have sent so far, in the order the
// server read them. The caller owns the result.
func (s *Server) Commands() []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.cmds)
}

// WaitMessages waits until the server has accepted at least n messages and
// returns all of them, as [Server.Messages] does. It is for code that sends
// mail in the background. If timeout passes first, WaitMessages fails the
// test with t.Fatalf, so, like it, it must be called from the goroutine
// running the test.
func (s *Server) WaitMessages(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			msgs := s.messagesLocked()
			s.mu.Unlock()
			return msgs
		}
		if s.arrived == nil {
			s.arrived = make(chan struct{})
		}
		arrived, got := s.arrived, len(s.msgs)
		s.mu.Unlock()
		select {
		case <-arrived:
		case <-timer.C:
			t.Fatalf("smtptest: %d messages after %v, want %d", got, timeout, n)
			return nil
		}
	}
}

// messagesLocked returns a deep copy of s.msgs; s.mu must be held.
func (s *Server) messagesLocked() []Message {
	if s.msgs == nil {
		return nil
	}
	msgs := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		m.To, m.Data = slices.Clone(m.To), slices.Clone(m.Data)
		msgs[i] = m
	}
	return msgs
}

// accept serves the connections of ln until it is closed.
func (s *Server) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		closed := s.closed
		if !closed {
			s.conns[c] = struct{}{}
		}
		s.mu.Unlock()
		if closed { // Close came between Accept and the lock
			c.Close()
			continue
		}
		s.wg.Go(func() {
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			if s.Silent {
				_, _ = io.Copy(io.Discard, c) // until the client hangs up or Close
				return
			}
			s.serve(c)
		})
	}
}

// record appends a message and wakes [Server.WaitMessages].
func (s *Server) record(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	if s.arrived != nil {
		close(s.arrived)
		s.arrived = nil
	}
}

// serve runs one SMTP session on conn.
func (s *Server) serve(conn net.Conn) {
	_ = conn.SetDeadline(time.Now().Add(sessionTimeout))
	_, isTLS := conn.(*tls.Conn)
	r, w := bufio.NewReader(conn), bufio.NewWriter(conn)
	reply := func(lines ...string) bool {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		return w.Flush() == nil
	}
	readLine := func() (string, bool) {
		l, err := r.ReadString('\n')
		if err != nil {
			return "", false
		}
		l = strings.TrimRight(l, "\r\n")
		s.mu.Lock()
		s.cmds = append(s.cmds, Command{Line: l, TLS: isTLS})
		s.mu.Unlock()
		return l, true
	}
	var (
		greeted bool
		authed  string
		msg     *Message
	)
	if !reply("220 test.example ESMTP ready") {
		return
	}
	for {
		line, ok := readLine()
		if !ok {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			if s.NoEHLO {
				reply("502 5.5.2 EHLO not implemented")
				continue
			}
			greeted, msg = true, nil
			lines := []string{"250-test.example greets " + arg, "250-8BITMIME"}
			if s.TLS != nil && !isTLS {
				lines = append(lines, "250-STARTTLS")
			}
			if s.AuthMechs != "" {
				lines = append(lines, "250-AUTH "+s.AuthMechs)
			}
			reply(append(lines, "250 HELP")...)
		case "HELO":
			greeted, msg = true, nil
			reply("250 test.example")
		case "STARTTLS":
			if s.TLS == nil || isTLS {
				reply("502 5.5.1 no STARTTLS here")
				continue
			}
			if !reply("220 2.0.0 ready to start TLS") {
				return
			}
			tc := tls.Server(conn, s.TLS)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, isTLS = tc, true
			r, w = bufio.NewReader(conn), bufio.NewWriter(conn)
			greeted, authed, msg = false, "", nil // RFC 3207: forget everything
		case "AUTH":
			if !greeted {
				reply("503 5.5.1 EHLO first")
				continue
			}
			mech, initial, _ := strings.Cut(arg, " ")
			var user, pass string
			switch strings.ToUpper(mech) {
			case "PLAIN":
				if !strings.Contains(s.AuthMechs, "PLAIN") {
					reply("504 5.5.4 unrecognized mechanism")
					continue
				}
				if initial == "" {
					reply("334 ")
					if initial, ok = readLine(); !ok {
						return
					}
				}
				b, err := base64.StdEncoding.DecodeString(initial)
				parts := strings.Split(string(b), "\x00")
				if err != nil || len(parts) != 3 {
					reply("501 5.5.2 bad PLAIN response")
					continue
				}
				user, pass = parts[1], parts[2]
			case "LOGIN":
				if !strings.Contains(s.AuthMechs, "LOGIN") {
					reply("504 5.5.4 unrecognized mechanism")
					continue
				}
				var u64, p64 string
				if initial != "" {
					u64 = initial
				} else {
					reply("334 " + base64.StdEncoding.EncodeToString([]byte("Username:")))
					if u64, ok = readLine(); !ok {
						return
					}
				}
				reply("334 " + base64.StdEncoding.EncodeToString([]byte("Password:")))
				if p64, ok = readLine(); !ok {
					return
				}
				u, err1 := base64.StdEncoding.DecodeString(u64)
				p, err2 := base64.StdEncoding.DecodeString(p64)
				if err1 != nil || err2 != nil {
					reply("501 5.5.2 bad LOGIN response")
					continue
				}
				user, pass = string(u), string(p)
			default:
				reply("504 5.5.4 unrecognized mechanism")
				continue
			}
			if user != s.User || pass != s.Pass {
				reply("535 5.7.8 authentication credentials invalid")
				continue
			}
			authed = user
			reply("235 2.7.0 authentication successful")
		case "MAIL":
			switch {
			case !greeted:
				reply("503 5.5.1 EHLO first")
			case s.RequireAuth && authed == "":
				reply("530 5.7.0 authentication required")
			case !strings.HasPrefix(strings.ToUpper(arg), "FROM:<"):
				reply("501 5.5.4 syntax: MAIL FROM:<address>")
			default:
				from, _, _ := strings.Cut(arg[len("FROM:<"):], ">")
				msg = &Message{From: from, TLS: isTLS, Authed: authed}
				reply("250 2.1.0 ok")
			}
		case "RCPT":
			if msg == nil {
				reply("503 5.5.1 MAIL first")
				continue
			}
			if !strings.HasPrefix(strings.ToUpper(arg), "TO:<") {
				reply("501 5.5.4 syntax: RCPT TO:<address>")
				continue
			}
			to, _, _ := strings.Cut(arg[len("TO:<"):], ">")
			msg.To = append(msg.To, to)
			reply("250 2.1.5 ok")
		case "DATA":
			if msg == nil || len(msg.To) == 0 {
				reply("503 5.5.1 RCPT first")
				continue
			}
			reply("354 end data with <CR><LF>.<CR><LF>")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				l = strings.TrimPrefix(l, ".") // dot-unstuffing, RFC 5321 section 4.5.2
				data.WriteString(l)
			}
			msg.Data = []byte(data.String())
			s.record(*msg)
			msg = nil
			reply("250 2.0.0 queued")
		case "RSET":
			msg = nil
			reply("250 2.0.0 ok")
		case "NOOP":
			reply("250 2.0.0 ok")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("500 5.5.2 command not recognized")
		}
	}
}
