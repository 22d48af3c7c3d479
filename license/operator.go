package license

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"time"
)

// The operator's use cases: admin tokens, webhooks and the housekeeping of
// idempotent answers.

// Admin token format: "lgt_", 16 hex digits of ID, "_", 43 characters of
// secret (32 random bytes, base64url without padding).
const (
	adminTokenPrefix = "lgt_"
	adminTokenIDLen  = 16
	adminTokenLen    = len(adminTokenPrefix) + adminTokenIDLen + 1 + 43
	// MaxTokenNameLen bounds the name of an admin token.
	MaxTokenNameLen = 64
	// MaxWebhookURLLen bounds the URL of a webhook.
	MaxWebhookURLLen = 2048
)

// Allows reports whether the token may make the request: read anything,
// and change something (write) only with [ScopeAdmin].
func (t AdminToken) Allows(write bool) bool {
	switch t.Scope {
	case ScopeAdmin:
		return true
	case ScopeRead:
		return !write
	}
	return false
}

// CreateAdminToken makes an admin token with a unique name and a scope,
// stores its hash and returns it with the token itself, which is shown
// this once: nothing can recover it later.
func (s *Service) CreateAdminToken(ctx context.Context, name string, scope Scope) (AdminToken, string, error) {
	if err := checkText("token name", name, 1, MaxTokenNameLen); err != nil {
		return AdminToken{}, "", err
	}
	if strings.TrimSpace(name) != name {
		return AdminToken{}, "", invalidf("the token name must not start or end with a space")
	}
	switch scope {
	case ScopeAdmin, ScopeRead:
	default:
		return AdminToken{}, "", invalidf("the scope %q is unknown: use admin or read", scope)
	}
	var idb [adminTokenIDLen / 2]byte
	var secret [32]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return AdminToken{}, "", err
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return AdminToken{}, "", err
	}
	sec := base64.RawURLEncoding.EncodeToString(secret[:])
	h := sha256.Sum256([]byte(sec))
	t := AdminToken{Name: name, Scope: scope, ID: hex.EncodeToString(idb[:]), Hash: h[:], CreatedAt: s.now()}
	ev, err := s.event(ctx, EventTokenCreated, "token/"+name, nil, map[string]any{"name": name, "scope": scope}, nil)
	if err != nil {
		return AdminToken{}, "", err
	}
	if err := s.store.CreateAdminToken(ctx, t, ev); err != nil {
		return AdminToken{}, "", err
	}
	return t, adminTokenPrefix + t.ID + "_" + sec, nil
}

// AdminTokens returns every admin token, by name; an empty slice if none.
func (s *Service) AdminTokens(ctx context.Context) ([]AdminToken, error) {
	return nonNil(s.store.AdminTokens(ctx))
}

// RevokeAdminToken deletes the admin token with the name: it stops
// working at once.
func (s *Service) RevokeAdminToken(ctx context.Context, name string) error {
	ev, err := s.event(ctx, EventTokenRevoked, "token/"+name, nil, nil, nil)
	if err != nil {
		return err
	}
	err = s.store.DeleteAdminToken(ctx, name, ev)
	if errors.Is(err, ErrNotFound) {
		return NotFound("token", name)
	}
	return err
}

// AuthenticateAdmin returns the admin token a caller presented. The
// comparison is made in constant time under the client address's failure
// budget ([Service.CheckSecret]), so guessing is throttled like wrong
// codes: [ErrRateLimited] once it is spent. A missing, malformed, unknown
// or wrong token is [ErrUnauthenticated], whichever it is.
func (s *Service) AuthenticateAdmin(ctx context.Context, token, clientAddr string) (AdminToken, error) {
	var t AdminToken
	ok, err := s.CheckSecret(ctx, clientAddr, func() bool {
		id, sec, ok := parseAdminToken(token)
		var found error = ErrNotFound
		if ok {
			t, found = s.store.AdminTokenByID(ctx, id)
		}
		h := sha256.Sum256([]byte(sec))
		want := t.Hash
		if found != nil {
			want = make([]byte, sha256.Size) // compare anyway, for even timing
		}
		return subtle.ConstantTimeCompare(h[:], want) == 1 && found == nil && ok
	})
	switch {
	case err != nil:
		return AdminToken{}, err
	case !ok:
		return AdminToken{}, ErrUnauthenticated
	}
	return t, nil
}

// parseAdminToken splits a token into its ID and secret.
func parseAdminToken(tok string) (id, secret string, ok bool) {
	if len(tok) != adminTokenLen || !strings.HasPrefix(tok, adminTokenPrefix) {
		return "", "", false
	}
	rest := tok[len(adminTokenPrefix):]
	if rest[adminTokenIDLen] != '_' {
		return "", "", false
	}
	id, secret = rest[:adminTokenIDLen], rest[adminTokenIDLen+1:]
	if _, err := hex.DecodeString(id); err != nil || strings.ToLower(id) != id {
		return "", "", false
	}
	return id, secret, true
}

// NewWebhookSecret returns a new webhook signing secret: "whsec_" and the
// standard base64 of 32 random bytes, as the Standard Webhooks
// specification writes them.
func NewWebhookSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b[:]), nil
}

