package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/refqueries"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/transport"
)

// Every limit answers COMPLEXITY_LIMIT_EXCEEDED before any upstream call,
// and the reference queries stay under all of them.
func TestQueryLimits(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)

	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString("{ ")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "a%d: me { id } ", i)
		}
		return b.String() + "}"
	}
	deep := func(levels int) string {
		// comment → post → comments → … alternates to build depth.
		q := "id"
		for i := 0; i < levels; i++ {
			if i%2 == 0 {
				q = "post { comments(first: 1) { nodes { " + q + " } } }"
			} else {
				q = "replies(first: 1) { nodes { " + q + " } }"
			}
		}
		return `{ homeFeed(first: 1) { nodes { comments(first: 1) { nodes { ` + q + ` } } } } }`
	}
	tests := []struct {
		name    string
		query   string
		refused bool
	}{
		{"31 aliases", aliases(31), true},
		{"21 root fields", strings.Replace(aliases(21), "a0: ", "", 1), true},
		{"too deep", deep(8), true},
		{"costly: 100 posts × 100 comments × replies", `{ homeFeed(first: 100) { nodes { comments(first: 100) { nodes { replies(first: 1) { nodes { id } } } } } } }`, true},
		{"costly: 201 calls", `{ homeFeed(first: 100) { nodes { author { bio } comments(first: 1) { nodes { id } } } } }`, true},
		{"101 calls fit", `{ homeFeed(first: 100) { nodes { comments(first: 100) { nodes { id author { name } } } } } }`, false},
		{"costly through a fragment", `query { homeFeed(first: 50) { nodes { ...C } } } fragment C on Post { comments(first: 10) { nodes { author { bio } } } }`, true},
		{"costly through edges", `{ homeFeed(first: 20) { edges { node { comments(first: 20) { edges { node { replies(first: 5) { nodes { id } } } } } } } } }`, true},
		{"first from a variable", `query($n: Int) { homeFeed(first: $n) { nodes { comments(first: $n) { nodes { parent { id } } } } } }`, true},
		{"first from a numeric string variable", `query($s: Int) { homeFeed(first: $s) { nodes { author { bio } comments(first: $s) { nodes { id } } } } }`, true},
		{"costly through an inline fragment on the edge", `{ homeFeed(first: 100) { edges { ... on PostEdge { node { author { bio } comments(first: 1) { nodes { id } } } } } } }`, true},
		{"costly through a named fragment on the edge", `query { homeFeed(first: 100) { edges { ...E } } } fragment E on PostEdge { node { author { bio } comments(first: 1) { nodes { id } } } }`, true},
		{"20 root fields fit", strings.Replace(aliases(20), "a0: ", "", 1), false},
		{"GraphiQL's introspection query fits (it makes no upstream call)", transport.IntrospectionQuery, false},
	}
	for _, rq := range refqueries.All {
		tests = append(tests, struct {
			name    string
			query   string
			refused bool
		}{"reference " + rq.Name, rq.Query, false})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, tt.query, map[string]any{"n": 100, "s": "100"})
			if !tt.refused {
				mustNoErrors(t, r)
				return
			}
			if len(r.Errors) != 1 || r.Errors[0].Code() != transport.CodeComplexityLimitExceeded {
				t.Fatalf("errors %+v", r.Errors)
			}
			if n := len(env.Upstream.Calls()); n != 0 {
				t.Fatalf("a refused query made %d upstream calls", n)
			}
		})
	}
}

// A nested `first` out of range is refused before the outer list is
// fetched, also when it comes as a numeric string (which gqlgen reads as the
// number).
func TestNestedFirstOutOfRangeFromAStringVariable(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	r := env.Do(t, env.DemoToken(t), `query($s: Int) { homeFeed(first: 3) { nodes { comments(first: $s) { totalCount } } } }`, map[string]any{"s": "1000"})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Fatalf("errors %+v", r.Errors)
	}
	if n := len(env.Upstream.Calls()); n != 0 {
		t.Fatalf("%d upstream calls before refusing", n)
	}
}

// conflicting selects homeFeed n times with different arguments under one
// response name.
func conflicting(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "homeFeed(first: %d) { totalCount } ", i%50)
	}
	return b.String()
}

