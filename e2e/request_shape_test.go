package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/testenv"
)

// post sends body to /graphql with the given headers, as the demo member.
func post(t *testing.T, env *testenv.Env, headers map[string]string, body string) (int, http.Header, testenv.Response, int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+env.DemoToken(t))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := testenv.Response{Status: resp.StatusCode, Header: resp.Header}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("status %d, not GraphQL JSON: %.300s", resp.StatusCode, raw)
	}
	return resp.StatusCode, resp.Header, out, len(raw)
}

// What a request says about itself is what runs, or it is refused before
// any upstream call with a coded error: the charset must be UTF-8, the
// request object must not name a key twice (at any depth), and the
// answer's media type is taken in Accept, not as the request's.
func TestRequestShape(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	const me = `"query": "{ me { name } }"`
	tests := []struct {
		name    string
		headers map[string]string
		body    string
		status  int
		code    string // "" for an answer without errors
	}{
		{"UTF-8 named", map[string]string{"Content-Type": "application/json; charset=UTF-8"}, "{" + me + "}", 200, ""},
		{"utf8 named", map[string]string{"Content-Type": "application/json;charset=utf8"}, "{" + me + "}", 200, ""},
		{"UTF-16", map[string]string{"Content-Type": "application/json; charset=utf-16"}, "{" + me + "}", 415, "HTTP_415"},
		{"Latin-1", map[string]string{"Content-Type": "application/json; charset=iso-8859-1"}, "{" + me + "}", 415, "HTTP_415"},
		{"the answer's media type as the request's", map[string]string{"Content-Type": "application/graphql-response+json"}, "{" + me + "}", 415, "HTTP_415"},
		{"query twice", nil, `{"query": "{ me { name } }", "query": "mutation { revokeAccessToken }"}`, 400, "BAD_REQUEST"},
		{"query twice, one escaped", nil, `{"query": "{ me { name } }", "\u0071uery": "{ spaces { id } }"}`, 400, "BAD_REQUEST"},
		{"a variable twice", nil, `{"query": "query($n: Int) { homeFeed(first: $n) { totalCount } }", "variables": {"n": 1, "n": 2}}`, 400, "BAD_REQUEST"},
		{"a key twice deep in a variable", nil, `{"query": "query($n: Int) { homeFeed(first: $n) { totalCount } }", "variables": {"n": 1, "x": [{"a": 1, "a": 2}]}}`, 400, "BAD_REQUEST"},
		{"the same key in two objects", nil, `{"query": "query($n: Int) { homeFeed(first: $n) { totalCount } }", "variables": {"n": 1, "x": [{"n": 1}, {"n": 2}]}}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			status, _, r, _ := post(t, env, tt.headers, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %+v", status, tt.status, r.Errors)
			}
			if tt.code == "" {
				mustNoErrors(t, r)
				return
			}
			if len(r.Errors) != 1 || r.Errors[0].Code() != tt.code {
				t.Fatalf("errors %+v, want one %s", r.Errors, tt.code)
			}
			if n := len(env.Upstream.Calls()); n != 0 {
				t.Fatalf("a refused request made %d upstream calls", n)
			}
		})
	}
}

// A client that asks for application/graphql-response+json gets it, with
// the GraphQL-over-HTTP statuses: 200 for an operation that ran, 400 for
// a document that does not validate, each error coded.
func TestGraphQLResponseMediaType(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	accept := map[string]string{"Accept": "application/graphql-response+json"}
	status, h, r, _ := post(t, env, accept, `{"query": "{ me { name } }"}`)
	if status != 200 || h.Get("Content-Type") != "application/graphql-response+json" {
		t.Fatalf("status %d, Content-Type %q", status, h.Get("Content-Type"))
	}
	mustNoErrors(t, r)
	status, h, r, _ = post(t, env, accept, `{"query": "{ me { nope } }"}`)
	if status != 400 || h.Get("Content-Type") != "application/graphql-response+json" || len(r.Errors) != 1 || r.Errors[0].Code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("status %d, Content-Type %q, errors %+v", status, h.Get("Content-Type"), r.Errors)
	}
	status, h, _, _ = post(t, env, nil, `{"query": "{ me { name } }"}`)
	if status != 200 || h.Get("Content-Type") != "application/json" {
		t.Fatalf("without Accept: status %d, Content-Type %q", status, h.Get("Content-Type"))
	}
}

// A small document that fails validation thousands of times gets twenty
// errors and one that counts the rest, not an answer ten times its size.
func TestValidationErrorsAreCapped(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	var vars, frags strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&vars, "$v%d: Int ", i)
	}
	for i := range 2000 {
		fmt.Fprintf(&frags, "fragment F%d on Member { id } ", i)
	}
	tests := []struct {
		name, query string
		errors      int
	}{
		{"3000 unused variables", "query(" + vars.String() + ") { me { id } }", 3000},
		{"2000 unused fragments", "{ me { id } } " + frags.String(), 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]string{"query": tt.query})
			_, _, r, size := post(t, env, map[string]string{"Content-Type": "application/json"}, string(body))
			if len(r.Errors) != 21 {
				t.Fatalf("%d errors, want 20 and a summary", len(r.Errors))
			}
			for _, e := range r.Errors {
				if e.Code() != "GRAPHQL_VALIDATION_FAILED" {
					t.Fatalf("error %+v", e)
				}
			}
			if last := r.Errors[20].Message; !strings.Contains(last, fmt.Sprint(tt.errors-20)) {
				t.Fatalf("the summary says %q, want %d more", last, tt.errors-20)
			}
			if size > 8<<10 {
				t.Fatalf("a %d-byte document got a %d-byte answer", len(body), size)
			}
		})
	}
}
