package circle

import (
	"math/bits"
	"sync"
)

// Reading an answer takes a buffer as large as the answer (a feed page is
// about 40 KB), used only until the answer is decoded: goccy/go-json
// decodes from a copy of its own (decode.go). Allocating a fresh one per
// call was 15 % of the bytes a feed operation allocated, each zeroed and
// later collected; buffers hands them on from one call to the next
// instead (BENCHMARKS.md, issue 12). A buffer in the pool belongs to no
// operation's memory account (package memcap): like the garbage it
// replaces, it is let go within two garbage collections when no call takes
// it (sync.Pool).

// Pooled buffers come in capacities that are powers of two, from
// minPooledBuffer to maxPooledBuffer; a larger answer gets a buffer of its
// own, which is not kept.
const (
	minPooledBuffer = 4 << 10
	maxPooledBuffer = 1 << 20
)

// buffers is one Client's pool of read buffers, by capacity. Safe for
// concurrent use.
type buffers struct {
	byClass []sync.Pool // of *[]byte; class i holds capacity minPooledBuffer << i
}

// newBuffers returns an empty pool; each Client has its own.
func newBuffers() *buffers { return &buffers{byClass: make([]sync.Pool, class(maxPooledBuffer)+1)} }

// class is the index of the smallest pooled capacity of at least n, or -1
// when n is above maxPooledBuffer.
func class(n int) int {
	if n > maxPooledBuffer {
		return -1
	}
	if n <= minPooledBuffer {
		return 0
	}
	return bits.Len(uint(n-1)) - bits.Len(minPooledBuffer-1)
}

// get returns an empty buffer with a capacity of at least n. Its
// capacity may be larger: a reader must not charge or expect more than n.
func (b *buffers) get(n int) []byte {
	c := class(n)
	if b == nil || c < 0 {
		return make([]byte, 0, n)
	}
	if p, ok := b.byClass[c].Get().(*[]byte); ok {
		return (*p)[:0]
	}
	return make([]byte, 0, minPooledBuffer<<c)
}

// put hands buf on to a later get. The caller must hold the only reference
// to buf's bytes: nothing may read them afterwards. A buffer whose
// capacity is not a pooled one is left to the collector.
func (b *buffers) put(buf []byte) {
	n := cap(buf)
	c := class(n)
	if b == nil || c < 0 || minPooledBuffer<<c != n {
		return
	}
	buf = buf[:0]
	b.byClass[c].Put(&buf)
}
