package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/internal/gqlws"
	"github.com/circle-gateway/gateway/internal/logbuf"
)

// On SIGTERM the binary ends every subscription with a complete (over a
// WebSocket, then a 1001 close; over SSE, the stream's complete event),
// closes its cable connections and exits 0 — although hijacked sockets are
// invisible to http.Server.Shutdown.
func TestSIGTERMCompletesSubscriptions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway binary")
	}
	cmd := exec.Command(buildGateway(t))
	cmd.Env = append(os.Environ(), "PORT=0", "LOG_FORMAT=json")
	stdout, _ := cmd.StdoutPipe()
	var logs logbuf.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	type started struct{ base, token string }
	ready := make(chan started, 1)
	go func() {
		var s started
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			logs.Write(append(sc.Bytes(), '\n'))
			var line struct{ Msg, Addr, Authorization string }
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue
			}
			if line.Authorization != "" {
				s.token = strings.TrimPrefix(line.Authorization, "Bearer ")
			}
			if line.Msg == "gateway listening" {
				_, port, _ := net.SplitHostPort(line.Addr)
				s.base = "127.0.0.1:" + port
				ready <- s
			}
		}
	}()
	var s started
	select {
	case s = <-ready:
	case <-time.After(30 * time.Second):
		t.Fatalf("gateway did not start:\n%s", logs.String())
	}
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

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
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
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the gateway did not exit:\n%s", logs.String())
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
