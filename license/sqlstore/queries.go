package sqlstore

import "strings"

// queries are the statements of a [Store], in its dialect. Every value is a
// parameter; the only literals are the constant states that the partial
// indexes name, the released state of a lease that ran out, the empty
// string that turns an optional filter off, and the zero attempts and NULL
// claim of a new delivery. [Open] prepares them all.
type queries struct {
	insertProduct, product, products, lockProduct, updateProduct string

	insertLicense                                      string
	license, lockLicense                               string
	licenseByKey, licenseByProductKey, licenseByNumber string
	licensesByEmail, licensesOfProduct, allLicenses    string
	updateLicense, addSeatsHeld                        string
	findLicenses, findLicensesOfProduct                string

	activeOn, revokedOn, insertActivation string
	endActivation, activationStatus       string
	expireLeases, extendLease, leaseState string
	licensesWithExpiredLeases             string
	activation, activationByComputerKey   string
	activationsOfLicense, allActivations  string

	putCode, codes, spendCode, deleteCode, deleteDeadCode string
	deleteExpiredCodes                                    string

	insertSession, touchSession, deleteSession, deleteExpiredSessions string

	takeToken, returnToken, deleteFullBuckets string

	insertEvent, insertDeliveries, events, eventsOfTarget string

	insertAdminToken, adminTokenByID, adminTokens, deleteAdminToken string

	insertWebhook, webhook, webhooks, deleteWebhook string
	dueDeliveries, claimDeliveries, finishDelivery  string
	insertAttempt, attempts                         string

	beginIdempotent, idempotent, finishIdempotent string
	abandonIdempotent, deleteIdempotentBefore     string
}

const (
	productColumns = "id, name, major, minor, rsa_key, signature_algorithm, created_at"
	licenseColumns = "id, license_key, product_key, number, product_id, email, phone, name, company," +
		" seats, seats_held, expires_at, features, properties, status, created_at, floating, lease_seconds"
	activationColumns = "aid, license_id, computer_id, computer_name, computer_key, status," +
		" activated_at, released_at, attributes, comments, lease_until"
	codeColumns = "license_id, computer_id, hash, channel, attempts, expires_at, created_at, properties"

	eventColumns      = "id, at, type, actor, protocol, addr, request_id, target, outcome, change, data"
	adminTokenColumns = "name, id, hash, scope, created_at"
	webhookColumns    = "id, url, secret, created_at"
	attemptColumns    = "id, delivery_id, webhook_id, event_id, event_type, at, number, status_code, error, duration_ms, ok"
	idempotentColumns = "scope, key, fingerprint, done, locked_until, status, header, body, created_at"
)

// prefixed returns the comma-separated columns cols, each prefixed with the
// table alias t.
func prefixed(t, cols string) string {
	return t + "." + strings.ReplaceAll(cols, ", ", ", "+t+".")
}

