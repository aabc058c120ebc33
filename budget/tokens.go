package budget

import (
	"context"
	"sync"
	"time"

	"github.com/circle-gateway/gateway/circle"
)

// Bounds of the local token memory. An entry is a hash, a state and an
// expiry (about 100 bytes with the map's own cost), so each bound is a few
// MB. Accepted and refused credentials are kept apart, so that a flood of
// made-up tokens (each refused once) can never push out the members
// Circle accepted.
const (
	DefaultMaxAccepted = 100_000
	DefaultMaxRefused  = 100_000
)

// Tokens is the memory of what Circle answered for member credentials
// (circle.TokenMemory): in this process, and in Redis when one is given,
// so that a credential one replica proved or saw refused is known to all.
// Entries last until the credential expires; the local maps are bounded.
type Tokens struct {
	now      func() time.Time
	redis    *Redis // nil: this process only
	accepted entries
	refused  entries

	// OnEvent, when set, is told of what the memory learns and answers
	// ("accepted", "refused", "forgotten"; "hit_accepted", "hit_refused"),
	// for metrics.
	OnEvent func(event string)
}

var _ circle.TokenMemory = (*Tokens)(nil)

// NewTokens returns a token memory; with r non-nil it is shared through
// Redis (and still answers from this process first, and on its own while
// Redis fails).
func NewTokens(r *Redis) *Tokens {
	return &Tokens{now: time.Now, redis: r, accepted: entries{max: DefaultMaxAccepted}, refused: entries{max: DefaultMaxRefused}}
}

func (t *Tokens) event(e string) {
	if t.OnEvent != nil {
		t.OnEvent(e)
	}
}

// Cached returns what this process knows of c.
func (t *Tokens) Cached(c circle.Credential) circle.TokenState {
	return t.cached(c.Hash(), t.now())
}

func (t *Tokens) cached(key string, now time.Time) circle.TokenState {
	if t.refused.has(key, now) {
		t.event("hit_refused")
		return circle.TokenRefused
	}
	if t.accepted.has(key, now) {
		t.event("hit_accepted")
		return circle.TokenAccepted
	}
	return circle.TokenUnknown
}

// Lookup returns what is known of c: from this process, else from Redis
// (and then kept here too).
func (t *Tokens) Lookup(ctx context.Context, c circle.Credential) circle.TokenState {
	now := t.now()
	key := c.Hash()
	if s := t.cached(key, now); s != circle.TokenUnknown || t.redis == nil {
		return s
	}
	var v string
	var ttl time.Duration
	found := t.redis.call(ctx, "token memory", func(ctx context.Context) error {
		pipe := t.redis.rdb.Pipeline()
		get := pipe.Get(ctx, t.redis.prefix+"token:"+key)
		pttl := pipe.PTTL(ctx, t.redis.prefix+"token:"+key)
		_, err := pipe.Exec(ctx)
		v, _ = get.Result()
		ttl, _ = pttl.Result()
		return err
	})
	if !found || ttl <= 0 {
		return circle.TokenUnknown
	}
	switch v {
	case "accepted":
		t.accepted.put(key, now.Add(ttl), now)
		t.event("hit_accepted")
		return circle.TokenAccepted
	case "refused":
		t.refused.put(key, now.Add(ttl), now)
		t.event("hit_refused")
		return circle.TokenRefused
	}
	return circle.TokenUnknown
}

// Remember records s for c until c expires, here and in Redis;
// TokenUnknown forgets c.
func (t *Tokens) Remember(ctx context.Context, c circle.Credential, s circle.TokenState) {
	now := t.now()
	key, until := c.Hash(), c.Until(now)
	switch s {
	case circle.TokenAccepted:
		t.accepted.put(key, until, now)
		t.event("accepted")
	case circle.TokenRefused:
		t.refused.put(key, until, now)
		t.accepted.drop(key)
		t.event("refused")
	default:
		t.accepted.drop(key)
		t.refused.drop(key)
		t.event("forgotten")
	}
	if t.redis == nil {
		return
	}
	t.redis.call(ctx, "token memory", func(ctx context.Context) error {
		k := t.redis.prefix + "token:" + key
		switch s {
		case circle.TokenAccepted:
			// A refusal (a 401, a revocation) is never overwritten by an
			// acceptance that raced it: NX keeps whatever is there.
			return t.redis.rdb.SetArgs(ctx, k, "accepted", redisSetArgs(until, true)).Err()
		case circle.TokenRefused:
			return t.redis.rdb.SetArgs(ctx, k, "refused", redisSetArgs(until, false)).Err()
		}
		return t.redis.rdb.Del(ctx, k).Err()
	})
}

// entries is a bounded map of credential hashes to expiry.
type entries struct {
	max int
	mu  sync.Mutex
	m   map[string]time.Time
}

func (e *entries) has(key string, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	until, ok := e.m[key]
	if ok && !now.Before(until) {
		delete(e.m, key)
		return false
	}
	return ok
}

// put keeps key until until. When full it first drops what has expired,
// then, if still full, about a tenth of the entries (in the map's random
// order): a forgotten credential costs one more call, never a wrong answer.
func (e *entries) put(key string, until, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = map[string]time.Time{}
	}
	if _, ok := e.m[key]; !ok && len(e.m) >= e.max {
		for k, u := range e.m {
			if !now.Before(u) {
				delete(e.m, k)
			}
		}
		for k := range e.m {
			if len(e.m) < e.max-e.max/10 {
				break
			}
			delete(e.m, k)
		}
	}
	e.m[key] = until
}

func (e *entries) drop(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}

func (e *entries) len() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.m)
}
