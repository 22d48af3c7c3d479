package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/licgate/licgate/license"
)

// Client calls the admin API of a licgate server, for Go programs and the
// licgate command line. Its methods return the server's refusals as a
// [*Problem], which matches the license sentinel of its reason:
//
//	_, err := c.License(ctx, id)
//	if errors.Is(err, license.ErrNotFound) { … }
//
// A Client is safe for concurrent use.
type Client struct {
	base    string // ends with "/"
	token   string
	hc      *http.Client
	maxBody int64
}

// ClientOption configures a [Client].
type ClientOption func(*Client) error

// WithHTTPClient sets the HTTP client that sends the requests. Default:
// [http.DefaultClient].
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) error {
		if hc == nil {
			return ErrBadOption
		}
		c.hc = hc
		return nil
	}
}

// NewClient returns a client of the API mounted at baseURL, such as
// "http://127.0.0.1:8080/admin/v1", that authenticates with an admin
// token ([license.Service.CreateAdminToken]); an empty token sends none,
// which only [Client.OpenAPI] allows.
func NewClient(baseURL, token string, opts ...ClientOption) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: the base URL must be an absolute http or https URL", ErrBadOption)
	}
	if strings.ContainsAny(token, " \t\r\n") {
		return nil, fmt.Errorf("%w: malformed token", ErrBadOption)
	}
	c := &Client{base: strings.TrimSuffix(u.String(), "/") + "/", token: token, hc: http.DefaultClient, maxBody: 64 << 20}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrBadOption)
		}
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// CallOption configures one call of a [Client].
type CallOption func(*callOptions)

type callOptions struct {
	idempotencyKey string
}

// WithIdempotencyKey sends the request with an Idempotency-Key: sent
// again with the same key, by this program or after its restart, it runs
// once, and every call gets the first answer. Use a new random key (a
// UUID) for each distinct request, and the same key for its retries.
// Keys are 1 to 255 printable ASCII characters. Default: none, each call
// runs.
func WithIdempotencyKey(key string) CallOption {
	return func(o *callOptions) { o.idempotencyKey = key }
}

// CreateProduct creates a product.
func (c *Client) CreateProduct(ctx context.Context, p NewProduct, opts ...CallOption) (Product, error) {
	var out Product
	err := c.do(ctx, http.MethodPost, "products", nil, p, &out, opts)
	return out, err
}

// Products returns every product, by ID.
func (c *Client) Products(ctx context.Context) ([]Product, error) {
	var out ProductList
	err := c.do(ctx, http.MethodGet, "products", nil, nil, &out, nil)
	return out.Data, err
}

// Product returns a product.
func (c *Client) Product(ctx context.Context, id string) (Product, error) {
	var out Product
	err := c.do(ctx, http.MethodGet, "products/"+url.PathEscape(id), nil, nil, &out, nil)
	return out, err
}

// CreateLicense creates a license, and returns it with its credentials.
func (c *Client) CreateLicense(ctx context.Context, l NewLicense, opts ...CallOption) (license.License, error) {
	var out license.License
	err := c.do(ctx, http.MethodPost, "licenses", nil, l, &out, opts)
	return out, err
}

// Licenses returns one page of the licenses f selects.
func (c *Client) Licenses(ctx context.Context, f LicenseFilter) (LicensePage, error) {
	var out LicensePage
	err := c.do(ctx, http.MethodGet, "licenses", encodeQuery(f), nil, &out, nil)
	return out, err
}

// AllLicenses walks every page of the licenses f selects, from f.Cursor
// on, and yields them one by one; it stops at the first error, which it
// yields.
func (c *Client) AllLicenses(ctx context.Context, f LicenseFilter) iter.Seq2[license.License, error] {
	return walk(f.Cursor, func(cursor string) ([]license.License, string, error) {
		f.Cursor = cursor
		p, err := c.Licenses(ctx, f)
		return p.Data, p.Next, err
	})
}

// License returns a license, with its credentials.
func (c *Client) License(ctx context.Context, id string) (license.License, error) {
	var out license.License
	err := c.do(ctx, http.MethodGet, "licenses/"+url.PathEscape(id), nil, nil, &out, nil)
	return out, err
}

// UpdateLicense changes a license as p says, and returns it changed.
func (c *Client) UpdateLicense(ctx context.Context, id string, p LicensePatch) (license.License, error) {
	var out license.License
	err := c.do(ctx, http.MethodPatch, "licenses/"+url.PathEscape(id), nil, p, &out, nil)
	return out, err
}

// Activations returns every activation of a license, oldest first.
func (c *Client) Activations(ctx context.Context, licenseID string) ([]license.Activation, error) {
	var out ActivationList
	err := c.do(ctx, http.MethodGet, "licenses/"+url.PathEscape(licenseID)+"/activations", nil, nil, &out, nil)
	return out.Data, err
}

// Activation returns an activation.
func (c *Client) Activation(ctx context.Context, aid string) (license.Activation, error) {
	var out license.Activation
	err := c.do(ctx, http.MethodGet, "activations/"+url.PathEscape(aid), nil, nil, &out, nil)
	return out, err
}

