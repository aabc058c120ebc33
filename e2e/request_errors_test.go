package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/sandbox"
)

// Requests gqlgen refuses before any operation runs — a body that does not
// decode, a broken persisted-query extension, a mutation or undecodable
// parameters over GET, introspection while it is off — are the client's
// mistakes: each error carries a client code (docs/contract.md §5: every error has
// one), none is INTERNAL_SERVER_ERROR, none reaches Circle, and no token the
// body carried appears in the answer or the log (§3).
func TestRequestErrorsHaveClientCodes(t *testing.T) {
	t.Parallel()
	const secret = "refresh-token-that-must-not-leak"
	on := testenv.New(t, testenv.Options{})
	off := testenv.New(t, testenv.Options{DisableIntrospection: true})
	post := func(body string) func(env *testenv.Env) *http.Request {
		return func(env *testenv.Env) *http.Request {
			req, _ := http.NewRequest(http.MethodPost, env.URL+"/graphql", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			return req
		}
	}
	get := func(params url.Values) func(env *testenv.Env) *http.Request {
		return func(env *testenv.Env) *http.Request {
			req, _ := http.NewRequest(http.MethodGet, env.URL+"/graphql?"+params.Encode(), nil)
			return req
		}
	}
	tests := []struct {
		name       string
		env        *testenv.Env
		req        func(env *testenv.Env) *http.Request
		wantStatus int
		wantCode   string
		wantMsg    string // prefix of the first error's message
	}{
		{"malformed JSON body holding a token", on,
			post(`{"query":"mutation($r: String!) { refreshAccessToken(refreshToken: $r) { accessToken } }","variables":{"r":"` + secret + `"},}`),
			400, "BAD_REQUEST", "the request body must be a JSON object"},
		{"variables not an object", on, post(`{"query":"{ me { id } }","variables":"` + secret + `"}`), 400, "BAD_REQUEST", "the request body must be a JSON object"},
		{"body a JSON string", on, post(`"` + secret + `"`), 400, "BAD_REQUEST", "the request body must be a JSON object"},
		{"APQ hash does not match the query", on,
			post(`{"query":"{ me { id } }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"0000000000000000000000000000000000000000000000000000000000000000"}}}`),
			200, "BAD_REQUEST", "persisted query extension"},
		{"APQ version unsupported", on,
			post(`{"query":"{ me { id } }","extensions":{"persistedQuery":{"version":2,"sha256Hash":"abc"}}}`),
			200, "BAD_REQUEST", "persisted query extension"},
		{"subscription as a plain POST: refused, not left hanging for an event", on, post(`{"query":"subscription { notificationReceived { text } }"}`),
			406, "HTTP_406", "a subscription needs a stream"},
		{"mutation over GET", on, get(url.Values{"query": {`mutation { revokeAccessToken }`}}), 406, "HTTP_406", "GET requests only allow query operations"},
		{"GET variables that do not decode", on, get(url.Values{"query": {`{ me { id } }`}, "variables": {`{"r": "` + secret}}), 400, "BAD_REQUEST", "variables could not be decoded"},
		{"GET extensions that do not decode", on, get(url.Values{"query": {`{ me { id } }`}, "extensions": {`{`}}), 400, "BAD_REQUEST", "extensions could not be decoded"},
		{"no token: the message has no location prefix", on, post(`{"query":"{ me { id } }"}`), 200, "UNAUTHENTICATED", "missing member access token"},
		{"two operations, none named", on, post(`{"query":"query A { me { id } } query B { me { name } }"}`), 422, "GRAPHQL_VALIDATION_FAILED", "the document holds 2 operations (A, B): name the one to run in operationName"},
		{"an operation name the document does not hold", on, post(`{"query":"query A { me { id } } mutation B { revokeAccessToken }","operationName":"C"}`),
			422, "GRAPHQL_VALIDATION_FAILED", `the document holds no operation named "C"; its operations: A, B`},
		{"an operation name for an anonymous operation", on, post(`{"query":"{ me { id } }","operationName":"C"}`),
			422, "GRAPHQL_VALIDATION_FAILED", `the document holds no operation named "C"; its operations: (an anonymous query)`},
		{"introspection while disabled", off, post(`{"query":"{ __schema { types { name } } }"}`), 200, "GRAPHQL_VALIDATION_FAILED", "introspection is disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env.Upstream.Reset()
			resp, err := http.DefaultClient.Do(tt.req(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, raw)
			}
			var out testenv.Response
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatalf("not JSON: %s", raw)
			}
			if len(out.Errors) == 0 {
				t.Fatalf("no errors: %s", raw)
			}
			for _, e := range out.Errors {
				if e.Code() != tt.wantCode {
					t.Errorf("code %q, want %q: %s", e.Code(), tt.wantCode, raw)
				}
			}
			if !strings.HasPrefix(out.Errors[0].Message, tt.wantMsg) {
				t.Errorf("message %q, want it to start with %q", out.Errors[0].Message, tt.wantMsg)
			}
			if strings.Contains(string(raw), secret) || strings.Contains(tt.env.Logs.String(), secret) {
				t.Errorf("the token in the request reached the answer or the log")
			}
			if n := len(tt.env.Upstream.Calls()); n != 0 {
				t.Errorf("%d upstream calls, want none", n)
			}
		})
	}
	if strings.Contains(on.Logs.String(), "internal error") || strings.Contains(off.Logs.String(), "internal error") {
		t.Errorf("a client's mistake was logged as an internal error")
	}
}

// A GET that fails on a broken connection is retried by the gateway's own
// policy only (docs/contract.md §6.6: at most 2 retries), even when the gateway
// holds pooled keep-alive connections, which net/http would otherwise use
// to re-send the GET on its own, once per connection.
func TestBrokenConnectionRetriedTwiceOnly(t *testing.T) {
	t.Parallel()
	var hangUp atomic.Bool
	sb := sandbox.New(sandbox.Options{})
	env := testenv.New(t, testenv.Options{Upstream: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hangUp.Load() && strings.HasSuffix(r.URL.Path, "/community_member") {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				_ = conn.Close()
			}
			return
		}
		sb.Handler().ServeHTTP(w, r)
	})})
	issued, err := sb.IssueToken(sb.DemoMemberID())
	if err != nil {
		t.Fatal(err)
	}
	tok := issued.AccessToken
	// Fill the gateway's connection pool: 21 calls, 16 at a time.
	mustNoErrors(t, env.Do(t, tok, `{ homeFeed(first: 20) { nodes { comments(first: 1) { totalCount } } } }`, nil))
	env.Upstream.Reset()
	hangUp.Store(true)
	r := env.Do(t, tok, `{ me { id } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "UPSTREAM_UNAVAILABLE" {
		t.Fatalf("errors %+v", r.Errors)
	}
	if n := len(env.Upstream.Calls()); n != 3 {
		t.Fatalf("Circle saw %d calls, want 3 (1 + 2 retries)", n)
	}
}
