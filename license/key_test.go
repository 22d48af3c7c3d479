package license

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNewKeyParsesBack(t *testing.T) {
	t.Parallel()
	for _, typ := range []byte{KeyPermanent, KeySubscription, ComputerPermanent, ComputerSubscription} {
		k, err := NewKey(typ)
		if err != nil {
			t.Fatal(err)
		}
		if len(k) != 35 || k[0] != typ || strings.Count(k, "-") != 5 {
			t.Fatalf("NewKey(%c) = %q, want 6 groups of 5 starting with %c", typ, k, typ)
		}
		got, err := ParseKey(strings.ToLower(strings.ReplaceAll(k, "-", " ")))
		if err != nil || got != k {
			t.Fatalf("ParseKey(lower, spaced %q) = %q, %v; want %q", k, got, err, k)
		}
	}
	if _, err := NewKey('Z'); err == nil {
		t.Fatal("NewKey('Z') succeeded, want an error")
	}
}

func TestParseKeyRejectsTypos(t *testing.T) {
	t.Parallel()
	k, _ := NewKey(KeyPermanent)
	sym := []byte(strings.ReplaceAll(k, "-", ""))
	caught := 0
	for i := 1; i < len(sym); i++ {
		orig := sym[i]
		for _, c := range []byte(keyAlphabet) {
			if c == orig {
				continue
			}
			sym[i] = c
			if _, err := ParseKey(string(sym)); err != nil {
				caught++
			}
		}
		sym[i] = orig
	}
	// Every single substitution but those 31 apart in the alphabet is caught.
	total := (len(sym) - 1) * 31
	if caught < total*95/100 {
		t.Fatalf("caught %d of %d single-symbol typos, want at least 95%%", caught, total)
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	good, _ := NewKey(KeySubscription)
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"canonical", good, true},
		{"no dashes", strings.ReplaceAll(good, "-", ""), true},
		{"empty", "", false},
		{"short", good[:20], false},
		{"long", good + "A", false},
		{"bad symbol", "U" + good[1:], false},
		{"bad type", "Z" + good[1:], false},
		{"punctuation", strings.Replace(good, "-", "_", 1), false},
		{"huge", strings.Repeat("A", 10000), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseKey(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseKey(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
		})
	}
}

func TestLookAlikes(t *testing.T) {
	t.Parallel()
	for i := 0; i < 50; i++ {
		k, _ := NewKey(KeyPermanent)
		typed := strings.NewReplacer("0", "O", "1", "I").Replace(k[1:])
		got, err := ParseKey(k[:1] + typed)
		if err != nil || got != k {
			t.Fatalf("ParseKey with look-alikes of %q = %q, %v", k, got, err)
		}
	}
}

func FuzzParseKey(f *testing.F) {
	k, _ := NewKey(KeyPermanent)
	for _, s := range []string{k, strings.ToLower(k), "", "A", "AAAAA-AAAAA", "FNR9020700G7HJKM8P9Q211JSEUB6ZKJAPHBQEP"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseKey(s)
		if err != nil {
			return
		}
		again, err := ParseKey(got)
		if err != nil || again != got {
			t.Fatalf("ParseKey(%q) = %q, which parses to %q, %v", s, got, again, err)
		}
		if len(got) != 35 {
			t.Fatalf("canonical key %q has length %d", got, len(got))
		}
	})
}

func TestNewCode(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		c, err := NewCode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseAuthorizationCode(c); err != nil {
			t.Fatalf("NewCode() = %q does not parse: %v", c, err)
		}
		seen[c] = true
	}
	if len(seen) < 190 {
		t.Fatalf("200 codes held only %d distinct values", len(seen))
	}
}

func FuzzParseAuthorizationCode(f *testing.F) {
	for _, s := range []string{"123456", " 000001 ", "12345", "1234567", "12a456", "١٢٣٤٥٦"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseAuthorizationCode(s)
		if err != nil {
			return
		}
		if len(c) != CodeDigits {
			t.Fatalf("ParseAuthorizationCode(%q) = %q", s, c)
		}
		for i := 0; i < len(c); i++ {
			if c[i] < '0' || c[i] > '9' {
				t.Fatalf("ParseAuthorizationCode(%q) = %q has a non-digit", s, c)
			}
		}
	})
}

