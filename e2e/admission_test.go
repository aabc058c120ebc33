package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/admission"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/transport"
)

// With MAX_CONCURRENT_OPERATIONS=2, five operations at once: two execute
// (their calls reach Circle, which holds them), three wait and send
// nothing; once Circle answers, the three run in turn and every operation
// gets its whole answer.
func TestOperationsBeyondTheBoundWaitTheirTurn(t *testing.T) {
	t.Parallel()
	gate := admission.New(2)
	env := testenv.New(t, testenv.Options{Transport: transport.Options{Admission: gate}})
	tok := env.DemoToken(t)
	// Circle accepts the token first: calls of a token it has not accepted
	// yet wait for the first one's answer (hostile traffic, issue 14).
	mustNoErrors(t, env.Do(t, tok, `{ me { id } }`, nil))
	env.Upstream.Reset()
	held := testenv.Unanswered()
	env.Upstream.SetGate(held)

	const ops = 5
	answers := make([]testenv.Response, ops)
	var wg sync.WaitGroup
	for i := range ops {
		// Distinct pages, so that no two share one upstream call.
		wg.Go(func() { answers[i] = env.Do(t, tok, fmt.Sprintf(`{ homeFeed(first: %d) { nodes { id } } }`, i+1), nil) })
	}
	waitUntil(t, "two operations at Circle and three waiting", func() bool {
		return held.Arrived() >= 2 && gate.Stats().Waiting == 3
	})
	if n := held.Arrived(); n != 2 {
		held.Release()
		t.Fatalf("with three operations waiting, %d calls reached Circle, want 2", n)
	}
	held.Release()
	wg.Wait()
	for i, r := range answers {
		mustNoErrors(t, r)
		var d struct {
			HomeFeed struct{ Nodes []struct{ ID string } }
		}
		r.Decode(t, &d)
		if len(d.HomeFeed.Nodes) == 0 {
			t.Fatalf("operation %d: no posts", i)
		}
	}
	if calls := env.Upstream.Calls(); len(calls) != ops {
		t.Fatalf("Circle got %d calls, want one per operation", len(calls))
	}
	if s := gate.Stats(); s.Running != 0 || s.Waiting != 0 || s.Queued != 3 {
		t.Fatalf("gate at the end: %+v, want 3 that waited and none left", s)
	}
}

// heldGate is a gateway with MAX_CONCURRENT_OPERATIONS=1 and a
// REQUEST_TIMEOUT of 300 ms whose only slot the test holds (release gives
// it back): every operation waits, and its wait always runs out.
func heldGate(t *testing.T) (env *testenv.Env, gate *admission.Gate, release func()) {
	t.Helper()
	gate = admission.New(1)
	env = testenv.New(t, testenv.Options{Transport: transport.Options{Admission: gate, RequestTimeout: 300 * time.Millisecond}})
	release, err := gate.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return env, gate, release
}

// An operation that waits half its REQUEST_TIMEOUT without a turn is
// answered HTTP 429, Retry-After 1, RATE_LIMITED with retryAfterSeconds,
// recorded like any other answer (its log line names it and its code), and
// has sent nothing to Circle, a write included (it is safe to repeat). The
// test holds the only slot itself, so the wait always runs out.
func TestOperationWaitingPastItsDeadline(t *testing.T) {
	t.Parallel()
	env, gate, release := heldGate(t)
	f := newMutFixture(t, env)
	env.Upstream.Reset()
	vars := map[string]any{"s": "12", "p": id64(f.unliked.ID)}
	for _, op := range []struct {
		name, doc string
		vars      map[string]any
	}{
		{"query", `query Feed { homeFeed(first: 3) { nodes { id } } }`, nil},
		{"mutation", `mutation Like($s: ID!, $p: ID!) { likePost(spaceId: $s, postId: $p) { post { isLiked } } }`, vars},
	} {
		r := env.Do(t, f.token, op.doc, op.vars)
		if codes := r.Codes(); len(codes) != 1 || codes[0] != transport.CodeRateLimited {
			t.Fatalf("%s: codes %v, want [RATE_LIMITED]: %+v", op.name, codes, r.Errors)
		}
		if got := r.Errors[0].Extensions["retryAfterSeconds"]; got != float64(1) {
			t.Fatalf("%s: retryAfterSeconds %v, want 1", op.name, got)
		}
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "1" {
			t.Fatalf("%s: HTTP %d, Retry-After %q; want 429 and 1", op.name, r.Status, r.Header.Get("Retry-After"))
		}
	}
	for _, want := range []string{"operation=Feed type=query", "operation=Like type=mutation"} {
		line := ""
		for _, l := range strings.Split(env.Logs.String(), "\n") {
			if strings.Contains(l, "msg=graphql") && strings.Contains(l, want) {
				line = l
			}
		}
		if !strings.Contains(line, "error_codes=[RATE_LIMITED]") {
			t.Fatalf("no log line records %s refused: %q", want, line)
		}
	}
	if calls := env.Upstream.Calls(); len(calls) != 0 {
		t.Fatalf("operations that never had a turn sent %d calls: %+v", len(calls), calls)
	}
	release()
	if s := gate.Stats(); s.Running != 0 || s.Waiting != 0 || s.Queued != 2 {
		t.Fatalf("gate at the end: %+v", s)
	}
}

// Over a WebSocket or SSE, whose requests have no deadline, a query waits
// for a turn at most half of REQUEST_TIMEOUT and then gets RATE_LIMITED,
// while a subscription on the same socket is not counted: it runs with
// every slot taken (the test holds the only one).
func TestStreamedOperationsUnderTheBound(t *testing.T) {
	t.Parallel()
	env, gate, release := heldGate(t)
	defer release()
	tok := env.DemoToken(t)

	c := dialWS(t, env, tok)
	if err := c.Subscribe(bounded(t), "s", countSubscription, nil); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the subscription running", func() bool { return env.Subscriptions.Active() == 1 })
	if s := gate.Stats(); s.Waiting != 0 || s.Queued != 0 {
		t.Fatalf("a subscription waited for a slot: %+v", s)
	}
	env.Upstream.Reset()
	if err := c.Subscribe(bounded(t), "q", `{ me { id } }`, nil); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := c.Next(bounded(t))
		if err != nil {
			t.Fatal(err)
		}
		if m.ID != "q" {
			continue
		}
		if m.Type != "next" {
			t.Fatalf("query answered %s %s, want next", m.Type, m.Payload)
		}
		r, err := m.Decode()
		if err != nil {
			t.Fatal(err)
		}
		if codes := r.Codes(); len(codes) != 1 || codes[0] != transport.CodeRateLimited {
			t.Fatalf("codes %v, want [RATE_LIMITED]", codes)
		}
		break
	}
	// A query over SSE (its request has no deadline either) likewise.
	sse := openSSE(t, env, tok, `{ me { id } }`)
	ev := sse.next(t)
	var r struct {
		Errors []struct{ Extensions map[string]any }
	}
	if err := json.Unmarshal([]byte(ev.data), &r); ev.name != "next" || err != nil || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != transport.CodeRateLimited {
		t.Fatalf("SSE query answered %s %s (%v), want a next with RATE_LIMITED", ev.name, ev.data, err)
	}
	for _, call := range env.Upstream.Calls() {
		if call.Path == "/me" {
			t.Fatalf("a query without a turn called Circle: %+v", call)
		}
	}
	if s := gate.Stats(); s.Queued != 2 || s.Waiting != 0 {
		t.Fatalf("gate %+v, want both queries to have waited and left", s)
	}
}
