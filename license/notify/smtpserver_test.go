package notify

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// testCert is a self-signed certificate for localhost, 127.0.0.1, ::1 and
// mail.example.com, made once per test binary.
var testCert = sync.OnceValues(func() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "licgate test SMTP server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost", "mail.example.com"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
})

// serverTLS returns the server side TLS config and a client config that
// trusts it.
func serverTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	cert, err := testCert()
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// serverConfig says how an [smtpServer] behaves.
type serverConfig struct {
	tlsConfig   *tls.Config // non-nil: offer STARTTLS (or serve implicit TLS)
	implicitTLS bool        // TLS from the first byte (smtps)
	authMechs   string      // AUTH parameters to advertise, e.g. "PLAIN LOGIN"; "" for none
	user, pass  string      // accepted credentials
	requireAuth bool        // refuse MAIL before a successful AUTH
	noEHLO      bool        // answer EHLO with 502, so the client falls back to HELO
	silent      bool        // accept connections and never say a word
}

// smtpServer is a small in-process SMTP server for tests.
type smtpServer struct {
	serverConfig

	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	msgs []received
	log  []command
}

// received is one message the server accepted.
type received struct {
	from   string
	to     []string
	data   []byte
	tls    bool // the session was under TLS when MAIL came
	authed string
}

// command is one line a client sent, and whether it came under TLS.
type command struct {
	line string
	tls  bool
}

// start listens on 127.0.0.1:0 and serves until the test ends.
func (s *smtpServer) start(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s.implicitTLS {
		ln = tls.NewListener(ln, s.tlsConfig)
	}
	s.ln = ln
	var conns sync.Map
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Store(c, true)
			s.wg.Go(func() {
				defer conns.Delete(c)
				defer c.Close()
				if s.silent {
					_, _ = c.Read(make([]byte, 1)) // until the client hangs up or the test ends
					return
				}
				s.serve(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		conns.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
		s.wg.Wait()
	})
	return ln.Addr().String()
}

// messages returns what the server has accepted so far.
func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

// commands returns the lines clients have sent so far.
func (s *smtpServer) commands() []command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]command(nil), s.log...)
}

func (s *smtpServer) serve(conn net.Conn) {
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
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
		s.log = append(s.log, command{line: l, tls: isTLS})
		s.mu.Unlock()
		return l, true
	}
	var (
		greeted bool
		authed  string
		msg     *received
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
			if s.noEHLO {
				reply("502 5.5.2 EHLO not implemented")
				continue
			}
			greeted, msg = true, nil
			lines := []string{"250-test.example greets " + arg, "250-8BITMIME"}
			if s.tlsConfig != nil && !isTLS {
				lines = append(lines, "250-STARTTLS")
			}
			if s.authMechs != "" {
				lines = append(lines, "250-AUTH "+s.authMechs)
			}
			reply(append(lines, "250 HELP")...)
		case "HELO":
			greeted, msg = true, nil
			reply("250 test.example")
		case "STARTTLS":
			if s.tlsConfig == nil || isTLS {
				reply("502 5.5.1 no STARTTLS here")
				continue
			}
			if !reply("220 2.0.0 ready to start TLS") {
				return
			}
			tc := tls.Server(conn, s.tlsConfig)
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
				if !strings.Contains(s.authMechs, "PLAIN") {
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
				if !strings.Contains(s.authMechs, "LOGIN") {
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
			if user != s.user || pass != s.pass {
				reply("535 5.7.8 authentication credentials invalid")
				continue
			}
			authed = user
			reply("235 2.7.0 authentication successful")
		case "MAIL":
			switch {
			case !greeted:
				reply("503 5.5.1 EHLO first")
			case s.requireAuth && authed == "":
				reply("530 5.7.0 authentication required")
			case !strings.HasPrefix(strings.ToUpper(arg), "FROM:<"):
				reply("501 5.5.4 syntax: MAIL FROM:<address>")
			default:
				from, _, _ := strings.Cut(arg[len("FROM:<"):], ">")
				msg = &received{from: from, tls: isTLS, authed: authed}
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
			msg.to = append(msg.to, to)
			reply("250 2.1.5 ok")
		case "DATA":
			if msg == nil || len(msg.to) == 0 {
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
				if strings.HasPrefix(l, ".") {
					l = l[1:] // dot-unstuffing, RFC 5321 section 4.5.2
				}
				data.WriteString(l)
			}
			msg.data = []byte(data.String())
			s.mu.Lock()
			s.msgs = append(s.msgs, *msg)
			s.mu.Unlock()
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
