// Command soak runs hostile and legitimate traffic against the built
// gateway at once, for a fixed time, and reports what the legitimate
// members got (error rate, latency) and what the hostile side cost Circle.
// Everything runs on loopback: the gateway binary built from this
// checkout, in front of a Circle double (the embedded sandbox behind a
// recorder that injects the attacks' faults).
//
//	go run ./cmd/soak                       # 60 s, 16 members, 8 attackers
//	go run ./cmd/soak -duration 10s -members 4 -attackers 4
//
// The attackers cycle through issue 14's attacks: 300 MB answers (20
// comment lists of 15 MB each), forged tokens with 20 aliased lookups,
// cost-limit probes with cursors that do not line up with Circle's pages,
// 3,000 unused variables, and request bodies that mean two things
// (duplicate keys, UTF-16). The members run the reference queries of
// docs/contract.md §6 one after another, each with its own token.
//
// CIRCLE_RATE_LIMIT is scaled up (-rate-limit, default 600000/5m, Circle's
// 2000/5m × 300) so that a minute of traffic exercises the gateway's
// shares of the budget rather than waiting for the window; every other
// setting is the gateway's default.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	hx "github.com/circle-gateway/gateway/internal/hostile"
	"github.com/circle-gateway/gateway/internal/refqueries"
)

// attack is one kind of hostile request.
type attack struct {
	name string
	// do sends one request as attacker i (token is its own, proven
	// token); it reports the error codes it got.
	do func(ctx context.Context, g *hx.Gateway, client *http.Client, token string, i, n int) ([]string, error)
}

var commentList = regexp.MustCompile(`^/api/headless/v1/posts/(\d+)/comments$`)

func main() {
	duration := flag.Duration("duration", 60*time.Second, "how long both sides run")
	members := flag.Int("members", 16, "legitimate members, each a client with its own token, one request after another")
	attackers := flag.Int("attackers", 8, "hostile clients, each cycling through the attacks")
	latency := flag.Duration("latency", 50*time.Millisecond, "simulated upstream latency")
	rateLimit := flag.String("rate-limit", "600000/5m", "CIRCLE_RATE_LIMIT for the gateway")
	flag.Parse()
	if err := run(*duration, *members, *attackers, *latency, *rateLimit); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func run(duration time.Duration, members, attackers int, latency time.Duration, rateLimit string) error {
	dir, err := os.MkdirTemp("", "soak")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintln(os.Stderr, "building the gateway …")
	bin, err := hx.Build(dir)
	if err != nil {
		return err
	}
	d := hx.NewDouble()
	defer d.Close()
	d.Upstream.SetDelay(latency)
	ids := d.Members()
	if len(ids) < members+attackers {
		return fmt.Errorf("the sandbox has %d members; -members plus -attackers must not exceed it", len(ids))
	}
	side := map[string]string{} // Authorization header → "member" or "hostile"
	memberTokens, attackerTokens := make([]string, members), make([]string, attackers)
	for i := range memberTokens {
		if memberTokens[i], err = d.Token(ids[i]); err != nil {
			return err
		}
		side["Bearer "+memberTokens[i]] = "member"
	}
	for i := range attackerTokens {
		if attackerTokens[i], err = d.Token(ids[members+i]); err != nil {
			return err
		}
		side["Bearer "+attackerTokens[i]] = "hostile"
	}
	// The attackers' one-comment lists are 15 MB each.
	big := `"` + strings.Repeat("x", 15_000_000) + `"`
	d.Upstream.SetFault(func(r *http.Request) (int, string, bool) {
		m := commentList.FindStringSubmatch(r.URL.Path)
		if m == nil || side[r.Header.Get("Authorization")] != "hostile" || r.URL.Query().Get("per_page") != "1" {
			return 0, "", false
		}
		return http.StatusOK, `{"page":1,"per_page":1,"has_next_page":false,"count":1,"records":[{"id":9` + m[1] + `,"post_id":` + m[1] + `,"body_text":` + big + `,"author":{"id":5001,"community_member_id":101,"name":"A"}}]}`, true
	})

	g, err := hx.Start(bin, d.Env("CIRCLE_RATE_LIMIT="+rateLimit)...)
	if err != nil {
		return err
	}
	defer g.Kill()

	fmt.Printf("# Soak %s: %d members and %d attackers for %s\n\n", time.Now().UTC().Format(time.RFC3339), members, attackers, duration)
	fmt.Printf("Machine: %d cores, load average %s at the start. Upstream latency %s; CIRCLE_RATE_LIMIT=%s, every other setting the gateway's default.\n\n", runtime.NumCPU(), loadavg(), latency, rateLimit)

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	var wg sync.WaitGroup
	legit := &tally{}
	hostile := map[string]*tally{}
	for _, a := range attacks {
		hostile[a.name] = &tally{}
	}
	for i, tok := range memberTokens {
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{}}
			for n := 0; ctx.Err() == nil; n++ {
				start := time.Now()
				r, err := g.Post(ctx, client, tok, refqueries.All[(i+n)%len(refqueries.All)].Query, nil)
				if ctx.Err() != nil {
					return // cut by the end of the soak, not an answer
				}
				legit.add(time.Since(start), codesOf(r, err))
			}
		})
	}
	for i, tok := range attackerTokens {
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{}}
			for n := 0; ctx.Err() == nil; n++ {
				a := attacks[(i+n)%len(attacks)]
				start := time.Now()
				codes, err := a.do(ctx, g, client, tok, i, n)
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					codes = append(codes, "transport: "+err.Error())
				}
				hostile[a.name].add(time.Since(start), codes)
			}
		})
	}
	wg.Wait()
	mem, _ := g.Memory()

	calls := map[string]int{}
	for _, c := range d.Upstream.Calls() {
		s := side[c.Authorization]
		if s == "" {
			s = "forged or none"
		}
		calls[s]++
	}
	fmt.Println("| side | requests | errors | error rate | p50 | p99 | codes |")
	fmt.Println("|---|---|---|---|---|---|---|")
	legit.row("legitimate members")
	names := make([]string, 0, len(hostile))
	for name := range hostile {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		hostile[name].row("hostile: " + name)
	}
	fmt.Printf("\nUpstream calls: %d by the members, %d with the attackers' own tokens, %d with forged tokens.\n", calls["member"], calls["hostile"], calls["forged or none"])
	fmt.Printf("Gateway peak RSS %d MiB, %d MiB at the end. Load average %s at the end.\n", mem.Peak>>20, mem.RSS>>20, loadavg())
	return nil
}

