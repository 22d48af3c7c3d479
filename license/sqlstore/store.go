package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/licgate/licgate/license"
)

var _ license.Store = (*Store)(nil)

// Store is a [license.Store] on a SQL database. It is safe for concurrent
// use, and several Stores, in one process or several, may share a database.
// The callbacks of [Store.Activate] and [Store.UpdateLicense] run inside a
// transaction that holds a write lock and must not use the store.
type Store struct {
	db      *sql.DB
	dialect Dialect
	q       queries
	stmt    statements
}

// statements are the prepared statements of the hot paths: reads by ID,
// which a gate makes on every cache miss, and the reads of Activate.
type statements struct {
	license, activation, lockLicense, activeOn, countActive *sql.Stmt
}

// prepare prepares the statements of the hot paths.
func (s *Store) prepare(ctx context.Context) error {
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&s.stmt.license, s.q.license},
		{&s.stmt.activation, s.q.activation},
		{&s.stmt.lockLicense, s.q.lockLicense},
		{&s.stmt.activeOn, s.q.activeOn},
		{&s.stmt.countActive, s.q.countActive},
	} {
		st, err := s.db.PrepareContext(ctx, p.query)
		if err != nil {
			_ = s.Close()
			return err
		}
		*p.stmt = st
	}
	return nil
}

// Close releases the store's prepared statements. It does not close the
// database, which belongs to the caller; close the store first.
func (s *Store) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.stmt.license, s.stmt.activation, s.stmt.lockLicense, s.stmt.activeOn, s.stmt.countActive} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// Open returns a store on db, which speaks dialect d, after bringing its
// schema up to date. It does not change db's settings; see the package
// documentation for those that suit SQLite. The caller keeps db and closes
// it after closing the store. Errors: [ErrNilDB], [ErrDialect],
// [ErrSQLiteSettings], [ErrSchemaVersion], and those of the database.
func Open(ctx context.Context, db *sql.DB, d Dialect) (*Store, error) {
	if db == nil {
		return nil, ErrNilDB
	}
	if !d.valid() {
		return nil, fmt.Errorf("%w: %d", ErrDialect, int(d))
	}
	s := &Store{db: db, dialect: d, q: newQueries(d)}
	if d == SQLite {
		if err := checkSQLite(ctx, db); err != nil {
			return nil, err
		}
	}
	if err := s.migrate(ctx); err != nil {
		return nil, fmt.Errorf("sqlstore: migrate: %w", err)
	}
	if err := s.prepare(ctx); err != nil {
		return nil, fmt.Errorf("sqlstore: prepare: %w", err)
	}
	return s, nil
}

// checkSQLite fails unless db's connections have a busy timeout and enforce
// foreign keys, as those of [SQLiteDSN] do. (Whether its transactions are
// immediate cannot be read back.)
func checkSQLite(ctx context.Context, db *sql.DB) error {
	conn, err := connectSQLite(ctx, db)
	if err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	defer conn.Close()
	var timeout, fk int
	if err := conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&timeout); err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	if timeout <= 0 || fk != 1 {
		return fmt.Errorf("%w: busy_timeout %d ms, foreign_keys %d", ErrSQLiteSettings, timeout, fk)
	}
	return nil
}

// connectSQLite returns a connection of db, retrying while it fails with
// SQLITE_BUSY. Processes that open a new database file together all switch
// it to WAL, and SQLite answers all but one with SQLITE_BUSY without waiting
// out the busy timeout; once the file is in WAL mode, connections open
// without that.
func connectSQLite(ctx context.Context, db *sql.DB) (*sql.Conn, error) {
	const tries, pause = 50, 100 * time.Millisecond
	for i := 1; ; i++ {
		conn, err := db.Conn(ctx)
		if err == nil || i == tries || !isBusy(err) {
			return conn, err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// Dialect returns the dialect the store speaks.
func (s *Store) Dialect() Dialect { return s.dialect }

// inTx runs fn in a transaction and commits it if fn returns nil. On SQLite,
// with the DSN of [SQLiteDSN], the transaction holds the write lock from its
// start.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error that matters is fn's
		return err
	}
	return tx.Commit()
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// notFound turns sql.ErrNoRows into license.ErrNotFound, naming what.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", license.ErrNotFound, what)
	}
	return err
}

// wrap prefixes the errors of the database with the operation, leaving the
// sentinels of package license matchable.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

// CreateProduct stores a new product; ErrConflict if its ID is taken.
func (s *Store) CreateProduct(ctx context.Context, p license.Product) error {
	_, err := s.db.ExecContext(ctx, s.q.insertProduct, p.ID, p.Name, p.Major, p.Minor, micro(p.CreatedAt))
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("%w: product %s", license.ErrConflict, p.ID)
	}
	return wrap("create product", err)
}

