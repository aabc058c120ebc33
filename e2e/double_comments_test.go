package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/circledouble"
)

// Comment and reply edits, a reply on its own, comment likes, a recurring
// event's dates and their RSVPs, and a space's post by id or slug, against
// the strict double: its data, the bodies it received and every upstream
// call.

// mustTargets fails t unless the operation's upstream calls are want, in
// any order.
func (e *doubleEnv) mustTargets(t *testing.T, want ...string) {
	t.Helper()
	got := sortedStrings(targets(e.Upstream.Calls()))
	if w := sortedStrings(want); !slices.Equal(got, w) {
		t.Fatalf("upstream calls\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(w, "\n  "))
	}
}

// lastBody is the last write body the double received.
func (e *doubleEnv) lastBody(t *testing.T) json.RawMessage {
	t.Helper()
	var b []string
	e.d.Locked(func() { b = slices.Clone(e.d.Bodies) })
	if len(b) == 0 {
		t.Fatal("the double received no body")
	}
	return json.RawMessage(b[len(b)-1])
}

func TestDoubleCommentEdits(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	// A top-level comment with replies, its author, and one of its replies.
	var top, rep *circledouble.Comment
	var post *circledouble.Post
	e.d.Locked(func() {
		for _, c := range e.d.Comments {
			if c.ParentID == 0 && len(e.d.Replies(c.ID)) == 2 && e.d.Space(e.d.Post(c.PostID).SpaceID).ID == circledouble.Shed {
				top, rep, post = c, e.d.Replies(c.ID)[1], e.d.Post(c.PostID)
				break
			}
		}
	})
	if top == nil {
		t.Fatal("the double has no comment with two replies in the shed")
	}
	pid, cid, rid := circledouble.ID(post.ID), circledouble.ID(top.ID), circledouble.ID(rep.ID)

	t.Run("updateComment: one PATCH, Circle's answer with its embedded replies", func(t *testing.T) {
		r := e.run(t, top.AuthorID, `mutation($p: ID!, $c: ID!) { updateComment(postId: $p, id: $c, body: "Fresh <b>soil</b> & water") {
			comment { id bodyText bodyHtml author { id } replies(first: 5) { totalCount nodes { id } } } userErrors { field message } } }`, obj("p", pid, "c", cid))
		mustOK(t, r)
		var replies []any
		e.d.Locked(func() {
			for _, x := range e.d.Replies(top.ID) {
				replies = append(replies, obj("id", circledouble.ID(x.ID)))
			}
		})
		compareData(t, "updateComment", r.Data, obj("updateComment", obj("comment", obj("id", cid, "bodyText", "Fresh soil & water", "bodyHtml", "Fresh <b>soil</b> & water",
			"author", obj("id", circledouble.ID(top.AuthorID)), "replies", obj("totalCount", 2, "nodes", replies)), "userErrors", []any{})))
		compareData(t, "request body", e.lastBody(t), obj("comment", obj("body", "Fresh <b>soil</b> & water")))
		e.mustTargets(t, "PATCH /posts/"+pid+"/comments/"+cid)
		e.checkCircle(t)
	})
	t.Run("updateComment by another member: FORBIDDEN after the one call", func(t *testing.T) {
		other := circledouble.Alice
		if top.AuthorID == other {
			other = circledouble.Bob
		}
		r := e.run(t, other, `mutation($p: ID!, $c: ID!) { updateComment(postId: $p, id: $c, body: "mine") { comment { id } } }`, obj("p", pid, "c", cid))
		mustError(t, r, "FORBIDDEN", "updateComment")
		e.mustTargets(t, "PATCH /posts/"+pid+"/comments/"+cid)
		e.checkCircle(t)
	})
	t.Run("updateReply with TipTap: Circle's 400 without text, then the edit", func(t *testing.T) {
		doc := map[string]any{"body": map[string]any{"type": "doc", "content": []any{map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "Rich"}}}}}}
		r := e.run(t, rep.AuthorID, `mutation($c: ID!, $r: ID!) { updateReply(commentId: $c, id: $r, body: "<p></p>") { comment { id } userErrors { field message } } }`, obj("c", cid, "r", rid))
		mustOK(t, r)
		compareData(t, "blank reply", r.Data, obj("updateReply", obj("comment", nil, "userErrors", []any{obj("field", []any{"body"}, "message", "Failed to update reply!")})))
		e.mustTargets(t, "PATCH /comments/"+cid+"/replies/"+rid)

		r = e.run(t, rep.AuthorID, `mutation($c: ID!, $r: ID!, $d: JSON) { updateReply(commentId: $c, id: $r, tiptapBody: $d) { comment { id tiptapBody parent { id } } userErrors { message } } }`, obj("c", cid, "r", rid, "d", doc))
		mustOK(t, r)
		compareData(t, "updateReply", r.Data, obj("updateReply", obj("comment", obj("id", rid, "tiptapBody", doc, "parent", obj("id", cid)), "userErrors", []any{})))
		compareData(t, "request body", e.lastBody(t), obj("comment", obj("tiptap_body", doc)))
		e.mustTargets(t, "PATCH /comments/"+cid+"/replies/"+rid)
		e.checkCircle(t)
	})
	t.Run("reply: its parent from the path, its post batched, its likes listed", func(t *testing.T) {
		r := e.run(t, circledouble.Chidi, `query($c: ID!, $r: ID!) { reply(commentId: $c, id: $r) { id parent { id } post { id title } likes(first: 3) { totalCount nodes { id name } } } }`, obj("c", cid, "r", rid))
		mustOK(t, r)
		var likers []*circledouble.Member
		e.d.Locked(func() {
			for _, m := range e.d.Members {
				if rep.Likes[m.ID] {
					likers = append(likers, m)
				}
			}
		})
		if len(likers) == 0 {
			t.Fatal("the reply has no likes; pick another")
		}
		compareData(t, "reply", r.Data, obj("reply", obj("id", rid, "parent", obj("id", cid), "post", obj("id", pid, "title", postTitle(post)),
			"likes", obj("totalCount", len(likers), "nodes", mapN(likers, 3, func(m *circledouble.Member) any { return obj("id", circledouble.ID(m.ID), "name", m.Name) })))))
		e.mustTargets(t, "GET /comments/"+cid+"/replies/"+rid, fmt.Sprintf("GET /spaces/%d/posts?page=1&per_page=1&post_ids=%s", post.SpaceID, pid),
			"GET /comments/"+rid+"/user_likes?page=1&per_page=3")
		e.checkCircle(t)
	})
	t.Run("a reply asked through another comment is null and NOT_FOUND", func(t *testing.T) {
		r := e.run(t, circledouble.Chidi, `query($r: ID!) { reply(commentId: "8800001", id: $r) { id } }`, obj("r", rid))
		mustError(t, r, "NOT_FOUND", "reply")
		e.mustTargets(t, "GET /comments/8800001/replies/"+rid)
		e.checkCircle(t)
	})
	t.Run("every comment's likes: one call each", func(t *testing.T) {
		r := e.run(t, circledouble.Chidi, `query($s: ID!, $p: ID!) { post(spaceId: $s, id: $p) { comments(first: 10) { nodes { id likes(first: 2) { totalCount } } } } }`,
			obj("s", circledouble.ID(post.SpaceID), "p", pid))
		mustOK(t, r)
		want := []string{fmt.Sprintf("GET /spaces/%d/posts?page=1&per_page=1&post_ids=%s", post.SpaceID, pid), "GET /posts/" + pid + "/comments?page=1&per_page=10&sort=oldest"}
		var nodes []any
		e.d.Locked(func() {
			for _, c := range circledouble.SortComments(e.d.TopComments(post.ID), "oldest") {
				want = append(want, "GET /comments/"+circledouble.ID(c.ID)+"/user_likes?page=1&per_page=2")
				nodes = append(nodes, obj("id", circledouble.ID(c.ID), "likes", obj("totalCount", len(c.Likes))))
			}
		})
		compareData(t, "likes", r.Data, obj("post", obj("comments", obj("nodes", nodes))))
		e.mustTargets(t, want...)
		e.checkCircle(t)
	})
}

