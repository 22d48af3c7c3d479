package webhook

import (
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/licgate/licgate/license"
)

// RetryWindow is how long after an event its deliveries are attempted: a
// delivery whose event is this old when an attempt fails is failed.
const RetryWindow = 72 * time.Hour

// lastCall is how long before the end of the retry window a retry that
// would fall after it is made instead.
const lastCall = time.Minute

// DefaultSchedule returns the default retry schedule: 5 s, 30 s, 2 min,
// 10 min, 30 min, 1 h, 3 h, 6 h, 12 h, 24 h and 24 h, so twelve attempts
// in all. The first retries come within a minute, to ride out a restart;
// the later ones spread over three days, to ride out an outage. The waits
// add up to 70 h 42 min 35 s, within [RetryWindow].
func DefaultSchedule() []time.Duration {
	return []time.Duration{
		5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute,
		30 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour,
		12 * time.Hour, 24 * time.Hour, 24 * time.Hour,
	}
}

// jitter returns d give or take 10%, so that retries of many deliveries
// that failed together spread out.
func jitter(d time.Duration) time.Duration {
	spread := int64(d) / 5
	if spread <= 0 {
		return d
	}
	return d - time.Duration(spread/2) + time.Duration(rand.Int64N(spread+1))
}

// outcome is what an attempt came to, as far as deciding what follows.
type outcome struct {
	status int  // HTTP status, 0 if none came
	ok     bool // a 2xx answer
	// permanent means no attempt can ever succeed (the event or the
	// webhook is malformed).
	permanent bool
}

// decide returns the state of a delivery of e after its attempt n (from 1)
// ended at now with o, and when to try again if it stays pending.
//
// A 2xx answer delivers it. 410 Gone fails it at once: the receiver says
// the endpoint is gone for good. Anything else (another status, a
// redirect, a timeout, a refused connection) is retried per the schedule,
// unless the schedule is spent or the event is [RetryWindow] old.
func decide(schedule []time.Duration, jitter func(time.Duration) time.Duration, e license.Event, n int, o outcome, now time.Time) (license.DeliveryState, time.Time) {
	switch {
	case o.ok:
		return license.DeliveryDelivered, time.Time{}
	case o.permanent, o.status == http.StatusGone, n > len(schedule):
		return license.DeliveryFailed, time.Time{}
	}
	end := e.At.Add(RetryWindow)
	if !now.Before(end) {
		return license.DeliveryFailed, time.Time{}
	}
	next := now.Add(jitter(schedule[n-1]))
	if next.Before(end) {
		return license.DeliveryPending, next
	}
	// Too late: one last retry just before the end, if it is still ahead.
	next = end.Add(-lastCall)
	if !next.After(now) {
		return license.DeliveryFailed, time.Time{}
	}
	return license.DeliveryPending, next
}
