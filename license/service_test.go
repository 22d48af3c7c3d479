package license_test

import (
	"context"
	"errors"
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

func newEnv(t *testing.T, opts ...license.Option) *env {
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
	l, _ := e.svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Customer: license.Customer{Email: "bo@example.com", Phone: "+1 555 0100"}})
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

func TestLicenseStateGatesActivation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	res, err := e.svc.ValidateKey(ctx, license.KeyValidation{Key: e.lic.Key, ComputerID: "pc"})
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
	if _, err := e.svc.ValidateKey(ctx, license.KeyValidation{Key: e.lic.Key, ComputerID: "pc", ComputerKey: res.Activation.ComputerKey}); !errors.Is(err, license.ErrSuspended) {
		t.Fatalf("validate suspended: %v", err)
	}
	e.svc.SetLicenseStatus(ctx, e.lic.ID, license.StatusActive)
	e.advance(200 * 24 * time.Hour)
	if _, err := e.svc.ValidateKey(ctx, license.KeyValidation{Key: e.lic.Key, ComputerID: "pc2"}); !errors.Is(err, license.ErrExpired) {
		t.Fatalf("activate expired: %v", err)
	}
	st, _ = e.svc.ActivationState(ctx, res.Activation.AID)
	if !errors.Is(st.Err(e.svc.Now()), license.ErrExpired) {
		t.Fatalf("expired state err = %v", st.Err(e.svc.Now()))
	}
}

func TestTokenExpiresWithLicense(t *testing.T) {
	t.Parallel()
	e := newEnv(t, license.WithTokenTTL(365*24*time.Hour))
	ctx := context.Background()
	res, err := e.svc.ValidateKey(ctx, license.KeyValidation{Key: e.lic.Key, ComputerID: "pc"})
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
