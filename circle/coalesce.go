package circle

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/circle-gateway/gateway/internal/safe"
)

// flights shares identical Member API GETs that are in flight at the same
// time for the same member token: the second operation asking for a page
// the first is already fetching waits for that answer instead of sending
// its own call. Nothing is kept once a call ends, so this is not a cache:
// a joiner gets exactly what it would have got a moment earlier. It keys by
// the whole token, so two members (or two tokens of one member, one of which
// may be revoked) never share a call, and a write by a token makes every
// GET of that token in flight before it ends unjoinable, so a member reads
// its own writes.
type flights struct {
	mu      sync.Mutex
	byToken map[string]map[string]*flight
}

// flight is one shared GET, made on its own goroutine so that every caller,
// the first included, can leave when its own context ends.
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
	waiters     int // guarded by flights.mu
	cancel      context.CancelFunc
}

func newFlights() *flights {
	return &flights{byToken: make(map[string]map[string]*flight)}
}

// do returns the answer to the GET r of token, calling fetch at most once
// for all the callers that overlap. shared reports whether this caller
// joined another one's call. fetch runs with a context that keeps the first
// caller's values and deadline but is cancelled only when every waiter has
// gone.
func (fs *flights) do(ctx context.Context, token string, r GetRequest, fetch func(context.Context) (*Response, error)) (resp *Response, shared bool, err error) {
	for {
		f, first := fs.join(ctx, token, r.Target, fetch)
		select {
		case <-f.done:
			if f.err != nil && f.shortOfTime && ctx.Err() == nil && hasMoreTime(ctx, f.deadline) {
				// The call ran out of another caller's time; this one
				// has more and asks again.
				continue
			}
			return f.resp, !first, f.err
		case <-ctx.Done():
			fs.leave(token, r.Target, f)
			return nil, !first, fmt.Errorf("circle: GET %s: %w: %s", r.Endpoint, ErrUnavailable, transportCause(ctx, ctx.Err()))
		}
	}
}

// join returns the flight for (token, target), starting one when there is
// none; first reports whether this caller started it.
func (fs *flights) join(ctx context.Context, token, target string, fetch func(context.Context) (*Response, error)) (f *flight, first bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.byToken[token][target]; ok {
		f.waiters++
		return f, false
	}
	f = &flight{done: make(chan struct{}), waiters: 1}
	callCtx := context.WithoutCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		f.deadline = deadline
		callCtx, f.cancel = context.WithDeadline(callCtx, deadline)
	} else {
		callCtx, f.cancel = context.WithCancel(callCtx)
	}
	byTarget := fs.byToken[token]
	if byTarget == nil {
		byTarget = make(map[string]*flight)
		fs.byToken[token] = byTarget
	}
	byTarget[target] = f
	go fs.run(callCtx, token, target, f, fetch)
	return f, true
}

// run makes the call of f and publishes its outcome. A panic becomes the
// call's error: nothing recovers panics on this goroutine otherwise.
func (fs *flights) run(ctx context.Context, token, target string, f *flight, fetch func(context.Context) (*Response, error)) {
	f.resp, f.err = safe.Call(func() (*Response, error) { return fetch(ctx) })
	var short shortOfTime
	f.shortOfTime = f.err != nil && (ctx.Err() != nil || errors.As(f.err, &short))
	f.cancel()
	fs.mu.Lock()
	fs.remove(token, target, f)
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
func (fs *flights) leave(token, target string, f *flight) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f.waiters--
	if f.waiters == 0 {
		f.cancel()
		fs.remove(token, target, f)
	}
}

// remove unregisters f if it is still the flight for (token, target).
// fs.mu must be held.
func (fs *flights) remove(token, target string, f *flight) {
	byTarget := fs.byToken[token]
	if byTarget[target] != f {
		return
	}
	delete(byTarget, target)
	if len(byTarget) == 0 {
		delete(fs.byToken, token)
	}
}

// forget makes every GET of token in flight now unjoinable (they still
// answer the callers already waiting). Called after a write by that token,
// and after the token is revoked.
func (fs *flights) forget(token string) {
	fs.mu.Lock()
	delete(fs.byToken, token)
	fs.mu.Unlock()
}
