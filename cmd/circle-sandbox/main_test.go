package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/circle-gateway/gateway/internal/logbuf"
	"github.com/circle-gateway/gateway/sandbox"
)

// The access log (on unless -quiet) keeps /cable working: the WebSocket
// upgrade hijacks the connection through it, and the cable welcomes the
// member. The log line names the path, never the token.
func TestAccessLogKeepsTheCable(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	tok, err := sb.IssueToken(sb.DemoMemberID())
	if err != nil {
		t.Fatal(err)
	}
	logs := &logbuf.Buffer{}
	srv := httptest.NewServer(accessLog(slog.New(slog.NewTextHandler(logs, nil)), sb.Handler()))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/cable", &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + tok.AccessToken}},
	})
	if resp != nil && resp.Body != nil {
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	if err != nil {
		t.Fatalf("dial /cable through the access log: %v", err)
	}
	_, data, err := ws.Read(ctx)
	if err != nil || !strings.Contains(string(data), `"type":"welcome"`) {
		t.Fatalf("first message %s, %v; want the welcome", data, err)
	}
	_ = ws.Close(websocket.StatusNormalClosure, "")
	// The handler returns, and logs, once the cable has seen the close;
	// the bound only stops a broken test.
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(logs.String(), "path=/cable"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no log line for /cable: %s", logs.String())
		}
	}
	if strings.Contains(logs.String(), tok.AccessToken) {
		t.Fatalf("the token is in the log: %s", logs.String())
	}
}
