package loaders

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/safe"
)

// PostLoader loads posts by (space, id) at one post_ids call per space (per
// MaxPerPage ids) for a whole operation, even when the keys arrive in
// waves: the comment pages of several posts or members come back at
// different times, each page's comments then ask for their posts, and a
// batch window of any length would cut those into several calls per space
// whenever the machine is slow enough.
//
// So batches are not timed, they are counted. When the operation tracks
// its post lookups (TrackLookups), every piece of the operation that may
// still ask for a post holds a Lookup (package graph hands one to each
// GraphQL field whose selection can reach a post). Keys gather in a pending
// batch, and the batch is sent the moment no Lookup is outstanding: each
// one has either finished or is waiting for a post itself. Whatever the
// upstream latency or the scheduling, the same operation makes the same
// calls. Without tracking (mutations, which run their fields one by one,
// and code outside an operation) a batch is sent at once.
//
// Loaded posts are kept for the operation, like a dataloader's cache;
// transient failures (circle.Transient) are not, so asking again calls
// Circle again.
type PostLoader struct {
	l       *Loaders
	maxWait time.Duration
	stalled func()

	mu       sync.Mutex
	cache    map[PostKey]*postEntry
	pending  *postBatch // gathering keys, not sent yet
	tracking bool
	// outstanding counts the Lookups that may still ask for a post.
	outstanding int
}

// postEntry is one key's result, final once its batch is done (batch nil
// for primed posts).
type postEntry struct {
	batch *postBatch
	post  *circle.Post
	err   error
}

// postBatch is one round of post_ids calls.
type postBatch struct {
	// ctx is the first Load's: the batch runs with its deadline and
	// cancellation, which every field of the operation shares.
	ctx     context.Context
	keys    []PostKey
	entries []*postEntry
	done    chan struct{}
	// waiters are the Lookups that stopped counting as outstanding while
	// they wait for this batch; they count again when it is done, before
	// their fields go on (their answers may lead to more lookups).
	waiters []*Lookup
	timer   *time.Timer
}

// Lookup is the part of an operation that may still ask for a post, e.g.
// one GraphQL field and what it resolves to. It counts as outstanding from
// when it is expected (Expect) until Done, except while it waits for a post
// batch. Lookups travel in the context (WithLookup) so that Load finds the
// one asking.
type Lookup struct {
	p         *PostLoader
	counted   bool       // guarded by p.mu
	waitingOn *postBatch // guarded by p.mu
}

func newPostLoader(l *Loaders, maxWait time.Duration, stalled func()) *PostLoader {
	return &PostLoader{l: l, maxWait: maxWait, stalled: stalled, cache: map[PostKey]*postEntry{}}
}

// TrackLookups makes batches wait for the operation's Lookups, of which
// expected are outstanding now (the operation's root fields that may ask
// for a post). Call it once, before the first Load, and only for
// operations whose fields run concurrently (queries): a mutation's later
// fields start only after its earlier ones have finished, so waiting for
// them would never end.
func (p *PostLoader) TrackLookups(expected int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tracking = true
	p.outstanding += expected
}

// Expect adds n outstanding Lookups (n < 0 removes them: a field that was
// expected but will never run, see graph's error hook).
func (p *PostLoader) Expect(n int) {
	if n == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.outstanding += n
	p.dispatchIfIdleLocked()
}

// Begin returns a Lookup for a piece of work that was already expected.
func (p *PostLoader) Begin() *Lookup { return &Lookup{p: p, counted: true} }

// Done ends the Lookup, after expecting the children it found (the fields
// of its result that may ask for posts in turn).
func (lk *Lookup) Done(children int) {
	p := lk.p
	p.mu.Lock()
	defer p.mu.Unlock()
	p.outstanding += children
	if lk.counted {
		lk.counted = false
		p.outstanding--
	}
	p.dispatchIfIdleLocked()
}

type lookupKey struct{}

// WithLookup returns ctx carrying lk, for Load to find.
func WithLookup(ctx context.Context, lk *Lookup) context.Context {
	return context.WithValue(ctx, lookupKey{}, lk)
}

// Load returns a thunk for the post with key k; the batch it joins is sent
// when the operation has no outstanding Lookup (at once without tracking).
func (p *PostLoader) Load(ctx context.Context, k PostKey) dataloader.Thunk[*circle.Post] {
	return p.LoadMany(ctx, []PostKey{k})[0]
}

