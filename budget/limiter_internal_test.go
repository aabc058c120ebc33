package budget

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/circle"
)

func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	for spec, want := range map[string]RateLimit{"2000/5m": {2000, 5 * time.Minute}, "10/1s": {10, time.Second}, "off": {}, "OFF": {}} {
		got, err := ParseRateLimit(spec)
		if err != nil || got != want {
			t.Errorf("%q: %v, %v", spec, got, err)
		}
	}
	for _, spec := range []string{"", "2000", "0/5m", "x/5m", "10/soon", "10/-1s", "99999999/1s"} {
		if _, err := ParseRateLimit(spec); err == nil {
			t.Errorf("%q accepted", spec)
		}
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		limit  RateLimit
		shares Shares
		want   Parts
	}{
		{RateLimit{2000, 5 * time.Minute}, DefaultShares, Parts{Global: 2000, MemberAPI: 1800, Unproven: 200, PerMember: 200}},
		{RateLimit{1, time.Hour}, DefaultShares, Parts{Global: 1, MemberAPI: 1, Unproven: 1, PerMember: 1}},
		{RateLimit{100, time.Minute}, Shares{AuthReserve: 0, Unproven: 0.05, PerMember: 1}, Parts{Global: 100, MemberAPI: 100, Unproven: 5, PerMember: 100}},
	} {
		if got := tt.shares.Split(tt.limit); got != tt.want {
			t.Errorf("%v %+v: %+v, want %+v", tt.limit, tt.shares, got, tt.want)
		}
	}
}

// clocked is a local limiter on a clock the test moves.
func clocked(l RateLimit, s Shares) (*Local, *time.Time) {
	lim := NewLocal(l, s, 10*time.Millisecond)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lim.now = func() time.Time { return clock }
	return lim, &clock
}

// retryAfter is the wait a refusal asks for, or -1 when err is no refusal.
func retryAfter(err error) time.Duration {
	var ce *circle.Error
	if errors.As(err, &ce) && ce.Status == http.StatusTooManyRequests {
		return ce.RetryAfter
	}
	return -1
}

// Each share is held to its part, a call refused by one part takes nothing
// from the others, and the Auth API keeps its reserve when the Member API's
// part is spent.
func TestLocalShares(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	member := func(id string) circle.Share { return circle.Share{Kind: circle.ShareMember, Member: id} }
	unproven := circle.Share{Kind: circle.ShareUnproven}
	auth := circle.Share{Kind: circle.ShareAuth}
	lim, _ := clocked(RateLimit{Calls: 100, Window: time.Minute}, DefaultShares) // parts 100 / 90 / 10 / 10

	take := func(s circle.Share, n int) {
		t.Helper()
		for i := range n {
			if err := lim.Wait(ctx, s); err != nil {
				t.Fatalf("%v call %d of its part refused: %v", s, i+1, err)
			}
		}
	}
	refused := func(s circle.Share) {
		t.Helper()
		if err := lim.Wait(ctx, s); retryAfter(err) <= 0 {
			t.Fatalf("%v over its part: %v, want a 429 with a wait", s, err)
		}
	}
	take(unproven, 10)
	refused(unproven)
	refused(circle.Share{Kind: circle.ShareUnprovenAuth}) // the same share, through the Auth API
	take(member("m:1"), 10)
	refused(member("m:1"))
	// 20 taken so far; seven more members spend the Member API's 90.
	for i := range 7 {
		take(member("m:"+string(rune('a'+i))), 10)
	}
	refused(member("m:z")) // a fresh member: the Member API's part is spent
	take(auth, 10)         // the Auth API's reserve is whole
	refused(auth)          // and that was all of the budget
}

// The whole budget is usable at once, and no window holds more than it: a
// sliding window, not a fixed one.
func TestLocalWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lim, clock := clocked(RateLimit{Calls: 5, Window: time.Minute}, Shares{PerMember: 1, Unproven: 1})
	s := circle.Share{Kind: circle.ShareAuth}
	for i := range 5 {
		if err := lim.Wait(ctx, s); err != nil {
			t.Fatalf("call %d of the budget refused: %v", i+1, err)
		}
		*clock = clock.Add(time.Second)
	}
	if got := retryAfter(lim.Wait(ctx, s)); got != 55*time.Second {
		t.Fatalf("sixth call at 5s: retry after %v, want 55s", got)
	}
	*clock = clock.Add(55 * time.Second) // 60s: the first call leaves the window
	if err := lim.Wait(ctx, s); err != nil {
		t.Fatalf("after the window moved: %v", err)
	}
	if err := lim.Wait(ctx, s); err == nil {
		t.Fatal("a second call fit in a window that holds five")
	}
}

// Member logs with nothing left in the window are dropped, so memory
// follows the members of the last window, not every member ever seen.
func TestLocalForgetsIdleMembers(t *testing.T) {
	t.Parallel()
	lim, clock := clocked(RateLimit{Calls: 100_000, Window: time.Minute}, DefaultShares)
	for i := range 3000 {
		if err := lim.Wait(context.Background(), circle.Share{Kind: circle.ShareMember, Member: "m:" + string(rune(i))}); err != nil {
			t.Fatal(err)
		}
		if i == 1500 {
			*clock = clock.Add(2 * time.Minute)
		}
	}
	if n := len(lim.members); n > 2048 {
		t.Fatalf("%d member logs kept, want the idle ones dropped", n)
	}
}
