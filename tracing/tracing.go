// Package tracing sends OpenTelemetry traces of the gateway's work to an
// OTLP/HTTP collector (OTEL_EXPORTER_OTLP_ENDPOINT): one server span per
// GraphQL operation, named and described once the operation is known, and
// one client span per upstream call attempt to Circle under it. The W3C
// trace context (traceparent, tracestate) is read from clients and sent on
// to Circle, so a trace follows a request from the app through the gateway
// into Circle.
//
// It must never put a token, a request or response body, a query document
// or variables into a span: attributes are operation names and types,
// endpoint templates ("/spaces/{id}", never concrete paths), statuses,
// attempt numbers and error codes.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/circle-gateway/gateway/internal/statuswriter"
)

// ServiceName is the service.name of the gateway's spans.
const ServiceName = "circle-gateway"

// instrumentation names the tracer, as OpenTelemetry asks.
const instrumentation = "github.com/circle-gateway/gateway/tracing"

// Attribute keys of the gateway's own (the others follow OpenTelemetry's
// semantic conventions).
const (
	attrComplexity = attribute.Key("gateway.complexity")
	attrErrorCodes = attribute.Key("gateway.error_codes")
	attrRetry      = attribute.Key("gateway.retry")
	attrShared     = attribute.Key("gateway.shared")
)

// Tracer records the gateway's spans. A nil *Tracer records nothing, so
// callers need not check whether tracing is on.
type Tracer struct {
	provider   *sdktrace.TracerProvider
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
}

// New returns a Tracer exporting to the OTLP/HTTP collector at endpoint
// (a base URL such as http://collector:4318, whose /v1/traces receives the
// spans; a URL with a path is used as it is), or nil when endpoint is "".
// Spans are sent in batches; Shutdown sends what is left.
func New(ctx context.Context, endpoint string, log *slog.Logger) (*Tracer, error) {
	if endpoint == "" {
		return nil, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("tracing: OTEL_EXPORTER_OTLP_ENDPOINT %q is not a URL", endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.String()))
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", ServiceName)))
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	log.Info("tracing: OpenTelemetry spans go to the OTLP collector", "endpoint", u.Scheme+"://"+u.Host+u.Path)
	return newTracer(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res)), nil
}

func newTracer(opts ...sdktrace.TracerProviderOption) *Tracer {
	provider := sdktrace.NewTracerProvider(opts...)
	return &Tracer{
		provider: provider,
		tracer:   provider.Tracer(instrumentation),
		// The W3C trace context only: a client's baggage (user ids, emails,
		// whatever its own services put there) is not passed on to Circle,
		// a third party.
		propagator: propagation.TraceContext{},
	}
}

// Shutdown sends the spans not yet exported and stops the exporter.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// Middleware starts the server span of each request to the GraphQL
// endpoint, as a child of the trace context the client sent, and ends it
// with the HTTP status. AroundResponses names and describes it.
func (t *Tracer) Middleware(next http.Handler) http.Handler {
	if t == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		ctx := t.propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := t.tracer.Start(ctx, "graphql", trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
		defer span.End()
		rec := statuswriter.New(w)
		next.ServeHTTP(rec, r.WithContext(ctx))
		span.SetAttributes(attribute.Int("http.response.status_code", rec.Status))
		if rec.Status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(rec.Status))
		}
	})
}

// AroundResponses is the gqlgen response middleware that names the server
// span after the operation ("query HomeFeed") and records its type, its
// estimated cost (the query limits' complexity) and the error codes it
// answered with.
func (t *Tracer) AroundResponses(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	span := trace.SpanFromContext(ctx)
	if t == nil || resp == nil || !span.IsRecording() {
		return resp
	}
	opType, name := "", ""
	if graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		if oc.Operation != nil {
			opType, name = string(oc.Operation.Operation), oc.Operation.Name
		}
		if name == "" {
			name = oc.OperationName
		}
		if c, ok := oc.Stats.GetExtension("complexity").(int); ok {
			span.SetAttributes(attrComplexity.Int(c))
		}
	}
	if opType != "" {
		span.SetAttributes(attribute.String("graphql.operation.type", opType))
		span.SetName(strings.TrimSpace(opType + " " + name))
	}
	if name != "" {
		span.SetAttributes(attribute.String("graphql.operation.name", name))
	}
	var errCodes []string
	for _, e := range resp.Errors {
		c, _ := e.Extensions["code"].(string)
		if c == "" {
			c = "UNKNOWN"
		}
		errCodes = append(errCodes, c)
	}
	if len(errCodes) > 0 {
		slices.Sort(errCodes)
		errCodes = slices.Compact(errCodes)
		span.SetAttributes(attrErrorCodes.StringSlice(errCodes))
		span.SetStatus(codes.Error, strings.Join(errCodes, ","))
	}
	return resp
}

// StartCall begins the client span of one attempt of an upstream call and
// writes the trace context into its headers, so Circle's own trace joins
// the gateway's; the returned func ends it with the answer's status (0:
// none arrived). It implements circle.Tracer.
func (t *Tracer) StartCall(ctx context.Context, method, endpoint string, attempt int, header http.Header) func(status int, err error) {
	if t == nil {
		return func(int, error) {}
	}
	ctx, span := t.tracer.Start(ctx, method+" "+endpoint, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("http.request.method", method), attribute.String("url.template", endpoint), attrRetry.Int(attempt)))
	t.propagator.Inject(ctx, propagation.HeaderCarrier(header))
	return func(status int, err error) {
		if status > 0 {
			span.SetAttributes(attribute.Int("http.response.status_code", status))
		}
		switch {
		case err != nil && status == 0:
			span.SetStatus(codes.Error, "no answer from Circle")
		case status >= 400:
			span.SetStatus(codes.Error, http.StatusText(status))
		}
		span.End()
	}
}

// SharedCall records a GET that sent nothing because it joined an
// identical call of the same member already in flight (coalescing): a
// span of its own, marked shared, so a trace shows where its data came
// from. It implements circle.Tracer.
func (t *Tracer) SharedCall(ctx context.Context, method, endpoint string, err error) {
	if t == nil {
		return
	}
	now := time.Now()
	_, span := t.tracer.Start(ctx, method+" "+endpoint, trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(now),
		trace.WithAttributes(attribute.String("http.request.method", method), attribute.String("url.template", endpoint), attrShared.Bool(true)))
	if err != nil && !errors.Is(err, context.Canceled) {
		span.SetStatus(codes.Error, "the shared call failed")
	}
	span.End(trace.WithTimestamp(now))
}
