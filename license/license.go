package license

import (
	"crypto/rsa"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on domain values, enforced by the Validate methods.
const (
	MaxIDLen          = 64    // product IDs and other identifiers
	MaxNameLen        = 255   // names, companies, computer names
	MaxEmailLen       = 254   // RFC 5321 path limit
	MaxPhoneLen       = 32    // E.164 with some room for formatting
	MaxComputerIDLen  = 255   // QLM's documented limit
	MaxFeatures       = 64    // features per license
	MaxFeatureLen     = 64    // characters per feature name
	MaxProperties     = 64    // product properties per license
	MaxPropertyLen    = 255   // characters in a property category, name or value
	MaxAttributes     = 16    // EMS activation attributes per activation
	MaxAttributeValue = 32768 // characters in an EMS attribute value (a C2V)
	MaxComments       = 510   // EMS comments, as Activation.xsd says
	MaxSeats          = 1_000_000
	MaxLicenseNumber  = 999_999_999_999 // 12 digits: exact in every client's numbers
)

// Product is a piece of software that licenses are sold for.
type Product struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Major int    `json:"major"`
	Minor int    `json:"minor"`
	// RSAKey signs the product's QLM answers, which its programs verify
	// with the public part. A secret: it is never printed or sent. Nil for
	// a product created before products had keys, until it first signs
	// (see [Service.ProductSigningKey]).
	RSAKey *rsa.PrivateKey `json:"-"`
	// SignatureAlgorithm is the algorithm of those signatures; empty reads
	// as [SignatureRSASHA1].
	SignatureAlgorithm SignatureAlgorithm `json:"signatureAlgorithm,omitempty"`
	CreatedAt          time.Time          `json:"createdAt"`
}

// SignatureAlgorithm names how a product's answers are signed.
type SignatureAlgorithm string

// Signature algorithms, as QLM's signatureAlgorithm setting knows them.
const (
	SignatureRSASHA1   SignatureAlgorithm = "rsa-sha1"   // QLM's default
	SignatureRSASHA256 SignatureAlgorithm = "rsa-sha256" // by product setting
)

// MinRSABits is the smallest RSA key a product may sign with.
const MinRSABits = 2048

// Validate reports whether p can be stored.
func (p Product) Validate() error {
	if err := checkID("product ID", p.ID); err != nil {
		return err
	}
	if err := checkText("product name", p.Name, 1, MaxNameLen); err != nil {
		return err
	}
	if p.Major < 0 || p.Minor < 0 || p.Major > 1_000_000 || p.Minor > 1_000_000 {
		return invalidf("the product version %d.%d is out of range", p.Major, p.Minor)
	}
	switch p.SignatureAlgorithm {
	case "", SignatureRSASHA1, SignatureRSASHA256:
	default:
		return invalidf("the signature algorithm %q is neither %s nor %s", p.SignatureAlgorithm, SignatureRSASHA1, SignatureRSASHA256)
	}
	if p.RSAKey != nil {
		if p.RSAKey.N.BitLen() < MinRSABits {
			return invalidf("the product's RSA key has %d bits, fewer than %d", p.RSAKey.N.BitLen(), MinRSABits)
		}
		if err := p.RSAKey.Validate(); err != nil {
			return invalidf("the product's RSA key is not valid: %v", err)
		}
	}
	return nil
}

// Version returns the product version as "major.minor".
func (p Product) Version() string { return fmt.Sprintf("%d.%d", p.Major, p.Minor) }

// Status is the state of a license or an activation.
type Status string

// License and activation states.
const (
	StatusActive    Status = "active"    // a license that can be activated; an activation holding a seat
	StatusSuspended Status = "suspended" // a license paused by the vendor; its activations stop working
	StatusRevoked   Status = "revoked"   // a license or activation withdrawn for good
	StatusReleased  Status = "released"  // an activation given up by its computer; the seat is free
)

