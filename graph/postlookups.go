package graph

import (
	"context"
	"reflect"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/circle-gateway/gateway/loaders"
)

// Post lookups are counted, not timed (loaders.PostLoader): a batch of post
// keys goes to Circle the moment no field of the operation that may still
// ask for a post is running. This file tells the loader which fields those
// are and when each is done.
//
// A field "may ask for a post" when its selection reaches a field of type
// Post that is not a list (Comment.post, Query.post, …): those are the ones
// that load through PostsBySpaceAndID; lists of posts come from list calls
// and prime the loader instead. Counting over-approximates safely: a
// counted field that never loads simply finishes.
//
// The count follows gqlgen's execution exactly. The operation starts with
// its root fields that may ask for posts; a counted field, once its
// resolver has returned, expects the fields of its result that may in turn
// ask (one per object for lists), then ends. gqlgen resolves every field of
// every object it returns, so each expected field runs and ends, or fails
// before its resolver is called, which the error hook (NotePostLookupError)
// counts as ended.

// postLookupPlan is one operation's view of which of its fields may ask
// for posts. Built before the operation runs, read-only afterwards.
type postLookupPlan struct {
	oc     *graphql.OperationContext
	schema *ast.Schema
	posts  *loaders.PostLoader
	// reaches holds, for every selection of the document, whether it may
	// lead to a post lookup.
	reaches map[ast.Selection]bool
	// abandoned records fields whose failure before their resolver was
	// already counted, so an error list counts once.
	abandoned sync.Map
}

type postLookupPlanKey struct{}

// resolvingKey marks the context a counted field's resolver runs with, so
// that the error hook can tell errors of a resolver from errors raised
// before it (argument coercion), when the field never ran.
type resolvingKey struct{}

// TrackPostLookups prepares the counting of post lookups for a query and
// returns the context its fields run with. Mutations and subscriptions are
// not tracked: a mutation's fields run one after another, so waiting for
// the later ones would never end, and a subscription resolves one event
// at a time.
func TrackPostLookups(ctx context.Context, oc *graphql.OperationContext, schema *ast.Schema, l *loaders.Loaders) context.Context {
	if oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Query || l == nil {
		return ctx
	}
	p := &postLookupPlan{oc: oc, schema: schema, posts: l.PostsBySpaceAndID, reaches: map[ast.Selection]bool{}}
	fragments := map[string]bool{}
	inProgress := map[string]bool{}
	var walk func(set ast.SelectionSet) bool
	var fragment func(name string) bool
	fragment = func(name string) bool {
		if v, ok := fragments[name]; ok || inProgress[name] {
			return v // a cycle (refused by validation anyway) adds nothing
		}
		inProgress[name] = true
		def := oc.Doc.Fragments.ForName(name)
		v := def != nil && walk(def.SelectionSet)
		delete(inProgress, name)
		fragments[name] = v
		return v
	}
	walk = func(set ast.SelectionSet) bool {
		any := false
		for _, sel := range set {
			var v bool
			switch s := sel.(type) {
			case *ast.Field:
				sub := walk(s.SelectionSet) // every nested selection gets its entry
				v = loadsPost(s) || sub
			case *ast.InlineFragment:
				v = walk(s.SelectionSet)
			case *ast.FragmentSpread:
				v = fragment(s.Name)
			}
			p.reaches[sel] = v
			any = any || v
		}
		return any
	}
	for _, f := range oc.Doc.Fragments {
		fragment(f.Name)
	}
	walk(oc.Operation.SelectionSet)

	roots := 0
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"}) {
		if p.counts(f) {
			roots++
		}
	}
	if roots == 0 {
		// Nothing below a root that cannot reach a post can: the query
		// never asks for one, and pays nothing for counting.
		return ctx
	}
	p.posts.TrackLookups(roots)
	// The counting middleware runs for this operation only (gqlgen copies
	// the server's field middleware into each operation's context).
	serverMiddleware := oc.ResolverMiddleware
	oc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (any, error) {
		return p.aroundField(ctx, func(ctx context.Context) (any, error) { return serverMiddleware(ctx, next) })
	}
	return context.WithValue(ctx, postLookupPlanKey{}, p)
}

