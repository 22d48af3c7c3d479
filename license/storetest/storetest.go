package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// errBoom is what the callbacks of the suite fail with.
var errBoom = errors.New("storetest: boom")

// Run runs the conformance suite against the stores open returns. open is
// called once per subtest and must return a new, empty store, releasing it
// with t.Cleanup; the subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) license.Store) {
	t.Helper()
	tests := []struct {
		name string
		test func(t *testing.T, s license.Store)
	}{
		{"Product", testProduct},
		{"Products", testProducts},
		{"License", testLicense},
		{"LicenseLists", testLicenseLists},
		{"WithLicense", testWithLicense},
		{"WithLicenseRollback", testWithLicenseRollback},
		{"WithLicenseMissing", testWithLicenseMissing},
		{"Insert", testInsert},
		{"InsertConflict", testInsertConflict},
		{"End", testEnd},
		{"ActiveOnRevokedOn", testActiveOnRevokedOn},
		{"ConsumeCode", testConsumeCode},
		{"Update", testUpdate},
		{"ActivationLookups", testActivationLookups},
		{"Codes", testCodes},
		{"SpendCodeAttempt", testSpendCodeAttempt},
		{"DeleteExpiredCodes", testDeleteExpiredCodes},
		{"Session", testSession},
		{"DeleteExpiredSessions", testDeleteExpiredSessions},
		{"TakeToken", testTakeToken},
		{"ReturnToken", testReturnToken},
		{"DeleteFullBuckets", testDeleteFullBuckets},
		{"Times", testTimes},
		{"Copies", testCopies},
		{"Events", testEvents},
		{"ChangeEvents", testChangeEvents},
		{"WithLicenseRecord", testWithLicenseRecord},
		{"FindLicenses", testFindLicenses},
		{"AdminTokens", testAdminTokens},
		{"Webhooks", testWebhooks},
		{"Outbox", testOutbox},
		{"ClaimDeliveries", testClaimDeliveries},
		{"FinishDelivery", testFinishDelivery},
		{"Idempotent", testIdempotent},
		{"DeleteIdempotentBefore", testDeleteIdempotentBefore},
		{"OperateTimes", testOperateTimes},
		{"OperateCopies", testOperateCopies},
		{"LeaseFields", testLeaseFields},
		{"ExpireLeases", testExpireLeases},
		{"ExpireLeasesRollback", testExpireLeasesRollback},
		{"Extend", testExtend},
		{"LicensesWithExpiredLeases", testLicensesWithExpiredLeases},
	}
	for _, tt := range races {
		tests = append(tests, struct {
			name string
			test func(t *testing.T, s license.Store)
		}{tt.name, func(t *testing.T, s license.Store) { tt.race(t, []license.Store{s}) }})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.test(t, open(t))
		})
	}
}

func testProduct(t *testing.T, s license.Store) {
	ctx := t.Context()
	p := newProduct(t, "prod")
	mustNil(t, "CreateProduct", s.CreateProduct(ctx, p))
	got, err := s.Product(ctx, p.ID)
	mustNil(t, "Product", err)
	equal(t, "Product", got, p)

	other := p
	other.Name = "Another name"
	wantErr(t, "CreateProduct with a taken ID", s.CreateProduct(ctx, other), license.ErrConflict)
	got, err = s.Product(ctx, p.ID)
	mustNil(t, "Product after conflict", err)
	equal(t, "Product after conflict", got, p)

	_, err = s.Product(ctx, "no-such-product")
	wantErr(t, "Product(missing)", err, license.ErrNotFound)

	// A product's signing key and algorithm are kept, and changed by
	// UpdateProduct, which keeps the ID and creation time.
	keyed := newProduct(t, "keyed")
	keyed.RSAKey, keyed.SignatureAlgorithm = newRSAKey(t), license.SignatureRSASHA256
	mustNil(t, "CreateProduct with a key", s.CreateProduct(ctx, keyed))
	got, err = s.Product(ctx, keyed.ID)
	mustNil(t, "Product with a key", err)
	equal(t, "Product with a key", got, keyed)

	updated, err := s.UpdateProduct(ctx, p.ID, func(q *license.Product) error {
		if q.RSAKey != nil {
			t.Errorf("UpdateProduct: a product stored without a key has one")
		}
		q.RSAKey, q.SignatureAlgorithm, q.Name = keyed.RSAKey, license.SignatureRSASHA1, "Renamed"
		q.ID, q.CreatedAt = "other-id", t0.Add(time.Hour)
		return nil
	})
	mustNil(t, "UpdateProduct", err)
	want := p
	want.RSAKey, want.SignatureAlgorithm, want.Name = keyed.RSAKey, license.SignatureRSASHA1, "Renamed"
	equal(t, "UpdateProduct's result", updated, want)
	got, err = s.Product(ctx, p.ID)
	mustNil(t, "Product after UpdateProduct", err)
	equal(t, "Product after UpdateProduct", got, want)

	_, err = s.UpdateProduct(ctx, p.ID, func(q *license.Product) error { q.Name = "Lost"; return errBoom })
	wantErr(t, "UpdateProduct whose fn fails", err, errBoom)
	got, _ = s.Product(ctx, p.ID)
	equal(t, "Product after a failed UpdateProduct", got, want)
	_, err = s.UpdateProduct(ctx, "no-such-product", func(*license.Product) error { return nil })
	wantErr(t, "UpdateProduct(missing)", err, license.ErrNotFound)
}

