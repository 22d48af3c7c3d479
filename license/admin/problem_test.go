package admin

import (
	"errors"
	"testing"

	"github.com/licgate/licgate/license"
)

// Every reason the API answers with has its documented status, and a
// problem matches the sentinel of its reason.
func TestKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reason       string
		wantStatus   int
		wantSentinel error
	}{
		{ReasonBadRequest, 400, nil},
		{license.OutcomeInvalid, 400, license.ErrInvalid},
		{ReasonUnauthenticated, 401, license.ErrUnauthenticated},
		{ReasonForbidden, 403, license.ErrPermission},
		{license.OutcomePermission, 403, license.ErrPermission},
		{license.OutcomeNotFound, 404, license.ErrNotFound},
		{ReasonMethodNotAllowed, 405, nil},
		{license.OutcomeConflict, 409, license.ErrConflict},
		{ReasonIdempotencyKeyInUse, 409, nil},
		{license.OutcomeNoSeats, 409, license.ErrNoSeats},
		{license.OutcomeFloating, 409, license.ErrFloating},
		{license.ReasonLicenseRevoked, 409, license.ErrRevoked},
		{ReasonTooLarge, 413, nil},
		{ReasonUnsupportedMediaType, 415, nil},
		{ReasonIdempotencyKeyReused, 422, nil},
		{ReasonRateLimited, 429, license.ErrRateLimited},
		{license.OutcomeReleaseLimited, 429, license.ErrRateLimited},
		{ReasonInternal, 500, nil},
		{license.OutcomeDelivery, 502, license.ErrDelivery},
		{license.OutcomeNoChannel, 503, license.ErrNoChannel},
		{license.OutcomeCanceled, 503, nil},
	}
	for _, tt := range tests {
		p := newProblem(tt.reason, "")
		if p.Status != tt.wantStatus || p.Title == "" || p.Title == "Refused" {
			t.Errorf("%s: got %d %q, want %d", tt.reason, p.Status, p.Title, tt.wantStatus)
		}
		if tt.wantSentinel != nil && !errors.Is(p, tt.wantSentinel) {
			t.Errorf("%s: does not match %v", tt.reason, tt.wantSentinel)
		}
		if tt.wantSentinel == nil && errors.Is(p, license.ErrInvalid) {
			t.Errorf("%s: matches %v", tt.reason, license.ErrInvalid)
		}
	}
}
