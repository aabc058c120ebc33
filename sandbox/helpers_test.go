package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/circle-gateway/gateway/circle"
)

// testStart is the clock's start in every test: a fixed instant, so that
// failures reproduce.
var testStart = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// testClock is a settable clock for Options.Now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// harness is a sandbox served over real HTTP with a clock the test controls.
type harness struct {
	t     *testing.T
	sb    *Sandbox
	srv   *httptest.Server
	clock *testClock
}

const testAppToken = "test-app-token"

func newHarness(t *testing.T) *harness {
	t.Helper()
	clock := &testClock{t: testStart}
	sb := New(Options{Now: clock.Now, Secret: []byte("test-secret-test-secret-test-sec"), AppToken: testAppToken})
	return &harness{t: t, sb: sb, srv: httptestServer(t, sb), clock: clock}
}

// httptestServer serves sb over real HTTP until the test ends.
func httptestServer(t *testing.T, sb *Sandbox) *httptest.Server {
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// token issues an access token for memberID.
func (h *harness) token(memberID int64) string {
	h.t.Helper()
	tok, err := h.sb.IssueToken(memberID)
	if err != nil {
		h.t.Fatalf("IssueToken(%d): %v", memberID, err)
	}
	return tok.AccessToken
}

// do sends a request with an optional bearer token and JSON body and
// returns the status and body.
func (h *harness) do(method, path, token string, body any) (int, []byte) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// get fetches a Member API path as the holder of token and decodes a 200
// answer into out; it returns the status.
func (h *harness) get(token, path string, out any) int {
	h.t.Helper()
	status, raw := h.do(http.MethodGet, memberPrefix+path, token, nil)
	if status == http.StatusOK && out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			h.t.Fatalf("GET %s: decode: %v\n%s", path, err, raw)
		}
	}
	return status
}

// mustGet is get that fails the test unless the answer is 200.
func (h *harness) mustGet(token, path string, out any) {
	h.t.Helper()
	if status := h.get(token, path, out); status != http.StatusOK {
		h.t.Fatalf("GET %s: status %d, want 200", path, status)
	}
}

// authCall calls the Auth API with the app token.
func (h *harness) authCall(method, path string, body any) (int, []byte) {
	h.t.Helper()
	return h.do(method, authPrefix+path, testAppToken, body)
}

// errorMessage returns the message of a Circle error body.
func errorMessage(t *testing.T, raw []byte) string {
	t.Helper()
	var e struct {
		Success *bool  `json:"success"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(raw, &e); err != nil || e.Success == nil || *e.Success {
		t.Fatalf("not a Circle error body: %s", raw)
	}
	return e.Message
}

// allPages walks a list endpoint page by page (100 a page) and returns
// every record.
func allPages[T any](h *harness, token, path string) []T {
	h.t.Helper()
	var out []T
	sep := "?"
	if bytes.ContainsRune([]byte(path), '?') {
		sep = "&"
	}
	for page := 1; ; page++ {
		var p circle.Page[T]
		h.mustGet(token, path+sep+"per_page=100&page="+itoa(page), &p)
		out = append(out, p.Records...)
		if !p.HasNextPage {
			return out
		}
	}
}

func itoa[T ~int | ~int64](v T) string { return strconv.FormatInt(int64(v), 10) }

// signed makes a token with arbitrary claims under the harness's secret, for
// tokens the sandbox would never issue itself.
func (h *harness) signed(method jwt.SigningMethod, claims jwt.Claims, key any) string {
	h.t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	s, err := tok.SignedString(key)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// --- the seed, seen through the store (tests may look inside) ---

// postsIn returns the ids of a space's posts in creation order.
func (h *harness) postsIn(spaceID int64) []int64 {
	st := h.sb.store
	st.mu.RLock()
	defer st.mu.RUnlock()
	var out []int64
	for _, id := range st.postOrder {
		if st.posts[id].spaceID == spaceID {
			out = append(out, id)
		}
	}
	return out
}

// spaceMembers returns the member ids of a space, sorted.
func (h *harness) spaceMembers(spaceID int64) []int64 {
	st := h.sb.store
	st.mu.RLock()
	defer st.mu.RUnlock()
	var out []int64
	for id := range st.spaces[spaceID].members {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// commentWithReplies returns a top-level comment that has replies, and its post.
func (h *harness) commentWithReplies(spaceID int64) (postID, commentID int64) {
	st := h.sb.store
	st.mu.RLock()
	defer st.mu.RUnlock()
	for _, pid := range st.postOrder {
		p := st.posts[pid]
		if p.spaceID != spaceID {
			continue
		}
		for _, cid := range p.comments {
			if len(st.comments[cid].replies) > 0 {
				return pid, cid
			}
		}
	}
	h.t.Fatalf("no comment with replies in space %d", spaceID)
	return 0, 0
}

// admin returns an admin's member id (admins belong to the Staff Room).
func (h *harness) admin() int64 {
	st := h.sb.store
	st.mu.RLock()
	defer st.mu.RUnlock()
	for _, id := range st.memberOrder {
		if st.members[id].admin {
			return id
		}
	}
	h.t.Fatal("no admin in the seed")
	return 0
}
