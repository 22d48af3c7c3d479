package license_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
)

type sent struct {
	mu   sync.Mutex
	msgs []license.Message
}

func (s *sent) Notify(_ context.Context, m license.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	return nil
}

func (s *sent) all() []license.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]license.Message(nil), s.msgs...)
}

type env struct {
	svc        *license.Service
	email, sms *sent
	now        *atomic.Pointer[time.Time]
	lic        license.License
}

func newEnv(t testing.TB, opts ...license.Option) *env {
	t.Helper()
	e := &env{email: &sent{}, sms: &sent{}, now: new(atomic.Pointer[time.Time])}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e.now.Store(&start)
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	base := []license.Option{
		license.WithKeySet(ks), license.WithSecret([]byte("0123456789abcdef0123456789abcdef")),
		license.WithEmailNotifier(e.email), license.WithSMSNotifier(e.sms),
		license.WithClock(func() time.Time { return *e.now.Load() }),
	}
	svc, err := license.NewService(memstore.New(), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(context.Background()) })
	ctx := context.Background()
	if _, err := svc.CreateProduct(ctx, license.Product{ID: "app", Name: "App", Major: 2, Minor: 1}); err != nil {
		t.Fatal(err)
	}
	e.lic, err = svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Customer: license.Customer{Email: "Ann@Example.com"}, Seats: 1,
		ExpiresAt: start.AddDate(0, 6, 0), Features: []string{"pro"}})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

func (e *env) advance(d time.Duration) {
	t := e.now.Load().Add(d)
	e.now.Store(&t)
}

func TestNewServiceNeedsKeysAndSecret(t *testing.T) {
	t.Parallel()
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	if _, err := license.NewService(memstore.New(), license.WithSecret(make([]byte, 32))); !errors.Is(err, license.ErrNoKeySet) {
		t.Fatalf("no key set: %v", err)
	}
	if _, err := license.NewService(memstore.New(), license.WithKeySet(ks), license.WithSecret(make([]byte, 16))); !errors.Is(err, license.ErrWeakSecret) {
		t.Fatalf("short secret: %v", err)
	}
	if _, err := license.NewService(nil); err == nil {
		t.Fatal("nil store accepted")
	}
	if _, err := license.NewService(memstore.New(), license.WithKeySet(ks), license.WithSecret(make([]byte, 32)), license.WithCodeTTL(0)); !errors.Is(err, license.ErrBadOption) {
		t.Fatalf("zero code TTL: %v", err)
	}
}

func TestRequestCodeHidesUnknownEmails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for _, email := range []string{"ann@example.com", "nobody@example.com"} {
		err := e.svc.RequestCode(ctx, license.CodeRequest{Email: email, ComputerID: "pc", Target: license.Target{ProductID: "app"}})
		if err != nil {
			t.Fatalf("RequestCode(%s) = %v, want nil", email, err)
		}
	}
	e.svc.Close(ctx) // waits for background delivery
	if got := e.email.all(); len(got) != 1 || got[0].To != "ann@example.com" || got[0].Channel != license.ChannelEmail {
		t.Fatalf("sent %+v, want one email to ann", got)
	}
}

func TestRequestCodeBySMSWhenPhoneKnown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, license.WithRevealUnknownEmail(true))
	ctx := context.Background()
	l, _ := e.svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Seats: 1, Customer: license.Customer{Email: "bo@example.com", Phone: "+1 555 0100"}})
	if err := e.svc.RequestCode(ctx, license.CodeRequest{Email: "bo@example.com", ComputerID: "pc", Target: license.Target{ProductID: "app"}}); err != nil {
		t.Fatal(err)
	}
	if got := e.sms.all(); len(got) != 1 || got[0].To != l.Phone || got[0].Channel != license.ChannelSMS {
		t.Fatalf("sms = %+v", got)
	}
	err := e.svc.RequestCode(ctx, license.CodeRequest{Email: "nobody@example.com", ComputerID: "pc", Target: license.Target{ProductID: "app"}})
	if !errors.Is(err, license.ErrNotFound) {
		t.Fatalf("unknown email with reveal: %v, want ErrNotFound", err)
	}
}

