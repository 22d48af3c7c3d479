// Package smtptest provides an in-process SMTP server for tests, in the
// spirit of [net/http/httptest].
//
// A [Server] listens on 127.0.0.1, speaks enough of SMTP for a real client
// (EHLO and HELO, STARTTLS, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA with
// dot-unstuffing, RSET, NOOP and QUIT) and records every message it accepts
// ([Server.Messages]) and every line a client sends ([Server.Commands]),
// with whether it came under TLS. Its [Config] makes it offer or serve TLS,
// demand authentication, refuse EHLO, or say nothing at all.
//
// # Use
//
// In a test, [Server.Start] listens and stops the server when the test
// ends. Code that sends mail in the background is awaited with
// [Server.WaitMessages]. [TestTLS] gives a self-signed certificate for the
// server and a client configuration that trusts it. Outside a test,
// [Server.Listen] and [Server.Close] do the same by hand.
//
// The package is for tests only: it keeps everything in memory and trusts
// its clients.
package smtptest
