package middleware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/sync/singleflight"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/status"
)

// maxCachedTokens bounds the verified-token cache; past it, tokens are
// still accepted but verified on every request until entries expire.
const maxCachedTokens = 1 << 17

// Gate lets a request through only while a valid activation stands behind
// it. Build one with [NewLocal] beside a license server in the same
// process, [NewRemote] for a licgate server elsewhere, [NewOffline] on a
// machine with a license file and no server, or [New] for full control,
// and wrap handlers with [Gate.Handler] or [Gate.Require]. A Gate is
// immutable and safe for concurrent use.
type Gate struct {
	cfg      config
	logger   *slog.Logger
	verifier *license.Verifier
	source   fetcher // nil for a token-only gate
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
	// deny is a refusal that does not come from the state: the source
	// does not know the activation. Otherwise the state decides, by
	// [license.State.Err] at the time of each request.
	deny  error
	good  bool      // the state let requests through when it was fetched
	fresh time.Time // used without asking the source until then
	keep  time.Time // kept as last known state until then
	stale bool      // kept after the source failed
}

func (e *stateEntry) expiry() time.Time { return e.keep }

// jwksPath is where a licgate server serves its public keys.
const jwksPath = "/.well-known/jwks.json"

// New returns a gate configured by opts, for full control. It needs a way
// to verify tokens ([WithKeySet], [WithJWKSURL] or [WithVerifier]) and a
// state source ([WithStateSource] or [WithRemoteStateSource]), or else the
// explicit [WithTokenOnly]; everything else has a secure default.
// [NewLocal], [NewRemote] and [NewOffline] are shorter for the usual
// cases. Errors wrap [ErrBadOption]: [ErrNoKeys] and [ErrNoStateSource]
// among them.
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
	return build(cfg)
}

// NewLocal returns a gate in the same process as the license server src,
// typically a [*license.Service]: it verifies tokens with src's keys and
// issuer and asks src for the state of activations. opts may set anything
// but the keys, the issuer and the state source. Errors wrap
// [ErrBadOption].
func NewLocal(src LocalSource, opts ...Option) (*Gate, error) {
	if isNil(src) {
		return nil, badOption("nil local source")
	}
	ks := src.KeySet()
	if ks == nil {
		return nil, badOption("local source without a key set")
	}
	return New(append([]Option{WithKeySet(ks), WithIssuer(src.Issuer()), WithStateSource(src)}, opts...)...)
}

// NewRemote returns a gate for the licgate server at serverURL, an
// absolute http or https URL such as "https://lic.example.com": it
// verifies tokens with the server's public keys, fetched from
// serverURL+"/.well-known/jwks.json" and refreshed as [WithJWKSURL] says,
// and learns the state of activations from the server's status endpoint
// at serverURL+[status.Path], presenting the token. The server's issuer is
// not in its key set: give [WithIssuer] unless it is the default. opts
// may set anything but the keys and the state source; [WithHTTPClient]
// serves both requests and [WithStateTimeout] bounds each state request.
// Call [Gate.Close] to stop the key refresh. Errors wrap [ErrBadOption].
func NewRemote(serverURL string, opts ...Option) (*Gate, error) {
	base := strings.TrimRight(serverURL, "/")
	u, err := url.Parse(base)
	if err != nil || !absoluteHTTP(base) || u.RawQuery != "" || u.Fragment != "" {
		return nil, badOption("server URL %q is not an absolute http(s) URL without query", serverURL)
	}
	return New(append([]Option{func(c *config) error {
		c.jwksURL, c.serverURL = base+jwksPath, base
		c.keyOpts++
		c.sourceOpts++
		return nil
	}}, opts...)...)
}

// NewOffline returns a gate for a service on a machine that cannot reach
// its license server, gated by the machine's license file (see
// [license.Service.ActivateOffline]): the file's token is used for every
// request, as [WithStaticToken] uses one, and verified with the keys and
// the issuer in the file, and there is no state source ([WithTokenOnly]):
// requests pass while the token is valid, and once it expires they fail
// with [ErrTokenExpired] (401) until a gate is made from a renewed file.
// Nothing shuts the machine out before that. Check that the file is for
// the machine first, with [license.OfflineLicense.Verify].
//
// NewOffline fails, with an error that also matches [ErrTokenInvalid], if
// the file's token can never pass: forged, of another product or issuer,
// or signed with a key that is not pinned. An expired token is not an
// error: the gate refuses it.
//
// Anyone can write a license file with keys of their own, so NewOffline
// needs [WithPinnedKeys]: the thumbprints of the license server's keys,
// built into the service, so that only a file the server signed passes.
// [WithAudiences], set to the service's product, refuses files for other
// products.
//
// opts may set anything but the keys, the issuer, the state source, the
// options about states and the token. Errors wrap [ErrBadOption].
func NewOffline(file license.OfflineLicense, opts ...Option) (*Gate, error) {
	kf, err := keyfunc.NewJWKSetJSON(file.Keys)
	if err != nil {
		return nil, badOption("the keys of the license file are not a JWKS")
	}
	g, err := New(append([]Option{
		func(c *config) error {
			c.keyfunc = kf.Keyfunc
			c.keyOpts++
			c.offline = true
			return nil
		},
		WithIssuer(file.Issuer),
		WithTokenOnly(),
		WithStaticToken(file.Token),
	}, opts...)...)
	if err != nil {
		return nil, err
	}
	if len(g.cfg.pins) == 0 {
		g.Close()
		return nil, badOption("NewOffline needs WithPinnedKeys: the keys inside a license file cannot vouch for it")
	}
	// A token that will never pass is a bad file, not a refusal to come;
	// one merely expired, or not yet valid by this clock, may be renewed
	// or become valid.
	if _, err := g.verifier.Verify(file.Token); err != nil &&
		!errors.Is(err, jwt.ErrTokenExpired) && !errors.Is(err, jwt.ErrTokenNotValidYet) {
		g.Close()
		return nil, fmt.Errorf("%w: the license file's token: %w: %w", ErrBadOption, ErrTokenInvalid, err)
	}
	return g, nil
}

