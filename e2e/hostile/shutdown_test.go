package hostile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	hx "github.com/circle-gateway/gateway/internal/hostile"
	"github.com/circle-gateway/gateway/internal/testenv"
)

var commentWrite = regexp.MustCompile(`^/api/headless/v1/posts/\d+/comments$`)

// Issue 14, item 4: SIGTERM under load (60 clients, each alternating a
// write and a read, 1.5 s of upstream latency; the signal comes when all
// 60 first writes are at Circle) drops and repeats nothing.
// The clients behave as behind a load balancer: they stop sending once
// /readyz answers 503. Asserted: /readyz answers 503 while the gateway
// still serves (a request sent after the 503 is answered); no request
// that was sent fails (no reset, no early close); every write a client
// saw succeed reached Circle exactly once, and Circle received no write
// the client did not see answered; requests were in flight at the signal;
// the process exits 0.
func TestHostileShutdownUnderLoad(t *testing.T) {
	t.Parallel()
	bin := gatewayBinary(t)
	d := hx.NewDouble()
	t.Cleanup(d.Close)
	d.Upstream.SetDelay(1500 * time.Millisecond)

	var writesMu sync.Mutex
	writes := map[string]int{} // comment bodies Circle received
	d.Upstream.SetFault(func(r *http.Request) (int, string, bool) {
		if r.Method == http.MethodPost && commentWrite.MatchString(r.URL.Path) {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			var in struct {
				Comment struct {
					Body string `json:"body"`
				} `json:"comment"`
			}
			_ = json.Unmarshal(b, &in)
			writesMu.Lock()
			writes[in.Comment.Body]++
			writesMu.Unlock()
		}
		return 0, "", false
	})
	// The readiness window is the one clock this test cannot gate (it is the
	// binary's own timer): 10 s, so that only a machine stalled for longer
	// than that keeps the probe from seeing the 503 and sending one more
	// request before the listener closes.
	g := startGateway(t, bin, d, "SHUTDOWN_READY_DELAY=10s", "CIRCLE_RATE_LIMIT=off")
	token, err := d.Token(d.Members()[0])
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var feed struct {
		HomeFeed struct{ Nodes []struct{ ID string } }
	}
	r, err := g.Post(ctx, nil, token, `{ homeFeed(first: 1) { nodes { id } } }`, nil)
	if err != nil || json.Unmarshal(r.Data, &feed) != nil || len(feed.HomeFeed.Nodes) == 0 {
		t.Fatalf("feed: %v %+v", err, r)
	}
	post := feed.HomeFeed.Nodes[0].ID

	const clients = 60
	gate := &testenv.Gate{N: clients, Match: func(method, path string) bool {
		return method == http.MethodPost && strings.HasSuffix(path, "/comments")
	}}
	d.Upstream.SetGate(gate)
	var routable atomic.Bool // as a load balancer sees /readyz
	routable.Store(true)
	type failure struct {
		client, n int
		sent      bool
		err       error
	}
	var (
		mu        sync.Mutex
		failures  []failure
		succeeded = map[string]bool{} // write bodies the clients saw made
		answered  atomic.Int64
	)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{}} // its own keep-alive connections
			defer client.CloseIdleConnections()
			for n := 0; routable.Load(); n++ {
				body := fmt.Sprintf("c%d-%d", c, n)
				query, vars := `{ me { name } }`, map[string]any(nil)
				if n%2 == 0 {
					query = `mutation($p: ID!, $b: String!) { createComment(input: { postId: $p, body: $b }) { comment { id } userErrors { message } } }`
					vars = map[string]any{"p": post, "b": body}
				}
				resp, sent, err := send(ctx, client, g.URL+"/graphql", token, query, vars)
				if err != nil {
					mu.Lock()
					failures = append(failures, failure{c, n, sent, err})
					mu.Unlock()
					continue
				}
				answered.Add(1)
				if resp.Status != http.StatusOK || len(resp.Errors) > 0 {
					mu.Lock()
					failures = append(failures, failure{c, n, true, fmt.Errorf("status %d errors %+v", resp.Status, resp.Errors)})
					mu.Unlock()
					continue
				}
				if vars != nil {
					mu.Lock()
					succeeded[body] = true
					mu.Unlock()
				}
			}
		})
	}

	// The signal comes once every client's first write is at Circle.
	if err := g.WaitFor(ctx, 10*time.Millisecond, func() (bool, error) { return gate.Opened(), nil }); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	if err := g.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The balancer's probe: at the first 503, stop routing, and check that
	// a request sent now is still served.
	var afterNotReady hx.Response
	var afterErr error
	probe := &http.Client{Timeout: time.Minute}
	err = g.WaitFor(ctx, 20*time.Millisecond, func() (bool, error) {
		resp, err := probe.Get(g.URL + "/readyz")
		if err != nil {
			return false, fmt.Errorf("/readyz before it answered 503: %w", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			return false, nil
		}
		routable.Store(false)
		afterNotReady, afterErr = g.Post(ctx, probe, token, `{ me { name } }`, nil)
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := g.Wait(ctx); err != nil {
		t.Fatalf("exit: %v\n%s", err, g.Logs.String())
	}

	if afterErr != nil || afterNotReady.Status != http.StatusOK || len(afterNotReady.Errors) > 0 {
		t.Errorf("a request sent after /readyz answered 503: %v %+v", afterErr, afterNotReady)
	}
	for _, f := range failures {
		t.Errorf("client %d request %d (sent: %v): %v", f.client, f.n, f.sent, f.err)
	}
	inFlight := 0
	for _, c := range d.Upstream.Calls() {
		if c.Start.Before(signalled) && (c.End.IsZero() || c.End.After(signalled)) {
			inFlight++
		}
	}
	if inFlight == 0 {
		t.Error("no upstream call was in flight at the signal")
	}
	writesMu.Lock()
	defer writesMu.Unlock()
	for body, n := range writes {
		if n != 1 {
			t.Errorf("Circle received write %q %d times", body, n)
		}
		if !succeeded[body] {
			t.Errorf("Circle received write %q, which no client saw answered", body)
		}
	}
	for body := range succeeded {
		if writes[body] != 1 {
			t.Errorf("a client saw write %q made, Circle received it %d times", body, writes[body])
		}
	}
	t.Logf("%d answers, %d writes, %d upstream calls in flight at the signal", answered.Load(), len(writes), inFlight)
}

// send posts one operation without letting net/http send it again on its
// own (the body cannot be replayed), and reports whether the request was
// written before a failure.
func send(ctx context.Context, client *http.Client, endpoint, token, query string, vars map[string]any) (hx.Response, bool, error) {
	raw, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) }})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, io.NopCloser(bytes.NewReader(raw)))
	if err != nil {
		return hx.Response{}, false, err
	}
	req.ContentLength = int64(len(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return hx.Response{}, wrote.Load(), err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return hx.Response{}, true, err
	}
	out := hx.Response{Status: resp.StatusCode, Size: len(b)}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, true, errors.New("not GraphQL JSON: " + string(b))
	}
	return out, true, nil
}
