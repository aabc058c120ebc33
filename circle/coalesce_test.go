package circle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gatedUpstream answers every GET with the caller's token and target, but
// only once the gate opens, so tests can line callers up behind one call.
// Writes and Auth API calls answer writeStatus, at once unless writeGate is
// set, in which case they wait for it to close.
type gatedUpstream struct {
	gate        chan struct{}
	writeGate   chan struct{}
	writeStatus int
	gets        atomic.Int32
	writes      atomic.Int32
	cancelled   atomic.Int32 // GETs whose request context ended unanswered
	srv         *httptest.Server
}

func newGatedUpstream(t *testing.T) *gatedUpstream {
	t.Helper()
	u := &gatedUpstream{gate: make(chan struct{}), writeStatus: http.StatusOK}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			u.writes.Add(1)
			if u.writeGate != nil {
				<-u.writeGate
			}
			w.WriteHeader(u.writeStatus)
			_, _ = io.WriteString(w, `{"message":"refused"}`)
			return
		}
		u.gets.Add(1)
		select {
		case <-u.gate:
		case <-r.Context().Done():
			u.cancelled.Add(1)
			return
		}
		_, _ = fmt.Fprintf(w, `{"token":%q,"target":%q}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), r.URL.RequestURI())
	}))
	t.Cleanup(u.srv.Close)
	t.Cleanup(u.open)
	return u
}

func (u *gatedUpstream) open() {
	select {
	case <-u.gate:
	default:
		close(u.gate)
	}
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

type answer struct {
	Token  string `json:"token"`
	Target string `json:"target"`
}

func TestCoalescingSharesOnlyIdenticalGETsOfOneToken(t *testing.T) {
	t.Parallel()
	type get struct{ token, target string }
	tests := []struct {
		name      string
		coalesce  bool
		gets      []get
		wantCalls int32
	}{
		{"one token, one GET", true, []get{{"tok-a", "/home"}, {"tok-a", "/home"}, {"tok-a", "/home"}, {"tok-a", "/home"}}, 1},
		{"two tokens never share", true, []get{{"tok-a", "/home"}, {"tok-b", "/home"}, {"tok-a", "/home"}, {"tok-b", "/home"}}, 2},
		{"different queries never share", true, []get{{"tok-a", "/home?page=1"}, {"tok-a", "/home?page=2"}, {"tok-a", "/home?page=1"}}, 2},
		{"off: every caller calls", false, []get{{"tok-a", "/home"}, {"tok-a", "/home"}, {"tok-a", "/home"}}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newGatedUpstream(t)
			var shared atomic.Int32
			c, err := New(up.srv.URL, WithCoalescing(tt.coalesce), WithObserver(func(_ context.Context, call Call) {
				if call.Shared {
					shared.Add(1)
				}
			}))
			if err != nil {
				t.Fatal(err)
			}
			answers := make([]answer, len(tt.gets))
			errs := make([]error, len(tt.gets))
			var wg sync.WaitGroup
			for i, g := range tt.gets {
				wg.Go(func() {
					var resp *Response
					resp, errs[i] = c.Member(g.token).Fetch(context.Background(), GetRequest{Endpoint: "/home", Target: g.target})
					if errs[i] == nil {
						errs[i] = resp.DecodeInto(&answers[i])
					}
				})
			}
			if tt.coalesce {
				eventually(t, "every caller to wait on a call", func() bool { return c.SharedWaiters() == len(tt.gets) })
			} else {
				eventually(t, "every call to arrive", func() bool { return up.gets.Load() == int32(len(tt.gets)) })
			}
			up.open()
			wg.Wait()
			for i, g := range tt.gets {
				if errs[i] != nil {
					t.Fatalf("caller %d: %v", i, errs[i])
				}
				if answers[i].Token != g.token || answers[i].Target != "/api/headless/v1"+g.target {
					t.Errorf("caller %d (%s %s) got the answer to %+v", i, g.token, g.target, answers[i])
				}
			}
			if got := up.gets.Load(); got != tt.wantCalls {
				t.Errorf("upstream GETs = %d, want %d", got, tt.wantCalls)
			}
			if got, want := shared.Load(), int32(len(tt.gets))-tt.wantCalls; got != want {
				t.Errorf("observed %d shared GETs, want %d", got, want)
			}
		})
	}
}

// A write, or the revocation of the token, ends sharing: what a member reads
// after its own write must not come from a call that started before the
// write returned, whatever the write's outcome.
func TestCoalescingStopsAtWrites(t *testing.T) {
	t.Parallel()
	// tok-a and tok-a2 are two tokens of member 7; tok-b is member 8's.
	memberOf := map[string]int64{"tok-a": 7, "tok-a2": 7, "tok-b": 8}
	like := func(token string) func(ctx context.Context, c *Client) error {
		return func(ctx context.Context, c *Client) error {
			return c.Member(token).WithMemberID(memberOf[token]).LikePost(ctx, 7)
		}
	}
	revoke := func(ctx context.Context, c *Client) error { return c.RevokeAccessToken(ctx, "tok-a") }
	tests := []struct {
		name        string
		write       func(ctx context.Context, c *Client) error
		writeStatus int
		// getDuringWrite starts the first GET while the write is held at
		// the upstream instead of before the write.
		getDuringWrite bool
		wantCalls      int32
	}{
		{"write by the same token", like("tok-a"), http.StatusOK, false, 2},
		{"GET sent while the same token writes", like("tok-a"), http.StatusOK, true, 2},
		{"refused write by the same token", like("tok-a"), http.StatusUnprocessableEntity, false, 2},
		{"revocation of the token", revoke, http.StatusOK, false, 2},
		{"refused revocation of the token", revoke, http.StatusUnprocessableEntity, false, 2},
		{"write by another token of the same member", like("tok-a2"), http.StatusOK, false, 2},
		{"write by another member", like("tok-b"), http.StatusOK, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newGatedUpstream(t)
			up.writeStatus = tt.writeStatus
			if tt.getDuringWrite {
				up.writeGate = make(chan struct{})
			}
			c, err := New(up.srv.URL, WithAppToken("app"))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			get := func() error {
				_, err := c.Member("tok-a").WithMemberID(7).Fetch(ctx, GetRequest{Endpoint: "/home", Target: "/home"})
				return err
			}
			var wg sync.WaitGroup
			var errBefore, errAfter error
			startFirstGET := func() {
				wg.Go(func() { errBefore = get() })
				eventually(t, "the first GET to be sent", func() bool { return up.gets.Load() == 1 })
			}
			if !tt.getDuringWrite {
				startFirstGET()
			}
			wrote := make(chan error, 1)
			go func() { wrote <- tt.write(ctx, c) }()
			if tt.getDuringWrite {
				eventually(t, "the write to arrive", func() bool { return up.writes.Load() == 1 })
				startFirstGET()
				close(up.writeGate)
			}
			if err := <-wrote; (err == nil) != (tt.writeStatus == http.StatusOK) {
				t.Fatalf("write: %v", err)
			}
			wg.Go(func() { errAfter = get() })
			eventually(t, "the second GET to wait", func() bool { return c.SharedWaiters() == 2 || up.gets.Load() == 2 })
			up.open()
			wg.Wait()
			if errBefore != nil || errAfter != nil {
				t.Fatal(errBefore, errAfter)
			}
			if got := up.gets.Load(); got != tt.wantCalls {
				t.Errorf("upstream GETs = %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

// Callers leave a shared call on their own: the call goes on while anyone
// waits, is cancelled when the last one leaves, and a caller with time left
// calls again when the call it joined ran out of its first caller's time.
func TestCoalescingWaitersLeave(t *testing.T) {
	t.Parallel()
	fetch := func(ctx context.Context, c *Client) (answer, error) {
		var a answer
		resp, err := c.Member("tok-a").Fetch(ctx, GetRequest{Endpoint: "/home", Target: "/home"})
		if err == nil {
			err = resp.DecodeInto(&a)
		}
		return a, err
	}

	t.Run("first caller leaves, the other still gets the answer", func(t *testing.T) {
		t.Parallel()
		up := newGatedUpstream(t)
		c, _ := New(up.srv.URL)
		firstCtx, cancelFirst := context.WithCancel(context.Background())
		first := make(chan error, 1)
		go func() { _, err := fetch(firstCtx, c); first <- err }()
		eventually(t, "the call", func() bool { return up.gets.Load() == 1 })
		second := make(chan error, 1)
		go func() {
			a, err := fetch(context.Background(), c)
			if err == nil && a.Token != "tok-a" {
				err = fmt.Errorf("answer %+v", a)
			}
			second <- err
		}()
		eventually(t, "the second caller to join", func() bool { return c.SharedWaiters() == 2 })
		cancelFirst()
		eventually(t, "the first caller to leave", func() bool { return c.SharedWaiters() == 1 })
		// The first caller makes the call on its own goroutine: having left,
		// it is answered with its own error once the call ends, and the
		// call goes on for the other.
		up.open()
		if err := <-second; err != nil {
			t.Fatalf("second caller: %v", err)
		}
		if err := <-first; !errors.Is(err, ErrUnavailable) {
			t.Errorf("first caller: %v, want ErrUnavailable", err)
		}
		if up.cancelled.Load() != 0 || up.gets.Load() != 1 {
			t.Errorf("GETs %d, cancelled %d: want 1 call, not cancelled", up.gets.Load(), up.cancelled.Load())
		}
	})

	t.Run("everyone leaves, the call is cancelled", func(t *testing.T) {
		t.Parallel()
		up := newGatedUpstream(t)
		c, _ := New(up.srv.URL)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range errs {
			wg.Go(func() { _, errs[i] = fetch(ctx, c) })
		}
		// The call must have reached Circle before everyone leaves, or
		// there is nothing there to cancel.
		eventually(t, "all callers to wait on the call Circle holds", func() bool { return c.SharedWaiters() == 3 && up.gets.Load() == 1 })
		cancel()
		wg.Wait()
		for i, err := range errs {
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("caller %d: %v, want ErrUnavailable (UPSTREAM_UNAVAILABLE)", i, err)
			}
		}
		eventually(t, "the upstream to see the cancellation", func() bool { return up.cancelled.Load() == 1 })
		if c.SharedWaiters() != 0 {
			t.Error("flight still registered")
		}
	})

	t.Run("first caller's deadline passes, the other calls again", func(t *testing.T) {
		t.Parallel()
		up := newGatedUpstream(t)
		c, _ := New(up.srv.URL, WithMaxRetries(0))
		short, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		first := make(chan error, 1)
		go func() { _, err := fetch(short, c); first <- err }()
		eventually(t, "the call", func() bool { return up.gets.Load() == 1 })
		second := make(chan error, 1)
		go func() { _, err := fetch(context.Background(), c); second <- err }()
		eventually(t, "the second caller to join", func() bool { return c.SharedWaiters() == 2 })
		if err := <-first; err == nil {
			t.Fatal("first caller: no error after its deadline")
		}
		eventually(t, "the second caller's own call", func() bool { return up.gets.Load() == 2 })
		up.open()
		if err := <-second; err != nil {
			t.Fatalf("second caller inherited the first one's deadline: %v", err)
		}
	})
}

// Errors are shared like answers: one failed call, not one per caller.
func TestCoalescingSharesErrors(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	gate := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-gate
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"message":"Post not found"}`)
	}))
	t.Cleanup(srv.Close)
	c, _ := New(srv.URL)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { _, errs[i] = c.Member("tok-a").Post(context.Background(), 1, 2) })
	}
	eventually(t, "all callers to wait", func() bool { return c.SharedWaiters() == 4 })
	close(gate)
	wg.Wait()
	for i, err := range errs {
		var ce *Error
		if !errors.As(err, &ce) || ce.Status != http.StatusNotFound || ce.Message != "Post not found" {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("upstream calls = %d, want 1", calls.Load())
	}
}

