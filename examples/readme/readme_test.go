// Package readme keeps the Go code of README.md compiling: every ```go
// block of the README must be, byte for byte, one of the programs in this
// directory's subdirectories, which `go build ./...` and `go vet ./...`
// compile.
package readme

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goBlocks returns the fenced ```go blocks of a Markdown document.
func goBlocks(md []byte) []string {
	var blocks []string
	var cur *strings.Builder
	for _, line := range strings.SplitAfter(string(md), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && trimmed == "```go":
			cur = new(strings.Builder)
		case cur != nil && trimmed == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line)
		}
	}
	return blocks
}

func TestREADMECodeCompiles(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	programs, err := filepath.Glob("*/main.go")
	if err != nil || len(programs) == 0 {
		t.Fatalf("no programs beside the test: %v", err)
	}
	files := map[string][]byte{}
	for _, p := range programs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = b
	}
	blocks := goBlocks(md)
	if len(blocks) < len(programs) {
		t.Errorf("README.md has %d Go blocks, want at least one per program (%d)", len(blocks), len(programs))
	}
	for i, b := range blocks {
		found := false
		for _, f := range files {
			if bytes.Equal([]byte(b), f) {
				found = true
			}
		}
		if !found {
			first, _, _ := strings.Cut(b, "\n")
			t.Errorf("README.md Go block %d (%q…) is not one of %v verbatim: copy the program into the README, or the README block into a program", i+1, first, programs)
		}
	}
}
