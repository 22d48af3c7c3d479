package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/admin"
)

// A floating license is created and its lease TTL changed through the
// API, on memory and on SQLite; every answer is checked against the
// document, which describes both members.
func TestFloatingLicense(t *testing.T) {
	t.Parallel()
	for _, st := range []struct {
		name  string
		store func(*testing.T) license.Store
	}{{"memstore", memStore}, {"sqlite", sqliteStore}} {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, st.store(t))
			f.product("farm")
			ctx := context.Background()

			l, err := f.admin.CreateLicense(ctx, admin.NewLicense{ProductID: "farm", Seats: 2, Floating: true, LeaseSeconds: 60})
			if err != nil {
				t.Fatal(err)
			}
			if !l.Floating || l.LeaseSeconds != 60 || l.Seats != 2 {
				t.Fatalf("got floating %v, lease %d s, %d seats; want true, 60, 2", l.Floating, l.LeaseSeconds, l.Seats)
			}
			// The lease TTL is the service's: a lease taken now lives 60 s.
			lease, err := f.svc.TakeLease(ctx, license.LeaseRequest{LicenseID: l.ID, Instance: "agent-1"})
			if err != nil {
				t.Fatal(err)
			}
			if got := lease.ExpiresAt().Sub(lease.Activation.ActivatedAt); got != time.Minute {
				t.Errorf("got a lease of %v, want 1m0s", got)
			}

			def, err := f.admin.CreateLicense(ctx, admin.NewLicense{ProductID: "farm", Floating: true})
			if err != nil {
				t.Fatal(err)
			}
			if want := int(license.DefaultLeaseTTL / time.Second); !def.Floating || def.LeaseSeconds != want {
				t.Errorf("without leaseSeconds: got floating %v, %d s; want true, %d", def.Floating, def.LeaseSeconds, want)
			}

			ttl := 120
			got, err := f.admin.UpdateLicense(ctx, l.ID, admin.LicensePatch{LeaseSeconds: &ttl})
			if err != nil {
				t.Fatal(err)
			}
			if !got.Floating || got.LeaseSeconds != 120 {
				t.Errorf("after PATCH: got floating %v, %d s; want true, 120", got.Floating, got.LeaseSeconds)
			}
			if read, err := f.read.License(ctx, l.ID); err != nil || read.LeaseSeconds != 120 {
				t.Errorf("GET after PATCH: %d s, %v; want 120", read.LeaseSeconds, err)
			}
			renewed, err := f.svc.RenewLease(ctx, lease.Activation.AID, time.Now().Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if left := time.Until(renewed.ExpiresAt()); left < 110*time.Second || left > 2*time.Minute {
				t.Errorf("a heartbeat after the PATCH extends the lease by %v, want 2m", left)
			}
			evs, err := f.svc.Audit(ctx, license.AuditQuery{Target: "license/" + l.ID, Page: license.Page{Limit: 100}})
			if err != nil {
				t.Fatal(err)
			}
			if e := evs[len(evs)-1]; e.Type != license.EventLicenseUpdated || !json.Valid(e.Change) || string(e.Change) != `{"leaseSeconds":{"from":60,"to":120}}` {
				t.Errorf("the PATCH is recorded as %s %s", e.Type, e.Change)
			}

			fixed, err := f.admin.CreateLicense(ctx, admin.NewLicense{ProductID: "farm"})
			if err != nil {
				t.Fatal(err)
			}
			if fixed.Floating || fixed.LeaseSeconds != 0 {
				t.Errorf("a license that is not floating: got floating %v, %d s", fixed.Floating, fixed.LeaseSeconds)
			}

			tests := []struct {
				name, method, path, body string
				wantStatus               int
				wantReason               string
			}{
				{"lease TTL without floating", "POST", "/licenses", `{"productId":"farm","leaseSeconds":60}`, 400, "invalid"},
				{"lease TTL below the minimum", "POST", "/licenses", `{"productId":"farm","floating":true,"leaseSeconds":9}`, 400, "invalid"},
				{"lease TTL above the maximum", "POST", "/licenses", `{"productId":"farm","floating":true,"leaseSeconds":604801}`, 400, "invalid"},
				{"negative lease TTL", "POST", "/licenses", `{"productId":"farm","floating":true,"leaseSeconds":-1}`, 400, "invalid"},
				{"lease TTL that overflows a duration", "POST", "/licenses", `{"productId":"farm","floating":true,"leaseSeconds":9223372036}`, 400, "invalid"},
				{"lease TTL as a duration string", "POST", "/licenses", `{"productId":"farm","floating":true,"leaseSeconds":"1m"}`, 400, "bad_request"},
				{"floating as a string", "POST", "/licenses", `{"productId":"farm","floating":"yes"}`, 400, "bad_request"},
				{"PATCH floating", "PATCH", "/licenses/" + fixed.ID, `{"floating":true}`, 400, "bad_request"},
				{"PATCH a lease TTL on a license that is not floating", "PATCH", "/licenses/" + fixed.ID, `{"leaseSeconds":60}`, 400, "invalid"},
				{"PATCH a lease TTL of 0", "PATCH", "/licenses/" + l.ID, `{"leaseSeconds":0}`, 400, "invalid"},
				{"PATCH a lease TTL that overflows", "PATCH", "/licenses/" + l.ID, `{"leaseSeconds":18446744073}`, 400, "invalid"},
				{"PATCH a lease TTL as a string", "PATCH", "/licenses/" + l.ID, `{"leaseSeconds":"60"}`, 400, "bad_request"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					st, _, body := f.do(tt.method, tt.path, f.adminToken, tt.body)
					problemOf(t, st, body, tt.wantStatus, tt.wantReason)
				})
			}
			if read, err := f.admin.License(ctx, l.ID); err != nil || read.LeaseSeconds != 120 || !read.Floating {
				t.Errorf("after the refused PATCHes: %d s, floating %v, %v; want 120, true", read.LeaseSeconds, read.Floating, err)
			}
			if read, err := f.admin.License(ctx, fixed.ID); err != nil || read.Floating || read.LeaseSeconds != 0 {
				t.Errorf("after the refused PATCHes: %d s, floating %v, %v; want 0, false", read.LeaseSeconds, read.Floating, err)
			}

			// The Client's errors match the sentinels.
			bad := 5
			if _, err := f.admin.UpdateLicense(ctx, l.ID, admin.LicensePatch{LeaseSeconds: &bad}); !errors.Is(err, license.ErrInvalid) {
				t.Errorf("a 5 s lease TTL: got %v, want invalid", err)
			}
		})
	}
}

