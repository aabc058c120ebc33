package sandbox

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// The Auth API (/api/v1/headless/…): token issuance, refresh and
// revocation, for callers holding the community's app token.

// appOnly lets a request through only with "Authorization: Bearer <app token>".
func (s *Sandbox) appOnly(h func(w http.ResponseWriter, r *http.Request, body map[string]any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(bearer(r)), []byte(s.appToken)) != 1 {
			writeError(w, &apiError{status: http.StatusUnauthorized, message: msgAppUnauthorized})
			return
		}
		body := map[string]any{}
		if err := decodeBody(w, r, &body); err != nil {
			writeError(w, err)
			return
		}
		h(w, r, body)
	}
}

// present reports whether a body field was sent with a non-empty value.
func present(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return strings.TrimSpace(v) != ""
	}
	return true
}

// authToken is POST /api/v1/headless/auth_token. The member is named by
// sso_user_id, else community_member_id, else email (Circle's precedence);
// the first identifier sent decides, and no match is a 404.
func (s *Sandbox) authToken(w http.ResponseWriter, _ *http.Request, body map[string]any) {
	var (
		m     member
		found bool
	)
	switch {
	case present(body["sso_user_id"]):
		if sso, ok := body["sso_user_id"].(string); ok {
			m, found = s.store.memberBySSO(sso)
		}
	case present(body["community_member_id"]):
		if id, ok := idValue(body["community_member_id"]); ok {
			m, found = s.store.memberByID(id)
		}
	case present(body["email"]):
		if email, ok := body["email"].(string); ok {
			m, found = s.store.memberByEmail(strings.TrimSpace(email))
		}
	}
	if !found {
		writeError(w, &apiError{status: http.StatusNotFound, message: msgMemberNotFound})
		return
	}
	tok, err := s.issue(m)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, tok.wire())
}

// idValue reads an id sent as a JSON number or as a numeric string.
func idValue(v any) (int64, bool) {
	switch v := v.(type) {
	case float64:
		if v == float64(int64(v)) && v > 0 {
			return int64(v), true
		}
	case string:
		return parseID(strings.TrimSpace(v))
	}
	return 0, false
}

// refreshTokenFrom reads the refresh_token field, or the error Circle gives
// when it is missing or not a string.
func refreshTokenFrom(body map[string]any) (string, error) {
	v := body["refresh_token"]
	if !present(v) {
		return "", missingParam("refresh_token")
	}
	token, ok := v.(string)
	if !ok {
		return "", &apiError{status: http.StatusNotFound, message: "Invalid refresh token."}
	}
	return token, nil
}

// liveRefresh finds a refresh token's grant: 404 when unknown or revoked,
// 401 when expired, as Circle answers both refresh endpoints.
func (s *Sandbox) liveRefresh(token string) (refreshGrant, error) {
	grant, ok := s.store.lookupRefresh(token)
	if !ok {
		return refreshGrant{}, &apiError{status: http.StatusNotFound, message: msgRefreshNotFound}
	}
	if !s.now().Before(grant.expiresAt) {
		return refreshGrant{}, &apiError{status: http.StatusUnauthorized, message: msgRefreshExpired}
	}
	return grant, nil
}

// refreshAccessToken is PATCH /api/v1/headless/access_token/refresh: a new
// access token for a live refresh token, which itself stays valid.
func (s *Sandbox) refreshAccessToken(w http.ResponseWriter, _ *http.Request, body map[string]any) {
	token, err := refreshTokenFrom(body)
	if err != nil {
		writeError(w, err)
		return
	}
	grant, err := s.liveRefresh(token)
	if err != nil {
		writeError(w, err)
		return
	}
	m, ok := s.store.memberByID(grant.memberID)
	if !ok {
		writeError(w, &apiError{status: http.StatusNotFound, message: msgRefreshNotFound})
		return
	}
	access, exp, err := s.accessToken(m)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, wireRefreshedToken{AccessToken: access, AccessTokenExpiresAt: ts(exp)})
}

// revokeAccessToken is POST /api/v1/headless/access_token/revoke. A token
// that fails verification (invalid, expired, already revoked) is a 422 with
// the same message the Member API would give for it.
func (s *Sandbox) revokeAccessToken(w http.ResponseWriter, _ *http.Request, body map[string]any) {
	raw, ok := body["access_token"].(string)
	if !ok || strings.TrimSpace(raw) == "" {
		writeError(w, missingParam("access_token"))
		return
	}
	tok, msg := s.verify(strings.TrimSpace(raw))
	if msg == "" && !s.store.revoke(tok.jti, tok.expiresAt, s.now()) {
		msg = msgTokenRevoked // revoked concurrently since verify
	}
	if msg != "" {
		writeError(w, &apiError{status: http.StatusUnprocessableEntity, message: msg})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// revokeRefreshToken is POST /api/v1/headless/refresh_token/revoke.
func (s *Sandbox) revokeRefreshToken(w http.ResponseWriter, _ *http.Request, body map[string]any) {
	token, err := refreshTokenFrom(body)
	if err != nil {
		writeError(w, err)
		return
	}
	if _, err := s.liveRefresh(token); err != nil {
		writeError(w, err)
		return
	}
	if !s.store.dropRefresh(token) { // revoked concurrently since the lookup
		writeError(w, &apiError{status: http.StatusNotFound, message: msgRefreshNotFound})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
