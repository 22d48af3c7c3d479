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
		{"UpdateLicense", testUpdateLicense},
		{"Activate", testActivate},
		{"ActivateSeats", testActivateSeats},
		{"ActivateRevokedComputer", testActivateRevokedComputer},
		{"ActivateCheck", testActivateCheck},
		{"ActivateCode", testActivateCode},
		{"ActivateProperties", testActivateProperties},
		{"ActivateConflict", testActivateConflict},
		{"ActivationLookups", testActivationLookups},
		{"SetActivationStatus", testSetActivationStatus},
		{"Codes", testCodes},
		{"SpendCodeAttempt", testSpendCodeAttempt},
		{"DeleteExpiredCodes", testDeleteExpiredCodes},
		{"Session", testSession},
		{"DeleteExpiredSessions", testDeleteExpiredSessions},
		{"Times", testTimes},
		{"Copies", testCopies},
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
	minimal := newLicense(t, p.ID, 1)

	for _, l := range []license.License{full, minimal} {
		mustNil(t, "CreateLicense", s.CreateLicense(ctx, l))
		got, err := s.License(ctx, l.ID)
		mustNil(t, "License", err)
		equal(t, "License", got, l)
		got, err = s.LicenseByKey(ctx, l.Key)
		mustNil(t, "LicenseByKey", err)
		equal(t, "LicenseByKey", got, l)
	}

	sameID := newLicense(t, p.ID, 1)
	sameID.ID = full.ID
	sameKey := newLicense(t, p.ID, 1)
	sameKey.Key = full.Key
	noProduct := newLicense(t, "no-such-product", 1)
	tests := []struct {
		name string
		l    license.License
		want error
	}{
		{"taken ID", sameID, license.ErrConflict},
		{"taken key", sameKey, license.ErrConflict},
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
	equal(t, "License after conflicts", got, full)

	_, err = s.License(ctx, newID(t))
	wantErr(t, "License(missing)", err, license.ErrNotFound)
	_, err = s.LicenseByKey(ctx, newKey(t, license.KeyPermanent))
	wantErr(t, "LicenseByKey(missing)", err, license.ErrNotFound)
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
		{"Licenses of a product", func() ([]license.License, error) { return s.Licenses(ctx, pa.ID) }, []license.License{l3, tie[0], tie[1], l1}},
		{"Licenses of another product", func() ([]license.License, error) { return s.Licenses(ctx, pb.ID) }, []license.License{l4}},
		{"Licenses of an unknown product", func() ([]license.License, error) { return s.Licenses(ctx, "no-such-product") }, nil},
		{"Licenses of every product", func() ([]license.License, error) { return s.Licenses(ctx, "") }, []license.License{l3, tie[0], tie[1], l1, l4}},
	}
	for _, tt := range tests {
		got, err := tt.list()
		mustNil(t, tt.name, err)
		equal(t, tt.name, got, tt.want)
	}
}

