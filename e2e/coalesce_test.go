package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/sandbox"
)

// Operations of one member that overlap in time share identical upstream
// GETs; operations of different members never do, and each gets its own
// member-specific answer.
func TestConcurrentOperationsShareGETsWithinOneMember(t *testing.T) {
	t.Parallel()
	const perMember = 3
	query := `query Shared { me { id } homeFeed(first: 5) { nodes { id isLiked } } }`
	tests := []struct {
		name     string
		coalesce bool
		// perKey is the calls per (token, GET): with coalescing all the
		// overlapping operations share one; without it each operation
		// sends its own.
		perKey int
	}{
		{"coalescing on (the default)", true, 1},
		{"UPSTREAM_COALESCING=false", false, perMember},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := testenv.New(t, testenv.Options{ClientOptions: []circle.Option{circle.WithCoalescing(tt.coalesce)}})
			demo := env.Sandbox.DemoMemberID()
			directory, err := truth(t, env, env.DemoToken(t)).Members(context.Background(), circle.ListParams{Page: 1, PerPage: 5})
			if err != nil {
				t.Fatal(err)
			}
			other := directory.Records[0].CommunityMemberID
			if other == demo {
				other = directory.Records[1].CommunityMemberID
			}
			type want struct {
				token string
				liked map[string]bool
			}
			wants := map[int64]want{}
			for _, m := range []int64{demo, other} {
				tok := env.Token(t, m)
				feed, err := truth(t, env, tok).Home(context.Background(), circle.ListParams{Page: 1, PerPage: 5})
				if err != nil {
					t.Fatal(err)
				}
				w := want{token: tok, liked: map[string]bool{}}
				for _, p := range feed.Records {
					w.liked[fmt.Sprint(p.ID)] = p.IsLiked
				}
				wants[m] = w
				// Circle accepts the token once through the gateway, so
				// that its calls are no longer sent one at a time.
				mustNoErrors(t, env.Do(t, tok, `{ me { id } }`, nil))
			}
			env.Upstream.Reset()

			// Circle holds every call until every operation is waiting on
			// its GETs: with coalescing, each of the two GETs of each
			// member is in flight once and all perMember operations of
			// the member wait on it (the gauge counts them); without it,
			// every operation's own calls are in flight at once. Overlap
			// is then a fact of the run, not a hope about timing.
			const gets = 2 // me and homeFeed
			gate := testenv.Unanswered()
			if !tt.coalesce {
				gate = &testenv.Gate{N: len(wants) * perMember * gets}
			}
			env.Upstream.SetGate(gate)
			var wg sync.WaitGroup
			for m, w := range wants {
				for range perMember {
					wg.Go(func() {
						r := env.Do(t, w.token, query, nil)
						if len(r.Errors) > 0 {
							t.Errorf("member %d: %+v", m, r.Errors)
							return
						}
						var got struct {
							Me       struct{ ID string }
							HomeFeed struct {
								Nodes []struct {
									ID      string
									IsLiked bool
								}
							}
						}
						r.Decode(t, &got)
						if got.Me.ID != fmt.Sprint(m) {
							t.Errorf("member %d was answered as member %s", m, got.Me.ID)
						}
						for _, p := range got.HomeFeed.Nodes {
							if p.IsLiked != w.liked[p.ID] {
								t.Errorf("member %d: post %s isLiked %v, want %v", m, p.ID, p.IsLiked, w.liked[p.ID])
							}
						}
					})
				}
			}
			if tt.coalesce {
				waitUntil(t, "every operation waiting on the shared GETs", func() bool {
					return gate.Arrived() == len(wants)*gets && metricValue(t, env, "gateway_upstream_shared_waiters") == len(wants)*perMember*gets
				})
				gate.Release()
			}
			wg.Wait()
			if !tt.coalesce && !gate.Opened() {
				t.Errorf("%d calls reached Circle, never %d at once", gate.Arrived(), gate.N)
			}

			perKey := map[string]int{}
			for _, c := range env.Upstream.Calls() {
				perKey[c.Authorization+" "+c.Target()]++
			}
			if len(perKey) != 4 {
				t.Errorf("want 4 distinct (member, GET) pairs, got %d", len(perKey))
			}
			for key, n := range perKey {
				if n != tt.perKey {
					t.Errorf("%s: %d calls, want %d", key[strings.Index(key, " ")+1:], n, tt.perKey)
				}
			}
			_, metrics := getBody(t, env.URL+"/metrics")
			sharedMetric := strings.Contains(metrics, `gateway_upstream_shared_calls_total{endpoint="/home"}`)
			sharedLog := strings.Contains(env.Logs.String(), "shared_calls=2")
			if sharedMetric != tt.coalesce || sharedLog != tt.coalesce {
				t.Errorf("shared calls in metrics: %v, in the log: %v; want %v", sharedMetric, sharedLog, tt.coalesce)
			}
		})
	}
}

