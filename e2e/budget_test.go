package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/refqueries"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/loaders"
	"github.com/circle-gateway/gateway/sandbox"
)

// Each reference query, cold, costs exactly its budget — and every budget
// is met by the sandbox's data with a full first page, so a regression in
// batching or embedded-first shows as a count above it.
func TestReferenceQueryBudgets(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	var runs []refqueries.Measured
	for _, rq := range refqueries.All {
		t.Run(rq.Name, func(t *testing.T) {
			calls, want := referenceCalls(t, env, tok, rq)
			runs = append(runs, refqueries.Measured{Query: rq, Allowed: want, Made: len(calls)})
			if len(calls) != want {
				t.Fatalf("%d upstream calls, budget %d:\n%s", len(calls), want, strings.Join(targets(calls), "\n"))
			}
			t.Logf("%s: %d upstream calls", rq.Name, len(calls))
			if rq.Name == "feed+comments" && want != 21 {
				t.Fatalf("the feed should have 20 posts in the sandbox, budget was %d", want)
			}
			for _, c := range calls {
				if c.Method == "GET" && isList(c.Path) && !strings.Contains(c.Query, "per_page=") {
					t.Errorf("list call %s does not send per_page", c.Target())
				}
			}
		})
	}
	// BENCHMARKS.md shows these very runs: go run ./cmd/refqueries
	// -w BENCHMARKS.md writes the same table.
	doc, err := os.ReadFile("../BENCHMARKS.md")
	if err != nil {
		t.Fatal(err)
	}
	if err := refqueries.Check(string(doc), runs); err != nil {
		t.Error(err)
	}
}

// referenceCalls runs the reference query rq cold and returns the upstream
// calls it made and its budget for the data it answered.
func referenceCalls(t *testing.T, env *testenv.Env, tok string, rq refqueries.Query) ([]testenv.Call, int) {
	t.Helper()
	env.Upstream.Reset()
	r := env.Do(t, tok, rq.Query, nil)
	mustNoErrors(t, r)
	want, err := rq.Calls(r.Data)
	if err != nil {
		t.Fatal(err)
	}
	return env.Upstream.Calls(), want
}

// isList reports whether an upstream path is a paginated list.
func isList(path string) bool {
	for _, suffix := range []string{"/posts", "/comments", "/replies", "/user_likes", "/event_attendees", "/home", "/community_events", "/community_members"} {
		if strings.HasSuffix(path, suffix) {
			return true
		}
	}
	return false
}

// The feed with comments takes two rounds of upstream calls (the feed, then
// all 20 comment lists at once: UPSTREAM_CONCURRENCY is 32), not one round
// per call (docs/contract.md §6.4). Proven with a gate that holds the comment
// calls until all 20 are in flight together, so the proof does not depend
// on how fast the machine is.
func TestFeedWithCommentsRunsInParallel(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	gate := &testenv.Gate{N: 20, Match: func(_, path string) bool { return strings.HasSuffix(path, "/comments") }}
	env.Upstream.SetGate(gate)
	r := env.Do(t, tok, refqueries.ByName("feed+comments").Query, nil)
	mustNoErrors(t, r)
	calls := env.Upstream.Calls()
	if len(calls) != 21 {
		t.Fatalf("calls = %d, want 21", len(calls))
	}
	if !gate.Opened() {
		t.Fatalf("the 20 comment lists were never in flight together (%d reached the gate at once at most): they take more than one round", gate.Arrived())
	}
	if w := testenv.Waves(calls); w != 2 {
		t.Fatalf("%d sequential waves, want 2 (the feed, then the comments)", w)
	}
}

// At most UPSTREAM_CONCURRENCY calls of one operation are in flight: 40
// comment lists go 32 at once, then the rest.
func TestUpstreamConcurrencyBound(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	feed, err := truth(t, env, tok).Home(context.Background(), circle.ListParams{Page: 1, PerPage: 40})
	if err != nil {
		t.Fatal(err)
	}
	if len(feed.Records) != 40 {
		t.Fatalf("the sandbox feed has %d posts, the test needs 40", len(feed.Records))
	}
	env.Upstream.Reset()
	gate := &testenv.Gate{N: loaders.DefaultMaxInFlight, Match: func(_, path string) bool { return strings.HasSuffix(path, "/comments") }}
	env.Upstream.SetGate(gate)
	mustNoErrors(t, env.Do(t, tok, `{ homeFeed(first: 40) { nodes { comments(first: 1) { totalCount } } } }`, nil))
	if !gate.Opened() {
		t.Fatalf("never %d comment lists in flight at once", loaders.DefaultMaxInFlight)
	}
	if m := env.Upstream.MaxInFlight(); m != loaders.DefaultMaxInFlight {
		t.Fatalf("%d calls in flight at once, want the bound, %d", m, loaders.DefaultMaxInFlight)
	}
	if n := len(env.Upstream.Calls()); n != 41 {
		t.Fatalf("calls = %d, want 41", n)
	}
}

