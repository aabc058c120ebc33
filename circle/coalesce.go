package circle

import (
	"context"
	"sync"
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

// flight is one shared GET.
type flight struct {
	done chan struct{}
	resp *Response
	err  error
	// cutShort is set when the call ended because its own context did
	// (every waiter left, or the first caller's deadline passed); a waiter
	// whose context is still live then calls again rather than inherit that.
	cutShort bool
	waiters  int // guarded by flights.mu
	cancel   context.CancelFunc
}

func newFlights() *flights {
	return &flights{byToken: make(map[string]map[string]*flight)}
}

// do returns the answer to the GET identified by (token, target), calling
// fetch at most once for all the callers that overlap. shared reports
// whether this caller joined another one's call. fetch runs on the first
// caller's goroutine with a context that keeps that caller's values and
// deadline but is cancelled only when every waiter has gone.
func (fs *flights) do(ctx context.Context, token, target string, fetch func(context.Context) (*Response, error)) (resp *Response, shared bool, err error) {
	fs.mu.Lock()
	if f, ok := fs.byToken[token][target]; ok {
		f.waiters++
		fs.mu.Unlock()
		select {
		case <-f.done:
			if f.cutShort && ctx.Err() == nil {
				// The first caller gave up or ran out of time; this one
				// still has time, so it asks Circle itself.
				return fs.do(ctx, token, target, fetch)
			}
			return f.resp, true, f.err
		case <-ctx.Done():
			fs.leave(token, target, f)
			return nil, true, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{}), waiters: 1}
	callCtx := context.WithoutCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
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
	fs.mu.Unlock()

	// The first caller leaving does not stop the call while others wait.
	stop := context.AfterFunc(ctx, func() { fs.leave(token, target, f) })
	f.resp, f.err = fetch(callCtx)
	stop()
	f.cutShort = callCtx.Err() != nil
	f.cancel()
	fs.mu.Lock()
	fs.remove(token, target, f)
	fs.mu.Unlock()
	close(f.done)
	return f.resp, false, f.err
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
