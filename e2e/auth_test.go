package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/circle-gateway/gateway/auth"
	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/idtoken"
	"github.com/circle-gateway/gateway/internal/allocs"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/internal/testjwt"
	"github.com/circle-gateway/gateway/transport"
)

// Secrets of the auth tests' gateways.
const (
	idSecret   = "e2e-id-token-secret-at-least-32-bytes"
	serviceKey = "e2e-service-key-0123456789abcdef"
	idIssuer   = "https://idp.example"
	idAudience = "circle-gateway"
)

// The auth mutations, as clients send them.
const (
	signInMutation = `mutation($t: String!) { signIn(idToken: $t) {
		accessToken refreshToken accessTokenExpiresAt refreshTokenExpiresAt memberId communityId } }`
	createTokenMutation = `mutation($id: MemberIdentityInput!) { createMemberToken(identity: $id) {
		accessToken refreshToken accessTokenExpiresAt refreshTokenExpiresAt memberId communityId } }`
	refreshMutation      = `mutation($r: String!) { refreshAccessToken(refreshToken: $r) { accessToken accessTokenExpiresAt } }`
	revokeOwnMutation    = `mutation { revokeAccessToken }`
	revokeAccessMutation = `mutation($a: String) { revokeAccessToken(accessToken: $a) }`
	revokeRefreshMutaton = `mutation($r: String!) { revokeRefreshToken(refreshToken: $r) }`
)

// authPayload is AuthPayload as decoded from a response.
type authPayload struct {
	AccessToken, RefreshToken                   string
	AccessTokenExpiresAt, RefreshTokenExpiresAt time.Time
	MemberID, CommunityID                       string
}

// hsVerifier verifies identity tokens signed with idSecret, naming members
// by the given claim.
func hsVerifier(t testing.TB, claim idtoken.Claim) *idtoken.Verifier {
	t.Helper()
	v, err := idtoken.New(t.Context(), idtoken.Config{HS256Secret: []byte(idSecret), Issuer: idIssuer, Audience: idAudience, IdentityClaim: claim})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// authEnv is a gateway over the sandbox with signIn (HS256, identity by
// sub) and createMemberToken (serviceKey) enabled.
func authEnv(t testing.TB, o testenv.Options) *testenv.Env {
	t.Helper()
	if o.Transport.ServiceKey == "" {
		o.Transport.ServiceKey = serviceKey
	}
	if o.Transport.IDTokens == nil {
		o.Transport.IDTokens = hsVerifier(t, idtoken.ClaimSub)
	}
	return testenv.New(t, o)
}

// idClaims are valid identity token claims for the sandbox's demo member,
// changed by edits.
func idClaims(edits ...func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{"sub": "demo-user", "email": "demo@example.com", "email_verified": true, "iss": idIssuer, "aud": idAudience,
		"iat": time.Now().Unix(), "exp": time.Now().Add(10 * time.Minute).Unix()}
	for _, e := range edits {
		e(c)
	}
	return c
}

func setClaim(name string, v any) func(jwt.MapClaims) { return func(c jwt.MapClaims) { c[name] = v } }
func dropClaim(name string) func(jwt.MapClaims)       { return func(c jwt.MapClaims) { delete(c, name) } }

func hsID(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	return testjwt.Sign(t, jwt.SigningMethodHS256, []byte(idSecret), claims, nil)
}

// withServiceKey is a header set carrying key in X-Service-Key.
func withServiceKey(key string) http.Header {
	h := http.Header{}
	if key != "" {
		h.Set("X-Service-Key", key)
	}
	return h
}

func mustCode(t testing.TB, r testenv.Response, code string) testenv.GQLError {
	t.Helper()
	if len(r.Errors) != 1 || r.Errors[0].Code() != code {
		t.Fatalf("status %d errors %+v, want one %s", r.Status, r.Errors, code)
	}
	return r.Errors[0]
}

func mustNoCalls(t testing.TB, env *testenv.Env) {
	t.Helper()
	if calls := env.Upstream.Calls(); len(calls) != 0 {
		t.Fatalf("%d upstream calls, want none: %+v", len(calls), calls)
	}
}

// mustAuthCall checks the upstream saw exactly one call, to the Auth API
// path given, carrying the app token.
func mustAuthCall(t testing.TB, env *testenv.Env, method, path string) {
	t.Helper()
	calls := env.Upstream.Calls()
	if len(calls) != 1 || calls[0].Method != method || calls[0].Path != path {
		t.Fatalf("upstream calls %+v, want one %s %s", calls, method, path)
	}
	if calls[0].Authorization != "Bearer "+env.AppToken {
		t.Fatalf("the Auth API call did not carry the app token")
	}
}

func decodeSignIn(t *testing.T, r testenv.Response, field string) authPayload {
	t.Helper()
	mustNoErrors(t, r)
	var out map[string]authPayload
	r.Decode(t, &out)
	p := out[field]
	if p.AccessToken == "" || p.RefreshToken == "" {
		t.Fatalf("%s answered %s", field, r.Data)
	}
	return p
}

func meID(t *testing.T, env *testenv.Env, token string) testenv.Response {
	t.Helper()
	return env.Do(t, token, `{ me { id name } }`, nil)
}

// The whole member session against the sandbox: sign in with the app's
// identity token, query, refresh, sign out; after sign-out neither token
// works. Each Auth API call is one upstream call carrying the app token,
// and member queries carry the member token, never the app token.
func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	env := authEnv(t, testenv.Options{})
	demo := fmt.Sprint(env.Sandbox.DemoMemberID())

	// 1. Sign in.
	start := time.Now()
	r := env.Do(t, "", signInMutation, map[string]any{"t": hsID(t, idClaims())})
	tok := decodeSignIn(t, r, "signIn")
	mustAuthCall(t, env, http.MethodPost, "/auth_token")
	if tok.MemberID != demo || tok.CommunityID == "" {
		t.Fatalf("signed in as member %s of community %s, want %s", tok.MemberID, tok.CommunityID, demo)
	}
	if d := tok.AccessTokenExpiresAt.Sub(start); d < 55*time.Minute || d > 61*time.Minute {
		t.Fatalf("access token valid for %s, want about 1h", d)
	}
	if d := tok.RefreshTokenExpiresAt.Sub(start); d < 27*24*time.Hour || d > 32*24*time.Hour {
		t.Fatalf("refresh token valid for %s, want about a month", d)
	}

	// 2. First query with the new token.
	env.Upstream.Reset()
	r = meID(t, env, tok.AccessToken)
	mustNoErrors(t, r)
	if !strings.Contains(string(r.Data), `"id":"`+demo+`"`) {
		t.Fatalf("me = %s", r.Data)
	}
	if calls := env.Upstream.Calls(); len(calls) != 1 || calls[0].Authorization != "Bearer "+tok.AccessToken {
		t.Fatalf("the member query did not carry the member token: %+v", calls)
	}

	// 3. Refresh.
	env.Upstream.Reset()
	r = env.Do(t, "", refreshMutation, map[string]any{"r": tok.RefreshToken})
	mustNoErrors(t, r)
	var refreshed struct {
		RefreshAccessToken struct {
			AccessToken          string
			AccessTokenExpiresAt time.Time
		}
	}
	r.Decode(t, &refreshed)
	fresh := refreshed.RefreshAccessToken.AccessToken
	if fresh == "" || fresh == tok.AccessToken || refreshed.RefreshAccessToken.AccessTokenExpiresAt.Before(start.Add(55*time.Minute)) {
		t.Fatalf("refresh answered %s", r.Data)
	}
	mustAuthCall(t, env, http.MethodPatch, "/access_token/refresh")
	mustNoErrors(t, meID(t, env, fresh))

	// 4. Sign out: revoke the request's own token, then the refresh token.
	env.Upstream.Reset()
	r = env.Do(t, fresh, revokeOwnMutation, nil)
	mustNoErrors(t, r)
	if string(r.Data) != `{"revokeAccessToken":true}` {
		t.Fatalf("revokeAccessToken = %s", r.Data)
	}
	mustAuthCall(t, env, http.MethodPost, "/access_token/revoke")
	env.Upstream.Reset()
	r = env.Do(t, fresh, revokeRefreshMutaton, map[string]any{"r": tok.RefreshToken})
	mustNoErrors(t, r)
	mustAuthCall(t, env, http.MethodPost, "/refresh_token/revoke")

	// 5. The revoked token is refused on every member query; the other
	// access token still works (only the bearer was revoked); the refresh
	// token buys nothing more.
	for _, q := range []string{
		`{ me { id } }`, `{ spaces { id } }`, `{ space(id: "11") { id } }`, `{ homeFeed { nodes { id } } }`,
		`{ events { nodes { id } } }`, `{ member(id: "101") { id } }`, `{ members { nodes { id } } }`,
	} {
		mustOnlyCode(t, env.Do(t, fresh, q, nil), "UNAUTHENTICATED")
	}
	mustNoErrors(t, meID(t, env, tok.AccessToken))
	env.Upstream.Reset()
	mustCode(t, env.Do(t, "", refreshMutation, map[string]any{"r": tok.RefreshToken}), "NOT_FOUND")
	mustAuthCall(t, env, http.MethodPatch, "/access_token/refresh")
}

