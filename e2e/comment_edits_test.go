package e2e

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
)

// Editing comments and replies, a reply read on its own, who liked a
// comment, a recurring event's dates and their RSVPs, and a space's post by
// id or slug, against the sandbox: each answer as the sandbox holds it and
// each operation's upstream calls exactly.

// deref is the string p points at, "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// sameTargets fails t unless the operation's upstream calls are want, in
// any order.
func sameTargets(t *testing.T, env *testenv.Env, want ...string) {
	t.Helper()
	got := targets(env.Upstream.Calls())
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("upstream calls\n  %v\nwant\n  %v", got, want)
	}
}

func TestCommentAndReplyEdits(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	posts, err := truth(t, env, tok).SpacePosts(context.Background(), 12, circle.ListParams{Page: 1, PerPage: 1})
	if err != nil || len(posts.Records) == 0 {
		t.Fatalf("no General post: %v", err)
	}
	post := id64(posts.Records[0].ID)

	// The demo member's comment and reply to edit.
	var made struct {
		CreateComment struct{ Comment struct{ ID string } }
	}
	r := env.Do(t, tok, `mutation($p: ID!) { createComment(input: {postId: $p, body: "first"}) { comment { id } } }`, map[string]any{"p": post})
	mustNoErrors(t, r)
	r.Decode(t, &made)
	comment := made.CreateComment.Comment.ID
	var replied struct {
		ReplyToComment struct{ Comment struct{ ID string } }
	}
	r = env.Do(t, tok, `mutation($p: ID!, $c: ID!) { replyToComment(postId: $p, commentId: $c, body: "second") { comment { id } } }`, map[string]any{"p": post, "c": comment})
	mustNoErrors(t, r)
	r.Decode(t, &replied)
	reply := replied.ReplyToComment.Comment.ID

	t.Run("updateComment answers with Circle's edit, one call", func(t *testing.T) {
		env.Upstream.Reset()
		p, r := mutation(t, env, tok, "updateComment", `mutation($p: ID!, $c: ID!) { updateComment(postId: $p, id: $c, body: "<p>Edited <b>twice</b></p>") {
			comment { id bodyText bodyHtml repliesCount author { id } } `+mutErrSel+` } }`, map[string]any{"p": post, "c": comment})
		mustNoErrors(t, r)
		if p.Comment == nil || p.Comment.ID != comment || deref(p.Comment.BodyText) != "Edited twice" || len(p.UserErrors) != 0 {
			t.Fatalf("payload %+v", p)
		}
		sameTargets(t, env, "PATCH /posts/"+post+"/comments/"+comment)
		c, err := truth(t, env, tok).Comment(context.Background(), posts.Records[0].ID, mustInt(t, comment))
		if err != nil || c.BodyText != "Edited twice" {
			t.Fatalf("the sandbox holds %+v (%v)", c, err)
		}
	})
	t.Run("updateReply through the replies endpoint, then reply reads it", func(t *testing.T) {
		env.Upstream.Reset()
		p, r := mutation(t, env, tok, "updateReply", `mutation($c: ID!, $r: ID!, $doc: JSON) { updateReply(commentId: $c, id: $r, tiptapBody: $doc) {
			comment { id bodyText } `+mutErrSel+` } }`, map[string]any{"c": comment, "r": reply,
			"doc": map[string]any{"body": map[string]any{"type": "doc", "content": []any{map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "Rich reply"}}}}}}})
		mustNoErrors(t, r)
		if p.Comment == nil || p.Comment.ID != reply || deref(p.Comment.BodyText) != "Rich reply" {
			t.Fatalf("payload %+v", p)
		}
		sameTargets(t, env, "PATCH /comments/"+comment+"/replies/"+reply)

		env.Upstream.Reset()
		r = env.Do(t, tok, `query($c: ID!, $r: ID!) { reply(commentId: $c, id: $r) { id bodyText tiptapBody parent { id } post { id } likes(first: 5) { totalCount } } }`, map[string]any{"c": comment, "r": reply})
		mustNoErrors(t, r)
		var got struct {
			Reply struct {
				ID, BodyText string
				TiptapBody   map[string]any
				Parent, Post struct{ ID string }
				Likes        struct{ TotalCount int }
			}
		}
		r.Decode(t, &got)
		if g := got.Reply; g.ID != reply || g.BodyText != "Rich reply" || g.TiptapBody == nil || g.Parent.ID != comment || g.Post.ID != post || g.Likes.TotalCount != 0 {
			t.Fatalf("reply %+v", g)
		}
		// The parent's id comes with the reply, the post from the post
		// batch, the likes from their list.
		sameTargets(t, env, "GET /comments/"+comment+"/replies/"+reply, "GET /spaces/12/posts?page=1&per_page=1&post_ids="+post,
			"GET /comments/"+reply+"/user_likes?page=1&per_page=5")
	})
	t.Run("comment likes list who liked", func(t *testing.T) {
		r := env.Do(t, tok, `mutation($p: ID!, $c: ID!) { likeComment(postId: $p, commentId: $c) { comment { id } } }`, map[string]any{"p": post, "c": reply})
		mustNoErrors(t, r)
		env.Upstream.Reset()
		r = env.Do(t, tok, `query($c: ID!, $r: ID!) { reply(commentId: $c, id: $r) { likes(first: 5) { totalCount nodes { id name } } } }`, map[string]any{"c": comment, "r": reply})
		mustNoErrors(t, r)
		var got struct {
			Reply struct {
				Likes struct {
					TotalCount int
					Nodes      []struct{ ID, Name string }
				}
			}
		}
		r.Decode(t, &got)
		if l := got.Reply.Likes; l.TotalCount != 1 || len(l.Nodes) != 1 || l.Nodes[0].ID != id64(env.Sandbox.DemoMemberID()) || l.Nodes[0].Name == "" {
			t.Fatalf("likes %+v", l)
		}
		sameTargets(t, env, "GET /comments/"+comment+"/replies/"+reply, "GET /comments/"+reply+"/user_likes?page=1&per_page=5")
	})
	t.Run("Circle's 400 for an edit without text is a userError", func(t *testing.T) {
		env.Upstream.Reset()
		p, r := mutation(t, env, tok, "updateComment", `mutation($p: ID!, $c: ID!) { updateComment(postId: $p, id: $c, body: "<br>") { comment { id } `+mutErrSel+` } }`, map[string]any{"p": post, "c": comment})
		mustNoErrors(t, r)
		if p.Comment != nil || len(p.UserErrors) != 1 || p.UserErrors[0].Message != "Failed to update comment!" || !slices.Equal(p.UserErrors[0].Field, []string{"body"}) {
			t.Fatalf("payload %+v", p)
		}
		sameTargets(t, env, "PATCH /posts/"+post+"/comments/"+comment)
	})
	t.Run("another member may not edit, and a reply of another comment is not found", func(t *testing.T) {
		other := env.Token(t, otherMember(t, env, env.Sandbox.DemoMemberID()))
		env.Upstream.Reset()
		r := env.Do(t, other, `mutation($c: ID!, $r: ID!) { updateReply(commentId: $c, id: $r, body: "mine now") { comment { id } } }`, map[string]any{"c": comment, "r": reply})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" {
			t.Fatalf("errors %+v, want FORBIDDEN", r.Errors)
		}
		sameTargets(t, env, "PATCH /comments/"+comment+"/replies/"+reply)
		env.Upstream.Reset()
		r = env.Do(t, tok, `query($r: ID!) { reply(commentId: $r, id: $r) { id } }`, map[string]any{"r": reply})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" || string(r.Data) != `{"reply":null}` {
			t.Fatalf("errors %+v data %s, want NOT_FOUND and null", r.Errors, r.Data)
		}
		sameTargets(t, env, "GET /comments/"+reply+"/replies/"+reply)
	})
}

