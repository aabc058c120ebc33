package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/sandbox"
)

const (
	createSessionMutation = `mutation { createCircleSession { cookies { name value domain hostOnly path expiresAt secure httpOnly sameSite } message userErrors { message } } }`
	endSessionMutation    = `mutation { endCircleSession { cookies { name value expiresAt } message userErrors { message } } }`
)

type sessionCookie struct {
	Name, Value, Domain, Path string
	HostOnly, Secure          bool
	HTTPOnly                  bool `json:"httpOnly"`
	SameSite                  *string
	ExpiresAt                 *time.Time
}

// homePage loads the sandbox's web home page with a session cookie and
// returns its status and text.
func homePage(t *testing.T, env *testenv.Env, c sessionCookie) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, env.UpstreamURL+"/", nil)
	req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A native app gets Circle's session cookies in the payload, for Circle's
// host, with their attributes; they sign the member in on Circle's pages.
// The gateway sets no cookie of its own and logs none.
func TestCircleSessionForNativeWebviews(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)

	r := env.Do(t, tok, createSessionMutation, nil)
	mustNoErrors(t, r)
	mustCalls(t, env, "POST /cookies")
	if got := r.Header.Values("Set-Cookie"); len(got) != 0 {
		t.Fatalf("the gateway answered with Set-Cookie %q", got)
	}
	var out struct {
		CreateCircleSession struct {
			Cookies []sessionCookie
			Message string
		}
	}
	r.Decode(t, &out)
	cookies := out.CreateCircleSession.Cookies
	host := strings.Split(strings.TrimPrefix(env.UpstreamURL, "http://"), ":")[0]
	if len(cookies) != 1 || out.CreateCircleSession.Message != "Cookies generated" {
		t.Fatalf("payload %+v", out.CreateCircleSession)
	}
	c := cookies[0]
	if c.Name != "_circle_session" || c.Value == "" || c.Domain != host || !c.HostOnly || c.Path != "/" || !c.HTTPOnly || c.Secure ||
		c.SameSite == nil || *c.SameSite != "Lax" || c.ExpiresAt == nil || !c.ExpiresAt.After(time.Now().Add(24*time.Hour)) {
		t.Fatalf("cookie %+v", c)
	}
	if status, page := homePage(t, env, c); status != http.StatusOK || !strings.Contains(page, "Signed in as <b>Demo Member</b>") {
		t.Fatalf("Circle's page with the cookie: %d %s", status, page)
	}
	if strings.Contains(env.Logs.String(), c.Value) {
		t.Fatal("the session cookie's value is in the log")
	}

	env.Upstream.Reset()
	r = env.Do(t, tok, endSessionMutation, nil)
	mustNoErrors(t, r)
	mustCalls(t, env, "DELETE /cookies")
	var ended struct {
		EndCircleSession struct {
			Cookies []sessionCookie
			Message string
		}
	}
	r.Decode(t, &ended)
	e := ended.EndCircleSession
	if e.Message != "Cookies deleted" || len(e.Cookies) != 1 || e.Cookies[0].Name != "_circle_session" || e.Cookies[0].Value != "" ||
		e.Cookies[0].ExpiresAt == nil || e.Cookies[0].ExpiresAt.After(time.Now()) {
		t.Fatalf("ended %+v", e)
	}
	if status, _ := homePage(t, env, c); status != http.StatusUnauthorized {
		t.Fatalf("the ended session still signs in: %d", status)
	}
}

// A browser's request (it carries Origin) never gets Circle's session
// cookies: its page could not use them and its scripts must not hold them.
func TestCircleSessionRefusedToBrowsers(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	headers := http.Header{"Authorization": {"Bearer " + env.DemoToken(t)}, "Origin": {"https://app.example.com"}}
	mustCode(t, env.DoWith(t, headers, createSessionMutation, nil), "FORBIDDEN")
	mustCalls(t, env)
	// Ending a session hands out nothing, so a page may do it.
	mustNoErrors(t, env.DoWith(t, headers, endSessionMutation, nil))
	mustCalls(t, env, "DELETE /cookies")
	mustCode(t, env.Do(t, "", createSessionMutation, nil), "UNAUTHENTICATED")
}

// cookieWatch wraps the sandbox: every answer sets a cookie, and it counts
// the calls that came back with one.
type cookieWatch struct {
	next     http.Handler
	returned atomic.Int32
}

func (c *cookieWatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Cookie") != "" {
		c.returned.Add(1)
	}
	http.SetCookie(w, &http.Cookie{Name: "tracker", Value: "per-member-secret", Path: "/"})
	c.next.ServeHTTP(w, r)
}

// Cookies Circle sets on any answer are kept nowhere: no later call (of
// this member or another) carries them, even when the HTTP client the
// gateway is given has a cookie jar, and no client gets them as a
// Set-Cookie.
func TestNoCookieTravelsBetweenCalls(t *testing.T) {
	t.Parallel()
	sb := sandbox.New(sandbox.Options{AppToken: "test-app-token"})
	watch := &cookieWatch{next: sb.Handler()}
	jar, _ := cookiejar.New(nil)
	env := testenv.New(t, testenv.Options{Upstream: watch, ClientOptions: []circle.Option{circle.WithHTTPClient(&http.Client{Jar: jar})}})
	tokens := []string{}
	for _, id := range sb.MemberIDs()[:2] {
		tok, err := sb.IssueToken(id)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok.AccessToken)
	}
	for _, q := range []string{`{ me { id } }`, createSessionMutation, `{ me { id } homeFeed(first: 1) { nodes { id } } }`} {
		for _, tok := range tokens {
			r := env.Do(t, tok, q, nil)
			mustNoErrors(t, r)
			if got := r.Header.Values("Set-Cookie"); len(got) != 0 {
				t.Fatalf("%s: the gateway answered with Set-Cookie %q", q, got)
			}
		}
	}
	if n := watch.returned.Load(); n != 0 {
		t.Fatalf("%d upstream calls carried a cookie Circle had set", n)
	}
	u, _ := url.Parse(env.UpstreamURL)
	if got := jar.Cookies(u); len(got) != 0 {
		t.Fatalf("the jar kept %v", got)
	}
}
