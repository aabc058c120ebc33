// Package observe is what operators see of the gateway: Prometheus metrics
// (GraphQL operations, upstream calls, loader batches, rate-limiter waits)
// and one structured log line per GraphQL request.
//
// It must never record a token or any other secret: labels are operation
// names (sanitised and capped), endpoint templates ("/spaces/{id}", never
// concrete paths), status codes and error codes; log lines carry the same
// plus the request id.
package observe

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/circle-gateway/gateway/budget"
	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/statuswriter"
)

// maxOperationNames caps the distinct operation names used as label values;
// later names are counted as "other", so clients cannot blow up the series.
const maxOperationNames = 200

// Observer records metrics and logs. One per process; safe for concurrent use.
type Observer struct {
	log       *slog.Logger
	requestID func(context.Context) string
	reg       *prometheus.Registry

	operations       *prometheus.CounterVec
	opDuration       *prometheus.HistogramVec
	opErrors         *prometheus.CounterVec
	upstreamCalls    *prometheus.CounterVec
	upstreamDuration *prometheus.HistogramVec
	upstreamRetries  *prometheus.CounterVec
	upstreamShared   *prometheus.CounterVec
	upstreamCached   *prometheus.CounterVec
	loaderBatch      *prometheus.HistogramVec
	limiterWait      prometheus.Histogram
	limiterRefused   prometheus.Counter
	limiterDecisions *prometheus.CounterVec
	tokenMemory      *prometheus.CounterVec
	upstreamRefused  *prometheus.CounterVec

	namesMu sync.Mutex
	names   map[string]bool

	lastAnswer atomic.Int64 // unix nanoseconds of the last answer from Circle
}

// New builds an Observer logging to log; requestID reads the request id
// from a request context.
func New(log *slog.Logger, requestID func(context.Context) string) *Observer {
	o := &Observer{log: log, requestID: requestID, reg: prometheus.NewRegistry(), names: map[string]bool{}}
	latency := []float64{.005, .01, .025, .05, .1, .2, .3, .5, 1, 2.5, 5, 10, 30}
	o.operations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_graphql_operations_total", Help: "GraphQL operations by operation name, type (query/mutation) and outcome (ok/error).",
	}, []string{"operation", "type", "outcome"})
	o.opDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gateway_graphql_operation_duration_seconds", Help: "GraphQL request latency, all upstream calls included.", Buckets: latency,
	}, []string{"operation", "type"})
	o.opErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_graphql_errors_total", Help: "GraphQL errors by extensions.code.",
	}, []string{"code"})
	o.upstreamCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_upstream_calls_total", Help: "Calls to Circle by method, endpoint template and status (0: no answer).",
	}, []string{"method", "endpoint", "status"})
	o.upstreamDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gateway_upstream_call_duration_seconds", Help: "Latency of calls to Circle by method and endpoint template.", Buckets: latency,
	}, []string{"method", "endpoint"})
	o.upstreamRetries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_upstream_retries_total", Help: "Retried calls to Circle by method and endpoint template.",
	}, []string{"method", "endpoint"})
	o.upstreamShared = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_upstream_shared_calls_total", Help: "GETs that sent nothing because an identical call of the same member was already in flight, by endpoint template.",
	}, []string{"endpoint"})
	o.loaderBatch = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gateway_loader_batch_size", Help: "Keys per dataloader batch.", Buckets: []float64{1, 2, 5, 10, 20, 50, 100},
	}, []string{"loader"})
	o.limiterWait = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "gateway_rate_limiter_wait_seconds", Help: "Time upstream calls waited for the client-side rate limiter.", Buckets: []float64{0, .01, .05, .1, .25, .5, 1, 2},
	})
	o.upstreamCached = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_upstream_cached_calls_total", Help: "GETs answered from the response cache (RESPONSE_CACHE_TTL) without a call, by endpoint template.",
	}, []string{"endpoint"})
	o.limiterRefused = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "gateway_rate_limiter_refusals_total", Help: "Upstream calls refused because the limiter's wait would exceed its budget.",
	})
	o.limiterDecisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_rate_limiter_decisions_total",
		Help: "Rate-limiter decisions by share (auth, member, unproven, unproven_auth: upstream calls; client: inbound requests with unproven tokens), outcome (allowed, waited, refused), the limit that decided (global, member_api, unproven, member, client; none) and backend (redis, local).",
	}, []string{"share", "outcome", "limit", "backend"})
	o.tokenMemory = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_token_memory_events_total",
		Help: "What the memory of member credentials learnt (accepted, refused, forgotten) and answered (hit_accepted, hit_refused).",
	}, []string{"event"})
	o.upstreamRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_upstream_refused_without_call_total", Help: "Upstream calls not made because Circle had refused their credential before, by endpoint template.",
	}, []string{"endpoint"})
	o.reg.MustRegister(o.operations, o.opDuration, o.opErrors, o.upstreamCalls, o.upstreamDuration, o.upstreamRetries,
		o.upstreamShared, o.upstreamCached, o.loaderBatch, o.limiterWait, o.limiterRefused, o.limiterDecisions, o.tokenMemory, o.upstreamRefused,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return o
}

