package circle

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/deadline"
)

const testAppToken = "app-token-s3cret"

// authCase is one Auth API method under test, with what it must send.
type authCase struct {
	name       string
	call       func(ctx context.Context, c *Client) error
	wantMethod string
	wantPath   string
	wantBody   map[string]any
	okStatus   int
	okBody     string
}

func authCases() []authCase {
	return []authCase{
		{
			name: "create by sso_user_id",
			call: func(ctx context.Context, c *Client) error {
				tok, err := c.CreateAuthToken(ctx, Identity{SSOUserID: "demo-user"})
				if err == nil && (tok.AccessToken != "acc" || tok.RefreshToken != "ref" || tok.CommunityMemberID != 101 || tok.CommunityID != 1 || tok.AccessTokenExpiresAt.IsZero()) {
					return errors.New("decoded wrongly")
				}
				return err
			},
			wantMethod: http.MethodPost, wantPath: "/api/v1/headless/auth_token",
			wantBody: map[string]any{"sso_user_id": "demo-user"},
			okStatus: 200,
			okBody:   `{"access_token":"acc","refresh_token":"ref","access_token_expires_at":"2026-01-01T01:00:00.000Z","refresh_token_expires_at":"2026-02-01T00:00:00.000Z","community_member_id":101,"community_id":1}`,
		},
		{
			name: "create by member id and email",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateAuthToken(ctx, Identity{CommunityMemberID: 7, Email: "a@example.com"})
				return err
			},
			wantMethod: http.MethodPost, wantPath: "/api/v1/headless/auth_token",
			wantBody: map[string]any{"community_member_id": float64(7), "email": "a@example.com"},
			okStatus: 200,
			okBody:   `{"access_token":"acc","refresh_token":"ref","access_token_expires_at":"2026-01-01T01:00:00.000Z","refresh_token_expires_at":"2026-02-01T00:00:00.000Z","community_member_id":7,"community_id":1}`,
		},
		{
			name: "refresh",
			call: func(ctx context.Context, c *Client) error {
				tok, err := c.RefreshAccessToken(ctx, "ref")
				if err == nil && tok.AccessToken != "acc2" {
					return errors.New("decoded wrongly")
				}
				return err
			},
			wantMethod: http.MethodPatch, wantPath: "/api/v1/headless/access_token/refresh",
			wantBody: map[string]any{"refresh_token": "ref"},
			okStatus: 200,
			okBody:   `{"access_token":"acc2","access_token_expires_at":"2026-01-01T01:00:00.000Z"}`,
		},
		{
			name:       "revoke access token",
			call:       func(ctx context.Context, c *Client) error { return c.RevokeAccessToken(ctx, "acc") },
			wantMethod: http.MethodPost, wantPath: "/api/v1/headless/access_token/revoke",
			wantBody: map[string]any{"access_token": "acc"},
			okStatus: 204,
		},
		{
			name:       "revoke refresh token",
			call:       func(ctx context.Context, c *Client) error { return c.RevokeRefreshToken(ctx, "ref") },
			wantMethod: http.MethodPost, wantPath: "/api/v1/headless/refresh_token/revoke",
			wantBody: map[string]any{"refresh_token": "ref"},
			okStatus: 204,
		},
	}
}

func TestAuthAPIRequests(t *testing.T) {
	t.Parallel()
	for _, tc := range authCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var gotMethod, gotPath, gotAuth, gotType string
			var gotBody map[string]any
			c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				gotMethod, gotPath, gotAuth, gotType = r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type")
				_ = json.NewDecoder(r.Body).Decode(&gotBody)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.okStatus)
				_, _ = io.WriteString(w, tc.okBody)
			}, WithAppToken(testAppToken))
			if err := tc.call(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			if calls.Load() != 1 || gotMethod != tc.wantMethod || gotPath != tc.wantPath {
				t.Fatalf("%d calls, last %s %s; want one %s %s", calls.Load(), gotMethod, gotPath, tc.wantMethod, tc.wantPath)
			}
			if gotAuth != "Bearer "+testAppToken {
				t.Fatalf("Authorization = %q, want the app token", gotAuth)
			}
			if gotType != "application/json" {
				t.Fatalf("Content-Type = %q", gotType)
			}
			if len(gotBody) != len(tc.wantBody) {
				t.Fatalf("body %v, want %v", gotBody, tc.wantBody)
			}
			for k, v := range tc.wantBody {
				if gotBody[k] != v {
					t.Fatalf("body %v, want %v", gotBody, tc.wantBody)
				}
			}
		})
	}
}

func TestAuthAPIWithoutAppToken(t *testing.T) {
	t.Parallel()
	for _, tc := range authCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			})
			if c.HasAppToken() {
				t.Fatal("HasAppToken without one")
			}
			err := tc.call(context.Background(), c)
			if !errors.Is(err, ErrNoAppToken) || !strings.Contains(err.Error(), "CIRCLE_HEADLESS_AUTH_TOKEN") {
				t.Fatalf("err = %v, want ErrNoAppToken naming the setting", err)
			}
			if calls.Load() != 0 {
				t.Fatalf("%d upstream calls without an app token", calls.Load())
			}
		})
	}
}