// Hostile documents are refused quickly and the process keeps serving.
func TestHostileDocuments(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{Transport: transport.Options{MaxTokens: 15000}})
	tok := env.DemoToken(t)
	var bomb strings.Builder
	// Each fragment spreads the next twice: 2^60 expansions if anything
	// walked it naively, which would never finish.
	bomb.WriteString("{ me { ...F0 } }\n")
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&bomb, "fragment F%d on Member { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	bomb.WriteString("fragment F60 on Member { id }\n")
	tests := []struct {
		name  string
		query string
		codes []string
	}{
		{"fragment cycle", `{ me { ...A } } fragment A on Member { ...B } fragment B on Member { ...A }`, []string{"GRAPHQL_VALIDATION_FAILED"}},
		{"fragment bomb", bomb.String(), nil},
		{"token flood", "{ " + strings.Repeat("me { id } ", 5000) + "}", []string{transport.CodeComplexityLimitExceeded}},
		{"deep nesting", strings.Repeat("{ me ", 2000) + strings.Repeat("}", 2000), []string{transport.CodeComplexityLimitExceeded, "GRAPHQL_PARSE_FAILED"}},
		// Under the token limit, but quadratic to validate naively: every
		// pair of same-named fields is compared (and, with different
		// arguments, reported).
		{"1400 conflicting root fields", "{ " + conflicting(1400) + "}", []string{transport.CodeComplexityLimitExceeded}},
		{"3000 root fields", "{ " + strings.Repeat("me { id } ", 3000) + "}", []string{transport.CodeComplexityLimitExceeded}},
		{"5000 repeated fields", "{ homeFeed(first: 1) { nodes { " + strings.Repeat("title ", 5000) + "} } }", []string{transport.CodeComplexityLimitExceeded}},
		{"a few conflicting fields", "{ " + conflicting(3) + "}", []string{"GRAPHQL_VALIDATION_FAILED"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The codes show which check refused each document: the cheap
			// limits before the quadratic merge check, whatever the clock.
			r := env.Do(t, tok, tt.query, nil)
			if len(r.Errors) == 0 && tt.codes != nil {
				t.Fatalf("accepted; data %.200s", r.Data)
			}
			if len(r.Errors) > 3 {
				t.Fatalf("%d errors for one document", len(r.Errors))
			}
			if tt.codes != nil {
				ok := false
				for _, c := range tt.codes {
					ok = ok || r.Errors[0].Code() == c
				}
				if !ok {
					t.Fatalf("code %s (%s), want one of %v", r.Errors[0].Code(), r.Errors[0].Message, tt.codes)
				}
			}
		})
	}
	// Still serving.
	mustNoErrors(t, env.Do(t, tok, `{ me { id } }`, nil))
}

// A panic anywhere in the GraphQL layer becomes INTERNAL_SERVER_ERROR and
// the process keeps serving: covered by the request-id test in
// errors_test.go for errors; here the HTTP surface rules of docs/contract.md §2.
func TestHTTPSurfaceRules(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{Transport: transport.Options{MaxBodyBytes: 4096}})
	tok := env.DemoToken(t)
	post := func(contentType string, body []byte) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/graphql", bytes.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	get := func(query string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, env.URL+"/graphql?query="+url.QueryEscape(query), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	tests := []struct {
		name string
		resp func() *http.Response
		want []int
	}{
		{"POST JSON works", func() *http.Response { return post("application/json", []byte(`{"query":"{ me { id } }"}`)) }, []int{200}},
		{"GET query works", func() *http.Response { return get(`{ me { id } }`) }, []int{200}},
		{"GET mutation refused", func() *http.Response {
			return get(`mutation { likePost(spaceId: "12", postId: "1001") { userErrors { message } } }`)
		}, []int{405, 406}},
		{"form POST refused", func() *http.Response {
			return post("application/x-www-form-urlencoded", []byte(`query=mutation{likePost(spaceId:"12",postId:"1001"){userErrors{message}}}`))
		}, []int{415}},
		{"text/plain POST refused", func() *http.Response { return post("text/plain", []byte(`{"query":"{ me { id } }"}`)) }, []int{415}},
		{"no content type refused", func() *http.Response { return post("", []byte(`{"query":"{ me { id } }"}`)) }, []int{415}},
		{"JSON array refused", func() *http.Response { return post("application/json", []byte(` [{"query":"{ me { id } }"}]`)) }, []int{400}},
		{"oversized body refused", func() *http.Response {
			return post("application/json", []byte(`{"query":"{ me { id } }","variables":{"x":"`+strings.Repeat("a", 5000)+`"}}`))
		}, []int{413}},
		{"PUT refused", func() *http.Response {
			req, _ := http.NewRequest(http.MethodPut, env.URL+"/graphql", strings.NewReader(`{}`))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}, []int{405}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			resp := tt.resp()
			ok := false
			for _, w := range tt.want {
				ok = ok || resp.StatusCode == w
			}
			if !ok {
				t.Fatalf("status %d, want %v", resp.StatusCode, tt.want)
			}
			if resp.StatusCode != 200 && len(env.Upstream.Calls()) != 0 {
				t.Fatalf("a refused request made %d upstream calls", len(env.Upstream.Calls()))
			}
		})
	}
}
