package middleware

import (
	"context"

	"github.com/licgate/licgate/license"
)

// Grant is what the gate learned about the activation behind a request it
// let through. Its slices are shared with the gate's caches: read them,
// never modify them.
type Grant struct {
	// Claims are the verified claims of the activation token.
	Claims license.Claims
	// State is the activation's state as the source last told it; for a
	// gate with no source ([WithTokenOnly]), what the token's claims say.
	State license.State
	// Stale is set when the source failed and State is the last known good
	// state, served within the grace period.
	Stale bool
}

// AID returns the activation ID.
func (g Grant) AID() string { return g.Claims.Subject }

// HasFeature reports whether the license grants feature f, by its current
// state (the token's features are those at the time it was issued).
func (g Grant) HasFeature(f string) bool { return g.State.HasFeature(f) }

// contextKey is the type of the one context key of this package.
type contextKey struct{}

// grantBox is the context value of a request the gate let through: one
// immutable value per token and state, shared by the requests that carry
// them, so that a request on the cached path allocates nothing for it.
type grantBox struct {
	gate  *Gate
	state *stateEntry
	err   error // ErrWrongProduct when the state's product is not accepted
	grant Grant
}

// NewContext returns a copy of ctx that carries g, for testing handlers
// that read [FromContext].
func NewContext(ctx context.Context, g Grant) context.Context {
	return context.WithValue(ctx, contextKey{}, &grantBox{grant: g})
}

// FromContext returns the grant of a request the gate let through.
func FromContext(ctx context.Context) (Grant, bool) {
	b, ok := ctx.Value(contextKey{}).(*grantBox)
	if !ok {
		return Grant{}, false
	}
	return b.grant, true
}