// authDouble is a Circle Auth API stand-in that records every call with its
// body and answers with headless-auth-v1.yaml's success examples.
type authDouble struct {
	mu    sync.Mutex
	calls []doubleCall
}

type doubleCall struct {
	Method, Path, Authorization string
	Body                        map[string]any
}

func (d *authDouble) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body)
	d.mu.Lock()
	d.calls = append(d.calls, doubleCall{Method: r.Method, Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), Body: body})
	d.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch r.Method + " " + r.URL.Path {
	case "POST /api/v1/headless/auth_token":
		_, _ = io.WriteString(w, `{"access_token":"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3MDg1NDE1MTB9.sig","refresh_token":"jaebyVK59l5xxAx1D4pM8H-wYyFA6gMC12RGYZcy44w",`+
			`"access_token_expires_at":"2022-01-01T00:00:00.000Z","refresh_token_expires_at":"2022-02-01T00:00:00.000Z","community_member_id":7,"community_id":3}`)
	case "PATCH /api/v1/headless/access_token/refresh":
		_, _ = io.WriteString(w, `{"access_token":"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3MDg2MDc4MTJ9.sig2","access_token_expires_at":"2022-01-01T00:00:00.000Z"}`)
	case "POST /api/v1/headless/access_token/revoke", "POST /api/v1/headless/refresh_token/revoke":
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"success":false,"message":"Not found","error_details":{}}`)
	}
}

func (d *authDouble) Calls() []doubleCall {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]doubleCall(nil), d.calls...)
}

// What the gateway sends Circle's Auth API, checked on a recording double:
// the exact path, method, app token and JSON body of each mutation, and the
// payload mapped from Circle's answer.
func TestAuthAPIRequestsOnRecordingUpstream(t *testing.T) {
	t.Parallel()
	sub := hsVerifier(t, idtoken.ClaimSub)
	email := hsVerifier(t, idtoken.ClaimEmail)
	member := testjwt.Member(t, 7)
	tests := []struct {
		name     string
		verifier *idtoken.Verifier
		headers  http.Header
		query    string
		vars     map[string]any
		want     doubleCall
		wantData string
	}{
		{"signIn by sub", sub, nil, signInMutation, map[string]any{"t": hsID(t, idClaims())},
			doubleCall{Method: "POST", Path: "/api/v1/headless/auth_token", Body: map[string]any{"sso_user_id": "demo-user"}},
			`"memberId":"7","communityId":"3"`},
		{"signIn by email", email, nil, signInMutation, map[string]any{"t": hsID(t, idClaims())},
			doubleCall{Method: "POST", Path: "/api/v1/headless/auth_token", Body: map[string]any{"email": "demo@example.com"}},
			`"accessTokenExpiresAt":"2022-01-01T00:00:00Z","refreshTokenExpiresAt":"2022-02-01T00:00:00Z"`},
		{"createMemberToken by member id", sub, withServiceKey(serviceKey), createTokenMutation, map[string]any{"id": map[string]any{"memberId": "7"}},
			doubleCall{Method: "POST", Path: "/api/v1/headless/auth_token", Body: map[string]any{"community_member_id": float64(7)}},
			`"refreshToken":"jaebyVK59l5xxAx1D4pM8H-wYyFA6gMC12RGYZcy44w"`},
		{"createMemberToken by email, blanks left out", sub, withServiceKey(serviceKey), createTokenMutation,
			map[string]any{"id": map[string]any{"ssoUserId": " ", "memberId": "", "email": " a@example.com "}},
			doubleCall{Method: "POST", Path: "/api/v1/headless/auth_token", Body: map[string]any{"email": "a@example.com"}},
			`"memberId":"7"`},
		{"refreshAccessToken", sub, nil, refreshMutation, map[string]any{"r": "jaebyVK59l5xxAx1D4pM8H-wYyFA6gMC12RGYZcy44w"},
			doubleCall{Method: "PATCH", Path: "/api/v1/headless/access_token/refresh", Body: map[string]any{"refresh_token": "jaebyVK59l5xxAx1D4pM8H-wYyFA6gMC12RGYZcy44w"}},
			`"accessTokenExpiresAt":"2022-01-01T00:00:00Z"`},
		{"revokeAccessToken of the bearer", sub, http.Header{"Authorization": {"Bearer " + member}}, revokeOwnMutation, nil,
			doubleCall{Method: "POST", Path: "/api/v1/headless/access_token/revoke", Body: map[string]any{"access_token": member}},
			`"revokeAccessToken":true`},
		{"revokeAccessToken of an argument", sub, nil, revokeAccessMutation, map[string]any{"a": member},
			doubleCall{Method: "POST", Path: "/api/v1/headless/access_token/revoke", Body: map[string]any{"access_token": member}},
			`"revokeAccessToken":true`},
		{"revokeRefreshToken", sub, nil, revokeRefreshMutaton, map[string]any{"r": "r-1"},
			doubleCall{Method: "POST", Path: "/api/v1/headless/refresh_token/revoke", Body: map[string]any{"refresh_token": "r-1"}},
			`"revokeRefreshToken":true`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			double := &authDouble{}
			env := testenv.New(t, testenv.Options{Upstream: double, Transport: transport.Options{ServiceKey: serviceKey, IDTokens: tt.verifier}})
			r := env.DoWith(t, tt.headers, tt.query, tt.vars)
			mustNoErrors(t, r)
			if !strings.Contains(string(r.Data), tt.wantData) {
				t.Fatalf("data %s lacks %s", r.Data, tt.wantData)
			}
			calls := double.Calls()
			if len(calls) != 1 {
				t.Fatalf("%d upstream calls, want 1: %+v", len(calls), calls)
			}
			got := calls[0]
			if got.Method != tt.want.Method || got.Path != tt.want.Path || got.Authorization != "Bearer test-app-token" {
				t.Fatalf("call %s %s (auth %q), want %s %s with the app token", got.Method, got.Path, got.Authorization, tt.want.Method, tt.want.Path)
			}
			if fmt.Sprint(got.Body) != fmt.Sprint(tt.want.Body) {
				t.Fatalf("body %v, want %v", got.Body, tt.want.Body)
			}
		})
	}
}

// Hostile or invalid identity tokens are refused with UNAUTHENTICATED,
// quickly, and never reach the Auth API.
func TestSignInRefusesBadIdentityTokens(t *testing.T) {
	t.Parallel()
	rsaKey, _ := rsaKeys()
	pubPEM := publicPEM(t, &rsaKey.PublicKey)
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, idClaims()).SignedString(jwt.UnsafeAllowNoneSignatureType)

	// The RSA-keyed gateway, for the HS/RS confusion attack.
	rsVerifier, err := idtoken.New(t.Context(), idtoken.Config{PublicKeyPEM: pubPEM, Issuer: idIssuer, Audience: idAudience})
	if err != nil {
		t.Fatal(err)
	}
	hsEnv := authEnv(t, testenv.Options{})
	rsEnv := authEnv(t, testenv.Options{Transport: transport.Options{IDTokens: rsVerifier}})
	emailEnv := authEnv(t, testenv.Options{Transport: transport.Options{IDTokens: hsVerifier(t, idtoken.ClaimEmail)}})

	tests := []struct {
		name  string
		env   *testenv.Env
		token string
		want  string
	}{
		{"alg none", hsEnv, none, "algorithm"},
		{"alg none on the RSA gateway", rsEnv, none, "algorithm"},
		{"HS256 signed with the RSA public key", rsEnv, testjwt.Sign(t, jwt.SigningMethodHS256, pubPEM, idClaims(), nil), "algorithm"},
		{"RS256 on the HS256 gateway", hsEnv, testjwt.Sign(t, jwt.SigningMethodRS256, rsaKey, idClaims(), nil), "algorithm"},
		{"wrong secret", hsEnv, testjwt.Sign(t, jwt.SigningMethodHS256, []byte("some-other-secret-of-32-bytes-or-more"), idClaims(), nil), "signature"},
		{"expired", hsEnv, hsID(t, idClaims(setClaim("exp", time.Now().Add(-time.Minute).Unix()))), "expired"},
		{"not yet valid", hsEnv, hsID(t, idClaims(setClaim("nbf", time.Now().Add(time.Minute).Unix()))), "not valid yet"},
		{"missing exp", hsEnv, hsID(t, idClaims(dropClaim("exp"))), "required claim"},
		{"wrong iss", hsEnv, hsID(t, idClaims(setClaim("iss", "https://evil.example"))), "issuer"},
		{"wrong aud", hsEnv, hsID(t, idClaims(setClaim("aud", "another-app"))), "audience"},
		{"no sub", hsEnv, hsID(t, idClaims(dropClaim("sub"))), "sub"},
		{"email not verified", emailEnv, hsID(t, idClaims(setClaim("email_verified", false))), "not verified"},
		{"1 MB of dots", hsEnv, strings.Repeat(".", 1<<20), "larger than"},
		{"oversized header", hsEnv, base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","pad":"`+strings.Repeat("x", 8000)+`"}`)) + ".e30.sig", "header"},
		{"garbage", hsEnv, "hello", "not a JWT"},
		{"empty", hsEnv, "", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: the upstream call count is per env.
			tt.env.Upstream.Reset()
			r := tt.env.Do(t, "", signInMutation, map[string]any{"t": tt.token})
			e := mustCode(t, r, "UNAUTHENTICATED")
			if string(r.Data) != "null" {
				t.Fatalf("data %s, want null", r.Data)
			}
			if !strings.Contains(e.Message, tt.want) || !strings.HasPrefix(e.Message, "invalid identity token") {
				t.Fatalf("message %q, want one about %q", e.Message, tt.want)
			}
			if len(tt.token) > 10 && strings.Contains(e.Message, tt.token[:10]) {
				t.Fatalf("the message quotes the token: %q", e.Message)
			}
			mustNoCalls(t, tt.env)
		})
	}
}

