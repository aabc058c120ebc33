package respcache_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/respcache"
)

// caches returns a fresh cache of each kind with the given TTL: in memory,
// and in Redis (skipped without one on a developer machine, a failure
// under CI=true), each Redis one under a scope of its own.
func caches(t *testing.T, ttl time.Duration) map[string]circle.ResponseCache {
	t.Helper()
	rdb := testenv.RedisClient(t)
	return map[string]circle.ResponseCache{
		"memory": respcache.NewMemory(ttl, 1<<20, nil),
		"redis":  redisCache(rdb, testenv.RedisScope(t), ttl),
	}
}

// redisCache is a Redis cache whose commands may take up to a minute: these
// tests are about what the cache keeps and drops, and on a loaded machine
// Redis can take longer than the production bound (DefaultRedisTimeout),
// which would turn a hit into a miss and a Forget into a failure.
func redisCache(rdb *redis.Client, scope string, ttl time.Duration) *respcache.Redis {
	return respcache.NewRedis(rdb, scope, ttl, nil).WithTimeout(time.Minute)
}

var (
	annA  = circle.CacheKey{Member: "m:101", Token: "tok-a1", Target: "/home?page=1&per_page=20"}
	annA2 = circle.CacheKey{Member: "m:101", Token: "tok-a2", Target: "/home?page=1&per_page=20"}
	bob   = circle.CacheKey{Member: "m:102", Token: "tok-b", Target: "/home?page=1&per_page=20"}
)

// An answer is served again to the token it was fetched for, and to no
// other token: not another member's, not another of the same member's.
func TestEntriesBelongToOneToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, c := range caches(t, time.Minute) {
		t.Run(name, func(t *testing.T) {
			_, ticket, ok := c.Get(ctx, annA)
			if ok {
				t.Fatal("hit in an empty cache")
			}
			c.Put(ctx, annA, ticket, []byte(`{"records":["ann"]}`))
			body, _, ok := c.Get(ctx, annA)
			if !ok || string(body) != `{"records":["ann"]}` {
				t.Fatalf("Get = %q %v, want Ann's page", body, ok)
			}
			for _, other := range []circle.CacheKey{annA2, bob, {Member: "m:101", Token: "tok-a1", Target: "/home?page=2&per_page=20"}} {
				if body, _, ok := c.Get(ctx, other); ok {
					t.Errorf("%+v got %q, which was stored for another token or GET", other, body)
				}
			}
		})
	}
}

// A write (Forget) drops every entry of the member, for all its tokens,
// and an answer whose GET began before the write is not stored after it;
// other members keep theirs.
func TestForgetDropsTheMemberAndRefusesOlderAnswers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, c := range caches(t, time.Minute) {
		t.Run(name, func(t *testing.T) {
			for _, k := range []circle.CacheKey{annA, annA2, bob} {
				_, ticket, _ := c.Get(ctx, k)
				c.Put(ctx, k, ticket, []byte(k.Token))
			}
			_, before, _ := c.Get(ctx, circle.CacheKey{Member: "m:101", Token: "tok-a1", Target: "/spaces"})
			if err := c.Forget(ctx, "m:101"); err != nil {
				t.Fatal(err)
			}
			for _, k := range []circle.CacheKey{annA, annA2} {
				if body, _, ok := c.Get(ctx, k); ok {
					t.Errorf("%s still served %q after the member's write", k.Token, body)
				}
			}
			if body, _, ok := c.Get(ctx, bob); !ok || string(body) != "tok-b" {
				t.Errorf("another member's entry went with the write: %q %v", body, ok)
			}
			late := circle.CacheKey{Member: "m:101", Token: "tok-a1", Target: "/spaces"}
			c.Put(ctx, late, before, []byte("from before the write"))
			if body, _, ok := c.Get(ctx, late); ok {
				t.Errorf("an answer whose GET began before the write was stored: %q", body)
			}
			_, after, _ := c.Get(ctx, late)
			c.Put(ctx, late, after, []byte("after"))
			if body, _, ok := c.Get(ctx, late); !ok || string(body) != "after" {
				t.Errorf("an answer fetched after the write was not stored: %q %v", body, ok)
			}
		})
	}
}

