package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/circle"
)

// writeMessages are the sandbox's messages for write failures of which
// Circle's OpenAPI document has no example (see writes.go). The
// conformance test accepts them beside the document's own.
var writeMessages = map[int]map[string]bool{
	http.StatusBadRequest: {msgCommentFailed: true, msgReplyFailed: true, msgCommentUpdateFailed: true, msgReplyUpdateFailed: true},
	http.StatusForbidden:  {msgForbidden: true},
	http.StatusUnprocessableEntity: {
		msgCommentsDisabled: true, msgLikingDisabled: true, msgEventFull: true, msgEventSpacePost: true,
		"Name can't be blank": true, "Body can't be blank": true, msgImageSpacePost: true, msgNotImageSpace: true, msgGalleryBlank: true, msgGalleryImageGone: true,
		msgTopicRequired: true, msgTopicInvalid: true, msgBookmarkType: true, msgBookmarkTaken: true, msgOccurrenceInvalid: true,
	},
}

// tiptapBody is a tiptap_body envelope as Circle's request schema has it.
func tiptapBody(text string) map[string]any {
	return map[string]any{"body": map[string]any{"type": "doc", "content": []any{
		map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": text}}},
	}}}
}

// writeFixture holds the records the write cases act on, made in the
// store directly so that each case's path is known up front.
type writeFixture struct {
	ownPost, othersPost       int64 // posts in General by the demo member and by someone else
	closedPost                int64 // a General post with comments and likes turned off
	ownComment, othersComment int64 // comments on othersPost
	openEvent, fullEvent      int64 // upcoming events: one the demo member has not answered, one at its RSVP limit
}

func newWriteFixture(h *harness) writeFixture {
	h.t.Helper()
	st := h.sb.store
	demo := h.sb.DemoMemberID()
	other := h.spaceMembers(spaceGeneral)[0]
	if other == demo {
		other = h.spaceMembers(spaceGeneral)[1]
	}
	at := testStart.Add(-time.Hour)
	var f writeFixture
	f.ownPost = st.addPost(post{spaceID: spaceGeneral, authorID: demo, title: "Mine", slug: "mine", html: "<p>x</p>", text: "x", createdAt: at, updatedAt: at})
	f.othersPost = st.addPost(post{spaceID: spaceGeneral, authorID: other, title: "Theirs", slug: "theirs", html: "<p>x</p>", text: "x", createdAt: at, updatedAt: at})
	f.closedPost = st.addPost(post{spaceID: spaceGeneral, authorID: other, title: "Closed", slug: "closed", html: "<p>x</p>", text: "x", createdAt: at, updatedAt: at, commentsDisabled: true, likingDisabled: true})
	f.ownComment = st.addComment(comment{postID: f.othersPost, authorID: demo, html: "<p>c</p>", text: "c", createdAt: at, updatedAt: at})
	f.othersComment = st.addComment(comment{postID: f.othersPost, authorID: other, html: "<p>c</p>", text: "c", createdAt: at, updatedAt: at})
	start := testStart.Add(72 * time.Hour)
	one := 1
	f.openEvent = st.addPost(post{spaceID: spaceEvents, authorID: other, title: "Open", slug: "open", html: "<p>x</p>", text: "x", createdAt: at, updatedAt: at,
		event: &event{startsAt: start, endsAt: start.Add(time.Hour), locationType: "virtual", virtualURL: "https://meet.example.com/open"}})
	f.fullEvent = st.addPost(post{spaceID: spaceEvents, authorID: other, title: "Full", slug: "full", html: "<p>x</p>", text: "x", createdAt: at, updatedAt: at,
		event: &event{startsAt: start, endsAt: start.Add(time.Hour), locationType: "virtual", virtualURL: "https://meet.example.com/full", rsvpLimit: &one}})
	st.rsvp(f.fullEvent, other, rsvpYes, at)
	return f
}

