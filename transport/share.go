package transport

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/circle-gateway/gateway/graph"
	"github.com/circle-gateway/gateway/live"
	"github.com/circle-gateway/gateway/loaders"
)

// Identical subscriptions share one execution. A member's app open on
// several screens or devices, or many tabs of one chat, subscribe to the
// same document with the same variables under the same token: they receive
// the same events, resolved by the same member's view of Circle, so the
// gateway resolves each event once and hands the same response to each of
// them. Only the write to each client stays per subscription. Without this,
// an event to 20 identical subscriptions was resolved (and its fields
// loaded) 20 times, and on two cores a message to 1000 subscribers took
// longer than 50 ms to reach the last one.
//
// The first subscription of a key leads: its field runs (the room check
// goes upstream once, not once per subscriber) with a context of its own
// that outlives the leader's client. Each event the stream holds is
// resolved once, by whichever member is free first, on its own goroutine
// (there is no goroutine per execution: a subscription alone costs what it
// did before sharing), into a list that every member of the group reads at
// its own pace.
// The execution stops when the group's last member goes; a member that
// falls more than maxLag events behind the newest is ended like a
// slow subscription always was (SUBSCRIPTION_LIMIT_EXCEEDED). A field that
// refuses (NOT_FOUND, BAD_USER_INPUT…) is nobody's to share: its error
// answers the leader, and the subscriptions that were waiting for it run
// their own field.

// maxLag is how many events a member of a group may fall behind the
// newest before it is ended, as the cable bridge ends a subscription that
// falls behind (docs/subscriptions.md): the socket's own buffers come after
// it, so it only fills when the client stops reading for good.
const maxLag = live.DefaultBuffer

// shareKey names the subscriptions that receive identical responses: the
// same token (Circle's answers are the member's, and the cable connection
// is the token's), the same document and operation, the same variables.
type shareKey struct {
	token, query, operation, variables string
}

// shareKeyOf is the key of the subscription in oc run with token. Variables
// are compared in canonical JSON (encoding/json sorts object keys).
func shareKeyOf(token string, oc *graphql.OperationContext) (shareKey, bool) {
	vars, err := json.Marshal(oc.Variables)
	if err != nil {
		return shareKey{}, false
	}
	return shareKey{token: token, query: oc.RawQuery, operation: oc.OperationName, variables: string(vars)}, true
}

// shares is the registry of the executions running for sharing, by key.
type shares struct {
	recover graphql.RecoverFunc

	mu     sync.Mutex
	groups map[shareKey]*shareGroup
}

func newShares() *shares {
	return &shares{groups: map[shareKey]*shareGroup{}, recover: graphql.DefaultRecover}
}

// running is how many executions are shared now (for tests and metrics).
func (s *shares) running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.groups)
}

// shareGroup is one execution and the subscriptions that read it.
type shareGroup struct {
	s   *shares
	key shareKey

	ctx    context.Context
	cancel context.CancelCauseFunc
	end    *graph.StreamEnd

	ready   chan struct{} // closed once the leader's field has run
	streams bool          // set before ready: the field attached a stream
	refusal graphql.ResponseHandler

	members int // under s.mu
	gone    bool

	h graphql.ResponseHandler // the execution's responses, one per value the stream holds

	mu        sync.Mutex
	tail      *sharedEvent  // the next event: the one members wait for
	pending   int           // values (and the close) the stream holds that nobody resolves yet
	resolving bool          // a member is resolving the tail
	wake      chan struct{} // closed, and replaced, when pending grows
	failed    error         // a panic that ended the execution
}

// sharedEvent is one response of a group's execution; nil resp ends the
// stream. filled is closed once resp and next are set.
type sharedEvent struct {
	seq    int64
	resp   *graphql.Response
	next   *sharedEvent
	done   bool // under the group's mu: filled is (being) closed
	filled chan struct{}
}

// subscribe returns the responses of the subscription in ctx (its own
// context, which ends when it does) and why they stopped when its stream
// ended on its own: it joins the execution of an identical subscription,
// or leads a new one through next.
func (s *shares) subscribe(ctx context.Context, token string, next graphql.OperationHandler) (graphql.ResponseHandler, func() error) {
	key, ok := shareKeyOf(token, graphql.GetOperationContext(ctx))
	if !ok {
		return s.alone(ctx, next)
	}
	for {
		s.mu.Lock()
		g, lead := s.groups[key], false
		if g == nil {
			g, lead = s.newGroup(ctx, key), true
			s.groups[key] = g
		}
		g.members++
		s.mu.Unlock()
		stop := context.AfterFunc(ctx, g.leave)
		if lead {
			g.start(next)
		}
		select {
		case <-g.ready:
		case <-ctx.Done():
			return graphql.OneShot(nil), func() error { return nil }
		}
		if g.streams {
			return g.reader(ctx)
		}
		if stop() {
			g.leave()
		}
		if lead {
			return g.refusal, func() error { return nil }
		}
		// The leader's field refused: this subscription runs its own,
		// whose answer may differ (a check that went upstream again).
	}
}

