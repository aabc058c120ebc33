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

// Error codes of GATEWAY.md §5, set in extensions.code.
const (
	CodeUnauthenticated     = "UNAUTHENTICATED"
	CodeForbidden           = "FORBIDDEN"
	CodeNotFound            = "NOT_FOUND"
	CodeBadUserInput        = "BAD_USER_INPUT"
	CodeRateLimited         = "RATE_LIMITED"
	CodeUpstreamUnavailable = "UPSTREAM_UNAVAILABLE"
	CodeInternal            = "INTERNAL_SERVER_ERROR"
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
			// code, except the parser's size limits, which GATEWAY.md §5
			// reports like every other query limit.
			if code == errcode.ParseFailed && (strings.HasPrefix(gqlErr.Message, "exceeded token limit") || strings.HasPrefix(gqlErr.Message, "exceeded maximum nesting depth")) {
				gqlErr.Extensions["code"] = limits.Code
			}
			return gqlErr
		}
		code, message, extra := classify(err)
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

// classify maps an error to its code, client message and extra extensions.
func classify(err error) (code, message string, extra map[string]any) {
	var ce *circle.Error
	switch {
	case errors.Is(err, auth.ErrMissingToken), errors.Is(err, auth.ErrMalformedToken), errors.Is(err, auth.ErrExpiredToken):
		return CodeUnauthenticated, err.Error(), nil
	case errors.Is(err, ErrBadInput):
		return CodeBadUserInput, userMessage(err, ErrBadInput), nil
	case errors.Is(err, relay.ErrBadArgument):
		return CodeBadUserInput, userMessage(err, relay.ErrBadArgument), nil
	case errors.Is(err, idtoken.ErrInvalid):
		return CodeUnauthenticated, idtoken.ErrInvalid.Error() + ": " + userMessage(err, idtoken.ErrInvalid), nil
	case errors.Is(err, ErrForbidden):
		return CodeForbidden, userMessage(err, ErrForbidden), nil
	case errors.Is(err, circle.ErrNoAppToken):
		return CodeForbidden, circle.ErrNoAppToken.Error(), nil
	case errors.As(err, &ce):
		return classifyUpstream(ce)
	case errors.Is(err, circle.ErrOutcomeUnknown):
		return CodeUpstreamUnavailable, "Circle did not answer in time; the change may or may not have been applied, so check before retrying", nil
	case errors.Is(err, circle.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return CodeUpstreamUnavailable, "Circle is unavailable, try again later", nil
	default:
		return CodeInternal, internalMessage, nil
	}
}

// classifyUpstream maps a Circle error status (GATEWAY.md §5).
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
func userMessage(err, sentinel error) string {
	msg := err.Error()
	if _, after, ok := strings.Cut(msg, sentinel.Error()+": "); ok {
		return after
	}
	return msg
}
