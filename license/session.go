package license

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// SessionIDLen is the length of a session ID: 32 upper-case hexadecimal
// characters, like a servlet's JSESSIONID.
const SessionIDLen = 32

// NewSession opens a session that lives idle past its last use, and returns
// its ID: [SessionIDLen] upper-case hex characters from crypto/rand, a
// credential. Only the SHA-256 hash of the ID is stored, so the session is
// valid on every replica sharing the store. A vendor session's subject is
// the user name; a product-key session's is the ID of the license whose
// product key the client presented ([Service.LicenseByProductKey]).
func (s *Service) NewSession(ctx context.Context, kind SessionKind, subject string, idle time.Duration) (string, Session, error) {
	if idle <= 0 {
		return "", Session{}, invalidf("the session idle timeout must be positive")
	}
	switch kind {
	case SessionVendor:
		if err := checkText("user name", subject, 1, MaxNameLen); err != nil {
			return "", Session{}, err
		}
	case SessionProductKey:
		if !IsUUID(subject) {
			return "", Session{}, NotFound("license", subject)
		}
	default:
		return "", Session{}, invalidf("the session kind %q is unknown", kind)
	}
	var raw [SessionIDLen / 2]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Session{}, err
	}
	id := strings.ToUpper(hex.EncodeToString(raw[:]))
	now := s.now()
	sess := Session{IDHash: sessionHash(id), Kind: kind, Subject: subject, CreatedAt: now, ExpiresAt: now.Add(idle)}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return "", Session{}, err
	}
	return id, sess, nil
}

// Session returns the live session with the ID and extends it to idle from
// now. A malformed, unknown, expired or ended ID yields [ErrNotFound]. Hex
// letters may be lower case.
func (s *Service) Session(ctx context.Context, id string, idle time.Duration) (Session, error) {
	id, ok := parseSessionID(id)
	if !ok || idle <= 0 {
		return Session{}, NotFound("session", "")
	}
	return s.store.TouchSession(ctx, sessionHash(id), s.now(), idle)
}

// EndSession ends the session with the ID. Ending a malformed, unknown or
// ended session is not an error.
func (s *Service) EndSession(ctx context.Context, id string) error {
	id, ok := parseSessionID(id)
	if !ok {
		return nil
	}
	return s.store.DeleteSession(ctx, sessionHash(id))
}

// PurgeExpiredSessions deletes sessions past their expiry and returns how
// many.
func (s *Service) PurgeExpiredSessions(ctx context.Context) (int, error) {
	return s.store.DeleteExpiredSessions(ctx, s.now())
}

func parseSessionID(id string) (string, bool) {
	if len(id) != SessionIDLen {
		return "", false
	}
	if _, err := hex.DecodeString(id); err != nil {
		return "", false
	}
	return strings.ToUpper(id), true
}

func sessionHash(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}
