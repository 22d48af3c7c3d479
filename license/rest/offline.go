package rest

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/licgate/licgate/internal/httpx"
	"github.com/licgate/licgate/license"
)

// LicenseFileName is the file name a license file is offered for
// download under, by POST /v1/offline and the /offline page.
const LicenseFileName = "licgate-license.json"

// Bounds of the /offline form: its file, as [license.ParseOfflineRequest]
// takes it, the form around it, and how many parts the handler reads.
const (
	maxFormBytes = license.MaxOfflineFileBytes + 16<<10
	maxFormParts = 8
)

// activateOffline serves POST /v1/offline: the body is the request file.
func (h *Handler) activateOffline(w http.ResponseWriter, r *http.Request) (int, any, error) {
	if err := httpx.CheckJSON(r); err != nil {
		return 0, nil, err
	}
	body, err := httpx.ReadBody(w, r, h.cfg.maxBody)
	if err != nil {
		return 0, nil, err
	}
	return h.offlineLicense(r, body)
}

// offlineLicense answers the request file data with its license file.
func (h *Handler) offlineLicense(r *http.Request, data []byte) (int, any, error) {
	req, err := license.ParseOfflineRequest(data)
	if err != nil {
		return 0, nil, err
	}
	f, err := h.svc.ActivateOffline(r.Context(), req)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, f, nil
}

// servePage serves /offline: the page on GET, the license file (or the
// page with the error) on a POST of its form.
func (h *Handler) servePage(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.renderPage(w, r, http.StatusOK, "")
	case http.MethodPost:
		h.postForm(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		writeProblem(w, r, newProblem(ReasonMethodNotAllowed, "Use GET, HEAD or POST."))
	}
}

// postForm serves a POST of the /offline form.
func (h *Handler) postForm(w http.ResponseWriter, r *http.Request) {
	if err := h.cop.Check(r); err != nil {
		h.pageError(w, r, newProblem(ReasonCrossOrigin, "This form can be sent only from this site's own page."))
		return
	}
	data, err := readFormFile(w, r)
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	_, f, err := h.offlineLicense(r, data)
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	h.writeJSON(w, r, http.StatusOK, f)
}

// readFormFile reads the file of the form's "request" field from a
// multipart/form-data body, bounded: the body to maxFormBytes, its parts
// to maxFormParts, the file to [license.MaxOfflineFileBytes]. Nothing is
// written to disk.
func readFormFile(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, newProblem(ReasonUnsupportedMediaType, "Send the form of this page, as multipart/form-data.")
	}
	tooLarge := newProblem(ReasonTooLarge, "The request file is larger than 64 KiB: it is not a request file.")
	if r.ContentLength > maxFormBytes {
		return nil, tooLarge
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, badRequest("The form could not be read.")
	}
	var data []byte
	found := false
	for range maxFormParts {
		part, err := mr.NextPart()
		var mbe *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF):
			if !found || len(bytes.TrimSpace(data)) == 0 {
				return nil, badRequest("Choose the request file first.")
			}
			return data, nil
		case errors.As(err, &mbe):
			return nil, tooLarge
		case err != nil:
			return nil, badRequest("The form could not be read.")
		}
		if part.FormName() == "request" && !found {
			found = true
			data, err = io.ReadAll(io.LimitReader(part, license.MaxOfflineFileBytes+1))
			if err == nil && len(data) > license.MaxOfflineFileBytes {
				return nil, tooLarge
			}
		} else {
			_, err = io.Copy(io.Discard, part)
		}
		switch {
		case errors.As(err, &mbe):
			return nil, tooLarge
		case err != nil:
			return nil, badRequest("The form could not be read.")
		}
	}
	return nil, badRequest("The form has more fields than this page sends.")
}

// pageError answers the page again, with the problem of err as its
// message and status.
func (h *Handler) pageError(w http.ResponseWriter, r *http.Request, err error) {
	p, internal := problemOf(err)
	h.report(r.Context(), r, p, internal, err)
	h.renderPage(w, r, p.Status, p.Detail)
}

// renderPage writes the page with an error message, if any.
func (h *Handler) renderPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	var buf bytes.Buffer
	if err := h.page.Execute(&buf, pageData{Error: msg, MaxKiB: license.MaxOfflineFileBytes >> 10}); err != nil {
		h.writeError(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", h.csp)
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	httpx.WriteBody(w, r, status, buf.Bytes())
}
