package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/internal/testjwt"
	"github.com/circle-gateway/gateway/memcap"
	"github.com/circle-gateway/gateway/persisted"
	"github.com/circle-gateway/gateway/transport"
)

// Every error code the documentation names is produced through the real
// server, by the path named beside it: the table of transport/errors.go
// reached from each layer that makes typed errors. A code documented
// without a path here, or produced here without being documented, fails.
func TestEveryErrorCodeHasAPath(t *testing.T) {
	t.Parallel()
	plain := testenv.New(t, testenv.Options{})
	tok := plain.DemoToken(t)
	withAuth := authEnv(t, testenv.Options{})
	manifestOnly := persistedOnlyEnv(t)
	small := testenv.New(t, testenv.Options{Transport: transport.Options{MaxBodyBytes: 1024}})
	corsOnly := testenv.New(t, testenv.Options{Transport: transport.Options{CORSAllowedOrigins: []string{"https://app.example.com"}}})
	faulty := func(path string, status int, body string) *testenv.Env {
		env := testenv.New(t, testenv.Options{})
		env.Upstream.SetFault(failPath(path, status, body))
		return env
	}
	circleMessage := func(m string) string { return `{"success":false,"message":"` + m + `"}` }
	tooLarge, _ := memEnv(t, memcap.Limits{MaxResponseBytes: 64 << 10}, 100<<10)

	tests := []struct {
		code   string
		path   string // the layer and typed error the code comes from
		env    *testenv.Env
		req    func(env *testenv.Env) *http.Request
		status int
	}{
		{transport.CodeUnauthenticated, "auth.ErrMissingToken: no bearer token, no upstream call", plain,
			graphqlPost("", `{ me { id } }`, nil, nil), 200},
		{transport.CodeUnauthenticated, "idtoken.InvalidError: signIn with a token that is not a JWT", withAuth,
			graphqlPost("", signInMutation, map[string]any{"t": "not-a-jwt"}, nil), 200},
		{transport.CodeUnauthenticated, "circle.Error 401", faulty("/community_member", 401, circleMessage("The access token is revoked.")),
			graphqlPost(tokenOf, `{ me { id } }`, nil, nil), 200},
		{transport.CodeForbidden, "graph.ForbiddenError: createMemberToken without the service key", withAuth,
			graphqlPost("", createTokenMutation, map[string]any{"id": map[string]any{"ssoUserId": "demo-user"}}, nil), 200},
		{transport.CodeForbidden, "circle.Error 403", faulty("/spaces", 403, circleMessage("Not allowed")),
			graphqlPost(tokenOf, `{ spaces { id } }`, nil, nil), 200},
		{transport.CodeNotFound, "circle.Error 404 (a post the batch did not return)", plain,
			graphqlPost(tok, `{ post(spaceId: "12", id: "999999") { id } }`, nil, nil), 200},
		{transport.CodeBadUserInput, "graph.InputError: an id that is not one", plain,
			graphqlPost(tok, `{ post(spaceId: "x", id: "1") { id } }`, nil, nil), 200},
		{transport.CodeBadUserInput, "relay.ArgumentError, found by limits before the operation runs", plain,
			graphqlPost(tok, `{ homeFeed(first: 101) { totalCount } }`, nil, nil), 200},
		{transport.CodeRateLimited, "circle.Error 429 beyond what can be waited out", tooManyRequests(t),
			graphqlPost(testjwt.Member(t, 101), `{ spaces { id } }`, nil, nil), 200},
		{transport.CodeUpstreamUnavailable, "circle.Error 500", faulty("/spaces", 500, `{}`),
			graphqlPost(tokenOf, `{ spaces { id } }`, nil, nil), 200},
		{transport.CodeResponseTooLarge, "memcap.Error: an answer past MAX_RESPONSE_BYTES", tooLarge,
			graphqlPost(tokenOf, feedWithCommentText, nil, nil), 200},
		{transport.CodeComplexityLimitExceeded, "limits.ErrOverLimit: too many aliases", plain,
			graphqlPost(tok, "{ "+aliases(31)+"}", nil, nil), 200},
		{transport.CodeComplexityLimitExceeded, "limits.ErrOverLimit: too many tokens, before parsing", plain,
			graphqlPost(tok, "{ "+strings.Repeat("me { id } ", 4000)+"}", nil, nil), 200},
		{transport.CodeParseFailed, "gqlgen's parser", plain,
			graphqlPost(tok, `{ me { id `, nil, nil), 422},
		{transport.CodeValidationFailed, "gqlgen's validation", plain,
			graphqlPost(tok, `{ me { nope } }`, nil, nil), 422},
		{transport.CodeValidationFailed, "fields that cannot be merged, checked after the limits", plain,
			graphqlPost(tok, `{ homeFeed(first: 1) { totalCount } homeFeed(first: 2) { totalCount } }`, nil, nil), 422},
		{transport.CodeInternal, "an upstream answer of no known meaning (circle.Error 418)", faulty("/community_member", 418, `{}`),
			graphqlPost(tokenOf, `{ me { id } }`, nil, nil), 200},
		{transport.CodePersistedQueryNotAllowed, "persisted.ErrNotAllowed: a document outside the manifest", manifestOnly,
			graphqlPost(tokenOf, `{ spaces { id } }`, nil, nil), 422},
		{transport.CodePersistedQueryNotFound, "apq.ErrNotFound: a hash never registered", plain,
			graphqlPost(tok, "", nil, map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": persisted.Hash("{ never }")}}), 200},
		{transport.CodeBadRequest, "apq.ExtensionError: an unsupported APQ version", plain,
			graphqlPost(tok, `{ me { id } }`, nil, map[string]any{"persistedQuery": map[string]any{"version": 2, "sha256Hash": "abc"}}), 200},
		{transport.CodeBadRequest, "RequestError (POST transport): a body that is not a GraphQL request", plain,
			rawRequest(http.MethodPost, "application/json", `{"query": 42}`), 400},
		{transport.CodeBadRequest, "RequestError (GET transport): variables that do not decode", plain,
			getRequest(url.Values{"query": {`{ me { id } }`}, "variables": {`{`}}), 400},
		{"HTTP_405", "RequestError (guard): a method other than GET and POST", plain,
			rawRequest(http.MethodPut, "application/json", `{}`), 405},
		{"HTTP_406", "RequestError (GET transport): a mutation over GET", plain,
			getRequest(url.Values{"query": {`mutation { revokeAccessToken }`}}), 406},
		{"HTTP_413", "RequestError (guard): a body over MAX_BODY_BYTES", small,
			rawRequest(http.MethodPost, "application/json", `{"query": "`+strings.Repeat("x", 2048)+`"}`), 413},
		{"HTTP_415", "RequestError (guard): a POST that is not JSON", plain,
			rawRequest(http.MethodPost, "text/plain", `{"query": "{ me { id } }"}`), 415},
		{"HTTP_415", "RequestError (guard): the answer's media type sent as the request's", plain,
			rawRequest(http.MethodPost, "application/graphql-response+json", `{"query": "{ me { id } }"}`), 415},
		{"HTTP_415", "RequestError (guard): JSON in a charset other than UTF-8", plain,
			rawRequest(http.MethodPost, "application/json; charset=utf-16", `{"query": "{ me { id } }"}`), 415},
		{transport.CodeBadRequest, "RequestError (guard): a key twice in the request object", plain,
			rawRequest(http.MethodPost, "application/json", `{"query": "{ me { id } }", "query": "{ spaces { id } }"}`), 400},
		{"HTTP_400", "RequestError (guard): a batched (JSON array) body", plain,
			rawRequest(http.MethodPost, "application/json", `[{"query": "{ me { id } }"}]`), 400},
		{"HTTP_400", "RequestError (WebSocket): an upgrade without graphql-transport-ws", plain,
			upgradeRequest("", "graphql-ws"), 400},
		{"HTTP_403", "RequestError (WebSocket): an upgrade from an Origin CORS refuses", corsOnly,
			upgradeRequest("https://evil.example", "graphql-transport-ws"), 403},
	}
	produced := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.code+"/"+tt.path, func(t *testing.T) {
			req := tt.req(tt.env)
			if req.Header.Get("Authorization") == "Bearer "+tokenOf {
				req.Header.Set("Authorization", "Bearer "+tt.env.DemoToken(t))
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var out testenv.Response
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatalf("status %d, not GraphQL JSON: %s", resp.StatusCode, raw)
			}
			if len(out.Errors) == 0 || out.Errors[0].Code() != tt.code {
				t.Fatalf("status %d, codes %v, want %s: %s", resp.StatusCode, out.Codes(), tt.code, raw)
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
		produced[tt.code] = true
	}
	// The codes of subscriptions come in a stream, not a JSON answer:
	// subscriptions_test.go runs their paths.
	for _, code := range streamedCodes(t) {
		produced[code] = true
	}
	for _, code := range documentedCodes(t) {
		if !produced[code] {
			t.Errorf("%s is documented, but no path here produces it", code)
		}
	}
	documented := documentedCodes(t)
	for code := range produced {
		if !slices.Contains(documented, code) {
			t.Errorf("%s is produced, but neither docs/contract.md §5 nor docs/api.md names it", code)
		}
	}
}

// tokenOf stands for the demo token of the case's own env.
const tokenOf = "<token of the env>"

func graphqlPost(token, query string, vars, ext map[string]any) func(env *testenv.Env) *http.Request {
	return func(env *testenv.Env) *http.Request {
		body := map[string]any{}
		if query != "" {
			body["query"] = query
		}
		if vars != nil {
			body["variables"] = vars
		}
		if ext != nil {
			body["extensions"] = ext
		}
		b, _ := json.Marshal(body)
		req := rawRequest(http.MethodPost, "application/json", string(b))(env)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return req
	}
}

func rawRequest(method, contentType, body string) func(env *testenv.Env) *http.Request {
	return func(env *testenv.Env) *http.Request {
		req, _ := http.NewRequest(method, env.URL+"/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		return req
	}
}

func getRequest(params url.Values) func(env *testenv.Env) *http.Request {
	return func(env *testenv.Env) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, env.URL+"/graphql?"+params.Encode(), nil)
		return req
	}
}

func aliases(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("a" + strings.Repeat("a", i) + ": me { id } ")
	}
	return b.String()
}

// tooManyRequests is an env whose upstream asks for 60 s on every call,
// more than the gateway waits out itself.
func tooManyRequests(t *testing.T) *testenv.Env {
	return testenv.New(t, testenv.Options{Upstream: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"message":"Too many requests"}`)
	})})
}

// persistedOnlyEnv runs only the operations of a one-entry manifest.
func persistedOnlyEnv(t *testing.T) *testenv.Env {
	const doc = "query Me { me { id } }"
	m, err := persisted.Parse([]byte(`{"` + persisted.Hash(doc) + `": "` + doc + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	ext, err := persisted.NewExtension(m, true)
	if err != nil {
		t.Fatal(err)
	}
	return testenv.New(t, testenv.Options{Transport: transport.Options{PersistedOperations: ext}})
}

// documentedCodes are the codes of docs/contract.md §5 and of docs/api.md's
// table, with HTTP_<status> expanded to the statuses api.md names.
func documentedCodes(t *testing.T) []string {
	t.Helper()
	var codes []string
	add := func(c string) {
		if !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	cell := regexp.MustCompile("`([A-Z_<>a-z]+)`")
	status := regexp.MustCompile(`\b(4\d\d)\b`)
	for _, doc := range []struct{ file, section string }{{"../docs/contract.md", "## 5. Errors"}, {"../docs/api.md", "## Errors"}} {
		b, err := os.ReadFile(doc.file)
		if err != nil {
			t.Fatal(err)
		}
		_, text, ok := strings.Cut(string(b), doc.section+"\n")
		if !ok {
			t.Fatalf("%s has no %q section", doc.file, doc.section)
		}
		text, _, _ = strings.Cut(text, "\n## ")
		for _, line := range strings.Split(text, "\n") {
			if !strings.HasPrefix(line, "| `") {
				continue
			}
			first, rest, _ := strings.Cut(strings.TrimPrefix(line, "| "), " | ")
			for _, m := range cell.FindAllStringSubmatch(first, -1) {
				if m[1] == "HTTP_<status>" {
					for _, s := range status.FindAllString(rest, -1) {
						add("HTTP_" + s)
					}
					continue
				}
				add(m[1])
			}
		}
	}
	if len(codes) < 10 {
		t.Fatalf("read only %d codes from the docs: %v", len(codes), codes)
	}
	return codes
}
