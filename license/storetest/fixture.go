package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// t0 is the time the fixtures are made at: UTC and a whole microsecond, so
// that what a store gives back compares equal to what it was given.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 123456000, time.UTC)

// newID returns a fresh UUID.
func newID(tb testing.TB) string {
	tb.Helper()
	id, err := license.NewUUID()
	if err != nil {
		tb.Fatalf("NewUUID: %v", err)
	}
	return id
}

// newKey returns a fresh key of the given type.
func newKey(tb testing.TB, typ byte) string {
	tb.Helper()
	k, err := license.NewKey(typ)
	if err != nil {
		tb.Fatalf("NewKey: %v", err)
	}
	return k
}

// newProduct returns a valid product whose ID starts with prefix and is
// unique, so that stores sharing one database do not collide.
func newProduct(tb testing.TB, prefix string) license.Product {
	tb.Helper()
	return license.Product{ID: prefix + "-" + newID(tb)[:8], Name: "Product " + prefix, Major: 2, Minor: 1, CreatedAt: t0}
}

// newLicense returns a valid license of product with seats seats, created at
// t0, holding no seat.
func newLicense(tb testing.TB, productID string, seats int) license.License {
	tb.Helper()
	return license.License{
		ID:         newID(tb),
		Key:        newKey(tb, license.KeyPermanent),
		ProductKey: newID(tb),
		Number:     newNumber(tb),
		ProductID:  productID,
		Customer:   license.Customer{Email: "ada@example.com", Name: "Ada Lovelace"},
		Seats:      seats,
		Status:     license.StatusActive,
		CreatedAt:  t0,
	}
}

// newNumber returns a random license number.
func newNumber(tb testing.TB) int64 {
	tb.Helper()
	n, err := rand.Int(rand.Reader, big.NewInt(license.MaxLicenseNumber))
	if err != nil {
		tb.Fatal(err)
	}
	return n.Int64() + 1
}

// rsaKey is one RSA key for the products of the suite: making one takes a
// tenth of a second.
var rsaKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, license.MinRSABits) })

// newRSAKey returns the suite's RSA key.
func newRSAKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	k, err := rsaKey()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// newActivation returns a valid, active activation of a license on a
// computer, activated at t0.
func newActivation(tb testing.TB, licenseID, computerID string) license.Activation {
	tb.Helper()
	return license.Activation{
		AID:         newID(tb),
		LicenseID:   licenseID,
		ComputerID:  computerID,
		ComputerKey: newKey(tb, license.ComputerPermanent),
		Status:      license.StatusActive,
		ActivatedAt: t0,
	}
}

// newCode returns a code of a license and computer that expires 10 minutes
// after t0.
func newCode(licenseID, computerID string, hash byte) license.AuthorizationCode {
	return license.AuthorizationCode{
		LicenseID:  licenseID,
		ComputerID: computerID,
		Hash:       []byte{hash, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31},
		Channel:    license.ChannelEmail,
		ExpiresAt:  t0.Add(10 * time.Minute),
		CreatedAt:  t0,
	}
}

// mustProduct stores a new product.
func mustProduct(tb testing.TB, s license.Store, prefix string) license.Product {
	tb.Helper()
	p := newProduct(tb, prefix)
	if err := s.CreateProduct(context.Background(), p); err != nil {
		tb.Fatalf("CreateProduct(%s): %v", p.ID, err)
	}
	return p
}

// mustLicense stores a new license of a new product, after letting edit
// change it.
func mustLicense(tb testing.TB, s license.Store, seats int, edit ...func(*license.License)) license.License {
	tb.Helper()
	p := mustProduct(tb, s, "lic")
	l := newLicense(tb, p.ID, seats)
	for _, e := range edit {
		e(&l)
	}
	if err := s.CreateLicense(context.Background(), l); err != nil {
		tb.Fatalf("CreateLicense: %v", err)
	}
	return l
}

// mustInsert inserts an activation through WithLicense and returns it.
func mustInsert(tb testing.TB, s license.Store, a license.Activation) license.Activation {
	tb.Helper()
	err := s.WithLicense(context.Background(), a.LicenseID, func(tx license.LicenseTx) error { return tx.Insert(a) })
	if err != nil {
		tb.Fatalf("Insert(%s on %s): %v", a.ComputerID, a.LicenseID, err)
	}
	return a
}

// mustActivate inserts a new active activation of a license on a computer,
// activated at t0, whatever the seats.
func mustActivate(tb testing.TB, s license.Store, licenseID, computerID string) license.Activation {
	tb.Helper()
	return mustInsert(tb, s, newActivation(tb, licenseID, computerID))
}

// mustEnd moves an active activation to released or revoked at a time, and
// returns it as End did.
func mustEnd(tb testing.TB, s license.Store, a license.Activation, status license.Status, at time.Time) license.Activation {
	tb.Helper()
	var got license.Activation
	err := s.WithLicense(context.Background(), a.LicenseID, func(tx license.LicenseTx) error {
		var err error
		got, err = tx.End(a.AID, status, at)
		return err
	})
	if err != nil {
		tb.Fatalf("End(%s, %s): %v", a.AID, status, err)
	}
	return got
}

