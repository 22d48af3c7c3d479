package admin

import (
	"fmt"
	"net/url"
	"time"

	"github.com/licgate/licgate/license"
)

func (h *Handler) createLicense(c *call, in *NewLicense, _ *none) (license.License, error) {
	seats := in.Seats
	if seats == 0 {
		seats = 1
	}
	if err := checkLeaseSeconds(in.LeaseSeconds, 0); err != nil {
		return license.License{}, err
	}
	l, err := h.svc.CreateLicense(c.ctx, license.NewLicense{
		ProductID: in.ProductID, Customer: in.Customer, Seats: seats,
		ExpiresAt: in.ExpiresAt, Features: in.Features, Properties: in.Properties,
		Floating: in.Floating, LeaseTTL: time.Duration(in.LeaseSeconds) * time.Second,
	})
	if err != nil {
		return license.License{}, named(err, "product", in.ProductID)
	}
	c.location = "licenses/" + url.PathEscape(l.ID)
	return l, nil
}

func (h *Handler) listLicenses(c *call, _ *none, f *LicenseFilter) (LicensePage, error) {
	page, limit, err := f.PageQuery.page(cursorLicenses)
	if err != nil {
		return LicensePage{}, err
	}
	ls, err := h.svc.FindLicenses(c.ctx, license.LicenseQuery{
		ProductID: f.Product, Email: f.Email, Status: f.Status, Page: page,
	})
	if err != nil {
		return LicensePage{}, err
	}
	data, next := pageOf(ls, limit, cursorLicenses, func(l license.License) license.Cursor {
		return license.Cursor{At: l.CreatedAt, ID: l.ID}
	})
	return LicensePage{Data: data, Next: next}, nil
}

func (h *Handler) getLicense(c *call, _, _ *none) (license.License, error) {
	return h.svc.License(c.ctx, c.r.PathValue("id"))
}

func (h *Handler) updateLicense(c *call, p *LicensePatch, _ *none) (license.License, error) {
	if p.Status != nil {
		switch *p.Status {
		case license.StatusActive, license.StatusSuspended, license.StatusRevoked:
		default:
			return license.License{}, &license.InvalidError{Reason: "the status must be active, suspended or revoked"}
		}
	}
	if p.LeaseSeconds != nil {
		if err := checkLeaseSeconds(*p.LeaseSeconds, license.MinLeaseTTL); err != nil {
			return license.License{}, err
		}
	}
	now := h.svc.Now().UTC()
	return h.svc.UpdateLicense(c.ctx, c.r.PathValue("id"), func(l *license.License) error {
		p.apply(l, now)
		return nil
	})
}

// apply changes l as the patch says, at now.
func (p *LicensePatch) apply(l *license.License, now time.Time) {
	if p.Seats != nil {
		l.Seats = *p.Seats
	}
	if p.ExpiresAt.Set {
		l.ExpiresAt = p.ExpiresAt.Time.UTC()
	}
	if p.Features != nil {
		l.Features = append([]string(nil), *p.Features...)
	}
	if p.Properties != nil {
		l.Properties = mergeProperties(l.Properties, *p.Properties, now)
	}
	for _, f := range []struct {
		v   *string
		dst *string
	}{{p.Email, &l.Email}, {p.Phone, &l.Phone}, {p.Name, &l.Name}, {p.Company, &l.Company}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if p.Status != nil {
		l.Status = *p.Status
	}
	if p.LeaseSeconds != nil {
		l.LeaseSeconds = *p.LeaseSeconds
	}
}

// checkLeaseSeconds refuses a lease TTL in seconds below min or above
// [license.MaxLeaseTTL] before it becomes a [time.Duration], which a huge
// number would overflow. The service checks the rest: that only a
// floating license has one.
func checkLeaseSeconds(n int, min time.Duration) error {
	if n < int(min/time.Second) || n > int(license.MaxLeaseTTL/time.Second) {
		return &license.InvalidError{Reason: fmt.Sprintf("the lease TTL must be %d to %d seconds, not %d",
			int(license.MinLeaseTTL/time.Second), int(license.MaxLeaseTTL/time.Second), n)}
	}
	return nil
}

// mergeProperties returns the new list of properties: a property that
// comes back unchanged keeps when it was last updated; a changed or new
// one without a time is updated now.
func mergeProperties(old, props []license.Property, now time.Time) []license.Property {
	out := make([]license.Property, len(props))
	for i, p := range props {
		if p.UpdatedAt.IsZero() {
			p.UpdatedAt = now
			for _, o := range old {
				if o.Category == p.Category && o.Name == p.Name && o.Value == p.Value && o.Type == p.Type && o.ExpiresAt.Equal(p.ExpiresAt) {
					p.UpdatedAt = o.UpdatedAt
				}
			}
		}
		out[i] = p
	}
	return out
}

// page is the page of the store that q asks for: one item more than the
// client's limit, to know whether another page follows.
func (q PageQuery) page(kind byte) (license.Page, int, error) {
	limit := q.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	after, err := decodeCursor(kind, q.Cursor)
	if err != nil {
		return license.Page{}, 0, err
	}
	return license.Page{After: after, Limit: limit + 1}, limit, nil
}

// pageOf cuts items, asked for with one more than limit, to limit, and
// returns the cursor of the next page if there is one.
func pageOf[T any](items []T, limit int, kind byte, pos func(T) license.Cursor) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, encodeCursor(kind, pos(items[limit-1]))
}
