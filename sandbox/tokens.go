package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Token lifetimes, as Circle's: access tokens an hour, refresh tokens a
// (calendar) month.
const accessTokenTTL = time.Hour

func refreshExpiry(now time.Time) time.Time { return now.AddDate(0, 1, 0) }

// accessClaims are the claims of a member access token, named as Circle
// names them: community_id, community_member_id, sso_user_id (only when the
// member has one), exp, iat and a unique jti that revocation refers to.
type accessClaims struct {
	CommunityID       int64  `json:"community_id"`
	CommunityMemberID int64  `json:"community_member_id"`
	SSOUserID         string `json:"sso_user_id,omitempty"`
	jwt.RegisteredClaims
}

// errUnknownMember is IssueToken's answer for an id that is no member.
var errUnknownMember = errors.New("sandbox: no such community member")

// Token is a member's token pair, as IssueToken and the Auth API's POST
// auth_token issue it.
type Token struct {
	AccessToken           string
	RefreshToken          string
	AccessTokenExpiresAt  time.Time
	RefreshTokenExpiresAt time.Time
	CommunityMemberID     int64
	CommunityID           int64
}

// wire is the token pair as POST auth_token answers it.
func (t Token) wire() wireToken {
	return wireToken{
		AccessToken:           t.AccessToken,
		RefreshToken:          t.RefreshToken,
		AccessTokenExpiresAt:  wireTime(t.AccessTokenExpiresAt),
		RefreshTokenExpiresAt: wireTime(t.RefreshTokenExpiresAt),
		CommunityMemberID:     t.CommunityMemberID,
		CommunityID:           t.CommunityID,
	}
}

// issue creates a token pair for m, as POST /api/v1/headless/auth_token does.
func (s *Sandbox) issue(m member) (Token, error) {
	access, exp, err := s.accessToken(m)
	if err != nil {
		return Token{}, err
	}
	refresh := randomToken()
	refreshExp := refreshExpiry(s.now()).Truncate(time.Second)
	s.store.grantRefresh(refresh, refreshGrant{memberID: m.id, expiresAt: refreshExp})
	return Token{
		AccessToken:           access,
		RefreshToken:          refresh,
		AccessTokenExpiresAt:  exp,
		RefreshTokenExpiresAt: refreshExp,
		CommunityMemberID:     m.id,
		CommunityID:           communityID,
	}, nil
}

// accessToken signs a new access token for m and returns it with its expiry
// (whole seconds, as the JWT's exp).
func (s *Sandbox) accessToken(m member) (string, time.Time, error) {
	now := s.now().Truncate(time.Second)
	exp := now.Add(accessTokenTTL)
	claims := accessClaims{
		CommunityID:       communityID,
		CommunityMemberID: m.id,
		SSOUserID:         m.ssoUserID,
		RegisteredClaims: jwt.RegisteredClaims{
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        uuid.NewString(),
		},
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	delete(tok.Header, "typ") // Circle's header is just {"alg":"HS256"}
	signed, err := tok.SignedString(s.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sandbox: sign access token: %w", err)
	}
	return signed, exp, nil
}

// verifiedToken is an access token that passed every check.
type verifiedToken struct {
	memberID  int64
	jti       string
	expiresAt time.Time
}

// verify checks an access token as Circle does and, when it fails, returns
// Circle's message for the failure: invalid (malformed, wrong signature or
// algorithm, missing claims), expired, revoked ("not found"), or pointing at
// a community or member that does not exist.
func (s *Sandbox) verify(raw string) (verifiedToken, string) {
	if raw == "" {
		return verifiedToken{}, msgTokenInvalid
	}
	var claims accessClaims
	_, err := jwt.ParseWithClaims(raw, &claims,
		func(*jwt.Token) (any, error) { return s.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithTimeFunc(s.now),
		jwt.WithExpirationRequired(),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return verifiedToken{}, msgTokenExpired
	case err != nil, claims.ID == "":
		return verifiedToken{}, msgTokenInvalid
	case s.store.isRevoked(claims.ID):
		return verifiedToken{}, msgTokenRevoked
	case claims.CommunityID != communityID:
		return verifiedToken{}, msgNoCommunity
	}
	if _, ok := s.store.memberByID(claims.CommunityMemberID); !ok {
		return verifiedToken{}, msgNoTokenMember
	}
	return verifiedToken{memberID: claims.CommunityMemberID, jti: claims.ID, expiresAt: claims.ExpiresAt.Time}, ""
}

// randomToken makes an opaque token like Circle's refresh tokens: 32 random
// bytes, base64url without padding.
func randomToken() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

// randomBytes returns n bytes from crypto/rand, which never fails (it
// crashes the program instead, see its documentation).
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// The store's side of tokens: refresh grants and revoked access tokens.

// grantRefresh stores a new refresh token.
func (st *store) grantRefresh(token string, g refreshGrant) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.refresh[token] = g
}

// lookupRefresh returns what a refresh token stands for.
func (st *store) lookupRefresh(token string) (refreshGrant, bool) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	g, ok := st.refresh[token]
	return g, ok
}

// dropRefresh deletes a refresh token and reports whether it existed.
func (st *store) dropRefresh(token string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.refresh[token]
	delete(st.refresh, token)
	return ok
}

// revoke marks an access token (by jti) as revoked and reports false when it
// already was. Entries of tokens that have expired anyway are dropped, so the
// set stays as small as the number of live revoked tokens.
func (st *store) revoke(jti string, expiresAt, now time.Time) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.revoked[jti]; ok {
		return false
	}
	for k, exp := range st.revoked {
		if now.After(exp) {
			delete(st.revoked, k)
		}
	}
	st.revoked[jti] = expiresAt
	return true
}

// isRevoked reports whether the access token with this jti was revoked.
func (st *store) isRevoked(jti string) bool {
	st.mu.RLock()
	defer st.mu.RUnlock()
	_, ok := st.revoked[jti]
	return ok
}
