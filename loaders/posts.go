package loaders

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/circle-gateway/gateway/circle"
)

// postQueue makes posts cost one post_ids call per space per operation even
// when their keys arrive in waves: the comment pages of several members (or
// posts) come back at different times, each page's comments then ask for
// their posts, and a fixed batch window would cut those into several calls
// per space. A batch that arrives while other GETs of the operation are
// still on their way joins a pending flush, which waits until none has been
// for a while (quietFor; at most maxMerge in all) and then fetches all keys
// gathered so far. Any GET counts, not only comment lists: a member's
// comments are asked for only after its profile is answered, for one. With
// no GET pending, or when the operation cannot ask for posts in waves (no
// Comment.post), a batch is fetched at once, so independent lookups are not
// slowed down.
type postQueue struct {
	window   time.Duration
	maxMerge time.Duration
	merge    bool // wait for waves at all

	mu      sync.Mutex
	pending *postFlush
}

// postFlush is one post_ids round: the keys gathered, then their results.
type postFlush struct {
	keys   map[PostKey]struct{}
	done   chan struct{}
	found  map[PostKey]*circle.Post
	failed map[int64]error
}

// join adds keys to the pending flush, starting one if there is none.
func (q *postQueue) join(ctx context.Context, l *Loaders, keys []PostKey) *postFlush {
	q.mu.Lock()
	defer q.mu.Unlock()
	f := q.pending
	if f == nil {
		f = &postFlush{keys: map[PostKey]struct{}{}, done: make(chan struct{})}
		q.pending = f
		go q.run(ctx, l, f)
	}
	for _, k := range keys {
		f.keys[k] = struct{}{}
	}
	return f
}

// run waits for the operation to be quiet, then fetches f's keys. ctx is
// the first joiner's, which every later joiner shares the request context
// (and so the deadline and cancellation) of.
func (q *postQueue) run(ctx context.Context, l *Loaders, f *postFlush) {
	defer close(f.done)
	q.waitQuiet(ctx, l)
	q.mu.Lock()
	q.pending = nil // later keys start a new flush
	keys := make([]PostKey, 0, len(f.keys))
	for k := range f.keys {
		keys = append(keys, k)
	}
	q.mu.Unlock()
	f.found, f.failed = l.fetchPosts(ctx, keys)
}

// quietFor is how long the operation must have had no GET pending
// before a merged flush goes: the keys of the last answer reach the queue only
// after that answer is decoded and resolved and the dataloader's own window
// has passed, which on a loaded machine takes a few windows.
func quietFor(window time.Duration) time.Duration { return max(4*window, 20*time.Millisecond) }

// waitQuiet returns once no GET of the operation has been pending
// for quietFor (or at once when none is pending now), after maxMerge, or
// when the operation ends.
func (q *postQueue) waitQuiet(ctx context.Context, l *Loaders) {
	if !q.merge || l.pending.Load() == 0 {
		return
	}
	const tick = 500 * time.Microsecond
	deadline := time.Now().Add(q.maxMerge)
	var quietSince time.Time
	t := time.NewTicker(tick)
	defer t.Stop()
	for time.Now().Before(deadline) {
		switch {
		case l.pending.Load() > 0:
			quietSince = time.Time{}
		case quietSince.IsZero():
			quietSince = time.Now()
		case time.Since(quietSince) > quietFor(q.window):
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// fetchPosts makes one post_ids call per space (per MaxPerPage ids).
func (l *Loaders) fetchPosts(ctx context.Context, keys []PostKey) (map[PostKey]*circle.Post, map[int64]error) {
	type chunk struct {
		space int64
		ids   []int64
	}
	bySpace := map[int64][]int64{}
	for _, k := range keys {
		bySpace[k.SpaceID] = append(bySpace[k.SpaceID], k.PostID)
	}
	var chunks []chunk
	for space, ids := range bySpace {
		slices.Sort(ids)
		for part := range slices.Chunk(ids, circle.MaxPerPage) {
			chunks = append(chunks, chunk{space: space, ids: part})
		}
	}
	found := map[PostKey]*circle.Post{}
	failed := map[int64]error{}
	var mu sync.Mutex
	each(ctx, chunks, func(ctx context.Context, c chunk) (struct{}, error) {
		posts, err := l.API.PostsByIDs(ctx, c.space, c.ids)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failed[c.space] = fmt.Errorf("posts of space %d: %w", c.space, err)
			return struct{}{}, nil
		}
		for i := range posts {
			found[PostKey{SpaceID: c.space, PostID: posts[i].ID}] = &posts[i]
		}
		return struct{}{}, nil
	})
	return found, failed
}
