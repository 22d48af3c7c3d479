// Command embed is the Embedding example of README.md, verbatim: a Go web
// app that embeds a license server on SQLite, keeps its signing key and
// secret across restarts, creates a product and a license, speaks QLM and
// Sentinel EMS, and gates its own API.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"io/fs"
	"log"
	"net/http"
	"os"

	_ "modernc.org/sqlite" // the SQLite driver, pure Go

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/ems"
	"github.com/licgate/licgate/license/qlm"
	"github.com/licgate/licgate/license/sqlstore"
	"github.com/licgate/licgate/license/status"
	"github.com/licgate/licgate/middleware"
)

func main() {
	ctx := context.Background()
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN("licenses.db"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := sqlstore.Open(ctx, db, sqlstore.SQLite)
	if err != nil {
		log.Fatal(err)
	}

	// The signing key and the secret must survive restarts (tokens and
	// codes already issued depend on them) and be shared by replicas.
	pem, err := readOrCreate("signing-key.pem", func() ([]byte, error) {
		k, err := license.GenerateSigningKey()
		if err != nil {
			return nil, err
		}
		return k.MarshalPEM()
	})
	if err != nil {
		log.Fatal(err)
	}
	key, err := license.ParseSigningKeyPEM(pem)
	if err != nil {
		log.Fatal(err)
	}
	keys, err := license.NewKeySet(key)
	if err != nil {
		log.Fatal(err)
	}
	secret, err := readOrCreate("secret", func() ([]byte, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return b, err
	})
	if err != nil {
		log.Fatal(err)
	}
	svc, err := license.NewService(store,
		license.WithKeySet(keys),
		license.WithSecret(secret),
		license.WithEmailNotifier(license.NotifierFunc(func(ctx context.Context, m license.Message) error {
			log.Printf("code for %s: send it with your mailer (license/notify has SMTP and SMS)", m.To)
			return nil
		})))
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close(ctx)

	// A product and a license for a customer; print its credentials once.
	if _, err := svc.CreateProduct(ctx, license.Product{ID: "acme-cad", Name: "Acme CAD", Major: 3}); err != nil &&
		!errors.Is(err, license.ErrConflict) {
		log.Fatal(err)
	}
	l, err := svc.CreateLicense(ctx, license.NewLicense{
		ProductID: "acme-cad",
		Customer:  license.Customer{Email: "ann@example.com", Name: "Ann"},
		Seats:     3,
		Features:  []string{"render"},
	})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("license %s: activation key %s, EMS product key %s", l.ID, l.Key, l.ProductKey)

	mux := http.NewServeMux()
	q, err := qlm.NewHandler(svc)
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("/licensing/qlmservice.asmx/", q) // any prefix
	e, err := ems.NewHandler(svc, ems.WithVendorCredentials("vendor", os.Getenv("EMS_PASSWORD")))
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("/ems/", e) // serves /ems/v{N}/ws/…
	st, err := status.NewHandler(svc)
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("GET "+status.Path, st) // for gates in other processes
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(svc.KeySet().JWKS())
	})

	// The app's own API, behind the gate, in the same process.
	gate, err := middleware.NewLocal(svc, middleware.WithAudiences("acme-cad"))
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("/api/render", gate.Require("render")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, _ := middleware.FromContext(r.Context())
		w.Write([]byte("rendering for activation " + g.AID() + "\n"))
	})))
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", mux))
}

// readOrCreate reads a file, or creates it, readable by its owner only,
// with what create makes.
func readOrCreate(path string, create func() ([]byte, error)) ([]byte, error) {
	b, err := os.ReadFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return b, err
	}
	if b, err = create(); err != nil {
		return nil, err
	}
	return b, os.WriteFile(path, b, 0o600)
}
