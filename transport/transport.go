// Package transport is the gateway's HTTP surface (docs/contract.md §2): GraphQL
// over HTTP at /graphql, the Playground at /, the SDL at /schema.graphql and
// the health endpoints. It builds the gqlgen server with only the
// transports it needs, reads the caller's token once per operation, and gives
// each operation its own loaders — the only place where per-request state is
// created, so nothing leaks between requests or members.
package transport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	gqltransport "github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/circle-gateway/gateway/admission"
	"github.com/circle-gateway/gateway/apq"
	"github.com/circle-gateway/gateway/auth"
	"github.com/circle-gateway/gateway/budget"
	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph"
	"github.com/circle-gateway/gateway/graph/generated"
	"github.com/circle-gateway/gateway/graph/subgraph"
	"github.com/circle-gateway/gateway/idtoken"
	"github.com/circle-gateway/gateway/internal/sizedcache"
	"github.com/circle-gateway/gateway/limits"
	"github.com/circle-gateway/gateway/live"
	"github.com/circle-gateway/gateway/loaders"
	"github.com/circle-gateway/gateway/memcap"
	"github.com/circle-gateway/gateway/observe"
	"github.com/circle-gateway/gateway/tracing"
)

// Options configure the HTTP surface.
type Options struct {
	// Client is the upstream Circle client (required).
	Client *circle.Client
	// Log receives operational logs (default: slog.Default()).
	Log *slog.Logger
	// Loaders tunes the per-operation loaders.
	Loaders loaders.Config
	// RequestTimeout bounds each request (0: no bound beyond the client's).
	RequestTimeout time.Duration
	// MaxBodyBytes bounds request bodies (0: 2 MiB).
	MaxBodyBytes int64
	// MaxTokens bounds the GraphQL parser (0: 15000).
	MaxTokens int
	// Introspection enables introspection and "did you mean" suggestions.
	Introspection bool
	// CORSAllowedOrigins are the origins allowed cross-origin access; "*"
	// allows any. Empty: no cross-origin access.
	CORSAllowedOrigins []string
	// PlaygroundHeaders returns headers to pre-fill in the Playground's
	// header editor (the sandbox's demo token); nil for none.
	PlaygroundHeaders func() map[string]string
	// Now is the clock used for token expiry (default time.Now).
	Now func() time.Time
	// ServiceKey is GATEWAY_SERVICE_KEY, which createMemberToken requires in
	// X-Service-Key; empty disables createMemberToken.
	ServiceKey string
	// IDTokens verifies signIn's identity tokens; nil disables signIn.
	IDTokens *idtoken.Verifier
	// PersistedOperations, when set, serves an operations manifest and may
	// refuse operations outside it (package persisted); it runs before APQ.
	PersistedOperations graphql.HandlerExtension
	// Limits bounds each operation's depth, aliases, root fields and cost
	// (zero fields: the defaults of docs/contract.md §1).
	Limits limits.Limits
	// APQCache stores Automatic Persisted Queries (default: an in-memory
	// LRU; package apq has the Redis one replicas share).
	APQCache graphql.Cache[string]
	// Observer records metrics and logs (default: one logging to Log).
	Observer *observe.Observer
	// Memory caps what operations read from Circle and write, each and
	// together (default: memcap.DefaultLimits()).
	Memory *memcap.Pool
	// Drain, once started, makes /readyz answer 503 and every answer close
	// its connection (SIGTERM); nil never drains.
	Drain *Drain
	// Tracer, when set, records OpenTelemetry spans of every operation
	// (nil: tracing off).
	Tracer *tracing.Tracer
	// Subscriptions admits, limits and drains subscriptions (default: a
	// registry with the limits of docs/contract.md §8; the server passes its own, to
	// shut it down on SIGTERM).
	Subscriptions *Subscriptions
	// Live bridges subscriptions to Circle's real-time cable; nil makes
	// every subscription answer FORBIDDEN.
	Live *live.Bridge
	// Tokens is the memory of what Circle answered for member tokens (the
	// client's); with UnprovenClients it decides which requests the
	// per-client limit counts.
	Tokens circle.TokenMemory
	// UnprovenClients limits, per client address, requests with tokens
	// Circle has not accepted (UNPROVEN_CLIENT_RATE_LIMIT); nil: no limit.
	UnprovenClients *budget.Clients
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client (TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
	// Degraded, when set, says why the gateway runs degraded ("" when it
	// does not), for /readyz: e.g. Redis down, the budget local.
	Degraded func() string
	// Compression gzips answers for clients that accept it
	// (RESPONSE_COMPRESSION; compress.go).
	Compression bool
	// Admission bounds the queries and mutations executing at once
	// (MAX_CONCURRENT_OPERATIONS); nil, the default, does not.
	Admission *admission.Gate
	// Federation serves the schema as an Apollo Federation v2 subgraph
	// (FEDERATION; package graph/subgraph): the same fields, resolvers and
	// loaders, plus _service and _entities. False serves the main executor,
	// which has neither.
	Federation bool

	// aroundFields lets this package's tests inject faults (a panicking
	// field) into the real server.
	aroundFields graphql.FieldMiddleware
}

// The caches keyed by query text, which any client chooses, are bounded in
// bytes as well as entries (about 100 MB in all).
const (
	// maxAPQBytes bounds the in-memory Automatic Persisted Queries.
	maxAPQBytes = 32 << 20
	// maxParsedBytes bounds the parsed-query cache; a parsed document
	// takes roughly parsedBytesPerQueryByte bytes per byte of query text.
	maxParsedBytes          = 64 << 20
	parsedBytesPerQueryByte = 10
)

// New returns the gateway's HTTP handler.
func New(o Options) (http.Handler, error) {
	if o.Client == nil {
		return nil, fmt.Errorf("transport: Options.Client is required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 2 << 20
	}
	if o.MaxTokens <= 0 {
		o.MaxTokens = 15000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.APQCache == nil {
		o.APQCache = sizedcache.New(1000, maxAPQBytes, apq.MaxQueryBytes, func(hash, query string) int { return len(hash) + len(query) })
	}
	if o.Observer == nil {
		o.Observer = observe.New(o.Log, RequestID)
	}
	if o.Memory == nil {
		o.Memory = memcap.NewPool(memcap.DefaultLimits())
	}
	rel := newReleaser()
	if err := o.Observer.Register(memoryMetrics(o.Memory, rel)...); err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	if err := o.Observer.Gauge("gateway_upstream_shared_waiters",
		"Operations waiting right now on GETs to Circle they share with others of the same member (UPSTREAM_COALESCING), the one that sent each included.",
		func() float64 { return float64(o.Client.SharedWaiters()) }); err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	if o.Subscriptions == nil {
		o.Subscriptions = NewSubscriptions(SubscriptionOptions{})
	}
	o.Subscriptions.now = o.Now
	o.Subscriptions.present = ErrorPresenter(o.Log, RequestID)
	o.Subscriptions.shares.recover = recoverFunc(o.Log)
	resolver := &graph.Resolver{
		Log:        o.Log,
		Client:     o.Client,
		ServiceKey: o.ServiceKey,
		IDTokens:   o.IDTokens,
		Now:        o.Now,
		Live:       o.Live,
	}
	var schema graphql.ExecutableSchema = generated.NewExecutableSchema(generated.Config{Resolvers: resolver})
	if o.Federation {
		schema = subgraph.New(resolver)
	}
	gql := newGraphQLServer(schema, o)

	mux := http.NewServeMux()
	compressed, err := withCompression(o.Compression, o.Tracer.Middleware(o.Observer.Middleware(guard(o.MaxBodyBytes, limitUnproven(o, withMemory(o.Memory, rel, gql))))))
	if err != nil {
		return nil, err
	}
	overHTTP := withCORS(o.CORSAllowedOrigins, noStore(compressed))
	// A WebSocket is one long connection of many operations, not a request:
	// it skips the request guards (its Origin is checked like CORS instead,
	// and a mutation over it is as safe as a preflighted POST) and is not
	// logged as one operation.
	overWebSocket := o.Subscriptions.serveWebSocket(o.CORSAllowedOrigins, gql)
	mux.Handle("/graphql", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebSocketUpgrade(r) {
			overWebSocket.ServeHTTP(w, r)
			return
		}
		overHTTP.ServeHTTP(w, r)
	}))
	mux.Handle("GET /metrics", o.Observer.MetricsHandler())
	mux.Handle("GET /readyz", &readiness{drain: o.Drain, lastAnswer: o.Observer.LastUpstreamAnswer, probe: o.Client.Probe, degraded: o.Degraded})
	introspected, err := schemaJSON(schema)
	if err != nil {
		return nil, err
	}
	mux.HandleFunc("GET /schema.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(introspected)
	})
	page, err := playgroundHandler(o)
	if err != nil {
		return nil, err
	}
	mux.Handle("GET /{$}", page)
	sdl := schemaSDL(schema)
	mux.HandleFunc("GET /schema.graphql", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(sdl)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return closeWhenDraining(o.Drain, withRequestContext(o, mux)), nil
}

// newGraphQLServer builds gqlgen's server explicitly (never
// NewDefaultServer): WebSocket (graphql-transport-ws), SSE, GET and POST
// only, a parsed-query cache, APQ, the error presenter and panic recovery,
// and the per-operation auth and loaders (per event, for subscriptions).
func newGraphQLServer(schema graphql.ExecutableSchema, o Options) http.Handler {
	srv := handler.New(schema)
	// The first transport whose Supports takes a request serves it, so
	// streaming transports (SSE, WebSocket) go before GET and POST; a
	// request none takes is refused by servedBy.
	transports := []graphql.Transport{
		o.Subscriptions.websocketTransport(o.CORSAllowedOrigins),
		gqltransport.SSE{KeepAlivePingInterval: o.Subscriptions.o.KeepAlive},
		getTransport{gated: o.Admission != nil}, postTransport{gated: o.Admission != nil},
	}
	for _, t := range transports {
		srv.AddTransport(t)
	}
	// Parsed documents are kept without @defer (defer.go).
	srv.SetQueryCache(undeferred{sizedcache.New(1000, maxParsedBytes, maxParsedBytes/4, func(query string, _ *ast.QueryDocument) int { return parsedBytesPerQueryByte * len(query) })})
	srv.SetParserTokenLimit(o.MaxTokens) // limits refuses longer documents first, with its own code
	if o.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		srv.SetDisableSuggestion(true)
	}
	srv.SetValidationRulesFn(func() *rules.Rules { return validationRules(o.Introspection) })
	// The extensions that refuse operations, in order; coded gives their
	// refusals their code as they are made (errors.go).
	if o.PersistedOperations != nil {
		srv.Use(coded{o.PersistedOperations})
	}
	srv.Use(coded{apq.Extension{Cache: o.APQCache}})
	lim := o.Limits
	lim.MaxTokens = o.MaxTokens
	srv.Use(coded{lim})
	if o.Federation {
		srv.Use(coded{&subgraph.Representations{}})
	}
	srv.Use(coded{newOverlapCheck()})
	srv.Use(memcap.Extension{})
	srv.Use(errorCap{})
	if !o.Introspection {
		// Not coded: a refused introspection keeps HTTP 200, as when
		// gqlgen's executor refused the field itself.
		srv.Use(introspectionOff{})
	}
	srv.AroundResponses(o.Observer.AroundResponses)
	if o.Tracer != nil {
		srv.AroundResponses(o.Tracer.AroundResponses)
	}
	presentError := ErrorPresenter(o.Log, RequestID)
	srv.SetErrorPresenter(func(ctx context.Context, err error) *gqlerror.Error {
		graph.NotePostLookupError(ctx)
		return presentError(ctx, err)
	})
	srv.SetRecoverFunc(recoverFunc(o.Log))
	if o.aroundFields != nil {
		srv.AroundFields(o.aroundFields)
	}
	srv.AroundResponses(perEvent(o))
	if o.Admission != nil {
		// admit is the outermost operation middleware, so that an
		// operation waiting for its turn has built nothing yet (no
		// loaders, no auth); answerRefusal the innermost response
		// middleware, so that the observer and the tracer record a
		// refusal like any other answer.
		srv.AroundResponses(answerRefusal(presentError))
		srv.AroundOperations(admit(o.Admission, o.RequestTimeout))
	}
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		oc := graphql.GetOperationContext(ctx)
		operationFieldMiddleware(ctx, oc)
		member, err := auth.ParseBearer(authorization(ctx, oc), o.Now())
		ctx = auth.NewContext(ctx, member, err)
		if oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
			if err != nil {
				return next(loaders.NewContext(ctx, nil, err)) // the field answers UNAUTHENTICATED, nothing upstream
			}
			// Built only if the field runs: a subscription that joins an
			// identical one's execution never loads anything itself.
			return o.Subscriptions.admit(loaders.NewLazyContext(ctx, func() *loaders.Loaders { return operationLoaders(ctx, o, member, oc) }), member, next)
		}
		var l *loaders.Loaders
		if err == nil {
			l = operationLoaders(ctx, o, member, oc)
			ctx = graph.TrackPostLookups(ctx, oc, schema.Schema(), l)
		}
		ctx = loaders.NewContext(ctx, l, err)
		if _, bounded := ctx.Deadline(); !bounded && o.RequestTimeout > 0 {
			// A query or mutation over a WebSocket or SSE: its connection
			// has no deadline, the operation still gets REQUEST_TIMEOUT.
			ctx, cancel := context.WithTimeout(ctx, o.RequestTimeout)
			h := next(ctx)
			return func(rctx context.Context) *graphql.Response {
				resp := h(rctx)
				if resp == nil {
					cancel()
				}
				return resp
			}
		}
		return next(ctx)
	})
	return servedBy(transports, srv)
}

