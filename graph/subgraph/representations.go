package subgraph

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/circle-gateway/gateway/graph"
)

// Representations is a gqlgen handler extension that checks every
// representation of an _entities field before the operation runs: an
// object naming an entity type of this subgraph in __typename, with each
// field of the type's @key a positive integer id. gqlgen's generated
// lookup would otherwise fail on a malformed one with an untyped error
// (or a recovered panic, for a nested key field that is not an object)
// once the operation runs; refused here, the operation gets
// BAD_USER_INPUT and no upstream call. The keys are read from the
// schema's @key directives (federation.graphqls), not restated.
type Representations struct {
	// keys holds, by entity type, the paths of its key fields
	// ("id", "space.id").
	keys map[string][][]string
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &Representations{}

// ExtensionName names the extension for gqlgen.
func (*Representations) ExtensionName() string { return "FederationRepresentations" }

// Validate reads the entity types and their keys from the schema.
func (c *Representations) Validate(schema graphql.ExecutableSchema) error {
	c.keys = map[string][][]string{}
	for name, def := range schema.Schema().Types {
		for _, d := range def.Directives.ForNames("key") {
			arg := d.Arguments.ForName("fields")
			if arg == nil || arg.Value == nil {
				return fmt.Errorf("subgraph: @key on %s has no fields", name)
			}
			paths, err := keyPaths(arg.Value.Raw)
			if err != nil {
				return fmt.Errorf("subgraph: @key on %s: %w", name, err)
			}
			c.keys[name] = append(c.keys[name], paths...)
		}
	}
	if len(c.keys) == 0 {
		return fmt.Errorf("subgraph: the schema has no @key: not a subgraph executor")
	}
	return nil
}

// keyPaths turns a key's field set ("id space { id }") into the paths of
// its leaves ([id] [space id]).
func keyPaths(fields string) ([][]string, error) {
	tokens := strings.Fields(strings.NewReplacer("{", " { ", "}", " } ").Replace(fields))
	var paths [][]string
	var stack []string
	last := ""
	for _, t := range tokens {
		switch t {
		case "{":
			if last == "" {
				return nil, fmt.Errorf("field set %q opens a selection without a field", fields)
			}
			stack = append(stack, last)
			paths = paths[:len(paths)-1] // the field with a selection is no leaf
			last = ""
		case "}":
			if len(stack) == 0 {
				return nil, fmt.Errorf("field set %q closes more than it opens", fields)
			}
			stack = stack[:len(stack)-1]
			last = ""
		default:
			paths = append(paths, append(append([]string(nil), stack...), t))
			last = t
		}
	}
	if len(stack) != 0 || len(paths) == 0 {
		return nil, fmt.Errorf("field set %q is not balanced", fields)
	}
	return paths, nil
}

// MutateOperationContext refuses the first malformed representation of
// the operation's _entities fields.
func (c *Representations) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return nil
	}
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"}) {
		if f.Name != "_entities" {
			continue
		}
		reps, _ := f.ArgumentMap(oc.Variables)["representations"].([]any)
		for i, r := range reps {
			if msg := c.check(r); msg != "" {
				err := gqlerror.WrapPos(f.Position, &graph.InputError{Message: fmt.Sprintf("representations[%d]: %s", i, msg)})
				err.Path = ast.Path{ast.PathName(f.Alias)}
				return err
			}
		}
	}
	return nil
}

// check returns what is wrong with one representation, or "".
func (c *Representations) check(r any) string {
	rep, ok := r.(map[string]any)
	if !ok {
		return "a representation is an object with __typename and the type's key fields"
	}
	typename, _ := rep["__typename"].(string)
	keys, ok := c.keys[typename]
	if !ok {
		return fmt.Sprintf("__typename %.40q is not an entity of this subgraph", typename)
	}
	for _, path := range keys {
		var v any = rep
		for _, name := range path {
			obj, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = obj[name]
		}
		if !positiveID(v) {
			return fmt.Sprintf("%s needs %s, a positive integer id", typename, strings.Join(path, "."))
		}
	}
	return ""
}

// positiveID reports whether v is an ID the resolvers take: a positive
// integer, as a string or a JSON number.
func positiveID(v any) bool {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		s = x.String()
	case int64:
		return x > 0
	case int:
		return x > 0
	default:
		return false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return err == nil && id > 0
}