func testUpdateLicense(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 2, func(l *license.License) { l.Features = []string{"a"} })
	var seen license.License
	got, err := s.UpdateLicense(ctx, l.ID, func(cur *license.License) error {
		seen = *cur
		cur.Status = license.StatusSuspended
		cur.Seats = 7
		cur.Features = []string{"b", "c"}
		cur.Properties = []license.Property{{Category: "limits", Name: "users", Value: "3", Type: license.PropertyInt, UpdatedAt: t0}}
		cur.ExpiresAt = t0.Add(time.Hour)
		cur.Name = "Ada King"
		cur.Phone = "+1 555 0100"
		// The identity cannot change.
		cur.ID = "00000000-0000-4000-8000-000000000000"
		cur.Key = "other"
		cur.ProductID = "other"
		return nil
	})
	mustNil(t, "UpdateLicense", err)
	equal(t, "license fn saw", seen, l)
	want := l
	want.Status = license.StatusSuspended
	want.Seats = 7
	want.Features = []string{"b", "c"}
	want.Properties = []license.Property{{Category: "limits", Name: "users", Value: "3", Type: license.PropertyInt, UpdatedAt: t0}}
	want.ExpiresAt = t0.Add(time.Hour)
	want.Name = "Ada King"
	want.Phone = "+1 555 0100"
	equal(t, "UpdateLicense", got, want)
	stored, err := s.License(ctx, l.ID)
	mustNil(t, "License after UpdateLicense", err)
	equal(t, "License after UpdateLicense", stored, want)
	stored, err = s.LicenseByKey(ctx, l.Key)
	mustNil(t, "LicenseByKey after UpdateLicense", err)
	equal(t, "LicenseByKey after UpdateLicense", stored, want)

	// Clearing expiry and features.
	got, err = s.UpdateLicense(ctx, l.ID, func(cur *license.License) error {
		cur.ExpiresAt = time.Time{}
		cur.Features = nil
		return nil
	})
	mustNil(t, "UpdateLicense clearing", err)
	want.ExpiresAt = time.Time{}
	want.Features = nil
	equal(t, "UpdateLicense clearing", got, want)
	stored, err = s.License(ctx, l.ID)
	mustNil(t, "License after clearing", err)
	equal(t, "License after clearing", stored, want)

	_, err = s.UpdateLicense(ctx, l.ID, func(cur *license.License) error {
		cur.Seats = 99
		return errBoom
	})
	wantErr(t, "UpdateLicense with a failing fn", err, errBoom)
	stored, err = s.License(ctx, l.ID)
	mustNil(t, "License after a failing fn", err)
	equal(t, "License after a failing fn", stored, want)

	called := false
	_, err = s.UpdateLicense(ctx, newID(t), func(*license.License) error { called = true; return nil })
	wantErr(t, "UpdateLicense(missing)", err, license.ErrNotFound)
	if called {
		t.Errorf("UpdateLicense(missing) called fn: got true, want false")
	}
}

func testActivate(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 2)
	a := newActivation(t, l.ID, "pc-1")
	a.ComputerName = "Ada's PC"
	a.Attributes = []license.Attribute{
		{Name: "C2V", Value: `<?xml version="1.0"?><hasp_info>…</hasp_info>`, Group: "g", ISVPermission: "rw", EndUserPermission: "r"},
		{Name: "Plain", Value: "v"},
	}
	a.Comments = "first activation"
	var checked []license.License
	got, existing, err := s.Activate(ctx, license.ActivateParams{
		Activation: a,
		Check:      func(cur license.License) error { checked = append(checked, cur); return nil },
	})
	mustNil(t, "Activate", err)
	if existing {
		t.Errorf("Activate: got existing %v, want false", existing)
	}
	equal(t, "Activate", got, a)
	equal(t, "licenses Check saw", checked, []license.License{l})

	lookups := []struct {
		name string
		get  func() (license.Activation, error)
	}{
		{"Activation", func() (license.Activation, error) { return s.Activation(ctx, a.AID) }},
		{"ActivationByComputer", func() (license.Activation, error) { return s.ActivationByComputer(ctx, l.ID, "pc-1") }},
		{"ActivationByComputerKey", func() (license.Activation, error) { return s.ActivationByComputerKey(ctx, a.ComputerKey) }},
	}
	for _, lu := range lookups {
		got, err := lu.get()
		mustNil(t, lu.name, err)
		equal(t, lu.name, got, a)
	}

	// The same computer again, without a Check: the first activation.
	again := newActivation(t, l.ID, "pc-1")
	got, existing, err = s.Activate(ctx, license.ActivateParams{Activation: again})
	mustNil(t, "Activate again", err)
	if !existing {
		t.Errorf("Activate again: got existing %v, want true", existing)
	}
	equal(t, "Activate again", got, a)
	as, err := s.Activations(ctx, l.ID)
	mustNil(t, "Activations", err)
	equal(t, "Activations", as, []license.Activation{a})
	_, err = s.Activation(ctx, again.AID)
	wantErr(t, "Activation of the AID not inserted", err, license.ErrNotFound)

	called := false
	_, _, err = s.Activate(ctx, license.ActivateParams{
		Activation: newActivation(t, newID(t), "pc-1"),
		Check:      func(license.License) error { called = true; return nil },
	})
	wantErr(t, "Activate on a missing license", err, license.ErrNotFound)
	if called {
		t.Errorf("Activate on a missing license called Check: got true, want false")
	}
}

