package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/licgate/licgate/license"
)

// A request with an Idempotency-Key is one row of the idempotency table,
// by scope and key: in progress until done, then the answer its retries
// get.

func scanIdempotent(sc scanner) (license.Idempotent, error) {
	var (
		rec     license.Idempotent
		locked  sql.NullInt64
		header  sql.NullString
		created int64
	)
	err := sc.Scan(&rec.Scope, &rec.Key, &rec.Fingerprint, &rec.Done, &locked, &rec.Status, &header, &rec.Body, &created)
	if err != nil {
		return license.Idempotent{}, err
	}
	rec.LockedUntil = fromNullMicro(locked)
	rec.Header = fromNullJSON(header)
	rec.CreatedAt = fromMicro(created)
	return rec, nil
}

// BeginIdempotent starts the request rec describes: it stores rec, not
// done, if no request of its scope and key is kept, or takes over the kept
// one if it is not done, has rec's fingerprint and its lock ended by now,
// and returns it and true; otherwise it returns the kept request and false,
// changing nothing. One upsert decides, atomically across every store
// sharing the database; when it changes nothing, the kept request is read
// in the same transaction.
func (s *Store) BeginIdempotent(ctx context.Context, rec license.Idempotent, now time.Time) (license.Idempotent, bool, error) {
	var (
		kept    license.Idempotent
		started bool
	)
	err := s.transact(ctx, func(c *conn) error {
		var err error
		kept, err = scanIdempotent(c.queryRow(s.q.beginIdempotent, rec.Scope, rec.Key, rec.Fingerprint, false,
			nullMicro(rec.LockedUntil), rec.Status, nullJSON(rec.Header), rec.Body, micro(rec.CreatedAt), micro(now)))
		if started = err == nil; !errors.Is(err, sql.ErrNoRows) {
			return wrap("begin idempotent", err)
		}
		kept, err = scanIdempotent(c.queryRow(s.q.idempotent, rec.Scope, rec.Key))
		return wrap("begin idempotent", err)
	})
	if err != nil {
		return license.Idempotent{}, false, err
	}
	return kept, started, nil
}

// FinishIdempotent keeps the answer of a started request (rec's Status,
// Header and Body) and marks it done. A request no longer kept (abandoned,
// or removed by [Store.DeleteIdempotentBefore]) is left so.
func (s *Store) FinishIdempotent(ctx context.Context, rec license.Idempotent) error {
	return s.write(ctx, func(c *conn) error {
		_, err := c.exec(s.q.finishIdempotent, true, rec.Status, nullJSON(rec.Header), rec.Body, rec.Scope, rec.Key)
		return wrap("finish idempotent", err)
	})
}

// AbandonIdempotent forgets a started request that is not done, so that a
// retry runs it again; forgetting a missing one is not an error.
func (s *Store) AbandonIdempotent(ctx context.Context, scope, key string) error {
	return s.write(ctx, func(c *conn) error {
		_, err := c.exec(s.q.abandonIdempotent, scope, key)
		return wrap("abandon idempotent", err)
	})
}

// DeleteIdempotentBefore removes the requests kept since before t and
// returns how many it removed.
func (s *Store) DeleteIdempotentBefore(ctx context.Context, t time.Time) (int, error) {
	return s.deleteCount(ctx, "delete idempotent before", s.q.deleteIdempotentBefore, t)
}