func TestConcurrentGuessesCannotExceedAttempts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, license.WithRevealUnknownEmail(true), license.WithCodeRateLimits(5, 20, 0, time.Minute))
	ctx := context.Background()
	if err := e.svc.RequestCode(ctx, license.CodeRequest{Email: "ann@example.com", ComputerID: "pc", Target: license.Target{ProductID: "app"}}); err != nil {
		t.Fatal(err)
	}
	code := e.email.all()[0].Code
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.svc.ActivateByCode(ctx, license.CodeActivation{Code: wrong, ComputerID: "pc"})
		}()
	}
	wg.Wait()
	if _, err := e.svc.ActivateByCode(ctx, license.CodeActivation{Code: code, ComputerID: "pc"}); !errors.Is(err, license.ErrCodeInvalid) {
		t.Fatalf("right code after 40 concurrent wrong ones: %v, want ErrCodeInvalid", err)
	}
}

func TestFailedAttemptsRateLimitedPerAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, license.WithCodeRateLimits(5, 20, 3, time.Minute))
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		_, err := e.svc.ActivateByCode(ctx, license.CodeActivation{Code: "123456", ComputerID: "pc", ClientAddr: "192.0.2.7"})
		if !errors.Is(err, license.ErrCodeInvalid) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	if _, err := e.svc.ActivateByCode(ctx, license.CodeActivation{Code: "123456", ComputerID: "pc", ClientAddr: "192.0.2.7"}); !errors.Is(err, license.ErrRateLimited) {
		t.Fatalf("4th failure: %v, want ErrRateLimited", err)
	}
	if _, err := e.svc.ActivateByCode(ctx, license.CodeActivation{Code: "123456", ComputerID: "pc", ClientAddr: "192.0.2.8"}); !errors.Is(err, license.ErrCodeInvalid) {
		t.Fatalf("another address: %v, want ErrCodeInvalid", err)
	}
}

// activate activates computer on the env's license by its key, as QLM's
// ValidateLicenseHttp does.
func (e *env) activate(t *testing.T, l license.License, computer string) (license.Result, error) {
	t.Helper()
	got, err := e.svc.LicenseByKey(context.Background(), l.Key)
	if err != nil {
		return license.Result{}, err
	}
	return e.svc.Activate(context.Background(), license.ActivationRequest{LicenseID: got.ID, ComputerID: computer})
}

func TestLicenseStateGatesActivation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	res, err := e.activate(t, e.lic, "pc")
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.svc.ActivationState(ctx, res.Activation.AID)
	if err != nil || st.Err(e.svc.Now()) != nil || !st.HasFeature("pro") || st.ProductID != "app" {
		t.Fatalf("state = %+v, %v", st, err)
	}
	if _, err := e.svc.SetLicenseStatus(ctx, e.lic.ID, license.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	st, _ = e.svc.ActivationState(ctx, res.Activation.AID)
	if !errors.Is(st.Err(e.svc.Now()), license.ErrSuspended) {
		t.Fatalf("suspended state = %+v", st)
	}
	_, err = e.svc.Validate(ctx, license.ValidationRequest{ComputerKey: res.Activation.ComputerKey, ComputerID: "pc"})
	if !errors.Is(err, license.ErrSuspended) {
		t.Fatalf("validate suspended: %v", err)
	}
	e.svc.SetLicenseStatus(ctx, e.lic.ID, license.StatusActive)
	e.advance(200 * 24 * time.Hour)
	if _, err := e.activate(t, e.lic, "pc2"); !errors.Is(err, license.ErrExpired) {
		t.Fatalf("activate expired: %v", err)
	}
	st, _ = e.svc.ActivationState(ctx, res.Activation.AID)
	if !errors.Is(st.Err(e.svc.Now()), license.ErrExpired) {
		t.Fatalf("expired state err = %v", st.Err(e.svc.Now()))
	}
}

