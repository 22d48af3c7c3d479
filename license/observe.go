package license

import (
	"context"
	"errors"
	"time"
)

// Actor is who is asking: the protocol a request came in by, the client's
// address and the request's ID. Protocol handlers put it in the request's
// context with [WithActor]; the [Service] reads it with [ActorFrom] and
// hands it to its [Observer], so that metrics, logs and an audit trail can
// tell who caused what. Every field is an identifier, never a credential.
type Actor struct {
	// Name is who acts, when known: an admin token's name for the admin
	// API, "cli" for the command line. Empty for a protocol's client,
	// which Protocol and Addr describe.
	Name string `json:"name,omitempty"`
	// Protocol names the way in: "qlm", "ems", "status", "cli", "api", …
	// Empty when unknown.
	Protocol string `json:"protocol,omitempty"`
	// Addr is the client's address, as the protocol handler learned it
	// (behind a trusted proxy, from its forwarding header).
	Addr string `json:"addr,omitempty"`
	// RequestID identifies the request in logs, such as its X-Request-ID.
	RequestID string `json:"requestId,omitempty"`
}

// actorKey is the context key of an [Actor].
type actorKey struct{}

// WithActor returns a copy of ctx that carries a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries, and whether it carries one.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// Observer is told what the [Service] did, after it did it: each
// activation attempt and each code request, with its outcome. It is the
// hook for metrics (see cmd/licgate) and, later, an audit trail.
//
// The service calls it synchronously, once the work is done and before
// the method returns, so an observer must be fast, must not block and
// must be safe for concurrent use: count, or hand the event to a queue.
// It cannot fail the request, and must not panic. ctx carries the
// request's values (its [Actor] among them); for a code delivered in the
// background (see [Service.RequestCode]) it is a context of the delivery
// that keeps those values.
type Observer interface {
	// Activation is called after each [Service.Activate] and
	// [Service.ActivateByCode], whether it succeeded or not.
	Activation(ctx context.Context, e ActivationEvent)
	// CodeRequest is called once for each [Service.RequestCode], when its
	// outcome is known.
	CodeRequest(ctx context.Context, e CodeEvent)
}

// ActivationEvent is an activation attempt, as an [Observer] is told it.
type ActivationEvent struct {
	// Actor is the actor of the context, zero if it carries none.
	Actor Actor
	// ByCode is set for [Service.ActivateByCode].
	ByCode bool
	// LicenseID, AID and ComputerID name what the attempt was about, as
	// far as it is known: an attempt with a wrong code has no license, a
	// refused one no AID.
	LicenseID  string
	AID        string
	ComputerID string
	// Existing is set when the computer already held the activation, so
	// no seat was taken.
	Existing bool
	// Outcome is [Outcome] of Err: "ok" or a stable reason.
	Outcome string
	// Err is the error the caller got, nil on success. Its text is for
	// logs only.
	Err error
	// At is when the attempt ended, by the service's clock.
	At time.Time
}

// CodeEvent is a request for an authorization code, as an [Observer] is
// told it.
type CodeEvent struct {
	// Actor is the actor of the request's context, zero if it carries none.
	Actor Actor
	// LicenseID is the license the code was made for; empty when none was
	// found or the request was refused before the look-up.
	LicenseID  string
	ComputerID string
	// Channel is how the code went out, or would have; empty when no
	// license was found or the request was refused before the look-up.
	Channel Channel
	// Outcome is [Outcome] of Err: "ok" once the code is handed to its
	// notifier, or a stable reason.
	Outcome string
	// Err is why the code was not sent, nil if it was. Its text is for
	// logs only.
	Err error
	// At is when the outcome became known, by the service's clock.
	At time.Time
}

// WithObserver sets what is told about each activation attempt and each
// code request (see [Observer]). Default: nil, nobody is told.
func WithObserver(o Observer) Option {
	return func(c *config) error {
		if o == nil {
			return ErrBadOption
		}
		c.observer = o
		return nil
	}
}

