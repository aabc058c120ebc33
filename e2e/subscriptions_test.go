package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/circle-gateway/gateway/internal/gqlws"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/internal/testjwt"
	"github.com/circle-gateway/gateway/transport"
)

const countSubscription = `subscription { newNotificationsCountChanged }`

func wsURL(env *testenv.Env) string { return "ws" + strings.TrimPrefix(env.URL, "http") + "/graphql" }

// bounded is a context that only stops a broken test from hanging.
func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dialWS(t *testing.T, env *testenv.Env, token string) *gqlws.Client {
	t.Helper()
	c, _, err := gqlws.Dial(bounded(t), wsURL(env), gqlws.Options{Init: map[string]any{"Authorization": "Bearer " + token}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

// cableCalls counts the upgrades to Circle's cable the upstream received.
func cableCalls(env *testenv.Env) int {
	n := 0
	for _, c := range env.Upstream.Calls() {
		if c.Path == "/cable" {
			n++
		}
	}
	return n
}

// waitUntil waits for cond; the bound only stops a broken test.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// The token of a WebSocket is checked at connection_init, before anything
// goes upstream: none, malformed or expired closes the socket with 4401.
// It may come in the payload or in the upgrade request's header.
func TestWebSocketTokenCheckedAtInit(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	expired := testjwt.Sign(t, jwt.SigningMethodHS256, []byte("k"), jwt.MapClaims{"community_member_id": 101, "exp": time.Now().Add(-time.Minute).Unix()}, nil)
	for name, init := range map[string]map[string]any{
		"no payload":    nil,
		"no token":      {},
		"not a bearer":  {"Authorization": "Basic abc"},
		"not a JWT":     {"Authorization": "Bearer not-a-jwt"},
		"expired token": {"Authorization": "Bearer " + expired},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := gqlws.Dial(bounded(t), wsURL(env), gqlws.Options{Init: init})
			if gqlws.CloseStatus(err) != 4401 || !strings.HasPrefix(gqlws.CloseReason(err), "UNAUTHENTICATED") {
				t.Fatalf("got %v (close %d), want 4401 UNAUTHENTICATED", err, gqlws.CloseStatus(err))
			}
		})
	}
	if n := len(env.Upstream.Calls()); n != 0 {
		t.Errorf("%d upstream calls for refused connections", n)
	}

	// The upgrade request's header works too (clients that can set one).
	c, _, err := gqlws.Dial(bounded(t), wsURL(env), gqlws.Options{Header: http.Header{"Authorization": {"Bearer " + env.DemoToken(t)}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.Subscribe(bounded(t), "1", `{ me { name } }`, nil); err != nil {
		t.Fatal(err)
	}
	m, err := c.Next(bounded(t))
	if err != nil || m.Type != "next" || !strings.Contains(string(m.Payload), `"name"`) {
		t.Fatalf("query over the socket: %v %s %s", err, m.Type, m.Payload)
	}
	if m, err := c.Next(bounded(t)); err != nil || m.Type != "complete" {
		t.Fatalf("after the query: %v %+v", err, m)
	}
}

// The socket is refused before the upgrade for a browser page whose origin
// CORS would refuse, and for a client that does not offer
// graphql-transport-ws.
func TestWebSocketOriginAndSubprotocol(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{Transport: transport.Options{CORSAllowedOrigins: []string{"https://app.example.com"}}})
	token := env.DemoToken(t)
	for name, tc := range map[string]struct {
		origin string
		want   int
	}{
		"foreign page":  {"https://evil.example", http.StatusForbidden},
		"allowed page":  {"https://app.example.com", http.StatusSwitchingProtocols},
		"no origin":     {"", http.StatusSwitchingProtocols},
		"its own page":  {env.URL, http.StatusSwitchingProtocols},
		"invalid value": {"null", http.StatusForbidden},
	} {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			c, resp, err := gqlws.Dial(bounded(t), wsURL(env), gqlws.Options{Header: h, Init: map[string]any{"Authorization": "Bearer " + token}})
			if c != nil {
				_ = c.CloseNow()
			}
			if resp == nil || resp.StatusCode != tc.want {
				t.Fatalf("origin %q: response %v, err %v; want %d", tc.origin, resp, err, tc.want)
			}
		})
	}

	resp, err := http.DefaultClient.Do(upgradeRequest("", "graphql-ws")(env))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("legacy subprotocol only: %d, want 400", resp.StatusCode)
	}
}

