// Package respcache holds the gateway's response caches
// (RESPONSE_CACHE_TTL): Member API GET answers kept for a short time per
// member token, in this process's memory (Memory, bounded in bytes) or in
// Redis (Redis, shared by every replica using it). See circle.ResponseCache
// for what keeps a cache safe: entries are keyed by the token's hash, every
// member has a generation that a write moves on before its answer is
// returned, and an answer whose GET began before a write is not stored.
//
// A cache must never serve one member's answer to another, and never hide
// a member's own write: the tests prove both with concurrent members on a
// shared Redis. Its own failures are misses.
package respcache

import (
	"container/list"
	"context"
	"strings"
	"sync"
	"time"

	"github.com/circle-gateway/gateway/circle"
)

// DefaultMaxEntryBytes is the largest answer kept: a feed page of 100
// posts with bodies stays under it; anything larger is fetched each time
// rather than crowding out many small answers.
const DefaultMaxEntryBytes = 1 << 20

// Memory is a response cache in this process: an LRU bounded in bytes
// (bodies and keys), whose entries live TTL. Safe for concurrent use.
type Memory struct {
	ttl      time.Duration
	maxBytes int
	now      func() time.Time

	mu       sync.Mutex
	lru      *list.List // of *memEntry, most recent first
	byMember map[string]map[circle.CacheKey]*list.Element
	bytes    int
	// tick hands out tickets; it only grows.
	tick uint64
	// forgotten is the tick of each member's last Forget, kept
	// ForgetRetention so that a GET begun before it cannot store its
	// answer after it.
	forgotten map[string]forgetMark
	pruneAt   int // prune forgotten when it grows past this
}

type memEntry struct {
	key     circle.CacheKey
	body    []byte
	expires time.Time
}

type forgetMark struct {
	tick uint64
	at   time.Time
}

// ForgetRetention is how long a member's last write is remembered for
// refusing answers whose GET began before it: longer than any operation
// may last (REQUEST_TIMEOUT is 30 s by default), after which no such GET
// can still be in progress.
const ForgetRetention = 10 * time.Minute

// NewMemory returns a Memory keeping answers ttl, at most maxBytes in all.
// now is its clock (nil: time.Now).
func NewMemory(ttl time.Duration, maxBytes int, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{ttl: ttl, maxBytes: maxBytes, now: now, lru: list.New(),
		byMember: map[string]map[circle.CacheKey]*list.Element{}, forgotten: map[string]forgetMark{}}
}

func entrySize(k circle.CacheKey, body []byte) int {
	return len(body) + len(k.Member) + len(k.Token) + len(k.Target) + 64
}

// Get implements circle.ResponseCache.
func (m *Memory) Get(_ context.Context, k circle.CacheKey) ([]byte, uint64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tick++
	el, ok := m.byMember[k.Member][k]
	if !ok {
		return nil, m.tick, false
	}
	e := el.Value.(*memEntry)
	if !m.now().Before(e.expires) {
		m.removeLocked(el)
		return nil, m.tick, false
	}
	m.lru.MoveToFront(el)
	return e.body, m.tick, true
}

// Put implements circle.ResponseCache.
func (m *Memory) Put(_ context.Context, k circle.CacheKey, ticket uint64, body []byte) {
	size := entrySize(k, body)
	if len(body) > DefaultMaxEntryBytes || size > m.maxBytes {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if f, ok := m.forgotten[k.Member]; ok && f.tick >= ticket {
		return // a write happened since this answer's GET began
	}
	if el, ok := m.byMember[k.Member][k]; ok {
		m.removeLocked(el)
	}
	if m.byMember[k.Member] == nil {
		m.byMember[k.Member] = map[circle.CacheKey]*list.Element{}
	}
	m.byMember[k.Member][k] = m.lru.PushFront(&memEntry{key: k, body: body, expires: m.now().Add(m.ttl)})
	m.bytes += size
	for m.bytes > m.maxBytes {
		m.removeLocked(m.lru.Back())
	}
}

// Forget implements circle.ResponseCache: it never fails in memory.
func (m *Memory) Forget(_ context.Context, member string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, el := range m.byMember[member] {
		m.removeLocked(el)
	}
	m.tick++
	now := m.now()
	m.forgotten[member] = forgetMark{tick: m.tick, at: now}
	if len(m.forgotten) > max(m.pruneAt, 1024) {
		for k, f := range m.forgotten {
			if now.Sub(f.at) > ForgetRetention {
				delete(m.forgotten, k)
			}
		}
		m.pruneAt = 2 * len(m.forgotten) // amortised: each write pays O(1)
	}
	return nil
}

// Len is the number of entries kept and the bytes they hold.
func (m *Memory) Len() (entries, bytes int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lru.Len(), m.bytes
}

func (m *Memory) removeLocked(el *list.Element) {
	e := m.lru.Remove(el).(*memEntry)
	if entries := m.byMember[e.key.Member]; entries != nil {
		delete(entries, e.key)
		if len(entries) == 0 {
			delete(m.byMember, e.key.Member)
		}
	}
	m.bytes -= entrySize(e.key, e.body)
}

// keyPart keeps key material to characters Redis keys and logs take
// without surprise (members are "m:<id>" or "t:<hash>", tokens hashes).
func keyPart(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '{' || r == '}' || r == ' ' || r < 0x20 {
			return '_'
		}
		return r
	}, s)
}