// CreateWebhook registers an endpoint that will receive every webhook
// event recorded from now on ([WebhookEventTypes]), and returns it with its
// secret. The URL must be absolute, http or https, without credentials.
func (s *Service) CreateWebhook(ctx context.Context, rawURL string) (Webhook, error) {
	if err := checkWebhookURL(rawURL); err != nil {
		return Webhook{}, err
	}
	now := s.now()
	id, err := NewTimeUUID(now)
	if err != nil {
		return Webhook{}, err
	}
	secret, err := NewWebhookSecret()
	if err != nil {
		return Webhook{}, err
	}
	sealed, err := s.sealWebhookSecret(id, secret)
	if err != nil {
		return Webhook{}, err
	}
	w := Webhook{ID: id, URL: rawURL, Secret: sealed, CreatedAt: now}
	ev, err := s.event(ctx, EventWebhookCreated, "webhook/"+id, nil, map[string]string{"url": rawURL}, nil)
	if err != nil {
		return Webhook{}, err
	}
	if err := s.store.CreateWebhook(ctx, w, ev); err != nil {
		return Webhook{}, err
	}
	w.Secret = secret
	return w, nil
}

// A webhook's secret is stored sealed: AES-256-GCM under a key derived
// from the service's secret ([WithSecret]), bound to the webhook's ID, so
// that a copy of the database alone does not let its holder sign messages
// the vendor's systems would trust.
const sealedPrefix = "lgs1:"

// webhookAEAD returns the cipher that seals webhook secrets.
func (s *Service) webhookAEAD() (cipher.AEAD, error) {
	b, err := aes.NewCipher(s.KeyedHash("licgate webhook secret"))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// sealWebhookSecret seals the secret of the webhook id for the store.
func (s *Service) sealWebhookSecret(id, secret string) (string, error) {
	aead, err := s.webhookAEAD()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(secret)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(secret), []byte(id))), nil
}

// OpenWebhookSecret returns the signing secret of a webhook as the store
// keeps it ([Webhook.Secret] from the store), unsealed; a secret stored in
// clear ("whsec_…", as stores written by other code may hold) is returned
// as it is. An error matching [ErrInvalid] means it was sealed by another
// service secret or changed. A webhook dispatcher calls it for each
// delivery (see license/webhook's WithSecrets).
func (s *Service) OpenWebhookSecret(w Webhook) (string, error) {
	rest, ok := strings.CutPrefix(w.Secret, sealedPrefix)
	if !ok {
		return w.Secret, nil
	}
	raw, err := base64.RawStdEncoding.DecodeString(rest)
	aead, aerr := s.webhookAEAD()
	if aerr != nil {
		return "", aerr
	}
	if err != nil || len(raw) < aead.NonceSize() {
		return "", invalidf("the sealed secret of webhook %s is malformed", w.ID)
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(w.ID))
	if err != nil {
		return "", invalidf("the secret of webhook %s was sealed with another server secret, or changed", w.ID)
	}
	return string(plain), nil
}

// checkWebhookURL validates the URL of a webhook.
func checkWebhookURL(raw string) error {
	if len(raw) > MaxWebhookURLLen {
		return invalidf("the webhook URL is longer than %d bytes", MaxWebhookURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return invalidf("the webhook URL must be an absolute http or https URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return invalidf("the webhook URL must be http or https, not %q", u.Scheme)
	}
	if u.User != nil {
		return invalidf("the webhook URL must not hold credentials: the signature authenticates licgate")
	}
	if u.Fragment != "" {
		return invalidf("the webhook URL must not have a fragment")
	}
	return nil
}

// Webhook returns a webhook by ID, with its secret unsealed; an error matching
// [ErrNotFound] naming it if there is none.
func (s *Service) Webhook(ctx context.Context, id string) (Webhook, error) {
	if !IsUUID(id) {
		return Webhook{}, NotFound("webhook", id)
	}
	w, err := s.store.Webhook(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Webhook{}, NotFound("webhook", id)
	}
	if err != nil {
		return Webhook{}, err
	}
	w.Secret, err = s.OpenWebhookSecret(w)
	return w, err
}

// Webhooks returns every webhook, oldest first; an empty slice if none.
func (s *Service) Webhooks(ctx context.Context) ([]Webhook, error) {
	return nonNil(s.store.Webhooks(ctx))
}

// DeleteWebhook removes a webhook; its pending deliveries are dropped.
func (s *Service) DeleteWebhook(ctx context.Context, id string) error {
	if !IsUUID(id) {
		return NotFound("webhook", id)
	}
	ev, err := s.event(ctx, EventWebhookDeleted, "webhook/"+id, nil, nil, nil)
	if err != nil {
		return err
	}
	err = s.store.DeleteWebhook(ctx, id, ev)
	if errors.Is(err, ErrNotFound) {
		return NotFound("webhook", id)
	}
	return err
}

// WebhookAttempts returns the delivery attempts of a webhook, oldest
// first; an empty slice if none.
func (s *Service) WebhookAttempts(ctx context.Context, id string, p Page) ([]Attempt, error) {
	if !IsUUID(id) {
		return nil, NotFound("webhook", id)
	}
	if _, err := s.store.Webhook(ctx, id); errors.Is(err, ErrNotFound) {
		return nil, NotFound("webhook", id)
	} else if err != nil {
		return nil, err
	}
	return nonNil(s.store.Attempts(ctx, id, p.clamp()))
}

// PurgeIdempotent forgets the answers kept for idempotent retries that are
// older than age, and returns how many.
func (s *Service) PurgeIdempotent(ctx context.Context, age time.Duration) (int, error) {
	return s.store.DeleteIdempotentBefore(ctx, s.now().Add(-age))
}
