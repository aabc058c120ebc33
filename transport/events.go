package transport

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/circle-gateway/gateway/auth"
	"github.com/circle-gateway/gateway/loaders"
)

// Each event of a subscription is resolved like a query of its own: with
// fresh loaders (nothing read for one event is served to the next, so an
// event never shows what Circle said minutes ago) and REQUEST_TIMEOUT
// counted from when its resolution starts, not from when the subscription
// began.

type eventScopeKey struct{}

// eventScope bounds the resolution of one event. Its clock starts at the
// event's first field, because the same context first waits, unbounded,
// for the event to arrive.
type eventScope struct {
	timeout time.Duration
	cancel  context.CancelCauseFunc

	once  sync.Once
	mu    sync.Mutex
	timer *time.Timer
	done  bool
}

func (e *eventScope) arm() {
	e.once.Do(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if !e.done && e.timeout > 0 {
			e.timer = time.AfterFunc(e.timeout, func() { e.cancel(context.DeadlineExceeded) })
		}
	})
}

func (e *eventScope) stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.done = true
	if e.timer != nil {
		e.timer.Stop()
	}
}

// perEvent gives every response of a subscription its own loaders and
// deadline; other operations pass through.
func perEvent(o Options) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		if !graphql.HasOperationContext(ctx) {
			return next(ctx)
		}
		oc := graphql.GetOperationContext(ctx)
		if oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
			return next(ctx)
		}
		member, err := auth.FromContext(ctx)
		if err != nil {
			return next(ctx)
		}
		ctx, cancel := context.WithCancelCause(ctx)
		scope := &eventScope{timeout: o.RequestTimeout, cancel: cancel}
		defer func() {
			scope.stop()
			cancel(nil)
		}()
		ctx = context.WithValue(ctx, eventScopeKey{}, scope)
		return next(loaders.NewLazyContext(ctx, func() *loaders.Loaders { return operationLoaders(ctx, o, member, oc) }))
	}
}

// armEventDeadline is the field middleware of a subscription: it starts
// an event's clock at its first field, then passes on to next.
func armEventDeadline(next graphql.FieldMiddleware) graphql.FieldMiddleware {
	return func(ctx context.Context, resolve graphql.Resolver) (any, error) {
		if s, ok := ctx.Value(eventScopeKey{}).(*eventScope); ok {
			s.arm()
		}
		return next(ctx, resolve)
	}
}

// isEventStream reports whether r asks for an SSE stream (graphql-sse).
func isEventStream(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}
