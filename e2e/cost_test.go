package e2e

import (
	"testing"

	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/limits"
	"github.com/circle-gateway/gateway/relay"
	"github.com/circle-gateway/gateway/transport"
)

// The complexity limit charges what the relay window really fetches, so
// no query under the limit makes more calls than the limit says: each
// query below passes with MAX_QUERY_COMPLEXITY set to the calls it makes
// against the sandbox, and is refused, with no call, one below that.
// A window whose `after` does not line up with Circle's pages costs two
// pages (issue 14: `comments(first: 60, after: <cursor at 49>)` on 20
// posts made 41 calls where the limit counted 21).
func TestComplexityChargesThePagesFetched(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		query string
		calls int
	}{
		{"a cursor that lines up: one page per post", `{ homeFeed(first: 20) { nodes { comments(first: 60, after: "` + relay.EncodeCursor(59) + `") { totalCount } } } }`, 1 + 20},
		{"a cursor at 49 with first 60: two pages per post", `{ homeFeed(first: 20) { nodes { comments(first: 60, after: "` + relay.EncodeCursor(49) + `") { totalCount } } } }`, 1 + 20*2},
		{"a window one larger page holds", `{ homeFeed(first: 20) { nodes { comments(first: 10, after: "` + relay.EncodeCursor(4) + `") { totalCount } } } }`, 1 + 20},
		{"a straddling feed window", `{ homeFeed(first: 60, after: "` + relay.EncodeCursor(49) + `") { nodes { id } } }`, 2},
		{"a window of none still reads one item", `{ homeFeed(first: 20) { nodes { comments(first: 0, after: "` + relay.EncodeCursor(49) + `") { totalCount } } } }`, 1 + 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			at := testenv.New(t, testenv.Options{Transport: transport.Options{Limits: limits.Limits{MaxComplexity: tt.calls}}})
			r := at.Do(t, at.DemoToken(t), tt.query, nil)
			mustNoErrors(t, r)
			if n := len(at.Upstream.Calls()); n != tt.calls {
				t.Fatalf("%d upstream calls, want %d (the limit it passed)", n, tt.calls)
			}

			below := testenv.New(t, testenv.Options{Transport: transport.Options{Limits: limits.Limits{MaxComplexity: tt.calls - 1}}})
			r = below.Do(t, below.DemoToken(t), tt.query, nil)
			if len(r.Errors) != 1 || r.Errors[0].Code() != transport.CodeComplexityLimitExceeded {
				t.Fatalf("with a limit of %d calls: errors %+v, want one %s", tt.calls-1, r.Errors, transport.CodeComplexityLimitExceeded)
			}
			if n := len(below.Upstream.Calls()); n != 0 {
				t.Fatalf("a refused query made %d upstream calls", n)
			}
		})
	}
}
