-- licgate schema, version 4, SQLite.
--
-- Products get the RSA key that signs their QLM answers (PKCS #8 PEM; empty
-- for products made before, which get one the first time they sign) and
-- the algorithm of those signatures. Licenses get a number: random, unique,
-- an identifier for protocols that name records by number (EMS's
-- customerId).

ALTER TABLE products ADD COLUMN rsa_key TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN signature_algorithm TEXT NOT NULL DEFAULT 'rsa-sha1';

ALTER TABLE licenses ADD COLUMN number INTEGER NOT NULL DEFAULT 0;
UPDATE licenses SET number = 1 + ((random() & 9223372036854775807) % 999999999999);
CREATE UNIQUE INDEX licenses_number ON licenses (number);