// ReleaseActivation frees the seat of an activation; its computer may
// activate again.
func (c *Client) ReleaseActivation(ctx context.Context, aid string, opts ...CallOption) (license.Activation, error) {
	var out license.Activation
	err := c.do(ctx, http.MethodPost, "activations/"+url.PathEscape(aid)+"/release", nil, nil, &out, opts)
	return out, err
}

// RevokeActivation revokes an activation for good.
func (c *Client) RevokeActivation(ctx context.Context, aid string, opts ...CallOption) (license.Activation, error) {
	var out license.Activation
	err := c.do(ctx, http.MethodPost, "activations/"+url.PathEscape(aid)+"/revoke", nil, nil, &out, opts)
	return out, err
}

// Audit returns one page of the events of the audit trail f selects.
func (c *Client) Audit(ctx context.Context, f AuditFilter) (EventPage, error) {
	var out EventPage
	err := c.do(ctx, http.MethodGet, "audit", encodeQuery(f), nil, &out, nil)
	return out, err
}

// AllAudit walks every page of the events f selects, as
// [Client.AllLicenses] does.
func (c *Client) AllAudit(ctx context.Context, f AuditFilter) iter.Seq2[license.Event, error] {
	return walk(f.Cursor, func(cursor string) ([]license.Event, string, error) {
		f.Cursor = cursor
		p, err := c.Audit(ctx, f)
		return p.Data, p.Next, err
	})
}

// CreateWebhook registers an endpoint for webhook events, and returns it
// with its signing secret, which no later answer shows.
func (c *Client) CreateWebhook(ctx context.Context, endpoint string, opts ...CallOption) (CreatedWebhook, error) {
	var out CreatedWebhook
	err := c.do(ctx, http.MethodPost, "webhooks", nil, NewWebhook{URL: endpoint}, &out, opts)
	return out, err
}

// Webhooks returns every webhook, oldest first, without secrets.
func (c *Client) Webhooks(ctx context.Context) ([]license.Webhook, error) {
	var out WebhookList
	err := c.do(ctx, http.MethodGet, "webhooks", nil, nil, &out, nil)
	return out.Data, err
}

// Webhook returns a webhook, without its secret.
func (c *Client) Webhook(ctx context.Context, id string) (license.Webhook, error) {
	var out license.Webhook
	err := c.do(ctx, http.MethodGet, "webhooks/"+url.PathEscape(id), nil, nil, &out, nil)
	return out, err
}

// DeleteWebhook deletes a webhook.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "webhooks/"+url.PathEscape(id), nil, nil, nil, nil)
}

// WebhookDeliveries returns one page of the delivery attempts of a
// webhook.
func (c *Client) WebhookDeliveries(ctx context.Context, id string, q PageQuery) (AttemptPage, error) {
	var out AttemptPage
	err := c.do(ctx, http.MethodGet, "webhooks/"+url.PathEscape(id)+"/deliveries", encodeQuery(q), nil, &out, nil)
	return out, err
}

// AllWebhookDeliveries walks every page of the delivery attempts of a
// webhook, as [Client.AllLicenses] does.
func (c *Client) AllWebhookDeliveries(ctx context.Context, id string, q PageQuery) iter.Seq2[license.Attempt, error] {
	return walk(q.Cursor, func(cursor string) ([]license.Attempt, string, error) {
		q.Cursor = cursor
		p, err := c.WebhookDeliveries(ctx, id, q)
		return p.Data, p.Next, err
	})
}

// OpenAPI returns the OpenAPI document of the API.
func (c *Client) OpenAPI(ctx context.Context) (json.RawMessage, error) {
	var out json.RawMessage
	err := c.do(ctx, http.MethodGet, "openapi.json", nil, nil, &out, nil)
	return out, err
}

// walk yields the items of page after page, from cursor on.
func walk[T any](cursor string, fetch func(cursor string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			items, next, err := fetch(cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			if next == cursor {
				var zero T
				yield(zero, fmt.Errorf("%w: the next page is the same page", ErrBadResponse))
				return
			}
			cursor = next
		}
	}
}

// do makes a call: the method on the path, relative to the base URL, with
// the query and in as its JSON body if not nil, and decodes the answer
// into out if not nil.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any, opts []CallOption) error {
	var co callOptions
	for _, o := range opts {
		if o != nil {
			o(&co)
		}
	}
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if co.idempotencyKey != "" {
		req.Header.Set(idempotencyHeader, co.idempotencyKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return err
	}
	if int64(len(b)) > c.maxBody {
		return fmt.Errorf("%w: the answer is larger than %d bytes", ErrBadResponse, c.maxBody)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var p Problem
		if mt != "application/problem+json" || json.Unmarshal(b, &p) != nil || p.Status == 0 {
			return fmt.Errorf("%w: %s %s: %s", ErrBadResponse, method, path, resp.Status)
		}
		return &p
	}
	if out == nil {
		return nil
	}
	if mt != "application/json" {
		return fmt.Errorf("%w: %s %s: content type %q", ErrBadResponse, method, path, mt)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%w: %s %s: %v", ErrBadResponse, method, path, err)
	}
	return nil
}
