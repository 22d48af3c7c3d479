package license

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"time"
)

// The audit trail and the webhook outbox are one stream of events that the
// service writes, in the transaction of the change where there is one.
// This file makes the events; stores keep them.

// LicenseData is a license as events show it: every field but its
// credentials (the activation key and the product key), which the admin
// API gives to those who may read them.
type LicenseData struct {
	ID        string `json:"id"`
	Number    int64  `json:"number"`
	ProductID string `json:"productId"`
	Customer
	Seats        int        `json:"seats"`
	SeatsHeld    int        `json:"seatsHeld"`
	ExpiresAt    time.Time  `json:"expiresAt,omitzero"`
	Features     []string   `json:"features,omitempty"`
	Properties   []Property `json:"properties,omitempty"`
	Status       Status     `json:"status"`
	CreatedAt    time.Time  `json:"createdAt"`
	Floating     bool       `json:"floating,omitempty"`
	LeaseSeconds int        `json:"leaseSeconds,omitempty"`
}

// Data returns the license as events show it.
func (l License) Data() LicenseData {
	return LicenseData{
		ID: l.ID, Number: l.Number, ProductID: l.ProductID, Customer: l.Customer,
		Seats: l.Seats, SeatsHeld: l.SeatsHeld, ExpiresAt: l.ExpiresAt,
		Features: l.Features, Properties: l.Properties, Status: l.Status, CreatedAt: l.CreatedAt,
		Floating: l.Floating, LeaseSeconds: l.LeaseSeconds,
	}
}

// ActivationData is an activation as events show it: every field but the
// computer key, which a client presents to validate.
type ActivationData struct {
	AID          string    `json:"aid"`
	LicenseID    string    `json:"licenseId"`
	ProductID    string    `json:"productId"`
	ComputerID   string    `json:"computerId"`
	ComputerName string    `json:"computerName,omitempty"`
	Status       Status    `json:"status"`
	ActivatedAt  time.Time `json:"activatedAt"`
	ReleasedAt   time.Time `json:"releasedAt,omitzero"`
	LeaseUntil   time.Time `json:"leaseUntil,omitzero"`
}

// Data returns the activation of a license of the product as events show
// it.
func (a Activation) Data(productID string) ActivationData {
	return ActivationData{
		AID: a.AID, LicenseID: a.LicenseID, ProductID: productID,
		ComputerID: a.ComputerID, ComputerName: a.ComputerName,
		Status: a.Status, ActivatedAt: a.ActivatedAt, ReleasedAt: a.ReleasedAt, LeaseUntil: a.LeaseUntil,
	}
}

// Targets of events.
func licenseTarget(id string) string    { return "license/" + id }
func activationTarget(id string) string { return "activation/" + id }

// event makes an event of the context's actor: change goes to the audit
// trail, data, if not nil, to webhooks as well. Both are marshalled to
// JSON; a json.RawMessage is taken as it is.
func (s *Service) event(ctx context.Context, typ, target string, err error, change, data any) (Event, error) {
	now := s.now()
	id, e := NewTimeUUID(now)
	if e != nil {
		return Event{}, e
	}
	ev := Event{ID: id, At: now, Type: typ, Target: target, Outcome: Outcome(err)}
	ev.Actor, _ = ActorFrom(ctx)
	if ev.Change, e = marshalRaw(change); e != nil {
		return Event{}, e
	}
	if ev.Data, e = marshalRaw(data); e != nil {
		return Event{}, e
	}
	return ev, nil
}

func marshalRaw(v any) (json.RawMessage, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		return v, nil
	}
	return json.Marshal(v)
}

// record appends an event on its own, after the fact: an attempt that was
// refused, which changed nothing. A store that fails to keep it is logged,
// not reported: the request's answer does not depend on it.
func (s *Service) record(ctx context.Context, typ, target string, err error, change any) {
	ev, e := s.event(ctx, typ, target, err, change, nil)
	if e == nil {
		e = s.store.Record(ctx, ev)
	}
	if e != nil {
		s.cfg.logger.ErrorContext(ctx, "audit: cannot record event", "type", typ, "target", target, "err", e)
	}
}

// recordTx appends an event in the transaction of the change.
func (s *Service) recordTx(ctx context.Context, tx LicenseTx, typ, target string, change, data any) error {
	ev, err := s.event(ctx, typ, target, nil, change, data)
	if err != nil {
		return err
	}
	return tx.Record(ev)
}

// woken calls the hook of [WithEventHook], if any, after a transaction
// that wrote a webhook event committed without error.
func (s *Service) woken(err error) {
	if err == nil && s.cfg.eventHook != nil {
		s.cfg.eventHook()
	}
}

// statusChange is the change of an activation's status.
func statusChange(from, to Status) map[string]map[string]Status {
	return map[string]map[string]Status{"status": {"from": from, "to": to}}
}

// diff returns the fields in which the JSON of a and b differ, as
// {"field": {"from": …, "to": …}}, or nil if none.
func diff(a, b any) (json.RawMessage, error) {
	var ma, mb map[string]json.RawMessage
	for _, x := range []struct {
		v any
		m *map[string]json.RawMessage
	}{{a, &ma}, {b, &mb}} {
		raw, err := json.Marshal(x.v)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, x.m); err != nil {
			return nil, err
		}
	}
	type change struct {
		From json.RawMessage `json:"from"`
		To   json.RawMessage `json:"to"`
	}
	out := map[string]change{}
	keys := slices.Sorted(maps.Keys(ma))
	for k := range mb {
		if _, ok := ma[k]; !ok {
			keys = append(keys, k)
		}
	}
	null := json.RawMessage("null")
	for _, k := range keys {
		from, to := ma[k], mb[k]
		if bytes.Equal(from, to) {
			continue
		}
		if from == nil {
			from = null
		}
		if to == nil {
			to = null
		}
		out[k] = change{From: from, To: to}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return json.Marshal(out)
}

// Audit returns the events of the audit trail that q selects, oldest
// first; an empty slice if none. Limit is capped at [MaxPageLimit].
func (s *Service) Audit(ctx context.Context, q AuditQuery) ([]Event, error) {
	q.Page = q.Page.clamp()
	return nonNil(s.store.Events(ctx, q))
}

// FindLicenses returns the licenses q selects, oldest first; an empty
// slice if none. Limit is capped at [MaxPageLimit].
func (s *Service) FindLicenses(ctx context.Context, q LicenseQuery) ([]License, error) {
	q.Page = q.Page.clamp()
	if q.Email != "" {
		e, err := NormalizeEmail(q.Email)
		if err != nil {
			return []License{}, nil // no license has it
		}
		q.Email = e
	}
	return nonNil(s.store.FindLicenses(ctx, q))
}

// clamp returns p with its limit within 1 and [MaxPageLimit], 0 meaning
// [DefaultPageLimit].
func (p Page) clamp() Page {
	switch {
	case p.Limit <= 0:
		p.Limit = DefaultPageLimit
	case p.Limit > MaxPageLimit:
		p.Limit = MaxPageLimit
	}
	return p
}
