package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/sqlstore"
)

func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "licgate-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(filepath.Join(dir, "licgate.db")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)

	s, err := sqlstore.Open(ctx, db, sqlstore.SQLite)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	p := license.Product{ID: "app", Name: "App", Major: 2, CreatedAt: time.Now()}
	if err := s.CreateProduct(ctx, p); err != nil {
		fmt.Println(err)
		return
	}
	err = s.CreateProduct(ctx, p)
	fmt.Println("again:", errors.Is(err, license.ErrConflict))
	got, err := s.Product(ctx, "app")
	fmt.Println(got.Name, got.Version(), err)
	// Output:
	// again: true
	// App 2.0 <nil>
}

// An admin tool opens the database a server uses, and must not make a new
// one where the path is mistyped: mode=rw keeps SQLite from creating the
// file, and WithoutCreate refuses a file without the schema.
func ExampleWithoutCreate() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "licgate-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		fmt.Println(err)
		return
	}

	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(path)+"&mode=rw")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	_, err = sqlstore.Open(ctx, db, sqlstore.SQLite, sqlstore.WithoutCreate())
	fmt.Println(errors.Is(err, sqlstore.ErrNoSchema))
	// Output:
	// true
}

// WithLicense runs a function over one locked license: here, the seat
// check and the insert of an activation, as license.Service makes them.
func ExampleStore_WithLicense() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "licgate-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(filepath.Join(dir, "licgate.db")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	s, err := sqlstore.Open(ctx, db, sqlstore.SQLite)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	now := time.Now()
	id, _ := license.NewUUID()
	pk, _ := license.NewProductKey()
	key, _ := license.NewKey(license.KeyPermanent)
	_ = s.CreateProduct(ctx, license.Product{ID: "app", Name: "App", Major: 1, CreatedAt: now})
	_ = s.CreateLicense(ctx, license.License{ID: id, Key: key, ProductKey: pk, ProductID: "app",
		Seats: 1, Status: license.StatusActive, CreatedAt: now})

	take := func(computerID string) error {
		aid, _ := license.NewUUID()
		ck, _ := license.NewKey(license.ComputerPermanent)
		return s.WithLicense(ctx, id, func(tx license.LicenseTx) error {
			if l := tx.License(); l.SeatsHeld >= l.Seats {
				return license.ErrNoSeats
			}
			return tx.Insert(license.Activation{AID: aid, LicenseID: id, ComputerID: computerID,
				ComputerKey: ck, Status: license.StatusActive, ActivatedAt: now})
		})
	}
	fmt.Println(take("pc-1"))
	fmt.Println(take("pc-2"))
	l, _ := s.License(ctx, id)
	fmt.Println("seats held:", l.SeatsHeld)
	// Output:
	// <nil>
	// license: no seats left
	// seats held: 1
}

func ExampleSQLiteDSN() {
	fmt.Println(sqlstore.SQLiteDSN("licgate-data/licgate.db"))
	// Output:
	// file:licgate-data/licgate.db?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(8000)&_txlock=immediate
}
