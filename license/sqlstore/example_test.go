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

func ExampleSQLiteDSN() {
	fmt.Println(sqlstore.SQLiteDSN("licgate-data/licgate.db"))
	// Output:
	// file:licgate-data/licgate.db?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_txlock=immediate
}
