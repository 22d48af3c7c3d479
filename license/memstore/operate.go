package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
)

// The audit trail, admin tokens, webhooks with their outbox, and the
// answers kept for idempotent retries.

// delivery is a [license.Delivery] as the store keeps it: its webhook and
// event by ID, and the end of its claim.
type delivery struct {
	id        string
	webhookID string
	eventID   string
	state     license.DeliveryState
	attempts  int
	nextAt    time.Time
	// claimedUntil is when the claim of a dispatcher ends; zero if none.
	claimedUntil time.Time
}

// idemKey names a kept request: its scope and Idempotency-Key.
type idemKey struct{ scope, key string }

// record stores the events, each with a pending delivery for every webhook
// if it has Data, and returns how to undo that. It changes nothing and
// returns ErrConflict if an event's ID is taken, or given twice. It is the
// last step that can fail in the methods that call it: they decide
// everything else first.
func (s *Store) record(events ...license.Event) (undo func(), err error) {
	seen := make(map[string]bool, len(events))
	for _, e := range events {
		if _, ok := s.events[e.ID]; ok || seen[e.ID] {
			return nil, fmt.Errorf("%w: event %s", license.ErrConflict, e.ID)
		}
		seen[e.ID] = true
	}
	var ds []delivery
	for _, e := range events {
		if e.Data == nil {
			continue
		}
		for _, w := range s.webhooks {
			id, err := license.NewTimeUUID(e.At)
			if err != nil {
				return nil, err
			}
			ds = append(ds, delivery{id: id, webhookID: w.ID, eventID: e.ID, state: license.DeliveryPending, nextAt: normTime(e.At)})
		}
	}
	for _, e := range events {
		s.events[e.ID] = cloneEvent(e)
	}
	for _, d := range ds {
		s.deliveries[d.id] = d
	}
	return func() {
		for _, e := range events {
			delete(s.events, e.ID)
		}
		for _, d := range ds {
			delete(s.deliveries, d.id)
		}
	}, nil
}

// Record appends an event, with its deliveries if it has Data; ErrConflict
// if its ID is taken.
func (s *Store) Record(ctx context.Context, e license.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.record(e)
	return err
}

// Events returns the events that match q, ordered by At then ID, one page
// of them.
func (s *Store) Events(ctx context.Context, q license.AuditQuery) ([]license.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	since := normTime(q.Since)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var es []license.Event
	for _, e := range s.events {
		if (q.Target == "" || e.Target == q.Target) && !e.At.Before(since) {
			es = append(es, e)
		}
	}
	es = page(es, q.Page, func(e *license.Event) (time.Time, string) { return e.At, e.ID })
	for i, e := range es {
		es[i] = cloneEvent(e)
	}
	return es, nil
}

// CreateAdminToken stores a new admin token and the event; ErrConflict if
// its name, its ID or the event's ID is taken.
func (s *Store) CreateAdminToken(ctx context.Context, t license.AdminToken, e license.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tokens[t.Name]; ok {
		return fmt.Errorf("%w: admin token %s", license.ErrConflict, t.Name)
	}
	if _, ok := s.tokenIDs[t.ID]; ok {
		return fmt.Errorf("%w: admin token ID", license.ErrConflict)
	}
	if _, err := s.record(e); err != nil {
		return err
	}
	s.tokens[t.Name] = cloneToken(t)
	s.tokenIDs[t.ID] = t.Name
	return nil
}

