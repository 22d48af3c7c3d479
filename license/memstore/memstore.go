package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/licgate/licgate/license"
)

var _ license.Store = (*Store)(nil)

// Store is a [license.Store] in memory. The zero value is not usable; call
// [New]. The callbacks of [Store.Activate] and [Store.UpdateLicense] run
// with the store locked and must not call it.
type Store struct {
	mu           sync.RWMutex
	products     map[string]license.Product
	licenses     map[string]license.License
	licenseKeys  map[string]string // license key → license ID
	activations  map[string]license.Activation
	byLicense    map[string][]string // license ID → AIDs
	active       map[codeKey]string  // license and computer → AID of the active activation
	held         map[string]int      // license ID → active activations
	revoked      map[codeKey]bool    // license and computer the vendor shut out
	computerKeys map[string]string   // computer key → AID
	codes        map[codeKey]license.AuthorizationCode
	sessions     map[string]license.Session // string(IDHash) → session
}

// codeKey names one license and computer.
type codeKey struct{ licenseID, computerID string }

// New returns an empty store.
func New() *Store {
	return &Store{
		products:     make(map[string]license.Product),
		licenses:     make(map[string]license.License),
		licenseKeys:  make(map[string]string),
		activations:  make(map[string]license.Activation),
		byLicense:    make(map[string][]string),
		active:       make(map[codeKey]string),
		held:         make(map[string]int),
		revoked:      make(map[codeKey]bool),
		computerKeys: make(map[string]string),
		codes:        make(map[codeKey]license.AuthorizationCode),
		sessions:     make(map[string]license.Session),
	}
}

// CreateProduct stores a new product; ErrConflict if its ID is taken.
func (s *Store) CreateProduct(ctx context.Context, p license.Product) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.products[p.ID]; ok {
		return fmt.Errorf("%w: product %s", license.ErrConflict, p.ID)
	}
	p.CreatedAt = normTime(p.CreatedAt)
	s.products[p.ID] = p
	return nil
}

// Product returns a product by ID; ErrNotFound if there is none.
func (s *Store) Product(ctx context.Context, id string) (license.Product, error) {
	if err := ctx.Err(); err != nil {
		return license.Product{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.products[id]
	if !ok {
		return license.Product{}, fmt.Errorf("%w: product %s", license.ErrNotFound, id)
	}
	return p, nil
}

// Products returns every product, ordered by ID.
func (s *Store) Products(ctx context.Context) ([]license.Product, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ps := make([]license.Product, 0, len(s.products))
	for _, p := range s.products {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b license.Product) int { return strings.Compare(a.ID, b.ID) })
	return ps, nil
}

// CreateLicense stores a new license; ErrConflict if its ID or key is taken,
// ErrNotFound if its product does not exist.
func (s *Store) CreateLicense(ctx context.Context, l license.License) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.products[l.ProductID]; !ok {
		return fmt.Errorf("%w: product %s", license.ErrNotFound, l.ProductID)
	}
	if _, ok := s.licenses[l.ID]; ok {
		return fmt.Errorf("%w: license %s", license.ErrConflict, l.ID)
	}
	if _, ok := s.licenseKeys[l.Key]; ok {
		return fmt.Errorf("%w: license key", license.ErrConflict)
	}
	s.licenses[l.ID] = cloneLicense(l)
	s.licenseKeys[l.Key] = l.ID
	return nil
}

