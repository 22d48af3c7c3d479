-- licgate schema, version 5, SQLite.
--
-- The audit trail and the webhook outbox, admin tokens, webhooks with their
-- deliveries and attempts, and the answers kept for idempotent retries.
-- JSON values (an event's change and data, an answer's headers) are text,
-- kept as written; NULL stands for none.

-- The audit trail: append-only, never changed nor deleted. IDs are version
-- 7 UUIDs. An event with data is also a webhook event, put in the outbox
-- (deliveries) of every webhook in the same transaction.
CREATE TABLE events (
	id         TEXT    NOT NULL PRIMARY KEY,
	at         INTEGER NOT NULL,
	type       TEXT    NOT NULL,
	actor      TEXT    NOT NULL,
	protocol   TEXT    NOT NULL,
	addr       TEXT    NOT NULL,
	request_id TEXT    NOT NULL,
	target     TEXT    NOT NULL,
	outcome    TEXT    NOT NULL,
	change     TEXT,
	data       TEXT
) STRICT;
CREATE INDEX events_at ON events (at, id);
CREATE INDEX events_target ON events (target, at, id);

-- Bearer tokens of the admin API, found by their public ID; only a hash of
-- the secret half is kept.
CREATE TABLE admin_tokens (
	name       TEXT    NOT NULL PRIMARY KEY,
	id         TEXT    NOT NULL UNIQUE,
	hash       BLOB    NOT NULL,
	scope      TEXT    NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE webhooks (
	id         TEXT    NOT NULL PRIMARY KEY,
	url        TEXT    NOT NULL,
	secret     TEXT    NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

-- The outbox: one row per webhook event and webhook, whose ID joins the
-- two. A dispatcher claims due pending rows, holding them until
-- claimed_until (NULL: not claimed), and moves them on after each attempt.
CREATE TABLE deliveries (
	id            TEXT    NOT NULL PRIMARY KEY,
	webhook_id    TEXT    NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	event_id      TEXT    NOT NULL REFERENCES events (id),
	state         TEXT    NOT NULL,
	attempts      INTEGER NOT NULL,
	next_at       INTEGER NOT NULL,
	claimed_until INTEGER
) STRICT;
CREATE INDEX deliveries_due ON deliveries (next_at, id) WHERE state = 'pending';
CREATE INDEX deliveries_webhook ON deliveries (webhook_id);

-- Every attempt at a delivery, as a webhook's list of deliveries shows it.
CREATE TABLE attempts (
	id          TEXT    NOT NULL PRIMARY KEY,
	delivery_id TEXT    NOT NULL,
	webhook_id  TEXT    NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	event_id    TEXT    NOT NULL,
	event_type  TEXT    NOT NULL,
	at          INTEGER NOT NULL,
	number      INTEGER NOT NULL,
	status_code INTEGER NOT NULL,
	error       TEXT    NOT NULL,
	duration_ms INTEGER NOT NULL,
	ok          INTEGER NOT NULL
) STRICT;
CREATE INDEX attempts_webhook ON attempts (webhook_id, at, id);

-- Requests with an Idempotency-Key: in progress (not done, held until
-- locked_until) or done, with the answer to give their retries.
CREATE TABLE idempotency (
	scope        TEXT    NOT NULL,
	key          TEXT    NOT NULL,
	fingerprint  TEXT    NOT NULL,
	done         INTEGER NOT NULL,
	locked_until INTEGER,
	status       INTEGER NOT NULL,
	header       TEXT,
	body         BLOB,
	created_at   INTEGER NOT NULL,
	PRIMARY KEY (scope, key)
) STRICT;
CREATE INDEX idempotency_created ON idempotency (created_at);
