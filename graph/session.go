package graph

// Helpers of createCircleSession and endCircleSession (session.resolvers.go).

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
)

// fromBrowser reports whether the operation came from a browser: browsers
// send Origin with every POST a page makes (fetch, XHR, forms), native
// HTTP clients do not.
func fromBrowser(ctx context.Context) bool {
	if !graphql.HasOperationContext(ctx) {
		return false
	}
	return graphql.GetOperationContext(ctx).Headers.Get("Origin") != ""
}

// sessionWrite runs a cookie endpoint (do is MemberAPI.CreateSessionCookies
// or DestroySessionCookies) and lists the cookies Circle's answer set. The
// cookies go into the payload only: nothing here logs them, and the
// gateway never answers with a Set-Cookie of its own.
func sessionWrite(ctx context.Context, do func(*circle.MemberAPI, context.Context) (*circle.SessionCookies, error)) (*model.CircleSessionPayload, error) {
	_, out, err := write(ctx, func(api *circle.MemberAPI) (*circle.SessionCookies, error) { return do(api, ctx) })
	if problems, err := writeFailed(err, nil); problems != nil || err != nil {
		return &model.CircleSessionPayload{Cookies: []*model.CircleSessionCookie{}, UserErrors: problems}, err
	}
	return &model.CircleSessionPayload{
		Cookies:    sessionCookies(out),
		Message:    nonEmptyString(out.Message),
		UserErrors: noUserErrors(),
	}, nil
}

// sessionCookies maps Circle's Set-Cookie headers, as net/http parsed them,
// to the payload's cookies: a cookie without Domain is for the host Circle
// was called at, one without Path for "/", and Max-Age wins over Expires
// (RFC 6265 §5.3).
func sessionCookies(s *circle.SessionCookies) []*model.CircleSessionCookie {
	out := make([]*model.CircleSessionCookie, 0, len(s.Cookies))
	for _, c := range s.Cookies {
		cookie := &model.CircleSessionCookie{
			Name:     c.Name,
			Value:    c.Value,
			Domain:   strings.TrimPrefix(c.Domain, "."),
			HostOnly: c.Domain == "",
			Path:     c.Path,
			Secure:   c.Secure,
			HTTPOnly: c.HttpOnly,
		}
		if cookie.HostOnly {
			cookie.Domain = s.Host
		}
		if cookie.Path == "" {
			cookie.Path = "/"
		}
		switch {
		case c.MaxAge < 0:
			past := time.Unix(0, 0).UTC()
			cookie.ExpiresAt = &past
		case c.MaxAge > 0:
			at := time.Now().Add(time.Duration(c.MaxAge) * time.Second).UTC().Truncate(time.Second)
			cookie.ExpiresAt = &at
		case !c.Expires.IsZero():
			at := c.Expires.UTC()
			cookie.ExpiresAt = &at
		}
		switch c.SameSite {
		case http.SameSiteLaxMode:
			cookie.SameSite = ptr("Lax")
		case http.SameSiteStrictMode:
			cookie.SameSite = ptr("Strict")
		case http.SameSiteNoneMode:
			cookie.SameSite = ptr("None")
		}
		out = append(out, cookie)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
