package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/licgate/licgate/license"
)

var _ license.Store = (*Store)(nil)

// Store is a [license.Store] on a SQL database. It is safe for concurrent
// use, and several Stores, in one process or several, may share a database.
// The function given to [Store.WithLicense] runs inside a transaction that
// holds the license locked and must not use the store.
type Store struct {
	db      *sql.DB
	dialect Dialect
	q       queries
	stmts   map[string]*sql.Stmt // every query of q, prepared on db
	// w is the one writer of a SQLite store, through which every write of
	// the store goes; nil on PostgreSQL.
	w *writer
	// keys are the products' RSA keys, parsed once.
	keys keyCache
}

// Option configures [Open].
type Option func(*options) error

type options struct {
	create bool
}

// WithoutCreate makes [Open] refuse, with [ErrNoSchema], a database that
// holds no licgate schema, instead of creating one: for programs, such as an
// admin command line, that must work on an existing database and would
// otherwise fill a mistyped location with an empty one. A schema older than
// the program's is still brought up to date. (SQLite itself creates a
// missing database file when it first connects; to keep it from doing so,
// add "&mode=rw" to the DSN of [SQLiteDSN], and connecting to a missing file
// fails.) Default: Open creates the schema in an empty database.
func WithoutCreate() Option {
	return func(o *options) error {
		o.create = false
		return nil
	}
}

// prepare prepares every query of the store.
func (s *Store) prepare(ctx context.Context) error {
	all := s.q.all()
	s.stmts = make(map[string]*sql.Stmt, len(all))
	for _, q := range all {
		if _, ok := s.stmts[*q]; ok {
			continue
		}
		st, err := s.db.PrepareContext(ctx, *q)
		if err != nil {
			_ = s.Close()
			return err
		}
		s.stmts[*q] = st
	}
	return nil
}

// stmt returns the prepared statement of a query of s.q.
func (s *Store) stmt(q string) *sql.Stmt { return s.stmts[q] }