func testActivateSeats(t *testing.T, s license.Store) {
	ctx := t.Context()
	at := t0.Add(time.Hour)
	l := mustLicense(t, s, 2)
	a1 := mustActivate(t, s, l.ID, "pc-1")
	a2 := mustActivate(t, s, l.ID, "pc-2")

	_, _, err := s.Activate(ctx, license.ActivateParams{Activation: newActivation(t, l.ID, "pc-3")})
	wantErr(t, "Activate a third computer on two seats", err, license.ErrNoSeats)
	got, existing, err := s.Activate(ctx, license.ActivateParams{Activation: newActivation(t, l.ID, "pc-1")})
	mustNil(t, "Activate a computer that holds a seat of a full license", err)
	if !existing || got.AID != a1.AID {
		t.Errorf("Activate a computer that holds a seat: got AID %s existing %v, want %s true", got.AID, existing, a1.AID)
	}

	_, err = s.SetActivationStatus(ctx, a1.AID, license.StatusReleased, at)
	mustNil(t, "SetActivationStatus(released)", err)
	a3 := mustActivate(t, s, l.ID, "pc-3")
	_, _, err = s.Activate(ctx, license.ActivateParams{Activation: newActivation(t, l.ID, "pc-1")})
	wantErr(t, "Activate a released computer on a full license", err, license.ErrNoSeats)

	_, err = s.SetActivationStatus(ctx, a2.AID, license.StatusRevoked, at)
	mustNil(t, "SetActivationStatus(revoked)", err)
	a4 := mustActivate(t, s, l.ID, "pc-1")
	if a4.AID == a1.AID {
		t.Errorf("Activate a released computer: got the released AID %s, want a new one", a4.AID)
	}
	as, err := s.Activations(ctx, l.ID)
	mustNil(t, "Activations", err)
	if got, want := len(as), 4; got != want {
		t.Errorf("Activations: got %d, want %d", got, want)
	}
	if got, want := countActive(as), 2; got != want {
		t.Errorf("active activations: got %d, want %d", got, want)
	}
	n, err := s.CountActive(ctx, l.ID)
	mustNil(t, "CountActive", err)
	if n != 2 {
		t.Errorf("CountActive: got %d, want 2", n)
	}
	n, err = s.CountActive(ctx, newActivation(t, l.ID, "x").AID)
	mustNil(t, "CountActive of an unknown license", err)
	if n != 0 {
		t.Errorf("CountActive of an unknown license: got %d, want 0", n)
	}
	for _, a := range []license.Activation{a3, a4} {
		got, err := s.Activation(ctx, a.AID)
		mustNil(t, "Activation", err)
		equal(t, "Activation", got, a)
	}
}

// testActivateRevokedComputer checks that a computer whose activation was
// revoked cannot activate the license again, while a released one can, and
// that the rule is per license.
func testActivateRevokedComputer(t *testing.T, s license.Store) {
	ctx := t.Context()
	at := t0.Add(time.Hour)
	l := mustLicense(t, s, 3)
	other := mustLicense(t, s, 1)
	a := mustActivate(t, s, l.ID, "pc-r")
	_, err := s.SetActivationStatus(ctx, a.AID, license.StatusRevoked, at)
	mustNil(t, "SetActivationStatus(revoked)", err)
	_, _, err = s.Activate(ctx, license.ActivateParams{Activation: newActivation(t, l.ID, "pc-r")})
	wantErr(t, "Activate a revoked computer again", err, license.ErrRevoked)
	mustActivate(t, s, other.ID, "pc-r") // another license is not affected

	b := mustActivate(t, s, l.ID, "pc-s")
	_, err = s.SetActivationStatus(ctx, b.AID, license.StatusReleased, at)
	mustNil(t, "SetActivationStatus(released)", err)
	if c := mustActivate(t, s, l.ID, "pc-s"); c.AID == b.AID {
		t.Errorf("Activate a released computer: got the released AID %s, want a new one", c.AID)
	}
}

