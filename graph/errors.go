package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/circle-gateway/gateway/auth"
	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/idtoken"
	"github.com/circle-gateway/gateway/limits"
	"github.com/circle-gateway/gateway/relay"
)

// Error codes of docs/contract.md §5, set in extensions.code.
const (
	CodeUnauthenticated     = "UNAUTHENTICATED"
	CodeForbidden           = "FORBIDDEN"
	CodeNotFound            = "NOT_FOUND"
	CodeBadUserInput        = "BAD_USER_INPUT"
	CodeRateLimited         = "RATE_LIMITED"
	CodeUpstreamUnavailable = "UPSTREAM_UNAVAILABLE"
	CodeInternal            = "INTERNAL_SERVER_ERROR"
	// CodeBadRequest is a request whose GraphQL-over-HTTP parameters are
	// malformed (a body that is not a JSON object of query, variables and
	// extensions; a broken persisted-query extension): the client's mistake,
	// refused before any upstream call.
	CodeBadRequest = "BAD_REQUEST"
)

// ErrBadInput marks arguments the gateway refuses before any upstream call.
var ErrBadInput = errors.New("invalid argument")

// ErrForbidden marks operations the caller may not perform (a missing or
// wrong service key, a feature that is not configured).
var ErrForbidden = errors.New("forbidden")

// badInput returns an error wrapping ErrBadInput with a message for the user.
func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, args...))
}

// internalMessage is all a client learns of an unexpected error.
const internalMessage = "internal server error"

// RequestIDFunc returns the request id of the operation in ctx, for logs
// and INTERNAL_SERVER_ERROR extensions.
type RequestIDFunc func(ctx context.Context) string

// ErrorPresenter returns the gqlgen error presenter: the one place where
// errors get their GraphQL code and client-facing message. Upstream errors
// show only Circle's message; unexpected errors show a generic message and
// are logged in full with the request id.
func ErrorPresenter(log *slog.Logger, requestID RequestIDFunc) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if gqlErr.Extensions == nil {
			gqlErr.Extensions = map[string]any{}
		}
		if code, ok := gqlErr.Extensions["code"]; ok {
			// gqlgen's own errors (parse, validation, complexity) keep their
			// code, except the parser's size limits, which docs/contract.md §5
			// reports like every other query limit.
			if code == errcode.ParseFailed && (strings.HasPrefix(gqlErr.Message, "exceeded token limit") || strings.HasPrefix(gqlErr.Message, "exceeded maximum nesting depth")) {
				gqlErr.Extensions["code"] = limits.Code
			}
			return gqlErr
		}
		if code, message, ok := requestError(gqlErr.Message); ok {
			gqlErr.Extensions["code"] = code
			gqlErr.Message = message
			return gqlErr
		}
		code, message, extra := classify(err, gqlErr.Message)
		var reread *rereadError
		if errors.As(err, &reread) {
			message = "the change was made, but re-reading " + reread.what + " failed (" + message + "): read it again instead of repeating the mutation"
		}
		gqlErr.Extensions["code"] = code
		for k, v := range extra {
			gqlErr.Extensions[k] = v
		}
		if code == CodeInternal {
			id := requestID(ctx)
			log.ErrorContext(ctx, "internal error", "err", err.Error(), "path", gqlErr.Path.String(), "request_id", id)
			if id != "" {
				gqlErr.Extensions["requestId"] = id
			}
		}
		gqlErr.Message = message
		return gqlErr
	}
}

