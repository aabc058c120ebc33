package transport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/circle-gateway/gateway/admission"
	"github.com/circle-gateway/gateway/apq"
	"github.com/circle-gateway/gateway/auth"
	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph"
	"github.com/circle-gateway/gateway/idtoken"
	"github.com/circle-gateway/gateway/limits"
	"github.com/circle-gateway/gateway/live"
	"github.com/circle-gateway/gateway/memcap"
	"github.com/circle-gateway/gateway/observe"
	"github.com/circle-gateway/gateway/persisted"
	"github.com/circle-gateway/gateway/relay"
)

// This file is the one place errors get their GraphQL code. Every layer
// returns typed errors (sentinels and error types, matched with errors.Is
// and errors.As, never by their text); classify is the table from those
// types to codes, and everything a client can see goes through it: the
// error presenter for errors of an operation, the refusals of the handler
// extensions before gqlgen picks the HTTP status from them, and the
// refusals of the HTTP surface itself. docs/api.md lists the codes with
// when each is given; e2e/codes_test.go produces every one of them.

// Error codes, set in extensions.code (docs/contract.md §5), and the
// gateway's own beyond the contract's.
const (
	CodeUnauthenticated         = "UNAUTHENTICATED"
	CodeForbidden               = "FORBIDDEN"
	CodeNotFound                = "NOT_FOUND"
	CodeBadUserInput            = "BAD_USER_INPUT"
	CodeRateLimited             = "RATE_LIMITED"
	CodeUpstreamUnavailable     = "UPSTREAM_UNAVAILABLE"
	CodeComplexityLimitExceeded = "COMPLEXITY_LIMIT_EXCEEDED"
	CodeParseFailed             = errcode.ParseFailed      // set by gqlgen itself
	CodeValidationFailed        = errcode.ValidationFailed // set by gqlgen itself, and for checks of ours that validation skips
	CodeInternal                = "INTERNAL_SERVER_ERROR"
	// CodePersistedQueryNotAllowed refuses a document outside the
	// operations manifest with PERSISTED_OPERATIONS_ONLY (HTTP 422).
	CodePersistedQueryNotAllowed = "PERSISTED_QUERY_NOT_ALLOWED"
	// CodePersistedQueryNotFound asks an APQ client to send the query with
	// its hash (Apollo's code).
	CodePersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND"
	// CodeBadRequest is a request whose GraphQL-over-HTTP parameters are
	// malformed (a body that is not a JSON object of query, variables and
	// extensions; a broken persisted-query extension): the client's
	// mistake, refused before any upstream call.
	CodeBadRequest = "BAD_REQUEST"
	// CodeResponseTooLarge is an operation that read more from Circle, or
	// would write a larger answer, than one operation may
	// (MAX_UPSTREAM_BYTES_PER_OPERATION, MAX_RESPONSE_BYTES; package
	// memcap): the message names the cap.
	CodeResponseTooLarge = "RESPONSE_TOO_LARGE"
	// CodeSubscriptionLimitExceeded refuses a subscription beyond
	// MAX_SUBSCRIPTIONS_PER_CONNECTION or MAX_SUBSCRIBERS, and ends one
	// whose client fell too far behind its events.
	CodeSubscriptionLimitExceeded = "SUBSCRIPTION_LIMIT_EXCEEDED"
	// CodeShuttingDown refuses a subscription started while the gateway
	// drains: subscribe again (another replica, or this one restarted).
	CodeShuttingDown = "SHUTTING_DOWN"
)

// HTTPCode is the code of a request refused before GraphQL runs with HTTP
// status: HTTP_405, HTTP_413, …
func HTTPCode(status int) string { return "HTTP_" + strconv.Itoa(status) }

func init() {
	// gqlgen answers a refusal with this code with HTTP 422, like a
	// document that does not validate. Registered once, before any
	// request: gqlgen reads this map unlocked.
	errcode.RegisterErrorType(CodePersistedQueryNotAllowed, errcode.KindProtocol)
}

// RequestError is a request the HTTP surface refuses before GraphQL runs
// (docs/contract.md §2): its code is HTTP_<Status>, or BAD_REQUEST when the
// request is Malformed (not a GraphQL request at all).
type RequestError struct {
	Status    int
	Malformed bool
	Message   string
}

func (e *RequestError) Error() string { return e.Message }

// errPanic is a resolver's panic, already logged with its stack.
var errPanic = errors.New("panic in resolver")

// errIntrospectionDisabled refuses __schema and __type when introspection
// is off (validation.go).
var errIntrospectionDisabled = errors.New("introspection is disabled on this gateway; the schema is served at /schema.graphql")

