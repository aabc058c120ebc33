package hostile

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// aliasedMembers is the attack's operation: 20 aliased member lookups, 20
// upstream calls for a gateway that does not know the token is forged.
var aliasedMembers = func() string {
	var b strings.Builder
	b.WriteString("{")
	for i := 101; i <= 120; i++ {
		fmt.Fprintf(&b, ` m%d: member(id: "%d") { id name }`, i, i)
	}
	b.WriteString(" }")
	return b.String()
}()

// tally is what the hostile side got back.
type tally struct {
	mu          sync.Mutex
	requests    int
	status429   int
	codes       map[string]int // error codes over all answers
	retryAfters int            // RATE_LIMITED answers with retryAfterSeconds ≥ 1
	data        int            // answers with any member data
}

func (t *tally) add(a Answer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.requests++
	if a.Status == 429 {
		t.status429++
	}
	for c, n := range a.Codes() {
		t.codes[c] += n
		if c == "RATE_LIMITED" && a.RetryAfter() >= 1 {
			t.retryAfters++
		}
	}
	if strings.Contains(string(a.Data), `"name"`) {
		t.data++
	}
}

// attack sends n operations of 20 aliased member fields, each with a fresh
// forged token, 8 at a time; header adds headers per request (e.g. a
// spoofed X-Forwarded-For).
func attack(t *testing.T, g *Gateway, n int, header func(i int) map[string]string) *tally {
	t.Helper()
	res := &tally{codes: map[string]int{}}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				h := Bearer(Forge(t, i))
				for k, v := range header(i) {
					h[k] = v
				}
				res.add(g.Do(t, h, aliasedMembers, nil))
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return res
}

// legitimate checks that a member whose token Circle accepted is served
// in full, and that createMemberToken issues a token that works.
func legitimate(t *testing.T, g *Gateway, c *Circle, memberToken string) {
	t.Helper()
	before := c.Counts()
	a := g.Do(t, Bearer(memberToken), `{ me { name } a: member(id: "101") { name } b: member(id: "102") { name } }`, nil)
	if len(a.Errors) > 0 || !strings.Contains(string(a.Data), `"Member 7"`) || !strings.Contains(string(a.Data), `"Profile 102"`) {
		t.Fatalf("the legitimate member after the attack: %d %s %+v", a.Status, a.Data, a.Errors)
	}
	a = g.Do(t, map[string]string{"X-Service-Key": serviceKey},
		`mutation { createMemberToken(identity: { memberId: "8" }) { accessToken memberId } }`, nil)
	var issued struct {
		CreateMemberToken struct{ AccessToken, MemberID string }
	}
	if len(a.Errors) > 0 || jsonInto(a.Data, &issued) != nil || issued.CreateMemberToken.AccessToken == "" {
		t.Fatalf("createMemberToken after the attack: %d %s %+v", a.Status, a.Data, a.Errors)
	}
	a = g.Do(t, Bearer(issued.CreateMemberToken.AccessToken), `{ me { name } }`, nil)
	if len(a.Errors) > 0 || !strings.Contains(string(a.Data), `"Member 8"`) {
		t.Fatalf("the new member's first query after the attack: %d %s %+v", a.Status, a.Data, a.Errors)
	}
	after := c.Counts()
	t.Logf("after the attack: the member's query (me + 2 members) and the issued token's first query served in full with %d upstream calls; createMemberToken issued a token with %d Auth API call",
		after.Good-before.Good, after.Auth-before.Auth)
}

const serviceKey = "hostile-test-service-key-0123456789"

// windowsOfADay are the default limits (2000 calls, 60 unproven requests
// per client) over a day instead of 5 and 1 minutes, so that no call leaves
// its window while a slow machine runs the scenario: the counts are exact.
var windowsOfADay = []string{"CIRCLE_RATE_LIMIT=2000/24h", "UNPROVEN_CLIENT_RATE_LIMIT=60/24h"}

// The attack of issue 14, from one address: 105 operations with fresh
// forged tokens and 20 aliased member fields. Each forged token costs
// Circle at most one call; the per-client limit (60/1m) refuses the rest
// with 429 before anything runs; the member and createMemberToken are
// served as before.
func TestForgedTokensFromOneAddress(t *testing.T) {
	t.Parallel()
	for name, backend := range Backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			forgedTokensFromOneAddress(t, backend(t))
		})
	}
}

