package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/licgate/licgate/license"
)

// Limits of an attempt.
const (
	// userAgent is the User-Agent of every message.
	userAgent = "licgate-webhooks"
	// maxAnswer caps how much of a receiver's answer is read (and
	// discarded), so that the connection can be reused.
	maxAnswer = 4 << 10
	// maxErrorLen caps Attempt.Error, in bytes.
	maxErrorLen = 200
	// finishTimeout bounds the recording of an attempt that ended while
	// Run was being stopped.
	finishTimeout = 5 * time.Second
)

// Dispatcher delivers webhook events from a store's outbox: it claims due
// deliveries, posts each as a signed message to its webhook, and records
// the attempt with the delivery's next state. Several dispatchers, in one
// process or in replicas sharing a database, share the work: the store
// hands each due delivery to one of them at a time. It is safe for
// concurrent use. Create one with [New] and start it with
// [Dispatcher.Run].
type Dispatcher struct {
	store    license.Store
	client   *http.Client
	poll     time.Duration
	lease    time.Duration
	batch    int
	workers  int
	now      func() time.Time
	log      *slog.Logger
	hook     func(license.Attempt, license.DeliveryState)
	schedule []time.Duration
	jitter   func(time.Duration) time.Duration
	drain    time.Duration
	secrets  func(license.Webhook) (string, error)

	wake    chan struct{}
	running atomic.Bool
}

// New returns a dispatcher of the deliveries of st, configured by opts.
// It returns [ErrNilStore] for a nil store, and an error matching
// [ErrBadOption] for a bad option, or a lease ([WithLease]) not longer than
// the HTTP client's timeout ([WithHTTPClient]).
func New(st license.Store, opts ...Option) (*Dispatcher, error) {
	if st == nil {
		return nil, ErrNilStore
	}
	cfg := defaultConfig()
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("%w: nil option", ErrBadOption)
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.lease <= cfg.client.Timeout {
		return nil, fmt.Errorf("%w: lease %v must be longer than the HTTP client's timeout %v",
			ErrBadOption, cfg.lease, cfg.client.Timeout)
	}
	log := cfg.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{
		store:    st,
		client:   cfg.client,
		poll:     cfg.poll,
		lease:    cfg.lease,
		batch:    cfg.batch,
		workers:  cfg.workers,
		now:      cfg.now,
		log:      log,
		hook:     cfg.hook,
		drain:    cfg.drain,
		secrets:  cfg.secrets,
		schedule: cfg.schedule,
		jitter:   jitter,
		wake:     make(chan struct{}, 1),
	}, nil
}

// Wake makes [Dispatcher.Run] look for due deliveries now rather than at
// its next poll. It never blocks, so the service may call it right after
// committing an event, on the request's path. Wakes that come while Run is
// busy are merged into one; a wake before Run starts is kept for it.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers due deliveries until ctx is done, then returns nil. It
// claims only as many deliveries as it has idle workers ([WithWorkers]),
// so that each is attempted at once, and looks again at once while it
// finds a full claim, else after the poll interval or a [Dispatcher.Wake].
//
// Store errors are logged and retried at the next poll; they do not stop
// Run. When ctx is done, Run claims nothing more and waits for the
// attempts in flight, for the drain at most ([WithDrain]); those still
// running then are abandoned and not recorded: their deliveries are
// claimed again, by this dispatcher or another, once their lease ends, so
// each is delivered at least once. Run returns [ErrRunning] if
// it is already running.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer d.running.Store(false)

	// Attempts in flight outlive ctx by the drain ([WithDrain]).
	attemptCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stopDrain := context.AfterFunc(ctx, func() { time.AfterFunc(d.drain, cancel) })
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		stopDrain()
		cancel()
	}()
	done := make(chan struct{}, d.workers) // one value per ended worker
	busy := 0
	timer := time.NewTimer(d.poll)
	defer timer.Stop()

	for {
		if ctx.Err() != nil {
			return nil
		}
	collect:
		for {
			select {
			case <-done:
				busy--
			default:
				break collect
			}
		}
		full := true // the last claim took all it asked for: more may be due
		if idle := d.workers - busy; idle > 0 {
			want := min(d.batch, idle)
			ds, err := d.store.ClaimDeliveries(ctx, d.now(), d.lease, want)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				d.log.Error("webhook: claiming deliveries", "err", err)
			}
			for _, dl := range ds {
				busy++
				wg.Add(1)
				go func() {
					defer wg.Done()
					d.deliver(attemptCtx, dl)
					done <- struct{}{}
				}()
			}
			full = err == nil && len(ds) == want
		}
		switch {
		case full && busy < d.workers:
			continue
		case full:
			// Every worker is busy and more may be due: wait for one.
			select {
			case <-ctx.Done():
				return nil
			case <-done:
				busy--
			}
			continue
		}
		timer.Reset(d.poll)
	wait:
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-d.wake:
				break wait
			case <-timer.C:
				break wait
			case <-done:
				busy--
			}
		}
		timer.Stop()
	}
}

