package circle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/internal/deadline"
)

// fast makes retries instant in tests.
func fast(int) time.Duration { return time.Millisecond }

func newTestClient(t *testing.T, h http.HandlerFunc, opts ...Option) (*Client, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, append([]Option{WithBackoff(fast)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, &calls
}

func TestMemberAPISendsTokenAndPaths(t *testing.T) {
	t.Parallel()
	var gotPath, gotQuery, gotAuth, gotAccept string
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotQuery, gotAuth, gotAccept = r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Accept")
		_, _ = io.WriteString(w, `{"page":1,"per_page":3,"has_next_page":false,"count":2,"records":[{"id":7,"post_type":"basic","author":{"id":5001,"community_member_id":101,"name":"A","roles":["admin"]},"space":{"id":11,"name":"S","slug":"s"}}]}`)
	})
	posts, err := c.Member("tok-1").PostsByIDs(context.Background(), 11, []int64{9, 7, 8})
	if err != nil {
		t.Fatal(err)
	}
	if gotPath != "/api/headless/v1/spaces/11/posts" || gotQuery != "page=1&per_page=3&post_ids=9%2C7%2C8" {
		t.Errorf("path %q query %q", gotPath, gotQuery)
	}
	if gotAuth != "Bearer tok-1" || gotAccept != "application/json" {
		t.Errorf("headers: auth %q accept %q", gotAuth, gotAccept)
	}
	if len(posts) != 1 || posts[0].Author.CommunityMemberID != 101 || posts[0].Author.ID != 5001 || !posts[0].Author.Roles.Admin {
		t.Errorf("decoded %+v", posts)
	}
}

func TestErrorsAreTyped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status    int
		body      string
		header    map[string]string
		wantMsg   string
		wantRetry time.Duration
	}{
		{401, `{"success":false,"message":"The access token is expired.","error_details":{}}`, nil, "The access token is expired.", 0},
		{403, `{"success":false,"message":"Your community isn't eligible"}`, nil, "Your community isn't eligible", 0},
		{404, `not json at all <html>`, nil, "Not Found", 0},
		{422, `{"message":"Title can't be blank","error_details":{"title":["can't be blank"]}}`, nil, "Title can't be blank", 0},
		{429, `{"message":"slow down"}`, map[string]string{"Retry-After": "30"}, "slow down", 30 * time.Second},
		{429, `{"message":"slow down"}`, map[string]string{"Retry-After": "99999999999999999999"}, "slow down", 24 * time.Hour},
		{429, `{"message":"slow down"}`, map[string]string{"Retry-After": "100000"}, "slow down", 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			t.Parallel()
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			_, err := c.Member("t").Me(context.Background())
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if ce.Status != tt.status || ce.Message != tt.wantMsg || ce.RetryAfter != tt.wantRetry {
				t.Fatalf("got %+v", ce)
			}
			if strings.Contains(err.Error(), "<html>") {
				t.Fatalf("error leaks the body: %v", err)
			}
		})
	}
}

func TestRetryPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		status    int
		write     bool
		wantCalls int32
	}{
		{"GET retried on 503", 503, false, 3},
		{"GET retried on 502", 502, false, 3},
		{"GET not retried on 500", 500, false, 1},
		{"GET not retried on 404", 404, false, 1},
		{"write never retried on 503", 503, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, `{"message":"nope"}`)
			})
			var err error
			if tt.write {
				err = c.Member("t").write(context.Background(), http.MethodPost, "/x", "/x", map[string]string{"a": "b"}, nil)
			} else {
				_, err = c.Member("t").Spaces(context.Background())
			}
			if !IsStatus(err, tt.status) {
				t.Fatalf("err = %v", err)
			}
			if calls.Load() != tt.wantCalls {
				t.Fatalf("calls = %d, want %d", calls.Load(), tt.wantCalls)
			}
		})
	}
}