// One decode, shared: the second caller gets the same records. The body's
// bytes are gone after it, so another type is refused, never decoded from
// nothing.
func TestResponseDecodesOnce(t *testing.T) {
	t.Parallel()
	r := NewResponse([]byte(`{"page":1,"per_page":2,"count":2,"records":[{"id":1,"name":"a"},{"id":2,"name":"b"}]}`))
	var a, b Page[Space]
	if err := r.DecodeInto(&a); err != nil {
		t.Fatal(err)
	}
	if err := r.DecodeInto(&b); err != nil {
		t.Fatal(err)
	}
	if len(a.Records) != 2 || a.Records[1].Name != "b" || &a.Records[0] != &b.Records[0] {
		t.Errorf("not one shared decode: %+v / %+v", a.Records, b.Records)
	}
	if r.body != nil {
		t.Error("the body is still kept after the decode")
	}
	var m map[string]any
	if err := r.DecodeInto(&m); err == nil || !strings.Contains(err.Error(), "decoded as circle.Page[") || m != nil {
		t.Errorf("another type: %v %v, want an error naming the type decoded", m, err)
	}
	if err := r.DecodeInto(a); err == nil {
		t.Error("a non-pointer was accepted")
	}
	bad := NewResponse([]byte(`{"records":[`))
	for range 2 {
		if err := bad.DecodeInto(&a); err == nil {
			t.Error("a truncated body decoded")
		}
	}
}

