package license

import (
	"strconv"
	"time"
)

// ApplyPropertyChanges applies changes to l's properties at now: a change sets
// the property with the same category and name, or adds it; a relative change
// to an int property adds its value to the current one. It returns an error
// wrapping [ErrInvalid] if a relative change meets a non-int value, a result
// overflows, or the license would hold more than [MaxProperties].
func ApplyPropertyChanges(l *License, changes []PropertyChange, now time.Time) error {
	for _, c := range changes {
		i := indexProperty(l.Properties, c.Category, c.Name)
		p := c.Property
		p.UpdatedAt = now
		if c.Relative {
			delta, err := strconv.ParseInt(c.Value, 10, 64)
			if err != nil {
				return invalidf("relative change of %s.%s is not an integer", c.Category, c.Name)
			}
			var cur int64
			if i >= 0 {
				if l.Properties[i].Type != PropertyInt {
					return invalidf("relative change of %s.%s, which is not an int", c.Category, c.Name)
				}
				cur, _ = strconv.ParseInt(l.Properties[i].Value, 10, 64)
			}
			sum := cur + delta
			if (delta > 0 && sum < cur) || (delta < 0 && sum > cur) {
				return invalidf("relative change of %s.%s overflows", c.Category, c.Name)
			}
			p.Value = strconv.FormatInt(sum, 10)
			p.Type = PropertyInt
		}
		if p.Type == "" {
			p.Type = InferPropertyType(p.Value)
		}
		if err := p.Validate(); err != nil {
			return err
		}
		if i >= 0 {
			l.Properties[i] = p
			continue
		}
		if len(l.Properties) >= MaxProperties {
			return invalidf("license would hold more than %d properties", MaxProperties)
		}
		l.Properties = append(l.Properties, p)
	}
	return nil
}

// Validate reports whether the change is well formed. Its Type may be empty,
// to be inferred from the value when applied; a relative change needs an
// integer value.
func (c PropertyChange) Validate() error {
	p := c.Property
	if p.Type == "" {
		p.Type = InferPropertyType(p.Value)
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if c.Relative {
		if _, err := strconv.ParseInt(c.Value, 10, 64); err != nil {
			return invalidf("relative change of %s.%s is not an integer", c.Category, c.Name)
		}
	}
	return nil
}

// InferPropertyType returns the type a bare value reads as: int for a
// decimal integer, bool for "true" or "false", string otherwise.
func InferPropertyType(v string) PropertyType {
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return PropertyInt
	}
	if v == "true" || v == "false" {
		return PropertyBool
	}
	return PropertyString
}

func indexProperty(ps []Property, category, name string) int {
	for i, p := range ps {
		if p.Category == category && p.Name == name {
			return i
		}
	}
	return -1
}
