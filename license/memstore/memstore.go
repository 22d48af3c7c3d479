package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/licgate/licgate/license"
)

var _ license.Store = (*Store)(nil)

// Store is a [license.Store] in memory. The zero value is not usable; call
// [New]. The function given to [Store.WithLicense] runs with the
// store locked and must not call it.
type Store struct {
	mu           sync.RWMutex
	products     map[string]license.Product
	licenses     map[string]license.License
	licenseKeys  map[string]string // license key → license ID
	productKeys  map[string]string // product key → license ID
	numbers      map[int64]string  // license number → license ID
	activations  map[string]license.Activation
	byLicense    map[string][]string // license ID → AIDs
	active       map[codeKey]string  // license and computer → AID of the active activation
	revoked      map[codeKey]int     // license and computer → revoked activations
	leases       map[string]aidSet   // license ID → AIDs of its active leases
	computerKeys map[string]string   // computer key → AID
	codes        map[codeKey]license.AuthorizationCode
	sessions     map[string]license.Session // string(IDHash) → session
	buckets      map[string]bucket

	events     map[string]license.Event      // ID → event
	tokens     map[string]license.AdminToken // name → token
	tokenIDs   map[string]string             // token ID → name
	webhooks   map[string]license.Webhook
	deliveries map[string]delivery
	attempts   map[string][]license.Attempt // webhook ID → attempts at its deliveries
	idempotent map[idemKey]license.Idempotent
}

// bucket is a rate-limit token bucket.
type bucket struct {
	tokens float64
	burst  float64
	rate   float64 // tokens per second
	at     time.Time
}

// codeKey names one license and computer.
type codeKey struct{ licenseID, computerID string }

// aidSet is a set of AIDs.
type aidSet map[string]struct{}

// New returns an empty store.
func New() *Store {
	return &Store{
		products:     make(map[string]license.Product),
		licenses:     make(map[string]license.License),
		licenseKeys:  make(map[string]string),
		productKeys:  make(map[string]string),
		numbers:      make(map[int64]string),
		activations:  make(map[string]license.Activation),
		byLicense:    make(map[string][]string),
		active:       make(map[codeKey]string),
		revoked:      make(map[codeKey]int),
		leases:       make(map[string]aidSet),
		computerKeys: make(map[string]string),
		codes:        make(map[codeKey]license.AuthorizationCode),
		sessions:     make(map[string]license.Session),
		buckets:      make(map[string]bucket),
		events:       make(map[string]license.Event),
		tokens:       make(map[string]license.AdminToken),
		tokenIDs:     make(map[string]string),
		webhooks:     make(map[string]license.Webhook),
		deliveries:   make(map[string]delivery),
		attempts:     make(map[string][]license.Attempt),
		idempotent:   make(map[idemKey]license.Idempotent),
	}
}