// signIn with an RS256 PEM key and with a JWKS endpoint, as with real
// identity providers.
func TestSignInWithPublicKeys(t *testing.T) {
	t.Parallel()
	rsaKey, other := rsaKeys()
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecRaw, err := ecKey.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]any{
		{"kty": "RSA", "kid": "r1", "alg": "RS256", "use": "sig", "n": b64(rsaKey.N.Bytes()), "e": b64(big.NewInt(int64(rsaKey.E)).Bytes())},
		{"kty": "EC", "kid": "e1", "crv": "P-256", "use": "sig", "x": b64(ecRaw[1:33]), "y": b64(ecRaw[33:])},
	}})
	jwksSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	}))
	t.Cleanup(jwksSrv.Close)
	pemV, err := idtoken.New(t.Context(), idtoken.Config{PublicKeyPEM: publicPEM(t, &rsaKey.PublicKey), Issuer: idIssuer, Audience: idAudience})
	if err != nil {
		t.Fatal(err)
	}
	jwksV, err := idtoken.New(t.Context(), idtoken.Config{JWKSURL: jwksSrv.URL, Issuer: idIssuer, Audience: idAudience})
	if err != nil {
		t.Fatal(err)
	}
	pemEnv := authEnv(t, testenv.Options{Transport: transport.Options{IDTokens: pemV}})
	jwksEnv := authEnv(t, testenv.Options{Transport: transport.Options{IDTokens: jwksV}})
	tests := []struct {
		name  string
		env   *testenv.Env
		token string
		ok    bool
	}{
		{"PEM RS256", pemEnv, testjwt.Sign(t, jwt.SigningMethodRS256, rsaKey, idClaims(), nil), true},
		{"PEM, another key", pemEnv, testjwt.Sign(t, jwt.SigningMethodRS256, other, idClaims(), nil), false},
		{"PEM, HS256 with the public key", pemEnv, testjwt.Sign(t, jwt.SigningMethodHS256, publicPEM(t, &rsaKey.PublicKey), idClaims(), nil), false},
		{"JWKS RS256 by kid", jwksEnv, testjwt.Sign(t, jwt.SigningMethodRS256, rsaKey, idClaims(), map[string]any{"kid": "r1"}), true},
		{"JWKS ES256 by kid", jwksEnv, testjwt.Sign(t, jwt.SigningMethodES256, ecKey, idClaims(), map[string]any{"kid": "e1"}), true},
		{"JWKS, another key with our kid", jwksEnv, testjwt.Sign(t, jwt.SigningMethodRS256, other, idClaims(), map[string]any{"kid": "r1"}), false},
		{"JWKS, HS256 with the public key", jwksEnv, testjwt.Sign(t, jwt.SigningMethodHS256, publicPEM(t, &rsaKey.PublicKey), idClaims(), map[string]any{"kid": "r1"}), false},
		{"JWKS, expired", jwksEnv, testjwt.Sign(t, jwt.SigningMethodRS256, rsaKey, idClaims(setClaim("exp", time.Now().Add(-time.Hour).Unix())), map[string]any{"kid": "r1"}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env.Upstream.Reset()
			r := tt.env.Do(t, "", signInMutation, map[string]any{"t": tt.token})
			if !tt.ok {
				mustCode(t, r, "UNAUTHENTICATED")
				mustNoCalls(t, tt.env)
				return
			}
			p := decodeSignIn(t, r, "signIn")
			if p.MemberID != fmt.Sprint(tt.env.Sandbox.DemoMemberID()) {
				t.Fatalf("member %s", p.MemberID)
			}
			mustAuthCall(t, tt.env, http.MethodPost, "/auth_token")
		})
	}
}