func testProducts(t *testing.T, s license.Store) {
	ctx := t.Context()
	ps, err := s.Products(ctx)
	mustNil(t, "Products of an empty store", err)
	if len(ps) != 0 {
		t.Errorf("Products of an empty store: got %d, want 0", len(ps))
	}
	// Byte order, not a locale's: "B" < "a" < "a-b" < "a_b" < "ab".
	ids := []string{"b", "a_b", "B", "ab", "a-b", "a"}
	want := make([]license.Product, 0, len(ids))
	for i, id := range ids {
		p := license.Product{ID: id, Name: "Product " + id, Major: i, Minor: 2 * i, CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		mustNil(t, "CreateProduct", s.CreateProduct(ctx, p))
		want = append(want, p)
	}
	slices.SortFunc(want, func(a, b license.Product) int { return strings.Compare(a.ID, b.ID) })
	got, err := s.Products(ctx)
	mustNil(t, "Products", err)
	equal(t, "Products", got, want)
}

func testLicense(t *testing.T, s license.Store) {
	ctx := t.Context()
	p := mustProduct(t, s, "lic")
	exp := t0.Add(365 * 24 * time.Hour)
	full := newLicense(t, p.ID, 5)
	full.Key = newKey(t, license.KeySubscription)
	full.Customer = license.Customer{Email: "ada@example.com", Phone: "+44 20 7946 0000", Name: "Ada Lovelace", Company: "Analytical Engines Ltd"}
	full.ExpiresAt = exp
	full.Features = []string{"export", "pro:reports"}
	full.Properties = []license.Property{
		{Category: "limits", Name: "users", Value: "10", Type: license.PropertyInt, UpdatedAt: t0},
		{Category: "flags", Name: "beta", Value: "true", Type: license.PropertyBool, ExpiresAt: exp, UpdatedAt: t0},
		{Category: "info", Name: "note", Value: "ünïcødé, \"quoted\" <xml>", Type: license.PropertyString},
	}
	full.Status = license.StatusSuspended
	full.SeatsHeld = 3 // not stored: a new license holds no seat
	// A license sold by product key, whose customer registers later.
	minimal := newLicense(t, p.ID, 1)
	minimal.Customer = license.Customer{}

	for _, l := range []license.License{full, minimal} {
		mustNil(t, "CreateLicense", s.CreateLicense(ctx, l))
		want := l
		want.SeatsHeld = 0
		lookups := []struct {
			name string
			get  func() (license.License, error)
		}{
			{"License", func() (license.License, error) { return s.License(ctx, l.ID) }},
			{"LicenseByKey", func() (license.License, error) { return s.LicenseByKey(ctx, l.Key) }},
			{"LicenseByProductKey", func() (license.License, error) { return s.LicenseByProductKey(ctx, l.ProductKey) }},
			{"LicenseByNumber", func() (license.License, error) { return s.LicenseByNumber(ctx, l.Number) }},
		}
		for _, lu := range lookups {
			got, err := lu.get()
			mustNil(t, lu.name, err)
			equal(t, lu.name, got, want)
		}
	}

	sameID := newLicense(t, p.ID, 1)
	sameID.ID = full.ID
	sameKey := newLicense(t, p.ID, 1)
	sameKey.Key = full.Key
	sameProductKey := newLicense(t, p.ID, 1)
	sameProductKey.ProductKey = full.ProductKey
	sameNumber := newLicense(t, p.ID, 1)
	sameNumber.Number = full.Number
	noProduct := newLicense(t, "no-such-product", 1)
	tests := []struct {
		name string
		l    license.License
		want error
	}{
		{"taken ID", sameID, license.ErrConflict},
		{"taken key", sameKey, license.ErrConflict},
		{"taken product key", sameProductKey, license.ErrConflict},
		{"taken number", sameNumber, license.ErrConflict},
		{"unknown product", noProduct, license.ErrNotFound},
	}
	for _, tt := range tests {
		wantErr(t, "CreateLicense with "+tt.name, s.CreateLicense(ctx, tt.l), tt.want)
		if tt.l.ID != full.ID {
			_, err := s.License(ctx, tt.l.ID)
			wantErr(t, "License after CreateLicense with "+tt.name, err, license.ErrNotFound)
		}
	}
	got, err := s.License(ctx, full.ID)
	mustNil(t, "License after conflicts", err)
	full.SeatsHeld = 0
	equal(t, "License after conflicts", got, full)

	missing := []struct {
		name string
		get  func() (license.License, error)
	}{
		{"License", func() (license.License, error) { return s.License(ctx, newID(t)) }},
		{"LicenseByKey", func() (license.License, error) { return s.LicenseByKey(ctx, newKey(t, license.KeyPermanent)) }},
		{"LicenseByProductKey", func() (license.License, error) { return s.LicenseByProductKey(ctx, newID(t)) }},
		{"LicenseByNumber", func() (license.License, error) { return s.LicenseByNumber(ctx, newNumber(t)) }},
		// The license ID is not the product key.
		{"LicenseByProductKey of a license ID", func() (license.License, error) { return s.LicenseByProductKey(ctx, full.ID) }},
	}
	for _, tt := range missing {
		_, err := tt.get()
		wantErr(t, tt.name+"(missing)", err, license.ErrNotFound)
	}
}

func testLicenseLists(t *testing.T, s license.Store) {
	ctx := t.Context()
	pa := mustProduct(t, s, "a")
	pb := mustProduct(t, s, "b")
	mk := func(productID, email string, created time.Time) license.License {
		t.Helper()
		l := newLicense(t, productID, 1)
		l.Email = email
		l.CreatedAt = created
		mustNil(t, "CreateLicense", s.CreateLicense(ctx, l))
		return l
	}
	l1 := mk(pa.ID, "ada@example.com", t0.Add(2*time.Hour))
	l2 := mk(pa.ID, "ada@example.com", t0.Add(time.Hour))
	l3 := mk(pa.ID, "bob@example.com", t0)
	l4 := mk(pb.ID, "ada@example.com", t0.Add(3*time.Hour))
	l5 := mk(pa.ID, "ada@example.com", t0.Add(time.Hour)) // ties with l2: ID decides
	l6 := mk(pa.ID, "", t0.Add(4*time.Hour))              // no customer yet
	tie := []license.License{l2, l5}
	slices.SortFunc(tie, func(a, b license.License) int { return strings.Compare(a.ID, b.ID) })

	tests := []struct {
		name string
		list func() ([]license.License, error)
		want []license.License
	}{
		{"LicensesByEmail", func() ([]license.License, error) { return s.LicensesByEmail(ctx, "ada@example.com", pa.ID) }, []license.License{tie[0], tie[1], l1}},
		{"LicensesByEmail other product", func() ([]license.License, error) { return s.LicensesByEmail(ctx, "ada@example.com", pb.ID) }, []license.License{l4}},
		{"LicensesByEmail unknown email", func() ([]license.License, error) { return s.LicensesByEmail(ctx, "eve@example.com", pa.ID) }, nil},
		{"LicensesByEmail unknown product", func() ([]license.License, error) { return s.LicensesByEmail(ctx, "ada@example.com", "no-such-product") }, nil},
		{"Licenses of a product", func() ([]license.License, error) { return s.Licenses(ctx, pa.ID) }, []license.License{l3, tie[0], tie[1], l1, l6}},
		{"Licenses of another product", func() ([]license.License, error) { return s.Licenses(ctx, pb.ID) }, []license.License{l4}},
		{"Licenses of an unknown product", func() ([]license.License, error) { return s.Licenses(ctx, "no-such-product") }, nil},
		{"Licenses of every product", func() ([]license.License, error) { return s.Licenses(ctx, "") }, []license.License{l3, tie[0], tie[1], l1, l4, l6}},
	}
	for _, tt := range tests {
		got, err := tt.list()
		mustNil(t, tt.name, err)
		equal(t, tt.name, got, tt.want)
	}
}

// withHeld returns l holding n seats.
func withHeld(l license.License, n int) license.License {
	l.SeatsHeld = n
	return l
}

// testWithLicense checks that the reads of a LicenseTx see its own writes,
// and that everything it did is there once WithLicense returns.
func testWithLicense(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 5)
	old := mustActivate(t, s, l.ID, "pc-old")
	mustPutCode(t, s, newCode(l.ID, "pc-1", 1))
	a := newActivation(t, l.ID, "pc-1")
	a.ComputerName = "Ada's PC"
	a.Attributes = []license.Attribute{
		{Name: "C2V", Value: `<?xml version="1.0"?><hasp_info>…</hasp_info>`, Group: "g", ISVPermission: "rw", EndUserPermission: "r"},
		{Name: "Plain", Value: "v"},
	}
	a.Comments = "first activation"
	a.ActivatedAt = t0.Add(time.Minute)
	at := t0.Add(time.Hour)
	ended := old
	ended.Status, ended.ReleasedAt = license.StatusReleased, at
	want := withHeld(l, 1)
	want.Seats = 9
	want.Name = "Ada King"

	calls := 0
	err := s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
		calls++
		equal(t, "License() at the start", tx.License(), withHeld(l, 1))
		if _, ok, err := tx.ActiveOn("pc-1"); err != nil || ok {
			t.Errorf("ActiveOn before Insert: got ok %v, err %v, want false, nil", ok, err)
		}
		if err := tx.Insert(a); err != nil {
			return err
		}
		if got := tx.License().SeatsHeld; got != 2 {
			t.Errorf("SeatsHeld after Insert: got %d, want 2", got)
		}
		got, ok, err := tx.ActiveOn("pc-1")
		if err != nil || !ok {
			t.Errorf("ActiveOn after Insert: got ok %v, err %v, want true, nil", ok, err)
		}
		equal(t, "ActiveOn after Insert", got, a)

		got, err = tx.End(old.AID, license.StatusReleased, at)
		if err != nil {
			return err
		}
		equal(t, "End", got, ended)
		if got := tx.License().SeatsHeld; got != 1 {
			t.Errorf("SeatsHeld after End: got %d, want 1", got)
		}
		if _, ok, err := tx.ActiveOn("pc-old"); err != nil || ok {
			t.Errorf("ActiveOn after End: got ok %v, err %v, want false, nil", ok, err)
		}
		_, err = tx.End(old.AID, license.StatusRevoked, at)
		wantErr(t, "End again", err, license.ErrReleased)

		if err := tx.ConsumeCode("pc-1"); err != nil {
			return err
		}
		wantErr(t, "ConsumeCode again", tx.ConsumeCode("pc-1"), license.ErrCodeInvalid)

		u := tx.License()
		u.Seats = 9
		u.Name = "Ada King"
		if err := tx.Update(u); err != nil {
			return err
		}
		equal(t, "License() after Update", tx.License(), want)
		return nil
	})
	mustNil(t, "WithLicense", err)
	if calls != 1 {
		t.Errorf("calls of fn: got %d, want 1", calls)
	}

	got, err := s.License(ctx, l.ID)
	mustNil(t, "License after WithLicense", err)
	equal(t, "License after WithLicense", got, want)
	as, err := s.Activations(ctx, l.ID)
	mustNil(t, "Activations after WithLicense", err)
	equal(t, "Activations after WithLicense", as, []license.Activation{ended, a})
	cs, err := s.Codes(ctx, "pc-1", t0)
	mustNil(t, "Codes after WithLicense", err)
	if len(cs) != 0 {
		t.Errorf("Codes after WithLicense: got %d, want 0 (consumed)", len(cs))
	}
	checkSeatsHeld(t, s, l.ID, 1)
}

