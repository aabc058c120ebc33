package e2e

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signedToken makes a member token shaped like Circle's, for upstreams that
// are not the sandbox (which do not verify it).
func signedToken(t testing.TB, memberID int64) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"community_id": 1, "community_member_id": memberID, "exp": time.Now().Add(time.Hour).Unix(), "jti": "test",
	}).SignedString([]byte("test-key"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
