package budget_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/circle-gateway/gateway/budget"
	"github.com/circle-gateway/gateway/circle"
)

// gatedUpstream answers Member API GETs: 401 for tokens in bad, 200 for
// the others; the first call is held until release is closed. It counts
// calls per token and the calls that arrived while the first was held.
type gatedUpstream struct {
	bad     map[string]bool
	release chan struct{}
	first   chan struct{} // closed when the first call arrives
	once    sync.Once

	mu        sync.Mutex
	calls     map[string]int
	whileHeld int
	held      bool
	total     atomic.Int64
}

func newGatedUpstream(bad ...string) *gatedUpstream {
	u := &gatedUpstream{bad: map[string]bool{}, release: make(chan struct{}), first: make(chan struct{}), calls: map[string]int{}}
	for _, b := range bad {
		u.bad["Bearer "+b] = true
	}
	return u
}

func (u *gatedUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.total.Add(1)
	tok := r.Header.Get("Authorization")
	u.mu.Lock()
	u.calls[tok]++
	if u.held {
		u.whileHeld++
	}
	first := false
	u.once.Do(func() { first, u.held = true, true })
	u.mu.Unlock()
	if first {
		close(u.first)
		<-u.release
		u.mu.Lock()
		u.held = false
		u.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	if u.bad[tok] {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"message":"The access token is invalid."}`)
		return
	}
	_, _ = io.WriteString(w, `{"id":1}`)
}

// A token Circle has not accepted sends one call; the other calls of it
// wait for that answer. Refused (401): they fail as UNAUTHENTICATED
// without a call, and so does every later call. Accepted: they all go.
func TestOneCallPerUnprovenToken(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		bad       bool
		wantCalls int
	}{
		{"refused", true, 1},
		{"accepted", false, 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			token := "token-" + tt.name
			var bad []string
			if tt.bad {
				bad = append(bad, token)
			}
			up := newGatedUpstream(bad...)
			srv := httptest.NewServer(up)
			t.Cleanup(srv.Close)
			var refusedWithoutCall atomic.Int64
			client, err := circle.New(srv.URL, circle.WithTokenMemory(budget.NewTokens(nil)), circle.WithObserver(func(_ context.Context, c circle.Call) {
				if c.Refused {
					refusedWithoutCall.Add(1)
				}
			}))
			if err != nil {
				t.Fatal(err)
			}
			m := client.Member(token).WithMemberID(7)
			errs := make([]error, 20)
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = m.PublicProfile(context.Background(), int64(100+i))
				}()
			}
			<-up.first
			close(up.release)
			wg.Wait()
			for i, err := range errs {
				if tt.bad != circle.IsStatus(err, http.StatusUnauthorized) || (!tt.bad && err != nil) {
					t.Fatalf("call %d: %v", i, err)
				}
			}
			if got := up.total.Load(); got != int64(tt.wantCalls) {
				t.Fatalf("upstream calls = %d, want %d", got, tt.wantCalls)
			}
			if up.whileHeld != 0 {
				t.Fatalf("%d calls went out while the first call on the token was unanswered", up.whileHeld)
			}
			if tt.bad {
				if got := refusedWithoutCall.Load(); got != 19 {
					t.Fatalf("%d calls refused without a call, want 19", got)
				}
				// Later calls are refused too, without a call.
				if _, err := m.Me(context.Background()); !circle.IsStatus(err, http.StatusUnauthorized) {
					t.Fatalf("later call: %v", err)
				}
				if got := up.total.Load(); got != 1 {
					t.Fatalf("upstream calls = %d after a later call, want 1", got)
				}
			}
		})
	}
}

// Tokens Circle issues through the gateway are proven from the start, and a
// revoked one is refused without a call, through any replica's memory.
func TestIssuedAndRevokedTokens(t *testing.T) {
	t.Parallel()
	var memberCalls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/headless/auth_token":
			_, _ = io.WriteString(w, `{"access_token":"issued-access","refresh_token":"issued-refresh","access_token_expires_at":"2099-01-01T00:00:00Z","refresh_token_expires_at":"2099-02-01T00:00:00Z","community_member_id":7,"community_id":1}`)
		case "/api/v1/headless/access_token/revoke":
			_, _ = io.WriteString(w, `{}`)
		default:
			memberCalls.Add(1)
			_, _ = io.WriteString(w, `{"id":7}`)
		}
	}))
	t.Cleanup(srv.Close)
	var shares []string
	lim := budget.NewLocal(budget.RateLimit{Calls: 100, Window: 1 << 40}, budget.DefaultShares, 0)
	lim.OnDecision = func(d budget.Decision) { shares = append(shares, d.Share) }
	tokens := budget.NewTokens(nil)
	client, err := circle.New(srv.URL, circle.WithAppToken("app"), circle.WithTokenMemory(tokens), circle.WithLimiter(lim))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok, err := client.CreateAuthToken(ctx, circle.Identity{SSOUserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Member(tok.AccessToken).WithMemberID(7).Me(ctx); err != nil {
		t.Fatal(err)
	}
	if err := client.RevokeAccessToken(ctx, tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Member(tok.AccessToken).WithMemberID(7).Me(ctx); !circle.IsStatus(err, http.StatusUnauthorized) {
		t.Fatalf("revoked token: %v", err)
	}
	if memberCalls.Load() != 1 {
		t.Fatalf("member calls = %d, want 1 (none after the revocation)", memberCalls.Load())
	}
	if got, want := fmt.Sprint(shares), "[auth member auth]"; got != want {
		t.Fatalf("shares %s, want %s: an issued token is proven at once", got, want)
	}
}