// Gauge registers a gauge read from f at each scrape, for state other
// packages own (open subscriptions, cable connections).
func (o *Observer) Gauge(name, help string, f func() float64) error {
	return o.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// Counter registers a counter read from f at each scrape, for counts
// other packages keep (f must never decrease).
func (o *Observer) Counter(name, help string, f func() float64) error {
	return o.reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
}

// MetricsHandler serves /metrics.
func (o *Observer) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(o.reg, promhttp.HandlerOpts{Registry: o.reg})
}

// Upstream records one finished call to Circle (the circle client's
// observer) and counts it for the request it belongs to.
func (o *Observer) Upstream(ctx context.Context, c circle.Call) {
	if c.Refused {
		o.upstreamRefused.WithLabelValues(c.Endpoint).Inc()
		return
	}
	if c.Cached {
		o.upstreamCached.WithLabelValues(c.Endpoint).Inc()
		if s, ok := ctx.Value(statsKey{}).(*requestStats); ok {
			s.cached.Add(1)
		}
		return
	}
	if c.Shared {
		o.upstreamShared.WithLabelValues(c.Endpoint).Inc()
		if s, ok := ctx.Value(statsKey{}).(*requestStats); ok {
			s.shared.Add(1)
		}
		return
	}
	o.upstreamCalls.WithLabelValues(c.Method, c.Endpoint, strconv.Itoa(c.Status)).Inc()
	o.upstreamDuration.WithLabelValues(c.Method, c.Endpoint).Observe(c.Duration.Seconds())
	if c.Attempt > 0 {
		o.upstreamRetries.WithLabelValues(c.Method, c.Endpoint).Inc()
	}
	if c.Status > 0 && c.Status < 500 {
		o.lastAnswer.Store(time.Now().UnixNano())
	}
	if s, ok := ctx.Value(statsKey{}).(*requestStats); ok {
		s.upstream.Add(1)
	}
}

// Batch records a dataloader batch (the loaders' OnBatch hook).
func (o *Observer) Batch(loader string, size int) {
	o.loaderBatch.WithLabelValues(loader).Observe(float64(size))
}

// LimiterDecision records a rate-limiter decision (the budget limiters'
// OnDecision hook). Labels name shares and limits, never a member or token.
func (o *Observer) LimiterDecision(d budget.Decision) {
	outcome := "allowed"
	switch {
	case !d.Allowed:
		outcome = "refused"
	case d.Wait > 0:
		outcome = "waited"
	}
	limit := d.Limit
	if limit == "" {
		limit = "none"
	}
	o.limiterDecisions.WithLabelValues(d.Share, outcome, limit, d.Backend).Inc()
	if d.Share == "client" {
		return
	}
	if !d.Allowed {
		o.limiterRefused.Inc()
		return
	}
	o.limiterWait.Observe(d.Wait.Seconds())
}

