package ems

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/memstore"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// pinnedProtectionKeyID is what the first edition's
// Service.ProtectionKeyID("0071eb86-911c-40aa-a07b-552d23ce37a1",
// "MXhJSYmNpjnyb") returned with testSecret, computed by running it.
const pinnedProtectionKeyID = "762203816024678530"

func newTestService(t *testing.T) *license.Service {
	t.Helper()
	k, err := license.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	ks, err := license.NewKeySet(k)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := license.NewService(memstore.New(), license.WithKeySet(ks), license.WithSecret(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(context.Background()) })
	return svc
}

// firstEditionProtectionKeyID is the formula of licgate's first edition
// (license.Service.ProtectionKeyID), written out: HMAC-SHA256 keyed with
// the secret over "licgate ems protection key", NUL, the license ID, NUL,
// the fingerprint without white space; its first 8 bytes big-endian, mod
// 9e17, plus 1e17.
func firstEditionProtectionKeyID(secret []byte, licenseID, fingerprint string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("licgate ems protection key\x00"))
	m.Write([]byte(licenseID))
	m.Write([]byte{0})
	m.Write([]byte(strings.Join(strings.Fields(fingerprint), "")))
	n := binary.BigEndian.Uint64(m.Sum(nil)) % 900_000_000_000_000_000
	return strconv.FormatUint(100_000_000_000_000_000+n, 10)
}

// TestProtectionKeyIDUnchanged pins the derivation to the first edition's:
// a license made then keeps its old ID as its product key, so a client
// that posts its C2V again gets the protection key ID, and the activation,
// it already has.
func TestProtectionKeyIDUnchanged(t *testing.T) {
	t.Parallel()
	svc := newTestService(t)
	for _, tt := range []struct{ productKey, fingerprint string }{
		{"0071eb86-911c-40aa-a07b-552d23ce37a1", "MXhJSYmNpjnybwMQmXCmqPiNEj1XJk6XGATACNudoCILIEUrZc/\nz14yWKbGXxi6iKDbiEQtnVdXiVHoOE1XumZZjF+Qy"},
		{"fb9a91ba-20ee-4ecd-a049-5194c8d5d2dc", " a b\tc\r\n"},
		{"c2396d75-3236-4ca6-9f10-682c62bdebfe", "x"},
	} {
		got := protectionKeyID(svc, tt.productKey, tt.fingerprint)
		if want := firstEditionProtectionKeyID(testSecret, tt.productKey, tt.fingerprint); got != want {
			t.Errorf("protectionKeyID(%s, %q) = %s, want %s as the first edition derived", tt.productKey, tt.fingerprint, got, want)
		}
	}
	// The value the first edition's code computed, so that a change to
	// both the code and the formula above is caught too.
	const pk, fp = "0071eb86-911c-40aa-a07b-552d23ce37a1", "MXhJSYmNpjnyb"
	if got, want := protectionKeyID(svc, pk, fp), firstEditionProtectionKeyID(testSecret, pk, fp); got != want || got != pinnedProtectionKeyID {
		t.Errorf("got %s, first edition %s, pinned %s", got, want, pinnedProtectionKeyID)
	}
}

func TestProtectionKeyID(t *testing.T) {
	t.Parallel()
	svc := newTestService(t)
	const pk = "0071eb86-911c-40aa-a07b-552d23ce37a1"
	a := protectionKeyID(svc, pk, "MXhJSYmN\npjnyb")
	if len(a) != 18 || strings.Trim(a, "0123456789") != "" || a[0] == '0' {
		t.Errorf("got %q, want 18 digits", a)
	}
	if b := protectionKeyID(svc, pk, " MXhJSYmNpjnyb\r\n"); b != a {
		t.Errorf("white space changed the ID: %s, %s", a, b)
	}
	if b := protectionKeyID(svc, pk, "MXhJSYmNpjnyc"); b == a {
		t.Error("two fingerprints, one ID")
	}
	if b := protectionKeyID(svc, "fb9a91ba-20ee-4ecd-a049-5194c8d5d2dc", "MXhJSYmNpjnyb"); b == a {
		t.Error("two product keys, one ID")
	}
	if b := protectionKeyID(newTestServiceWithSecret(t, []byte(strings.Repeat("s", 32))), pk, "MXhJSYmNpjnyb"); b == a {
		t.Error("two secrets, one ID")
	}
}

func newTestServiceWithSecret(t *testing.T, secret []byte) *license.Service {
	t.Helper()
	k, _ := license.GenerateSigningKey()
	ks, _ := license.NewKeySet(k)
	svc, err := license.NewService(memstore.New(), license.WithKeySet(ks), license.WithSecret(secret))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestCheckProtectionKeyID(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"", "12a", "-1", " 1", strings.Repeat("1", maxProtectionKeyIDLen+1)} {
		if err := checkProtectionKeyID(id); !errors.Is(err, license.ErrInvalid) {
			t.Errorf("checkProtectionKeyID(%q): %v, want ErrInvalid", id, err)
		}
	}
	for _, id := range []string{"712734935", "0", strings.Repeat("9", maxProtectionKeyIDLen)} {
		if err := checkProtectionKeyID(id); err != nil {
			t.Errorf("checkProtectionKeyID(%q): %v", id, err)
		}
	}
}

func TestActivationInputComputerID(t *testing.T) {
	t.Parallel()
	svc := newTestService(t)
	const pk = "0071eb86-911c-40aa-a07b-552d23ce37a1"
	tests := []struct {
		name    string
		in      activationInput
		want    string
		wantErr error
	}{
		{"key ID", activationInput{protectionKeyID: "42", fingerprint: "ignored"}, "42", nil},
		{"fingerprint", activationInput{fingerprint: "fp"}, protectionKeyID(svc, pk, "fp"), nil},
		{"bad key ID", activationInput{protectionKeyID: "x1"}, "", license.ErrInvalid},
		{"blank fingerprint", activationInput{fingerprint: " \n "}, "", errC2VNoTarget},
		{"huge fingerprint", activationInput{fingerprint: strings.Repeat("A", license.MaxAttributeValue+1)}, "", license.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.in.computerID(svc, pk)
			if got != tt.want && tt.wantErr == nil || !errors.Is(err, tt.wantErr) {
				t.Errorf("got %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
