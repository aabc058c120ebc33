package graph

import (
	"github.com/vektah/gqlparser/v2/ast"
)

// PostsMayArriveInWaves reports whether the operation can ask for posts
// from more than one dependency level: only Comment.post does (the comments
// of different lists come back at different times); root `post` fields ask
// all at once. Operations without it need no merging of post batches, so
// their independent root fields are never held back (loaders.Config).
func PostsMayArriveInWaves(doc *ast.QueryDocument, op *ast.OperationDefinition) bool {
	if doc == nil || op == nil {
		return false
	}
	seen := map[string]bool{}
	var walk func(ast.SelectionSet) bool
	walk = func(set ast.SelectionSet) bool {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if s.ObjectDefinition != nil && s.ObjectDefinition.Name == "Comment" && s.Name == "post" {
					return true
				}
				if walk(s.SelectionSet) {
					return true
				}
			case *ast.InlineFragment:
				if walk(s.SelectionSet) {
					return true
				}
			case *ast.FragmentSpread:
				if seen[s.Name] {
					continue
				}
				seen[s.Name] = true
				if f := doc.Fragments.ForName(s.Name); f != nil && walk(f.SelectionSet) {
					return true
				}
			}
		}
		return false
	}
	return walk(op.SelectionSet)
}
