package httpx

import (
	"strings"
	"testing"
)

func TestBearer(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 17)
	tests := []struct {
		name    string
		vals    []string
		sep     string
		want    string
		wantOK  bool
		wantTab bool // the answer with SPTab, where it differs
	}{
		{"token", []string{"Bearer abc"}, SP, "abc", true, true},
		{"any case", []string{"bEaReR abc"}, SP, "abc", true, true},
		{"spaces around", []string{"  Bearer   abc  "}, SP, "abc", true, true},
		{"space then tab", []string{"Bearer \tabc"}, SP, "abc", true, true},
		{"tab ends the scheme", []string{"Bearer\tabc"}, SP, "", false, true},
		{"none", nil, SP, "", false, false},
		{"two headers", []string{"Bearer a", "Bearer a"}, SP, "", false, false},
		{"scheme alone", []string{"Bearer"}, SP, "", false, false},
		{"scheme and space", []string{"Bearer "}, SP, "", false, false},
		{"other scheme", []string{"Basic abc"}, SP, "", false, false},
		{"longer scheme", []string{"Bearerx abc"}, SP, "", false, false},
		{"space inside", []string{"Bearer a b"}, SP, "", false, false},
		{"tab inside", []string{"Bearer a\tb"}, SP, "", false, false},
		{"at most max", []string{"Bearer " + long[:16]}, SP, long[:16], true, true},
		{"over max", []string{"Bearer " + long}, SP, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := Bearer(tt.vals, 16, SP)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("SP: got %q, %v, want %q, %v", got, ok, tt.want, tt.wantOK)
			}
			if _, ok := Bearer(tt.vals, 16, SPTab); ok != tt.wantTab {
				t.Errorf("SPTab: got %v, want %v", ok, tt.wantTab)
			}
		})
	}
}

// FuzzBearer feeds Authorization headers to the bearer parser: a token it
// returns is in the header, not empty, within max and without blanks, and
// whatever SP takes SPTab takes too.
func FuzzBearer(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  abc ", "Basic eDp5", "Bearer", "Bearer a b", "Bearer\tabc",
		"Bearer \u00a0abc", "Bearer\u00a0abc", " Bearer x\t", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		const max = 64
		tok, ok := Bearer([]string{h}, max, SP)
		tabTok, tabOK := Bearer([]string{h}, max, SPTab)
		if ok && (tok == "" || len(tok) > max || strings.ContainsAny(tok, " \t") || !strings.Contains(h, tok)) {
			t.Fatalf("%q: token %q", h, tok)
		}
		if tabOK && (tabTok == "" || len(tabTok) > max || strings.ContainsAny(tabTok, " \t") || !strings.Contains(h, tabTok)) {
			t.Fatalf("%q: token %q with SPTab", h, tabTok)
		}
		if ok && (!tabOK || tabTok != tok) {
			t.Fatalf("%q: SP takes %q, SPTab %q, %v", h, tok, tabTok, tabOK)
		}
	})
}
