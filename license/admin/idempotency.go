package admin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/licgate/licgate/license"
)

// Idempotency: a POST with an Idempotency-Key header runs once; a retry
// with the same key gets the first answer again, byte for byte, with
// Idempotent-Replayed: true. The answers are kept in the store
// ([license.Store.BeginIdempotent]), so retries are recognised on every
// replica sharing it and across restarts.
//
// Keys are scoped by the admin token's name, so two callers cannot see or
// block each other's answers. A request is fingerprinted by its method,
// path and the SHA-256 of its body: a key reused for another request is
// refused (422), and a retry that arrives while the first request is
// still running is told to wait (409), until the first one's lock ends
// (lockFor), after which it is taken to have died and the retry runs.
//
// A server that stops between changing the store and keeping the answer
// (a crash, not an error) leaves the request locked but not done: a retry
// after the lock runs it again, so a license can then be created twice.
// Nothing of a license is derived from the key to prevent it, because a
// credential must not be derivable from what a client sends.

const (
	idempotencyHeader = "Idempotency-Key"
	replayedHeader    = "Idempotent-Replayed"
	// maxIdempotencyKey bounds a key.
	maxIdempotencyKey = 255
	// lockFor is how long a started request holds its key.
	lockFor = 30 * time.Second
	// maxKeptBody bounds an answer kept for retries; answers are licenses,
	// products and webhooks, far smaller.
	maxKeptBody = 1 << 20
)

// keptHeaders are the headers of an answer that are kept and replayed.
var keptHeaders = []string{"Content-Type", "Location"}

// checkIdempotencyKey reports whether the header values are one key of 1
// to 255 printable ASCII characters.
func checkIdempotencyKey(vals []string) (string, error) {
	bad := badRequest("The Idempotency-Key must be one header of 1 to %d printable ASCII characters.", maxIdempotencyKey)
	if len(vals) != 1 || vals[0] == "" || len(vals[0]) > maxIdempotencyKey {
		return "", bad
	}
	for i := 0; i < len(vals[0]); i++ {
		if vals[0][i] < 0x20 || vals[0][i] > 0x7e {
			return "", bad
		}
	}
	return vals[0], nil
}

// fingerprint identifies a request: method, path and the SHA-256 of its
// body.
func fingerprint(r *http.Request, body []byte) string {
	sum := sha256.Sum256(body)
	return r.Method + " " + r.URL.EscapedPath() + " " + hex.EncodeToString(sum[:])
}

// idempotent answers a POST that carries an Idempotency-Key: it runs it
// once and replays its answer to retries.
func (h *Handler) idempotent(c *call, vals []string, run func() reply) reply {
	key, err := checkIdempotencyKey(vals)
	if err != nil {
		return h.problem(c.ctx, err)
	}
	now := h.cfg.now().UTC()
	rec := license.Idempotent{
		Scope: c.token.Name, Key: key, Fingerprint: fingerprint(c.r, c.body),
		LockedUntil: now.Add(lockFor), CreatedAt: now,
	}
	kept, started, err := h.store.BeginIdempotent(c.ctx, rec, now)
	if err == nil && !started && kept.Done && kept.CreatedAt.Before(now.Add(-h.cfg.idempotencyTTL)) {
		// Expired: forget the old answers, this one among them, and start.
		if _, err = h.store.DeleteIdempotentBefore(c.ctx, now.Add(-h.cfg.idempotencyTTL)); err == nil {
			kept, started, err = h.store.BeginIdempotent(c.ctx, rec, now)
		}
	}
	switch {
	case err != nil:
		return h.problem(c.ctx, err)
	case !started && kept.Fingerprint != rec.Fingerprint:
		return h.problem(c.ctx, newProblem(ReasonIdempotencyKeyReused, "The Idempotency-Key was used for another request."))
	case !started && kept.Done:
		return replay(kept)
	case !started:
		return h.problem(c.ctx, newProblem(ReasonIdempotencyKeyInUse, "A request with this Idempotency-Key is still running. Please retry later."))
	}
	rep := run()
	// The request ran: keep its answer even if the client has gone.
	ctx := context.WithoutCancel(c.ctx)
	if rep.status >= 500 || len(rep.body) > maxKeptBody {
		if err := h.store.AbandonIdempotent(ctx, rec.Scope, rec.Key); err != nil {
			h.logger.ErrorContext(ctx, "admin: abandon idempotent request", "err", err)
		}
		return rep
	}
	kh := map[string]string{}
	for _, k := range keptHeaders {
		if v := rep.header.Get(k); v != "" {
			kh[k] = v
		}
	}
	rec.Header, _ = json.Marshal(kh)
	rec.Status, rec.Body, rec.Done = rep.status, rep.body, true
	if err := h.store.FinishIdempotent(ctx, rec); err != nil {
		h.logger.ErrorContext(ctx, "admin: keep idempotent answer", "err", err)
	}
	return rep
}

// replay is the kept answer of a request, marked as replayed.
func replay(kept license.Idempotent) reply {
	rep := reply{status: kept.Status, header: http.Header{}, body: kept.Body}
	var kh map[string]string
	_ = json.Unmarshal(kept.Header, &kh)
	for _, k := range keptHeaders {
		if v := kh[k]; v != "" {
			rep.header.Set(k, v)
		}
	}
	rep.header.Set(replayedHeader, strconv.FormatBool(true))
	return rep
}
