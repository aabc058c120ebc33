package loaders_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/circle-gateway/gateway/loaders"
)

// Lazy loaders are built on the first For, once, whoever asks; an event
// that loads nothing never builds them.
func TestLazyContext(t *testing.T) {
	t.Parallel()
	var builds atomic.Int32
	want := &loaders.Loaders{}
	build := func() *loaders.Loaders { builds.Add(1); return want }

	_ = loaders.NewLazyContext(context.Background(), build)
	if n := builds.Load(); n != 0 {
		t.Fatalf("built %d times before anyone asked", n)
	}
	ctx := loaders.NewLazyContext(context.Background(), build)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			l, err := loaders.For(ctx)
			if err != nil || l != want {
				t.Errorf("For: %p %v, want %p", l, err, want)
			}
		})
	}
	wg.Wait()
	if n := builds.Load(); n != 1 {
		t.Fatalf("built %d times, want once", n)
	}
}
