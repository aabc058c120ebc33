package persisted_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/persisted"
	"github.com/circle-gateway/gateway/transport"
)

const (
	docMe     = "query Me { me { name } }"
	docSpaces = "query Spaces { spaces { id } }"
)

// request is one GraphQL request as an app would send it.
type request struct {
	get   bool   // GET /graphql with URL parameters instead of a JSON POST
	query string // "" to send the hash alone
	hash  string // extensions.persistedQuery.sha256Hash; "" for none
}

func (r request) do(t *testing.T, env *testenv.Env, token string) (int, testenv.Response) {
	t.Helper()
	var ext map[string]any
	if r.hash != "" {
		ext = map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": r.hash}}
	}
	var req *http.Request
	var err error
	if r.get {
		q := url.Values{}
		if r.query != "" {
			q.Set("query", r.query)
		}
		if ext != nil {
			b, _ := json.Marshal(ext)
			q.Set("extensions", string(b))
		}
		req, err = http.NewRequest(http.MethodGet, env.URL+"/graphql?"+q.Encode(), nil)
	} else {
		body := map[string]any{}
		if r.query != "" {
			body["query"] = r.query
		}
		if ext != nil {
			body["extensions"] = ext
		}
		b, _ := json.Marshal(body)
		req, err = http.NewRequest(http.MethodPost, env.URL+"/graphql", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
	}
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out testenv.Response
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response %d is not GraphQL JSON: %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// The manifest is served over real HTTP, in both modes: a hash alone runs
// the manifest's document; with only=true nothing else runs, nothing else
// reaches Circle, and the refusal says why.
func TestPersistedOperations(t *testing.T) {
	t.Parallel()
	m, err := persisted.Parse([]byte(`{"` + persisted.Hash(docMe) + `":"` + docMe + `","` + persisted.Hash(docSpaces) + `":"` + docSpaces + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	const other = "query Other { spaces { name } }"
	tests := []struct {
		name   string
		only   bool
		steps  []request // earlier steps prepare (APQ registration); the last is checked
		status int
		code   string // extensions.code of the error; "" for success
		data   string // substring of the data on success
	}{
		{name: "only: hash of a manifest operation", only: true, steps: []request{{hash: persisted.Hash(docMe)}}, status: 200, data: `"me":{"name":`},
		{name: "only: sha256: prefixed hash", only: true, steps: []request{{hash: "sha256:" + persisted.Hash(docSpaces)}}, status: 200, data: `"spaces":[`},
		{name: "only: hash over GET", only: true, steps: []request{{get: true, hash: persisted.Hash(docMe)}}, status: 200, data: `"me":{"name":`},
		{name: "only: exact text of a manifest operation", only: true, steps: []request{{query: docMe}}, status: 200, data: `"me":{"name":`},
		{name: "only: text and hash of a manifest operation", only: true, steps: []request{{query: docMe, hash: persisted.Hash(docMe)}}, status: 200, data: `"me":{"name":`},
		{name: "only: same operation, other whitespace", only: true, steps: []request{{query: "query Me { me { name }}"}}, status: 422, code: transport.CodePersistedQueryNotAllowed},
		{name: "only: an operation outside the manifest", only: true, steps: []request{{query: other}}, status: 422, code: transport.CodePersistedQueryNotAllowed},
		{name: "only: outside the manifest over GET", only: true, steps: []request{{get: true, query: other}}, status: 422, code: transport.CodePersistedQueryNotAllowed},
		{name: "only: introspection", only: true, steps: []request{{query: "{ __schema { queryType { name } } }"}}, status: 422, code: transport.CodePersistedQueryNotAllowed},
		{name: "only: unknown hash", only: true, steps: []request{{hash: persisted.Hash(other)}}, status: 422, code: transport.CodePersistedQueryNotAllowed},
		{name: "only: APQ registration of another operation", only: true, steps: []request{{query: other, hash: persisted.Hash(other)}}, status: 422, code: transport.CodePersistedQueryNotAllowed},
		{name: "only: nothing sent", only: true, steps: []request{{}}, status: 422, code: transport.CodePersistedQueryNotAllowed},
		{name: "open: hash of a manifest operation, never sent before", steps: []request{{hash: persisted.Hash(docMe)}}, status: 200, data: `"me":{"name":`},
		{name: "open: any other operation runs", steps: []request{{query: other}}, status: 200, data: `"spaces":[`},
		{name: "open: unknown hash is left to APQ", steps: []request{{hash: persisted.Hash(other)}}, status: 200, code: "PERSISTED_QUERY_NOT_FOUND"},
		{name: "open: APQ still works", steps: []request{{query: other, hash: persisted.Hash(other)}, {hash: persisted.Hash(other)}}, status: 200, data: `"spaces":[`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ext, err := persisted.NewExtension(m, tt.only)
			if err != nil {
				t.Fatal(err)
			}
			env := testenv.New(t, testenv.Options{Transport: transport.Options{PersistedOperations: ext}})
			token := env.DemoToken(t)
			var status int
			var resp testenv.Response
			for _, step := range tt.steps {
				env.Upstream.Reset()
				status, resp = step.do(t, env, token)
			}
			if status != tt.status {
				t.Errorf("status = %d, want %d", status, tt.status)
			}
			if tt.code == "" {
				if len(resp.Errors) > 0 || !strings.Contains(string(resp.Data), tt.data) {
					t.Fatalf("data = %s, errors = %+v; want data containing %s", resp.Data, resp.Errors, tt.data)
				}
				return
			}
			if codes := resp.Codes(); len(codes) != 1 || codes[0] != tt.code {
				t.Fatalf("codes = %v (%+v), want [%s]", codes, resp.Errors, tt.code)
			}
			if len(resp.Data) > 0 && string(resp.Data) != "null" {
				t.Errorf("refused operation has data %s", resp.Data)
			}
			if calls := env.Upstream.Calls(); len(calls) != 0 {
				t.Errorf("refused operation made %d upstream calls: %+v", len(calls), calls)
			}
		})
	}
}

func TestNewExtensionNeedsManifest(t *testing.T) {
	t.Parallel()
	if _, err := persisted.NewExtension(nil, true); err == nil {
		t.Fatal("NewExtension(nil) succeeded")
	}
}
