package main

import (
	"context"
	"io"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/sandbox"
)

// listenAddr runs the gateway with env and PORT=0 until it listens, and
// returns the address it listens on.
func listenAddr(t *testing.T, env map[string]string) string {
	t.Helper()
	env["PORT"] = "0"
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, io.Discard, ready) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("the gateway did not stop")
		}
	})
	select {
	case addr := <-ready:
		return addr
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the gateway did not start")
	}
	return ""
}

// Sandbox mode, with its printed demo credentials and "*" CORS, listens on
// loopback unless HOST says otherwise; a real deployment listens on every
// interface.
func TestListenInterface(t *testing.T) {
	up := httptest.NewServer(sandbox.New(sandbox.Options{}).Handler())
	defer up.Close()
	tests := []struct {
		name string
		env  map[string]string
		host string
	}{
		{"sandbox", map[string]string{}, "127.0.0.1"},
		{"sandbox, HOST set", map[string]string{"HOST": "127.0.0.2"}, "127.0.0.2"},
		{"production", map[string]string{"CIRCLE_API_URL": up.URL, "CIRCLE_HEADLESS_AUTH_TOKEN": "x", "SHUTDOWN_READY_DELAY": "0s"}, "::"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, _, err := net.SplitHostPort(listenAddr(t, tt.env))
			if err != nil || host != tt.host {
				t.Fatalf("listens on %q (%v), want %q", host, err, tt.host)
			}
		})
	}
}
