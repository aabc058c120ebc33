package graph

// Helpers of the Auth API mutations (auth.resolvers.go), kept out of the
// generated resolver file so that gqlgen leaves them alone.

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/circle-gateway/gateway/auth"
	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
)

// maxRefreshTokenBytes bounds a refresh token argument: Circle's are 43
// characters; anything far longer is refused without an upstream call.
const maxRefreshTokenBytes = 512

// authAPIReady refuses every Auth mutation, before anything else, when the
// gateway has no app token to call the Auth API with.
func (r *Resolver) authAPIReady() error {
	if r.Client == nil || !r.Client.HasAppToken() {
		return circle.ErrNoAppToken
	}
	return nil
}

// issueFailed wraps a failed token issuance. A 403 there is Circle
// refusing the community (its plan) rather than the caller, so the
// operator is told in the log; the caller still gets Circle's message. (A
// 401, Circle refusing the app token, is circle.ErrAppTokenRejected, which
// the error presenter logs for every Auth API call.)
func (r *Resolver) issueFailed(ctx context.Context, op string, err error) error {
	var ce *circle.Error
	if errors.As(err, &ce) && ce.Status == http.StatusForbidden && r.Log != nil {
		r.Log.WarnContext(ctx, "Circle's Auth API refused the gateway's app token: check CIRCLE_HEADLESS_AUTH_TOKEN and the community's plan",
			"op", op, "status", ce.Status, "circle_message", ce.Message)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// serviceKeyMatches compares the request's X-Service-Key with key in
// constant time. Both are hashed first, so not even the key's length leaks
// through timing.
func serviceKeyMatches(ctx context.Context, key string) bool {
	if !graphql.HasOperationContext(ctx) {
		return false
	}
	sent := graphql.GetOperationContext(ctx).Headers.Get("X-Service-Key")
	if sent == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(sent)), sha256.Sum256([]byte(key))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// memberIdentity turns the identity argument into Circle's; blank strings
// count as absent, and exactly one identifier is required. Circle's Auth
// API takes one (its request schema is a oneOf), and which member several
// would name is Circle's choice, not the caller's: a trusted server that
// sends an email and an sso_user_id that belong to two members must hear
// so, not get tokens for whichever Circle prefers.
func memberIdentity(in model.MemberIdentityInput) (circle.Identity, error) {
	var id circle.Identity
	if in.SsoUserID != nil && strings.TrimSpace(*in.SsoUserID) != "" {
		id.SSOUserID = *in.SsoUserID
	}
	if in.MemberID != nil && strings.TrimSpace(*in.MemberID) != "" {
		n, err := parseID("identity.memberId", strings.TrimSpace(*in.MemberID))
		if err != nil {
			return circle.Identity{}, err
		}
		id.CommunityMemberID = n
	}
	if in.Email != nil {
		id.Email = strings.TrimSpace(*in.Email)
	}
	switch id.Count() {
	case 0:
		return circle.Identity{}, badInput("identity needs one of ssoUserId, memberId or email")
	case 1:
		return id, nil
	default:
		return circle.Identity{}, badInput("identity takes exactly one of ssoUserId, memberId or email, not several")
	}
}

// checkRefreshToken refuses refresh token arguments that cannot be Circle's
// (empty, oversized, with spaces or control characters) without an upstream
// call. The message never quotes the token.
func checkRefreshToken(token string) error {
	if token == "" {
		return badInput("refreshToken must not be empty")
	}
	if len(token) > maxRefreshTokenBytes {
		return badInput("refreshToken is not a Circle refresh token (longer than %d bytes)", maxRefreshTokenBytes)
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c <= ' ' || c > '~' {
			return badInput("refreshToken is not a Circle refresh token (unexpected characters)")
		}
	}
	return nil
}

// accessTokenToRevoke is the argument when given, else the request's own
// bearer token. A bad argument is BAD_USER_INPUT, as Circle's 422 for it
// would be; a bad or missing bearer token is UNAUTHENTICATED. Either way no
// upstream call is made.
func (r *Resolver) accessTokenToRevoke(ctx context.Context, arg *string) (string, error) {
	if arg == nil {
		m, err := auth.FromContext(ctx)
		if err != nil {
			return "", fmt.Errorf("revokeAccessToken without an argument revokes the request's bearer token: %w", err)
		}
		return m.Token, nil
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	m, err := auth.ParseBearer("Bearer "+*arg, now())
	switch {
	case errors.Is(err, auth.ErrMissingToken):
		return "", badInput("accessToken must not be empty (omit it to revoke the request's own token)")
	case errors.Is(err, auth.ErrExpiredToken):
		return "", badInput("accessToken has expired already")
	case err != nil:
		return "", badInput("accessToken is not a Circle access token")
	}
	return m.Token, nil
}

// authPayload is the GraphQL view of a token pair.
func authPayload(t *circle.AuthToken) *model.AuthPayload {
	return &model.AuthPayload{
		AccessToken:           t.AccessToken,
		RefreshToken:          t.RefreshToken,
		AccessTokenExpiresAt:  t.AccessTokenExpiresAt.Time,
		RefreshTokenExpiresAt: t.RefreshTokenExpiresAt.Time,
		MemberID:              model.FormatID(t.CommunityMemberID),
		CommunityID:           model.FormatID(t.CommunityID),
	}
}
