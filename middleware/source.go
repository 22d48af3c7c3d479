package middleware

import (
	"context"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/status"
)

// StateSource tells the gate the current state of an activation when it
// needs no proof of possession. [*license.Service] satisfies it.
// The state must carry the AID asked for and the license's product ID
// (a state of another product is refused with [ErrWrongProduct]).
// ActivationState returns an error matching [license.ErrNotFound] for an
// activation it does not know; any other error is a failure of the source,
// which the gate rides out with the last known state for the grace period.
type StateSource interface {
	ActivationState(ctx context.Context, aid string) (license.State, error)
}

// RemoteStateSource tells the gate the current state of an activation when
// the source wants proof that the caller holds a token of that activation,
// such as a licgate status endpoint reached through a [*status.Client],
// which satisfies it. token is a token the gate has verified whose
// subject is aid. Errors are read as for [StateSource].
type RemoteStateSource interface {
	ActivationState(ctx context.Context, aid, token string) (license.State, error)
}

// LocalSource is a license server in the same process as the gate, as
// [NewLocal] needs it: the keys and the issuer of the tokens it issues,
// and the state of its activations, read as for [StateSource].
// [*license.Service] satisfies it.
type LocalSource interface {
	KeySet() *license.KeySet
	Issuer() string
	ActivationState(ctx context.Context, aid string) (license.State, error)
}

// fetcher is the one shape the gate calls either source through.
type fetcher interface {
	fetch(ctx context.Context, aid, token string) (license.State, error)
}

type localFetcher struct{ s StateSource }

func (f localFetcher) fetch(ctx context.Context, aid, _ string) (license.State, error) {
	return f.s.ActivationState(ctx, aid)
}

type remoteFetcher struct{ s RemoteStateSource }

func (f remoteFetcher) fetch(ctx context.Context, aid, token string) (license.State, error) {
	return f.s.ActivationState(ctx, aid, token)
}

var (
	_ StateSource = (*license.Service)(nil)
	_ LocalSource = (*license.Service)(nil)
	_ fetcher     = localFetcher{}
	_ fetcher     = remoteFetcher{}

	_ RemoteStateSource = (*status.Client)(nil)
)