// build checks a configuration once every option has run and makes the
// gate.
func build(cfg config) (*Gate, error) {
	if !cfg.negativeSet {
		cfg.negativeTTL = min(cfg.negativeTTL, cfg.stateTTL)
	}
	if cfg.keyOpts != 1 {
		return nil, fmt.Errorf("%w (%d given)", ErrNoKeys, cfg.keyOpts)
	}
	if cfg.sourceOpts != 1 {
		return nil, fmt.Errorf("%w (%d given)", ErrNoStateSource, cfg.sourceOpts)
	}
	if cfg.tokenOnly && cfg.stateSet {
		return nil, badOption("a token-only gate has no states: no state TTL, negative TTL, grace period or state timeout")
	}
	if cfg.offline && len(cfg.sources) != 1 {
		return nil, badOption("NewOffline reads the token from its license file alone")
	}
	if cfg.verifier != nil && (cfg.issuerSet || cfg.audSet || cfg.leewaySet || len(cfg.pins) > 0) {
		return nil, badOption("WithVerifier carries its own keys, issuer, audiences and leeway")
	}
	g := &Gate{cfg: cfg, logger: cfg.logger}
	if g.logger == nil {
		g.logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case cfg.tokenOnly: // the token alone decides
	case cfg.source != nil:
		g.source = localFetcher{cfg.source}
	case cfg.remote != nil:
		g.source = remoteFetcher{cfg.remote}
	default:
		var copts []status.ClientOption
		if cfg.httpClient != nil {
			copts = append(copts, status.WithHTTPClient(cfg.httpClient))
		}
		c, err := status.NewClient(cfg.serverURL+status.Path, append(copts, status.WithTimeout(cfg.stateTimeout))...)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadOption, err)
		}
		g.source = remoteFetcher{c}
	}
	if len(g.cfg.sources) == 0 {
		g.cfg.sources = []tokenSource{{kind: fromBearer}}
	}
	switch {
	case cfg.verifier != nil:
		g.verifier = cfg.verifier
	default:
		kf := cfg.keyfunc
		if cfg.keys != nil {
			kf = cfg.keys.Keyfunc
		} else if kf == nil {
			ctx, cancel := context.WithCancel(context.Background())
			j, err := newJWKSKeys(ctx, cfg.jwksURL, cfg.httpClient, cfg.jwksRefresh, g.logger)
			if err != nil {
				cancel()
				return nil, err
			}
			kf, g.cancel = j.keyfunc, cancel
		}
		if len(cfg.pins) > 0 {
			kf = license.PinKeys(kf, cfg.pins...)
		}
		v, err := license.NewVerifier(license.VerifierConfig{
			Keyfunc: kf, Issuer: cfg.issuer, Audiences: cfg.audiences, Leeway: cfg.leeway, Now: cfg.now,
		})
		if err != nil {
			g.Close()
			return nil, fmt.Errorf("%w: %w", ErrBadOption, err)
		}
		g.verifier = v
	}
	g.tokens = newTTLCache[*tokenEntry](cfg.cleanup)
	g.states = newTTLCache[*stateEntry](cfg.cleanup)
	return g, nil
}

// Close stops the background refresh of a key set fetched from
// [WithJWKSURL] or by [NewRemote]; the gate keeps working with the keys it
// has. It does nothing for other gates. It always returns nil.
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
	if g.cfg.preflight && isPreflight(r) {
		h.next.ServeHTTP(w, r)
		return
	}
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
	if g.cfg.decided != nil && !inherited {
		g.cfg.decided(r, ReasonOK)
	}
	if inherited {
		h.next.ServeHTTP(w, r)
		return
	}
	h.next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, contextKey{}, box)))
}

