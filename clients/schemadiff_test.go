package clients

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Old schema for the schema-diff tests, split like schema/ (extend type
// included).
var oldSchema = map[string]string{
	"a.graphqls": "type Query { post(id: ID!): Post }\nenum Sort { NEW OLD }\n",
	"b.graphqls": "type Post { id: ID! title: String legacyBody: String }\nextend type Query { posts(sort: Sort): [Post!]! }\n",
}

// withChanges returns the old schema with replacements applied to b.graphqls
// and a.graphqls.
func withChanges(replacements ...string) map[string]string {
	r := strings.NewReplacer(replacements...)
	return map[string]string{"a.graphqls": r.Replace(oldSchema["a.graphqls"]), "b.graphqls": r.Replace(oldSchema["b.graphqls"])}
}

const intended = "# Schema changelog\n\n## Intended breaking changes\n\n- `Post.legacyBody` — removed; use bodyHtml.\n"

// clients/schema-diff.mjs: additions pass, a breaking change fails unless
// SCHEMA_CHANGELOG.md lists it under "Intended breaking changes", and
// listing one break does not excuse another.
func TestSchemaDiff(t *testing.T) {
	need(t, nodeTools)
	tests := []struct {
		name      string
		schema    map[string]string
		changelog string
		wantFail  bool
		wantOut   []string
	}{
		{name: "unchanged", schema: oldSchema, wantOut: []string{"0 change(s)"}},
		{name: "a new field is safe", schema: withChanges("legacyBody: String }", "legacyBody: String likes: Int }"), wantOut: []string{"0 breaking", "1 safe"}},
		{name: "a new enum value is dangerous, not breaking", schema: withChanges("NEW OLD", "NEW OLD TOP"), wantOut: []string{"dangerous", "Sort.TOP", "0 breaking"}},
		{name: "an unlisted removal fails", schema: withChanges(" legacyBody: String", ""), wantFail: true, wantOut: []string{"✖ breaking", "Post.legacyBody", "1 breaking (0 intended)"}},
		{name: "a listed removal passes", schema: withChanges(" legacyBody: String", ""), changelog: intended, wantOut: []string{"breaking (intended)  Post.legacyBody", "1 breaking (1 intended)"}},
		{
			name:      "listed outside the intended section does not count",
			schema:    withChanges(" legacyBody: String", ""),
			changelog: "# Schema changelog\n\n## Notes\n\n- `Post.legacyBody` — removed.\n\n## Intended breaking changes\n\n(none)\n",
			wantFail:  true,
			wantOut:   []string{"✖ breaking", "Post.legacyBody"},
		},
		{
			name:      "one listed break does not excuse another",
			schema:    withChanges(" legacyBody: String", "", "post(id: ID!)", "post(id: ID!, spaceId: ID!)"),
			changelog: intended,
			wantFail:  true,
			wantOut:   []string{"breaking (intended)  Post.legacyBody", "✖ breaking             Query.post.spaceId", "2 breaking (1 intended)"},
		},
		{name: "a field type made incompatible fails", schema: withChanges("title: String", "title: Int"), wantFail: true, wantOut: []string{"Post.title"}},
	}
	oldDir := writeSchema(t, oldSchema)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			newDir := writeSchema(t, tt.schema)
			changelog := filepath.Join(t.TempDir(), "SCHEMA_CHANGELOG.md")
			if err := os.WriteFile(changelog, []byte(tt.changelog), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := runNodeErr(t, nil, "node", "schema-diff.mjs", "--old", oldDir, "--new", newDir, "--changelog", changelog)
			if failed := err != nil; failed != tt.wantFail {
				t.Fatalf("failed = %v (%v), want %v:\n%s", failed, err, tt.wantFail, out)
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// .ci/schema-diff.sh compares the working tree's schema/ with the previous
// commit's: a first commit has nothing to compare, a breaking commit fails,
// and listing the break in SCHEMA_CHANGELOG.md lets it pass.
func TestSchemaDiffScript(t *testing.T) {
	need(t, nodeTools)
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	script, err := filepath.Abs(filepath.Join("..", ".ci", "schema-diff.sh"))
	if err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	commitSchema := func(files map[string]string, msg string) {
		t.Helper()
		dir := filepath.Join(repo, "schema")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, body := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		git("add", "-A")
		git("commit", "-q", "-m", msg)
	}
	run := func() (string, error) {
		t.Helper()
		cmd := exec.Command("bash", script, repo)
		cmd.Env = append(os.Environ(), "SCHEMA_DIFF_BASE=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	git("init", "-q")
	commitSchema(oldSchema, "first")
	if out, err := run(); err != nil || !strings.Contains(out, "nothing to check") {
		t.Fatalf("first commit: err %v\n%s", err, out)
	}
	commitSchema(withChanges(" legacyBody: String", ""), "drop Post.legacyBody")
	if out, err := run(); err == nil || !strings.Contains(out, "Post.legacyBody") {
		t.Fatalf("unlisted breaking commit passed (err %v):\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(repo, "SCHEMA_CHANGELOG.md"), []byte(intended), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run(); err != nil || !strings.Contains(out, "1 breaking (1 intended)") {
		t.Fatalf("listed breaking commit failed (err %v):\n%s", err, out)
	}
}

func writeSchema(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
