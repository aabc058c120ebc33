package config

import (
	"fmt"
	"time"
)

// ResponseCache is the response cache's settings (docs/operations.md#response-cache).
type ResponseCache struct {
	// ResponseCacheTTL is how long a Member API GET answer is kept per
	// member token (RESPONSE_CACHE_TTL, default 0: off; at most 10m). With
	// REDIS_URL the entries live in Redis, shared by the replicas.
	ResponseCacheTTL time.Duration
	// ResponseCacheMaxBytes bounds the in-memory cache, bodies and keys
	// (RESPONSE_CACHE_MAX_BYTES, default 64 MiB; unused with REDIS_URL,
	// whose maxmemory policy bounds it).
	ResponseCacheMaxBytes int
}

// maxResponseCacheTTL keeps cached answers recent: a member who reads
// another member's change sees it at most this late.
const maxResponseCacheTTL = 10 * time.Minute

func (c *ResponseCache) loadResponseCache(getenv func(string) string) []error {
	var errs []error
	if v, ok := lookup(getenv, "RESPONSE_CACHE_TTL"); ok && v != "0" && v != "off" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > maxResponseCacheTTL {
			errs = append(errs, fmt.Errorf("RESPONSE_CACHE_TTL must be 0 (off) or a duration up to %s like 10s, got %q", maxResponseCacheTTL, v))
		} else {
			c.ResponseCacheTTL = d
		}
	}
	c.ResponseCacheMaxBytes = intSetting(getenv, "RESPONSE_CACHE_MAX_BYTES", 64<<20, 1<<20, 16<<30, &errs)
	return errs
}
