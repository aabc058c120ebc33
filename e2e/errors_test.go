package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/budget"
	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/internal/testjwt"
)

// failPath fails calls whose path ends with suffix, passing the rest on.
func failPath(suffix string, status int, body string) testenv.Fault {
	return func(r *http.Request) (int, string, bool) {
		if !strings.HasSuffix(r.URL.Path, suffix) {
			return 0, "", false
		}
		return status, body, true
	}
}

// Upstream failures become the codes of docs/contract.md §5, with no more of
// Circle's body than its message, and nullable fields fail alone.
func TestUpstreamErrorsMapped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		query     string
		fault     testenv.Fault
		wantCode  string
		wantData  string
		wantCalls int
		noLeak    string
	}{
		{
			name:      "401 is UNAUTHENTICATED",
			query:     `{ me { id } }`,
			fault:     failPath("/community_member", 401, `{"success":false,"message":"The access token is revoked.","error_details":{}}`),
			wantCode:  "UNAUTHENTICATED",
			wantCalls: 1,
		},
		{
			name:      "403 is FORBIDDEN",
			query:     `{ spaces { id } }`,
			fault:     failPath("/spaces", 403, `{"success":false,"message":"Your community isn't eligible for headless API access."}`),
			wantCode:  "FORBIDDEN",
			wantCalls: 1,
		},
		{
			name:      "404 on a nullable field is null with NOT_FOUND",
			query:     `{ member(id: "102") { name } me { id } }`,
			fault:     failPath("/public_profile", 404, `{"success":false,"message":"Community member not found"}`),
			wantCode:  "NOT_FOUND",
			wantData:  `"member":null`,
			wantCalls: 2,
		},
		{
			name:      "500 is UPSTREAM_UNAVAILABLE, not retried, body not echoed",
			query:     `{ spaces { id } }`,
			fault:     failPath("/spaces", 500, `{"message":"PG::ConnectionBad at /app/models/space.rb:12"}`),
			wantCode:  "UPSTREAM_UNAVAILABLE",
			wantCalls: 1,
			noLeak:    "space.rb",
		},
		{
			name:      "503 is retried twice then UPSTREAM_UNAVAILABLE",
			query:     `{ spaces { id } }`,
			fault:     failPath("/spaces", 503, `<html>busy</html>`),
			wantCode:  "UPSTREAM_UNAVAILABLE",
			wantCalls: 3,
			noLeak:    "html",
		},
		{
			name:      "a failing nested list reports UPSTREAM_UNAVAILABLE",
			query:     `{ homeFeed(first: 2) { nodes { id comments(first: 1) { totalCount } } } }`,
			fault:     failPath("/comments", 500, `{}`),
			wantCode:  "UPSTREAM_UNAVAILABLE",
			wantCalls: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := testenv.New(t, testenv.Options{})
			env.Upstream.SetFault(tt.fault)
			r := env.Do(t, env.DemoToken(t), tt.query, nil)
			if len(r.Errors) == 0 {
				t.Fatalf("no error; data %s", r.Data)
			}
			for _, e := range r.Errors {
				if e.Code() != tt.wantCode {
					t.Errorf("code %s (%s), want %s", e.Code(), e.Message, tt.wantCode)
				}
				if tt.noLeak != "" && strings.Contains(e.Message, tt.noLeak) {
					t.Errorf("message leaks the upstream body: %s", e.Message)
				}
			}
			if tt.wantData != "" && !strings.Contains(string(r.Data), tt.wantData) {
				t.Errorf("data %s lacks %s", r.Data, tt.wantData)
			}
			if n := len(env.Upstream.Calls()); n != tt.wantCalls {
				t.Errorf("calls = %d, want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestRateLimited(t *testing.T) {
	t.Parallel()
	// Circle asks for 60 s: more than the gateway waits out itself.
	env := testenv.New(t, testenv.Options{Upstream: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"message":"Too many requests"}`))
	})})
	r := env.Do(t, testjwt.Member(t, 101), `{ spaces { id } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "RATE_LIMITED" {
		t.Fatalf("errors %+v", r.Errors)
	}
	if secs, _ := r.Errors[0].Extensions["retryAfterSeconds"].(float64); secs != 60 {
		t.Fatalf("retryAfterSeconds = %v", r.Errors[0].Extensions["retryAfterSeconds"])
	}
	if n := len(env.Upstream.Calls()); n != 1 {
		t.Fatalf("calls = %d, want 1", n)
	}
}

// A hung upstream fails the call by its timeout and the operation answers:
// Circle holds the call until the gateway gives up on it (a gate that never
// opens), so only the timeout can end it.
func TestUpstreamTimeout(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{ClientOptions: []circle.Option{circle.WithTimeout(100 * time.Millisecond), circle.WithMaxRetries(0)}})
	tok := env.DemoToken(t)
	env.Upstream.SetGate(testenv.Unanswered())
	r := env.Do(t, tok, `{ me { id } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "UPSTREAM_UNAVAILABLE" {
		t.Fatalf("errors %+v", r.Errors)
	}
}

// The gateway sends Circle's documented query parameters and nothing that
// would let a client smuggle parameters in through arguments.
func TestArgumentsAreEncoded(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	r := env.Do(t, env.DemoToken(t), `{ members(search: "a&space_id=17&per_page=1000") { totalCount } }`, nil)
	mustNoErrors(t, r)
	calls := env.Upstream.Calls()
	if len(calls) != 1 || strings.Contains(calls[0].Query, "space_id=17") || strings.Contains(calls[0].Query, "per_page=1000") {
		t.Fatalf("calls %+v", calls)
	}
}

// Panics in the process never take it down: an unknown panic becomes
// INTERNAL_SERVER_ERROR and the next request is served.
func TestInternalErrorHasRequestID(t *testing.T) {
	t.Parallel()
	// A body that is not what Circle documents: decoding fails.
	env := testenv.New(t, testenv.Options{Upstream: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"id": "not a number"}`))
	})})
	tok := testjwt.Member(t, 101)
	r := env.DoWith(t, http.Header{"Authorization": {"Bearer " + tok}, "X-Request-Id": {"req-abc-123"}}, `{ me { id } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "INTERNAL_SERVER_ERROR" || r.Errors[0].Extensions["requestId"] != "req-abc-123" {
		t.Fatalf("errors %+v", r.Errors)
	}
	if r.Errors[0].Message != "internal server error" {
		t.Fatalf("message %q leaks details", r.Errors[0].Message)
	}
	if r.Header.Get("X-Request-Id") != "req-abc-123" {
		t.Fatalf("X-Request-Id = %q", r.Header.Get("X-Request-Id"))
	}
	if !strings.Contains(env.Logs.String(), "req-abc-123") {
		t.Fatal("the internal error was not logged with its request id")
	}
}

// The client-side limiter (CIRCLE_RATE_LIMIT) refuses a call whose wait
// would exceed its bound: RATE_LIMITED with retryAfterSeconds, and the call
// never reaches Circle.
func TestClientSideRateLimit(t *testing.T) {
	t.Parallel()
	lim := budget.NewLocal(budget.RateLimit{Calls: 1, Window: time.Hour}, budget.DefaultShares, 100*time.Millisecond) // one call an hour
	env := testenv.New(t, testenv.Options{ClientOptions: []circle.Option{circle.WithLimiter(lim)}})
	tok := env.DemoToken(t)
	mustNoErrors(t, env.Do(t, tok, `{ me { id } }`, nil))
	r := env.Do(t, tok, `{ spaces { id } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "RATE_LIMITED" {
		t.Fatalf("errors %+v", r.Errors)
	}
	if secs, _ := r.Errors[0].Extensions["retryAfterSeconds"].(float64); secs < 60 {
		t.Fatalf("retryAfterSeconds = %v", r.Errors[0].Extensions["retryAfterSeconds"])
	}
	if n := len(env.Upstream.Calls()); n != 1 {
		t.Fatalf("calls = %d, want 1: the refused call must not reach Circle", n)
	}
}