// testWithLicenseRollback checks that fn's error undoes everything fn did
// through the transaction, and comes back as is.
func testWithLicenseRollback(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 3, func(l *license.License) { l.Features = []string{"a"} })
	old := mustActivate(t, s, l.ID, "pc-old")
	code := newCode(l.ID, "pc-1", 1)
	mustPutCode(t, s, code)
	before, err := s.License(ctx, l.ID)
	mustNil(t, "License", err)

	steps := []struct {
		name string
		do   func(tx license.LicenseTx) error
	}{
		{"Insert", func(tx license.LicenseTx) error { return tx.Insert(newActivation(t, l.ID, "pc-1")) }},
		{"End", func(tx license.LicenseTx) error {
			_, err := tx.End(old.AID, license.StatusRevoked, t0.Add(time.Hour))
			return err
		}},
		{"ConsumeCode", func(tx license.LicenseTx) error { return tx.ConsumeCode("pc-1") }},
		{"Update", func(tx license.LicenseTx) error {
			u := tx.License()
			u.Seats = 7
			u.Features = []string{"b"}
			u.Status = license.StatusSuspended
			return tx.Update(u)
		}},
	}
	// Each step alone, then all of them in one transaction.
	tests := make([][]int, 0, len(steps)+1)
	all := make([]int, 0, len(steps))
	for i := range steps {
		tests = append(tests, []int{i})
		all = append(all, i)
	}
	tests = append(tests, all)
	for _, tt := range tests {
		names := make([]string, len(tt))
		for i, k := range tt {
			names[i] = steps[k].name
		}
		what := "WithLicense failing after " + strings.Join(names, ", ")
		err := s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
			for _, k := range tt {
				if err := steps[k].do(tx); err != nil {
					t.Errorf("%s: %s: %v", what, steps[k].name, err)
					return err
				}
			}
			return errBoom
		})
		if err != errBoom {
			t.Errorf("%s: got error %v, want %v as is", what, err, errBoom)
		}
		got, err := s.License(ctx, l.ID)
		mustNil(t, "License", err)
		equal(t, "License after "+what, got, before)
		as, err := s.Activations(ctx, l.ID)
		mustNil(t, "Activations", err)
		equal(t, "Activations after "+what, as, []license.Activation{old})
		cs, err := s.Codes(ctx, "pc-1", t0)
		mustNil(t, "Codes", err)
		equal(t, "Codes after "+what, cs, []license.AuthorizationCode{code})
		err = s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
			if revoked, err := tx.RevokedOn("pc-old"); err != nil || revoked {
				t.Errorf("RevokedOn after %s: got %v, %v, want false, nil", what, revoked, err)
			}
			return nil
		})
		mustNil(t, "WithLicense", err)
	}
	checkSeatsHeld(t, s, l.ID, 1)
}

// testWithLicenseMissing checks that WithLicense on a license that does not
// exist fails without calling fn.
func testWithLicenseMissing(t *testing.T, s license.Store) {
	ctx := t.Context()
	mustLicense(t, s, 1)
	called := false
	err := s.WithLicense(ctx, newID(t), func(license.LicenseTx) error { called = true; return nil })
	wantErr(t, "WithLicense(missing)", err, license.ErrNotFound)
	if called {
		t.Errorf("WithLicense(missing) called fn: got true, want false")
	}
}

func testInsert(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 1)
	a1 := newActivation(t, l.ID, "pc-1")
	a2 := newActivation(t, l.ID, "pc-2")
	a2.ActivatedAt = t0.Add(time.Minute)
	released := newActivation(t, l.ID, "pc-3")
	released.ActivatedAt = t0.Add(2 * time.Minute)
	released.Status = license.StatusReleased
	released.ReleasedAt = t0.Add(3 * time.Minute)
	tests := []struct {
		name string
		a    license.Activation
		held int
	}{
		{"an active activation", a1, 1},
		// The seat rule is the caller's: Insert takes a seat whatever Seats says.
		{"an active activation past the seats", a2, 2},
		{"a released activation", released, 2},
	}
	err := s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
		for _, tt := range tests {
			if err := tx.Insert(tt.a); err != nil {
				t.Errorf("Insert %s: %v", tt.name, err)
				return err
			}
			if got := tx.License().SeatsHeld; got != tt.held {
				t.Errorf("SeatsHeld after inserting %s: got %d, want %d", tt.name, got, tt.held)
			}
		}
		return nil
	})
	mustNil(t, "WithLicense", err)
	as, err := s.Activations(ctx, l.ID)
	mustNil(t, "Activations", err)
	equal(t, "Activations", as, []license.Activation{a1, a2, released})
	checkSeatsHeld(t, s, l.ID, 2)
}

func testInsertConflict(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 5)
	other := mustLicense(t, s, 5)
	a := mustActivate(t, s, l.ID, "pc-1")
	o := mustActivate(t, s, other.ID, "pc-9")
	sameAID := newActivation(t, l.ID, "pc-2")
	sameAID.AID = a.AID
	otherAID := newActivation(t, l.ID, "pc-2")
	otherAID.AID = o.AID
	sameKey := newActivation(t, l.ID, "pc-3")
	sameKey.ComputerKey = a.ComputerKey
	otherKey := newActivation(t, l.ID, "pc-3")
	otherKey.ComputerKey = o.ComputerKey
	tests := []struct {
		name string
		a    license.Activation
	}{
		{"a taken AID", sameAID},
		{"the AID of another license's activation", otherAID},
		{"a taken computer key", sameKey},
		{"the computer key of another license's activation", otherKey},
		{"a second active activation of the computer", newActivation(t, l.ID, "pc-1")},
	}
	want := []license.Activation{a}
	for i, tt := range tests {
		// A conflict leaves the transaction usable: what follows commits.
		next := newActivation(t, l.ID, computer(i))
		next.ActivatedAt = t0.Add(time.Duration(i+1) * time.Minute)
		err := s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
			held := tx.License().SeatsHeld
			wantErr(t, "Insert "+tt.name, tx.Insert(tt.a), license.ErrConflict)
			if got := tx.License().SeatsHeld; got != held {
				t.Errorf("SeatsHeld after inserting %s: got %d, want %d", tt.name, got, held)
			}
			return tx.Insert(next)
		})
		mustNil(t, "WithLicense inserting after "+tt.name, err)
		want = append(want, next)
	}
	as, err := s.Activations(ctx, l.ID)
	mustNil(t, "Activations after conflicts", err)
	equal(t, "Activations after conflicts", as, want)
	checkSeatsHeld(t, s, l.ID, len(want))
	checkSeatsHeld(t, s, other.ID, 1)
}

