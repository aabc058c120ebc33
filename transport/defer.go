package transport

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// @defer is part of every schema gqlparser builds, so clients may send it
// (Apollo Client does, for deferred fragments). gqlgen's executor would
// then answer in several payloads, which an HTTP answer of one JSON object
// cannot carry: the client got the first payload only, with the deferred
// fields null and "hasNext": true, and the rest was lost. The
// incremental-delivery proposal lets a server ignore @defer and deliver
// deferred fragments in the initial response, so the gateway does that on
// every transport: the fields of a deferred fragment come in the one
// answer, as if @defer were absent (docs/api.md).

// undeferred is the parsed-query cache with @defer taken out of each
// document before it is kept: the executor adds every document it has
// just parsed and validated, before any other request can see it, and
// executes the same document.
type undeferred struct {
	graphql.Cache[*ast.QueryDocument]
}

// Add removes @defer from doc, then keeps it.
func (c undeferred) Add(ctx context.Context, query string, doc *ast.QueryDocument) {
	withoutDefer(doc)
	c.Cache.Add(ctx, query, doc)
}

// withoutDefer removes every @defer of doc, in its operations and its
// fragments (a spread's definition is one of doc.Fragments).
func withoutDefer(doc *ast.QueryDocument) {
	for _, op := range doc.Operations {
		withoutDeferIn(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		withoutDeferIn(f.SelectionSet)
	}
}

func withoutDeferIn(set ast.SelectionSet) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			withoutDeferIn(s.SelectionSet)
		case *ast.InlineFragment:
			s.Directives = dropDefer(s.Directives)
			withoutDeferIn(s.SelectionSet)
		case *ast.FragmentSpread:
			s.Directives = dropDefer(s.Directives)
		}
	}
}

// dropDefer returns ds without @defer, ds itself when it has none.
func dropDefer(ds ast.DirectiveList) ast.DirectiveList {
	if ds.ForName("defer") == nil {
		return ds
	}
	out := make(ast.DirectiveList, 0, len(ds)-1)
	for _, d := range ds {
		if d.Name != "defer" {
			out = append(out, d)
		}
	}
	return out
}
