-- Every activation of a computer on a license, whatever its status: a
-- computer the vendor revoked may not activate that license again.
CREATE INDEX activations_computer ON activations (license_id, computer_id);
