package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
)

// authCalls lists the Auth API calls the upstream received, as "METHOD
// path".
func authCalls(env *testenv.Env) []string {
	var out []string
	for _, c := range env.Upstream.Calls() {
		out = append(out, c.Method+" "+c.Path)
	}
	return out
}

// When Circle refuses the gateway's app token, members are not told to
// sign in again: the Auth mutations answer UPSTREAM_UNAVAILABLE saying it
// is the gateway's configuration, and the operator's log says what to fix.
// On the refresh-token endpoints, whose 401 may also be the member's
// expired refresh token, the gateway asks Circle once what it thinks of the
// app token (an empty revocation), then remembers.
func TestAppTokenRefused(t *testing.T) {
	t.Parallel()
	const refresh = "jaebyVK59l5xxAx1D4pM8H-wYyFA6gMC12RGYZcy44w"
	wrong := func(t *testing.T) *testenv.Env {
		return authEnv(t, testenv.Options{ClientOptions: []circle.Option{circle.WithAppToken("not-the-community-app-token")}})
	}
	mustRefused := func(t *testing.T, env *testenv.Env, r testenv.Response) {
		t.Helper()
		e := mustCode(t, r, "UPSTREAM_UNAVAILABLE")
		if !strings.Contains(e.Message, "app token") || strings.Contains(e.Message, "could not be authenticated") {
			t.Fatalf("message %q", e.Message)
		}
		if !strings.Contains(env.Logs.String(), "CIRCLE_HEADLESS_AUTH_TOKEN is fixed") {
			t.Fatalf("no operator log line:\n%s", env.Logs.String())
		}
	}

	t.Run("createMemberToken", func(t *testing.T) {
		t.Parallel()
		env := wrong(t)
		r := env.DoWith(t, withServiceKey(serviceKey), createTokenMutation, map[string]any{"id": map[string]any{"ssoUserId": "demo-user"}})
		mustRefused(t, env, r)
		if calls := authCalls(env); len(calls) != 1 || calls[0] != "POST /auth_token" {
			t.Fatalf("calls %v", calls)
		}
	})
	t.Run("refreshAccessToken asks once, then knows", func(t *testing.T) {
		t.Parallel()
		env := wrong(t)
		mustRefused(t, env, env.DoWith(t, nil, refreshMutation, map[string]any{"r": refresh}))
		if calls := authCalls(env); len(calls) != 2 || calls[0] != "PATCH /access_token/refresh" || calls[1] != "POST /access_token/revoke" {
			t.Fatalf("calls %v, want the refresh and one question about the app token", calls)
		}
		env.Upstream.Reset()
		mustRefused(t, env, env.DoWith(t, nil, refreshMutation, map[string]any{"r": refresh}))
		if calls := authCalls(env); len(calls) != 1 {
			t.Fatalf("calls %v, want the refresh alone", calls)
		}
	})
	t.Run("an expired refresh token stays the member's", func(t *testing.T) {
		t.Parallel()
		env := authEnv(t, testenv.Options{})
		env.Upstream.SetFault(failPath("/access_token/refresh", http.StatusUnauthorized, `{"success":false,"message":"The refresh token is expired. Please generate/get new auth token.","error_details":{}}`))
		for i, want := range []int{2, 1} {
			env.Upstream.Reset()
			e := mustCode(t, env.DoWith(t, nil, refreshMutation, map[string]any{"r": refresh}), "UNAUTHENTICATED")
			if !strings.HasPrefix(e.Message, "The refresh token is expired") {
				t.Fatalf("message %q", e.Message)
			}
			if calls := authCalls(env); len(calls) != want {
				t.Fatalf("refresh %d: calls %v, want %d", i, calls, want)
			}
		}
		if strings.Contains(env.Logs.String(), "CIRCLE_HEADLESS_AUTH_TOKEN is fixed") {
			t.Fatal("an expired refresh token was logged as the app token's fault")
		}
	})
}
