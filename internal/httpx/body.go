package httpx

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// Reasons of the refusals of this package, the reason members of the
// problem documents that answer them.
const (
	ReasonBadRequest           = "bad_request"            // 400
	ReasonTooLarge             = "too_large"              // 413
	ReasonUnsupportedMediaType = "unsupported_media_type" // 415
)

// A Refusal is a request refused for its body: Reason is the reason of the
// problem document that answers it, Detail its sentence for the client.
type Refusal struct {
	Reason string
	Detail string
}

// Error returns the refusal as a line for logs.
func (e *Refusal) Error() string { return "httpx: " + e.Reason + ": " + e.Detail }

// ReadBody reads the request body, at most max bytes. A body declared or
// found larger is refused as too_large, one that cannot be read as
// bad_request.
func ReadBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, tooLarge(max)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, tooLarge(max)
	case err != nil:
		return nil, &Refusal{ReasonBadRequest, "The request body could not be read."}
	}
	return b, nil
}

func tooLarge(max int64) *Refusal {
	return &Refusal{ReasonTooLarge, "The request body is larger than " + strconv.FormatInt(max, 10) + " bytes."}
}

// CheckJSON refuses, as unsupported_media_type, a body that is not
// declared as application/json by one Content-Type header; the only
// parameter it may have is charset=utf-8, the only charset JSON has.
func CheckJSON(r *http.Request) error {
	ct := r.Header.Values("Content-Type")
	if len(ct) != 1 {
		return &Refusal{ReasonUnsupportedMediaType, "The request body must be application/json."}
	}
	mt, params, err := mime.ParseMediaType(ct[0])
	if err != nil || mt != "application/json" {
		return &Refusal{ReasonUnsupportedMediaType, "The request body must be application/json."}
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return &Refusal{ReasonUnsupportedMediaType, "The request body must be application/json in UTF-8."}
		}
	}
	return nil
}

// Printable shortens s to 64 bytes and drops what is not printable ASCII,
// for quoting input in a problem's detail.
func Printable(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
}
