package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
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
	"github.com/circle-gateway/gateway/persisted"
	"github.com/circle-gateway/gateway/relay"
)

// The table, error type by error type: each gets its code and the message
// a client may see, however it was wrapped on its way up. e2e/codes_test.go
// produces every code through the real server.
func TestErrorPresenterCodes(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	present := ErrorPresenter(slog.New(slog.NewTextHandler(&logs, nil)), func(context.Context) string { return "req-1" })
	tests := []struct {
		name      string
		err       error
		code      string
		message   string
		extension map[string]any
	}{
		{"missing token", auth.ErrMissingToken, CodeUnauthenticated, auth.ErrMissingToken.Error(), nil},
		{"expired token", auth.ErrExpiredToken, CodeUnauthenticated, auth.ErrExpiredToken.Error(), nil},
		{"malformed token, wrapped", fmt.Errorf("%w: not a JWT", auth.ErrMalformedToken), CodeUnauthenticated, "malformed member access token: not a JWT", nil},
		{"invalid identity token", fmt.Errorf("signIn: %w", &idtoken.InvalidError{Reason: "it has expired"}), CodeUnauthenticated, "invalid identity token: it has expired", nil},
		{"upstream 401", &circle.Error{Status: 401, Message: "The access token is revoked."}, CodeUnauthenticated, "The access token is revoked.", nil},
		{"upstream 403", &circle.Error{Status: 403, Message: "Not allowed"}, CodeForbidden, "Not allowed", nil},
		{"upstream 404 wrapped", fmt.Errorf("space 9: %w", &circle.Error{Status: 404, Message: "Space not found"}), CodeNotFound, "Space not found", nil},
		{"upstream 422", &circle.Error{Status: 422, Message: "Name can't be blank"}, CodeBadUserInput, "Name can't be blank", nil},
		{"upstream 429", &circle.Error{Status: 429, Message: "slow", RetryAfter: 2500 * time.Millisecond}, CodeRateLimited, "Circle's rate limit was reached, retry after 3s", map[string]any{"retryAfterSeconds": 3}},
		{"upstream 502", &circle.Error{Status: 502, Message: "<html>bad gateway</html>"}, CodeUpstreamUnavailable, "Circle is unavailable, try again later", nil},
		{"upstream 500", &circle.Error{Status: 500, Message: "stack trace here"}, CodeUpstreamUnavailable, "Circle is unavailable, try again later", nil},
		{"upstream 418", &circle.Error{Status: 418, Message: "teapot"}, CodeInternal, "internal server error", map[string]any{"requestId": "req-1"}},
		{"connection refused", fmt.Errorf("circle: GET /spaces: %w: dial tcp: refused", circle.ErrUnavailable), CodeUpstreamUnavailable, "Circle is unavailable, try again later", nil},
		{"deadline", fmt.Errorf("posts: %w", context.DeadlineExceeded), CodeUpstreamUnavailable, "Circle is unavailable, try again later", nil},
		{"write outcome unknown", fmt.Errorf("circle: POST /x: %w", circle.ErrOutcomeUnknown), CodeUpstreamUnavailable, "Circle's answer never arrived (a timeout or a dropped connection); the change may or may not have been applied, so check before retrying", nil},
		{"no app token", circle.ErrNoAppToken, CodeForbidden, circle.ErrNoAppToken.Error(), nil},
		{"bad input", fmt.Errorf("post: %w", &graph.InputError{Message: `id must be a positive integer id, got "x"`}), CodeBadUserInput, `id must be a positive integer id, got "x"`, nil},
		{"bad input, sentinel only", fmt.Errorf("%w: search is too long", graph.ErrBadInput), CodeBadUserInput, "invalid argument: search is too long", nil},
		{"bad cursor", fmt.Errorf("homeFeed: %w", &relay.ArgumentError{Message: "`after` is not a cursor this API returned"}), CodeBadUserInput, "`after` is not a cursor this API returned", nil},
		{"forbidden", &graph.ForbiddenError{Message: "signIn is not configured"}, CodeForbidden, "signIn is not configured", nil},
		{"over a limit", &gqlerror.Error{Message: "the operation uses 31 aliases; at most 30 are allowed", Err: limits.ErrOverLimit}, CodeComplexityLimitExceeded, "the operation uses 31 aliases; at most 30 are allowed", nil},
		{"not in the manifest", &gqlerror.Error{Message: "this gateway runs only the operations in its manifest", Err: persisted.ErrNotAllowed}, CodePersistedQueryNotAllowed, "this gateway runs only the operations in its manifest", nil},
		{"APQ hash unknown", gqlerror.Wrap(apq.ErrNotFound), CodePersistedQueryNotFound, "PersistedQueryNotFound", nil},
		{"APQ extension broken", gqlerror.Wrap(&apq.ExtensionError{Problem: "unsupported APQ version"}), CodeBadRequest, "persisted query extension: unsupported APQ version", nil},
		{"fields cannot merge", &gqlerror.Error{Message: `Fields "a" conflict`, Err: errFieldsCannotMerge}, CodeValidationFailed, `Fields "a" conflict`, nil},
		{"introspection off", gqlerror.Wrap(errIntrospectionDisabled), CodeValidationFailed, "introspection is disabled on this gateway; the schema is served at /schema.graphql", nil},
		{"request refused", gqlerror.Wrap(&RequestError{Status: 406, Message: "GET requests only allow query operations"}), "HTTP_406", "GET requests only allow query operations", nil},
		{"request malformed", gqlerror.Wrap(&RequestError{Status: 400, Malformed: true, Message: "variables could not be decoded"}), CodeBadRequest, "variables could not be decoded", nil},
		{"re-read after a write", &graph.RereadError{What: "the post", Err: &circle.Error{Status: 404, Message: "Post not found"}}, CodeNotFound, "the change was made, but re-reading the post failed (Post not found): read it again instead of repeating the mutation", nil},
		{"no turn before the deadline", fmt.Errorf("%w: %w", admission.ErrBusy, context.DeadlineExceeded), CodeRateLimited, admissionBusyMessage, map[string]any{"retryAfterSeconds": 1}},
		{"over the operation's read cap", fmt.Errorf("home: %w", &memcap.Error{Scope: memcap.ScopeRead, Limit: 32 << 20}), CodeResponseTooLarge, (&memcap.Error{Scope: memcap.ScopeRead, Limit: 32 << 20}).Error(), nil},
		{"over the answer cap", &memcap.Error{Scope: memcap.ScopeResponse, Limit: 16 << 20}, CodeResponseTooLarge, (&memcap.Error{Scope: memcap.ScopeResponse, Limit: 16 << 20}).Error(), nil},
		{"over the process cap", &memcap.Error{Scope: memcap.ScopeProcess, Limit: 64 << 20}, CodeUpstreamUnavailable, (&memcap.Error{Scope: memcap.ScopeProcess, Limit: 64 << 20}).Error(), nil},
		{"one upstream answer too large", fmt.Errorf("circle: GET /home: %w", &circle.BodyTooLargeError{Limit: 8 << 20, Endpoint: "GET /home"}), CodeUpstreamUnavailable, "Circle's answer was larger than 8 MiB, the most one upstream call may read", nil},
		{"app token refused", fmt.Errorf("signIn: %w", circle.ErrAppTokenRejected), CodeUpstreamUnavailable, appTokenRejectedMessage, nil},
		{"subscription limit", &subscriptionLimitError{Message: "at most 20 subscriptions per connection"}, CodeSubscriptionLimitExceeded, "at most 20 subscriptions per connection", nil},
		{"subscription during the drain", errShutdown, CodeShuttingDown, "the gateway is shutting down: subscribe again in a moment", nil},
		{"subscription's token expired", errTokenExpired, CodeUnauthenticated, "member access token expired: refresh it and subscribe again", nil},
		{"cable refused the token", fmt.Errorf("notifications: %w", live.ErrUnauthorized), CodeUnauthenticated, live.ErrUnauthorized.Error(), nil},
		{"cable refused the channel", fmt.Errorf("chat room: %w", live.ErrRejected), CodeForbidden, live.ErrRejected.Error(), nil},
		{"subscriber fell behind", live.ErrFellBehind, CodeSubscriptionLimitExceeded, live.ErrFellBehind.Error() + ": read events as they come, or subscribe again", nil},
		{"bridge shut down", live.ErrClosed, CodeShuttingDown, "the gateway is shutting down: subscribe again in a moment", nil},
		{"panic", errPanic, CodeInternal, "internal server error", map[string]any{"requestId": "req-1"}},
		{"unexpected", errors.New("nil map write in resolver"), CodeInternal, "internal server error", map[string]any{"requestId": "req-1"}},
		{"gqlgen's own code stands", &gqlerror.Error{Message: "Cannot query field", Extensions: map[string]any{"code": CodeValidationFailed}}, CodeValidationFailed, "Cannot query field", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := present(context.Background(), tt.err)
			if got.Extensions["code"] != tt.code || got.Message != tt.message {
				t.Fatalf("got code %v message %q, want %s %q", got.Extensions["code"], got.Message, tt.code, tt.message)
			}
			for k, v := range tt.extension {
				if got.Extensions[k] != v {
					t.Fatalf("extension %s = %v, want %v", k, got.Extensions[k], v)
				}
			}
		})
	}
	if !strings.Contains(logs.String(), "nil map write") || !strings.Contains(logs.String(), "req-1") {
		t.Fatalf("unexpected error not logged with request id: %s", logs.String())
	}
	if strings.Contains(logs.String(), errPanic.Error()) {
		t.Fatalf("a panic, logged with its stack by the recover function, is logged again: %s", logs.String())
	}
}

