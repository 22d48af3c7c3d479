package ems_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

// TestServiceSessions covers the sessions of license.Service that EMS is
// built on: a product-key session is opened for the license its product
// key found, lives while used, ends, and allows that license only.
func TestServiceSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	idle := 30 * time.Minute

	l, err := e.svc.LicenseByProductKey(ctx, "  "+strings.ToUpper(e.lic.ProductKey)+" ")
	if err != nil || l.ID != e.lic.ID {
		t.Fatalf("LicenseByProductKey: %+v, %v", l, err)
	}
	for _, notKey := range []string{e.lic.ID, "fb9a91ba-20ee-4ecd-a049-5194c8d5d2dc", "not-a-key", ""} {
		if _, err := e.svc.LicenseByProductKey(ctx, notKey); !errors.Is(err, license.ErrNotFound) {
			t.Errorf("LicenseByProductKey(%q): %v, want ErrNotFound", notKey, err)
		}
	}
	id, sess, err := e.svc.NewSession(ctx, license.SessionProductKey, l.ID, idle)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != license.SessionIDLen || strings.ToUpper(id) != id || sess.Subject != e.lic.ID || len(sess.IDHash) != 32 {
		t.Errorf("got %q, %+v", id, sess)
	}
	if strings.Contains(string(sess.IDHash), id) {
		t.Error("the raw ID is stored")
	}
	got, err := e.svc.Session(ctx, strings.ToLower(id), idle)
	if err != nil || got.Kind != license.SessionProductKey || got.Subject != e.lic.ID {
		t.Errorf("Session: %+v, %v", got, err)
	}
	if !got.Allows(e.lic.ID) || got.Allows(e.other.ID) || got.Allows(e.lic.ProductKey) {
		t.Error("a product-key session allows the wrong licenses")
	}
	vendor := license.Session{Kind: license.SessionVendor, Subject: "admin"}
	if !vendor.Allows(e.lic.ID) || (license.Session{}).Allows(e.lic.ID) {
		t.Error("vendor or zero session")
	}

	e.advance(idle - time.Second)
	if _, err := e.svc.Session(ctx, id, idle); err != nil {
		t.Errorf("before the idle time: %v", err)
	}
	e.advance(idle)
	if _, err := e.svc.Session(ctx, id, idle); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("after the idle time: %v, want ErrNotFound", err)
	}

	id2, _, err := e.svc.NewSession(ctx, license.SessionVendor, "admin", idle)
	if err != nil {
		t.Fatal(err)
	}
	if id2 == id {
		t.Error("two sessions share an ID")
	}
	if err := e.svc.EndSession(ctx, id2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Session(ctx, id2, idle); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("after EndSession: %v", err)
	}
	for _, bad := range []string{"", "xyz", strings.Repeat("G", 32), id2 + "0"} {
		if _, err := e.svc.Session(ctx, bad, idle); !errors.Is(err, license.ErrNotFound) {
			t.Errorf("Session(%q): %v", bad, err)
		}
		if err := e.svc.EndSession(ctx, bad); err != nil {
			t.Errorf("EndSession(%q): %v", bad, err)
		}
	}

	for _, tt := range []struct {
		kind    license.SessionKind
		subject string
		idle    time.Duration
		want    error
	}{
		{license.SessionProductKey, "not-a-license", idle, license.ErrNotFound},
		{license.SessionVendor, "", idle, license.ErrInvalid},
		{license.SessionVendor, "admin", 0, license.ErrInvalid},
		{"other", "x", idle, license.ErrInvalid},
	} {
		if _, _, err := e.svc.NewSession(ctx, tt.kind, tt.subject, tt.idle); !errors.Is(err, tt.want) {
			t.Errorf("NewSession(%q, %q, %v): %v, want %v", tt.kind, tt.subject, tt.idle, err, tt.want)
		}
	}
	if n, err := e.svc.PurgeExpiredSessions(ctx); err != nil || n != 1 {
		t.Errorf("PurgeExpiredSessions: %d, %v; want the expired product-key session", n, err)
	}
}
