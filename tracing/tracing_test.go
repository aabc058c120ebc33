package tracing

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Without OTEL_EXPORTER_OTLP_ENDPOINT there is no tracer, and a nil one
// records nothing and sends no header.
func TestOffWithoutEndpoint(t *testing.T) {
	t.Parallel()
	tr, err := New(context.Background(), "", slog.Default())
	if err != nil || tr != nil {
		t.Fatalf("New(\"\") = %v, %v; want nil, nil", tr, err)
	}
	h := http.Header{}
	tr.StartCall(context.Background(), "GET", "/home", 0, h)(200, nil)
	tr.SharedCall(context.Background(), "GET", "/home", nil)
	if len(h) != 0 {
		t.Fatalf("headers %v written with tracing off", h)
	}
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	if got := tr.Middleware(next); got == nil {
		t.Fatal("no handler")
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// The server span takes the operation's name, type, cost and error codes;
// an upstream call's span writes its trace context into the request.
func TestOperationSpan(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	tr := newTracer(sdktrace.WithSyncer(exp))
	var headers http.Header
	handler := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		oc := &graphql.OperationContext{Operation: &ast.OperationDefinition{Operation: ast.Query, Name: "Inbox"}}
		oc.Stats.SetExtension("complexity", 3)
		ctx := graphql.WithOperationContext(r.Context(), oc)
		headers = http.Header{}
		tr.StartCall(ctx, "GET", "/notifications", 1, headers)(503, nil)
		tr.AroundResponses(ctx, func(context.Context) *graphql.Response {
			return &graphql.Response{Errors: gqlerror.List{{Message: "down", Extensions: map[string]any{"code": "UPSTREAM_UNAVAILABLE"}}}}
		})
	}))
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", nil))
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want the call and the operation", len(spans))
	}
	call, op := spans[0], spans[1]
	if op.Name != "query Inbox" || call.Name != "GET /notifications" || call.Parent.SpanID() != op.SpanContext.SpanID() {
		t.Fatalf("spans %q under %q", call.Name, op.Name)
	}
	got := map[string]string{}
	for _, kv := range op.Attributes {
		got[string(kv.Key)] = kv.Value.Emit()
	}
	for _, kv := range call.Attributes {
		got["call."+string(kv.Key)] = kv.Value.Emit()
	}
	want := map[string]string{
		"graphql.operation.name": "Inbox", "graphql.operation.type": "query", "gateway.complexity": "3",
		"gateway.error_codes": `["UPSTREAM_UNAVAILABLE"]`, "call.url.template": "/notifications", "call.gateway.retry": "1",
		"call.http.response.status_code": "503",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if headers.Get("traceparent") == "" {
		t.Error("no traceparent sent upstream")
	}
}
