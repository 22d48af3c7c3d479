package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/licgate/licgate/license"
)

// A rate-limit bucket is one row: the tokens it held at updated_at, its
// burst and its window in microseconds. Each operation is one statement,
// so it is atomic across every store sharing the database, in this process
// or another, without a transaction of its own.

// bucketWindow returns b's window in whole microseconds, or an error
// matching ErrInvalid if it is shorter than one.
func bucketWindow(b license.Bucket) (int64, error) {
	w := b.Window.Microseconds()
	if w < 1 {
		return 0, &license.InvalidError{Reason: fmt.Sprintf("the window of bucket %q is shorter than a microsecond", b.Key)}
	}
	return w, nil
}

// TakeToken atomically takes one token from the bucket b at now and reports
// whether there was one: one upsert that creates the bucket full less the
// token, or refills it to now and takes a token only if it then holds one.
// A bucket whose burst is below 1 never has a token.
func (s *Store) TakeToken(ctx context.Context, b license.Bucket, now time.Time) (bool, error) {
	if b.Burst < 1 {
		return false, nil
	}
	window, err := bucketWindow(b)
	if err != nil {
		return false, err
	}
	var ok bool
	err = s.write(ctx, func(c *conn) error {
		var tokens float64
		err := c.queryRow(s.q.takeToken, b.Key, float64(b.Burst-1), b.Burst, window, micro(now)).Scan(&tokens)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			ok = false
		case err != nil:
			return wrap("take token", err)
		default:
			ok = true
		}
		return nil
	})
	return ok, err
}

// ReturnToken gives one token back to the bucket b, never above b.Burst;
// returning to a bucket not stored does nothing.
func (s *Store) ReturnToken(ctx context.Context, b license.Bucket, now time.Time) error {
	return s.write(ctx, func(c *conn) error {
		_, err := c.exec(s.q.returnToken, b.Burst, b.Key)
		return wrap("return token", err)
	})
}

// DeleteFullBuckets removes buckets that have refilled completely by now
// and returns how many it removed.
func (s *Store) DeleteFullBuckets(ctx context.Context, now time.Time) (int, error) {
	return s.deleteCount(ctx, "delete full buckets", s.q.deleteFullBuckets, now)
}