// errFieldsCannotMerge is GraphQL's "fields can be merged" rule failing,
// checked after the limits (validation.go).
var errFieldsCannotMerge = errors.New("fields cannot be merged")

// appTokenRejectedMessage is what a member learns when Circle refuses the
// gateway's app token: not their doing, and not fixed by signing in again.
const appTokenRejectedMessage = "Circle refused the gateway's own app token, so member tokens cannot be issued, refreshed or revoked right now; this is the gateway's configuration, not your request: try again later"

// admissionBusyMessage is what an operation learns when it waited for its
// turn as long as it may (MAX_CONCURRENT_OPERATIONS): nothing of it ran,
// nothing was sent to Circle.
const admissionBusyMessage = "the gateway was executing as many operations as it may for as long as this one could wait (half of REQUEST_TIMEOUT); nothing of it ran: try again shortly"

// internalMessage is all a client learns of an unexpected error.
const internalMessage = "internal server error"

// presented is what a client sees of an error.
type presented struct {
	code    string
	message string
	extra   map[string]any
}

// classify is the table: the code and client message of every error the
// gateway knows, from its type. msg is the error's own message (without
// the location and path prefix a *gqlerror.Error's Error() carries), kept
// where it is written for the client already. ok is false for an error of
// no known type: a code gqlgen set itself stands then, anything else is
// INTERNAL_SERVER_ERROR.
func classify(err error, msg string) (p presented, ok bool) {
	var (
		request   *RequestError
		upstream  *circle.Error
		input     *graph.InputError
		forbidden *graph.ForbiddenError
		argument  *relay.ArgumentError
		idToken   *idtoken.InvalidError
		apqExt    *apq.ExtensionError
		overCap   *memcap.Error
		tooLarge  *circle.BodyTooLargeError
		subLimit  *subscriptionLimitError
	)
	switch {
	case errors.As(err, &request):
		if request.Malformed {
			return presented{code: CodeBadRequest, message: request.Message}, true
		}
		return presented{code: HTTPCode(request.Status), message: request.Message}, true
	case errors.Is(err, errPanic):
		return presented{code: CodeInternal, message: internalMessage}, true

	// Refusals of the document, before it runs.
	case errors.Is(err, limits.ErrOverLimit):
		return presented{code: CodeComplexityLimitExceeded, message: msg}, true
	case errors.Is(err, errFieldsCannotMerge):
		return presented{code: CodeValidationFailed, message: msg}, true
	case errors.Is(err, errIntrospectionDisabled):
		return presented{code: CodeValidationFailed, message: errIntrospectionDisabled.Error()}, true
	case errors.Is(err, persisted.ErrNotAllowed):
		return presented{code: CodePersistedQueryNotAllowed, message: msg}, true
	case errors.Is(err, apq.ErrNotFound):
		return presented{code: CodePersistedQueryNotFound, message: apq.ErrNotFound.Error()}, true
	case errors.As(err, &apqExt):
		return presented{code: CodeBadRequest, message: apqExt.Error()}, true

	// The caller: tokens and arguments.
	case errors.Is(err, auth.ErrMissingToken), errors.Is(err, auth.ErrMalformedToken), errors.Is(err, auth.ErrExpiredToken):
		return presented{code: CodeUnauthenticated, message: msg}, true
	case errors.As(err, &idToken):
		return presented{code: CodeUnauthenticated, message: idToken.Error()}, true
	case errors.As(err, &input):
		return presented{code: CodeBadUserInput, message: input.Message}, true
	case errors.As(err, &argument):
		return presented{code: CodeBadUserInput, message: argument.Message}, true
	case errors.Is(err, graph.ErrBadInput):
		return presented{code: CodeBadUserInput, message: msg}, true
	case errors.As(err, &forbidden):
		return presented{code: CodeForbidden, message: forbidden.Message}, true
	case errors.Is(err, graph.ErrForbidden):
		return presented{code: CodeForbidden, message: msg}, true
	case errors.Is(err, circle.ErrNoAppToken):
		return presented{code: CodeForbidden, message: circle.ErrNoAppToken.Error()}, true

	// The memory caps: the operation's own (the caller can ask for less),
	// the process's (the caller can try again shortly), one answer's.
	case errors.As(err, &overCap):
		if overCap.Scope == memcap.ScopeProcess {
			return presented{code: CodeUpstreamUnavailable, message: overCap.Error()}, true
		}
		return presented{code: CodeResponseTooLarge, message: overCap.Error()}, true
	case errors.As(err, &tooLarge):
		return presented{code: CodeUpstreamUnavailable, message: "Circle's answer was larger than " + memcap.Size(tooLarge.Limit) + ", the most one upstream call may read"}, true
	// The process's bound on operations at once (package admission): the
	// operation never ran, so trying again shortly is safe, writes too.
	case errors.Is(err, admission.ErrBusy):
		return presented{code: CodeRateLimited, message: admissionBusyMessage, extra: map[string]any{"retryAfterSeconds": 1}}, true
	// Subscriptions (subscriptions.go, package live).
	case errors.As(err, &subLimit):
		return presented{code: CodeSubscriptionLimitExceeded, message: subLimit.Message}, true
	case errors.Is(err, errShutdown):
		return presented{code: CodeShuttingDown, message: "the gateway is shutting down: subscribe again in a moment"}, true
	case errors.Is(err, errTokenExpired):
		return presented{code: CodeUnauthenticated, message: "member access token expired: refresh it and subscribe again"}, true
	case errors.Is(err, live.ErrUnauthorized):
		return presented{code: CodeUnauthenticated, message: live.ErrUnauthorized.Error()}, true
	case errors.Is(err, live.ErrRejected):
		return presented{code: CodeForbidden, message: live.ErrRejected.Error()}, true
	case errors.Is(err, live.ErrFellBehind):
		return presented{code: CodeSubscriptionLimitExceeded, message: live.ErrFellBehind.Error() + ": read events as they come, or subscribe again"}, true
	case errors.Is(err, live.ErrClosed):
		return presented{code: CodeShuttingDown, message: "the gateway is shutting down: subscribe again in a moment"}, true

	// Circle.
	case errors.Is(err, circle.ErrAppTokenRejected):
		return presented{code: CodeUpstreamUnavailable, message: appTokenRejectedMessage}, true
	case errors.As(err, &upstream):
		return classifyUpstream(upstream), true
	case errors.Is(err, circle.ErrOutcomeUnknown):
		return presented{code: CodeUpstreamUnavailable, message: "Circle's answer never arrived (a timeout or a dropped connection); the change may or may not have been applied, so check before retrying"}, true
	case errors.Is(err, circle.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return presented{code: CodeUpstreamUnavailable, message: "Circle is unavailable, try again later"}, true
	}
	return presented{}, false
}

// classifyUpstream maps a Circle error status (docs/contract.md §5). Only
// Circle's message field is ever shown, and not even that for 5xx.
func classifyUpstream(ce *circle.Error) presented {
	switch {
	case ce.Status == http.StatusUnauthorized:
		return presented{code: CodeUnauthenticated, message: ce.Message}
	case ce.Status == http.StatusForbidden:
		return presented{code: CodeForbidden, message: ce.Message}
	case ce.Status == http.StatusNotFound:
		return presented{code: CodeNotFound, message: ce.Message}
	case ce.Status == http.StatusTooManyRequests:
		secs := max(int(math.Ceil(ce.RetryAfter.Seconds())), 1)
		message := "Circle's rate limit was reached, retry after " + strconv.Itoa(secs) + "s"
		if ce.Gateway {
			// The gateway's own budget: its message names the share spent.
			message = ce.Message
		}
		return presented{code: CodeRateLimited, message: message, extra: map[string]any{"retryAfterSeconds": secs}}
	case ce.Status >= 500:
		return presented{code: CodeUpstreamUnavailable, message: "Circle is unavailable, try again later"}
	case ce.Status == http.StatusBadRequest, ce.Status == http.StatusUnprocessableEntity:
		return presented{code: CodeBadUserInput, message: ce.Message}
	default:
		return presented{code: CodeInternal, message: internalMessage}
	}
}

// RequestIDFunc returns the request id of the operation in ctx, for logs
// and INTERNAL_SERVER_ERROR extensions.
type RequestIDFunc func(ctx context.Context) string

// ErrorPresenter returns the gqlgen error presenter: every error of an
// operation gets its code and client message from classify. Upstream
// errors show only Circle's message; unexpected errors show a generic
// message with the request id and are logged in full.
func ErrorPresenter(log *slog.Logger, requestID RequestIDFunc) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if gqlErr.Extensions == nil {
			gqlErr.Extensions = map[string]any{}
		}
		// gqlErr may be err itself: its own message, the one the log
		// needs, is kept before it is replaced with the client's.
		cause := gqlErr.Message
		p, ok := classify(err, gqlErr.Message)
		if !ok {
			if _, coded := gqlErr.Extensions["code"]; coded {
				namedOperations(ctx, gqlErr)
				return gqlErr // gqlgen's own: a document that does not parse or validate
			}
			p = presented{code: CodeInternal, message: internalMessage}
		}
		var reread *graph.RereadError
		if errors.As(err, &reread) {
			p.message = "the change was made, but re-reading " + reread.What + " failed (" + p.message + "): read it again instead of repeating the mutation"
		}
		gqlErr.Message = p.message
		gqlErr.Extensions["code"] = p.code
		for k, v := range p.extra {
			gqlErr.Extensions[k] = v
		}
		if errors.Is(err, circle.ErrAppTokenRejected) {
			log.ErrorContext(ctx, "Circle refused the gateway's app token: every Auth API call fails until CIRCLE_HEADLESS_AUTH_TOKEN is fixed", "err", cause, "request_id", requestID(ctx))
		}
		if p.code == CodeInternal {
			id := requestID(ctx)
			if !errors.Is(err, errPanic) { // a panic is logged with its stack already
				log.ErrorContext(ctx, "internal error", "err", cause, "path", gqlErr.Path.String(), "request_id", id)
			}
			if id != "" {
				gqlErr.Extensions["requestId"] = id
			}
		}
		return gqlErr
	}
}