// License returns a license by ID; ErrNotFound if there is none.
func (s *Store) License(ctx context.Context, id string) (license.License, error) {
	if err := ctx.Err(); err != nil {
		return license.License{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.licenses[id]
	if !ok {
		return license.License{}, fmt.Errorf("%w: license %s", license.ErrNotFound, id)
	}
	return cloneLicense(l), nil
}

// LicenseByKey returns the license with the canonical key; ErrNotFound if
// there is none.
func (s *Store) LicenseByKey(ctx context.Context, key string) (license.License, error) {
	if err := ctx.Err(); err != nil {
		return license.License{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.licenseKeys[key]
	if !ok {
		return license.License{}, fmt.Errorf("%w: license key", license.ErrNotFound)
	}
	return cloneLicense(s.licenses[id]), nil
}

// LicensesByEmail returns the licenses of a product whose customer has the
// email address, oldest first. Addresses are compared exactly; the
// [license.Service] stores them lower-cased.
func (s *Store) LicensesByEmail(ctx context.Context, email, productID string) ([]license.License, error) {
	return s.listLicenses(ctx, func(l *license.License) bool {
		return l.ProductID == productID && l.Email == email
	})
}

// Licenses returns the licenses of a product, or every license if productID
// is empty, oldest first.
func (s *Store) Licenses(ctx context.Context, productID string) ([]license.License, error) {
	return s.listLicenses(ctx, func(l *license.License) bool {
		return productID == "" || l.ProductID == productID
	})
}

func (s *Store) listLicenses(ctx context.Context, match func(*license.License) bool) ([]license.License, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ls []license.License
	for _, l := range s.licenses {
		if match(&l) {
			ls = append(ls, cloneLicense(l))
		}
	}
	slices.SortFunc(ls, func(a, b license.License) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return ls, nil
}

// UpdateLicense changes a license through fn, with the store locked;
// ErrNotFound if there is none. The ID, key and product are kept whatever
// fn does.
func (s *Store) UpdateLicense(ctx context.Context, id string, fn func(*license.License) error) (license.License, error) {
	if err := ctx.Err(); err != nil {
		return license.License{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.licenses[id]
	if !ok {
		return license.License{}, fmt.Errorf("%w: license %s", license.ErrNotFound, id)
	}
	l := cloneLicense(cur)
	if err := fn(&l); err != nil {
		return license.License{}, err
	}
	l.ID, l.Key, l.ProductID = cur.ID, cur.Key, cur.ProductID
	l = cloneLicense(l)
	s.licenses[id] = l
	return cloneLicense(l), nil
}

// Activate records an activation of a license, as [license.Store.Activate]
// says, with the store locked.
func (s *Store) Activate(ctx context.Context, p license.ActivateParams) (license.Activation, bool, error) {
	if err := ctx.Err(); err != nil {
		return license.Activation{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := p.Activation
	l, ok := s.licenses[in.LicenseID]
	if !ok {
		return license.Activation{}, false, fmt.Errorf("%w: license %s", license.ErrNotFound, in.LicenseID)
	}
	if p.Check != nil {
		if err := p.Check(cloneLicense(l)); err != nil {
			return license.Activation{}, false, err
		}
	}

	// Decide everything first; change the maps only once nothing can fail.
	a, existing := s.activeOn(in.LicenseID, in.ComputerID)
	if !existing {
		if s.revoked[codeKey{in.LicenseID, in.ComputerID}] {
			return license.Activation{}, false, fmt.Errorf("%w: computer %s was revoked from license %s", license.ErrRevoked, in.ComputerID, in.LicenseID)
		}
		if s.held[in.LicenseID] >= l.Seats {
			return license.Activation{}, false, license.ErrNoSeats
		}
		if _, ok := s.activations[in.AID]; ok {
			return license.Activation{}, false, fmt.Errorf("%w: activation %s", license.ErrConflict, in.AID)
		}
		if _, ok := s.computerKeys[in.ComputerKey]; ok && in.ComputerKey != "" {
			return license.Activation{}, false, fmt.Errorf("%w: computer key", license.ErrConflict)
		}
		a = cloneActivation(in)
	}
	code := codeKey{p.Code.LicenseID, p.Code.ComputerID}
	if p.Code.LicenseID != "" {
		if _, ok := s.codes[code]; !ok {
			return license.Activation{}, false, license.ErrCodeInvalid
		}
	}
	if len(p.Properties) > 0 {
		l = cloneLicense(l)
		if err := license.ApplyPropertyChanges(&l, p.Properties, in.ActivatedAt); err != nil {
			return license.Activation{}, false, err
		}
		s.licenses[l.ID] = cloneLicense(l)
	}
	if p.Code.LicenseID != "" {
		delete(s.codes, code)
	}
	if !existing {
		s.activations[a.AID] = a
		s.byLicense[a.LicenseID] = append(s.byLicense[a.LicenseID], a.AID)
		if a.ComputerKey != "" {
			s.computerKeys[a.ComputerKey] = a.AID
		}
		if a.Status == license.StatusActive {
			s.active[codeKey{a.LicenseID, a.ComputerID}] = a.AID
			s.held[a.LicenseID]++
		}
	}
	return cloneActivation(a), existing, nil
}

// activeOn returns the active activation of a license on a computer.
func (s *Store) activeOn(licenseID, computerID string) (license.Activation, bool) {
	aid, ok := s.active[codeKey{licenseID, computerID}]
	if !ok {
		return license.Activation{}, false
	}
	return s.activations[aid], true
}

// Activation returns an activation by AID; ErrNotFound if there is none.
func (s *Store) Activation(ctx context.Context, aid string) (license.Activation, error) {
	if err := ctx.Err(); err != nil {
		return license.Activation{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.activations[aid]
	if !ok {
		return license.Activation{}, fmt.Errorf("%w: activation %s", license.ErrNotFound, aid)
	}
	return cloneActivation(a), nil
}

// ActivationByComputer returns the active activation of a license on a
// computer; ErrNotFound if there is none.
func (s *Store) ActivationByComputer(ctx context.Context, licenseID, computerID string) (license.Activation, error) {
	if err := ctx.Err(); err != nil {
		return license.Activation{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.activeOn(licenseID, computerID)
	if !ok {
		return license.Activation{}, fmt.Errorf("%w: no active activation on the computer", license.ErrNotFound)
	}
	return cloneActivation(a), nil
}

// ActivationByComputerKey returns the activation with the canonical computer
// key, whatever its status; ErrNotFound if there is none.
func (s *Store) ActivationByComputerKey(ctx context.Context, computerKey string) (license.Activation, error) {
	if err := ctx.Err(); err != nil {
		return license.Activation{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	aid, ok := s.computerKeys[computerKey]
	if !ok || computerKey == "" {
		return license.Activation{}, fmt.Errorf("%w: computer key", license.ErrNotFound)
	}
	return cloneActivation(s.activations[aid]), nil
}

// Activations returns the activations of a license, or every activation if
// licenseID is empty, oldest first.
func (s *Store) Activations(ctx context.Context, licenseID string) ([]license.Activation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var as []license.Activation
	if licenseID == "" {
		as = make([]license.Activation, 0, len(s.activations))
		for _, a := range s.activations {
			as = append(as, cloneActivation(a))
		}
	} else {
		for _, aid := range s.byLicense[licenseID] {
			as = append(as, cloneActivation(s.activations[aid]))
		}
	}
	slices.SortFunc(as, func(a, b license.Activation) int {
		return cmp.Or(a.ActivatedAt.Compare(b.ActivatedAt), strings.Compare(a.AID, b.AID))
	})
	return as, nil
}

// SetActivationStatus moves an active activation to released or revoked at
// the given time; ErrNotFound if it does not exist, ErrReleased or
// ErrRevoked if it is no longer active, and an error wrapping ErrInvalid for
// any other status.
func (s *Store) SetActivationStatus(ctx context.Context, aid string, status license.Status, at time.Time) (license.Activation, error) {
	if err := ctx.Err(); err != nil {
		return license.Activation{}, err
	}
	if status != license.StatusReleased && status != license.StatusRevoked {
		return license.Activation{}, fmt.Errorf("%w: memstore: an activation cannot move to status %q", license.ErrInvalid, status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.activations[aid]
	if !ok {
		return license.Activation{}, fmt.Errorf("%w: activation %s", license.ErrNotFound, aid)
	}
	if err := a.Usable(); err != nil {
		return license.Activation{}, err
	}
	delete(s.active, codeKey{a.LicenseID, a.ComputerID})
	s.held[a.LicenseID]--
	if status == license.StatusRevoked {
		s.revoked[codeKey{a.LicenseID, a.ComputerID}] = true
	}
	a.Status = status
	a.ReleasedAt = normTime(at)
	s.activations[aid] = a
	return cloneActivation(a), nil
}

// CountActive returns how many active activations a license holds.
func (s *Store) CountActive(ctx context.Context, licenseID string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.held[licenseID], nil
}

// PutCode stores a code, replacing any code of the same license and
// computer; ErrNotFound if the license does not exist.
func (s *Store) PutCode(ctx context.Context, c license.AuthorizationCode) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.licenses[c.LicenseID]; !ok {
		return fmt.Errorf("%w: license %s", license.ErrNotFound, c.LicenseID)
	}
	s.codes[codeKey{c.LicenseID, c.ComputerID}] = cloneCode(c)
	return nil
}

// Codes returns the codes issued for a computer that expire after now.
func (s *Store) Codes(ctx context.Context, computerID string, now time.Time) ([]license.AuthorizationCode, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now = normTime(now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var cs []license.AuthorizationCode
	for k, c := range s.codes {
		if k.computerID == computerID && c.ExpiresAt.After(now) {
			cs = append(cs, cloneCode(c))
		}
	}
	slices.SortFunc(cs, func(a, b license.AuthorizationCode) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.LicenseID, b.LicenseID))
	})
	return cs, nil
}

// SpendCodeAttempt counts one attempt at the code of a license and computer
// if it has fewer than max attempts and expires after now, and returns it as
// it was before; otherwise it deletes the code and returns ErrCodeInvalid.
func (s *Store) SpendCodeAttempt(ctx context.Context, licenseID, computerID string, max int, now time.Time) (license.AuthorizationCode, error) {
	if err := ctx.Err(); err != nil {
		return license.AuthorizationCode{}, err
	}
	now = normTime(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	k := codeKey{licenseID, computerID}
	c, ok := s.codes[k]
	if !ok || c.Attempts >= max || !c.ExpiresAt.After(now) {
		delete(s.codes, k)
		return license.AuthorizationCode{}, license.ErrCodeInvalid
	}
	before := cloneCode(c)
	c.Attempts++
	s.codes[k] = c
	return before, nil
}

// DeleteExpiredCodes removes codes that expire at or before now and returns
// how many it removed.
func (s *Store) DeleteExpiredCodes(ctx context.Context, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	now = normTime(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	return deleteExpired(s.codes, now, func(c license.AuthorizationCode) time.Time { return c.ExpiresAt }), nil
}

// CreateSession stores a new session; ErrConflict if its hash is taken.
func (s *Store) CreateSession(ctx context.Context, sess license.Session) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := string(sess.IDHash)
	if _, ok := s.sessions[k]; ok {
		return fmt.Errorf("%w: session", license.ErrConflict)
	}
	s.sessions[k] = cloneSession(sess)
	return nil
}

// TouchSession returns the session with the ID hash, with its expiry moved
// to now+idle, if it expires after now; ErrNotFound if it is missing or
// expired.
func (s *Store) TouchSession(ctx context.Context, idHash []byte, now time.Time, idle time.Duration) (license.Session, error) {
	if err := ctx.Err(); err != nil {
		return license.Session{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[string(idHash)]
	if !ok || !sess.ExpiresAt.After(normTime(now)) {
		return license.Session{}, fmt.Errorf("%w: session", license.ErrNotFound)
	}
	sess.ExpiresAt = normTime(now.Add(idle))
	s.sessions[string(idHash)] = sess
	return cloneSession(sess), nil
}

// DeleteSession removes a session; deleting a missing one is not an error.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, string(idHash))
	return nil
}

// DeleteExpiredSessions removes sessions that expire at or before now and
// returns how many it removed.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	now = normTime(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	return deleteExpired(s.sessions, now, func(sess license.Session) time.Time { return sess.ExpiresAt }), nil
}

// deleteExpired removes the entries of m that expire at or before now and
// returns how many it removed.
func deleteExpired[K comparable, V any](m map[K]V, now time.Time, expiry func(V) time.Time) int {
	n := 0
	for k, v := range m {
		if !expiry(v).After(now) {
			delete(m, k)
			n++
		}
	}
	return n
}

// normTime returns t as the SQL stores keep it: in UTC, to the microsecond.
func normTime(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// cloneLicense returns a copy of l that shares no memory with it, with
// normalized times.
func cloneLicense(l license.License) license.License {
	l.ExpiresAt = normTime(l.ExpiresAt)
	l.CreatedAt = normTime(l.CreatedAt)
	l.Features = slices.Clone(l.Features)
	if l.Properties != nil {
		ps := make([]license.Property, len(l.Properties))
		for i, p := range l.Properties {
			ps[i] = cloneProperty(p)
		}
		l.Properties = ps
	}
	return l
}

func cloneProperty(p license.Property) license.Property {
	p.ExpiresAt = normTime(p.ExpiresAt)
	p.UpdatedAt = normTime(p.UpdatedAt)
	return p
}

func cloneActivation(a license.Activation) license.Activation {
	a.ActivatedAt = normTime(a.ActivatedAt)
	a.ReleasedAt = normTime(a.ReleasedAt)
	a.Attributes = slices.Clone(a.Attributes)
	return a
}

func cloneCode(c license.AuthorizationCode) license.AuthorizationCode {
	c.Hash = slices.Clone(c.Hash)
	c.ExpiresAt = normTime(c.ExpiresAt)
	c.CreatedAt = normTime(c.CreatedAt)
	if c.Properties != nil {
		ps := make([]license.PropertyChange, len(c.Properties))
		for i, p := range c.Properties {
			p.Property = cloneProperty(p.Property)
			ps[i] = p
		}
		c.Properties = ps
	}
	return c
}

func cloneSession(s license.Session) license.Session {
	s.IDHash = slices.Clone(s.IDHash)
	s.CreatedAt = normTime(s.CreatedAt)
	s.ExpiresAt = normTime(s.ExpiresAt)
	return s
}
