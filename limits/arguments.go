package limits

import (
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/circle-gateway/gateway/internal/argcheck"
	"github.com/circle-gateway/gateway/relay"
)

// checkConnectionArguments returns the first connection field of the
// operation whose `first` or `after` the resolvers would refuse, at that
// field's position, or nil. relay.WindowFromArguments decides, as
// relay.NewWindow does for the resolvers, so both give the same verdict
// and message; the error wraps relay's *relay.ArgumentError, which the
// error presenter reports as BAD_USER_INPUT.
//
// Checking before the operation runs means no outer list is fetched for a
// nested field that cannot be. Fragments take no arguments of their own,
// so each is checked once wherever it is spread, and cycles (which
// validation refuses anyway) are cut: hostile documents cost linear time.
func checkConnectionArguments(oc *graphql.OperationContext) *gqlerror.Error {
	c := argumentCheck{oc: oc, seen: map[string]bool{}}
	return c.selections(oc.Operation.SelectionSet)
}

type argumentCheck struct {
	oc   *graphql.OperationContext
	seen map[string]bool
}

func (c *argumentCheck) selections(set ast.SelectionSet) *gqlerror.Error {
	for _, sel := range set {
		var err *gqlerror.Error
		switch s := sel.(type) {
		case *ast.Field:
			err = c.field(s)
		case *ast.InlineFragment:
			err = c.selections(s.SelectionSet)
		case *ast.FragmentSpread:
			if c.seen[s.Name] {
				continue
			}
			c.seen[s.Name] = true
			if def := c.oc.Doc.Fragments.ForName(s.Name); def != nil {
				err = c.selections(def.SelectionSet)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *argumentCheck) field(f *ast.Field) *gqlerror.Error {
	if strings.HasPrefix(f.Name, "__") {
		return nil // introspection: answered from the schema
	}
	if isConnection(f) {
		check := relay.WindowFromArguments
		if backward(f) {
			check = func(args map[string]any) (relay.Window, error) {
				_, err := relay.BackWindowFromArguments(args)
				return relay.Window{}, err
			}
		}
		args := f.ArgumentMap(c.oc.Variables)
		if _, err := check(args); err != nil {
			return gqlerror.WrapPos(f.Position, err)
		}
		if check := listArgumentChecks[f.ObjectDefinition.Name+"."+f.Name]; check != nil {
			if err := check(args); err != nil {
				return gqlerror.WrapPos(f.Position, &relay.ArgumentError{Message: err.Error()})
			}
		}
	}
	if check := fieldArgumentChecks[f.ObjectDefinition.Name+"."+f.Name]; check != nil {
		if err := check(f.ArgumentMap(c.oc.Variables)); err != nil {
			return gqlerror.WrapPos(f.Position, &relay.ArgumentError{Message: err.Error()})
		}
	}
	if err := c.ids(f); err != nil {
		return err
	}
	return c.selections(f.SelectionSet)
}

// backward reports whether a connection pages backwards, by `last` and
// `before` (a room's messages, over Circle's id window), rather than by
// `first` and `after`.
func backward(f *ast.Field) bool {
	return f.Definition.Arguments.ForName("last") != nil && f.Definition.Arguments.ForName("first") == nil
}

// nestedIDArguments are the Circle id arguments of fields below the root,
// by field: a bad one is refused before the operation runs, as the
// resolvers would refuse it, so that no parent is fetched for a child that
// cannot be. (Root fields' ids are checked by their resolvers, before
// their first call.)
var nestedIDArguments = map[string][]string{"Course.lesson": {"id"}}

// ids refuses a nested id argument that is not a positive integer, with
// argcheck.ID's verdict and message (graph's parseID's), as a
// *relay.ArgumentError (an argument refused before any call:
// BAD_USER_INPUT, like a connection's).
func (c *argumentCheck) ids(f *ast.Field) *gqlerror.Error {
	if f.ObjectDefinition == nil {
		return nil
	}
	names := nestedIDArguments[f.ObjectDefinition.Name+"."+f.Name]
	if len(names) == 0 {
		return nil
	}
	args := f.ArgumentMap(c.oc.Variables)
	for _, name := range names {
		v, ok := args[name].(string)
		if !ok {
			continue
		}
		if _, err := argcheck.ID(name, v); err != nil {
			return gqlerror.WrapPos(f.Position, &relay.ArgumentError{Message: err.Error()})
		}
	}
	return nil
}

// MaxTopicFilter is the most topic ids a list of posts takes (the
// resolver's bound: each is a query parameter).
const MaxTopicFilter = 20

// listArgumentChecks check, on the same walk, the other arguments of
// connections that sit under a field the resolvers would fetch first (a
// space's posts under space(id:)), with argcheck's verdict and message,
// which the resolvers give too.
var listArgumentChecks = map[string]func(args map[string]any) error{
	"Space.posts": func(args map[string]any) error {
		raw, _ := args["topicIds"].([]any)
		ids := make([]string, len(raw))
		for i, v := range raw {
			ids[i], _ = v.(string)
		}
		_, err := argcheck.IDs("topicIds", ids, MaxTopicFilter)
		return err
	},
}

// fieldArgumentChecks check, on the same walk, the arguments of fields
// other than connections that sit under a field the resolvers would fetch
// first (a space's post under space(slug:)), with argcheck's verdict and
// message, which the resolvers give too.
var fieldArgumentChecks = map[string]func(args map[string]any) error{
	"Space.post": func(args map[string]any) error {
		return argcheck.OneRef("id", stringArg(args, "id"), "slug", stringArg(args, "slug"))
	},
}

// stringArg is a string argument's value, nil when absent or null.
func stringArg(args map[string]any, name string) *string {
	v, ok := args[name].(string)
	if !ok {
		return nil
	}
	return &v
}

// isConnection reports whether f returns a Relay connection, whose `first`
// and `after` relay validates and whose cost is weighted by `first`.
func isConnection(f *ast.Field) bool {
	return f.Definition != nil && f.ObjectDefinition != nil && strings.HasSuffix(f.Definition.Type.Name(), "Connection")
}
