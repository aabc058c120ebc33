package circle

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/circle-gateway/gateway/internal/safe"
	"github.com/circle-gateway/gateway/memcap"
)

// flights shares identical Member API GETs that are in flight at the same
// time for the same member token: the second operation asking for a page
// the first is already fetching waits for that answer instead of sending
// its own call. Nothing is kept once a call ends, so this is not a cache:
// a joiner gets exactly what it would have got a moment earlier. It keys by
// the whole token, so two members (or two tokens of one member, one of which
// may be revoked) never share a call. Flights are grouped by member, so a
// write through any of a member's tokens makes every GET that member has
// in flight unjoinable, and the member reads its own writes.
type flights struct {
	mu       sync.Mutex
	byMember map[string]map[flightKey]*flight
}

// caller is whose GET a flight makes: the member it is grouped under and
// the token it is sent with.
type caller struct{ member, token string }

type flightKey struct{ token, target string }

// flight is one shared GET. The first caller makes it on its own goroutine
// (rather than on a goroutine per call, with its start, its stack grown for
// the HTTP round trip and the hand-off back; BENCHMARKS.md); the
// others wait and can leave when their context ends. The first one's
// context ending counts as its leaving, so the last to leave still cancels
// the call, but it returns only when the call does.
type flight struct {
	done     chan struct{}
	resp     *Response
	err      error
	deadline time.Time // the first caller's; zero when it had none
	// shortOfTime is set when the call failed for want of time: its
	// context ended, or it gave up on a wait (Retry-After, backoff, the
	// rate limiter) that did not fit the first caller's deadline. A waiter
	// with a later deadline then calls again rather than inherit that.
	shortOfTime bool
	// callerBound is set when the call failed on a memory cap of the
	// first caller's operation (package memcap: the answer is charged to
	// the operation that makes the call): another operation has caps of
	// its own, so a waiter calls again under them rather than inherit it.
	callerBound bool
	waiters     int // guarded by flights.mu
	cancel      context.CancelFunc
}

func newFlights() *flights {
	return &flights{byMember: make(map[string]map[flightKey]*flight)}
}

// do returns the answer to the GET r of who, calling fetch at most once
// for all the callers that overlap. shared reports whether this caller
// joined another one's call. fetch runs with a context that keeps the first
// caller's values and deadline but is cancelled only when every waiter has
// gone.
func (fs *flights) do(ctx context.Context, who caller, r GetRequest, fetch func(context.Context) (*Response, error)) (resp *Response, shared bool, err error) {
	for {
		f, first, callCtx := fs.join(ctx, who, r.Target)
		if first {
			// The first caller makes the call on its own goroutine; its
			// context ending counts as its leaving (the last to leave
			// cancels the call), but it returns only once the call does.
			stop := context.AfterFunc(ctx, func() { fs.leave(who, r.Target, f) })
			fs.run(callCtx, who, flightKey{who.token, r.Target}, f, fetch)
			stop()
			if err := ctx.Err(); err != nil {
				return nil, false, fmt.Errorf("circle: GET %s: %w: %s", r.Endpoint, ErrUnavailable, transportCause(ctx, err))
			}
			return f.resp, false, f.err
		}
		select {
		case <-f.done:
			if ctx.Err() == nil && (f.callerBound || f.shortOfTime && hasMoreTime(ctx, f.deadline)) {
				// The call ran out of another caller's time or memory;
				// this one has its own and asks again.
				continue
			}
			return f.resp, !first, f.err
		case <-ctx.Done():
			fs.leave(who, r.Target, f)
			return nil, !first, fmt.Errorf("circle: GET %s: %w: %s", r.Endpoint, ErrUnavailable, transportCause(ctx, ctx.Err()))
		}
	}
}

