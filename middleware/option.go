package middleware

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/licgate/licgate/license"
)

// Option configures a [Gate]. Options run in order after the defaults are
// set; an invalid value, or options that contradict each other, make [New],
// [NewLocal] and [NewRemote] fail with an error wrapping [ErrBadOption].
type Option func(*config) error

type config struct {
	// Exactly one way to verify tokens: keys, jwksURL, verifier, or the
	// keyfunc of a license file (NewOffline). keyOpts counts the options
	// that chose one, so that two are refused.
	keys        *license.KeySet
	jwksURL     string
	verifier    *license.Verifier
	keyfunc     jwt.Keyfunc
	keyOpts     int
	pins        []string // thumbprints of the keys allowed to verify
	jwksRefresh time.Duration
	httpClient  *http.Client

	issuer    string
	issuerSet bool // WithIssuer was given
	audiences []string
	audSet    bool // WithAudiences was given
	leeway    time.Duration
	leewaySet bool // WithLeeway was given

	// Exactly one state source: source, remote, or the status endpoint
	// of serverURL, a client of which is made once the options have run;
	// or none, said explicitly with tokenOnly.
	source       StateSource
	remote       RemoteStateSource
	serverURL    string
	tokenOnly    bool
	sourceOpts   int
	stateSet     bool // an option about states was given
	offline      bool // made by NewOffline
	preflight    bool
	stateTTL     time.Duration
	negativeTTL  time.Duration
	negativeSet  bool // WithNegativeTTL was given
	grace        time.Duration
	stateTimeout time.Duration
	verifyTTL    time.Duration
	cleanup      time.Duration

	sources      []tokenSource
	errorHandler ErrorHandler
	decided      DecisionHook
	logger       *slog.Logger
	now          func() time.Time
}

func defaultConfig() config {
	return config{
		jwksRefresh:  time.Hour,
		issuer:       "licgate",
		stateTTL:     30 * time.Second,
		negativeTTL:  10 * time.Second,
		stateTimeout: 5 * time.Second,
		verifyTTL:    time.Hour,
		cleanup:      time.Minute,
		errorHandler: DefaultErrorHandler,
		now:          time.Now,
	}
}

func badOption(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadOption}, args...)...)
}

// WithKeySet verifies tokens with the keys of a key set in this process,
// typically the [license.Service]'s own. [New] needs exactly one of
// WithKeySet, [WithJWKSURL] and [WithVerifier]; [NewLocal] and [NewRemote]
// take none of them. Default: none.
func WithKeySet(ks *license.KeySet) Option {
	return func(c *config) error {
		if ks == nil {
			return badOption("nil key set")
		}
		c.keys = ks
		c.keyOpts++
		return nil
	}
}

// WithVerifier verifies tokens with a verifier built elsewhere, which
// carries its own keys, issuer, audiences, leeway and clock: it cannot be
// combined with [WithKeySet], [WithJWKSURL], [WithIssuer], [WithAudiences]
// or [WithLeeway]. The gate still checks that the state of the activation
// is of the product the token names. Default: none.
func WithVerifier(v *license.Verifier) Option {
	return func(c *config) error {
		if v == nil {
			return badOption("nil verifier")
		}
		c.verifier = v
		c.keyOpts++
		return nil
	}
}

// WithJWKSURL verifies tokens with the keys of a JSON Web Key Set fetched
// from an http or https URL, such as a licgate server's
// /.well-known/jwks.json. The set is fetched by [New] (which does not fail
// if the server is down), refreshed in the background every
// [WithJWKSRefresh], and fetched again, at most once a minute, when a token
// names an unknown key ID. Call [Gate.Close] to stop the refreshing.
// [New] needs exactly one of [WithKeySet], WithJWKSURL and [WithVerifier];
// [NewRemote] sets it from the server's URL. Default: none.
func WithJWKSURL(rawURL string) Option {
	return func(c *config) error {
		if !absoluteHTTP(rawURL) {
			return badOption("JWKS URL %q is not an absolute http(s) URL", rawURL)
		}
		c.jwksURL = rawURL
		c.keyOpts++
		return nil
	}
}

