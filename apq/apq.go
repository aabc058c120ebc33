// Package apq stores Automatic Persisted Queries (a client sends a query's
// sha256 hash instead of its text once the gateway has seen it) so that
// every replica behind a load balancer knows every registered query: the
// hash registered through one replica must work through any other.
//
// The store holds query documents only, never variables, tokens or results:
// a document is the same for every member, so sharing it leaks nothing.
package apq

import (
	"context"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/redis/go-redis/v9"
)

// DefaultTTL is how long a registered query stays without being used.
const DefaultTTL = 24 * time.Hour

// MaxQueryBytes bounds what is stored per hash, in Redis or in memory:
// anyone can register a query, so a large one is executed but not kept
// (its client keeps sending it in full). Real operations are a few KB.
const MaxQueryBytes = 256 << 10

// Redis is a gqlgen APQ cache in Redis. Redis failures never fail a
// request: a missed lookup makes the client resend the full query, which
// re-registers it.
type Redis struct {
	client *redis.Client
	prefix string
	ttl    time.Duration
	log    *slog.Logger
}

var _ graphql.Cache[string] = (*Redis)(nil)

// NewRedis returns a cache over client. Keys are prefix + hash.
func NewRedis(client *redis.Client, prefix string, ttl time.Duration, log *slog.Logger) *Redis {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Redis{client: client, prefix: prefix, ttl: ttl, log: log}
}

// Get returns the query registered under hash, refreshing its expiry.
func (r *Redis) Get(ctx context.Context, hash string) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	v, err := r.client.GetEx(ctx, r.prefix+hash, r.ttl).Result()
	if err != nil {
		if err != redis.Nil {
			r.log.WarnContext(ctx, "apq: redis get failed", "err", err.Error())
		}
		return "", false
	}
	return v, true
}

// Add registers query under hash (gqlgen has checked the hash matches).
func (r *Redis) Add(ctx context.Context, hash string, query string) {
	if len(query) > MaxQueryBytes {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := r.client.Set(ctx, r.prefix+hash, query, r.ttl).Err(); err != nil {
		r.log.WarnContext(ctx, "apq: redis set failed", "err", err.Error())
	}
}
