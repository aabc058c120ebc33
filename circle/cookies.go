package circle

import (
	"context"
	"net/http"
)

// Circle's cookie endpoints (POST and DELETE /cookies) start and end a
// signed-in member's session on Circle's own web pages, for apps that show
// those pages in a webview or iframe. Circle answers with Set-Cookie
// headers for its own host; the client hands them to the caller and keeps
// none (it has no cookie jar), so no session cookie ever travels with
// another call.

// SessionCookies is the answer of a cookie endpoint: Circle's message and
// the cookies it set (or, when ending a session, cleared).
type SessionCookies struct {
	Message string
	Cookies []*http.Cookie
	// Host is the host Circle was called at: the cookies' domain when
	// they name none.
	Host string
}

// CreateSessionCookies starts a Circle web session for the member: POST
// /cookies.
func (m *MemberAPI) CreateSessionCookies(ctx context.Context) (*SessionCookies, error) {
	return m.sessionCookies(ctx, http.MethodPost)
}

// DestroySessionCookies ends the member's Circle web session: DELETE
// /cookies. Circle's answer clears the session's cookies.
func (m *MemberAPI) DestroySessionCookies(ctx context.Context) (*SessionCookies, error) {
	return m.sessionCookies(ctx, http.MethodDelete)
}

func (m *MemberAPI) sessionCookies(ctx context.Context, method string) (*SessionCookies, error) {
	out := &SessionCookies{Host: m.c.base.Hostname()}
	var body struct {
		Message string `json:"message"`
	}
	r := request{method: method, endpoint: "/cookies", target: "/cookies", cookies: func(c []*http.Cookie) { out.Cookies = c }}
	if err := m.writeRequest(ctx, r, &body); err != nil {
		return nil, err
	}
	out.Message = body.Message
	return out, nil
}
