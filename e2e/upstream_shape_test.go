package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/testenv"
)

// An upstream answer of the wrong shape is an error at the field that
// read it, never data: not an empty list for null, not totalCount: -5.
func TestWrongShapeFromCircleIsAFieldError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path, body, query string
		at                      string // the error's path
	}{
		{"spaces: 200 null", "/spaces", `null`, `{ spaces { id } }`, "spaces"},
		{"comments: a negative count", "/comments", `{"page":1,"per_page":1,"has_next_page":false,"count":-5,"records":[]}`,
			`{ homeFeed(first: 1) { nodes { id comments(first: 1) { totalCount } } } }`, "homeFeed.nodes.0.comments"},
		{"feed: 200 null", "/home", `null`, `{ homeFeed(first: 1) { totalCount } }`, "homeFeed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := testenv.New(t, testenv.Options{})
			env.Upstream.SetFault(func(r *http.Request) (int, string, bool) {
				if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, tt.path) {
					return http.StatusOK, tt.body, true
				}
				return 0, "", false
			})
			r := env.Do(t, env.DemoToken(t), tt.query, nil)
			if strings.Contains(string(r.Data), "-5") || strings.Contains(string(r.Data), "[]") {
				t.Fatalf("the broken answer was served as data: %s", r.Data)
			}
			if len(r.Errors) != 1 || r.Errors[0].Code() != "INTERNAL_SERVER_ERROR" || pathOf(r.Errors[0]) != tt.at {
				t.Fatalf("errors %+v, want one INTERNAL_SERVER_ERROR at %s", r.Errors, tt.at)
			}
			if !strings.Contains(env.Logs.String(), "decode response") {
				t.Fatalf("the operator's log does not say what was wrong:\n%s", env.Logs.String())
			}
		})
	}
}

func pathOf(e testenv.GQLError) string {
	parts := make([]string, len(e.Path))
	for i, p := range e.Path {
		parts[i] = fmt.Sprint(p)
	}
	return strings.Join(parts, ".")
}
