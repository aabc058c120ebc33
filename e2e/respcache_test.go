package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/refqueries"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/respcache"
	"github.com/circle-gateway/gateway/sandbox"
)

// feedLikes reads, as token, which of the first posts of its feed it likes.
type feedLikes struct {
	Me       struct{ ID string }
	HomeFeed struct {
		Nodes []struct {
			ID      string
			IsLiked bool
		}
	}
}

const likesQuery = `query Likes { me { id } homeFeed(first: 5) { nodes { id isLiked } } }`

// Two replicas share a Redis response cache. Two members × 50 concurrent
// operations, spread over both replicas: each answer is that member's own
// (its id, its likes), and the cache answers most of them. Then a member
// likes a post through one replica and reads it through the other, at once:
// the like shows (the write dropped the member's entries before it
// returned), and the other member's entries are untouched.
func TestResponseCacheSharedByReplicasNeverCrossesMembers(t *testing.T) {
	t.Parallel()
	rdb := testenv.RedisClient(t)
	scope := testenv.RedisScope(t)
	sb := sandbox.New(sandbox.Options{})
	replica := func() *testenv.Env {
		// A generous Redis timeout: on a loaded test machine the default
		// 50 ms would turn hits into misses, which this test counts.
		rc := respcache.NewRedis(rdb, scope, time.Minute, nil).WithTimeout(5 * time.Second)
		return testenv.New(t, testenv.Options{Upstream: sb.Handler(), ClientOptions: []circle.Option{circle.WithResponseCache(rc)}})
	}
	replicas := []*testenv.Env{replica(), replica()}

	demo := sb.DemoMemberID()
	var other int64
	for _, m := range sb.MemberIDs() {
		if m != demo {
			other = m
			break
		}
	}
	tokens := map[int64]string{}
	truths := map[int64]map[string]bool{}
	for _, m := range []int64{demo, other} {
		tok, err := sb.IssueToken(m)
		if err != nil {
			t.Fatal(err)
		}
		tokens[m] = tok.AccessToken
		var got feedLikes
		mustNoErrors(t, replicas[0].Do(t, tok.AccessToken, likesQuery, nil))
		r := replicas[1].Do(t, tok.AccessToken, likesQuery, nil)
		mustNoErrors(t, r)
		r.Decode(t, &got)
		truths[m] = map[string]bool{}
		for _, p := range got.HomeFeed.Nodes {
			truths[m][p.ID] = p.IsLiked
		}
	}
	for _, r := range replicas {
		r.Upstream.Reset()
	}

	var wg sync.WaitGroup
	for m, tok := range tokens {
		for i := range 50 {
			wg.Go(func() {
				r := replicas[i%2].Do(t, tok, likesQuery, nil)
				if len(r.Errors) > 0 {
					t.Errorf("member %d: %+v", m, r.Errors)
					return
				}
				var got feedLikes
				r.Decode(t, &got)
				if got.Me.ID != fmt.Sprint(m) {
					t.Errorf("member %d was answered as member %s", m, got.Me.ID)
				}
				for _, p := range got.HomeFeed.Nodes {
					if p.IsLiked != truths[m][p.ID] {
						t.Errorf("member %d: post %s isLiked %v, want %v", m, p.ID, p.IsLiked, truths[m][p.ID])
					}
				}
			})
		}
	}
	wg.Wait()
	for i, r := range replicas {
		if n := len(r.Upstream.Calls()); n != 0 {
			t.Errorf("replica %d: %d upstream calls for 50 operations of members whose answers were cached, want 0", i, n)
		}
	}

	// A like through replica 0, read back through replica 1.
	var unliked string
	for id, liked := range truths[demo] {
		if !liked {
			unliked = id
			break
		}
	}
	if unliked == "" {
		t.Fatal("the demo member likes every post of its feed")
	}
	var space string
	direct, err := circle.New(replicas[0].UpstreamURL)
	if err != nil {
		t.Fatal(err)
	}
	feed, err := direct.Member(tokens[demo]).Home(context.Background(), circle.ListParams{Page: 1, PerPage: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range feed.Records {
		if fmt.Sprint(p.ID) == unliked {
			space = fmt.Sprint(p.Space.ID)
		}
	}
	mustNoErrors(t, replicas[0].Do(t, tokens[demo], `mutation($s: ID!, $p: ID!) { likePost(spaceId: $s, postId: $p) { post { isLiked } } }`,
		map[string]any{"s": space, "p": unliked}))
	var after feedLikes
	r := replicas[1].Do(t, tokens[demo], likesQuery, nil)
	mustNoErrors(t, r)
	r.Decode(t, &after)
	for _, p := range after.HomeFeed.Nodes {
		if p.ID == unliked && !p.IsLiked {
			t.Fatal("the member's own like does not show through the other replica: its cached feed outlived the write")
		}
	}
	replicas[1].Upstream.Reset()
	mustNoErrors(t, replicas[1].Do(t, tokens[other], likesQuery, nil))
	if n := len(replicas[1].Upstream.Calls()); n != 0 {
		t.Errorf("the other member's cached answers went with the like: %d calls", n)
	}
}

// cacheReplay runs the replay of issue 12: clients (each with a member
// token of its own) refresh feed + comments every period for span, with
// the response cache's clock moved by hand (ttl 0: no cache). It returns,
// for each refresh round, the distinct (token, GET) pairs Circle was asked
// (a retried call counts once), and the upstream calls made in all.
func cacheReplay(t *testing.T, clients int, period, span, ttl time.Duration) (rounds []int, calls int) {
	t.Helper()
	var mu sync.Mutex
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var opts testenv.Options
	if ttl > 0 {
		opts.ClientOptions = []circle.Option{circle.WithResponseCache(respcache.NewMemory(ttl, 256<<20, clock))}
	}
	env := testenv.New(t, opts)
	// The sandbox has fewer members than clients: some members have two
	// tokens, which the cache keeps apart like two members.
	ids := env.Sandbox.MemberIDs()
	tokens := make([]string, clients)
	for i := range tokens {
		tokens[i] = env.Token(t, ids[i%len(ids)])
		// A token's first call proves it (one call alone, see the
		// budget docs); prove them all before counting.
		mustNoErrors(t, env.Do(t, tokens[i], `{ me { id } }`, nil))
	}
	query := refqueries.ByName("feed+comments").Query
	for at := time.Duration(0); at < span; at += period {
		mu.Lock()
		now = time.Unix(1_800_000_000, 0).Add(at)
		mu.Unlock()
		env.Upstream.Reset()
		var wg sync.WaitGroup
		for _, tok := range tokens {
			wg.Go(func() {
				r := env.Do(t, tok, query, nil)
				if len(r.Errors) > 0 {
					t.Errorf("%+v", r.Errors)
				}
			})
		}
		wg.Wait()
		distinct := map[string]bool{}
		for _, c := range env.Upstream.Calls() {
			distinct[c.Authorization+" "+c.Target()] = true
			calls++
		}
		rounds = append(rounds, len(distinct))
	}
	return rounds, calls
}

// The replay of issue 12: member tokens each refreshing feed + comments
// every 5 s for 60 s (8 clients here; REPLAY_CLIENTS=64 for the figure in
// BENCHMARKS.md). With RESPONSE_CACHE_TTL=10s every other refresh round is
// answered from the cache: refreshes at 0, 5, 10 … 55 s, entries stored at
// 0 s are fresh at 5 s and gone at 10 s. Exact per round (the cache's clock
// is moved by hand).
func TestResponseCacheReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("hundreds of operations")
	}
	t.Parallel()
	clients := 8
	if v := os.Getenv("REPLAY_CLIENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("REPLAY_CLIENTS=%q", v)
		}
		clients = n
	}
	const period, span = 5 * time.Second, 60 * time.Second
	offRounds, off := cacheReplay(t, clients, period, span, 0)
	onRounds, on := cacheReplay(t, clients, period, span, 10*time.Second)
	perRefresh := 21 // the sandbox's feed has 20 posts: 1 + 20 calls
	t.Logf("replay: %d clients × %d refreshes; upstream calls with RESPONSE_CACHE_TTL=0: %d, with 10s: %d (ratio %.2f); per round %v and %v",
		clients, len(offRounds), off, on, float64(on)/float64(off), offRounds, onRounds)
	for i := range offRounds {
		if offRounds[i] != clients*perRefresh {
			t.Errorf("round %d without the cache: %d GETs, want %d", i, offRounds[i], clients*perRefresh)
		}
		want := clients * perRefresh
		if i%2 == 1 {
			want = 0
		}
		if onRounds[i] != want {
			t.Errorf("round %d with a 10 s cache: %d GETs, want %d", i, onRounds[i], want)
		}
	}
}
