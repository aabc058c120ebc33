package graph

import (
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/circle-gateway/gateway/graph/generated"
)

func TestPostsMayArriveInWaves(t *testing.T) {
	t.Parallel()
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}}).Schema()
	tests := map[string]bool{
		`{ me { name } post(spaceId: "1", id: "2") { title } }`:                                                                    false,
		`{ homeFeed { nodes { comments { nodes { id } } } } }`:                                                                     false,
		`{ member(id: "1") { comments { nodes { post { id } } } } }`:                                                               true,
		`{ homeFeed { nodes { ...P } } } fragment P on Post { comments { nodes { ...C } } } fragment C on Comment { post { id } }`: true,
		`{ homeFeed { nodes { comments { nodes { ... on Comment { post { id } } } } } } }`:                                         true,
	}
	for q, want := range tests {
		doc, errs := gqlparser.LoadQuery(schema, q)
		if errs != nil {
			t.Fatalf("%s: %v", q, errs)
		}
		var op *ast.OperationDefinition
		if len(doc.Operations) > 0 {
			op = doc.Operations[0]
		}
		if got := PostsMayArriveInWaves(doc, op); got != want {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
	if PostsMayArriveInWaves(nil, nil) {
		t.Error("nil operation")
	}
}
