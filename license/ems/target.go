package ems

import (
	"net/http"
	"strconv"

	"github.com/licgate/licgate/xmlmodel"
)

// Pending updates by C2V: activation/target.ws.

// PollingFrequencyHeader is the header of the answer of
// activation/target.ws that tells clients how often to ask again, in
// minutes; 0 means they should ignore it (see [WithPollingFrequency]).
const PollingFrequencyHeader = "polling-frequency"

// fetchUpdates serves POST activation/target.ws, which takes a raw C2V and
// needs no login. EMS answers it with the updates waiting for the
// protection key, packed as a V2CP <hasp_info>. licgate never has one: an
// activation is delivered whole by productKey/{pk}/activation.ws, and
// again by activation/{aid}.ws, to a session allowed to see it, and the
// only thing licgate's V2C carries is the activation token, a credential
// that a caller who merely names a protection key (a short, guessable
// number; licgate cannot verify a C2V's Sentinel cryptography) must not
// get. So every well-formed C2V is answered alike, known key or not, and
// without looking it up: 200, the polling-frequency header, and a plain
// sentence that holds no <hasp_info>, which Thales' samples take for "no
// update" (they apply an answer only if it contains <hasp_info>) and which
// contains "No pending update", the text other clients look for.
func (h *Handler) fetchUpdates(w http.ResponseWriter, r *http.Request) error {
	b, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	text, err := xmlmodel.DecodeEMSText(b)
	if err != nil {
		return errC2VSyntax
	}
	if _, err := parseC2V(text); err != nil {
		return err
	}
	// Set in lower case, as EMS writes it, not canonicalized: Thales' Java
	// sample looks it up in HttpURLConnection's case-sensitive header map.
	w.Header()[PollingFrequencyHeader] = []string{strconv.Itoa(h.cfg.polling)}
	writeText(w, http.StatusOK, MsgNoPendingUpdate)
	return nil
}
