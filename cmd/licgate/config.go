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
	"sync"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/sqlstore"
)

var errHelp = flag.ErrHelp

// parseFlags parses args into fs, then fills every flag not given on the
// command line from its LICGATE_ environment variable.
func parseFlags(fs *flag.FlagSet, args []string) error {
	_, err := parseFlagsSet(fs, args)
	return err
}

// parseFlagsSet is parseFlags that also returns the names of the flags
// given on the command line, not by the environment.
func parseFlagsSet(fs *flag.FlagSet, args []string) (map[string]bool, error) {
	_, set, err := parseFlagsArgs(fs, args, 0)
	return set, err
}

// parseFlagsArgs is parseFlagsSet for a command that takes up to max
// arguments besides its flags, before them, after them or between them:
// it returns them too.
func parseFlagsArgs(fs *flag.FlagSet, args []string, max int) ([]string, map[string]bool, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, nil, errHelp
			}
			return nil, nil, usageErr{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		if len(pos) == max {
			return nil, nil, usageError("unexpected argument %q", fs.Arg(0))
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	set, err := fillFromEnv(fs)
	return pos, set, err
}

// fillFromEnv fills every flag of the parsed fs not given on the command
// line from its LICGATE_ environment variable, and returns the names of
// those given on the command line.
func fillFromEnv(fs *flag.FlagSet) (map[string]bool, error) {
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
	return set, err
}

func envName(flagName string) string {
	return "LICGATE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// storeFlags are the flags every command has: where the data lives. The
// pool sizes are flags of serve only.
type storeFlags struct {
	data    string
	db      string
	maxOpen int // PostgreSQL connections at most; 0 for the default of admin commands
	maxIdle int // PostgreSQL connections kept idle; 0 for as many as maxOpen
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.data, "data", "./licgate-data", "directory for the SQLite database, signing keys and secret")
	fs.StringVar(&s.db, "db", "", "database DSN overriding the SQLite file: postgres://… for PostgreSQL, or a SQLite file path")
}

// registerPool adds the PostgreSQL pool flags, which only serve has.
func (s *storeFlags) registerPool(fs *flag.FlagSet) {
	fs.IntVar(&s.maxOpen, "db-max-open", 32, "PostgreSQL: connections open at most; all of them are opened at start")
	fs.IntVar(&s.maxIdle, "db-max-idle", 0, "PostgreSQL: connections kept open while idle, never closed for idleness (0: as many as -db-max-open)")
}

// checkPool validates the pool flags.
func (s *storeFlags) checkPool() error {
	switch {
	case s.maxOpen < 1:
		return usageError("-db-max-open must be at least 1, not %d", s.maxOpen)
	case s.maxIdle < 0 || s.maxIdle > s.maxOpen:
		return usageError("-db-max-idle must be between 0 and -db-max-open (%d), not %d", s.maxOpen, s.maxIdle)
	}
	return nil
}

func (s *storeFlags) postgres() bool {
	return strings.HasPrefix(s.db, "postgres://") || strings.HasPrefix(s.db, "postgresql://")
}

// sqlitePath is the SQLite database file the flags name.
func (s *storeFlags) sqlitePath() string {
	if s.db != "" {
		return strings.TrimPrefix(s.db, "sqlite://")
	}
	return filepath.Join(s.data, "licgate.db")
}

// errNoDatabase is returned by admin commands for a database that holds no
// licgate data, which they never create.
type errNoDatabase struct{ where, why, create string }

func (e errNoDatabase) Error() string {
	return fmt.Sprintf("no licgate database %s: %s. Create one by running %q once, or point -data or -db at the right place", e.where, e.why, e.create)
}

// noDatabase describes the missing database of the flags.
func (s *storeFlags) noDatabase(why string) error {
	switch {
	case s.postgres():
		return errNoDatabase{"in the PostgreSQL database of -db", why, "licgate serve -db DSN"}
	case s.db != "":
		return errNoDatabase{fmt.Sprintf("at %s", s.sqlitePath()), why, "licgate serve -db " + s.sqlitePath()}
	}
	return errNoDatabase{fmt.Sprintf("in %s", s.data), why, "licgate serve -data " + s.data}
}

// openStore opens the database the flags name. With create (serve) it
// makes the SQLite file, and its directory, if they are missing, and
// brings the schema up to date; without (admin commands) it refuses a
// database that holds no licgate schema, creating nothing. On PostgreSQL
// with create, the pool is sized by the pool flags and warmed. The caller
// closes the store, then the database.
func (s *storeFlags) openStore(ctx context.Context, create bool) (*sqlstore.Store, *sql.DB, error) {
	driver, dialect, dsn := "pgx", sqlstore.Postgres, s.db
	if !s.postgres() {
		driver, dialect = "sqlite", sqlstore.SQLite
		path := s.sqlitePath()
		if create {
			if err := createPrivate(path); err != nil {
				return nil, nil, err
			}
			dsn = sqlstore.SQLiteDSN(path)
		} else {
			fi, err := os.Stat(path)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return nil, nil, s.noDatabase(path + " does not exist")
			case err != nil:
				return nil, nil, err
			case !fi.Mode().IsRegular():
				return nil, nil, s.noDatabase(path + " is not a file")
			}
			// mode=rw: SQLite opens the file, but never creates it. The
			// database serve made is in WAL mode for good; asking for it
			// again would write to a file that is not a licgate database.
			dsn = strings.Replace(sqlstore.SQLiteDSN(path), "&_pragma=journal_mode(WAL)", "", 1) + "&mode=rw"
		}
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, nil, err
	}
	maxOpen, maxIdle := s.maxOpen, s.maxIdle
	switch {
	case dialect == sqlstore.SQLite:
		// SQLite has one writer; a small pool beats a queue of blocked ones.
		maxOpen, maxIdle = 4, 4
	case maxOpen == 0:
		maxOpen, maxIdle = 4, 4 // an admin command
	case maxIdle == 0:
		maxIdle = maxOpen
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxIdle)
	// Idle connections stay open: a request under load never waits for a
	// new database session.
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	var opts []sqlstore.Option
	if !create {
		opts = append(opts, sqlstore.WithoutCreate())
	}
	st, err := sqlstore.Open(ctx, db, dialect, opts...)
	if errors.Is(err, sqlstore.ErrNoSchema) {
		db.Close()
		return nil, nil, s.noDatabase("it has no licgate schema")
	}
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("open database: %w", err)
	}
	if create && dialect == sqlstore.Postgres {
		if err := warm(ctx, db, maxIdle); err != nil {
			st.Close()
			db.Close()
			return nil, nil, fmt.Errorf("open database connections: %w", err)
		}
	}
	return st, db, nil
}

