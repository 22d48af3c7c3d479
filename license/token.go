package license

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenAlgorithm is the JWS algorithm of activation tokens.
const TokenAlgorithm = "EdDSA"

// Claims are the claims of an activation token. The registered claims carry
// the issuer, the AID as subject, the product ID as audience, and the
// issue, not-before and expiry times.
type Claims struct {
	LicenseID  string   `json:"lid"`
	ComputerID string   `json:"cid"`
	Features   []string `json:"features,omitempty"`
	// Version is the product version the license was activated for, "major.minor".
	Version string `json:"ver,omitempty"`
	jwt.RegisteredClaims
}

// AID returns the activation ID the token was issued for.
func (c *Claims) AID() string { return c.Subject }

// ProductID returns the product the token was issued for.
func (c *Claims) ProductID() string {
	if len(c.Audience) == 0 {
		return ""
	}
	return c.Audience[0]
}

// HasFeature reports whether the token grants feature f.
func (c *Claims) HasFeature(f string) bool {
	for _, g := range c.Features {
		if g == f {
			return true
		}
	}
	return false
}

// SigningKey is an Ed25519 key pair with its key ID. Private may be nil for a
// key that only verifies (a retired key, or one learned from a JWKS).
type SigningKey struct {
	ID      string
	Private ed25519.PrivateKey
	Public  ed25519.PublicKey
}

// GenerateSigningKey returns a new Ed25519 key whose ID is its RFC 7638 JWK
// thumbprint.
func GenerateSigningKey() (SigningKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return SigningKey{}, err
	}
	return SigningKey{ID: Thumbprint(pub), Private: priv, Public: pub}, nil
}

// Thumbprint returns the RFC 7638 JWK thumbprint of an Ed25519 public key,
// base64url-encoded.
func Thumbprint(pub ed25519.PublicKey) string {
	// The members in lexicographic order, no spaces, as RFC 7638 §3 requires.
	canon := `{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}`
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// MarshalPEM encodes the private key as a PKCS #8 PEM block.
func (k SigningKey) MarshalPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.Private)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseSigningKeyPEM decodes a PKCS #8 PEM Ed25519 private key, as written by
// [SigningKey.MarshalPEM], and names it by its thumbprint.
func ParseSigningKeyPEM(data []byte) (SigningKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PRIVATE KEY" {
		return SigningKey{}, errors.New("license: no PRIVATE KEY PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return SigningKey{}, fmt.Errorf("license: parse private key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return SigningKey{}, fmt.Errorf("license: private key is %T, not Ed25519", k)
	}
	pub := priv.Public().(ed25519.PublicKey)
	return SigningKey{ID: Thumbprint(pub), Private: priv, Public: pub}, nil
}

// KeySet holds the keys that sign and verify activation tokens. The first key
// signs; all of them verify, so a key can be retired without cutting off the
// tokens it signed. A KeySet is immutable and safe for concurrent use.
type KeySet struct {
	signer SigningKey
	byID   map[string]ed25519.PublicKey
	keys   []SigningKey
}

// NewKeySet returns a key set whose first key, which must have a private
// key, signs. Every key needs a unique, non-empty ID and a 32-byte public key.
func NewKeySet(keys ...SigningKey) (*KeySet, error) {
	if len(keys) == 0 || len(keys[0].Private) != ed25519.PrivateKeySize {
		return nil, errors.New("license: key set needs a signing key first")
	}
	ks := &KeySet{signer: keys[0], byID: make(map[string]ed25519.PublicKey, len(keys))}
	for _, k := range keys {
		if k.Public == nil && k.Private != nil {
			k.Public = k.Private.Public().(ed25519.PublicKey)
		}
		if k.ID == "" || len(k.Public) != ed25519.PublicKeySize {
			return nil, errors.New("license: key without ID or with a bad public key")
		}
		if _, dup := ks.byID[k.ID]; dup {
			return nil, fmt.Errorf("license: duplicate key ID %q", k.ID)
		}
		ks.byID[k.ID] = k.Public
		ks.keys = append(ks.keys, SigningKey{ID: k.ID, Public: k.Public})
	}
	ks.signer.Public = ks.byID[ks.signer.ID]
	return ks, nil
}

// Sign returns the compact JWS of claims, signed with the first key and
// naming it in the kid header.
func (ks *KeySet) Sign(c *Claims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = ks.signer.ID
	return t.SignedString(ks.signer.Private)
}

// Keyfunc finds the public key named by a token's kid header. It refuses any
// algorithm but EdDSA, whatever the parser allows.
func (ks *KeySet) Keyfunc(t *jwt.Token) (any, error) {
	if t.Method.Alg() != TokenAlgorithm {
		return nil, fmt.Errorf("unexpected algorithm %q", t.Method.Alg())
	}
	kid, _ := t.Header["kid"].(string)
	pub, ok := ks.byID[kid]
	if !ok {
		return nil, fmt.Errorf("unknown key ID %q", kid)
	}
	return pub, nil
}

