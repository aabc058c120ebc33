package transport

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/circle-gateway/gateway/live"
)

// The list a shared execution publishes into, read by its members: each
// from the event being resolved when it joined, in order; a member too far
// behind is ended as such while the others read on; the end of the stream
// ends every member with its reason; the last member to leave stops the
// execution. (End to end, with the gateway and the sandbox:
// e2e/share_test.go.)
func TestSharedExecutionReaders(t *testing.T) {
	event := func(i int) *graphql.Response { return &graphql.Response{Data: []byte(fmt.Sprintf(`{"n":%d}`, i))} }
	read := func(h graphql.ResponseHandler) string {
		if r := h(context.Background()); r != nil {
			return string(r.Data)
		}
		return "end"
	}
	newGroup := func(t *testing.T) (*shares, *shareGroup) {
		s := newShares()
		g := s.newGroup(context.Background(), shareKey{token: "t"})
		s.groups[g.key] = g
		g.streams = true
		close(g.ready)
		return s, g
	}

	t.Run("in order, from where each joined", func(t *testing.T) {
		_, g := newGroup(t)
		first, _ := g.reader(context.Background())
		g.publish(event(1))
		g.publish(event(2))
		late, _ := g.reader(context.Background())
		g.publish(event(3))
		for i, want := range []string{`{"n":1}`, `{"n":2}`, `{"n":3}`} {
			if got := read(first); got != want {
				t.Fatalf("first reader's event %d: %s, want %s", i, got, want)
			}
		}
		if got := read(late); got != `{"n":3}` {
			t.Fatalf("late reader's first event: %s, want the one after it joined", got)
		}
	})

	t.Run("a member too far behind ends, the others read on", func(t *testing.T) {
		_, g := newGroup(t)
		slow, slowEnded := g.reader(context.Background())
		fast, fastEnded := g.reader(context.Background())
		for i := range maxLag + 1 {
			g.publish(event(i))
			if got := read(fast); got != fmt.Sprintf(`{"n":%d}`, i) {
				t.Fatalf("fast reader's event %d: %s", i, got)
			}
		}
		if got := read(slow); got != "end" || !errors.Is(slowEnded(), live.ErrFellBehind) {
			t.Fatalf("slow reader %d events behind: %s, %v; want the end, fell behind", maxLag+1, got, slowEnded())
		}
		if got := read(slow); got != "end" {
			t.Fatalf("after its end the slow reader read %s", got)
		}
		g.publish(event(99))
		if got := read(fast); got != `{"n":99}` || fastEnded() != nil {
			t.Fatalf("fast reader after the slow one ended: %s, %v", got, fastEnded())
		}
	})

	t.Run("a reader whose context ends stops, without waiting in the execution", func(t *testing.T) {
		_, g := newGroup(t)
		g.h = func(context.Context) *graphql.Response {
			t.Error("the execution was asked for an event the stream did not hold")
			return nil
		}
		ctx, cancel := context.WithCancel(context.Background())
		h, ended := g.reader(ctx)
		cancel()
		if got := read(h); got != "end" || ended() != nil {
			t.Fatalf("after its context ended: %s, %v", got, ended())
		}
	})

	t.Run("a panic ends every member with its error and retires the group", func(t *testing.T) {
		s, g := newGroup(t)
		boom := errors.New("internal")
		s.recover = func(context.Context, any) error { return boom }
		a, aEnded := g.reader(context.Background())
		b, bEnded := g.reader(context.Background())
		calls := 0
		g.h = func(context.Context) *graphql.Response {
			calls++
			if calls == 2 {
				panic("resolver bug")
			}
			return event(calls)
		}
		g.valueReady()
		g.valueReady()
		for name, r := range map[string]struct {
			h     graphql.ResponseHandler
			ended func() error
		}{"a": {a, aEnded}, "b": {b, bEnded}} {
			if got := read(r.h); got != `{"n":1}` {
				t.Fatalf("%s's first event: %s", name, got)
			}
			if got := read(r.h); got != "end" || !errors.Is(r.ended(), boom) {
				t.Fatalf("%s after the panic: %s, %v", name, got, r.ended())
			}
		}
		if n := s.running(); n != 0 {
			t.Fatalf("%d groups registered after the stream ended, want 0 (a new subscriber starts afresh)", n)
		}
	})

	t.Run("the data is the group's own copy", func(t *testing.T) {
		_, g := newGroup(t)
		h, _ := g.reader(context.Background())
		buf := []byte(`{"n":1}`)
		calls := 0
		g.h = func(context.Context) *graphql.Response {
			calls++
			if calls > 1 {
				return nil
			}
			return &graphql.Response{Data: buf}
		}
		g.valueReady() // the event
		g.valueReady() // the stream's close
		r := h(context.Background())
		copy(buf, `{"n":7}`) // what gqlgen's executor does with its buffer for the next event
		if r == nil || string(r.Data) != `{"n":1}` {
			t.Fatalf("read %v", r)
		}
		if got := read(h); got != "end" {
			t.Fatalf("then %s, want the end", got)
		}
	})

	t.Run("each event resolved once, by one of the members waiting", func(t *testing.T) {
		_, g := newGroup(t)
		var calls atomic.Int32
		g.h = func(context.Context) *graphql.Response {
			calls.Add(1)
			return event(7)
		}
		const members = 8
		readers := make([]graphql.ResponseHandler, members)
		for i := range readers {
			readers[i], _ = g.reader(context.Background())
		}
		got := make([]*graphql.Response, members)
		var wg sync.WaitGroup
		for i, h := range readers {
			wg.Go(func() { got[i] = h(context.Background()) })
		}
		g.valueReady()
		wg.Wait()
		if n := calls.Load(); n != 1 {
			t.Fatalf("the event was resolved %d times for %d members, want once", n, members)
		}
		for i, r := range got {
			if r != got[0] || r == nil || string(r.Data) != `{"n":7}` {
				t.Fatalf("member %d got %v, want the one response every member gets", i, r)
			}
		}
	})

	t.Run("the last member to leave stops the execution", func(t *testing.T) {
		s, g := newGroup(t)
		g.members = 2
		g.leave()
		if g.ctx.Err() != nil || s.running() != 1 {
			t.Fatal("the execution stopped with a member left")
		}
		g.leave()
		if g.ctx.Err() == nil || s.running() != 0 {
			t.Fatal("the execution runs on with no member")
		}
	})
}