// TestActivationRules checks each rule of Service.Activate with the error
// it is told apart by.
func TestActivationRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(e *env, l license.License) // before activating computer "pc"
		seats int
		want  error
	}{
		{"free seat", func(*env, license.License) {}, 1, nil},
		{"no seat left", func(e *env, l license.License) { e.activate(t, l, "other") }, 1, license.ErrNoSeats},
		{"seat freed by a release", func(e *env, l license.License) {
			e.activate(t, l, "other")
			e.svc.Release(ctx, l.ID, "other")
		}, 1, nil},
		{"seat freed by a revocation", func(e *env, l license.License) {
			r, _ := e.activate(t, l, "other")
			e.svc.RevokeActivation(ctx, r.Activation.AID)
		}, 1, nil},
		{"computer revoked from the license", func(e *env, l license.License) {
			r, _ := e.activate(t, l, "pc")
			e.svc.RevokeActivation(ctx, r.Activation.AID)
		}, 2, license.ErrActivationRevoked},
		{"computer released, may come back", func(e *env, l license.License) {
			e.activate(t, l, "pc")
			e.svc.Release(ctx, l.ID, "pc")
		}, 1, nil},
		{"license suspended", func(e *env, l license.License) { e.svc.SetLicenseStatus(ctx, l.ID, license.StatusSuspended) }, 1, license.ErrSuspended},
		{"license revoked", func(e *env, l license.License) { e.svc.SetLicenseStatus(ctx, l.ID, license.StatusRevoked) }, 1, license.ErrLicenseRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			l, err := e.svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Seats: tt.seats})
			if err != nil {
				t.Fatal(err)
			}
			tt.setup(e, l)
			_, err = e.activate(t, l, "pc")
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Activate: got %v, want %v", err, tt.want)
			}
			if errors.Is(err, license.ErrActivationRevoked) && errors.Is(err, license.ErrLicenseRevoked) {
				t.Fatal("a revoked activation also reads as a revoked license")
			}
		})
	}
}

