package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/internal/gqlws"
	"github.com/circle-gateway/gateway/internal/hostile"
)

// On SIGTERM the binary ends every subscription with a complete (over a
// WebSocket, then a 1001 close; over SSE, the stream's complete event),
// closes its cable connections and exits 0 — although hijacked sockets are
// invisible to http.Server.Shutdown.
func TestSIGTERMCompletesSubscriptions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway binary")
	}
	g, err := hostile.Start(buildGateway(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Kill)
	logs := g.Logs
	s := struct{ base, token string }{strings.TrimPrefix(g.URL, "http://"), g.LoggedToken()}
	if !strings.Contains(logs.String(), "sample subscription") {
		t.Errorf("the startup log suggests no subscription:\n%s", logs.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	ws, _, err := gqlws.Dial(ctx, "ws://"+s.base+"/graphql", gqlws.Options{Init: map[string]any{"Authorization": "Bearer " + s.token}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	for _, id := range []string{"1", "2"} {
		if err := ws.Subscribe(ctx, id, sampleSubscription, nil); err != nil {
			t.Fatal(err)
		}
	}
	body, _ := json.Marshal(map[string]string{"query": sampleSubscription})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+s.base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sse := bufio.NewReader(resp.Body)
	if line, err := sse.ReadString('\n'); err != nil || line != ":\n" {
		t.Fatalf("SSE stream opened with %q, %v", line, err)
	}
	// All three run once the gauge says so.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(metrics(t, s.base), "gateway_subscriptions_active 3") {
		if time.Now().After(deadline) {
			t.Fatalf("subscriptions never all ran:\n%s", metrics(t, s.base))
		}
		time.Sleep(5 * time.Millisecond)
	}

	if err := g.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	completed := map[string]bool{}
	for len(completed) < 2 {
		m, err := ws.Next(ctx)
		if err != nil || m.Type != "complete" {
			t.Fatalf("after SIGTERM: %v %+v, want complete", err, m)
		}
		completed[m.ID] = true
	}
	if _, err := ws.Next(ctx); gqlws.CloseStatus(err) != 1001 {
		t.Fatalf("socket closed with %v, want 1001 (going away)", err)
	}
	rest, _ := readAll(sse)
	if !strings.Contains(rest, "event: complete") {
		t.Fatalf("SSE stream ended with %q, want its complete event", rest)
	}
	if err := g.Wait(ctx); err != nil {
		t.Fatalf("exit: %v\n%s", err, logs.String())
	}
	if strings.Contains(logs.String(), "did not end in time") || strings.Contains(logs.String(), "did not close in time") {
		t.Errorf("the drain ran out of time:\n%s", logs.String())
	}
}

func metrics(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get("http://" + base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
	return b.String()
}

func readAll(r *bufio.Reader) (string, error) {
	var b strings.Builder
	_, err := r.WriteTo(&b)
	return b.String(), err
}
