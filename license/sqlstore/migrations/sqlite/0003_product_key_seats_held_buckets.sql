-- licgate schema, version 3, SQLite.
--
-- Licenses get an EMS product key of their own and a counter of the seats
-- they hold, kept in the same transaction as the activations that take and
-- free them; rate limits get token buckets shared by every process.
--
-- Until now the EMS product key of a license was its ID. Installed clients
-- keep the product key they have, so the ID is copied into product_key;
-- and since an ID appears in tokens, logs and answers while a product key
-- is a credential, every existing license gets a new, random ID (a version
-- 4 UUID from SQLite's randomness, seeded by the operating system), carried
-- to its activations, codes and product-key sessions. Foreign keys are
-- checked at COMMIT, once every reference has moved.

PRAGMA defer_foreign_keys = ON;

ALTER TABLE licenses ADD COLUMN product_key TEXT NOT NULL DEFAULT '';
ALTER TABLE licenses ADD COLUMN seats_held INTEGER NOT NULL DEFAULT 0;

UPDATE licenses SET seats_held = (
	SELECT count(*) FROM activations
	WHERE activations.license_id = licenses.id AND activations.status = 'active'
);

CREATE TEMP TABLE license_ids (
	old_id TEXT NOT NULL PRIMARY KEY,
	new_id TEXT NOT NULL
);
INSERT INTO temp.license_ids (old_id, new_id)
SELECT id,
	lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||
	substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) ||
	substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))
FROM licenses;

UPDATE licenses SET product_key = id,
	id = (SELECT new_id FROM temp.license_ids WHERE old_id = licenses.id);
UPDATE activations SET
	license_id = (SELECT new_id FROM temp.license_ids WHERE old_id = activations.license_id);
UPDATE codes SET
	license_id = (SELECT new_id FROM temp.license_ids WHERE old_id = codes.license_id);
UPDATE sessions SET
	subject = (SELECT new_id FROM temp.license_ids WHERE old_id = sessions.subject)
WHERE kind = 'product-key' AND subject IN (SELECT old_id FROM temp.license_ids);
DROP TABLE temp.license_ids;

CREATE UNIQUE INDEX licenses_product_key ON licenses (product_key);

-- The revoked activations of a computer are all that the lookup by license
-- and computer of migration 2 is for (the active one has its own unique
-- index): indexing them alone spares every activation one more index
-- entry to write.
DROP INDEX activations_computer;
CREATE INDEX activations_revoked ON activations (license_id, computer_id) WHERE status = 'revoked';

-- Token buckets of the rate limits: tokens left at updated_at, refilling
-- at burst tokens per window_us. The window is kept in whole microseconds,
-- not as a rate, so that a bucket refills exactly one token after each
-- window/burst (a rate in floating point would leave 0.999… tokens).
CREATE TABLE buckets (
	key        TEXT    NOT NULL PRIMARY KEY,
	tokens     REAL    NOT NULL,
	burst      INTEGER NOT NULL,
	window_us  INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
