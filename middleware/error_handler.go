package middleware

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/licgate/licgate/license"
)

// ErrorHandler answers a request the gate refused. err wraps one of
// [ErrNoToken], [ErrTokenMalformed], [ErrTokenInvalid], [ErrTokenExpired]
// (401 by [DefaultErrorHandler]); [ErrLicenseRevoked],
// [ErrActivationRevoked], [ErrSuspended], [ErrReleased], [ErrLeaseExpired],
// [ErrLicenseExpired], [ErrWrongProduct], [ErrActivationUnknown],
// [ErrFeatureMissing] (403); or [ErrStateUnavailable], [ErrKeysUnavailable]
// (503). A refusal of [license.State.Err] the gate does not know wraps
// [ErrRevoked] (403). Its message holds internal detail: log it, never
// send it.
type ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

// Reasons are the stable, machine-readable values of the "reason" member
// of the problem documents [DefaultErrorHandler] writes; the problem type
// is "urn:licgate:problem:" followed by the reason.
const (
	ReasonTokenMissing      = "token_missing"
	ReasonTokenMalformed    = "token_malformed"
	ReasonTokenInvalid      = "token_invalid"
	ReasonTokenExpired      = "token_expired"
	ReasonLicenseRevoked    = license.ReasonLicenseRevoked
	ReasonActivationRevoked = license.ReasonActivationRevoked
	ReasonRevoked           = "revoked" // ErrRevoked alone, which the gate never sends
	ReasonSuspended         = license.ReasonLicenseSuspended
	ReasonReleased          = license.ReasonActivationReleased
	ReasonLeaseExpired      = license.ReasonLeaseExpired
	ReasonLicenseExpired    = license.ReasonLicenseExpired
	ReasonWrongProduct      = "wrong_product"
	ReasonActivationUnknown = "activation_unknown"
	ReasonFeatureMissing    = "feature_missing"
	ReasonStateUnavailable  = "state_unavailable"
	ReasonKeysUnavailable   = "keys_unavailable"
	ReasonInternal          = "internal_error"
)

const (
	problemTypePrefix       = "urn:licgate:problem:"
	problemContentType      = "application/problem+json"
	bearerChallenge         = `Bearer`
	bearerInvalidToken      = `Bearer error="invalid_token"`
	bearerInsufficientScope = `Bearer error="insufficient_scope"`
)

// problem is how one refusal is answered.
type problem struct {
	status    int
	reason    string
	title     string
	challenge string // WWW-Authenticate, if any
}

// classify maps an error to its answer. It is the one place statuses are
// decided. Titles are sentences for the client; those about a license or
// an activation are [license.Explain]'s.
func classify(err error) problem {
	switch {
	case errors.Is(err, ErrNoToken):
		return problem{http.StatusUnauthorized, ReasonTokenMissing, "An activation token is required.", bearerChallenge}
	case errors.Is(err, ErrTokenMalformed):
		return problem{http.StatusUnauthorized, ReasonTokenMalformed, "The activation token is malformed.", challenge(bearerInvalidToken, "malformed token")}
	case errors.Is(err, ErrTokenExpired):
		return problem{http.StatusUnauthorized, ReasonTokenExpired, "The activation token has expired.", challenge(bearerInvalidToken, "token expired")}
	case errors.Is(err, ErrTokenInvalid):
		return problem{http.StatusUnauthorized, ReasonTokenInvalid, "The activation token is not valid here.", challenge(bearerInvalidToken, "invalid token")}
	case errors.Is(err, ErrLicenseRevoked):
		return problem{http.StatusForbidden, ReasonLicenseRevoked, "The license has been revoked.", ""}
	case errors.Is(err, ErrActivationRevoked):
		return problem{http.StatusForbidden, ReasonActivationRevoked, "The activation of this computer has been revoked.", ""}
	case errors.Is(err, ErrRevoked):
		return problem{http.StatusForbidden, ReasonRevoked, "The license or the activation has been revoked.", ""}
	case errors.Is(err, ErrSuspended):
		return problem{http.StatusForbidden, ReasonSuspended, "The license is suspended.", ""}
	case errors.Is(err, ErrLeaseExpired): // before ErrReleased, which it matches
		return problem{http.StatusForbidden, ReasonLeaseExpired, "The lease ended: it was not renewed in time. Take a new one.", ""}
	case errors.Is(err, ErrReleased):
		return problem{http.StatusForbidden, ReasonReleased, "The activation was released.", ""}
	case errors.Is(err, ErrLicenseExpired):
		return problem{http.StatusForbidden, ReasonLicenseExpired, "The license has expired.", ""}
	case errors.Is(err, ErrWrongProduct):
		return problem{http.StatusForbidden, ReasonWrongProduct, "The license is for another product.", ""}
	case errors.Is(err, ErrActivationUnknown):
		return problem{http.StatusForbidden, ReasonActivationUnknown, "The activation is unknown.", ""}
	case errors.Is(err, ErrFeatureMissing):
		return problem{http.StatusForbidden, ReasonFeatureMissing, "The license does not include this feature.", bearerInsufficientScope}
	case errors.Is(err, ErrStateUnavailable):
		return problem{http.StatusServiceUnavailable, ReasonStateUnavailable, "The license state cannot be checked now.", ""}
	case errors.Is(err, ErrKeysUnavailable):
		return problem{http.StatusServiceUnavailable, ReasonKeysUnavailable, "The license keys cannot be loaded now.", ""}
	default:
		return problem{http.StatusInternalServerError, ReasonInternal, "An internal error occurred.", ""}
	}
}

func challenge(base, desc string) string {
	return base + `, error_description="` + desc + `"`
}

// StatusCode returns the HTTP status [DefaultErrorHandler] answers err
// with: 401, 403 or 503 for the gate's errors, 500 for any other.
func StatusCode(err error) int { return classify(err).status }

// Reason returns the stable reason [DefaultErrorHandler] writes for err,
// one of the Reason constants.
func Reason(err error) string { return classify(err).reason }

// DefaultErrorHandler answers with the status [StatusCode] gives and an
// RFC 9457 problem document of type application/problem+json:
//
//	{"type":"urn:licgate:problem:token_expired","title":"The activation token has expired.","status":401,"reason":"token_expired"}
//
// A 401 carries a WWW-Authenticate Bearer challenge (RFC 6750), with
// error="invalid_token" unless the token is missing; a missing feature
// carries error="insufficient_scope". The body never holds err's message.
func DefaultErrorHandler(w http.ResponseWriter, r *http.Request, err error) {
	p := classify(err)
	h := w.Header()
	if p.challenge != "" {
		h.Set("WWW-Authenticate", p.challenge)
	}
	h.Set("Content-Type", problemContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	body, _ := json.Marshal(struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Reason string `json:"reason"`
	}{problemTypePrefix + p.reason, p.title, p.status, p.reason}) // cannot fail: strings and an int
	w.WriteHeader(p.status)
	if r.Method != http.MethodHead {
		w.Write(append(body, '\n'))
	}
}
