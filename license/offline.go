package license

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/MicahParks/keyfunc/v3"
)

// Offline activation: a machine with no network writes a request file
// ([NewOfflineRequest]); a connected machine carries it to the server,
// which answers with a license file ([Service.ActivateOffline]); the
// offline machine verifies that file with the public keys inside it
// ([OfflineLicense.Verify]) and passes gates that have no state source
// until the token in it expires.

// Formats and limits of the offline files.
const (
	OfflineRequestFormat = "licgate-offline-request"
	OfflineLicenseFormat = "licgate-offline-license"
	OfflineVersion       = 1
	// MaxOfflineFileBytes bounds both files.
	MaxOfflineFileBytes = 64 << 10
	// DefaultOfflineTTL is how long the token of a license file lives by
	// default ([WithOfflineTTL]).
	DefaultOfflineTTL = 90 * 24 * time.Hour
)

// OfflineRequest is the request file of an offline machine. The activation
// key inside is the credential that lets whoever carries the file activate
// the license: treat the file as the key.
type OfflineRequest struct {
	Format       string    `json:"format"`
	Version      int       `json:"version"`
	Key          string    `json:"key"`
	ComputerID   string    `json:"computerId"`
	ComputerName string    `json:"computerName,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
}

// NewOfflineRequest returns the request file of the computer for the
// activation key, checked as the server will check it.
func NewOfflineRequest(key, computerID, computerName string, now time.Time) (OfflineRequest, error) {
	r := OfflineRequest{
		Format: OfflineRequestFormat, Version: OfflineVersion,
		Key: key, ComputerID: computerID, ComputerName: computerName,
		CreatedAt: now.UTC().Truncate(time.Second),
	}
	return r, r.Validate()
}

// Validate reports whether the request is well formed: its format and
// version, a key shaped like an activation key, the computer ID and name.
func (r OfflineRequest) Validate() error {
	if r.Format != OfflineRequestFormat || r.Version != OfflineVersion {
		return invalidf("this is not a licgate offline request file of version %d", OfflineVersion)
	}
	if _, err := ParseKey(r.Key); err != nil {
		return invalidf("the activation key in the request is malformed")
	}
	if err := CheckComputerID(r.ComputerID); err != nil {
		return err
	}
	return checkText("computer name", r.ComputerName, 0, MaxNameLen)
}

// ParseOfflineRequest reads a request file: one JSON object of at most
// [MaxOfflineFileBytes], with no unknown fields, that passes
// [OfflineRequest.Validate]. Errors match [ErrInvalid].
func ParseOfflineRequest(data []byte) (OfflineRequest, error) {
	var r OfflineRequest
	if err := decodeOfflineFile(data, &r); err != nil {
		return OfflineRequest{}, err
	}
	return r, r.Validate()
}

// OfflineLicense is the license file the server answers an offline request
// with: the activation token and the public keys that verify it, so the
// offline machine needs no network. The token is the credential; the other
// fields repeat its claims for people and tools that read the file.
type OfflineLicense struct {
	Format     string    `json:"format"`
	Version    int       `json:"version"`
	Issuer     string    `json:"issuer"`
	LicenseID  string    `json:"licenseId"`
	ProductID  string    `json:"productId"`
	AID        string    `json:"aid"`
	ComputerID string    `json:"computerId"`
	Features   []string  `json:"features,omitempty"`
	IssuedAt   time.Time `json:"issuedAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
	Token      string    `json:"token"`
	// Keys is the server's JWKS, as /.well-known/jwks.json serves it.
	Keys json.RawMessage `json:"keys"`
}

// ParseOfflineLicense reads a license file: one JSON object of at most
// [MaxOfflineFileBytes], with no unknown fields, of the right format and
// version. It does not verify the token: see [OfflineLicense.Verify].
func ParseOfflineLicense(data []byte) (OfflineLicense, error) {
	var f OfflineLicense
	if err := decodeOfflineFile(data, &f); err != nil {
		return OfflineLicense{}, err
	}
	if f.Format != OfflineLicenseFormat || f.Version != OfflineVersion {
		return OfflineLicense{}, invalidf("this is not a licgate offline license file of version %d", OfflineVersion)
	}
	if f.Token == "" || len(f.Keys) == 0 || f.Issuer == "" {
		return OfflineLicense{}, invalidf("the license file lacks its token, keys or issuer")
	}
	return f, nil
}

