package subgraph

import (
	"reflect"
	"testing"

	"github.com/circle-gateway/gateway/graph"
)

// The keys checked are the schema's @key directives, parsed from their
// field sets: what federation.graphqls declares, nothing restated.
func TestRepresentationsReadTheSchemaKeys(t *testing.T) {
	t.Parallel()
	var c Representations
	if err := c.Validate(New(&graph.Resolver{})); err != nil {
		t.Fatal(err)
	}
	want := map[string][][]string{
		"Member":  {{"id"}},
		"Space":   {{"id"}},
		"Post":    {{"id"}, {"space", "id"}},
		"Comment": {{"id"}, {"post", "id"}},
	}
	if !reflect.DeepEqual(c.keys, want) {
		t.Fatalf("keys %v, want %v", c.keys, want)
	}
}

func TestKeyPaths(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fields string
		want   [][]string
	}{
		{"id", [][]string{{"id"}}},
		{"id space { id }", [][]string{{"id"}, {"space", "id"}}},
		{"a{b c{d}} e", [][]string{{"a", "b"}, {"a", "c", "d"}, {"e"}}},
	} {
		got, err := keyPaths(tc.fields)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("keyPaths(%q) = %v, %v; want %v", tc.fields, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "{ id }", "id }", "space { id", "a { }"} {
		if got, err := keyPaths(bad); err == nil {
			t.Errorf("keyPaths(%q) = %v, want an error", bad, got)
		}
	}
}
