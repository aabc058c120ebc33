package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/logbuf"
	"github.com/circle-gateway/gateway/sandbox"
)

// A panic in a resolver becomes INTERNAL_SERVER_ERROR with a request id;
// the stack goes only to the log; the process keeps serving.
func TestPanicBecomesInternalError(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	up := httptest.NewServer(sb.Handler())
	defer up.Close()
	client, err := circle.New(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	var logs logbuf.Buffer
	h, err := New(Options{
		Client: client,
		Log:    slog.New(slog.NewTextHandler(&logs, nil)),
		aroundFields: func(ctx context.Context, next graphql.Resolver) (any, error) {
			if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Name == "headline" {
				var m map[string]int
				m["boom"]++ // a nil-map write: a real runtime panic
			}
			return next(ctx)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(h)
	defer gw.Close()
	tok, err := sb.IssueToken(sb.DemoMemberID())
	if err != nil {
		t.Fatal(err)
	}

	do := func(query string) (int, map[string]any, http.Header) {
		body, _ := json.Marshal(map[string]string{"query": query})
		req, _ := http.NewRequest(http.MethodPost, gw.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out, resp.Header
	}
	_, out, hdr := do(`{ me { name headline } }`)
	errs, _ := out["errors"].([]any)
	if len(errs) != 1 {
		t.Fatalf("response %v", out)
	}
	e := errs[0].(map[string]any)
	ext := e["extensions"].(map[string]any)
	if ext["code"] != "INTERNAL_SERVER_ERROR" || e["message"] != "internal server error" || ext["requestId"] != hdr.Get("X-Request-Id") {
		t.Fatalf("error %v", e)
	}
	if strings.Contains(strings.ToLower(e["message"].(string)), "nil map") {
		t.Fatal("panic detail leaked to the client")
	}
	if !strings.Contains(logs.String(), "nil map") || !strings.Contains(logs.String(), "goroutine") || !strings.Contains(logs.String(), hdr.Get("X-Request-Id")) {
		t.Fatalf("stack and request id not logged:\n%s", logs.String())
	}
	// Still serving.
	if status, out, _ := do(`{ me { name } }`); status != 200 || out["errors"] != nil {
		t.Fatalf("after the panic: %d %v", status, out)
	}
}

// Oversized and malformed request ids are replaced, sane ones echoed.
func TestRequestIDs(t *testing.T) {
	t.Parallel()
	for in, keep := range map[string]bool{"abc-123": true, "a:b.c_d": true, "": false, "has space": false, "x\r\nSet-Cookie: y": false, strings.Repeat("a", 200): false} {
		if got := validRequestID(in); got != keep {
			t.Errorf("validRequestID(%q) = %v", in, got)
		}
	}
	if a, b := newRequestID(), newRequestID(); a == b || len(a) != 24 {
		t.Errorf("ids %q %q", a, b)
	}
}
