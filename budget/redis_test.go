package budget_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/circle-gateway/gateway/budget"
	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/logbuf"
	"github.com/circle-gateway/gateway/internal/testenv"
)

// replica is one gateway process's limiter on the shared Redis.
func replica(rdb redis.UniversalClient, scope string, l budget.RateLimit, s budget.Shares, log *slog.Logger) (*budget.SharedLimiter, *budget.Redis) {
	r := budget.NewRedis(rdb, scope, redisTimeout(log), log)
	return r.Limiter(budget.NewLocal(l, s, 10*time.Millisecond)), r
}

// redisTimeout is the Redis timeout of a test's replica: the default for
// the fault tests (given a log), a minute otherwise, so that a loaded
// machine never makes a healthy Redis look slow and the counts stay exact.
func redisTimeout(log *slog.Logger) time.Duration {
	if log != nil {
		return budget.DefaultRedisTimeout
	}
	return time.Minute
}

func isRefusal(err error) bool {
	var ce *circle.Error
	return errors.As(err, &ce) && ce.Status == http.StatusTooManyRequests && ce.RetryAfter > 0
}

// Two replicas on one Redis draw on one budget: however their calls
// interleave, together they get exactly the limit, every call beyond is
// refused with a wait, and each share is shared too.
func TestSharedLimiterIsOneBudget(t *testing.T) {
	t.Parallel()
	rdb := testenv.RedisClient(t)
	sc := testenv.RedisScope(t)
	limit := budget.RateLimit{Calls: 50, Window: time.Hour} // parts 50 / 45 / 5 / 5
	a, _ := replica(rdb, sc, limit, budget.DefaultShares, nil)
	b, _ := replica(rdb, sc, limit, budget.DefaultShares, nil)

	var allowed, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := a
			if i%2 == 1 {
				l = b
			}
			err := l.Wait(context.Background(), circle.Share{Kind: circle.ShareAuth})
			switch {
			case err == nil:
				allowed.Add(1)
			case isRefusal(err):
				refused.Add(1)
			default:
				t.Errorf("call %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != 50 || refused.Load() != 150 {
		t.Fatalf("allowed %d, refused %d: want exactly the limit of 50 across both replicas", allowed.Load(), refused.Load())
	}

	// The unproven share (5) is one share across replicas too.
	sc2 := testenv.RedisScope(t) + "-shares"
	a, _ = replica(rdb, sc2, limit, budget.DefaultShares, nil)
	b, _ = replica(rdb, sc2, limit, budget.DefaultShares, nil)
	unproven := circle.Share{Kind: circle.ShareUnproven}
	for i := range 5 {
		if err := []*budget.SharedLimiter{a, b}[i%2].Wait(context.Background(), unproven); err != nil {
			t.Fatalf("unproven call %d: %v", i+1, err)
		}
	}
	if err := b.Wait(context.Background(), unproven); !isRefusal(err) {
		t.Fatalf("sixth unproven call on the other replica: %v, want a refusal", err)
	}
	// A refused call took nothing: members still have the Member API's part.
	if err := a.Wait(context.Background(), circle.Share{Kind: circle.ShareMember, Member: "m:1"}); err != nil {
		t.Fatalf("member after the unproven share is spent: %v", err)
	}
}

// blackhole accepts connections and never answers: a Redis that hangs.
func blackhole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// closedPort is an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Redis down or hanging: every call is decided by the local limiter (which
// still holds the limit), the fault is logged once and reported by Status,
// and no call waits past its context's deadline for Redis.
func TestSharedLimiterFallsBack(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		addr func(*testing.T) string
	}{
		{"down", closedPort},
		{"hanging", blackhole},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rdb := redis.NewClient(&redis.Options{Addr: tt.addr(t), MaxRetries: -1})
			t.Cleanup(func() { _ = rdb.Close() })
			logs := &logbuf.Buffer{}
			lim, r := replica(rdb, testenv.RedisScope(t), budget.RateLimit{Calls: 3, Window: time.Hour}, budget.Shares{Unproven: 1, PerMember: 1}, slog.New(slog.NewTextHandler(logs, nil)))
			var backends []string
			lim.OnDecision = func(d budget.Decision) { backends = append(backends, d.Backend) }
			// An operation with less time left than the Redis timeout:
			// the wait for Redis is cut short, and the call is made or
			// given up for want of time, never refused as over budget.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
			err := lim.Wait(ctx, circle.Share{Kind: circle.ShareAuth})
			cancel()
			if err != nil && (isRefusal(err) || !errors.Is(err, circle.ErrUnavailable)) {
				t.Fatalf("call with little time left, redis %s: %v", tt.name, err)
			}
			allowed := 0
			if err == nil {
				allowed++
			}
			for allowed < 3 {
				if err := lim.Wait(context.Background(), circle.Share{Kind: circle.ShareAuth}); err != nil {
					t.Fatalf("call %d with redis %s: %v", allowed+1, tt.name, err)
				}
				allowed++
			}
			if err := lim.Wait(context.Background(), circle.Share{Kind: circle.ShareAuth}); !isRefusal(err) {
				t.Fatalf("fourth call: %v, want the local limiter's refusal", err)
			}
			if len(backends) != 0 {
				t.Fatalf("shared decisions reported %v while redis was %s", backends, tt.name)
			}
			if r.Status() == "" {
				t.Fatal("Status does not say redis is unavailable")
			}
			if n := strings.Count(logs.String(), "redis does not answer"); n != 1 {
				t.Fatalf("logged the fault %d times, want once:\n%s", n, logs.String())
			}
		})
	}
}