// loadsPost reports whether f is a field that loads a post by key: of type
// Post, not a list.
func loadsPost(f *ast.Field) bool {
	return f.Definition != nil && f.Definition.Type != nil && f.Definition.Type.Elem == nil && f.Definition.Type.NamedType == "Post"
}

// counts reports whether the collected field f may ask for a post: it is
// such a field itself, or one of its (merged) selections leads to one.
func (p *postLookupPlan) counts(f graphql.CollectedField) bool {
	if f.Field != nil && loadsPost(f.Field) {
		return true
	}
	for _, sel := range f.Selections {
		if p.reaches[sel] {
			return true
		}
	}
	return false
}

// aroundField is the field middleware of a tracked query: it counts the
// fields that may ask for posts; every other field passes straight on.
func (p *postLookupPlan) aroundField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || !mayReachPost(fc.Field.Definition) || !p.counts(fc.Field) {
		return next(ctx)
	}
	lk := p.posts.Begin()
	ctx = context.WithValue(loaders.WithLookup(ctx, lk), resolvingKey{}, fc)
	var res any
	children := 0
	defer func() { lk.Done(children) }() // also when next panics
	res, err := next(ctx)
	if err == nil {
		children = p.children(fc, res)
	}
	return res, err
}

// mayReachPost is a quick filter before the plan is looked up: scalar and
// enum fields can never lead to a post.
func mayReachPost(def *ast.FieldDefinition) bool {
	if def == nil || def.Type == nil {
		return false
	}
	switch def.Type.Name() {
	case "String", "Int", "Float", "Boolean", "ID", "DateTime", "JSON":
		return false
	}
	return true
}

// children counts the fields of res that gqlgen is about to resolve and
// that may ask for posts: for each object res holds (one, or each non-null
// element of a list), the collected fields of the field's selection for
// that object's type.
func (p *postLookupPlan) children(fc *graphql.FieldContext, res any) (n int) {
	defer func() {
		if recover() != nil {
			n = 0 // never let counting break a field; at worst a batch splits
		}
	}()
	named := p.schema.Types[fc.Field.Definition.Type.Name()]
	if named == nil || (named.Kind != ast.Object && named.Kind != ast.Interface && named.Kind != ast.Union) {
		return 0
	}
	perType := map[string]int{}
	var visit func(v reflect.Value)
	visit = func(v reflect.Value) {
		for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return // null: gqlgen resolves nothing under it
			}
			v = v.Elem()
		}
		switch v.Kind() {
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				visit(v.Index(i))
			}
		case reflect.Struct:
			typeName := named.Name
			if named.Kind != ast.Object {
				// An interface or union: the object's model is named
				// after its GraphQL type (autobind).
				typeName = v.Type().Name()
			}
			c, ok := perType[typeName]
			if !ok {
				for _, f := range graphql.CollectFields(p.oc, fc.Field.Selections, p.implementors(typeName)) {
					if p.counts(f) {
						c++
					}
				}
				perType[typeName] = c
			}
			n += c
		}
	}
	visit(reflect.ValueOf(res))
	return n
}

// implementors lists what an object of type name satisfies in fragments:
// itself and its interfaces and unions, as gqlgen's generated code does.
func (p *postLookupPlan) implementors(name string) []string {
	out := []string{name}
	for _, d := range p.schema.GetImplements(p.schema.Types[name]) {
		out = append(out, d.Name)
	}
	return out
}

// NotePostLookupError is the error presenter's hook: an error raised for a
// counted field before its resolver ran (its arguments could not be
// coerced) means the field will never run, so it no longer counts.
func NotePostLookupError(ctx context.Context) {
	p, _ := ctx.Value(postLookupPlanKey{}).(*postLookupPlan)
	if p == nil {
		return
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || !mayReachPost(fc.Field.Definition) || !p.counts(fc.Field) {
		return
	}
	if running, _ := ctx.Value(resolvingKey{}).(*graphql.FieldContext); running == fc {
		return // an error of the resolver itself: the field ends normally
	}
	if _, seen := p.abandoned.LoadOrStore(fc, struct{}{}); !seen {
		p.posts.Expect(-1)
	}
}