// LoadMany is Load for several keys at once, e.g. every post reference of
// a federation _entities call: they join the pending batch together, before
// it can be sent, so that the posts of one space cost one call even when
// nothing tracks the operation (where a Load of each in turn would send a
// batch of one each time). The asking Lookup waits on the pending batch
// when a key joined it (that batch is sent only once the Lookup stops
// counting), else on the batch of the first key still in flight.
func (p *PostLoader) LoadMany(ctx context.Context, keys []PostKey) []dataloader.Thunk[*circle.Post] {
	thunks := make([]dataloader.Thunk[*circle.Post], len(keys))
	p.mu.Lock()
	defer p.mu.Unlock()
	lk, _ := ctx.Value(lookupKey{}).(*Lookup)
	var wait *postBatch
	for i, k := range keys {
		e, ok := p.cache[k]
		if ok && (e.batch == nil || e.batch.finished()) {
			thunks[i] = func() (*circle.Post, error) { return e.post, e.err }
			continue
		}
		if !ok {
			b := p.pending
			if b == nil {
				b = &postBatch{ctx: ctx, done: make(chan struct{})}
				p.pending = b
				if p.tracking && p.maxWait > 0 {
					b.timer = time.AfterFunc(p.maxWait, func() { p.expire(b) })
				}
			}
			e = &postEntry{batch: b}
			b.keys = append(b.keys, k)
			b.entries = append(b.entries, e)
			p.cache[k] = e
		}
		b := e.batch
		if wait == nil || b == p.pending {
			wait = b
		}
		thunks[i] = func() (*circle.Post, error) {
			select {
			case <-b.done:
				return e.post, e.err
			case <-ctx.Done():
				p.mu.Lock()
				if lk != nil && lk.waitingOn == b {
					lk.waitingOn = nil // gone: its field ends without waking up
				}
				p.mu.Unlock()
				return nil, fmt.Errorf("posts: %w: %v", circle.ErrUnavailable, ctx.Err())
			}
		}
	}
	if wait != nil && lk != nil && lk.p == p && lk.counted {
		lk.counted = false
		lk.waitingOn = wait
		p.outstanding--
		wait.waiters = append(wait.waiters, lk)
	}
	p.dispatchIfIdleLocked()
	return thunks
}

// Prime stores a post the operation already has (from a list), unless the
// key is known already.
func (p *PostLoader) Prime(k PostKey, post *circle.Post) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.cache[k]; !ok {
		p.cache[k] = &postEntry{post: post}
	}
}

// ClearAll forgets every post read so far (see Loaders.Invalidate).
func (p *PostLoader) ClearAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cache = map[PostKey]*postEntry{}
}

func (b *postBatch) finished() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// dispatchIfIdleLocked sends the pending batch when nothing that may still
// add to it is outstanding.
func (p *PostLoader) dispatchIfIdleLocked() {
	if b := p.pending; b != nil && (!p.tracking || p.outstanding <= 0) {
		p.sendLocked(b)
	}
}

// expire sends a batch that waited maxWait for the operation's Lookups: a
// safety net that only a miscounted Lookup can make necessary, reported
// through the stalled hook so that it never goes unnoticed.
func (p *PostLoader) expire(b *postBatch) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending != b {
		return
	}
	if p.stalled != nil {
		p.stalled()
	}
	p.sendLocked(b)
}

func (p *PostLoader) sendLocked(b *postBatch) {
	p.pending = nil
	if b.timer != nil {
		b.timer.Stop()
	}
	p.l.batched("PostsBySpaceAndID", len(b.keys))
	go p.run(b)
}

// run fetches b's keys and settles its entries and waiters.
func (p *PostLoader) run(b *postBatch) {
	var failed map[int64]error
	found, err := safe.Call(func() (map[PostKey]*circle.Post, error) {
		var f map[PostKey]*circle.Post
		f, failed = p.l.fetchPosts(b.ctx, b.keys)
		return f, nil
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, k := range b.keys {
		e := b.entries[i]
		switch post, ok := found[k]; {
		case err != nil:
			e.err = fmt.Errorf("posts: %w", err)
		case ok:
			e.post = post
		case failed[k.SpaceID] != nil:
			e.err = failed[k.SpaceID]
		default:
			e.err = circle.NotFound("GET /spaces/{space_id}/posts", fmt.Sprintf("post %d in space %d", k.PostID, k.SpaceID))
		}
		if e.err != nil && circle.Transient(e.err) && p.cache[k] == e {
			delete(p.cache, k) // asking again calls again
		}
	}
	for _, lk := range b.waiters {
		if lk.waitingOn == b {
			lk.waitingOn = nil
			lk.counted = true
			p.outstanding++
		}
	}
	close(b.done)
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