// writeConfCases are the conformance cases of the Member API's writes.
// They run in order on one sandbox: a like is undone by the next case, an
// RSVP cancelled.
func writeConfCases(f *confFixture) []confCase {
	fx := newWriteFixture(f.harness)
	id := func(v int64) string { return strconv.FormatInt(v, 10) }
	body := func(v any) func() any { return func() any { return v } }
	c := func(name, method, path, cred string, b any, status int, message string) confCase {
		tc := confCase{name: name, method: method, path: memberPrefix + path, cred: cred, status: status, message: message}
		if b != nil {
			tc.body = body(b)
		}
		return tc
	}
	post, del, member := http.MethodPost, http.MethodDelete, credMember
	comment := func(b any) map[string]any { return map[string]any{"comment": b} }
	general := "/spaces/" + id(spaceGeneral) + "/posts"
	staffComment := func() int64 { _, cid := f.commentWithReplies(spaceStaff); return cid }()

	cases := []confCase{
		c("create post", post, general, member, map[string]any{"space_id": spaceGeneral, "name": "Conformance", "body": "<p>Hello <b>there</b></p>"}, 200, ""),
		c("create post from tiptap, comments off", post, general, member, map[string]any{"name": "Rich", "tiptap_body": tiptapBody("Hello"), "is_comments_enabled": false, "is_liking_enabled": true}, 200, ""),
		c("create post by space slug", post, "/spaces/general/posts", member, map[string]any{"name": "By slug", "body": "plain text"}, 200, ""),
		c("create post with a blank name", post, general, member, map[string]any{"name": " ", "body": "x"}, 422, "Name can't be blank"),
		c("create post without a body", post, general, member, map[string]any{"name": "Title only"}, 200, ""),
		c("create post with an empty body", post, general, member, map[string]any{"name": "Empty", "body": "<p> </p>"}, 200, ""),
		c("create post with neither", post, general, member, map[string]any{"name": ""}, 422, "Name can't be blank"),
		c("create post in a space of others", post, "/spaces/"+id(spaceShowAndTell)+"/posts", member, map[string]any{"name": "x", "body": "x"}, 403, msgForbidden),
		c("create post where only admins post", post, "/spaces/"+id(spaceAnnouncements)+"/posts", member, map[string]any{"name": "x", "body": "x"}, 403, msgForbidden),
		c("create post in the event space", post, "/spaces/"+id(spaceEvents)+"/posts", member, map[string]any{"name": "x", "body": "x"}, 422, msgEventSpacePost),
		c("create post in a private space of others", post, "/spaces/"+id(spaceStaff)+"/posts", member, map[string]any{"name": "x", "body": "x"}, 404, msgMissingRecord),
		c("create post expired", post, general, credExpired, map[string]any{"name": "x", "body": "x"}, 401, msgTokenExpired),

		c("delete someone else's post", del, general+"/"+id(fx.othersPost), member, nil, 403, msgForbidden),
		c("delete a post through another space", del, "/spaces/"+id(spaceLounge)+"/posts/"+id(fx.ownPost), member, nil, 404, msgMissingRecord),
		c("delete own post", del, general+"/"+id(fx.ownPost), member, nil, 200, ""),
		c("delete a deleted post", del, general+"/"+id(fx.ownPost), member, nil, 404, msgMissingRecord),
		c("delete post revoked", del, general+"/"+id(fx.othersPost), credRevoked, nil, 401, msgTokenRevoked),

		c("create comment", post, "/posts/"+id(fx.othersPost)+"/comments", member, comment(map[string]any{"body": "<p>Nice</p>"}), 201, ""),
		c("comment from tiptap", post, "/posts/"+id(fx.othersPost)+"/comments", member, comment(map[string]any{"tiptap_body": tiptapBody("Rich")}), 201, ""),
		c("blank comment", post, "/posts/"+id(fx.othersPost)+"/comments", member, comment(map[string]any{"body": "  "}), 400, msgCommentFailed),
		c("comment where comments are off", post, "/posts/"+id(fx.closedPost)+"/comments", member, comment(map[string]any{"body": "x"}), 422, msgCommentsDisabled),
		c("comment on a private post of others", post, "/posts/"+id(f.postsIn(spaceStaff)[0])+"/comments", member, comment(map[string]any{"body": "x"}), 404, msgMissingRecord),
		c("comment garbage token", post, "/posts/"+id(fx.othersPost)+"/comments", credGarbage, comment(map[string]any{"body": "x"}), 401, msgTokenInvalid),

		c("reply", post, "/comments/"+id(fx.othersComment)+"/replies", member, comment(map[string]any{"body": "Agreed"}), 201, ""),
		c("blank reply", post, "/comments/"+id(fx.othersComment)+"/replies", member, comment(map[string]any{"body": ""}), 400, msgReplyFailed),
		c("reply to a private comment of others", post, "/comments/"+id(staffComment)+"/replies", member, comment(map[string]any{"body": "x"}), 404, msgMissingRecord),
		c("reply ghost", post, "/comments/"+id(fx.othersComment)+"/replies", credGhost, comment(map[string]any{"body": "x"}), 401, msgNoTokenMember),

		c("delete someone else's comment", del, "/posts/"+id(fx.othersPost)+"/comments/"+id(fx.othersComment), member, nil, 403, msgForbidden),
		c("delete a comment through another post", del, "/posts/"+id(fx.closedPost)+"/comments/"+id(fx.ownComment), member, nil, 404, msgMissingRecord),
		c("delete own comment", del, "/posts/"+id(fx.othersPost)+"/comments/"+id(fx.ownComment), member, nil, 200, ""),
		c("delete comment other community", del, "/posts/"+id(fx.othersPost)+"/comments/"+id(fx.othersComment), credOtherCommunity, nil, 401, msgNoCommunity),

		c("like post", post, "/posts/"+id(fx.othersPost)+"/user_likes", member, nil, 200, ""),
		c("like post again", post, "/posts/"+id(fx.othersPost)+"/user_likes", member, nil, 200, ""),
		c("unlike post", del, "/posts/"+id(fx.othersPost)+"/user_likes", member, nil, 200, ""),
		c("unlike post not liked", del, "/posts/"+id(fx.othersPost)+"/user_likes", member, nil, 200, ""),
		c("like post where likes are off", post, "/posts/"+id(fx.closedPost)+"/user_likes", member, nil, 422, msgLikingDisabled),
		c("like a private post of others", post, "/posts/"+id(f.postsIn(spaceStaff)[0])+"/user_likes", member, nil, 404, msgMissingRecord),
		c("like post expired", post, "/posts/"+id(fx.othersPost)+"/user_likes", credExpired, nil, 401, msgTokenExpired),

		c("like comment", post, "/comments/"+id(fx.othersComment)+"/user_likes", member, nil, 200, ""),
		c("unlike comment", del, "/comments/"+id(fx.othersComment)+"/user_likes", member, nil, 200, ""),
		c("like a private comment of others", post, "/comments/"+id(staffComment)+"/user_likes", member, nil, 404, msgMissingRecord),
		c("unlike comment revoked", del, "/comments/"+id(fx.othersComment)+"/user_likes", credRevoked, nil, 401, msgTokenRevoked),

		c("rsvp", post, "/events/"+id(fx.openEvent)+"/event_attendees", member, nil, 200, ""),
		c("rsvp again", post, "/events/"+id(fx.openEvent)+"/event_attendees", member, nil, 200, ""),
		c("cancel rsvp", del, "/events/"+id(fx.openEvent)+"/event_attendees", member, nil, 200, ""),
		c("rsvp to a full event", post, "/events/"+id(fx.fullEvent)+"/event_attendees", member, nil, 422, msgEventFull),
		c("cancel without an rsvp", del, "/events/"+id(fx.fullEvent)+"/event_attendees", member, nil, 404, msgMissingRecord),
		c("rsvp to a basic post", post, "/events/"+id(fx.othersPost)+"/event_attendees", member, nil, 404, msgMissingRecord),
		c("rsvp ghost", post, "/events/"+id(fx.openEvent)+"/event_attendees", credGhost, nil, 401, msgNoTokenMember),

		c("join space", post, "/spaces/"+id(spaceShowAndTell)+"/join", member, nil, 200, ""),
		c("join space again", post, "/spaces/"+id(spaceShowAndTell)+"/join", member, nil, 200, ""),
		c("leave space", post, "/spaces/"+id(spaceShowAndTell)+"/leave", member, nil, 200, ""),
		c("join a private space of others", post, "/spaces/"+id(spaceStaff)+"/join", member, nil, 404, msgMissingRecord),
		c("leave a private space of others", post, "/spaces/"+id(spaceStaff)+"/leave", member, nil, 404, msgMissingRecord),
		c("join space garbage token", post, "/spaces/"+id(spaceShowAndTell)+"/join", credGarbage, nil, 401, msgTokenInvalid),
	}
	// Requests that break the document on purpose: the sandbox must still
	// answer as Circle does.
	broken := []confCase{
		c("like post without a token", post, "/posts/"+id(fx.othersPost)+"/user_likes", credNone, nil, 401, msgTokenInvalid),
		c("create post without a token", post, general, credNone, map[string]any{"name": "x", "body": "x"}, 401, msgTokenInvalid),
		c("create post without a body at all", post, general, member, nil, 422, "Name can't be blank"),
	}
	return append(cases, markInvalid(broken)...)
}