// absoluteHTTP reports whether s is an absolute http or https URL.
func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// WithJWKSRefresh sets how often the key set of [WithJWKSURL] is fetched
// again, at least one minute. Default: 1 hour.
func WithJWKSRefresh(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Minute {
			return badOption("JWKS refresh %v under one minute", d)
		}
		c.jwksRefresh = d
		return nil
	}
}

// WithHTTPClient sets the client that fetches the key set of
// [WithJWKSURL], and with [NewRemote] also asks the status endpoint. The
// gate reads at most 1 MiB of a key set, and never follows a redirect of
// the status endpoint. Default: a client with a 10-second timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return badOption("nil HTTP client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithIssuer sets the iss claim tokens must carry: the issuer the
// license server was configured with. It may be given once, and not with
// [WithVerifier], [NewLocal] or [NewOffline], which know the issuer.
// Default: "licgate", the default of [license.WithIssuer].
func WithIssuer(iss string) Option {
	return func(c *config) error {
		if iss == "" {
			return badOption("empty issuer")
		}
		if c.issuerSet {
			return badOption("issuer given twice (NewLocal and NewOffline take it from their source)")
		}
		c.issuer, c.issuerSet = iss, true
		return nil
	}
}

// WithAudiences sets the products whose activations the gate accepts: a
// token must name one of them as its audience, or it is invalid (401), and
// the activation's license must be for one of them, or the request is
// refused with [ErrWrongProduct] (403). Not with [WithVerifier], whose
// verifier checks the audience itself. Default: any product.
func WithAudiences(products ...string) Option {
	return func(c *config) error {
		for _, p := range products {
			if p == "" {
				return badOption("empty product ID")
			}
		}
		c.audiences, c.audSet = append([]string(nil), products...), true
		return nil
	}
}

// WithLeeway sets the clock skew tolerated on a token's exp and nbf, up to
// five minutes. Not with [WithVerifier], whose verifier has its own.
// Default: 0.
func WithLeeway(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 || d > 5*time.Minute {
			return badOption("leeway %v out of range 0..5m", d)
		}
		c.leeway, c.leewaySet = d, true
		return nil
	}
}

// WithStateSource sets where the gate learns the state of an activation
// when the source needs no proof of possession, such as a
// [*license.Service] in this process. [New] needs exactly one of
// WithStateSource and [WithRemoteStateSource]; [NewLocal] and [NewRemote]
// take neither. Default: none.
func WithStateSource(s StateSource) Option {
	return func(c *config) error {
		if isNil(s) {
			return badOption("nil state source")
		}
		c.source = s
		c.sourceOpts++
		return nil
	}
}

// WithRemoteStateSource sets where the gate learns the state of an
// activation when the source wants the activation token as proof of
// possession, such as a licgate status endpoint through a
// [*status.Client]. [New] needs exactly one of [WithStateSource] and
// WithRemoteStateSource; [NewLocal] and [NewRemote] take neither.
// Default: none.
func WithRemoteStateSource(s RemoteStateSource) Option {
	return func(c *config) error {
		if isNil(s) {
			return badOption("nil remote state source")
		}
		c.remote = s
		c.sourceOpts++
		return nil
	}
}

// WithTokenOnly makes a gate with no state source: a verified token alone
// decides, until it expires, and the [Grant]'s State is what the token's
// claims say (an active activation of an active license, with the token's
// features). Nothing revokes, suspends or releases an activation for such
// a gate before its token expires. That is right only where no license
// server can be asked and tokens are short-lived next to their license, as
// the tokens of offline license files are ([NewOffline]), which a renewed
// file replaces. It stands in for [WithStateSource] and
// [WithRemoteStateSource], and is never implied: [New] given none of the
// three fails with [ErrNoStateSource]. It cannot be given with the options
// about states ([WithStateTTL], [WithNegativeTTL], [WithGracePeriod],
// [WithStateTimeout]). Default: off, a state source is required.
func WithTokenOnly() Option {
	return func(c *config) error {
		if !c.tokenOnly {
			c.tokenOnly = true
			c.sourceOpts++
		}
		return nil
	}
}

