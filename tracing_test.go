package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/circle-gateway/gateway/internal/hostile"
	"github.com/circle-gateway/gateway/internal/refqueries"
	"github.com/circle-gateway/gateway/sandbox"
)

// otlpReceiver is a tiny OTLP/HTTP collector: it keeps every span it is sent.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			o.spans = append(o.spans, ss.Spans...)
		}
	}
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	_, _ = w.Write(out)
}

func attrs(s *tracepb.Span) map[string]*commonpb.AnyValue {
	m := map[string]*commonpb.AnyValue{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

// The real binary, with OTEL_EXPORTER_OTLP_ENDPOINT set, sends the span
// tree of a feed + comments query to a collector: the operation's server
// span as a child of the client's traceparent, named and described after
// the operation, and one client span per upstream call under it, each of
// whose trace context reached Circle. No span carries the token.
func TestTracesOfAnOperationReachTheCollector(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway binary")
	}
	bin := buildGateway(t)
	collector := &otlpReceiver{}
	otlp := httptest.NewServer(collector)
	defer otlp.Close()

	sb := sandbox.New(sandbox.Options{})
	var mu sync.Mutex
	upstreamParents := map[string]string{} // traceparent parent id → path
	var upstreamTraces, upstreamBaggage []string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b := r.Header.Get("baggage"); b != "" {
			mu.Lock()
			upstreamBaggage = append(upstreamBaggage, b)
			mu.Unlock()
		}
		if tp := r.Header.Get("traceparent"); tp != "" {
			parts := strings.Split(tp, "-")
			mu.Lock()
			if len(parts) == 4 {
				upstreamTraces = append(upstreamTraces, parts[1])
				upstreamParents[parts[2]] = r.URL.Path
			}
			mu.Unlock()
		}
		sb.Handler().ServeHTTP(w, r)
	}))
	defer upstream.Close()
	tok, err := sb.IssueToken(sb.DemoMemberID())
	if err != nil {
		t.Fatal(err)
	}

	g, err := hostile.Start(bin, "CIRCLE_API_URL="+upstream.URL,
		"CIRCLE_HEADLESS_AUTH_TOKEN="+sb.AppToken(), "OTEL_EXPORTER_OTLP_ENDPOINT="+otlp.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Kill()
	base, logs := g.URL, g.Logs

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	body, _ := json.Marshal(map[string]string{"query": "query FeedWithComments " + refqueries.ByName("feed+comments").Query})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
	// Baggage is the client's business, not Circle's: it goes no further.
	req.Header.Set("baggage", "user.email=ann%40example.com")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || bytes.Contains(answer, []byte(`"errors"`)) {
		t.Fatalf("query: %d %s", resp.StatusCode, answer)
	}
	mu.Lock()
	if len(upstreamBaggage) > 0 {
		t.Errorf("the client's baggage reached Circle: %q", upstreamBaggage)
	}
	mu.Unlock()

	// Stopping the process sends the spans it still holds.
	if err := g.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := g.Wait(t.Context()); err != nil {
		t.Fatalf("exit: %v\n%s", err, logs.String())
	}

	collector.mu.Lock()
	spans := collector.spans
	collector.mu.Unlock()
	var server *tracepb.Span
	var calls []*tracepb.Span
	for _, s := range spans {
		if hex.EncodeToString(s.TraceId) != traceID {
			t.Errorf("span %q in trace %x, want the client's %s", s.Name, s.TraceId, traceID)
		}
		switch s.Kind {
		case tracepb.Span_SPAN_KIND_SERVER:
			if server != nil {
				t.Fatalf("two server spans: %q and %q", server.Name, s.Name)
			}
			server = s
		case tracepb.Span_SPAN_KIND_CLIENT:
			calls = append(calls, s)
		}
		for _, kv := range s.Attributes {
			if v := kv.Value.GetStringValue(); strings.Contains(v, tok.AccessToken) || strings.Contains(v, "Bearer") {
				t.Errorf("span %q attribute %s carries a token", s.Name, kv.Key)
			}
		}
	}
	if server == nil {
		t.Fatalf("no server span among %d spans", len(spans))
	}
	if server.Name != "query FeedWithComments" || hex.EncodeToString(server.ParentSpanId) != parentID {
		t.Fatalf("server span %q with parent %x, want \"query FeedWithComments\" under the client's %s", server.Name, server.ParentSpanId, parentID)
	}
	a := attrs(server)
	if a["graphql.operation.name"].GetStringValue() != "FeedWithComments" || a["graphql.operation.type"].GetStringValue() != "query" ||
		a["gateway.complexity"].GetIntValue() != 21 || a["http.response.status_code"].GetIntValue() != 200 {
		t.Errorf("server span attributes: %v", server.Attributes)
	}
	if _, ok := a["gateway.error_codes"]; ok {
		t.Errorf("error codes on a query without errors: %v", a["gateway.error_codes"])
	}

	byName := map[string]int{}
	for _, c := range calls {
		if !bytes.Equal(c.ParentSpanId, server.SpanId) {
			t.Errorf("upstream span %q is not a child of the operation", c.Name)
		}
		ca := attrs(c)
		if ca["http.response.status_code"].GetIntValue() != 200 || ca["gateway.retry"].GetIntValue() != 0 {
			t.Errorf("upstream span %q attributes: %v", c.Name, c.Attributes)
		}
		mu.Lock()
		_, reached := upstreamParents[hex.EncodeToString(c.SpanId)]
		mu.Unlock()
		if !reached {
			t.Errorf("upstream span %q: Circle never saw its trace context", c.Name)
		}
		byName[c.Name]++
	}
	if len(calls) != 21 || byName["GET /home"] != 1 || byName["GET /posts/{post_id}/comments"] != 20 {
		t.Fatalf("upstream spans %v, want GET /home once and 20 comment lists", byName)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(upstreamTraces) != 21 {
		t.Fatalf("%d upstream calls carried a traceparent, want 21", len(upstreamTraces))
	}
	for _, id := range upstreamTraces {
		if id != traceID {
			t.Errorf("Circle saw trace %s, want %s", id, traceID)
		}
	}
}
