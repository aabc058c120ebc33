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
	for spec, ok := range map[string]bool{"2000/5m": true, "10/1s": true, "off": true, "OFF": true, "": false, "2000": false, "0/5m": false, "x/5m": false, "10/soon": false, "10/-1s": false, "99999999/1s": false} {
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
	lim, err := ParseRateLimit("1/1h", 50*time.Millisecond)
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
	lim, err := ParseRateLimit("2/100ms", time.Second) // two at once, the next two after 100 ms
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

// The whole budget is usable at once, and no window holds more than it: a
// sliding window, not a trickle.
func TestRateLimiterWindow(t *testing.T) {
	t.Parallel()
	lim, err := ParseRateLimit("5/1m", 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lim.now = func() time.Time { return clock }
	for i := range 5 {
		if err := lim.Wait(context.Background()); err != nil {
			t.Fatalf("call %d of the budget refused: %v", i+1, err)
		}
		clock = clock.Add(time.Second)
	}
	err = lim.Wait(context.Background())
	var ce *Error
	if !errors.As(err, &ce) || ce.Status != http.StatusTooManyRequests || ce.RetryAfter != 55*time.Second {
		t.Fatalf("sixth call at 5s: %v, want a 429 to retry after 55s", err)
	}
	clock = clock.Add(55 * time.Second) // 60s: the first call leaves the window
	if err := lim.Wait(context.Background()); err != nil {
		t.Fatalf("after the window moved: %v", err)
	}
	if err := lim.Wait(context.Background()); err == nil {
		t.Fatal("a second call fit in a window that holds five")
	}
}
