package admission

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// waitFor blocks until the gate shows n operations waiting: a state the
// test reaches, not a time it sleeps.
func waitFor(t *testing.T, g *Gate, n int) {
	t.Helper()
	for g.Stats().Waiting != n {
		if t.Context().Err() != nil {
			t.Fatalf("never saw %d waiting", n)
		}
		runtime.Gosched() // to the goroutines being queued
	}
}

func TestNilGateAdmitsEverything(t *testing.T) {
	t.Parallel()
	var g *Gate = New(0)
	if g != nil {
		t.Fatal("New(0) should be nil: no bound")
	}
	for range 3 {
		release, err := g.Acquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		release()
	}
	if s := g.Stats(); s != (Stats{}) {
		t.Fatalf("nil gate stats %+v", s)
	}
}

func TestGateAdmitsInArrivalOrder(t *testing.T) {
	t.Parallel()
	g := New(2)
	r1, _ := g.Acquire(t.Context())
	r2, _ := g.Acquire(t.Context())
	if s := g.Stats(); s.Running != 2 || s.Waiting != 0 {
		t.Fatalf("after two: %+v", s)
	}

	// Three more arrive one after the other; each is seen waiting before
	// the next arrives, so their arrival order is known.
	order := make(chan int, 3)
	releases := make(chan func(), 3)
	for i := range 3 {
		go func() {
			release, err := g.Acquire(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			order <- i
			releases <- release
		}()
		waitFor(t, g, i+1)
	}
	if s := g.Stats(); s.Running != 2 || s.Waiting != 3 || s.Queued != 3 {
		t.Fatalf("with three waiting: %+v", s)
	}

	r1()
	if got := <-order; got != 0 {
		t.Fatalf("first admitted: waiter %d, want 0", got)
	}
	r1() // a second call of one release gives nothing back
	if s := g.Stats(); s.Running != 2 || s.Waiting != 2 {
		t.Fatalf("after one release (called twice): %+v", s)
	}
	r2()
	if got := <-order; got != 1 {
		t.Fatalf("second admitted: waiter %d, want 1", got)
	}
	(<-releases)()
	if got := <-order; got != 2 {
		t.Fatalf("third admitted: waiter %d, want 2", got)
	}
	(<-releases)()
	(<-releases)()
	if s := g.Stats(); s.Running != 0 || s.Waiting != 0 || s.Queued != 3 {
		t.Fatalf("at the end: %+v", s)
	}
}

func TestWaiterWhoseContextEndsLeavesTheQueue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		end   func(cancel context.CancelCauseFunc)
		cause error
	}{
		{"client left", func(cancel context.CancelCauseFunc) { cancel(nil) }, context.Canceled},
		{"deadline", func(cancel context.CancelCauseFunc) { cancel(context.DeadlineExceeded) }, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := New(1)
			hold, _ := g.Acquire(t.Context())
			ctx, cancel := context.WithCancelCause(t.Context())
			errc := make(chan error, 1)
			go func() {
				_, err := g.Acquire(ctx)
				errc <- err
			}()
			waitFor(t, g, 1)
			tt.end(cancel)
			err := <-errc
			if !errors.Is(err, ErrBusy) || !errors.Is(err, tt.cause) {
				t.Fatalf("err = %v, want ErrBusy and %v", err, tt.cause)
			}
			if s := g.Stats(); s.Running != 1 || s.Waiting != 0 {
				t.Fatalf("after the waiter left: %+v", s)
			}
			hold()
			// The slot the waiter did not take is free.
			release, err := g.Acquire(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			release()
			if s := g.Stats(); s.Running != 0 {
				t.Fatalf("at the end: %+v", s)
			}
		})
	}
}

func TestAnEndedContextDoesNotWaitForAFullGate(t *testing.T) {
	t.Parallel()
	g := New(1)
	hold, _ := g.Acquire(t.Context())
	defer hold()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := g.Acquire(ctx); !errors.Is(err, ErrBusy) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if s := g.Stats(); s.Waiting != 0 || s.Queued != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// TestGateNeverAdmitsMoreThanItsLimit runs many operations, some of which
// leave while waiting, and counts those inside at once.
func TestGateNeverAdmitsMoreThanItsLimit(t *testing.T) {
	t.Parallel()
	const limit, ops = 3, 400
	g := New(limit)
	var inside, most atomic.Int64
	var wg sync.WaitGroup
	for i := range ops {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if i%5 == 0 {
				cancel() // leaves at once or while waiting
			}
			release, err := g.Acquire(ctx)
			if err != nil {
				if !errors.Is(err, ErrBusy) {
					t.Error(err)
				}
				return
			}
			n := inside.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			inside.Add(-1)
			release()
		})
	}
	wg.Wait()
	if m := most.Load(); m > limit {
		t.Fatalf("%d operations inside at once, limit %d", m, limit)
	}
	if s := g.Stats(); s.Running != 0 || s.Waiting != 0 {
		t.Fatalf("at the end: %+v", s)
	}
}
