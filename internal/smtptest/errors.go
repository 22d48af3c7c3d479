package smtptest

import "errors"

// Sentinel errors returned by [Server.Listen]. Callers match them with
// [errors.Is].
var (
	// ErrStarted means the server is already listening, or has been closed;
	// a [Server] serves once.
	ErrStarted = errors.New("smtptest: server already started")

	// ErrNoTLSConfig means [Config.ImplicitTLS] is set without a
	// [Config.TLS] to serve it with.
	ErrNoTLSConfig = errors.New("smtptest: implicit TLS without a TLS config")
)