// The writes change what reads show, as Circle's would: counters follow the
// records, and each member's likes and RSVPs are their own.
func TestWritesChangeState(t *testing.T) {
	h := newHarness(t)
	fx := newWriteFixture(h)
	demo := h.token(h.sb.DemoMemberID())
	other := h.token(h.spaceMembers(spaceGeneral)[2])
	postPath := "/spaces/" + itoa(spaceGeneral) + "/posts/" + itoa(fx.othersPost)
	read := func(token string) circle.Post {
		t.Helper()
		var p circle.Post
		h.mustGet(token, postPath, &p)
		return p
	}
	mustDo := func(method, path, token string, body any, want int) []byte {
		t.Helper()
		status, raw := h.do(method, memberPrefix+path, token, body)
		if status != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, status, raw, want)
		}
		return raw
	}

	before := read(demo)
	mustDo(http.MethodPost, "/posts/"+itoa(fx.othersPost)+"/user_likes", demo, nil, 200)
	mustDo(http.MethodPost, "/posts/"+itoa(fx.othersPost)+"/user_likes", demo, nil, 200)
	if p := read(demo); !p.IsLiked || p.UserLikesCount != before.UserLikesCount+1 {
		t.Fatalf("after liking twice: is_liked %v count %d, want true and %d", p.IsLiked, p.UserLikesCount, before.UserLikesCount+1)
	}
	if p := read(other); p.IsLiked {
		t.Fatal("another member sees the demo member's like as their own")
	}

	raw := mustDo(http.MethodPost, "/posts/"+itoa(fx.othersPost)+"/comments", demo, map[string]any{"comment": map[string]any{"tiptap_body": tiptapBody("From TipTap")}}, 201)
	var c circle.Comment
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	if c.BodyText != "From TipTap" || c.Body == nil || c.Body.HTML != "<p>From TipTap</p>" || c.Editor != "tiptap" || c.SpaceID != spaceGeneral {
		t.Fatalf("comment %+v", c)
	}
	raw = mustDo(http.MethodPost, "/comments/"+itoa(c.ID)+"/replies", other, map[string]any{"comment": map[string]any{"body": "Reply"}}, 201)
	var reply circle.Comment
	if err := json.Unmarshal(raw, &reply); err != nil {
		t.Fatal(err)
	}
	if reply.ParentCommentID == nil || *reply.ParentCommentID != c.ID {
		t.Fatalf("reply parent %v, want %d", reply.ParentCommentID, c.ID)
	}
	if p := read(demo); p.CommentCount != before.CommentCount+2 {
		t.Fatalf("comment_count %d, want %d (a comment and a reply)", p.CommentCount, before.CommentCount+2)
	}
	mustDo(http.MethodDelete, "/posts/"+itoa(fx.othersPost)+"/comments/"+itoa(c.ID), demo, nil, 200)
	if p := read(demo); p.CommentCount != before.CommentCount {
		t.Fatalf("after deleting the comment, comment_count %d, want %d (its reply goes with it)", p.CommentCount, before.CommentCount)
	}
	mustDo(http.MethodGet, "/posts/"+itoa(fx.othersPost)+"/comments/"+itoa(reply.ID), demo, nil, 404)

	// RSVPs: yes counts, cancelling keeps the record as "no".
	eventPath := "/spaces/" + itoa(spaceEvents) + "/posts/" + itoa(fx.openEvent)
	mustDo(http.MethodPost, "/events/"+itoa(fx.openEvent)+"/event_attendees", demo, nil, 200)
	var ev circle.Post
	h.mustGet(demo, eventPath, &ev)
	if ev.RsvpStatus == nil || *ev.RsvpStatus != "yes" || ev.EventSettings.RsvpCount != 1 {
		t.Fatalf("after RSVP: status %v count %d", ev.RsvpStatus, ev.EventSettings.RsvpCount)
	}
	raw = mustDo(http.MethodDelete, "/events/"+itoa(fx.openEvent)+"/event_attendees", demo, nil, 200)
	var a circle.EventAttendee
	if err := json.Unmarshal(raw, &a); err != nil || a.RsvpStatus != "no" {
		t.Fatalf("cancel answered %s", raw)
	}
	h.mustGet(demo, eventPath, &ev)
	if ev.RsvpStatus == nil || *ev.RsvpStatus != "no" || ev.EventSettings.RsvpCount != 0 {
		t.Fatalf("after cancelling: status %v count %d", ev.RsvpStatus, ev.EventSettings.RsvpCount)
	}

	// Joining a public space lets the member post there; leaving takes it back.
	show := "/spaces/" + itoa(spaceShowAndTell)
	mustDo(http.MethodPost, show+"/posts", demo, map[string]any{"name": "x", "body": "x"}, 403)
	mustDo(http.MethodPost, show+"/join", demo, nil, 200)
	raw = mustDo(http.MethodPost, show+"/posts", demo, map[string]any{"name": "Show & tell", "body": "Look"}, 200)
	var p circle.Post
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	if p.Slug != "show-tell" || p.Author.CommunityMemberID != h.sb.DemoMemberID() || p.UserLikesCount != 0 || p.IsLiked || p.Space.ID != spaceShowAndTell {
		t.Fatalf("new post %+v", p)
	}
	raw = mustDo(http.MethodPost, show+"/leave", demo, nil, 200)
	var sp circle.Space
	if err := json.Unmarshal(raw, &sp); err != nil || sp.IsMember {
		t.Fatalf("leave answered %s", raw)
	}
	mustDo(http.MethodPost, show+"/posts", demo, map[string]any{"name": "x", "body": "x"}, 403)

	// A deleted post is gone from every read, its comments with it.
	mustDo(http.MethodDelete, show+"/posts/"+itoa(p.ID), demo, nil, 200)
	mustDo(http.MethodGet, show+"/posts/"+itoa(p.ID), demo, nil, 404)
	mustDo(http.MethodGet, "/posts/"+itoa(p.ID)+"/comments", demo, nil, 404)
}