func scanProduct(sc scanner) (license.Product, error) {
	var p license.Product
	var created int64
	if err := sc.Scan(&p.ID, &p.Name, &p.Major, &p.Minor, &created); err != nil {
		return license.Product{}, err
	}
	p.CreatedAt = fromMicro(created)
	return p, nil
}

// Product returns a product by ID; ErrNotFound if there is none.
func (s *Store) Product(ctx context.Context, id string) (license.Product, error) {
	p, err := scanProduct(s.db.QueryRowContext(ctx, s.q.product, id))
	return p, wrap("product", notFound(err, "product "+id))
}

// Products returns every product, ordered by ID.
func (s *Store) Products(ctx context.Context) ([]license.Product, error) {
	ps, err := queryAll(ctx, s.db, scanProduct, s.q.products)
	return ps, wrap("products", err)
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

// CreateLicense stores a new license; ErrConflict if its ID or key is taken,
// ErrNotFound if its product does not exist.
func (s *Store) CreateLicense(ctx context.Context, l license.License) error {
	features, err := encodeJSON(l.Features)
	if err != nil {
		return wrap("create license", err)
	}
	props, err := encodeProperties(l.Properties)
	if err != nil {
		return wrap("create license", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, s.q.productExists, l.ProductID).Scan(&one)
		if err != nil {
			return notFound(err, "product "+l.ProductID)
		}
		_, err = tx.ExecContext(ctx, s.q.insertLicense,
			l.ID, l.Key, l.ProductID, l.Email, l.Phone, l.Name, l.Company, l.Seats,
			nullMicro(l.ExpiresAt), features, props, string(l.Status), micro(l.CreatedAt))
		switch {
		case err == nil:
			return nil
		case isUniqueViolation(err):
			return fmt.Errorf("%w: license ID or key", license.ErrConflict)
		case isForeignKeyViolation(err):
			return fmt.Errorf("%w: product %s", license.ErrNotFound, l.ProductID)
		}
		return err
	})
	return wrap("create license", err)
}

const licenseColumns = "id, license_key, product_id, email, phone, name, company, seats, expires_at, features, properties, status, created_at"

func scanLicense(sc scanner) (license.License, error) {
	var (
		l               license.License
		expires         sql.NullInt64
		features, props string
		status          string
		created         int64
	)
	err := sc.Scan(&l.ID, &l.Key, &l.ProductID, &l.Email, &l.Phone, &l.Name, &l.Company,
		&l.Seats, &expires, &features, &props, &status, &created)
	if err != nil {
		return license.License{}, err
	}
	l.ExpiresAt = fromNullMicro(expires)
	l.Status = license.Status(status)
	l.CreatedAt = fromMicro(created)
	if l.Features, err = decodeJSON[string](features); err != nil {
		return license.License{}, fmt.Errorf("license %s features: %w", l.ID, err)
	}
	if l.Properties, err = decodeProperties(props); err != nil {
		return license.License{}, fmt.Errorf("license %s properties: %w", l.ID, err)
	}
	return l, nil
}

// License returns a license by ID; ErrNotFound if there is none.
func (s *Store) License(ctx context.Context, id string) (license.License, error) {
	l, err := scanLicense(s.stmt.license.QueryRowContext(ctx, id))
	return l, wrap("license", notFound(err, "license "+id))
}

// LicenseByKey returns the license with the canonical key; ErrNotFound if
// there is none.
func (s *Store) LicenseByKey(ctx context.Context, key string) (license.License, error) {
	l, err := scanLicense(s.db.QueryRowContext(ctx, s.q.licenseByKey, key))
	return l, wrap("license by key", notFound(err, "license key"))
}

// LicensesByEmail returns the licenses of a product whose customer has the
// email address, oldest first. Addresses are compared exactly; the
// [license.Service] stores them lower-cased.
func (s *Store) LicensesByEmail(ctx context.Context, email, productID string) ([]license.License, error) {
	ls, err := queryAll(ctx, s.db, scanLicense, s.q.licensesByEmail, productID, email)
	return ls, wrap("licenses by email", err)
}

// Licenses returns the licenses of a product, or every license if productID
// is empty, oldest first.
func (s *Store) Licenses(ctx context.Context, productID string) ([]license.License, error) {
	var ls []license.License
	var err error
	if productID == "" {
		ls, err = queryAll(ctx, s.db, scanLicense, s.q.allLicenses)
	} else {
		ls, err = queryAll(ctx, s.db, scanLicense, s.q.licensesOfProduct, productID)
	}
	return ls, wrap("licenses", err)
}

