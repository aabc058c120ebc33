package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/circle-gateway/gateway/auth"
	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/relay"
)

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
		{"upstream 401", &circle.Error{Status: 401, Message: "The access token is revoked."}, CodeUnauthenticated, "The access token is revoked.", nil},
		{"upstream 403", &circle.Error{Status: 403, Message: "Not allowed"}, CodeForbidden, "Not allowed", nil},
		{"upstream 404 wrapped", fmt.Errorf("space 9: %w", &circle.Error{Status: 404, Message: "Space not found"}), CodeNotFound, "Space not found", nil},
		{"upstream 429", &circle.Error{Status: 429, Message: "slow", RetryAfter: 2500 * time.Millisecond}, CodeRateLimited, "Circle's rate limit was reached, retry after 3s", map[string]any{"retryAfterSeconds": 3}},
		{"upstream 502", &circle.Error{Status: 502, Message: "<html>bad gateway</html>"}, CodeUpstreamUnavailable, "Circle is unavailable, try again later", nil},
		{"upstream 500", &circle.Error{Status: 500, Message: "stack trace here"}, CodeUpstreamUnavailable, "Circle is unavailable, try again later", nil},
		{"connection refused", fmt.Errorf("circle: GET /spaces: %w: dial tcp: refused", circle.ErrUnavailable), CodeUpstreamUnavailable, "Circle is unavailable, try again later", nil},
		{"write outcome unknown", fmt.Errorf("circle: POST /x: %w", circle.ErrOutcomeUnknown), CodeUpstreamUnavailable, "Circle's answer never arrived (a timeout or a dropped connection); the change may or may not have been applied, so check before retrying", nil},
		{"bad input", badInput("id must be a positive integer id, got %q", "x"), CodeBadUserInput, `id must be a positive integer id, got "x"`, nil},
		{"bad cursor", fmt.Errorf("homeFeed: %w", &relay.ArgumentError{Message: "`after` is not a cursor this API returned"}), CodeBadUserInput, "`after` is not a cursor this API returned", nil},
		{"forbidden", fmt.Errorf("%w: signIn is not configured", ErrForbidden), CodeForbidden, "signIn is not configured", nil},
		{"unexpected", errors.New("nil map write in resolver"), CodeInternal, "internal server error", map[string]any{"requestId": "req-1"}},
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
}

func TestErrorPresenterKeepsGqlgenCodes(t *testing.T) {
	t.Parallel()
	present := ErrorPresenter(slog.New(slog.NewTextHandler(io.Discard, nil)), func(context.Context) string { return "" })
	in := &gqlerror.Error{Message: "Cannot query field", Extensions: map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}}
	if got := present(context.Background(), in); got.Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("code = %v", got.Extensions["code"])
	}
}

func TestParseID(t *testing.T) {
	t.Parallel()
	for in, ok := range map[string]bool{"1": true, "9007199254740993": true, "0": false, "-4": false, "abc": false, "": false, "1.5": false, " 7": false, strings.Repeat("9", 400): false} {
		_, err := parseID("id", in)
		if (err == nil) != ok {
			t.Errorf("parseID(%q) err = %v", in, err)
		}
		if err != nil && (!errors.Is(err, ErrBadInput) || len(err.Error()) > 200) {
			t.Errorf("parseID(%q) err = %v", in, err)
		}
	}
}
