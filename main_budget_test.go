package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/circle-gateway/gateway/internal/hostile"
	"github.com/circle-gateway/gateway/internal/logbuf"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/internal/testjwt"
)

// countingCircle is a Circle double that answers every Member API call
// with a member and counts the calls it received.
type countingCircle struct {
	calls atomic.Int64
	srv   *httptest.Server
}

func newCountingCircle(t *testing.T) *countingCircle {
	c := &countingCircle{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":101,"user_id":5001,"name":"Counted Member","roles":{"admin":false}}`)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// binary is a gateway binary running against an upstream of the test's.
type binary struct {
	base string
	logs *logbuf.Buffer
}

// startBinary runs the built gateway with env (JSON logs, a free port)
// until the test ends.
func startBinary(t *testing.T, env ...string) *binary {
	t.Helper()
	g, err := hostile.Start(buildGateway(t), env...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Kill)
	return &binary{base: g.URL, logs: g.Logs}
}

// gqlAnswer is a decoded GraphQL answer.
type gqlAnswer struct {
	Status int
	Data   json.RawMessage
	Errors []struct {
		Message    string
		Extensions map[string]any
	}
}

func (a gqlAnswer) code() string {
	if len(a.Errors) == 0 {
		return ""
	}
	c, _ := a.Errors[0].Extensions["code"].(string)
	return c
}

func (b *binary) do(t *testing.T, headers map[string]string, query string) gqlAnswer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, b.base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := gqlAnswer{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("answer %d is not GraphQL JSON: %s", resp.StatusCode, raw)
	}
	return a
}

func (b *binary) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(b.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// Two gateway binaries on one Redis draw on one CIRCLE_RATE_LIMIT: however
// their operations interleave, Circle receives exactly the limit in the
// window, and once it is spent both answer RATE_LIMITED with
// retryAfterSeconds.
func TestTwoReplicasShareOneBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway binary")
	}
	redisURL := testenv.Redis(t)
	up := newCountingCircle(t)
	const limit = 40
	env := []string{
		"CIRCLE_API_URL=" + up.srv.URL, "CIRCLE_HEADLESS_AUTH_TOKEN=app-token-for-test", "REDIS_URL=" + redisURL,
		"CIRCLE_RATE_LIMIT=40/1h", "UPSTREAM_COALESCING=false", // every operation its own call
		// A loaded machine must not make the healthy Redis look slow (the
		// local fallback would decide, and the count be the test's luck).
		"REDIS_BUDGET_TIMEOUT=1m",
		// The whole budget for one member's calls, so that the count is
		// of the shared limit alone (the shares have tests of their own).
		"CIRCLE_AUTH_RESERVE=0%", "CIRCLE_MEMBER_SHARE=100%", "CIRCLE_UNPROVEN_SHARE=100%",
	}
	replicas := []*binary{startBinary(t, env...), startBinary(t, env...)}
	token := map[string]string{"Authorization": "Bearer " + testjwt.Member(t, 101)}

	served := make([]int, 2)
	limited := make([]int, 2)
	var mu sync.Mutex
	var wg sync.WaitGroup
	// 60 operations of one call each, 30 through each replica, 4 at a time
	// per replica.
	for r := range replicas {
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < 30; i += 4 {
					a := replicas[r].do(t, token, `{ me { name } }`)
					mu.Lock()
					switch a.code() {
					case "":
						served[r]++
					case "RATE_LIMITED":
						if secs, _ := a.Errors[0].Extensions["retryAfterSeconds"].(float64); secs < 1 {
							t.Errorf("replica %d: RATE_LIMITED without retryAfterSeconds: %+v", r, a.Errors)
						}
						limited[r]++
					default:
						t.Errorf("replica %d: %+v", r, a.Errors)
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	t.Logf("upstream calls %d (limit %d); served %v, RATE_LIMITED %v", up.calls.Load(), limit, served, limited)
	if got := up.calls.Load(); got != limit {
		t.Fatalf("Circle received %d calls from two replicas sharing a limit of %d", got, limit)
	}
	if served[0]+served[1] != limit || limited[0]+limited[1] != 60-limit {
		t.Fatalf("served %v, RATE_LIMITED %v: want %d served in all", served, limited, limit)
	}
	// Once the budget is spent, each replica refuses, whichever served more.
	for r, b := range replicas {
		if a := b.do(t, token, `{ me { name } }`); a.code() != "RATE_LIMITED" {
			t.Fatalf("replica %d after the budget is spent: %+v", r, a.Errors)
		}
	}
	if got := up.calls.Load(); got != limit {
		t.Fatalf("Circle received %d calls after the budget was spent", got)
	}
}

// Redis goes down under a running gateway: it keeps serving on its local
// limiter, says so in the log and in /readyz, and shares again once Redis
// is back.
func TestRedisDownKeepsServing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway binary")
	}
	redisURL, stopRedis := testenv.PrivateRedis(t)
	up := newCountingCircle(t)
	b := startBinary(t, "CIRCLE_API_URL="+up.srv.URL, "CIRCLE_HEADLESS_AUTH_TOKEN=app-token-for-test", "REDIS_URL="+redisURL)
	token := map[string]string{"Authorization": "Bearer " + testjwt.Member(t, 101)}
	if a := b.do(t, token, `{ me { name } }`); a.code() != "" {
		t.Fatalf("with redis: %+v", a.Errors)
	}
	if status, body := b.get(t, "/readyz"); status != 200 || strings.Contains(body, "degraded") {
		t.Fatalf("/readyz with redis: %d %s", status, body)
	}
	stopRedis()
	for i := range 3 {
		if a := b.do(t, token, `{ me { name } }`); a.code() != "" {
			t.Fatalf("operation %d with redis down: %+v", i+1, a.Errors)
		}
	}
	if got := up.calls.Load(); got != 4 {
		t.Fatalf("upstream calls = %d, want 4", got)
	}
	status, body := b.get(t, "/readyz")
	if status != 200 || !strings.Contains(body, "degraded") || !strings.Contains(body, "redis unavailable") {
		t.Fatalf("/readyz with redis down: %d %s", status, body)
	}
	if !strings.Contains(b.logs.String(), "redis does not answer") {
		t.Fatalf("no log line says redis is down:\n%s", b.logs.String())
	}
}
