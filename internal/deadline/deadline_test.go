package deadline

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestGatedPassesOnExpire(t *testing.T) {
	t.Parallel()
	ctx, expire := Gated(context.Background())
	child, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	if ctx.Err() != nil || child.Err() != nil {
		t.Fatal("ended before expire")
	}
	expire()
	<-child.Done()
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) || !errors.Is(child.Err(), context.DeadlineExceeded) {
		t.Fatalf("errs %v, %v, want DeadlineExceeded", ctx.Err(), child.Err())
	}
	if c := context.Cause(child); !errors.Is(c, context.DeadlineExceeded) {
		t.Fatalf("cause %v", c)
	}
	expire() // a second call is harmless
}

func TestGatedEndsWithParent(t *testing.T) {
	t.Parallel()
	parent, cancel := context.WithCancel(context.Background())
	ctx, expire := Gated(parent)
	cancel()
	<-ctx.Done()
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("err %v, want the parent's", ctx.Err())
	}
	expire()
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("err %v after expire, want the parent's still", ctx.Err())
	}
}
