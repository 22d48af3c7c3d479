package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/licgate/licgate/license"
)

func TestFormatTTL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Minute, "10 minutes"},
		{time.Minute, "1 minute"},
		{90 * time.Second, "1 minute"},
		{45 * time.Second, "45 seconds"},
		{time.Second, "1 second"},
		{time.Millisecond, "less than a second"},
		{time.Hour, "1 hour"},
		{2 * time.Hour, "2 hours"},
		{90 * time.Minute, "1 hour and 30 minutes"},
		{25*time.Hour + time.Minute, "25 hours and 1 minute"},
		{24 * time.Hour, "24 hours"},
	}
	for _, tt := range tests {
		if got := FormatTTL(tt.d); got != tt.want {
			t.Errorf("FormatTTL(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestCompose(t *testing.T) {
	t.Parallel()
	p := license.Product{ID: "editor", Name: "Acme Editor", Major: 2, Minor: 1}
	tests := []struct {
		name      string
		m         license.Message
		wantLines []string // lines the body must hold, in order
		notInBody []string
		wantShort string
	}{
		{
			name: "named customer, minutes",
			m:    license.Message{Name: "Jane Doe", Product: p, Code: "012345", TTL: 10 * time.Minute},
			wantLines: []string{
				"Hello Jane Doe,",
				"Here is your activation code for Acme Editor 2.1:",
				"012345",
				"This code expires in 10 minutes. It works once, on one computer.",
				"If you did not ask for this code, you can ignore this email.",
			},
			wantShort: "Acme Editor activation code: 012345. It expires in 10 minutes.",
		},
		{
			name:      "anonymous customer, hours",
			m:         license.Message{Product: p, Code: "999999", TTL: 2 * time.Hour},
			wantLines: []string{"Hello,", "999999", "This code expires in 2 hours. It works once, on one computer."},
			wantShort: "Acme Editor activation code: 999999. It expires in 2 hours.",
		},
		{
			name:      "no TTL",
			m:         license.Message{Product: p, Code: "123456"},
			wantLines: []string{"123456", "It works once, on one computer."},
			notInBody: []string{"expires"},
			wantShort: "Acme Editor activation code: 123456.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Compose(tt.m)
			if want := "Your activation code for Acme Editor"; got.Subject != want {
				t.Errorf("Subject = %q, want %q", got.Subject, want)
			}
			if got.Short != tt.wantShort {
				t.Errorf("Short = %q, want %q", got.Short, tt.wantShort)
			}
			lines := strings.Split(got.Body, "\n")
			i := 0
			for _, want := range tt.wantLines {
				for i < len(lines) && lines[i] != want {
					i++
				}
				if i == len(lines) {
					t.Errorf("body lacks line %q (in order):\n%s", want, got.Body)
					break
				}
			}
			for _, s := range tt.notInBody {
				if strings.Contains(got.Body, s) {
					t.Errorf("body holds %q:\n%s", s, got.Body)
				}
			}
		})
	}
}
