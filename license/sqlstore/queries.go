package sqlstore

// queries are the statements of a [Store], in its dialect. Every value is a
// parameter; the only literals are the constant statuses that the partial
// indexes name.
type queries struct {
	insertProduct, product, products string

	productExists, insertLicense                                      string
	license, lockLicense, licenseByKey                                string
	licensesByEmail, licensesOfProduct, allLicenses                   string
	updateLicense, updateProperties                                   string
	activeOn, countActive, revokedOn, insertActivation                string
	activation, activationByComputerKey                               string
	activationsOfLicense, allActivations                              string
	setActivationStatus, activationStatus                             string
	putCode, codes, spendCode, deleteCode, deleteDeadCode             string
	deleteExpiredCodes                                                string
	insertSession, touchSession, deleteSession, deleteExpiredSessions string
}

func newQueries(d Dialect) queries {
	forUpdate := ""
	if d == Postgres {
		forUpdate = " FOR UPDATE"
	}
	q := queries{
		insertProduct: "INSERT INTO products (id, name, major, minor, created_at) VALUES (?, ?, ?, ?, ?)",
		product:       "SELECT id, name, major, minor, created_at FROM products WHERE id = ?",
		products:      "SELECT id, name, major, minor, created_at FROM products ORDER BY id",

		productExists: "SELECT 1 FROM products WHERE id = ?",
		insertLicense: "INSERT INTO licenses (" + licenseColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		license:       "SELECT " + licenseColumns + " FROM licenses WHERE id = ?",
		lockLicense:   "SELECT " + licenseColumns + " FROM licenses WHERE id = ?" + forUpdate,
		licenseByKey:  "SELECT " + licenseColumns + " FROM licenses WHERE license_key = ?",
		licensesByEmail: "SELECT " + licenseColumns + " FROM licenses WHERE product_id = ? AND email = ?" +
			" ORDER BY created_at, id",
		licensesOfProduct: "SELECT " + licenseColumns + " FROM licenses WHERE product_id = ? ORDER BY created_at, id",
		allLicenses:       "SELECT " + licenseColumns + " FROM licenses ORDER BY created_at, id",
		updateLicense: "UPDATE licenses SET email = ?, phone = ?, name = ?, company = ?, seats = ?," +
			" expires_at = ?, features = ?, properties = ?, status = ? WHERE id = ?",
		updateProperties: "UPDATE licenses SET properties = ? WHERE id = ?",

		activeOn: "SELECT " + activationColumns + " FROM activations" +
			" WHERE license_id = ? AND computer_id = ? AND status = 'active'",
		countActive: "SELECT count(*) FROM activations WHERE license_id = ? AND status = 'active'",
		revokedOn: "SELECT count(*) FROM activations" +
			" WHERE license_id = ? AND computer_id = ? AND status = 'revoked'",
		insertActivation: "INSERT INTO activations (" + activationColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		activation:       "SELECT " + activationColumns + " FROM activations WHERE aid = ?",
		activationByComputerKey: "SELECT " + activationColumns + " FROM activations" +
			" WHERE computer_key = ? AND computer_key <> ''",
		activationsOfLicense: "SELECT " + activationColumns + " FROM activations WHERE license_id = ?" +
			" ORDER BY activated_at, aid",
		allActivations: "SELECT " + activationColumns + " FROM activations ORDER BY activated_at, aid",
		setActivationStatus: "UPDATE activations SET status = ?, released_at = ?" +
			" WHERE aid = ? AND status = 'active' RETURNING " + activationColumns,
		activationStatus: "SELECT status FROM activations WHERE aid = ?",

		putCode: "INSERT INTO codes (" + codeColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)" +
			" ON CONFLICT (license_id, computer_id) DO UPDATE SET hash = excluded.hash," +
			" channel = excluded.channel, attempts = excluded.attempts, expires_at = excluded.expires_at," +
			" created_at = excluded.created_at, properties = excluded.properties",
		codes: "SELECT " + codeColumns + " FROM codes WHERE computer_id = ? AND expires_at > ?" +
			" ORDER BY created_at, license_id",
		spendCode: "UPDATE codes SET attempts = attempts + 1" +
			" WHERE license_id = ? AND computer_id = ? AND attempts < ? AND expires_at > ?" +
			" RETURNING license_id, computer_id, hash, channel, attempts - 1, expires_at, created_at, properties",
		deleteCode: "DELETE FROM codes WHERE license_id = ? AND computer_id = ?",
		deleteDeadCode: "DELETE FROM codes WHERE license_id = ? AND computer_id = ?" +
			" AND (attempts >= ? OR expires_at <= ?)",
		deleteExpiredCodes: "DELETE FROM codes WHERE expires_at <= ?",

		insertSession: "INSERT INTO sessions (id_hash, kind, subject, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		touchSession: "UPDATE sessions SET expires_at = ? WHERE id_hash = ? AND expires_at > ?" +
			" RETURNING id_hash, kind, subject, created_at, expires_at",
		deleteSession:         "DELETE FROM sessions WHERE id_hash = ?",
		deleteExpiredSessions: "DELETE FROM sessions WHERE expires_at <= ?",
	}
	for _, p := range []*string{
		&q.insertProduct, &q.product, &q.products,
		&q.productExists, &q.insertLicense, &q.license, &q.lockLicense, &q.licenseByKey,
		&q.licensesByEmail, &q.licensesOfProduct, &q.allLicenses, &q.updateLicense, &q.updateProperties,
		&q.activeOn, &q.countActive, &q.revokedOn, &q.insertActivation, &q.activation, &q.activationByComputerKey,
		&q.activationsOfLicense, &q.allActivations, &q.setActivationStatus, &q.activationStatus,
		&q.putCode, &q.codes, &q.spendCode, &q.deleteCode, &q.deleteDeadCode, &q.deleteExpiredCodes,
		&q.insertSession, &q.touchSession, &q.deleteSession, &q.deleteExpiredSessions,
	} {
		*p = d.rebind(*p)
	}
	return q
}