// TestSeatsHeldFollowsActivations checks the counter the seat rule reads
// against the activations, through activations, repeats, releases and
// revocations.
func TestSeatsHeldFollowsActivations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	l, _ := e.svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Seats: 10})
	var aids []string
	for i := range 6 {
		r, err := e.activate(t, l, fmt.Sprintf("pc-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		aids = append(aids, r.Activation.AID)
		if r.License.SeatsHeld != i+1 {
			t.Fatalf("after %d activations the result says %d seats held", i+1, r.License.SeatsHeld)
		}
	}
	if r, _ := e.activate(t, l, "pc-0"); !r.Existing || r.License.SeatsHeld != 6 {
		t.Fatalf("activating pc-0 again: existing %v, %d held; want the same activation, 6 held", r.Existing, r.License.SeatsHeld)
	}
	e.svc.Release(ctx, l.ID, "pc-1")
	e.svc.RevokeActivation(ctx, aids[2])
	e.svc.ReleaseActivation(ctx, aids[3])
	if _, err := e.svc.RevokeActivation(ctx, aids[3]); !errors.Is(err, license.ErrReleased) {
		t.Fatalf("revoking a released activation: %v, want ErrReleased", err)
	}
	got, _ := e.svc.License(ctx, l.ID)
	as, _ := e.svc.Activations(ctx, l.ID)
	active := 0
	for _, a := range as {
		if a.Status == license.StatusActive {
			active++
		}
	}
	if got.SeatsHeld != 3 || active != 3 {
		t.Fatalf("SeatsHeld %d, active activations %d; want 3 and 3", got.SeatsHeld, active)
	}
}

// TestStateErr is the one decision of whether a state lets a request
// through, with a reason of its own for each case.
func TestStateErr(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		st   license.State
		want error
	}{
		{"active", license.State{Activation: license.StatusActive, License: license.StatusActive}, nil},
		{"license alone", license.State{License: license.StatusActive}, nil},
		{"activation released", license.State{Activation: license.StatusReleased, License: license.StatusActive}, license.ErrReleased},
		{"activation revoked", license.State{Activation: license.StatusRevoked, License: license.StatusActive}, license.ErrActivationRevoked},
		{"license revoked", license.State{Activation: license.StatusActive, License: license.StatusRevoked}, license.ErrLicenseRevoked},
		{"license suspended", license.State{Activation: license.StatusActive, License: license.StatusSuspended}, license.ErrSuspended},
		{"expired", license.State{Activation: license.StatusActive, License: license.StatusActive, ExpiresAt: now}, license.ErrExpired},
		{"not yet expired", license.State{Activation: license.StatusActive, License: license.StatusActive, ExpiresAt: now.Add(time.Second)}, nil},
		{"unknown status", license.State{Activation: "paused", License: license.StatusActive}, license.ErrActivationRevoked},
		{"old server, suspended", license.State{Status: license.StatusSuspended}, license.ErrSuspended},
		{"old server, revoked", license.State{Status: license.StatusRevoked}, license.ErrActivationRevoked},
		{"old server, active", license.State{Status: license.StatusActive}, nil},
	}
	for _, tt := range tests {
		got := tt.st.Err(now)
		if got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	// StateOf sums the statuses up for old gates as before.
	l := license.License{ID: "l", ProductID: "p", Status: license.StatusSuspended}
	if st := license.StateOf(l, license.Activation{AID: "a", Status: license.StatusActive}); st.Status != license.StatusSuspended {
		t.Errorf("StateOf(active on suspended).Status = %q, want suspended", st.Status)
	}
	if st := license.StateOf(l, license.Activation{AID: "a", Status: license.StatusReleased}); st.Status != license.StatusReleased {
		t.Errorf("StateOf(released on suspended).Status = %q, want released", st.Status)
	}
}

// TestProductKeyIsACredentialOfItsOwn: the product key is unrelated to the
// license ID, and the ID, which tokens carry, opens nothing.
func TestProductKeyIsACredentialOfItsOwn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	res, err := e.activate(t, e.lic, "pc")
	if err != nil {
		t.Fatal(err)
	}
	if e.lic.ProductKey == e.lic.ID || !license.IsUUID(e.lic.ProductKey) {
		t.Fatalf("product key %q, license ID %q: want a UUID of its own", e.lic.ProductKey, e.lic.ID)
	}
	for _, id := range []string{e.lic.ID, res.Activation.AID, "app", "pc"} {
		if _, err := e.svc.LicenseByProductKey(ctx, id); !errors.Is(err, license.ErrNotFound) {
			t.Errorf("LicenseByProductKey(%q): %v, want ErrNotFound", id, err)
		}
		if _, err := e.svc.LicenseByKey(ctx, id); !errors.Is(err, license.ErrNotFound) {
			t.Errorf("LicenseByKey(%q): %v, want ErrNotFound", id, err)
		}
	}
	got, err := e.svc.LicenseByProductKey(ctx, "  "+strings.ToUpper(e.lic.ProductKey)+" ")
	if err != nil || got.ID != e.lic.ID {
		t.Fatalf("LicenseByProductKey(the key, upper case) = %v, %v", got.ID, err)
	}
	v, _ := license.NewVerifier(license.VerifierConfig{Keyfunc: e.svc.KeySet().Keyfunc, Issuer: "licgate", Now: e.svc.Now})
	c, err := v.Verify(res.Token)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{e.lic.Key, e.lic.ProductKey, res.Activation.ComputerKey} {
		if strings.Contains(res.Token, secret) || strings.Contains(fmt.Sprintf("%+v", *c), secret) {
			t.Errorf("the token carries the credential %q", secret)
		}
	}
}

