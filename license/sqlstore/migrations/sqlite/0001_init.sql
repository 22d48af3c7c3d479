-- licgate schema, version 1, SQLite.
-- Times are unix microseconds (UTC); NULL is the zero time ("never",
-- "not yet"). Features, properties and attributes are JSON text.

CREATE TABLE products (
	id         TEXT    NOT NULL PRIMARY KEY,
	name       TEXT    NOT NULL,
	major      INTEGER NOT NULL,
	minor      INTEGER NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE licenses (
	id          TEXT    NOT NULL PRIMARY KEY,
	license_key TEXT    NOT NULL UNIQUE,
	product_id  TEXT    NOT NULL REFERENCES products (id),
	email       TEXT    NOT NULL,
	phone       TEXT    NOT NULL,
	name        TEXT    NOT NULL,
	company     TEXT    NOT NULL,
	seats       INTEGER NOT NULL,
	expires_at  INTEGER,
	features    TEXT    NOT NULL,
	properties  TEXT    NOT NULL,
	status      TEXT    NOT NULL,
	created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX licenses_product_email ON licenses (product_id, email);
CREATE INDEX licenses_product_created ON licenses (product_id, created_at, id);
CREATE INDEX licenses_created ON licenses (created_at, id);

CREATE TABLE activations (
	aid           TEXT    NOT NULL PRIMARY KEY,
	license_id    TEXT    NOT NULL REFERENCES licenses (id),
	computer_id   TEXT    NOT NULL,
	computer_name TEXT    NOT NULL,
	computer_key  TEXT    NOT NULL,
	status        TEXT    NOT NULL,
	activated_at  INTEGER NOT NULL,
	released_at   INTEGER,
	attributes    TEXT    NOT NULL,
	comments      TEXT    NOT NULL
) STRICT;
-- At most one active activation per license and computer: a second line of
-- defence behind the write lock Activate holds.
CREATE UNIQUE INDEX activations_active_computer ON activations (license_id, computer_id) WHERE status = 'active';
CREATE UNIQUE INDEX activations_computer_key ON activations (computer_key) WHERE computer_key <> '';
CREATE INDEX activations_license ON activations (license_id, activated_at, aid);
CREATE INDEX activations_activated ON activations (activated_at, aid);

CREATE TABLE codes (
	license_id  TEXT    NOT NULL REFERENCES licenses (id),
	computer_id TEXT    NOT NULL,
	hash        BLOB    NOT NULL,
	channel     TEXT    NOT NULL,
	attempts    INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	properties  TEXT    NOT NULL,
	PRIMARY KEY (license_id, computer_id)
) STRICT;
CREATE INDEX codes_computer ON codes (computer_id, expires_at);
CREATE INDEX codes_expires ON codes (expires_at);

CREATE TABLE sessions (
	id_hash    BLOB    NOT NULL PRIMARY KEY,
	kind       TEXT    NOT NULL,
	subject    TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_expires ON sessions (expires_at);
