package webhook

import "errors"

// Sentinel errors of this package. Callers match them with [errors.Is]; the
// wrapping error adds detail for logs and never quotes a secret.
var (
	// ErrBadSecret means a signing secret is not "whsec_" followed by the
	// standard base64 of a non-empty key.
	ErrBadSecret = errors.New("webhook: bad secret")

	// ErrBadEvent means an event cannot be sent: its Data is not JSON.
	ErrBadEvent = errors.New("webhook: bad event")

	// ErrMissingHeader means a message lacks the webhook-id,
	// webhook-timestamp or webhook-signature header.
	ErrMissingHeader = errors.New("webhook: missing header")

	// ErrBadTimestamp means the webhook-timestamp header is not a
	// non-negative number of seconds since the Unix epoch.
	ErrBadTimestamp = errors.New("webhook: bad timestamp")

	// ErrOutsideTolerance means the webhook-timestamp of a message is further
	// from now than the tolerance allows: too old (perhaps replayed) or too
	// far in the future.
	ErrOutsideTolerance = errors.New("webhook: timestamp outside tolerance")

	// ErrBadSignature means no signature of the webhook-signature header
	// matches the message.
	ErrBadSignature = errors.New("webhook: no matching signature")

	// ErrBadOption means an option was given a nil or out-of-range value, or
	// the options contradict each other (a lease not longer than the HTTP
	// client's timeout).
	ErrBadOption = errors.New("webhook: bad option")

	// ErrNilStore means [New] was given a nil store.
	ErrNilStore = errors.New("webhook: nil store")

	// ErrRunning means [Dispatcher.Run] was called while it was already
	// running.
	ErrRunning = errors.New("webhook: dispatcher already running")
)
