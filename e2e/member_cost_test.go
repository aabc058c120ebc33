package e2e

import (
	"testing"

	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/limits"
	"github.com/circle-gateway/gateway/transport"
)

// The complexity limit counts the member fields' calls exactly where they
// are made: each query passes with MAX_QUERY_COMPLEXITY set to the calls it
// makes against the sandbox and is refused, with no call, one below it.
func TestComplexityCountsMemberFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		query string
		calls int
	}{
		{"a member's spaces", `{ me { spaces(first: 5) { nodes { id name isMember } } } }`, 1 + 1},
		{"profile-only fields of directory members: one profile each", `{ members(first: 6) { nodes { profileInfo { location } largeAvatarUrl spacesCount } } }`, 1 + 6},
		{"the directory's own fields cost nothing more", `{ members(first: 6) { nodes { tags { name } email } } }`, 1},
		{"the home space and its posts", `{ homeSpace { name posts(first: 3) { nodes { id } } } }`, 1 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			at := testenv.New(t, testenv.Options{Transport: transport.Options{Limits: limits.Limits{MaxComplexity: tt.calls}}})
			r := at.Do(t, at.DemoToken(t), tt.query, nil)
			mustNoErrors(t, r)
			if n := len(at.Upstream.Calls()); n != tt.calls {
				t.Fatalf("%d upstream calls, want %d (the limit it passed): %v", n, tt.calls, upstreamCalls(at))
			}
			if tt.calls == 1 {
				return // a limit of 0 means the default
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
