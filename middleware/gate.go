package middleware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/sync/singleflight"

	"github.com/licgate/licgate/license"
)

// maxCachedTokens bounds the verified-token cache; past it, tokens are
// still accepted but verified on every request until entries expire.
const maxCachedTokens = 1 << 17

// Gate lets a request through only while a valid activation stands behind
// it. Build one with [New] and wrap handlers with [Gate.Handler] or
// [Gate.Require]. A Gate is immutable and safe for concurrent use.
type Gate struct {
	cfg      config
	logger   *slog.Logger
	verifier *license.Verifier
	keyfunc  jwt.Keyfunc
	lax      *jwt.Parser // checks signatures only, for expired tokens
	source   fetcher
	tokens   ttlCache[*tokenEntry]
	states   ttlCache[*stateEntry]
	flights  singleflight.Group
	cancel   context.CancelFunc
}

// tokenEntry is a verified token. last is the grant built the last time
// the token passed, reused while the state entry it was built from is
// current.
type tokenEntry struct {
	claims *license.Claims
	until  time.Time
	last   atomic.Pointer[grantBox]
}

func (e *tokenEntry) expiry() time.Time { return e.until }

// stateEntry is what the gate knows about an activation. Entries are
// immutable; each fetch stores a new one.
type stateEntry struct {
	state license.State
	deny  error     // the refusal the state itself implies, or nil
	fresh time.Time // used without asking the source until then
	keep  time.Time // kept as last known state until then
	stale bool      // kept after the source failed
}

func (e *stateEntry) expiry() time.Time { return e.keep }

// New returns a gate configured by opts. It needs keys ([WithKeySet] or
// [WithJWKSURL]) and a state source ([WithStateSource] or
// [WithRemoteStateSource]); everything else has a secure default. Errors
// wrap [ErrBadOption], [ErrNoKeys] or [ErrNoStateSource].
func New(opts ...Option) (*Gate, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return nil, badOption("nil option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if !cfg.negativeSet {
		cfg.negativeTTL = min(cfg.negativeTTL, cfg.stateTTL)
	}
	if (cfg.keys == nil) == (cfg.jwksURL == "") {
		return nil, ErrNoKeys
	}
	g := &Gate{cfg: cfg, logger: cfg.logger}
	switch {
	case cfg.source != nil && cfg.remote == nil:
		g.source = localFetcher{cfg.source}
	case cfg.remote != nil && cfg.source == nil:
		g.source = remoteFetcher{cfg.remote}
	default:
		return nil, ErrNoStateSource
	}
	if g.logger == nil {
		g.logger = slog.New(slog.DiscardHandler)
	}
	if len(g.cfg.sources) == 0 {
		g.cfg.sources = []tokenSource{{kind: fromBearer}}
	}
	var kf jwt.Keyfunc
	if cfg.keys != nil {
		kf = cfg.keys.Keyfunc
	} else {
		ctx, cancel := context.WithCancel(context.Background())
		j, err := newJWKSKeys(ctx, cfg.jwksURL, cfg.httpClient, cfg.jwksRefresh, g.logger)
		if err != nil {
			cancel()
			return nil, err
		}
		kf, g.cancel = j.keyfunc, cancel
	}
	v, err := license.NewVerifier(license.VerifierConfig{
		Keyfunc: kf, Issuer: cfg.issuer, Audiences: cfg.audiences, Leeway: cfg.leeway, Now: cfg.now,
	})
	if err != nil {
		g.Close()
		return nil, fmt.Errorf("%w: %w", ErrBadOption, err)
	}
	g.verifier, g.keyfunc = v, kf
	g.lax = jwt.NewParser(jwt.WithValidMethods([]string{license.TokenAlgorithm}), jwt.WithoutClaimsValidation())
	g.tokens = newTTLCache[*tokenEntry](cfg.cleanup)
	g.states = newTTLCache[*stateEntry](cfg.cleanup)
	return g, nil
}

// Close stops the background refresh of a key set fetched from
// [WithJWKSURL]; the gate keeps working with the keys it has. It does
// nothing for a gate with [WithKeySet]. It always returns nil.
func (g *Gate) Close() error {
	if g.cancel != nil {
		g.cancel()
	}
	return nil
}

// Handler returns next behind the gate: a request passes only with a
// valid token of an activation whose state lets it through, and next sees
// the [Grant] through [FromContext]. Otherwise the [ErrorHandler] answers.
// It composes with http.ServeMux and with chi's r.Use(gate.Handler).
func (g *Gate) Handler(next http.Handler) http.Handler {
	return &gated{g: g, next: next}
}

