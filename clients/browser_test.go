package clients

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
)

// The Playground at GET /, driven in headless Chromium as a person would
// use it: GraphiQL loads from its pinned CDN assets (served from
// node_modules, the page's SRI hashes checked by the browser), the demo
// member token is typed into the headers editor, a query is typed and run,
// and the result on the page equals what /graphql answers directly. The
// screenshot is left in the artifacts directory.
func TestPlaygroundInChromium(t *testing.T) {
	need(t, nodeTools, browser)
	gw := startGateway(t, nil)
	dir := artifactsDir(t)
	out := runNode(t, map[string]string{
		"GATEWAY_URL":   gw.URL,
		"GATEWAY_TOKEN": gw.Token,
		"ARTIFACTS_DIR": dir,
	}, "node", filepath.Join("browser", "playground.mjs"))
	summary := lastJSON(t, out)
	t.Logf("checks: %v", summary["checks"])
	t.Logf("Playground showed %v's feed: %v", summary["member"], summary["titles"])
	t.Logf("screenshot: %v", summary["screenshot"])
}

// With INTROSPECTION=false the Playground still knows the schema (for
// completion and docs): its page reads it from /schema.json, and sends no
// introspection to /graphql, which refuses it.
func TestPlaygroundWithIntrospectionOffInChromium(t *testing.T) {
	need(t, nodeTools, browser)
	gw := startGateway(t, map[string]string{"INTROSPECTION": "false"})
	out := runNode(t, map[string]string{
		"GATEWAY_URL":      gw.URL,
		"GATEWAY_TOKEN":    gw.Token,
		"ARTIFACTS_DIR":    t.TempDir(),
		"SCHEMA_FROM_FILE": "1",
	}, "node", filepath.Join("browser", "playground.mjs"))
	summary := lastJSON(t, out)
	t.Logf("checks: %v", summary["checks"])
}

// A web app on another origin calls the gateway with fetch and an
// Authorization header: from an origin in CORS_ALLOWED_ORIGINS it works
// (and reads X-Request-Id); from any other the browser blocks it.
func TestCrossOriginFetchInChromium(t *testing.T) {
	need(t, nodeTools, browser)
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><meta charset="utf-8"><title>an app</title><link rel="icon" href="data:,"><p>an app</p>`))
	})
	allowed := httptest.NewServer(page)
	defer allowed.Close()
	other := httptest.NewServer(page)
	defer other.Close()

	gw := startGateway(t, map[string]string{"CORS_ALLOWED_ORIGINS": allowed.URL})
	out := runNode(t, map[string]string{
		"GATEWAY_URL":    gw.URL,
		"GATEWAY_TOKEN":  gw.Token,
		"ALLOWED_ORIGIN": allowed.URL,
		"BLOCKED_ORIGIN": other.URL,
	}, "node", filepath.Join("browser", "cors.mjs"))
	summary := lastJSON(t, out)
	t.Logf("checks: %v", summary["checks"])
}