// rsaKeys are two RSA keys shared by the tests that need them: generating
// them is slow, and the CPU it takes would disturb the timing tests that run
// alongside.
var rsaKeys = sync.OnceValues(func() (*rsa.PrivateKey, *rsa.PrivateKey) {
	a, errA := rsa.GenerateKey(rand.Reader, 2048)
	b, errB := rsa.GenerateKey(rand.Reader, 2048)
	if errA != nil || errB != nil {
		panic(fmt.Sprint("rsa keys: ", errA, errB))
	}
	return a, b
})

func publicPEM(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// createMemberToken only with the exact service key; the identity is
// checked before any call.
func TestCreateMemberToken(t *testing.T) {
	t.Parallel()
	env := authEnv(t, testenv.Options{})
	demo := fmt.Sprint(env.Sandbox.DemoMemberID())
	tests := []struct {
		name     string
		key      string
		identity map[string]any
		code     string
		message  string
		member   string
		calls    int
	}{
		{"by sso_user_id", serviceKey, map[string]any{"ssoUserId": "demo-user"}, "", "", demo, 1},
		{"by email", serviceKey, map[string]any{"email": "demo@example.com"}, "", "", demo, 1},
		{"by member id", serviceKey, map[string]any{"memberId": demo}, "", "", demo, 1},
		{"no service key", "", map[string]any{"ssoUserId": "demo-user"}, "FORBIDDEN", "X-Service-Key", "", 0},
		{"wrong service key", "e2e-service-key-0123456789abcdeX", map[string]any{"ssoUserId": "demo-user"}, "FORBIDDEN", "X-Service-Key", "", 0},
		{"service key prefix", serviceKey[:10], map[string]any{"ssoUserId": "demo-user"}, "FORBIDDEN", "X-Service-Key", "", 0},
		{"service key plus more", serviceKey + "x", map[string]any{"ssoUserId": "demo-user"}, "FORBIDDEN", "X-Service-Key", "", 0},
		{"no identifier", serviceKey, map[string]any{}, "BAD_USER_INPUT", "identity needs one of", "", 0},
		{"blank identifiers", serviceKey, map[string]any{"ssoUserId": " ", "email": ""}, "BAD_USER_INPUT", "identity needs one of", "", 0},
		{"bad member id", serviceKey, map[string]any{"memberId": "abc"}, "BAD_USER_INPUT", "memberId", "", 0},
		// Circle's Auth API takes exactly one identifier (oneOf): two are
		// refused before any call rather than left to Circle to choose from.
		{"sso_user_id and email", serviceKey, map[string]any{"ssoUserId": "demo-user", "email": "demo@example.com"}, "BAD_USER_INPUT", "exactly one of", "", 0},
		{"member id and email", serviceKey, map[string]any{"memberId": demo, "email": "someone-else@example.com"}, "BAD_USER_INPUT", "exactly one of", "", 0},
		{"all three", serviceKey, map[string]any{"ssoUserId": "demo-user", "memberId": demo, "email": "demo@example.com"}, "BAD_USER_INPUT", "exactly one of", "", 0},
		{"one and blanks", serviceKey, map[string]any{"ssoUserId": "demo-user", "memberId": " ", "email": ""}, "", "", demo, 1},
		{"unknown member", serviceKey, map[string]any{"email": "nobody@example.com"}, "NOT_FOUND", "Community member not found", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.DoWith(t, withServiceKey(tt.key), createTokenMutation, map[string]any{"id": tt.identity})
			if tt.code == "" {
				p := decodeSignIn(t, r, "createMemberToken")
				if p.MemberID != tt.member {
					t.Fatalf("member %s, want %s", p.MemberID, tt.member)
				}
				mustNoErrors(t, meID(t, env, p.AccessToken))
			} else {
				e := mustCode(t, r, tt.code)
				if !strings.Contains(e.Message, tt.message) || strings.Contains(e.Message, serviceKey) {
					t.Fatalf("message %q, want one containing %q (and never the key)", e.Message, tt.message)
				}
			}
			authCalls := 0
			for _, c := range env.Upstream.Calls() {
				if c.Path == "/auth_token" {
					authCalls++
				}
			}
			if authCalls != tt.calls {
				t.Fatalf("%d Auth API calls, want %d", authCalls, tt.calls)
			}
		})
	}
}