// License is what a customer buys: the right to activate a product on up to
// Seats computers at once, until ExpiresAt.
type License struct {
	// ID is a lower-case UUID. It identifies the license in tokens, URLs,
	// logs and answers, and grants nothing.
	ID string `json:"id"`
	// Key is the activation key a customer types, QLM-shaped (see [NewKey]).
	// It is a credential: whoever has it may activate the license.
	Key string `json:"key"`
	// ProductKey is the EMS product key, a credential of its own: random,
	// unrelated to ID (see [NewProductKey]).
	ProductKey string `json:"productKey"`
	// Number is a random positive number of at most [MaxLicenseNumber],
	// unique in the store: an identifier, for protocols that name records
	// by number (EMS's customerId). It grants nothing.
	Number    int64  `json:"number"`
	ProductID string `json:"productId"`
	Customer
	Seats int `json:"seats"`
	// SeatsHeld is how many activations hold a seat now. The store keeps it
	// in the license record, changing it in the transaction that takes or
	// frees a seat, so reading it costs the same however full the license.
	SeatsHeld int `json:"seatsHeld"`
	// ExpiresAt is the end of the license; the zero time means it never expires.
	ExpiresAt  time.Time  `json:"expiresAt,omitzero"`
	Features   []string   `json:"features,omitempty"`
	Properties []Property `json:"properties,omitempty"`
	Status     Status     `json:"status"`
	CreatedAt  time.Time  `json:"createdAt"`
	// Floating is set for a license whose seats are leases held by running
	// programs ([Service.TakeLease]) rather than activations of computers:
	// a lease not renewed within LeaseSeconds ends by itself. It is chosen
	// when the license is made and never changes.
	Floating bool `json:"floating,omitempty"`
	// LeaseSeconds is how long a lease of a floating license lives without
	// a heartbeat, [MinLeaseTTL] to [MaxLeaseTTL]; 0 for other licenses.
	LeaseSeconds int `json:"leaseSeconds,omitempty"`
}

// LeaseTTL returns how long a lease of the license lives without a
// heartbeat; 0 for a license that is not floating.
func (l License) LeaseTTL() time.Duration { return time.Duration(l.LeaseSeconds) * time.Second }

// Bounds and default of the lease TTL of floating licenses.
const (
	MinLeaseTTL     = 10 * time.Second
	MaxLeaseTTL     = 7 * 24 * time.Hour
	DefaultLeaseTTL = 15 * time.Minute
)

