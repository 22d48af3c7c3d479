package middleware

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// maxJWKSBytes caps a key set response.
const maxJWKSBytes = 1 << 20

// errNoKeys marks a verification that failed because no key has been
// loaded at all, as opposed to a token naming a key that does not exist.
var errNoKeys = errors.New("no keys loaded from the JWKS URL")

// jwksKeys finds token keys in a JWKS fetched and refreshed by keyfunc.
type jwksKeys struct {
	ctx context.Context
	kf  keyfunc.Keyfunc
}

func newJWKSKeys(ctx context.Context, rawURL string, hc *http.Client, refresh time.Duration, logger *slog.Logger) (*jwksKeys, error) {
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	limited := *hc
	rt := limited.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	limited.Transport = limitTransport{rt: rt, max: maxJWKSBytes}
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{rawURL}, keyfunc.Override{
		Client:           &limited,
		HTTPTimeout:      10 * time.Second,
		RefreshInterval:  refresh,
		RateLimitWaitMax: 10 * time.Second,
		// A token naming an unknown key ID fetches the set again at most
		// once a minute; other such tokens fail at once rather than wait.
		RefreshUnknownKID: rate.NewLimiter(rate.Every(time.Minute), 1),
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				logger.WarnContext(ctx, "license gate: fetching JWKS failed", "url", u, "err", err)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: JWKS: %w", ErrBadOption, err)
	}
	return &jwksKeys{ctx: ctx, kf: kf}, nil
}

// keyfunc returns the key of t, or an error wrapping errNoKeys if the set
// is still empty.
func (j *jwksKeys) keyfunc(t *jwt.Token) (any, error) {
	k, err := j.kf.Keyfunc(t)
	if err == nil {
		return k, nil
	}
	if all, rerr := j.kf.Storage().KeyReadAll(j.ctx); rerr == nil && len(all) == 0 {
		return nil, fmt.Errorf("%w: %w", errNoKeys, err)
	}
	return nil, err
}

// limitTransport caps response bodies.
type limitTransport struct {
	rt  http.RoundTripper
	max int64
}

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = limitedBody{Reader: io.LimitReader(resp.Body, t.max), Closer: resp.Body}
	return resp, nil
}

type limitedBody struct {
	io.Reader
	io.Closer
}