// Features that are not configured answer FORBIDDEN naming the setting,
// and make no upstream call.
func TestAuthMutationsNotConfigured(t *testing.T) {
	t.Parallel()
	noApp := authEnv(t, testenv.Options{NoAppToken: true})
	member := noApp.DemoToken(t)
	bare := testenv.New(t, testenv.Options{}) // app token, but no service key or id-token key
	tests := []struct {
		name    string
		env     *testenv.Env
		headers http.Header
		query   string
		vars    map[string]any
		setting string
	}{
		{"signIn without app token", noApp, nil, signInMutation, map[string]any{"t": hsID(t, idClaims())}, "CIRCLE_HEADLESS_AUTH_TOKEN"},
		{"createMemberToken without app token", noApp, withServiceKey(serviceKey), createTokenMutation, map[string]any{"id": map[string]any{"ssoUserId": "demo-user"}}, "CIRCLE_HEADLESS_AUTH_TOKEN"},
		{"refreshAccessToken without app token", noApp, nil, refreshMutation, map[string]any{"r": "abc"}, "CIRCLE_HEADLESS_AUTH_TOKEN"},
		{"revokeAccessToken without app token", noApp, http.Header{"Authorization": {"Bearer " + member}}, revokeOwnMutation, nil, "CIRCLE_HEADLESS_AUTH_TOKEN"},
		{"revokeRefreshToken without app token", noApp, nil, revokeRefreshMutaton, map[string]any{"r": "abc"}, "CIRCLE_HEADLESS_AUTH_TOKEN"},
		{"signIn without an id-token key", bare, nil, signInMutation, map[string]any{"t": hsID(t, idClaims())}, "signIn is not configured"},
		{"createMemberToken without a service key", bare, withServiceKey(serviceKey), createTokenMutation, map[string]any{"id": map[string]any{"ssoUserId": "demo-user"}}, "GATEWAY_SERVICE_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env.Upstream.Reset()
			r := tt.env.DoWith(t, tt.headers, tt.query, tt.vars)
			if e := mustCode(t, r, "FORBIDDEN"); !strings.Contains(e.Message, tt.setting) {
				t.Fatalf("message %q does not name %s", e.Message, tt.setting)
			}
			mustNoCalls(t, tt.env)
		})
	}
	// Member reads are unaffected by a missing app token.
	noApp.Upstream.Reset()
	mustNoErrors(t, meID(t, noApp, member))
	for _, c := range noApp.Upstream.Calls() {
		if strings.Contains(c.Authorization, noApp.Sandbox.AppToken()) {
			t.Fatal("the app token reached the Member API")
		}
	}
}