func newQueries(d Dialect) queries {
	forUpdate, least, greatest := "", "MIN", "MAX"
	skipLocked, jsonArray := "", "SELECT value FROM json_each(?)"
	if d == Postgres {
		forUpdate, least, greatest = " FOR UPDATE", "LEAST", "GREATEST"
		skipLocked, jsonArray = " FOR UPDATE OF d SKIP LOCKED", "SELECT jsonb_array_elements_text(CAST(? AS jsonb))"
	}
	// refill is how many tokens the stored bucket holds at the time of the
	// new row (excluded), never above the burst: elapsed microseconds, none
	// if the clock went back and at most a window, times burst/window. The
	// product is taken in floating point, which is exact for whole tokens.
	refill := strings.NewReplacer("LEAST", least, "GREATEST", greatest).Replace(
		"LEAST(excluded.burst, buckets.tokens +" +
			" CAST(LEAST(GREATEST(excluded.updated_at - buckets.updated_at, 0), excluded.window_us) AS DOUBLE PRECISION)" +
			" * excluded.burst / excluded.window_us)")
	full := strings.NewReplacer("LEAST", least, "GREATEST", greatest).Replace(
		"tokens + CAST(LEAST(GREATEST(? - updated_at, 0), window_us) AS DOUBLE PRECISION) * burst / window_us >= burst")

	q := queries{
		insertProduct: "INSERT INTO products (" + productColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?)",
		product:       "SELECT " + productColumns + " FROM products WHERE id = ?",
		products:      "SELECT " + productColumns + " FROM products ORDER BY id",
		lockProduct:   "SELECT " + productColumns + " FROM products WHERE id = ?" + forUpdate,
		updateProduct: "UPDATE products SET name = ?, major = ?, minor = ?, rsa_key = ?, signature_algorithm = ? WHERE id = ?",

		insertLicense: "INSERT INTO licenses (" + licenseColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)",
		license:       "SELECT " + licenseColumns + " FROM licenses WHERE id = ?",
		// On SQLite the writer's transaction holds the database's write
		// lock already.
		lockLicense:         "SELECT " + licenseColumns + " FROM licenses WHERE id = ?" + forUpdate,
		licenseByKey:        "SELECT " + licenseColumns + " FROM licenses WHERE license_key = ?",
		licenseByProductKey: "SELECT " + licenseColumns + " FROM licenses WHERE product_key = ?",
		licenseByNumber:     "SELECT " + licenseColumns + " FROM licenses WHERE number = ?",
		licensesByEmail: "SELECT " + licenseColumns + " FROM licenses WHERE product_id = ? AND email = ?" +
			" ORDER BY created_at, id",
		licensesOfProduct: "SELECT " + licenseColumns + " FROM licenses WHERE product_id = ? ORDER BY created_at, id",
		allLicenses:       "SELECT " + licenseColumns + " FROM licenses ORDER BY created_at, id",
		updateLicense: "UPDATE licenses SET email = ?, phone = ?, name = ?, company = ?, seats = ?," +
			" expires_at = ?, features = ?, properties = ?, status = ?, lease_seconds = ? WHERE id = ?",
		addSeatsHeld: "UPDATE licenses SET seats_held = seats_held + ? WHERE id = ?",
		// The optional filters are "? = '' OR …"; the product, when given,
		// picks the index that orders its licenses.
		findLicenses: "SELECT " + licenseColumns + " FROM licenses" +
			" WHERE (? = '' OR email = ?) AND (? = '' OR status = ?) AND (created_at, id) > (?, ?)" +
			" ORDER BY created_at, id LIMIT ?",
		findLicensesOfProduct: "SELECT " + licenseColumns + " FROM licenses" +
			" WHERE product_id = ? AND (? = '' OR email = ?) AND (? = '' OR status = ?) AND (created_at, id) > (?, ?)" +
			" ORDER BY created_at, id LIMIT ?",

		activeOn: "SELECT " + activationColumns + " FROM activations" +
			" WHERE license_id = ? AND computer_id = ? AND status = 'active'",
		revokedOn: "SELECT 1 FROM activations" +
			" WHERE license_id = ? AND computer_id = ? AND status = 'revoked' LIMIT 1",
		// A taken AID or computer key, or a second active activation of a
		// computer, inserts nothing and returns no row: no error, which on
		// PostgreSQL would abort the transaction.
		insertActivation: "INSERT INTO activations (" + activationColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" +
			" ON CONFLICT DO NOTHING RETURNING aid",
		endActivation: "UPDATE activations SET status = ?, released_at = ?" +
			" WHERE aid = ? AND license_id = ? AND status = 'active' RETURNING " + activationColumns,
		activationStatus: "SELECT status FROM activations WHERE aid = ? AND license_id = ?",
		activation:       "SELECT " + activationColumns + " FROM activations WHERE aid = ?",
		activationByComputerKey: "SELECT " + activationColumns + " FROM activations" +
			" WHERE computer_key = ? AND computer_key <> ''",
		activationsOfLicense: "SELECT " + activationColumns + " FROM activations WHERE license_id = ?" +
			" ORDER BY activated_at, aid",
		allActivations: "SELECT " + activationColumns + " FROM activations ORDER BY activated_at, aid",

		// The leases of a license that ran out by now end, released at
		// their end, in one statement that reads them through the partial
		// index of live leases (its condition repeated, so that the planner
		// may use it): the cost follows the leases held, not the
		// activations the license ever had.
		expireLeases: "UPDATE activations SET status = 'released', released_at = lease_until" +
			" WHERE license_id = ? AND status = 'active' AND lease_until IS NOT NULL AND lease_until <= ?" +
			" RETURNING " + activationColumns,
		extendLease: "UPDATE activations SET lease_until = ?" +
			" WHERE aid = ? AND license_id = ? AND status = 'active' AND lease_until IS NOT NULL" +
			" RETURNING " + activationColumns,
		leaseState: "SELECT status, lease_until IS NOT NULL FROM activations WHERE aid = ? AND license_id = ?",
		// Through the partial index of live leases by their end, which
		// holds the license too.
		licensesWithExpiredLeases: "SELECT DISTINCT license_id FROM activations" +
			" WHERE status = 'active' AND lease_until IS NOT NULL AND lease_until <= ? LIMIT ?",

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

		// One statement takes a token or reports that there is none: a new
		// bucket starts full less the token taken (the caller passes
		// burst-1); a stored one is refilled to now and loses a token only
		// if it then holds one. A row comes back only if a token was taken.
		takeToken: "INSERT INTO buckets (key, tokens, burst, window_us, updated_at) VALUES (?, ?, ?, ?, ?)" +
			" ON CONFLICT (key) DO UPDATE SET tokens = " + refill + " - 1," +
			" burst = excluded.burst, window_us = excluded.window_us," +
			" updated_at = " + greatest + "(buckets.updated_at, excluded.updated_at)" +
			" WHERE " + refill + " >= 1 RETURNING tokens",
		// Returning needs no refill: either way the bucket ends at most
		// full.
		returnToken:       "UPDATE buckets SET tokens = " + least + "(tokens + 1, ?) WHERE key = ?",
		deleteFullBuckets: "DELETE FROM buckets WHERE " + full,

		// A taken ID inserts nothing, which the caller tells by the rows
		// changed: no error, which on PostgreSQL would abort the
		// transaction of WithLicense.
		insertEvent: "INSERT INTO events (" + eventColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" +
			" ON CONFLICT DO NOTHING",
		// The outbox: a pending delivery of the event for every webhook,
		// its ID the event's ID and "/" (the first parameter) followed by
		// the webhook's.
		insertDeliveries: "INSERT INTO deliveries (id, webhook_id, event_id, state, attempts, next_at, claimed_until)" +
			" SELECT ? || id, id, ?, 'pending', 0, ?, NULL FROM webhooks",
		events: "SELECT " + eventColumns + " FROM events WHERE at >= ? AND (at, id) > (?, ?)" +
			" ORDER BY at, id LIMIT ?",
		eventsOfTarget: "SELECT " + eventColumns + " FROM events WHERE target = ? AND at >= ? AND (at, id) > (?, ?)" +
			" ORDER BY at, id LIMIT ?",

		insertAdminToken: "INSERT INTO admin_tokens (" + adminTokenColumns + ") VALUES (?, ?, ?, ?, ?)",
		adminTokenByID:   "SELECT " + adminTokenColumns + " FROM admin_tokens WHERE id = ?",
		adminTokens:      "SELECT " + adminTokenColumns + " FROM admin_tokens ORDER BY name",
		deleteAdminToken: "DELETE FROM admin_tokens WHERE name = ?",

		insertWebhook: "INSERT INTO webhooks (" + webhookColumns + ") VALUES (?, ?, ?, ?)",
		webhook:       "SELECT " + webhookColumns + " FROM webhooks WHERE id = ?",
		webhooks:      "SELECT " + webhookColumns + " FROM webhooks ORDER BY created_at, id",
		deleteWebhook: "DELETE FROM webhooks WHERE id = ?",
		// The due deliveries that no one holds, with their webhook and
		// event. On PostgreSQL the rows are locked, and those another
		// transaction locked skipped, so that replicas claiming together
		// never take one twice; on SQLite the writer's transaction holds
		// the database's write lock already.
		dueDeliveries: "SELECT d.id, d.state, d.attempts, d.next_at, " + prefixed("w", webhookColumns) + ", " +
			prefixed("e", eventColumns) +
			" FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.id = d.event_id" +
			" WHERE d.state = 'pending' AND d.next_at <= ? AND (d.claimed_until IS NULL OR d.claimed_until <= ?)" +
			" ORDER BY d.next_at, d.id LIMIT ?" + skipLocked,
		// The IDs come as a JSON array, so that one prepared statement
		// claims them all.
		claimDeliveries: "UPDATE deliveries SET claimed_until = ? WHERE id IN (" + jsonArray + ")",
		finishDelivery: "UPDATE deliveries SET state = ?, attempts = attempts + 1, next_at = ?, claimed_until = NULL" +
			" WHERE id = ? RETURNING webhook_id, event_id, attempts",
		insertAttempt: "INSERT INTO attempts (" + attemptColumns + ")" +
			" VALUES (?, ?, ?, ?, (SELECT type FROM events WHERE id = ?), ?, ?, ?, ?, ?, ?)",
		attempts: "SELECT " + attemptColumns + " FROM attempts WHERE webhook_id = ? AND (at, id) > (?, ?)" +
			" ORDER BY at, id LIMIT ?",

		// One statement stores a new request, or takes over one in
		// progress whose server stopped; it returns a row in either case,
		// none if the kept request stays as it is. PostgreSQL locks the
		// kept row all the same, so that it is still there to be read.
		beginIdempotent: "INSERT INTO idempotency (" + idempotentColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)" +
			" ON CONFLICT (scope, key) DO UPDATE SET locked_until = excluded.locked_until" +
			" WHERE NOT idempotency.done AND idempotency.fingerprint = excluded.fingerprint" +
			" AND (idempotency.locked_until IS NULL OR idempotency.locked_until <= ?)" +
			" RETURNING " + idempotentColumns,
		idempotent: "SELECT " + idempotentColumns + " FROM idempotency WHERE scope = ? AND key = ?",
		finishIdempotent: "UPDATE idempotency SET done = ?, status = ?, header = ?, body = ?" +
			" WHERE scope = ? AND key = ?",
		abandonIdempotent:      "DELETE FROM idempotency WHERE scope = ? AND key = ? AND NOT done",
		deleteIdempotentBefore: "DELETE FROM idempotency WHERE created_at < ?",
	}
	for _, p := range q.all() {
		*p = d.rebind(*p)
	}
	return q
}