func testActivateCheck(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 1)
	mustPutCode(t, s, newCode(l.ID, "pc-1", 1))

	_, _, err := s.Activate(ctx, license.ActivateParams{
		Activation: newActivation(t, l.ID, "pc-1"),
		Check:      func(license.License) error { return errBoom },
		Code:       license.CodeRef{LicenseID: l.ID, ComputerID: "pc-1"},
	})
	if err != errBoom {
		t.Errorf("Activate with a failing Check: got error %v, want %v as is", err, errBoom)
	}
	as, err := s.Activations(ctx, l.ID)
	mustNil(t, "Activations", err)
	if len(as) != 0 {
		t.Errorf("Activations after a failing Check: got %d, want 0", len(as))
	}
	cs, err := s.Codes(ctx, "pc-1", t0)
	mustNil(t, "Codes", err)
	if len(cs) != 1 {
		t.Errorf("Codes after a failing Check: got %d, want 1 (not consumed)", len(cs))
	}

	// Check sees the license as it is now.
	_, err = s.UpdateLicense(ctx, l.ID, func(cur *license.License) error {
		cur.Status = license.StatusSuspended
		return nil
	})
	mustNil(t, "UpdateLicense", err)
	var seen license.License
	_, _, err = s.Activate(ctx, license.ActivateParams{
		Activation: newActivation(t, l.ID, "pc-1"),
		Check:      func(cur license.License) error { seen = cur; return cur.Usable(t0) },
	})
	wantErr(t, "Activate a suspended license", err, license.ErrSuspended)
	if seen.Status != license.StatusSuspended {
		t.Errorf("status Check saw: got %v, want %v", seen.Status, license.StatusSuspended)
	}

	// Check runs before the existing activation is returned.
	_, err = s.UpdateLicense(ctx, l.ID, func(cur *license.License) error {
		cur.Status = license.StatusActive
		return nil
	})
	mustNil(t, "UpdateLicense", err)
	mustActivate(t, s, l.ID, "pc-1")
	_, _, err = s.Activate(ctx, license.ActivateParams{
		Activation: newActivation(t, l.ID, "pc-1"),
		Check:      func(license.License) error { return errBoom },
	})
	wantErr(t, "Activate an activated computer with a failing Check", err, errBoom)
}

