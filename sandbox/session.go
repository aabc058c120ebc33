package sandbox

import (
	"html"
	"net/http"
	"sync"
	"time"
)

// Circle's cookie endpoints: POST /cookies starts a session on the
// community's own web pages for the member whose token the request
// carries, answered with Set-Cookie for the sandbox's host; DELETE /cookies
// ends it. The sandbox's home page (GET /) says who the session cookie
// signs in, so that a webview given the cookies shows the member signed in.

// Bounds of the web sessions the sandbox keeps.
const (
	// sessionCookieName is the session cookie's name.
	sessionCookieName = "_circle_session"
	// sessionLifetime is how long a web session lasts.
	sessionLifetime = 14 * 24 * time.Hour
	// maxSessionsPerMember bounds one member's sessions; the oldest go.
	maxSessionsPerMember = 10
	// maxSessions bounds every member's sessions together.
	maxSessions = 10000
)

// Success messages, word for word from the OpenAPI document's examples.
const (
	msgCookiesGenerated = "Cookies generated"
	msgCookiesDeleted   = "Cookies deleted"
)

// webSession is one signed-in session on the community's web pages.
type webSession struct {
	memberID  int64
	expiresAt time.Time
}

// webSessions holds the sandbox's web sessions by cookie value.
type webSessions struct {
	mu       sync.Mutex
	byValue  map[string]webSession
	byMember map[int64][]string // oldest first
	order    []string           // every session, oldest first
}

func newWebSessions() *webSessions {
	return &webSessions{byValue: map[string]webSession{}, byMember: map[int64][]string{}}
}

// start records a new session for memberID and returns its cookie value.
func (ws *webSessions) start(memberID int64, now time.Time) (string, time.Time) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	value := randomToken()
	expires := now.Add(sessionLifetime)
	ws.byValue[value] = webSession{memberID: memberID, expiresAt: expires}
	ws.byMember[memberID] = append(ws.byMember[memberID], value)
	ws.order = append(ws.order, value)
	for len(ws.byMember[memberID]) > maxSessionsPerMember {
		ws.dropLocked(ws.byMember[memberID][0])
	}
	for len(ws.byValue) > maxSessions {
		ws.dropLocked(ws.order[0])
	}
	return value, expires
}

// end ends the session of value when it is memberID's, or every session of
// memberID when value names none of theirs.
func (ws *webSessions) end(memberID int64, value string) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if s, ok := ws.byValue[value]; ok && s.memberID == memberID {
		ws.dropLocked(value)
		return
	}
	for _, v := range append([]string(nil), ws.byMember[memberID]...) {
		ws.dropLocked(v)
	}
}

// member returns who the session cookie value signs in.
func (ws *webSessions) member(value string, now time.Time) (int64, bool) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	s, ok := ws.byValue[value]
	if !ok || now.After(s.expiresAt) {
		return 0, false
	}
	return s.memberID, true
}

func (ws *webSessions) dropLocked(value string) {
	s, ok := ws.byValue[value]
	if !ok {
		return
	}
	delete(ws.byValue, value)
	ws.byMember[s.memberID] = removeString(ws.byMember[s.memberID], value)
	if len(ws.byMember[s.memberID]) == 0 {
		delete(ws.byMember, s.memberID)
	}
	ws.order = removeString(ws.order, value)
}

func removeString(list []string, v string) []string {
	out := list[:0]
	for _, s := range list {
		if s != v {
			out = append(out, s)
		}
	}
	return out
}

// sessionCookie is the session cookie for value; secure marks an HTTPS
// sandbox, where it is sent cross-site too (SameSite=None needs Secure).
func sessionCookie(value string, expires time.Time, secure bool) *http.Cookie {
	c := &http.Cookie{Name: sessionCookieName, Value: value, Path: "/", Expires: expires, HttpOnly: true, SameSite: http.SameSiteLaxMode}
	if secure {
		c.Secure, c.SameSite = true, http.SameSiteNoneMode
	}
	return c
}

type cookieMessage struct {
	Message string `json:"message"`
}

func (s *Sandbox) createCookies(w http.ResponseWriter, r *http.Request, viewer int64) {
	value, expires := s.sessions.start(viewer, s.now())
	http.SetCookie(w, sessionCookie(value, expires, r.TLS != nil))
	writeJSON(w, http.StatusOK, cookieMessage{Message: msgCookiesGenerated})
}

func (s *Sandbox) destroyCookies(w http.ResponseWriter, r *http.Request, viewer int64) {
	value := ""
	if c, err := r.Cookie(sessionCookieName); err == nil {
		value = c.Value
	}
	s.sessions.end(viewer, value)
	cleared := sessionCookie("", time.Unix(0, 0), r.TLS != nil)
	cleared.MaxAge = -1
	http.SetCookie(w, cleared)
	writeJSON(w, http.StatusOK, cookieMessage{Message: msgCookiesDeleted})
}

// homePage is the community's web home page: it greets the member the
// session cookie signs in, as Circle's pages would show them signed in.
func (s *Sandbox) homePage(w http.ResponseWriter, r *http.Request) {
	name := ""
	if c, err := r.Cookie(sessionCookieName); err == nil {
		if id, ok := s.sessions.member(c.Value, s.now()); ok {
			if m, ok := s.store.memberByID(id); ok {
				name = m.name
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if name == "" {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte("<!doctype html><title>Sandbox community</title><p>Not signed in.</p>\n"))
		return
	}
	_, _ = w.Write([]byte("<!doctype html><title>Sandbox community</title><p>Signed in as <b>" + html.EscapeString(name) + "</b>.</p>\n"))
}

// sessionRoutes adds the cookie endpoints and the web home page.
func (s *Sandbox) sessionRoutes(member func(method, path string, h memberHandler), mux *http.ServeMux) {
	member(http.MethodPost, "/cookies", s.createCookies)
	member(http.MethodDelete, "/cookies", s.destroyCookies)
	mux.HandleFunc("GET /{$}", s.homePage)
}