// all returns every query of q.
func (q *queries) all() []*string {
	return []*string{
		&q.insertProduct, &q.product, &q.products, &q.lockProduct, &q.updateProduct,
		&q.insertLicense, &q.license, &q.lockLicense, &q.licenseByKey, &q.licenseByProductKey, &q.licenseByNumber,
		&q.licensesByEmail, &q.licensesOfProduct, &q.allLicenses, &q.updateLicense, &q.addSeatsHeld,
		&q.findLicenses, &q.findLicensesOfProduct,
		&q.activeOn, &q.revokedOn, &q.insertActivation, &q.endActivation, &q.activationStatus,
		&q.expireLeases, &q.extendLease, &q.leaseState, &q.licensesWithExpiredLeases,
		&q.activation, &q.activationByComputerKey, &q.activationsOfLicense, &q.allActivations,
		&q.putCode, &q.codes, &q.spendCode, &q.deleteCode, &q.deleteDeadCode, &q.deleteExpiredCodes,
		&q.insertSession, &q.touchSession, &q.deleteSession, &q.deleteExpiredSessions,
		&q.takeToken, &q.returnToken, &q.deleteFullBuckets,
		&q.insertEvent, &q.insertDeliveries, &q.events, &q.eventsOfTarget,
		&q.insertAdminToken, &q.adminTokenByID, &q.adminTokens, &q.deleteAdminToken,
		&q.insertWebhook, &q.webhook, &q.webhooks, &q.deleteWebhook,
		&q.dueDeliveries, &q.claimDeliveries, &q.finishDelivery, &q.insertAttempt, &q.attempts,
		&q.beginIdempotent, &q.idempotent, &q.finishIdempotent, &q.abandonIdempotent, &q.deleteIdempotentBefore,
	}
}