// TestAuthAPIDocumentedErrors answers with the error bodies of
// headless-auth-v1.yaml and checks each becomes an *Error with Circle's
// status and message, and nothing of error_details in its text.
func TestAuthAPIDocumentedErrors(t *testing.T) {
	t.Parallel()
	bodies := []struct {
		status int
		body   string
		msg    string
	}{
		{401, `{"success":false,"message":"Your account could not be authenticated.","error_details":{}}`, "Your account could not be authenticated."},
		{401, `{"success":false,"message":"The refresh token is expired. Please generate/get new auth token.","error_details":{}}`, "The refresh token is expired. Please generate/get new auth token."},
		{403, `{"success":false,"message":"Your community isn't eligible for headless API access. Please upgrade or contact support","error_details":{}}`, "Your community isn't eligible for headless API access. Please upgrade or contact support"},
		{404, `{"success":false,"message":"Community member not found. Please provide a valid SSO User ID, community member ID, or email.","error_details":{}}`, "Community member not found. Please provide a valid SSO User ID, community member ID, or email."},
		{404, `{"success":false,"message":"Oops! Missing parameter. Please try again later.","error_details":{"message":"Missing parameter: access_token"}}`, "Oops! Missing parameter. Please try again later."},
		{422, `{"success":false,"message":"The access token is expired.","error_details":{}}`, "The access token is expired."},
		{422, `{"success":false,"message":"Failed to revoke the refresh token.","error_details":{"message":"ActiveRecord::RecordNotDestroyed"}}`, "Failed to revoke the refresh token."},
	}
	for _, tc := range authCases() {
		for _, b := range bodies {
			t.Run(tc.name+"/"+b.msg, func(t *testing.T) {
				t.Parallel()
				c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(b.status)
					_, _ = io.WriteString(w, b.body)
				}, WithAppToken(testAppToken))
				err := tc.call(context.Background(), c)
				if b.status == http.StatusUnauthorized {
					// A double answering 401 to everything refuses the app
					// token: on the refresh-token endpoints the client asks
					// Circle once (an empty revocation) to know.
					var rejected *AppTokenRejectedError
					if !errors.As(err, &rejected) || !errors.Is(err, ErrAppTokenRejected) {
						t.Fatalf("err = %#v, want *AppTokenRejectedError", err)
					}
					want := int32(1)
					if tc.name == "refresh" || tc.name == "revoke refresh token" {
						want = 2
					}
					if calls.Load() != want {
						t.Fatalf("%d calls, want %d", calls.Load(), want)
					}
					return
				}
				var ce *Error
				if !errors.As(err, &ce) || ce.Status != b.status || ce.Message != b.msg {
					t.Fatalf("err = %#v, want *Error %d %q", err, b.status, b.msg)
				}
				if strings.Contains(err.Error(), "Missing parameter: access_token") || strings.Contains(err.Error(), "ActiveRecord") {
					t.Fatalf("error_details leaked into the error text: %v", err)
				}
				if strings.Contains(err.Error(), testAppToken) {
					t.Fatal("the app token is in the error text")
				}
				if calls.Load() != 1 {
					t.Fatalf("%d calls, want 1: Auth API calls are not retried", calls.Load())
				}
			})
		}
	}
}

// TestAuthAPINeverRetriedOnceSent: token issuance and revocation may have
// happened when Circle fails or goes silent, so none is repeated.
func TestAuthAPINeverRetriedOnceSent(t *testing.T) {
	t.Parallel()
	// Each handler gets expire, which makes the call's deadline pass (a
	// gated deadline, not a clock): the one that never answers expires it
	// once it holds the request, so the call certainly timed out after it
	// was sent. Circle's answers are read without a deadline of the
	// test's, so a loaded machine cannot turn them into timeouts.
	failures := []struct {
		name        string
		handler     func(expire func()) http.HandlerFunc
		wantUnknown bool
	}{
		{"503", func(func()) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }
		}, false},
		{"502", func(func()) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }
		}, false},
		{"429 with a short Retry-After", func(func()) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
			}
		}, false},
		{"connection dropped after the request", func(func()) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.ReadAll(r.Body)
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					_ = conn.Close()
				}
			}
		}, true},
		{"no answer in time", func(expire func()) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				// The server notices the client hanging up only once the body is read.
				_, _ = io.ReadAll(r.Body)
				expire()
				<-r.Context().Done()
			}
		}, true},
	}
	for _, tc := range authCases() {
		for _, f := range failures {
			t.Run(tc.name+"/"+f.name, func(t *testing.T) {
				t.Parallel()
				ctx, expire := deadline.Gated(context.Background())
				c, calls := newTestClient(t, f.handler(expire), WithAppToken(testAppToken))
				err := tc.call(ctx, c)
				if err == nil {
					t.Fatal("no error")
				}
				if f.wantUnknown && !errors.Is(err, ErrOutcomeUnknown) {
					t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
				}
				if calls.Load() != 1 {
					t.Fatalf("%d calls, want exactly 1", calls.Load())
				}
			})
		}
	}
}

func TestAuthAPIMalformedSuccess(t *testing.T) {
	t.Parallel()
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"refresh_token":"r-s3cret"}`)
	}, WithAppToken(testAppToken))
	_, err := c.CreateAuthToken(context.Background(), Identity{Email: "a@example.com"})
	if err == nil || strings.Contains(err.Error(), "r-s3cret") {
		t.Fatalf("err = %v, want an error that does not echo the body", err)
	}
	_, err = c.RefreshAccessToken(context.Background(), "r")
	if err == nil {
		t.Fatal("a refresh answer without access_token was accepted")
	}
	// Tokens that name no member would be handed out as member 0.
	c, _ = newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"access_token":"a","refresh_token":"r","access_token_expires_at":"garbage"}`)
	}, WithAppToken(testAppToken))
	if _, err := c.CreateAuthToken(context.Background(), Identity{Email: "a@example.com"}); err == nil {
		t.Fatal("an auth_token answer without community_member_id was accepted")
	}
}
