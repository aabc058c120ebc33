package budget

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/circle-gateway/gateway/circle"
)

// DefaultRateLimit is Circle's documented per-IP limit (CIRCLE_RATE_LIMIT).
const DefaultRateLimit = "2000/5m"

// DefaultMaxWait bounds how long a call queues for its turn before it is
// refused: a turn that opens within it is waited for.
const DefaultMaxWait = 2 * time.Second

// maxRateLimitCalls bounds the calls a limit may name (the local limiter
// keeps one timestamp per call in the window).
const maxRateLimitCalls = 1_000_000

// RateLimit is "Calls per Window", e.g. CIRCLE_RATE_LIMIT's 2000/5m. The
// zero value is no limit.
type RateLimit struct {
	Calls  int
	Window time.Duration
}

// Off reports whether there is no limit.
func (l RateLimit) Off() bool { return l.Calls == 0 }

// String is the limit as it is written in the settings.
func (l RateLimit) String() string {
	if l.Off() {
		return "off"
	}
	return strconv.Itoa(l.Calls) + "/" + l.Window.String()
}

// ParseRateLimit reads "<calls>/<period>" (e.g. "2000/5m"); "off" is no
// limit.
func ParseRateLimit(spec string) (RateLimit, error) {
	spec = strings.TrimSpace(spec)
	if strings.EqualFold(spec, "off") {
		return RateLimit{}, nil
	}
	calls, period, ok := strings.Cut(spec, "/")
	n, err := strconv.Atoi(calls)
	if !ok || err != nil || n < 1 || n > maxRateLimitCalls {
		return RateLimit{}, fmt.Errorf("rate limit %q: want <calls>/<period> like 2000/5m (1 to %d calls), or off", spec, maxRateLimitCalls)
	}
	d, err := time.ParseDuration(period)
	if err != nil || d <= 0 {
		return RateLimit{}, fmt.Errorf("rate limit %q: period must be a duration like 5m", spec)
	}
	return RateLimit{Calls: n, Window: d}, nil
}

// Shares divide CIRCLE_RATE_LIMIT, each a fraction of its calls (0.1 is
// 10 %). Every part is at least one call.
type Shares struct {
	// AuthReserve is the part the Member API leaves to the Auth API
	// (CIRCLE_AUTH_RESERVE, default 10 %), so signing in and refreshing
	// keep working when members have spent the rest.
	AuthReserve float64
	// Unproven is the most that calls on credentials Circle has not
	// accepted yet may use together (CIRCLE_UNPROVEN_SHARE, default 10 %).
	Unproven float64
	// PerMember is the most one member's calls may use
	// (CIRCLE_MEMBER_SHARE, default 10 %).
	PerMember float64
}

// DefaultShares are the defaults of the settings.
var DefaultShares = Shares{AuthReserve: 0.10, Unproven: 0.10, PerMember: 0.10}

// Parts are the call counts the shares come to for one limit.
type Parts struct {
	Global    int // every call
	MemberAPI int // Member API calls: Global less the auth reserve
	Unproven  int // calls on unproven credentials, together
	PerMember int // one member's calls
}

// Split computes the parts of l.
func (s Shares) Split(l RateLimit) Parts {
	part := func(f float64) int { return max(1, int(math.Floor(f*float64(l.Calls)))) }
	return Parts{
		Global:    l.Calls,
		MemberAPI: max(1, l.Calls-int(math.Ceil(s.AuthReserve*float64(l.Calls)))),
		Unproven:  part(s.Unproven),
		PerMember: part(s.PerMember),
	}
}

// limitName names the limits a call draws from, for metrics and messages.
type limitName string

const (
	limitGlobal    limitName = "global"
	limitMemberAPI limitName = "member_api"
	limitUnproven  limitName = "unproven"
	limitMember    limitName = "member"
	limitClient    limitName = "client"
)

// describe is how a refusal names the spent limit to the caller.
func (n limitName) describe() string {
	switch n {
	case limitMemberAPI:
		return "the Member API's part of the gateway's budget of calls to Circle is spent"
	case limitUnproven:
		return "the share of the gateway's budget of calls to Circle for tokens Circle has not accepted yet is spent"
	case limitMember:
		return "this member's share of the gateway's budget of calls to Circle is spent"
	case limitClient:
		return "too many requests with tokens Circle has not accepted yet from this address"
	}
	return "the gateway's limit on calls to Circle is reached"
}

// Decision is one limiter answer, for metrics: never a token or member.
type Decision struct {
	Share   string // circle.ShareKind's label
	Limit   string // the limit that decided the wait or the refusal ("" when none did)
	Wait    time.Duration
	Allowed bool
	Backend string // "local" or "redis"
}

// tooMany is the refusal of a call whose turn is wait away.
func tooMany(name limitName, wait time.Duration) error {
	secs := max(1, int((wait+time.Second-1)/time.Second))
	return &circle.Error{Status: http.StatusTooManyRequests, RetryAfter: time.Duration(secs) * time.Second, Endpoint: "rate limiter", Gateway: true,
		Message: fmt.Sprintf("%s; retry in about %ds", name.describe(), secs)}
}

// callLog is a sliding-window log: the start times (unix ns) of the last
// limit calls, oldest first from next once full. A call may start when the
// limit-th latest start is a window old, so the whole limit is usable at
// once and no window ever holds more.
type callLog struct {
	limit int
	times []int64
	next  int
}

func (w *callLog) earliest(now, window int64) int64 {
	if len(w.times) < w.limit {
		return now
	}
	return max(now, w.times[w.next]+window)
}

