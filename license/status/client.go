package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/licgate/licgate/license"
)

// maxBody caps the answers the client reads.
const maxBody = 64 << 10

// Client asks a licgate status endpoint for the state of an activation,
// proving possession with the activation's token. Its ActivationState
// method satisfies github.com/licgate/licgate/middleware.RemoteStateSource,
// so a gate in another process can follow revocations:
//
//	c, _ := status.NewClient("https://lic.example.com" + status.Path)
//	gate, _ := middleware.New(middleware.WithJWKSURL(jwksURL), middleware.WithRemoteStateSource(c), …)
//
// (middleware.NewRemote does this for a server's base URL.)
//
// A Client is safe for concurrent use.
type Client struct {
	endpoint string
	hc       *http.Client
	timeout  time.Duration
}

// ClientOption configures a [Client].
type ClientOption func(*Client) error

// WithHTTPClient sets the HTTP client requests go through. The client
// never follows redirects, so the token goes only to the endpoint given.
// Default: a client with no timeout of its own, bounded by [WithTimeout].
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) error {
		if hc == nil {
			return fmt.Errorf("%w: nil HTTP client", ErrBadOption)
		}
		c.hc = hc
		return nil
	}
}

// WithTimeout bounds each request, between 100 milliseconds and one
// minute. Default: 5 seconds.
func WithTimeout(d time.Duration) ClientOption {
	return func(c *Client) error {
		if d < 100*time.Millisecond || d > time.Minute {
			return fmt.Errorf("%w: timeout %v out of range 100ms..1m", ErrBadOption, d)
		}
		c.timeout = d
		return nil
	}
}

// NewClient returns a client of the status endpoint at the absolute http
// or https URL endpoint, for example "https://lic.example.com" + [Path].
func NewClient(endpoint string, opts ...ClientOption) (*Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: endpoint %q is not an absolute http(s) URL", ErrBadOption, endpoint)
	}
	c := &Client{endpoint: endpoint, hc: &http.Client{}, timeout: 5 * time.Second}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrBadOption)
		}
		if err := o(c); err != nil {
			return nil, err
		}
	}
	hc := *c.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = &hc
	return c, nil
}

// ActivationState returns the state of the activation aid, presenting
// token, a token of that activation. A state from a licgate 0.x server has
// only the summed-up Status, which [license.State.Err] judges. Errors: one
// wrapping [license.ErrNotFound] if the server does not know the
// activation, [ErrUnauthorized] if it refuses the token, [ErrBadResponse]
// for an answer that is not the state of aid (or has no status at all),
// or [ErrUnavailable] for anything else, the network included.
func (c *Client) ActivationState(ctx context.Context, aid, token string) (license.State, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint, nil)
	if err != nil {
		return license.State{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return license.State{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	defer io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody)) // let the connection be reused
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return license.State{}, fmt.Errorf("status: activation %s: %w", aid, license.ErrNotFound)
	case http.StatusUnauthorized:
		return license.State{}, ErrUnauthorized
	default:
		return license.State{}, fmt.Errorf("%w: HTTP %d", ErrUnavailable, resp.StatusCode)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return license.State{}, fmt.Errorf("%w: content type %q", ErrBadResponse, resp.Header.Get("Content-Type"))
	}
	var st license.State
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxBody))
	if err := dec.Decode(&st); err != nil {
		return license.State{}, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return license.State{}, fmt.Errorf("%w: data after the state", ErrBadResponse)
	}
	if st.AID != aid {
		return license.State{}, fmt.Errorf("%w: state of activation %q, not %q", ErrBadResponse, st.AID, aid)
	}
	if st.Status == "" && st.Activation == "" && st.License == "" {
		return license.State{}, fmt.Errorf("%w: state without a status", ErrBadResponse)
	}
	return st, nil
}
