package ems

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/licgate/licgate/xmlmodel"
)

// Reading requests and writing answers.

// readBody reads the request body, at most the configured bytes.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > h.cfg.maxBody {
		return nil, errTooLarge
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.maxBody))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, errTooLarge
	case err != nil:
		return nil, errReadBody
	}
	return b, nil
}

// readXML reads the body into v; a malformed document or one whose root is
// not the named element is a malformedError.
func (h *Handler) readXML(w http.ResponseWriter, r *http.Request, v any, root string) error {
	b, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	if err := xmlmodel.UnmarshalEMS(b, v); err != nil {
		return malformedError{root: root, err: err}
	}
	return nil
}

// writeXML answers 200 with the document v, after the XML declaration if
// declaration is set.
func (h *Handler) writeXML(w http.ResponseWriter, v any, declaration bool) error {
	b, err := xmlmodel.MarshalEMS(v, declaration)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ContentTypeXML)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}

// writeText answers with a status and a plain-text sentence.
func writeText(w http.ResponseWriter, status int, msg string) {
	hd := w.Header()
	hd.Set("Content-Type", ContentTypeText)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.Itoa(len(msg)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
}