// namedOperations rewrites gqlgen's "operation X not found" (with a blank
// X when the request named none), which says neither what was wrong nor
// what would do, into the operations the document holds and how to pick
// one.
func namedOperations(ctx context.Context, gqlErr *gqlerror.Error) {
	if !strings.HasPrefix(gqlErr.Message, "operation ") || !strings.HasSuffix(gqlErr.Message, " not found") || !graphql.HasOperationContext(ctx) {
		return
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Doc == nil || len(oc.Doc.Operations) == 0 {
		return
	}
	names := make([]string, 0, len(oc.Doc.Operations))
	for _, op := range oc.Doc.Operations {
		name := op.Name
		if name == "" {
			name = "(an anonymous " + string(op.Operation) + ")"
		}
		names = append(names, name)
	}
	if oc.OperationName == "" {
		gqlErr.Message = fmt.Sprintf("the document holds %d operations (%s): name the one to run in operationName", len(names), strings.Join(names, ", "))
		return
	}
	gqlErr.Message = fmt.Sprintf("the document holds no operation named %q; its operations: %s", oc.OperationName, strings.Join(names, ", "))
}

// recoverFunc is gqlgen's recover function: a resolver's panic is logged
// with its stack and the request id, and answers INTERNAL_SERVER_ERROR
// (through the presenter); the process keeps serving.
func recoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p), "request_id", RequestID(ctx), "stack", string(debug.Stack()))
		return errPanic
	}
}

