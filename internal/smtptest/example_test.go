package smtptest_test

import (
	"fmt"
	"net/smtp"
	"strings"

	"github.com/licgate/licgate/internal/smtptest"
)

// A server that wants AUTH PLAIN receives a message sent with net/smtp. In a
// test, srv.Start(t) takes the place of Listen and Close.
func ExampleServer() {
	srv := &smtptest.Server{Config: smtptest.Config{
		AuthMechs:   "PLAIN",
		User:        "app",
		Pass:        "secret",
		RequireAuth: true,
	}}
	addr, err := srv.Listen()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	// net/smtp sends PLAIN credentials in the clear only to localhost.
	auth := smtp.PlainAuth("", "app", "secret", "127.0.0.1")
	body := "Subject: Hello\r\n\r\nHello Jane,\r\n.signed\r\n"
	if err := smtp.SendMail(addr, auth, "licenses@acme.example", []string{"jane@example.com"}, []byte(body)); err != nil {
		fmt.Println(err)
		return
	}

	for _, m := range srv.Messages() {
		fmt.Printf("from %s to %s, authenticated as %q, TLS %v\n", m.From, strings.Join(m.To, ", "), m.Authed, m.TLS)
		fmt.Print(strings.ReplaceAll(string(m.Data), "\r\n", "\n"))
	}
	// Output:
	// from licenses@acme.example to jane@example.com, authenticated as "app", TLS false
	// Subject: Hello
	//
	// Hello Jane,
	// .signed
}

// Commands shows the dialogue from the client's side.
func ExampleServer_Commands() {
	var srv smtptest.Server
	addr, err := srv.Listen()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	if err := smtp.SendMail(addr, nil, "a@example.com", []string{"b@example.com", "c@example.com"}, []byte("Subject: x\r\n\r\nx\r\n")); err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range srv.Commands() {
		fmt.Println(c.Line)
	}
	// Output:
	// EHLO localhost
	// MAIL FROM:<a@example.com> BODY=8BITMIME
	// RCPT TO:<b@example.com>
	// RCPT TO:<c@example.com>
	// DATA
	// QUIT
}
