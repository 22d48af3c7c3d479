package license

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"math/big"
	"strings"
	"time"
)

// keyAlphabet is Crockford's base32: no I, L, O or U, so keys read aloud or
// typed from paper survive.
const keyAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

const (
	keyLen       = 30 // type letter, 28 random symbols, 1 check symbol
	keyGroupSize = 5
	// CodeDigits is the number of digits in an authorization code.
	CodeDigits = 6
)

// Key type letters, following QLM's convention for the first character.
const (
	KeyPermanent         byte = 'A' // activation key of a license without expiry
	KeySubscription      byte = 'F' // activation key of a license with an expiry date
	ComputerPermanent    byte = 'C' // computer key of a license without expiry
	ComputerSubscription byte = 'J' // computer key of a license with an expiry date
)

// NewKey returns a random key of the given type letter, in canonical form:
// 30 symbols of Crockford base32 in groups of five, the first being the type
// and the last a check symbol, for example "A7K3M-2D9QX-…".
// It draws 140 bits from crypto/rand.
func NewKey(typ byte) (string, error) {
	if !isKeyType(typ) {
		return "", invalidf("key type %q", typ)
	}
	var raw [keyLen - 2]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	sym := make([]byte, 0, keyLen)
	sym = append(sym, typ)
	for _, b := range raw {
		sym = append(sym, keyAlphabet[b&31])
	}
	sym = append(sym, checkSymbol(sym))
	return group(sym), nil
}

// ParseKey returns the canonical form of a key a person typed: dashes and
// spaces are ignored, letters may be lower case, and the Crockford look-alikes
// O, I and L read as 0, 1 and 1. It returns an error wrapping [ErrInvalid]
// if the length, a symbol, the type or the check symbol is wrong.
func ParseKey(s string) (string, error) {
	if len(s) > 2*keyLen {
		return "", invalidf("key too long")
	}
	sym := make([]byte, 0, keyLen)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == ' ':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		if len(sym) > 0 {
			switch c {
			case 'O':
				c = '0'
			case 'I', 'L':
				c = '1'
			}
		}
		if strings.IndexByte(keyAlphabet, c) < 0 {
			return "", invalidf("key has a character outside Crockford base32")
		}
		sym = append(sym, c)
	}
	if len(sym) != keyLen {
		return "", invalidf("key must have %d symbols, not %d", keyLen, len(sym))
	}
	if !isKeyType(sym[0]) {
		return "", invalidf("key type %q", sym[0])
	}
	if checkSymbol(sym[:keyLen-1]) != sym[keyLen-1] {
		return "", invalidf("key check symbol does not match: a character was mistyped")
	}
	return group(sym), nil
}

func isKeyType(t byte) bool {
	switch t {
	case KeyPermanent, KeySubscription, ComputerPermanent, ComputerSubscription:
		return true
	}
	return false
}

// checkSymbol is a weighted sum mod 31 (prime, so every single-symbol error
// and every adjacent transposition is caught), mapped into the alphabet.
func checkSymbol(sym []byte) byte {
	sum := 0
	for i, c := range sym {
		sum += (i + 1) * (strings.IndexByte(keyAlphabet, c) + 1)
	}
	return keyAlphabet[sum%31]
}

func group(sym []byte) string {
	var b strings.Builder
	b.Grow(len(sym) + len(sym)/keyGroupSize)
	for i, c := range sym {
		if i > 0 && i%keyGroupSize == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// NewCode returns a uniformly random authorization code of [CodeDigits]
// decimal digits from crypto/rand.
func NewCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	s := n.String()
	return strings.Repeat("0", CodeDigits-len(s)) + s, nil
}

// ParseAuthorizationCode returns the code a person typed, without
// surrounding spaces, or an error wrapping [ErrInvalid] unless it is exactly
// [CodeDigits] ASCII digits.
func ParseAuthorizationCode(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) != CodeDigits {
		return "", invalidf("authorization code must be %d digits", CodeDigits)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", invalidf("authorization code must be %d digits", CodeDigits)
		}
	}
	return s, nil
}

// NewUUID returns a random (version 4) UUID in lower-case canonical form.
func NewUUID() (string, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", err
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u), nil
}

// formatUUID writes u in lower-case canonical form.
func formatUUID(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// NewTimeUUID returns a version 7 UUID in lower-case canonical form: the
// Unix time of t in milliseconds, then 74 random bits from crypto/rand (RFC
// 9562 §5.7). Identifiers made one after the other sort in time, so a
// database index of them grows at its end instead of at random pages; the
// random bits keep them unguessable. It is for identifiers, never for
// credentials, which are wholly random.
func NewTimeUUID(t time.Time) (string, error) {
	var u [16]byte
	if _, err := rand.Read(u[6:]); err != nil {
		return "", err
	}
	ms := uint64(t.UnixMilli())
	for i := 5; i >= 0; i-- {
		u[i] = byte(ms)
		ms >>= 8
	}
	u[6] = u[6]&0x0f | 0x70
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u), nil
}

// IsUUID reports whether s is a UUID in lower-case canonical form.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// NewProductKey returns a new EMS product key: a random (version 4) UUID
// from crypto/rand, 122 bits that nothing else in licgate is derived from
// or derives from, so no identifier a client or a gated service sees can
// lead to it.
func NewProductKey() (string, error) { return NewUUID() }

// ParseProductKey returns the canonical form of a product key as a client
// sent it: trimmed and lower-cased. It returns an error wrapping
// [ErrInvalid] unless that is a UUID.
func ParseProductKey(s string) (string, error) {
	pk := strings.ToLower(strings.TrimSpace(s))
	if !IsUUID(pk) {
		return "", invalidf("the product key is not a UUID")
	}
	return pk, nil
}

// equalSecret compares two credentials in constant time; the lengths of
// canonical credentials are public, so only their content is protected.
func equalSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