func testEnd(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 5)
	other := mustLicense(t, s, 5)
	at := t0.Add(time.Hour)
	released := mustActivate(t, s, l.ID, "pc-1")
	revoked := mustActivate(t, s, l.ID, "pc-2")
	active := mustActivate(t, s, l.ID, "pc-3")
	foreign := mustActivate(t, s, other.ID, "pc-1")

	for _, tt := range []struct {
		a      *license.Activation
		status license.Status
		held   int
	}{{&released, license.StatusReleased, 2}, {&revoked, license.StatusRevoked, 1}} {
		got := mustEnd(t, s, *tt.a, tt.status, at)
		tt.a.Status = tt.status
		tt.a.ReleasedAt = at
		equal(t, "End("+string(tt.status)+")", got, *tt.a)
		got, err := s.Activation(ctx, tt.a.AID)
		mustNil(t, "Activation", err)
		equal(t, "Activation after End("+string(tt.status)+")", got, *tt.a)
		checkSeatsHeld(t, s, l.ID, tt.held)
	}

	tests := []struct {
		name   string
		aid    string
		status license.Status
		want   error
	}{
		{"release a released activation", released.AID, license.StatusReleased, license.ErrReleased},
		{"revoke a released activation", released.AID, license.StatusRevoked, license.ErrReleased},
		{"release a revoked activation", revoked.AID, license.StatusReleased, license.ErrActivationRevoked},
		{"revoke a revoked activation", revoked.AID, license.StatusRevoked, license.ErrActivationRevoked},
		{"release a missing activation", newID(t), license.StatusReleased, license.ErrNotFound},
		{"release another license's activation", foreign.AID, license.StatusReleased, license.ErrNotFound},
		{"move to active", active.AID, license.StatusActive, license.ErrInvalid},
		{"move to suspended", active.AID, license.StatusSuspended, license.ErrInvalid},
	}
	for _, tt := range tests {
		err := s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
			_, err := tx.End(tt.aid, tt.status, at.Add(time.Hour))
			wantErr(t, tt.name, err, tt.want)
			if got := tx.License().SeatsHeld; got != 1 {
				t.Errorf("SeatsHeld after trying to %s: got %d, want 1", tt.name, got)
			}
			return nil
		})
		mustNil(t, "WithLicense", err)
	}
	for _, a := range []license.Activation{released, revoked, active, foreign} {
		got, err := s.Activation(ctx, a.AID)
		mustNil(t, "Activation", err)
		equal(t, "Activation after failed changes", got, a)
	}
	checkSeatsHeld(t, s, l.ID, 1)
	checkSeatsHeld(t, s, other.ID, 1)
}

func testActiveOnRevokedOn(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 5)
	other := mustLicense(t, s, 5)
	at := t0.Add(time.Hour)
	active := mustActivate(t, s, l.ID, "pc-active")
	mustEnd(t, s, mustActivate(t, s, l.ID, "pc-revoked"), license.StatusRevoked, at)
	mustEnd(t, s, mustActivate(t, s, l.ID, "pc-released"), license.StatusReleased, at)
	// Released, then active again.
	mustEnd(t, s, mustActivate(t, s, l.ID, "pc-again"), license.StatusReleased, at)
	again := newActivation(t, l.ID, "pc-again")
	again.ActivatedAt = at.Add(time.Hour)
	mustInsert(t, s, again)
	// Revoked from another license only.
	mustEnd(t, s, mustActivate(t, s, other.ID, "pc-other"), license.StatusRevoked, at)

	tests := []struct {
		computerID  string
		wantActive  *license.Activation
		wantRevoked bool
	}{
		{"pc-active", &active, false},
		{"pc-revoked", nil, true},
		{"pc-released", nil, false},
		{"pc-again", &again, false},
		{"pc-other", nil, false},
		{"pc-unknown", nil, false},
	}
	err := s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
		for _, tt := range tests {
			got, ok, err := tx.ActiveOn(tt.computerID)
			if err != nil {
				return err
			}
			switch {
			case tt.wantActive == nil && ok:
				t.Errorf("ActiveOn(%s): got %s, want none", tt.computerID, got.AID)
			case tt.wantActive != nil && !ok:
				t.Errorf("ActiveOn(%s): got none, want %s", tt.computerID, tt.wantActive.AID)
			case ok:
				equal(t, "ActiveOn("+tt.computerID+")", got, *tt.wantActive)
			}
			revoked, err := tx.RevokedOn(tt.computerID)
			if err != nil {
				return err
			}
			if revoked != tt.wantRevoked {
				t.Errorf("RevokedOn(%s): got %v, want %v", tt.computerID, revoked, tt.wantRevoked)
			}
		}
		return nil
	})
	mustNil(t, "WithLicense", err)
	checkSeatsHeld(t, s, l.ID, 2)
}

func testConsumeCode(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 1)
	other := mustLicense(t, s, 1)
	mustPutCode(t, s, newCode(l.ID, "pc-1", 1))
	keep := []license.AuthorizationCode{newCode(l.ID, "pc-2", 2), newCode(other.ID, "pc-1", 3)}
	for _, c := range keep {
		mustPutCode(t, s, c)
	}
	tests := []struct {
		name       string
		computerID string
		want       error
	}{
		{"a code", "pc-1", nil},
		{"a consumed code", "pc-1", license.ErrCodeInvalid},
		{"a missing code", "pc-9", license.ErrCodeInvalid},
	}
	err := s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
		for _, tt := range tests {
			wantErr(t, "ConsumeCode of "+tt.name, tx.ConsumeCode(tt.computerID), tt.want)
		}
		return nil
	})
	mustNil(t, "WithLicense", err)
	var got []license.AuthorizationCode
	for _, computerID := range []string{"pc-1", "pc-2"} {
		cs, err := s.Codes(ctx, computerID, t0)
		mustNil(t, "Codes", err)
		got = append(got, cs...)
	}
	sortCodes(got)
	sortCodes(keep)
	equal(t, "Codes after ConsumeCode", got, keep)
}

func testUpdate(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 2, func(l *license.License) { l.Features = []string{"a"} })
	mustActivate(t, s, l.ID, "pc-1")
	l.SeatsHeld = 1
	want := l
	want.Status = license.StatusSuspended
	want.Seats = 7
	want.Features = []string{"b", "c"}
	want.Properties = []license.Property{{Category: "limits", Name: "users", Value: "3", Type: license.PropertyInt, UpdatedAt: t0}}
	want.ExpiresAt = t0.Add(time.Hour)
	want.Customer = license.Customer{Email: "king@example.com", Phone: "+1 555 0100", Name: "Ada King", Company: "Engines"}
	otherID, otherProductKey := newID(t), newID(t)

	tests := []struct {
		name string
		edit func(u *license.License)
		want license.License
	}{
		{"every changeable field", func(u *license.License) {
			u.Status, u.Seats, u.Features, u.Properties = want.Status, want.Seats, want.Features, want.Properties
			u.ExpiresAt, u.Customer = want.ExpiresAt, want.Customer
			// The identity, the credentials, the creation time and the
			// seats held cannot change.
			u.ID = otherID
			u.Key = newKey(t, license.KeyPermanent)
			u.ProductKey = otherProductKey
			u.ProductID = "other"
			u.CreatedAt = t0.Add(time.Hour)
			u.SeatsHeld = 99
		}, want},
		{"clearing", func(u *license.License) {
			u.ExpiresAt, u.Features, u.Properties, u.Customer = time.Time{}, nil, nil, license.Customer{}
		}, func() license.License {
			w := want
			w.ExpiresAt, w.Features, w.Properties, w.Customer = time.Time{}, nil, nil, license.Customer{}
			return w
		}()},
	}
	for _, tt := range tests {
		err := s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
			u := tx.License()
			tt.edit(&u)
			if err := tx.Update(u); err != nil {
				return err
			}
			equal(t, "License() after Update of "+tt.name, tx.License(), tt.want)
			return nil
		})
		mustNil(t, "WithLicense updating "+tt.name, err)
		lookups := []struct {
			name string
			get  func() (license.License, error)
		}{
			{"License", func() (license.License, error) { return s.License(ctx, l.ID) }},
			{"LicenseByKey", func() (license.License, error) { return s.LicenseByKey(ctx, l.Key) }},
			{"LicenseByProductKey", func() (license.License, error) { return s.LicenseByProductKey(ctx, l.ProductKey) }},
			{"LicenseByNumber", func() (license.License, error) { return s.LicenseByNumber(ctx, l.Number) }},
		}
		for _, lu := range lookups {
			got, err := lu.get()
			mustNil(t, lu.name+" after Update of "+tt.name, err)
			equal(t, lu.name+" after Update of "+tt.name, got, tt.want)
		}
	}
	_, err := s.License(ctx, otherID)
	wantErr(t, "License of the ID Update was given", err, license.ErrNotFound)
	_, err = s.LicenseByProductKey(ctx, otherProductKey)
	wantErr(t, "LicenseByProductKey of the product key Update was given", err, license.ErrNotFound)
	checkSeatsHeld(t, s, l.ID, 1)
}

