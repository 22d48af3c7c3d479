package notify

import "errors"

// Sentinel errors returned by the constructors and notifiers of this
// package. Callers match them with [errors.Is]; the wrapping error adds
// detail for logs and never carries a password or an auth token.
var (
	// ErrBadURL means a server URL is malformed, has an unsupported scheme,
	// or lacks what the notifier needs (a host, or the account credentials).
	ErrBadURL = errors.New("notify: bad URL")

	// ErrBadAddress means a sender or recipient (email address or phone
	// number) is malformed.
	ErrBadAddress = errors.New("notify: bad address")

	// ErrBadOption means an option was given a nil or out-of-range value.
	ErrBadOption = errors.New("notify: bad option")

	// ErrBadMessage means a [license.Message] cannot be sent: it has no code,
	// or it is meant for another channel.
	ErrBadMessage = errors.New("notify: bad message")

	// ErrHeaderInjection means a value bound for an email header contains a
	// carriage return or a line feed.
	ErrHeaderInjection = errors.New("notify: line break in header value")

	// ErrInsecure means the SMTP server is not on the loopback interface and
	// did not offer STARTTLS, so the message (and any credentials) would have
	// crossed the network in the clear. Nothing was sent.
	ErrInsecure = errors.New("notify: refusing to send without TLS")

	// ErrAuthUnsupported means credentials are configured but the SMTP server
	// offers neither AUTH PLAIN nor AUTH LOGIN.
	ErrAuthUnsupported = errors.New("notify: no supported SMTP AUTH mechanism")

	// ErrAPI means an SMS API answered with a non-2xx status; the error is an
	// [*APIError] that says which.
	ErrAPI = errors.New("notify: SMS API error")
)
