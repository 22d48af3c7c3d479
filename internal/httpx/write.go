package httpx

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// WriteBody writes status and body with the headers every JSON answer of
// licgate carries: X-Content-Type-Options: nosniff, Cache-Control:
// no-store and, but for a 204, Content-Length. It writes no body for a
// HEAD request or a 204. Set Content-Type and any other header first.
func WriteBody(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	if status != http.StatusNoContent {
		hd.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead && status != http.StatusNoContent {
		w.Write(body)
	}
}

// ProblemType returns the type URI of the problems of a reason.
func ProblemType(reason string) string { return "urn:licgate:problem:" + reason }

// Problem is an RFC 9457 problem document (application/problem+json) with
// licgate's reason member: stable, for programs to switch on.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Reason string `json:"reason"`
}

// NewProblem returns the problem of a reason, whose type is
// [ProblemType] of it.
func NewProblem(status int, reason, title, detail string) Problem {
	return Problem{Type: ProblemType(reason), Title: title, Status: status, Detail: detail, Reason: reason}
}

// JSON returns the document as JSON, with a final newline.
func (p Problem) JSON() []byte {
	b, _ := json.Marshal(p) // cannot fail: strings and an int
	return append(b, '\n')
}
