package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/licgate/licgate/license"
)

// PutCode stores a code, replacing any code of the same license and
// computer; ErrNotFound if the license does not exist.
func (s *Store) PutCode(ctx context.Context, c license.AuthorizationCode) error {
	props, err := encodeChanges(c.Properties)
	if err != nil {
		return wrap("put code", err)
	}
	return s.write(ctx, func(cn *conn) error {
		_, err := cn.exec(s.q.putCode, c.LicenseID, c.ComputerID, c.Hash, string(c.Channel),
			c.Attempts, micro(c.ExpiresAt), micro(c.CreatedAt), props)
		if err != nil && isForeignKeyViolation(err) {
			return license.NotFound("license", c.LicenseID)
		}
		return wrap("put code", err)
	})
}

func scanCode(sc scanner) (license.AuthorizationCode, error) {
	var (
		c                license.AuthorizationCode
		channel, props   string
		expires, created int64
	)
	err := sc.Scan(&c.LicenseID, &c.ComputerID, &c.Hash, &channel, &c.Attempts, &expires, &created, &props)
	if err != nil {
		return license.AuthorizationCode{}, err
	}
	c.Channel = license.Channel(channel)
	c.ExpiresAt = fromMicro(expires)
	c.CreatedAt = fromMicro(created)
	if c.Properties, err = decodeChanges(props); err != nil {
		return license.AuthorizationCode{}, fmt.Errorf("code properties: %w", err)
	}
	return c, nil
}

// Codes returns the codes issued for a computer that expire after now.
func (s *Store) Codes(ctx context.Context, computerID string, now time.Time) ([]license.AuthorizationCode, error) {
	cs, err := queryAll(ctx, s.stmt(s.q.codes), scanCode, computerID, micro(now))
	return cs, wrap("codes", err)
}

// SpendCodeAttempt atomically counts one attempt at the code of a license
// and computer, with a single UPDATE that checks the attempts and the expiry,
// and returns the code as it was before. Otherwise it deletes the code, if
// it is used up or expired, and returns ErrCodeInvalid.
func (s *Store) SpendCodeAttempt(ctx context.Context, licenseID, computerID string, max int, now time.Time) (license.AuthorizationCode, error) {
	var (
		c     license.AuthorizationCode
		spent bool
	)
	// The deletion is a write that must commit: the function succeeds and
	// tells the invalid code by spent.
	err := s.write(ctx, func(cn *conn) error {
		var err error
		c, err = scanCode(cn.queryRow(s.q.spendCode, licenseID, computerID, max, micro(now)))
		if spent = err == nil; !errors.Is(err, sql.ErrNoRows) {
			return wrap("spend code attempt", err)
		}
		// The condition is repeated so that a fresh code put meanwhile
		// survives.
		_, err = cn.exec(s.q.deleteDeadCode, licenseID, computerID, max, micro(now))
		return wrap("spend code attempt", err)
	})
	switch {
	case err != nil:
		return license.AuthorizationCode{}, err
	case !spent:
		return license.AuthorizationCode{}, license.ErrCodeInvalid
	}
	return c, nil
}

// DeleteExpiredCodes removes codes that expire at or before now and returns
// how many it removed.
func (s *Store) DeleteExpiredCodes(ctx context.Context, now time.Time) (int, error) {
	return s.deleteCount(ctx, "delete expired codes", s.q.deleteExpiredCodes, now)
}

// CreateSession stores a new session; ErrConflict if its hash is taken.
// Only the hash of the session ID is stored.
func (s *Store) CreateSession(ctx context.Context, sess license.Session) error {
	return s.write(ctx, func(c *conn) error {
		_, err := c.exec(s.q.insertSession, sess.IDHash, string(sess.Kind), sess.Subject,
			micro(sess.CreatedAt), micro(sess.ExpiresAt))
		if err != nil && isUniqueViolation(err) {
			return fmt.Errorf("%w: session", license.ErrConflict)
		}
		return wrap("create session", err)
	})
}

// TouchSession returns the session with the ID hash, with its expiry moved
// to now+idle, if it expires after now; ErrNotFound if it is missing or
// expired.
func (s *Store) TouchSession(ctx context.Context, idHash []byte, now time.Time, idle time.Duration) (license.Session, error) {
	var (
		sess             license.Session
		kind             string
		created, expires int64
	)
	err := s.write(ctx, func(c *conn) error {
		err := c.queryRow(s.q.touchSession, micro(now.Add(idle)), idHash, micro(now)).
			Scan(&sess.IDHash, &kind, &sess.Subject, &created, &expires)
		return lookup("touch session", err, "session", "")
	})
	if err != nil {
		return license.Session{}, err
	}
	sess.Kind = license.SessionKind(kind)
	sess.CreatedAt = fromMicro(created)
	sess.ExpiresAt = fromMicro(expires)
	return sess, nil
}

// DeleteSession removes a session; deleting a missing one is not an error.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	return s.write(ctx, func(c *conn) error {
		_, err := c.exec(s.q.deleteSession, idHash)
		return wrap("delete session", err)
	})
}

// DeleteExpiredSessions removes sessions that expire at or before now and
// returns how many it removed.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	return s.deleteCount(ctx, "delete expired sessions", s.q.deleteExpiredSessions, now)
}
