// Package loaders holds the per-operation loaders that make a GraphQL
// operation cost the fewest upstream calls Circle's Member API allows
// (docs/contract.md §6): memos (Memo) for what costs one call per key, and
// a batching loader for posts, which Circle reads many per call:
//
//   - SpacesByID: one GET /spaces serves every space the member can see;
//     GET /spaces/{id} only for ids it lacks;
//   - PostsBySpaceAndID: one GET /spaces/{id}/posts?post_ids=… per space
//     for the whole operation, batches counted rather than timed
//     (PostLoader);
//   - ProfilesByMemberID: one public-profile GET per distinct member;
//   - API: the member's Member API whose every GET is deduplicated by
//     path and query, so the same upstream GET is made at most once.
//
// All upstream GETs of one operation share a bound on calls in flight.
// Transient failures (circle.Transient) are never remembered: a field that
// asks again gets a fresh call.
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
	// DefaultMaxInFlight bounds concurrent upstream calls per operation:
	// the 20 comment lists of a feed page go out in one round.
	DefaultMaxInFlight = 32
	// DefaultMaxPostWait bounds how long a batch of post keys waits for
	// the operation's outstanding lookups (see PostLoader). Counting makes
	// the wait end by itself; this is only a safety net against a
	// miscounted lookup, reported through Config.OnPostWaitExpired.
	DefaultMaxPostWait = 5 * time.Second
)

// Config tunes a Loaders.
type Config struct {
	// MaxInFlight bounds concurrent upstream calls of the operation
	// (default DefaultMaxInFlight).
	MaxInFlight int
	// OnBatch, when set, is told the size of every batch a loader runs
	// (for metrics), by loader name.
	OnBatch func(loader string, size int)
	// MaxPostWait is the safety net of the post batches (default
	// DefaultMaxPostWait).
	MaxPostWait time.Duration
	// OnPostWaitExpired, when set, is called when a post batch was sent
	// by the safety net rather than by counting: a bug to log.
	OnPostWaitExpired func()
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
	SpacesByID *Memo[int64, *circle.Space]
	// PostsBySpaceAndID loads posts, one post_ids call per space for the
	// whole operation (see PostLoader).
	PostsBySpaceAndID *PostLoader
	// ProfilesByMemberID loads public profiles by community member id.
	ProfilesByMemberID *Memo[int64, *circle.Profile]

	gets    *Memo[circle.GetRequest, *circle.Response]
	sem     chan struct{}
	onBatch func(string, int)
}