// AdminTokenByID returns the admin token with the ID; ErrNotFound if there
// is none.
func (s *Store) AdminTokenByID(ctx context.Context, id string) (license.AdminToken, error) {
	if err := ctx.Err(); err != nil {
		return license.AdminToken{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	name, ok := s.tokenIDs[id]
	if !ok {
		return license.AdminToken{}, license.NotFound("admin token", "")
	}
	return cloneToken(s.tokens[name]), nil
}

// AdminTokens returns every admin token, ordered by name.
func (s *Store) AdminTokens(ctx context.Context) ([]license.AdminToken, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ts := make([]license.AdminToken, 0, len(s.tokens))
	for _, t := range s.tokens {
		ts = append(ts, cloneToken(t))
	}
	slices.SortFunc(ts, func(a, b license.AdminToken) int { return strings.Compare(a.Name, b.Name) })
	return ts, nil
}

// DeleteAdminToken removes the admin token with the name and stores the
// event; ErrNotFound if there is none, ErrConflict if the event's ID is
// taken.
func (s *Store) DeleteAdminToken(ctx context.Context, name string, e license.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[name]
	if !ok {
		return license.NotFound("admin token", name)
	}
	if _, err := s.record(e); err != nil {
		return err
	}
	delete(s.tokens, name)
	delete(s.tokenIDs, t.ID)
	return nil
}

// CreateWebhook stores a new webhook and the event; ErrConflict if its ID
// or the event's is taken.
func (s *Store) CreateWebhook(ctx context.Context, w license.Webhook, e license.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.webhooks[w.ID]; ok {
		return fmt.Errorf("%w: webhook %s", license.ErrConflict, w.ID)
	}
	if _, err := s.record(e); err != nil {
		return err
	}
	w.CreatedAt = normTime(w.CreatedAt)
	s.webhooks[w.ID] = w
	return nil
}

// Webhook returns a webhook by ID, with its secret; ErrNotFound if there is
// none.
func (s *Store) Webhook(ctx context.Context, id string) (license.Webhook, error) {
	if err := ctx.Err(); err != nil {
		return license.Webhook{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	w, ok := s.webhooks[id]
	if !ok {
		return license.Webhook{}, license.NotFound("webhook", id)
	}
	return w, nil
}

// Webhooks returns every webhook, oldest first.
func (s *Store) Webhooks(ctx context.Context) ([]license.Webhook, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ws := make([]license.Webhook, 0, len(s.webhooks))
	for _, w := range s.webhooks {
		ws = append(ws, w)
	}
	slices.SortFunc(ws, func(a, b license.Webhook) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return ws, nil
}

// DeleteWebhook removes a webhook with its deliveries and attempts, and
// stores the event; ErrNotFound if there is none, ErrConflict if the
// event's ID is taken.
func (s *Store) DeleteWebhook(ctx context.Context, id string, e license.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.webhooks[id]; !ok {
		return license.NotFound("webhook", id)
	}
	if _, err := s.record(e); err != nil {
		return err
	}
	delete(s.webhooks, id)
	// With the delivery of e to the webhook, if e has Data.
	for did, d := range s.deliveries {
		if d.webhookID == id {
			delete(s.deliveries, did)
		}
	}
	delete(s.attempts, id)
	return nil
}

// ClaimDeliveries claims up to limit pending deliveries due at now and not
// claimed, oldest NextAt first, until now+lease.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]license.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	until := normTime(now.Add(lease))
	now = normTime(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []delivery
	for _, d := range s.deliveries {
		if d.state == license.DeliveryPending && !d.nextAt.After(now) && !d.claimedUntil.After(now) {
			due = append(due, d)
		}
	}
	slices.SortFunc(due, func(a, b delivery) int {
		return cmp.Or(a.nextAt.Compare(b.nextAt), strings.Compare(a.id, b.id))
	})
	due = due[:min(len(due), max(limit, 0))]
	ds := make([]license.Delivery, len(due))
	for i, d := range due {
		d.claimedUntil = until
		s.deliveries[d.id] = d
		ds[i] = license.Delivery{
			ID:       d.id,
			Webhook:  s.webhooks[d.webhookID],
			Event:    cloneEvent(s.events[d.eventID]),
			State:    d.state,
			Attempts: d.attempts,
			NextAt:   d.nextAt,
		}
	}
	return ds, nil
}

// FinishDelivery stores the attempt at d, moves d to r.State and ends its
// claim; ErrNotFound if d is gone. The attempt names d, its webhook and
// event, and is numbered after the attempts the store counted; it gets an
// ID if it has none.
func (s *Store) FinishDelivery(ctx context.Context, d license.Delivery, r license.DeliveryResult) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch r.State {
	case license.DeliveryPending, license.DeliveryDelivered, license.DeliveryFailed:
	default:
		return fmt.Errorf("%w: delivery state %q", license.ErrInvalid, r.State)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.deliveries[d.ID]
	if !ok {
		return license.NotFound("delivery", d.ID)
	}
	a := r.Attempt
	a.DeliveryID, a.WebhookID, a.EventID = cur.id, cur.webhookID, cur.eventID
	a.EventType = s.events[cur.eventID].Type
	a.Number = cur.attempts + 1
	a.At = normTime(a.At)
	if a.ID == "" {
		id, err := license.NewTimeUUID(a.At)
		if err != nil {
			return err
		}
		a.ID = id
	}
	cur.attempts++
	cur.state = r.State
	if r.State == license.DeliveryPending {
		cur.nextAt = normTime(r.NextAt)
	}
	cur.claimedUntil = time.Time{}
	s.deliveries[cur.id] = cur
	s.attempts[cur.webhookID] = append(s.attempts[cur.webhookID], a)
	return nil
}

// Attempts returns the attempts at the deliveries of a webhook, ordered by
// At then ID, one page of them.
func (s *Store) Attempts(ctx context.Context, webhookID string, p license.Page) ([]license.Attempt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	// page sorts its argument: a copy, not the store's slice.
	as := slices.Clone(s.attempts[webhookID])
	return page(as, p, func(a *license.Attempt) (time.Time, string) { return a.At, a.ID }), nil
}

// BeginIdempotent starts the request rec describes, as
// [license.Store.BeginIdempotent] says.
func (s *Store) BeginIdempotent(ctx context.Context, rec license.Idempotent, now time.Time) (license.Idempotent, bool, error) {
	if err := ctx.Err(); err != nil {
		return license.Idempotent{}, false, err
	}
	now = normTime(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	k := idemKey{rec.Scope, rec.Key}
	cur, ok := s.idempotent[k]
	switch {
	case !ok:
		rec = cloneIdempotent(rec)
		rec.Done = false
		s.idempotent[k] = rec
		return cloneIdempotent(rec), true, nil
	case !cur.Done && cur.Fingerprint == rec.Fingerprint && !cur.LockedUntil.After(now):
		cur.LockedUntil = normTime(rec.LockedUntil)
		s.idempotent[k] = cur
		return cloneIdempotent(cur), true, nil
	}
	return cloneIdempotent(cur), false, nil
}

// FinishIdempotent keeps the answer of a started request and marks it
// done; a request not kept is left alone.
func (s *Store) FinishIdempotent(ctx context.Context, rec license.Idempotent) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := idemKey{rec.Scope, rec.Key}
	cur, ok := s.idempotent[k]
	if !ok {
		return nil
	}
	rec = cloneIdempotent(rec)
	cur.Status, cur.Header, cur.Body, cur.Done = rec.Status, rec.Header, rec.Body, true
	s.idempotent[k] = cur
	return nil
}

// AbandonIdempotent forgets a started request that is not done.
func (s *Store) AbandonIdempotent(ctx context.Context, scope, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := idemKey{scope, key}
	if cur, ok := s.idempotent[k]; ok && !cur.Done {
		delete(s.idempotent, k)
	}
	return nil
}

// DeleteIdempotentBefore removes the requests kept since before t and
// returns how many it removed.
func (s *Store) DeleteIdempotentBefore(ctx context.Context, t time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	t = normTime(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, rec := range s.idempotent {
		if rec.CreatedAt.Before(t) {
			delete(s.idempotent, k)
			n++
		}
	}
	return n, nil
}

// page sorts items by the time and ID key returns, and returns at most
// p.Limit of those after p.After: [license.DefaultPageLimit] if p.Limit is
// below 1, never more than [license.MaxPageLimit].
func page[T any](items []T, p license.Page, key func(*T) (time.Time, string)) []T {
	order := func(at time.Time, id string, bt time.Time, bid string) int {
		return cmp.Or(at.Compare(bt), strings.Compare(id, bid))
	}
	slices.SortFunc(items, func(a, b T) int {
		at, aid := key(&a)
		bt, bid := key(&b)
		return order(at, aid, bt, bid)
	})
	if !p.After.IsZero() {
		after := normTime(p.After.At)
		i, _ := slices.BinarySearchFunc(items, p.After, func(it T, _ license.Cursor) int {
			at, id := key(&it)
			if order(at, id, after, p.After.ID) <= 0 {
				return -1
			}
			return 1
		})
		items = items[i:]
	}
	limit := p.Limit
	if limit < 1 {
		limit = license.DefaultPageLimit
	}
	limit = min(limit, license.MaxPageLimit)
	return items[:min(len(items), limit):min(len(items), limit)]
}

func cloneEvent(e license.Event) license.Event {
	e.At = normTime(e.At)
	e.Change = slices.Clone(e.Change)
	e.Data = slices.Clone(e.Data)
	return e
}

func cloneToken(t license.AdminToken) license.AdminToken {
	t.Hash = slices.Clone(t.Hash)
	t.CreatedAt = normTime(t.CreatedAt)
	return t
}

func cloneIdempotent(r license.Idempotent) license.Idempotent {
	r.Header = slices.Clone(r.Header)
	r.Body = slices.Clone(r.Body)
	r.LockedUntil = normTime(r.LockedUntil)
	r.CreatedAt = normTime(r.CreatedAt)
	return r
}
