package clients

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
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
	mustPass(t, summary, "the request went to /graphql with the typed token", "GraphiQL loaded the schema from /graphql",
		"the result has no errors", "the result shows the member", "the result shows 3 posts",
		"the first post title is visible on the page", "the result equals a direct POST /graphql", "no page errors")
	// What the page showed is what the gateway answers this Go test.
	var direct struct {
		Me       struct{ Name string }
		HomeFeed struct {
			Nodes []struct {
				Title  string
				Author struct{ Name string }
				Space  struct{ Name string }
			}
		}
	}
	r := gw.post(t, map[string]any{"query": playgroundQuery})
	if len(r.Errors) > 0 || json.Unmarshal(r.Data, &direct) != nil {
		t.Fatalf("the gateway's own answer: %+v", r)
	}
	if summary["member"] != direct.Me.Name {
		t.Errorf("the Playground showed member %v, the gateway answers %q", summary["member"], direct.Me.Name)
	}
	var titles []string
	for _, n := range direct.HomeFeed.Nodes {
		titles = append(titles, n.Title+" — "+n.Author.Name+" in "+n.Space.Name)
	}
	if fmt.Sprint(summary["titles"]) != fmt.Sprint(titles) {
		t.Errorf("the Playground showed %v, the gateway answers %v", summary["titles"], titles)
	}
	shot, _ := summary["screenshot"].(string)
	if b, err := os.ReadFile(shot); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("no PNG screenshot at %q: %v", shot, err)
	}
	t.Logf("Playground showed %v's feed: %v; screenshot %s", summary["member"], summary["titles"], shot)
}

// playgroundQuery is the query browser/playground.mjs types into GraphiQL.
const playgroundQuery = `{ me { name } homeFeed(first: 3) { nodes { title author { name } space { name } } } }`

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
	mustPass(t, summary, "GraphiQL loaded the schema from /schema.json", "GraphiQL sent no introspection to /graphql",
		"the result has no errors", "the result equals a direct POST /graphql", "no page errors")
	// /graphql refuses introspection, so the page can only have had the
	// schema from /schema.json.
	resp, err := http.Post(gw.URL+"/graphql", "application/json", strings.NewReader(`{"query":"{ __schema { queryType { name } } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); !strings.Contains(string(b), "GRAPHQL_VALIDATION_FAILED") {
		t.Errorf("/graphql answered introspection with INTROSPECTION=false: %s", b)
	}
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
	mustPass(t, summary, "allowed origin: fetch resolved with 200", "allowed origin: the member came back",
		"allowed origin: X-Request-Id is exposed", "blocked origin: fetch rejected by the browser", "blocked origin: the browser names CORS")
	// The preflight the browser made, asked by Go: the allowed origin is
	// granted the Authorization header, the other is not answered at all.
	for origin, granted := range map[string]bool{allowed.URL: true, other.URL: false} {
		req, _ := http.NewRequest(http.MethodOptions, gw.URL+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin") == origin; got != granted {
			t.Errorf("preflight from %s: Access-Control-Allow-Origin %q, granted %v, want %v", origin, resp.Header.Get("Access-Control-Allow-Origin"), got, granted)
		}
	}
}

// mustPass fails t unless the browser script's summary holds every check
// named, each passed: a script that stops making a check fails here too.
func mustPass(t *testing.T, summary map[string]any, names ...string) {
	t.Helper()
	checks, _ := summary["checks"].(map[string]any)
	for _, name := range names {
		if checks[name] != true {
			t.Errorf("browser check %q: %v (summary %v)", name, checks[name], summary)
		}
	}
	if summary["ok"] != true {
		t.Errorf("the browser script did not pass: %v", summary)
	}
}

// Subscriptions in the Playground of `go run .`: GraphiQL, with the token
// the sandbox pre-filled, runs the subscription and then the one
// the startup log suggests, each over its WebSocket to /graphql; another
// member's comment on the demo member's post appears in the response pane
// each time, as the notification the demo member then has.
func TestPlaygroundSubscriptionInChromium(t *testing.T) {
	need(t, nodeTools, browser)
	gw := startGateway(t, nil)
	c := castTwoMembers(t, gw)
	runs := []string{`subscription { notificationReceived { text } }`, gw.SampleSubscription}
	docs, _ := json.Marshal(runs)
	out := runNode(t, map[string]string{
		"GATEWAY_URL":   gw.URL,
		"TOKEN_B":       c.B.Token,
		"POST_OF_A":     c.PostOfA.ID,
		"SUBSCRIPTIONS": string(docs),
		"ARTIFACTS_DIR": artifactsDir(t),
	}, "node", filepath.Join("browser", "playground-subscription.mjs"))
	summary := lastJSON(t, out)
	mustPass(t, summary, "the headers editor was pre-filled with a member token", "no subscription went as a plain POST", "each run opened a WebSocket to /graphql",
		"connection_init carried the editor's Authorization", "each run subscribed over graphql-transport-ws",
		"each run showed a notification without errors", "the notification text is visible on the page",
		"stopping ended each run's socket", "no page errors")

	// What the page showed is the demo member's two newest notifications.
	var inbox struct {
		Notifications struct {
			Nodes []struct{ Text, ActorName string }
		}
	}
	decode(t, gw.postAs(t, gw.Token, `{ notifications(first: 2) { nodes { text actorName } } }`, nil), &inbox)
	events, _ := summary["events"].([]any)
	if len(events) != len(runs) || len(inbox.Notifications.Nodes) != 2 {
		t.Fatalf("events %v, inbox %+v", events, inbox)
	}
	for i, ev := range events {
		shown, _ := ev.(map[string]any)
		want := inbox.Notifications.Nodes[len(runs)-1-i] // newest first
		if shown["text"] != want.Text || !strings.Contains(want.Text, c.B.Name) || !strings.Contains(want.Text, "commented") {
			t.Errorf("run %d (%s) showed %v; the inbox has %q", i+1, runs[i], shown, want.Text)
		}
	}
	sample, _ := events[1].(map[string]any)
	post, _ := sample["post"].(map[string]any)
	if sample["actorName"] != c.B.Name || post["title"] != c.PostOfA.Title || sample["createdAt"] == nil {
		t.Errorf("the sample subscription showed %v, want %s's comment on %q", sample, c.B.Name, c.PostOfA.Title)
	}
	t.Logf("GraphiQL showed %v; screenshot %v", events, summary["screenshot"])
}