func TestUUID(t *testing.T) {
	t.Parallel()
	u, err := NewUUID()
	if err != nil || !IsUUID(u) || u[14] != '4' {
		t.Fatalf("NewUUID() = %q, %v", u, err)
	}
	for _, bad := range []string{"", strings.ToUpper(u), u + "0", "c2396d75-3236-4ca6-9f10_682c62bdebfe"} {
		if IsUUID(bad) {
			t.Errorf("IsUUID(%q) = true", bad)
		}
	}
}

func TestCheckComputerID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in string
		ok bool
	}{
		{"PC-638266749553925187", true},
		{"00:1A:2B:3C:4D:5E", true},
		{"ünïcödé", true},
		{"", false},
		{"has space", false},
		{"tab\there", false},
		{"nul\x00", false},
		{strings.Repeat("x", 255), true},
		{strings.Repeat("x", 256), false},
		{"\xff\xfe", false},
	}
	for _, tt := range tests {
		if err := CheckComputerID(tt.in); (err == nil) != tt.ok {
			t.Errorf("CheckComputerID(%q) = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"Tom@Example.COM", "tom@example.com"},
		{"  a.b+c@d.io ", "a.b+c@d.io"},
		{"Tom <tom@example.com>", ""},
		{"a@b.c, d@e.f", ""},
		{"no-at-sign", ""},
		{"", ""},
		{strings.Repeat("a", 250) + "@b.io", ""},
		{"a@b.c\r\nBcc: x@y.z", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeEmail(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestActivationCommentsRejectControlCharacters(t *testing.T) {
	t.Parallel()
	aid, _ := NewUUID()
	lid, _ := NewUUID()
	a := Activation{AID: aid, LicenseID: lid, ComputerID: "pc", Status: StatusActive}
	for _, tt := range []struct {
		comments string
		ok       bool
	}{
		{"two\nlines\tand a tab", true},
		{"nul\x00byte", false},
		{"bell\a", false},
		{strings.Repeat("x", MaxComments+1), false},
	} {
		a.Comments = tt.comments
		if err := a.Validate(); (err == nil) != tt.ok {
			t.Errorf("Validate with comments %q = %v, want ok=%v", tt.comments, err, tt.ok)
		}
	}
}

func TestNewTimeUUID(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	prev := ""
	seen := map[string]bool{}
	for i := range 1000 {
		u, err := NewTimeUUID(t0.Add(time.Duration(i) * time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if !IsUUID(u) || u[14] != '7' || !strings.ContainsRune("89ab", rune(u[19])) {
			t.Fatalf("%q is not a lower-case version 7 UUID", u)
		}
		if u <= prev || seen[u] {
			t.Fatalf("%q made after %q does not sort after it", u, prev)
		}
		prev, seen[u] = u, true
	}
	// The same millisecond still gives distinct, unguessable IDs.
	a, _ := NewTimeUUID(t0)
	b, _ := NewTimeUUID(t0)
	if a == b || a[:13] != b[:13] {
		t.Fatalf("same millisecond: %q and %q; want the same time prefix and distinct IDs", a, b)
	}
}

// FuzzParseProductKey: a product key parses to a lower-case UUID or not at
// all, parsing is idempotent, and case and surrounding spaces do not matter.
func FuzzParseProductKey(f *testing.F) {
	f.Add("cb07a3b8-3797-4bee-b94e-08f0fb4778ca")
	f.Add("  CB07A3B8-3797-4BEE-B94E-08F0FB4778CA\t")
	f.Add("cb07a3b837974beeb94e08f0fb4778ca")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		pk, err := ParseProductKey(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseProductKey(%q): %v, want ErrInvalid", s, err)
			}
			return
		}
		if !IsUUID(pk) {
			t.Fatalf("ParseProductKey(%q) = %q, not a lower-case UUID", s, pk)
		}
		if again, err := ParseProductKey(strings.ToUpper(" " + pk + " ")); err != nil || again != pk {
			t.Fatalf("ParseProductKey(upper %q) = %q, %v; want %q", pk, again, err, pk)
		}
	})
}
