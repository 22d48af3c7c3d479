// Package webhook delivers licgate's webhook events to the endpoints
// vendors register, signed as the Standard Webhooks specification says
// (https://www.standardwebhooks.com), and lets a receiver check them.
//
// # Messages
//
// Each event ([license.Event] with Data) is posted to each webhook as a JSON
// body, {"type": …, "timestamp": …, "data": …} ([Payload]), with the
// headers webhook-id (the event's ID, the same on every retry, so that a
// receiver drops duplicates), webhook-timestamp (the attempt's time in
// Unix seconds) and webhook-signature ([Sign]: "v1," and the base64 of an
// HMAC-SHA256 keyed with the webhook's secret, [NewSecret]). A receiver
// checks a message with [Verify], or with any Standard Webhooks library.
//
// # Delivery
//
// The store writes a pending [license.Delivery] for every webhook in the
// transaction that records the event: the outbox. A [Dispatcher] claims
// due deliveries from it for a lease, posts them with a bounded number of
// workers, and records each [license.Attempt]. A 2xx answer delivers the
// message; 410 Gone fails it at once; anything else (another status, a
// redirect, a timeout, a refused connection) is retried on a schedule
// ([DefaultSchedule], with 10% jitter) for up to [RetryWindow] after the
// event, and then the delivery is failed. Delivery is at least once: a
// dispatcher that dies mid-attempt leaves its deliveries to be claimed
// again when the lease ends.
//
// A [license.Service] stores each webhook's secret sealed under its own
// secret; give the dispatcher [WithSecrets] with the service's
// OpenWebhookSecret so that it signs with the secret in clear.
//
// Several dispatchers may share one database; each due delivery is
// claimed by one of them. Within a process, [Dispatcher.Wake] makes the
// dispatcher look at once, so an event is sent right after the request
// that caused it commits, without that request waiting for it; events
// recorded by other replicas are found within the poll interval.
//
// # Errors
//
// [New] and the options return [ErrNilStore] and [ErrBadOption]; [Sign]
// and [Verify] return [ErrBadSecret], [ErrMissingHeader], [ErrBadTimestamp],
// [ErrOutsideTolerance] and [ErrBadSignature], wrapped with detail. Match
// them with [errors.Is]. No error, log line or recorded attempt carries a
// secret.
package webhook