// New builds the loaders of one operation over direct, the Member API of
// the operation's member.
func New(direct *circle.MemberAPI, cfg Config) *Loaders {
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.MaxPostWait <= 0 {
		cfg.MaxPostWait = DefaultMaxPostWait
	}
	l := &Loaders{sem: make(chan struct{}, cfg.MaxInFlight), onBatch: cfg.OnBatch}

	// Every GET goes through one memo keyed by path and query, made on the
	// goroutine of the field that asks first: deduplication needs no
	// batch window.
	l.gets = newMemo(l.fetchGet(direct))
	l.API = direct.WithGetter(circle.GetterFunc(l.gets.Get))

	// Spaces and profiles cost one call per key whatever the batch (the
	// space list is one deduplicated GET), so they start at once, through
	// memos too; only posts gain from batching, as Circle takes many ids
	// per call.
	l.SpacesByID = newMemo(l.loadSpace)
	l.PostsBySpaceAndID = newPostLoader(l, cfg.MaxPostWait, cfg.OnPostWaitExpired)
	l.ProfilesByMemberID = newMemo(l.loadProfile)
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

// fetchGet performs one GET of the memo, holding one in-flight slot.
func (l *Loaders) fetchGet(direct *circle.MemberAPI) func(context.Context, circle.GetRequest) (*circle.Response, error) {
	return func(ctx context.Context, r circle.GetRequest) (*circle.Response, error) {
		select {
		case l.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("circle: GET %s: %w: %v", r.Endpoint, circle.ErrUnavailable, ctx.Err())
		}
		defer func() { <-l.sem }()
		return direct.Fetch(ctx, r)
	}
}

// loadSpace answers a space id from the operation's one GET /spaces, and
// fetches the space alone when the list lacks it.
func (l *Loaders) loadSpace(ctx context.Context, id int64) (*circle.Space, error) {
	l.batched("SpacesByID", 1)
	all, err := l.API.Spaces(ctx)
	if err != nil {
		return nil, fmt.Errorf("spaces: %w", err)
	}
	for i := range all {
		if all[i].ID == id {
			return &all[i], nil
		}
	}
	s, err := l.API.Space(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("space %d: %w", id, err)
	}
	return s, nil
}

// loadProfile fetches one member's public profile.
func (l *Loaders) loadProfile(ctx context.Context, id int64) (*circle.Profile, error) {
	l.batched("ProfilesByMemberID", 1)
	p, err := l.API.PublicProfile(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("profile of member %d: %w", id, err)
	}
	return p, nil
}

// each is All for a batch function: dataloader results in key order.
func each[K, V any](ctx context.Context, keys []K, fn func(context.Context, K) (V, error)) []*dataloader.Result[V] {
	values, errs := All(ctx, keys, fn)
	out := make([]*dataloader.Result[V], len(keys))
	for i := range keys {
		out[i] = result(values[i], errs[i])
	}
	return out
}

// All runs fn for every key at once, each on a goroutine of its own (a
// single key on the caller's), and returns the values and errors in key
// order; the operation's bound on calls in flight applies at the GET
// underneath. A reader of many keys (federation's _entities, a batch of
// posts) sends its calls together this way. A panic in one fn fails that
// key only.
func All[K, V any](ctx context.Context, keys []K, fn func(context.Context, K) (V, error)) ([]V, []error) {
	values, errs := make([]V, len(keys)), make([]error, len(keys))
	if len(keys) == 1 {
		values[0], errs[0] = fn(ctx, keys[0])
		return values, errs
	}
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Go(func() {
			values[i], errs[i] = safe.Call(func() (V, error) { return fn(ctx, k) })
		})
	}
	wg.Wait()
	return values, errs
}

// result is a dataloader result whose transient failure (circle.Transient)
// the loader does not keep: a field that asks again later in the operation
// gets a fresh call instead of the same 503.
func result[V any](v V, err error) *dataloader.Result[V] {
	if err != nil && circle.Transient(err) {
		err = dataloader.NewSkipCacheError(err)
	}
	return &dataloader.Result[V]{Data: v, Error: err}
}

type ctxKey struct{}

type ctxValue struct {
	loaders *Loaders
	err     error
	lazy    *lazyLoaders // set by NewLazyContext instead of loaders
}

// lazyLoaders builds an operation's loaders on first use.
type lazyLoaders struct {
	once  sync.Once
	build func() *Loaders
	l     *Loaders
	built atomic.Pointer[Loaders] // l, for Forget, once built
}

// NewContext attaches the operation's loaders, or the reason the operation
// has none (the caller is not an authenticated member).
func NewContext(ctx context.Context, l *Loaders, err error) context.Context {
	return context.WithValue(ctx, ctxKey{}, ctxValue{loaders: l, err: err})
}

// NewLazyContext attaches loaders that build is asked for on the first
// For, once, from whichever goroutine asks first: a subscription's events
// each get loaders of their own, and most events (a chat message with its
// embedded sender) never load anything, so most never build them.
func NewLazyContext(ctx context.Context, build func() *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, ctxValue{lazy: &lazyLoaders{build: build}})
}

// Forget invalidates the loaders in ctx (see Invalidate), if there are
// any: lazy loaders that were never asked for are not built for it. A
// subscription calls it once its field has run, so that what the field
// read is not held for as long as the subscription runs.
func Forget(ctx context.Context) {
	v, ok := ctx.Value(ctxKey{}).(ctxValue)
	if !ok {
		return
	}
	l := v.loaders
	if v.lazy != nil {
		l = v.lazy.built.Load()
	}
	if l != nil {
		l.Invalidate()
	}
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
	if z := v.lazy; z != nil {
		z.once.Do(func() {
			z.l = z.build()
			z.built.Store(z.l)
		})
		return z.l, nil
	}
	return v.loaders, v.err
}