// revokeAccessToken's argument and bearer rules, and what revocation does
// to later queries.
func TestRevokeAccessToken(t *testing.T) {
	t.Parallel()
	env := authEnv(t, testenv.Options{})
	expired, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"community_member_id": 101, "exp": time.Now().Add(-time.Minute).Unix()}).SignedString([]byte("k"))
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"community_member_id": 101}).SignedString([]byte("k"))

	refused := []struct {
		name    string
		bearer  string
		query   string
		vars    map[string]any
		code    string
		message string
	}{
		{"no argument, no bearer", "", revokeOwnMutation, nil, "UNAUTHENTICATED", "missing member access token"},
		{"no argument, expired bearer", expired, revokeOwnMutation, nil, "UNAUTHENTICATED", "expired"},
		{"no argument, bearer without exp", noExp, revokeOwnMutation, nil, "UNAUTHENTICATED", "malformed"},
		{"no argument, garbage bearer", "garbage", revokeOwnMutation, nil, "UNAUTHENTICATED", "malformed"},
		{"empty argument", "", revokeAccessMutation, map[string]any{"a": ""}, "BAD_USER_INPUT", "must not be empty"},
		{"expired argument", "", revokeAccessMutation, map[string]any{"a": expired}, "BAD_USER_INPUT", "expired"},
		{"argument without exp", "", revokeAccessMutation, map[string]any{"a": noExp}, "BAD_USER_INPUT", "not a Circle access token"},
		{"1 MB argument of dots", "", revokeAccessMutation, map[string]any{"a": strings.Repeat(".", 1<<20)}, "BAD_USER_INPUT", "not a Circle access token"},
		{"oversized argument", "", revokeAccessMutation, map[string]any{"a": "eyJhbGciOiJIUzI1NiJ9." + strings.Repeat("A", 8000) + ".sig"}, "BAD_USER_INPUT", "not a Circle access token"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			e := mustCode(t, env.Do(t, tt.bearer, tt.query, tt.vars), tt.code)
			if !strings.Contains(e.Message, tt.message) {
				t.Fatalf("message %q, want %q", e.Message, tt.message)
			}
			mustNoCalls(t, env)
		})
	}

	t.Run("argument revokes that token only", func(t *testing.T) {
		caller, victim := env.DemoToken(t), env.DemoToken(t)
		env.Upstream.Reset()
		r := env.Do(t, caller, revokeAccessMutation, map[string]any{"a": victim})
		mustNoErrors(t, r)
		mustAuthCall(t, env, http.MethodPost, "/access_token/revoke")
		mustCode(t, meID(t, env, victim), "UNAUTHENTICATED")
		mustNoErrors(t, meID(t, env, caller))

		// Revoking it again: Circle's 422 "not found" is BAD_USER_INPUT with
		// Circle's message.
		env.Upstream.Reset()
		e := mustCode(t, env.Do(t, "", revokeAccessMutation, map[string]any{"a": victim}), "BAD_USER_INPUT")
		if e.Message != "The access token not found." {
			t.Fatalf("message %q", e.Message)
		}
		mustAuthCall(t, env, http.MethodPost, "/access_token/revoke")
	})
}

