package license_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
)

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu    sync.Mutex
	acts  []license.ActivationEvent
	codes []license.CodeEvent
	ctxs  []context.Context
}

var _ license.Observer = (*recorder)(nil)

func (r *recorder) Activation(ctx context.Context, e license.ActivationEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acts = append(r.acts, e)
	r.ctxs = append(r.ctxs, ctx)
}

func (r *recorder) CodeRequest(ctx context.Context, e license.CodeEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.codes = append(r.codes, e)
}

func (r *recorder) activations() []license.ActivationEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]license.ActivationEvent(nil), r.acts...)
}

func (r *recorder) codeRequests() []license.CodeEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]license.CodeEvent(nil), r.codes...)
}

// waitCodes waits until the recorder holds n code events.
func (r *recorder) waitCodes(t *testing.T, n int) []license.CodeEvent {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		cs := r.codeRequests()
		if len(cs) >= n || time.Now().After(deadline) {
			if len(cs) != n {
				t.Fatalf("got %d code events, want %d: %+v", len(cs), n, cs)
			}
			return cs
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestActorContext(t *testing.T) {
	t.Parallel()
	if _, ok := license.ActorFrom(context.Background()); ok {
		t.Error("ActorFrom(Background) reported an actor")
	}
	want := license.Actor{Protocol: "qlm", Addr: "192.0.2.1", RequestID: "req-1"}
	got, ok := license.ActorFrom(license.WithActor(context.Background(), want))
	if !ok || got != want {
		t.Errorf("got %+v, %v, want %+v, true", got, ok, want)
	}
}

func TestWithObserverNil(t *testing.T) {
	t.Parallel()
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	_, err := license.NewService(memstore.New(), license.WithKeySet(ks), license.WithSecret(make([]byte, 32)), license.WithObserver(nil))
	if !errors.Is(err, license.ErrBadOption) {
		t.Errorf("got %v, want ErrBadOption", err)
	}
}

func TestObserverActivations(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	e := newEnv(t, license.WithObserver(rec))
	actor := license.Actor{Protocol: "ems", Addr: "198.51.100.7", RequestID: "abc"}
	ctx := license.WithActor(context.Background(), actor)

	r1, err := e.svc.Activate(ctx, license.ActivationRequest{LicenseID: e.lic.ID, ComputerID: "PC-1"})
	if err != nil {
		t.Fatal(err)
	}
	e.svc.Activate(ctx, license.ActivationRequest{LicenseID: e.lic.ID, ComputerID: "PC-1"})                    // existing
	e.svc.Activate(ctx, license.ActivationRequest{LicenseID: e.lic.ID, ComputerID: "PC-2"})                    // no seats
	e.svc.Activate(context.Background(), license.ActivationRequest{LicenseID: e.lic.ID, ComputerID: "bad id"}) // invalid, no actor
	e.svc.ActivateByCode(ctx, license.CodeActivation{Code: "123456", ComputerID: "PC-3"})                      // no such code

	got := e.svcEvents(rec)
	want := []string{
		"ems/ok/PC-1/existing=false", "ems/ok/PC-1/existing=true", "ems/no_seats/PC-2/existing=false",
		"/invalid/bad id/existing=false", "ems/code_invalid/PC-3/existing=false/bycode",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	acts := rec.activations()
	if a := acts[0]; a.Actor != actor || a.AID != r1.Activation.AID || a.LicenseID != e.lic.ID || a.Err != nil || a.At.IsZero() {
		t.Errorf("first event = %+v", a)
	}
	if a := acts[2]; !errors.Is(a.Err, license.ErrNoSeats) || a.LicenseID != e.lic.ID || a.AID != "" {
		t.Errorf("refused event = %+v", a)
	}
	if a := acts[4]; a.LicenseID != "" {
		t.Errorf("a wrong code named license %q", a.LicenseID)
	}
	if got, _ := license.ActorFrom(rec.ctxs[0]); got != actor {
		t.Errorf("observer context carries %+v, want %+v", got, actor)
	}
}

// svcEvents sums up the activation events as protocol/outcome/computer.
func (e *env) svcEvents(rec *recorder) []string {
	var out []string
	for _, a := range rec.activations() {
		s := fmt.Sprintf("%s/%s/%s/existing=%v", a.Actor.Protocol, a.Outcome, a.ComputerID, a.Existing)
		if a.ByCode {
			s += "/bycode"
		}
		out = append(out, s)
	}
	return out
}

func TestObserverActivateByCode(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	e := newEnv(t, license.WithObserver(rec), license.WithRevealUnknownEmail(true))
	ctx := license.WithActor(context.Background(), license.Actor{Protocol: "qlm"})
	if err := e.svc.RequestCode(ctx, license.CodeRequest{Email: "ann@example.com", ComputerID: "PC-1", Target: license.Target{ProductID: "app"}}); err != nil {
		t.Fatal(err)
	}
	msgs := e.email.all()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	if _, err := e.svc.ActivateByCode(ctx, license.CodeActivation{Code: msgs[0].Code, ComputerID: "PC-1"}); err != nil {
		t.Fatal(err)
	}
	acts := rec.activations()
	if len(acts) != 1 || acts[0].Outcome != "ok" || !acts[0].ByCode || acts[0].LicenseID != e.lic.ID || acts[0].AID == "" || acts[0].Actor.Protocol != "qlm" {
		t.Errorf("events = %+v", acts)
	}
	cs := rec.codeRequests()
	if len(cs) != 1 || cs[0].Outcome != "ok" || cs[0].Channel != license.ChannelEmail || cs[0].LicenseID != e.lic.ID {
		t.Errorf("code events = %+v", cs)
	}
}

func TestObserverCodeRequests(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	e := newEnv(t, license.WithObserver(rec), license.WithCodeRateLimits(2, 0, 0, time.Hour))
	actor := license.Actor{Protocol: "qlm", RequestID: "r-9"}
	ctx := license.WithActor(context.Background(), actor)
	req := func(email string) license.CodeRequest {
		return license.CodeRequest{Email: email, ComputerID: "PC-1", Target: license.Target{ProductID: "app"}}
	}
	if err := e.svc.RequestCode(ctx, req("not an email")); !errors.Is(err, license.ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	cs := rec.waitCodes(t, 1)
	if cs[0].Outcome != "invalid" || cs[0].Channel != "" || cs[0].Actor != actor {
		t.Errorf("refusal event = %+v", cs[0])
	}
	// Answered alike; the observer learns the truth after the delivery.
	if err := e.svc.RequestCode(ctx, req("ann@example.com")); err != nil {
		t.Fatal(err)
	}
	rec.waitCodes(t, 2)
	if err := e.svc.RequestCode(ctx, req("nobody@example.com")); err != nil {
		t.Fatal(err)
	}
	rec.waitCodes(t, 3)
	e.svc.RequestCode(ctx, req("ann@example.com"))
	if err := e.svc.RequestCode(ctx, req("ann@example.com")); !errors.Is(err, license.ErrRateLimited) {
		t.Fatalf("got %v, want ErrRateLimited", err)
	}
	cs = rec.waitCodes(t, 5)
	byOutcome := map[string]int{}
	for _, c := range cs {
		if c.Actor != actor {
			t.Errorf("event %+v lost the actor", c)
		}
		byOutcome[fmt.Sprintf("%s/%s", c.Channel, c.Outcome)]++
	}
	want := map[string]int{"/invalid": 1, "email/ok": 2, "/not_found": 1, "/rate_limited": 1}
	if fmt.Sprint(byOutcome) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", byOutcome, want)
	}
}

func TestOutcome(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{nil, "ok"},
		{license.ErrNoSeats, "no_seats"},
		{fmt.Errorf("tx: %w", license.ErrNoSeats), "no_seats"},
		{license.ErrLicenseRevoked, license.ReasonLicenseRevoked},
		{license.ErrActivationRevoked, license.ReasonActivationRevoked},
		{license.ErrRevoked, "revoked"},
		{license.ErrSuspended, license.ReasonLicenseSuspended},
		{license.ErrExpired, license.ReasonLicenseExpired},
		{license.ErrReleased, license.ReasonActivationReleased},
		{license.NotFound("license", "x"), "not_found"},
		{&license.InvalidError{Reason: "r"}, "invalid"},
		{license.ErrCodeInvalid, "code_invalid"},
		{license.ErrReleaseLimited, "release_limited"},
		{license.ErrRateLimited, "rate_limited"},
		{license.ErrWrongProduct, "wrong_product"},
		{license.ErrWrongVersion, "wrong_version"},
		{errors.Join(license.ErrDelivery, errors.New("smtp")), "delivery_failed"},
		{license.ErrNoChannel, "no_channel"},
		{context.DeadlineExceeded, "canceled"},
		{errors.New("disk on fire"), "error"},
	}
	for _, tt := range tests {
		if got := license.Outcome(tt.err); got != tt.want {
			t.Errorf("Outcome(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