// alone runs a subscription that cannot be shared by itself.
func (s *shares) alone(ctx context.Context, next graphql.OperationHandler) (graphql.ResponseHandler, func() error) {
	ctx, end := graph.WithStreamEnd(ctx)
	h := next(ctx)
	loaders.Forget(ctx) // its events load afresh
	return h, end.Err
}

func (s *shares) newGroup(member context.Context, key shareKey) *shareGroup {
	// The execution keeps the leader's context values (its member, its
	// operation, its memory account) but not its end: it ends with the
	// group's last member.
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(member))
	ctx, end := graph.WithStreamEnd(ctx)
	g := &shareGroup{s: s, key: key, ctx: ctx, cancel: cancel, end: end, ready: make(chan struct{}), tail: &sharedEvent{filled: make(chan struct{})}, wake: make(chan struct{})}
	end.OnValue(g.valueReady)
	return g
}

// valueReady is called (on the cable connection's goroutine) each time the
// stream holds one more value, and once when it has closed.
func (g *shareGroup) valueReady() {
	g.mu.Lock()
	g.pending++
	w := g.wake
	g.wake = make(chan struct{})
	g.mu.Unlock()
	close(w)
}

// start runs the subscription's field; its responses are the group's
// when it streams.
func (g *shareGroup) start(next graphql.OperationHandler) {
	h := next(g.ctx)
	loaders.Forget(g.ctx) // what the field read (its room check): events load afresh
	if !g.end.Started() {
		g.refusal = h
		g.retire()
		close(g.ready)
		return
	}
	g.h = h
	g.streams = true
	close(g.ready)
}

// resolve resolves the value the stream holds (or its end, nil). It does
// not wait for an event: it is only called when valueReady said one is
// there. The response's data is copied: gqlgen's subscription executor
// reuses one buffer for every response. A panic ends the execution, for
// every member, with the error it is presented as.
func (g *shareGroup) resolve() (resp *graphql.Response) {
	defer func() {
		if p := recover(); p != nil {
			err := g.s.recover(g.ctx, p)
			g.mu.Lock()
			g.failed = err
			g.mu.Unlock()
			resp = nil
		}
	}()
	r := g.h(g.ctx)
	if r == nil {
		return nil
	}
	shared := *r
	shared.Data = append(json.RawMessage(nil), r.Data...)
	return &shared
}

// publish fills the tail with resp; nil ends the group, which new
// subscriptions then no longer join.
func (g *shareGroup) publish(resp *graphql.Response) {
	if resp == nil {
		g.retire()
	}
	g.mu.Lock()
	e := g.tail
	e.resp = resp
	e.done = true
	if resp != nil {
		e.next = &sharedEvent{seq: e.seq + 1, filled: make(chan struct{})}
		g.tail = e.next
	}
	g.resolving = false
	g.mu.Unlock()
	close(e.filled)
}

// retire takes the group out of the registry, once.
func (g *shareGroup) retire() {
	g.s.mu.Lock()
	defer g.s.mu.Unlock()
	if !g.gone {
		g.gone = true
		if g.s.groups[g.key] == g {
			delete(g.s.groups, g.key)
		}
	}
}

// leave is a member's end; the last one stops the execution.
func (g *shareGroup) leave() {
	g.s.mu.Lock()
	g.members--
	last := g.members == 0
	if last && !g.gone {
		g.gone = true
		if g.s.groups[g.key] == g {
			delete(g.s.groups, g.key)
		}
	}
	g.s.mu.Unlock()
	if last {
		g.cancel(nil)
	}
}

// endErr is why the execution ended on its own, if it did.
func (g *shareGroup) endErr() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failed != nil {
		return g.failed
	}
	return g.end.Err()
}

// reader is one member's view of the group: the responses from the one
// after it joined, until its context ends, it falls behind or the stream
// ends (the second func says why, for the last two). When the event it
// waits for is there to be resolved and nobody is at it, the member
// resolves it for everyone; the others wait for it.
func (g *shareGroup) reader(ctx context.Context) (graphql.ResponseHandler, func() error) {
	g.mu.Lock()
	at := g.tail
	g.mu.Unlock()
	var ended error
	return func(context.Context) *graphql.Response {
			if at == nil {
				return nil
			}
			for {
				g.mu.Lock()
				if behind := g.tail.seq - at.seq; behind > maxLag {
					g.mu.Unlock()
					at = nil
					ended = fmt.Errorf("%w: %d events behind the newest", live.ErrFellBehind, behind)
					return nil
				}
				resolve := !at.done && g.pending > 0 && !g.resolving
				if resolve {
					g.pending--
					g.resolving = true
				}
				wake := g.wake
				g.mu.Unlock()
				if resolve {
					g.publish(g.resolve())
				}
				select {
				case <-at.filled:
				case <-wake:
					continue
				case <-ctx.Done():
					at = nil
					return nil
				}
				resp := at.resp
				if resp == nil {
					at = nil
					ended = g.endErr()
					return nil
				}
				at = at.next
				return resp
			}
		}, func() error {
			return ended
		}
}