func testActivationLookups(t *testing.T, s license.Store) {
	ctx := t.Context()
	l1 := mustLicense(t, s, 5)
	l2 := mustLicense(t, s, 5)
	act := func(licenseID, computerID string, at time.Time) license.Activation {
		t.Helper()
		a := newActivation(t, licenseID, computerID)
		a.ActivatedAt = at
		return mustInsert(t, s, a)
	}
	a1 := act(l1.ID, "pc-1", t0.Add(2*time.Hour))
	a2 := act(l1.ID, "pc-2", t0.Add(time.Hour))
	a3 := act(l2.ID, "pc-1", t0)
	a4 := act(l2.ID, "pc-2", t0.Add(time.Hour)) // ties with a2: AID decides
	tie := []license.Activation{a2, a4}
	slices.SortFunc(tie, func(a, b license.Activation) int { return strings.Compare(a.AID, b.AID) })

	lists := []struct {
		licenseID string
		want      []license.Activation
	}{
		{l1.ID, []license.Activation{a2, a1}},
		{l2.ID, []license.Activation{a3, a4}},
		{"", []license.Activation{a3, tie[0], tie[1], a1}},
		{newID(t), nil},
	}
	for _, tt := range lists {
		got, err := s.Activations(ctx, tt.licenseID)
		mustNil(t, "Activations", err)
		equal(t, "Activations("+tt.licenseID+")", got, tt.want)
	}

	found := []struct {
		name string
		get  func() (license.Activation, error)
		want license.Activation
	}{
		{"Activation", func() (license.Activation, error) { return s.Activation(ctx, a1.AID) }, a1},
		{"ActivationByComputer", func() (license.Activation, error) { return s.ActivationByComputer(ctx, l2.ID, "pc-1") }, a3},
		{"ActivationByComputerKey", func() (license.Activation, error) { return s.ActivationByComputerKey(ctx, a4.ComputerKey) }, a4},
	}
	for _, tt := range found {
		got, err := tt.get()
		mustNil(t, tt.name, err)
		equal(t, tt.name, got, tt.want)
	}

	missing := []struct {
		name string
		get  func() (license.Activation, error)
	}{
		{"Activation", func() (license.Activation, error) { return s.Activation(ctx, newID(t)) }},
		{"ActivationByComputer, unknown computer", func() (license.Activation, error) { return s.ActivationByComputer(ctx, l1.ID, "pc-9") }},
		{"ActivationByComputer, unknown license", func() (license.Activation, error) { return s.ActivationByComputer(ctx, newID(t), "pc-1") }},
		{"ActivationByComputerKey", func() (license.Activation, error) {
			return s.ActivationByComputerKey(ctx, newKey(t, license.ComputerPermanent))
		}},
	}
	for _, tt := range missing {
		_, err := tt.get()
		wantErr(t, tt.name+"(missing)", err, license.ErrNotFound)
	}

	// A released activation: not by computer, still by AID and computer key.
	released := mustEnd(t, s, a1, license.StatusReleased, t0.Add(3*time.Hour))
	_, err := s.ActivationByComputer(ctx, l1.ID, "pc-1")
	wantErr(t, "ActivationByComputer of a released activation", err, license.ErrNotFound)
	got, err := s.ActivationByComputerKey(ctx, a1.ComputerKey)
	mustNil(t, "ActivationByComputerKey of a released activation", err)
	equal(t, "ActivationByComputerKey of a released activation", got, released)
	got, err = s.Activation(ctx, a1.AID)
	mustNil(t, "Activation of a released activation", err)
	equal(t, "Activation of a released activation", got, released)
}

func testCodes(t *testing.T, s license.Store) {
	ctx := t.Context()
	l1 := mustLicense(t, s, 1)
	l2 := mustLicense(t, s, 1)
	c1 := newCode(l1.ID, "pc-1", 1)
	c1.Channel = license.ChannelSMS
	c1.Attempts = 2
	c1.Properties = []license.PropertyChange{
		{Property: license.Property{Category: "limits", Name: "users", Value: "2", Type: license.PropertyInt, ExpiresAt: t0.Add(24 * time.Hour)}, Relative: true},
		{Property: license.Property{Category: "flags", Name: "beta", Value: "true"}},
	}
	c2 := newCode(l2.ID, "pc-1", 2)
	c2.CreatedAt = t0.Add(-time.Minute)
	c3 := newCode(l1.ID, "pc-2", 3)
	expired := newCode(l2.ID, "pc-2", 4)
	expired.ExpiresAt = t0.Add(-time.Second)
	for _, c := range []license.AuthorizationCode{c1, c2, c3, expired} {
		mustPutCode(t, s, c)
	}

	replacement := newCode(l1.ID, "pc-1", 9)
	replacement.CreatedAt = t0.Add(time.Minute)
	replacement.ExpiresAt = t0.Add(11 * time.Minute)

	tests := []struct {
		name       string
		put        *license.AuthorizationCode
		computerID string
		now        time.Time
		want       []license.AuthorizationCode
	}{
		{"two licenses", nil, "pc-1", t0, []license.AuthorizationCode{c1, c2}},
		{"expired left out", nil, "pc-2", t0, []license.AuthorizationCode{c3}},
		{"before expiry", nil, "pc-2", t0.Add(-time.Hour), []license.AuthorizationCode{c3, expired}},
		{"at expiry", nil, "pc-1", c1.ExpiresAt, nil},
		{"unknown computer", nil, "pc-9", t0, nil},
		{"replaced", &replacement, "pc-1", t0, []license.AuthorizationCode{replacement, c2}},
	}
	for _, tt := range tests {
		if tt.put != nil {
			mustPutCode(t, s, *tt.put)
		}
		got, err := s.Codes(ctx, tt.computerID, tt.now)
		mustNil(t, "Codes "+tt.name, err)
		sortCodes(got)
		sortCodes(tt.want)
		equal(t, "Codes "+tt.name, got, tt.want)
	}
}

// sortCodes orders codes by license ID; the order of Codes is unspecified.
func sortCodes(cs []license.AuthorizationCode) {
	slices.SortFunc(cs, func(a, b license.AuthorizationCode) int { return strings.Compare(a.LicenseID, b.LicenseID) })
}

