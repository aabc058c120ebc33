package limits_test

import (
	"errors"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/circle-gateway/gateway/limits"
	"github.com/circle-gateway/gateway/relay"
)

// Every connection's `first` and `after` is validated before the operation
// runs, wherever the connection is nested, with relay's verdict and
// message, at the field's position.
func TestConnectionArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		query   string
		vars    map[string]any
		message string            // "" when the operation is accepted
		at      gqlerror.Location // where the refused field is
	}{
		{name: "valid everywhere", query: `{ homeFeed(first: 100) { nodes { comments(first: 0, after: "bzE6MQ") { totalCount } } } }`},
		{name: "first over the maximum at the root", query: `{ homeFeed(first: 101) { totalCount } }`,
			message: "`first` must be between 0 and 100, got 101", at: gqlerror.Location{Line: 1, Column: 3}},
		{name: "negative first nested under a list", query: "{ homeFeed(first: 3) {\n nodes { comments(first: -1) { totalCount } } } }",
			message: "`first` must be between 0 and 100, got -1", at: gqlerror.Location{Line: 2, Column: 10}},
		{name: "a bad cursor", query: `{ spaces { posts(after: "nope") { totalCount } } }`,
			message: "`after` is not a cursor this API returned", at: gqlerror.Location{Line: 1, Column: 12}},
		{name: "first from a variable", query: `query($n: Int) { me { posts(first: $n) { totalCount } } }`, vars: map[string]any{"n": 1000},
			message: "`first` must be between 0 and 100, got 1000", at: gqlerror.Location{Line: 1, Column: 23}},
		{name: "first from a numeric string variable", query: `query($n: Int) { me { posts(first: $n) { totalCount } } }`, vars: map[string]any{"n": "1000"},
			message: "`first` must be between 0 and 100, got 1000", at: gqlerror.Location{Line: 1, Column: 23}},
		{name: "after from a variable", query: `query($c: String) { homeFeed(after: $c) { totalCount } }`, vars: map[string]any{"c": "bzE6"},
			message: "`after` is not a cursor this API returned", at: gqlerror.Location{Line: 1, Column: 21}},
		{name: "null first is the default", query: `query($n: Int) { homeFeed(first: $n) { totalCount } }`, vars: map[string]any{"n": nil}},
		{name: "inside a fragment", query: `query { homeFeed { nodes { ...P } } } fragment P on Post { likes(first: 200) { totalCount } }`,
			message: "`first` must be between 0 and 100, got 200", at: gqlerror.Location{Line: 1, Column: 60}},
		{name: "under an edge's inline fragment", query: `{ homeFeed { edges { ... on PostEdge { node { comments(first: 500) { totalCount } } } } } }`,
			message: "`first` must be between 0 and 100, got 500", at: gqlerror.Location{Line: 1, Column: 47}},
		{name: "the first bad one is reported", query: `{ a: homeFeed(first: 101) { totalCount } b: homeFeed(after: "x") { totalCount } }`,
			message: "`first` must be between 0 and 100, got 101", at: gqlerror.Location{Line: 1, Column: 3}},
		// The argument is refused even when the operation is also over its
		// complexity: the caller learns the mistake to fix first.
		{name: "before the complexity limit", query: `{ homeFeed(first: 100) { nodes { comments(first: 101) { nodes { replies(first: 100) { totalCount } } } } } }`,
			message: "`first` must be between 0 and 100, got 101", at: gqlerror.Location{Line: 1, Column: 34}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, errs := prepare(t, limits.Limits{}, tt.query, tt.vars)
			if tt.message == "" {
				if len(errs) > 0 {
					t.Fatalf("refused: %v", errs)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("errors = %v, want one", errs)
			}
			var ae *relay.ArgumentError
			if !errors.As(errs[0], &ae) || ae.Message != tt.message {
				t.Fatalf("error %v: want a *relay.ArgumentError saying %q", errs[0], tt.message)
			}
			if !errors.Is(errs[0], relay.ErrBadArgument) || errors.Is(errs[0], limits.ErrOverLimit) {
				t.Fatalf("error %v: want ErrBadArgument only", errs[0])
			}
			if len(errs[0].Locations) != 1 || errs[0].Locations[0] != tt.at {
				t.Fatalf("locations = %v, want %v", errs[0].Locations, tt.at)
			}
		})
	}
}
