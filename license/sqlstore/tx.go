package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
)

// conn runs the statements of one write: in a transaction (a batch of the
// SQLite writer, or the transaction of a PostgreSQL WithLicense), or on the
// pool, each statement in a transaction of its own.
type conn struct {
	ctx context.Context
	s   *Store
	tx  *sql.Tx // nil: on the pool
	// b is the SQLite writer's batch the statements run in, or nil. After
	// an error that may have ended its transaction, no statement runs.
	b *batch
}

// stmt returns the prepared statement of query q, bound to c's transaction
// if it has one. database/sql prepares it once per connection.
func (c *conn) stmt(q string) *sql.Stmt {
	st := c.s.stmt(q)
	if c.tx != nil {
		return c.tx.StmtContext(c.ctx, st)
	}
	return st
}

// exec runs a statement.
func (c *conn) exec(q string, args ...any) (sql.Result, error) {
	if err := c.b.failed(); err != nil {
		return nil, err
	}
	res, err := c.stmt(q).ExecContext(c.ctx, args...)
	return res, c.check(err)
}

// execCount runs a statement and returns how many rows it changed.
func (c *conn) execCount(q string, args ...any) (int, error) {
	res, err := c.exec(q, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// queryRow runs a statement that returns at most one row.
func (c *conn) queryRow(q string, args ...any) scanner {
	if err := c.b.failed(); err != nil {
		return errRow{err}
	}
	return checkedRow{c, c.stmt(q).QueryRowContext(c.ctx, args...)}
}

// queryRows runs a statement through c and scans every row with scan; an
// empty slice if none.
func queryRows[T any](c *conn, q string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	if err := c.b.failed(); err != nil {
		return nil, err
	}
	rows, err := c.stmt(q).QueryContext(c.ctx, args...)
	if err != nil {
		return nil, c.check(err)
	}
	defer rows.Close()
	vs, err := scanRows(rows, scan)
	return vs, c.check(err)
}

// check returns err, after marking c's batch failed if err may have ended
// its transaction: SQLite rolls back a whole transaction on some errors (a
// full disk, an I/O error, an interrupt), after which further statements
// would run and commit on their own. No row and a constraint violation undo
// only the statement.
func (c *conn) check(err error) error {
	if err != nil && c.b != nil && !errors.Is(err, sql.ErrNoRows) && !isConstraint(err) {
		c.b.fail(err)
	}
	return err
}

// checkedRow is a *sql.Row whose error, which comes with Scan, is checked.
type checkedRow struct {
	c   *conn
	row *sql.Row
}

func (r checkedRow) Scan(dest ...any) error { return r.c.check(r.row.Scan(dest...)) }

// errRow is a row that fails with err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// WithLicense runs fn over the license locked in one transaction, and
// commits what fn did through tx if fn returns nil, or nothing if it returns
// an error, which WithLicense returns as is; ErrNotFound if the license does
// not exist.
//
// On PostgreSQL the transaction locks the license's row (SELECT … FOR
// UPDATE). On SQLite, calls that arrive together share one write
// transaction of the store's writer, each in a savepoint of its own that
// fn's error rolls back alone (group commit); each returns once the
// transaction has committed. A call whose ctx is done before fn starts
// returns ctx's error without calling fn; once fn has run, the call waits
// for the commit whatever ctx does. fn's statements, like a panic in fn,
// stay the caller's own.
func (s *Store) WithLicense(ctx context.Context, licenseID string, fn func(tx license.LicenseTx) error) error {
	return s.transact(ctx, func(c *conn) error { return s.withLicense(c, licenseID, fn) })
}

// transact runs fn in one transaction, committed if fn returns nil: on
// SQLite in a savepoint of a batch of the writer, on PostgreSQL in a
// transaction of its own. fn's error is returned as is.
func (s *Store) transact(ctx context.Context, fn func(c *conn) error) error {
	if s.w != nil {
		return s.w.do(ctx, fn)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return wrap("begin", err)
	}
	if err := fn(&conn{ctx: ctx, s: s, tx: tx}); err != nil {
		_ = tx.Rollback() // the error that matters is fn's
		return err
	}
	return wrap("commit", tx.Commit())
}

// withLicense locks the license in c's transaction and runs fn over it.
func (s *Store) withLicense(c *conn, licenseID string, fn func(tx license.LicenseTx) error) error {
	l, err := scanLicense(c.queryRow(s.q.lockLicense, licenseID))
	if err != nil {
		return lookup("with license", err, "license", licenseID)
	}
	t := &licenseTx{c: c, l: l}
	defer func() { t.done = true }()
	return fn(t)
}

// errTxDone is what a licenseTx used after its fn returned fails with.
var errTxDone = errors.New("sqlstore: LicenseTx used after its function returned")

// licenseTx is a license locked in a transaction.
type licenseTx struct {
	c *conn
	// l is the license as it stands in the transaction: the row as locked,
	// with the writes of the transaction applied.
	l    license.License
	done bool
}

var _ license.LicenseTx = (*licenseTx)(nil)

// License returns the license as it stands in the transaction.
func (t *licenseTx) License() license.License { return cloneLicense(t.l) }

// ActiveOn returns the active activation of the license on a computer.
func (t *licenseTx) ActiveOn(computerID string) (license.Activation, bool, error) {
	if t.done {
		return license.Activation{}, false, errTxDone
	}
	a, err := scanActivation(t.c.queryRow(t.c.s.q.activeOn, t.l.ID, computerID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return license.Activation{}, false, nil
	case err != nil:
		return license.Activation{}, false, wrap("active on", err)
	}
	return a, true, nil
}

// RevokedOn reports whether the license holds a revoked activation of the
// computer.
func (t *licenseTx) RevokedOn(computerID string) (bool, error) {
	if t.done {
		return false, errTxDone
	}
	var one int
	err := t.c.queryRow(t.c.s.q.revokedOn, t.l.ID, computerID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, wrap("revoked on", err)
	}
	return true, nil
}

// Insert stores a new activation of the license, and if it is active adds
// a seat to the license's seats held, in the same transaction.
func (t *licenseTx) Insert(a license.Activation) error {
	if t.done {
		return errTxDone
	}
	if a.LicenseID != t.l.ID {
		return &license.InvalidError{Reason: fmt.Sprintf("the activation %s is of license %s, not %s", a.AID, a.LicenseID, t.l.ID)}
	}
	attrs, err := encodeAttributes(a.Attributes)
	if err != nil {
		return wrap("insert activation", err)
	}
	var aid string
	err = t.c.queryRow(t.c.s.q.insertActivation,
		a.AID, a.LicenseID, a.ComputerID, a.ComputerName, a.ComputerKey, string(a.Status),
		micro(a.ActivatedAt), nullMicro(a.ReleasedAt), attrs, a.Comments, nullMicro(a.LeaseUntil)).Scan(&aid)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: activation %s: its AID or computer key is taken, or computer %q holds an active activation of the license",
			license.ErrConflict, a.AID, a.ComputerID)
	case err != nil:
		return wrap("insert activation", err)
	}
	if a.Status == license.StatusActive {
		if err := t.addSeatsHeld(1); err != nil {
			return wrap("insert activation", err)
		}
	}
	return nil
}

// addSeatsHeld adds n to the seats the license holds.
func (t *licenseTx) addSeatsHeld(n int) error {
	if _, err := t.c.exec(t.c.s.q.addSeatsHeld, n, t.l.ID); err != nil {
		return err
	}
	t.l.SeatsHeld += n
	return nil
}

// End moves an active activation of the license to released or revoked at
// the given time, and takes its seat from the license's seats held, in the
// same transaction.
func (t *licenseTx) End(aid string, status license.Status, at time.Time) (license.Activation, error) {
	if t.done {
		return license.Activation{}, errTxDone
	}
	if status != license.StatusReleased && status != license.StatusRevoked {
		return license.Activation{}, &license.InvalidError{Reason: fmt.Sprintf("an activation cannot move to status %q", status)}
	}
	a, err := scanActivation(t.c.queryRow(t.c.s.q.endActivation, string(status), micro(at), aid, t.l.ID))
	if err == nil {
		if err := t.addSeatsHeld(-1); err != nil {
			return license.Activation{}, wrap("end activation", err)
		}
		return a, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return license.Activation{}, wrap("end activation", err)
	}
	// Not active, or not there: say which.
	var cur string
	err = t.c.queryRow(t.c.s.q.activationStatus, aid, t.l.ID).Scan(&cur)
	if err != nil {
		return license.Activation{}, lookup("end activation", err, "activation", aid)
	}
	switch license.Status(cur) {
	case license.StatusReleased:
		return license.Activation{}, license.ErrReleased
	case license.StatusRevoked:
		return license.Activation{}, license.ErrActivationRevoked
	}
	return license.Activation{}, fmt.Errorf("sqlstore: end activation: activation %s has status %q", aid, cur)
}

// ExpireLeases ends the leases of the license that ran out by now, released
// at their LeaseUntil, and takes their seats from the license's seats held,
// in the same transaction: one UPDATE … RETURNING through the partial index
// of live leases, and one UPDATE of the license's row if any ended.
func (t *licenseTx) ExpireLeases(now time.Time) ([]license.Activation, error) {
	if t.done {
		return nil, errTxDone
	}
	ended, err := queryRows(t.c, t.c.s.q.expireLeases, scanActivation, t.l.ID, micro(now))
	if err != nil {
		return nil, wrap("expire leases", err)
	}
	if len(ended) == 0 {
		return ended, nil
	}
	if err := t.addSeatsHeld(-len(ended)); err != nil {
		return nil, wrap("expire leases", err)
	}
	// RETURNING gives rows in no particular order.
	slices.SortFunc(ended, func(a, b license.Activation) int {
		return cmp.Or(a.LeaseUntil.Compare(b.LeaseUntil), strings.Compare(a.AID, b.AID))
	})
	return ended, nil
}

// Extend moves the LeaseUntil of an active lease of the license to until
// and returns the lease.
func (t *licenseTx) Extend(aid string, until time.Time) (license.Activation, error) {
	if t.done {
		return license.Activation{}, errTxDone
	}
	if until.IsZero() {
		return license.Activation{}, &license.InvalidError{Reason: "a lease cannot be extended to the zero time"}
	}
	a, err := scanActivation(t.c.queryRow(t.c.s.q.extendLease, micro(until), aid, t.l.ID))
	if err == nil {
		return a, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return license.Activation{}, wrap("extend lease", err)
	}
	// Not an active lease, or not there: say which.
	var (
		cur     string
		isLease bool
	)
	err = t.c.queryRow(t.c.s.q.leaseState, aid, t.l.ID).Scan(&cur, &isLease)
	if err != nil {
		return license.Activation{}, lookup("extend lease", err, "activation", aid)
	}
	switch {
	case !isLease:
		return license.Activation{}, &license.InvalidError{Reason: fmt.Sprintf("the activation %s is not a lease", aid)}
	case license.Status(cur) == license.StatusReleased:
		return license.Activation{}, license.ErrReleased
	case license.Status(cur) == license.StatusRevoked:
		return license.Activation{}, license.ErrActivationRevoked
	}
	return license.Activation{}, fmt.Errorf("sqlstore: extend lease: activation %s has status %q", aid, cur)
}

// ConsumeCode deletes the authorization code of the license and the
// computer.
func (t *licenseTx) ConsumeCode(computerID string) error {
	if t.done {
		return errTxDone
	}
	n, err := t.c.execCount(t.c.s.q.deleteCode, t.l.ID, computerID)
	switch {
	case err != nil:
		return wrap("consume code", err)
	case n == 0:
		return license.ErrCodeInvalid
	}
	return nil
}

// Update stores the changeable fields of l.
func (t *licenseTx) Update(l license.License) error {
	if t.done {
		return errTxDone
	}
	features, err := encodeJSON(l.Features)
	if err != nil {
		return wrap("update license", err)
	}
	props, err := encodeProperties(l.Properties)
	if err != nil {
		return wrap("update license", err)
	}
	_, err = t.c.exec(t.c.s.q.updateLicense,
		l.Email, l.Phone, l.Name, l.Company, l.Seats, nullMicro(l.ExpiresAt),
		features, props, string(l.Status), l.LeaseSeconds, t.l.ID)
	if err != nil {
		return wrap("update license", err)
	}
	// What a read would give back: times to the microsecond in UTC, slices
	// of its own.
	cur := t.l
	cur.Customer, cur.Seats, cur.Status, cur.LeaseSeconds = l.Customer, l.Seats, l.Status, l.LeaseSeconds
	cur.ExpiresAt = fromNullMicro(nullMicro(l.ExpiresAt))
	if cur.Features, err = decodeJSON[string](features); err != nil {
		return wrap("update license", err)
	}
	if cur.Properties, err = decodeProperties(props); err != nil {
		return wrap("update license", err)
	}
	t.l = cur
	return nil
}

// Record appends an event, with its deliveries if it has Data, in the
// transaction.
func (t *licenseTx) Record(e license.Event) error {
	if t.done {
		return errTxDone
	}
	return t.c.s.record(t.c, e)
}

// cloneLicense returns a copy of l that shares no slice with it.
func cloneLicense(l license.License) license.License {
	if l.Features != nil {
		l.Features = append([]string(nil), l.Features...)
	}
	if l.Properties != nil {
		l.Properties = append([]license.Property(nil), l.Properties...)
	}
	return l
}
