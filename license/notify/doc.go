// Package notify delivers authorization codes to customers: the
// [license.Notifier] implementations that [license.Service] sends codes
// through.
//
// # Notifiers
//
//   - [SMTP] emails a code through an SMTP server ([NewSMTP] takes an
//     smtp:// or smtps:// URL). It insists on TLS to any server that is not
//     on the loopback interface, and never sends credentials in the clear.
//   - [Twilio] texts a code through Twilio's Messages API or a compatible
//     one ([NewTwilio] takes a base URL carrying the account SID and token).
//   - [Log] writes a code to a [log/slog.Logger]; it is for demos and
//     development only, since the log then holds live codes.
//
// Every notifier words its message with [Compose], so email and SMS say the
// same thing.
//
// # Errors
//
// Constructors and Notify methods return the sentinel errors of this
// package ([ErrBadURL], [ErrInsecure], [ErrAPI], …) wrapped with detail;
// match them with [errors.Is]. An SMS API's own error code and message are
// in an [*APIError], read with [errors.As]. No error carries a password or
// an auth token.
package notify
