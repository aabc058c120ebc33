package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/memcap"
	"github.com/circle-gateway/gateway/transport"
)

// commentsPath is a post's comment list, as the upstream sees it.
var commentsPath = regexp.MustCompile(`^/posts/(\d+)/comments$`)

// bigComments answers every comment list with one comment whose text is
// size bytes.
func bigComments(size int) testenv.Fault {
	text := strings.Repeat("é", size/2)
	return func(r *http.Request) (int, string, bool) {
		m := commentsPath.FindStringSubmatch(strings.TrimPrefix(r.URL.Path, "/api/headless/v1"))
		if r.Method != http.MethodGet || m == nil {
			return 0, "", false
		}
		return http.StatusOK, fmt.Sprintf(`{"page":1,"per_page":1,"has_next_page":false,"count":1,"records":[{"id":9%s,"post_id":%s,"body_text":%q,"author":{"id":5001,"community_member_id":101,"name":"A"}}]}`, m[1], m[1], text), true
	}
}

const feedWithCommentText = `{ homeFeed(first: 20) { nodes { id comments(first: 1) { nodes { id bodyText } } } } }`

// memEnv is a gateway with the given memory caps in front of the sandbox
// whose comment lists are each one comment of size bytes.
func memEnv(t *testing.T, limits memcap.Limits, size int) (*testenv.Env, string) {
	t.Helper()
	env := testenv.New(t, testenv.Options{Transport: transport.Options{Memory: memcap.NewPool(limits)}})
	env.Upstream.SetFault(bigComments(size))
	return env, env.DemoToken(t)
}

// commentTexts counts the comment texts an answer carries.
func commentTexts(t *testing.T, r testenv.Response) int {
	t.Helper()
	var d struct {
		HomeFeed *struct {
			Nodes []*struct {
				Comments *struct{ Nodes []*struct{ BodyText *string } }
			}
		}
	}
	r.Decode(t, &d)
	n := 0
	if d.HomeFeed != nil {
		for _, p := range d.HomeFeed.Nodes {
			if p != nil && p.Comments != nil {
				for _, c := range p.Comments.Nodes {
					if c != nil && c.BodyText != nil {
						n++
					}
				}
			}
		}
	}
	return n
}

// A query whose answer would pass MAX_RESPONSE_BYTES gets one
// RESPONSE_TOO_LARGE error naming the cap and no data (a truncated answer
// would pass for Circle's own nulls), and the answer written stays small;
// the next operation starts afresh.
func TestResponseCap(t *testing.T) {
	t.Parallel()
	const size = 100 << 10
	env, tok := memEnv(t, memcap.Limits{MaxResponseBytes: 1 << 20}, size)
	raw, status := postRaw(t, env, tok, feedWithCommentText)
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	if len(raw) > 4<<10 {
		t.Fatalf("the answer has %d bytes", len(raw))
	}
	var r testenv.Response
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if string(r.Data) != "null" || len(r.Errors) != 1 || r.Errors[0].Code() != "RESPONSE_TOO_LARGE" || !strings.Contains(r.Errors[0].Message, "MAX_RESPONSE_BYTES") {
		t.Fatalf("data %.100s errors %+v", r.Data, r.Errors)
	}
	if n := len(env.Upstream.Calls()); n != 21 {
		t.Fatalf("%d upstream calls, want 21", n)
	}

	small := env.Do(t, tok, `{ homeFeed(first: 2) { nodes { id comments(first: 1) { nodes { bodyText } } } } }`, nil)
	mustNoErrors(t, small)
}

// An operation that has read MAX_UPSTREAM_BYTES_PER_OPERATION from Circle
// reads no more: the lists past the cap are null with RESPONSE_TOO_LARGE
// naming the cap, what was read is served, and no call is made once over.
func TestUpstreamReadCap(t *testing.T) {
	t.Parallel()
	const size = 300 << 10
	env, tok := memEnv(t, memcap.Limits{MaxReadBytes: 1 << 20}, size)
	r := env.Do(t, tok, feedWithCommentText, nil)
	if n := commentTexts(t, r); n > 3 {
		t.Fatalf("%d comment texts of 300 KB read under a 1 MiB cap", n)
	}
	if len(r.Errors) < 17 {
		t.Fatalf("%d errors, want one per list not read", len(r.Errors))
	}
	for _, e := range r.Errors {
		if e.Code() != "RESPONSE_TOO_LARGE" || !strings.Contains(e.Message, "MAX_UPSTREAM_BYTES_PER_OPERATION") {
			t.Fatalf("error %+v", e)
		}
	}
	if n := len(env.Upstream.Calls()); n > 21 {
		t.Fatalf("%d upstream calls", n)
	}
	env.Upstream.Reset()
	after := env.Do(t, tok, `{ homeFeed(first: 1) { nodes { id comments(first: 1) { nodes { bodyText } } } } }`, nil)
	mustNoErrors(t, after)
}