// All subscriptions of one token share one upstream cable connection,
// whatever the sockets they come from; each token has its own; the
// connection closes with the last subscription.
func TestOneCableConnectionPerToken(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	ids := env.Sandbox.MemberIDs()
	a, b := env.Token(t, ids[0]), env.Token(t, ids[1])
	sockets := []*gqlws.Client{dialWS(t, env, a), dialWS(t, env, a), dialWS(t, env, b)}
	for i, c := range sockets {
		for j := range 3 {
			if err := c.Subscribe(bounded(t), string(rune('a'+j)), countSubscription, nil); err != nil {
				t.Fatal(i, err)
			}
		}
	}
	waitUntil(t, "9 subscriptions", func() bool { return env.Subscriptions.Active() == 9 })
	waitUntil(t, "2 cable connections", func() bool { open, _ := env.Sandbox.CableConnections(); return open == 2 })
	if _, total := env.Sandbox.CableConnections(); total != 2 || cableCalls(env) != 2 || env.Bridge.Members() != 2 {
		t.Errorf("cable connections made %d, upgrades %d, bridge members %d; want 2 each", total, cableCalls(env), env.Bridge.Members())
	}

	for _, c := range sockets {
		_ = c.Close()
	}
	waitUntil(t, "no subscription", func() bool { return env.Subscriptions.Active() == 0 })
	waitUntil(t, "no cable connection", func() bool { open, _ := env.Sandbox.CableConnections(); return open == 0 })
	if env.Bridge.Members() != 0 {
		t.Errorf("bridge keeps %d members", env.Bridge.Members())
	}
}

// Over the limits a subscription is refused with SUBSCRIPTION_LIMIT_EXCEEDED
// and nothing else changes: the others keep running, and a freed place
// admits the next one.
func TestSubscriptionLimits(t *testing.T) {
	t.Parallel()
	subs := transport.NewSubscriptions(transport.SubscriptionOptions{MaxPerConnection: 2, MaxSubscribers: 3})
	env := testenv.New(t, testenv.Options{Transport: transport.Options{Subscriptions: subs}})
	token := env.DemoToken(t)
	one := dialWS(t, env, token)
	for _, id := range []string{"1", "2"} {
		if err := one.Subscribe(bounded(t), id, countSubscription, nil); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "2 running", func() bool { return subs.Active() == 2 })
	refused := func(c *gqlws.Client, id, limit string) {
		t.Helper()
		if err := c.Subscribe(bounded(t), id, countSubscription, nil); err != nil {
			t.Fatal(err)
		}
		m, err := c.Next(bounded(t))
		if err != nil || m.Type != "next" || m.ID != id {
			t.Fatalf("refusal: %v %+v", err, m)
		}
		r, _ := m.Decode()
		if codes := r.Codes(); len(codes) != 1 || codes[0] != "SUBSCRIPTION_LIMIT_EXCEEDED" || !strings.Contains(r.Errors[0].Message, limit) {
			t.Fatalf("refusal %s", m.Payload)
		}
		if m, err := c.Next(bounded(t)); err != nil || m.Type != "complete" || m.ID != id {
			t.Fatalf("after the refusal: %v %+v", err, m)
		}
	}
	refused(one, "3", "MAX_SUBSCRIPTIONS_PER_CONNECTION")

	two := dialWS(t, env, token)
	if err := two.Subscribe(bounded(t), "1", countSubscription, nil); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "3 running", func() bool { return subs.Active() == 3 })
	refused(two, "2", "MAX_SUBSCRIBERS")
	if subs.Active() != 3 {
		t.Fatalf("%d running after refusals, want 3", subs.Active())
	}

	// Ending one frees its place.
	if err := one.Complete(bounded(t), "1"); err != nil {
		t.Fatal(err)
	}
	if m, err := one.Next(bounded(t)); err != nil || m.Type != "complete" || m.ID != "1" {
		t.Fatalf("complete: %v %+v", err, m)
	}
	waitUntil(t, "2 running", func() bool { return subs.Active() == 2 })
	if err := two.Subscribe(bounded(t), "3", countSubscription, nil); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "3 running again", func() bool { return subs.Active() == 3 })
	if open, _ := env.Sandbox.CableConnections(); open != 1 {
		t.Errorf("%d cable connections for one token, want 1", open)
	}
}

