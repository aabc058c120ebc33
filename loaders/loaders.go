// Package loaders holds the per-operation dataloaders (graph-gophers/dataloader
// v7) that make a GraphQL operation cost the fewest upstream calls Circle's
// Member API allows (docs/contract.md §6):
//
//   - SpacesByID: one GET /spaces serves every space the member can see;
//     GET /spaces/{id} only for ids it lacks;
//   - PostsBySpaceAndID: one GET /spaces/{id}/posts?post_ids=… per space;
//   - ProfilesByMemberID: one public-profile GET per distinct member;
//   - API: the member's Member API whose every GET is deduplicated by
//     path and query, so the same upstream GET is made at most once.
//
// All upstream GETs of one operation share a bound on calls in flight.
// A Loaders value belongs to one operation of one member and is dropped with
// it: nothing cached or batched here is ever served to another operation or
// member.
package loaders

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/safe"
)

// Defaults of Config.
const (
	// DefaultMaxInFlight bounds concurrent upstream calls per operation.
	DefaultMaxInFlight = 16
	// DefaultBatchWait is how long a batching loader collects keys. gqlgen
	// resolves the elements of a list concurrently, so their keys arrive
	// within microseconds; the wait only has to cover scheduling jitter.
	DefaultBatchWait = 5 * time.Millisecond
	// DefaultMaxMergeWait is the longest a batch of post keys waits for
	// the operation's other GETs still on their way (see postQueue). It is
	// only a safety net: the wait ends when those GETs have been answered,
	// and each of them is bounded by the upstream timeout and the
	// operation's deadline.
	DefaultMaxMergeWait = 10 * time.Second
)

// Config tunes a Loaders.
type Config struct {
	// MaxInFlight bounds concurrent upstream calls of the operation
	// (default DefaultMaxInFlight).
	MaxInFlight int
	// BatchWait is the batch window of PostsBySpaceAndID (default
	// DefaultBatchWait).
	BatchWait time.Duration
	// OnBatch, when set, is told the size of every batch a loader runs
	// (for metrics), by loader name.
	OnBatch func(loader string, size int)
	// MergePostWaves lets a batch of post keys wait for other fetches of
	// the operation still in flight, whose answers may bring more keys of
	// the same spaces (see postQueue). Set it only for operations that can
	// ask for posts at several levels (graph.PostsMayArriveInWaves): the
	// wait would otherwise hold back independent lookups for nothing.
	MergePostWaves bool
	// MaxMergeWait bounds that wait (default DefaultMaxMergeWait).
	MaxMergeWait time.Duration
}

// PostKey identifies a post: Circle reads posts within a space.
type PostKey struct {
	SpaceID int64
	PostID  int64
}

// Loaders is the set of loaders of one operation of one member.
type Loaders struct {
	// API is the member's Member API with every GET deduplicated for the
	// operation and bounded by MaxInFlight. List fields read through it.
	API *circle.MemberAPI
	// SpacesByID loads full space records.
	SpacesByID *dataloader.Loader[int64, *circle.Space]
	// PostsBySpaceAndID loads posts, batched per space.
	PostsBySpaceAndID *dataloader.Loader[PostKey, *circle.Post]
	// ProfilesByMemberID loads public profiles by community member id.
	ProfilesByMemberID *dataloader.Loader[int64, *circle.Profile]

	gets    *dataloader.Loader[circle.GetRequest, *circle.Response]
	sem     chan struct{}
	onBatch func(string, int)
	// pending counts the operation's GETs from when they are asked for
	// (queued for an in-flight slot included) until they are answered:
	// any of them may lead to comments whose posts come in a later wave.
	pending atomic.Int32
	posts   postQueue
}

// New builds the loaders of one operation over direct, the Member API of
// the operation's member.
func New(direct *circle.MemberAPI, cfg Config) *Loaders {
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.BatchWait <= 0 {
		cfg.BatchWait = DefaultBatchWait
	}
	if cfg.MaxMergeWait <= 0 {
		cfg.MaxMergeWait = DefaultMaxMergeWait
	}
	l := &Loaders{sem: make(chan struct{}, cfg.MaxInFlight), onBatch: cfg.OnBatch}
	l.posts = postQueue{window: cfg.BatchWait, maxMerge: cfg.MaxMergeWait, merge: cfg.MergePostWaves}

	// Every GET goes through one cache keyed by path and query. A batch of
	// one starts at once: deduplication needs no batch window.
	l.gets = dataloader.NewBatchedLoader(l.fetchGets(direct), dataloader.WithBatchCapacity[circle.GetRequest, *circle.Response](1))
	l.API = direct.WithGetter(circle.GetterFunc(func(ctx context.Context, r circle.GetRequest) (*circle.Response, error) {
		return l.gets.Load(ctx, r)()
	}))

	// Spaces and profiles cost one call per key whatever the batch (the
	// space list is one deduplicated GET), so they start at once; only
	// posts gain from a batch window, as Circle takes many ids per call.
	l.SpacesByID = dataloader.NewBatchedLoader(l.batchSpaces, dataloader.WithBatchCapacity[int64, *circle.Space](1))
	l.PostsBySpaceAndID = dataloader.NewBatchedLoader(l.batchPosts, dataloader.WithWait[PostKey, *circle.Post](cfg.BatchWait))
	l.ProfilesByMemberID = dataloader.NewBatchedLoader(l.batchProfiles, dataloader.WithBatchCapacity[int64, *circle.Profile](1))
	return l
}

