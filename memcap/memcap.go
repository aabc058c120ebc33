// Package memcap bounds the memory GraphQL operations hold, so that no
// query, however crafted, and no handful of them at once, can take the
// process past a known size (docs/operations.md#memory):
//
//   - what one operation's GETs read from Circle in all
//     (MAX_UPSTREAM_BYTES_PER_OPERATION, DefaultMaxReadBytes): an
//     operation keeps what it read, decoded, until its answer is written;
//   - the answer one operation writes (MAX_RESPONSE_BYTES,
//     DefaultMaxResponseBytes), counted field by field as it is resolved,
//     so that an answer is never built past it (Extension);
//   - what all operations in progress hold together, of both, beyond the
//     first Allowance bytes of each (MAX_BYTES_IN_FLIGHT,
//     DefaultMaxBytesInFlight): ordinary operations read and write far
//     less than the allowance, so they are never refused because large
//     ones are running.
//
// An Account per operation counts both; the HTTP layer opens it when the
// request arrives and ends it once the answer is written, which gives its
// bytes back to the Pool. Crossing a cap is an *Error naming the cap, its
// setting and its size; the error presenter gives it its code.
//
// memcap never holds or reads the bytes themselves, only their counts.
package memcap

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Defaults of the caps.
const (
	// DefaultMaxReadBytes is what one operation's GETs may read from Circle
	// in all: about 800 pages of 40 KB, far beyond any query the
	// complexity limit lets through with ordinary posts.
	DefaultMaxReadBytes = 32 << 20
	// DefaultMaxResponseBytes is the largest answer one operation may
	// write: far beyond any page a client renders.
	DefaultMaxResponseBytes = 16 << 20
	// DefaultMaxBytesInFlight is what the operations in progress may hold
	// together beyond their allowance.
	DefaultMaxBytesInFlight = 64 << 20
	// Allowance is what each operation may hold without drawing on the
	// shared bytes: a feed page with 20 comment lists, read and answered,
	// is about 1 MB.
	Allowance = 2 << 20
)

// responseCopies is how many times an answer is held while it is written:
// built by the executor, then encoded for the wire.
const responseCopies = 2

// Limits are the caps in bytes; 0 turns one off.
type Limits struct {
	// MaxReadBytes caps what one operation's GETs read from Circle.
	MaxReadBytes int64
	// MaxResponseBytes caps the answer one operation writes.
	MaxResponseBytes int64
	// MaxBytesInFlight caps what all operations in progress hold beyond
	// their Allowance each.
	MaxBytesInFlight int64
}

// DefaultLimits are the caps of an unconfigured gateway.
func DefaultLimits() Limits {
	return Limits{MaxReadBytes: DefaultMaxReadBytes, MaxResponseBytes: DefaultMaxResponseBytes, MaxBytesInFlight: DefaultMaxBytesInFlight}
}

// Scope says which cap was crossed.
type Scope int

const (
	// ScopeRead is MAX_UPSTREAM_BYTES_PER_OPERATION: the operation has read
	// as much as it may; asking for fewer or smaller items helps.
	ScopeRead Scope = iota + 1
	// ScopeResponse is MAX_RESPONSE_BYTES: the answer is as large as it may
	// be; asking for fewer or smaller items helps.
	ScopeResponse
	// ScopeProcess is MAX_BYTES_IN_FLIGHT: the operations in progress hold
	// as much as the process allows; trying again shortly helps.
	ScopeProcess
)

// Error is a cap an operation ran into. What would have crossed it was
// left out: an upstream answer stops being read, a field is null.
type Error struct {
	// Scope is the cap crossed.
	Scope Scope
	// Limit is that cap, in bytes.
	Limit int64
}

// ErrOverCap matches every *Error.
var ErrOverCap = errors.New("memory cap reached")

// Is makes every Error match ErrOverCap.
func (e *Error) Is(target error) bool { return target == ErrOverCap }

// Error says which cap, its setting and its size, and what helps, in
// words meant for the API client: it never quotes data.
func (e *Error) Error() string {
	switch e.Scope {
	case ScopeRead:
		return fmt.Sprintf("this operation has read %s from Circle, the most one operation may read (MAX_UPSTREAM_BYTES_PER_OPERATION); ask for fewer or smaller items", Size(e.Limit))
	case ScopeResponse:
		return fmt.Sprintf("the answer has reached %s, the most one operation may write (MAX_RESPONSE_BYTES), so the rest was left out; ask for fewer or smaller items", Size(e.Limit))
	default:
		return fmt.Sprintf("the operations in progress hold %s, the most this gateway may hold for them (MAX_BYTES_IN_FLIGHT); try again shortly", Size(e.Limit))
	}
}

// Size writes a byte count as a setting would be read: in MiB when whole.
func Size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Pool is the process's shared bytes and the caps every operation gets.
// One per process; safe for concurrent use.
type Pool struct {
	limits Limits
	held   atomic.Int64
}