// CreateProduct stores a new product and the events; ErrConflict if its
// ID or an event's is taken.
func (s *Store) CreateProduct(ctx context.Context, p license.Product, events ...license.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.products[p.ID]; ok {
		return fmt.Errorf("%w: product %s", license.ErrConflict, p.ID)
	}
	if _, err := s.record(events...); err != nil {
		return err
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
		return license.Product{}, license.NotFound("product", id)
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

// UpdateProduct changes a product through fn, with the store locked, and
// stores the events; ErrNotFound if there is none. The ID and creation time
// are kept.
func (s *Store) UpdateProduct(ctx context.Context, id string, fn func(*license.Product) error, events ...license.Event) (license.Product, error) {
	if err := ctx.Err(); err != nil {
		return license.Product{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.products[id]
	if !ok {
		return license.Product{}, license.NotFound("product", id)
	}
	p := cur
	if err := fn(&p); err != nil {
		return license.Product{}, err
	}
	if _, err := s.record(events...); err != nil {
		return license.Product{}, err
	}
	p.ID, p.CreatedAt = cur.ID, cur.CreatedAt
	s.products[id] = p
	return p, nil
}

// CreateLicense stores a new license and the events; ErrConflict if its ID,
// a key, its number or an event's ID is taken, ErrNotFound if its product
// does not exist.
func (s *Store) CreateLicense(ctx context.Context, l license.License, events ...license.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.products[l.ProductID]; !ok {
		return license.NotFound("product", l.ProductID)
	}
	if _, ok := s.licenses[l.ID]; ok {
		return fmt.Errorf("%w: license %s", license.ErrConflict, l.ID)
	}
	if _, ok := s.licenseKeys[l.Key]; ok {
		return fmt.Errorf("%w: license key", license.ErrConflict)
	}
	if _, ok := s.productKeys[l.ProductKey]; ok {
		return fmt.Errorf("%w: product key", license.ErrConflict)
	}
	if _, ok := s.numbers[l.Number]; ok {
		return fmt.Errorf("%w: license number %d", license.ErrConflict, l.Number)
	}
	if _, err := s.record(events...); err != nil {
		return err
	}
	l.SeatsHeld = 0
	s.licenses[l.ID] = cloneLicense(l)
	s.licenseKeys[l.Key] = l.ID
	s.productKeys[l.ProductKey] = l.ID
	s.numbers[l.Number] = l.ID
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
		return license.License{}, license.NotFound("license", id)
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
		return license.License{}, license.NotFound("activation key", "")
	}
	return cloneLicense(s.licenses[id]), nil
}

// LicenseByProductKey returns the license with the canonical product key;
// ErrNotFound if there is none.
func (s *Store) LicenseByProductKey(ctx context.Context, productKey string) (license.License, error) {
	if err := ctx.Err(); err != nil {
		return license.License{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.productKeys[productKey]
	if !ok {
		return license.License{}, license.NotFound("product key", "")
	}
	return cloneLicense(s.licenses[id]), nil
}

// LicenseByNumber returns the license with the number; ErrNotFound if
// there is none.
func (s *Store) LicenseByNumber(ctx context.Context, n int64) (license.License, error) {
	if err := ctx.Err(); err != nil {
		return license.License{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.numbers[n]
	if !ok {
		return license.License{}, license.NotFound("license number", strconv.FormatInt(n, 10))
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

// FindLicenses returns the licenses that match q, ordered by CreatedAt then
// ID, one page of them.
func (s *Store) FindLicenses(ctx context.Context, q license.LicenseQuery) ([]license.License, error) {
	ls, err := s.listLicenses(ctx, func(l *license.License) bool {
		return (q.ProductID == "" || l.ProductID == q.ProductID) &&
			(q.Email == "" || l.Email == q.Email) &&
			(q.Status == "" || l.Status == q.Status)
	})
	if err != nil {
		return nil, err
	}
	return page(ls, q.Page, func(l *license.License) (time.Time, string) { return l.CreatedAt, l.ID }), nil
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

// WithLicense runs fn with the store locked, as [license.Store.WithLicense]
// says. What fn did through tx is undone if fn fails.
func (s *Store) WithLicense(ctx context.Context, licenseID string, fn func(tx license.LicenseTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.licenses[licenseID]; !ok {
		return license.NotFound("license", licenseID)
	}
	tx := &licenseTx{s: s, id: licenseID}
	if err := fn(tx); err != nil {
		for i := len(tx.undo) - 1; i >= 0; i-- {
			tx.undo[i]()
		}
		return err
	}
	return nil
}

// licenseTx is a [license.LicenseTx] on the locked store. Each change
// records how to undo itself, and WithLicense undoes them in reverse if fn
// fails.
type licenseTx struct {
	s    *Store
	id   string
	undo []func()
}

var _ license.LicenseTx = (*licenseTx)(nil)

func (tx *licenseTx) License() license.License { return cloneLicense(tx.s.licenses[tx.id]) }

func (tx *licenseTx) ActiveOn(computerID string) (license.Activation, bool, error) {
	a, ok := tx.s.activeOn(tx.id, computerID)
	return cloneActivation(a), ok, nil
}

func (tx *licenseTx) RevokedOn(computerID string) (bool, error) {
	return tx.s.revoked[codeKey{tx.id, computerID}] > 0, nil
}

func (tx *licenseTx) Insert(a license.Activation) error {
	s := tx.s
	k := codeKey{a.LicenseID, a.ComputerID}
	switch {
	case a.LicenseID != tx.id:
		return fmt.Errorf("%w: an activation of license %s inserted through license %s", license.ErrInvalid, a.LicenseID, tx.id)
	case s.activations[a.AID].AID != "":
		return fmt.Errorf("%w: activation %s", license.ErrConflict, a.AID)
	case a.ComputerKey != "" && s.computerKeys[a.ComputerKey] != "":
		return fmt.Errorf("%w: computer key", license.ErrConflict)
	case a.Status == license.StatusActive && s.active[k] != "":
		return fmt.Errorf("%w: computer %s already holds an activation", license.ErrConflict, a.ComputerID)
	}
	a = cloneActivation(a)
	s.activations[a.AID] = a
	s.byLicense[a.LicenseID] = append(s.byLicense[a.LicenseID], a.AID)
	if a.ComputerKey != "" {
		s.computerKeys[a.ComputerKey] = a.AID
	}
	switch a.Status {
	case license.StatusActive:
		s.active[k] = a.AID
		tx.addHeld(+1)
		if a.IsLease() {
			s.addLease(a)
		}
	case license.StatusRevoked:
		s.revoked[k]++
	}
	tx.undo = append(tx.undo, func() {
		delete(s.activations, a.AID)
		ids := s.byLicense[a.LicenseID]
		s.byLicense[a.LicenseID] = ids[:len(ids)-1]
		if a.ComputerKey != "" {
			delete(s.computerKeys, a.ComputerKey)
		}
		switch a.Status {
		case license.StatusActive:
			delete(s.active, k)
			s.dropLease(a)
		case license.StatusRevoked:
			s.revoked[k]--
		}
	})
	return nil
}

// addHeld changes the license's SeatsHeld by d, undoably.
func (tx *licenseTx) addHeld(d int) {
	add := func(d int) {
		l := tx.s.licenses[tx.id]
		l.SeatsHeld += d
		tx.s.licenses[tx.id] = l
	}
	add(d)
	tx.undo = append(tx.undo, func() { add(-d) })
}

func (tx *licenseTx) End(aid string, status license.Status, at time.Time) (license.Activation, error) {
	s := tx.s
	if status != license.StatusReleased && status != license.StatusRevoked {
		return license.Activation{}, fmt.Errorf("%w: an activation cannot move to status %q", license.ErrInvalid, status)
	}
	prev, ok := s.activations[aid]
	if !ok || prev.LicenseID != tx.id {
		return license.Activation{}, license.NotFound("activation", aid)
	}
	switch prev.Status {
	case license.StatusActive:
	case license.StatusReleased:
		return license.Activation{}, license.ErrReleased
	default:
		return license.Activation{}, license.ErrActivationRevoked
	}
	k := codeKey{prev.LicenseID, prev.ComputerID}
	a := prev
	a.Status = status
	a.ReleasedAt = normTime(at)
	s.activations[aid] = a
	delete(s.active, k)
	s.dropLease(a)
	if status == license.StatusRevoked {
		s.revoked[k]++
	}
	tx.addHeld(-1)
	tx.undo = append(tx.undo, func() {
		s.activations[aid] = prev
		s.active[k] = aid
		if prev.IsLease() {
			s.addLease(prev)
		}
		if status == license.StatusRevoked {
			s.revoked[k]--
		}
	})
	return cloneActivation(a), nil
}

// ExpireLeases ends the leases of the license that ran out by now. It
// looks only at the license's active leases, never at the activations that
// ended.
func (tx *licenseTx) ExpireLeases(now time.Time) ([]license.Activation, error) {
	s := tx.s
	now = normTime(now)
	ended := []license.Activation{}
	for aid := range s.leases[tx.id] {
		if a := s.activations[aid]; !a.LeaseUntil.After(now) {
			ended = append(ended, a)
		}
	}
	if len(ended) == 0 {
		return ended, nil
	}
	slices.SortFunc(ended, func(a, b license.Activation) int {
		return cmp.Or(a.LeaseUntil.Compare(b.LeaseUntil), strings.Compare(a.AID, b.AID))
	})
	for i, prev := range ended {
		a := prev
		a.Status, a.ReleasedAt = license.StatusReleased, a.LeaseUntil
		s.activations[a.AID] = a
		delete(s.active, codeKey{a.LicenseID, a.ComputerID})
		s.dropLease(a)
		ended[i] = cloneActivation(a)
		tx.undo = append(tx.undo, func() {
			s.activations[prev.AID] = prev
			s.active[codeKey{prev.LicenseID, prev.ComputerID}] = prev.AID
			s.addLease(prev)
		})
	}
	tx.addHeld(-len(ended))
	return ended, nil
}

// Extend moves the LeaseUntil of an active lease of the license to until.
func (tx *licenseTx) Extend(aid string, until time.Time) (license.Activation, error) {
	s := tx.s
	if until.IsZero() {
		return license.Activation{}, fmt.Errorf("%w: a lease cannot be extended to the zero time", license.ErrInvalid)
	}
	prev, ok := s.activations[aid]
	switch {
	case !ok || prev.LicenseID != tx.id:
		return license.Activation{}, license.NotFound("activation", aid)
	case !prev.IsLease():
		return license.Activation{}, fmt.Errorf("%w: the activation %s is not a lease", license.ErrInvalid, aid)
	case prev.Status == license.StatusReleased:
		return license.Activation{}, license.ErrReleased
	case prev.Status != license.StatusActive:
		return license.Activation{}, license.ErrActivationRevoked
	}
	a := prev
	a.LeaseUntil = normTime(until)
	s.activations[aid] = a
	tx.undo = append(tx.undo, func() { s.activations[aid] = prev })
	return cloneActivation(a), nil
}

// addLease indexes a, an active lease, among its license's.
func (s *Store) addLease(a license.Activation) {
	set := s.leases[a.LicenseID]
	if set == nil {
		set = make(aidSet)
		s.leases[a.LicenseID] = set
	}
	set[a.AID] = struct{}{}
}

// dropLease removes a from its license's active leases, if it is there.
func (s *Store) dropLease(a license.Activation) {
	set := s.leases[a.LicenseID]
	delete(set, a.AID)
	if len(set) == 0 {
		delete(s.leases, a.LicenseID)
	}
}

// LicensesWithExpiredLeases returns the IDs of up to limit licenses that
// hold an active lease whose LeaseUntil is not after now, in no particular
// order; an empty slice if none.
func (s *Store) LicensesWithExpiredLeases(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now = normTime(now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := []string{}
	for id, set := range s.leases {
		if len(ids) >= limit {
			break
		}
		for aid := range set {
			if !s.activations[aid].LeaseUntil.After(now) {
				ids = append(ids, id)
				break
			}
		}
	}
	return ids, nil
}

func (tx *licenseTx) ConsumeCode(computerID string) error {
	k := codeKey{tx.id, computerID}
	c, ok := tx.s.codes[k]
	if !ok {
		return license.ErrCodeInvalid
	}
	delete(tx.s.codes, k)
	tx.undo = append(tx.undo, func() { tx.s.codes[k] = c })
	return nil
}

func (tx *licenseTx) Record(e license.Event) error {
	undo, err := tx.s.record(e)
	if err != nil {
		return err
	}
	tx.undo = append(tx.undo, undo)
	return nil
}

func (tx *licenseTx) Update(l license.License) error {
	prev := tx.s.licenses[tx.id]
	l = cloneLicense(l)
	l.ID, l.Key, l.ProductKey, l.Number, l.ProductID = prev.ID, prev.Key, prev.ProductKey, prev.Number, prev.ProductID
	l.CreatedAt, l.SeatsHeld, l.Floating = prev.CreatedAt, prev.SeatsHeld, prev.Floating
	tx.s.licenses[tx.id] = l
	tx.undo = append(tx.undo, func() {
		// SeatsHeld is undone by the entries of the changes that moved it.
		prev.SeatsHeld = tx.s.licenses[tx.id].SeatsHeld
		tx.s.licenses[tx.id] = prev
	})
	return nil
}

// TakeToken takes a token from the bucket b at now, as
// [license.Store.TakeToken] says.
func (s *Store) TakeToken(ctx context.Context, b license.Bucket, now time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.buckets[b.Key]
	if !ok {
		k = bucket{tokens: float64(b.Burst), at: now}
	}
	k.refill(b, now)
	if k.tokens < 1 {
		s.buckets[b.Key] = k
		return false, nil
	}
	k.tokens--
	s.buckets[b.Key] = k
	return true, nil
}

// ReturnToken gives a token back to the bucket b, never above its burst.
func (s *Store) ReturnToken(ctx context.Context, b license.Bucket, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.buckets[b.Key]
	if !ok {
		return nil
	}
	k.refill(b, now)
	k.tokens = min(k.burst, k.tokens+1)
	s.buckets[b.Key] = k
	return nil
}

// DeleteFullBuckets removes the buckets that have refilled by now and
// returns how many it removed.
func (s *Store) DeleteFullBuckets(ctx context.Context, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for key, k := range s.buckets {
		if k.tokens+now.Sub(k.at).Seconds()*k.rate >= k.burst {
			delete(s.buckets, key)
			n++
		}
	}
	return n, nil
}

// refill adds the tokens earned since the bucket last changed, taking the
// burst and rate from b.
func (k *bucket) refill(b license.Bucket, now time.Time) {
	k.burst = float64(b.Burst)
	k.rate = k.burst / b.Window.Seconds()
	if d := now.Sub(k.at).Seconds(); d > 0 {
		k.tokens = min(k.burst, k.tokens+d*k.rate)
		k.at = now
	}
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
		return license.Activation{}, license.NotFound("activation", aid)
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
		return license.Activation{}, license.NotFound("activation of this computer", "")
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
		return license.Activation{}, license.NotFound("computer key", "")
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

// PutCode stores a code, replacing any code of the same license and
// computer; ErrNotFound if the license does not exist.
func (s *Store) PutCode(ctx context.Context, c license.AuthorizationCode) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.licenses[c.LicenseID]; !ok {
		return license.NotFound("license", c.LicenseID)
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
		return license.Session{}, license.NotFound("session", "")
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
	a.LeaseUntil = normTime(a.LeaseUntil)
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
