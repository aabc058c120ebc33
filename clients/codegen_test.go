package clients

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The path of a mobile or web team generating a typed client: GET
// /schema.graphql serves the full SDL; graphql-codegen (typescript,
// typescript-operations, client preset with persisted documents) runs over
// it and the example operations without error; tsc accepts the generated
// code and src/gateway.ts (the README's example); and the manifest codegen
// writes is loaded by a gateway that then runs those operations, by hash,
// and nothing else.
func TestCodegenOverServedSDL(t *testing.T) {
	need(t, nodeTools)
	gw := startGateway(t, nil)
	sdl := servedSDL(t, gw)

	t.Run("schema.graphql is the full schema", func(t *testing.T) {
		var schema struct {
			Schema struct {
				Types []struct{ Name, Kind string } `json:"types"`
			} `json:"__schema"`
		}
		resp := gw.post(t, map[string]any{"query": "{ __schema { types { name kind } } }"})
		if len(resp.Errors) > 0 || json.Unmarshal(resp.Data, &schema) != nil {
			t.Fatalf("introspection: %+v", resp)
		}
		builtin := map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}
		for _, typ := range schema.Schema.Types {
			if strings.HasPrefix(typ.Name, "__") || builtin[typ.Name] {
				continue
			}
			def := regexp.MustCompile(`(?m)^(type|input|enum|scalar|interface|union) ` + typ.Name + `\b`)
			if !def.MatchString(sdl) {
				t.Errorf("type %s (%s) is served but missing from /schema.graphql", typ.Name, typ.Kind)
			}
		}
	})

	out := "generated"
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}
	log := runNode(t, map[string]string{
		"GATEWAY_SCHEMA_URL": gw.URL + "/schema.graphql",
		"CODEGEN_OUT":        out,
	}, "node", filepath.Join("node_modules", ".bin", "graphql-codegen"), "--config", "codegen.ts")
	t.Logf("graphql-codegen:\n%s", lastLines(log, 3))

	ops := exampleOperations(t)
	t.Run("every example operation is typed", func(t *testing.T) {
		generated, err := os.ReadFile(filepath.Join(out, "graphql.ts"))
		if err != nil {
			t.Fatal(err)
		}
		for name, kind := range ops {
			typ := name + strings.ToUpper(kind[:1]) + kind[1:]
			for _, want := range []string{"export type " + typ + " = ", "export type " + typ + "Variables = "} {
				if !strings.Contains(string(generated), want) {
					t.Errorf("generated/graphql.ts lacks %q", want)
				}
			}
		}
	})

	t.Run("tsc accepts the generated code and the README example", func(t *testing.T) {
		runNode(t, nil, "node", filepath.Join("node_modules", ".bin", "tsc"), "-p", "tsconfig.json")
	})

	manifestPath, err := filepath.Abs(filepath.Join(out, "persisted", "persisted-documents.json"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the persisted-documents manifest runs, and only it", func(t *testing.T) {
		manifest := readManifest(t, manifestPath)
		if len(manifest) != len(ops) {
			t.Fatalf("manifest has %d operations, examples have %d", len(manifest), len(ops))
		}
		locked := startGateway(t, map[string]string{
			"PERSISTED_OPERATIONS_FILE": manifestPath,
			"PERSISTED_OPERATIONS_ONLY": "true",
		})
		byHash := func(name string, vars map[string]any) graphqlResponse {
			t.Helper()
			hash := hashOf(t, manifest, name)
			return locked.post(t, map[string]any{
				"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}},
				"variables":  vars,
			})
		}

		feed := byHash("HomeFeed", map[string]any{"first": 2})
		var fd struct {
			HomeFeed struct {
				Nodes []struct {
					ID    string
					Space struct{ ID string }
				}
			}
		}
		if len(feed.Errors) > 0 || json.Unmarshal(feed.Data, &fd) != nil || len(fd.HomeFeed.Nodes) != 2 {
			t.Fatalf("HomeFeed by hash: %d %s %+v", feed.Status, feed.Data, feed.Errors)
		}
		post := byHash("PostWithComments", map[string]any{"spaceId": fd.HomeFeed.Nodes[0].Space.ID, "id": fd.HomeFeed.Nodes[0].ID})
		if len(post.Errors) > 0 || !strings.Contains(string(post.Data), `"comments":{`) {
			t.Fatalf("PostWithComments by hash: %d %s %+v", post.Status, post.Data, post.Errors)
		}
		events := byHash("UpcomingEvents", nil)
		if len(events.Errors) > 0 || !strings.Contains(string(events.Data), `"events":{`) {
			t.Fatalf("UpcomingEvents by hash: %d %s %+v", events.Status, events.Data, events.Errors)
		}
		text := locked.post(t, map[string]any{"query": manifest[hashOf(t, manifest, "HomeFeed")], "variables": map[string]any{"first": 1}})
		if len(text.Errors) > 0 {
			t.Fatalf("HomeFeed's exact text: %+v", text.Errors)
		}
		for _, q := range []string{"{ me { name } }", "{ __schema { queryType { name } } }"} {
			refused := locked.post(t, map[string]any{"query": q})
			if refused.Status != http.StatusUnprocessableEntity || len(refused.codes()) != 1 || refused.codes()[0] != "PERSISTED_QUERY_NOT_ALLOWED" {
				t.Errorf("%s: status %d, codes %v; want 422 PERSISTED_QUERY_NOT_ALLOWED", q, refused.Status, refused.codes())
			}
		}
	})

	t.Run("an invalid operation fails codegen", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "broken.graphql")
		if err := os.WriteFile(bad, []byte("query Broken { me { noSuchField } }\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		log, err := runNodeErr(t, map[string]string{
			"GATEWAY_SCHEMA_URL": gw.URL + "/schema.graphql",
			"CODEGEN_OUT":        t.TempDir(),
			"CODEGEN_DOCUMENTS":  bad,
		}, "node", filepath.Join("node_modules", ".bin", "graphql-codegen"), "--config", "codegen.ts")
		if err == nil || !strings.Contains(log, "noSuchField") {
			t.Fatalf("codegen over a broken operation: err %v\n%s", err, log)
		}
	})
}