// NewPool returns a pool with the given caps (negative values count as 0,
// off).
func NewPool(l Limits) *Pool {
	l.MaxReadBytes, l.MaxResponseBytes, l.MaxBytesInFlight = max(l.MaxReadBytes, 0), max(l.MaxResponseBytes, 0), max(l.MaxBytesInFlight, 0)
	return &Pool{limits: l}
}

// Limits are the pool's caps.
func (p *Pool) Limits() Limits { return p.limits }

// Held is what the operations in progress hold beyond their allowance (a
// gauge for /metrics).
func (p *Pool) Held() int64 { return p.held.Load() }

// take draws n bytes, or reports that it cannot.
func (p *Pool) take(n int64) bool {
	for {
		held := p.held.Load()
		if p.limits.MaxBytesInFlight > 0 && held+n > p.limits.MaxBytesInFlight {
			return false
		}
		if p.held.CompareAndSwap(held, held+n) {
			return true
		}
	}
}

// Account counts what one operation holds. Its methods are safe for
// concurrent use and do nothing on a nil Account (work outside any
// operation is capped per call only).
type Account struct {
	pool *Pool

	mu       sync.Mutex
	read     int64
	written  int64
	pooled   int64 // drawn from pool: max(0, read+responseCopies*written-Allowance)
	readOver bool  // an answer crossed MaxReadBytes
	// over is the cap the answer ran into; written under mu, read
	// without it by Over, which every field of the answer asks.
	over  atomic.Pointer[Error]
	ended bool
}

type accountKey struct{}

// Start opens an operation's account and returns a context carrying it.
// Call End once the operation's answer is written.
func (p *Pool) Start(ctx context.Context) (context.Context, *Account) {
	a := &Account{pool: p}
	return context.WithValue(ctx, accountKey{}, a), a
}

// FromContext returns the account of the operation in ctx, or nil.
func FromContext(ctx context.Context) *Account {
	a, _ := ctx.Value(accountKey{}).(*Account)
	return a
}

// Usage is what an operation held.
type Usage struct {
	// Read is what its GETs read from Circle, in bytes.
	Read int64
	// Written is the size of its answer as counted field by field.
	Written int64
}

// Usage is what the operation has held so far.
func (a *Account) Usage() Usage {
	if a == nil {
		return Usage{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return Usage{Read: a.read, Written: a.written}
}

// End gives the operation's bytes back to the pool and reports what it
// held. Counts made after End (a call shared with an operation still
// running) are not capped any more.
func (a *Account) End() Usage {
	if a == nil {
		return Usage{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.ended {
		a.ended = true
		a.pool.held.Add(-a.pooled)
		a.pooled = 0
	}
	return Usage{Read: a.read, Written: a.written}
}

// ReadExhausted is the read cap's error once an answer of the operation
// has crossed it, else nil: the operation's answer is incomplete already,
// and a further call would spend Circle's budget for nothing.
func (a *Account) ReadExhausted() error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.readOver && !a.ended {
		return &Error{Scope: ScopeRead, Limit: a.pool.limits.MaxReadBytes}
	}
	return nil
}

// Read counts n more bytes read from Circle, or refuses them with the cap
// they would cross (and counts nothing).
func (a *Account) Read(n int64) error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ended {
		return nil
	}
	if limit := a.pool.limits.MaxReadBytes; limit > 0 && a.read+n > limit {
		a.readOver = true
		return &Error{Scope: ScopeRead, Limit: limit}
	}
	if err := a.draw(n); err != nil {
		return err
	}
	a.read += n
	return nil
}

// Write counts n more bytes of the answer, or refuses them with the cap
// they would cross; once the answer has crossed a cap, every later Write
// is refused with that cap, so that the rest of the answer is left out.
func (a *Account) Write(n int64) error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ended {
		return nil
	}
	if over := a.over.Load(); over != nil {
		return over
	}
	if limit := a.pool.limits.MaxResponseBytes; limit > 0 && a.written+n > limit {
		over := &Error{Scope: ScopeResponse, Limit: limit}
		a.over.Store(over)
		return over
	}
	if err := a.draw(responseCopies * n); err != nil {
		a.over.Store(err)
		return err
	}
	a.written += n
	return nil
}

// Over is the cap the answer ran into, or nil.
func (a *Account) Over() *Error {
	if a == nil {
		return nil
	}
	return a.over.Load()
}

// draw takes from the pool what holding n more bytes needs beyond the
// allowance. a.mu must be held.
func (a *Account) draw(n int64) *Error {
	need := max(0, a.read+responseCopies*a.written+n-Allowance) - a.pooled
	if need <= 0 {
		return nil
	}
	if !a.pool.take(need) {
		return &Error{Scope: ScopeProcess, Limit: a.pool.limits.MaxBytesInFlight}
	}
	a.pooled += need
	return nil
}