func testActivateCode(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 2)
	ref := license.CodeRef{LicenseID: l.ID, ComputerID: "pc-1"}
	mustPutCode(t, s, newCode(l.ID, "pc-1", 1))
	other := newCode(l.ID, "pc-2", 2) // must survive
	mustPutCode(t, s, other)

	a := newActivation(t, l.ID, "pc-1")
	got, existing, err := s.Activate(ctx, license.ActivateParams{Activation: a, Code: ref})
	mustNil(t, "Activate with a code", err)
	if existing {
		t.Errorf("Activate with a code: got existing %v, want false", existing)
	}
	equal(t, "Activate with a code", got, a)
	cs, err := s.Codes(ctx, "pc-1", t0)
	mustNil(t, "Codes", err)
	if len(cs) != 0 {
		t.Errorf("Codes after Activate with a code: got %d, want 0 (consumed)", len(cs))
	}
	cs, err = s.Codes(ctx, "pc-2", t0)
	mustNil(t, "Codes", err)
	equal(t, "Codes of another computer", cs, []license.AuthorizationCode{other})

	_, _, err = s.Activate(ctx, license.ActivateParams{Activation: newActivation(t, l.ID, "pc-1"), Code: ref})
	wantErr(t, "Activate with a used code", err, license.ErrCodeInvalid)
	_, _, err = s.Activate(ctx, license.ActivateParams{
		Activation: newActivation(t, l.ID, "pc-3"),
		Code:       license.CodeRef{LicenseID: l.ID, ComputerID: "pc-3"},
	})
	wantErr(t, "Activate with a missing code", err, license.ErrCodeInvalid)
	_, err = s.ActivationByComputer(ctx, l.ID, "pc-3")
	wantErr(t, "ActivationByComputer after a missing code", err, license.ErrNotFound)

	// The existing-activation path consumes the code too.
	mustPutCode(t, s, newCode(l.ID, "pc-1", 3))
	got, existing, err = s.Activate(ctx, license.ActivateParams{Activation: newActivation(t, l.ID, "pc-1"), Code: ref})
	mustNil(t, "Activate an activated computer with a code", err)
	if !existing || got.AID != a.AID {
		t.Errorf("Activate an activated computer with a code: got AID %s existing %v, want %s true", got.AID, existing, a.AID)
	}
	cs, err = s.Codes(ctx, "pc-1", t0)
	mustNil(t, "Codes", err)
	if len(cs) != 0 {
		t.Errorf("Codes after the existing path: got %d, want 0 (consumed)", len(cs))
	}
	as, err := s.Activations(ctx, l.ID)
	mustNil(t, "Activations", err)
	equal(t, "Activations", as, []license.Activation{a})
}

func testActivateProperties(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 2, func(l *license.License) {
		l.Properties = []license.Property{{Category: "limits", Name: "users", Value: "10", Type: license.PropertyInt, UpdatedAt: t0}}
	})
	changes := []license.PropertyChange{
		{Property: license.Property{Category: "limits", Name: "users", Value: "5"}, Relative: true},
		{Property: license.Property{Category: "flags", Name: "beta", Value: "true"}},
	}
	a := newActivation(t, l.ID, "pc-1")
	a.ActivatedAt = t0.Add(time.Hour)
	_, _, err := s.Activate(ctx, license.ActivateParams{Activation: a, Properties: changes})
	mustNil(t, "Activate with properties", err)
	want := l
	want.Properties = slices.Clone(l.Properties)
	mustNil(t, "ApplyPropertyChanges", license.ApplyPropertyChanges(&want, changes, a.ActivatedAt))
	got, err := s.License(ctx, l.ID)
	mustNil(t, "License", err)
	equal(t, "License after Activate with properties", got, want)

	// Applied on the existing-activation path too, at its ActivatedAt.
	again := newActivation(t, l.ID, "pc-1")
	again.ActivatedAt = t0.Add(2 * time.Hour)
	more := []license.PropertyChange{{Property: license.Property{Category: "limits", Name: "users", Value: "-1"}, Relative: true}}
	_, existing, err := s.Activate(ctx, license.ActivateParams{Activation: again, Properties: more})
	mustNil(t, "Activate again with properties", err)
	if !existing {
		t.Errorf("Activate again: got existing %v, want true", existing)
	}
	mustNil(t, "ApplyPropertyChanges", license.ApplyPropertyChanges(&want, more, again.ActivatedAt))
	got, err = s.License(ctx, l.ID)
	mustNil(t, "License", err)
	equal(t, "License after the existing path", got, want)
	if v := got.Properties[0].Value; v != "14" {
		t.Errorf("limits.users: got %v, want 14", v)
	}

	// A change that cannot apply aborts the activation.
	mustPutCode(t, s, newCode(l.ID, "pc-2", 1))
	bad := []license.PropertyChange{{Property: license.Property{Category: "flags", Name: "beta", Value: "1"}, Relative: true}}
	_, _, err = s.Activate(ctx, license.ActivateParams{
		Activation: newActivation(t, l.ID, "pc-2"),
		Code:       license.CodeRef{LicenseID: l.ID, ComputerID: "pc-2"},
		Properties: bad,
	})
	wantErr(t, "Activate with a bad property change", err, license.ErrInvalid)
	_, err = s.ActivationByComputer(ctx, l.ID, "pc-2")
	wantErr(t, "ActivationByComputer after a bad property change", err, license.ErrNotFound)
	cs, err := s.Codes(ctx, "pc-2", t0)
	mustNil(t, "Codes", err)
	if len(cs) != 1 {
		t.Errorf("Codes after a bad property change: got %d, want 1 (not consumed)", len(cs))
	}
	got, err = s.License(ctx, l.ID)
	mustNil(t, "License", err)
	equal(t, "License after a bad property change", got, want)
}

