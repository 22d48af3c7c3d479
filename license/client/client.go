package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// maxBody caps the answers the client reads; the largest, a license file,
// is at most license.MaxOfflineFileBytes.
const maxBody = 64 << 10

// Client talks to a licgate server for a licensed program: it activates
// the program and keeps its token ([Client.Activate], [Client.Token]),
// takes and keeps leases of floating licenses ([Client.Lease]), and
// carries offline requests and license files ([Client.Offline],
// [Client.LoadLicenseFile]). Every operation that reads the time checks
// the clock first (see [ClockError]).
//
// A Client is safe for concurrent use. Clients in several processes may
// share a state directory.
type Client struct {
	base      string // the server URL without a trailing slash; "" for none
	hc        *http.Client
	timeout   time.Duration
	dir       string
	clock     func() time.Time
	log       *slog.Logger
	tolerance time.Duration
	productID string
	pins      []string
	// wait sleeps for d or until ctx ends; tests replace it.
	wait func(ctx context.Context, d time.Duration) error

	mu       sync.Mutex // guards what follows and the state files
	lastSeen time.Time
	act      *Activation // without a directory
}

// Option configures a [Client].
type Option func(*Client) error

// WithHTTPClient sets the HTTP client requests go through. The client
// never follows redirects, so that keys and tokens go only to the server
// given. Default: a client with no timeout of its own, bounded by
// [WithTimeout].
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return fmt.Errorf("%w: nil HTTP client", ErrBadOption)
		}
		c.hc = hc
		return nil
	}
}

// WithTimeout bounds each request, between 100 milliseconds and 10
// minutes. A heartbeat is also bounded by the end of its lease.
// Default: 30 seconds.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d < 100*time.Millisecond || d > 10*time.Minute {
			return fmt.Errorf("%w: timeout %v out of range 100ms..10m", ErrBadOption, d)
		}
		c.timeout = d
		return nil
	}
}

// WithDir sets the directory where the client keeps its state: the
// activation token and the last time it saw. It is created (mode 0700) if
// it does not exist; an existing directory is used as it is. Files are
// written with mode 0600, through a temporary file renamed over the old
// one, so that a crash leaves either the old state or the new. Default:
// none; the state lives in memory and ends with the Client.
func WithDir(dir string) Option {
	return func(c *Client) error {
		if dir == "" {
			return fmt.Errorf("%w: empty state directory", ErrBadOption)
		}
		c.dir = dir
		return nil
	}
}

// WithClock sets the clock the client reads. Default: [time.Now].
func WithClock(now func() time.Time) Option {
	return func(c *Client) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrBadOption)
		}
		c.clock = now
		return nil
	}
}

// WithLogger sets where the client logs failed heartbeats, lost leases
// and state it could not write. It never logs keys, codes or tokens.
// Default: nil, silent.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) error {
		c.log = l
		return nil
	}
}

// WithClockTolerance sets how far the clock may read before the last time
// seen without a [ClockError]: clocks are corrected now and then, by a few
// seconds. Default: 5 minutes.
func WithClockTolerance(d time.Duration) Option {
	return func(c *Client) error {
		if d < 0 {
			return fmt.Errorf("%w: negative clock tolerance %v", ErrBadOption, d)
		}
		c.tolerance = d
		return nil
	}
}

// WithProductID names the product the program is, for requests where an
// email address alone may not find the license ([Client.RequestCode],
// [Client.ActivateByCode]). Default: none; the server finds the license by
// the email address.
func WithProductID(id string) Option {
	return func(c *Client) error {
		if id == "" {
			return fmt.Errorf("%w: empty product ID", ErrBadOption)
		}
		c.productID = id
		return nil
	}
}

// WithPinnedKeys pins the keys of the license server that may sign the
// license files [Client.LoadLicenseFile] accepts, by their RFC 7638
// thumbprints: the key IDs ("kid") of the keys its
// /.well-known/jwks.json lists, which licgate names by their thumbprints.
// The program ships with them. Keys that come inside a license file prove
// only that the file is intact, since anyone can make a key and sign a
// file with it. Pin a server's next key before it signs, so that files
// signed by either load. Default: none; LoadLicenseFile refuses every
// file.
func WithPinnedKeys(thumbprints ...string) Option {
	return func(c *Client) error {
		if len(thumbprints) == 0 || slices.Contains(thumbprints, "") {
			return fmt.Errorf("%w: no key thumbprints, or an empty one", ErrBadOption)
		}
		c.pins = append(c.pins, thumbprints...)
		return nil
	}
}

