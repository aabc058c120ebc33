package circle

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
)

// Circle answers an Auth API call with 401 when it refuses the gateway's
// app token (CIRCLE_HEADLESS_AUTH_TOKEN, on every call) — a server
// misconfiguration no member can fix, which must not reach them as
// UNAUTHENTICATED ("sign in again") but as the gateway's own failure, with
// a log line for the operator. On auth_token and access_token/revoke a
// 401 can mean nothing else (a member's bad access token gets 422 there).
// On the two refresh-token endpoints a 401 may also mean that the member's
// refresh token expired; there the client asks itself what it knows of the
// app token: refused, accepted (any Auth API answer but 401 says Circle
// took it), or, when it has not heard yet, it asks Circle once, with a
// revocation of nothing that only the app token is judged on.

// ErrAppTokenRejected marks an Auth API call Circle refused because it
// refused the gateway's app token. Every such error is an
// *AppTokenRejectedError.
var ErrAppTokenRejected = errors.New("Circle refused the gateway's app token (CIRCLE_HEADLESS_AUTH_TOKEN)")

// AppTokenRejectedError is an Auth API call Circle answered 401 because of
// the app token.
type AppTokenRejectedError struct {
	// Endpoint is the call, e.g. "POST /auth_token".
	Endpoint string
}

func (e *AppTokenRejectedError) Error() string {
	return "circle: " + e.Endpoint + ": " + ErrAppTokenRejected.Error()
}

// Is makes every AppTokenRejectedError match ErrAppTokenRejected.
func (e *AppTokenRejectedError) Is(target error) bool { return target == ErrAppTokenRejected }

// What the client knows of its app token.
const (
	appTokenUnknown int32 = iota
	appTokenAccepted
	appTokenRefused
)

// appTokenState is what Circle last said of the app token.
type appTokenState struct{ v atomic.Int32 }

// ambiguous401 reports whether a 401 from endpoint may be about the
// member's refresh token rather than the app token.
func ambiguous401(endpoint string) bool {
	return endpoint == endpointRefreshAccessToken || endpoint == endpointRevokeRefreshToken
}

// judgeAppToken learns from an Auth API call's outcome what Circle thinks
// of the app token, and turns a 401 that is about it into an
// *AppTokenRejectedError.
func (c *Client) judgeAppToken(ctx context.Context, method, endpoint string, err error) error {
	if err == nil {
		c.app.v.Store(appTokenAccepted)
		return nil
	}
	var ce *Error
	if !errors.As(err, &ce) || ce.Gateway {
		return err // no answer from Circle: nothing learnt
	}
	switch s := ce.Status; {
	case s == http.StatusUnauthorized:
		if ambiguous401(endpoint) && !c.appTokenRefused(ctx) {
			return err // the member's refresh token
		}
		c.app.v.Store(appTokenRefused)
		return &AppTokenRejectedError{Endpoint: method + " " + endpoint}
	case s == http.StatusProxyAuthRequired, s == http.StatusRequestTimeout, s == http.StatusTooManyRequests, s >= 500:
	default:
		c.app.v.Store(appTokenAccepted)
	}
	return err
}

// appTokenRefused reports whether Circle refuses the app token, asking it
// when the client has not heard: a revocation of an empty access token,
// which Circle refuses with 401 only for the app token (else 422, and it
// revokes nothing).
func (c *Client) appTokenRefused(ctx context.Context) bool {
	switch c.app.v.Load() {
	case appTokenAccepted:
		return false
	case appTokenRefused:
		return true
	}
	_, err := c.do(ctx, request{method: http.MethodPost, endpoint: endpointRevokeAccessToken, target: "/access_token/revoke", prefix: authPrefix, token: c.appToken, body: map[string]string{"access_token": ""}})
	var ce *Error
	switch {
	case err == nil:
	case !errors.As(err, &ce) || ce.Gateway:
		return false // no answer: the 401 stays the member's, as before
	case ce.Status == http.StatusUnauthorized:
		c.app.v.Store(appTokenRefused)
		return true
	case ce.Status >= 500 || ce.Status == http.StatusTooManyRequests:
		return false
	}
	c.app.v.Store(appTokenAccepted)
	return false
}

// AppTokenRefused reports whether the last Auth API answer said Circle
// refuses the app token (for readiness and logs).
func (c *Client) AppTokenRefused() bool { return c.app.v.Load() == appTokenRefused }
