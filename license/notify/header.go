package notify

import (
	"fmt"
	"mime"
	"strings"
)

// maxLine is the line length RFC 5322 asks header lines to stay within.
const maxLine = 78

// checkHeader returns ErrHeaderInjection if v, bound for a header named
// what, contains a carriage return or a line feed.
func checkHeader(what, v string) error {
	if strings.ContainsAny(v, "\r\n") {
		return fmt.Errorf("%w: %s", ErrHeaderInjection, what)
	}
	return nil
}

// encodeHeader returns the header field "name: value" without its final
// CRLF. value is unstructured text (RFC 5322 section 3.2.5): if it holds
// anything but printable ASCII it is written as RFC 2047 encoded-words with
// [mime.QEncoding], and long lines are folded at spaces. A value holding a
// CR or LF is refused with ErrHeaderInjection, so no caller can add a header
// of its own.
func encodeHeader(name, value string) (string, error) {
	if err := checkHeader(name, value); err != nil {
		return "", err
	}
	return fold(name + ": " + mime.QEncoding.Encode("utf-8", value)), nil
}

// fold breaks a header line longer than maxLine at spaces, continuing each
// part on a line that starts with that space (RFC 5322 section 3.2.2).
// Unfolding, which removes the CRLFs, gives the line back. A run of text
// with no space stays whole, however long.
func fold(line string) string {
	if len(line) <= maxLine {
		return line
	}
	var b strings.Builder
	n := 0 // length of the current output line
	for line != "" {
		// The next piece is a space (except at the start) and the word after it.
		i := strings.IndexByte(line[1:], ' ') + 1
		if i == 0 {
			i = len(line)
		}
		piece := line[:i]
		if n > 0 && n+len(piece) > maxLine && piece[0] == ' ' && strings.TrimLeft(piece, " ") != "" {
			b.WriteString("\r\n")
			n = 0
		}
		b.WriteString(piece)
		n += len(piece)
		line = line[i:]
	}
	return b.String()
}