func TestDoubleEventDates(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	const series = circledouble.Post0 + 27
	sid, eid := circledouble.ID(circledouble.Meetups), circledouble.ID(series)
	datesOf := func(viewer int64, n int) []any {
		var out []any
		e.d.Locked(func() {
			for _, dt := range e.d.Post(series).Event.Dates[:n] {
				var limit any
				if dt.Limit != nil {
					limit = *dt.Limit
				}
				out = append(out, obj("id", circledouble.ID(dt.ID), "startsAt", circledouble.TS(dt.Starts), "endsAt", circledouble.TS(dt.Ends),
					"timeZone", "Etc/UTC", "isGoing", dt.Going[viewer], "rsvpCount", len(dt.Going), "rsvpLimit", limit))
			}
		})
		return out
	}

	r := e.run(t, circledouble.Bob, `{ events(first: 10) { nodes { id event { isRecurring recurrence { frequency occurrences }
		dates(first: 2) { totalCount pageInfo { hasNextPage } nodes { id startsAt endsAt timeZone isGoing rsvpCount rsvpLimit } } } } } }`, nil)
	mustOK(t, r)
	var got struct {
		Events struct {
			Nodes []struct {
				ID    string
				Event json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(r.Data, &got); err != nil {
		t.Fatal(err)
	}
	recurring := 0
	for _, n := range got.Events.Nodes {
		if n.ID != eid {
			compareData(t, "single event "+n.ID, n.Event, obj("isRecurring", false, "recurrence", nil, "dates", obj("totalCount", 0, "pageInfo", obj("hasNextPage", false), "nodes", []any{})))
			continue
		}
		recurring++
		compareData(t, "the series", n.Event, obj("isRecurring", true, "recurrence", obj("frequency", "weekly", "occurrences", 5),
			"dates", obj("totalCount", 5, "pageInfo", obj("hasNextPage", true), "nodes", datesOf(circledouble.Bob, 2))))
	}
	if recurring != 1 || len(got.Events.Nodes) < 3 {
		t.Fatalf("%d events, %d of them the series", len(got.Events.Nodes), recurring)
	}
	e.mustTargets(t, "GET /community_events?page=1&past_events=false&per_page=10", "GET /spaces/"+sid+"/events/"+eid+"/recurring_events?page=1&per_page=2")
	e.checkCircle(t)

	const rsvp = `mutation($d: [ID!]!) { rsvpEventDates(spaceId: "4000003", eventId: "55000027", dateIds: $d) {
		message post { id event { dates(first: 5) { nodes { id isGoing rsvpCount } } } } userErrors { field message } } }`
	going := func(viewer int64) []any {
		var out []any
		e.d.Locked(func() {
			for _, dt := range e.d.Post(series).Event.Dates {
				out = append(out, obj("id", circledouble.ID(dt.ID), "isGoing", dt.Going[viewer], "rsvpCount", len(dt.Going)))
			}
		})
		return out
	}
	t.Run("going to two dates", func(t *testing.T) {
		r := e.run(t, circledouble.Chidi, rsvp, obj("d", []any{circledouble.ID(circledouble.Date0 + 2), circledouble.ID(circledouble.Date0 + 4), circledouble.ID(circledouble.Date0 + 2)}))
		mustOK(t, r)
		compareData(t, "rsvp", r.Data, obj("rsvpEventDates", obj("message", "You’ve RSVP’d to 2 events. We’ll send you a reminder before an event starts.",
			"post", obj("id", eid, "event", obj("dates", obj("nodes", going(circledouble.Chidi)))), "userErrors", []any{})))
		compareData(t, "request body", e.lastBody(t), obj("event_ids", []any{circledouble.Date0 + 2, circledouble.Date0 + 4}))
		e.mustTargets(t, "PUT /spaces/"+sid+"/events/"+eid+"/recurring_events/rsvp", "GET /spaces/"+sid+"/posts?page=1&per_page=1&post_ids="+eid,
			"GET /spaces/"+sid+"/events/"+eid+"/recurring_events?page=1&per_page=5")
		e.checkCircle(t)
	})
	t.Run("a full date is Circle's refusal and changes nothing", func(t *testing.T) {
		before := going(circledouble.Chidi)
		r := e.run(t, circledouble.Chidi, rsvp, obj("d", []any{circledouble.ID(circledouble.Date0 + 3)}))
		mustOK(t, r)
		compareData(t, "full", r.Data, obj("rsvpEventDates", obj("message", nil, "post", nil, "userErrors", []any{obj("field", nil, "message", "This event is full.")})))
		e.mustTargets(t, "PUT /spaces/"+sid+"/events/"+eid+"/recurring_events/rsvp")
		if after := going(circledouble.Chidi); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("the refused write changed the RSVPs: %v, then %v", before, after)
		}
		e.checkCircle(t)
	})
	t.Run("no date at all withdraws from each", func(t *testing.T) {
		r := e.run(t, circledouble.Chidi, `mutation { rsvpEventDates(spaceId: "4000003", eventId: "55000027", dateIds: []) { message userErrors { message } } }`, nil)
		mustOK(t, r)
		compareData(t, "withdraw", r.Data, obj("rsvpEventDates", obj("message", "You’ve RSVP’d to 0 events. We’ll send you a reminder before an event starts.", "userErrors", []any{})))
		compareData(t, "request body", e.lastBody(t), obj("event_ids", []any{}))
		for _, d := range going(circledouble.Chidi) {
			if d.(map[string]any)["isGoing"] == true {
				t.Errorf("still going: %v", d)
			}
		}
		e.checkCircle(t)
	})
}

func TestDoubleSpacePostBySlug(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	var p5, p6 *circledouble.Post
	e.d.Locked(func() { p5, p6 = e.d.Post(circledouble.Post0+5), e.d.Post(circledouble.Post0+6) })
	const sel = `id title slug space { id name } author { id }`
	want := func(p *circledouble.Post) map[string]any {
		var w map[string]any
		e.d.Locked(func() {
			s := e.d.Space(p.SpaceID)
			w = obj("id", circledouble.ID(p.ID), "title", postTitle(p), "slug", p.Slug, "space", obj("id", circledouble.ID(s.ID), "name", s.Name), "author", obj("id", circledouble.ID(p.AuthorID)))
		})
		return w
	}
	t.Run("by both slugs: one call", func(t *testing.T) {
		r := e.run(t, circledouble.Bob, `query($s: String!) { space(slug: "potting-shed") { post(slug: $s) { `+sel+` } } }`, obj("s", p5.Slug))
		mustOK(t, r)
		compareData(t, "post", r.Data, obj("space", obj("post", want(p5))))
		e.mustTargets(t, "GET /spaces/potting-shed/posts/"+p5.Slug)
		e.checkCircle(t)
	})
	t.Run("by ids in a space known by id: the post_ids batch", func(t *testing.T) {
		r := e.run(t, circledouble.Bob, `{ space(id: "4000001") { a: post(id: "55000005") { `+sel+` } b: post(id: "55000006") { `+sel+` } } }`, nil)
		mustOK(t, r)
		compareData(t, "posts", r.Data, obj("space", obj("a", want(p5), "b", want(p6))))
		e.mustTargets(t, "GET /spaces", "GET /spaces/4000001/posts?page=1&per_page=2&post_ids=55000005%2C55000006")
		e.checkCircle(t)
	})
	t.Run("a slug of digits that Circle reads as an id is not that post", func(t *testing.T) {
		r := e.run(t, circledouble.Bob, `{ space(slug: "potting-shed") { post(slug: "55000005") { id } } }`, nil)
		mustError(t, r, "NOT_FOUND", "space", "post")
		e.mustTargets(t, "GET /spaces/potting-shed/posts/55000005")
		e.checkCircle(t)
	})
	t.Run("a post of a private space of others", func(t *testing.T) {
		var secret *circledouble.Post
		e.d.Locked(func() { secret = e.d.Post(circledouble.Post0 + 31) })
		r := e.run(t, circledouble.Bob, `query($s: String!) { space(slug: "inner-circle") { post(slug: $s) { id } } }`, obj("s", secret.Slug))
		mustError(t, r, "NOT_FOUND", "space", "post")
		e.mustTargets(t, "GET /spaces/inner-circle/posts/"+secret.Slug)
		e.checkCircle(t)
	})
}

// Every order Circle offers for members, comments and replies reaches it
// as its own sort value, and the page comes back in Circle's order: a
// comment's replies in another order than the default are fetched, not cut
// from the embedded ones.
func TestDoubleEveryListSort(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	for _, s := range []string{"ALPHABETICAL", "OLDEST", "LATEST"} {
		r := e.run(t, circledouble.Bob, `query($s: MemberSort) { members(first: 3, sort: $s) { nodes { id } } }`, obj("s", s))
		mustOK(t, r)
		e.mustTargets(t, "GET /community_members?page=1&per_page=3&sort="+strings.ToLower(s))
	}
	var top *circledouble.Comment
	e.d.Locked(func() {
		for _, c := range e.d.Comments {
			if c.ParentID == 0 && len(e.d.Replies(c.ID)) == 2 && e.d.Visible(e.d.Post(c.PostID), circledouble.Alice) {
				top = c
				break
			}
		}
	})
	post := e.d.Post(top.PostID)
	for _, s := range []string{"OLDEST", "LATEST", "LIKES", "ALPHABETICAL", "LATEST_UPDATED", "OLDEST_UPDATED"} {
		t.Run(s, func(t *testing.T) {
			r := e.run(t, circledouble.Alice, `query($sp: ID!, $p: ID!, $s: CommentSort) { post(spaceId: $sp, id: $p) { comments(first: 20, sort: $s) { nodes { id replies(first: 5, sort: $s) { nodes { id } } } } } }`,
				obj("sp", circledouble.ID(post.SpaceID), "p", circledouble.ID(post.ID), "s", s))
			mustOK(t, r)
			param := strings.ToLower(s)
			var nodes []any
			want := []string{fmt.Sprintf("GET /spaces/%d/posts?page=1&per_page=1&post_ids=%d", post.SpaceID, post.ID), fmt.Sprintf("GET /posts/%d/comments?page=1&per_page=20&sort=%s", post.ID, param)}
			e.d.Locked(func() {
				for _, c := range circledouble.SortComments(e.d.TopComments(post.ID), param) {
					var replies []any
					for _, rp := range circledouble.SortComments(e.d.Replies(c.ID), param) {
						replies = append(replies, obj("id", circledouble.ID(rp.ID)))
					}
					if replies == nil {
						replies = []any{}
					} else if s != "OLDEST" {
						want = append(want, fmt.Sprintf("GET /comments/%d/replies?page=1&per_page=5&sort=%s", c.ID, param))
					}
					nodes = append(nodes, obj("id", circledouble.ID(c.ID), "replies", obj("nodes", replies)))
				}
			})
			compareData(t, s, r.Data, obj("post", obj("comments", obj("nodes", nodes))))
			e.mustTargets(t, want...)
			e.checkCircle(t)
		})
	}
}

// A space slug made of digits is not put in a posts path, where Circle
// would read it as a space id and list another space's posts: the slug is
// looked up in GET /spaces, where no space has it.
func TestDoubleDigitSpaceSlugNotReadAsAnID(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	for _, q := range []string{
		`{ space(slug: "4000001") { posts(first: 1) { totalCount } } }`,
		`{ space(slug: "4000001") { post(slug: "best-compost-ratio-5") { id } } }`,
	} {
		r := e.run(t, circledouble.Bob, q, nil)
		mustError(t, r, "NOT_FOUND", "space")
		compareData(t, q, r.Data, obj("space", nil))
		e.mustTargets(t, "GET /spaces")
	}
	e.checkCircle(t)
}