// operationFieldMiddleware installs the field middleware of one operation
// (gqlgen copies the server's into each operation's context): the count of
// its answer against its memory account, and for a subscription the start
// of each event's clock. Both are per operation rather than server-wide
// interceptors because they run for every field of every answer, and what
// they need (the account, the kind of operation) is known once here.
func operationFieldMiddleware(ctx context.Context, oc *graphql.OperationContext) {
	kind := ast.Query
	if oc.Operation != nil {
		kind = oc.Operation.Operation
	}
	mw := oc.ResolverMiddleware
	if kind == ast.Subscription {
		mw = armEventDeadline(mw)
	}
	oc.ResolverMiddleware = memcap.CountFields(memcap.FromContext(ctx), kind == ast.Mutation, mw)
}

// servedBy refuses a request none of transports takes (BAD_REQUEST through
// the error table) instead of letting gqlgen answer it with a bare
// "transport not supported".
func servedBy(transports []graphql.Transport, srv http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, t := range transports {
			if t.Supports(r) {
				srv.ServeHTTP(w, r)
				return
			}
		}
		writeRefusal(w, r, &RequestError{Status: http.StatusBadRequest, Malformed: true, Message: "transport not supported"})
	})
}

// operationLoaders are the loaders of one operation, or of one event of a
// subscription, of member.
func operationLoaders(ctx context.Context, o Options, member auth.Member, oc *graphql.OperationContext) *loaders.Loaders {
	cfg := o.Loaders
	if cfg.OnBatch == nil {
		cfg.OnBatch = o.Observer.Batch
	}
	if cfg.OnPostWaitExpired == nil {
		cfg.OnPostWaitExpired = func() {
			o.Log.ErrorContext(ctx, "post batch sent by its safety net: a post lookup was miscounted", "request_id", RequestID(ctx), "operation", oc.OperationName)
		}
	}
	return loaders.New(o.Client.Member(member.Token).WithMemberID(member.MemberID).WithExpiry(member.ExpiresAt), cfg)
}