// A write through one of a member's tokens ends sharing for all of them: a
// read sent, with another token of the same member, after likePost
// returned must not join a GET that started before the like (docs/contract.md §3).
func TestReadAfterWriteThroughAnotherTokenOfTheMember(t *testing.T) {
	t.Parallel()
	sb := sandbox.New(sandbox.Options{})
	issue := func() string {
		tok, err := sb.IssueToken(sb.DemoMemberID())
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	reader, writer := issue(), issue()
	// The reader's first post_ids GET is answered with the state Circle
	// had when it arrived, but only once the test releases it, as a slow
	// Circle would; every later one at once. gets receives each of them
	// as it arrives.
	var held atomic.Bool
	var readerGETs atomic.Int32
	gets := make(chan struct{}, 10)
	release := make(chan struct{})
	upstream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !r.URL.Query().Has("post_ids") || r.Header.Get("Authorization") != "Bearer "+reader {
			sb.Handler().ServeHTTP(w, r)
			return
		}
		readerGETs.Add(1)
		rec := httptest.NewRecorder()
		sb.Handler().ServeHTTP(rec, r)
		gets <- struct{}{}
		if held.CompareAndSwap(false, true) {
			<-release
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
	env := testenv.New(t, testenv.Options{Upstream: upstream})

	r := env.Do(t, reader, `{ homeFeed(first: 20) { nodes { id isLiked space { id } } } }`, nil)
	mustNoErrors(t, r)
	var feed struct {
		HomeFeed struct {
			Nodes []struct {
				ID      string
				IsLiked bool
				Space   struct{ ID string }
			}
		}
	}
	r.Decode(t, &feed)
	vars := map[string]any{}
	for _, p := range feed.HomeFeed.Nodes {
		if !p.IsLiked {
			vars = map[string]any{"s": p.Space.ID, "id": p.ID}
			break
		}
	}
	if len(vars) == 0 {
		t.Fatal("the demo member likes every post of its feed")
	}
	read := `query($s: ID!, $id: ID!) { post(spaceId: $s, id: $id) { isLiked } }`
	isLiked := func(r testenv.Response) bool {
		t.Helper()
		mustNoErrors(t, r)
		var got struct{ Post struct{ IsLiked bool } }
		r.Decode(t, &got)
		return got.Post.IsLiked
	}

	// arrive waits for the next reader GET; only a gateway that sends
	// none lets the safety timeout run out, and the test fails.
	arrive := func(what string) bool {
		select {
		case <-gets:
			return true
		case <-time.After(testenv.GateTimeout):
			t.Errorf("%s sent no post_ids GET", what)
			return false
		}
	}
	before := make(chan bool, 1)
	go func() { before <- isLiked(env.Do(t, reader, read, vars)) }()
	if !arrive("the first read") {
		close(release)
		return
	}
	mustNoErrors(t, env.Do(t, writer, `mutation($s: ID!, $id: ID!) { likePost(spaceId: $s, postId: $id) { post { isLiked } } }`, vars))
	after := make(chan bool, 1)
	go func() { after <- isLiked(env.Do(t, reader, read, vars)) }()
	if !arrive("the read after the like (it joined the call from before the like)") {
		close(release)
		<-after
		return
	}
	if !<-after {
		t.Error("a read sent after the member's like shows the post unliked: it joined a call from before the like")
	}
	close(release)
	if <-before {
		t.Error("the read held from before the like shows it liked: the test did not hold the first read")
	}
	if n := readerGETs.Load(); n != 2 {
		t.Errorf("the reader's post_ids GETs = %d, want 2", n)
	}
}
