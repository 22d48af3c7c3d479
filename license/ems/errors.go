package ems

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/licgate/licgate/license"
)

// The error bodies of the EMS documentation, exactly.
const (
	MsgNoActivation     = "No activation exists for the AID. Provide a valid AID." // GET activation/{aid}.ws
	MsgNoProductKey     = "The Product key does not exist."                        // POST productKey/…, loginByProductKey.ws
	MsgNoProductKeyInfo = "The Product Key does not exist."                        // GET productKey/{pk}.ws
)

// Answers of licgate's own where the EMS documentation has none.
const (
	// MsgNoService answers, with 404, every path that names no web service
	// licgate serves, whatever its method.
	MsgNoService = "This web service is not available on this license server."
	// MsgNoPendingUpdate is the 200 answer of activation/target.ws: there
	// is no update waiting for the protection key (see [Handler]).
	MsgNoPendingUpdate = "No pending update is available for the protection key."
	// MsgNoCustomer answers, with 404, GET customer/{id}.ws for a customer
	// that does not exist or that the session may not see, and PUT
	// customer.ws from a vendor session for an unknown customer number.
	MsgNoCustomer = "The customer does not exist."
)

// Errors of the handler itself, each with its own answer (see [Handler]).
var (
	errNoService         = errors.New("ems: no such web service")
	errMethod            = errors.New("ems: method not allowed")
	errCrossSite         = errors.New("ems: state-changing request from another site")
	errNoSession         = errors.New("ems: no live session")
	errBadLogin          = errors.New("ems: wrong vendor credentials")
	errNoProductKeyParam = errors.New("ems: no productKey parameter")
	errTooLarge          = errors.New("ems: request body too large")
	errReadBody          = errors.New("ems: request body unreadable")
	errKeyMismatch       = errors.New("ems: productKeyId differs from the URL")
	errBadTotal          = errors.New("ems: totalEntitled is not an integer")
	errBadEnabled        = errors.New("ems: enabled is not a boolean")
	errVendorOnly        = errors.New("ems: a product-key session may not change the seats or the status")
	errNoC2V             = errors.New("ems: no C2V or ProtectionKeyId attribute")
	errC2VSyntax         = errors.New("ems: C2V is not a hasp_info document")
	errC2VNoTarget       = errors.New("ems: C2V names no protection key and has no host fingerprint")
	errNoCustomerID      = errors.New("ems: a vendor's customer document names no customer")
	errNoCustomerEmail   = errors.New("ems: customer document without defaultContact/emailId")
)

// malformedError is a request body that is not the expected XML document.
type malformedError struct {
	root string
	err  error
}

func (e malformedError) Error() string {
	return "ems: malformed <" + e.root + "> document: " + e.err.Error()
}
func (e malformedError) Unwrap() error { return e.err }