// A shared call that gave up because a wait did not fit its first caller's
// deadline does not fail a waiter with more time: that one asks again and
// waits as its own deadline allows (docs/contract.md §6.6 judges each operation
// by its own deadline).
func TestCoalescingWaiterWithMoreTimeCallsAgain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		refuse func(w http.ResponseWriter)
	}{
		{"429 whose Retry-After does not fit", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
		}},
		{"503 whose retry backoff does not fit", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var gets atomic.Int32
			gate := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if gets.Add(1) == 1 {
					<-gate
					tt.refuse(w)
					return
				}
				_, _ = io.WriteString(w, `{"id":5}`)
			}))
			t.Cleanup(srv.Close)
			// Backoffs of a second never fit the first caller's 1 s.
			c, _ := New(srv.URL, WithBackoff(func(int) time.Duration { return time.Second }))
			fetch := func(ctx context.Context) error {
				_, err := c.Member("tok-a").Fetch(ctx, GetRequest{Endpoint: "/spaces/{id}", Target: "/spaces/5"})
				return err
			}
			short, cancelShort := context.WithTimeout(context.Background(), time.Second)
			defer cancelShort()
			long, cancelLong := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancelLong()
			first, second := make(chan error, 1), make(chan error, 1)
			go func() { first <- fetch(short) }()
			eventually(t, "the first call", func() bool { return gets.Load() == 1 })
			go func() { second <- fetch(long) }()
			eventually(t, "the second caller to join", func() bool { return c.SharedWaiters() == 2 })
			close(gate)
			if err := <-first; err == nil {
				t.Error("first caller: answered although its wait did not fit")
			}
			if err := <-second; err != nil {
				t.Errorf("second caller inherited the first one's lack of time: %v", err)
			}
			if gets.Load() != 2 {
				t.Errorf("upstream GETs = %d, want 2", gets.Load())
			}
		})
	}
}

// A panic while making a shared call is that call's error, and does not
// leave the GET stuck for later callers.
func TestCoalescingSurvivesPanic(t *testing.T) {
	t.Parallel()
	fs := newFlights()
	r := GetRequest{Endpoint: "/home", Target: "/home"}
	_, _, err := fs.do(context.Background(), caller{"token:tok-a", "tok-a"}, r, func(context.Context) (*Response, error) { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v, want the panic", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	want := NewResponse([]byte(`{}`))
	resp, shared, err := fs.do(ctx, caller{"token:tok-a", "tok-a"}, r, func(context.Context) (*Response, error) { return want, nil })
	if err != nil || shared || resp != want {
		t.Fatalf("after the panic: %v shared=%v err=%v", resp, shared, err)
	}
}
