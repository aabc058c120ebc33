// Package admission bounds how many GraphQL operations one gateway process
// executes at once (MAX_CONCURRENT_OPERATIONS, docs/operations.md#memory-and-cpu).
//
// An operation in progress holds its goroutines, its decoded Circle
// answers and its answer tree until it is written: hundreds of kilobytes
// for a feed with comments. When the machine's CPU is the bottleneck,
// executing more operations at once does not answer more of them per
// second, it only holds more of them in memory and makes each slower; an
// operation waiting here holds only its parsed request. Operations wait in
// arrival order, each as long as its context allows (the transport gives
// it half of REQUEST_TIMEOUT).
//
// The bound is off by default: when Circle's latency, not the CPU, is what
// an operation waits for, a low bound caps throughput at bound ÷ latency,
// and a slow operation holds its slot for as long as it runs.
package admission

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrBusy is the error of an operation whose deadline came, or whose client
// left, while it waited for a slot: nothing of it was executed.
var ErrBusy = errors.New("the gateway is executing as many operations as it may (MAX_CONCURRENT_OPERATIONS)")

// Gate admits at most its limit of operations at once; the others wait in
// arrival order. A nil *Gate admits everything at once.
type Gate struct {
	limit int

	mu      sync.Mutex
	running int
	waiting list.List // of chan struct{}, closed when its operation is admitted
	queued  uint64    // operations that have had to wait, ever
}

// New returns a gate for limit operations at once; limit ≤ 0 returns nil,
// which admits everything.
func New(limit int) *Gate {
	if limit <= 0 {
		return nil
	}
	return &Gate{limit: limit}
}

// Acquire waits for a slot, in arrival order, until ctx ends. It returns
// the function that gives the slot back (calling it again does nothing),
// or an error wrapping ErrBusy and ctx's error when ctx ended first.
func (g *Gate) Acquire(ctx context.Context) (release func(), err error) {
	if g == nil {
		return func() {}, nil
	}
	g.mu.Lock()
	if g.running < g.limit && g.waiting.Len() == 0 {
		g.running++
		g.mu.Unlock()
		return g.releaseOnce(), nil
	}
	if err := ctx.Err(); err != nil {
		g.mu.Unlock()
		return nil, fmt.Errorf("%w: %w", ErrBusy, err)
	}
	admitted := make(chan struct{})
	e := g.waiting.PushBack(admitted)
	g.queued++
	g.mu.Unlock()

	select {
	case <-admitted:
		return g.releaseOnce(), nil
	case <-ctx.Done():
		g.mu.Lock()
		select {
		case <-admitted:
			// Admitted while ctx ended: the slot is passed on.
			g.mu.Unlock()
			g.release()
		default:
			g.waiting.Remove(e)
			g.mu.Unlock()
		}
		return nil, fmt.Errorf("%w: %w", ErrBusy, context.Cause(ctx))
	}
}

// releaseOnce returns a release that gives the slot back only the first
// time it is called, so that a double call cannot admit one too many.
func (g *Gate) releaseOnce() func() {
	var once sync.Once
	return func() { once.Do(g.release) }
}

// release hands the slot to the operation that has waited longest, or
// frees it.
func (g *Gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if front := g.waiting.Front(); front != nil {
		g.waiting.Remove(front)
		close(front.Value.(chan struct{})) // the slot passes on: running stays
		return
	}
	g.running--
}

// Stats is what a gate holds now, for /metrics.
type Stats struct {
	// Limit is MAX_CONCURRENT_OPERATIONS (0: no bound).
	Limit int
	// Running and Waiting are the operations executing and waiting now.
	Running, Waiting int
	// Queued counts every operation that has had to wait, since start.
	Queued uint64
}

// Stats reports the gate's state; a nil gate reports zeros.
func (g *Gate) Stats() Stats {
	if g == nil {
		return Stats{}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return Stats{Limit: g.limit, Running: g.running, Waiting: g.waiting.Len(), Queued: g.queued}
}
