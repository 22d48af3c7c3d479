package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Activation is an activation of a license on a computer, as the server
// answered it and the client keeps it.
type Activation struct {
	// AID is the activation's ID.
	AID        string `json:"aid"`
	LicenseID  string `json:"licenseId"`
	ProductID  string `json:"productId"`
	ComputerID string `json:"computerId"`
	// Token is the activation token: a JWT signed by the server that
	// gates verify. It is what the program shows as its license; keep it
	// like a key.
	Token string `json:"token"`
	// ExpiresAt is when the token expires; the program activates again
	// (the same computer keeps its activation and seat) to get a new one.
	ExpiresAt time.Time `json:"expiresAt"`
	// Existing is set when the computer already held the activation.
	Existing bool `json:"existing"`
}

// check reports whether a has what every activation has.
func (a Activation) check() error {
	if a.AID == "" || a.Token == "" || a.ComputerID == "" || a.ExpiresAt.IsZero() {
		return errors.New("an activation needs an aid, a computer ID, a token and its expiry")
	}
	return nil
}

// activationRequest is the body of POST /v1/activations.
type activationRequest struct {
	Key          string `json:"key,omitempty"`
	Code         string `json:"code,omitempty"`
	Email        string `json:"email,omitempty"`
	ProductID    string `json:"productId,omitempty"`
	ComputerID   string `json:"computerId"`
	ComputerName string `json:"computerName,omitempty"`
}

// Activate activates the license of the activation key on the computer,
// named name (which may be empty), and keeps the activation and its token
// ([Client.Token]). Activating a computer again returns its activation,
// with a new token, and takes no second seat. The server's refusals are
// a [*ProblemError]: [license.ErrNoSeats] matches one for a license whose
// seats are all held, [license.ErrNotFound] one for an unknown key, and so
// on.
func (c *Client) Activate(ctx context.Context, key, computerID, name string) (Activation, error) {
	if key == "" || computerID == "" {
		return Activation{}, fmt.Errorf("%w: Activate needs a key and a computer ID", ErrBadOption)
	}
	return c.activate(ctx, activationRequest{Key: key, ComputerID: computerID, ComputerName: name})
}

// ActivateByCode activates, on the computer named name, the license of
// email with the authorization code [Client.RequestCode] had sent, and
// keeps the activation and its token. Errors are those of
// [Client.Activate]; a wrong, expired or used code matches
// [license.ErrCodeInvalid].
func (c *Client) ActivateByCode(ctx context.Context, code, email, computerID, name string) (Activation, error) {
	if code == "" || computerID == "" {
		return Activation{}, fmt.Errorf("%w: ActivateByCode needs a code and a computer ID", ErrBadOption)
	}
	return c.activate(ctx, activationRequest{Code: code, Email: email, ProductID: c.productID, ComputerID: computerID, ComputerName: name})
}

func (c *Client) activate(ctx context.Context, req activationRequest) (Activation, error) {
	if _, err := c.now(time.Time{}); err != nil {
		return Activation{}, err
	}
	ans, err := c.send(ctx, http.MethodPost, "/v1/activations", "", encode(req), 0, http.StatusCreated, http.StatusOK)
	if err != nil {
		return Activation{}, err
	}
	a, err := parseActivationAnswer(ans, req.ComputerID)
	if err != nil {
		return Activation{}, err
	}
	if err := c.saveActivation(a); err != nil {
		return a, err
	}
	return a, nil
}

// parseActivationAnswer reads the answer to an activation for computerID.
func parseActivationAnswer(ans answer, computerID string) (Activation, error) {
	var a Activation
	if err := decode(ans, &a); err != nil {
		return Activation{}, err
	}
	if err := a.check(); err != nil {
		return Activation{}, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	if a.ComputerID != computerID {
		return Activation{}, fmt.Errorf("%w: an activation of computer %q, not %q", ErrBadResponse, a.ComputerID, computerID)
	}
	return a, nil
}

// RequestCode asks the server to send an authorization code to email,
// the address a license was registered to, for activating the computer
// ([Client.ActivateByCode]), for the license of the product of
// [WithProductID], which the server may require. The server accepts the request without saying whether the
// address has a license, so an error means the request itself failed:
// too many requests ([license.ErrRateLimited]), a malformed address
// ([license.ErrInvalid]), the network.
func (c *Client) RequestCode(ctx context.Context, email, computerID string) error {
	if email == "" || computerID == "" {
		return fmt.Errorf("%w: RequestCode needs an email address and a computer ID", ErrBadOption)
	}
	if _, err := c.now(time.Time{}); err != nil {
		return err
	}
	body := struct {
		Email      string `json:"email"`
		ComputerID string `json:"computerId"`
		ProductID  string `json:"productId,omitempty"`
	}{email, computerID, c.productID}
	_, err := c.send(ctx, http.MethodPost, "/v1/codes", "", encode(body), 0, http.StatusAccepted)
	return err
}
