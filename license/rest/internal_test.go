package rest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/licgate/licgate/license"
)

// Every reason the handler can answer with has its documented status.
func TestKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reason     string
		wantStatus int
	}{
		{ReasonBadRequest, 400},
		{license.OutcomeInvalid, 400},
		{ReasonTokenInvalid, 401},
		{license.OutcomeUnauthenticated, 401},
		{license.OutcomeCodeInvalid, 403},
		{license.OutcomePermission, 403},
		{license.OutcomeMismatch, 403},
		{ReasonCrossOrigin, 403},
		{license.OutcomeNotFound, 404},
		{ReasonMethodNotAllowed, 405},
		{license.OutcomeNoSeats, 409},
		{license.OutcomeFloating, 409},
		{license.OutcomeConflict, 409},
		{license.OutcomeWrongProduct, 409},
		{license.OutcomeWrongVersion, 409},
		{license.OutcomeNotActivated, 409},
		{license.ReasonLeaseExpired, 409},
		{license.ReasonActivationReleased, 409},
		{license.ReasonActivationRevoked, 409},
		{license.ReasonLicenseRevoked, 409},
		{license.ReasonLicenseSuspended, 409},
		{license.ReasonLicenseExpired, 409},
		{ReasonTooLarge, 413},
		{ReasonUnsupportedMediaType, 415},
		{license.OutcomeRateLimited, 429},
		{license.OutcomeReleaseLimited, 429},
		{ReasonInternal, 500},
		{license.OutcomeDelivery, 502},
		{license.OutcomeNoChannel, 503},
		{license.OutcomeCanceled, 503},
	}
	for _, tt := range tests {
		if got, title := kind(tt.reason); got != tt.wantStatus || title == "" || title == "Refused" {
			t.Errorf("%s: got %d %q, want %d", tt.reason, got, title, tt.wantStatus)
		}
	}
}

func TestProblemOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err          error
		wantReason   string
		wantInternal bool
	}{
		{license.ErrNoSeats, "no_seats", false},
		{license.ErrLeaseExpired, "lease_expired", false},
		{license.ErrReleased, "activation_released", false},
		{license.ErrActivationRevoked, "activation_revoked", false},
		{license.ErrFloating, "floating", false},
		{license.NotFound("activation key", ""), "not_found", false},
		{errors.New("disk on fire at /var/lib/licgate"), ReasonInternal, true},
		{badRequest("No."), ReasonBadRequest, false},
	}
	for _, tt := range tests {
		p, internal := problemOf(tt.err)
		if p.Reason != tt.wantReason || internal != tt.wantInternal || strings.Contains(p.Detail, "disk") {
			t.Errorf("%v: got %+v internal %v, want %s internal %v", tt.err, p, internal, tt.wantReason, tt.wantInternal)
		}
	}
}

// FuzzDecodeActivation feeds bodies of POST /v1/activations to the
// decoder: it refuses with a bad_request or decodes a request that
// survives a round trip.
func FuzzDecodeActivation(f *testing.F) {
	for _, s := range []string{
		`{"key":"A1B2C-3D4E5","computerId":"pc-1"}`,
		`{"code":"123456","email":"ada@example.com","productId":"demo","computerId":"pc-1","computerName":"Ada"}`,
		`{"key":"a","key":"b"}`, `{"KEY":"a"}`, `{"key":1}`, `{} {}`, `[]`, `null`, `{"key":"\ud800"}`,
		`{"computerId":"pc"}` + "\n", " \t{}", `{"key":"x",}`, "{\"key\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var q activationRequest
		err := decodeJSON(data, &q)
		if err != nil {
			var p *problem
			if !errors.As(err, &p) || p.Status != http.StatusBadRequest || p.Reason != ReasonBadRequest || p.Detail == "" {
				t.Fatalf("refusal: %#v", err)
			}
			return
		}
		b, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		var again activationRequest
		if err := decodeJSON(b, &again); err != nil || again != q {
			t.Fatalf("round trip: %v: %+v, want %+v", err, again, q)
		}
		_ = q.check()
	})
}

// FuzzBearer feeds Authorization headers to the bearer parser.
func FuzzBearer(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  abc ", "Basic eDp5", "Bearer", "Bearer a b", "Bearer\tabc", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, ok := bearer([]string{h})
		if ok && (tok == "" || len(tok) > maxToken || strings.ContainsAny(tok, " \t") || !strings.Contains(h, tok)) {
			t.Fatalf("%q: token %q", h, tok)
		}
	})
}