// WithPinnedKeys lets tokens verify only with the keys whose RFC 7638
// thumbprints ([license.Thumbprint], the key IDs licgate gives its keys)
// are among thumbprints. The thumbprint is computed from the key itself,
// never taken from a key ID, so a key set, a JWKS or a license file may
// hold other keys, but a token signed with one of them is invalid (401).
// With [NewOffline], whose keys come from the license file, it is what
// makes a forged file fail. Not with [WithVerifier]. Default: any key of
// the set.
func WithPinnedKeys(thumbprints ...string) Option {
	return func(c *config) error {
		if len(thumbprints) == 0 {
			return badOption("no key thumbprints to pin")
		}
		for _, tp := range thumbprints {
			if b, err := base64.RawURLEncoding.DecodeString(tp); err != nil || len(b) != sha256.Size {
				return badOption("key thumbprint %q is not a base64url SHA-256", tp)
			}
		}
		c.pins = append(c.pins, thumbprints...)
		return nil
	}
}

// WithStateTTL sets how long a state that lets requests through is used
// before the source is asked again, between one second and one day. A
// revoked or suspended activation is shut out on every replica at most
// this long after the change, while the source answers. A state whose
// lease ends sooner is used only until the lease ends, when the source is
// asked whether it was renewed. Default: 30 seconds.
func WithStateTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second || d > 24*time.Hour {
			return badOption("state TTL %v out of range 1s..24h", d)
		}
		c.stateTTL = d
		c.stateSet = true
		return nil
	}
}

// WithNegativeTTL sets how long a state that refuses requests (an unknown,
// revoked, suspended or released activation) is used before the source is
// asked again, and how long the gate waits after a failed fetch before it
// asks again while it serves a last known good state; between one second
// and one day. Default: 10 seconds, or the state TTL if that is shorter, so
// that a license resumed after a suspension is let in again within the
// state TTL.
func WithNegativeTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second || d > 24*time.Hour {
			return badOption("negative TTL %v out of range 1s..24h", d)
		}
		c.negativeTTL, c.negativeSet = d, true
		c.stateSet = true
		return nil
	}
}

// WithGracePeriod sets how long past its TTL the last known state of an
// activation is still used while the source fails (errors other than not
// found, or times out). Once it ends, requests fail with
// [ErrStateUnavailable] (503) until the source answers again. Zero fails
// closed at once; at most 30 days. Default: 0.
func WithGracePeriod(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 || d > 30*24*time.Hour {
			return badOption("grace period %v out of range 0..720h", d)
		}
		c.grace = d
		c.stateSet = true
		return nil
	}
}

// WithStateTimeout bounds one fetch of a state from the source, between
// 100 milliseconds and one minute. The fetch is shared by every request
// waiting for the same activation and is not cancelled when one of them
// goes away. Default: 5 seconds.
func WithStateTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 100*time.Millisecond || d > time.Minute {
			return badOption("state timeout %v out of range 100ms..1m", d)
		}
		c.stateTimeout = d
		c.stateSet = true
		return nil
	}
}

// WithVerifyCacheTTL bounds how long a verified token is remembered, so
// that it is not verified again on every request; an entry never outlives
// the token's exp. Zero verifies every request. Default: 1 hour.
func WithVerifyCacheTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return badOption("negative verify cache TTL")
		}
		c.verifyTTL = d
		return nil
	}
}

// WithCleanupInterval sets how often expired cache entries are removed
// from memory, between one second and one hour. The removal runs on a
// goroutine of github.com/patrickmn/go-cache that lives until the [Gate] is
// garbage collected. Default: 1 minute.
func WithCleanupInterval(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second || d > time.Hour {
			return badOption("cleanup interval %v out of range 1s..1h", d)
		}
		c.cleanup = d
		return nil
	}
}

// WithBearerToken reads the token from an "Authorization: Bearer" header
// (RFC 6750). Token options add places to look, tried in the order given;
// the first that holds a token wins, and a malformed one ends the search.
// Default: when no token option is given, the bearer header alone.
func WithBearerToken() Option {
	return func(c *config) error {
		c.sources = append(c.sources, tokenSource{kind: fromBearer})
		return nil
	}
}

// WithHeaderToken reads the token whole from the named header, for example
// "X-Activation-Token". Default: when no token option is given, the bearer
// header alone (see [WithBearerToken]).
func WithHeaderToken(name string) Option {
	return func(c *config) error {
		if !validName(name) {
			return badOption("header name %q", name)
		}
		c.sources = append(c.sources, tokenSource{kind: fromHeader, name: textproto.CanonicalMIMEHeaderKey(name)})
		return nil
	}
}

