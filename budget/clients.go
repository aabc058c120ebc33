package budget

import (
	"context"
	"sync"
	"time"
)

// DefaultClientRateLimit is UNPROVEN_CLIENT_RATE_LIMIT's default: requests
// with a token Circle has not accepted yet, per client address. A real
// member's new token is unproven for its first request or two; a client
// making up tokens makes one per request.
const DefaultClientRateLimit = "60/1m"

// maxClients bounds the addresses the local per-client limiter tracks.
const maxClients = 100_000

// Clients limits, per client address, the requests that carry a token
// Circle has not accepted yet (UNPROVEN_CLIENT_RATE_LIMIT): the inbound
// side of the unproven share, so one client making up tokens cannot spend
// that share alone. Shared through Redis when one is given. Over the limit
// a request is refused at once (it never waits).
type Clients struct {
	limit RateLimit
	redis *Redis
	now   func() time.Time

	mu   sync.Mutex
	logs map[string]*callLog

	// OnDecision, when set, is told every decision (metrics), with share
	// "client".
	OnDecision func(Decision)
}

// NewClients returns the per-client limiter of l (r nil: this process
// only).
func NewClients(l RateLimit, r *Redis) *Clients {
	return &Clients{limit: l, redis: r, now: time.Now, logs: map[string]*callLog{}}
}

// Allow takes a turn for a request from addr, or refuses it with a
// 429-shaped *circle.Error carrying when to retry.
func (c *Clients) Allow(ctx context.Context, addr string) error {
	d := Decision{Share: "client", Backend: "local"}
	if c.redis != nil {
		wait, idx, allowed, ok := c.redis.take(ctx, []string{"client:" + addr}, []int{c.limit.Calls}, c.limit.Window, 0)
		if ok {
			d.Wait, d.Allowed, d.Backend = wait, allowed, "redis"
			if idx > 0 {
				d.Limit = string(limitClient)
			}
			if allowed {
				// Known here too, should Redis fail.
				c.record(addr)
			}
			return c.decided(d)
		}
	}
	d.Wait, d.Allowed = c.local(addr)
	if !d.Allowed {
		d.Limit = string(limitClient)
	}
	return c.decided(d)
}

func (c *Clients) decided(d Decision) error {
	if c.OnDecision != nil {
		c.OnDecision(d)
	}
	if !d.Allowed {
		return tooMany(limitClient, d.Wait)
	}
	return nil
}

// record notes a request from addr that Redis let in.
func (c *Clients) record(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log(addr, c.now().UnixNano()).add(c.now().UnixNano())
}

// local decides a request from addr in this process alone.
func (c *Clients) local(addr string) (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now, window := c.now().UnixNano(), int64(c.limit.Window)
	w := c.log(addr, now)
	at := w.earliest(now, window)
	if at > now {
		return time.Duration(at - now), false
	}
	w.add(now)
	return 0, true
}

// log returns addr's log, making room for it if need be. c.mu must be
// held.
func (c *Clients) log(addr string, now int64) *callLog {
	window := int64(c.limit.Window)
	w := c.logs[addr]
	if w == nil {
		if len(c.logs) >= maxClients {
			for k, l := range c.logs {
				if l.newest() <= now-window || len(c.logs) >= maxClients {
					delete(c.logs, k)
				}
				if len(c.logs) < maxClients-maxClients/10 {
					break
				}
			}
		}
		w = &callLog{limit: c.limit.Calls}
		c.logs[addr] = w
	}
	return w
}