// The gateway refuses to start with persisted-operation settings it cannot
// honour, and says why.
func TestGatewayRefusesBadPersistedSettings(t *testing.T) {
	sha1Manifest := filepath.Join(t.TempDir(), "sha1.json")
	if err := os.WriteFile(sha1Manifest, []byte(`{"0123456789abcdef0123456789abcdef01234567":"{ me { name } }"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		settings map[string]string
		want     string
	}{
		{"only without a manifest", map[string]string{"PERSISTED_OPERATIONS_ONLY": "true"}, "PERSISTED_OPERATIONS_ONLY=true needs PERSISTED_OPERATIONS_FILE"},
		{"a missing manifest", map[string]string{"PERSISTED_OPERATIONS_FILE": filepath.Join(t.TempDir(), "nope.json")}, "no such file"},
		{"a manifest not keyed by sha256", map[string]string{"PERSISTED_OPERATIONS_FILE": sha1Manifest, "PERSISTED_OPERATIONS_ONLY": "true"}, "is not the sha256 of its document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out := startFails(t, tt.settings); !strings.Contains(out, tt.want) {
				t.Fatalf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

func servedSDL(t *testing.T, gw *gateway) string {
	t.Helper()
	resp, err := http.Get(gw.URL + "/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "type Query") || !strings.Contains(string(b), "type Mutation") {
		t.Fatalf("GET /schema.graphql: %d\n%.500s", resp.StatusCode, b)
	}
	return string(b)
}

// exampleOperations maps each operation in examples/operations to its kind.
func exampleOperations(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "examples", "operations", "*.graphql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example operations (%v)", err)
	}
	ops := map[string]string{}
	def := regexp.MustCompile(`(?m)^(query|mutation|subscription) (\w+)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range def.FindAllStringSubmatch(string(b), -1) {
			ops[m[2]] = m[1]
		}
	}
	return ops
}

func readManifest(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// hashOf finds the manifest key of the operation called name.
func hashOf(t *testing.T, manifest map[string]string, name string) string {
	t.Helper()
	keys := make([]string, 0, len(manifest))
	for k := range manifest {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	def := regexp.MustCompile(`(^|\s)(query|mutation|subscription) ` + name + `\b`)
	for _, k := range keys {
		if def.MatchString(manifest[k]) {
			return k
		}
	}
	t.Fatalf("operation %s is not in the manifest", name)
	return ""
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