func testSpendCodeAttempt(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 1)
	c := newCode(l.ID, "pc-1", 1)
	c.Properties = []license.PropertyChange{{Property: license.Property{Category: "limits", Name: "users", Value: "1", Type: license.PropertyInt}, Relative: true}}
	mustPutCode(t, s, c)
	for i := range 3 {
		got, err := s.SpendCodeAttempt(ctx, l.ID, "pc-1", 3, t0)
		mustNil(t, "SpendCodeAttempt", err)
		want := c
		want.Attempts = i
		equal(t, "SpendCodeAttempt", got, want)
	}
	_, err := s.SpendCodeAttempt(ctx, l.ID, "pc-1", 3, t0)
	wantErr(t, "SpendCodeAttempt past max", err, license.ErrCodeInvalid)
	cs, err := s.Codes(ctx, "pc-1", t0)
	mustNil(t, "Codes", err)
	if len(cs) != 0 {
		t.Errorf("Codes after the last attempt: got %d, want 0 (deleted)", len(cs))
	}

	started := newCode(l.ID, "pc-2", 2)
	started.Attempts = 4
	mustPutCode(t, s, started)
	expired := newCode(l.ID, "pc-3", 3)
	mustPutCode(t, s, expired)
	got, err := s.SpendCodeAttempt(ctx, l.ID, "pc-2", 5, t0)
	mustNil(t, "SpendCodeAttempt of a code with 4 attempts", err)
	equal(t, "SpendCodeAttempt of a code with 4 attempts", got, started)

	tests := []struct {
		name       string
		licenseID  string
		computerID string
		now        time.Time
	}{
		{"used up", l.ID, "pc-1", t0},
		{"fifth attempt of five", l.ID, "pc-2", t0},
		{"at expiry", l.ID, "pc-3", expired.ExpiresAt},
		{"unknown computer", l.ID, "pc-9", t0},
		{"unknown license", newID(t), "pc-1", t0},
	}
	for _, tt := range tests {
		_, err := s.SpendCodeAttempt(ctx, tt.licenseID, tt.computerID, 5, tt.now)
		wantErr(t, "SpendCodeAttempt "+tt.name, err, license.ErrCodeInvalid)
		cs, err := s.Codes(ctx, tt.computerID, t0.Add(-time.Hour))
		mustNil(t, "Codes", err)
		if len(cs) != 0 {
			t.Errorf("Codes after SpendCodeAttempt %s: got %d, want 0 (deleted)", tt.name, len(cs))
		}
	}
}

func testDeleteExpiredCodes(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 1)
	for i := 1; i <= 3; i++ {
		c := newCode(l.ID, computer(i), byte(i))
		c.ExpiresAt = t0.Add(time.Duration(i) * time.Minute)
		mustPutCode(t, s, c)
	}
	n, err := s.DeleteExpiredCodes(ctx, t0.Add(2*time.Minute))
	mustNil(t, "DeleteExpiredCodes", err)
	if n != 2 {
		t.Errorf("DeleteExpiredCodes: got %d, want 2", n)
	}
	n, err = s.DeleteExpiredCodes(ctx, t0.Add(2*time.Minute))
	mustNil(t, "DeleteExpiredCodes again", err)
	if n != 0 {
		t.Errorf("DeleteExpiredCodes again: got %d, want 0", n)
	}
	for i, want := range []int{0, 0, 1} {
		cs, err := s.Codes(ctx, computer(i+1), t0.Add(-time.Hour))
		mustNil(t, "Codes", err)
		if len(cs) != want {
			t.Errorf("Codes(%s) after DeleteExpiredCodes: got %d, want %d", computer(i+1), len(cs), want)
		}
	}
}

// sessionHash returns a 32-byte session ID hash starting with b.
func sessionHash(b byte) []byte {
	h := make([]byte, 32)
	for i := range h {
		h[i] = b + byte(i)
	}
	return h
}

func testSession(t *testing.T, s license.Store) {
	ctx := t.Context()
	sess := license.Session{IDHash: sessionHash(1), Kind: license.SessionProductKey, Subject: newID(t), CreatedAt: t0, ExpiresAt: t0.Add(30 * time.Minute)}
	mustNil(t, "CreateSession", s.CreateSession(ctx, sess))
	vendor := license.Session{IDHash: sessionHash(2), Kind: license.SessionVendor, Subject: "admin", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}
	mustNil(t, "CreateSession", s.CreateSession(ctx, vendor))
	dup := vendor
	dup.IDHash = sessionHash(1)
	wantErr(t, "CreateSession with a taken hash", s.CreateSession(ctx, dup), license.ErrConflict)

	tests := []struct {
		name string
		sess license.Session // the session touched, by its hash
		now  time.Time
		want time.Time // the new expiry; zero for ErrNotFound
	}{
		{"touch", sess, t0.Add(10 * time.Minute), t0.Add(40 * time.Minute)},
		{"touch in the new window", sess, t0.Add(39 * time.Minute), t0.Add(69 * time.Minute)},
		{"touch at expiry", sess, t0.Add(69 * time.Minute), time.Time{}},
		{"touch the other", vendor, t0, t0.Add(30 * time.Minute)},
		{"touch missing", license.Session{IDHash: sessionHash(3)}, t0, time.Time{}},
	}
	for _, tt := range tests {
		got, err := s.TouchSession(ctx, tt.sess.IDHash, tt.now, 30*time.Minute)
		if tt.want.IsZero() {
			wantErr(t, "TouchSession "+tt.name, err, license.ErrNotFound)
			continue
		}
		mustNil(t, "TouchSession "+tt.name, err)
		want := tt.sess
		want.ExpiresAt = tt.want
		equal(t, "TouchSession "+tt.name, got, want)
	}

	mustNil(t, "DeleteSession", s.DeleteSession(ctx, vendor.IDHash))
	_, err := s.TouchSession(ctx, vendor.IDHash, t0, time.Minute)
	wantErr(t, "TouchSession after DeleteSession", err, license.ErrNotFound)
	mustNil(t, "DeleteSession of a missing session", s.DeleteSession(ctx, vendor.IDHash))
}

func testDeleteExpiredSessions(t *testing.T, s license.Store) {
	ctx := t.Context()
	for i := 1; i <= 3; i++ {
		sess := license.Session{IDHash: sessionHash(byte(i)), Kind: license.SessionVendor, Subject: "admin", CreatedAt: t0, ExpiresAt: t0.Add(time.Duration(i) * time.Minute)}
		mustNil(t, "CreateSession", s.CreateSession(ctx, sess))
	}
	n, err := s.DeleteExpiredSessions(ctx, t0.Add(2*time.Minute))
	mustNil(t, "DeleteExpiredSessions", err)
	if n != 2 {
		t.Errorf("DeleteExpiredSessions: got %d, want 2", n)
	}
	n, err = s.DeleteExpiredSessions(ctx, t0.Add(2*time.Minute))
	mustNil(t, "DeleteExpiredSessions again", err)
	if n != 0 {
		t.Errorf("DeleteExpiredSessions again: got %d, want 0", n)
	}
	_, err = s.TouchSession(ctx, sessionHash(3), t0, time.Minute)
	mustNil(t, "TouchSession of the live session", err)
	_, err = s.TouchSession(ctx, sessionHash(1), t0, time.Minute)
	wantErr(t, "TouchSession of a deleted session", err, license.ErrNotFound)
}

// A bucket step takes or returns a token at a time.
type bucketStep struct {
	name   string
	at     time.Duration // after t0
	give   bool          // ReturnToken rather than TakeToken
	wantOK bool          // what TakeToken reports
}

// runBucket runs steps on bucket b of s.
func runBucket(t *testing.T, s license.Store, b license.Bucket, steps []bucketStep) {
	t.Helper()
	ctx := t.Context()
	for _, st := range steps {
		now := t0.Add(st.at)
		if st.give {
			mustNil(t, "ReturnToken "+st.name, s.ReturnToken(ctx, b, now))
			continue
		}
		ok, err := s.TakeToken(ctx, b, now)
		mustNil(t, "TakeToken "+st.name, err)
		if ok != st.wantOK {
			t.Errorf("TakeToken %s: got %v, want %v", st.name, ok, st.wantOK)
		}
	}
}

// newBucket returns a bucket with a fresh key.
func newBucket(t *testing.T, burst int, window time.Duration) license.Bucket {
	return license.Bucket{Key: "storetest:" + newID(t), Burst: burst, Window: window}
}

