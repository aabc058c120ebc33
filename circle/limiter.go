package circle

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// RateLimiter is the client-side limit on upstream calls of one gateway
// process (CIRCLE_RATE_LIMIT): Circle allows each IP about 2000 calls per 5
// minutes and answers 429 beyond, so the gateway paces itself instead of
// finding out. A call waits for its turn at most MaxWait (and never past its
// context's deadline); beyond that it fails at once with a 429-shaped *Error
// carrying the wait it would have needed, which the API reports as
// RATE_LIMITED with retryAfterSeconds.
type RateLimiter struct {
	limiter *rate.Limiter
	maxWait time.Duration
	// OnWait, when set, is told how long each call waited and whether it
	// went ahead (for metrics).
	OnWait func(wait time.Duration, allowed bool)
}

// DefaultRateLimit is Circle's documented per-IP limit.
const DefaultRateLimit = "2000/5m"

// DefaultMaxLimiterWait bounds how long a call queues for the limiter.
const DefaultMaxLimiterWait = 2 * time.Second

// ParseRateLimit reads "<calls>/<period>" (e.g. "2000/5m"). "off" returns
// nil: no limit.
//
// The bucket holds a tenth of the calls as burst and refills the rest over
// the period, so no window of that length ever sees more than <calls>.
func ParseRateLimit(spec string, maxWait time.Duration) (*RateLimiter, error) {
	spec = strings.TrimSpace(spec)
	if strings.EqualFold(spec, "off") {
		return nil, nil
	}
	calls, period, ok := strings.Cut(spec, "/")
	n, err := strconv.Atoi(calls)
	if !ok || err != nil || n < 1 {
		return nil, fmt.Errorf("rate limit %q: want <calls>/<period> like 2000/5m, or off", spec)
	}
	d, err := time.ParseDuration(period)
	if err != nil || d <= 0 {
		return nil, fmt.Errorf("rate limit %q: period must be a duration like 5m", spec)
	}
	burst := max(n/10, 1)
	refill := max(n-burst, 1)
	return &RateLimiter{limiter: rate.NewLimiter(rate.Limit(float64(refill)/d.Seconds()), burst), maxWait: maxWait}, nil
}

// Wait takes a turn, waiting at most the limiter's MaxWait and never past
// ctx's deadline.
func (l *RateLimiter) Wait(ctx context.Context) error {
	res := l.limiter.Reserve()
	wait := res.Delay()
	budget := l.maxWait
	if deadline, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(deadline))
	}
	if wait > budget {
		res.Cancel()
		l.report(0, false)
		secs := int(wait.Round(time.Second) / time.Second)
		return &Error{Status: http.StatusTooManyRequests, RetryAfter: max(wait, time.Second),
			Message: fmt.Sprintf("the gateway's limit on calls to Circle is reached; retry in about %ds", max(secs, 1))}
	}
	if wait > 0 {
		if err := sleep(ctx, wait); err != nil {
			res.Cancel()
			l.report(wait, false)
			return fmt.Errorf("%w: waiting for the rate limiter: %v", ErrUnavailable, err)
		}
	}
	l.report(wait, true)
	return nil
}

func (l *RateLimiter) report(d time.Duration, ok bool) {
	if l.OnWait != nil {
		l.OnWait(d, ok)
	}
}
