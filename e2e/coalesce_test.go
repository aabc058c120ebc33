package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
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
		// maxPerKey bounds the calls per (token, GET): with coalescing all
		// overlapping operations share one (2 leaves room for a straggler
		// on a loaded machine); without it each operation sends its own.
		maxPerKey, minPerKey int
	}{
		{"coalescing on (the default)", true, 2, 1},
		{"UPSTREAM_COALESCING=false", false, perMember, perMember},
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
			}

			// Long enough that every operation starts while the first
			// calls are still in flight.
			env.Upstream.SetDelay(time.Second)
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
			wg.Wait()

			perKey := map[string]int{}
			for _, c := range env.Upstream.Calls() {
				perKey[c.Authorization+" "+c.Target()]++
			}
			if len(perKey) != 4 {
				t.Errorf("want 4 distinct (member, GET) pairs, got %d", len(perKey))
			}
			for key, n := range perKey {
				if n < tt.minPerKey || n > tt.maxPerKey {
					t.Errorf("%s: %d calls, want %d..%d", key[strings.Index(key, " ")+1:], n, tt.minPerKey, tt.maxPerKey)
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
