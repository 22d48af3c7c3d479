-- licgate schema, version 5, PostgreSQL.
--
-- The audit trail and the webhook outbox, admin tokens, webhooks with their
-- deliveries and attempts, and the answers kept for idempotent retries.
-- JSON values (an event's change and data, an answer's headers) are text,
-- kept as written; NULL stands for none.

-- The audit trail: append-only, never changed nor deleted. IDs are version
-- 7 UUIDs. An event with data is also a webhook event, put in the outbox
-- (deliveries) of every webhook in the same transaction.
CREATE TABLE events (
	id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	at         BIGINT NOT NULL,
	type       TEXT   NOT NULL,
	actor      TEXT   NOT NULL,
	protocol   TEXT   NOT NULL,
	addr       TEXT   NOT NULL,
	request_id TEXT   NOT NULL,
	target     TEXT COLLATE "C" NOT NULL,
	outcome    TEXT   NOT NULL,
	change     TEXT,
	data       TEXT
);
CREATE INDEX events_at ON events (at, id);
CREATE INDEX events_target ON events (target, at, id);

-- Bearer tokens of the admin API, found by their public ID; only a hash of
-- the secret half is kept.
CREATE TABLE admin_tokens (
	name       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	id         TEXT COLLATE "C" NOT NULL UNIQUE,
	hash       BYTEA  NOT NULL,
	scope      TEXT   NOT NULL,
	created_at BIGINT NOT NULL
);

CREATE TABLE webhooks (
	id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	url        TEXT   NOT NULL,
	secret     TEXT   NOT NULL,
	created_at BIGINT NOT NULL
);

-- The outbox: one row per webhook event and webhook, whose ID joins the
-- two. A dispatcher claims due pending rows, holding them until
-- claimed_until (NULL: not claimed), and moves them on after each attempt.
CREATE TABLE deliveries (
	id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	webhook_id    TEXT COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	event_id      TEXT COLLATE "C" NOT NULL REFERENCES events (id),
	state         TEXT    NOT NULL,
	attempts      INTEGER NOT NULL,
	next_at       BIGINT  NOT NULL,
	claimed_until BIGINT
);
CREATE INDEX deliveries_due ON deliveries (next_at, id) WHERE state = 'pending';
CREATE INDEX deliveries_webhook ON deliveries (webhook_id);

-- Every attempt at a delivery, as a webhook's list of deliveries shows it.
CREATE TABLE attempts (
	id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	delivery_id TEXT COLLATE "C" NOT NULL,
	webhook_id  TEXT COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	event_id    TEXT COLLATE "C" NOT NULL,
	event_type  TEXT    NOT NULL,
	at          BIGINT  NOT NULL,
	number      INTEGER NOT NULL,
	status_code INTEGER NOT NULL,
	error       TEXT    NOT NULL,
	duration_ms BIGINT  NOT NULL,
	ok          BOOLEAN NOT NULL
);
CREATE INDEX attempts_webhook ON attempts (webhook_id, at, id);

-- Requests with an Idempotency-Key: in progress (not done, held until
-- locked_until) or done, with the answer to give their retries.
CREATE TABLE idempotency (
	scope        TEXT COLLATE "C" NOT NULL,
	key          TEXT COLLATE "C" NOT NULL,
	fingerprint  TEXT    NOT NULL,
	done         BOOLEAN NOT NULL,
	locked_until BIGINT,
	status       INTEGER NOT NULL,
	header       TEXT,
	body         BYTEA,
	created_at   BIGINT  NOT NULL,
	PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_created ON idempotency (created_at);