// sseStream is a graphql-sse subscription in distinct-connections mode.
type sseStream struct {
	resp     *http.Response
	events   chan sseEvent
	comments chan string
}

type sseEvent struct{ name, data string }

func openSSE(t *testing.T, env *testenv.Env, token, query string) *sseStream {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequestWithContext(bounded(t), http.MethodPost, env.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("SSE answered %d %s", resp.StatusCode, ct)
	}
	s := &sseStream{resp: resp, events: make(chan sseEvent, 16), comments: make(chan string, 16)}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			case strings.HasPrefix(line, ": "): // keep-alive comments (the opening ":" is not one)
				select {
				case s.comments <- line:
				default:
				}
			}
		}
	}()
	return s
}

func (s *sseStream) next(t *testing.T) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatal("stream ended")
		}
		return ev
	case <-time.After(30 * time.Second):
		t.Fatal("no event")
	}
	return sseEvent{}
}

func (s *sseStream) ended(t *testing.T) {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if ok {
			t.Fatalf("event %+v after complete", ev)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("stream did not end")
	}
}

// A token that expires while its subscriptions run ends them: the socket
// closes with 4401, an SSE stream sends UNAUTHENTICATED and completes.
func TestTokenExpiryEndsSubscriptions(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	env := testenv.New(t, testenv.Options{Transport: transport.Options{Now: clock}})
	token := env.DemoToken(t) // valid an hour
	ws := dialWS(t, env, token)
	if err := ws.Subscribe(bounded(t), "1", countSubscription, nil); err != nil {
		t.Fatal(err)
	}
	sse := openSSE(t, env, token, countSubscription)
	waitUntil(t, "2 running", func() bool { return env.Subscriptions.Active() == 2 })

	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()

	_, err := ws.Next(bounded(t))
	if gqlws.CloseStatus(err) != 4401 || !strings.HasPrefix(gqlws.CloseReason(err), "UNAUTHENTICATED") {
		t.Fatalf("socket: %v (close %d), want 4401 UNAUTHENTICATED", err, gqlws.CloseStatus(err))
	}
	ev := sse.next(t)
	var r gqlws.Response
	if ev.name != "next" || json.Unmarshal([]byte(ev.data), &r) != nil || len(r.Codes()) != 1 || r.Codes()[0] != "UNAUTHENTICATED" {
		t.Fatalf("SSE got %+v, want an UNAUTHENTICATED error", ev)
	}
	if ev := sse.next(t); ev.name != "complete" {
		t.Fatalf("SSE got %+v, want complete", ev)
	}
	sse.ended(t)
	waitUntil(t, "nothing running", func() bool { return env.Subscriptions.Active() == 0 })
}

// On shutdown every subscription gets its complete, sockets close with
// 1001, SSE streams end, and new sockets are refused.
func TestShutdownCompletesSubscriptions(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	token := env.DemoToken(t)
	ws := dialWS(t, env, token)
	for _, id := range []string{"1", "2"} {
		if err := ws.Subscribe(bounded(t), id, countSubscription, nil); err != nil {
			t.Fatal(err)
		}
	}
	sse := openSSE(t, env, token, countSubscription)
	waitUntil(t, "3 running", func() bool { return env.Subscriptions.Active() == 3 })

	done := make(chan error, 1)
	go func() { done <- env.Subscriptions.Shutdown(bounded(t)) }()
	completed := map[string]bool{}
	for len(completed) < 2 {
		m, err := ws.Next(bounded(t))
		if err != nil || m.Type != "complete" {
			t.Fatalf("socket: %v %+v, want complete", err, m)
		}
		completed[m.ID] = true
	}
	if _, err := ws.Next(bounded(t)); gqlws.CloseStatus(err) != 1001 {
		t.Fatalf("socket closed with %v, want 1001", err)
	}
	if ev := sse.next(t); ev.name != "complete" {
		t.Fatalf("SSE got %+v, want complete", ev)
	}
	sse.ended(t)
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if _, resp, err := gqlws.Dial(bounded(t), wsURL(env), gqlws.Options{Init: map[string]any{"Authorization": "Bearer " + token}}); resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("socket after shutdown: %v %v", resp, err)
	}
}