// deliver makes one attempt at a claimed delivery and records it.
func (d *Dispatcher) deliver(ctx context.Context, dl license.Delivery) {
	at := d.now()
	log := d.log.With("delivery", dl.ID, "webhook", dl.Webhook.ID, "event", dl.Event.ID)
	id, err := license.NewTimeUUID(at)
	if err != nil {
		log.Error("webhook: making an attempt ID", "err", err)
		return // the claim ends with the lease, and another attempt follows
	}
	start := time.Now()
	o, text := d.post(ctx, dl, at)
	if ctx.Err() != nil && o.status == 0 && !o.permanent {
		return // abandoned by Run's stop, not the receiver's doing: not an attempt
	}
	n := dl.Attempts + 1
	a := license.Attempt{
		ID:         id,
		DeliveryID: dl.ID,
		WebhookID:  dl.Webhook.ID,
		EventID:    dl.Event.ID,
		EventType:  dl.Event.Type,
		At:         at,
		Number:     n,
		StatusCode: o.status,
		Error:      cleanError(text, dl.Webhook.Secret),
		DurationMS: time.Since(start).Milliseconds(),
		OK:         o.ok,
	}
	state, next := decide(d.schedule, d.jitter, dl.Event, n, o, d.now())

	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	err = d.store.FinishDelivery(fctx, dl, license.DeliveryResult{Attempt: a, State: state, NextAt: next})
	switch {
	case errors.Is(err, license.ErrNotFound):
		log.Debug("webhook: delivery gone (webhook deleted)")
	case err != nil:
		log.Error("webhook: recording an attempt", "attempt", n, "err", err)
	}
	if d.hook != nil {
		d.hook(a, state)
	}
	switch state {
	case license.DeliveryDelivered:
		log.Debug("webhook: delivered", "attempt", n, "status", o.status)
	case license.DeliveryFailed:
		log.Warn("webhook: delivery failed, giving up", "attempt", n, "status", o.status, "err", a.Error)
	default:
		log.Info("webhook: attempt failed, will retry", "attempt", n, "status", o.status, "err", a.Error, "next", next)
	}
}

// post sends the message of a delivery, signed at, and returns its outcome
// and, for a failure, why.
func (d *Dispatcher) post(ctx context.Context, dl license.Delivery, at time.Time) (outcome, string) {
	body, err := Payload(dl.Event)
	if err != nil {
		return outcome{permanent: true}, "the event's data is not JSON"
	}
	secret := dl.Webhook.Secret
	if d.secrets != nil {
		if secret, err = d.secrets(dl.Webhook); err != nil {
			return outcome{}, "the webhook's secret cannot be opened: " + err.Error()
		}
	}
	sig, err := Sign(secret, dl.Event.ID, at, body)
	switch {
	case err != nil && strings.HasPrefix(secret, "lgs1:"):
		return outcome{}, "the webhook's secret is sealed and this dispatcher cannot open it (WithSecrets)"
	case err != nil:
		return outcome{permanent: true}, "the webhook's secret is malformed"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return outcome{permanent: true}, "the webhook's URL is malformed"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(HeaderID, dl.Event.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)

	resp, err := d.client.Do(req)
	if err != nil {
		return outcome{}, transportError(err, d.client.Timeout)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	_ = resp.Body.Close()

	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return outcome{status: code, ok: true}, ""
	case code >= 300 && code < 400:
		return outcome{status: code}, fmt.Sprintf("answered %d %s: redirects are not followed", code, http.StatusText(code))
	case code == http.StatusGone:
		return outcome{status: code}, "answered 410 Gone: the endpoint is gone, no retries"
	default:
		return outcome{status: code}, fmt.Sprintf("answered %d %s", code, http.StatusText(code))
	}
}

// transportError says why a request got no answer, without the URL,
// which may hold a token of the receiver's.
func transportError(err error, timeout time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Sprintf("no answer within %v", timeout)
		}
		err = ue.Err
	}
	return err.Error()
}

// cleanError makes the text of a failure fit to store and show: never the
// secret, valid UTF-8, at most maxErrorLen bytes.
func cleanError(text, secret string) string {
	if text == "" {
		return ""
	}
	if secret != "" {
		text = strings.ReplaceAll(text, secret, "[secret]")
		if key := strings.TrimPrefix(secret, SecretPrefix); key != "" {
			text = strings.ReplaceAll(text, key, "[secret]")
		}
	}
	text = strings.ToValidUTF8(text, "?")
	if len(text) > maxErrorLen {
		cut := maxErrorLen - len("…")
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	return text
}
