-- licgate schema, version 4, PostgreSQL.
--
-- Products get the RSA key that signs their QLM answers (PKCS #8 PEM; empty
-- for products made before, which get one the first time they sign) and
-- the algorithm of those signatures. Licenses get a number: random, unique,
-- an identifier for protocols that name records by number (EMS's
-- customerId).

ALTER TABLE products ADD COLUMN rsa_key TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN signature_algorithm TEXT NOT NULL DEFAULT 'rsa-sha1';

ALTER TABLE licenses ADD COLUMN number BIGINT;
UPDATE licenses SET number = 1 + floor(random() * 999999999999)::bigint;
ALTER TABLE licenses ALTER COLUMN number SET NOT NULL;
CREATE UNIQUE INDEX licenses_number ON licenses (number);
