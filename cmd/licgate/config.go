package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/sqlstore"
)

var errHelp = flag.ErrHelp

// parseFlags parses args into fs, then fills every flag not given on the
// command line from its LICGATE_ environment variable.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageErr{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = usageError("%s=%q: %v", envName(f.Name), v, e)
			}
		}
	})
	return err
}

func envName(flagName string) string {
	return "LICGATE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// storeFlags are the flags every command has: where the data lives.
type storeFlags struct {
	data string
	db   string
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.data, "data", "./licgate-data", "directory for the SQLite database, signing keys and secret")
	fs.StringVar(&s.db, "db", "", "database DSN overriding the SQLite file: postgres://… for PostgreSQL, or a SQLite file path")
}

// openStore opens the database the flags name and applies migrations. The
// caller closes the store, then the database.
func (s *storeFlags) openStore(ctx context.Context) (*sqlstore.Store, *sql.DB, error) {
	driver, dialect, dsn := "sqlite", sqlstore.SQLite, s.db
	switch {
	case strings.HasPrefix(s.db, "postgres://"), strings.HasPrefix(s.db, "postgresql://"):
		driver, dialect = "pgx", sqlstore.Postgres
	case s.db != "":
		dsn = sqlstore.SQLiteDSN(strings.TrimPrefix(s.db, "sqlite://"))
	default:
		if err := os.MkdirAll(s.data, 0o700); err != nil {
			return nil, nil, err
		}
		path := filepath.Join(s.data, "licgate.db")
		// Create the file ourselves so that it, like the keys, is 0600;
		// SQLite gives its -wal and -shm files the same permissions.
		f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
		if err != nil {
			return nil, nil, err
		}
		f.Close()
		dsn = sqlstore.SQLiteDSN(path)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, nil, err
	}
	if dialect == sqlstore.SQLite {
		// SQLite has one writer; a small pool beats a queue of blocked ones.
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(4)
	}
	st, err := sqlstore.Open(ctx, db, dialect)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("open database: %w", err)
	}
	return st, db, nil
}

// secrets are the signing key and the code-hashing secret, kept in the data
// directory with 0600 permissions and made on first run.
type secrets struct {
	keys   *license.KeySet
	secret []byte
}

func (s *storeFlags) loadSecrets() (secrets, error) {
	if err := os.MkdirAll(s.data, 0o700); err != nil {
		return secrets{}, err
	}
	pemBytes, err := readOrCreate(filepath.Join(s.data, "signing-key.pem"), func() ([]byte, error) {
		k, err := license.GenerateSigningKey()
		if err != nil {
			return nil, err
		}
		return k.MarshalPEM()
	})
	if err != nil {
		return secrets{}, err
	}
	k, err := license.ParseSigningKeyPEM(pemBytes)
	if err != nil {
		return secrets{}, fmt.Errorf("signing-key.pem: %w", err)
	}
	ks, err := license.NewKeySet(k)
	if err != nil {
		return secrets{}, err
	}
	hexSecret, err := readOrCreate(filepath.Join(s.data, "secret"), func() ([]byte, error) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		return []byte(hex.EncodeToString(b) + "\n"), nil
	})
	if err != nil {
		return secrets{}, err
	}
	secret, err := hex.DecodeString(strings.TrimSpace(string(hexSecret)))
	if err != nil || len(secret) < 32 {
		return secrets{}, errors.New("secret: not 32 or more hex-encoded bytes")
	}
	return secrets{keys: ks, secret: secret}, nil
}

// readOrCreate reads a file, or creates it with 0600 permissions from make.
// The new file is written aside and linked into place, which fails if the
// file exists, so two processes starting together agree on one content and
// neither reads a half-written file.
func readOrCreate(path string, make func() ([]byte, error)) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	data, err := make()
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(f.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return os.ReadFile(path)
		}
		return nil, err
	}
	return data, nil
}

// writeJSON prints v as one line of JSON, as admin commands do.
func writeJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}
