package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/internal/testjwt"
)

// Posts, comments, spaces and events as Circle's OpenAPI document shows
// them: an upstream that answers with the document's own examples, so that
// every field Circle sends and a screen needs is proven to reach the
// schema (galleries, topics, policies, removed comments, embedded replies,
// recurring events), and the sandbox for the whole flows.

// namedExample returns the example named name of the answer with status
// to method path in Circle's Member API document, as decoded JSON that the
// test may change.
func namedExample(t *testing.T, method, path, status, name string) map[string]any {
	t.Helper()
	item := memberAPIDoc(t).Paths.Value("/api/headless/v1" + path)
	if item == nil || item.GetOperation(method) == nil {
		t.Fatalf("%s %s is not in the document", method, path)
	}
	resp := item.GetOperation(method).Responses.Value(status)
	if resp == nil || resp.Value.Content.Get("application/json") == nil {
		t.Fatalf("%s %s has no %s answer", method, path, status)
	}
	ex := resp.Value.Content.Get("application/json").Examples[name]
	if ex == nil || ex.Value == nil {
		t.Fatalf("%s %s %s has no example %q", method, path, status, name)
	}
	raw, err := json.Marshal(ex.Value.Value)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// fakeCircle answers "METHOD path" (query ignored) with a fixed status and
// JSON body, and keeps the bodies it was sent; anything else is Circle's
// 404.
type fakeCircle struct {
	routes map[string]fakeAnswer
	mu     sync.Mutex
	bodies map[string]string
}

type fakeAnswer struct {
	status int
	body   any
}

func newFakeCircle(routes map[string]fakeAnswer) *fakeCircle {
	return &fakeCircle{routes: routes, bodies: map[string]string{}}
}

func (f *fakeCircle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	key := r.Method + " " + strings.TrimPrefix(r.URL.Path, "/api/headless/v1")
	f.mu.Lock()
	f.bodies[key] = string(raw)
	f.mu.Unlock()
	a, ok := f.routes[key]
	if !ok {
		a = fakeAnswer{http.StatusNotFound, map[string]any{"success": false, "message": "Oops! Missing record. Please try again later.", "error_details": map[string]any{}}}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_ = json.NewEncoder(w).Encode(a.body)
}

func (f *fakeCircle) body(key string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[key]
}

// page wraps records in Circle's list envelope.
func page(records ...any) map[string]any {
	return map[string]any{"page": 1, "per_page": max(len(records), 1), "has_next_page": false, "count": len(records), "records": records}
}

// An image post renders from what Circle sends: its gallery, the member's
// bookmark and following, policies, topics, and a body without text.
func TestImagePostFromTheDocument(t *testing.T) {
	t.Parallel()
	post := namedExample(t, "POST", "/spaces/{space_id}/images/posts", "200", "success")
	post["bookmark_id"], post["cover_image"] = 77, "https://img.example/cover.jpg"
	post["topics"] = []any{map[string]any{"id": 5, "name": "Travel", "admin_only": false}}
	post["policies"] = map[string]any{"can_destroy_post": true, "can_duplicate_post": false, "can_manage_post": false, "can_report_post": false, "can_update_post": true}
	post["body"].(map[string]any)["attachments_array"] = []any{map[string]any{"sgid": "x", "filename": "notes.pdf"}}
	env := testenv.New(t, testenv.Options{Upstream: newFakeCircle(map[string]fakeAnswer{"GET /spaces/2/posts": {200, page(post)}})})
	r := env.Do(t, testjwt.Member(t, 1), `{ post(spaceId: "2", id: "2") {
		type title bodyText status coverImageUrl attachments isBookmarked bookmarkId isFollowing followerId
		isCommentsEnabled isCommentsClosed isLikingEnabled
		topics { id name adminOnly }
		policies { canDestroy canDuplicate canManage canReport canUpdate }
		gallery { id downloadableImages images { id url originalUrl signedId filename width height } } } }`, nil)
	mustNoErrors(t, r)
	var got struct {
		Post struct {
			Type, Status, BodyText, CoverImageURL, BookmarkID, FollowerID string
			Title                                                         *string
			Attachments                                                   []map[string]any
			IsBookmarked, IsFollowing, IsCommentsEnabled, IsLikingEnabled bool
			Topics                                                        []struct{ ID, Name string }
			Policies                                                      struct{ CanDestroy, CanUpdate, CanReport bool }
			Gallery                                                       struct {
				ID     string
				Images []struct {
					ID, URL, OriginalURL, SignedID, Filename string
					Width, Height                            int
				}
			}
		}
	}
	r.Decode(t, &got)
	p := got.Post
	if p.Type != "IMAGE" || p.Title == nil || *p.Title != "Content" || p.BodyText != "Content" || p.Status != "PUBLISHED" {
		t.Errorf("post %+v", p)
	}
	if p.Gallery.ID != "1" || len(p.Gallery.Images) != 2 {
		t.Fatalf("gallery %+v", p.Gallery)
	}
	img := p.Gallery.Images[1]
	if img.ID != "2" || img.Filename != "landscape.jpeg" || img.Width != 2000 || img.Height != 2000 || !strings.HasPrefix(img.URL, "http://app.circledev.net") ||
		!strings.HasSuffix(img.OriginalURL, "/landscape.jpeg") || !strings.HasPrefix(img.SignedID, "eyJfcmFpbHMi") {
		t.Errorf("image %+v", img)
	}
	if !p.IsBookmarked || p.BookmarkID != "77" || !p.IsFollowing || p.FollowerID != "2" || !p.IsCommentsEnabled || !p.IsLikingEnabled {
		t.Errorf("member's own state %+v", p)
	}
	if len(p.Topics) != 1 || p.Topics[0].Name != "Travel" || !p.Policies.CanDestroy || !p.Policies.CanUpdate || p.Policies.CanReport {
		t.Errorf("topics %+v, policies %+v", p.Topics, p.Policies)
	}
	if p.CoverImageURL != "https://img.example/cover.jpg" || len(p.Attachments) != 1 || p.Attachments[0]["filename"] != "notes.pdf" {
		t.Errorf("cover %q, attachments %v", p.CoverImageURL, p.Attachments)
	}
	if n := len(env.Upstream.Calls()); n != 1 {
		t.Errorf("%d calls, want the one post batch: %v", n, targets(env.Upstream.Calls()))
	}
}

// A comment shows whether it was removed, what the member may do with it
// and their bookmark; its replies come from what Circle embedded in the
// comment list, with no call of their own, unless another order is asked
// for or some are missing.
func TestCommentFieldsAndEmbeddedReplies(t *testing.T) {
	t.Parallel()
	comments := namedExample(t, "GET", "/posts/{post_id}/comments", "200", "success")
	records := comments["records"].([]any)
	second := records[1].(map[string]any)
	second["removed_at"], second["bookmark_id"] = "2024-04-16T10:00:00.000Z", 9
	third := json.RawMessage(mustJSON(t, records[0]))
	var partial map[string]any
	_ = json.Unmarshal(third, &partial)
	partial["id"], partial["replies_count"] = 4, 3 // three replies, one embedded: fetched
	comments["records"], comments["count"] = append(records, partial), 3
	replies := namedExample(t, "GET", "/comments/{comment_id}/replies", "200", "success")
	post := namedExample(t, "POST", "/spaces/{space_id}/posts", "200", "success")
	post["space"] = map[string]any{"id": 1, "name": "ea", "slug": "architecto", "emoji": nil}
	post["author"] = map[string]any{"id": 2, "community_member_id": 1, "name": "Shari Rowe", "headline": "", "avatar_url": nil}
	post["id"] = 1
	up := newFakeCircle(map[string]fakeAnswer{
		"GET /spaces/1/posts":     {200, page(post)},
		"GET /posts/1/comments":   {200, comments},
		"GET /comments/1/replies": {200, replies},
		"GET /comments/4/replies": {200, replies},
		// The replies endpoint\'s example has no embedded author.
		"GET /community_members/1/public_profile": {200, map[string]any{"id": 1, "name": "Shari Rowe", "headline": "Healthcare Liaison", "avatar_url": nil}},
	})
	env := testenv.New(t, testenv.Options{Upstream: up})
	tok := testjwt.Member(t, 1)
	q := `query($sort: CommentSort) { post(spaceId: "1", id: "1") { comments(first: 10) { nodes {
		id isRemoved removedAt bookmarkId isBookmarked repliesCount
		policies { canBookmark canDestroy canEdit canManage canReport }
		replies(first: 5, sort: $sort) { totalCount pageInfo { hasNextPage } nodes { id author { name } parent { id } } } } } } }`
	type node struct {
		ID, BookmarkID string
		RemovedAt      *string
		IsRemoved      bool
		IsBookmarked   bool
		Policies       struct{ CanBookmark, CanEdit, CanManage bool }
		Replies        struct {
			TotalCount int
			Nodes      []struct {
				ID     string
				Author struct{ Name string }
			}
		}
	}
	var got struct {
		Post struct{ Comments struct{ Nodes []node } }
	}

	r := env.Do(t, tok, q, nil)
	mustNoErrors(t, r)
	r.Decode(t, &got)
	n := got.Post.Comments.Nodes
	if len(n) != 3 {
		t.Fatalf("comments %+v", n)
	}
	if n[0].IsRemoved || n[0].RemovedAt != nil || n[0].IsBookmarked || !n[0].Policies.CanBookmark || !n[0].Policies.CanEdit || n[0].Policies.CanManage {
		t.Errorf("first comment %+v", n[0])
	}
	if !n[1].IsRemoved || n[1].RemovedAt == nil || *n[1].RemovedAt != "2024-04-16T10:00:00Z" || !n[1].IsBookmarked || n[1].BookmarkID != "9" {
		t.Errorf("removed comment %+v", n[1])
	}
	if n[0].Replies.TotalCount != 1 || len(n[0].Replies.Nodes) != 1 || n[0].Replies.Nodes[0].ID != "3" || n[0].Replies.Nodes[0].Author.Name != "Shari Rowe" {
		t.Errorf("embedded replies %+v", n[0].Replies)
	}
	if n[1].Replies.TotalCount != 0 || len(n[1].Replies.Nodes) != 0 {
		t.Errorf("a comment without replies %+v", n[1].Replies)
	}
	// The post, its comments, and the replies of the comment whose
	// replies are not all embedded.
	want := []string{"GET /spaces/1/posts?page=1&per_page=1&post_ids=1", "GET /posts/1/comments?page=1&per_page=10&sort=oldest",
		"GET /comments/4/replies?page=1&per_page=5&sort=oldest", "GET /community_members/1/public_profile"}
	if got := targets(env.Upstream.Calls()); !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("calls %v, want %v", got, want)
	}

	env.Upstream.Reset()
	r = env.Do(t, tok, q, map[string]any{"sort": "LATEST"})
	mustNoErrors(t, r)
	// Another order fetches the replies, except of a comment that has none.
	want = []string{"GET /spaces/1/posts?page=1&per_page=1&post_ids=1", "GET /posts/1/comments?page=1&per_page=10&sort=oldest",
		"GET /comments/1/replies?page=1&per_page=5&sort=latest", "GET /comments/4/replies?page=1&per_page=5&sort=latest", "GET /community_members/1/public_profile"}
	if got := targets(env.Upstream.Calls()); !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("calls %v, want %v", got, want)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// A space's cover, policies and tabs, and an event's type, duration and
// RSVP settings, as the document's examples send them.
func TestSpaceAndEventFieldsFromTheDocument(t *testing.T) {
	t.Parallel()
	spaces := namedExample(t, "GET", "/spaces/{id}", "200", "success")
	events := namedExample(t, "GET", "/community_events", "200", "success")
	first := events["records"].([]any)[0].(map[string]any)
	first["event_type"] = "recurring"
	first["recurring_setting_attributes"] = map[string]any{"frequency": "weekly", "ends_at": "2024-06-30T00:00:00.000Z", "occurrences": 6, "range_type": "occurrences"}
	settings := first["event_setting_attributes"].(map[string]any)
	settings["rsvp_disabled"], settings["hide_attendees"], settings["duration_in_seconds"] = true, true, 5400
	env := testenv.New(t, testenv.Options{Upstream: newFakeCircle(map[string]fakeAnswer{
		"GET /spaces":           {200, []any{spaces}},
		"GET /community_events": {200, events},
	})})
	r := env.Do(t, testjwt.Member(t, 1), `{
		spaces { id coverImageUrl defaultTab requiresTopic isPostingDisabled
			policies { canManage canView canLeave canCreatePost canInviteMembers } visibleTabs { posts members } }
		events(first: 2) { nodes { event { eventType isRecurring durationSeconds rsvpDisabled hideAttendees hideLocationFromNonAttendees
			recurrence { frequency endsAt occurrences rangeType } } } } }`, nil)
	mustNoErrors(t, r)
	var got struct {
		Spaces []struct {
			CoverImageURL, DefaultTab        string
			RequiresTopic, IsPostingDisabled bool
			Policies                         struct{ CanManage, CanView, CanLeave, CanCreatePost, CanInviteMembers bool }
			VisibleTabs                      struct{ Posts, Members bool }
		}
		Events struct {
			Nodes []struct {
				Event struct {
					EventType                                string
					IsRecurring, RsvpDisabled, HideAttendees bool
					DurationSeconds                          *int
					Recurrence                               *struct {
						Frequency, EndsAt, RangeType string
						Occurrences                  int
					}
				}
			}
		}
	}
	r.Decode(t, &got)
	if len(got.Spaces) != 1 {
		t.Fatalf("spaces %+v", got.Spaces)
	}
	s := got.Spaces[0]
	if !strings.HasSuffix(s.CoverImageURL, "/logo.png") || s.DefaultTab != "posts" || s.RequiresTopic || s.IsPostingDisabled ||
		!s.Policies.CanManage || !s.Policies.CanCreatePost || !s.Policies.CanInviteMembers || !s.VisibleTabs.Posts || !s.VisibleTabs.Members {
		t.Errorf("space %+v", s)
	}
	if len(got.Events.Nodes) != 2 {
		t.Fatalf("events %+v", got.Events)
	}
	rec, single := got.Events.Nodes[0].Event, got.Events.Nodes[1].Event
	if rec.EventType != "recurring" || !rec.IsRecurring || !rec.RsvpDisabled || !rec.HideAttendees || rec.DurationSeconds == nil || *rec.DurationSeconds != 5400 ||
		rec.Recurrence == nil || rec.Recurrence.Frequency != "weekly" || rec.Recurrence.Occurrences != 6 || rec.Recurrence.EndsAt != "2024-06-30T00:00:00Z" {
		t.Errorf("recurring event %+v", rec)
	}
	if single.EventType != "single" || single.IsRecurring || single.Recurrence != nil {
		t.Errorf("single event %+v", single)
	}
	if n := len(env.Upstream.Calls()); n != 2 {
		t.Errorf("%d calls: %v", n, targets(env.Upstream.Calls()))
	}
}

// A reply takes a TipTap body, and a reply is deleted through Circle's
// replies endpoint; neither write is retried when Circle fails it.
func TestReplyWritesThroughTheRepliesEndpoint(t *testing.T) {
	t.Parallel()
	reply := namedExample(t, "POST", "/comments/{comment_id}/replies", "201", "success")
	reply["id"], reply["parent_comment_id"], reply["replies"], reply["replies_count"] = 12, 11, []any{}, 0
	up := newFakeCircle(map[string]fakeAnswer{
		"POST /comments/11/replies":      {201, reply},
		"DELETE /comments/11/replies/12": {200, namedExample(t, "DELETE", "/comments/{comment_id}/replies/{id}", "200", "success")},
		"DELETE /comments/11/replies/13": {503, map[string]any{"success": false, "message": "Service unavailable", "error_details": map[string]any{}}},
	})
	env := testenv.New(t, testenv.Options{Upstream: up})
	tok := testjwt.Member(t, 1)
	tiptap := map[string]any{"body": map[string]any{"type": "doc", "content": []any{map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "Agreed"}}}}}}
	r := env.Do(t, tok, `mutation($t: JSON) { replyToComment(postId: "1", commentId: "11", body: "", tiptapBody: $t) { comment { id parent { id } } userErrors { field message } } }`, map[string]any{"t": tiptap})
	mustNoErrors(t, r)
	if !strings.Contains(string(r.Data), `"id":"12"`) || !strings.Contains(string(r.Data), `"userErrors":[]`) {
		t.Errorf("reply %s", r.Data)
	}
	if got, want := up.body("POST /comments/11/replies"), `{"comment":{"tiptap_body":`+string(mustJSON(t, tiptap))+`}}`; got != want {
		t.Errorf("Circle received %s, want %s", got, want)
	}

	env.Upstream.Reset()
	r = env.Do(t, tok, `mutation { deleteReply(commentId: "11", id: "12") { deletedId userErrors { message } } }`, nil)
	mustNoErrors(t, r)
	if !strings.Contains(string(r.Data), `"deletedId":"12"`) {
		t.Errorf("delete %s", r.Data)
	}
	if got := targets(env.Upstream.Calls()); !slices.Equal(got, []string{"DELETE /comments/11/replies/12"}) {
		t.Errorf("calls %v", got)
	}

	env.Upstream.Reset()
	r = env.Do(t, tok, `mutation { deleteReply(commentId: "11", id: "13") { deletedId } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "UPSTREAM_UNAVAILABLE" || len(env.Upstream.Calls()) != 1 {
		t.Errorf("a failed delete: errors %+v after %d calls", r.Errors, len(env.Upstream.Calls()))
	}
}

// createPost sends a post without a body: whether the space needs one is
// Circle's to say, and its refusal comes back as a userError, after one
// call.
func TestCreatePostLeavesTheBodyToCircle(t *testing.T) {
	t.Parallel()
	t.Run("sandbox", func(t *testing.T) {
		env := testenv.New(t, testenv.Options{})
		r := env.Do(t, env.DemoToken(t), `mutation { createPost(input: {spaceId: "12", title: "Just a title"}) { post { title bodyText } userErrors { message } } }`, nil)
		mustNoErrors(t, r)
		if string(r.Data) != `{"createPost":{"post":{"title":"Just a title","bodyText":null},"userErrors":[]}}` {
			t.Errorf("data %s", r.Data)
		}
		if n := len(env.Upstream.Calls()); n != 1 {
			t.Errorf("%d calls", n)
		}
	})
	t.Run("Circle refuses", func(t *testing.T) {
		up := newFakeCircle(map[string]fakeAnswer{"POST /spaces/3/posts": {422, map[string]any{"success": false, "message": "Body can't be blank", "error_details": map[string]any{"body": []string{"can't be blank"}}}}})
		env := testenv.New(t, testenv.Options{Upstream: up})
		r := env.Do(t, testjwt.Member(t, 1), `mutation { createPost(input: {spaceId: "3", title: "T"}) { post { id } userErrors { field message } } }`, nil)
		mustNoErrors(t, r)
		if string(r.Data) != `{"createPost":{"post":null,"userErrors":[{"field":["input","body"],"message":"Body can't be blank"}]}}` {
			t.Errorf("data %s", r.Data)
		}
		if got := up.body("POST /spaces/3/posts"); got != `{"space_id":3,"name":"T"}` {
			t.Errorf("Circle received %s", got)
		}
		if n := len(env.Upstream.Calls()); n != 1 {
			t.Errorf("%d calls", n)
		}
	})
}

// space(slug:) asking only for the space's posts lists them by the slug,
// which Circle's space_id takes, in one call; a slug that names no space
// is null with NOT_FOUND; anything that is not a slug never reaches a path;
// other selections find the slug in GET /spaces as before.
func TestSpaceBySlugUsesTheSlug(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	tests := []struct {
		name, query string
		code        string
		calls       []string
	}{
		{"posts only", `{ space(slug: "general") { slug posts(first: 3) { nodes { title space { id } } } } }`, "", []string{"GET /spaces/general/posts?page=1&per_page=3"}},
		{"unknown slug", `{ space(slug: "no-such-space") { posts(first: 3) { nodes { title } } } }`, "NOT_FOUND", []string{"GET /spaces/no-such-space/posts?page=1&per_page=3"}},
		{"not a slug", `{ space(slug: "../spaces/17?x=1") { posts(first: 3) { nodes { title } } } }`, "NOT_FOUND", []string{"GET /spaces"}},
		{"more than posts", `{ space(slug: "general") { name posts(first: 3) { nodes { title } } } }`, "", []string{"GET /spaces", "GET /spaces/12/posts?page=1&per_page=3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, tt.query, nil)
			if tt.code == "" {
				mustNoErrors(t, r)
				if !strings.Contains(string(r.Data), `"title"`) {
					t.Errorf("data %s", r.Data)
				}
			} else if len(r.Errors) != 1 || r.Errors[0].Code() != tt.code || string(r.Data) != `{"space":null}` {
				t.Errorf("errors %+v data %s, want %s", r.Errors, r.Data, tt.code)
			}
			if got := targets(env.Upstream.Calls()); !slices.Equal(got, tt.calls) {
				t.Errorf("calls %v, want %v", got, tt.calls)
			}
		})
	}
}

// The list arguments Circle offers reach it: a space's posts by status and
// topics, events by day and status, comments and replies in any of
// Circle's orders.
func TestContentQueryArgumentsReachCircle(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	r := env.Do(t, tok, `{ space(id: "12") { topics: posts(first: 50, topicIds: ["78002", "78003", "78002"]) { nodes { topics { id } } }
		drafts: posts(first: 5, status: DRAFT) { totalCount } } }`, nil)
	mustNoErrors(t, r)
	var got struct {
		Space struct {
			Topics struct {
				Nodes []struct{ Topics []struct{ ID string } }
			}
			Drafts struct{ TotalCount int }
		}
	}
	r.Decode(t, &got)
	if len(got.Space.Topics.Nodes) == 0 || got.Space.Drafts.TotalCount != 0 {
		t.Fatalf("space %+v", got.Space)
	}
	for _, n := range got.Space.Topics.Nodes {
		if !slices.ContainsFunc(n.Topics, func(tp struct{ ID string }) bool { return tp.ID == "78002" || tp.ID == "78003" }) {
			t.Errorf("a post without the topics asked for: %+v", n)
		}
	}
	want := []string{"GET /spaces", "GET /spaces/12/posts?page=1&per_page=50&topics=78002&topics=78003", "GET /spaces/12/posts?page=1&per_page=5&status=draft"}
	if got := targets(env.Upstream.Calls()); !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("calls %v, want %v", got, want)
	}

	env.Upstream.Reset()
	r = env.Do(t, tok, `{ events(first: 5, startDate: "2020-01-01", endDate: "2099-12-31", status: PUBLISHED) { totalCount nodes { id } } }`, nil)
	mustNoErrors(t, r)
	if got := targets(env.Upstream.Calls()); len(got) != 1 || got[0] != "GET /community_events?filter_date%5Bend_date%5D=2099-12-31&filter_date%5Bstart_date%5D=2020-01-01&page=1&past_events=false&per_page=5&status=published" {
		t.Errorf("calls %v", got)
	}

	// A post whose comments have replies, so that every order is seen to
	// reach both lists (replies in an order other than OLDEST are fetched,
	// one call per comment that has any).
	post, threads := postWithReplies(t, env, tok)
	for _, sort := range []string{"ALPHABETICAL", "LATEST_UPDATED", "OLDEST_UPDATED"} {
		env.Upstream.Reset()
		r := env.Do(t, tok, `query($p: ID!, $s: CommentSort) { post(spaceId: "12", id: $p) { comments(first: 100, sort: $s) { nodes { replies(first: 2, sort: $s) { totalCount } } } } }`, map[string]any{"p": post, "s": sort})
		mustNoErrors(t, r)
		param := "sort=" + strings.ToLower(sort)
		comments, replies := 0, 0
		for _, c := range env.Upstream.Calls() {
			switch {
			case strings.HasSuffix(c.Path, "/comments"):
				comments++
			case strings.HasSuffix(c.Path, "/replies"):
				replies++
			default:
				continue
			}
			if !strings.Contains(c.Query, param) {
				t.Errorf("%s: %s does not ask for %s", sort, c.Target(), param)
			}
		}
		if comments != 1 || replies != threads {
			t.Errorf("%s: %d comment lists and %d reply lists, want 1 and %d: %v", sort, comments, replies, threads, targets(env.Upstream.Calls()))
		}
	}
}

// postWithReplies is a General post some of whose comments have replies,
// and how many of its comments do.
func postWithReplies(t *testing.T, env *testenv.Env, tok string) (string, int) {
	t.Helper()
	api := truth(t, env, tok)
	posts, err := api.SpacePosts(context.Background(), 12, circle.ListParams{Page: 1, PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range posts.Records {
		cs, err := api.Comments(context.Background(), p.ID, circle.ListParams{Page: 1, PerPage: 100})
		if err != nil {
			t.Fatal(err)
		}
		threads := 0
		for _, c := range cs.Records {
			if c.RepliesCount > 0 {
				threads++
			}
		}
		if threads > 0 {
			return strconv.FormatInt(p.ID, 10), threads
		}
	}
	t.Fatal("no General post has a comment with replies")
	return "", 0
}

// New arguments are checked before any call.
func TestContentArgumentsRefused(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	many := make([]string, 21)
	for i := range many {
		many[i] = strconv.Itoa(70001 + i)
	}
	tests := []struct {
		name, query string
		vars        map[string]any
	}{
		{"too many topics", `query($t: [ID!]) { space(id: "12") { posts(topicIds: $t) { totalCount } } }`, map[string]any{"t": many}},
		{"a topic that is no id", `{ space(id: "12") { posts(topicIds: ["productivity"]) { totalCount } } }`, nil},
		{"a day that is no day", `{ events(startDate: "2024-13-01") { totalCount } }`, nil},
		{"a day with a time", `{ events(endDate: "2024-01-01T10:00:00Z") { totalCount } }`, nil},
		{"an end before the start", `{ events(startDate: "2024-05-02", endDate: "2024-05-01") { totalCount } }`, nil},
		{"deleteReply of no comment", `mutation { deleteReply(commentId: "x", id: "1") { deletedId } }`, nil},
		{"deleteReply of no reply", `mutation { deleteReply(commentId: "1", id: "-2") { deletedId } }`, nil},
		{"replies out of range", `{ homeFeed(first: 1) { nodes { comments(first: 1) { nodes { replies(first: 101) { totalCount } } } } } }`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, tt.query, tt.vars)
			if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
				t.Fatalf("errors %+v", r.Errors)
			}
			if n := len(env.Upstream.Calls()); n != 0 {
				t.Errorf("%d upstream calls: %v", n, targets(env.Upstream.Calls()))
			}
		})
	}
}

// The sandbox's seed shows what the fields are for: an image space whose
// posts have galleries, a removed comment still in its thread, topics, the
// demo member's bookmarks and followings, and a recurring event.
func TestSandboxContentSeed(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	r := env.Do(t, env.DemoToken(t), `{
		photos: space(id: "19") { name policies { canCreatePost } posts(first: 10) { nodes { type title gallery { images { url width height } } } } }
		general: space(id: "12") { coverImageUrl requiresTopic posts(first: 30) { nodes { isBookmarked isFollowing topics { name } comments(first: 6) { nodes { isRemoved repliesCount } } } } }
		events(first: 20) { nodes { title event { isRecurring recurrence { frequency occurrences } rsvpDisabled hideAttendees } } } }`, nil)
	mustNoErrors(t, r)
	var got struct {
		Photos struct {
			Name     string
			Policies struct{ CanCreatePost bool }
			Posts    struct {
				Nodes []struct {
					Type    string
					Title   *string
					Gallery struct{ Images []struct{ URL string } }
				}
			}
		}
		General struct {
			CoverImageURL *string
			RequiresTopic bool
			Posts         struct {
				Nodes []struct {
					IsBookmarked, IsFollowing bool
					Topics                    []struct{ Name string }
					Comments                  struct {
						Nodes []struct {
							IsRemoved    bool
							RepliesCount int
						}
					}
				}
			}
		}
		Events struct {
			Nodes []struct {
				Title string
				Event struct {
					IsRecurring, RsvpDisabled, HideAttendees bool
					Recurrence                               *struct {
						Frequency   string
						Occurrences int
					}
				}
			}
		}
	}
	r.Decode(t, &got)
	if got.Photos.Name != "Photo Wall" || !got.Photos.Policies.CanCreatePost || len(got.Photos.Posts.Nodes) != 3 {
		t.Fatalf("image space %+v", got.Photos)
	}
	for _, p := range got.Photos.Posts.Nodes {
		if p.Type != "IMAGE" || p.Title == nil || *p.Title == "" || len(p.Gallery.Images) < 2 || p.Gallery.Images[0].URL == "" {
			t.Errorf("image post %+v", p)
		}
	}
	if got.General.CoverImageURL == nil || got.General.RequiresTopic {
		t.Errorf("general %+v", got.General.CoverImageURL)
	}
	var bookmarked, followed, tagged, removed int
	for _, p := range got.General.Posts.Nodes {
		bookmarked += map[bool]int{true: 1}[p.IsBookmarked]
		followed += map[bool]int{true: 1}[p.IsFollowing]
		tagged += map[bool]int{true: 1}[len(p.Topics) > 0]
		for _, c := range p.Comments.Nodes {
			if c.IsRemoved && c.RepliesCount > 0 {
				removed++
			}
		}
	}
	if bookmarked != 1 || followed < 2 || tagged == 0 || removed != 1 {
		t.Errorf("general: %d bookmarked, %d followed, %d tagged, %d removed comments with replies", bookmarked, followed, tagged, removed)
	}
	var recurring, closed int
	for _, n := range got.Events.Nodes {
		if n.Event.IsRecurring && n.Event.Recurrence != nil && n.Event.Recurrence.Frequency == "weekly" && n.Event.Recurrence.Occurrences == 4 {
			recurring++
		}
		if n.Event.RsvpDisabled && n.Event.HideAttendees {
			closed++
		}
	}
	if recurring != 1 || closed != 1 {
		t.Errorf("%d recurring events, %d without RSVPs", recurring, closed)
	}
}