// The document describes the two members of a floating license where a
// license is created, changed and shown.
func TestFloatingInDocument(t *testing.T) {
	t.Parallel()
	f := newFixture(t, memStore(t))
	raw, err := f.anon.OpenAPI(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Type    string `json:"type"`
					Minimum *int   `json:"minimum"`
					Maximum *int   `json:"maximum"`
				} `json:"properties"`
				Required []string `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		schema, member, typ string
		min, max            int
	}{
		{"NewLicense", "floating", "boolean", -1, -1},
		{"NewLicense", "leaseSeconds", "integer", 0, 604800},
		{"LicensePatch", "leaseSeconds", "integer", 10, 604800},
		{"License", "floating", "boolean", -1, -1},
		{"License", "leaseSeconds", "integer", -1, -1},
	} {
		s, ok := doc.Components.Schemas[tt.schema]
		if !ok {
			t.Fatalf("no schema %s", tt.schema)
		}
		p, ok := s.Properties[tt.member]
		if !ok || p.Type != tt.typ {
			t.Errorf("%s.%s: got %+v (present %v), want type %s", tt.schema, tt.member, p, ok, tt.typ)
			continue
		}
		if tt.min >= 0 && (p.Minimum == nil || *p.Minimum != tt.min || p.Maximum == nil || *p.Maximum != tt.max) {
			t.Errorf("%s.%s: got bounds %v..%v, want %d..%d", tt.schema, tt.member, p.Minimum, p.Maximum, tt.min, tt.max)
		}
		for _, r := range s.Required {
			if r == tt.member {
				t.Errorf("%s.%s is required; it is optional", tt.schema, tt.member)
			}
		}
	}
}