// Customer is who a license was sold to.
type Customer struct {
	Email   string `json:"email,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Name    string `json:"name,omitempty"`
	Company string `json:"company,omitempty"`
}

// Validate reports whether l can be stored.
func (l License) Validate() error {
	if !IsUUID(l.ID) {
		return invalidf("license id %q is not a lower-case UUID", l.ID)
	}
	if _, err := ParseKey(l.Key); err != nil {
		return err
	}
	if !IsUUID(l.ProductKey) {
		return invalidf("product key %q is not a lower-case UUID", l.ProductKey)
	}
	if l.Number < 1 || l.Number > MaxLicenseNumber {
		return invalidf("the license number %d is out of range 1..%d", l.Number, int64(MaxLicenseNumber))
	}
	if err := checkID("product ID", l.ProductID); err != nil {
		return err
	}
	if err := l.Customer.Validate(); err != nil {
		return err
	}
	if l.Seats < 1 || l.Seats > MaxSeats {
		return invalidf("seats must be 1 to %d, not %d", MaxSeats, l.Seats)
	}
	if l.SeatsHeld < 0 {
		return invalidf("seats held must not be negative")
	}
	if len(l.Features) > MaxFeatures {
		return invalidf("%d features, at most %d", len(l.Features), MaxFeatures)
	}
	for _, f := range l.Features {
		if err := checkFeature(f); err != nil {
			return err
		}
	}
	if len(l.Properties) > MaxProperties {
		return invalidf("%d properties, at most %d", len(l.Properties), MaxProperties)
	}
	for _, p := range l.Properties {
		if err := p.Validate(); err != nil {
			return err
		}
	}
	switch l.Status {
	case StatusActive, StatusSuspended, StatusRevoked:
	default:
		return invalidf("license status %q", l.Status)
	}
	switch s := int64(l.LeaseSeconds); {
	case !l.Floating && s != 0:
		return invalidf("only a floating license has a lease TTL")
	case l.Floating && (s < int64(MinLeaseTTL/time.Second) || s > int64(MaxLeaseTTL/time.Second)):
		return invalidf("the lease TTL must be %v to %v, not %d seconds", MinLeaseTTL, MaxLeaseTTL, s)
	}
	return nil
}

// Expired reports whether the license has expired at now.
func (l License) Expired(now time.Time) bool {
	return !l.ExpiresAt.IsZero() && !now.Before(l.ExpiresAt)
}

// HasFeature reports whether the license grants feature f.
func (l License) HasFeature(f string) bool {
	for _, g := range l.Features {
		if g == f {
			return true
		}
	}
	return false
}

// Validate reports whether c is a well-formed customer. Every field may be
// empty: a license sold through a product key may get its customer later.
// Codes are sent to the email address, and licenses found by it.
func (c Customer) Validate() error {
	if c.Email != "" {
		if _, err := NormalizeEmail(c.Email); err != nil {
			return err
		}
	}
	if c.Phone != "" {
		if err := checkPhone(c.Phone); err != nil {
			return err
		}
	}
	if err := checkText("customer name", c.Name, 0, MaxNameLen); err != nil {
		return err
	}
	return checkText("customer company", c.Company, 0, MaxNameLen)
}

// Property is a named, typed value attached to a license (QLM's product
// properties). It is identified by Category and Name.
type Property struct {
	Category string       `json:"category"`
	Name     string       `json:"name"`
	Value    string       `json:"value"`
	Type     PropertyType `json:"type"`
	// ExpiresAt is when the property stops applying; zero means never.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// PropertyType is the type of a property value.
type PropertyType string

// Property types, as QLM knows them.
const (
	PropertyString PropertyType = "string"
	PropertyInt    PropertyType = "int"
	PropertyBool   PropertyType = "bool"
)

// Validate reports whether p is well formed.
func (p Property) Validate() error {
	if err := checkText("property category", p.Category, 1, MaxPropertyLen); err != nil {
		return err
	}
	if err := checkText("property name", p.Name, 1, MaxPropertyLen); err != nil {
		return err
	}
	if err := checkText("property value", p.Value, 0, MaxPropertyLen); err != nil {
		return err
	}
	switch p.Type {
	case PropertyString, PropertyInt, PropertyBool:
	default:
		return invalidf("property type %q", p.Type)
	}
	return nil
}

// Activation is one computer holding one seat of a license.
type Activation struct {
	// AID is a lower-case UUID; it names the activation in tokens and in EMS.
	AID       string `json:"aid"`
	LicenseID string `json:"licenseId"`
	// ComputerID is QLM's is_pcid, or the EMS protection key ID.
	ComputerID   string `json:"computerId"`
	ComputerName string `json:"computerName,omitempty"`
	// ComputerKey is QLM's pckey: the activation key bound to this computer.
	ComputerKey string      `json:"computerKey"`
	Status      Status      `json:"status"`
	ActivatedAt time.Time   `json:"activatedAt"`
	ReleasedAt  time.Time   `json:"releasedAt,omitzero"`
	Attributes  []Attribute `json:"attributes,omitempty"`
	Comments    string      `json:"comments,omitempty"`
	// LeaseUntil, for a lease of a floating license, is when it ends
	// unless a heartbeat extends it; from then on it holds no seat, whether
	// or not the store has marked it released yet. Zero for an activation
	// that is not a lease.
	LeaseUntil time.Time `json:"leaseUntil,omitzero"`
}

// IsLease reports whether a is a lease of a floating license.
func (a Activation) IsLease() bool { return !a.LeaseUntil.IsZero() }

// Held reports whether a holds its seat at now: it is active and, if it
// is a lease, has not run out.
func (a Activation) Held(now time.Time) bool {
	return a.Status == StatusActive && (a.LeaseUntil.IsZero() || now.Before(a.LeaseUntil))
}

// Validate reports whether a can be stored.
func (a Activation) Validate() error {
	if !IsUUID(a.AID) {
		return invalidf("activation id %q is not a lower-case UUID", a.AID)
	}
	if !IsUUID(a.LicenseID) {
		return invalidf("license id %q is not a lower-case UUID", a.LicenseID)
	}
	if err := CheckComputerID(a.ComputerID); err != nil {
		return err
	}
	if err := checkText("computer name", a.ComputerName, 0, MaxNameLen); err != nil {
		return err
	}
	switch a.Status {
	case StatusActive, StatusReleased, StatusRevoked:
	default:
		return invalidf("activation status %q", a.Status)
	}
	if len(a.Attributes) > MaxAttributes {
		return invalidf("%d attributes, at most %d", len(a.Attributes), MaxAttributes)
	}
	for _, at := range a.Attributes {
		if err := at.Validate(); err != nil {
			return err
		}
	}
	if utf8.RuneCountInString(a.Comments) > MaxComments || !utf8.ValidString(a.Comments) {
		return invalidf("the comments are longer than %d characters or not UTF-8", MaxComments)
	}
	for _, r := range a.Comments {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return invalidf("the comments contain a control character")
		}
	}
	return nil
}

// Attribute is an EMS activation attribute, kept as the client sent it.
type Attribute struct {
	Name              string `json:"name"`
	Value             string `json:"value"`
	Group             string `json:"group,omitempty"`
	ISVPermission     string `json:"isvPermission,omitempty"`
	EndUserPermission string `json:"endUserPermission,omitempty"`
}

// Validate reports whether the attribute is within limits.
func (at Attribute) Validate() error {
	if err := checkText("attribute name", at.Name, 1, MaxIDLen); err != nil {
		return err
	}
	if len(at.Value) > MaxAttributeValue || !utf8.ValidString(at.Value) {
		return invalidf("attribute %s value longer than %d bytes or not UTF-8", at.Name, MaxAttributeValue)
	}
	for _, s := range []string{at.Group, at.ISVPermission, at.EndUserPermission} {
		if err := checkText("attribute "+at.Name, s, 0, MaxIDLen); err != nil {
			return err
		}
	}
	return nil
}

// Channel is how an authorization code reaches a customer.
type Channel string

// Delivery channels.
const (
	ChannelEmail Channel = "email"
	ChannelSMS   Channel = "sms"
)

// AuthorizationCode is a short-lived code that lets one computer activate one
// license. Only its keyed hash is kept; the code itself exists only in the
// message sent to the customer.
type AuthorizationCode struct {
	LicenseID  string
	ComputerID string
	// Hash is HMAC-SHA256 over the license, the computer and the code, keyed
	// with the service secret.
	Hash      []byte
	Channel   Channel
	Attempts  int // failed or pending attempts so far
	ExpiresAt time.Time
	CreatedAt time.Time
	// Properties are applied to the license when the code is used.
	Properties []PropertyChange
}

// PropertyChange is a request to set a property, or, for an int property
// with Relative set, to add Value (which may be negative) to it.
type PropertyChange struct {
	Property
	Relative bool `json:"relative,omitempty"`
}

// NormalizeEmail parses an email address with net/mail and returns its bare,
// lower-case address. It rejects display names, lists and over-long input.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > MaxEmailLen {
		return "", invalidf("the email address is missing or longer than %d bytes", MaxEmailLen)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", invalidf("the email address %q is not a plain address", s)
	}
	return strings.ToLower(a.Address), nil
}

// CheckComputerID reports whether id is a valid computer ID: 1 to 255
// characters, printable, with no spaces.
func CheckComputerID(id string) error {
	if id == "" || utf8.RuneCountInString(id) > MaxComputerIDLen || !utf8.ValidString(id) {
		return invalidf("the computer ID must be 1 to %d characters", MaxComputerIDLen)
	}
	for _, r := range id {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return invalidf("the computer ID contains a space or a control character")
		}
	}
	return nil
}

func checkID(what, s string) error {
	if s == "" || len(s) > MaxIDLen {
		return invalidf("the %s must be 1 to %d characters", what, MaxIDLen)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return invalidf("the %s %q may hold only letters, digits, '-', '_' and '.'", what, s)
		}
	}
	return nil
}

func checkFeature(f string) error {
	if f == "" || len(f) > MaxFeatureLen {
		return invalidf("a feature must be 1 to %d characters", MaxFeatureLen)
	}
	for _, r := range f {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r)) {
			return invalidf("feature %q may hold only letters, digits, '-', '_', '.' and ':'", f)
		}
	}
	return nil
}

func checkPhone(p string) error {
	if len(p) > MaxPhoneLen {
		return invalidf("the phone number is longer than %d characters", MaxPhoneLen)
	}
	digits := 0
	for i, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', r == '-', r == '(', r == ')', r == '.':
		default:
			return invalidf("the phone number %q has a character other than digits, '+', spaces, '-', '(', ')' and '.'", p)
		}
	}
	if digits < 5 {
		return invalidf("the phone number %q has too few digits", p)
	}
	return nil
}

func checkText(what, s string, minLen, maxLen int) error {
	n := utf8.RuneCountInString(s)
	if n < minLen || n > maxLen || !utf8.ValidString(s) {
		return invalidf("the %s must be %d to %d characters of UTF-8", what, minLen, maxLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return invalidf("the %s contains a control character", what)
		}
	}
	return nil
}