// A mutation's write is made however large its payload's answer: the root
// field always runs, once; only what its payload selects is capped.
func TestResponseCapNeverDropsAWrite(t *testing.T) {
	t.Parallel()
	env, tok := memEnv(t, memcap.Limits{MaxResponseBytes: 64 << 10}, 100<<10)
	var feed struct {
		HomeFeed struct{ Nodes []struct{ ID string } }
	}
	env.Do(t, tok, `{ homeFeed(first: 1) { nodes { id } } }`, nil).Decode(t, &feed)
	post := feed.HomeFeed.Nodes[0].ID
	env.Upstream.Reset()
	r := env.Do(t, tok, `mutation($p: ID!) {
		a: createComment(input: { postId: $p, body: "first" }) { comment { id post { comments(first: 1) { nodes { bodyText } } } } userErrors { message } }
		b: createComment(input: { postId: $p, body: "second" }) { comment { id } userErrors { message } }
	}`, map[string]any{"p": post})
	writes := 0
	for _, c := range env.Upstream.Calls() {
		if c.Method == http.MethodPost {
			writes++
		}
	}
	if writes != 2 {
		t.Fatalf("%d writes reached Circle, want 2; errors %+v", writes, r.Errors)
	}
	var d struct {
		A, B *struct{ Comment *struct{ ID string } }
	}
	r.Decode(t, &d)
	if d.A == nil || d.B == nil {
		t.Fatalf("a payload is missing: %s", r.Data)
	}
	if len(r.Errors) == 0 || r.Errors[0].Code() != "RESPONSE_TOO_LARGE" {
		t.Fatalf("errors %+v", r.Errors)
	}
}

// postRaw posts a query and returns the raw answer.
func postRaw(t *testing.T, env *testenv.Env, token, query string) ([]byte, int) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return raw, resp.StatusCode
}

// A GET shared with another operation of the token is charged to the
// operation that makes it (package memcap): when that one has read all it
// may, a light operation that joined its call makes the call again under
// its own caps instead of inheriting the other's RESPONSE_TOO_LARGE.
func TestSharedGETOverAnotherOperationsCap(t *testing.T) {
	t.Parallel()
	for _, coalesce := range []bool{true, false} {
		t.Run(map[bool]string{true: "coalescing", false: "no coalescing"}[coalesce], func(t *testing.T) {
			t.Parallel()
			env := testenv.New(t, testenv.Options{
				Transport:     transport.Options{Memory: memcap.NewPool(memcap.Limits{MaxReadBytes: 1 << 20})},
				ClientOptions: []circle.Option{circle.WithCoalescing(coalesce)},
			})
			env.Upstream.SetFault(bigComments(300 << 10))
			tok := env.DemoToken(t)
			var feed struct {
				HomeFeed struct {
					Nodes []struct {
						ID    string
						Space struct{ ID string }
					}
				}
			}
			env.Do(t, tok, `{ homeFeed(first: 20) { nodes { id space { id } } } }`, nil).Decode(t, &feed)
			x := feed.HomeFeed.Nodes[0]
			light := `query($s: ID!, $p: ID!) { post(spaceId: $s, id: $p) { id comments(first: 1) { nodes { id bodyText } } } }`
			vars := map[string]any{"s": x.Space.ID, "p": x.ID}
			mustNoErrors(t, env.Do(t, tok, light, vars)) // alone, it fits its caps

			// A, reading 20 lists of 300 KB, crosses its 1 MiB; its call
			// for x's list is held until B has joined it (or, without
			// coalescing, made its own).
			gate := &testenv.Gate{N: math.MaxInt, Match: func(m, p string) bool { return m == http.MethodGet && p == "/posts/"+x.ID+"/comments" }}
			env.Upstream.SetGate(gate)
			var wg sync.WaitGroup
			var b testenv.Response
			wg.Go(func() { env.Do(t, tok, feedWithCommentText, nil) })
			waitUntil(t, "A's call for x's comments held", func() bool { return gate.Arrived() == 1 })
			wg.Go(func() { b = env.Do(t, tok, light, vars) })
			if coalesce {
				waitUntil(t, "B waiting on A's call", func() bool { return metricValue(t, env, "gateway_upstream_shared_waiters") == 2 })
			} else {
				waitUntil(t, "B's own call held", func() bool { return gate.Arrived() == 2 })
			}
			gate.Release()
			wg.Wait()
			mustNoErrors(t, b)
		})
	}
}