// Stable outcomes of [Outcome], besides the state refusals it takes from
// [Reason] ([ReasonLicenseRevoked] and the others). Metrics and audit
// records carry them; their set is closed, so they bound the cardinality
// of a metric label.
const (
	OutcomeOK              = "ok"
	OutcomeNoSeats         = "no_seats"
	OutcomeInvalid         = "invalid"
	OutcomeNotFound        = "not_found"
	OutcomeConflict        = "conflict"
	OutcomeWrongProduct    = "wrong_product"
	OutcomeWrongVersion    = "wrong_version"
	OutcomeCodeInvalid     = "code_invalid"
	OutcomeReleaseLimited  = "release_limited"
	OutcomeRateLimited     = "rate_limited"
	OutcomeMismatch        = "computer_mismatch"
	OutcomeNotActivated    = "not_activated"
	OutcomeDelivery        = "delivery_failed"
	OutcomeNoChannel       = "no_channel"
	OutcomePermission      = "not_permitted"
	OutcomeToken           = "token_invalid"
	OutcomeUnauthenticated = "unauthenticated"
	OutcomeFloating        = "floating"
	OutcomeCanceled        = "canceled"
	OutcomeError           = "error"
)

// Outcome returns the stable name of what err says about a request: "ok"
// for nil; for a refusal of [State.Err] (released, revoked, suspended,
// expired) the [Reason] the status endpoint and the gate give; otherwise
// one of the Outcome constants, "error" for an error the package does not
// know, such as a store's I/O error. It is the one mapping of errors to
// the results of metrics and audit records.
func Outcome(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, ErrReleased), errors.Is(err, ErrRevoked), errors.Is(err, ErrSuspended), errors.Is(err, ErrExpired):
		return Reason(err)
	case errors.Is(err, ErrNoSeats):
		return OutcomeNoSeats
	case errors.Is(err, ErrInvalid):
		return OutcomeInvalid
	case errors.Is(err, ErrNotFound):
		return OutcomeNotFound
	case errors.Is(err, ErrConflict):
		return OutcomeConflict
	case errors.Is(err, ErrWrongProduct):
		return OutcomeWrongProduct
	case errors.Is(err, ErrWrongVersion):
		return OutcomeWrongVersion
	case errors.Is(err, ErrCodeInvalid):
		return OutcomeCodeInvalid
	case errors.Is(err, ErrReleaseLimited):
		return OutcomeReleaseLimited
	case errors.Is(err, ErrRateLimited):
		return OutcomeRateLimited
	case errors.Is(err, ErrComputerMismatch):
		return OutcomeMismatch
	case errors.Is(err, ErrNotActivated):
		return OutcomeNotActivated
	case errors.Is(err, ErrDelivery):
		return OutcomeDelivery
	case errors.Is(err, ErrNoChannel):
		return OutcomeNoChannel
	case errors.Is(err, ErrPermission):
		return OutcomePermission
	case errors.Is(err, ErrToken):
		return OutcomeToken
	case errors.Is(err, ErrUnauthenticated):
		return OutcomeUnauthenticated
	case errors.Is(err, ErrFloating):
		return OutcomeFloating
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return OutcomeCanceled
	}
	return OutcomeError
}

// observeActivation tells the observer, if any, about an activation
// attempt that ended with res and err.
func (s *Service) observeActivation(ctx context.Context, byCode bool, licenseID, computerID string, res Result, err error) {
	o := s.cfg.observer
	if o == nil {
		return
	}
	e := ActivationEvent{
		ByCode: byCode, LicenseID: licenseID, ComputerID: computerID,
		Outcome: Outcome(err), Err: err, At: s.now(),
	}
	e.Actor, _ = ActorFrom(ctx)
	if err == nil {
		e.LicenseID, e.AID, e.Existing = res.License.ID, res.Activation.AID, res.Existing
	}
	o.Activation(ctx, e)
}

// observeCode records a code request in the audit trail, if it took from
// the rate limits' budgets, and tells the observer, if any, about it. A
// request refused before (malformed, or over a limit) is only counted:
// recording it would let anyone fill the trail as fast as they can send.
func (s *Service) observeCode(ctx context.Context, licenseID, computerID string, ch Channel, err error) {
	if !errors.Is(err, ErrRateLimited) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrNoChannel) {
		target := ""
		if licenseID != "" {
			target = licenseTarget(licenseID)
		}
		s.record(ctx, EventCodeRequested, target, err, codeChange{Channel: ch, ComputerID: computerID})
	}
	o := s.cfg.observer
	if o == nil {
		return
	}
	e := CodeEvent{
		LicenseID: licenseID, ComputerID: computerID, Channel: ch,
		Outcome: Outcome(err), Err: err, At: s.now(),
	}
	e.Actor, _ = ActorFrom(ctx)
	o.CodeRequest(ctx, e)
}

// codeChange is what the audit trail keeps of a code request: never the
// code, nor the address it went to.
type codeChange struct {
	Channel    Channel `json:"channel,omitempty"`
	ComputerID string  `json:"computerId,omitempty"`
}
