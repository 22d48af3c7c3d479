package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/licgate/licgate/license"
)

// CreateAdminToken stores a new admin token and the event in one
// transaction; ErrConflict if its name or ID is taken.
func (s *Store) CreateAdminToken(ctx context.Context, t license.AdminToken, e license.Event) error {
	hash := t.Hash
	if hash == nil {
		hash = []byte{} // the column is NOT NULL
	}
	return s.transact(ctx, func(c *conn) error {
		_, err := c.exec(s.q.insertAdminToken, t.Name, t.ID, hash, string(t.Scope), micro(t.CreatedAt))
		switch {
		case err == nil:
			return s.record(c, e)
		case isUniqueViolation(err):
			return fmt.Errorf("%w: admin token %q: its name or ID is taken", license.ErrConflict, t.Name)
		}
		return wrap("create admin token", err)
	})
}

func scanAdminToken(sc scanner) (license.AdminToken, error) {
	var (
		t       license.AdminToken
		scope   string
		created int64
	)
	if err := sc.Scan(&t.Name, &t.ID, &t.Hash, &scope, &created); err != nil {
		return license.AdminToken{}, err
	}
	t.Scope = license.Scope(scope)
	t.CreatedAt = fromMicro(created)
	return t, nil
}

// AdminTokenByID returns the admin token with the ID; ErrNotFound if there
// is none.
func (s *Store) AdminTokenByID(ctx context.Context, id string) (license.AdminToken, error) {
	t, err := scanAdminToken(s.stmt(s.q.adminTokenByID).QueryRowContext(ctx, id))
	return t, lookup("admin token by ID", err, "admin token", id)
}

// AdminTokens returns every admin token, ordered by name.
func (s *Store) AdminTokens(ctx context.Context) ([]license.AdminToken, error) {
	ts, err := queryAll(ctx, s.stmt(s.q.adminTokens), scanAdminToken)
	return ts, wrap("admin tokens", err)
}

// DeleteAdminToken removes the admin token with the name and stores the
// event, in one transaction; ErrNotFound if there is none.
func (s *Store) DeleteAdminToken(ctx context.Context, name string, e license.Event) error {
	return s.transact(ctx, func(c *conn) error {
		n, err := c.execCount(s.q.deleteAdminToken, name)
		switch {
		case err != nil:
			return wrap("delete admin token", err)
		case n == 0:
			return license.NotFound("admin token", name)
		}
		return s.record(c, e)
	})
}

// CreateWebhook stores a new webhook and the event in one transaction;
// ErrConflict if its ID is taken. The webhook receives the events recorded
// after it, the event among them if it has Data.
func (s *Store) CreateWebhook(ctx context.Context, w license.Webhook, e license.Event) error {
	return s.transact(ctx, func(c *conn) error {
		_, err := c.exec(s.q.insertWebhook, w.ID, w.URL, w.Secret, micro(w.CreatedAt))
		switch {
		case err == nil:
			return s.record(c, e)
		case isUniqueViolation(err):
			return fmt.Errorf("%w: webhook %q", license.ErrConflict, w.ID)
		}
		return wrap("create webhook", err)
	})
}

// webhookRow is a webhook as its columns are scanned, in the order of
// webhookColumns.
type webhookRow struct {
	w       license.Webhook
	created int64
}

func (r *webhookRow) dest() []any { return []any{&r.w.ID, &r.w.URL, &r.w.Secret, &r.created} }

func (r *webhookRow) webhook() license.Webhook {
	w := r.w
	w.CreatedAt = fromMicro(r.created)
	return w
}

func scanWebhook(sc scanner) (license.Webhook, error) {
	var r webhookRow
	if err := sc.Scan(r.dest()...); err != nil {
		return license.Webhook{}, err
	}
	return r.webhook(), nil
}

// Webhook returns a webhook by ID, with its secret; ErrNotFound if there is
// none.
func (s *Store) Webhook(ctx context.Context, id string) (license.Webhook, error) {
	w, err := scanWebhook(s.stmt(s.q.webhook).QueryRowContext(ctx, id))
	return w, lookup("webhook", err, "webhook", id)
}

// Webhooks returns every webhook, oldest first.
func (s *Store) Webhooks(ctx context.Context) ([]license.Webhook, error) {
	ws, err := queryAll(ctx, s.stmt(s.q.webhooks), scanWebhook)
	return ws, wrap("webhooks", err)
}

