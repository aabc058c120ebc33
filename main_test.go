package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer collects the gateway's log output concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// `go run .` with no settings: sandbox mode, a printed demo token that
// works, the printed sample query, Playground and SDL served, and a clean
// stop when the context ends (as on SIGTERM).
func TestRunSandboxMode(t *testing.T) {
	env := map[string]string{"PORT": "0"}
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, &logs, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run ended early: %v\n%s", err, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatal("gateway did not start")
	}
	base := "http://" + strings.Replace(addr, "[::]", "127.0.0.1", 1)

	token := regexp.MustCompile(`authorization="Bearer ([A-Za-z0-9_\-.]+)"`).FindStringSubmatch(logs.String())
	if token == nil {
		t.Fatalf("no demo token in the startup log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "sample query") || !strings.Contains(logs.String(), "x_service_key=") {
		t.Fatalf("startup log lacks the sample query or the service key:\n%s", logs.String())
	}

	body, _ := json.Marshal(map[string]string{"query": sampleQuery})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token[1])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var out struct {
		Data struct {
			Me       struct{ Name string }
			HomeFeed struct{ Nodes []struct{ Title string } }
		}
		Errors []any
	}
	if err := json.Unmarshal(raw, &out); err != nil || len(out.Errors) > 0 || out.Data.Me.Name == "" || len(out.Data.HomeFeed.Nodes) == 0 {
		t.Fatalf("sample query answered %s", raw)
	}

	for path, want := range map[string]string{"/": "graphiql", "/schema.graphql": "type Query", "/healthz": "ok"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(string(b)), strings.ToLower(want)) {
			t.Errorf("GET %s: %d %.200s", path, resp.StatusCode, b)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("gateway did not stop")
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	env := map[string]string{"PORT": "http", "UPSTREAM_TIMEOUT": "soon", "CIRCLE_API_URL": "ftp://x"}
	err := run(context.Background(), func(k string) string { return env[k] }, io.Discard, nil)
	if err == nil {
		t.Fatal("started with a bad configuration")
	}
	for _, name := range []string{"PORT", "UPSTREAM_TIMEOUT", "CIRCLE_API_URL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}
