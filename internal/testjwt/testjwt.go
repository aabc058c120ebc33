// Package testjwt makes the JWTs tests need — member access tokens shaped
// like Circle's, identity tokens, hostile tokens — in one place for every
// test package.
package testjwt

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Sign makes a token with the given method, key, claims and extra header
// fields.
func Sign(tb testing.TB, m jwt.SigningMethod, key any, claims jwt.MapClaims, header map[string]any) string {
	tb.Helper()
	tok := jwt.NewWithClaims(m, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Member makes a member access token shaped like Circle's (HS256 with a
// key of its own, community_member_id, exp in an hour), for upstreams that
// do not verify it: the gateway only reads it.
func Member(tb testing.TB, memberID int64) string {
	tb.Helper()
	return Sign(tb, jwt.SigningMethodHS256, []byte("test-key"), jwt.MapClaims{
		"community_id": 1, "community_member_id": memberID, "exp": time.Now().Add(time.Hour).Unix(), "jti": "test",
	}, nil)
}
