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
	inFlight atomic.Int32
	peak     atomic.Int32
	// holdUntil, when above 0, holds every call until that many are in
	// flight at once (then lets them all go): concurrency shown without
	// timing.
	holdUntil int32
	held      chan struct{}
	// failPosts answers post_ids calls with 500 while set.
	failPosts atomic.Bool
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := u.inFlight.Add(1)
	defer u.inFlight.Add(-1)
	for p := u.peak.Load(); n > p && !u.peak.CompareAndSwap(p, n); p = u.peak.Load() {
	}
	u.mu.Lock()
	u.calls = append(u.calls, r.URL.Path+"?"+r.URL.RawQuery)
	if u.holdUntil > 0 && n >= u.holdUntil && u.held != nil {
		close(u.held)
		u.held = nil
	}
	held := u.held
	u.mu.Unlock()
	if held != nil {
		select {
		case <-held:
		case <-time.After(10 * time.Second): // only when the calls never come together: the test fails
		}
	}
	if u.failPosts.Load() && r.URL.Query().Has("post_ids") {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"success":false,"message":"try later"}`))
		return
	}
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
func loadAll[K, V any](ctx context.Context, keys []K, load func(context.Context, K) (V, error)) ([]V, []error) {
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

// loadTracked loads every key at once, each from its own expected lookup
// (as gqlgen resolves the Comment.post fields of a list), and ends each
// lookup once its post is answered.
func loadTracked(l *loaders.Loaders, keys []loaders.PostKey) ([]*circle.Post, []error) {
	l.PostsBySpaceAndID.TrackLookups(len(keys))
	return loadAll(context.Background(), keys, func(ctx context.Context, k loaders.PostKey) (*circle.Post, error) {
		lk := l.PostsBySpaceAndID.Begin()
		defer lk.Done(0)
		return l.PostsBySpaceAndID.Load(loaders.WithLookup(ctx, lk), k)()
	})
}

func TestPostsBatchedPerSpace(t *testing.T) {
	t.Parallel()
	l, up := setup(t, loaders.Config{})
	keys := []loaders.PostKey{{11, 5}, {11, 3}, {12, 7}, {11, 1}, {11, 3}, {12, 4}}
	posts, errs := loadTracked(l, keys)
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
	l, up := setup(t, loaders.Config{})
	var keys []loaders.PostKey
	for id := int64(1); id <= 150; id++ {
		keys = append(keys, loaders.PostKey{SpaceID: 11, PostID: id})
	}
	loadTracked(l, keys)
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
	// Calls are held until four are in flight: they must be concurrent,
	// and never more than four.
	up.holdUntil, up.held = 4, make(chan struct{})
	var ids []int64
	for i := int64(1); i <= 20; i++ {
		ids = append(ids, i)
	}
	loadAll(context.Background(), ids, func(ctx context.Context, id int64) (*circle.Profile, error) {
		return l.ProfilesByMemberID.Load(ctx, id)()
	})
	if p := up.peak.Load(); p != 4 {
		t.Errorf("peak in flight = %d, want 4 (bounded, yet concurrent)", p)
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

// postCalls lists the post_ids calls made so far.
func postCalls(up *upstream) []string {
	var out []string
	for _, c := range up.recorded() {
		if strings.Contains(c, "post_ids") {
			out = append(out, c)
		}
	}
	return out
}

// A batch waits for every outstanding lookup, however late it asks: one
// lookup asks for its post at once, another only after a list it needed
// came back, and one call serves both. Counted, so no timing is involved.
func TestPostsMergedAcrossWaves(t *testing.T) {
	t.Parallel()
	var batches []int
	var mu sync.Mutex
	l, up := setup(t, loaders.Config{OnBatch: func(name string, n int) {
		if name == "PostsBySpaceAndID" {
			mu.Lock()
			defer mu.Unlock()
			batches = append(batches, n)
		}
	}})
	posts := l.PostsBySpaceAndID
	posts.TrackLookups(2)
	early, late := posts.Begin(), posts.Begin()
	ctx := context.Background()

	first := posts.Load(loaders.WithLookup(ctx, early), loaders.PostKey{SpaceID: 11, PostID: 1})
	mu.Lock()
	sent := len(batches)
	mu.Unlock()
	if sent != 0 {
		t.Fatal("the batch went while another lookup was outstanding")
	}
	// The late lookup first reads a list (a comment page), then its items
	// ask for their posts: it expects two child lookups and ends.
	if _, err := l.API.Comments(ctx, 1001, circle.ListParams{Page: 1, PerPage: 3}); err != nil {
		t.Fatal(err)
	}
	late.Done(2)
	a, b := posts.Begin(), posts.Begin()
	second := posts.Load(loaders.WithLookup(ctx, a), loaders.PostKey{SpaceID: 11, PostID: 3})
	third := posts.Load(loaders.WithLookup(ctx, b), loaders.PostKey{SpaceID: 12, PostID: 5})
	for _, thunk := range []func() (*circle.Post, error){first, second, third} {
		if _, err := thunk(); err != nil {
			t.Fatal(err)
		}
	}
	for _, lk := range []*loaders.Lookup{early, a, b} {
		lk.Done(0)
	}
	calls := postCalls(up)
	slices.Sort(calls)
	want := []string{
		"/api/headless/v1/spaces/11/posts?page=1&per_page=2&post_ids=1%2C3",
		"/api/headless/v1/spaces/12/posts?page=1&per_page=1&post_ids=5",
	}
	if !slices.Equal(calls, want) || len(batches) != 1 {
		t.Fatalf("post calls %v in %d batches, want %v in one", calls, len(batches), want)
	}
}

// setupCountingPostBatches is setup with a count of the post batches sent.
func setupCountingPostBatches(t *testing.T) (*loaders.Loaders, *upstream, *atomic.Int32) {
	var batches atomic.Int32
	l, up := setup(t, loaders.Config{OnBatch: func(name string, _ int) {
		if name == "PostsBySpaceAndID" {
			batches.Add(1)
		}
	}})
	return l, up, &batches
}

// A lookup that waited for a batch counts again once it is answered (what
// it resolves to may ask for more posts), so the next batch waits for it.
func TestPostLookupCountsAgainAfterItsBatch(t *testing.T) {
	t.Parallel()
	l, up, batches := setupCountingPostBatches(t)
	posts := l.PostsBySpaceAndID
	posts.TrackLookups(1)
	parent := posts.Begin()
	ctx := context.Background()
	if _, err := posts.Load(loaders.WithLookup(ctx, parent), loaders.PostKey{SpaceID: 11, PostID: 1})(); err != nil {
		t.Fatal(err)
	}
	// The parent is answered and counts again; a lookup outside it (an
	// untracked one) must not send a batch while the parent may still ask.
	other := posts.Load(ctx, loaders.PostKey{SpaceID: 11, PostID: 7})
	if n := batches.Load(); n != 1 {
		t.Fatalf("%d batches while the answered lookup was still running, want 1", n)
	}
	child := posts.Begin()
	parent.Done(1) // its post has a field that asks for another post
	if n := batches.Load(); n != 1 {
		t.Fatalf("%d batches while the child lookup was outstanding, want 1", n)
	}
	if _, err := posts.Load(loaders.WithLookup(ctx, child), loaders.PostKey{SpaceID: 11, PostID: 9})(); err != nil {
		t.Fatal(err)
	}
	if _, err := other(); err != nil {
		t.Fatal(err)
	}
	child.Done(0)
	calls := postCalls(up)
	if len(calls) != 2 || !strings.Contains(calls[1], "post_ids=7%2C9") {
		t.Fatalf("post calls %v, want the parent's alone, then 7 and 9 together", calls)
	}
}

// Without tracking (a mutation, code outside an operation) a batch goes at
// once.
func TestPostsUntrackedGoAtOnce(t *testing.T) {
	t.Parallel()
	l, up := setup(t, loaders.Config{})
	if _, err := l.PostsBySpaceAndID.Load(context.Background(), loaders.PostKey{SpaceID: 11, PostID: 1})(); err != nil {
		t.Fatal(err)
	}
	if n := len(postCalls(up)); n != 1 {
		t.Fatalf("%d post calls, want 1", n)
	}
}

// A transient failure is not remembered: asking again calls again. A
// post Circle does not return stays NOT_FOUND without another call.
func TestPostFailuresNotCachedWhenTransient(t *testing.T) {
	t.Parallel()
	l, up := setup(t, loaders.Config{})
	ctx := context.Background()
	up.failPosts.Store(true)
	if _, err := l.PostsBySpaceAndID.Load(ctx, loaders.PostKey{SpaceID: 11, PostID: 1})(); err == nil {
		t.Fatal("no error from a 500")
	}
	up.failPosts.Store(false)
	if _, err := l.PostsBySpaceAndID.Load(ctx, loaders.PostKey{SpaceID: 11, PostID: 1})(); err != nil {
		t.Fatalf("second load: %v, want a fresh call that succeeds", err)
	}
	for range 2 {
		if _, err := l.PostsBySpaceAndID.Load(ctx, loaders.PostKey{SpaceID: 11, PostID: 2})(); !circle.IsStatus(err, http.StatusNotFound) {
			t.Fatalf("invisible post: %v, want NOT_FOUND", err)
		}
	}
	if n := len(postCalls(up)); n != 3 {
		t.Fatalf("%d post calls, want 3 (failed, retried, not found once)", n)
	}
}

// Transient failures of other GETs are not remembered for the operation
// either (dataloader skip-cache errors).
func TestTransientGetFailuresNotCached(t *testing.T) {
	t.Parallel()
	var fail atomic.Bool
	fail.Store(true)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if fail.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"success":false,"message":"boom"}`))
			return
		}
		_, _ = w.Write([]byte(`{"id":101,"name":"Ann"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := circle.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	l := loaders.New(c.Member("token"), loaders.Config{})
	ctx := context.Background()
	if _, err := l.ProfilesByMemberID.Load(ctx, 101)(); err == nil {
		t.Fatal("no error from a 500")
	}
	fail.Store(false)
	p, err := l.ProfilesByMemberID.Load(ctx, 101)()
	if err != nil || p.Name != "Ann" {
		t.Fatalf("second load: %+v %v, want a fresh call", p, err)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("%d calls, want 2", n)
	}
}

// The safety net sends a batch whose lookups were miscounted, and says so.
func TestPostWaitSafetyNet(t *testing.T) {
	t.Parallel()
	stalled := make(chan struct{}, 1)
	l, _ := setup(t, loaders.Config{MaxPostWait: 10 * time.Millisecond, OnPostWaitExpired: func() { stalled <- struct{}{} }})
	l.PostsBySpaceAndID.TrackLookups(1) // a lookup that never ends
	if _, err := l.PostsBySpaceAndID.Load(context.Background(), loaders.PostKey{SpaceID: 11, PostID: 1})(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stalled:
	default:
		t.Fatal("the batch went without the stall being reported")
	}
}

// LoadMany puts its keys in one batch even untracked, where Load would send
// each at once: one post_ids call per space for all of them.
func TestPostsLoadManyOneBatchUntracked(t *testing.T) {
	t.Parallel()
	l, up := setup(t, loaders.Config{})
	keys := []loaders.PostKey{{11, 5}, {12, 7}, {11, 3}, {11, 5}, {12, 9}, {11, 4}}
	thunks := l.PostsBySpaceAndID.LoadMany(context.Background(), keys)
	for i, th := range thunks {
		p, err := th()
		if keys[i].PostID%2 == 0 {
			if err == nil {
				t.Errorf("key %v: found, want not found", keys[i])
			}
			continue
		}
		if err != nil || p.ID != keys[i].PostID || p.Space.ID != keys[i].SpaceID {
			t.Errorf("key %v: %+v, %v", keys[i], p, err)
		}
	}
	calls := postCalls(up)
	slices.Sort(calls)
	want := []string{"/api/headless/v1/spaces/11/posts?page=1&per_page=3&post_ids=3%2C4%2C5", "/api/headless/v1/spaces/12/posts?page=1&per_page=2&post_ids=7%2C9"}
	if !slices.Equal(calls, want) {
		t.Fatalf("post calls %v, want %v", calls, want)
	}
}

// A tracked LoadMany stops its Lookup counting once and puts every key in
// the pending batch, beside the key another lookup already waits for: one
// batch, sent the moment neither lookup counts.
func TestPostsLoadManyTrackedWaitsOnPending(t *testing.T) {
	t.Parallel()
	l, up, batches := setupCountingPostBatches(t)
	posts := l.PostsBySpaceAndID
	posts.TrackLookups(2)
	first, second := posts.Begin(), posts.Begin()
	ctx := context.Background()
	// first waits on a batch of its own; second is still outstanding, so
	// it is not sent yet.
	early := posts.Load(loaders.WithLookup(ctx, first), loaders.PostKey{SpaceID: 11, PostID: 1})
	if n := batches.Load(); n != 0 {
		t.Fatalf("%d batches while a lookup was outstanding, want 0", n)
	}
	// second asks for the pending key and two new ones: all in one batch,
	// sent now that neither lookup counts.
	thunks := posts.LoadMany(loaders.WithLookup(ctx, second), []loaders.PostKey{{11, 1}, {11, 3}, {12, 5}})
	for _, th := range append(thunks, early) {
		if _, err := th(); err != nil {
			t.Fatal(err)
		}
	}
	first.Done(0)
	second.Done(0)
	if n := batches.Load(); n != 1 {
		t.Fatalf("%d batches, want 1", n)
	}
	if calls := postCalls(up); len(calls) != 2 {
		t.Fatalf("post calls %v, want one per space", calls)
	}
}

// Forget drops what the loaders in a context read, as Invalidate does, and
// does not build lazy loaders nobody asked for.
func TestForget(t *testing.T) {
	t.Parallel()
	l, up := setup(t, loaders.Config{})
	builds := 0
	ctx := loaders.NewLazyContext(context.Background(), func() *loaders.Loaders { builds++; return l })
	loaders.Forget(ctx)
	if builds != 0 {
		t.Fatal("Forget built lazy loaders nobody had asked for")
	}
	profile := func() {
		t.Helper()
		got, err := loaders.For(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := got.ProfilesByMemberID.Load(ctx, 101)(); err != nil {
			t.Fatal(err)
		}
	}
	profile()
	profile()
	loaders.Forget(ctx)
	profile()
	if n := len(up.recorded()); n != 2 || builds != 1 {
		t.Fatalf("%d calls and %d builds for a profile read twice, forgotten, read again; want 2 and 1", n, builds)
	}
	loaders.Forget(loaders.NewContext(context.Background(), l, nil))
	profile()
	if n := len(up.recorded()); n != 3 {
		t.Fatalf("after Forget of eager loaders: %d calls, want 3", n)
	}
	loaders.Forget(context.Background()) // no loaders: nothing to do
}
