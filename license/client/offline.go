package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/licgate/licgate/license"
)

// NewOfflineRequest returns the request file of a computer with no
// network, for the activation key: an indented JSON
// [license.OfflineRequest] made now. Someone carries it to a computer
// that has network, which sends it with [Client.Offline] (or to the
// server's /offline page) and carries the license file back. The file
// holds the key: treat it as the key. Errors match [license.ErrInvalid]
// for a malformed key, computer ID or name.
func NewOfflineRequest(key, computerID, name string) ([]byte, error) {
	r, err := license.NewOfflineRequest(key, computerID, name, time.Now())
	if err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// Offline sends an offline request file ([NewOfflineRequest]) to the
// server and returns the license file it answers with, for the offline
// computer's [Client.LoadLicenseFile]. It is what a computer with network
// does for one without: the license file is not checked against this
// computer, nor kept. The request is checked before it is sent (errors
// matching [license.ErrInvalid]); the server's refusals are a
// [*ProblemError], as for [Client.Activate].
func (c *Client) Offline(ctx context.Context, request []byte) ([]byte, error) {
	if _, err := license.ParseOfflineRequest(request); err != nil {
		return nil, err
	}
	if _, err := c.now(time.Time{}); err != nil {
		return nil, err
	}
	ans, err := c.send(ctx, http.MethodPost, "/v1/offline", "", request, 0, http.StatusOK)
	if err != nil {
		return nil, err
	}
	if _, err := license.ParseOfflineLicense(ans.body); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	return ans.body, nil
}

// LoadLicenseFile checks a license file on the computer it was issued
// for, with no network: that the clock has not moved back (before the last
// time the client saw, or before the file was issued, by more than the
// tolerance: a [*ClockError]); that the token inside is signed by one of
// the keys inside whose thumbprint is pinned ([WithPinnedKeys]), by its
// issuer, for computerID, and not expired at the clock's time (errors
// matching [license.ErrToken], [license.ErrComputerMismatch], or
// [license.ErrInvalid] for a file that is not a license file). It returns
// the file and the token's claims. A client with no pinned key refuses
// every file with [ErrBadOption].
func (c *Client) LoadLicenseFile(data []byte, computerID string) (license.OfflineLicense, *license.Claims, error) {
	if len(c.pins) == 0 {
		return license.OfflineLicense{}, nil, fmt.Errorf("%w: no key is pinned to verify license files with (WithPinnedKeys)", ErrBadOption)
	}
	f, err := license.ParseOfflineLicense(data)
	if err != nil {
		return license.OfflineLicense{}, nil, err
	}
	// IssuedAt is not verified yet; a forged one can only turn the
	// token's own not-before refusal into a clock error.
	now, err := c.now(f.IssuedAt)
	if err != nil {
		return license.OfflineLicense{}, nil, err
	}
	// A clock within the tolerance before the file's issue time verifies
	// it as at that time, not as a token not yet valid.
	at := now
	if at.Before(f.IssuedAt) {
		at = f.IssuedAt
	}
	claims, err := f.Verify(computerID, at, c.pins...)
	if err != nil {
		return license.OfflineLicense{}, nil, err
	}
	return f, claims, nil
}