// Require returns middleware like [Gate.Handler] that also requires the
// license to grant every one of features, else [ErrFeatureMissing]. Behind
// a Handler of the same gate it only checks the features.
func (g *Gate) Require(features ...string) func(http.Handler) http.Handler {
	fs := slices.Clone(features)
	return func(next http.Handler) http.Handler {
		return &gated{g: g, next: next, features: fs}
	}
}

// RequireFunc is [Gate.Require] with features chosen per request, for
// example from a path value: features(r) names those r needs.
func (g *Gate) RequireFunc(features func(r *http.Request) []string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return &gated{g: g, next: next, featuresOf: features}
	}
}

// gated is a handler behind the gate.
type gated struct {
	g          *Gate
	next       http.Handler
	features   []string
	featuresOf func(*http.Request) []string
}

func (h *gated) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := h.g
	ctx := r.Context()
	box, inherited := ctx.Value(contextKey{}).(*grantBox)
	if !inherited || box.gate != g {
		inherited = false
		var err error
		if box, err = g.check(r); err != nil {
			g.fail(w, r, err)
			return
		}
	}
	if err := h.checkFeatures(r, box); err != nil {
		g.fail(w, r, err)
		return
	}
	if inherited {
		h.next.ServeHTTP(w, r)
		return
	}
	h.next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, contextKey{}, box)))
}

func (h *gated) checkFeatures(r *http.Request, box *grantBox) error {
	fs := h.features
	if h.featuresOf != nil {
		fs = h.featuresOf(r)
	}
	for _, f := range fs {
		if !box.grant.State.HasFeature(f) {
			return fmt.Errorf("%w: %q", ErrFeatureMissing, f)
		}
	}
	return nil
}

// check runs the gate on r and returns the grant to put in its context.
// On the cached path it allocates nothing.
func (g *Gate) check(r *http.Request) (*grantBox, error) {
	tok, err := extract(g.cfg.sources, r)
	if err != nil {
		return nil, err
	}
	if tok == "" {
		return nil, ErrNoToken
	}
	now := g.cfg.now()
	te, ok := g.tokens.get(tok, now)
	if !ok {
		if te, err = g.verify(tok, now); err != nil {
			if errors.Is(err, ErrTokenExpired) && g.licenseExpired(r.Context(), tok, now) {
				return nil, fmt.Errorf("%w: the token expired with its license", ErrLicenseExpired)
			}
			return nil, err
		}
	}
	// The state this token last passed with serves while it is fresh,
	// without a lookup in the shared state cache: it is at most one TTL
	// old, whatever other tokens of the activation have learned since.
	box := te.last.Load()
	if box == nil || !now.Before(box.state.fresh) {
		se, err := g.state(r.Context(), te.claims.Subject, tok, now)
		if err != nil {
			return nil, err
		}
		if box == nil || box.state != se {
			box = g.grant(te, se)
			te.last.Store(box)
		}
	}
	se := box.state
	if box.err != nil {
		return nil, box.err
	}
	if se.deny != nil {
		return nil, se.deny
	}
	if exp := se.state.ExpiresAt; !exp.IsZero() && !now.Before(exp) {
		return nil, ErrLicenseExpired
	}
	return box, nil
}

// verify checks a token not in the cache, and caches it if it passes.
func (g *Gate) verify(tok string, now time.Time) (*tokenEntry, error) {
	if !wellFormed(tok) {
		return nil, fmt.Errorf("%w: not a compact JWS", ErrTokenMalformed)
	}
	c, err := g.verifier.Verify(tok)
	if err != nil {
		var kind error
		switch {
		case errors.Is(err, errNoKeys):
			kind = ErrKeysUnavailable
		case errors.Is(err, jwt.ErrTokenExpired):
			kind = ErrTokenExpired
		case errors.Is(err, jwt.ErrTokenMalformed):
			kind = ErrTokenMalformed
		default:
			kind = ErrTokenInvalid
		}
		return nil, fmt.Errorf("%w: %w", kind, err)
	}
	te := &tokenEntry{claims: c, until: c.ExpiresAt.Time}
	if g.cfg.verifyTTL > 0 && g.tokens.len() < maxCachedTokens {
		if limit := now.Add(g.cfg.verifyTTL); limit.Before(te.until) {
			te.until = limit
		}
		g.tokens.set(strings.Clone(tok), te, now)
	}
	return te, nil
}

