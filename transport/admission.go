package transport

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/circle-gateway/gateway/admission"
)

// MAX_CONCURRENT_OPERATIONS (package admission): how a query or mutation
// waits for its turn, and how it is answered when its turn never came.

// ticket is one operation's passage through the gate. Over HTTP, run puts
// one in the request's context, so that the slot is given back once the
// answer is written and a refusal is answered 429 with Retry-After; an
// operation over a WebSocket or SSE gets its own from admit.
type ticket struct {
	// refused is set when the operation never had its turn: the innermost
	// response middleware answers it, nothing else runs.
	refused error
	// answered is set once the refusal has been answered (a WebSocket asks
	// for answers until it gets nil).
	answered bool
	// release gives the slot back (nil: none held, or given back already
	// by the operation's last answer).
	release func()
}

type ticketKey struct{}

// done gives back the slot the ticket holds, if any (a nil ticket holds
// none).
func (t *ticket) done() {
	if t != nil && t.release != nil {
		t.release()
	}
}

// admit makes each query and mutation wait for a slot of gate before it
// executes, at most half of timeout (REQUEST_TIMEOUT) and never past its
// deadline, so that an operation admitted still has time to run: one over
// HTTP holds its slot until its answer is written, one over a WebSocket or
// SSE until its last answer. The operation's context ending gives the slot
// back in any case. Subscriptions run for as long as their client stays
// and have limits of their own (Subscriptions).
func admit(gate *admission.Gate, timeout time.Duration) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if oc := graphql.GetOperationContext(ctx); oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
			return next(ctx)
		}
		t, overHTTP := ctx.Value(ticketKey{}).(*ticket)
		if !overHTTP {
			t = &ticket{}
			ctx = context.WithValue(ctx, ticketKey{}, t)
		}
		wait := ctx
		if timeout > 0 {
			var cancel context.CancelFunc
			wait, cancel = context.WithTimeout(ctx, timeout/2)
			defer cancel()
		}
		release, err := gate.Acquire(wait)
		if err != nil {
			t.refused = err
			return next(ctx) // answered by answerRefusal, before anything executes
		}
		stop := context.AfterFunc(ctx, release)
		t.release = func() { stop(); release() }
		h := next(ctx)
		if overHTTP {
			return h // run gives the slot back once the answer is written
		}
		return func(ctx context.Context) *graphql.Response {
			resp := h(ctx)
			if resp == nil || resp.HasNext == nil || !*resp.HasNext {
				t.done()
			}
			return resp
		}
	}
}

// answerRefusal is the innermost response middleware: an operation admit
// refused gets its error (RATE_LIMITED, errors.go) instead of its
// execution, through the middlewares that log, count and trace answers.
func answerRefusal(present graphql.ErrorPresenterFunc) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		t, _ := ctx.Value(ticketKey{}).(*ticket)
		if t == nil || t.refused == nil {
			return next(ctx)
		}
		if t.answered {
			return nil
		}
		t.answered = true
		return &graphql.Response{Errors: gqlerror.List{present(ctx, t.refused)}}
	}
}
