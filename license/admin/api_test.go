package admin_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/admin"
)

// The document is valid OpenAPI 3.1 by an independent validator, and
// describes every route, the security scheme and the webhooks.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	f := newFixture(t, memStore(t))
	raw, err := f.anon.OpenAPI(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetVersion(); v != "3.1.0" {
		t.Errorf("got version %q, want 3.1.0", v)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		t.Fatalf("the document is not valid OpenAPI: %s", describe(verrs))
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Model.Servers[0].URL; got != mount {
		t.Errorf("got server %q, want %q", got, mount)
	}
	ops := 0
	for path, item := range m.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			ops++
			if op.OperationId == "" || op.Summary == "" {
				t.Errorf("%s %s: no operationId or summary", method, path)
			}
			if op.Responses.Default == nil {
				t.Errorf("%s %s: no default (problem) response", method, path)
			}
		}
	}
	if ops != 18 {
		t.Errorf("got %d operations, want 18", ops)
	}
	if got := m.Model.Webhooks.Len(); got != len(license.WebhookEventTypes) {
		t.Errorf("got %d webhooks, want %d", got, len(license.WebhookEventTypes))
	}
	for _, typ := range license.WebhookEventTypes {
		if _, ok := m.Model.Webhooks.Get(typ); !ok {
			t.Errorf("webhook %s is not described", typ)
		}
	}
	if s, ok := m.Model.Components.SecuritySchemes.Get("bearer"); !ok || s.Scheme != "bearer" {
		t.Errorf("no bearer security scheme")
	}
	// Mounted elsewhere, the document names that place.
	h, err := admin.New(f.svc)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", h))
	rec := httptestRecorder(mux, http.MethodGet, "/api/openapi.json")
	var d struct {
		Servers []struct{ URL string } `json:"servers"`
	}
	if err := json.Unmarshal(rec, &d); err != nil || len(d.Servers) != 1 || d.Servers[0].URL != "/api" {
		t.Errorf("got servers %+v (%v), want /api", d.Servers, err)
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	f := newFixture(t, memStore(t))
	f.product("app")
	tests := []struct {
		name       string
		method     string
		path       string
		auth       string // the Authorization header; "-" for none
		body       string
		wantStatus int
		wantReason string
	}{
		{"no token", "GET", "/licenses", "-", "", 401, "unauthenticated"},
		{"basic scheme", "GET", "/licenses", "Basic dXNlcjpwdw==", "", 401, "unauthenticated"},
		{"empty bearer", "GET", "/licenses", "Bearer ", "", 401, "unauthenticated"},
		{"malformed token", "GET", "/licenses", "Bearer nonsense", "", 401, "unauthenticated"},
		{"wrong token", "GET", "/licenses", "Bearer lgt_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", 401, "unauthenticated"},
		{"token of another server", "GET", "/products", "Bearer " + f.adminToken[:len(f.adminToken)-1] + "x", "", 401, "unauthenticated"},
		{"read token reads", "GET", "/products", "Bearer " + f.readToken, "", 200, ""},
		{"read token creates a product", "POST", "/products", "Bearer " + f.readToken, `{"id":"x","name":"X","major":1,"minor":0}`, 403, "forbidden"},
		{"read token creates a license", "POST", "/licenses", "Bearer " + f.readToken, `{"productId":"app"}`, 403, "forbidden"},
		{"read token patches", "PATCH", "/licenses/0190a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b", "Bearer " + f.readToken, `{"seats":2}`, 403, "forbidden"},
		{"read token releases", "POST", "/activations/0190a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b/release", "Bearer " + f.readToken, "", 403, "forbidden"},
		{"read token revokes", "POST", "/activations/0190a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b/revoke", "Bearer " + f.readToken, "", 403, "forbidden"},
		{"read token registers a webhook", "POST", "/webhooks", "Bearer " + f.readToken, `{"url":"https://example.com/hook"}`, 403, "forbidden"},
		{"read token deletes a webhook", "DELETE", "/webhooks/0190a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b", "Bearer " + f.readToken, "", 403, "forbidden"},
		{"admin token", "GET", "/products", "Bearer " + f.adminToken, "", 200, ""},
		{"document without token", "GET", "/openapi.json", "-", "", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := tt.auth
			if auth == "-" {
				auth = ""
			}
			st, hd, body := f.do(tt.method, tt.path, "", tt.body, "Authorization", auth)
			if tt.wantReason == "" {
				if st != tt.wantStatus {
					t.Fatalf("got %d, want %d: %s", st, tt.wantStatus, body)
				}
				return
			}
			problemOf(t, st, body, tt.wantStatus, tt.wantReason)
			if st == 401 && !strings.HasPrefix(hd.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("got WWW-Authenticate %q, want Bearer", hd.Get("WWW-Authenticate"))
			}
			if got := hd.Get("Content-Type"); got != "application/problem+json" {
				t.Errorf("got Content-Type %q", got)
			}
		})
	}
}