// writeRefusal answers a request the HTTP surface refuses before GraphQL
// runs, with its status.
func writeRefusal(w http.ResponseWriter, r *http.Request, err *RequestError) {
	writeError(w, r, err.Status, err)
}

// writeError answers err with status and a GraphQL-shaped error body (so
// clients show the message like any other error) coded by classify, with
// Retry-After when the refusal says when to come back, and notes the code
// for the request's log line and metrics.
func writeError(w http.ResponseWriter, r *http.Request, status int, err error) {
	p, ok := classify(err, err.Error())
	if !ok {
		p = presented{code: CodeInternal, message: internalMessage}
	}
	observe.NoteErrorCodes(r.Context(), p.code)
	ext := map[string]any{"code": p.code}
	for k, v := range p.extra {
		ext[k] = v
	}
	if secs, ok := p.extra["retryAfterSeconds"].(int); ok {
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": p.message, "extensions": ext}},
	})
}

// coded gives the refusals of a handler extension their code from
// classify as they are made: gqlgen picks the HTTP status of a refused
// operation from its errors' codes before the error presenter runs (422
// for PERSISTED_QUERY_NOT_ALLOWED and for validation failures).
type coded struct {
	graphql.HandlerExtension
}

var _ interface {
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = coded{}

// MutateOperationParameters runs the extension's parameter check, if it
// has one.
func (c coded) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	m, ok := c.HandlerExtension.(graphql.OperationParameterMutator)
	if !ok {
		return nil
	}
	return withCode(m.MutateOperationParameters(ctx, p))
}

// MutateOperationContext runs the extension's operation check, if it has
// one.
func (c coded) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	m, ok := c.HandlerExtension.(graphql.OperationContextMutator)
	if !ok {
		return nil
	}
	return withCode(m.MutateOperationContext(ctx, oc))
}

func withCode(err *gqlerror.Error) *gqlerror.Error {
	if err == nil {
		return nil
	}
	if p, ok := classify(err, err.Message); ok {
		errcode.Set(err, p.code)
	}
	return err
}

// closeReason is the reason a WebSocket is closed with for err: its code
// and client message from classify, cut to fit a control frame.
func closeReason(err error) string {
	p, ok := classify(err, err.Error())
	if !ok {
		p = presented{code: CodeInternal, message: internalMessage}
	}
	return truncateReason(p.code + ": " + p.message)
}
