package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/testenv"
)

// Every answer of /graphql is one member's and says Cache-Control:
// no-store, so that no cache between the gateway and the client keeps it
// for someone else: answers to POST and GET, and refusals.
func TestAnswersAreNeverStored(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	for _, tc := range []struct {
		name   string
		method string
		target string
		body   string
		ctype  string
		status int
	}{
		{"a query over POST", http.MethodPost, "/graphql", `{"query":"{ me { name } }"}`, "application/json", http.StatusOK},
		{"a query over GET", http.MethodGet, "/graphql?" + url.Values{"query": {"{ me { name } }"}}.Encode(), "", "", http.StatusOK},
		{"a refused request", http.MethodPost, "/graphql", `query=1`, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"an operation that does not validate", http.MethodPost, "/graphql", `{"query":"{ nope }"}`, "application/json", http.StatusUnprocessableEntity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), tc.method, env.URL+tc.target, strings.NewReader(tc.body))
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("status %d, Cache-Control %q; want %d, no-store", resp.StatusCode, resp.Header.Get("Cache-Control"), tc.status)
			}
		})
	}
}
