package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MaxTokenBytes bounds the member token the gateway will look at. Circle's
// access tokens are a few hundred bytes; anything far larger is refused as
// malformed before it is decoded, so hostile tokens cost no memory.
const MaxTokenBytes = 4096

// nbfLeeway tolerates clock skew between Circle and the gateway on nbf.
const nbfLeeway = 30 * time.Second

// Errors of ParseBearer. They all map to UNAUTHENTICATED; their messages are
// shown to clients and so never include the token.
var (
	ErrMissingToken   = errors.New("missing member access token: send Authorization: Bearer <Circle member access token>")
	ErrMalformedToken = errors.New("malformed member access token")
	ErrExpiredToken   = errors.New("member access token expired: refresh it or sign in again")
)

// Member is the caller of a member operation.
type Member struct {
	// Token is the access token exactly as received, forwarded to Circle.
	Token string
	// MemberID is the token's community_member_id claim (0 if absent); it
	// keys per-member state.
	MemberID int64
	// CommunityID is the token's community_id claim (0 if absent).
	CommunityID int64
	// ExpiresAt is the token's exp claim.
	ExpiresAt time.Time
}

// circleClaims are the claims Circle puts in a member access token.
type circleClaims struct {
	CommunityID       int64  `json:"community_id"`
	CommunityMemberID int64  `json:"community_member_id"`
	SSOUserID         string `json:"sso_user_id,omitempty"`
	jwt.RegisteredClaims
}

// parser decodes without verifying (the gateway lacks Circle's key). It is
// stateless and safe to share.
var parser = jwt.NewParser(jwt.WithoutClaimsValidation())

// ParseBearer reads the member token from an Authorization header value.
// It checks the token's shape and its exp claim (required) against now.
func ParseBearer(header string, now time.Time) (Member, error) {
	header = strings.TrimSpace(header)
	if header == "" || strings.EqualFold(header, "Bearer") {
		return Member{}, ErrMissingToken
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return Member{}, fmt.Errorf("%w: the Authorization header must be \"Bearer <token>\"", ErrMalformedToken)
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return Member{}, ErrMissingToken
	}
	if len(token) > MaxTokenBytes || strings.Count(token, ".") != 2 {
		return Member{}, fmt.Errorf("%w: not a JWT", ErrMalformedToken)
	}
	var claims circleClaims
	parsed, _, err := parser.ParseUnverified(token, &claims)
	if err != nil {
		return Member{}, fmt.Errorf("%w: cannot be decoded", ErrMalformedToken)
	}
	// Circle signs every token it issues; an unsigned one can only be
	// forged, so it is refused here rather than costing an upstream call.
	if alg, _ := parsed.Header["alg"].(string); alg == "" || strings.EqualFold(alg, "none") || len(parsed.Signature) == 0 {
		return Member{}, fmt.Errorf("%w: it is not signed", ErrMalformedToken)
	}
	if claims.ExpiresAt == nil {
		return Member{}, fmt.Errorf("%w: it has no exp claim", ErrMalformedToken)
	}
	if !now.Before(claims.ExpiresAt.Time) {
		return Member{}, ErrExpiredToken
	}
	if claims.NotBefore != nil && now.Add(nbfLeeway).Before(claims.NotBefore.Time) {
		return Member{}, fmt.Errorf("%w: it is not valid yet", ErrMalformedToken)
	}
	return Member{Token: token, MemberID: claims.CommunityMemberID, CommunityID: claims.CommunityID, ExpiresAt: claims.ExpiresAt.Time}, nil
}

type ctxKey struct{}

type ctxValue struct {
	member Member
	err    error
}

// NewContext records the outcome of reading the caller's token: the member,
// or why there is none.
func NewContext(ctx context.Context, m Member, err error) context.Context {
	return context.WithValue(ctx, ctxKey{}, ctxValue{member: m, err: err})
}

// FromContext returns the caller recorded by NewContext, or the reason there
// is none (ErrMissingToken when nothing was recorded).
func FromContext(ctx context.Context) (Member, error) {
	v, ok := ctx.Value(ctxKey{}).(ctxValue)
	if !ok {
		return Member{}, ErrMissingToken
	}
	return v.member, v.err
}
