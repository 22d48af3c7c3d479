package reasons

import (
	"errors"
	"testing"

	"github.com/licgate/licgate/license"
)

// Every reason of package license has a kind, and every one that names a
// sentinel round-trips through license.Outcome.
func TestLicenseReasons(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reason       string
		wantStatus   int
		wantSentinel bool
	}{
		{license.OutcomeNoSeats, 409, true},
		{license.OutcomeInvalid, 400, true},
		{license.OutcomeNotFound, 404, true},
		{license.OutcomeConflict, 409, true},
		{license.OutcomeWrongProduct, 409, true},
		{license.OutcomeWrongVersion, 409, true},
		{license.OutcomeCodeInvalid, 403, true},
		{license.OutcomeReleaseLimited, 429, true},
		{license.OutcomeRateLimited, 429, true},
		{license.OutcomeMismatch, 403, true},
		{license.OutcomeNotActivated, 409, true},
		{license.OutcomeDelivery, 502, true},
		{license.OutcomeNoChannel, 503, true},
		{license.OutcomePermission, 403, true},
		{license.OutcomeToken, 401, true},
		{license.OutcomeUnauthenticated, 401, true},
		{license.OutcomeFloating, 409, true},
		{license.OutcomeCanceled, 503, false},
		{license.OutcomeError, 500, false},
		{license.ReasonActivationReleased, 409, true},
		{license.ReasonLeaseExpired, 409, true},
		{license.ReasonActivationRevoked, 409, true},
		{license.ReasonLicenseRevoked, 409, true},
		{license.ReasonLicenseSuspended, 409, true},
		{license.ReasonLicenseExpired, 409, true},
		{BadRequest, 400, false},
		{MethodNotAllowed, 405, false},
		{TooLarge, 413, false},
		{UnsupportedMediaType, 415, false},
		{Internal, 500, false},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			t.Parallel()
			k, ok := KindOf(tt.reason)
			if !ok || k.Status != tt.wantStatus || k.Title == "" {
				t.Errorf("KindOf: got %+v %v, want %d with a title", k, ok, tt.wantStatus)
			}
			s := Sentinel(tt.reason)
			if (s != nil) != tt.wantSentinel {
				t.Fatalf("Sentinel: got %v, want one: %v", s, tt.wantSentinel)
			}
			if s != nil {
				if got := license.Outcome(s); got != tt.reason {
					t.Errorf("Outcome(Sentinel): got %q, want %q", got, tt.reason)
				}
				if got := license.Outcome(errors.Join(s)); got != tt.reason {
					t.Errorf("Outcome(wrapped Sentinel): got %q, want %q", got, tt.reason)
				}
			}
		})
	}
}

// ok is no problem, and a reason a later version adds is a refusal.
func TestKindOfUnknown(t *testing.T) {
	t.Parallel()
	for _, reason := range []string{license.OutcomeOK, "", "revoked", "some_later_reason"} {
		if k, ok := KindOf(reason); ok || k.Status != 409 || k.Title != "Refused" {
			t.Errorf("%q: got %+v %v, want 409 Refused false", reason, k, ok)
		}
		if s := Sentinel(reason); s != nil {
			t.Errorf("%q: got sentinel %v, want nil", reason, s)
		}
	}
}