func TestRetryThenSuccess(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		_, _ = io.WriteString(w, `[{"id":11,"name":"General","slug":"general"}]`)
	})
	spaces, err := c.Member("t").Spaces(context.Background())
	if err != nil || len(spaces) != 1 || spaces[0].ID != 11 {
		t.Fatalf("spaces %+v err %v", spaces, err)
	}
}

// A 429 whose Retry-After is at most 5 s (including 0, or a date already
// past) is waited out and the GET retried once (docs/contract.md §6).
func TestRateLimitWaitedOutOnce(t *testing.T) {
	t.Parallel()
	for name, retryAfter := range map[string]string{
		"1 second":        "1",
		"0 seconds":       "0",
		"a date now past": time.Now().Add(-time.Minute).UTC().Format(http.TimeFormat),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int32
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					w.Header().Set("Retry-After", retryAfter)
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				_, _ = io.WriteString(w, `[]`)
			})
			if _, err := c.Member("t").Spaces(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n.Load() != 2 {
				t.Fatalf("calls = %d, want 2", n.Load())
			}
		})
	}
}

func TestRateLimitTooLongIsReported(t *testing.T) {
	t.Parallel()
	c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	_, err := c.Member("t").Spaces(context.Background())
	var ce *Error
	if !errors.As(err, &ce) || ce.Status != 429 || ce.RetryAfter != time.Minute {
		t.Fatalf("err = %v", err)
	}
	if calls.Load() != 1 {
		t.Fatalf("calls = %d", calls.Load())
	}
}

func TestTimeoutIsUnavailable(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, WithTimeout(50*time.Millisecond), WithMaxRetries(0))
	defer close(release)
	_, err := c.Member("t").Spaces(context.Background())
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v", err)
	}
}

func TestWriteTimeoutOutcomeUnknown(t *testing.T) {
	t.Parallel()
	// The server never answers. The deadline passes once the server holds
	// the request (a gated deadline, not a clock), so the call certainly
	// timed out after it was sent, however slow the machine; the client
	// reports every attempt it sent as it ends, so the count is known
	// when the call returns.
	ctx, expire := deadline.Gated(context.Background())
	var attempts atomic.Int32
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // the server notices the client hanging up only once the body is read
		expire()
		<-r.Context().Done()
	}, WithObserver(func(context.Context, Call) { attempts.Add(1) }))
	err := c.Member("t").write(ctx, http.MethodPost, "/posts/{id}/user_likes", "/posts/1/user_likes", struct{}{}, nil)
	if !errors.Is(err, ErrOutcomeUnknown) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v, want ErrOutcomeUnknown after a timeout", err)
	}
	if n := attempts.Load(); n != 1 {
		t.Fatalf("a write was retried: %d attempts", n)
	}
}

// A write whose connection drops once the server has it is not sent again:
// the caller's context is still live, so only the client's rule (a request
// that may have reached Circle is never repeated) stops the retry.
func TestWriteDroppedOutcomeUnknown(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
	}, WithBackoff(fast), WithObserver(func(context.Context, Call) { attempts.Add(1) }))
	err := c.Member("t").write(context.Background(), http.MethodPost, "/posts/{id}/user_likes", "/posts/1/user_likes", struct{}{}, nil)
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	if n, got := attempts.Load(), calls.Load(); n != 1 || got != 1 {
		t.Fatalf("a write was retried: %d attempts, %d received", n, got)
	}
}

func TestWriteRetriedWhenNeverSent(t *testing.T) {
	t.Parallel()
	// A closed port: the connection fails before anything is written.
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	var attempts atomic.Int32
	c, err := New(url, WithBackoff(fast), WithObserver(func(context.Context, Call) { attempts.Add(1) }))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Member("t").write(context.Background(), http.MethodPost, "/x", "/x", struct{}{}, nil)
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("err = %v", err)
	}
	if attempts.Load() != 3 {
		t.Fatalf("attempts = %d, want 3 (a request that never left is safe to retry)", attempts.Load())
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "["+strings.Repeat(" ", DefaultMaxBody+10)+"]")
	})
	var tooLarge *BodyTooLargeError
	if _, err := c.Member("t").Spaces(context.Background()); !errors.As(err, &tooLarge) {
		t.Fatalf("err = %v", err)
	}
	// An oversized answer is no connection failure: asking again would only
	// read another oversized answer.
	if calls.Load() != 1 {
		t.Fatalf("calls = %d, want 1", calls.Load())
	}
}

func TestNewRejectsRelativeURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "app.circle.so", "/api"} {
		if _, err := New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}

func TestRolesBothForms(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Roles{
		`{"admin":true,"moderator":false}`: {Admin: true},
		`["moderator"]`:                    {Moderator: true},
		`null`:                             {},
		`[]`:                               {},
	} {
		var r Roles
		if err := r.UnmarshalJSON([]byte(in)); err != nil || r != want {
			t.Errorf("%s: %+v %v", in, r, err)
		}
	}
}

func TestTimestamp(t *testing.T) {
	t.Parallel()
	var ts Timestamp
	if err := ts.UnmarshalJSON([]byte(`"2024-04-02T09:05:23.651Z"`)); err != nil || ts.Year() != 2024 {
		t.Fatalf("%v %v", ts, err)
	}
	for _, empty := range []string{`null`, `""`} {
		if err := ts.UnmarshalJSON([]byte(empty)); err != nil || !ts.IsZero() || ts.Ptr() != nil {
			t.Fatalf("%s: %v %v", empty, ts, err)
		}
	}
	for in, want := range map[string]time.Time{
		`"2024-04-02T09:05:23+02:00"`:   time.Date(2024, 4, 2, 7, 5, 23, 0, time.UTC),
		`"2024-04-02 09:05:23 UTC"`:     time.Date(2024, 4, 2, 9, 5, 23, 0, time.UTC),
		`"2024-04-02 09:05:23.5 +0200"`: time.Date(2024, 4, 2, 7, 5, 23, 5e8, time.UTC),
		`"2024-04-02T09:05:23"`:         time.Date(2024, 4, 2, 9, 5, 23, 0, time.UTC),
		`"2024-04-02"`:                  time.Date(2024, 4, 2, 0, 0, 0, 0, time.UTC),
		`"yesterday"`:                   {},
		`"2024-04-02T09:05:23.651Z "`:   {},
		`"2024-04-02T09:05:23.651ZZ"`:   {},
		`"2024-04-02T09:05:23.651Z"`:    time.Date(2024, 4, 2, 9, 5, 23, 651e6, time.UTC),
	} {
		if err := ts.UnmarshalJSON([]byte(in)); err != nil || !ts.Equal(want) {
			t.Errorf("%s: %v %v, want %v", in, ts.Time, err, want)
		}
	}
	if err := ts.UnmarshalJSON([]byte(`12345`)); err == nil {
		t.Fatal("accepted a number")
	}
}

// A redirect from Circle is never followed, so no token travels to where it
// points (docs/contract.md §1: the app token goes only to the Auth API).
func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	var stolen atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { stolen.Add(1) }))
	t.Cleanup(elsewhere.Close)
	tests := []struct {
		name string
		call func(c *Client) error
	}{
		{"Auth API with the app token", func(c *Client) error {
			_, err := c.CreateAuthToken(context.Background(), Identity{Email: "a@example.com"})
			return err
		}},
		{"Member API with a member token", func(c *Client) error {
			_, err := c.Member("tok").Me(context.Background())
			return err
		}},
	}
	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%d %s", status, tt.name), func(t *testing.T) {
				t.Parallel()
				c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, elsewhere.URL+"/collect", status)
				}, WithAppToken("app-secret"))
				err := tt.call(c)
				var ce *Error
				if !errors.As(err, &ce) || ce.Status != status {
					t.Errorf("err = %v, want the %d as an error", err, status)
				}
			})
		}
	}
	t.Cleanup(func() {
		if n := stolen.Load(); n != 0 {
			t.Errorf("%d requests followed a redirect", n)
		}
	})
}