// TestRegisterCustomer: a product key's holder may attach a customer to a
// license that has none, once; replacing one takes the vendor.
func TestRegisterCustomer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	l, err := e.svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Seats: 1})
	if err != nil {
		t.Fatalf("a license without a customer: %v", err)
	}
	if _, err := e.svc.RegisterCustomer(ctx, l.ID, license.Customer{Email: "Eve@Example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RegisterCustomer(ctx, l.ID, license.Customer{Email: "mallory@example.com"}); !errors.Is(err, license.ErrPermission) {
		t.Fatalf("registering over a customer: %v, want ErrPermission", err)
	}
	if _, err := e.svc.RegisterCustomer(ctx, e.lic.ID, license.Customer{Email: "mallory@example.com"}); !errors.Is(err, license.ErrPermission) {
		t.Fatalf("registering over the env's customer: %v, want ErrPermission", err)
	}
	got, _ := e.svc.License(ctx, l.ID)
	if got.Email != "eve@example.com" {
		t.Fatalf("email = %q, want eve@example.com", got.Email)
	}
	got, err = e.svc.UpdateLicense(ctx, l.ID, func(l *license.License) error { l.Email = "new@example.com"; return nil })
	if err != nil || got.Email != "new@example.com" {
		t.Fatalf("vendor update: %q, %v", got.Email, err)
	}
}

func TestLicenseValidationErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for _, seats := range []int{0, -1, license.MaxSeats + 1} {
		_, err := e.svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Seats: seats})
		if !errors.Is(err, license.ErrInvalid) {
			t.Errorf("CreateLicense(seats %d): %v, want ErrInvalid", seats, err)
		}
	}
	if _, err := e.svc.RevokeActivation(ctx, "nope"); !errors.Is(err, license.ErrNotFound) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("RevokeActivation(nope): %v, want ErrNotFound naming it", err)
	}
	if _, err := e.svc.SetLicenseStatus(ctx, e.lic.ID, license.StatusRevoked); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetLicenseStatus(ctx, e.lic.ID, license.StatusActive); !errors.Is(err, license.ErrLicenseRevoked) {
		t.Errorf("resuming a revoked license: %v, want ErrLicenseRevoked", err)
	}
}