// JWKS returns the public keys as a JSON Web Key Set (RFC 7517), ready to
// serve at /.well-known/jwks.json.
func (ks *KeySet) JWKS() []byte {
	type jwk struct {
		Kty string `json:"kty"`
		Crv string `json:"crv"`
		X   string `json:"x"`
		Kid string `json:"kid"`
		Alg string `json:"alg"`
		Use string `json:"use"`
	}
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, 0, len(ks.keys))}
	for _, k := range ks.keys {
		set.Keys = append(set.Keys, jwk{
			Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.Public),
			Kid: k.ID, Alg: TokenAlgorithm, Use: "sig",
		})
	}
	b, _ := json.Marshal(set) // cannot fail: only strings
	return b
}

// VerifierConfig configures a [Verifier].
type VerifierConfig struct {
	// Keyfunc finds the key of a token, for example [KeySet.Keyfunc] or a
	// JWKS client's. Required.
	Keyfunc jwt.Keyfunc
	// Issuer is the required iss claim. Required.
	Issuer string
	// Audiences are the products accepted; a token must name one of them.
	// Empty accepts any product.
	Audiences []string
	// Leeway is the clock skew tolerated on exp and nbf. Default: 0.
	Leeway time.Duration
	// Now returns the current time. Default: time.Now.
	Now func() time.Time
}

// Verifier checks activation tokens: the algorithm is pinned to EdDSA, a
// header with critical extensions (crit) is refused, and the signature,
// issuer, audience, expiry and not-before are checked.
// A Verifier is safe for concurrent use.
type Verifier struct {
	parser  *jwt.Parser
	keyfunc jwt.Keyfunc
	// claimOpts validate the claims other than the time, for an authentic
	// token that has expired.
	claimOpts []jwt.ParserOption
}

// NewVerifier returns a verifier for cfg.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if cfg.Keyfunc == nil {
		return nil, errors.New("license: verifier needs a Keyfunc")
	}
	if cfg.Issuer == "" {
		return nil, errors.New("license: verifier needs an issuer")
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{TokenAlgorithm}),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithStrictDecoding(),
	}
	if len(cfg.Audiences) > 0 {
		opts = append(opts, jwt.WithAudience(cfg.Audiences...))
	}
	if cfg.Now != nil {
		opts = append(opts, jwt.WithTimeFunc(cfg.Now))
	}
	claimOpts := []jwt.ParserOption{jwt.WithIssuer(cfg.Issuer), jwt.WithExpirationRequired()}
	if len(cfg.Audiences) > 0 {
		claimOpts = append(claimOpts, jwt.WithAudience(cfg.Audiences...))
	}
	kf := cfg.Keyfunc
	return &Verifier{parser: jwt.NewParser(opts...), claimOpts: claimOpts, keyfunc: func(t *jwt.Token) (any, error) {
		if err := checkCrit(t.Header); err != nil {
			return nil, err
		}
		return kf(t)
	}}, nil
}

// checkCrit refuses a token whose header has a crit parameter: it lists
// extensions the verifier must understand, and this one understands none
// (RFC 7515 §4.1.11).
func checkCrit(header map[string]any) error {
	if c, ok := header["crit"]; ok {
		return fmt.Errorf("header lists critical extensions %v that are not understood", c)
	}
	return nil
}

// Verify parses and checks a token. Every failure wraps [ErrToken]. A
// token past its exp also matches [jwt.ErrTokenExpired]; if it is
// authentic and passes every other check, Verify returns its claims with
// that error, so that a caller can tell a token that expired with its
// license from one merely expired. Any other failure returns nil claims.
func (v *Verifier) Verify(token string) (*Claims, error) {
	c := new(Claims)
	_, err := v.parser.ParseWithClaims(token, c, v.keyfunc)
	if err == nil && (!IsUUID(c.Subject) || len(c.Audience) == 0) {
		return nil, fmt.Errorf("%w: subject is not an activation ID or audience is empty", ErrToken)
	}
	if err != nil {
		// The parser validates claims only once the signature checks out.
		if errors.Is(err, jwt.ErrTokenExpired) && v.onlyExpired(c) {
			return c, fmt.Errorf("%w: %w", ErrToken, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrToken, err)
	}
	return c, nil
}

// onlyExpired reports whether the claims of an authentic, expired token
// pass every check at the moment before they expired.
func (v *Verifier) onlyExpired(c *Claims) bool {
	if c.ExpiresAt == nil || !IsUUID(c.Subject) || len(c.Audience) == 0 {
		return false
	}
	before := c.ExpiresAt.Add(-time.Second)
	opts := append(slices.Clip(v.claimOpts), jwt.WithTimeFunc(func() time.Time { return before }))
	return jwt.NewValidator(opts...).Validate(c) == nil
}

// errUnpinned refuses a token signed with a key that is not pinned.
var errUnpinned = errors.New("the token's key is not among the pinned keys")

// PinKeys returns kf restricted to the Ed25519 keys whose thumbprints
// ([Thumbprint], the key IDs licgate gives its keys) are among
// thumbprints: a token signed with any other key fails, whatever key ID it
// names. It is for verifiers that take keys from a source that cannot vouch
// for them, such as the JWKS inside an offline license file.
func PinKeys(kf jwt.Keyfunc, thumbprints ...string) jwt.Keyfunc {
	pins := slices.Clone(thumbprints)
	return func(t *jwt.Token) (any, error) {
		k, err := kf(t)
		if err != nil {
			return nil, err
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok || !slices.Contains(pins, Thumbprint(pub)) {
			return nil, errUnpinned
		}
		return k, nil
	}
}
