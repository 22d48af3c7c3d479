-- licgate schema, version 6, PostgreSQL.
--
-- Floating licenses: their seats are leases held by running programs. A
-- license says whether it is floating (fixed when it is made) and how long
-- its leases live without a heartbeat; a lease is an activation whose
-- lease_until is set (NULL: not a lease), and it ends by itself then. Every
-- license and activation made before is not floating and not a lease.
-- Adding a column with a constant default rewrites no table (PostgreSQL 11
-- and newer); each index is built by one scan of activations, during which
-- writes to it wait.

ALTER TABLE licenses ADD COLUMN floating BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE licenses ADD COLUMN lease_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activations ADD COLUMN lease_until BIGINT;

-- The live and run-out leases of a license, by their end: what the
-- transaction that takes a seat of a floating license reads and ends, at a
-- cost that grows with the leases held, not with the activations the
-- license ever had. Activations that are not leases, and leases that
-- ended, have no entry.
CREATE INDEX activations_lease ON activations (license_id, lease_until)
	WHERE status = 'active' AND lease_until IS NOT NULL;
-- The same leases by their end alone, with their license: the licenses
-- that hold a lease that ran out, for the sweep that tidies them.
CREATE INDEX activations_lease_until ON activations (lease_until, license_id)
	WHERE status = 'active' AND lease_until IS NOT NULL;