func testTakeToken(t *testing.T, s license.Store) {
	// Three tokens, one more every minute.
	b := newBucket(t, 3, 3*time.Minute)
	other := newBucket(t, 3, 3*time.Minute)
	runBucket(t, s, b, []bucketStep{
		{name: "first", wantOK: true},
		{name: "second", wantOK: true},
		{name: "third", wantOK: true},
		{name: "from an empty bucket", wantOK: false},
		{name: "before a token refilled", at: 59 * time.Second, wantOK: false},
		{name: "earlier than the last take", at: -time.Hour, wantOK: false},
		{name: "once a token refilled", at: time.Minute, wantOK: true},
		{name: "right after", at: time.Minute, wantOK: false},
		{name: "half a token later", at: 90 * time.Second, wantOK: false},
		{name: "a token later", at: 2 * time.Minute, wantOK: true},
		{name: "long after", at: 24 * time.Hour, wantOK: true},
		{name: "long after, second", at: 24 * time.Hour, wantOK: true},
		{name: "long after, third", at: 24 * time.Hour, wantOK: true},
		{name: "long after, never above the burst", at: 24 * time.Hour, wantOK: false},
	})
	// Buckets are apart.
	runBucket(t, s, other, []bucketStep{
		{name: "another bucket", wantOK: true},
	})
	// A burst of one.
	runBucket(t, s, newBucket(t, 1, time.Hour), []bucketStep{
		{name: "burst of one", wantOK: true},
		{name: "burst of one, again", wantOK: false},
		{name: "burst of one, an hour later", at: time.Hour, wantOK: true},
	})
}

func testReturnToken(t *testing.T, s license.Store) {
	b := newBucket(t, 2, time.Hour)
	runBucket(t, s, b, []bucketStep{
		{name: "first", wantOK: true},
		{name: "second", wantOK: true},
		{name: "from an empty bucket", wantOK: false},
		{name: "a token", give: true},
		{name: "the returned token", wantOK: true},
		{name: "empty again", wantOK: false},
		{name: "a token", give: true},
		{name: "a second token", give: true},
		{name: "a third token, above the burst", give: true},
		{name: "back to full: first", wantOK: true},
		{name: "back to full: second", wantOK: true},
		{name: "never above the burst", wantOK: false},
	})
	// Returning to a bucket not stored does nothing: it starts full.
	fresh := newBucket(t, 2, time.Hour)
	runBucket(t, s, fresh, []bucketStep{
		{name: "to a bucket not stored", give: true},
		{name: "fresh: first", wantOK: true},
		{name: "fresh: second", wantOK: true},
		{name: "fresh: third", wantOK: false},
	})
}

func testDeleteFullBuckets(t *testing.T, s license.Store) {
	ctx := t.Context()
	// Two tokens each, one more every minute.
	half := newBucket(t, 2, 2*time.Minute)  // full again a minute after t0
	empty := newBucket(t, 2, 2*time.Minute) // full again two minutes after t0
	given := newBucket(t, 2, 2*time.Minute) // full again at t0
	runBucket(t, s, half, []bucketStep{{name: "half", wantOK: true}})
	runBucket(t, s, empty, []bucketStep{{name: "empty", wantOK: true}, {name: "empty", wantOK: true}})
	runBucket(t, s, given, []bucketStep{{name: "given", wantOK: true}, {name: "given back", give: true}})
	tests := []struct {
		at   time.Duration
		want int
	}{
		{0, 1},
		{59 * time.Second, 0},
		{time.Minute, 1},
		{time.Minute, 0},
		{2 * time.Minute, 1},
		{time.Hour, 0},
	}
	for _, tt := range tests {
		n, err := s.DeleteFullBuckets(ctx, t0.Add(tt.at))
		mustNil(t, "DeleteFullBuckets", err)
		if n != tt.want {
			t.Errorf("DeleteFullBuckets at t0+%v: got %d, want %d", tt.at, n, tt.want)
		}
	}
	// A deleted bucket was full: it starts full again.
	runBucket(t, s, empty, []bucketStep{
		{name: "deleted: first", at: time.Hour, wantOK: true},
		{name: "deleted: second", at: time.Hour, wantOK: true},
		{name: "deleted: third", at: time.Hour, wantOK: false},
	})
}