// The memory of tokens is shared: what one replica learnt, another knows;
// a refusal is never overwritten by an acceptance; nothing is stored under
// the token itself; eviction only forgets.
func TestTokensShared(t *testing.T) {
	t.Parallel()
	rdb := testenv.RedisClient(t)
	sc := testenv.RedisScope(t)
	a, b := budget.NewTokens(budget.NewRedis(rdb, sc, time.Minute, nil)), budget.NewTokens(budget.NewRedis(rdb, sc, time.Minute, nil))
	ctx := context.Background()
	tok := func(s string) circle.Credential {
		return circle.Credential{Kind: circle.AccessToken, Token: "token-" + s + sc, ExpiresAt: time.Now().Add(time.Hour)}
	}
	good, bad, revoked := tok("good"), tok("bad"), tok("revoked")
	a.Remember(ctx, good, circle.TokenAccepted)
	a.Remember(ctx, bad, circle.TokenRefused)
	a.Remember(ctx, revoked, circle.TokenAccepted)
	b.Remember(ctx, revoked, circle.TokenRefused)
	c := budget.NewTokens(budget.NewRedis(rdb, sc, time.Minute, nil)) // a replica that learnt nothing itself
	for _, tt := range []struct {
		cred circle.Credential
		want circle.TokenState
	}{{good, circle.TokenAccepted}, {bad, circle.TokenRefused}, {revoked, circle.TokenRefused}, {tok("never seen"), circle.TokenUnknown}} {
		if got := c.Lookup(ctx, tt.cred); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.cred.Token, got, tt.want)
		}
	}
	// An acceptance racing a refusal does not undo it.
	b.Remember(ctx, bad, circle.TokenAccepted)
	if got := budget.NewTokens(budget.NewRedis(rdb, sc, time.Minute, nil)).Lookup(ctx, bad); got != circle.TokenRefused {
		t.Fatalf("a refused token became %v", got)
	}
	keys, err := rdb.Keys(ctx, "*"+sc+"*").Result()
	if err != nil || len(keys) != 3 {
		t.Fatalf("keys %v, %v", keys, err)
	}
	for _, k := range keys {
		if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 0 || ttl > time.Hour {
			t.Errorf("%s expires in %v, want by the token's exp", k, ttl)
		}
		for _, cred := range []circle.Credential{good, bad, revoked} {
			if strings.Contains(k, cred.Token) {
				t.Errorf("key %s holds a token", k)
			}
		}
	}
	// Evicted: forgotten by replicas that only knew it through Redis.
	rdb.Del(ctx, keys...)
	if got := budget.NewTokens(budget.NewRedis(rdb, sc, time.Minute, nil)).Lookup(ctx, good); got != circle.TokenUnknown {
		t.Fatalf("an evicted token is %v", got)
	}
}

// The per-client limit is shared by replicas, and refuses without waiting.
func TestClientsShared(t *testing.T) {
	t.Parallel()
	rdb := testenv.RedisClient(t)
	sc := testenv.RedisScope(t)
	limit := budget.RateLimit{Calls: 3, Window: time.Hour}
	a, b := budget.NewClients(limit, budget.NewRedis(rdb, sc, time.Minute, nil)), budget.NewClients(limit, budget.NewRedis(rdb, sc, time.Minute, nil))
	ctx := context.Background()
	for i, c := range []*budget.Clients{a, b, a} {
		if err := c.Allow(ctx, "192.0.2.1"); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	if err := b.Allow(ctx, "192.0.2.1"); !isRefusal(err) {
		t.Fatalf("fourth request on the other replica: %v", err)
	}
	if err := b.Allow(ctx, "192.0.2.2"); err != nil {
		t.Fatalf("another address: %v", err)
	}
}
