package sqlstore

import "errors"

// Errors returned by [Open].
var (
	// ErrNilDB means Open was given a nil *sql.DB.
	ErrNilDB = errors.New("sqlstore: nil database")

	// ErrDialect means Open was given a dialect other than [SQLite] and
	// [Postgres].
	ErrDialect = errors.New("sqlstore: unknown dialect")

	// ErrSQLiteSettings means a SQLite connection lacks a busy timeout or
	// enforced foreign keys: the database was not opened with [SQLiteDSN]
	// or a DSN with its settings.
	ErrSQLiteSettings = errors.New("sqlstore: SQLite connection lacks the settings of SQLiteDSN")

	// ErrNilOption means Open was given a nil [Option].
	ErrNilOption = errors.New("sqlstore: nil option")

	// ErrNoSchema means the database holds no licgate schema and Open was
	// told not to create one ([WithoutCreate]): it is not a licgate
	// database, or not the one meant.
	ErrNoSchema = errors.New("sqlstore: the database holds no licgate schema")

	// ErrSchemaVersion means the database was migrated by a newer licgate
	// than this one, so this one cannot safely use it.
	ErrSchemaVersion = errors.New("sqlstore: database schema is newer than this program")
)