// A subscription stream outlives REQUEST_TIMEOUT, which bounds requests:
// the keep-alive pings that arrive, each later than the timeout, show the
// stream still open.
func TestStreamsOutliveRequestTimeout(t *testing.T) {
	t.Parallel()
	// gqlgen drops a socket whose pong is later than twice the keep-alive:
	// a second leaves a loaded machine's test client time to answer (at
	// 200 ms a busy CI run missed it), and is still 20 × the timeout.
	subs := transport.NewSubscriptions(transport.SubscriptionOptions{KeepAlive: time.Second})
	env := testenv.New(t, testenv.Options{Transport: transport.Options{Subscriptions: subs, RequestTimeout: 50 * time.Millisecond}})
	token := env.DemoToken(t)
	pings := make(chan struct{}, 16)
	ws, _, err := gqlws.Dial(bounded(t), wsURL(env), gqlws.Options{
		Init:   map[string]any{"Authorization": "Bearer " + token},
		OnPing: func() { pings <- struct{}{} },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if err := ws.Subscribe(bounded(t), "1", countSubscription, nil); err != nil {
		t.Fatal(err)
	}
	messages := make(chan gqlws.Message, 16)
	go func() {
		for {
			m, err := ws.Next(context.Background())
			if err != nil {
				close(messages)
				return
			}
			messages <- m
		}
	}()
	sse := openSSE(t, env, token, countSubscription)
	for range 3 {
		select {
		case <-pings:
		case m, ok := <-messages:
			t.Fatalf("socket: %+v (open %v) before its pings", m, ok)
		case <-time.After(30 * time.Second):
			t.Fatal("no ping")
		}
	}
	for range 3 {
		select {
		case c := <-sse.comments:
			if c != ": ping" {
				t.Fatalf("SSE comment %q", c)
			}
		case ev, ok := <-sse.events:
			t.Fatalf("SSE: %+v (open %v) before its pings", ev, ok)
		case <-time.After(30 * time.Second):
			t.Fatal("no SSE ping")
		}
	}
	// Still working: a query over the same socket is answered (in time
	// or not: its own REQUEST_TIMEOUT is short).
	if err := ws.Subscribe(bounded(t), "q", `{ me { name } }`, nil); err != nil {
		t.Fatal(err)
	}
	if m := <-messages; m.ID != "q" || m.Type != "next" {
		t.Fatalf("query after the pings: %+v", m)
	}
}

// upgradeRequest is a WebSocket upgrade to /graphql offering subprotocol.
func upgradeRequest(origin, subprotocol string) func(env *testenv.Env) *http.Request {
	return func(env *testenv.Env) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, env.URL+"/graphql", nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		req.Header.Set("Sec-WebSocket-Protocol", subprotocol)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		return req
	}
}

// streamedCodes produces the error codes that only subscriptions give, over
// SSE, and returns them (for TestEveryErrorCodeHasAPath).
func streamedCodes(t *testing.T) []string {
	t.Helper()
	firstError := func(t *testing.T, s *sseStream) string {
		t.Helper()
		ev := s.next(t)
		var r gqlws.Response
		if ev.name != "next" || json.Unmarshal([]byte(ev.data), &r) != nil || len(r.Errors) == 0 {
			t.Fatalf("got %+v, want an error", ev)
		}
		return r.Codes()[0]
	}
	var codes []string
	t.Run(transport.CodeSubscriptionLimitExceeded+"/MAX_SUBSCRIBERS reached", func(t *testing.T) {
		subs := transport.NewSubscriptions(transport.SubscriptionOptions{MaxSubscribers: 1})
		env := testenv.New(t, testenv.Options{Transport: transport.Options{Subscriptions: subs}})
		openSSE(t, env, env.DemoToken(t), countSubscription)
		waitUntil(t, "one running", func() bool { return subs.Active() == 1 })
		if code := firstError(t, openSSE(t, env, env.DemoToken(t), countSubscription)); code != transport.CodeSubscriptionLimitExceeded {
			t.Fatalf("code %s", code)
		}
	})
	codes = append(codes, transport.CodeSubscriptionLimitExceeded)
	t.Run(transport.CodeShuttingDown+"/a subscription during the drain", func(t *testing.T) {
		env := testenv.New(t, testenv.Options{})
		if err := env.Subscriptions.Shutdown(bounded(t)); err != nil {
			t.Fatal(err)
		}
		if code := firstError(t, openSSE(t, env, env.DemoToken(t), countSubscription)); code != transport.CodeShuttingDown {
			t.Fatalf("code %s", code)
		}
	})
	codes = append(codes, transport.CodeShuttingDown)
	return codes
}