// requestError recognises the code-less errors gqlgen raises about the
// request itself rather than the operation — a body that does not decode,
// a broken persisted-query extension, introspection while it is disabled —
// and gives them a client code and message. They are the client's doing, so
// they are neither INTERNAL_SERVER_ERROR nor logged; and gqlgen's decode
// error quotes the whole body, which may hold tokens, so only its cause is
// kept.
func requestError(msg string) (code, message string, ok bool) {
	const undecodable = "json request body could not be decoded: "
	switch {
	case strings.HasPrefix(msg, undecodable):
		cause, _, _ := strings.Cut(strings.TrimPrefix(msg, undecodable), " body:")
		return CodeBadRequest, `the request body must be a JSON object like {"query": "…", "variables": {…}}: ` + cause, true
	case strings.HasPrefix(msg, "could not read request body"):
		return CodeBadRequest, "could not read the request body", true
	case msg == "provided APQ hash does not match query", msg == "invalid APQ extension data", msg == "unsupported APQ version":
		return CodeBadRequest, "persisted query extension: " + msg, true
	case msg == "introspection disabled":
		return errcode.ValidationFailed, "introspection is disabled on this gateway; the schema is served at /schema.graphql", true
	}
	return "", "", false
}

// classify maps an error to its code, client message and extra extensions.
// msg is the error's own message, without the location and path prefix
// err.Error() carries once gqlgen has placed it in the response.
func classify(err error, msg string) (code, message string, extra map[string]any) {
	var ce *circle.Error
	var badArgument *relay.ArgumentError
	switch {
	case errors.Is(err, auth.ErrMissingToken), errors.Is(err, auth.ErrMalformedToken), errors.Is(err, auth.ErrExpiredToken):
		return CodeUnauthenticated, msg, nil
	case errors.Is(err, ErrBadInput):
		return CodeBadUserInput, userMessage(msg, ErrBadInput), nil
	case errors.As(err, &badArgument):
		return CodeBadUserInput, badArgument.Message, nil
	case errors.Is(err, idtoken.ErrInvalid):
		return CodeUnauthenticated, idtoken.ErrInvalid.Error() + ": " + userMessage(msg, idtoken.ErrInvalid), nil
	case errors.Is(err, ErrForbidden):
		return CodeForbidden, userMessage(msg, ErrForbidden), nil
	case errors.Is(err, circle.ErrNoAppToken):
		return CodeForbidden, circle.ErrNoAppToken.Error(), nil
	case errors.As(err, &ce):
		return classifyUpstream(ce)
	case errors.Is(err, circle.ErrOutcomeUnknown):
		return CodeUpstreamUnavailable, "Circle's answer never arrived (a timeout or a dropped connection); the change may or may not have been applied, so check before retrying", nil
	case errors.Is(err, circle.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return CodeUpstreamUnavailable, "Circle is unavailable, try again later", nil
	default:
		return CodeInternal, internalMessage, nil
	}
}

// classifyUpstream maps a Circle error status (docs/contract.md §5).
func classifyUpstream(ce *circle.Error) (code, message string, extra map[string]any) {
	switch {
	case ce.Status == http.StatusUnauthorized:
		return CodeUnauthenticated, ce.Message, nil
	case ce.Status == http.StatusForbidden:
		return CodeForbidden, ce.Message, nil
	case ce.Status == http.StatusNotFound:
		return CodeNotFound, ce.Message, nil
	case ce.Status == http.StatusTooManyRequests:
		secs := int(math.Ceil(ce.RetryAfter.Seconds()))
		if secs < 1 {
			secs = 1
		}
		return CodeRateLimited, "Circle's rate limit was reached, retry after " + fmt.Sprint(secs) + "s", map[string]any{"retryAfterSeconds": secs}
	case ce.Status >= 500:
		return CodeUpstreamUnavailable, "Circle is unavailable, try again later", nil
	case ce.Status == http.StatusBadRequest, ce.Status == http.StatusUnprocessableEntity:
		return CodeBadUserInput, ce.Message, nil
	default:
		return CodeInternal, internalMessage, nil
	}
}

// userMessage strips the sentinel's own text so the client reads only the
// specific message ("`first` must be between 0 and 100").
func userMessage(msg string, sentinel error) string {
	if _, after, ok := strings.Cut(msg, sentinel.Error()+": "); ok {
		return after
	}
	return msg
}