// lockLicense reads a license in tx, locking its row on PostgreSQL; on
// SQLite the transaction already holds the database's write lock.
func (s *Store) lockLicense(ctx context.Context, tx *sql.Tx, id string) (license.License, error) {
	l, err := scanLicense(tx.StmtContext(ctx, s.stmt.lockLicense).QueryRowContext(ctx, id))
	return l, notFound(err, "license "+id)
}

// UpdateLicense changes a license through fn in one transaction, with the
// row locked; ErrNotFound if there is none. The ID, key and product are kept
// whatever fn does, and fn's error is returned as is.
func (s *Store) UpdateLicense(ctx context.Context, id string, fn func(*license.License) error) (license.License, error) {
	var l license.License
	var fnErr error
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.lockLicense(ctx, tx, id)
		if err != nil {
			return err
		}
		l = cur
		l.Features = append([]string(nil), cur.Features...)
		l.Properties = append([]license.Property(nil), cur.Properties...)
		if err := fn(&l); err != nil {
			fnErr = err
			return err
		}
		l.ID, l.Key, l.ProductID = cur.ID, cur.Key, cur.ProductID
		features, err := encodeJSON(l.Features)
		if err != nil {
			return err
		}
		props, err := encodeProperties(l.Properties)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q.updateLicense,
			l.Email, l.Phone, l.Name, l.Company, l.Seats, nullMicro(l.ExpiresAt),
			features, props, string(l.Status), l.ID)
		return err
	})
	if fnErr != nil {
		return license.License{}, fnErr
	}
	if err != nil {
		return license.License{}, wrap("update license", err)
	}
	// Give back what a read would: times truncated, slices of our own.
	return s.normalizeLicense(l)
}

// normalizeLicense returns l as the store keeps it: times in UTC to the
// microsecond. The slices are fresh.
func (s *Store) normalizeLicense(l license.License) (license.License, error) {
	l.ExpiresAt = fromNullMicro(nullMicro(l.ExpiresAt))
	l.CreatedAt = fromMicro(micro(l.CreatedAt))
	l.Features = append([]string(nil), l.Features...)
	props, err := encodeProperties(l.Properties)
	if err != nil {
		return license.License{}, err
	}
	l.Properties, err = decodeProperties(props)
	return l, err
}

const activationColumns = "aid, license_id, computer_id, computer_name, computer_key, status, activated_at, released_at, attributes, comments"

func scanActivation(sc scanner) (license.Activation, error) {
	var (
		a         license.Activation
		status    string
		activated int64
		released  sql.NullInt64
		attrs     string
	)
	err := sc.Scan(&a.AID, &a.LicenseID, &a.ComputerID, &a.ComputerName, &a.ComputerKey,
		&status, &activated, &released, &attrs, &a.Comments)
	if err != nil {
		return license.Activation{}, err
	}
	a.Status = license.Status(status)
	a.ActivatedAt = fromMicro(activated)
	a.ReleasedAt = fromNullMicro(released)
	if a.Attributes, err = decodeAttributes(attrs); err != nil {
		return license.Activation{}, fmt.Errorf("activation %s attributes: %w", a.AID, err)
	}
	return a, nil
}

