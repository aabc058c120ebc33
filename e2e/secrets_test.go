package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/internal/testjwt"
)

// captured is one HTTP exchange with the gateway, as the client saw it.
type captured struct {
	name string
	text string // status line, headers and body
}

// secretsRun drives one gateway through the auth suite, keeping every
// response and which response issued which token.
type secretsRun struct {
	t         *testing.T
	env       *testenv.Env
	responses []captured
	// issuedBy maps each member access or refresh token to the index of the
	// response that issued it: the only response it may appear in.
	issuedBy map[string]int
	// idTokens are the identity tokens sent: they appear in no response.
	idTokens []string
}

// do posts an operation and keeps the raw response.
func (s *secretsRun) do(name string, headers http.Header, query string, vars map[string]any) map[string]any {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(s.t.Context(), http.MethodPost, s.env.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var hdr bytes.Buffer
	_ = resp.Header.Write(&hdr)
	s.responses = append(s.responses, captured{name: name, text: resp.Status + "\n" + hdr.String() + "\n" + string(raw)})
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		s.t.Fatalf("%s: not JSON: %s", name, raw)
	}
	return out
}

// issued records the tokens in data.<field> as issued by the last response.
func (s *secretsRun) issued(out map[string]any, field string) (access, refresh string) {
	s.t.Helper()
	data, _ := out["data"].(map[string]any)
	p, _ := data[field].(map[string]any)
	access, _ = p["accessToken"].(string)
	refresh, _ = p["refreshToken"].(string)
	if access == "" {
		s.t.Fatalf("%s issued no token: %v", field, out)
	}
	for _, tok := range []string{access, refresh} {
		if tok != "" {
			s.issuedBy[tok] = len(s.responses) - 1
		}
	}
	return access, refresh
}

func (s *secretsRun) idToken(claims jwt.MapClaims, key []byte) string {
	tok := testjwt.Sign(s.t, jwt.SigningMethodHS256, key, claims, nil)
	s.idTokens = append(s.idTokens, tok)
	return tok
}

