package admin_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/admin"
)

func TestPaging(t *testing.T) {
	t.Parallel()
	for _, st := range []struct {
		name string
		open func(*testing.T) license.Store
	}{{"memstore", memStore}, {"sqlite", sqliteStore}} {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, st.open(t))
			ctx := context.Background()
			f.product("app")
			f.product("other")
			var want []string
			for i := range 120 {
				nl := license.NewLicense{ProductID: "app", Seats: 1, Customer: license.Customer{Email: fmt.Sprintf("c%d@example.com", i%3)}}
				if i%10 == 0 {
					nl.ProductID = "other"
				}
				l, err := f.svc.CreateLicense(ctx, nl)
				if err != nil {
					t.Fatal(err)
				}
				if i%4 == 0 {
					if _, err := f.svc.SetLicenseStatus(ctx, l.ID, license.StatusSuspended); err != nil {
						t.Fatal(err)
					}
				}
				want = append(want, l.ID)
			}

			var pages [][]string
			cursor := ""
			for {
				p, err := f.read.Licenses(ctx, admin.LicenseFilter{PageQuery: admin.PageQuery{Limit: 50, Cursor: cursor}})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, l := range p.Data {
					ids = append(ids, l.ID)
				}
				pages = append(pages, ids)
				if p.Next == "" {
					break
				}
				cursor = p.Next
				if len(pages) > 5 {
					t.Fatal("too many pages")
				}
			}
			if len(pages) != 3 || len(pages[0]) != 50 || len(pages[1]) != 50 || len(pages[2]) != 20 {
				t.Fatalf("got pages of %d, %d, %d…, want 50, 50, 20", len(pages[0]), len(pages[1]), len(pages[len(pages)-1]))
			}
			var all []string
			for _, p := range pages {
				all = append(all, p...)
			}
			if fmt.Sprint(all) != fmt.Sprint(want) {
				t.Fatal("pages are not every license once, oldest first")
			}

			// Exactly the limit: no next page.
			for _, tt := range []struct {
				limit, items int
				next         bool
			}{{120, 120, false}, {119, 119, true}, {500, 120, false}} {
				p, err := f.read.Licenses(ctx, admin.LicenseFilter{PageQuery: admin.PageQuery{Limit: tt.limit}})
				if err != nil || len(p.Data) != tt.items || (p.Next != "") != tt.next {
					t.Errorf("limit %d: got %d items, next %q, %v", tt.limit, len(p.Data), p.Next, err)
				}
			}

			count := func(flt admin.LicenseFilter) int {
				t.Helper()
				n := 0
				for l, err := range f.read.AllLicenses(ctx, flt) {
					if err != nil {
						t.Fatal(err)
					}
					if flt.Product != "" && l.ProductID != flt.Product || flt.Status != "" && l.Status != flt.Status {
						t.Fatalf("filter %+v let %+v through", flt, l)
					}
					n++
				}
				return n
			}
			small := admin.PageQuery{Limit: 7}
			tests := []struct {
				name string
				flt  admin.LicenseFilter
				want int
			}{
				{"all", admin.LicenseFilter{PageQuery: small}, 120},
				{"product", admin.LicenseFilter{Product: "other", PageQuery: small}, 12},
				{"status", admin.LicenseFilter{Status: license.StatusSuspended, PageQuery: small}, 30},
				{"email in any case", admin.LicenseFilter{Email: "C1@Example.COM", PageQuery: small}, 40},
				{"all three", admin.LicenseFilter{Product: "app", Email: "c0@example.com", Status: license.StatusActive, PageQuery: small}, 28},
				{"no match", admin.LicenseFilter{Email: "nobody@example.com"}, 0},
				{"malformed email", admin.LicenseFilter{Email: "not an email"}, 0},
			}
			for _, tt := range tests {
				if got := count(tt.flt); got != tt.want {
					t.Errorf("%s: got %d licenses, want %d", tt.name, got, tt.want)
				}
			}

			for _, cur := range []string{"nonsense!", "bA", cursorOf("e", "2030-01-01T00:00:00Z", want[0]), cursorOf("l", "yesterday", want[0]), cursorOf("l", "2030-01-01T00:00:00Z", "")} {
				s, _, b := f.do("GET", "/licenses?cursor="+cur, f.readToken, "")
				problemOf(t, s, b, 400, "bad_request")
			}
		})
	}
}

// cursorOf forges a cursor.
func cursorOf(kind, at, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + "|" + at + "|" + id))
}