func forgedTokensFromOneAddress(t *testing.T, backend []string) {
	c := NewCircle(t)
	g := Start(t, c, append(append([]string{"GATEWAY_SERVICE_KEY=" + serviceKey}, windowsOfADay...), backend...)...)
	member := c.Issue(t, 7)
	if a := g.Do(t, Bearer(member), `{ me { name } }`, nil); len(a.Errors) > 0 {
		t.Fatalf("before the attack: %+v", a.Errors)
	}
	before := c.Counts()

	res := attack(t, g, 105, func(int) map[string]string { return nil })
	got := c.Counts()
	t.Logf("hostile: %d requests, %d upstream calls with %d forged tokens (at most %d per token); HTTP 429: %d; codes %v",
		res.requests, got.Forged, got.ForgedTokens, got.MaxPerForged, res.status429, res.codes)
	// UNPROVEN_CLIENT_RATE_LIMIT's default is 60/1m, and the member's own
	// first request, from the same loopback address with a token Circle
	// had not accepted yet, was one of them.
	const perClient = 60 - 1
	switch {
	case got.Forged != perClient || got.ForgedTokens != perClient || got.MaxPerForged != 1:
		t.Fatalf("forged tokens made %d calls with %d tokens (most per token %d), want one call for each of the %d the per-client limit lets in", got.Forged, got.ForgedTokens, got.MaxPerForged, perClient)
	case res.status429 != 105-perClient || res.retryAfters != 105-perClient:
		t.Fatalf("%d answers were 429 (%d with retryAfterSeconds), want %d", res.status429, res.retryAfters, 105-perClient)
	case res.codes["UNAUTHENTICATED"] != 20*perClient || res.codes["RATE_LIMITED"] != 105-perClient || len(res.codes) != 2:
		t.Fatalf("codes %v, want 20 UNAUTHENTICATED per admitted request and one RATE_LIMITED per refused one", res.codes)
	case res.data != 0:
		t.Fatalf("%d hostile answers carried member data", res.data)
	case got.Good != before.Good:
		t.Fatalf("calls with Circle's tokens went from %d to %d during the attack", before.Good, got.Good)
	}
	legitimate(t, g, c, member)
}

// The same attack spread over many addresses (behind a trusted proxy that
// passes X-Forwarded-For), so the per-client limit never bites: the
// unproven share (10 % of CIRCLE_RATE_LIMIT=2000/5m: 200 calls) caps what
// all forged tokens together cost Circle, the rest are RATE_LIMITED with
// retryAfterSeconds, and the member and createMemberToken are served.
func TestForgedTokensFromManyAddresses(t *testing.T) {
	t.Parallel()
	for name, backend := range Backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			forgedTokensFromManyAddresses(t, backend(t))
		})
	}
}

func forgedTokensFromManyAddresses(t *testing.T, backend []string) {
	c := NewCircle(t)
	g := Start(t, c, append(append([]string{"GATEWAY_SERVICE_KEY=" + serviceKey, "TRUSTED_PROXIES=127.0.0.1/32"}, windowsOfADay...), backend...)...)
	member := c.Issue(t, 7)
	if a := g.Do(t, Bearer(member), `{ me { name } }`, nil); len(a.Errors) > 0 {
		t.Fatalf("before the attack: %+v", a.Errors)
	}

	// The unproven share is 200 calls, less the member's own first call,
	// whose token Circle had not accepted yet either.
	const requests, unprovenShare = 250, 200 - 1
	res := attack(t, g, requests, func(i int) map[string]string {
		return map[string]string{"X-Forwarded-For": fmt.Sprintf("198.18.%d.%d", i/250, i%250+1)}
	})
	got := c.Counts()
	t.Logf("hostile: %d requests, %d upstream calls with %d forged tokens (at most %d per token); HTTP 429: %d; codes %v",
		res.requests, got.Forged, got.ForgedTokens, got.MaxPerForged, res.status429, res.codes)
	switch {
	case got.Forged != unprovenShare || got.MaxPerForged != 1:
		t.Fatalf("forged tokens made %d calls (most per token %d), want the unproven share of %d, one per token", got.Forged, got.MaxPerForged, unprovenShare)
	case res.codes["UNAUTHENTICATED"] != 20*unprovenShare:
		t.Fatalf("codes %v, want 20 UNAUTHENTICATED for each of the %d requests whose token was tried", res.codes, unprovenShare)
	case res.codes["RATE_LIMITED"] != 20*(requests-unprovenShare) || res.retryAfters != requests-unprovenShare || res.status429 != 0 || len(res.codes) != 2:
		t.Fatalf("codes %v, %d with retryAfterSeconds, %d HTTP 429: want RATE_LIMITED with retryAfterSeconds for each of the %d over the share", res.codes, res.retryAfters, res.status429, requests-unprovenShare)
	case res.data != 0:
		t.Fatalf("%d hostile answers carried member data", res.data)
	}
	legitimate(t, g, c, member)
}