// isPreflight reports whether r is a CORS preflight request: OPTIONS with
// an Origin and an Access-Control-Request-Method header.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && len(r.Header["Origin"]) > 0 &&
		len(r.Header["Access-Control-Request-Method"]) > 0
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
			if errors.Is(err, ErrTokenExpired) && te != nil && g.licenseExpired(r.Context(), te.claims, tok, now) {
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
		var se *stateEntry
		if g.source == nil {
			se = claimsState(te.claims)
		} else if se, err = g.state(r.Context(), te.claims.Subject, tok, now); err != nil {
			return nil, err
		}
		if box == nil || box.state != se {
			box = g.grant(te, se)
			te.last.Store(box)
		}
	}
	se := box.state
	if se.deny != nil {
		return nil, se.deny
	}
	if err := se.state.Err(now); err != nil {
		return nil, denial(err)
	}
	if box.err != nil {
		return nil, box.err
	}
	return box, nil
}

// claimsState is the state of a token-only gate: what the claims say,
// with an active activation and license. It never needs refreshing: the
// token's expiry bounds it.
func claimsState(c *license.Claims) *stateEntry {
	never := time.Unix(1<<62, 0)
	return &stateEntry{
		state: license.State{
			AID: c.Subject, LicenseID: c.LicenseID, ProductID: c.ProductID(),
			Activation: license.StatusActive, License: license.StatusActive, Status: license.StatusActive,
			Features: c.Features,
		},
		good: true, fresh: never, keep: never,
	}
}

// denial returns the gate's sentinel for a refusal of [license.State.Err],
// told apart by [license.Reason] so that the gate names each refusal as
// the license server does.
func denial(err error) error {
	switch license.Reason(err) {
	case license.ReasonLicenseRevoked:
		return ErrLicenseRevoked
	case license.ReasonActivationRevoked:
		return ErrActivationRevoked
	case license.ReasonLicenseSuspended:
		return ErrSuspended
	case license.ReasonLeaseExpired:
		return ErrLeaseExpired
	case license.ReasonActivationReleased:
		return ErrReleased
	case license.ReasonLicenseExpired:
		return ErrLicenseExpired
	default: // a refusal this gate does not know yet: fail closed
		return fmt.Errorf("%w: %w", ErrRevoked, err)
	}
}

// verify checks a token not in the cache, and caches it if it passes.
func (g *Gate) verify(tok string, now time.Time) (*tokenEntry, error) {
	if !wellFormed(tok) {
		return nil, fmt.Errorf("%w: not a compact JWS", ErrTokenMalformed)
	}
	c, err := g.verifier.Verify(tok)
	if err != nil {
		var expired *tokenEntry
		if c != nil { // authentic, but expired
			expired = &tokenEntry{claims: c}
		}
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
		return expired, fmt.Errorf("%w: %w", kind, err)
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

// licenseExpired reports whether the license of an authentic token that
// has expired is past its expiry too, which makes the refusal a 403 rather
// than a 401: tokens expire with their license at the latest. Only a
// cached state is used with a remote source, which refuses expired tokens.
func (g *Gate) licenseExpired(ctx context.Context, c *license.Claims, tok string, now time.Time) bool {
	if g.source == nil {
		return false // a token-only gate knows nothing but the token
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
	return se.deny == nil && se.state.ProductID == c.ProductID() && errors.Is(se.state.Err(now), license.ErrExpired)
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
		e = &stateEntry{state: st, good: st.Err(now) == nil}
		if e.good {
			e.fresh = now.Add(g.cfg.stateTTL)
		} else {
			e.fresh = now.Add(g.cfg.negativeTTL)
		}
		e.keep = e.fresh.Add(g.cfg.grace)
		// A lease may be renewed by a heartbeat: ask again when it ends
		// rather than refuse for the rest of the TTL. Past its end an
		// unrenewed lease refuses by itself, cached or not, and a last
		// known state served through an outage does too.
		if e.good && !st.LeaseUntil.IsZero() && st.LeaseUntil.Before(e.fresh) {
			e.fresh = st.LeaseUntil
		}
	case errors.Is(err, license.ErrNotFound):
		e = &stateEntry{state: license.State{AID: aid}, deny: ErrActivationUnknown, fresh: now.Add(g.cfg.negativeTTL)}
		e.keep = e.fresh.Add(g.cfg.grace)
	case hasPrev:
		g.logger.Warn("license gate: state source failed; serving the last known state", "aid", aid, "kept_until", prev.keep, "err", err)
		c := *prev
		c.stale = true
		c.fresh = now.Add(g.cfg.negativeTTL)
		if c.good && c.keep.Before(c.fresh) {
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

// fail logs err, tells the decision hook and hands err to the error
// handler.
func (g *Gate) fail(w http.ResponseWriter, r *http.Request, err error) {
	if g.cfg.decided != nil {
		g.cfg.decided(r, Reason(err))
	}
	if g.logger.Enabled(r.Context(), slog.LevelDebug) || StatusCode(err) >= 500 {
		level := slog.LevelDebug
		if StatusCode(err) >= 500 {
			level = slog.LevelWarn
		}
		g.logger.Log(r.Context(), level, "license gate: request refused", "reason", Reason(err), "method", r.Method, "path", r.URL.Path, "err", err)
	}
	g.cfg.errorHandler(w, r, err)
}