// codesOf lists an answer's error codes, or the transport failure.
func codesOf(r hx.Response, err error) []string {
	if err != nil {
		return []string{"transport: " + err.Error()}
	}
	codes := r.Codes()
	if r.Status != http.StatusOK && len(codes) == 0 {
		codes = append(codes, fmt.Sprintf("HTTP %d", r.Status))
	}
	return codes
}

// tally is what one side got.
type tally struct {
	mu        sync.Mutex
	latencies []time.Duration
	failed    int
	codes     map[string]int
}

func (t *tally) add(d time.Duration, codes []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.latencies = append(t.latencies, d)
	if len(codes) > 0 {
		t.failed++
	}
	if t.codes == nil {
		t.codes = map[string]int{}
	}
	for _, c := range slices.Compact(slices.Sorted(slices.Values(codes))) {
		t.codes[c]++
	}
}

func (t *tally) row(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.latencies)
	if n == 0 {
		fmt.Printf("| %s | 0 | | | | | |\n", name)
		return
	}
	slices.Sort(t.latencies)
	pct := func(p float64) time.Duration { return t.latencies[min(n-1, int(float64(n)*p))].Round(time.Millisecond) }
	var codes []string
	for c, k := range t.codes {
		codes = append(codes, fmt.Sprintf("%s × %d", c, k))
	}
	sort.Strings(codes)
	fmt.Printf("| %s | %d | %d | %.2f %% | %s | %s | %s |\n", name, n, t.failed, 100*float64(t.failed)/float64(n), pct(0.5), pct(0.99), strings.Join(codes, ", "))
}

// The attacks, each bounded: one request per call.
var attacks = []attack{
	{"300 MB answer", func(ctx context.Context, g *hx.Gateway, c *http.Client, tok string, _, _ int) ([]string, error) {
		r, err := g.Post(ctx, c, tok, `{ homeFeed(first: 20) { nodes { id comments(first: 1) { nodes { id bodyText } } } } }`, nil)
		return r.Codes(), err
	}},
	{"forged tokens, 20 lookups", func(ctx context.Context, g *hx.Gateway, c *http.Client, _ string, i, n int) ([]string, error) {
		var b strings.Builder
		b.WriteString("{")
		for k := 101; k <= 120; k++ {
			fmt.Fprintf(&b, ` m%d: member(id: "%d") { id name }`, k, k)
		}
		b.WriteString(" }")
		r, err := g.Post(ctx, c, forge(i, n), b.String(), nil)
		return r.Codes(), err
	}},
	{"misaligned cursors", func(ctx context.Context, g *hx.Gateway, c *http.Client, tok string, _, _ int) ([]string, error) {
		// `after` the 50th comment with first 60: two pages per post.
		r, err := g.Post(ctx, c, tok, `{ homeFeed(first: 20) { nodes { comments(first: 60, after: "bzE6NDk") { totalCount } } } }`, nil)
		return r.Codes(), err
	}},
	{"3000 unused variables", func(ctx context.Context, g *hx.Gateway, c *http.Client, tok string, _, _ int) ([]string, error) {
		var b strings.Builder
		for k := range 3000 {
			fmt.Fprintf(&b, "$v%d: Int ", k)
		}
		r, err := g.Post(ctx, c, tok, "query("+b.String()+") { me { id } }", nil)
		return r.Codes(), err
	}},
	{"duplicate keys", func(ctx context.Context, g *hx.Gateway, c *http.Client, tok string, _, _ int) ([]string, error) {
		return raw(ctx, g, c, tok, "application/json", `{"query": "{ me { id } }", "query": "mutation { revokeAccessToken }"}`)
	}},
	{"UTF-16 body", func(ctx context.Context, g *hx.Gateway, c *http.Client, tok string, _, _ int) ([]string, error) {
		return raw(ctx, g, c, tok, "application/json; charset=utf-16", `{"query": "{ me { id } }"}`)
	}},
}

// forge makes a token that looks like Circle's (future exp, a jti of its
// own) but is signed with the attacker's key.
func forge(i, n int) string {
	s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"community_id": 1, "community_member_id": 100 + i, "exp": time.Now().Add(time.Hour).Unix(), "jti": fmt.Sprintf("forged-%d-%d-%d", i, n, time.Now().UnixNano()),
	}).SignedString([]byte("attacker-key"))
	return s
}

// raw posts a body as is and returns its codes.
func raw(ctx context.Context, g *hx.Gateway, c *http.Client, tok, contentType, body string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL+"/graphql", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out hx.Response
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return []string{fmt.Sprintf("HTTP %d, not GraphQL JSON", resp.StatusCode)}, nil
	}
	return out.Codes(), nil
}