// A load under a post's author or event runs beside the post's comments,
// not before them: each of these queries is two fetches deep (the list,
// then everything under its posts), so it takes two waves of upstream calls
// (docs/contract.md §6.4), not three. (Post.space is not concurrent, on purpose:
// gqlgen.yml says why; its details cost one GET /spaces per operation.) A
// gate holds the second wave until all of it is in flight together.
func TestLoadsUnderPostFieldsOverlapComments(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, query, list string }{
		{"author { bio }", `{ homeFeed(first: 5) { nodes { author { bio } comments(first: 1) { nodes { bodyText } } } } }`, "/home"},
		{"event { attendees }", `{ events(first: 5) { nodes { event { attendees(first: 1) { totalCount } } comments(first: 1) { totalCount } } } }`, "/community_events"},
		{"author and likes", `{ homeFeed(first: 3) { nodes { author { postsCount } likes(first: 1) { totalCount } } } }`, "/home"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := testenv.New(t, testenv.Options{})
			tok := env.DemoToken(t)
			mustNoErrors(t, env.Do(t, tok, tt.query, nil))
			second := len(env.Upstream.Calls()) - 1
			env.Upstream.Reset()
			gate := &testenv.Gate{N: second, Match: func(_, path string) bool { return path != tt.list }}
			env.Upstream.SetGate(gate)
			mustNoErrors(t, env.Do(t, tok, tt.query, nil))
			calls := env.Upstream.Calls()
			if !gate.Opened() {
				t.Fatalf("the %d calls under the posts were never in flight together: %v", second, targets(calls))
			}
			if w := testenv.Waves(calls); w != 2 {
				t.Fatalf("%d calls in %d sequential waves, want 2", len(calls), w)
			}
		})
	}
}

// Post keys that arrive in waves still cost one post_ids call per space:
// the second member's comment list is held until the first's has been
// answered, and the posts of both go in one call per space, on every run
// (post batches are counted, not timed).
func TestPostWavesMergeAcrossSlowCommentLists(t *testing.T) {
	t.Parallel()
	sb := sandbox.New(sandbox.Options{})
	// held is the comment list Circle holds, and release lets it go.
	type hold struct {
		path    string
		release chan struct{}
	}
	var held atomic.Pointer[hold]
	upstream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := held.Load(); h != nil && strings.HasSuffix(r.URL.Path, h.path) {
			select {
			case <-h.release:
			case <-r.Context().Done():
			}
		}
		sb.Handler().ServeHTTP(w, r)
	})
	env := testenv.New(t, testenv.Options{Upstream: upstream})
	tok, err := sb.IssueToken(sb.DemoMemberID())
	if err != nil {
		t.Fatal(err)
	}
	commentsQuery := `query($m: ID!) { member(id: $m) { comments(first: 30) { nodes { post { id space { id } } } } } }`
	spacesOf := func(m int64) map[string]bool {
		r := env.Do(t, tok.AccessToken, commentsQuery, map[string]any{"m": fmt.Sprint(m)})
		mustNoErrors(t, r)
		var got struct {
			Member struct {
				Comments struct {
					Nodes []struct {
						Post struct{ Space struct{ ID string } }
					}
				}
			}
		}
		r.Decode(t, &got)
		spaces := map[string]bool{}
		for _, n := range got.Member.Comments.Nodes {
			spaces[n.Post.Space.ID] = true
		}
		return spaces
	}
	// Two members who commented in a common space, so that a split batch
	// would show as two calls for that space.
	var a, b int64
	seen := map[int64]map[string]bool{}
