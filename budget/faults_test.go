package budget_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/circle-gateway/gateway/budget"
	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
)

// memberDouble answers GET /community_member with the member its token
// names ("token-<id>") and counts writes.
type memberDouble struct {
	writes atomic.Int64
}

func (d *memberDouble) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodGet {
		d.writes.Add(1)
		_, _ = io.WriteString(w, `{}`)
		return
	}
	id := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer token-")
	fmt.Fprintf(w, `{"id":%s,"user_id":1,"name":"Member %s"}`, id, id)
}

// faultyClient is a gateway's Circle client whose budget lives in rdb.
func faultyClient(t *testing.T, rdb redis.UniversalClient, sc, upstream string, timeout time.Duration) *circle.Client {
	t.Helper()
	r := budget.NewRedis(rdb, sc, timeout, nil)
	lim := r.Limiter(budget.NewLocal(budget.RateLimit{Calls: 10_000, Window: time.Hour}, budget.Shares{AuthReserve: 0.1, Unproven: 1, PerMember: 1}, time.Second))
	c, err := circle.New(upstream, circle.WithLimiter(lim), circle.WithTokenMemory(budget.NewTokens(r)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Redis hanging or down: a write is made once and answered, and each
// member reads their own data.
func TestWritesAndReadsWithoutRedis(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		addr func(*testing.T) string
	}{{"down", closedPort}, {"hanging", blackhole}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := &memberDouble{}
			srv := httptest.NewServer(d)
			t.Cleanup(srv.Close)
			rdb := redis.NewClient(&redis.Options{Addr: tt.addr(t), MaxRetries: -1})
			t.Cleanup(func() { _ = rdb.Close() })
			c := faultyClient(t, rdb, testenv.RedisScope(t), srv.URL, budget.DefaultRedisTimeout)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := c.Member("token-1").WithMemberID(1).LikePost(ctx, 5); err != nil {
				t.Fatalf("write with redis %s: %v", tt.name, err)
			}
			if n := d.writes.Load(); n != 1 {
				t.Fatalf("the write reached Circle %d times, want once", n)
			}
			readOwn(t, c, 2, 10)
		})
	}
}

// Redis evicting the budget's keys between and during members' reads:
// nothing breaks, the forgotten tokens are proven again, and nobody is
// served another member's data.
func TestReadsWhileRedisEvicts(t *testing.T) {
	t.Parallel()
	rdb := testenv.RedisClient(t)
	d := &memberDouble{}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	sc := testenv.RedisScope(t)
	evict := func() int {
		keys, err := rdb.Keys(context.Background(), "gateway:budget:{"+sc+"}:*").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) > 0 {
			rdb.Del(context.Background(), keys...)
		}
		return len(keys)
	}
	for round := range 3 {
		// A fresh replica each round: it knows only what Redis kept.
		c := faultyClient(t, rdb, sc, srv.URL, time.Minute) // a slow machine must not look like a slow Redis
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); evict() }() // evicting while they read
		readOwn(t, c, 4, 20)
		wg.Wait()
		if n := evict(); n == 0 {
			t.Fatalf("round %d: the reads left no key in Redis to evict", round)
		}
	}
}

// readOwn has members 1..members each read themselves n times at once, and
// fails on any error or another member's answer.
func readOwn(t *testing.T, c *circle.Client, members, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for m := 1; m <= members; m++ {
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				me, err := c.Member(fmt.Sprintf("token-%d", m)).WithMemberID(int64(m)).Me(context.Background())
				if err != nil {
					t.Errorf("member %d: %v", m, err)
					return
				}
				if me.ID != int64(m) {
					t.Errorf("member %d was served member %d", m, me.ID)
				}
			}()
		}
	}
	wg.Wait()
}
