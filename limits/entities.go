package limits

import "github.com/vektah/gqlparser/v2/ast"

// entitiesField is federation's _entities (FEDERATION=true, package
// graph/subgraph): a router's request for the objects behind a list of
// references. Without FEDERATION the schema has no such field.
const entitiesField = "Query._entities"

// entityReads is what reading one reference of each entity type gives: a
// member is read as its public profile, a space as its full record (so
// their fields cost nothing more), a post or a comment as its record.
var entityReads = map[string]costContext{
	"Member": {profiles: true},
	"Space":  {fullSpaces: true},
}

// entities estimates an _entities field: every representation costs the
// read of its object (one call; posts are batched per space, so this is an
// upper bound) plus what its type's fragments select in turn. The count
// comes from the representations themselves (the document's or its
// variables'), so a router's batch of N references costs N.
func (m *meter) entities(f *ast.Field) int {
	reps, _ := f.ArgumentMap(m.oc.Variables)["representations"].([]any)
	perType := map[string]int{}
	for _, r := range reps {
		rep, _ := r.(map[string]any) // anything else is refused before the operation runs
		typename, _ := rep["__typename"].(string)
		perType[typename]++
	}
	total := 0
	for typename, n := range perType {
		total = addCapped(total, mul(n, 1+m.entityItemCost(f.SelectionSet, typename)))
	}
	return total
}

// entityItemCost is what set selects for an object of type typename: the
// fragments on that type (and on the _Entity union itself).
func (m *meter) entityItemCost(set ast.SelectionSet, typename string) int {
	cc := entityReads[typename]
	applies := func(cond string) bool { return cond == "" || cond == typename || cond == "_Entity" }
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.InlineFragment:
			if applies(s.TypeCondition) {
				total = addCapped(total, m.costIn(s.SelectionSet, cc))
			}
		case *ast.FragmentSpread:
			if def := m.fragments.ForName(s.Name); def != nil && applies(def.TypeCondition) {
				total = addCapped(total, m.fragment(s.Name, m.costCache(cc), func(set ast.SelectionSet) int { return m.costIn(set, cc) }))
			}
		}
	}
	return total
}
