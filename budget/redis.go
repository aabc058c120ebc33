package budget

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/circle-gateway/gateway/circle"
)

// Redis timing.
const (
	// DefaultRedisTimeout bounds each Redis command of the budget: a
	// healthy Redis answers in well under a millisecond, and the command
	// sits in front of every upstream call, so a slow one counts as down.
	DefaultRedisTimeout = 100 * time.Millisecond
	// redisRetryInterval is how long the budget keeps to its local
	// limiter and memory after a Redis failure before trying Redis again,
	// so a Redis that is down costs one timeout a second, not one a call.
	redisRetryInterval = time.Second
)

// Redis is the budget's state shared by every replica using one Redis: the
// upstream rate limit and its shares, the memory of credentials, and the
// per-client limit. Its keys share a hash tag (one Redis Cluster slot), so
// one script can check several parts of the budget at once.
//
// A Redis that fails or is slow is never waited for beyond
// DefaultRedisTimeout (nor past an operation's deadline): the replica then
// falls back to its own limiter and memory, says so in the log and in
// Status, and tries Redis again a second later.
type Redis struct {
	rdb     redis.UniversalClient
	prefix  string
	timeout time.Duration
	health  health
}

// NewRedis returns the shared budget over rdb. scope names the budget:
// replicas that reach the same Circle through the same egress share one,
// so the upstream's host is a good scope (gateways of different
// communities or environments may share a Redis without sharing a budget).
// timeout bounds each Redis command (0: DefaultRedisTimeout).
func NewRedis(rdb redis.UniversalClient, scope string, timeout time.Duration, log *slog.Logger) *Redis {
	if log == nil {
		log = slog.Default()
	}
	if timeout <= 0 {
		timeout = DefaultRedisTimeout
	}
	return &Redis{rdb: rdb, prefix: "gateway:budget:{" + scope + "}:", timeout: timeout, health: health{log: log}}
}

// Status is "" while Redis answers, else why the replica runs on its own
// (for /readyz).
func (r *Redis) Status() string { return r.health.status() }

// call runs f with the Redis timeout, bounded by ctx, and notes the
// outcome; it reports false when Redis is known down or failed now.
func (r *Redis) call(ctx context.Context, what string, f func(ctx context.Context) error) bool {
	if !r.health.usable(time.Now()) {
		return false
	}
	// At most the Redis timeout, and at most half the time ctx has left,
	// so a call that falls back still has time to be made.
	timeout := r.timeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(deadline)/2)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// go-redis honours a context's deadline only with
	// Options.ContextTimeoutEnabled (server.go sets it); whatever the
	// client's options, the caller goes on when the timeout is up, and the
	// command ends in the background at the client's own read timeout.
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		r.health.failed(what, err)
		return false
	}
	r.health.ok()
	return true
}

// windowScript takes a turn in several sliding-window logs at once, or in
// none. Each log is a sorted set of call start times (µs, Redis's own
// clock, so the replicas' clocks do not matter). A call may start when,
// in every log, the limit-th latest start is a window old; the start is
// reserved in every log when it is at most maxwait away. This is the local
// limiter's rule: the whole limit is usable at once, no window ever holds
// more, and a call refused by one part takes nothing from the others.
//
// KEYS: the logs. ARGV: window µs, maxwait µs, a unique member for this
// call, then each key's limit. Returns {allowed 0/1, wait µs, index of the
// key that set the wait (0: none)}.
var windowScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local maxwait = tonumber(ARGV[2])
local at = now
local binding = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local limit = tonumber(ARGV[3 + i])
  local n = redis.call('ZCARD', key)
  if n >= limit then
    local e = redis.call('ZRANGE', key, n - limit, n - limit, 'WITHSCORES')
    local start = tonumber(e[2]) + window
    if start > at then
      at = start
      binding = i
    end
  end
end
local wait = at - now
if wait > maxwait then
  return {0, wait, binding}
end
local ttl = math.ceil((window + maxwait) / 1000) + 1000
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, at, ARGV[3])
  redis.call('PEXPIRE', key, ttl)