// createPrivate makes the file at path, and its directory, if they are
// missing: the directory 0700, the file 0600. SQLite gives the -wal and
// -shm files it makes beside a database the permissions of the database
// file, so they are 0600 too. An existing file or directory is left as it
// is.
func createPrivate(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// warm opens n connections of db at once and returns them to its idle
// pool, so that the first requests find a database session ready.
func warm(ctx context.Context, db *sql.DB, n int) error {
	conns := make([]*sql.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := db.Conn(ctx)
			if err == nil {
				err = c.PingContext(ctx)
			}
			conns[i], errs[i] = c, err
		})
	}
	wg.Wait()
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	return errors.Join(errs...)
}

// secrets are the signing key and the code-hashing secret, kept in the data
// directory with 0600 permissions and made on first run.
type secrets struct {
	keys   *license.KeySet
	secret []byte
}

const (
	signingKeyFile = "signing-key.pem"
	secretFile     = "secret"
)

// loadSecrets reads the signing key and the secret of the data directory.
// With create (serve) it makes the directory and whichever of them is
// missing. Without (admin commands, which sign nothing and hash no code)
// it writes nothing: what is missing is made in memory for this run only.
func (s *storeFlags) loadSecrets(create bool) (secrets, error) {
	get := readOrCreate
	if create {
		if err := os.MkdirAll(s.data, 0o700); err != nil {
			return secrets{}, err
		}
	} else {
		get = readOrMake
	}
	pemBytes, err := get(filepath.Join(s.data, signingKeyFile), func() ([]byte, error) {
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
		return secrets{}, fmt.Errorf("%s: %w", signingKeyFile, err)
	}
	ks, err := license.NewKeySet(k)
	if err != nil {
		return secrets{}, err
	}
	hexSecret, err := get(filepath.Join(s.data, secretFile), func() ([]byte, error) {
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
		return secrets{}, fmt.Errorf("%s: not 32 or more hex-encoded bytes", filepath.Join(s.data, secretFile))
	}
	return secrets{keys: ks, secret: secret}, nil
}

// readOrMake reads a file, or if it does not exist returns what make
// makes, writing nothing.
func readOrMake(path string, make func() ([]byte, error)) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return make()
	}
	return b, err
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
