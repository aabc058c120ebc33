package loaders_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/loaders"
)

// upstream is a tiny Circle double that records every call.
type upstream struct {
	mu       sync.Mutex
	calls    []string
	delay    time.Duration
	inFlight atomic.Int32
	peak     atomic.Int32
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := u.inFlight.Add(1)
	defer u.inFlight.Add(-1)
	for p := u.peak.Load(); n > p && !u.peak.CompareAndSwap(p, n); p = u.peak.Load() {
	}
	u.mu.Lock()
	u.calls = append(u.calls, r.URL.Path+"?"+r.URL.RawQuery)
	u.mu.Unlock()
	time.Sleep(u.delay)
	path := strings.TrimPrefix(r.URL.Path, "/api/headless/v1")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	w.Header().Set("Content-Type", "application/json")
	switch {
	case path == "/spaces":
		_ = json.NewEncoder(w).Encode([]circle.Space{{ID: 11, Name: "General", Slug: "general"}, {ID: 12, Name: "Events", Slug: "events"}})
	case len(parts) == 2 && parts[0] == "spaces":
		if parts[1] == "404" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"success":false,"message":"Space not found"}`))
			return
		}
		id, _ := strconv.ParseInt(parts[1], 10, 64)
		_ = json.NewEncoder(w).Encode(circle.Space{ID: id, Name: "Hidden", Slug: "hidden"})
	case len(parts) == 3 && parts[0] == "spaces" && parts[2] == "posts":
		space, _ := strconv.ParseInt(parts[1], 10, 64)
		var records []circle.Post
		for _, s := range strings.Split(r.URL.Query().Get("post_ids"), ",") {
			id, _ := strconv.ParseInt(s, 10, 64)
			if id%2 == 1 { // odd ids exist, even ones are "not visible"
				records = append(records, circle.Post{ID: id, Space: circle.SpaceRef{ID: space}})
			}
		}
		_ = json.NewEncoder(w).Encode(circle.Page[circle.Post]{Page: 1, PerPage: len(records), Count: len(records), Records: records})
	case len(parts) == 3 && parts[0] == "community_members" && parts[2] == "public_profile":
		id, _ := strconv.ParseInt(parts[1], 10, 64)
		_ = json.NewEncoder(w).Encode(circle.Profile{ID: id, Name: fmt.Sprint("member ", id)})
	default:
		_, _ = w.Write([]byte(`{"page":1,"per_page":1,"count":0,"records":[]}`))
	}
}

func (u *upstream) recorded() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.calls)
}

func setup(t *testing.T, cfg loaders.Config) (*loaders.Loaders, *upstream) {
	t.Helper()
	up := &upstream{}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	c, err := circle.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return loaders.New(c.Member("token"), cfg), up
}

// loadAll calls load for every key at once, as gqlgen resolves list items.
func loadAll[K comparable, V any](ctx context.Context, keys []K, load func(context.Context, K) (V, error)) ([]V, []error) {
	vals := make([]V, len(keys))
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Go(func() { vals[i], errs[i] = load(ctx, k) })
	}
	wg.Wait()
	return vals, errs
}

func TestSpacesByIDOneListCallThenMisses(t *testing.T) {
	t.Parallel()
	l, up := setup(t, loaders.Config{})
	ids := []int64{11, 12, 11, 77, 404}
	spaces, errs := loadAll(context.Background(), ids, func(ctx context.Context, id int64) (*circle.Space, error) {
		return l.SpacesByID.Load(ctx, id)()
	})
	for i, id := range ids[:4] {
		if errs[i] != nil || spaces[i].ID != id {
			t.Errorf("space %d: %+v %v", id, spaces[i], errs[i])
		}
	}
	if !circle.IsStatus(errs[4], http.StatusNotFound) {
		t.Errorf("missing space: err = %v, want a 404", errs[4])
	}
	calls := up.recorded()
	slices.Sort(calls)
	want := []string{"/api/headless/v1/spaces/404?", "/api/headless/v1/spaces/77?", "/api/headless/v1/spaces?"}
	if !slices.Equal(calls, want) {
		t.Errorf("calls = %v, want %v", calls, want)
	}
}

func TestPostsBatchedPerSpace(t *testing.T) {
	t.Parallel()
	l, up := setup(t, loaders.Config{BatchWait: 20 * time.Millisecond})
	keys := []loaders.PostKey{{11, 5}, {11, 3}, {12, 7}, {11, 1}, {11, 3}, {12, 4}}
	posts, errs := loadAll(context.Background(), keys, func(ctx context.Context, k loaders.PostKey) (*circle.Post, error) {
		return l.PostsBySpaceAndID.Load(ctx, k)()
	})
	for i, k := range keys {
		if k.PostID%2 == 0 {
			if !circle.IsStatus(errs[i], http.StatusNotFound) {
				t.Errorf("%v: err = %v, want NOT_FOUND", k, errs[i])
			}
			continue
		}
		if errs[i] != nil || posts[i].ID != k.PostID {
			t.Errorf("%v: %+v %v", k, posts[i], errs[i])
		}
	}
	calls := up.recorded()
	slices.Sort(calls)
	want := []string{
		"/api/headless/v1/spaces/11/posts?page=1&per_page=3&post_ids=1%2C3%2C5",
		"/api/headless/v1/spaces/12/posts?page=1&per_page=2&post_ids=4%2C7",
	}
	if !slices.Equal(calls, want) {
		t.Errorf("calls = %v\nwant %v", calls, want)
	}
}

func TestPostsChunkedAt100(t *testing.T) {
	t.Parallel()
	l, up := setup(t, loaders.Config{BatchWait: 50 * time.Millisecond})
	var keys []loaders.PostKey
	for id := int64(1); id <= 150; id++ {
		keys = append(keys, loaders.PostKey{SpaceID: 11, PostID: id})
	}
	loadAll(context.Background(), keys, func(ctx context.Context, k loaders.PostKey) (*circle.Post, error) {
		return l.PostsBySpaceAndID.Load(ctx, k)()
	})
	calls := up.recorded()
	if len(calls) != 2 {
		t.Fatalf("calls = %d, want 2 (100 + 50 ids)", len(calls))
	}
	for _, c := range calls {
		if !strings.Contains(c, "per_page=100") && !strings.Contains(c, "per_page=50") {
			t.Errorf("call %s lacks the per_page of its chunk", c)
		}
	}
}

func TestProfilesOnePerDistinctMember(t *testing.T) {
	t.Parallel()
	l, up := setup(t, loaders.Config{})
	ids := []int64{101, 102, 101, 103, 102, 101}
	profiles, errs := loadAll(context.Background(), ids, func(ctx context.Context, id int64) (*circle.Profile, error) {
		return l.ProfilesByMemberID.Load(ctx, id)()
	})
	for i := range ids {
		if errs[i] != nil || profiles[i].ID != ids[i] {
			t.Errorf("%d: %+v %v", ids[i], profiles[i], errs[i])
		}
	}
	if n := len(up.recorded()); n != 3 {
		t.Errorf("calls = %d, want 3", n)
	}
}

func TestGetsDeduplicated(t *testing.T) {
	t.Parallel()
	l, up := setup(t, loaders.Config{})
	params := []circle.ListParams{{Page: 1, PerPage: 3, Sort: "oldest"}, {Page: 1, PerPage: 3, Sort: "oldest"}, {Page: 2, PerPage: 3, Sort: "oldest"}}
	_, errs := loadAll(context.Background(), params, func(ctx context.Context, p circle.ListParams) (*circle.Page[circle.Comment], error) {
		return l.API.Comments(ctx, 1001, p)
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(up.recorded()); n != 2 {
		t.Errorf("calls = %d (%v), want 2", n, up.recorded())
	}
}

func TestInFlightBounded(t *testing.T) {
	t.Parallel()
	l, up := setup(t, loaders.Config{MaxInFlight: 4})
	up.delay = 20 * time.Millisecond
	var ids []int64
	for i := int64(1); i <= 20; i++ {
		ids = append(ids, i)
	}
	loadAll(context.Background(), ids, func(ctx context.Context, id int64) (*circle.Profile, error) {
		return l.ProfilesByMemberID.Load(ctx, id)()
	})
	if p := up.peak.Load(); p > 4 || p < 2 {
		t.Errorf("peak in flight = %d, want 2..4 (bounded, yet concurrent)", p)
	}
}

func TestLoadersAreIsolated(t *testing.T) {
	t.Parallel()
	a, up := setup(t, loaders.Config{})
	if _, err := a.ProfilesByMemberID.Load(context.Background(), 101)(); err != nil {
		t.Fatal(err)
	}
	// A second operation of the same member gets new loaders: it must
	// call again rather than see the first operation's cache.
	b := loaders.New(a.API, loaders.Config{})
	if _, err := b.ProfilesByMemberID.Load(context.Background(), 101)(); err != nil {
		t.Fatal(err)
	}
	if n := len(up.recorded()); n != 2 {
		t.Errorf("calls = %d, want 2: loaders must not share a cache", n)
	}
}

func TestForWithoutLoaders(t *testing.T) {
	t.Parallel()
	if _, err := loaders.For(context.Background()); err == nil {
		t.Fatal("For on an empty context returned no error")
	}
}

// After Invalidate every loader reads from Circle again, so a mutation's
// re-read shows its write even when the operation read the object before;
// until then, repeated loads stay cached.
func TestInvalidateDropsEveryCache(t *testing.T) {
	t.Parallel()
	l, up := setup(t, loaders.Config{})
	ctx := context.Background()
	readAll := func() {
		t.Helper()
		if _, err := l.SpacesByID.Load(ctx, 11)(); err != nil {
			t.Fatal(err)
		}
		if _, err := l.PostsBySpaceAndID.Load(ctx, loaders.PostKey{SpaceID: 11, PostID: 3})(); err != nil {
			t.Fatal(err)
		}
		if _, err := l.ProfilesByMemberID.Load(ctx, 101)(); err != nil {
			t.Fatal(err)
		}
		if _, err := l.API.Comments(ctx, 1001, circle.ListParams{Page: 1, PerPage: 5}); err != nil {
			t.Fatal(err)
		}
	}
	readAll()
	readAll()
	first := up.recorded()
	if len(first) != 4 {
		t.Fatalf("calls before Invalidate = %v, want 4 (the second round cached)", first)
	}
	l.Invalidate()
	readAll()
	again := up.recorded()[len(first):]
	slices.Sort(first)
	slices.Sort(again)
	if !slices.Equal(first, again) {
		t.Fatalf("after Invalidate the calls were %v, want the same four again %v", again, first)
	}
}

// Post keys that arrive in waves while other GETs of the operation are in
// flight still cost one post_ids call per space.
func TestPostsMergedAcrossWaves(t *testing.T) {
	t.Parallel()
	l, up := setup(t, loaders.Config{MergePostWaves: true})
	up.delay = 30 * time.Millisecond
	ctx := context.Background()
	var wg sync.WaitGroup
	// A sibling list is in flight; when it answers, its items ask for
	// their posts (as a page of comments resolving Comment.post does).
	wg.Go(func() {
		_, _ = l.API.Comments(ctx, 1001, circle.ListParams{Page: 1, PerPage: 3})
		_, _ = l.PostsBySpaceAndID.Load(ctx, loaders.PostKey{SpaceID: 11, PostID: 3})()
	})
	time.Sleep(5 * time.Millisecond)
	// Meanwhile an earlier wave already asked for another post of the space.
	wg.Go(func() { _, _ = l.PostsBySpaceAndID.Load(ctx, loaders.PostKey{SpaceID: 11, PostID: 1})() })
	wg.Wait()
	var postCalls []string
	for _, c := range up.recorded() {
		if strings.Contains(c, "post_ids") {
			postCalls = append(postCalls, c)
		}
	}
	if len(postCalls) != 1 || !strings.Contains(postCalls[0], "post_ids=1%2C3") {
		t.Fatalf("post calls %v, want one for both waves", postCalls)
	}
}

// With nothing else in flight a post batch is fetched at once.
func TestPostsNotDelayedWhenIdle(t *testing.T) {
	t.Parallel()
	l, _ := setup(t, loaders.Config{BatchWait: time.Millisecond, MaxMergeWait: 5 * time.Second})
	start := time.Now()
	if _, err := l.PostsBySpaceAndID.Load(context.Background(), loaders.PostKey{SpaceID: 11, PostID: 1})(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("an idle operation's post load took %v", d)
	}
}
