package respcache

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/circle-gateway/gateway/circle"
)

// Redis timing.
const (
	// DefaultRedisTimeout bounds each cache command: a cache that is slow
	// is worth less than the call it saves, so it counts as a miss.
	DefaultRedisTimeout = 50 * time.Millisecond
	// redisRetryInterval is how long the cache stays away from a Redis
	// that failed, so a Redis that is down costs one timeout a second, not
	// one per GET.
	redisRetryInterval = time.Second
)

// Redis is a response cache shared by every replica using one Redis. A
// member's entries live in one hash under a hash tag of the member (one
// Redis Cluster slot), beside the time of the member's last write; all
// times are Redis's own clock, so replicas' clocks do not matter.
//
// Redis failing or slow is a miss, never a wait past DefaultRedisTimeout.
// A write whose Forget could not reach Redis makes this replica bypass the
// cache for that member for TTL, so the member still reads its own writes
// here; replicas that can reach Redis may serve the older entries until
// they expire (at most TTL), which the docs state.
type Redis struct {
	rdb     redis.UniversalClient
	prefix  string
	ttl     time.Duration
	timeout time.Duration
	log     *slog.Logger

	mu        sync.Mutex
	downUntil time.Time
	bypass    map[string]time.Time // member → until when this replica skips the cache
}

// NewRedis returns the shared cache over rdb. scope keeps gateways of
// different communities (or environments) that share a Redis apart: member
// ids are per community.
func NewRedis(rdb redis.UniversalClient, scope string, ttl time.Duration, log *slog.Logger) *Redis {
	if log == nil {
		log = slog.Default()
	}
	return &Redis{rdb: rdb, prefix: "gateway:cache:" + keyPart(scope) + ":", ttl: ttl, timeout: DefaultRedisTimeout, log: log, bypass: map[string]time.Time{}}
}

// WithTimeout returns r with each Redis command bounded by d instead of
// DefaultRedisTimeout.
func (r *Redis) WithTimeout(d time.Duration) *Redis {
	r.timeout = d
	return r
}

func (r *Redis) keys(member string) []string {
	tag := "{" + keyPart(member) + "}"
	return []string{r.prefix + tag + ":entries", r.prefix + tag + ":forgotten"}
}

func field(k circle.CacheKey) string { return k.Token + "|" + k.Target }

// The scripts write times as integers (µs, Redis's clock): Lua's tostring
// of a number that large would use an exponent.

// getScript returns Redis's time (µs) and the entry of the field.
var getScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
return {string.format('%.0f', now), redis.call('HGET', KEYS[1], ARGV[1])}
`)

// putScript stores the entry unless the member wrote since the ticket.
// ARGV: field, ticket µs, ttl ms, body.
var putScript = redis.NewScript(`
local f = redis.call('GET', KEYS[2])
if f and tonumber(f) >= tonumber(ARGV[2]) then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('HSET', KEYS[1], ARGV[1], string.format('%.0f', now + tonumber(ARGV[3]) * 1000) .. ':' .. ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

// forgetScript drops the member's entries and notes when. ARGV: retention ms.
var forgetScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], string.format('%.0f', now), 'PX', ARGV[1])
return 1
`)

// call runs f within the cache's timeout (and half of ctx's time left);
// false when Redis is known down or failed now.
func (r *Redis) call(ctx context.Context, f func(ctx context.Context) error) bool {
	r.mu.Lock()
	down := time.Now().Before(r.downUntil)
	r.mu.Unlock()
	if down {
		return false
	}
	timeout := r.timeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(deadline)/2)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		r.mu.Lock()
		if time.Now().After(r.downUntil) {
			r.log.Warn("response cache: redis failed, answering from Circle for a while", "err", err)
		}
		r.downUntil = time.Now().Add(redisRetryInterval)
		r.mu.Unlock()
		return false
	}
	return true
}

func (r *Redis) bypassed(member string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	until, ok := r.bypass[member]
	if ok && time.Now().After(until) {
		delete(r.bypass, member)
		return false
	}
	return ok
}

// Get implements circle.ResponseCache.
func (r *Redis) Get(ctx context.Context, k circle.CacheKey) ([]byte, uint64, bool) {
	if r.bypassed(k.Member) {
		return nil, 0, false
	}
	var res []any
	if !r.call(ctx, func(ctx context.Context) (err error) {
		res, err = getScript.Run(ctx, r.rdb, r.keys(k.Member), field(k)).Slice()
		return err
	}) || len(res) != 2 {
		return nil, 0, false
	}
	nowStr, _ := res[0].(string)
	now, err := strconv.ParseUint(nowStr, 10, 64)
	if err != nil {
		return nil, 0, false
	}
	v, _ := res[1].(string)
	expires, body, found := strings.Cut(v, ":")
	if !found {
		return nil, now, false
	}
	if e, err := strconv.ParseUint(expires, 10, 64); err != nil || e <= now {
		return nil, now, false
	}
	return []byte(body), now, true
}

// Put implements circle.ResponseCache.
func (r *Redis) Put(ctx context.Context, k circle.CacheKey, ticket uint64, body []byte) {
	if ticket == 0 || len(body) > DefaultMaxEntryBytes || r.bypassed(k.Member) {
		return // a ticket of 0: the Get never reached Redis
	}
	r.call(ctx, func(ctx context.Context) error {
		return putScript.Run(ctx, r.rdb, r.keys(k.Member), field(k), ticket, r.ttl.Milliseconds(), body).Err()
	})
}

// Forget implements circle.ResponseCache.
func (r *Redis) Forget(ctx context.Context, member string) error {
	ok := r.call(ctx, func(ctx context.Context) error {
		return forgetScript.Run(ctx, r.rdb, r.keys(member), ForgetRetention.Milliseconds()).Err()
	})
	if ok {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// This replica keeps away from the member's entries until they have
	// all expired; bounded: a member's mark lasts TTL.
	if len(r.bypass) > 100_000 {
		now := time.Now()
		for m, until := range r.bypass {
			if now.After(until) {
				delete(r.bypass, m)
			}
		}
	}
	r.bypass[member] = time.Now().Add(r.ttl)
	return errors.New("response cache: redis did not take the write's invalidation; other replicas may serve older answers until they expire")
}