func testActivateConflict(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 5)
	a := mustActivate(t, s, l.ID, "pc-1")
	sameAID := newActivation(t, l.ID, "pc-2")
	sameAID.AID = a.AID
	sameKey := newActivation(t, l.ID, "pc-3")
	sameKey.ComputerKey = a.ComputerKey
	tests := []struct {
		name string
		a    license.Activation
	}{
		{"taken AID", sameAID},
		{"taken computer key", sameKey},
	}
	for _, tt := range tests {
		_, _, err := s.Activate(ctx, license.ActivateParams{Activation: tt.a})
		wantErr(t, "Activate with a "+tt.name, err, license.ErrConflict)
	}
	as, err := s.Activations(ctx, l.ID)
	mustNil(t, "Activations", err)
	equal(t, "Activations after conflicts", as, []license.Activation{a})
}

func testActivationLookups(t *testing.T, s license.Store) {
	ctx := t.Context()
	l1 := mustLicense(t, s, 5)
	l2 := mustLicense(t, s, 5)
	act := func(licenseID, computerID string, at time.Time) license.Activation {
		t.Helper()
		a := newActivation(t, licenseID, computerID)
		a.ActivatedAt = at
		_, _, err := s.Activate(ctx, license.ActivateParams{Activation: a})
		mustNil(t, "Activate", err)
		return a
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

	got, err := s.ActivationByComputer(ctx, l2.ID, "pc-1")
	mustNil(t, "ActivationByComputer", err)
	equal(t, "ActivationByComputer", got, a3)

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

	// A released activation: not by computer, still by computer key.
	released, err := s.SetActivationStatus(ctx, a1.AID, license.StatusReleased, t0.Add(3*time.Hour))
	mustNil(t, "SetActivationStatus", err)
	_, err = s.ActivationByComputer(ctx, l1.ID, "pc-1")
	wantErr(t, "ActivationByComputer of a released activation", err, license.ErrNotFound)
	got, err = s.ActivationByComputerKey(ctx, a1.ComputerKey)
	mustNil(t, "ActivationByComputerKey of a released activation", err)
	equal(t, "ActivationByComputerKey of a released activation", got, released)
}

func testSetActivationStatus(t *testing.T, s license.Store) {
	ctx := t.Context()
	l := mustLicense(t, s, 5)
	at := t0.Add(time.Hour)
	released := mustActivate(t, s, l.ID, "pc-1")
	revoked := mustActivate(t, s, l.ID, "pc-2")
	active := mustActivate(t, s, l.ID, "pc-3")

	for _, tt := range []struct {
		a      *license.Activation
		status license.Status
	}{{&released, license.StatusReleased}, {&revoked, license.StatusRevoked}} {
		tt.a.Status = tt.status
		tt.a.ReleasedAt = at
		got, err := s.SetActivationStatus(ctx, tt.a.AID, tt.status, at)
		mustNil(t, "SetActivationStatus("+string(tt.status)+")", err)
		equal(t, "SetActivationStatus("+string(tt.status)+")", got, *tt.a)
		got, err = s.Activation(ctx, tt.a.AID)
		mustNil(t, "Activation", err)
		equal(t, "Activation after SetActivationStatus("+string(tt.status)+")", got, *tt.a)
	}

	tests := []struct {
		name   string
		aid    string
		status license.Status
		want   error
	}{
		{"release a released activation", released.AID, license.StatusReleased, license.ErrReleased},
		{"revoke a released activation", released.AID, license.StatusRevoked, license.ErrReleased},
		{"release a revoked activation", revoked.AID, license.StatusReleased, license.ErrRevoked},
		{"revoke a revoked activation", revoked.AID, license.StatusRevoked, license.ErrRevoked},
		{"release a missing activation", newID(t), license.StatusReleased, license.ErrNotFound},
		{"move to active", active.AID, license.StatusActive, license.ErrInvalid},
		{"move to suspended", active.AID, license.StatusSuspended, license.ErrInvalid},
	}
	for _, tt := range tests {
		_, err := s.SetActivationStatus(ctx, tt.aid, tt.status, at.Add(time.Hour))
		wantErr(t, tt.name, err, tt.want)
	}
	for _, a := range []license.Activation{released, revoked, active} {
		got, err := s.Activation(ctx, a.AID)
		mustNil(t, "Activation", err)
		equal(t, "Activation after failed changes", got, a)
	}
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
	ga, _, err := s.Activate(ctx, license.ActivateParams{Activation: a})
	mustNil(t, "Activate", err)
	check("Activate: ActivatedAt", ga.ActivatedAt, want)
	ga, err = s.SetActivationStatus(ctx, a.AID, license.StatusReleased, in)
	mustNil(t, "SetActivationStatus", err)
	check("SetActivationStatus: ReleasedAt", ga.ReleasedAt, want)
	ga, err = s.Activation(ctx, a.AID)
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
	checkLicense("License after changing listed licenses")

	_, err = s.UpdateLicense(ctx, want.ID, func(cur *license.License) error {
		cur.Features[0] = "changed"
		cur.Properties[0].Value = "changed"
		return errBoom
	})
	wantErr(t, "UpdateLicense", err, errBoom)
	checkLicense("License after a failed UpdateLicense that changed its slices")
	got, err = s.UpdateLicense(ctx, want.ID, func(*license.License) error { return nil })
	mustNil(t, "UpdateLicense", err)
	got.Features[0] = "changed"
	checkLicense("License after changing an updated license")

	a := newActivation(t, want.ID, "pc-1")
	a.Attributes = []license.Attribute{{Name: "n", Value: "v"}}
	wantA := a
	wantA.Attributes = slices.Clone(a.Attributes)
	ga, _, err := s.Activate(ctx, license.ActivateParams{
		Activation: a,
		Check: func(cur license.License) error {
			cur.Features[0] = "changed"
			cur.Properties[0].Value = "changed"
			return nil
		},
	})
	mustNil(t, "Activate", err)
	checkLicense("License after a Check that changed its slices")
	change := []license.PropertyChange{{Property: license.Property{Category: "c", Name: "m", Value: "w", Type: license.PropertyString}}}
	_, _, err = s.Activate(ctx, license.ActivateParams{
		Activation: newActivation(t, want.ID, "pc-1"),
		Check: func(cur license.License) error {
			cur.Features[0] = "changed"
			cur.Properties[0].Value = "changed"
			return nil
		},
		Properties: change,
	})
	mustNil(t, "Activate with properties", err)
	mustNil(t, "ApplyPropertyChanges", license.ApplyPropertyChanges(&want, change, t0))
	checkLicense("License after properties and a Check that changed its slices")
	a.Attributes[0].Value = "changed"
	ga.Attributes[0].Value = "changed"
	ga, err = s.Activation(ctx, a.AID)
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

// cloneLicense returns a copy of l that shares no slice with it.
func cloneLicense(l license.License) license.License {
	l.Features = slices.Clone(l.Features)
	l.Properties = slices.Clone(l.Properties)
	return l
}