// TokenMemoryEvent records what the token memory learnt or answered (its
// OnEvent hook).
func (o *Observer) TokenMemoryEvent(event string) { o.tokenMemory.WithLabelValues(event).Inc() }

// LastUpstreamAnswer is when Circle last answered a call (any status below
// 500), zero if never: readiness uses it.
func (o *Observer) LastUpstreamAnswer() time.Time {
	n := o.lastAnswer.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

type statsKey struct{}

// requestStats is what one GraphQL request records about itself.
type requestStats struct {
	upstream atomic.Int64
	shared   atomic.Int64 // GETs answered by another request's call
	cached   atomic.Int64 // GETs answered from the response cache
	mu       sync.Mutex
	name     string
	opType   string
	codes    []string
}

// Middleware wraps the GraphQL endpoint: it gives each request its stats
// and, when the request ends, writes its log line and metrics.
func (o *Observer) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		stats := &requestStats{}
		rec := statuswriter.New(w)
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), statsKey{}, stats)))
		o.finish(r.Context(), stats, rec.Status, time.Since(start))
	})
}

// AroundResponses is the gqlgen response middleware that tells the
// request's stats which operation ran and which error codes it answered.
func (o *Observer) AroundResponses(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	stats, ok := ctx.Value(statsKey{}).(*requestStats)
	if !ok || resp == nil {
		return resp
	}
	stats.mu.Lock()
	defer stats.mu.Unlock()
	if graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		if oc.Operation != nil {
			stats.opType = string(oc.Operation.Operation)
			stats.name = oc.Operation.Name
		}
		if stats.name == "" {
			stats.name = oc.OperationName
		}
	}
	for _, e := range resp.Errors {
		code, _ := e.Extensions["code"].(string)
		if code == "" {
			code = "UNKNOWN"
		}
		stats.codes = append(stats.codes, code)
	}
	return resp
}

// NoteErrorCodes adds codes to the errors of the request in ctx, for the
// answers written outside GraphQL (a request refused before it runs).
func NoteErrorCodes(ctx context.Context, codes ...string) {
	s, ok := ctx.Value(statsKey{}).(*requestStats)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes = append(s.codes, codes...)
}

func (o *Observer) finish(ctx context.Context, s *requestStats, status int, d time.Duration) {
	s.mu.Lock()
	name, opType, codes := o.label(s.name), s.opType, slices.Clone(s.codes)
	s.mu.Unlock()
	if opType == "" {
		opType = "unknown"
	}
	outcome := "ok"
	if len(codes) > 0 || status >= 400 {
		outcome = "error"
	}
	o.operations.WithLabelValues(name, opType, outcome).Inc()
	o.opDuration.WithLabelValues(name, opType).Observe(d.Seconds())
	slices.Sort(codes)
	codes = slices.Compact(codes)
	for _, c := range codes {
		o.opErrors.WithLabelValues(c).Inc()
	}
	level := slog.LevelInfo
	if slices.Contains(codes, "INTERNAL_SERVER_ERROR") || status >= 500 {
		level = slog.LevelError
	}
	o.log.LogAttrs(ctx, level, "graphql",
		slog.String("operation", name),
		slog.String("type", opType),
		slog.Int("status", status),
		slog.Duration("duration", d),
		slog.Int64("upstream_calls", s.upstream.Load()),
		slog.Int64("shared_calls", s.shared.Load()),
		slog.Int64("cached_calls", s.cached.Load()),
		slog.Any("error_codes", codes),
		slog.String("request_id", o.requestID(ctx)),
	)
}

// label returns a safe label for an operation name: "anonymous" when
// empty, "other" beyond the first maxOperationNames or when it has
// characters GraphQL names cannot have.
func (o *Observer) label(name string) string {
	if name == "" {
		return "anonymous"
	}
	if len(name) > 64 {
		return "other"
	}
	for _, c := range name {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return "other"
		}
	}
	o.namesMu.Lock()
	defer o.namesMu.Unlock()
	if o.names[name] {
		return name
	}
	if len(o.names) >= maxOperationNames {
		return "other"
	}
	o.names[name] = true
	return name
}
