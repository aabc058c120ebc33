package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func sign(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("circle-secret"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParseBearer(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	valid := sign(t, jwt.MapClaims{"community_id": 1, "community_member_id": 101, "exp": now.Add(time.Hour).Unix(), "jti": "x"})
	expired := sign(t, jwt.MapClaims{"community_member_id": 101, "exp": now.Add(-time.Second).Unix()})
	noExp := sign(t, jwt.MapClaims{"community_member_id": 101})
	notYet := sign(t, jwt.MapClaims{"community_member_id": 101, "exp": now.Add(2 * time.Hour).Unix(), "nbf": now.Add(time.Hour).Unix()})
	nbfSoon := sign(t, jwt.MapClaims{"community_member_id": 101, "exp": now.Add(2 * time.Hour).Unix(), "nbf": now.Add(10 * time.Second).Unix()})
	unsignedNone := func() string {
		s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"community_member_id": 7, "exp": now.Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
		return s
	}()

	tests := []struct {
		name    string
		header  string
		want    error
		wantID  int64
		wantTok string
	}{
		{"valid", "Bearer " + valid, nil, 101, valid},
		{"lowercase scheme", "bearer " + valid, nil, 101, valid},
		{"missing", "", ErrMissingToken, 0, ""},
		{"empty bearer", "Bearer ", ErrMissingToken, 0, ""},
		{"basic scheme", "Basic dXNlcjpwYXNz", ErrMalformedToken, 0, ""},
		{"no scheme", valid, ErrMalformedToken, 0, ""},
		{"garbage", "Bearer not-a-jwt", ErrMalformedToken, 0, ""},
		{"bad base64", "Bearer a.b.c", ErrMalformedToken, 0, ""},
		{"expired", "Bearer " + expired, ErrExpiredToken, 0, ""},
		{"no exp", "Bearer " + noExp, ErrMalformedToken, 0, ""},
		{"dots only, huge", "Bearer " + strings.Repeat(".", 1<<20), ErrMalformedToken, 0, ""},
		{"oversized", "Bearer " + strings.Repeat("a", MaxTokenBytes) + ".b.c", ErrMalformedToken, 0, ""},
		// Circle never issues unsigned tokens: refused without a call.
		{"alg none", "Bearer " + unsignedNone, ErrMalformedToken, 0, ""},
		{"not yet valid", "Bearer " + notYet, ErrMalformedToken, 0, ""},
		{"nbf within leeway", "Bearer " + nbfSoon, nil, 101, nbfSoon},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseBearer(tt.header, now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil {
				if strings.Contains(err.Error(), "eyJ") {
					t.Fatalf("error message leaks the token: %v", err)
				}
				return
			}
			if m.MemberID != tt.wantID || m.Token != tt.wantTok {
				t.Fatalf("got member %d token %q", m.MemberID, m.Token)
			}
		})
	}
}

func TestContext(t *testing.T) {
	t.Parallel()
	if _, err := FromContext(context.Background()); !errors.Is(err, ErrMissingToken) {
		t.Fatalf("empty context: %v", err)
	}
	ctx := NewContext(context.Background(), Member{MemberID: 5}, nil)
	if m, err := FromContext(ctx); err != nil || m.MemberID != 5 {
		t.Fatalf("got %+v, %v", m, err)
	}
}

func FuzzParseBearer(f *testing.F) {
	f.Add("Bearer eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjk5OTk5OTk5OTl9.x")
	f.Add("Bearer ...")
	f.Add("")
	f.Fuzz(func(t *testing.T, h string) {
		m, err := ParseBearer(h, time.Unix(0, 0))
		if err == nil && m.Token == "" {
			t.Fatal("accepted an empty token")
		}
	})
}