// decodeOfflineFile decodes one bounded, strict JSON object into v.
func decodeOfflineFile(data []byte, v any) error {
	if len(data) > MaxOfflineFileBytes {
		return invalidf("the file is larger than %d bytes", MaxOfflineFileBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalidf("the file is not the JSON this needs: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalidf("the file holds more than one JSON value")
	}
	return nil
}

// jsonProblem describes a JSON decoding error without echoing input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q has the wrong type", te.Field)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "it ends early"
	}
	return "unknown or malformed field"
}

// Verifier returns a verifier of the file's token that uses the keys and
// issuer in the file, restricted to the keys whose thumbprints are pinned
// ([PinKeys]). Keys that come with a file prove only that the file is
// intact, since anyone can make a key and sign a file with it: the program
// must hold the thumbprints of its license server's keys (the "kid" of
// each key its JWKS lists), and without any pin Verifier refuses. opts may
// change the rest of the configuration, such as the clock.
func (f OfflineLicense) Verifier(pins []string, opts ...func(*VerifierConfig)) (*Verifier, error) {
	if len(pins) == 0 {
		return nil, invalidf("no key is pinned: the keys inside a license file cannot vouch for it")
	}
	kf, err := keyfunc.NewJWKSetJSON(f.Keys)
	if err != nil {
		return nil, invalidf("the keys of the license file are not a JWKS")
	}
	cfg := VerifierConfig{Keyfunc: PinKeys(kf.Keyfunc, pins...), Issuer: f.Issuer}
	for _, o := range opts {
		o(&cfg)
	}
	return NewVerifier(cfg)
}

// Verify checks the file on the offline machine at now: the token's
// signature with a key of the file whose thumbprint is pinned (see
// [OfflineLicense.Verifier]), its issuer and expiry, and that it was
// issued for computerID. It returns the token's claims.
func (f OfflineLicense) Verify(computerID string, now time.Time, pins ...string) (*Claims, error) {
	v, err := f.Verifier(pins, func(c *VerifierConfig) { c.Now = func() time.Time { return now } })
	if err != nil {
		return nil, err
	}
	c, err := v.Verify(f.Token)
	if err != nil {
		return nil, err
	}
	if c.ComputerID != computerID {
		return nil, fmt.Errorf("%w: the license file is for computer %q", ErrComputerMismatch, c.ComputerID)
	}
	return c, nil
}

// ActivateOffline answers an offline request: it activates the license of
// the key on the computer like any activation (a seat; the same
// activation again for a computer that holds one) and returns the license
// file, whose token lives for the offline TTL ([WithOfflineTTL]) or until
// the license expires. A new request before then renews it. Errors: an
// unknown key ([ErrNotFound]), those of [Service.Activate].
func (s *Service) ActivateOffline(ctx context.Context, req OfflineRequest) (OfflineLicense, error) {
	if err := req.Validate(); err != nil {
		return OfflineLicense{}, err
	}
	l, err := s.LicenseByKey(ctx, req.Key)
	if err != nil {
		return OfflineLicense{}, err
	}
	res, err := s.Activate(ctx, ActivationRequest{LicenseID: l.ID, ComputerID: req.ComputerID, ComputerName: req.ComputerName})
	if err != nil {
		return OfflineLicense{}, err
	}
	now := s.now()
	tok, exp, err := s.issueToken(res.Product, res.License, res.Activation, now.Add(s.cfg.offlineTTL))
	if err != nil {
		return OfflineLicense{}, err
	}
	return OfflineLicense{
		Format: OfflineLicenseFormat, Version: OfflineVersion, Issuer: s.cfg.issuer,
		LicenseID: res.License.ID, ProductID: res.Product.ID, AID: res.Activation.AID,
		ComputerID: res.Activation.ComputerID, Features: res.License.Features,
		IssuedAt: now.UTC().Truncate(time.Second), ExpiresAt: exp.UTC(),
		Token: tok, Keys: s.cfg.keys.JWKS(),
	}, nil
}