func TestRecurringEventDates(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	const q = `{ events(first: 20) { nodes { id space { id } event { isRecurring dates(first: 3) { totalCount pageInfo { hasNextPage endCursor }
		nodes { id name startsAt endsAt timeZone timeZoneAbbreviation isGoing rsvpCount rsvpLimit } } } } } }`
	type date struct {
		ID, Name, StartsAt, EndsAt, TimeZone, TimeZoneAbbreviation string
		IsGoing                                                    bool
		RsvpCount                                                  int
		RsvpLimit                                                  *int
	}
	type events struct {
		Events struct {
			Nodes []struct {
				ID    string
				Space struct{ ID string }
				Event struct {
					IsRecurring bool
					Dates       struct {
						TotalCount int
						PageInfo   struct {
							HasNextPage bool
							EndCursor   string
						}
						Nodes []date
					}
				}
			}
		}
	}
	env.Upstream.Reset()
	r := env.Do(t, tok, q, nil)
	mustNoErrors(t, r)
	var got events
	r.Decode(t, &got)
	var series, space string
	for _, n := range got.Events.Nodes {
		if !n.Event.IsRecurring {
			if n.Event.Dates.TotalCount != 0 || len(n.Event.Dates.Nodes) != 0 {
				t.Errorf("single event %s has dates %+v", n.ID, n.Event.Dates)
			}
			continue
		}
		if series != "" {
			t.Fatalf("two recurring events, %s and %s; the test expects the seed's one", series, n.ID)
		}
		series, space = n.ID, n.Space.ID
	}
	if series == "" {
		t.Fatal("no recurring event among the events")
	}
	// One call for the events, one for the one series; single events cost
	// nothing.
	sameTargets(t, env, "GET /community_events?page=1&past_events=false&per_page=20", "GET /spaces/"+space+"/events/"+series+"/recurring_events?page=1&per_page=3")

	truthDates, err := truth(t, env, tok).RecurringEvents(context.Background(), mustInt(t, space), mustInt(t, series), circle.ListParams{Page: 1, PerPage: 100})
	if err != nil || len(truthDates.Records) != 4 {
		t.Fatalf("the sandbox's series: %+v (%v)", truthDates, err)
	}
	var dates []date
	for _, n := range got.Events.Nodes {
		if n.ID == series {
			d := n.Event.Dates
			if d.TotalCount != 4 || !d.PageInfo.HasNextPage || len(d.Nodes) != 3 {
				t.Fatalf("dates %+v", d)
			}
			dates = d.Nodes
		}
	}
	for i, d := range dates {
		w := truthDates.Records[i]
		if d.ID != id64(w.ID) || d.Name != w.Name || d.IsGoing != w.RsvpedEvent || d.RsvpCount != w.RsvpCount || d.TimeZone != w.TimeZone || d.TimeZoneAbbreviation != w.TimeZoneAbbreviation || d.StartsAt == "" || d.EndsAt == "" {
			t.Errorf("date %d = %+v, the sandbox says %+v", i, d, w)
		}
	}

	// Going to the second and fourth dates only: the payload's post is
	// re-read and its dates show the new RSVPs.
	pick := []any{id64(truthDates.Records[1].ID), id64(truthDates.Records[3].ID), id64(truthDates.Records[3].ID)}
	env.Upstream.Reset()
	r = env.Do(t, tok, `mutation($s: ID!, $e: ID!, $d: [ID!]!) { rsvpEventDates(spaceId: $s, eventId: $e, dateIds: $d) {
		message post { id event { dates(first: 10) { nodes { id isGoing } } } } userErrors { field message } } }`, map[string]any{"s": space, "e": series, "d": pick})
	mustNoErrors(t, r)
	var done struct {
		RsvpEventDates struct {
			Message string
			Post    struct {
				ID    string
				Event struct {
					Dates struct {
						Nodes []struct {
							ID      string
							IsGoing bool
						}
					}
				}
			}
			UserErrors []mutUserError
		}
	}
	r.Decode(t, &done)
	p := done.RsvpEventDates
	if p.Message != "You’ve RSVP’d to 2 events. We’ll send you a reminder before an event starts." || p.Post.ID != series || len(p.UserErrors) != 0 || len(p.Post.Event.Dates.Nodes) != 4 {
		t.Fatalf("payload %+v", p)
	}
	for i, d := range p.Post.Event.Dates.Nodes {
		if want := i == 1 || i == 3; d.IsGoing != want {
			t.Errorf("date %d going %v, want %v", i, d.IsGoing, want)
		}
	}
	// The write once (repeats sent once), the post re-read, its dates.
	sameTargets(t, env, "PUT /spaces/"+space+"/events/"+series+"/recurring_events/rsvp",
		"GET /spaces/"+space+"/posts?page=1&per_page=1&post_ids="+series,
		"GET /spaces/"+space+"/events/"+series+"/recurring_events?page=1&per_page=10")

	t.Run("a date of another series is Circle's userError", func(t *testing.T) {
		env.Upstream.Reset()
		r := env.Do(t, tok, `mutation($s: ID!, $e: ID!) { rsvpEventDates(spaceId: $s, eventId: $e, dateIds: ["1"]) { message post { id } userErrors { field message } } }`, map[string]any{"s": space, "e": series})
		mustNoErrors(t, r)
		var got struct {
			RsvpEventDates struct {
				Message    *string
				Post       *struct{ ID string }
				UserErrors []mutUserError
			}
		}
		r.Decode(t, &got)
		p := got.RsvpEventDates
		if p.Message != nil || p.Post != nil || len(p.UserErrors) != 1 || p.UserErrors[0].Message != "Event ids is invalid" || !slices.Equal(p.UserErrors[0].Field, []string{"dateIds"}) {
			t.Fatalf("payload %+v", p)
		}
		sameTargets(t, env, "PUT /spaces/"+space+"/events/"+series+"/recurring_events/rsvp")
	})
}