// noStore marks every answer of /graphql Cache-Control: no-store. Each is
// one member's data, never to be served to another (docs/contract.md §3),
// so no cache between the gateway and the client (a CDN, a proxy, the
// browser's own) may keep it, whatever that cache makes of the
// Authorization header. A handler may still say otherwise (SSE's
// no-cache).
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// withCORS applies the CORS policy of docs/contract.md §1 through rs/cors.
func withCORS(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		// rs/cors reads an empty list as "allow all"; no origins configured
		// means no cross-origin access, so no CORS handling at all.
		return next
	}
	return cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost},
		// Beyond the contract's three and X-Request-Id: the W3C trace
		// context the tracer continues (package tracing), which browser
		// tracing sends to backends that accept it, and Apollo Client's
		// name and version, which it sends on every request once
		// configured. Not baggage, which the tracer neither reads nor
		// passes on to Circle. A preflight naming any other header is
		// refused, and with it the request.
		AllowedHeaders: []string{"Authorization", "Content-Type", "X-Service-Key", "X-Request-Id",
			"Traceparent", "Tracestate", "Apollographql-Client-Name", "Apollographql-Client-Version"},
		ExposedHeaders: []string{"X-Request-Id"},
		MaxAge:         600,
	}).Handler(next)
}

// playgroundHandler serves GraphiQL pointed at /graphql; with introspection
// off, the page reads the schema from /schema.json instead. In sandbox mode
// every page load gets its own fresh demo token.
func playgroundHandler(o Options) (http.Handler, error) {
	const title, endpoint = "Circle GraphQL gateway", "/graphql"
	render := func(opts ...playground.GraphiqlConfigOption) (string, error) {
		var page pageBuffer
		req, err := http.NewRequest(http.MethodGet, "/", nil)
		if err != nil {
			return "", err
		}
		playground.Handler(title, endpoint, opts...).ServeHTTP(&page, req)
		if o.Introspection {
			return page.body.String(), nil
		}
		return schemaFromFile(page.body.String())
	}
	serve := func(w http.ResponseWriter, page string) {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		_, _ = io.WriteString(w, page)
	}
	if o.PlaygroundHeaders == nil {
		page, err := render()
		if err != nil {
			return nil, err
		}
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { serve(w, page) }), nil
	}
	// Sandbox mode: every page load gets a fresh demo token. The page is
	// checked once here, so a failing rewrite stops the start, not a load.
	if _, err := render(); err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		page, err := render(playground.WithGraphiqlUiHeaders(o.PlaygroundHeaders()))
		if err != nil {
			http.Error(w, "playground unavailable", http.StatusInternalServerError)
			return
		}
		serve(w, page)
	}), nil
}

