package rest

import (
	"errors"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/licgate/licgate/license"
)

// leaseRequest is the body of POST /v1/leases.
type leaseRequest struct {
	Key      string `json:"key"`
	Instance string `json:"instance"`
	Name     string `json:"name"`
}

// leaseAnswer is the body of a 200 or 201 of POST /v1/leases and of a 200
// of a heartbeat, which carries a token only when it renewed it.
type leaseAnswer struct {
	ID string `json:"id"`
	// ExpiresAt is when the lease ends unless a heartbeat extends it.
	ExpiresAt      time.Time `json:"expiresAt"`
	Token          string    `json:"token,omitempty"`
	TokenExpiresAt time.Time `json:"tokenExpiresAt,omitzero"`
}

func answerOf(l license.Lease) leaseAnswer {
	a := leaseAnswer{ID: l.Activation.AID, ExpiresAt: l.ExpiresAt().UTC(), Token: l.Token}
	if l.Token != "" {
		a.TokenExpiresAt = l.TokenExpiresAt.UTC()
	}
	return a
}

// takeLease serves POST /v1/leases.
func (h *Handler) takeLease(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var q leaseRequest
	if err := h.readJSON(w, r, &q); err != nil {
		return 0, nil, err
	}
	if q.Key == "" {
		return 0, nil, badRequest("Give the activation key of the floating license (key).")
	}
	if q.Instance == "" {
		return 0, nil, badRequest("Give the name of what runs, such as a container or a host and a process (instance).")
	}
	ctx := r.Context()
	l, err := h.svc.LicenseByKey(ctx, q.Key)
	if err != nil {
		return 0, nil, err
	}
	lease, err := h.svc.TakeLease(ctx, license.LeaseRequest{LicenseID: l.ID, Instance: q.Instance, Name: q.Name})
	if err != nil {
		return 0, nil, err
	}
	status := http.StatusCreated
	if lease.Existing {
		status = http.StatusOK
	}
	return status, answerOf(lease), nil
}

// heartbeat serves POST /v1/leases/{id}/heartbeat. A body, if any, is
// ignored.
func (h *Handler) heartbeat(r *http.Request, id string) (int, any, error) {
	c, err := h.leaseClaims(r, id, false)
	if err != nil {
		return 0, nil, err
	}
	lease, err := h.svc.RenewLease(r.Context(), id, c.ExpiresAt.Time)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, answerOf(lease), nil
}

// returnLease serves DELETE /v1/leases/{id}.
func (h *Handler) returnLease(r *http.Request, id string) (int, any, error) {
	if _, err := h.leaseClaims(r, id, true); err != nil {
		return 0, nil, err
	}
	if _, err := h.svc.ReturnLease(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// leaseClaims returns the claims of the request's bearer token, which
// must be the lease's: issued by the service, for the lease's AID. A
// token that expired is refused unless expiredOK, for a lease given back
// by a program that kept its first token while heartbeats renewed the
// lease (and maybe the token).
func (h *Handler) leaseClaims(r *http.Request, id string, expiredOK bool) (*license.Claims, error) {
	tok, ok := bearer(r.Header.Values("Authorization"))
	if !ok {
		p := newProblem(ReasonTokenInvalid, "The lease's token is required, as Authorization: Bearer.")
		p.challenge = "Bearer"
		return nil, p
	}
	c, err := h.verifier.Verify(tok)
	switch {
	case err == nil:
	case expiredOK && c != nil && errors.Is(err, jwt.ErrTokenExpired):
	default:
		return nil, newProblem(ReasonTokenInvalid, "The token is not valid.")
	}
	if c.Subject != id || c.ExpiresAt == nil {
		return nil, newProblem(ReasonTokenInvalid, "The token is not this lease's.")
	}
	return c, nil
}
