package loaders

import (
	"context"
	"sync"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/safe"
)

// Memo deduplicates one operation's loads by key: the first Load of a key
// runs the fetch on the caller's own goroutine, and every later Load of
// the key waits for that outcome (or gets it at once when it is known). A
// load that fails transiently (circle.Transient) or panics is forgotten
// as soon as it ends, so a later Load calls again.
//
// It does what a dataloader with a batch capacity of one does for loads
// that gain nothing from batching (a GET, a space, a profile: one call per
// key whatever the batch), without the dataloader's cost per key: a
// batcher with its own input channel (8 KB by default) and two goroutines
// (the batch and its timer) for every distinct key, while the caller
// waits on a thunk. Under fan-out (20 comment lists per feed, 64
// operations at once) those were a third of the gateway's goroutines.
type Memo[K comparable, V any] struct {
	fetch func(context.Context, K) (V, error)

	mu      sync.Mutex
	entries map[K]*memoEntry[V]
}

// memoEntry is one key's load: done is closed once v and err are set.
type memoEntry[V any] struct {
	done chan struct{}
	v    V
	err  error
}

func newMemo[K comparable, V any](fetch func(context.Context, K) (V, error)) *Memo[K, V] {
	return &Memo[K, V]{fetch: fetch, entries: make(map[K]*memoEntry[V])}
}

// Load returns k's value as a thunk, like a dataloader's Load, so that
// resolvers read every loader alike; the value is already there (Get).
func (m *Memo[K, V]) Load(ctx context.Context, k K) dataloader.Thunk[V] {
	v, err := m.Get(ctx, k)
	return func() (V, error) { return v, err }
}

// Get returns k's value, fetching it unless another Load of k has.
func (m *Memo[K, V]) Get(ctx context.Context, k K) (V, error) {
	m.mu.Lock()
	if e, ok := m.entries[k]; ok {
		m.mu.Unlock()
		<-e.done
		return e.v, e.err
	}
	e := &memoEntry[V]{done: make(chan struct{})}
	m.entries[k] = e
	m.mu.Unlock()

	panicked := true
	defer func() {
		if panicked || (e.err != nil && circle.Transient(e.err)) {
			m.mu.Lock()
			if m.entries[k] == e {
				delete(m.entries, k)
			}
			m.mu.Unlock()
		}
		close(e.done)
	}()
	e.v, e.err = safe.Call(func() (V, error) { return m.fetch(ctx, k) })
	panicked = false
	return e.v, e.err
}

// GetMany is Get for several keys at once, each fetched on a goroutine of
// its own (All), in key order.
func (m *Memo[K, V]) GetMany(ctx context.Context, keys []K) ([]V, []error) {
	return All(ctx, keys, m.Get)
}

// ClearAll forgets every key; loads in flight still answer their callers.
func (m *Memo[K, V]) ClearAll() {
	m.mu.Lock()
	clear(m.entries)
	m.mu.Unlock()
}
