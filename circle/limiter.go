package circle

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RateLimiter is the client-side limit on upstream calls of one gateway
// process (CIRCLE_RATE_LIMIT): Circle allows each IP about 2000 calls per 5
// minutes and answers 429 beyond, so the gateway paces itself instead of
// finding out.
//
// It is a sliding-window log: a call may go when fewer than the limit's
// calls went in the window before it. So the whole budget is available at
// once (a burst of 2000 is fine), yet no window of that length ever holds
// more. A call waits for its turn at most MaxWait (and never past its
// context's deadline); beyond that it fails at once with a 429-shaped
// *Error carrying the wait it would have needed, which the API reports as
// RATE_LIMITED with retryAfterSeconds.
type RateLimiter struct {
	window  time.Duration
	maxWait time.Duration
	now     func() time.Time

	mu    sync.Mutex
	times []time.Time // ring of the last len(times) call starts
	next  int         // oldest entry once the ring is full
	used  int         // entries filled so far

	// OnWait, when set, is told how long each call waited and whether it
	// went ahead (for metrics).
	OnWait func(wait time.Duration, allowed bool)
}

// DefaultRateLimit is Circle's documented per-IP limit.
const DefaultRateLimit = "2000/5m"

// DefaultMaxLimiterWait bounds how long a call queues for the limiter.
const DefaultMaxLimiterWait = 2 * time.Second

// maxRateLimitCalls bounds the calls a limit may name (the log keeps one
// timestamp per call).
const maxRateLimitCalls = 1_000_000

// ParseRateLimit reads "<calls>/<period>" (e.g. "2000/5m"). "off" returns
// nil: no limit.
func ParseRateLimit(spec string, maxWait time.Duration) (*RateLimiter, error) {
	spec = strings.TrimSpace(spec)
	if strings.EqualFold(spec, "off") {
		return nil, nil
	}
	calls, period, ok := strings.Cut(spec, "/")
	n, err := strconv.Atoi(calls)
	if !ok || err != nil || n < 1 || n > maxRateLimitCalls {
		return nil, fmt.Errorf("rate limit %q: want <calls>/<period> like 2000/5m (1 to %d calls), or off", spec, maxRateLimitCalls)
	}
	d, err := time.ParseDuration(period)
	if err != nil || d <= 0 {
		return nil, fmt.Errorf("rate limit %q: period must be a duration like 5m", spec)
	}
	return &RateLimiter{window: d, maxWait: maxWait, now: time.Now, times: make([]time.Time, n)}, nil
}

// Wait takes a turn, waiting at most the limiter's MaxWait and never past
// ctx's deadline.
func (l *RateLimiter) Wait(ctx context.Context) error {
	budget := l.maxWait
	if deadline, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(deadline))
	}
	l.mu.Lock()
	now := l.now()
	at := now // when this call may start
	if l.used == len(l.times) {
		at = later(now, l.times[l.next].Add(l.window))
	}
	wait := at.Sub(now)
	if wait > budget {
		l.mu.Unlock()
		l.report(0, false)
		secs := int((wait + time.Second - 1) / time.Second)
		return &Error{Status: http.StatusTooManyRequests, RetryAfter: time.Duration(secs) * time.Second,
			Message: fmt.Sprintf("the gateway's limit on calls to Circle is reached; retry in about %ds", secs)}
	}
	// Take the slot now, so that callers queued behind see it taken.
	if l.used < len(l.times) {
		l.times[l.used] = at
		l.used++
	} else {
		l.times[l.next] = at
		l.next = (l.next + 1) % len(l.times)
	}
	l.mu.Unlock()
	if wait > 0 {
		if err := sleep(ctx, wait); err != nil {
			l.report(wait, false)
			return fmt.Errorf("%w: waiting for the rate limiter: %v", ErrUnavailable, err)
		}
	}
	l.report(wait, true)
	return nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (l *RateLimiter) report(d time.Duration, ok bool) {
	if l.OnWait != nil {
		l.OnWait(d, ok)
	}
}
