package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/transport"
)

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// /metrics exposes operations by name and outcome, latency, upstream calls
// by endpoint template and status, loader batch sizes and retries — and no
// token or concrete id anywhere.
func TestMetrics(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	mustNoErrors(t, env.Do(t, tok, `query Feed { homeFeed(first: 3) { nodes { title comments(first: 1) { totalCount } } } }`, nil))
	feed, err := truth(t, env, tok).Home(context.Background(), circle.ListParams{Page: 1, PerPage: 1})
	if err != nil || len(feed.Records) == 0 {
		t.Fatal(feed, err)
	}
	p := feed.Records[0]
	mustNoErrors(t, env.Do(t, tok, `query OnePost($s: ID!, $id: ID!) { post(spaceId: $s, id: $id) { title } }`, map[string]any{"s": fmt.Sprint(p.Space.ID), "id": fmt.Sprint(p.ID)}))
	env.Do(t, "", `query Anonymous { me { id } }`, nil)
	status, body := getBody(t, env.URL+"/metrics")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	for _, want := range []string{
		`gateway_graphql_operations_total{operation="Feed",outcome="ok",type="query"} 1`,
		`gateway_graphql_operations_total{operation="Anonymous",outcome="error",type="query"} 1`,
		`gateway_graphql_errors_total{code="UNAUTHENTICATED"} 1`,
		`gateway_graphql_operation_duration_seconds_bucket{operation="Feed",type="query"`,
		`gateway_upstream_calls_total{endpoint="/home",method="GET",status="200"} 1`,
		`gateway_upstream_calls_total{endpoint="/posts/{post_id}/comments",method="GET",status="200"} 3`,
		`gateway_upstream_call_duration_seconds_bucket{endpoint="/home",method="GET"`,
		`gateway_loader_batch_size_count{loader="PostsBySpaceAndID"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, tok) || strings.Contains(body, "eyJ") || strings.Contains(body, "/posts/100") {
		t.Error("metrics contain a token or a concrete path")
	}
}

// One log line per operation with name, duration, upstream calls, error
// codes and request id — never a token.
func TestOperationLogLine(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	env.DoWith(t, http.Header{"Authorization": {"Bearer " + tok}, "X-Request-Id": {"log-test-1"}}, `query FeedLog { homeFeed(first: 2) { nodes { comments(first: 1) { totalCount } } } }`, nil)
	env.DoWith(t, http.Header{"Authorization": {"Bearer garbage"}, "X-Request-Id": {"log-test-2"}}, `query Bad { me { id } }`, nil)
	logs := env.Logs.String()
	var feed, bad string
	for _, line := range strings.Split(logs, "\n") {
		switch {
		case strings.Contains(line, "request_id=log-test-1"):
			feed = line
		case strings.Contains(line, "request_id=log-test-2"):
			bad = line
		}
	}
	for _, want := range []string{"msg=graphql", "operation=FeedLog", "upstream_calls=3", "duration=", "error_codes=[]"} {
		if !strings.Contains(feed, want) {
			t.Errorf("log line %q lacks %s", feed, want)
		}
	}
	if !strings.Contains(bad, "error_codes=[UNAUTHENTICATED]") || !strings.Contains(bad, "upstream_calls=0") {
		t.Errorf("log line %q", bad)
	}
	if strings.Contains(logs, tok) || strings.Contains(logs, "garbage") {
		t.Error("a token reached the logs")
	}
	if strings.Count(logs, "request_id=log-test-1") != 1 {
		t.Errorf("want exactly one line for the operation:\n%s", logs)
	}
}

// /readyz is ready while Circle answers and not when it cannot be reached.
func TestReadiness(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	if status, _ := getBody(t, env.URL+"/readyz"); status != 200 {
		t.Fatalf("readyz with a live upstream: %d", status)
	}
	if status, _ := getBody(t, env.URL+"/healthz"); status != 200 {
		t.Fatalf("healthz: %d", status)
	}

	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	down := testenv.New(t, testenv.Options{UpstreamURL: dead.URL})
	if status, body := getBody(t, down.URL+"/readyz"); status != 503 {
		t.Fatalf("readyz with a dead upstream: %d %s", status, body)
	}
	if status, _ := getBody(t, down.URL+"/healthz"); status != 200 {
		t.Fatalf("healthz must not depend on the upstream: %d", status)
	}
}

// INTROSPECTION=false: no __schema, no "did you mean"; the SDL stays at
// /schema.graphql for Playground and codegen.
func TestIntrospectionDisabled(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{DisableIntrospection: true})
	tok := env.DemoToken(t)
	r := env.Do(t, tok, `{ __schema { types { name } } }`, nil)
	if len(r.Errors) == 0 {
		t.Fatalf("introspection answered: %.200s", r.Data)
	}
	// Every rule that can name a schema element refuses without naming one.
	for _, q := range []string{
		`{ homeFed { nodes { id } } }`,                                                 // field
		`{ homeFeed(frist: 2) { nodes { id } } }`,                                      // argument
		`{ homeFeed(sort: LATES) { nodes { id } } }`,                                   // enum value
		`{ homeFeed { nodes { ...F } } } fragment F on Pots { id }`,                    // type
		`{ homeFeed { nodes { id @skip(iff: true) } } }`,                               // directive argument
		`mutation { createPost(input: { titel: "x", spaceId: "1" }) { post { id } } }`, // input field
	} {
		r = env.Do(t, tok, q, nil)
		if len(r.Errors) == 0 {
			t.Fatalf("%s: no error", q)
		}
		for _, e := range r.Errors {
			if strings.Contains(strings.ToLower(e.Message), "did you mean") {
				t.Errorf("%s: %q", q, e.Message)
			}
		}
	}
	if status, body := getBody(t, env.URL+"/schema.graphql"); status != 200 || !strings.Contains(body, "homeFeed") {
		t.Fatalf("/schema.graphql: %d", status)
	}
	// The same schema as introspection JSON, which the Playground page
	// reads instead of asking /graphql.
	if status, body := getBody(t, env.URL+"/schema.json"); status != 200 || !strings.Contains(body, `"__schema"`) || !strings.Contains(body, `"homeFeed"`) {
		t.Fatalf("/schema.json: %d %.200s", status, body)
	}
	if _, page := getBody(t, env.URL+"/"); !strings.Contains(page, "fetch('/schema.json')") {
		t.Fatal("the Playground page does not read /schema.json")
	}
	on := testenv.New(t, testenv.Options{})
	r = on.Do(t, tok, `{ homeFed { nodes { id } } }`, nil)
	if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "Did you mean") {
		t.Fatalf("with introspection on, suggestions are expected: %+v", r.Errors)
	}
}

// CORS from the settings: preflights from allowed origins pass with the
// headers clients need (the contract's, the trace context, Apollo Client's
// name and version); foreign origins, and headers beyond those, get no
// CORS headers.
func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	const contract = "authorization, content-type, x-service-key"
	const clients = contract + ", traceparent, tracestate, apollographql-client-name, apollographql-client-version"
	tests := []struct {
		name    string
		allowed []string
		origin  string
		headers string
		ok      bool
	}{
		{"sandbox default allows any", []string{"*"}, "http://localhost:5173", contract, true},
		{"allowed origin", []string{"https://app.example.com"}, "https://app.example.com", contract, true},
		{"browser tracing and Apollo Client's name", []string{"https://app.example.com"}, "https://app.example.com", clients, true},
		{"a header no client of the gateway needs", []string{"https://app.example.com"}, "https://app.example.com", contract + ", x-evil", false},
		{"baggage, which the gateway does not read", []string{"https://app.example.com"}, "https://app.example.com", contract + ", baggage", false},
		{"foreign origin", []string{"https://app.example.com"}, "https://evil.example", contract, false},
		{"no origins configured", []string{}, "https://app.example.com", contract, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := testenv.New(t, testenv.Options{Transport: transport.Options{CORSAllowedOrigins: tt.allowed}})
			req, _ := http.NewRequest(http.MethodOptions, env.URL+"/graphql", nil)
			req.Header.Set("Origin", tt.origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			names := strings.Split(tt.headers, ", ")
			slices.Sort(names) // as browsers send them (Fetch: sorted, lower case)
			req.Header.Set("Access-Control-Request-Headers", strings.Join(names, ","))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			allowOrigin := resp.Header.Get("Access-Control-Allow-Origin")
			allowHeaders := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
			if tt.ok {
				if allowOrigin != tt.origin && allowOrigin != "*" {
					t.Fatalf("Allow-Origin %q", allowOrigin)
				}
				for _, h := range strings.Split(tt.headers, ", ") {
					if !strings.Contains(allowHeaders, h) {
						t.Errorf("Allow-Headers %q lacks %s", allowHeaders, h)
					}
				}
			} else if allowOrigin != "" {
				t.Fatalf("refused preflight got Allow-Origin %q", allowOrigin)
			}
			if len(env.Upstream.Calls()) != 0 {
				t.Fatal("a preflight reached Circle")
			}
		})
	}
}

// Retries show in the metrics, by endpoint template.
func TestRetryMetrics(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	var failed atomic.Bool
	env.Upstream.SetFault(func(r *http.Request) (int, string, bool) {
		if strings.HasSuffix(r.URL.Path, "/spaces") && failed.CompareAndSwap(false, true) {
			return http.StatusBadGateway, `{}`, true
		}
		return 0, "", false
	})
	mustNoErrors(t, env.Do(t, env.DemoToken(t), `{ spaces { id } }`, nil))
	_, body := getBody(t, env.URL+"/metrics")
	for _, want := range []string{
		`gateway_upstream_retries_total{endpoint="/spaces",method="GET"} 1`,
		`gateway_upstream_calls_total{endpoint="/spaces",method="GET",status="502"} 1`,
		`gateway_upstream_calls_total{endpoint="/spaces",method="GET",status="200"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// metricValue is the value of an unlabelled gauge or counter on the
// gateway's /metrics, as a whole number (0 when it is not there).
func metricValue(t *testing.T, env *testenv.Env, name string) int {
	t.Helper()
	_, body := getBody(t, env.URL+"/metrics")
	for line := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return int(f)
		}
	}
	return 0
}
