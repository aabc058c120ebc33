package hostile

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	hx "github.com/circle-gateway/gateway/internal/hostile"
)

// bigCommentsQuery is issue 14's memory attack: 20 posts, each with its
// comment list, which the upstream answers with 15 MB each (under the
// 16 MiB a call may read), 300 MB for one operation.
const bigCommentsQuery = `{ homeFeed(first: 20) { nodes { id comments(first: 1) { nodes { id bodyText } } } } }`

// memberQuery is what a legitimate member does meanwhile.
const memberQuery = `{ me { name } homeFeed(first: 5) { nodes { title comments(first: 2) { nodes { bodyText } } } } }`

var commentList = regexp.MustCompile(`^/api/headless/v1/posts/(\d+)/comments$`)

// mib is n bytes in MiB, for messages.
func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

// startGateway runs the binary against d until the test ends.
func startGateway(t *testing.T, bin string, d *hx.Double, env ...string) *hx.Gateway {
	t.Helper()
	g, err := hx.Start(bin, d.Env(env...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Kill)
	return g
}

// Issue 14, item 3: four of the 300 MB operations at once, twice over,
// while a legitimate member keeps being served. Every comment list is
// answered with 15 MB except one per operation, which the upstream holds
// until the legitimate member has been served while the attackers' bytes
// are held: so the member is served, with no error, in the worst moment.
// Asserted: the gateway's peak RSS (VmHWM) stays under 256 MiB; every
// hostile answer is a RESPONSE_TOO_LARGE (or, for an operation the
// process-wide cap turned away, UPSTREAM_UNAVAILABLE) naming its cap,
// and small; no more than 21 upstream calls per hostile operation; and
// once the operations end the heap goes back to the OS.
func TestHostileLargeAnswers(t *testing.T) {
	t.Parallel()
	bin := gatewayBinary(t)
	d := hx.NewDouble()
	t.Cleanup(d.Close)
	const rounds, parallel, size = 2, 4, 15_000_000
	// Each attacking operation has a token of its own, so that none shares
	// another's calls (UPSTREAM_COALESCING) and their bytes add up.
	members := d.Members()
	member, err := d.Token(members[0])
	if err != nil {
		t.Fatal(err)
	}
	attackers := map[string]bool{}
	var tokens []string
	for _, id := range members[1 : 1+parallel] {
		tok, err := d.Token(id)
		if err != nil {
			t.Fatal(err)
		}
		attackers["Bearer "+tok] = true
		tokens = append(tokens, tok)
	}
	// Timeouts longer than the upstream holds lists, so that no call is
	// retried and the calls counted are the operations' own.
	g := startGateway(t, bin, d, "UPSTREAM_TIMEOUT=2m", "REQUEST_TIMEOUT=3m")
	before, err := g.Memory()
	if err != nil {
		t.Fatal(err)
	}

	text := strings.Repeat("x", size)
	var mu sync.Mutex
	held := map[string]bool{} // the attacking tokens with a list held
	release := make(chan struct{})
	var once sync.Once
	served := func() { once.Do(func() { close(release) }) }
	d.Upstream.SetFault(func(r *http.Request) (int, string, bool) {
		m := commentList.FindStringSubmatch(r.URL.Path)
		who := r.Header.Get("Authorization")
		if m == nil || !attackers[who] {
			return 0, "", false
		}
		mu.Lock()
		hold := !held[who]
		held[who] = true
		mu.Unlock()
		if hold {
			select {
			case <-release:
			case <-r.Context().Done():
			case <-time.After(90 * time.Second):
			}
		}
		return http.StatusOK, `{"page":1,"per_page":1,"has_next_page":false,"count":1,"records":[{"id":9` + m[1] + `,"post_id":` + m[1] + `,"body_text":"` + text + `","author":{"id":5001,"community_member_id":101,"name":"A"}}]}`, true
	})

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	type outcome struct {
		resp hx.Response
		err  error
	}
	for round := range rounds {
		mu.Lock()
		clear(held)
		mu.Unlock()
		release = make(chan struct{})
		once = sync.Once{}
		results := make(chan outcome, parallel)
		for _, tok := range tokens {
			go func() {
				r, err := g.Post(ctx, nil, tok, bigCommentsQuery, nil)
				results <- outcome{r, err}
			}()
		}
		// The member is served while each attacking operation has one list
		// held and its other lists read (or refused).
		if err := g.WaitFor(ctx, 20*time.Millisecond, func() (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			return len(held) == parallel, nil
		}); err != nil {
			t.Fatalf("round %d: the attacking operations did not all reach the upstream: %v", round, err)
		}
		for i := range 3 {
			r, err := g.Post(ctx, nil, member, memberQuery, nil)
			if err != nil || len(r.Errors) > 0 || r.Status != http.StatusOK {
				t.Fatalf("round %d: the member's request %d: %v %d %+v", round, i, err, r.Status, r.Errors)
			}
		}
		served()
		for range parallel {
			o := <-results
			if o.err != nil {
				t.Fatalf("round %d: hostile request: %v", round, o.err)
			}
			if o.resp.Size > 64<<10 {
				t.Errorf("round %d: a hostile answer of %d bytes", round, o.resp.Size)
			}
			if len(o.resp.Errors) == 0 {
				t.Fatalf("round %d: a hostile operation succeeded: %.200s", round, o.resp.Data)
			}
			for _, e := range o.resp.Errors {
				switch {
				case e.Code() == "RESPONSE_TOO_LARGE" && (strings.Contains(e.Message, "MAX_RESPONSE_BYTES") || strings.Contains(e.Message, "MAX_UPSTREAM_BYTES_PER_OPERATION")):
				case e.Code() == "UPSTREAM_UNAVAILABLE" && strings.Contains(e.Message, "MAX_BYTES_IN_FLIGHT"):
				default:
					t.Fatalf("round %d: hostile error %s: %s", round, e.Code(), e.Message)
				}
			}
		}
	}
	calls := 0
	for _, c := range d.Upstream.Calls() {
		if attackers[c.Authorization] {
			calls++
		}
	}
	if limit := rounds * parallel * 21; calls > limit {
		t.Errorf("the attack made %d upstream calls, more than its %d operations' 21 each", calls, rounds*parallel)
	}

	peak, err := g.Memory()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("RSS before %s, peak %s; the attack made %d upstream calls", mib(before.RSS), mib(peak.Peak), calls)
	if peak.Peak > 256<<20 {
		t.Errorf("peak RSS %s, over 256 MiB", mib(peak.Peak))
	}
	// The heap goes back to the OS after the large operations: once every
	// operation has given its bytes back (each large one asks for a
	// release first) and no release is still due, the RSS is near where
	// it started.
	err = g.WaitFor(ctx, 50*time.Millisecond, func() (bool, error) {
		held, err := g.Metric(ctx, "gateway_memory_held_bytes")
		if err != nil || held != 0 {
			return false, err
		}
		pending, err := g.Metric(ctx, "gateway_memory_release_pending")
		return pending == 0, err
	})
	if err != nil {
		t.Fatalf("memory still held or not released: %v", err)
	}
	if n, err := g.Metric(ctx, "gateway_memory_released_total"); err != nil || n < 1 {
		t.Fatalf("no release: %v %v", n, err)
	}
	after, err := g.Memory()
	if err != nil {
		t.Fatal(err)
	}
	if after.RSS > before.RSS+64<<20 {
		t.Errorf("RSS %s after the attack, %s before", mib(after.RSS), mib(before.RSS))
	}
	t.Logf("RSS after %s", mib(after.RSS))
}