// Invalidate forgets everything the operation has read so far, so that
// what is read next comes from Circle again. A mutation calls it after each
// write (whatever the write's outcome): the operation may have read the
// objects the write changed, and the re-read in its payload must show the
// change. Mutations run one at a time, so no load is in flight meanwhile.
func (l *Loaders) Invalidate() {
	l.gets.ClearAll()
	l.SpacesByID.ClearAll()
	l.PostsBySpaceAndID.ClearAll()
	l.ProfilesByMemberID.ClearAll()
}

func (l *Loaders) batched(name string, size int) {
	if l.onBatch != nil {
		l.onBatch(name, size)
	}
}

// fetchGets performs deduplicated GETs, each holding one in-flight slot.
func (l *Loaders) fetchGets(direct *circle.MemberAPI) dataloader.BatchFunc[circle.GetRequest, *circle.Response] {
	return func(ctx context.Context, keys []circle.GetRequest) []*dataloader.Result[*circle.Response] {
		return each(ctx, keys, func(ctx context.Context, r circle.GetRequest) (*circle.Response, error) {
			l.pending.Add(1)
			defer l.pending.Add(-1)
			select {
			case l.sem <- struct{}{}:
			case <-ctx.Done():
				return nil, fmt.Errorf("circle: GET %s: %w: %v", r.Endpoint, circle.ErrUnavailable, ctx.Err())
			}
			defer func() { <-l.sem }()
			return direct.Fetch(ctx, r)
		})
	}
}

// batchSpaces answers space ids from one GET /spaces and fetches the rest
// one by one.
func (l *Loaders) batchSpaces(ctx context.Context, ids []int64) []*dataloader.Result[*circle.Space] {
	l.batched("SpacesByID", len(ids))
	all, err := l.API.Spaces(ctx)
	if err != nil {
		return fail[*circle.Space](len(ids), fmt.Errorf("spaces: %w", err))
	}
	byID := make(map[int64]*circle.Space, len(all))
	for i := range all {
		byID[all[i].ID] = &all[i]
	}
	return each(ctx, ids, func(ctx context.Context, id int64) (*circle.Space, error) {
		if s, ok := byID[id]; ok {
			return s, nil
		}
		s, err := l.API.Space(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("space %d: %w", id, err)
		}
		return s, nil
	})
}

// batchPosts answers a dataloader batch of post keys through the
// operation's post queue (posts.go), which may merge it with batches that
// follow while other fetches are in flight; a post Circle does not return
// is NOT_FOUND.
func (l *Loaders) batchPosts(ctx context.Context, keys []PostKey) []*dataloader.Result[*circle.Post] {
	l.batched("PostsBySpaceAndID", len(keys))
	f := l.posts.join(ctx, l, keys)
	select {
	case <-f.done:
	case <-ctx.Done():
		return fail[*circle.Post](len(keys), fmt.Errorf("posts: %w: %v", circle.ErrUnavailable, ctx.Err()))
	}
	out := make([]*dataloader.Result[*circle.Post], len(keys))
	for i, k := range keys {
		switch p, ok := f.found[k]; {
		case ok:
			out[i] = &dataloader.Result[*circle.Post]{Data: p}
		case f.failed[k.SpaceID] != nil:
			out[i] = &dataloader.Result[*circle.Post]{Error: f.failed[k.SpaceID]}
		default:
			out[i] = &dataloader.Result[*circle.Post]{Error: circle.NotFound("GET /spaces/{space_id}/posts", fmt.Sprintf("post %d in space %d", k.PostID, k.SpaceID))}
		}
	}
	return out
}

// batchProfiles fetches one public profile per member.
func (l *Loaders) batchProfiles(ctx context.Context, ids []int64) []*dataloader.Result[*circle.Profile] {
	l.batched("ProfilesByMemberID", len(ids))
	return each(ctx, ids, func(ctx context.Context, id int64) (*circle.Profile, error) {
		p, err := l.API.PublicProfile(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("profile of member %d: %w", id, err)
		}
		return p, nil
	})
}

// each runs fn for every key concurrently (the in-flight bound applies at
// the GET underneath) and returns the results in key order. A panic in one
// fn fails that key only.
func each[K, V any](ctx context.Context, keys []K, fn func(context.Context, K) (V, error)) []*dataloader.Result[V] {
	out := make([]*dataloader.Result[V], len(keys))
	if len(keys) == 1 {
		v, err := fn(ctx, keys[0])
		out[0] = &dataloader.Result[V]{Data: v, Error: err}
		return out
	}
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Go(func() {
			v, err := safe.Call(func() (V, error) { return fn(ctx, k) })
			out[i] = &dataloader.Result[V]{Data: v, Error: err}
		})
	}
	wg.Wait()
	return out
}

// fail gives every key the same error.
func fail[V any](n int, err error) []*dataloader.Result[V] {
	out := make([]*dataloader.Result[V], n)
	for i := range out {
		out[i] = &dataloader.Result[V]{Error: err}
	}
	return out
}

type ctxKey struct{}

type ctxValue struct {
	loaders *Loaders
	err     error
}

// NewContext attaches the operation's loaders, or the reason the operation
// has none (the caller is not an authenticated member).
func NewContext(ctx context.Context, l *Loaders, err error) context.Context {
	return context.WithValue(ctx, ctxKey{}, ctxValue{loaders: l, err: err})
}

// ErrNoLoaders is returned by For outside an operation.
var ErrNoLoaders = errors.New("loaders: no loaders in context")

// For returns the operation's loaders, or the error recorded instead (an
// authentication error: member data needs a member).
func For(ctx context.Context) (*Loaders, error) {
	v, ok := ctx.Value(ctxKey{}).(ctxValue)
	if !ok {
		return nil, ErrNoLoaders
	}
	return v.loaders, v.err
}