// New returns a client of the licgate server at serverURL, an absolute
// http or https URL such as "https://lic.example.com" (the /v1/… paths go
// after it). An empty serverURL makes a client for a computer with no
// network: it keeps state and loads license files, and its calls to the
// server fail with [ErrBadOption].
func New(serverURL string, opts ...Option) (*Client, error) {
	c := &Client{
		hc: &http.Client{}, timeout: 30 * time.Second, clock: time.Now,
		tolerance: 5 * time.Minute, wait: sleep,
	}
	if serverURL != "" {
		u, err := url.Parse(serverURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, fmt.Errorf("%w: server URL %q is not an absolute http(s) URL", ErrBadOption, serverURL)
		}
		c.base = strings.TrimSuffix(u.String(), "/")
	}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrBadOption)
		}
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	hc := *c.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = &hc
	if c.dir != "" {
		if err := ensureDir(c.dir); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// answer is a response the client read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// send makes one request to path with an optional bearer token and JSON
// body, and reads the answer. A status in ok is a success; any other is
// returned as a *ProblemError. limit, if positive, bounds the request.
func (c *Client) send(ctx context.Context, method, path, bearer string, body []byte, limit time.Duration, ok ...int) (answer, error) {
	if c.base == "" {
		return answer{}, fmt.Errorf("%w: the client has no server URL", ErrBadOption)
	}
	if limit <= 0 || limit > c.timeout {
		limit = c.timeout
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return answer{}, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return answer{}, fmt.Errorf("client: %s %s: reading the answer: %w", method, path, err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: data}
	for _, s := range ok {
		if s == resp.StatusCode {
			if len(data) > maxBody {
				return a, fmt.Errorf("%w: %s %s: the answer is larger than %d bytes", ErrBadResponse, method, path, maxBody)
			}
			return a, nil
		}
	}
	return a, parseProblem(resp.StatusCode, resp.Header, data, c.clock())
}

// decode reads the JSON answer a into v.
func decode(a answer, v any) error {
	if mt, _, err := mime.ParseMediaType(a.header.Get("Content-Type")); err != nil || mt != "application/json" {
		return fmt.Errorf("%w: content type %q, not application/json", ErrBadResponse, a.header.Get("Content-Type"))
	}
	if err := json.Unmarshal(a.body, v); err != nil {
		return fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	return nil
}

// problemDoc is an RFC 9457 problem document as licgate writes it.
type problemDoc struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Reason string `json:"reason"`
}

// maxRetryAfter caps the wait a server may ask for.
const maxRetryAfter = 24 * time.Hour

// parseProblem returns the problem of an answer with status: the fields
// of its problem document, if it has a readable one, and its Retry-After
// read at now. The status of the answer wins over the document's.
func parseProblem(status int, h http.Header, body []byte, now time.Time) *ProblemError {
	p := &ProblemError{Status: status, Title: http.StatusText(status)}
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if mt == "application/problem+json" || mt == "application/json" {
		var d problemDoc
		if json.Unmarshal(body, &d) == nil {
			p.Reason, p.Detail = clean(d.Reason, 64), clean(d.Detail, 1024)
			if d.Title != "" {
				p.Title = clean(d.Title, 256)
			}
		}
	}
	p.RetryAfter = parseRetryAfter(h.Get("Retry-After"), now)
	return p
}

// clean cuts s to at most n bytes and drops control characters, so that
// what a server sends cannot forge log lines.
func clean(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return -1
		}
		return r
	}, s)
}

// parseRetryAfter reads a Retry-After value, delay seconds or an HTTP
// date, as a wait from now: 0 if it is absent or malformed, at most
// maxRetryAfter.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, ok := atoi(v); ok {
		if n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return max(0, min(d, maxRetryAfter))
}

// atoi parses a non-negative decimal integer of at most 18 digits.
func atoi(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int64(r-'0')
	}
	return n, true
}

// encode marshals a request body; it cannot fail for the structs of this
// package.
func encode(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
