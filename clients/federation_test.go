package clients

import (
	"bufio"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FEDERATION=true with real tools (docs/federation.md): the gateway binary
// as a subgraph, composed with an app's own subgraph (which extends Member
// with appBadge and owns a leaderboard of members by id) by
// @theguild/federation-composition from their _service SDL, and served by
// Hive Gateway's runtime, the router forwarding the member's Authorization
// header. One query crosses both ways: the gateway's members get the app's
// field (the app's _entities), the app's members get the gateway's fields
// (the gateway's _entities, read with the member's own token), and Circle
// is called exactly as often as the same fields cost without a router.
func TestFederationThroughARouter(t *testing.T) {
	need(t, nodeTools)
	g := startGateway(t, map[string]string{"FEDERATION": "true"})

	truth := g.post(t, map[string]any{"query": `{ me { id name } members(first: 4) { nodes { id name bio } } }`})
	if len(truth.Errors) > 0 {
		t.Fatalf("the gateway itself: %+v", truth.Errors)
	}
	type member struct {
		ID, Name string
		Bio      *string
		AppBadge string
	}
	var direct struct {
		Me      member
		Members struct{ Nodes []member }
	}
	if err := json.Unmarshal(truth.Data, &direct); err != nil || len(direct.Members.Nodes) != 4 {
		t.Fatalf("the directory should list 4 members: %s (%v)", truth.Data, err)
	}
	var leaderIDs []string
	for _, m := range direct.Members.Nodes {
		leaderIDs = append(leaderIDs, m.ID)
	}

	before := upstreamCalls(t, g)
	out := runNode(t, map[string]string{
		"CIRCLE_SUBGRAPH_URL": g.URL + "/graphql",
		"CIRCLE_SCHEMA_URL":   g.URL + "/schema.graphql",
		"MEMBER_TOKEN":        g.Token,
		"APP_MEMBER_IDS":      strings.Join(leaderIDs, ","),
	}, "node", "federation/router.mjs")
	made := upstreamCalls(t, g) - before

	type answer struct {
		Status int
		Body   struct {
			Data *struct {
				Me       member
				HomeFeed struct {
					Nodes []struct {
						ID, Title string
						Author    member
					}
				}
				Leaderboard []struct {
					Rank   int
					Member member
				}
			}
			Errors []struct {
				Message    string
				Path       []any
				Extensions map[string]any
			}
		}
	}
	var summary struct {
		Composed                bool
		Errors                  []string
		PublicSchemaHasAppBadge bool
		SameFromSchemaEndpoint  bool
		WithToken               answer
		WithoutToken            answer
		AppAsked                struct {
			EntityBatches [][]struct {
				Typename string `json:"__typename"`
				ID       string
			}
			Authorization []string
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &summary); err != nil {
		t.Fatalf("no JSON summary in the output (%v):\n%s", err, out)
	}
	if !summary.Composed || !summary.PublicSchemaHasAppBadge {
		t.Fatalf("composition: %+v", summary.Errors)
	}
	if !summary.SameFromSchemaEndpoint {
		t.Error("the SDL at /schema.graphql does not compose into the supergraph _service gives")
	}

	got := summary.WithToken
	if got.Status != http.StatusOK || len(got.Body.Errors) > 0 || got.Body.Data == nil {
		t.Fatalf("through the router: %d %+v", got.Status, got.Body.Errors)
	}
	d := got.Body.Data
	if d.Me.ID != direct.Me.ID || d.Me.Name != direct.Me.Name || d.Me.AppBadge != "badge-"+direct.Me.ID {
		t.Errorf("me through the router is %+v, the gateway says %+v", d.Me, direct.Me)
	}
	askedFor := map[string]bool{d.Me.ID: true}
	if len(d.HomeFeed.Nodes) != 5 {
		t.Fatalf("%d feed posts, want 5", len(d.HomeFeed.Nodes))
	}
	for _, p := range d.HomeFeed.Nodes {
		if p.Author.Name == "" || p.Author.AppBadge != "badge-"+p.Author.ID {
			t.Errorf("post %s: author %+v lacks its name or the app's badge", p.ID, p.Author)
		}
		askedFor[p.Author.ID] = true
	}
	if len(d.Leaderboard) != len(leaderIDs) {
		t.Fatalf("%d leaderboard entries, want %d", len(d.Leaderboard), len(leaderIDs))
	}
	for i, e := range d.Leaderboard {
		want := direct.Members.Nodes[i]
		if e.Rank != i+1 || e.Member.ID != want.ID || e.Member.Name != want.Name || !equalPtr(e.Member.Bio, want.Bio) || e.Member.AppBadge != "badge-"+want.ID {
			t.Errorf("leaderboard entry %d is %+v, want member %+v from the gateway", i, e, want)
		}
	}

	// The app was asked once for the badges of every member the gateway
	// answered (me and the authors), by reference.
	if n := len(summary.AppAsked.EntityBatches); n != 1 {
		t.Fatalf("the app got %d _entities calls, want 1: %+v", n, summary.AppAsked.EntityBatches)
	}
	var refIDs []string
	for _, r := range summary.AppAsked.EntityBatches[0] {
		if r.Typename != "Member" {
			t.Errorf("the app was asked for a %s", r.Typename)
		}
		refIDs = append(refIDs, r.ID)
	}
	var wantRefs []string
	for id := range askedFor {
		wantRefs = append(wantRefs, id)
	}
	slices.Sort(refIDs)
	slices.Sort(wantRefs)
	if !slices.Equal(slices.Compact(refIDs), wantRefs) {
		t.Errorf("the app was asked for members %v, want %v", refIDs, wantRefs)
	}
	if !slices.Contains(summary.AppAsked.Authorization, "member token") || slices.Contains(summary.AppAsked.Authorization, "other") {
		t.Errorf("the router forwarded %v to the app", summary.AppAsked.Authorization)
	}

	// Circle was called for me, the feed and one profile per leaderboard
	// member (the gateway's _entities), with the member's token: the router
	// forwards it, and without it nothing reaches Circle.
	t.Logf("Circle calls for both requests through the router: %d", made)
	if want := 2 + len(leaderIDs); made != want {
		t.Errorf("Circle got %d calls for both requests, want %d (me, the feed, %d profiles)", made, want, len(leaderIDs))
	}
	anon := summary.WithoutToken
	if len(anon.Body.Errors) == 0 {
		t.Fatalf("answered without a token: %+v", anon.Body.Data)
	}
	for _, e := range anon.Body.Errors {
		if e.Extensions["code"] != "UNAUTHENTICATED" || e.Extensions["serviceName"] != "circle" {
			t.Errorf("without a token: %q %v, want UNAUTHENTICATED from the circle subgraph", e.Message, e.Extensions)
		}
	}
}

// upstreamCalls is the gateway's count of calls to Circle so far
// (gateway_upstream_calls_total, every endpoint and status).
func upstreamCalls(t *testing.T, g *gateway) int {
	t.Helper()
	resp, err := http.Get(g.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	total := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "gateway_upstream_calls_total{") {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		total += v
	}
	return int(total)
}

func equalPtr(a, b *string) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}
