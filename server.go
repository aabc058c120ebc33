// Command gateway serves one GraphQL API over Circle's Headless Member and
// Auth APIs. With no Circle setting it starts an embedded Circle sandbox with
// a demo community, so `go run .` works out of the box.
//
// Settings come from the environment; see package config and the README.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/redis/go-redis/v9"

	"github.com/circle-gateway/gateway/admission"
	"github.com/circle-gateway/gateway/apq"
	"github.com/circle-gateway/gateway/budget"
	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/config"
	"github.com/circle-gateway/gateway/idtoken"
	"github.com/circle-gateway/gateway/loaders"
	"github.com/circle-gateway/gateway/memcap"
	"github.com/circle-gateway/gateway/observe"
	"github.com/circle-gateway/gateway/persisted"
	"github.com/circle-gateway/gateway/respcache"
	"github.com/circle-gateway/gateway/sandbox"
	"github.com/circle-gateway/gateway/tracing"
	"github.com/circle-gateway/gateway/transport"
)

// shutdownGrace is how long in-flight requests may finish after SIGTERM.
const shutdownGrace = 25 * time.Second

// exitHooks run when main's run returns, before the process exits. Only
// the profiling build (profile.go, build tag "profile") adds any.
var exitHooks []func()

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Getenv, os.Stdout, nil)
	for _, hook := range exitHooks {
		hook()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

// run starts the gateway and serves until ctx ends, then drains. ready, when
// non-nil, receives the listening address (tests use it with PORT=0).
func run(ctx context.Context, getenv func(string) string, stdout io.Writer, ready chan<- string) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := newLogger(cfg.LogFormat, stdout)
	for _, w := range cfg.Warnings {
		log.Warn("configuration: " + w)
	}
	persistedOps, err := loadPersistedOperations(cfg, log)
	if err != nil {
		return err
	}

	circleURL, appToken := cfg.CircleURL, cfg.AppToken
	var playgroundHeaders func() map[string]string
	if cfg.Sandbox {
		sb, url, stopSandbox, err := startSandbox()
		if err != nil {
			return err
		}
		defer stopSandbox()
		circleURL, appToken = url, sb.AppToken()
		generatedKey := cfg.ServiceKey == ""
		if generatedKey {
			cfg.ServiceKey = randomHex(24)
		}
		playgroundHeaders = func() map[string]string {
			tok, err := sb.IssueToken(sb.DemoMemberID())
			if err != nil {
				return nil
			}
			return map[string]string{"Authorization": "Bearer " + tok.AccessToken}
		}
		if err := announceSandbox(log, sb, cfg, generatedKey); err != nil {
			return err
		}
	}

	obs := observe.New(log, transport.RequestID)
	tracer, err := tracing.New(ctx, cfg.OTLPEndpoint, log)
	if err != nil {
		return err
	}
	defer func() {
		// Spans of the last requests, drained above, still go out.
		flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tracer.Shutdown(flushCtx); err != nil {
			log.Warn("tracing: spans not sent at shutdown", "err", err)
		}
	}()
	rdb, closeRedis, err := openRedis(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeRedis()
	var apqCache graphql.Cache[string]
	var shared *budget.Redis
	if rdb != nil {
		log.Info("automatic persisted queries, the budget of calls to Circle and the token memory are shared through redis", "addr", rdb.Options().Addr)
		apqCache = apq.NewRedis(rdb, "gateway:apq:", apq.DefaultTTL, log)
		shared = budget.NewRedis(rdb, budgetScope(circleURL), cfg.RedisBudgetTimeout, log)
	}
	tokens := budget.NewTokens(shared)
	tokens.OnEvent = obs.TokenMemoryEvent
	clientOpts := []circle.Option{circle.WithTimeout(cfg.UpstreamTimeout), circle.WithAppToken(appToken), circle.WithObserver(obs.Upstream),
		circle.WithCoalescing(cfg.UpstreamCoalescing), circle.WithTokenMemory(tokens)}
	if tracer != nil {
		clientOpts = append(clientOpts, circle.WithTracer(tracer))
	}
	if rc := responseCache(cfg, rdb, circleURL, log); rc != nil {
		clientOpts = append(clientOpts, circle.WithResponseCache(rc))
	}
	limiter, err := newLimiter(cfg, shared, obs)
	if err != nil {
		return err
	}
	if limiter != nil {
		clientOpts = append(clientOpts, circle.WithLimiter(limiter))
	}
	client, err := circle.New(circleURL, clientOpts...)
	if err != nil {
		return err
	}
	clientLimit, err := budget.ParseRateLimit(cfg.UnprovenClientRateLimit)
	if err != nil {
		return fmt.Errorf("UNPROVEN_CLIENT_RATE_LIMIT: %w", err)
	}
	var unprovenClients *budget.Clients
	if !clientLimit.Off() {
		unprovenClients = budget.NewClients(clientLimit, shared)
		unprovenClients.OnDecision = obs.LimiterDecision
	}
	var degraded func() string
	if shared != nil {
		degraded = shared.Status
	}
	idTokens, err := newIDTokenVerifier(ctx, cfg, log)
	if err != nil {
		return err
	}
	log.Info("auth mutations", "auth_api", client.HasAppToken(), "signIn", idTokens != nil, "createMemberToken", cfg.ServiceKey != "")
	bridge, subs, err := startLive(cfg, circleURL, client, obs, log)
	if err != nil {
		return err
	}
	drain := &transport.Drain{}
	gate, err := admissionGate(cfg.MaxConcurrentOperations, obs)
	if err != nil {
		return err
	}
	handler, err := transport.New(transport.Options{
		Client:             client,
		Log:                log,
		RequestTimeout:     cfg.RequestTimeout,
		MaxBodyBytes:       cfg.MaxBodyBytes,
		MaxTokens:          cfg.MaxTokens,
		Introspection:      cfg.Introspection,
		Compression:        cfg.ResponseCompression,
		CORSAllowedOrigins: cfg.CORSAllowedOrigins,
		PlaygroundHeaders:  playgroundHeaders,
		ServiceKey:         cfg.ServiceKey,
		IDTokens:           idTokens,
		Limits:             cfg.Limits,
		Loaders:            loaders.Config{MaxInFlight: cfg.UpstreamConcurrency},
		APQCache:           apqCache,
		Observer:           obs,
		Memory:             memcap.NewPool(cfg.Memory),
		Drain:              drain,
		Tracer:             tracer,
		Subscriptions:      subs,
		Live:               bridge,
		Tokens:             tokens,
		UnprovenClients:    unprovenClients,
		TrustedProxies:     cfg.TrustedProxies,
		Degraded:           degraded,
		Federation:         cfg.Federation,
		Admission:          gate,

		PersistedOperations: persistedOps,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.ListenAddr())
	if err != nil {
		return fmt.Errorf("listen on %s (HOST, PORT): %w", cfg.ListenAddr(), err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		// A client that sends its body slowly, or stops halfway, gets no
		// longer than an operation would (REQUEST_TIMEOUT), and cannot
		// hold a connection, a goroutine and a buffer forever.
		ReadTimeout:    cfg.RequestTimeout,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("gateway listening", "addr", ln.Addr().String(), "sandbox", cfg.Sandbox, "playground", fmt.Sprintf("http://localhost:%d/", ln.Addr().(*net.TCPAddr).Port))
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Shutdown, in order (docs/operations.md#several-replicas): first not
	// ready while still serving, for SHUTDOWN_READY_DELAY, so that load
	// balancers stop routing here and clients leave their keep-alive
	// connections (every answer now closes its connection); then the
	// listener closes, idle connections close, and the requests in flight
	// finish, for up to shutdownGrace, while the subscriptions end
	// (drainLive).
	drain.Start()
	log.Info("shutting down: /readyz answers 503 while requests are still served", "ready_delay", cfg.ShutdownReadyDelay.String())
	time.Sleep(cfg.ShutdownReadyDelay)
	log.Info("shutting down: draining in-flight requests", "grace", shutdownGrace.String())
	drainCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	// Subscriptions end (each with its complete) while the server drains
	// the requests in flight: SSE streams are among them.
	liveDrained := make(chan struct{})
	go func() { drainLive(drainCtx, bridge, subs, log); close(liveDrained) }()
	if err := srv.Shutdown(drainCtx); err != nil {
		// What did not finish within the grace period is cut off: the
		// process was asked to stop, and stopping is not a failure.
		log.Warn("shutting down: closing requests that did not finish in time", "grace", shutdownGrace.String(), "err", err)
		_ = srv.Close()
	}
	<-liveDrained
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// startSandbox serves the embedded Circle sandbox on a loopback port.
func startSandbox() (*sandbox.Sandbox, string, func(), error) {
	sb := sandbox.New(sandbox.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, fmt.Errorf("sandbox: %w", err)
	}
	srv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return sb, "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// announceSandbox prints what a newcomer needs: a demo member token, the
// service key and a first query. These secrets are the sandbox's own demo
// credentials, printed on purpose; a service key the operator set
// (GATEWAY_SERVICE_KEY) is never printed, as no real secret is ever logged.
func announceSandbox(log *slog.Logger, sb *sandbox.Sandbox, cfg config.Config, generatedKey bool) error {
	tok, err := sb.IssueToken(sb.DemoMemberID())
	if err != nil {
		return fmt.Errorf("sandbox: issue demo token: %w", err)
	}
	log.Info("sandbox mode: an embedded Circle sandbox with a demo community is the upstream")
	log.Info("sandbox demo member access token (valid 1h; Playground is pre-filled with a fresh one)",
		"member_id", sb.DemoMemberID(), "authorization", "Bearer "+tok.AccessToken)
	if generatedKey {
		log.Info("sandbox service key for createMemberToken", "x_service_key", cfg.ServiceKey)
	} else {
		log.Info("createMemberToken takes the service key set in GATEWAY_SERVICE_KEY")
	}
	log.Info("sample query: " + sampleQuery)
	log.Info("sample subscription (run it in the Playground, which speaks graphql-transport-ws at ws://…/graphql): " + sampleSubscription)
	return nil
}

const sampleQuery = `{ me { name } homeFeed(first: 5) { nodes { title author { name } space { name } comments(first: 2) { nodes { bodyText author { name } } } } } }`

// responseCache is the RESPONSE_CACHE_TTL cache: in Redis when REDIS_URL
// is set (shared by the replicas, so a write through one replica drops the
// member's entries for all), else in memory; nil when the TTL is 0.
func responseCache(cfg config.Config, rdb *redis.Client, circleURL string, log *slog.Logger) circle.ResponseCache {
	if cfg.ResponseCacheTTL <= 0 {
		return nil
	}
	if rdb != nil {
		log.Info("response cache: Member API answers kept per member token in redis", "ttl", cfg.ResponseCacheTTL.String())
		return respcache.NewRedis(rdb, budgetScope(circleURL), cfg.ResponseCacheTTL, log)
	}
	log.Info("response cache: Member API answers kept per member token in memory", "ttl", cfg.ResponseCacheTTL.String(), "max_bytes", cfg.ResponseCacheMaxBytes)
	return respcache.NewMemory(cfg.ResponseCacheTTL, cfg.ResponseCacheMaxBytes, nil)
}

// openRedis connects to REDIS_URL, if set (nil otherwise): the Automatic
// Persisted Queries, the budget of calls to Circle and the token memory
// that replicas share live there. A Redis that does not answer at start is
// a startup error, so a misconfigured replica fails its deployment instead
// of serving degraded; once running, the budget falls back to this
// replica's own while Redis fails (package budget).
func openRedis(ctx context.Context, cfg config.Config) (*redis.Client, func(), error) {
	if cfg.RedisURL == "" {
		return nil, func() {}, nil
	}
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	// Deadlines of the context bound every command (the budget's are
	// short: it sits in front of every upstream call).
	opts.ContextTimeoutEnabled = true
	rdb := redis.NewClient(opts)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		_ = rdb.Close()
		return nil, nil, fmt.Errorf("REDIS_URL: redis at %s does not answer: %w", opts.Addr, err)
	}
	return rdb, func() { _ = rdb.Close() }, nil
}

// newLimiter builds the limiter of CIRCLE_RATE_LIMIT and its shares: one
// budget for every replica using shared's Redis, or this process's own;
// nil when the limit is off.
func newLimiter(cfg config.Config, shared *budget.Redis, obs *observe.Observer) (circle.Limiter, error) {
	limit, err := budget.ParseRateLimit(cfg.CircleRateLimit)
	if err != nil {
		return nil, fmt.Errorf("CIRCLE_RATE_LIMIT: %w", err)
	}
	if limit.Off() {
		return nil, nil
	}
	local := budget.NewLocal(limit, cfg.Shares, budget.DefaultMaxWait)
	local.OnDecision = obs.LimiterDecision
	if shared == nil {
		return local, nil
	}
	l := shared.Limiter(local)
	l.OnDecision = obs.LimiterDecision
	return l, nil
}

// budgetScope names the shared budget after the upstream's host: replicas
// calling the same Circle share it, gateways of other upstreams (staging,
// another community's double) using the same Redis do not.
func budgetScope(circleURL string) string {
	if u, err := url.Parse(circleURL); err == nil && u.Host != "" {
		return u.Host
	}
	return circleURL
}

// newIDTokenVerifier builds signIn's identity token verifier from the
// ID_TOKEN_* settings; nil when none is set (signIn then answers FORBIDDEN).
// A JWKS is fetched now and refreshed until ctx ends.
func newIDTokenVerifier(ctx context.Context, cfg config.Config, log *slog.Logger) (*idtoken.Verifier, error) {
	if !cfg.SignInConfigured() {
		return nil, nil
	}
	v, err := idtoken.New(ctx, idtoken.Config{
		HS256Secret:   []byte(cfg.IDTokenHS256Secret),
		PublicKeyPEM:  cfg.IDTokenPublicKeyPEM,
		JWKSURL:       cfg.IDTokenJWKSURL,
		Issuer:        cfg.IDTokenIssuer,
		Audience:      cfg.IDTokenAudience,
		IdentityClaim: idtoken.Claim(cfg.IDTokenIdentityClaim),
		Log:           log,
	})
	if err != nil {
		return nil, fmt.Errorf("signIn: %w", err)
	}
	return v, nil
}

// loadPersistedOperations loads PERSISTED_OPERATIONS_FILE, if set, into the
// extension that serves it; nil (a nil interface) when there is none.
func loadPersistedOperations(cfg config.Config, log *slog.Logger) (graphql.HandlerExtension, error) {
	if cfg.PersistedOperationsFile == "" {
		return nil, nil
	}
	m, err := persisted.Load(cfg.PersistedOperationsFile)
	if err != nil {
		return nil, err
	}
	ext, err := persisted.NewExtension(m, cfg.PersistedOperationsOnly)
	if err != nil {
		return nil, err
	}
	log.Info("persisted operations loaded", "file", cfg.PersistedOperationsFile, "operations", m.Len(), "only_persisted", cfg.PersistedOperationsOnly)
	return ext, nil
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// admissionGate returns the bound on operations executing at once
// (MAX_CONCURRENT_OPERATIONS; nil when 0) with its gauges, which read 0
// when there is no bound.
func admissionGate(limit int, obs *observe.Observer) (*admission.Gate, error) {
	gate := admission.New(limit)
	for _, g := range []struct {
		name, help string
		f          func() float64
	}{
		{"gateway_operations_executing", "Queries and mutations holding one of MAX_CONCURRENT_OPERATIONS' slots (0 when there is no bound).", func() float64 { return float64(gate.Stats().Running) }},
		{"gateway_operations_waiting", "Queries and mutations waiting for a slot of MAX_CONCURRENT_OPERATIONS.", func() float64 { return float64(gate.Stats().Waiting) }},
	} {
		if err := obs.Gauge(g.name, g.help, g.f); err != nil {
			return nil, err
		}
	}
	waited := func() float64 { return float64(gate.Stats().Queued) }
	if err := obs.Counter("gateway_operations_waited_total", "Queries and mutations that have had to wait for a slot of MAX_CONCURRENT_OPERATIONS.", waited); err != nil {
		return nil, err
	}
	return gate, nil
}