// Entries end with their TTL.
func TestEntriesExpire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	m := respcache.NewMemory(10*time.Second, 1<<20, clock)
	_, ticket, _ := m.Get(ctx, annA)
	m.Put(ctx, annA, ticket, []byte("page"))
	mu.Lock()
	now = now.Add(9 * time.Second)
	mu.Unlock()
	if _, _, ok := m.Get(ctx, annA); !ok {
		t.Fatal("gone before its TTL")
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if _, _, ok := m.Get(ctx, annA); ok {
		t.Fatal("served at its TTL")
	}

	// Redis expires by its own clock: an entry with a short TTL stops
	// being served (polled until it does, within a bound that only a
	// broken expiry reaches).
	r := redisCache(testenv.RedisClient(t), testenv.RedisScope(t), 50*time.Millisecond)
	_, ticket, _ = r.Get(ctx, annA)
	r.Put(ctx, annA, ticket, []byte("page"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, _, ok := r.Get(ctx, annA); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a Redis entry outlived its TTL by seconds")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The memory cache holds at most its bytes, evicting the least recently
// used; an answer larger than an entry may be is not kept.
func TestMemoryBoundedInBytes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := respcache.NewMemory(time.Minute, 64<<10, nil)
	page := []byte(strings.Repeat("x", 10<<10))
	for i := range 20 {
		k := circle.CacheKey{Member: fmt.Sprintf("m:%d", i), Token: "t", Target: "/home"}
		_, ticket, _ := m.Get(ctx, k)
		m.Put(ctx, k, ticket, page)
	}
	entries, bytes := m.Len()
	if bytes > 64<<10 || entries == 0 || entries > 6 {
		t.Fatalf("%d entries, %d bytes: want at most 64 KiB", entries, bytes)
	}
	if _, _, ok := m.Get(ctx, circle.CacheKey{Member: "m:0", Token: "t", Target: "/home"}); ok {
		t.Fatal("the oldest entry was not evicted")
	}
	if _, _, ok := m.Get(ctx, circle.CacheKey{Member: "m:19", Token: "t", Target: "/home"}); !ok {
		t.Fatal("the newest entry was evicted")
	}
	huge := circle.CacheKey{Member: "m:big", Token: "t", Target: "/home"}
	_, ticket, _ := m.Get(ctx, huge)
	m.Put(ctx, huge, ticket, make([]byte, respcache.DefaultMaxEntryBytes+1))
	if _, _, ok := m.Get(ctx, huge); ok {
		t.Fatal("an answer over the entry bound was kept")
	}
}

// Replicas sharing a Redis share entries and writes: a write through one
// replica drops the member's entries for the other.
func TestRedisSharedByReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := testenv.RedisClient(t)
	scope := testenv.RedisScope(t)
	a := redisCache(rdb, scope, time.Minute)
	b := redisCache(rdb, scope, time.Minute)
	other := redisCache(rdb, scope+"/another community", time.Minute)
	_, ticket, _ := a.Get(ctx, annA)
	a.Put(ctx, annA, ticket, []byte("page"))
	if body, _, ok := b.Get(ctx, annA); !ok || string(body) != "page" {
		t.Fatalf("replica b: %q %v, want replica a's entry", body, ok)
	}
	if _, _, ok := other.Get(ctx, annA); ok {
		t.Fatal("a gateway of another community read the entry")
	}
	if err := b.Forget(ctx, annA.Member); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := a.Get(ctx, annA); ok {
		t.Fatal("replica a still serves the member's entry after a write through b")
	}
}

// A Redis that is down is a miss and never a wait; a write whose Forget
// could not reach it keeps this replica away from the member's entries,
// so the member reads its own writes here even when Redis comes back with
// the old entries.
func TestRedisDownIsAMiss(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, stop := testenv.PrivateRedis(t)
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	c := redisCache(rdb, testenv.RedisScope(t), time.Minute)
	_, ticket, _ := c.Get(ctx, annA)
	c.Put(ctx, annA, ticket, []byte("page"))
	if _, _, ok := c.Get(ctx, annA); !ok {
		t.Fatal("no hit while Redis is up")
	}
	stop()
	if _, _, ok := c.Get(ctx, annA); ok {
		t.Fatal("a hit with Redis down")
	}
	if err := c.Forget(ctx, annA.Member); err == nil {
		t.Fatal("Forget reported success with Redis down")
	}
	if _, _, ok := c.Get(ctx, annA); ok {
		t.Fatal("served after a write whose invalidation failed")
	}
}
