package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
)

// The CI-sized cut of cmd/subbench's figure (BENCHMARKS.md): 100
// subscribers over 10 member tokens of 10 members, on 20 sockets. The
// upstream receives exactly one cable upgrade per token, and every
// subscriber receives exactly its member's notifications, in order: the
// ones Circle made for that member, then a last one that closes the
// count, with nothing of the nine others in between.
func TestHundredSubscribersOverTenTokens(t *testing.T) {
	t.Parallel()
	const (
		members   = 10
		perSocket = 5
		sockets   = 2 // per member
		rounds    = 2 // notifications per member before the last one
	)
	env := testenv.New(t, testenv.Options{})
	demo := env.Sandbox.DemoMemberID()
	tokDemo := env.Token(t, demo)

	// Ten authors of posts the demo member sees: the demo member's
	// comments notify each of them about their own post.
	page, err := truth(t, env, tokDemo).Home(context.Background(), circle.ListParams{Page: 1, PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	postOf := map[int64]int64{}
	var ids []int64
	for _, p := range page.Records {
		if a := p.Author.CommunityMemberID; a != demo && postOf[a] == 0 && len(ids) < members {
			postOf[a] = p.ID
			ids = append(ids, a)
		}
	}
	if len(ids) < members {
		t.Fatalf("%d authors in the demo member's feed, want %d", len(ids), members)
	}
	tokens := map[int64]string{}
	for _, id := range ids {
		tokens[id] = env.Token(t, id)
	}

	// got[member][socket][operation] are the notification ids delivered.
	type key struct {
		member        int64
		socket, opIdx int
	}
	var mu sync.Mutex
	got := map[key][]string{}
	var wrong []string
	arrived := make(chan struct{}, 1)
	env.Upstream.Reset()
	for _, m := range ids {
		for s := range sockets {
			c := dialWS(t, env, tokens[m])
			for op := range perSocket {
				if err := c.Subscribe(bounded(t), strconv.Itoa(op), `subscription { notificationReceived { id post { id } } }`, nil); err != nil {
					t.Fatal(err)
				}
			}
			go func() {
				for {
					msg, err := c.Next(context.Background())
					if err != nil {
						return
					}
					r, _ := msg.Decode()
					var ev struct {
						NotificationReceived struct {
							ID   string
							Post struct{ ID string }
						}
					}
					op, convErr := strconv.Atoi(msg.ID)
					mu.Lock()
					switch {
					case msg.Type != "next" || convErr != nil || len(r.Errors) > 0 || json.Unmarshal(r.Data, &ev) != nil:
						wrong = append(wrong, fmt.Sprintf("member %d socket %d: %s %s", m, s, msg.Type, msg.Payload))
					case ev.NotificationReceived.Post.ID != strconv.FormatInt(postOf[m], 10):
						wrong = append(wrong, fmt.Sprintf("member %d received a notification about post %s, not theirs (%d)", m, ev.NotificationReceived.Post.ID, postOf[m]))
					default:
						k := key{m, s, op}
						got[k] = append(got[k], ev.NotificationReceived.ID)
					}
					mu.Unlock()
					select {
					case arrived <- struct{}{}:
					default:
					}
				}
			}()
		}
	}
	waitUntil(t, "100 subscriptions", func() bool { return env.Subscriptions.Active() == members*sockets*perSocket })
	waitUntil(t, "10 notification channels confirmed", func() bool { return cableSubscribed(env, members) })

	// One upgrade per token, each token's own, and nothing more.
	upgrades := map[string]int{}
	for _, c := range env.Upstream.Calls() {
		if c.Path == "/cable" {
			upgrades[c.Authorization]++
		}
	}
	for _, m := range ids {
		if n := upgrades["Bearer "+tokens[m]]; n != 1 {
			t.Errorf("member %d: %d cable upgrades with its token, want 1", m, n)
		}
	}
	open, total := env.Sandbox.CableConnections()
	if len(upgrades) != members || open != members || total != members || env.Bridge.Open() != members || env.Bridge.Members() != members {
		t.Fatalf("cable: %d tokens upgraded, sandbox %d open / %d accepted, bridge %d open / %d members; want %d of each", len(upgrades), open, total, env.Bridge.Open(), env.Bridge.Members(), members)
	}

	// Each member's notifications, as Circle lists them after the fact,
	// newest first.
	newest := func(m int64, n int) []string {
		p, err := truth(t, env, tokens[m]).Notifications(context.Background(), circle.ListParams{Page: 1, PerPage: n, Sort: "latest"}, "")
		if err != nil || len(p.Records) < n {
			t.Fatalf("member %d's notifications: %v", m, err)
		}
		var out []string
		for _, r := range p.Records[:n] {
			out = append([]string{strconv.FormatInt(r.ID, 10)}, out...) // oldest first
		}
		return out
	}
	waitFor := func(n int) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			mu.Lock()
			done, bad := 0, len(wrong)
			for _, v := range got {
				if len(v) >= n {
					done++
				}
			}
			mu.Unlock()
			if bad > 0 || done == members*sockets*perSocket {
				return
			}
			select {
			case <-arrived:
			case <-time.After(10 * time.Millisecond):
			case <-deadline:
				t.Fatalf("%d of %d subscribers have %d notifications", done, members*sockets*perSocket, n)
			}
		}
	}
	for i := range rounds {
		for _, m := range ids {
			comment(t, env, tokDemo, postOf[m], fmt.Sprintf("round %d for %d", i, m))
		}
	}
	waitFor(rounds)
	// The last one: events of one channel arrive in order, so anything
	// another member's activity leaked to a subscriber would be before it.
	for _, m := range ids {
		comment(t, env, tokDemo, postOf[m], fmt.Sprintf("last for %d", m))
	}
	waitFor(rounds + 1)

	mu.Lock()
	defer mu.Unlock()
	if len(wrong) > 0 {
		t.Fatalf("%d bad deliveries, e.g. %v", len(wrong), wrong[:min(3, len(wrong))])
	}
	for _, m := range ids {
		want := newest(m, rounds+1)
		for s := range sockets {
			for op := range perSocket {
				if g := got[key{m, s, op}]; !slices.Equal(g, want) {
					t.Errorf("member %d socket %d operation %d received %v, want %v", m, s, op, g, want)
				}
			}
		}
	}
	if n := cableCalls(env); n != members {
		t.Errorf("%d cable upgrades after the events, want %d", n, members)
	}
}
