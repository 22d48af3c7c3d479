package license

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The use cases of the Sentinel EMS web services: sessions, activation of a
// product key (the license ID) by a C2V, and the product key's details.

// SessionIDLen is the length of a session ID: 32 upper-case hexadecimal
// characters, like a servlet's JSESSIONID.
const SessionIDLen = 32

// MaxProtectionKeyIDLen is the most digits a protection key ID may have.
const MaxProtectionKeyIDLen = 32

// Allows reports whether the session may see and act on the license: a
// vendor session may act on every license, a product-key session only on its
// own.
func (sess Session) Allows(licenseID string) bool {
	switch sess.Kind {
	case SessionVendor:
		return true
	case SessionProductKey:
		return sess.Subject != "" && sess.Subject == licenseID
	}
	return false
}

// ParseProductKey returns the license ID a product key names: a UUID,
// trimmed and lower-cased. ok is false if s is not a UUID.
func ParseProductKey(s string) (id string, ok bool) {
	id = strings.ToLower(strings.TrimSpace(s))
	return id, IsUUID(id)
}

// NewSession opens a session for subject that lives idle past its last use,
// and returns its ID: [SessionIDLen] upper-case hex characters from
// crypto/rand. Only the SHA-256 hash of the ID is stored, so the session is
// valid on every replica sharing the store. A product-key session's subject
// is a product key, which must name an existing license ([ErrNotFound]
// otherwise); the session's Subject is then the license ID. A vendor
// session's subject is the user name.
func (s *Service) NewSession(ctx context.Context, kind SessionKind, subject string, idle time.Duration) (string, Session, error) {
	if idle <= 0 {
		return "", Session{}, invalidf("session idle timeout %v", idle)
	}
	switch kind {
	case SessionVendor:
		if err := checkText("user name", subject, 1, MaxNameLen); err != nil {
			return "", Session{}, err
		}
	case SessionProductKey:
		id, ok := ParseProductKey(subject)
		if !ok {
			return "", Session{}, fmt.Errorf("%w: product key is not a UUID", ErrNotFound)
		}
		l, err := s.store.License(ctx, id)
		if err != nil {
			return "", Session{}, err
		}
		subject = l.ID
	default:
		return "", Session{}, invalidf("session kind %q", kind)
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
		return Session{}, ErrNotFound
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

// CheckProtectionKeyID reports whether id is a protection key ID: 1 to
// [MaxProtectionKeyIDLen] decimal digits.
func CheckProtectionKeyID(id string) error {
	if id == "" || len(id) > MaxProtectionKeyIDLen {
		return invalidf("protection key id must be 1 to %d digits", MaxProtectionKeyIDLen)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return invalidf("protection key id must be decimal digits")
		}
	}
	return nil
}

// ProtectionKeyID returns the ID of the protection key that a new key with
// the host fingerprint gets on the license: 18 decimal digits, derived by
// HMAC-SHA256 with the service secret from the license ID and the
// fingerprint with all white space removed. The same fingerprint on the same
// license always yields the same ID, so posting a C2V again finds the
// activation it made and takes no second seat.
func (s *Service) ProtectionKeyID(licenseID, fingerprint string) string {
	m := hmac.New(sha256.New, s.cfg.secret)
	m.Write([]byte("licgate ems protection key\x00"))
	m.Write([]byte(licenseID))
	m.Write([]byte{0})
	m.Write([]byte(stripSpace(fingerprint)))
	const lo, span = 100_000_000_000_000_000, 900_000_000_000_000_000 // 18 digits
	n := binary.BigEndian.Uint64(m.Sum(nil)) % span
	return strconv.FormatUint(lo+n, 10)
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// ProductKeyActivation asks to activate a license by its product key (EMS
// "Generate License", POST productKey/{pk}/activation.ws).
type ProductKeyActivation struct {
	// ProductKey is the license ID; upper case and surrounding spaces are
	// accepted.
	ProductKey string
	// ProtectionKeyID names an existing protection key: the <hasp id> of an
	// update C2V, or a ProtectionKeyId attribute.
	ProtectionKeyID string
	// Fingerprint is the <host_fingerprint> of a C2V for a new key, used
	// when ProtectionKeyID is empty (see [Service.ProtectionKeyID]).
	Fingerprint string
	// Attributes and Comments are stored with a new activation.
	Attributes []Attribute
	Comments   string
}

// ActivateProductKey activates the license named by the product key on the
// protection key, under the same seat, expiry and revocation rules as every
// other activation, or returns the activation the protection key already
// holds (Existing set) without taking a second seat. The session must allow
// the license. Errors: [ErrNotFound] for an unknown or foreign product key,
// [ErrInvalid], [ErrNoSeats], [ErrRevoked], [ErrSuspended], [ErrExpired].
func (s *Service) ActivateProductKey(ctx context.Context, sess Session, req ProductKeyActivation) (Result, error) {
	l, err := s.sessionLicense(ctx, sess, req.ProductKey)
	if err != nil {
		return Result{}, err
	}
	computerID := req.ProtectionKeyID
	switch {
	case computerID != "":
		if err := CheckProtectionKeyID(computerID); err != nil {
			return Result{}, err
		}
	case stripSpace(req.Fingerprint) == "":
		return Result{}, invalidf("neither a protection key id nor a host fingerprint")
	case len(req.Fingerprint) > MaxAttributeValue:
		return Result{}, invalidf("host fingerprint longer than %d bytes", MaxAttributeValue)
	default:
		computerID = s.ProtectionKeyID(l.ID, req.Fingerprint)
	}
	p, err := s.store.Product(ctx, l.ProductID)
	if err != nil {
		return Result{}, err
	}
	return s.activate(ctx, p, l, activation{computerID: computerID, attributes: req.Attributes, comments: req.Comments})
}

// LicenseByActivation returns an activation with its license, product and a
// fresh token (EMS "Get License by Activation ID", GET
// activation/{aid}.ws). The AID may be upper case. An activation the session
// does not allow is [ErrNotFound], exactly like a missing one. Other errors:
// [ErrReleased] or [ErrRevoked] for an activation that no longer holds its
// seat, and those of [License.Usable].
func (s *Service) LicenseByActivation(ctx context.Context, sess Session, aid string) (Result, error) {
	aid, ok := ParseProductKey(aid) // an AID is a UUID too
	if !ok {
		return Result{}, ErrNotFound
	}
	a, err := s.store.Activation(ctx, aid)
	if err != nil {
		return Result{}, err
	}
	if !sess.Allows(a.LicenseID) {
		return Result{}, ErrNotFound
	}
	if err := a.Usable(); err != nil {
		return Result{}, err
	}
	l, err := s.store.License(ctx, a.LicenseID)
	if err != nil {
		return Result{}, err
	}
	if err := l.Usable(s.now()); err != nil {
		return Result{}, err
	}
	p, err := s.store.Product(ctx, l.ProductID)
	if err != nil {
		return Result{}, err
	}
	return s.result(p, l, a, true)
}

// ProductKeyDetails is what EMS shows of a product key.
type ProductKeyDetails struct {
	Product Product
	License License
	// Activations are the activations holding a seat, oldest first.
	Activations []Activation
}

// Available returns how many seats are free.
func (d ProductKeyDetails) Available() int { return max(0, d.License.Seats-len(d.Activations)) }

// ProductKey returns the details of the license a product key names (EMS GET
// productKey/{pk}.ws). A product key the session does not allow is
// [ErrNotFound], exactly like a missing one.
func (s *Service) ProductKey(ctx context.Context, sess Session, productKey string) (ProductKeyDetails, error) {
	l, err := s.sessionLicense(ctx, sess, productKey)
	if err != nil {
		return ProductKeyDetails{}, err
	}
	return s.details(ctx, l)
}

func (s *Service) details(ctx context.Context, l License) (ProductKeyDetails, error) {
	p, err := s.store.Product(ctx, l.ProductID)
	if err != nil {
		return ProductKeyDetails{}, err
	}
	as, err := s.store.Activations(ctx, l.ID)
	if err != nil {
		return ProductKeyDetails{}, err
	}
	d := ProductKeyDetails{Product: p, License: l}
	for _, a := range as {
		if a.Status == StatusActive {
			d.Activations = append(d.Activations, a)
		}
	}
	return d, nil
}

// ProductKeyUpdate is a change to a product key (EMS POST
// productKey/{pk}.ws); nil fields stay as they are.
type ProductKeyUpdate struct {
	// Seats is the new number of seats (EMS totalEntitled). Fewer seats than
	// activations leaves the activations standing but allows no new one.
	Seats *int
	// Enabled suspends (false) or reactivates (true) the license. A revoked
	// license stays revoked: enabling it fails with [ErrRevoked].
	Enabled *bool
	// Email is the customer's email address.
	Email *string
}

// UpdateProductKey changes the license a product key names. A vendor session
// may change everything; a product-key session only the email, and
// [ErrPermission] if it asks to change anything else. Errors: [ErrNotFound],
// [ErrInvalid], [ErrPermission], [ErrRevoked].
func (s *Service) UpdateProductKey(ctx context.Context, sess Session, productKey string, u ProductKeyUpdate) (ProductKeyDetails, error) {
	l, err := s.sessionLicense(ctx, sess, productKey)
	if err != nil {
		return ProductKeyDetails{}, err
	}
	var email string
	if u.Email != nil {
		if email, err = NormalizeEmail(*u.Email); err != nil {
			return ProductKeyDetails{}, err
		}
	}
	if u.Seats != nil && (*u.Seats < 1 || *u.Seats > MaxSeats) {
		return ProductKeyDetails{}, invalidf("seats %d out of range 1..%d", *u.Seats, MaxSeats)
	}
	l, err = s.store.UpdateLicense(ctx, l.ID, func(cur *License) error {
		if u.Seats != nil && *u.Seats != cur.Seats {
			if sess.Kind != SessionVendor {
				return fmt.Errorf("%w: a product-key session may not change the seats", ErrPermission)
			}
			cur.Seats = *u.Seats
		}
		if u.Enabled != nil && *u.Enabled != (cur.Status == StatusActive) {
			if sess.Kind != SessionVendor {
				return fmt.Errorf("%w: a product-key session may not enable or disable its key", ErrPermission)
			}
			switch {
			case cur.Status == StatusRevoked && *u.Enabled:
				return ErrRevoked
			case cur.Status == StatusRevoked:
			case *u.Enabled:
				cur.Status = StatusActive
			default:
				cur.Status = StatusSuspended
			}
		}
		if u.Email != nil {
			cur.Email = email
		}
		return cur.Validate()
	})
	if err != nil {
		return ProductKeyDetails{}, err
	}
	return s.details(ctx, l)
}

// sessionLicense returns the license a product key names, if the session
// allows it; ErrNotFound otherwise.
func (s *Service) sessionLicense(ctx context.Context, sess Session, productKey string) (License, error) {
	id, ok := ParseProductKey(productKey)
	if !ok || !sess.Allows(id) {
		return License{}, ErrNotFound
	}
	return s.store.License(ctx, id)
}