// Secrets (app token, service key, id-token secret, id tokens, member access
// and refresh tokens) never appear in the gateway's logs, metrics, error
// messages or responses — except tokens in the one payload that issues
// them. The whole auth suite runs against one gateway, successes and
// failures (refusals, Circle's errors with details, calls never
// answered, internal errors), then everything captured is scanned.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	env := authEnv(t, testenv.Options{})
	s := &secretsRun{t: t, env: env, issuedBy: map[string]int{}}
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

	// Sign in, with good and bad identity tokens.
	access, refresh := s.issued(s.do("signIn", nil, signInMutation, map[string]any{"t": s.idToken(idClaims(), []byte(idSecret))}), "signIn")
	s.do("signIn expired", nil, signInMutation, map[string]any{"t": s.idToken(idClaims(setClaim("exp", time.Now().Add(-time.Hour).Unix())), []byte(idSecret))})
	s.do("signIn wrong key", nil, signInMutation, map[string]any{"t": s.idToken(idClaims(), []byte("wrong-secret-wrong-secret-wrong-secret"))})
	s.do("signIn wrong aud", nil, signInMutation, map[string]any{"t": s.idToken(idClaims(setClaim("aud", "x")), []byte(idSecret))})
	s.do("signIn unknown member", nil, signInMutation, map[string]any{"t": s.idToken(idClaims(setClaim("sub", "nobody")), []byte(idSecret))})

	// Service tokens, with the right and wrong keys.
	svcAccess, svcRefresh := s.issued(s.do("createMemberToken", withServiceKey(serviceKey), createTokenMutation, map[string]any{"id": map[string]any{"email": "demo@example.com"}}), "createMemberToken")
	s.do("createMemberToken wrong key", withServiceKey(serviceKey+"0"), createTokenMutation, map[string]any{"id": map[string]any{"ssoUserId": "demo-user"}})
	s.do("createMemberToken key as bearer", bearer(serviceKey), createTokenMutation, map[string]any{"id": map[string]any{"ssoUserId": "demo-user"}})
	s.do("createMemberToken bad input", withServiceKey(serviceKey), createTokenMutation, map[string]any{"id": map[string]any{"memberId": "x"}})

	// Use, refresh, and fail to refresh.
	s.do("me", bearer(access), `{ me { id name } }`, nil)
	fresh, _ := s.issued(s.do("refresh", nil, refreshMutation, map[string]any{"r": refresh}), "refreshAccessToken")
	s.do("me fresh", bearer(fresh), `{ me { id } homeFeed(first: 2) { nodes { title } } }`, nil)
	s.do("refresh unknown", nil, refreshMutation, map[string]any{"r": "unknown-refresh-token"})
	s.do("refresh malformed", nil, refreshMutation, map[string]any{"r": refresh + " x"})

	// Circle's errors with details naming the tokens, and an unreadable
	// success (an internal error, logged in full).
	env.Upstream.SetFault(failPath("/access_token/refresh", 422, `{"success":false,"message":"The access token generation failed. Please contact support.","error_details":{"message":"`+refresh+` `+env.AppToken+`"}}`))
	s.do("refresh 422 with details", nil, refreshMutation, map[string]any{"r": refresh})
	env.Upstream.SetFault(failPath("/auth_token", 401, `{"success":false,"message":"Your account could not be authenticated.","error_details":{"token":"`+env.AppToken+`"}}`))
	s.do("createMemberToken 401", withServiceKey(serviceKey), createTokenMutation, map[string]any{"id": map[string]any{"ssoUserId": "demo-user"}})
	env.Upstream.SetFault(failPath("/auth_token", 200, `{"access_token":"`+svcAccess+`","refresh_token":42}`))
	s.do("signIn unreadable answer", nil, signInMutation, map[string]any{"t": s.idToken(idClaims(), []byte(idSecret))})
	env.Upstream.SetFault(failPath("/access_token/revoke", 500, `{"message":"boom `+svcAccess+`"}`))
	s.do("revoke 500", bearer(svcAccess), revokeOwnMutation, nil)
	env.Upstream.SetFault(nil)
	// Circle takes the call and hangs up: no answer ever comes, and the
	// operation has ended, and logged, when do returns.
	env.Upstream.SetGate(testenv.Hangup())
	s.do("refresh unanswered", nil, refreshMutation, map[string]any{"r": svcRefresh})
	env.Upstream.SetGate(nil)

	// Sign out, twice.
	s.do("revoke own", bearer(fresh), revokeOwnMutation, nil)
	s.do("revoke argument", bearer(access), revokeAccessMutation, map[string]any{"a": svcAccess})
	s.do("revoke argument again", nil, revokeAccessMutation, map[string]any{"a": svcAccess})
	s.do("revoke refresh", nil, revokeRefreshMutaton, map[string]any{"r": refresh})
	s.do("revoke refresh again", nil, revokeRefreshMutaton, map[string]any{"r": refresh})
	s.do("me revoked", bearer(fresh), `{ me { id } }`, nil)

	// Metrics, after all of it.
	resp, err := http.Get(env.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	secrets := map[string]string{"app token": env.AppToken, "service key": serviceKey, "id-token secret": idSecret}
	for i, tok := range s.idTokens {
		secrets[fmt.Sprintf("id token %d", i)] = tok
	}
	logs := env.Logs.String()
	if !strings.Contains(logs, "graphql") {
		t.Fatalf("nothing was logged; the scan would prove nothing:\n%s", logs)
	}
	scan := func(where, text string, skipIssuedBy int) {
		for name, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("%s contains the %s", where, name)
			}
		}
		for tok, by := range s.issuedBy {
			if by != skipIssuedBy && strings.Contains(text, tok) {
				t.Errorf("%s contains a member token issued by %q", where, s.responses[by].name)
			}
		}
	}
	scan("the log", logs, -1)
	scan("/metrics", string(metrics), -1)
	for i, r := range s.responses {
		scan(fmt.Sprintf("the response to %q", r.name), r.text, i)
	}

	// Where the tokens travelled upstream: the app token only to the Auth
	// API, member tokens only to the Member API.
	for _, c := range env.Upstream.Calls() {
		isAuthAPI := c.Path == "/auth_token" || strings.HasPrefix(c.Path, "/access_token/") || strings.HasPrefix(c.Path, "/refresh_token/")
		if isAuthAPI != (c.Authorization == "Bearer "+env.AppToken) {
			t.Errorf("%s %s carried the wrong credential", c.Method, c.Path)
		}
	}
}
