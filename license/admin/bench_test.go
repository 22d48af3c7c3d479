package admin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/admin"
	"github.com/licgate/licgate/license/memstore"
)

// BenchmarkHandler_getLicense is an authenticated GET /licenses/{id}, the
// hot path of integrations that look licenses up: the token check under
// the failure budget, the actor, the look-up and the JSON.
func BenchmarkHandler_getLicense(b *testing.B) {
	ctx := context.Background()
	svc := newService(b, memstore.New())
	h, err := admin.New(svc)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.CreateProduct(ctx, license.Product{ID: "app", Name: "App", Major: 1}); err != nil {
		b.Fatal(err)
	}
	l, err := svc.CreateLicense(ctx, license.NewLicense{ProductID: "app", Seats: 5, Features: []string{"a", "b"}})
	if err != nil {
		b.Fatal(err)
	}
	_, tok, err := svc.CreateAdminToken(ctx, "bench", license.ScopeRead)
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/licenses/"+l.ID, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("got %d: %s", rec.Code, rec.Body)
		}
	}
}