end
return {1, wait, binding}
`)

// take runs windowScript over keys with their limits.
func (r *Redis) take(ctx context.Context, keys []string, limits []int, window, maxWait time.Duration) (wait time.Duration, binding int, allowed, ok bool) {
	args := make([]any, 0, 3+len(limits))
	args = append(args, window.Microseconds(), max(0, maxWait.Microseconds()), uniqueID())
	for _, n := range limits {
		args = append(args, n)
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = r.prefix + k
	}
	var res []int64
	ok = r.call(ctx, "rate limiter", func(ctx context.Context) error {
		var err error
		res, err = windowScript.Run(ctx, r.rdb, full, args...).Int64Slice()
		if err == nil && len(res) != 3 {
			err = fmt.Errorf("rate limiter script answered %d values", len(res))
		}
		return err
	})
	if !ok {
		return 0, 0, false, false
	}
	return time.Duration(res[1]) * time.Microsecond, int(res[2]), res[0] == 1, true
}

func uniqueID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Limiter returns the rate limiter of l divided by s shared through Redis,
// falling back to local (which must have the same limit and shares) while
// Redis fails.
func (r *Redis) Limiter(local *Local) *SharedLimiter {
	return &SharedLimiter{redis: r, local: local}
}

// SharedLimiter is the upstream rate limiter every replica using one Redis
// shares (CIRCLE_RATE_LIMIT with REDIS_URL).
type SharedLimiter struct {
	redis *Redis
	local *Local
	// OnDecision, when set, is told every decision (metrics); the local
	// fallback reports through its own.
	OnDecision func(Decision)
}

// Wait takes a turn for a call of share s in the shared budget, or in the
// local one while Redis fails.
func (l *SharedLimiter) Wait(ctx context.Context, s circle.Share) error {
	budget := waitBudget(ctx, l.local.maxWait)
	keys, limits, names := l.parts(s)
	start := time.Now()
	wait, idx, allowed, ok := l.redis.take(ctx, keys, limits, l.local.limit.Window, budget)
	if !ok {
		return l.local.Wait(ctx, s)
	}
	var binding limitName
	if idx > 0 {
		binding = names[idx-1]
	}
	if allowed {
		// The local limiter learns of the call, so that it knows this
		// process's share of the window if Redis fails.
		l.local.record(s, start.Add(wait))
	}
	return finish(ctx, l.OnDecision, Decision{Share: s.Kind.String(), Limit: string(binding), Wait: wait, Allowed: allowed, Backend: "redis"}, binding)
}

// parts are the Redis keys, limits and names of the logs a call of share s
// draws from (the local limiter's logs).
func (l *SharedLimiter) parts(s circle.Share) ([]string, []int, []limitName) {
	p := l.local.parts
	switch s.Kind {
	case circle.ShareMember:
		return []string{"global", "member_api", "member:" + s.Member}, []int{p.Global, p.MemberAPI, p.PerMember}, []limitName{limitGlobal, limitMemberAPI, limitMember}
	case circle.ShareUnproven:
		return []string{"global", "member_api", "unproven"}, []int{p.Global, p.MemberAPI, p.Unproven}, []limitName{limitGlobal, limitMemberAPI, limitUnproven}
	case circle.ShareUnprovenAuth:
		return []string{"global", "unproven"}, []int{p.Global, p.Unproven}, []limitName{limitGlobal, limitUnproven}
	}
	return []string{"global"}, []int{p.Global}, []limitName{limitGlobal}
}

// health tracks whether Redis answers, logging each change once.
type health struct {
	log *slog.Logger

	mu      sync.Mutex
	down    bool
	since   time.Time
	retryAt time.Time
	cause   string
}

func (h *health) usable(now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.down || !now.Before(h.retryAt)
}

func (h *health) failed(what string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	h.retryAt = now.Add(redisRetryInterval)
	h.cause = what + ": " + err.Error()
	if !h.down {
		h.down, h.since = true, now
		h.log.Warn("budget: redis does not answer; this replica limits its calls to Circle and remembers tokens on its own until it does",
			"cause", h.cause)
	}
}

func (h *health) ok() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		h.down = false
		h.log.Info("budget: redis answers again; the budget of calls to Circle is shared by the replicas again",
			"down_for", time.Since(h.since).Round(time.Millisecond).String())
	}
}

func (h *health) status() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down {
		return ""
	}
	return "redis unavailable since " + h.since.UTC().Format(time.RFC3339) + " (" + h.cause + "): the rate limit and the token memory are this replica's own"
}

// redisSetArgs are SET's arguments for an entry kept until until; nx
// keeps an existing value.
func redisSetArgs(until time.Time, nx bool) redis.SetArgs {
	a := redis.SetArgs{ExpireAt: until}
	if nx {
		a.Mode = "NX"
	}
	return a
}