// Hostile member bearer tokens on member queries: refused with
// UNAUTHENTICATED (or by HTTP itself) before any upstream call, however
// large.
func TestHostileBearerTokens(t *testing.T) {
	t.Parallel()
	env := authEnv(t, testenv.Options{})
	expired, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"community_member_id": 101, "exp": time.Now().Add(-time.Minute).Unix()}).SignedString([]byte("k"))
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"community_member_id": 101}).SignedString([]byte("k"))
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"community_member_id": 101, "exp": time.Now().Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	notYet, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"community_member_id": 101, "exp": time.Now().Add(time.Hour).Unix(), "nbf": time.Now().Add(10 * time.Minute).Unix()}).SignedString([]byte("k"))
	tokens := map[string]string{
		"expired":          expired,
		"missing exp":      noExp,
		"alg none":         none,
		"not yet valid":    notYet,
		"1 MB of dots":     strings.Repeat(".", 1<<20),
		"oversized header": base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","pad":"`+strings.Repeat("x", 8000)+`"}`)) + ".e30.sig",
		"garbage":          "abc",
	}
	for name, tok := range tokens {
		for _, q := range []string{`{ me { id } }`, `{ homeFeed { nodes { id } } }`, revokeOwnMutation} {
			t.Run(name+" "+q, func(t *testing.T) {
				env.Upstream.Reset()
				body, _ := json.Marshal(map[string]any{"query": q})
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, env.URL+"/graphql", strings.NewReader(string(body)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusRequestHeaderFieldsTooLarge {
					// net/http refused the header itself: fine too.
				} else if !strings.Contains(string(raw), `"UNAUTHENTICATED"`) {
					t.Fatalf("status %d: %s", resp.StatusCode, raw)
				}
				if len(tok) > 10 && strings.Contains(string(raw), tok[:10]) && !strings.HasPrefix(tok, ".") {
					t.Fatalf("the response echoes the token: %.300s", raw)
				}
				mustNoCalls(t, env)
			})
		}
	}

	// Signature attacks on signed tokens cannot be seen at the gateway,
	// which lacks Circle's key by design (docs/contract.md §3): a well-formed,
	// signed, unexpired token is forwarded unchanged and Circle refuses it;
	// the caller gets UNAUTHENTICATED after that one call. (Unsigned and
	// not-yet-valid tokens are refused above without a call.)
	rsaKey, _ := rsaKeys()
	claims := jwt.MapClaims{"community_id": 1, "community_member_id": 101, "exp": time.Now().Add(time.Hour).Unix(), "jti": "forged"}
	forged := map[string]string{
		"wrong key":                testjwt.Sign(t, jwt.SigningMethodHS256, []byte("not-the-sandbox-key"), claims, nil),
		"RS256 by someone":         testjwt.Sign(t, jwt.SigningMethodRS256, rsaKey, claims, nil),
		"HS256 with a public key":  testjwt.Sign(t, jwt.SigningMethodHS256, publicPEM(t, &rsaKey.PublicKey), claims, nil),
		"valid shape, wrong token": testjwt.Member(t, 101),
	}
	for name, tok := range forged {
		t.Run("forwarded "+name, func(t *testing.T) {
			env.Upstream.Reset()
			mustCode(t, env.Do(t, tok, `{ me { id } }`, nil), "UNAUTHENTICATED")
			if calls := env.Upstream.Calls(); len(calls) != 1 || calls[0].Authorization != "Bearer "+tok {
				t.Fatalf("calls %+v, want the one Member API call Circle refuses", calls)
			}
		})
	}
}

// Refusing a hostile member token costs no memory however large it is: its
// size is checked before anything is decoded, in auth.ParseBearer, the one
// parser of bearer headers and of revokeAccessToken's argument. (Over HTTP,
// net/http's MaxHeaderBytes bounds what is read at all.) What each refusal
// allocates shows that nothing of the token was decoded; how fast it is is
// a benchmark's business, not a test's. Not parallel: it measures the
// process's allocations.
func TestHostileBearerFlatMemory(t *testing.T) {
	for name, tok := range map[string]string{
		"1 MB of dots":     strings.Repeat(".", 1<<20),
		"oversized header": base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","pad":"`+strings.Repeat("x", 1<<20)+`"}`)) + ".e30.sig",
		"1 MB garbage":     strings.Repeat("a", 1<<20),
	} {
		header := "Bearer " + tok
		perCall := allocs.PerCall(func() {
			if _, err := auth.ParseBearer(header, time.Now()); err == nil {
				t.Fatalf("%s accepted", name)
			}
		})
		if perCall > 1024 {
			t.Errorf("%s: %d bytes allocated per refusal", name, perCall)
		}
	}
}