func (w *callLog) add(at int64) {
	if len(w.times) < w.limit {
		w.times = append(w.times, at)
		return
	}
	w.times[w.next] = at
	w.next = (w.next + 1) % w.limit
}

// newest is the latest start recorded (0 if none).
func (w *callLog) newest() int64 {
	if len(w.times) == 0 {
		return 0
	}
	if len(w.times) < w.limit {
		return w.times[len(w.times)-1]
	}
	return w.times[(w.next+w.limit-1)%w.limit]
}

// Local is the limiter of one process: sliding-window logs of every part
// of the budget, decided together under one lock so that a call refused by
// one part takes nothing from the others. Per-member logs are dropped once
// a window old, so memory follows the calls of the last window.
type Local struct {
	limit   RateLimit
	parts   Parts
	maxWait time.Duration
	now     func() time.Time

	mu        sync.Mutex
	global    *callLog
	memberAPI *callLog
	unproven  *callLog
	members   map[string]*callLog
	sweepAt   int // sweep the member logs when there are this many

	// OnDecision, when set, is told every decision (metrics).
	OnDecision func(Decision)
}

// NewLocal returns the limiter of l divided by s; calls wait at most
// maxWait for their turn.
func NewLocal(l RateLimit, s Shares, maxWait time.Duration) *Local {
	p := s.Split(l)
	return &Local{
		limit: l, parts: p, maxWait: maxWait, now: time.Now,
		global: &callLog{limit: p.Global}, memberAPI: &callLog{limit: p.MemberAPI}, unproven: &callLog{limit: p.Unproven},
		members: map[string]*callLog{}, sweepAt: 1024,
	}
}

// Parts are the call counts of the limiter's parts.
func (l *Local) Parts() Parts { return l.parts }

// logs returns the logs a call of share s draws from, with their names.
// l.mu must be held.
func (l *Local) logs(s circle.Share, now int64) ([]*callLog, []limitName) {
	switch s.Kind {
	case circle.ShareMember:
		m := l.members[s.Member]
		if m == nil {
			if len(l.members) >= l.sweepAt {
				l.sweep(now)
			}
			m = &callLog{limit: l.parts.PerMember}
			l.members[s.Member] = m
		}
		return []*callLog{l.global, l.memberAPI, m}, []limitName{limitGlobal, limitMemberAPI, limitMember}
	case circle.ShareUnproven:
		return []*callLog{l.global, l.memberAPI, l.unproven}, []limitName{limitGlobal, limitMemberAPI, limitUnproven}
	case circle.ShareUnprovenAuth:
		return []*callLog{l.global, l.unproven}, []limitName{limitGlobal, limitUnproven}
	}
	return []*callLog{l.global}, []limitName{limitGlobal}
}

// sweep drops member logs with nothing in the window. l.mu must be held.
func (l *Local) sweep(now int64) {
	for k, m := range l.members {
		if m.newest() <= now-int64(l.limit.Window) {
			delete(l.members, k)
		}
	}
	l.sweepAt = max(1024, 2*len(l.members))
}

// reserve decides a call of share s at now: the wait until its turn, and
// the limit that set it. With take, the turn is taken when it is within
// budget.
func (l *Local) reserve(s circle.Share, now time.Time, budget time.Duration) (wait time.Duration, binding limitName, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, window := now.UnixNano(), int64(l.limit.Window)
	logs, names := l.logs(s, n)
	at := n
	for i, w := range logs {
		if e := w.earliest(n, window); e > at {
			at, binding = e, names[i]
		}
	}
	wait = time.Duration(at - n)
	if wait > budget {
		return wait, binding, false
	}
	for _, w := range logs {
		w.add(at)
	}
	return wait, binding, true
}

// record notes a call another limiter (Redis) let start at at, so that
// this one knows the process's own calls if it has to take over.
func (l *Local) record(s circle.Share, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	logs, _ := l.logs(s, at.UnixNano())
	for _, w := range logs {
		w.add(at.UnixNano())
	}
}

// Wait takes a turn for a call of share s, waiting at most the limiter's
// maxWait and never past ctx's deadline.
func (l *Local) Wait(ctx context.Context, s circle.Share) error {
	budget := waitBudget(ctx, l.maxWait)
	if err := ctx.Err(); err != nil || budget < 0 {
		return fmt.Errorf("%w: waiting for the rate limiter: %v", circle.ErrUnavailable, context.DeadlineExceeded)
	}
	wait, binding, ok := l.reserve(s, l.now(), budget)
	return finish(ctx, l.OnDecision, Decision{Share: s.Kind.String(), Limit: string(binding), Wait: wait, Allowed: ok, Backend: "local"}, binding)
}

// waitBudget is how long a call may wait for its turn: maxWait, or less
// when ctx's deadline is nearer.
func waitBudget(ctx context.Context, maxWait time.Duration) time.Duration {
	if deadline, ok := ctx.Deadline(); ok {
		return min(maxWait, time.Until(deadline))
	}
	return maxWait
}

// finish reports d and waits its turn, or refuses it.
func finish(ctx context.Context, report func(Decision), d Decision, binding limitName) error {
	if report != nil {
		report(d)
	}
	if !d.Allowed {
		return tooMany(binding, d.Wait)
	}
	if d.Wait <= 0 {
		return nil
	}
	t := time.NewTimer(d.Wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("%w: waiting for the rate limiter: %v", circle.ErrUnavailable, ctx.Err())
	case <-t.C:
		return nil
	}
}