// Activate records an activation of a license in one transaction, as
// [license.Store.Activate] says. The license row is locked (SELECT … FOR
// UPDATE on PostgreSQL, the write lock of the immediate transaction on
// SQLite) while Check runs and the seats are counted.
func (s *Store) Activate(ctx context.Context, p license.ActivateParams) (license.Activation, bool, error) {
	in := p.Activation
	attrs, err := encodeAttributes(in.Attributes)
	if err != nil {
		return license.Activation{}, false, wrap("activate", err)
	}
	var (
		a        license.Activation
		existing bool
		checkErr error
	)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		l, err := s.lockLicense(ctx, tx, in.LicenseID)
		if err != nil {
			return err
		}
		if p.Check != nil {
			// A copy: what Check does to it must not reach the row.
			c := l
			c.Features = append([]string(nil), l.Features...)
			c.Properties = append([]license.Property(nil), l.Properties...)
			if err := p.Check(c); err != nil {
				checkErr = err
				return err
			}
		}

		a, err = scanActivation(tx.StmtContext(ctx, s.stmt.activeOn).QueryRowContext(ctx, in.LicenseID, in.ComputerID))
		switch {
		case err == nil:
			existing = true
		case !errors.Is(err, sql.ErrNoRows):
			return err
		default:
			var revoked int
			if err := tx.QueryRowContext(ctx, s.q.revokedOn, in.LicenseID, in.ComputerID).Scan(&revoked); err != nil {
				return err
			}
			if revoked > 0 {
				return fmt.Errorf("%w: computer %s was revoked from license %s", license.ErrRevoked, in.ComputerID, in.LicenseID)
			}
			var held int
			if err := tx.StmtContext(ctx, s.stmt.countActive).QueryRowContext(ctx, in.LicenseID).Scan(&held); err != nil {
				return err
			}
			if held >= l.Seats {
				return license.ErrNoSeats
			}
			_, err := tx.ExecContext(ctx, s.q.insertActivation,
				in.AID, in.LicenseID, in.ComputerID, in.ComputerName, in.ComputerKey, string(in.Status),
				micro(in.ActivatedAt), nullMicro(in.ReleasedAt), attrs, in.Comments)
			if err != nil {
				if isUniqueViolation(err) {
					return fmt.Errorf("%w: activation ID, computer key or active computer", license.ErrConflict)
				}
				return err
			}
			a = in
		}

		if p.Code.LicenseID != "" {
			res, err := tx.ExecContext(ctx, s.q.deleteCode, p.Code.LicenseID, p.Code.ComputerID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return license.ErrCodeInvalid
			}
		}

		if len(p.Properties) > 0 {
			if err := license.ApplyPropertyChanges(&l, p.Properties, in.ActivatedAt); err != nil {
				return err
			}
			props, err := encodeProperties(l.Properties)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q.updateProperties, props, l.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if checkErr != nil {
		return license.Activation{}, false, checkErr
	}
	if err != nil {
		return license.Activation{}, false, wrap("activate", err)
	}
	if !existing {
		// Give back what a read would.
		a.ActivatedAt = fromMicro(micro(a.ActivatedAt))
		a.ReleasedAt = fromNullMicro(nullMicro(a.ReleasedAt))
		if a.Attributes, err = decodeAttributes(attrs); err != nil {
			return license.Activation{}, false, wrap("activate", err)
		}
	}
	return a, existing, nil
}

// Activation returns an activation by AID; ErrNotFound if there is none.
func (s *Store) Activation(ctx context.Context, aid string) (license.Activation, error) {
	a, err := scanActivation(s.stmt.activation.QueryRowContext(ctx, aid))
	return a, wrap("activation", notFound(err, "activation "+aid))
}

// ActivationByComputer returns the active activation of a license on a
// computer; ErrNotFound if there is none.
func (s *Store) ActivationByComputer(ctx context.Context, licenseID, computerID string) (license.Activation, error) {
	a, err := scanActivation(s.stmt.activeOn.QueryRowContext(ctx, licenseID, computerID))
	return a, wrap("activation by computer", notFound(err, "no active activation on the computer"))
}

// ActivationByComputerKey returns the activation with the canonical computer
// key, whatever its status; ErrNotFound if there is none.
func (s *Store) ActivationByComputerKey(ctx context.Context, computerKey string) (license.Activation, error) {
	a, err := scanActivation(s.db.QueryRowContext(ctx, s.q.activationByComputerKey, computerKey))
	return a, wrap("activation by computer key", notFound(err, "computer key"))
}

// Activations returns the activations of a license, or every activation if
// licenseID is empty, oldest first.
func (s *Store) Activations(ctx context.Context, licenseID string) ([]license.Activation, error) {
	var as []license.Activation
	var err error
	if licenseID == "" {
		as, err = queryAll(ctx, s.db, scanActivation, s.q.allActivations)
	} else {
		as, err = queryAll(ctx, s.db, scanActivation, s.q.activationsOfLicense, licenseID)
	}
	return as, wrap("activations", err)
}

// CountActive returns how many active activations a license holds.
func (s *Store) CountActive(ctx context.Context, licenseID string) (int, error) {
	var n int
	err := s.stmt.countActive.QueryRowContext(ctx, licenseID).Scan(&n)
	return n, wrap("count active", err)
}

// SetActivationStatus moves an active activation to released or revoked at
// the given time; ErrNotFound if it does not exist, ErrReleased or
// ErrRevoked if it is no longer active, and an error wrapping ErrInvalid for
// any other status.
func (s *Store) SetActivationStatus(ctx context.Context, aid string, status license.Status, at time.Time) (license.Activation, error) {
	if status != license.StatusReleased && status != license.StatusRevoked {
		return license.Activation{}, fmt.Errorf("%w: sqlstore: an activation cannot move to status %q", license.ErrInvalid, status)
	}
	a, err := scanActivation(s.db.QueryRowContext(ctx, s.q.setActivationStatus, string(status), micro(at), aid))
	if !errors.Is(err, sql.ErrNoRows) {
		return a, wrap("set activation status", err)
	}
	// Not active: say why. A status only ever moves away from active, so
	// what this reads is final.
	var cur string
	err = s.db.QueryRowContext(ctx, s.q.activationStatus, aid).Scan(&cur)
	if err != nil {
		return license.Activation{}, wrap("set activation status", notFound(err, "activation "+aid))
	}
	if err := (license.Activation{Status: license.Status(cur)}).Usable(); err != nil {
		return license.Activation{}, err
	}
	// Active again: only if someone wrote the row behind the store's back.
	return license.Activation{}, fmt.Errorf("sqlstore: set activation status: activation %s changed concurrently", aid)
}

// PutCode stores a code, replacing any code of the same license and
// computer; ErrNotFound if the license does not exist.
func (s *Store) PutCode(ctx context.Context, c license.AuthorizationCode) error {
	props, err := encodeChanges(c.Properties)
	if err != nil {
		return wrap("put code", err)
	}
	_, err = s.db.ExecContext(ctx, s.q.putCode, c.LicenseID, c.ComputerID, c.Hash, string(c.Channel),
		c.Attempts, micro(c.ExpiresAt), micro(c.CreatedAt), props)
	if err != nil && isForeignKeyViolation(err) {
		return fmt.Errorf("%w: license %s", license.ErrNotFound, c.LicenseID)
	}
	return wrap("put code", err)
}

const codeColumns = "license_id, computer_id, hash, channel, attempts, expires_at, created_at, properties"

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
	cs, err := queryAll(ctx, s.db, scanCode, s.q.codes, computerID, micro(now))
	return cs, wrap("codes", err)
}

