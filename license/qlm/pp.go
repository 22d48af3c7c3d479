package qlm

import (
	"fmt"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
)

// ParseProperties parses QLM's is_pp syntax:
//
//	category.name::value[::expiry]||category.name::value[::expiry]||…
//
// A value starting with '+' or '-' followed by digits is a relative change
// of an int property. The expiry is "yyyy-MM-dd" or "yyyy-MM-dd HH:mm:ss",
// in UTC. Empty input yields no changes.
func ParseProperties(s string) ([]license.PropertyChange, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, "||")
	if len(parts) > license.MaxProperties {
		return nil, fmt.Errorf("more than %d product properties", license.MaxProperties)
	}
	out := make([]license.PropertyChange, 0, len(parts))
	for _, part := range parts {
		fields := strings.Split(part, "::")
		if len(fields) < 2 || len(fields) > 3 {
			return nil, fmt.Errorf("product property %q is not category.name::value[::expiry]", part)
		}
		cat, name, ok := strings.Cut(strings.TrimSpace(fields[0]), ".")
		if !ok || cat == "" || name == "" {
			return nil, fmt.Errorf("product property %q has no category.name", part)
		}
		c := license.PropertyChange{Property: license.Property{Category: cat, Name: name, Value: fields[1]}}
		if isRelative(c.Value) {
			c.Relative = true
		}
		c.Type = license.InferPropertyType(strings.TrimPrefix(c.Value, "+"))
		if len(fields) == 3 && strings.TrimSpace(fields[2]) != "" {
			exp, err := parseExpiry(strings.TrimSpace(fields[2]))
			if err != nil {
				return nil, fmt.Errorf("product property %s.%s: %w", cat, name, err)
			}
			c.ExpiresAt = exp
		}
		if err := c.Validate(); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func isRelative(v string) bool {
	if len(v) < 2 || v[0] != '+' && v[0] != '-' {
		return false
	}
	for i := 1; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

func parseExpiry(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("expiry %q is not yyyy-MM-dd[ HH:mm:ss]", s)
}