// manyMembers adds n members to the community, all in General, and returns
// their tokens.
func manyMembers(h *harness, n int) []string {
	h.t.Helper()
	tokens := make([]string, n)
	for i := range tokens {
		id := h.sb.store.addMember(member{name: fmt.Sprintf("Load Tester %d", i), email: fmt.Sprintf("load%d@example.com", i), createdAt: testStart})
		h.sb.store.join(spaceGeneral, id)
		tokens[i] = h.token(id)
	}
	return tokens
}

// Counters stay exact under concurrent writes (run with -race): 50
// members liking one post at once leave exactly 50 likes, each their own;
// 50 members commenting leave 50 comments; 50 members racing for an event's
// last 20 places leave exactly 20 RSVPs.
func TestConcurrentWrites(t *testing.T) {
	h := newHarness(t)
	const n = 50
	tokens := manyMembers(h, n)
	demo := h.token(h.sb.DemoMemberID())
	status, raw := h.do(http.MethodPost, memberPrefix+"/spaces/"+itoa(spaceGeneral)+"/posts", demo, map[string]any{"name": "Like me", "body": "Please"})
	if status != http.StatusOK {
		t.Fatalf("create post: %d %s", status, raw)
	}
	var p circle.Post
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	limit := 20
	eventID := h.sb.store.addPost(post{spaceID: spaceEvents, authorID: h.sb.DemoMemberID(), title: "Race", slug: "race", text: "x", html: "<p>x</p>",
		createdAt: testStart, updatedAt: testStart, event: &event{startsAt: testStart.Add(48 * time.Hour), endsAt: testStart.Add(49 * time.Hour), rsvpLimit: &limit}})

	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for _, tok := range tokens {
		wg.Go(func() {
			if status, raw := h.do(http.MethodPost, memberPrefix+"/posts/"+itoa(p.ID)+"/user_likes", tok, nil); status != http.StatusOK {
				t.Errorf("like: %d %s", status, raw)
			}
			if status, raw := h.do(http.MethodPost, memberPrefix+"/posts/"+itoa(p.ID)+"/comments", tok, map[string]any{"comment": map[string]any{"body": "me too"}}); status != http.StatusCreated {
				t.Errorf("comment: %d %s", status, raw)
			}
			status, _ := h.do(http.MethodPost, memberPrefix+"/events/"+itoa(eventID)+"/event_attendees", tok, nil)
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		})
	}
	wg.Wait()

	var got circle.Post
	h.mustGet(demo, "/spaces/"+itoa(spaceGeneral)+"/posts/"+itoa(p.ID), &got)
	if got.UserLikesCount != n || got.CommentCount != n || got.IsLiked {
		t.Fatalf("likes %d comments %d is_liked %v, want %d, %d and false (the demo member did not like it)", got.UserLikesCount, got.CommentCount, got.IsLiked, n, n)
	}
	likers := allPages[circle.Author](h, demo, "/posts/"+itoa(p.ID)+"/user_likes")
	if len(likers) != n {
		t.Fatalf("user_likes lists %d members, want %d", len(likers), n)
	}
	for _, tok := range tokens[:5] {
		var mine circle.Post
		h.mustGet(tok, "/spaces/"+itoa(spaceGeneral)+"/posts/"+itoa(p.ID), &mine)
		if !mine.IsLiked {
			t.Fatal("a member who liked the post does not see is_liked")
		}
	}
	if statuses[http.StatusOK] != limit || statuses[http.StatusUnprocessableEntity] != n-limit {
		t.Fatalf("RSVP answers %v, want %d × 200 and %d × 422", statuses, limit, n-limit)
	}
	var ev circle.Post
	h.mustGet(demo, "/spaces/"+itoa(spaceEvents)+"/posts/"+itoa(eventID), &ev)
	if ev.EventSettings.RsvpCount != limit {
		t.Fatalf("rsvp_count %d, want %d", ev.EventSettings.RsvpCount, limit)
	}

	// Everyone unlikes at once: back to zero.
	for _, tok := range tokens {
		wg.Go(func() {
			if status, raw := h.do(http.MethodDelete, memberPrefix+"/posts/"+itoa(p.ID)+"/user_likes", tok, nil); status != http.StatusOK {
				t.Errorf("unlike: %d %s", status, raw)
			}
		})
	}
	wg.Wait()
	h.mustGet(demo, "/spaces/"+itoa(spaceGeneral)+"/posts/"+itoa(p.ID), &got)
	if got.UserLikesCount != 0 {
		t.Fatalf("after everyone unliked: %d likes", got.UserLikesCount)
	}
}