// status maps an error to the status and plain-text body of the answer, in
// one place. Texts are sentences for a person reading a client's log; no
// error's own text, which names packages and internals, reaches them.
func (h *Handler) status(r *http.Request, rt route, err error) (int, string) {
	var (
		mal malformedError
		inv *license.InvalidError
	)
	switch {
	case errors.Is(err, errNoService):
		return http.StatusNotFound, MsgNoService
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed, "The HTTP method " + r.Method + " is not allowed for this web service."
	case errors.Is(err, errCrossSite):
		return http.StatusForbidden, "This request came from a page of another web site, so it was refused: a call that changes the license server's state must come from a program or from the server's own site."
	case errors.Is(err, errNoSession):
		return http.StatusUnauthorized, "You are not logged in, or your session has expired or ended. Log in with login.ws or loginByProductKey.ws first."
	case errors.Is(err, errBadLogin):
		return http.StatusUnauthorized, "The user name or password is not valid."
	case errors.Is(err, license.ErrRateLimited):
		return http.StatusTooManyRequests, "Too many failed attempts from this address. Try again later."
	case errors.Is(err, errNoProductKeyParam):
		return http.StatusBadRequest, "Provide the product key in the productKey parameter."
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", h.cfg.maxBody)
	case errors.Is(err, errReadBody):
		return http.StatusBadRequest, "The request body could not be read."
	case errors.As(err, &mal):
		return http.StatusBadRequest, "The request body is not a well-formed <" + mal.root + "> XML document."
	case errors.Is(err, errKeyMismatch):
		return http.StatusBadRequest, "The productKeyId in the request body is not the product key of the URL."
	case errors.Is(err, errBadTotal):
		return http.StatusBadRequest, "totalEntitled must be a whole number."
	case errors.Is(err, errBadEnabled):
		return http.StatusBadRequest, "enabled must be true or false."
	case errors.Is(err, errNoC2V):
		return http.StatusBadRequest, "Provide the C2V in an activationAttribute named C2V (or the protection key ID in one named ProtectionKeyId)."
	case errors.Is(err, errC2VSyntax):
		return http.StatusBadRequest, "The C2V is not valid: it must be a <hasp_info> XML document."
	case errors.Is(err, errNoCustomerID):
		return http.StatusBadRequest, "Name the customer to change in the <id> element: the customerId of its Product key."
	case errors.Is(err, errNoCustomerEmail):
		return http.StatusBadRequest, "Provide the customer's email address in <defaultContact><emailId>."
	case errors.Is(err, errC2VNoTarget):
		return http.StatusBadRequest, "The C2V names no protection key (<hasp id>) and carries no <host_fingerprint>."
	case errors.Is(err, errVendorOnly):
		return http.StatusForbidden, "A Product key login may not change the seats (totalEntitled) or the status (enabled) of a Product key. Log in with login.ws to change them."
	case errors.Is(err, license.ErrPermission):
		return http.StatusForbidden, "The Product key already has a customer, and only the vendor may replace it. Log in with login.ws to change the customer."
	case errors.Is(err, license.ErrNotFound):
		switch {
		case rt.res == resActivation:
			return http.StatusNotFound, MsgNoActivation
		case rt.res == resProductKey && r.Method == http.MethodGet:
			return http.StatusNotFound, MsgNoProductKeyInfo
		case rt.res == resCustomer || rt.res == resCustomerID:
			return http.StatusNotFound, MsgNoCustomer
		}
		return http.StatusNotFound, MsgNoProductKey
	case errors.Is(err, license.ErrNoSeats):
		return http.StatusConflict, "The Product key has no activations left: all of its seats are in use."
	case errors.Is(err, license.ErrLicenseRevoked):
		return http.StatusForbidden, "The Product key has been revoked."
	case errors.Is(err, license.ErrActivationRevoked):
		return http.StatusForbidden, "The activation of this protection key has been revoked; the key may not activate the Product key again."
	case errors.Is(err, license.ErrRevoked):
		return http.StatusForbidden, "The Product key or the activation has been revoked."
	case errors.Is(err, license.ErrSuspended):
		return http.StatusForbidden, "The Product key is disabled."
	case errors.Is(err, license.ErrExpired):
		return http.StatusForbidden, "The Product key has expired."
	case errors.Is(err, license.ErrReleased):
		return http.StatusGone, "The activation was released and no longer holds a license. Activate the Product key again."
	case errors.As(err, &inv):
		return http.StatusBadRequest, "The request is not valid: " + inv.Reason + "."
	case errors.Is(err, license.ErrInvalid):
		return http.StatusBadRequest, "The request is not valid."
	}
	return http.StatusInternalServerError, "Internal server error."
}

// fail answers with the status and text of err; the error itself goes to
// the logger, and only for a failure of the server.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, rt route, err error) {
	status, msg := h.status(r, rt, err)
	if status == http.StatusInternalServerError && !errors.Is(err, context.Canceled) {
		h.logger.ErrorContext(r.Context(), "ems: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeText(w, status, msg)
}
