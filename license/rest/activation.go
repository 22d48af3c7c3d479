package rest

import (
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/licgate/licgate/internal/httpx"
	"github.com/licgate/licgate/license"
)

// activationRequest is the body of POST /v1/activations: an activation
// key, or an authorization code with what narrows its search.
type activationRequest struct {
	Key          string `json:"key"`
	Code         string `json:"code"`
	Email        string `json:"email"`
	ProductID    string `json:"productId"`
	ComputerID   string `json:"computerId"`
	ComputerName string `json:"computerName"`
}

// check refuses a request whose members do not go together; the values
// are the service's to judge.
func (q activationRequest) check() error {
	switch {
	case q.Key == "" && q.Code == "":
		return badRequest("Give an activation key (key) or an authorization code (code).")
	case q.Key != "" && q.Code != "":
		return badRequest("Give an activation key (key) or an authorization code (code), not both.")
	case q.Key != "" && (q.Email != "" || q.ProductID != ""):
		return badRequest("The members email and productId go with an authorization code only.")
	}
	return nil
}

// activationAnswer is the body of a 200 or 201 of POST /v1/activations.
type activationAnswer struct {
	AID        string `json:"aid"`
	LicenseID  string `json:"licenseId"`
	ProductID  string `json:"productId"`
	ComputerID string `json:"computerId"`
	Token      string `json:"token"`
	// ExpiresAt is when Token expires.
	ExpiresAt time.Time `json:"expiresAt"`
	Existing  bool      `json:"existing"`
}

// activate serves POST /v1/activations.
func (h *Handler) activate(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var q activationRequest
	if err := h.readJSON(w, r, &q); err != nil {
		return 0, nil, err
	}
	if err := q.check(); err != nil {
		return 0, nil, err
	}
	ctx := r.Context()
	var res license.Result
	if q.Key != "" {
		l, err := h.svc.LicenseByKey(ctx, q.Key)
		if err != nil {
			return 0, nil, err
		}
		res, err = h.svc.Activate(ctx, license.ActivationRequest{
			LicenseID: l.ID, ComputerID: q.ComputerID, ComputerName: q.ComputerName,
		})
		if err != nil {
			return 0, nil, err
		}
	} else {
		var err error
		res, err = h.svc.ActivateByCode(ctx, license.CodeActivation{
			Code: q.Code, Email: q.Email, Target: license.Target{ProductID: q.ProductID},
			ComputerID: q.ComputerID, ComputerName: q.ComputerName, ClientAddr: h.cfg.clientIP(r),
		})
		if err != nil {
			return 0, nil, err
		}
	}
	exp, err := tokenExpiry(res.Token)
	if err != nil {
		return 0, nil, err
	}
	status := http.StatusCreated
	if res.Existing {
		status = http.StatusOK
	}
	return status, activationAnswer{
		AID: res.Activation.AID, LicenseID: res.License.ID, ProductID: res.Product.ID,
		ComputerID: res.Activation.ComputerID, Token: res.Token, ExpiresAt: exp, Existing: res.Existing,
	}, nil
}

// tokenExpiry returns the exp of a token the service has just issued, so
// trusted without verifying it again.
func tokenExpiry(tok string) (time.Time, error) {
	var c license.Claims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &c); err != nil {
		return time.Time{}, err
	}
	if c.ExpiresAt == nil {
		return time.Time{}, jwt.ErrTokenRequiredClaimMissing
	}
	return c.ExpiresAt.UTC(), nil
}

// codeRequest is the body of POST /v1/codes.
type codeRequest struct {
	Email      string `json:"email"`
	ComputerID string `json:"computerId"`
	ProductID  string `json:"productId"`
}

// accepted is the body of a 202 of POST /v1/codes.
type accepted struct {
	Status string `json:"status"`
}

// requestCode serves POST /v1/codes. Its answer is the same whether or not
// the email has a license: [license.Service.RequestCode] keeps the
// difference out of its answer and its timing.
func (h *Handler) requestCode(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var q codeRequest
	if err := h.readJSON(w, r, &q); err != nil {
		return 0, nil, err
	}
	err := h.svc.RequestCode(r.Context(), license.CodeRequest{
		Email: q.Email, ComputerID: q.ComputerID, Target: license.Target{ProductID: q.ProductID},
		ClientAddr: h.cfg.clientIP(r),
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, accepted{Status: "accepted"}, nil
}

// readJSON reads the body of a JSON request into v.
func (h *Handler) readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if err := httpx.CheckJSON(r); err != nil {
		return err
	}
	body, err := httpx.ReadBody(w, r, h.cfg.maxBody)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}