// Close releases the store's prepared statements. It does not close the
// database, which belongs to the caller; close the store first, once no
// call of it is running.
func (s *Store) Close() error {
	var errs []error
	for _, st := range s.stmts {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

// Open returns a store on db, which speaks dialect d, after bringing its
// schema up to date (or creating it, unless [WithoutCreate] is given). It
// does not change db's settings; see the package documentation for those
// that suit SQLite. The caller keeps db and closes it after closing the
// store. Errors: [ErrNilDB], [ErrDialect], [ErrNilOption],
// [ErrSQLiteSettings], [ErrSchemaVersion], [ErrNoSchema], and those of the
// database.
func Open(ctx context.Context, db *sql.DB, d Dialect, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, ErrNilDB
	}
	if !d.valid() {
		return nil, fmt.Errorf("%w: %d", ErrDialect, int(d))
	}
	o := options{create: true}
	for _, opt := range opts {
		if opt == nil {
			return nil, ErrNilOption
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	s := &Store{db: db, dialect: d, q: newQueries(d)}
	if d == SQLite {
		if err := checkSQLite(ctx, db); err != nil {
			return nil, err
		}
		s.w = &writer{s: s}
	}
	ms, err := loadMigrations(d)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx, ms, o.create); err != nil {
		if errors.Is(err, ErrNoSchema) {
			return nil, err
		}
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

// write runs fn, which writes through c: on SQLite in a savepoint of a
// batch of the store's writer, on PostgreSQL with each statement on the
// pool, in a transaction of its own.
func (s *Store) write(ctx context.Context, fn func(c *conn) error) error {
	if s.w != nil {
		return s.w.do(ctx, fn)
	}
	return fn(&conn{ctx: ctx, s: s})
}

// deleteCount runs a DELETE of the rows older than a time, its one
// parameter, as a write and returns how many rows it removed.
func (s *Store) deleteCount(ctx context.Context, op, query string, now time.Time) (int, error) {
	var n int
	err := s.write(ctx, func(c *conn) error {
		var err error
		n, err = c.execCount(query, micro(now))
		return wrap(op, err)
	})
	return n, err
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// wrap prefixes the errors of the database with the operation, leaving the
// sentinels of package license matchable.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

// lookup returns err, wrapped with op, or for sql.ErrNoRows the error of
// package license that names what was not found.
func lookup(op string, err error, what, id string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return license.NotFound(what, id)
	}
	return wrap(op, err)
}

// queryAll runs a prepared query and scans every row with scan; an empty
// slice if none.
func queryAll[T any](ctx context.Context, st *sql.Stmt, scan func(scanner) (T, error), args ...any) ([]T, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanRows(rows, scan)
}

// scanRows scans every row of rows with scan; an empty slice if none.
func scanRows[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	vs := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return vs, nil
}

// CreateProduct stores a new product and the events in one transaction;
// ErrConflict if its ID is taken.
func (s *Store) CreateProduct(ctx context.Context, p license.Product, events ...license.Event) error {
	key, err := encodeRSAKey(p.RSAKey)
	if err != nil {
		return wrap("create product", err)
	}
	return s.transact(ctx, func(c *conn) error {
		_, err := c.exec(s.q.insertProduct, p.ID, p.Name, p.Major, p.Minor, key, string(p.SignatureAlgorithm), micro(p.CreatedAt))
		switch {
		case err == nil:
			return s.recordAll(c, events)
		case isUniqueViolation(err):
			return fmt.Errorf("%w: product %q", license.ErrConflict, p.ID)
		}
		return wrap("create product", err)
	})
}

func (s *Store) scanProduct(sc scanner) (license.Product, error) {
	var (
		p        license.Product
		key, alg string
		created  int64
	)
	if err := sc.Scan(&p.ID, &p.Name, &p.Major, &p.Minor, &key, &alg, &created); err != nil {
		return license.Product{}, err
	}
	p.SignatureAlgorithm = license.SignatureAlgorithm(alg)
	p.CreatedAt = fromMicro(created)
	var err error
	if p.RSAKey, err = s.keys.decode(key); err != nil {
		return license.Product{}, fmt.Errorf("product %s RSA key: %w", p.ID, err)
	}
	return p, nil
}

// Product returns a product by ID; ErrNotFound if there is none.
func (s *Store) Product(ctx context.Context, id string) (license.Product, error) {
	p, err := s.scanProduct(s.stmt(s.q.product).QueryRowContext(ctx, id))
	return p, lookup("product", err, "product", id)
}

// Products returns every product, ordered by ID.
func (s *Store) Products(ctx context.Context) ([]license.Product, error) {
	ps, err := queryAll(ctx, s.stmt(s.q.products), s.scanProduct)
	return ps, wrap("products", err)
}

// UpdateProduct changes a product through fn and stores the events in one
// transaction, with the row locked (FOR UPDATE on PostgreSQL, the writer on
// SQLite); the ID and creation time are kept, and fn's error is returned as
// is.
func (s *Store) UpdateProduct(ctx context.Context, id string, fn func(*license.Product) error, events ...license.Event) (license.Product, error) {
	var p license.Product
	err := s.transact(ctx, func(c *conn) error {
		cur, err := s.scanProduct(c.queryRow(s.q.lockProduct, id))
		if err != nil {
			return lookup("update product", err, "product", id)
		}
		p = cur
		if err := fn(&p); err != nil {
			return err
		}
		p.ID, p.CreatedAt = cur.ID, cur.CreatedAt
		key, err := encodeRSAKey(p.RSAKey)
		if err != nil {
			return wrap("update product", err)
		}
		if _, err = c.exec(s.q.updateProduct, p.Name, p.Major, p.Minor, key, string(p.SignatureAlgorithm), p.ID); err != nil {
			return wrap("update product", err)
		}
		return s.recordAll(c, events)
	})
	if err != nil {
		return license.Product{}, err
	}
	return p, nil
}

// CreateLicense stores a new license, holding no seat whatever l.SeatsHeld
// says, and the events in one transaction; ErrConflict if its ID, key,
// product key or number is taken, ErrNotFound if its product does not
// exist.
func (s *Store) CreateLicense(ctx context.Context, l license.License, events ...license.Event) error {
	features, err := encodeJSON(l.Features)
	if err != nil {
		return wrap("create license", err)
	}
	props, err := encodeProperties(l.Properties)
	if err != nil {
		return wrap("create license", err)
	}
	return s.transact(ctx, func(c *conn) error {
		_, err := c.exec(s.q.insertLicense,
			l.ID, l.Key, l.ProductKey, l.Number, l.ProductID, l.Email, l.Phone, l.Name, l.Company, l.Seats,
			nullMicro(l.ExpiresAt), features, props, string(l.Status), micro(l.CreatedAt), l.Floating, l.LeaseSeconds)
		switch {
		case err == nil:
			return s.recordAll(c, events)
		case isUniqueViolation(err):
			return fmt.Errorf("%w: license ID, key, product key or number", license.ErrConflict)
		case isForeignKeyViolation(err):
			return license.NotFound("product", l.ProductID)
		}
		return wrap("create license", err)
	})
}

func scanLicense(sc scanner) (license.License, error) {
	var (
		l               license.License
		expires         sql.NullInt64
		features, props string
		status          string
		created         int64
	)
	err := sc.Scan(&l.ID, &l.Key, &l.ProductKey, &l.Number, &l.ProductID, &l.Email, &l.Phone, &l.Name, &l.Company,
		&l.Seats, &l.SeatsHeld, &expires, &features, &props, &status, &created, &l.Floating, &l.LeaseSeconds)
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
	l, err := scanLicense(s.stmt(s.q.license).QueryRowContext(ctx, id))
	return l, lookup("license", err, "license", id)
}

// LicenseByKey returns the license with the canonical key; ErrNotFound if
// there is none. The error does not echo the key, a credential.
func (s *Store) LicenseByKey(ctx context.Context, key string) (license.License, error) {
	l, err := scanLicense(s.stmt(s.q.licenseByKey).QueryRowContext(ctx, key))
	return l, lookup("license by key", err, "activation key", "")
}

// LicenseByProductKey returns the license with the canonical product key;
// ErrNotFound if there is none. The error does not echo the product key, a
// credential.
func (s *Store) LicenseByProductKey(ctx context.Context, productKey string) (license.License, error) {
	l, err := scanLicense(s.stmt(s.q.licenseByProductKey).QueryRowContext(ctx, productKey))
	return l, lookup("license by product key", err, "product key", "")
}

// LicenseByNumber returns the license with the number; ErrNotFound if
// there is none.
func (s *Store) LicenseByNumber(ctx context.Context, n int64) (license.License, error) {
	l, err := scanLicense(s.stmt(s.q.licenseByNumber).QueryRowContext(ctx, n))
	return l, lookup("license by number", err, "license number", strconv.FormatInt(n, 10))
}

// LicensesByEmail returns the licenses of a product whose customer has the
// email address, oldest first. Addresses are compared exactly; the
// [license.Service] stores them lower-cased.
func (s *Store) LicensesByEmail(ctx context.Context, email, productID string) ([]license.License, error) {
	ls, err := queryAll(ctx, s.stmt(s.q.licensesByEmail), scanLicense, productID, email)
	return ls, wrap("licenses by email", err)
}

// Licenses returns the licenses of a product, or every license if productID
// is empty, oldest first.
func (s *Store) Licenses(ctx context.Context, productID string) ([]license.License, error) {
	var ls []license.License
	var err error
	if productID == "" {
		ls, err = queryAll(ctx, s.stmt(s.q.allLicenses), scanLicense)
	} else {
		ls, err = queryAll(ctx, s.stmt(s.q.licensesOfProduct), scanLicense, productID)
	}
	return ls, wrap("licenses", err)
}

// FindLicenses returns the licenses that match q, ordered by creation time
// then ID, at most q.Limit of them after q.After; an empty slice if none.
func (s *Store) FindLicenses(ctx context.Context, q license.LicenseQuery) ([]license.License, error) {
	at, id := after(q.After)
	status, limit := string(q.Status), pageLimit(q.Page)
	var ls []license.License
	var err error
	if q.ProductID == "" {
		ls, err = queryAll(ctx, s.stmt(s.q.findLicenses), scanLicense,
			q.Email, q.Email, status, status, at, id, limit)
	} else {
		ls, err = queryAll(ctx, s.stmt(s.q.findLicensesOfProduct), scanLicense,
			q.ProductID, q.Email, q.Email, status, status, at, id, limit)
	}
	return ls, wrap("find licenses", err)
}

func scanActivation(sc scanner) (license.Activation, error) {
	var (
		a         license.Activation
		status    string
		activated int64
		released  sql.NullInt64
		attrs     string
		until     sql.NullInt64
	)
	err := sc.Scan(&a.AID, &a.LicenseID, &a.ComputerID, &a.ComputerName, &a.ComputerKey,
		&status, &activated, &released, &attrs, &a.Comments, &until)
	if err != nil {
		return license.Activation{}, err
	}
	a.Status = license.Status(status)
	a.ActivatedAt = fromMicro(activated)
	a.ReleasedAt = fromNullMicro(released)
	a.LeaseUntil = fromNullMicro(until)
	if a.Attributes, err = decodeAttributes(attrs); err != nil {
		return license.Activation{}, fmt.Errorf("activation %s attributes: %w", a.AID, err)
	}
	return a, nil
}

// Activation returns an activation by AID; ErrNotFound if there is none.
func (s *Store) Activation(ctx context.Context, aid string) (license.Activation, error) {
	a, err := scanActivation(s.stmt(s.q.activation).QueryRowContext(ctx, aid))
	return a, lookup("activation", err, "activation", aid)
}

// ActivationByComputer returns the active activation of a license on a
// computer; ErrNotFound if there is none.
func (s *Store) ActivationByComputer(ctx context.Context, licenseID, computerID string) (license.Activation, error) {
	a, err := scanActivation(s.stmt(s.q.activeOn).QueryRowContext(ctx, licenseID, computerID))
	return a, lookup("activation by computer", err, "active activation of computer", computerID)
}

// ActivationByComputerKey returns the activation with the canonical computer
// key, whatever its status; ErrNotFound if there is none. The error does
// not echo the computer key, a credential.
func (s *Store) ActivationByComputerKey(ctx context.Context, computerKey string) (license.Activation, error) {
	a, err := scanActivation(s.stmt(s.q.activationByComputerKey).QueryRowContext(ctx, computerKey))
	return a, lookup("activation by computer key", err, "computer key", "")
}

// Activations returns the activations of a license, or every activation if
// licenseID is empty, oldest first.
func (s *Store) Activations(ctx context.Context, licenseID string) ([]license.Activation, error) {
	var as []license.Activation
	var err error
	if licenseID == "" {
		as, err = queryAll(ctx, s.stmt(s.q.allActivations), scanActivation)
	} else {
		as, err = queryAll(ctx, s.stmt(s.q.activationsOfLicense), scanActivation, licenseID)
	}
	return as, wrap("activations", err)
}

// LicensesWithExpiredLeases returns the IDs of up to limit licenses that
// hold an active lease whose LeaseUntil is not after now; an empty slice
// if none. It reads the partial index of live leases by their end, which
// holds only active leases.
func (s *Store) LicensesWithExpiredLeases(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return []string{}, nil
	}
	ids, err := queryAll(ctx, s.stmt(s.q.licensesWithExpiredLeases), scanString, micro(now), limit)
	return ids, wrap("licenses with expired leases", err)
}

func scanString(sc scanner) (string, error) {
	var v string
	err := sc.Scan(&v)
	return v, err
}