// WithCookieToken reads the token from the named cookie. Default: when no
// token option is given, the bearer header alone (see [WithBearerToken]).
func WithCookieToken(name string) Option {
	return func(c *config) error {
		if !validName(name) {
			return badOption("cookie name %q", name)
		}
		c.sources = append(c.sources, tokenSource{kind: fromCookie, name: name})
		return nil
	}
}

// WithStaticToken uses one token for every request: the service's own
// activation token, for a service that gates itself. Default: when no
// token option is given, the bearer header alone (see [WithBearerToken]).
func WithStaticToken(token string) Option {
	return func(c *config) error {
		tok, err := checkToken(trimSpace(token))
		if err != nil || !wellFormed(tok) {
			return badOption("static token is not a compact JWS")
		}
		c.sources = append(c.sources, tokenSource{kind: fromStatic, name: tok})
		return nil
	}
}

// WithTokenExtractor adds a function that finds the token of a request.
// Default: when no token option is given, the bearer header alone (see
// [WithBearerToken]).
func WithTokenExtractor(fn TokenExtractor) Option {
	return func(c *config) error {
		if fn == nil {
			return badOption("nil token extractor")
		}
		c.sources = append(c.sources, tokenSource{kind: fromFunc, fn: fn})
		return nil
	}
}

// WithCORSPreflight lets CORS preflight requests through the gate
// without a token: an OPTIONS request with an Origin and an
// Access-Control-Request-Method header goes straight to the next handler,
// with no [Grant] in its context, so that a CORS handler there can answer
// it. Browsers send preflights without credentials, so a gate in front of a
// cross-origin API refuses them unless told to let them by. Only the
// preflight passes: the request it announces is gated as any other.
// Default: off, every request is gated.
func WithCORSPreflight() Option {
	return func(c *config) error {
		c.preflight = true
		return nil
	}
}

// WithErrorHandler sets what answers a refused request. Default:
// [DefaultErrorHandler].
func WithErrorHandler(h ErrorHandler) Option {
	return func(c *config) error {
		if h == nil {
			return badOption("nil error handler")
		}
		c.errorHandler = h
		return nil
	}
}

// DecisionHook is told how the gate decided a request: r, and [ReasonOK]
// when it let r through, else the stable reason of the refusal (one of
// the Reason constants, as [Reason] gives it and the problem document
// carries it). It is the hook for metrics and audit records.
//
// The gate calls it synchronously, before it calls the next handler or
// the [ErrorHandler], so it must be fast, must not block, must be safe for
// concurrent use and must not panic: count, or hand the decision to a
// queue. It cannot change the decision. A CORS preflight let by with
// [WithCORSPreflight] is not decided, so not reported. A request behind
// two handlers of one gate (a [Gate.Require] inside a [Gate.Handler]) is
// reported once when it passes both, and twice when the inner one
// refuses it.
type DecisionHook func(r *http.Request, reason string)

// ReasonOK is the reason a [DecisionHook] is given for a request the gate
// let through. No problem document carries it.
const ReasonOK = "ok"

// WithDecisionHook sets what is told how each gated request was decided.
// On the cached path the gate allocates nothing for it. Default: nil,
// nobody is told.
func WithDecisionHook(h DecisionHook) Option {
	return func(c *config) error {
		if h == nil {
			return badOption("nil decision hook")
		}
		c.decided = h
		return nil
	}
}

// WithLogger sets where the gate reports refusals (at debug level), state
// source failures (warn) and key set fetch failures (warn), with their
// internal detail. Default: nil, silent.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		c.logger = l
		return nil
	}
}

// WithClock sets the source of the current time for every expiry decision:
// token exp and nbf, cache entries, grace periods and license expiry.
// Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return badOption("nil clock")
		}
		c.now = now
		return nil
	}
}

// isNil reports whether v is nil or a nil pointer in an interface, which
// would panic on the first call.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Chan, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// validName reports whether s is a non-empty HTTP token (RFC 9110 §5.6.2),
// as header and cookie names must be.
func validName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
