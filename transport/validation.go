package transport

import (
	"context"
	"crypto/sha256"
	"maps"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// validationRules are GraphQL's validation rules as gqlgen runs them before
// any extension sees the operation, minus "fields can be merged", which
// runs later (overlapCheck), and, with introspection off, with the rules
// that suggest schema names swapped for their silent variants (gqlgen's own
// switch covers only unknown fields and leaf selections), so that a schema
// hidden from introspection cannot be read from error messages.
func validationRules(introspection bool) *rules.Rules {
	r := rules.NewDefaultRules()
	r.RemoveRule(rules.OverlappingFieldsCanBeMergedRule.Name)
	if !introspection {
		for _, silent := range []core.Rule{rules.KnownArgumentNamesRuleWithoutSuggestions, rules.KnownTypeNamesRuleWithoutSuggestions, rules.ValuesOfCorrectTypeRuleWithoutSuggestions} {
			r.RemoveRule(strings.TrimSuffix(silent.Name, "WithoutSuggestions"))
			r.AddRule(silent.Name, silent.RuleFunc)
		}
	}
	return r
}

// overlapCheck runs GraphQL's "fields can be merged" validation after the
// query limits instead of with the other rules: its cost grows with the
// square of the fields that share a response name, so a 50 KB document of
// repeated fields cost seconds of CPU and a gigabyte of errors before any
// limit was checked. Within the limits (which also cap the fields of a
// document) it is cheap; its verdict is remembered per query text, so each
// text is parsed again and checked once.
type overlapCheck struct {
	schema graphql.ExecutableSchema
	seen   *lru.LRU[*gqlerror.Error]
}

func newOverlapCheck() *overlapCheck {
	return &overlapCheck{seen: lru.New[*gqlerror.Error](1000)}
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &overlapCheck{}

// ExtensionName names the extension for gqlgen.
func (*overlapCheck) ExtensionName() string { return "FieldsCanBeMerged" }

// Validate keeps the schema to validate against.
func (c *overlapCheck) Validate(schema graphql.ExecutableSchema) error {
	c.schema = schema
	return nil
}

// MutateOperationContext refuses an operation whose fields cannot be merged
// (GRAPHQL_VALIDATION_FAILED, given by the error table like the rest).
func (c *overlapCheck) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	sum := sha256.Sum256([]byte(oc.RawQuery))
	key := string(sum[:])
	if verdict, ok := c.seen.Get(ctx, key); ok {
		return own(verdict)
	}
	// The validator annotates the document it walks, and oc.Doc is the
	// cached one other requests are reading: it checks a private parse.
	doc, perr := parser.ParseQuery(&ast.Source{Input: oc.RawQuery})
	if perr != nil {
		return nil // gqlgen parsed this very text; nothing to add
	}
	var verdict *gqlerror.Error
	if errs := validator.ValidateWithRules(c.schema.Schema(), doc, rules.NewRules(rules.OverlappingFieldsCanBeMergedRule)); len(errs) > 0 {
		verdict = errs[0]
		verdict.Err = errFieldsCannotMerge
	}
	c.seen.Add(ctx, key, verdict)
	return own(verdict)
}

// own returns a copy of a remembered verdict for one request: the error
// presenter and the error table write into the error they are given (its
// code, its message), and requests sending the same text at once would
// otherwise write into one map together, a fatal error of the process.
func own(verdict *gqlerror.Error) *gqlerror.Error {
	if verdict == nil {
		return nil
	}
	v := *verdict
	v.Extensions = maps.Clone(verdict.Extensions)
	v.Locations = slices.Clone(verdict.Locations)
	v.Path = slices.Clone(verdict.Path)
	return &v
}

// introspectionOff refuses, with introspection disabled, an operation that
// selects __schema or __type (or, in subgraph mode, federation's _service,
// the schema as SDL), before it runs (GRAPHQL_VALIDATION_FAILED, with the
// field's path and position). gqlgen's executor would refuse the field
// itself while running it, with an error known only by its text.
type introspectionOff struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = introspectionOff{}

// ExtensionName names the extension for gqlgen.
func (introspectionOff) ExtensionName() string { return "IntrospectionOff" }

// Validate accepts any schema.
func (introspectionOff) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext refuses the first introspection root field.
func (introspectionOff) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if !oc.DisableIntrospection {
		return nil
	}
	seen := map[string]bool{}
	var find func(ast.SelectionSet) *ast.Field
	find = func(set ast.SelectionSet) *ast.Field {
		for _, sel := range set {
			var f *ast.Field
			switch s := sel.(type) {
			case *ast.Field:
				if s.Name == "__schema" || s.Name == "__type" || s.Name == "_service" {
					f = s
				}
			case *ast.InlineFragment:
				f = find(s.SelectionSet)
			case *ast.FragmentSpread:
				if !seen[s.Name] {
					seen[s.Name] = true
					if def := oc.Doc.Fragments.ForName(s.Name); def != nil {
						f = find(def.SelectionSet)
					}
				}
			}
			if f != nil {
				return f
			}
		}
		return nil
	}
	f := find(oc.Operation.SelectionSet)
	if f == nil {
		return nil
	}
	err := gqlerror.WrapPos(f.Position, errIntrospectionDisabled)
	err.Path = ast.Path{ast.PathName(f.Alias)}
	return err
}