search:
	for _, m := range sb.MemberIDs() {
		seen[m] = spacesOf(m)
		for other, spaces := range seen {
			if other == m {
				continue
			}
			for s := range spaces {
				if seen[m][s] {
					a, b = other, m
					break search
				}
			}
		}
	}
	if a == 0 {
		t.Fatal("no two sandbox members commented in the same space")
	}
	aComments := fmt.Sprintf("/community_members/%d/comments", a)
	for run := range 3 {
		env.Upstream.Reset()
		h := &hold{path: fmt.Sprintf("/community_members/%d/comments", b), release: make(chan struct{})}
		held.Store(h)
		// The second wave: b's list comes back only once a's has (or
		// when the test gives up, and its counts then fail it).
		var waves atomic.Bool
		go func() {
			defer close(h.release)
			for deadline := time.Now().Add(testenv.GateTimeout); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
				for _, c := range env.Upstream.Calls() {
					if c.Path == aComments && !c.End.IsZero() {
						waves.Store(true)
						return
					}
				}
			}
		}()
		r := env.Do(t, tok.AccessToken, `query($a: ID!, $b: ID!) {
			a: member(id: $a) { comments(first: 30) { nodes { post { title } } } }
			b: member(id: $b) { comments(first: 30) { nodes { post { title } } } }
			members(first: 5) { nodes { name } }
		}`, map[string]any{"a": fmt.Sprint(a), "b": fmt.Sprint(b)})
		held.Store(nil)
		mustNoErrors(t, r)
		if !waves.Load() {
			t.Fatalf("run %d: the first member's comment list was not answered while the second's was held", run)
		}
		batches := map[string]int{}
		for _, c := range env.Upstream.Calls() {
			if strings.Contains(c.Query, "post_ids=") {
				batches[c.Path]++
			}
		}
		if len(batches) == 0 {
			t.Fatal("no post_ids batch")
		}
		for path, n := range batches {
			if n != 1 {
				t.Errorf("run %d: %d post_ids calls for %s in one operation, want 1", run, n, path)
			}
		}
	}
}

// A reply names its parent, so parent { id } costs nothing; asking for
// more of the parent fetches it.
func TestParentIDFromTheReply(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	feed, err := truth(t, env, tok).Home(context.Background(), circle.ListParams{Page: 1, PerPage: 40})
	if err != nil {
		t.Fatal(err)
	}
	var vars map[string]any
	for _, p := range feed.Records {
		if p.CommentCount > 1 {
			vars = map[string]any{"s": fmt.Sprint(p.Space.ID), "id": fmt.Sprint(p.ID)}
			break
		}
	}
	if vars == nil {
		t.Fatal("no post with comments in the sandbox feed")
	}
	single := func() (n int) {
		for _, c := range env.Upstream.Calls() {
			if strings.Count(c.Path, "/") == 4 && strings.Contains(c.Path, "/comments/") {
				n++
			}
		}
		return n
	}
	tests := []struct {
		selection string
		fetches   bool
	}{
		{"parent { id }", false},
		{"parent { __typename id }", false},
		{"parent { id bodyText }", true},
	}
	for _, tt := range tests {
		env.Upstream.Reset()
		r := env.Do(t, tok, `query($s: ID!, $id: ID!) { post(spaceId: $s, id: $id) { comments(first: 5) { nodes { id replies(first: 5) { nodes { `+tt.selection+` } } } } } }`, vars)
		mustNoErrors(t, r)
		if got := single() > 0; got != tt.fetches {
			t.Errorf("%s: %d single-comment GETs", tt.selection, single())
		}
	}
}

// Independent root fields run in one round: a post lookup is not held back
// by another root field's call (a post batch waits only for fields that may
// still ask for posts). The gate holds the three calls until all three are
// in flight.
func TestIndependentRootFieldsInOneWave(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	feed, err := truth(t, env, tok).Home(context.Background(), circle.ListParams{Page: 1, PerPage: 1})
	if err != nil || len(feed.Records) == 0 {
		t.Fatal(feed, err)
	}
	p := feed.Records[0]
	// A token Circle has not accepted yet sends one call before any other
	// (budget.TestOneCallPerUnprovenToken); this one is proven first.
	mustNoErrors(t, env.Do(t, tok, `{ me { id } }`, nil))
	env.Upstream.Reset()
	gate := &testenv.Gate{N: 3}
	env.Upstream.SetGate(gate)
	r := env.Do(t, tok, `query($s: ID!, $id: ID!) { me { name } post(spaceId: $s, id: $id) { title } spaces { name } }`,
		map[string]any{"s": fmt.Sprint(p.Space.ID), "id": fmt.Sprint(p.ID)})
	mustNoErrors(t, r)
	calls := env.Upstream.Calls()
	if len(calls) != 3 {
		t.Fatalf("calls = %d, want 3", len(calls))
	}
	if !gate.Opened() {
		t.Fatalf("the three root fields' calls were never in flight together: %v", targets(calls))
	}
}

// targets lists recorded calls as "METHOD path?query", for failure messages.
func targets(calls []testenv.Call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.Method + " " + c.Target()
	}
	return out
}