// DeleteWebhook removes a webhook, and with it (ON DELETE CASCADE) its
// deliveries and attempts, and stores the event, in one transaction;
// ErrNotFound if there is none.
func (s *Store) DeleteWebhook(ctx context.Context, id string, e license.Event) error {
	return s.transact(ctx, func(c *conn) error {
		n, err := c.execCount(s.q.deleteWebhook, id)
		switch {
		case err != nil:
			return wrap("delete webhook", err)
		case n == 0:
			return license.NotFound("webhook", id)
		}
		return s.record(c, e)
	})
}

func scanDelivery(sc scanner) (license.Delivery, error) {
	var (
		d     license.Delivery
		state string
		next  int64
		w     webhookRow
		e     eventRow
	)
	dest := append([]any{&d.ID, &state, &d.Attempts, &next}, w.dest()...)
	if err := sc.Scan(append(dest, e.dest()...)...); err != nil {
		return license.Delivery{}, err
	}
	d.State = license.DeliveryState(state)
	d.NextAt = fromMicro(next)
	d.Webhook = w.webhook()
	d.Event = e.event()
	return d, nil
}

// ClaimDeliveries claims up to limit due deliveries that no one holds,
// oldest NextAt first, with their webhook and event, until now+lease: in
// one transaction, it reads them and sets their claim. On PostgreSQL the
// read locks the rows and skips those another transaction has locked (FOR
// UPDATE SKIP LOCKED), so that replicas claiming together get different
// deliveries; on SQLite the writer's transaction holds the write lock.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]license.Delivery, error) {
	if limit < 1 {
		return []license.Delivery{}, nil
	}
	var ds []license.Delivery
	err := s.transact(ctx, func(c *conn) error {
		var err error
		ds, err = queryRows(c, s.q.dueDeliveries, scanDelivery, micro(now), micro(now), limit)
		if err != nil || len(ds) == 0 {
			return wrap("claim deliveries", err)
		}
		ids := make([]string, len(ds))
		for i, d := range ds {
			ids[i] = d.ID
		}
		js, err := json.Marshal(ids)
		if err != nil {
			return wrap("claim deliveries", err)
		}
		_, err = c.exec(s.q.claimDeliveries, micro(now.Add(lease)), string(js))
		return wrap("claim deliveries", err)
	})
	if err != nil {
		return nil, err
	}
	return ds, nil
}

// FinishDelivery stores the attempt r.Attempt at the delivery d, moves d to
// r.State with r.NextAt and ends its claim, in one transaction; ErrNotFound
// if the delivery is gone. The attempt is stored with d's ID, webhook and
// event, the event's type, and the delivery's count of attempts as its
// Number; an attempt without an ID gets a version 7 UUID of its time.
// ErrConflict if its ID is taken.
func (s *Store) FinishDelivery(ctx context.Context, d license.Delivery, r license.DeliveryResult) error {
	a := r.Attempt
	if a.ID == "" {
		id, err := license.NewTimeUUID(a.At)
		if err != nil {
			return wrap("finish delivery", err)
		}
		a.ID = id
	}
	return s.transact(ctx, func(c *conn) error {
		var (
			webhookID, eventID string
			number             int
		)
		err := c.queryRow(s.q.finishDelivery, string(r.State), micro(r.NextAt), d.ID).Scan(&webhookID, &eventID, &number)
		if err != nil {
			return lookup("finish delivery", err, "delivery", d.ID)
		}
		_, err = c.exec(s.q.insertAttempt, a.ID, d.ID, webhookID, eventID, eventID, micro(a.At), number,
			a.StatusCode, a.Error, a.DurationMS, a.OK)
		if err != nil && isUniqueViolation(err) {
			return fmt.Errorf("%w: attempt %s", license.ErrConflict, a.ID)
		}
		return wrap("finish delivery", err)
	})
}

func scanAttempt(sc scanner) (license.Attempt, error) {
	var (
		a  license.Attempt
		at int64
	)
	err := sc.Scan(&a.ID, &a.DeliveryID, &a.WebhookID, &a.EventID, &a.EventType, &at, &a.Number,
		&a.StatusCode, &a.Error, &a.DurationMS, &a.OK)
	if err != nil {
		return license.Attempt{}, err
	}
	a.At = fromMicro(at)
	return a, nil
}

// Attempts returns the attempts at the deliveries of a webhook, ordered by
// At then ID, at most p.Limit of them after p.After; an empty slice if
// none, or if there is no such webhook.
func (s *Store) Attempts(ctx context.Context, webhookID string, p license.Page) ([]license.Attempt, error) {
	at, id := after(p.After)
	as, err := queryAll(ctx, s.stmt(s.q.attempts), scanAttempt, webhookID, at, id, pageLimit(p))
	return as, wrap("attempts", err)
}
