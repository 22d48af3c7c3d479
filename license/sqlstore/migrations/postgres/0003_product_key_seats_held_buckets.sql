-- licgate schema, version 3, PostgreSQL (13 or newer, for gen_random_uuid).
--
-- Licenses get an EMS product key of their own and a counter of the seats
-- they hold, kept in the same transaction as the activations that take and
-- free them; rate limits get token buckets shared by every replica.
--
-- Until now the EMS product key of a license was its ID. Installed clients
-- keep the product key they have, so the ID is copied into product_key;
-- and since an ID appears in tokens, logs and answers while a product key
-- is a credential, every existing license gets a new, random ID (a version
-- 4 UUID), carried to its activations, codes and product-key sessions. The
-- foreign keys on licenses are deferred while the references move, then
-- checked and made immediate again.

ALTER TABLE licenses ADD COLUMN product_key TEXT COLLATE "C";
ALTER TABLE licenses ADD COLUMN seats_held INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activations ALTER CONSTRAINT activations_license_id_fkey DEFERRABLE;
ALTER TABLE codes ALTER CONSTRAINT codes_license_id_fkey DEFERRABLE;

UPDATE licenses SET seats_held = (
	SELECT count(*) FROM activations
	WHERE activations.license_id = licenses.id AND activations.status = 'active'
);

CREATE TEMP TABLE license_ids (
	old_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	new_id TEXT COLLATE "C" NOT NULL
);
INSERT INTO license_ids (old_id, new_id) SELECT id, gen_random_uuid()::text FROM licenses;

SET CONSTRAINTS ALL DEFERRED;
UPDATE licenses SET product_key = id, id = m.new_id
	FROM license_ids m WHERE m.old_id = licenses.id;
UPDATE activations SET license_id = m.new_id
	FROM license_ids m WHERE m.old_id = activations.license_id;
UPDATE codes SET license_id = m.new_id
	FROM license_ids m WHERE m.old_id = codes.license_id;
UPDATE sessions SET subject = m.new_id
	FROM license_ids m WHERE sessions.kind = 'product-key' AND m.old_id = sessions.subject;
SET CONSTRAINTS ALL IMMEDIATE;
DROP TABLE license_ids;

ALTER TABLE activations ALTER CONSTRAINT activations_license_id_fkey NOT DEFERRABLE;
ALTER TABLE codes ALTER CONSTRAINT codes_license_id_fkey NOT DEFERRABLE;
ALTER TABLE licenses ALTER COLUMN product_key SET NOT NULL;
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
	key        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	tokens     DOUBLE PRECISION NOT NULL,
	burst      INTEGER NOT NULL,
	window_us  BIGINT  NOT NULL,
	updated_at BIGINT  NOT NULL
);
