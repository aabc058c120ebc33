package config

import (
	"fmt"
	"net/url"

	"github.com/circle-gateway/gateway/budget"
	"github.com/circle-gateway/gateway/limits"
	"github.com/circle-gateway/gateway/loaders"
)

// Operations are the settings that keep a production gateway safe and
// shared across replicas: query limits, the upstream rate limit and
// concurrency, and the Redis that replicas share.
type Operations struct {
	// Limits are MAX_QUERY_DEPTH (15), MAX_ALIASES (30), MAX_ROOT_FIELDS
	// (20) and MAX_QUERY_COMPLEXITY (200: the estimated upstream calls of
	// one operation, list fields weighted by their `first`).
	Limits limits.Limits
	// CircleRateLimit is the client-side limit on upstream calls
	// (CIRCLE_RATE_LIMIT, default "2000/5m" — Circle's per-IP limit; "off"
	// disables it), one budget for every replica using REDIS_URL.
	CircleRateLimit string
	// Budget is how CircleRateLimit is shared out (budget.go): the auth
	// reserve, the unproven share and each member's share.
	Budget

	// RedisURL, when set, keeps state replicas share in Redis: the
	// Automatic Persisted Queries (REDIS_URL, e.g. redis://host:6379/0;
	// default none: in memory).
	RedisURL string
	// UpstreamConcurrency bounds concurrent upstream calls of one operation
	// (UPSTREAM_CONCURRENCY, default 32).
	UpstreamConcurrency int
	// UpstreamCoalescing lets operations of one member token that overlap
	// in time share identical GETs in flight (UPSTREAM_COALESCING, default
	// true). Nothing outlives the call, so no staleness is added; "false"
	// makes every operation send its own calls.
	UpstreamCoalescing bool
	// OTLPEndpoint, when set, is the OpenTelemetry collector traces go to,
	// over OTLP/HTTP with protobuf (OTEL_EXPORTER_OTLP_ENDPOINT, e.g.
	// http://collector:4318, whose /v1/traces receives them; a URL with a
	// path is used as it is; default none: tracing off).
	OTLPEndpoint string
}

func (o *Operations) load(getenv func(string) string) []error {
	var errs []error
	o.Limits = limits.Limits{
		MaxDepth:      intSetting(getenv, "MAX_QUERY_DEPTH", limits.DefaultMaxDepth, 1, 1000, &errs),
		MaxAliases:    intSetting(getenv, "MAX_ALIASES", limits.DefaultMaxAliases, 1, 10000, &errs),
		MaxRootFields: intSetting(getenv, "MAX_ROOT_FIELDS", limits.DefaultMaxRootFields, 1, 10000, &errs),
		MaxComplexity: intSetting(getenv, "MAX_QUERY_COMPLEXITY", limits.DefaultMaxComplexity, 1, 1_000_000, &errs),
	}
	o.CircleRateLimit = budget.DefaultRateLimit
	if v, ok := lookup(getenv, "CIRCLE_RATE_LIMIT"); ok {
		if _, err := budget.ParseRateLimit(v); err != nil {
			errs = append(errs, fmt.Errorf("CIRCLE_RATE_LIMIT: %w", err))
		}
		o.CircleRateLimit = v
	}
	errs = append(errs, o.Budget.load(getenv)...)
	if v, ok := lookup(getenv, "REDIS_URL"); ok {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			errs = append(errs, fmt.Errorf("REDIS_URL must be a redis:// or rediss:// URL"))
		}
		o.RedisURL = v
	}
	o.UpstreamConcurrency = intSetting(getenv, "UPSTREAM_CONCURRENCY", loaders.DefaultMaxInFlight, 1, 256, &errs)
	o.UpstreamCoalescing = boolSetting(getenv, "UPSTREAM_COALESCING", true, &errs)
	if v, ok := lookup(getenv, "OTEL_EXPORTER_OTLP_ENDPOINT"); ok {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL of an OTLP/HTTP collector, like http://collector:4318"))
		}
		o.OTLPEndpoint = v
	}
	return errs
}
