package sqlstore

import (
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/licgate/licgate/license"
)

// Times are stored as unix microseconds: micro and fromMicro convert
// non-null columns, nullMicro and fromNullMicro the nullable ones, where
// NULL stands for the zero time.

func micro(t time.Time) int64 { return t.UnixMicro() }

func fromMicro(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nullMicro(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromNullMicro(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMicro(n.Int64)
}

// ptrMicro and fromPtrMicro are the JSON form of nullable times.
func ptrMicro(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	us := t.UnixMicro()
	return &us
}

func fromPtrMicro(p *int64) time.Time {
	if p == nil {
		return time.Time{}
	}
	return fromMicro(*p)
}

// propertyJSON is how a property, or a property change, is stored. It is
// separate from license.Property so that the stored form does not follow the
// API's JSON by accident.
type propertyJSON struct {
	Category  string `json:"category"`
	Name      string `json:"name"`
	Value     string `json:"value"`
	Type      string `json:"type,omitempty"`
	ExpiresAt *int64 `json:"expiresAt,omitempty"`
	UpdatedAt *int64 `json:"updatedAt,omitempty"`
	Relative  bool   `json:"relative,omitempty"`
}

func toPropertyJSON(p license.Property) propertyJSON {
	return propertyJSON{
		Category: p.Category, Name: p.Name, Value: p.Value, Type: string(p.Type),
		ExpiresAt: ptrMicro(p.ExpiresAt), UpdatedAt: ptrMicro(p.UpdatedAt),
	}
}

func (p propertyJSON) property() license.Property {
	return license.Property{
		Category: p.Category, Name: p.Name, Value: p.Value, Type: license.PropertyType(p.Type),
		ExpiresAt: fromPtrMicro(p.ExpiresAt), UpdatedAt: fromPtrMicro(p.UpdatedAt),
	}
}

// attributeJSON is how an EMS attribute is stored.
type attributeJSON struct {
	Name              string `json:"name"`
	Value             string `json:"value"`
	Group             string `json:"group,omitempty"`
	ISVPermission     string `json:"isvPermission,omitempty"`
	EndUserPermission string `json:"endUserPermission,omitempty"`
}

// encodeJSON returns v as JSON text; nil slices become "[]".
func encodeJSON[T any](v []T) (string, error) {
	if len(v) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// decodeJSON parses a JSON array; an empty one yields nil.
func decodeJSON[T any](s string) ([]T, error) {
	var v []T
	if s == "" || s == "[]" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

func encodeProperties(ps []license.Property) (string, error) {
	js := make([]propertyJSON, len(ps))
	for i, p := range ps {
		js[i] = toPropertyJSON(p)
	}
	return encodeJSON(js)
}

func decodeProperties(s string) ([]license.Property, error) {
	js, err := decodeJSON[propertyJSON](s)
	if err != nil || js == nil {
		return nil, err
	}
	ps := make([]license.Property, len(js))
	for i, j := range js {
		ps[i] = j.property()
	}
	return ps, nil
}

func encodeChanges(cs []license.PropertyChange) (string, error) {
	js := make([]propertyJSON, len(cs))
	for i, c := range cs {
		js[i] = toPropertyJSON(c.Property)
		js[i].Relative = c.Relative
	}
	return encodeJSON(js)
}

func decodeChanges(s string) ([]license.PropertyChange, error) {
	js, err := decodeJSON[propertyJSON](s)
	if err != nil || js == nil {
		return nil, err
	}
	cs := make([]license.PropertyChange, len(js))
	for i, j := range js {
		cs[i] = license.PropertyChange{Property: j.property(), Relative: j.Relative}
	}
	return cs, nil
}

func encodeAttributes(as []license.Attribute) (string, error) {
	js := make([]attributeJSON, len(as))
	for i, a := range as {
		js[i] = attributeJSON(a)
	}
	return encodeJSON(js)
}

func decodeAttributes(s string) ([]license.Attribute, error) {
	js, err := decodeJSON[attributeJSON](s)
	if err != nil || js == nil {
		return nil, err
	}
	as := make([]license.Attribute, len(js))
	for i, j := range js {
		as[i] = license.Attribute(j)
	}
	return as, nil
}

// Constraint violations, recognized without importing a driver: pgx's
// *pgconn.PgError has SQLState, modernc.org/sqlite's *sqlite.Error has
// Code (an extended result code); other drivers are matched by message.
const (
	pgUniqueViolation      = "23505"
	pgForeignKeyViolation  = "23503"
	sqliteBusy             = 5    // SQLITE_BUSY
	sqliteConstraintFK     = 787  // SQLITE_CONSTRAINT_FOREIGNKEY
	sqliteConstraintPK     = 1555 // SQLITE_CONSTRAINT_PRIMARYKEY
	sqliteConstraintUnique = 2067 // SQLITE_CONSTRAINT_UNIQUE
)

// isUniqueViolation reports whether err is a unique or primary key
// violation.
func isUniqueViolation(err error) bool {
	if state, ok := sqlState(err); ok {
		return state == pgUniqueViolation
	}
	if code, ok := sqliteCode(err); ok {
		return code == sqliteConstraintUnique || code == sqliteConstraintPK
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "duplicate key value violates unique constraint")
}

// isForeignKeyViolation reports whether err is a foreign key violation.
func isForeignKeyViolation(err error) bool {
	if state, ok := sqlState(err); ok {
		return state == pgForeignKeyViolation
	}
	if code, ok := sqliteCode(err); ok {
		return code == sqliteConstraintFK
	}
	msg := err.Error()
	return strings.Contains(msg, "FOREIGN KEY constraint failed") || strings.Contains(msg, "violates foreign key constraint")
}

// isBusy reports whether err is SQLite's SQLITE_BUSY, extended or not.
func isBusy(err error) bool {
	if code, ok := sqliteCode(err); ok {
		return code&0xff == sqliteBusy
	}
	return strings.Contains(err.Error(), "SQLITE_BUSY")
}

func sqlState(err error) (string, bool) {
	var e interface{ SQLState() string }
	if errors.As(err, &e) {
		return e.SQLState(), true
	}
	return "", false
}

func sqliteCode(err error) (int, bool) {
	var e interface{ Code() int }
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}

// sqliteConstraint is SQLITE_CONSTRAINT, the primary result code of every
// constraint violation.
const sqliteConstraint = 19

// isConstraint reports whether err is a constraint violation of any kind,
// which undoes only the statement that caused it.
func isConstraint(err error) bool {
	if state, ok := sqlState(err); ok {
		return strings.HasPrefix(state, "23")
	}
	if code, ok := sqliteCode(err); ok {
		return code&0xff == sqliteConstraint
	}
	return strings.Contains(err.Error(), "constraint")
}

// encodeRSAKey returns a product's RSA key as PKCS #8 PEM, or "" for none.
func encodeRSAKey(k *rsa.PrivateKey) (string, error) {
	if k == nil {
		return "", nil
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// maxCachedKeys bounds the parsed keys a store keeps; past it, keys are
// parsed on every read.
const maxCachedKeys = 4096

// keyCache keeps the RSA keys of products parsed, by their PEM text:
// parsing and checking a 2048-bit key costs far more than reading the row,
// and activations read their product every time. Keys are shared and must
// not be modified.
type keyCache struct {
	m sync.Map // PEM text → *rsa.PrivateKey
	n atomic.Int64
}

// decode returns the key of PEM text s, nil for "".
func (c *keyCache) decode(s string) (*rsa.PrivateKey, error) {
	if s == "" {
		return nil, nil
	}
	if k, ok := c.m.Load(s); ok {
		return k.(*rsa.PrivateKey), nil
	}
	b, _ := pem.Decode([]byte(s))
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PKCS #8 PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not an RSA key", k)
	}
	if c.n.Load() < maxCachedKeys {
		if _, loaded := c.m.LoadOrStore(s, rk); !loaded {
			c.n.Add(1)
		}
	}
	return rk, nil
}

// nullJSON and fromNullJSON convert JSON values that may be absent: NULL
// stands for nil.
func nullJSON(m json.RawMessage) sql.NullString {
	if m == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: string(m), Valid: true}
}

func fromNullJSON(n sql.NullString) json.RawMessage {
	if !n.Valid {
		return nil
	}
	return json.RawMessage(n.String)
}