// Each documented Auth API error becomes its docs/contract.md §5 code with
// Circle's message and nothing of error_details; failures that may have
// reached Circle are never retried.
func TestAuthAPIErrorsMapped(t *testing.T) {
	t.Parallel()
	// attempts are the Auth API calls the gateway sent, as its client
	// reports them when each ends (before the operation answers).
	var attemptsMu sync.Mutex
	var attempts []circle.Call
	// Circle's answers are read with the default timeout, so that a loaded
	// machine cannot turn one into "no answer"; where Circle gives none,
	// it hangs up once it has the request, so that the gateway learns at
	// once, with no clock, that the call was sent and never answered.
	env := authEnv(t, testenv.Options{ClientOptions: []circle.Option{
		circle.WithObserver(func(_ context.Context, c circle.Call) {
			attemptsMu.Lock()
			defer attemptsMu.Unlock()
			attempts = append(attempts, c)
		})}})
	member := env.DemoToken(t)
	// appOnly: Circle's 401 there can only be about the gateway's app token
	// (a member's bad access token gets 422); on the refresh-token
	// endpoints it may be the member's expired refresh token, and is, as
	// Circle has taken the app token before in this run.
	mutations := []struct {
		name    string
		path    string
		headers http.Header
		query   string
		vars    map[string]any
		appOnly bool
	}{
		{"signIn", "/auth_token", nil, signInMutation, map[string]any{"t": hsID(t, idClaims())}, true},
		{"createMemberToken", "/auth_token", withServiceKey(serviceKey), createTokenMutation, map[string]any{"id": map[string]any{"ssoUserId": "demo-user"}}, true},
		{"refreshAccessToken", "/access_token/refresh", nil, refreshMutation, map[string]any{"r": "jaebyVK59l5xxAx1D4pM8H-wYyFA6gMC12RGYZcy44w"}, false},
		{"revokeAccessToken", "/access_token/revoke", http.Header{"Authorization": {"Bearer " + member}}, revokeOwnMutation, nil, true},
		{"revokeRefreshToken", "/refresh_token/revoke", nil, revokeRefreshMutaton, map[string]any{"r": "jaebyVK59l5xxAx1D4pM8H-wYyFA6gMC12RGYZcy44w"}, false},
	}
	failures := []struct {
		status  int
		body    string
		code    string
		message string
	}{
		{401, `{"success":false,"message":"Your account could not be authenticated.","error_details":{}}`, "UNAUTHENTICATED", "Your account could not be authenticated."},
		{401, `{"success":false,"message":"The refresh token is expired. Please generate/get new auth token.","error_details":{}}`, "UNAUTHENTICATED", "The refresh token is expired. Please generate/get new auth token."},
		{403, `{"success":false,"message":"Your community isn't eligible for headless API access. Please upgrade or contact support","error_details":{}}`, "FORBIDDEN", "Your community isn't eligible for headless API access. Please upgrade or contact support"},
		{404, `{"success":false,"message":"Refresh token not found.","error_details":{}}`, "NOT_FOUND", "Refresh token not found."},
		{404, `{"success":false,"message":"Oops! Missing parameter. Please try again later.","error_details":{"message":"Missing parameter: SECRET-DETAIL"}}`, "NOT_FOUND", "Oops! Missing parameter. Please try again later."},
		{422, `{"success":false,"message":"There was an error creating the token. Please contact support.","error_details":{"message":"SECRET-DETAIL Record invalid"}}`, "BAD_USER_INPUT", "There was an error creating the token. Please contact support."},
		{500, `{"message":"SECRET-DETAIL stack trace"}`, "UPSTREAM_UNAVAILABLE", "Circle is unavailable, try again later"},
		{503, `{"message":"SECRET-DETAIL"}`, "UPSTREAM_UNAVAILABLE", "Circle is unavailable, try again later"},
		{429, `{"message":"slow down"}`, "RATE_LIMITED", "Circle's rate limit was reached"},
	}
	for _, m := range mutations {
		for _, f := range failures {
			t.Run(fmt.Sprintf("%s/%d %s", m.name, f.status, f.message), func(t *testing.T) {
				env.Upstream.Reset()
				env.Upstream.SetFault(failPath(m.path, f.status, f.body))
				defer env.Upstream.SetFault(nil)
				r := env.DoWith(t, m.headers, m.query, m.vars)
				code, message := f.code, f.message
				if f.status == http.StatusUnauthorized && m.appOnly {
					code, message = "UPSTREAM_UNAVAILABLE", "Circle refused the gateway's own app token"
				}
				e := mustCode(t, r, code)
				if !strings.HasPrefix(e.Message, message) || strings.Contains(e.Message, "SECRET-DETAIL") {
					t.Fatalf("message %q, want %q and no error_details", e.Message, message)
				}
				mustAuthCall(t, env, mapMethod(m.path), m.path)
			})
		}
		t.Run(m.name+"/no answer", func(t *testing.T) {
			env.Upstream.Reset()
			// Circle reads the request and hangs up: the call was sent
			// and its answer never comes.
			env.Upstream.SetGate(testenv.Hangup())
			defer env.Upstream.SetGate(nil)
			attemptsMu.Lock()
			attempts = nil
			attemptsMu.Unlock()
			e := mustCode(t, env.DoWith(t, m.headers, m.query, m.vars), "UPSTREAM_UNAVAILABLE")
			if !strings.Contains(e.Message, "may or may not have been applied") {
				t.Fatalf("message %q: the outcome is unknown and must be said so", e.Message)
			}
			attemptsMu.Lock()
			defer attemptsMu.Unlock()
			var tries []string
			for _, c := range attempts {
				if c.Endpoint == m.path {
					tries = append(tries, fmt.Sprintf("attempt %d: status %d", c.Attempt, c.Status))
				}
			}
			if len(tries) != 1 {
				t.Fatalf("the gateway sent %v, want exactly one attempt: token calls are never retried", tries)
			}
		})
	}
}

func mapMethod(path string) string {
	if path == "/access_token/refresh" {
		return http.MethodPatch
	}
	return http.MethodPost
}

// Malformed refresh tokens are refused before any call.
func TestRefreshTokenArguments(t *testing.T) {
	t.Parallel()
	env := authEnv(t, testenv.Options{})
	for name, tok := range map[string]string{
		"empty":      "",
		"spaces":     "abc def",
		"newline":    "abc\ndef",
		"non-ASCII":  "abcé",
		"oversized":  strings.Repeat("a", 600),
		"1 MB":       strings.Repeat(".", 1<<20),
		"whitespace": " ",
	} {
		for _, q := range []string{refreshMutation, revokeRefreshMutaton} {
			t.Run(name+" "+q[:20], func(t *testing.T) {
				env.Upstream.Reset()
				e := mustCode(t, env.Do(t, "", q, map[string]any{"r": tok}), "BAD_USER_INPUT")
				if len(tok) > 3 && strings.Contains(e.Message, tok) {
					t.Fatalf("the message quotes the token: %q", e.Message)
				}
				mustNoCalls(t, env)
			})
		}
	}
}