func TestSpacePostByIDOrSlug(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	posts, err := truth(t, env, tok).SpacePosts(context.Background(), 12, circle.ListParams{Page: 1, PerPage: 2})
	if err != nil || len(posts.Records) < 2 {
		t.Fatalf("no General posts: %v", err)
	}
	a, b := posts.Records[0], posts.Records[1]
	type spacePost struct {
		ID, Title, Slug string
		Space           struct{ ID, Name string }
	}
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  []*circle.Post // per alias a, b
		calls []string
	}{
		{"by slugs alone: one call", `query($s: String!) { space(slug: "general") { a: post(slug: $s) { id title slug space { id name } } } }`,
			map[string]any{"s": a.Slug}, []*circle.Post{&a}, []string{"GET /spaces/general/posts/" + a.Slug}},
		{"by id in a space known by slug: one call", `query($p: ID!) { space(slug: "general") { a: post(id: $p) { id title slug space { id name } } } }`,
			map[string]any{"p": id64(a.ID)}, []*circle.Post{&a}, []string{"GET /spaces/general/posts/" + id64(a.ID)}},
		{"by ids in a space known by id: one batch, like post(spaceId:, id:)", `query($p: ID!, $q: ID!) { space(id: "12") { name a: post(id: $p) { id title slug space { id name } } b: post(id: $q) { id title slug space { id name } } } }`,
			map[string]any{"p": id64(a.ID), "q": id64(b.ID)}, []*circle.Post{&a, &b},
			[]string{"GET /spaces", "GET /spaces/12/posts?page=1&per_page=2&post_ids=" + id64(a.ID) + "%2C" + id64(b.ID)}},
		{"the post primes the loader: its comments' post costs nothing", `query($s: String!) { space(slug: "general") { a: post(slug: $s) { id title slug space { id name } comments(first: 1) { nodes { post { id title } } } } } }`,
			map[string]any{"s": a.Slug}, []*circle.Post{&a}, []string{"GET /spaces/general/posts/" + a.Slug, "GET /posts/" + id64(a.ID) + "/comments?page=1&per_page=1&sort=oldest"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, tt.query, tt.vars)
			mustNoErrors(t, r)
			var got struct{ Space struct{ A, B *spacePost } }
			r.Decode(t, &got)
			for i, g := range []*spacePost{got.Space.A, got.Space.B}[:len(tt.want)] {
				w := tt.want[i]
				if g == nil || g.ID != id64(w.ID) || g.Title != deref(w.Name) || g.Slug != w.Slug || g.Space.ID != "12" || g.Space.Name != "General" {
					t.Errorf("post %d = %+v, want %d %q", i, g, w.ID, w.Slug)
				}
			}
			sameTargets(t, env, tt.calls...)
		})
	}
	t.Run("a post of another space is null and NOT_FOUND", func(t *testing.T) {
		env.Upstream.Reset()
		r := env.Do(t, tok, `query($s: String!) { space(slug: "events") { post(slug: $s) { id } } }`, map[string]any{"s": a.Slug})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" || string(r.Data) != `{"space":{"post":null}}` {
			t.Fatalf("errors %+v data %s", r.Errors, r.Data)
		}
		sameTargets(t, env, "GET /spaces/events/posts/"+a.Slug)
	})
	t.Run("bad references cost no call, not even the space's", func(t *testing.T) {
		env.Upstream.Reset()
		for _, q := range []string{
			`{ space(id: "12") { post { id } } }`,
			`{ space(id: "12") { post(id: "1", slug: "a") { id } } }`,
			`{ space(slug: "general") { post(id: "one") { id } } }`,
			`{ space(slug: "general") { post(slug: "A/../b") { id } } }`,
		} {
			r := env.Do(t, tok, q, nil)
			if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Status != http.StatusOK && r.Status != http.StatusBadRequest {
				t.Errorf("%s: status %d errors %+v, want BAD_USER_INPUT", q, r.Status, r.Errors)
			}
		}
		sameTargets(t, env)
	})
}
