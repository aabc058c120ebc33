package e2e

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/gqlws"
	"github.com/circle-gateway/gateway/internal/testenv"
)

// Identical subscriptions of one token (same document, same variables)
// share one execution: each event is resolved once for all of them, which
// the upstream shows as one post read per event per execution, however
// many subscribers. A different document or another token is an execution
// of its own, and the leader's client leaving ends nobody else's stream.
// Coalescing is off so that the upstream counts every read an execution
// makes (two executions of one token reading a post at the same time would
// otherwise share the call).
func TestIdenticalSubscriptionsShareOneExecution(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{ClientOptions: []circle.Option{circle.WithCoalescing(false)}})
	tokA, tokB, post, postOfB := twoAuthors(t, env)

	const shared = `subscription { notificationReceived { id post { title likesCount } } }`
	const other = `subscription { notificationReceived { id text post { title likesCount } } }`
	type sub struct {
		name   string
		close  func()
		events <-chan gqlws.Response
	}
	open := func(name, token, query string) sub {
		c := dialWS(t, env, token)
		if err := c.Subscribe(bounded(t), "s", query, nil); err != nil {
			t.Fatal(err)
		}
		return sub{name: name, close: func() { _ = c.CloseNow() }, events: readEvents(c)}
	}
	// An SSE stream joins the same execution as the WebSockets.
	openSSESub := func(name, token, query string) sub {
		s := openSSE(t, env, token, query)
		out := make(chan gqlws.Response, 64)
		go func() {
			defer close(out)
			for ev := range s.events {
				var r gqlws.Response
				if ev.name != "next" || json.Unmarshal([]byte(ev.data), &r) != nil {
					return
				}
				out <- r
			}
		}()
		return sub{name: name, close: func() { s.resp.Body.Close() }, events: out}
	}
	leader := open("leader", tokA, shared)
	waitUntil(t, "the leader's channel subscribed", func() bool { return cableSubscribed(env, 1) })
	subs := []sub{leader}
	for _, name := range []string{"follower 1", "follower 2"} {
		subs = append(subs, open(name, tokA, shared))
	}
	subs = append(subs, openSSESub("follower over SSE", tokA, shared))
	subs = append(subs, open("other document", tokA, other), open("other token", tokB, shared))
	// B's channel too must be subscribed at Circle before anything is
	// written: Circle's cable does not replay what it pushed before.
	waitUntil(t, "six subscriptions, A's and B's channels subscribed", func() bool {
		return env.Subscriptions.Active() == 6 && cableSubscribed(env, 2)
	})
	if n := env.Subscriptions.Executions(); n != 3 {
		t.Fatalf("%d executions for 4 identical subscriptions (one over SSE), 1 of another document and 1 of another token, want 3", n)
	}

	// want is the post each subscription is told about: A's for A's, B's
	// for B's.
	want := func(s sub, title string) {
		t.Helper()
		ev := nextEvent(t, s.events)
		var got struct {
			NotificationReceived struct {
				ID   string
				Post struct{ Title string }
			}
		}
		if err := json.Unmarshal(ev.Data, &got); err != nil || len(ev.Errors) > 0 || got.NotificationReceived.Post.Title != title {
			t.Fatalf("%s received %s %v, want a notification about %q", s.name, ev.Data, ev.Errors, title)
		}
	}

	env.Upstream.Reset()
	comment(t, env, tokB, post.ID, "shared 1")
	comment(t, env, tokA, postOfB.ID, "shared 2")
	for _, s := range subs[:5] {
		want(s, post.DisplayTitle)
	}
	want(subs[5], postOfB.DisplayTitle)
	if n := postReads(env); n != 3 {
		t.Fatalf("%d post reads for one event to each of 6 subscriptions over 3 executions, want 3", n)
	}

	// The leader goes; its followers' execution goes on.
	leader.close()
	waitUntil(t, "the leader's subscription ended", func() bool { return env.Subscriptions.Active() == 5 })
	if n := env.Subscriptions.Executions(); n != 3 {
		t.Fatalf("%d executions after the leader left, want 3", n)
	}
	env.Upstream.Reset()
	comment(t, env, tokB, post.ID, "shared 3")
	for _, s := range subs[1:5] {
		want(s, post.DisplayTitle)
	}
	if n := postReads(env); n != 2 {
		t.Fatalf("%d post reads for one event to 4 subscriptions over 2 executions, want 2", n)
	}

	// The last member of an execution ends it.
	for _, s := range subs[1:4] {
		s.close()
	}
	waitUntil(t, "two executions left", func() bool {
		return env.Subscriptions.Active() == 2 && env.Subscriptions.Executions() == 2
	})
}

// A subscription whose field refuses is nobody's to share: each gets its
// own answer, from its own check.
func TestRefusedSubscriptionsAreNotShared(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tokA := env.DemoToken(t)
	const query = `subscription($room: ID!) { chatMessageReceived(chatRoomUuid: $room) { id } }`
	vars := map[string]any{"room": "00000000-0000-4000-8000-000000000000"}
	env.Upstream.Reset()
	for range 2 {
		refused(t, env, tokA, query, vars, "NOT_FOUND")
	}
	if n := len(env.Upstream.Calls()); n != 2 {
		t.Fatalf("%d upstream calls for two refused subscriptions, want one check each", n)
	}
	waitUntil(t, "nothing running", func() bool {
		return env.Subscriptions.Active() == 0 && env.Subscriptions.Executions() == 0
	})
}

// readEvents returns the payloads of the "next" messages of c's one
// subscription, until it ends.
func readEvents(c *gqlws.Client) <-chan gqlws.Response {
	out := make(chan gqlws.Response, 64)
	go func() {
		defer close(out)
		for {
			m, err := c.Next(context.Background())
			if err != nil || m.Type != "next" {
				return
			}
			r, _ := m.Decode()
			out <- r
		}
	}()
	return out
}
