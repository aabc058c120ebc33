// Package deadline gives tests a deadline that passes when the test says
// so, not on a clock. A test of "the call timed out after Circle got it"
// with a real timeout depends on the machine: on a loaded one a 50 ms
// timeout can fire before the request is even written, and the test then
// sees another path (a call never sent, retried). With a gated deadline
// the upstream expires it once it holds the request, so the call's
// deadline passes exactly then, however slow the machine.
//
// It is for tests only; production code never imports it.
package deadline

import (
	"context"
	"sync"
	"time"
)

// gated is a context whose Done closes, with Err DeadlineExceeded, when
// expire is called (or its parent ends).
type gated struct {
	context.Context
	done chan struct{}
	mu   sync.Mutex
	err  error
}

// Gated returns a context derived from parent whose deadline passes when
// expire is called: Done closes and Err is context.DeadlineExceeded, as
// for a deadline reached. Contexts derived from it (context.WithTimeout in
// the code under test) end with it, with the same error. expire may be
// called more than once, from any goroutine.
func Gated(parent context.Context) (ctx context.Context, expire func()) {
	g := &gated{Context: parent, done: make(chan struct{})}
	var once sync.Once
	end := func(err error) {
		once.Do(func() {
			g.mu.Lock()
			g.err = err
			g.mu.Unlock()
			close(g.done)
		})
	}
	stop := context.AfterFunc(parent, func() { end(parent.Err()) })
	return g, func() { stop(); end(context.DeadlineExceeded) }
}

// Done closes when the deadline passes.
func (g *gated) Done() <-chan struct{} { return g.done }

// Err is context.DeadlineExceeded once expire was called (or the parent's
// error, when the parent ended first), nil before.
func (g *gated) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// Deadline is the parent's: the gated deadline has no time of its own.
func (g *gated) Deadline() (time.Time, bool) { return g.Context.Deadline() }

// Value defers to the parent, so that context.Cause of a derived context
// is the parent's error rather than a cause of the parent's own.
func (g *gated) Value(key any) any { return g.Context.Value(key) }