// pageBuffer is the http.ResponseWriter a page is rendered into: gqlgen's
// Playground is a handler, and its page is what it writes.
type pageBuffer struct {
	header http.Header
	body   strings.Builder
}

func (p *pageBuffer) Header() http.Header {
	if p.header == nil {
		p.header = http.Header{}
	}
	return p.header
}

func (p *pageBuffer) Write(b []byte) (int, error) { return p.body.Write(b) }

func (p *pageBuffer) WriteHeader(int) {}

// schemaSDL renders the served schema (built-in types left out) for codegen.
func schemaSDL(schema graphql.ExecutableSchema) []byte {
	var b strings.Builder
	formatter.NewFormatter(&b, formatter.WithComments()).FormatSchema(schema.Schema())
	return []byte(b.String())
}

type requestIDKey struct{}

// RequestID returns the id of the request in ctx ("" outside one).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// withRequestContext gives every request an id (X-Request-Id when the
// caller sent a sane one), echoes it in the response, and bounds the
// request's lifetime (REQUEST_TIMEOUT), which also ends when the client
// goes away.
func withRequestContext(o Options, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		// A subscription stream lives as long as its client wants; its
		// operations get their deadline one by one instead.
		if o.RequestTimeout > 0 && !isWebSocketUpgrade(r) && !isEventStream(r) {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, o.RequestTimeout)
			defer cancel()
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// validRequestID accepts short ids of safe characters only, so a caller
// cannot inject into logs or headers.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