// SpendCodeAttempt atomically counts one attempt at the code of a license
// and computer, with a single UPDATE that checks the attempts and the expiry,
// and returns the code as it was before. Otherwise it deletes the code, if
// it is used up or expired, and returns ErrCodeInvalid.
func (s *Store) SpendCodeAttempt(ctx context.Context, licenseID, computerID string, max int, now time.Time) (license.AuthorizationCode, error) {
	c, err := scanCode(s.db.QueryRowContext(ctx, s.q.spendCode, licenseID, computerID, max, micro(now)))
	if !errors.Is(err, sql.ErrNoRows) {
		return c, wrap("spend code attempt", err)
	}
	// The condition is repeated so that a fresh code put meanwhile survives.
	if _, err := s.db.ExecContext(ctx, s.q.deleteDeadCode, licenseID, computerID, max, micro(now)); err != nil {
		return license.AuthorizationCode{}, wrap("spend code attempt", err)
	}
	return license.AuthorizationCode{}, license.ErrCodeInvalid
}

// DeleteExpiredCodes removes codes that expire at or before now and returns
// how many it removed.
func (s *Store) DeleteExpiredCodes(ctx context.Context, now time.Time) (int, error) {
	n, err := s.execCount(ctx, s.q.deleteExpiredCodes, micro(now))
	return n, wrap("delete expired codes", err)
}

// execCount runs a statement and returns how many rows it changed.
func (s *Store) execCount(ctx context.Context, query string, args ...any) (int, error) {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// CreateSession stores a new session; ErrConflict if its hash is taken.
// Only the hash of the session ID is stored.
func (s *Store) CreateSession(ctx context.Context, sess license.Session) error {
	_, err := s.db.ExecContext(ctx, s.q.insertSession, sess.IDHash, string(sess.Kind), sess.Subject,
		micro(sess.CreatedAt), micro(sess.ExpiresAt))
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("%w: session", license.ErrConflict)
	}
	return wrap("create session", err)
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
	err := s.db.QueryRowContext(ctx, s.q.touchSession, micro(now.Add(idle)), idHash, micro(now)).
		Scan(&sess.IDHash, &kind, &sess.Subject, &created, &expires)
	if err != nil {
		return license.Session{}, wrap("touch session", notFound(err, "session"))
	}
	sess.Kind = license.SessionKind(kind)
	sess.CreatedAt = fromMicro(created)
	sess.ExpiresAt = fromMicro(expires)
	return sess, nil
}

// DeleteSession removes a session; deleting a missing one is not an error.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	_, err := s.db.ExecContext(ctx, s.q.deleteSession, idHash)
	return wrap("delete session", err)
}

// DeleteExpiredSessions removes sessions that expire at or before now and
// returns how many it removed.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	n, err := s.execCount(ctx, s.q.deleteExpiredSessions, micro(now))
	return n, wrap("delete expired sessions", err)
}