// activate does on the primitives of s what [license.Service] does to
// activate a computer: inside one WithLicense, it returns the activation the
// computer already holds, or refuses a computer the vendor revoked from the
// license, or refuses when every seat is held, or inserts a. With
// consumeCode, it also consumes the code of the license and computer.
func activate(ctx context.Context, s license.Store, a license.Activation, consumeCode bool) (got license.Activation, existing bool, err error) {
	err = s.WithLicense(ctx, a.LicenseID, func(tx license.LicenseTx) error {
		cur, ok, err := tx.ActiveOn(a.ComputerID)
		switch {
		case err != nil:
			return err
		case ok:
			got, existing = cur, true
		default:
			revoked, err := tx.RevokedOn(a.ComputerID)
			if err != nil {
				return err
			}
			if revoked {
				return license.ErrActivationRevoked
			}
			if l := tx.License(); l.SeatsHeld >= l.Seats {
				return license.ErrNoSeats
			}
			if err := tx.Insert(a); err != nil {
				return err
			}
			got, existing = a, false
		}
		if consumeCode {
			return tx.ConsumeCode(a.ComputerID)
		}
		return nil
	})
	if err != nil {
		return license.Activation{}, false, err
	}
	return got, existing, nil
}

// checkSeatsHeld fails unless the license's SeatsHeld, as s reads it, is
// want and equals the number of its active activations.
func checkSeatsHeld(tb testing.TB, s license.Store, licenseID string, want int) {
	tb.Helper()
	ctx := context.Background()
	l, err := s.License(ctx, licenseID)
	if err != nil {
		tb.Fatalf("License: %v", err)
	}
	as, err := s.Activations(ctx, licenseID)
	if err != nil {
		tb.Fatalf("Activations: %v", err)
	}
	if active := countActive(as); l.SeatsHeld != want || active != want {
		tb.Errorf("SeatsHeld, active activations: got %d, %d, want %d, %d", l.SeatsHeld, active, want, want)
	}
}

// mustPutCode stores a code.
func mustPutCode(tb testing.TB, s license.Store, c license.AuthorizationCode) {
	tb.Helper()
	if err := s.PutCode(context.Background(), c); err != nil {
		tb.Fatalf("PutCode: %v", err)
	}
}

// wantErr fails unless errors.Is(err, want), or err is nil when want is.
func wantErr(tb testing.TB, what string, err, want error) {
	tb.Helper()
	if want == nil {
		if err != nil {
			tb.Errorf("%s: got error %v, want nil", what, err)
		}
		return
	}
	if !errors.Is(err, want) {
		tb.Errorf("%s: got error %v, want %v", what, err, want)
	}
}

// mustNil stops the test if err is not nil.
func mustNil(tb testing.TB, what string, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%s: got error %v, want nil", what, err)
	}
}

// equal fails unless got and want are deeply equal once empty slices are
// taken as nil and JSON (json.RawMessage) as the value it encodes.
func equal[T any](tb testing.TB, what string, got, want T) {
	tb.Helper()
	if !reflect.DeepEqual(normalize(got), normalize(want)) || !sameKeys(got, want) {
		tb.Errorf("%s:\ngot  %+v\nwant %+v", what, got, want)
	}
}

// sameKeys reports whether the RSA keys of two products, or of two lists
// of them, are equal; other values have none.
func sameKeys(got, want any) bool {
	switch g := got.(type) {
	case license.Product:
		w := want.(license.Product)
		return (g.RSAKey == nil) == (w.RSAKey == nil) && (g.RSAKey == nil || g.RSAKey.Equal(w.RSAKey))
	case []license.Product:
		w := want.([]license.Product)
		for i := range min(len(g), len(w)) {
			if !sameKeys(g[i], w[i]) {
				return false
			}
		}
	}
	return true
}

// normalize returns v with empty slices set to nil and JSON re-encoded
// canonically, recursively through structs and slices. Times are left alone: a store must return them in UTC,
// which DeepEqual checks through their location.
func normalize[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	normalizeValue(rv)
	return v
}

func normalizeValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		// Keys are compared by sameKeys, with their Equal method.
		if v.Type() == reflect.TypeFor[*rsa.PrivateKey]() && v.CanSet() {
			v.SetZero()
		}
	case reflect.Slice:
		// JSON compares as a value: a database may store it reformatted.
		if v.Type() == reflect.TypeFor[json.RawMessage]() && v.Len() > 0 && v.CanSet() {
			v.SetBytes(canonicalJSON(v.Bytes()))
			return
		}
		if v.Len() == 0 {
			if !v.IsNil() && v.CanSet() {
				v.Set(reflect.Zero(v.Type()))
			}
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		// Copy before normalizing in place, so that the caller's slices are
		// not touched.
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		for i := range c.Len() {
			normalizeValue(c.Index(i))
		}
		if v.CanSet() {
			v.Set(c)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				normalizeValue(f)
			}
		}
	}
}

// canonicalJSON returns b re-encoded with sorted keys and no spaces, or a
// copy of b as it is if it is not JSON.
func canonicalJSON(b []byte) []byte {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil || d.More() {
		return bytes.Clone(b)
	}
	c, err := json.Marshal(v)
	if err != nil {
		return bytes.Clone(b)
	}
	return c
}

// countActive returns how many of as are active.
func countActive(as []license.Activation) int {
	n := 0
	for _, a := range as {
		if a.Status == license.StatusActive {
			n++
		}
	}
	return n
}

// computer returns the computer ID of the i-th computer in a race.
func computer(i int) string { return fmt.Sprintf("computer-%02d", i) }