// An extension's refusal carries its code when gqlgen reads it for the
// HTTP status, before the presenter runs.
func TestCodedExtensionRefusals(t *testing.T) {
	t.Parallel()
	refusing := refuser{&gqlerror.Error{Message: "not in the manifest", Err: persisted.ErrNotAllowed}}
	err := coded{refusing}.MutateOperationParameters(context.Background(), nil)
	if err == nil || err.Extensions["code"] != CodePersistedQueryNotAllowed {
		t.Fatalf("parameter refusal = %v", err)
	}
	err = coded{refusing}.MutateOperationContext(context.Background(), nil)
	if err == nil || err.Extensions["code"] != CodePersistedQueryNotAllowed {
		t.Fatalf("operation refusal = %v", err)
	}
	if err := (coded{refuser{}}).MutateOperationContext(context.Background(), nil); err != nil {
		t.Fatalf("no refusal became %v", err)
	}
}

// refuser is an extension refusing every operation with err.
type refuser struct{ err *gqlerror.Error }

func (refuser) ExtensionName() string                   { return "refuser" }
func (refuser) Validate(graphql.ExecutableSchema) error { return nil }
func (r refuser) MutateOperationParameters(context.Context, *graphql.RawParams) *gqlerror.Error {
	return r.err
}
func (r refuser) MutateOperationContext(context.Context, *graphql.OperationContext) *gqlerror.Error {
	return r.err
}
