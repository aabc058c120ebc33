package circle_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/budget"
	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/respcache"
)

// cacheUpstream answers GET /community_member with the calling token, so a
// test can see whose answer it got, and counts calls by token.
type cacheUpstream struct {
	mu      sync.Mutex
	calls   map[string]int
	status  int  // answer this instead of 200 when set
	refused bool // set by GET /spaces: Circle refuses the token from then on
}

func (u *cacheUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	u.mu.Lock()
	u.calls[r.Method+" "+tok]++
	if r.URL.Path == "/api/headless/v1/spaces" {
		u.refused = true
	}
	status := u.status
	if u.refused {
		status = http.StatusUnauthorized
	}
	u.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodGet {
		_, _ = io.WriteString(w, `{}`)
		return
	}
	if status != 0 {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"success":false,"message":"nope"}`)
		return
	}
	_, _ = fmt.Fprintf(w, `{"id":101,"name":%q}`, tok)
}

func (u *cacheUpstream) count(method, tok string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls[method+" "+tok]
}

func cachedClient(t *testing.T, opts ...circle.Option) (*circle.Client, *cacheUpstream) {
	t.Helper()
	up := &cacheUpstream{calls: map[string]int{}}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	c, err := circle.New(srv.URL, append([]circle.Option{circle.WithResponseCache(respcache.NewMemory(time.Minute, 1<<20, nil))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, up
}

func meName(t *testing.T, api *circle.MemberAPI) string {
	t.Helper()
	me, err := api.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return me.Name
}

// A member's repeated GET is answered from the cache, for that token only:
// another token of the same member and another member call Circle and get
// their own answers.
func TestResponseCacheServesTheSameTokenOnly(t *testing.T) {
	t.Parallel()
	c, up := cachedClient(t)
	ann1 := c.Member("ann-1").WithMemberID(101)
	ann2 := c.Member("ann-2").WithMemberID(101)
	bob := c.Member("bob").WithMemberID(102)
	for range 3 {
		if got := meName(t, ann1); got != "ann-1" {
			t.Fatalf("ann-1 got %q", got)
		}
	}
	if got := meName(t, ann2); got != "ann-2" {
		t.Fatalf("ann's other token got %q", got)
	}
	if got := meName(t, bob); got != "bob" {
		t.Fatalf("bob got %q", got)
	}
	if n := up.count("GET", "ann-1"); n != 1 {
		t.Errorf("ann-1: %d calls for three reads, want 1", n)
	}
	if up.count("GET", "ann-2") != 1 || up.count("GET", "bob") != 1 {
		t.Errorf("calls %v: every other token must call once", up.calls)
	}
}

// A write through any token of a member drops the member's cached answers
// before the write returns: the next read, through any of its tokens,
// calls Circle again.
func TestResponseCacheDroppedByTheMembersWrites(t *testing.T) {
	t.Parallel()
	c, up := cachedClient(t)
	ann1 := c.Member("ann-1").WithMemberID(101)
	ann2 := c.Member("ann-2").WithMemberID(101)
	bob := c.Member("bob").WithMemberID(102)
	meName(t, ann1)
	meName(t, bob)
	if err := ann2.LikePost(context.Background(), 7); err != nil {
		t.Fatal(err)
	}
	meName(t, ann1)
	meName(t, bob)
	if n := up.count("GET", "ann-1"); n != 2 {
		t.Errorf("ann-1: %d calls, want 2 (the read after the write calls again)", n)
	}
	if n := up.count("GET", "bob"); n != 1 {
		t.Errorf("bob: %d calls, want 1 (another member's write changes nothing)", n)
	}
}

// Errors are never cached, and a token Circle refused is never answered
// from the cache, even for a GET it made before.
func TestResponseCacheKeepsOnlyAnswers(t *testing.T) {
	t.Parallel()
	c, up := cachedClient(t)
	ann := c.Member("ann").WithMemberID(101)
	up.mu.Lock()
	up.status = http.StatusInternalServerError
	up.mu.Unlock()
	if _, err := ann.Me(context.Background()); err == nil {
		t.Fatal("no error from a 500")
	}
	up.mu.Lock()
	up.status = 0
	up.mu.Unlock()
	if got := meName(t, ann); got != "ann" {
		t.Fatalf("got %q after an error", got)
	}
	if n := up.count("GET", "ann"); n < 2 {
		t.Fatalf("%d calls: the error was answered from the cache", n)
	}
}

// A token revoked through the gateway is never answered from the cache
// again, and a 401 from Circle (a token revoked elsewhere) drops the
// member's entries: the next read asks Circle, which refuses it.
func TestResponseCacheNotServedToRefusedTokens(t *testing.T) {
	t.Parallel()
	c, up := cachedClient(t, circle.WithTokenMemory(budget.NewTokens(nil)), circle.WithAppToken("app"))
	ctx := context.Background()
	revoked := c.Member("revoked").WithMemberID(101).WithExpiry(time.Now().Add(time.Hour))
	meName(t, revoked)
	if err := c.RevokeAccessToken(ctx, "revoked"); err != nil {
		t.Fatal(err)
	}
	if me, err := revoked.Me(ctx); err == nil {
		t.Fatalf("a revoked token was answered from the cache: %+v", me)
	}
	if n := up.count("GET", "revoked"); n != 1 {
		t.Fatalf("%d GETs, want 1: after the revocation nothing is sent", n)
	}

	elsewhere := c.Member("elsewhere").WithMemberID(102).WithExpiry(time.Now().Add(time.Hour))
	meName(t, elsewhere)
	if _, err := elsewhere.Spaces(ctx); !circle.IsStatus(err, http.StatusUnauthorized) {
		t.Fatalf("spaces: %v, want Circle's 401", err)
	}
	if me, err := elsewhere.Me(ctx); err == nil {
		t.Fatalf("a token Circle refused was answered from the cache: %+v", me)
	}
	if n := up.count("GET", "elsewhere"); n != 3 {
		t.Fatalf("%d GETs, want 3 (the read, the refused list, the read again)", n)
	}
}
