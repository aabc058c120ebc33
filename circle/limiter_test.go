package circle

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	for spec, ok := range map[string]bool{"2000/5m": true, "10/1s": true, "off": true, "OFF": true, "": false, "2000": false, "0/5m": false, "x/5m": false, "10/soon": false, "10/-1s": false} {
		l, err := ParseRateLimit(spec, time.Second)
		if (err == nil) != ok {
			t.Errorf("%q: err = %v", spec, err)
		}
		if err == nil && (l == nil) != (spec == "off" || spec == "OFF") {
			t.Errorf("%q: limiter %v", spec, l)
		}
	}
}

// Beyond its burst the limiter refuses at once with a 429 carrying the wait,
// and the refused call never reaches Circle.
func TestRateLimiterRefusesBeyondBudget(t *testing.T) {
	t.Parallel()
	lim, err := ParseRateLimit("10/1h", 50*time.Millisecond) // burst 1, then one call per 6 minutes
	if err != nil {
		t.Fatal(err)
	}
	var waits, refusals int
	lim.OnWait = func(_ time.Duration, ok bool) {
		if ok {
			waits++
		} else {
			refusals++
		}
	}
	c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `[]`) }, WithLimiter(lim))
	if _, err := c.Member("t").Spaces(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err = c.Member("t").Spaces(context.Background())
	var ce *Error
	if !errors.As(err, &ce) || ce.Status != http.StatusTooManyRequests || ce.RetryAfter < time.Minute {
		t.Fatalf("err = %v", err)
	}
	if calls.Load() != 1 {
		t.Fatalf("upstream calls = %d, want 1", calls.Load())
	}
	if waits != 1 || refusals != 1 {
		t.Fatalf("waits %d refusals %d", waits, refusals)
	}
}

// A short wait is waited out, not refused.
func TestRateLimiterWaitsShortly(t *testing.T) {
	t.Parallel()
	lim, err := ParseRateLimit("20/1s", time.Second) // burst 2, then one call per ~55 ms
	if err != nil {
		t.Fatal(err)
	}
	c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `[]`) }, WithLimiter(lim))
	for i := 0; i < 4; i++ {
		if _, err := c.Member("t").Spaces(context.Background()); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if calls.Load() != 4 {
		t.Fatalf("calls = %d", calls.Load())
	}
}
