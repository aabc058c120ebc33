package circle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// The Auth API (headless-auth-v1.yaml): member token issuance, refresh and
// revocation. Every call carries the community's app token, never a member's;
// none is ever retried once it may have reached Circle (do's policy for
// non-GET methods), because issuing or revoking twice is not harmless.

// ErrNoAppToken is returned by every Auth API method when the Client has no
// app token (CIRCLE_HEADLESS_AUTH_TOKEN is not set): the Auth API refuses
// anonymous calls, so the gateway does not make them.
var ErrNoAppToken = errors.New("the Circle Auth API needs CIRCLE_HEADLESS_AUTH_TOKEN, which is not set")

// Auth API endpoint templates, for metrics, errors and logs.
const (
	endpointAuthToken          = "/auth_token"
	endpointRefreshAccessToken = "/access_token/refresh"
	endpointRevokeAccessToken  = "/access_token/revoke"
	endpointRevokeRefreshToken = "/refresh_token/revoke"
)

// Identity names the member to issue tokens for. Circle's request schema
// takes exactly one of the three (a oneOf); callers set one, and the
// fields left zero are not sent.
type Identity struct {
	// SSOUserID is the member's id at the community's identity provider.
	SSOUserID string `json:"sso_user_id,omitempty"`
	// CommunityMemberID is Circle's community member id.
	CommunityMemberID int64 `json:"community_member_id,omitempty"`
	// Email is the member's email address.
	Email string `json:"email,omitempty"`
}

// Count is how many identifiers are set; Circle takes exactly one.
func (id Identity) Count() int {
	n := 0
	for _, set := range []bool{id.SSOUserID != "", id.CommunityMemberID != 0, id.Email != ""} {
		if set {
			n++
		}
	}
	return n
}

// authCall performs one Auth API call with the app token and decodes a 2xx
// body into out when out is non-nil.
// cred, when non-nil, is the member credential the call acts on: Circle's
// answer tells whether it is good (judge), and until then calls on it go out
// one at a time and draw from the unproven share.
func (c *Client) authCall(ctx context.Context, method, endpoint, target string, body, out any, cred *Credential, judge verdict) error {
	if c.appToken == "" {
		return fmt.Errorf("circle: %s %s: %w", method, endpoint, ErrNoAppToken)
	}
	raw, err := c.do(ctx, request{method: method, endpoint: endpoint, target: target, prefix: authPrefix, token: c.appToken, body: body, cred: cred, verdict: judge})
	if err := c.judgeAppToken(ctx, method, endpoint, err); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		// The decode error names types and fields, never the body's values
		// (which hold tokens).
		return fmt.Errorf("circle: %s %s: decode response: %w", method, endpoint, err)
	}
	return nil
}

// CreateAuthToken issues a member's access and refresh tokens (POST
// /api/v1/headless/auth_token). Circle answers 404 when no member matches id.
func (c *Client) CreateAuthToken(ctx context.Context, id Identity) (*AuthToken, error) {
	var tok AuthToken
	if err := c.authCall(ctx, http.MethodPost, endpointAuthToken, "/auth_token", id, &tok, nil, nil); err != nil {
		return nil, err
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.CommunityMemberID < 1 {
		return nil, fmt.Errorf("circle: POST %s: response lacks access_token, refresh_token or community_member_id", endpointAuthToken)
	}
	// Circle just issued them: their first calls need not prove them.
	c.remember(ctx, Credential{Kind: AccessToken, Token: tok.AccessToken, MemberID: tok.CommunityMemberID, ExpiresAt: tok.AccessTokenExpiresAt.Time}, TokenAccepted)
	c.remember(ctx, Credential{Kind: RefreshToken, Token: tok.RefreshToken, ExpiresAt: tok.RefreshTokenExpiresAt.Time}, TokenAccepted)
	return &tok, nil
}

// RefreshAccessToken trades a refresh token for a new access token (PATCH
// /api/v1/headless/access_token/refresh); the refresh token stays valid.
// Circle answers 404 for an unknown refresh token and 401 for an expired one.
func (c *Client) RefreshAccessToken(ctx context.Context, refreshToken string) (*RefreshedAccessToken, error) {
	var tok RefreshedAccessToken
	body := map[string]string{"refresh_token": refreshToken}
	cred := &Credential{Kind: RefreshToken, Token: refreshToken}
	// Only a success says something for sure of the refresh token: a 401
	// may be Circle refusing the gateway's app token, and a 404 for a
	// token made up costs no more than the one call the gate allows.
	judge := func(err error) TokenState {
		if err == nil {
			return TokenAccepted
		}
		return TokenUnknown
	}
	if err := c.authCall(ctx, http.MethodPatch, endpointRefreshAccessToken, "/access_token/refresh", body, &tok, cred, judge); err != nil {
		return nil, err
	}
	if tok.AccessToken == "" {
		return nil, fmt.Errorf("circle: PATCH %s: response lacks access_token", endpointRefreshAccessToken)
	}
	c.remember(ctx, Credential{Kind: AccessToken, Token: tok.AccessToken, ExpiresAt: tok.AccessTokenExpiresAt.Time}, TokenAccepted)
	return &tok, nil
}

// RevokeAccessToken revokes a member access token (POST
// /api/v1/headless/access_token/revoke), after which Circle's Member API
// refuses it. Circle answers 422 for a token that is invalid, expired or
// already revoked.
func (c *Client) RevokeAccessToken(ctx context.Context, accessToken string) error {
	body := map[string]string{"access_token": accessToken}
	cred := Credential{Kind: AccessToken, Token: accessToken}
	judge := revoked
	err := c.authCall(ctx, http.MethodPost, endpointRevokeAccessToken, "/access_token/revoke", body, nil, &cred, judge)
	if c.flights != nil {
		// A revoked token must not keep reading through a call it started
		// before the revocation.
		c.flights.forgetToken(accessToken)
	}
	// Revoked: refused from now on, without a call. Any other outcome
	// forgets what Circle said of it before.
	c.remember(ctx, cred, judge(err))
	return err
}

// RevokeRefreshToken revokes a refresh token (POST
// /api/v1/headless/refresh_token/revoke), so it buys no more access tokens.
// Circle answers 404 for an unknown token and 401 for an expired one.
func (c *Client) RevokeRefreshToken(ctx context.Context, refreshToken string) error {
	body := map[string]string{"refresh_token": refreshToken}
	cred := Credential{Kind: RefreshToken, Token: refreshToken}
	judge := revoked
	err := c.authCall(ctx, http.MethodPost, endpointRevokeRefreshToken, "/refresh_token/revoke", body, nil, &cred, judge)
	c.remember(ctx, cred, judge(err))
	return err
}

// revoked judges a revocation: done, the credential is refused from now
// on; any other outcome says nothing for sure (Circle's 422 or 404 may be
// about a token it never issued), and what was known of it is forgotten.
func revoked(err error) TokenState {
	if err == nil {
		return TokenRefused
	}
	return TokenUnknown
}