// Wrong tokens spend the address's failure budget: past it, 429 with
// Retry-After, even for the right token; each wrong one is a failed login
// in the audit trail. A request without a token spends nothing.
func TestWrongTokenBurst(t *testing.T) {
	t.Parallel()
	f := newFixture(t, memStore(t))
	wrong := f.client("lgt_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	ctx := context.Background()
	for range 100 {
		if _, err := f.anon.Products(ctx); !errors.Is(err, license.ErrUnauthenticated) {
			t.Fatalf("no token: got %v, want unauthenticated", err)
		}
	}
	for i := range license.DefaultFailuresPerAddr {
		if _, err := wrong.Products(ctx); !errors.Is(err, license.ErrUnauthenticated) {
			t.Fatalf("attempt %d: got %v, want unauthenticated", i+1, err)
		}
	}
	st, hd, body := f.do("GET", "/products", "lgt_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "")
	problemOf(t, st, body, 429, "rate_limited")
	if hd.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if _, err := f.admin.Products(ctx); !errors.Is(err, license.ErrRateLimited) {
		t.Errorf("right token past the budget: got %v, want rate limited", err)
	}
	evs, err := f.svc.Audit(ctx, license.AuditQuery{Page: license.Page{Limit: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, e := range evs {
		if e.Type == license.EventLoginFailed {
			failed++
			if e.Actor.Protocol != admin.Protocol || e.Actor.Addr != "127.0.0.1" || e.Outcome != "unauthenticated" {
				t.Errorf("got event %+v", e)
			}
		}
	}
	if failed != license.DefaultFailuresPerAddr {
		t.Errorf("got %d failed logins, want %d", failed, license.DefaultFailuresPerAddr)
	}
}

// The whole API with an admin token, through the Client.
func TestAdminFlow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, memStore(t))
	ctx := context.Background()
	c := f.admin

	p, err := c.CreateProduct(ctx, admin.NewProduct{ID: "cad", Name: "Acme CAD", Major: 3, Minor: 1}, admin.WithIdempotencyKey("p1"))
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "cad" || p.Major != 3 || p.SignatureAlgorithm != license.SignatureRSASHA1 {
		t.Errorf("got product %+v", p)
	}
	blk, _ := pem.Decode([]byte(p.PublicKey))
	if blk == nil || blk.Type != "PUBLIC KEY" {
		t.Fatalf("got public key %q", p.PublicKey)
	}
	if _, err := x509.ParsePKIXPublicKey(blk.Bytes); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateProduct(ctx, admin.NewProduct{ID: "cad", Name: "Again", Major: 1}); !errors.Is(err, license.ErrConflict) {
		t.Errorf("same product again: got %v, want conflict", err)
	}
	if _, err := c.CreateProduct(ctx, admin.NewProduct{ID: "bad id", Name: "X"}); !errors.Is(err, license.ErrInvalid) {
		t.Errorf("bad product ID: got %v, want invalid", err)
	}
	ps, err := c.Products(ctx)
	if err != nil || len(ps) != 1 || ps[0].PublicKey != p.PublicKey {
		t.Fatalf("got products %+v, %v", ps, err)
	}
	if got, err := c.Product(ctx, "cad"); err != nil || got.Name != "Acme CAD" {
		t.Errorf("got %+v, %v", got, err)
	}
	_, err = c.Product(ctx, "nope")
	var prob *admin.Problem
	if !errors.As(err, &prob) || prob.Status != 404 || prob.Detail != `The product "nope" does not exist.` {
		t.Errorf("unknown product: got %v", err)
	}

	exp := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	l, err := c.CreateLicense(ctx, admin.NewLicense{
		ProductID: "cad", Customer: license.Customer{Email: "Ann@Example.com", Name: "Ann"},
		Seats: 2, ExpiresAt: exp, Features: []string{"reports"},
		Properties: []license.Property{{Category: "limits", Name: "users", Value: "5", Type: license.PropertyInt}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if l.Key == "" || l.ProductKey == "" || l.Email != "ann@example.com" || l.Seats != 2 || !l.ExpiresAt.Equal(exp) || l.Status != license.StatusActive {
		t.Errorf("got license %+v", l)
	}
	if _, err := c.CreateLicense(ctx, admin.NewLicense{ProductID: "nope"}); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("unknown product: got %v, want not found", err)
	}
	one, err := c.CreateLicense(ctx, admin.NewLicense{ProductID: "cad"})
	if err != nil || one.Seats != 1 || one.Key[0] != byte(license.KeyPermanent) {
		t.Errorf("default seats: got %+v, %v", one, err)
	}
	if got, err := c.License(ctx, l.ID); err != nil || got.Key != l.Key {
		t.Errorf("got %+v, %v", got, err)
	}

	got, err := c.UpdateLicense(ctx, l.ID, admin.LicensePatch{Seats: ptr(3), ExpiresAt: admin.NullTime{Set: true}, Company: ptr("Acme")})
	if err != nil || got.Seats != 3 || !got.ExpiresAt.IsZero() || got.Company != "Acme" || got.Name != "Ann" {
		t.Fatalf("got %+v, %v", got, err)
	}

	// Activations, made by a protocol.
	res, err := f.svc.Activate(ctx, license.ActivationRequest{LicenseID: l.ID, ComputerID: "pc-1"})
	if err != nil {
		t.Fatal(err)
	}
	aid := res.Activation.AID
	as, err := c.Activations(ctx, l.ID)
	if err != nil || len(as) != 1 || as[0].AID != aid {
		t.Fatalf("got activations %+v, %v", as, err)
	}
	if as, err := c.Activations(ctx, one.ID); err != nil || as == nil || len(as) != 0 {
		t.Errorf("no activations: got %#v, %v", as, err)
	}
	if _, err := c.Activations(ctx, "0190a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b"); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("activations of no license: got %v", err)
	}
	if a, err := c.Activation(ctx, aid); err != nil || a.ComputerID != "pc-1" {
		t.Errorf("got %+v, %v", a, err)
	}
	if a, err := c.ReleaseActivation(ctx, aid); err != nil || a.Status != license.StatusReleased {
		t.Errorf("release: got %+v, %v", a, err)
	}
	if _, err := c.RevokeActivation(ctx, aid); !errors.Is(err, license.ErrReleased) {
		t.Errorf("revoke a released activation: got %v, want released", err)
	}
	res, err = f.svc.Activate(ctx, license.ActivationRequest{LicenseID: l.ID, ComputerID: "pc-2"})
	if err != nil {
		t.Fatal(err)
	}
	if a, err := c.RevokeActivation(ctx, res.Activation.AID); err != nil || a.Status != license.StatusRevoked {
		t.Errorf("revoke: got %+v, %v", a, err)
	}
	if _, err := c.ReleaseActivation(ctx, res.Activation.AID); !errors.Is(err, license.ErrActivationRevoked) {
		t.Errorf("release a revoked activation: got %v", err)
	}

	// Webhooks.
	w, err := c.CreateWebhook(ctx, "https://example.com/hook")
	if err != nil || !strings.HasPrefix(w.Secret, "whsec_") || w.URL != "https://example.com/hook" {
		t.Fatalf("got %+v, %v", w, err)
	}
	if _, err := c.CreateWebhook(ctx, "ftp://example.com"); !errors.Is(err, license.ErrInvalid) {
		t.Errorf("bad URL: got %v", err)
	}
	ws, err := c.Webhooks(ctx)
	if err != nil || len(ws) != 1 || ws[0].ID != w.ID {
		t.Errorf("got %+v, %v", ws, err)
	}
	if got, err := c.Webhook(ctx, w.ID); err != nil || got.URL != w.URL {
		t.Errorf("got %+v, %v", got, err)
	}
	if page, err := c.WebhookDeliveries(ctx, w.ID, admin.PageQuery{}); err != nil || page.Data == nil {
		t.Errorf("got %+v, %v", page, err)
	}
	if err := c.DeleteWebhook(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteWebhook(ctx, w.ID); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("delete again: got %v", err)
	}
	if _, err := c.WebhookDeliveries(ctx, w.ID, admin.PageQuery{}); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("deliveries of a deleted webhook: got %v", err)
	}

	// The audit trail names the token.
	var types []string
	for e, err := range c.AllAudit(ctx, admin.AuditFilter{PageQuery: admin.PageQuery{Limit: 3}}) {
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(e.Type, "token.") {
			continue
		}
		if e.Actor.Name != "shop" && e.Type != license.EventActivationCreated {
			t.Errorf("event %s by %+v, want shop", e.Type, e.Actor)
		}
		types = append(types, e.Type)
	}
	want := "product.created license.created license.created license.updated activation.created activation.released activation.created activation.revoked webhook.created webhook.deleted"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("got events\n%s\nwant\n%s", got, want)
	}
	page, err := c.Audit(ctx, admin.AuditFilter{Target: "license/" + l.ID})
	if err != nil || len(page.Data) != 2 || page.Next != "" {
		t.Errorf("by target: got %+v, %v", page, err)
	}
}

func ptr[T any](v T) *T { return &v }

// The status of a license goes back and forth, but not back from revoked;
// the audit trail shows who changed what.
func TestLicenseStatus(t *testing.T) {
	t.Parallel()
	f := newFixture(t, memStore(t))
	ctx := context.Background()
	f.product("app")
	l, err := f.admin.CreateLicense(ctx, admin.NewLicense{ProductID: "app"})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []license.Status{license.StatusSuspended, license.StatusActive, license.StatusRevoked} {
		got, err := f.admin.UpdateLicense(ctx, l.ID, admin.LicensePatch{Status: ptr(st)})
		if err != nil || got.Status != st {
			t.Fatalf("to %s: got %+v, %v", st, got, err)
		}
	}
	for _, st := range []string{"active", "suspended"} {
		status, _, body := f.do("PATCH", "/licenses/"+l.ID, f.adminToken, `{"status":"`+st+`"}`)
		problemOf(t, status, body, 409, "license_revoked")
	}
	status, _, body := f.do("PATCH", "/licenses/"+l.ID, f.adminToken, `{"status":"released"}`)
	problemOf(t, status, body, 400, "invalid")
	status, _, body = f.do("PATCH", "/licenses/"+l.ID, f.adminToken, `{"status":"active","color":"red"}`)
	p := problemOf(t, status, body, 400, "bad_request")
	if !strings.Contains(p.Detail, "color") {
		t.Errorf("got detail %q, want the unknown member named", p.Detail)
	}

	page, err := f.read.Audit(ctx, admin.AuditFilter{Target: "license/" + l.ID})
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, e := range page.Data {
		if e.Type != license.EventLicenseUpdated {
			continue
		}
		if e.Actor.Name != "shop" || e.Actor.Protocol != "api" || e.Actor.Addr != "127.0.0.1" {
			t.Errorf("got actor %+v", e.Actor)
		}
		var ch map[string]struct{ From, To string }
		if err := json.Unmarshal(e.Change, &ch); err != nil {
			t.Fatal(err)
		}
		changes = append(changes, ch["status"].From+">"+ch["status"].To)
	}
	if got := strings.Join(changes, " "); got != "active>suspended suspended>active active>revoked" {
		t.Errorf("got changes %q", got)
	}
}

// A request ID from the header, or from an actor a wrapping server put in
// the context, reaches the audit trail.
func TestRequestID(t *testing.T) {
	t.Parallel()
	f := newFixture(t, memStore(t))
	f.product("app")
	st, _, body := f.do("POST", "/licenses", f.adminToken, `{"productId":"app"}`, "X-Request-ID", "req-42")
	if st != 201 {
		t.Fatalf("got %d: %s", st, body)
	}
	h, _ := admin.New(f.svc)
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := license.WithActor(r.Context(), license.Actor{RequestID: "outer-7"})
		h.ServeHTTP(w, r.WithContext(ctx))
	})
	req := newRequest(http.MethodPost, "/licenses", `{"productId":"app"}`)
	req.Header.Set("Authorization", "Bearer "+f.adminToken)
	req.Header.Set("X-Request-ID", "ignored")
	rec := serve(wrapped, req)
	if rec.Code != 201 {
		t.Fatalf("got %d: %s", rec.Code, rec.Body)
	}
	evs, _ := f.svc.Audit(context.Background(), license.AuditQuery{})
	var ids []string
	for _, e := range evs {
		if e.Type == license.EventLicenseCreated {
			ids = append(ids, e.Actor.RequestID)
		}
	}
	if got := strings.Join(ids, " "); got != "req-42 outer-7" {
		t.Errorf("got request IDs %q", got)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	svc := newService(t, memStore(t))
	tests := []struct {
		name string
		svc  *license.Service
		opts []admin.Option
	}{
		{"nil service", nil, nil},
		{"nil option", svc, []admin.Option{nil}},
		{"nil client IP", svc, []admin.Option{admin.WithClientIP(nil)}},
		{"tiny body", svc, []admin.Option{admin.WithMaxBodyBytes(10)}},
		{"huge body", svc, []admin.Option{admin.WithMaxBodyBytes(1 << 30)}},
		{"short TTL", svc, []admin.Option{admin.WithIdempotencyTTL(time.Second)}},
		{"nil clock", svc, []admin.Option{admin.WithClock(nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := admin.New(tt.svc, tt.opts...); !errors.Is(err, admin.ErrBadOption) {
				t.Errorf("got %v, want ErrBadOption", err)
			}
		})
	}
	if _, err := admin.NewClient("ftp://x", "t"); !errors.Is(err, admin.ErrBadOption) {
		t.Errorf("client with a bad URL: got %v", err)
	}
	if _, err := admin.NewClient("http://x", "t", admin.WithHTTPClient(nil)); !errors.Is(err, admin.ErrBadOption) {
		t.Errorf("client with a nil HTTP client: got %v", err)
	}
}

// A server that answers without a problem document is a bad response.
func TestClientBadResponse(t *testing.T) {
	t.Parallel()
	srv := newRawServer(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/products") {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html>proxy error</html>")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"data":`)
	})
	c, err := admin.NewClient(srv, "lgt_x")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Products(context.Background()); !errors.Is(err, admin.ErrBadResponse) {
		t.Errorf("got %v, want ErrBadResponse", err)
	}
	if _, err := c.Webhooks(context.Background()); !errors.Is(err, admin.ErrBadResponse) {
		t.Errorf("got %v, want ErrBadResponse", err)
	}
}