func testTimes(t *testing.T, s license.Store) {
	ctx := t.Context()
	zone := time.FixedZone("UTC+2", 2*60*60)
	in := time.Date(2031, 5, 6, 9, 8, 7, 123456789, zone)
	want := time.Date(2031, 5, 6, 7, 8, 7, 123456000, time.UTC)
	check := func(what string, got, want time.Time) {
		t.Helper()
		if got != want || got.Location() != time.UTC {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}

	p := newProduct(t, "times")
	p.CreatedAt = in
	mustNil(t, "CreateProduct", s.CreateProduct(ctx, p))
	gp, err := s.Product(ctx, p.ID)
	mustNil(t, "Product", err)
	check("Product.CreatedAt", gp.CreatedAt, want)

	l := newLicense(t, p.ID, 2)
	l.CreatedAt = in
	l.ExpiresAt = in.Add(time.Hour)
	l.Properties = []license.Property{{Category: "c", Name: "n", Value: "v", Type: license.PropertyString, ExpiresAt: in, UpdatedAt: in}}
	mustNil(t, "CreateLicense", s.CreateLicense(ctx, l))
	gl, err := s.License(ctx, l.ID)
	mustNil(t, "License", err)
	check("License.CreatedAt", gl.CreatedAt, want)
	check("License.ExpiresAt", gl.ExpiresAt, want.Add(time.Hour))
	check("Property.ExpiresAt", gl.Properties[0].ExpiresAt, want)
	check("Property.UpdatedAt", gl.Properties[0].UpdatedAt, want)

	a := newActivation(t, l.ID, "pc-1")
	a.ActivatedAt = in
	err = s.WithLicense(ctx, l.ID, func(tx license.LicenseTx) error {
		u := tx.License()
		u.ExpiresAt = in.Add(2 * time.Hour)
		u.Properties = []license.Property{{Category: "c", Name: "n", Value: "w", Type: license.PropertyString, ExpiresAt: in, UpdatedAt: in}}
		if err := tx.Update(u); err != nil {
			return err
		}
		gl := tx.License()
		check("License().ExpiresAt after Update", gl.ExpiresAt, want.Add(2*time.Hour))
		check("License() property UpdatedAt after Update", gl.Properties[0].UpdatedAt, want)
		if err := tx.Insert(a); err != nil {
			return err
		}
		ga, _, err := tx.ActiveOn("pc-1")
		if err != nil {
			return err
		}
		check("ActiveOn: ActivatedAt", ga.ActivatedAt, want)
		ga, err = tx.End(a.AID, license.StatusReleased, in)
		if err != nil {
			return err
		}
		check("End: ActivatedAt", ga.ActivatedAt, want)
		check("End: ReleasedAt", ga.ReleasedAt, want)
		return nil
	})
	mustNil(t, "WithLicense", err)
	gl, err = s.License(ctx, l.ID)
	mustNil(t, "License", err)
	check("License.ExpiresAt after Update", gl.ExpiresAt, want.Add(2*time.Hour))
	ga, err := s.Activation(ctx, a.AID)
	mustNil(t, "Activation", err)
	check("Activation.ActivatedAt", ga.ActivatedAt, want)
	check("Activation.ReleasedAt", ga.ReleasedAt, want)

	c := newCode(l.ID, "pc-1", 1)
	c.CreatedAt = in
	c.ExpiresAt = in.Add(time.Minute)
	c.Properties = []license.PropertyChange{{Property: license.Property{Category: "c", Name: "n", Value: "v", ExpiresAt: in}}}
	mustPutCode(t, s, c)
	cs, err := s.Codes(ctx, "pc-1", in)
	mustNil(t, "Codes", err)
	if len(cs) != 1 {
		t.Fatalf("Codes: got %d, want 1", len(cs))
	}
	check("Code.CreatedAt", cs[0].CreatedAt, want)
	check("Code.ExpiresAt", cs[0].ExpiresAt, want.Add(time.Minute))
	check("Code property ExpiresAt", cs[0].Properties[0].ExpiresAt, want)
	gc, err := s.SpendCodeAttempt(ctx, l.ID, "pc-1", 5, in)
	mustNil(t, "SpendCodeAttempt", err)
	check("SpendCodeAttempt: ExpiresAt", gc.ExpiresAt, want.Add(time.Minute))

	sess := license.Session{IDHash: sessionHash(1), Kind: license.SessionVendor, Subject: "admin", CreatedAt: in, ExpiresAt: in.Add(time.Minute)}
	mustNil(t, "CreateSession", s.CreateSession(ctx, sess))
	gs, err := s.TouchSession(ctx, sess.IDHash, in, time.Hour)
	mustNil(t, "TouchSession", err)
	check("Session.CreatedAt", gs.CreatedAt, want)
	check("Session.ExpiresAt", gs.ExpiresAt, want.Add(time.Hour))

	// A bucket at a time with nanoseconds and a zone: a token refills a
	// minute later, to the microsecond.
	b := newBucket(t, 1, time.Minute)
	for _, st := range []struct {
		at   time.Time
		want bool
	}{{in, true}, {in.Add(time.Minute - time.Microsecond), false}, {in.Add(time.Minute), true}} {
		ok, err := s.TakeToken(ctx, b, st.at)
		mustNil(t, "TakeToken", err)
		if ok != st.want {
			t.Errorf("TakeToken at %v: got %v, want %v", st.at, ok, st.want)
		}
	}
}

func testCopies(t *testing.T, s license.Store) {
	ctx := t.Context()
	p := mustProduct(t, s, "copies")
	l := newLicense(t, p.ID, 3)
	l.Features = []string{"a", "b"}
	l.Properties = []license.Property{{Category: "c", Name: "n", Value: "v", Type: license.PropertyString, UpdatedAt: t0}}
	want := cloneLicense(l)
	mustNil(t, "CreateLicense", s.CreateLicense(ctx, l))
	l.Features[0] = "changed"
	l.Properties[0].Value = "changed"
	checkLicense := func(what string) {
		t.Helper()
		got, err := s.License(ctx, want.ID)
		mustNil(t, what, err)
		equal(t, what, got, want)
	}
	checkLicense("License after changing the created license")

	got, err := s.License(ctx, want.ID)
	mustNil(t, "License", err)
	got.Features[0] = "changed"
	got.Properties[0].Value = "changed"
	checkLicense("License after changing a returned license")
	ls, err := s.Licenses(ctx, "")
	mustNil(t, "Licenses", err)
	ls[0].Features[0] = "changed"
	ls, err = s.LicensesByEmail(ctx, want.Email, want.ProductID)
	mustNil(t, "LicensesByEmail", err)
	ls[0].Features[0] = "changed"
	got, err = s.LicenseByKey(ctx, want.Key)
	mustNil(t, "LicenseByKey", err)
	got.Features[0] = "changed"
	got, err = s.LicenseByProductKey(ctx, want.ProductKey)
	mustNil(t, "LicenseByProductKey", err)
	got.Features[0] = "changed"
	checkLicense("License after changing listed licenses")

	// What fn does to the licenses a LicenseTx gives and takes stays its
	// own.
	a := newActivation(t, want.ID, "pc-1")
	a.Attributes = []license.Attribute{{Name: "n", Value: "v"}}
	wantA := a
	wantA.Attributes = slices.Clone(a.Attributes)
	updated := cloneLicense(want)
	updated.Features = []string{"x", "y"}
	updated.Properties = []license.Property{{Category: "c", Name: "m", Value: "w", Type: license.PropertyString, UpdatedAt: t0}}
	err = s.WithLicense(ctx, want.ID, func(tx license.LicenseTx) error {
		cur := tx.License()
		cur.Features[0] = "changed"
		cur.Properties[0].Value = "changed"
		equal(t, "License() after changing a returned license", tx.License(), want)
		if err := tx.Insert(a); err != nil {
			return err
		}
		a.Attributes[0].Value = "changed"
		got, _, err := tx.ActiveOn("pc-1")
		if err != nil {
			return err
		}
		equal(t, "ActiveOn after changing the inserted activation", got, withAttributes(wantA))
		got.Attributes[0].Value = "changed"
		u := cloneLicense(updated)
		if err := tx.Update(u); err != nil {
			return err
		}
		u.Features[0] = "changed"
		u.Properties[0].Value = "changed"
		equal(t, "License() after changing the updated license", tx.License(), withHeld(updated, 1))
		return nil
	})
	mustNil(t, "WithLicense", err)
	want = withHeld(updated, 1)
	checkLicense("License after changing the licenses of a LicenseTx")
	ga, err := s.Activation(ctx, a.AID)
	mustNil(t, "Activation", err)
	equal(t, "Activation after changing attributes", ga, wantA)
	ga.Attributes[0].Value = "changed"
	as, err := s.Activations(ctx, want.ID)
	mustNil(t, "Activations", err)
	as[0].Attributes[0].Value = "changed"
	ga, err = s.ActivationByComputer(ctx, want.ID, "pc-1")
	mustNil(t, "ActivationByComputer", err)
	ga.Attributes[0].Value = "changed"
	ga, err = s.ActivationByComputerKey(ctx, a.ComputerKey)
	mustNil(t, "ActivationByComputerKey", err)
	equal(t, "ActivationByComputerKey after changing returned attributes", ga, wantA)

	c := newCode(want.ID, "pc-2", 1)
	c.Properties = []license.PropertyChange{{Property: license.Property{Category: "c", Name: "n", Value: "v"}}}
	wantC := c
	wantC.Hash = slices.Clone(c.Hash)
	wantC.Properties = slices.Clone(c.Properties)
	mustPutCode(t, s, c)
	c.Hash[0] = 0xff
	c.Properties[0].Value = "changed"
	cs, err := s.Codes(ctx, "pc-2", t0)
	mustNil(t, "Codes", err)
	equal(t, "Codes after changing the put code", cs, []license.AuthorizationCode{wantC})
	cs[0].Hash[0] = 0xff
	cs[0].Properties[0].Value = "changed"
	gc, err := s.SpendCodeAttempt(ctx, want.ID, "pc-2", 5, t0)
	mustNil(t, "SpendCodeAttempt", err)
	equal(t, "SpendCodeAttempt after changing listed codes", gc, wantC)
	gc.Hash[0] = 0xff
	wantC.Attempts = 1
	cs, err = s.Codes(ctx, "pc-2", t0)
	mustNil(t, "Codes", err)
	equal(t, "Codes after changing a spent code", cs, []license.AuthorizationCode{wantC})

	hash := sessionHash(1)
	sess := license.Session{IDHash: hash, Kind: license.SessionVendor, Subject: "admin", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	mustNil(t, "CreateSession", s.CreateSession(ctx, sess))
	hash[0] = 0xff
	gs, err := s.TouchSession(ctx, sessionHash(1), t0, time.Hour)
	mustNil(t, "TouchSession after changing the created hash", err)
	gs.IDHash[0] = 0xff
	_, err = s.TouchSession(ctx, sessionHash(1), t0, time.Hour)
	mustNil(t, "TouchSession after changing a returned hash", err)
}

// withAttributes returns a with a copy of its attributes.
func withAttributes(a license.Activation) license.Activation {
	a.Attributes = slices.Clone(a.Attributes)
	return a
}

// cloneLicense returns a copy of l that shares no slice with it.
func cloneLicense(l license.License) license.License {
	l.Features = slices.Clone(l.Features)
	l.Properties = slices.Clone(l.Properties)
	return l
}