// licenseExpired reports whether an expired token is authentic and its
// license is past its expiry too, which makes the refusal a 403 rather
// than a 401: tokens expire with their license at the latest. Only a
// cached state is used with a remote source, which refuses expired tokens.
func (g *Gate) licenseExpired(ctx context.Context, tok string, now time.Time) bool {
	c := new(license.Claims)
	if _, err := g.lax.ParseWithClaims(tok, c, g.keyfunc); err != nil {
		return false
	}
	if c.Issuer != g.cfg.issuer || !license.IsUUID(c.Subject) || len(c.Audience) == 0 ||
		len(g.cfg.audiences) > 0 && !slices.Contains(g.cfg.audiences, c.ProductID()) {
		return false
	}
	se, ok := g.states.get(c.Subject, now)
	if !ok {
		if _, remote := g.source.(remoteFetcher); remote {
			return false
		}
		var err error
		if se, err = g.state(ctx, c.Subject, tok, now); err != nil {
			return false
		}
	}
	exp := se.state.ExpiresAt
	return se.state.ProductID == c.ProductID() && !exp.IsZero() && !now.Before(exp)
}

// grant builds the context value for a token and a state.
func (g *Gate) grant(te *tokenEntry, se *stateEntry) *grantBox {
	b := &grantBox{gate: g, state: se, grant: Grant{Claims: *te.claims, State: se.state, Stale: se.stale}}
	if se.deny == nil && (se.state.ProductID != te.claims.ProductID() ||
		len(g.cfg.audiences) > 0 && !slices.Contains(g.cfg.audiences, se.state.ProductID)) {
		b.err = ErrWrongProduct
	}
	return b
}

// state returns what the gate knows of the activation aid: the cached
// entry while fresh, else the result of one fetch shared by every request
// waiting on aid.
func (g *Gate) state(ctx context.Context, aid, tok string, now time.Time) (*stateEntry, error) {
	if e, ok := g.states.get(aid, now); ok && now.Before(e.fresh) {
		return e, nil
	}
	ch := g.flights.DoChan(aid, func() (any, error) { return g.fetch(ctx, aid, tok) })
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*stateEntry), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrStateUnavailable, ctx.Err())
	}
}

// fetch asks the source for the state of aid and stores what it learns.
// When the source fails it keeps the last known state, if any: a good one
// until its grace period ends, a refusal for as long as it is kept.
//
// The fetch keeps the values of ctx, the context of the request that
// started it, but not its cancellation: other requests wait on it too.
func (g *Gate) fetch(ctx context.Context, aid, tok string) (*stateEntry, error) {
	now := g.cfg.now()
	prev, hasPrev := g.states.get(aid, now)
	if hasPrev && now.Before(prev.fresh) {
		return prev, nil // another flight just stored it
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.cfg.stateTimeout)
	defer cancel()
	st, err := g.source.fetch(ctx, aid, tok)
	now = g.cfg.now()
	if err == nil && st.AID != aid {
		err = fmt.Errorf("source answered for activation %q", st.AID)
	}
	var e *stateEntry
	switch {
	case err == nil:
		e = &stateEntry{state: st, deny: statusDenial(st.Status)}
		if e.deny != nil {
			e.fresh = now.Add(g.cfg.negativeTTL)
		} else {
			e.fresh = now.Add(g.cfg.stateTTL)
		}
		e.keep = e.fresh.Add(g.cfg.grace)
	case errors.Is(err, license.ErrNotFound):
		e = &stateEntry{state: license.State{AID: aid}, deny: ErrActivationUnknown, fresh: now.Add(g.cfg.negativeTTL)}
		e.keep = e.fresh.Add(g.cfg.grace)
	case hasPrev:
		g.logger.Warn("license gate: state source failed; serving the last known state", "aid", aid, "kept_until", prev.keep, "err", err)
		c := *prev
		c.stale = true
		c.fresh = now.Add(g.cfg.negativeTTL)
		if c.deny == nil && c.keep.Before(c.fresh) {
			c.fresh = c.keep
		}
		if c.keep.Before(c.fresh) {
			c.keep = c.fresh
		}
		e = &c
	default:
		return nil, fmt.Errorf("%w: %w", ErrStateUnavailable, err)
	}
	g.states.set(aid, e, now)
	return e, nil
}

// statusDenial returns the refusal an activation status implies.
func statusDenial(s license.Status) error {
	switch s {
	case license.StatusActive:
		return nil
	case license.StatusSuspended:
		return ErrSuspended
	case license.StatusReleased:
		return ErrReleased
	default:
		return ErrRevoked
	}
}

// fail logs err and hands it to the error handler.
func (g *Gate) fail(w http.ResponseWriter, r *http.Request, err error) {
	if g.logger.Enabled(r.Context(), slog.LevelDebug) || StatusCode(err) >= 500 {
		level := slog.LevelDebug
		if StatusCode(err) >= 500 {
			level = slog.LevelWarn
		}
		g.logger.Log(r.Context(), level, "license gate: request refused", "reason", Reason(err), "method", r.Method, "path", r.URL.Path, "err", err)
	}
	g.cfg.errorHandler(w, r, err)
}