// TestExplain: what clients are shown is a sentence, never a package
// prefix, and internal errors are not shown at all.
func TestExplain(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	_, badComputer := e.svc.Activate(ctx, license.ActivationRequest{LicenseID: e.lic.ID, ComputerID: "has space"})
	_, notFound := e.svc.Activation(ctx, "nope")
	tests := []struct {
		err  error
		want string
	}{
		{badComputer, "Invalid argument: the computer ID contains a space or a control character."},
		{fmt.Errorf("sqlstore: activate: %w", badComputer), "Invalid argument: the computer ID contains a space or a control character."},
		{notFound, `The activation "nope" does not exist.`},
		{license.ErrLicenseRevoked, "The license has been revoked."},
		{license.ErrActivationRevoked, "The activation of this computer has been revoked."},
		{fmt.Errorf("sqlstore: %w", errors.New("disk I/O error")), "An internal error occurred."},
	}
	for _, tt := range tests {
		if got := license.Explain(tt.err); got != tt.want {
			t.Errorf("Explain(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestTokenExpiresWithLicense(t *testing.T) {
	t.Parallel()
	e := newEnv(t, license.WithTokenTTL(365*24*time.Hour))
	res, err := e.activate(t, e.lic, "pc")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := license.NewVerifier(license.VerifierConfig{Keyfunc: e.svc.KeySet().Keyfunc, Issuer: "licgate", Now: e.svc.Now})
	c, err := v.Verify(res.Token)
	if err != nil {
		t.Fatal(err)
	}
	if !c.ExpiresAt.Time.Equal(e.lic.ExpiresAt) {
		t.Fatalf("token exp = %v, want the license expiry %v", c.ExpiresAt.Time, e.lic.ExpiresAt)
	}
	if c.AID() != res.Activation.AID || c.ProductID() != "app" || c.Version != "2.1" {
		t.Fatalf("claims = %+v", c)
	}
}

// TestDeliveryFailures shows that a failing notifier is reported only when
// the service may reveal which emails have a license.
func TestDeliveryFailures(t *testing.T) {
	t.Parallel()
	broken := license.NotifierFunc(func(context.Context, license.Message) error { return errors.New("smtp down") })
	for _, reveal := range []bool{false, true} {
		e := newEnv(t, license.WithEmailNotifier(broken), license.WithRevealUnknownEmail(reveal))
		ctx := context.Background()
		err := e.svc.RequestCode(ctx, license.CodeRequest{Email: "ann@example.com", ComputerID: "pc", Target: license.Target{ProductID: "app"}})
		e.svc.Close(ctx)
		if reveal && !errors.Is(err, license.ErrDelivery) {
			t.Errorf("reveal: RequestCode = %v, want ErrDelivery", err)
		}
		if !reveal && err != nil {
			t.Errorf("hidden: RequestCode = %v, want nil", err)
		}
	}
}

// TestProductSigningKeys: a product gets an RSA key when it is created,
// keeps one given to it, can change key and algorithm, and a product
// without one (made before products had keys) gets one when first asked.
func TestProductSigningKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	made, err := e.svc.Product(ctx, "app")
	if err != nil || made.RSAKey == nil || made.RSAKey.N.BitLen() != license.MinRSABits || made.SignatureAlgorithm != license.SignatureRSASHA1 {
		t.Fatalf("a new product: key %v, algorithm %q, err %v; want a %d-bit key and %q", made.RSAKey != nil, made.SignatureAlgorithm, err, license.MinRSABits, license.SignatureRSASHA1)
	}
	imported, err := e.svc.CreateProduct(ctx, license.Product{ID: "moved", Name: "Moved from QLM", RSAKey: made.RSAKey, SignatureAlgorithm: license.SignatureRSASHA256})
	if err != nil || !imported.RSAKey.Equal(made.RSAKey) || imported.SignatureAlgorithm != license.SignatureRSASHA256 {
		t.Fatalf("an imported key: %v, %q, %v", imported.RSAKey != nil, imported.SignatureAlgorithm, err)
	}
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	if _, err := e.svc.CreateProduct(ctx, license.Product{ID: "weak", Name: "Weak", RSAKey: small}); !errors.Is(err, license.ErrInvalid) {
		t.Errorf("a 1024-bit key: %v, want ErrInvalid", err)
	}
	if _, err := e.svc.SetProductSigning(ctx, "app", nil, "rsa-md5"); !errors.Is(err, license.ErrInvalid) {
		t.Errorf("an unknown algorithm: %v, want ErrInvalid", err)
	}
	p, err := e.svc.SetProductSigning(ctx, "app", nil, license.SignatureRSASHA256)
	if err != nil || !p.RSAKey.Equal(made.RSAKey) || p.SignatureAlgorithm != license.SignatureRSASHA256 {
		t.Fatalf("SetProductSigning(algorithm only): %v", err)
	}

	// A product stored without a key, as the migration leaves them.
	store := e.svc.Store()
	if err := store.CreateProduct(ctx, license.Product{ID: "old", Name: "Old", CreatedAt: e.svc.Now()}); err != nil {
		t.Fatal(err)
	}
	first, err := e.svc.ProductSigningKey(ctx, "old")
	if err != nil || first.RSAKey == nil || first.SignatureAlgorithm != license.SignatureRSASHA1 {
		t.Fatalf("ProductSigningKey of a product without one: %v, %v", first.RSAKey != nil, err)
	}
	again, err := e.svc.ProductSigningKey(ctx, "old")
	if err != nil || !again.RSAKey.Equal(first.RSAKey) {
		t.Fatalf("ProductSigningKey again: a different key, or %v", err)
	}
	for _, p := range []license.Product{made, p, first} {
		b, _ := json.Marshal(p)
		if strings.Contains(string(b), "PRIVATE") || strings.Contains(strings.ToLower(string(b)), "rsakey") {
			t.Errorf("a product's JSON shows its key: %s", b)
		}
	}
}

func TestLicenseNumbers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	seen := map[int64]bool{e.lic.Number: true}
	for range 20 {
		l, err := e.svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Seats: 1})
		if err != nil {
			t.Fatal(err)
		}
		if l.Number < 1 || l.Number > license.MaxLicenseNumber || seen[l.Number] {
			t.Fatalf("number %d: want a fresh one in 1..%d", l.Number, int64(license.MaxLicenseNumber))
		}
		seen[l.Number] = true
		got, err := e.svc.LicenseByNumber(ctx, l.Number)
		if err != nil || got.ID != l.ID {
			t.Fatalf("LicenseByNumber(%d) = %s, %v; want %s", l.Number, got.ID, err, l.ID)
		}
	}
	for _, n := range []int64{0, -1, license.MaxLicenseNumber + 1} {
		if _, err := e.svc.LicenseByNumber(ctx, n); !errors.Is(err, license.ErrNotFound) {
			t.Errorf("LicenseByNumber(%d): %v, want ErrNotFound", n, err)
		}
	}
}

