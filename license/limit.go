package license

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
)

// Rate limits are token buckets kept in the store, so every replica sharing
// it draws on the same buckets. Their keys hold no personal data: an email
// address is reduced to a keyed hash.

// Bucket kinds, the prefixes of bucket keys.
const (
	bucketCodeEmail = "code-email:" // code requests for one email address
	bucketCodeAddr  = "code-addr:"  // code requests from one client address
	bucketFailAddr  = "fail-addr:"  // failed attempts at a secret from one client address
	bucketRelease   = "release:"    // releases of one license by its seats' holders
)

func (s *Service) bucket(kind, key string, burst int) Bucket {
	return Bucket{Key: kind + key, Burst: burst, Window: s.cfg.rateWindow}
}

func (s *Service) emailBucket(email string) Bucket {
	h := s.KeyedHash("licgate rate limit email", email)
	return s.bucket(bucketCodeEmail, hex.EncodeToString(h[:16]), s.cfg.perEmail)
}

func (s *Service) failBucket(clientAddr string) Bucket {
	return s.bucket(bucketFailAddr, addrKey(clientAddr), s.cfg.failsPerAddr)
}

// take takes a token of b, or reports ErrRateLimited. A limit of zero is
// off.
func (s *Service) take(ctx context.Context, b Bucket) error {
	if b.Burst <= 0 {
		return nil
	}
	ok, err := s.store.TakeToken(ctx, b, s.now())
	switch {
	case err != nil:
		return err
	case !ok:
		return ErrRateLimited
	}
	return nil
}

// CheckSecret guards a comparison of a credential a client presented, such
// as a vendor password or an admin token, with the client address's budget of failures (see
// [WithCodeRateLimits]), shared with wrong authorization codes. It takes
// one failure from the budget before it calls check, atomically and in the
// store, so concurrent attempts cannot exceed the budget, and gives it back
// if check reports a match. It returns [ErrRateLimited] without calling
// check when the budget is spent. A failed comparison is recorded in the
// audit trail as [EventLoginFailed], with the context's [Actor].
func (s *Service) CheckSecret(ctx context.Context, clientAddr string, check func() bool) (bool, error) {
	b := s.failBucket(clientAddr)
	if err := s.take(ctx, b); err != nil {
		return false, err
	}
	if !check() {
		s.record(ctx, EventLoginFailed, "", ErrUnauthenticated, nil)
		return false, nil
	}
	return true, s.refund(ctx, b)
}

// refund gives back a token taken from b.
func (s *Service) refund(ctx context.Context, b Bucket) error {
	if b.Burst <= 0 {
		return nil
	}
	return s.store.ReturnToken(ctx, b, s.now())
}

// PurgeFullBuckets deletes rate-limit buckets that have refilled and
// returns how many.
func (s *Service) PurgeFullBuckets(ctx context.Context) (int, error) {
	return s.store.DeleteFullBuckets(ctx, s.now())
}

// addrKey reduces a client address to the unit one party controls: an IPv4
// address, or the /64 network of an IPv6 address. Anything unparsable
// (a proxy header gone wrong) is hashed, so keys stay short.
func addrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		if ap, err2 := netip.ParseAddrPort(addr); err2 == nil {
			a = ap.Addr()
		} else {
			h := sha256.Sum256([]byte(addr))
			return "x" + hex.EncodeToString(h[:12])
		}
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
