// Package sizedcache is a least-recently-used cache bounded by the bytes its
// entries hold as well as by their number. gqlgen's caches (parsed queries,
// Automatic Persisted Queries) are keyed by query text that any client,
// signed in or not, chooses: bounded by count alone, a thousand 2 MB
// queries would hold gigabytes.
package sizedcache

import (
	"container/list"
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
)

// Cache is a graphql.Cache[T] that keeps at most maxEntries entries and
// maxBytes bytes (as size measures them), evicting the least recently used.
// An entry larger than maxEntryBytes is not kept at all. Safe for
// concurrent use.
type Cache[T any] struct {
	maxEntries    int
	maxBytes      int
	maxEntryBytes int
	size          func(key string, value T) int

	mu    sync.Mutex
	bytes int
	order *list.List // front: most recently used; values are *entry[T]
	byKey map[string]*list.Element
}

type entry[T any] struct {
	key   string
	value T
	size  int
}

var _ graphql.Cache[string] = (*Cache[string])(nil)

// New returns a Cache; size tells how many bytes an entry holds.
func New[T any](maxEntries, maxBytes, maxEntryBytes int, size func(key string, value T) int) *Cache[T] {
	return &Cache[T]{maxEntries: maxEntries, maxBytes: maxBytes, maxEntryBytes: maxEntryBytes, size: size,
		order: list.New(), byKey: make(map[string]*list.Element)}
}

// Get returns the value kept under key and marks it recently used.
func (c *Cache[T]) Get(_ context.Context, key string) (value T, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return value, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*entry[T]).value, true
}

// Add keeps value under key, evicting the least recently used entries
// until the cache is within its bounds; a value too large is not kept.
func (c *Cache[T]) Add(_ context.Context, key string, value T) {
	n := c.size(key, value)
	if n > c.maxEntryBytes || n > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		c.remove(el)
	}
	c.byKey[key] = c.order.PushFront(&entry[T]{key: key, value: value, size: n})
	c.bytes += n
	for c.order.Len() > c.maxEntries || c.bytes > c.maxBytes {
		c.remove(c.order.Back())
	}
}

// Len is the number of entries kept, and Bytes what they hold.
func (c *Cache[T]) Len() (entries, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len(), c.bytes
}

func (c *Cache[T]) remove(el *list.Element) {
	e := c.order.Remove(el).(*entry[T])
	delete(c.byKey, e.key)
	c.bytes -= e.size
}
