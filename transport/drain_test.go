package transport

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/sandbox"
)

// Once the gateway drains, /readyz answers 503 while GraphQL is still
// served, and every answer asks to close its connection; before, neither.
func TestDrain(t *testing.T) {
	t.Parallel()
	sb := sandbox.New(sandbox.Options{})
	up := httptest.NewServer(sb.Handler())
	defer up.Close()
	client, err := circle.New(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	drain := &Drain{}
	h, err := New(Options{Client: client, Drain: drain})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := sb.IssueToken(sb.DemoMemberID())
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	query := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ me { name } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if r := get("/readyz"); r.Code != http.StatusOK || r.Header().Get("Connection") != "" {
		t.Fatalf("before: /readyz %d, Connection %q", r.Code, r.Header().Get("Connection"))
	}
	drain.Start()
	r := get("/readyz")
	if r.Code != http.StatusServiceUnavailable || !strings.Contains(r.Body.String(), "shutting down") || r.Header().Get("Connection") != "close" {
		t.Fatalf("draining: /readyz %d %q, Connection %q", r.Code, r.Body.String(), r.Header().Get("Connection"))
	}
	if r := query(); r.Code != http.StatusOK || !strings.Contains(r.Body.String(), `"name"`) || r.Header().Get("Connection") != "close" {
		t.Fatalf("draining: GraphQL %d %s, Connection %q", r.Code, r.Body.String(), r.Header().Get("Connection"))
	}
	if r := get("/healthz"); r.Code != http.StatusOK {
		t.Fatalf("draining: /healthz %d", r.Code)
	}
}
