package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math"

	"github.com/licgate/licgate/license"
)

// The audit trail is the events table, which is only ever inserted into.
// An event with Data is also a webhook event: the statement after its
// insert puts a pending delivery of it for every webhook in the outbox (the
// deliveries table), in the same transaction, so that a change and its
// webhook events commit or fail together.

// record inserts e through c, with its deliveries if it has Data: one
// statement, or two. ErrConflict if its ID is taken, which leaves c's
// transaction usable.
func (s *Store) record(c *conn, e license.Event) error {
	n, err := c.execCount(s.q.insertEvent, e.ID, micro(e.At), e.Type,
		e.Actor.Name, e.Actor.Protocol, e.Actor.Addr, e.Actor.RequestID,
		e.Target, e.Outcome, nullJSON(e.Change), nullJSON(e.Data))
	switch {
	case err != nil:
		return wrap("record event", err)
	case n == 0:
		return fmt.Errorf("%w: event %s", license.ErrConflict, e.ID)
	case e.Data == nil:
		return nil
	}
	_, err = c.exec(s.q.insertDeliveries, e.ID+"/", e.ID, micro(e.At))
	return wrap("record event", err)
}

// recordAll records the events through c, in order.
func (s *Store) recordAll(c *conn, events []license.Event) error {
	for _, e := range events {
		if err := s.record(c, e); err != nil {
			return err
		}
	}
	return nil
}

// Record appends an event to the audit trail, with its deliveries if it has
// Data, in a transaction of its own; ErrConflict if its ID is taken. An
// event without Data is one statement, which on PostgreSQL needs no
// explicit transaction.
func (s *Store) Record(ctx context.Context, e license.Event) error {
	if e.Data == nil {
		return s.write(ctx, func(c *conn) error { return s.record(c, e) })
	}
	return s.transact(ctx, func(c *conn) error { return s.record(c, e) })
}

// Events returns the events that match q, ordered by At then ID, at most
// q.Limit of them after q.After; an empty slice if none.
func (s *Store) Events(ctx context.Context, q license.AuditQuery) ([]license.Event, error) {
	since := int64(math.MinInt64)
	if !q.Since.IsZero() {
		since = micro(q.Since)
	}
	at, id := after(q.After)
	limit := pageLimit(q.Page)
	var es []license.Event
	var err error
	if q.Target == "" {
		es, err = queryAll(ctx, s.stmt(s.q.events), scanEvent, since, at, id, limit)
	} else {
		es, err = queryAll(ctx, s.stmt(s.q.eventsOfTarget), scanEvent, q.Target, since, at, id, limit)
	}
	return es, wrap("events", err)
}

// eventRow is an event as its columns are scanned, in the order of
// eventColumns.
type eventRow struct {
	e            license.Event
	at           int64
	change, data sql.NullString
}

// dest returns the destinations of the event's columns.
func (r *eventRow) dest() []any {
	return []any{&r.e.ID, &r.at, &r.e.Type, &r.e.Actor.Name, &r.e.Actor.Protocol, &r.e.Actor.Addr,
		&r.e.Actor.RequestID, &r.e.Target, &r.e.Outcome, &r.change, &r.data}
}

// event returns the event scanned.
func (r *eventRow) event() license.Event {
	e := r.e
	e.At = fromMicro(r.at)
	e.Change = fromNullJSON(r.change)
	e.Data = fromNullJSON(r.data)
	return e
}

func scanEvent(sc scanner) (license.Event, error) {
	var r eventRow
	if err := sc.Scan(r.dest()...); err != nil {
		return license.Event{}, err
	}
	return r.event(), nil
}

// pageLimit returns p's limit: [license.DefaultPageLimit] if it is below 1,
// at most [license.MaxPageLimit].
func pageLimit(p license.Page) int {
	switch {
	case p.Limit < 1:
		return license.DefaultPageLimit
	case p.Limit > license.MaxPageLimit:
		return license.MaxPageLimit
	}
	return p.Limit
}

// after returns the time and ID that a list's rows must follow, as
// (at, id) > (?, ?) compares them: the cursor's, or, for the start of the
// list, a time before every time stored.
func after(c license.Cursor) (int64, string) {
	if c.IsZero() {
		return math.MinInt64, ""
	}
	return micro(c.At), c.ID
}