// join returns the flight for who's GET of target, registering one when
// there is none; first reports whether this caller registered it, and
// then callCtx is the context the caller makes the call with.
func (fs *flights) join(ctx context.Context, who caller, target string) (f *flight, first bool, callCtx context.Context) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	key := flightKey{who.token, target}
	if f, ok := fs.byMember[who.member][key]; ok {
		f.waiters++
		return f, false, nil
	}
	f = &flight{done: make(chan struct{}), waiters: 1}
	callCtx = context.WithoutCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		f.deadline = deadline
		callCtx, f.cancel = context.WithDeadline(callCtx, deadline)
	} else {
		callCtx, f.cancel = context.WithCancel(callCtx)
	}
	mine := fs.byMember[who.member]
	if mine == nil {
		mine = make(map[flightKey]*flight)
		fs.byMember[who.member] = mine
	}
	mine[key] = f
	return f, true, callCtx
}

// run makes the call of f and publishes its outcome. A panic becomes the
// call's error, so that the flight is published and no waiter is stuck.
func (fs *flights) run(ctx context.Context, who caller, key flightKey, f *flight, fetch func(context.Context) (*Response, error)) {
	f.resp, f.err = safe.Call(func() (*Response, error) { return fetch(ctx) })
	var short shortOfTime
	f.shortOfTime = f.err != nil && (ctx.Err() != nil || errors.As(f.err, &short))
	f.callerBound = errors.Is(f.err, memcap.ErrOverCap)
	f.cancel()
	fs.mu.Lock()
	fs.remove(who.member, key, f)
	fs.mu.Unlock()
	close(f.done)
}

// hasMoreTime reports whether ctx's deadline is later than deadline (a
// zero deadline meaning none).
func hasMoreTime(ctx context.Context, deadline time.Time) bool {
	mine, ok := ctx.Deadline()
	if deadline.IsZero() {
		return false
	}
	return !ok || mine.After(deadline)
}

// leave drops one waiter of f; the last one to leave cancels the call and
// stops anyone else from joining it.
func (fs *flights) leave(who caller, target string, f *flight) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f.waiters--
	if f.waiters == 0 {
		f.cancel()
		fs.remove(who.member, flightKey{who.token, target}, f)
	}
}

// remove unregisters f if it is still the flight for key. fs.mu must be
// held.
func (fs *flights) remove(member string, key flightKey, f *flight) {
	mine := fs.byMember[member]
	if mine[key] != f {
		return
	}
	delete(mine, key)
	if len(mine) == 0 {
		delete(fs.byMember, member)
	}
}

// forgetMember makes every GET the member has in flight now unjoinable,
// whatever token it went with (the calls still answer the callers already
// waiting). Called after each write by the member.
func (fs *flights) forgetMember(member string) {
	fs.mu.Lock()
	delete(fs.byMember, member)
	fs.mu.Unlock()
}

// forgetToken makes every GET sent with token now unjoinable. Called when
// the token is revoked; it walks every flight, which is fine for a rare
// call over a map of calls in flight.
func (fs *flights) forgetToken(token string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for member, mine := range fs.byMember {
		for key := range mine {
			if key.token == token {
				delete(mine, key)
			}
		}
		if len(mine) == 0 {
			delete(fs.byMember, member)
		}
	}
}

// waiting is how many callers wait on the flights right now, the first
// caller of each included.
func (fs *flights) waiting() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := 0
	for _, mine := range fs.byMember {
		for _, f := range mine {
			n += f.waiters
		}
	}
	return n
}

// SharedWaiters is how many callers wait right now on GETs in flight that
// callers share (UPSTREAM_COALESCING), the caller that sent each
// included; 0 with coalescing off. It is the gauge
// gateway_upstream_shared_waiters: above the number of GETs in flight, it
// shows calls saved. Tests read it to know that operations have joined
// one call before they let Circle answer, rather than hoping they overlap
// in time.
func (c *Client) SharedWaiters() int {
	if c.flights == nil {
		return 0
	}
	return c.flights.waiting()
}