// TestReleaseOwn: a seat's holder frees it with its computer key, within
// the license's release budget; a wrong key frees nothing and costs the
// client a failure; a release that does not happen costs no budget.
func TestReleaseOwn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, license.WithCodeRateLimits(5, 20, 2, time.Hour))
	ctx := context.Background()
	l, _ := e.svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Seats: 3})
	own := func(computer, key, addr string) error {
		_, err := e.svc.ReleaseOwn(ctx, license.OwnRelease{LicenseID: l.ID, ComputerID: computer, ComputerKey: key,
			Limit: 2, Per: 24 * time.Hour, ClientAddr: addr})
		return err
	}
	a, _ := e.activate(t, l, "a")
	b, _ := e.activate(t, l, "b")
	c, _ := e.activate(t, l, "c")
	if err := own("a", b.Activation.ComputerKey, "192.0.2.1"); !errors.Is(err, license.ErrComputerMismatch) {
		t.Fatalf("another computer's key: %v, want ErrComputerMismatch", err)
	}
	if err := own("a", a.Activation.ComputerKey, "192.0.2.1"); err != nil {
		t.Fatalf("own release: %v", err)
	}
	if err := own("a", a.Activation.ComputerKey, "192.0.2.1"); !errors.Is(err, license.ErrReleased) {
		t.Fatalf("releasing again: %v, want ErrReleased", err)
	}
	if err := own("b", b.Activation.ComputerKey, "192.0.2.2"); err != nil {
		t.Fatalf("second release: %v", err)
	}
	err := own("c", c.Activation.ComputerKey, "192.0.2.2")
	if !errors.Is(err, license.ErrReleaseLimited) || !errors.Is(err, license.ErrRateLimited) {
		t.Fatalf("third release within the period: %v, want ErrReleaseLimited", err)
	}
	if st, _ := e.svc.ActivationState(ctx, c.Activation.AID); st.Activation != license.StatusActive {
		t.Fatalf("over the budget, c's activation is %q, want active", st.Activation)
	}
	// The wrong key above cost 192.0.2.1 one failure of two; one more, and
	// the address is refused before any comparison.
	own("c", a.Activation.ComputerKey, "192.0.2.1")
	if err := own("c", c.Activation.ComputerKey, "192.0.2.1"); !errors.Is(err, license.ErrRateLimited) || errors.Is(err, license.ErrReleaseLimited) {
		t.Fatalf("after two failures: %v, want the address's ErrRateLimited", err)
	}
	e.advance(12 * time.Hour)
	if err := own("c", c.Activation.ComputerKey, "192.0.2.3"); err != nil {
		t.Fatalf("half a period later, one release is back: %v", err)
	}
}
