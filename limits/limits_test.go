package limits_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/circle-gateway/gateway/graph/generated"
	"github.com/circle-gateway/gateway/internal/refqueries"
	"github.com/circle-gateway/gateway/limits"
	"github.com/circle-gateway/gateway/relay"
)

// prepare runs query through gqlgen's own executor with l installed, as
// the server does (parse, validate, coerce variables, then the
// extension), against the served schema; no resolver runs.
func prepare(t *testing.T, l limits.Limits, query string, vars map[string]any) (*graphql.OperationContext, gqlerror.List) {
	t.Helper()
	exec := executor.New(generated.NewExecutableSchema(generated.Config{}))
	exec.Use(l)
	ctx := graphql.StartOperationTrace(context.Background())
	return exec.CreateOperationContext(ctx, &graphql.RawParams{Query: query, Variables: vars})
}

// The estimated cost of each query, as recorded in gqlgen's stats, counts
// the upstream calls it could make.
func TestCost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		query string
		cost  int
	}{
		{"feed", refqueries.ByName("feed").Query, 1},
		{"feed + comments", `{ homeFeed(first: 20) { nodes { title comments(first: 3) { nodes { bodyText author { name } } } } } }`, 21},
		{"feed + bio: one profile per post at most", `{ homeFeed(first: 20) { nodes { author { bio postsCount commentsCount } } } }`, 21},
		{"spaces + posts: 20 spaces assumed", `{ spaces { name posts(first: 5) { nodes { title } } } }`, 21},
		{"space details once per space", `{ spaces { isPrivate isMember url } }`, 21},
		{"default first is 20", `{ homeFeed { nodes { comments { totalCount } } } }`, 21},
		{"first: 0 costs the call only", `{ homeFeed(first: 0) { nodes { comments { totalCount } } } }`, 1},
		{"lookups", `{ me { id } post(spaceId: "1", id: "2") { id } member(id: "3") { id } }`, 3},
		{"relations that fetch", `{ homeFeed(first: 2) { nodes { comments(first: 2) { nodes { post { id } parent { id } } } } } }`, 1 + 2*(1+2*2)},
		{"edges count like nodes", `{ homeFeed(first: 4) { edges { node { comments(first: 1) { totalCount } } } } }`, 1 + 4*1},
		{"pageInfo and totalCount are free", `{ homeFeed(first: 50) { totalCount pageInfo { hasNextPage endCursor } } }`, 1},
		{"a fragment counts where it is spread", `query { a: homeFeed(first: 2) { nodes { ...C } } b: homeFeed(first: 3) { nodes { ...C } } } fragment C on Post { comments(first: 1) { totalCount } }`, (1 + 2*1) + (1 + 3*1)},
		{"an inline fragment on the edge", `{ homeFeed(first: 5) { edges { ... on PostEdge { node { author { bio } } } } } }`, 1 + 5},
		{"introspection is free", `{ __schema { types { name fields { name } } } }`, 0},
		{"an after that lines up with first costs one page", `{ homeFeed(first: 20) { nodes { comments(first: 60, after: "` + relay.EncodeCursor(59) + `") { totalCount } } } }`, 1 + 20*1},
		{"an after that fits one larger page costs one page", `{ homeFeed(first: 20) { nodes { comments(first: 10, after: "` + relay.EncodeCursor(4) + `") { totalCount } } } }`, 1 + 20*1},
		{"an after that straddles two pages costs two", `{ homeFeed(first: 20) { nodes { comments(first: 60, after: "` + relay.EncodeCursor(49) + `") { totalCount } } } }`, 1 + 20*2},
		{"a window that one page of three holds", `{ homeFeed(first: 2, after: "` + relay.EncodeCursor(0) + `") { nodes { author { bio } } } }`, 1 + 2},
		{"a straddling after from a variable", `query($c: String) { homeFeed(first: 3) { nodes { comments(first: 60, after: $c) { nodes { parent { id } } } } } }`, 1 + 3*(2+60)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			oc, errs := prepare(t, limits.Limits{MaxComplexity: 1000}, tt.query, map[string]any{"c": relay.EncodeCursor(49)})
			if len(errs) > 0 {
				t.Fatalf("refused: %v", errs)
			}
			if got := oc.Stats.GetExtension("complexity"); got != tt.cost {
				t.Fatalf("cost = %v, want %d", got, tt.cost)
			}
		})
	}
}