// A 200 that names no object (null, {}) is refused, not served as zeros.
func TestSingleObjectWithoutIDIsRefused(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`null`, `{}`, `{"name":"x"}`} {
		c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body) })
		calls := map[string]func() error{
			"Me":            func() error { _, err := c.Member("t").Me(context.Background()); return err },
			"Space":         func() error { _, err := c.Member("t").Space(context.Background(), 1); return err },
			"Post":          func() error { _, err := c.Member("t").Post(context.Background(), 1, 2); return err },
			"Comment":       func() error { _, err := c.Member("t").Comment(context.Background(), 1, 2); return err },
			"PublicProfile": func() error { _, err := c.Member("t").PublicProfile(context.Background(), 1); return err },
		}
		for name, call := range calls {
			if err := call(); err == nil || !strings.Contains(err.Error(), "decode response") {
				t.Errorf("%s answering %s: err = %v", name, body, err)
			}
		}
	}
}

// FuzzParseUTC holds Circle's fast timestamp path to time.Parse: whatever
// it accepts, time.Parse reads as the same instant in UTC, and Circle's
// usual spellings take it.
func FuzzParseUTC(f *testing.F) {
	for _, s := range []string{"2024-04-02T09:05:23.651Z", "2024-04-02T09:05:23Z", "2024-02-29T23:59:59.123456789Z", "2023-02-29T00:00:00Z", "2024-04-02T09:05:23.Z", "2024-13-02T09:05:23Z", "2024-04-02T09:05:60Z", "2024-04-02T09:05:23,5Z", "+024-04-02T09:05:23Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseUTC([]byte(s))
		want, err := time.Parse(time.RFC3339Nano, s)
		if ok && (err != nil || got != want) {
			t.Fatalf("%q: parseUTC %v, time.Parse %v %v", s, got, want, err)
		}
	})
}

func TestParseUTCTakesCircleSpellings(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"2024-04-02T09:05:23.651Z", "2024-04-02T09:05:23Z", "2024-02-29T23:59:59.123456789Z", "2026-12-31T00:00:00.1Z"} {
		got, ok := parseUTC([]byte(s))
		want, err := time.Parse(time.RFC3339Nano, s)
		if !ok || err != nil || got != want {
			t.Errorf("%q: parseUTC %v %v, time.Parse %v %v", s, got, ok, want, err)
		}
	}
}

// The client opens at most maxConnsPerHost connections to Circle: with
// that many calls held upstream, the calls beyond them wait for a
// connection instead of opening more, and all are answered once Circle
// answers. (Over plain HTTP/1 every call in flight holds a connection.)
func TestConnectionsToCircleAreBounded(t *testing.T) {
	t.Parallel()
	const calls = maxConnsPerHost + 16
	var inFlight, most atomic.Int64
	gate := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-gate
		_, _ = io.WriteString(w, `{"id":1}`)
	}))
	t.Cleanup(srv.Close)
	var open sync.Once
	release := func() { open.Do(func() { close(gate) }) }
	t.Cleanup(release) // before srv.Close, which waits for the handlers
	c, err := New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var asking, got atomic.Int64
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GetConn: func(string) { asking.Add(1) },
		GotConn: func(httptrace.GotConnInfo) { got.Add(1) },
	})
	var wg sync.WaitGroup
	errs := make([]error, calls)
	for i := range calls {
		wg.Go(func() { _, errs[i] = c.Member("tok-a").Post(ctx, 1, int64(i+1)) })
	}
	eventually(t, "every connection held and the other calls waiting for one", func() bool {
		return inFlight.Load() == maxConnsPerHost && asking.Load() == calls && got.Load() == maxConnsPerHost
	})
	release()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if most.Load() != maxConnsPerHost {
		t.Errorf("most calls upstream at once = %d, want %d", most.Load(), maxConnsPerHost)
	}
}
