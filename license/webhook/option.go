package webhook

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/licgate/licgate/license"
)

// Option configures a [Dispatcher]; see [New].
type Option func(*config) error

// config is what the options set.
type config struct {
	client   *http.Client
	poll     time.Duration
	lease    time.Duration
	batch    int
	workers  int
	now      func() time.Time
	logger   *slog.Logger
	hook     func(license.Attempt, license.DeliveryState)
	schedule []time.Duration
	drain    time.Duration
	secrets  func(license.Webhook) (string, error)
}

// defaultConfig returns the secure defaults, set before the options run.
func defaultConfig() config {
	return config{
		client: &http.Client{
			Timeout: 10 * time.Second,
			// A redirect is an answer other than 2xx, so a failed attempt:
			// the signature was made for the webhook's URL, not another.
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		poll:     time.Second,
		lease:    time.Minute,
		batch:    16,
		workers:  8,
		now:      time.Now,
		schedule: DefaultSchedule(),
		drain:    5 * time.Second,
	}
}

// WithHTTPClient sets the HTTP client that posts messages, for its
// transport, proxy, TLS settings or timeout. Its Timeout must be set, and
// shorter than the lease ([WithLease]), so that an attempt ends before
// another dispatcher may claim the delivery again; its redirect policy is
// used as it is. A nil client or one without a Timeout yields
// [ErrBadOption]. Default: a client with a 10-second timeout that does not
// follow redirects (a redirect is a failed attempt).
func WithHTTPClient(c *http.Client) Option {
	return func(cfg *config) error {
		if c == nil {
			return fmt.Errorf("%w: nil HTTP client", ErrBadOption)
		}
		if c.Timeout <= 0 {
			return fmt.Errorf("%w: the HTTP client has no timeout", ErrBadOption)
		}
		cfg.client = c
		return nil
	}
}

// WithPollInterval sets how long [Dispatcher.Run] waits, when nothing is
// due, before it looks for due deliveries again. Deliveries due later (a
// retry) and events recorded by other replicas, which do not call
// [Dispatcher.Wake] here, are found within it. A duration of 0 or less
// yields [ErrBadOption]. Default: 1 second.
func WithPollInterval(d time.Duration) Option {
	return func(cfg *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: poll interval %v", ErrBadOption, d)
		}
		cfg.poll = d
		return nil
	}
}

// WithLease sets how long a claimed delivery stays claimed
// ([license.Store.ClaimDeliveries]). A dispatcher that dies mid-attempt
// leaves its deliveries to others once the lease ends, so they are
// delivered at least once. It must be longer than the HTTP client's
// timeout; a duration of 0 or less, or one not longer than the timeout,
// yields [ErrBadOption] (from [New]). Default: 1 minute.
func WithLease(d time.Duration) Option {
	return func(cfg *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: lease %v", ErrBadOption, d)
		}
		cfg.lease = d
		return nil
	}
}

// WithBatch sets how many deliveries one claim takes at most. A dispatcher
// never claims more than it has idle workers, so that every claimed
// delivery is attempted at once, well within its lease. A number below 1
// yields [ErrBadOption]. Default: 16.
func WithBatch(n int) Option {
	return func(cfg *config) error {
		if n < 1 {
			return fmt.Errorf("%w: batch %d", ErrBadOption, n)
		}
		cfg.batch = n
		return nil
	}
}

// WithWorkers sets how many messages are posted at once. A number below 1
// yields [ErrBadOption]. Default: 8.
func WithWorkers(n int) Option {
	return func(cfg *config) error {
		if n < 1 {
			return fmt.Errorf("%w: workers %d", ErrBadOption, n)
		}
		cfg.workers = n
		return nil
	}
}

// WithClock sets the clock that decides which deliveries are due, stamps
// attempts and their webhook-timestamp, and schedules retries. A nil
// function yields [ErrBadOption]. Default: [time.Now].
func WithClock(now func() time.Time) Option {
	return func(cfg *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrBadOption)
		}
		cfg.now = now
		return nil
	}
}

// WithLogger sets the logger of failed attempts, given-up deliveries and
// store errors (at debug level, of delivered messages). It never logs a
// secret or a webhook's URL. Nil means silent. Default: silent.
func WithLogger(l *slog.Logger) Option {
	return func(cfg *config) error {
		cfg.logger = l
		return nil
	}
}

// WithResultHook sets a function called after each attempt, with the
// attempt and the state it left the delivery in (pending for a retry), for
// metrics. It is called from several goroutines at once and must not
// block. A nil function yields [ErrBadOption]. Default: none.
func WithResultHook(fn func(license.Attempt, license.DeliveryState)) Option {
	return func(cfg *config) error {
		if fn == nil {
			return fmt.Errorf("%w: nil result hook", ErrBadOption)
		}
		cfg.hook = fn
		return nil
	}
}

// WithSchedule sets the retry schedule: after the failed attempt n (from
// 1), the next waits schedule[n-1], give or take 10%; after the last, the
// delivery is failed. Whatever the schedule, no attempt is made
// [RetryWindow] or more after the event: a retry that would fall later is
// brought forward to a minute before, once. An empty schedule means no
// retries; a duration of 0 or less yields [ErrBadOption]. The slice is
// copied. Default: [DefaultSchedule].
func WithSchedule(schedule []time.Duration) Option {
	return func(cfg *config) error {
		for i, d := range schedule {
			if d <= 0 {
				return fmt.Errorf("%w: schedule[%d] is %v", ErrBadOption, i, d)
			}
		}
		cfg.schedule = append([]time.Duration(nil), schedule...)
		return nil
	}
}

// WithDrain sets how long attempts in flight may go on once Run's context
// is done, so that a server stopping gracefully records them rather than
// leaving their deliveries claimed until the lease ends. Those still
// running then are abandoned. 0 abandons them at once; a negative
// duration yields [ErrBadOption]. Default: 5 seconds.
func WithDrain(d time.Duration) Option {
	return func(cfg *config) error {
		if d < 0 {
			return fmt.Errorf("%w: drain %v", ErrBadOption, d)
		}
		cfg.drain = d
		return nil
	}
}

// WithSecrets sets how the dispatcher gets a webhook's signing secret from
// the webhook as the store keeps it: [license.Service.OpenWebhookSecret]
// for the secrets a Service stores, which it seals. An error fails the
// attempt, which is retried on the schedule (another replica may hold the
// right server secret). Default: the stored secret is used as it is, which
// suits only stores filled with secrets in clear.
func WithSecrets(open func(license.Webhook) (string, error)) Option {
	return func(cfg *config) error {
		if open == nil {
			return fmt.Errorf("%w: nil secrets function", ErrBadOption)
		}
		cfg.secrets = open
		return nil
	}
}