// Each limit refuses with COMPLEXITY_LIMIT_EXCEEDED at one over, and lets
// the operation through at the limit; zero fields mean the defaults.
func TestLimits(t *testing.T) {
	t.Parallel()
	aliases := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "a%d: me { id } ", i)
		}
		return "{ " + b.String() + "}"
	}
	roots := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "m%d: me { id } ", i)
		}
		return "{ " + b.String() + "}"
	}
	tests := []struct {
		name    string
		limits  limits.Limits
		query   string
		refused bool
	}{
		{"aliases at the default", limits.Limits{MaxRootFields: 100}, aliases(limits.DefaultMaxAliases), false},
		{"aliases over the default", limits.Limits{MaxRootFields: 100}, aliases(limits.DefaultMaxAliases + 1), true},
		{"aliases over a set limit", limits.Limits{MaxAliases: 2}, aliases(3), true},
		{"root fields at the default", limits.Limits{MaxAliases: 100}, roots(limits.DefaultMaxRootFields), false},
		{"root fields over the default", limits.Limits{MaxAliases: 100}, roots(limits.DefaultMaxRootFields + 1), true},
		{"root fields through a fragment", limits.Limits{MaxRootFields: 2}, `query { ...R me { id } } fragment R on Query { a: me { id } b: me { id } }`, true},
		{"depth at the default", limits.Limits{}, depthQuery(limits.DefaultMaxDepth), false},
		{"depth over the default", limits.Limits{}, depthQuery(limits.DefaultMaxDepth + 1), true},
		{"depth over a set limit", limits.Limits{MaxDepth: 3}, depthQuery(4), true},
		{"depth through a fragment", limits.Limits{MaxDepth: 3}, `query { me { ...M } } fragment M on Member { posts(first: 1) { nodes { id } } }`, true},
		{"complexity at the default", limits.Limits{}, `{ homeFeed(first: 100) { nodes { comments(first: 1) { totalCount } } } me { id } }`, false},
		{"complexity over the default", limits.Limits{}, `{ homeFeed(first: 100) { nodes { author { bio } comments(first: 1) { totalCount } } } }`, true},
		{"complexity over a set limit", limits.Limits{MaxComplexity: 20}, `{ homeFeed(first: 20) { nodes { author { bio } } } }`, true},
		{"more than 1000 fields", limits.Limits{}, `{ me { ` + strings.Repeat("id ", 1001) + `} }`, true},
		{"tokens at a set limit", limits.Limits{MaxTokens: 7}, `{ me { id name } }`, false},
		{"tokens over a set limit", limits.Limits{MaxTokens: 6}, `{ me { id name } }`, true},
		{"comments count as tokens", limits.Limits{MaxTokens: 7}, "# hello\n{ me { id name } }", true},
		{"tokens over the default", limits.Limits{MaxRootFields: 10000, MaxAliases: 10000}, `{ ` + strings.Repeat("me { id } ", 3751) + `}`, true},
		{"nesting over the parser's limit", limits.Limits{MaxTokens: 1 << 20}, strings.Repeat("{ me ", 1001) + strings.Repeat("}", 1001), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, errs := prepare(t, tt.limits, tt.query, nil)
			if !tt.refused {
				if len(errs) > 0 {
					t.Fatalf("refused: %v", errs)
				}
				return
			}
			if len(errs) != 1 || !errors.Is(errs[0], limits.ErrOverLimit) {
				t.Fatalf("errors = %v, want one refusal wrapping limits.ErrOverLimit", errs)
			}
		})
	}
}

// Nesting is measured as the parser measures it (selection sets, list and
// object values), so a document the parser would refuse for its nesting
// is an over-limit refusal instead, and one it accepts is left to it.
func TestNesting(t *testing.T) {
	t.Parallel()
	lim := limits.Limits{MaxTokens: 1 << 20}
	at := strings.Repeat("{ me ", 999) + "{ id }" + strings.Repeat(" }", 999) // 1000 levels
	_, errs := prepare(t, lim, at, nil)
	if len(errs) == 0 || errors.Is(errs, limits.ErrOverLimit) {
		t.Fatalf("at the parser's limit: errors = %v, want validation's, not a limit's", errs)
	}
	for name, q := range map[string]string{
		"selection sets": strings.Repeat("{ me ", 1001) + strings.Repeat("}", 1001),
		"list values":    `{ post(spaceId: ` + strings.Repeat("[", 1001) + strings.Repeat("]", 1001) + `, id: "1") { id } }`,
	} {
		_, errs := prepare(t, lim, q, nil)
		if len(errs) != 1 || !errors.Is(errs[0], limits.ErrOverLimit) {
			t.Errorf("%s over the parser's limit: errors = %v, want one wrapping ErrOverLimit", name, errs)
		}
	}
}

// depthQuery nests fields exactly levels deep (at least 4), the root field
// included, as limits measures depth: a leaf counts 1, a field with a
// selection set 1 + its deepest child.
func depthQuery(levels int) string {
	prefix, suffix, rest := `{ post(spaceId: "1", id: "1") { comments(first: 1) { nodes { `, ` } } } }`, levels-3
	if levels%2 == 1 {
		prefix, suffix, rest = `{ homeFeed(first: 1) { nodes { comments(first: 1) { nodes { `, ` } } } } }`, levels-4
	}
	q := "id" // a comment selection of depth 1; each reply level adds 2
	for range (rest - 1) / 2 {
		q = "replies(first: 1) { nodes { " + q + " } }"
	}
	return prefix + q + suffix
}
