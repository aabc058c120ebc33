package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
)

// The Member API mutations end to end: GraphQL in, the recording sandbox
// (or a hand-made Circle double) behind. Every test asserts what Circle
// received, so that a refused input provably cost no call and a failed
// write provably was not retried.

// Selections of the payloads, reused by the tests.
const (
	mutPostSel    = `post { id title bodyText tiptapBody isLiked likesCount commentsCount author { id } space { id } event { rsvpStatus rsvpCount } }`
	mutCommentSel = `comment { id bodyText isLiked likesCount repliesCount author { id } post { id commentsCount } parent { id repliesCount } }`
	mutErrSel     = `userErrors { field message }`
)

// mutUserError is a decoded UserError.
type mutUserError struct {
	Field   []string
	Message string
}

// mutPost is a decoded payload post.
type mutPost struct {
	ID            string
	Title         *string
	BodyText      *string
	TiptapBody    json.RawMessage
	IsLiked       bool
	LikesCount    int
	CommentsCount int
	Author        struct{ ID string }
	Space         struct{ ID string }
	Event         *struct {
		RsvpStatus *string
		RsvpCount  int
	}
}

// mutComment is a decoded payload comment.
type mutComment struct {
	ID           string
	BodyText     *string
	IsLiked      bool
	LikesCount   int
	RepliesCount int
	Author       struct{ ID string }
	Post         struct {
		ID            string
		CommentsCount int
	}
	Parent *struct {
		ID           string
		RepliesCount int
	}
}

// mutPayload holds whichever payload fields a mutation answered.
type mutPayload struct {
	Post      *mutPost
	Comment   *mutComment
	DeletedID *string
	Space     *struct {
		ID, Name string
		IsMember bool
	}
	UserErrors []mutUserError
}

// mutation runs one mutation field named field and decodes its payload.
func mutation(t *testing.T, env *testenv.Env, token, field, doc string, vars map[string]any) (mutPayload, testenv.Response) {
	t.Helper()
	r := env.Do(t, token, doc, vars)
	var data map[string]*mutPayload
	if len(r.Data) > 0 && string(r.Data) != "null" {
		r.Decode(t, &data)
	}
	if p := data[field]; p != nil {
		return *p, r
	}
	return mutPayload{}, r
}

// writeCalls lists the upstream calls that were not GETs.
func writeCalls(calls []testenv.Call) []string {
	var out []string
	for _, c := range calls {
		if c.Method != http.MethodGet {
			out = append(out, c.Method+" "+c.Path)
		}
	}
	return out
}

// mutFixture is what the sandbox tests act on, read from the sandbox
// directly as the demo member.
type mutFixture struct {
	token       string
	demo        string
	api         *circle.MemberAPI // the sandbox, unrecorded
	unliked     circle.Post       // a General post the demo member has not liked
	liked       circle.Post       // a post the demo member has liked
	comment     circle.Comment    // a comment on unliked, not liked by the demo member
	openEvent   circle.Post       // an upcoming event without the demo member's RSVP and with room
	goingEvent  circle.Post       // an upcoming event the demo member goes to
	ownPost     circle.Post       // a post the demo member just wrote, to delete
	ownComment  circle.Comment    // a comment the demo member just wrote, to delete
	closedPost  circle.Post       // a post of the demo member with likes and comments off
	othersSpace int64             // a public space the demo member is not in
}

func newMutFixture(t *testing.T, env *testenv.Env) mutFixture {
	t.Helper()
	ctx := context.Background()
	f := mutFixture{token: env.DemoToken(t), demo: fmt.Sprint(env.Sandbox.DemoMemberID()), othersSpace: 15}
	f.api = truth(t, env, f.token)
	general, err := f.api.SpacePosts(ctx, 12, circle.ListParams{Page: 1, PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range general.Records {
		if !p.IsLiked && p.CommentCount > 0 && f.unliked.ID == 0 {
			comments, err := f.api.Comments(ctx, p.ID, circle.ListParams{Page: 1, PerPage: 100})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range comments.Records {
				if !c.IsLiked && c.Author.CommunityMemberID != env.Sandbox.DemoMemberID() {
					f.unliked, f.comment = p, c
					break
				}
			}
		}
	}
	feed, err := f.api.Home(ctx, circle.ListParams{Page: 1, PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range feed.Records {
		if p.IsLiked && f.liked.ID == 0 {
			f.liked = p
		}
	}
	events, err := f.api.Events(ctx, circle.ListParams{Page: 1, PerPage: 100, PastEvents: new(bool)})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Records {
		s := e.EventSettings
		switch {
		case e.RsvpStatus != nil && *e.RsvpStatus == "yes" && f.goingEvent.ID == 0:
			f.goingEvent = e
		case e.RsvpStatus == nil && (s.RsvpLimit == nil || s.RsvpCount < *s.RsvpLimit) && f.openEvent.ID == 0:
			f.openEvent = e
		}
	}
	own, err := f.api.CreatePost(ctx, 12, circle.NewPost{Name: "Mine to delete", Body: "Soon gone"})
	if err != nil {
		t.Fatal(err)
	}
	f.ownPost = *own
	no := false
	closed, err := f.api.CreatePost(ctx, 12, circle.NewPost{Name: "Closed", Body: "No likes, no comments", IsCommentsEnabled: &no, IsLikingEnabled: &no})
	if err != nil {
		t.Fatal(err)
	}
	f.closedPost = *closed
	c, err := f.api.CreateComment(ctx, f.unliked.ID, circle.NewComment{Body: "Mine to delete"})
	if err != nil {
		t.Fatal(err)
	}
	f.ownComment = *c
	if f.unliked.ID == 0 || f.liked.ID == 0 || f.openEvent.ID == 0 || f.goingEvent.ID == 0 {
		t.Fatalf("the sandbox seed lacks a fixture: %+v", f)
	}
	// The fixture's own writes are not the gateway's calls.
	env.Upstream.Reset()
	return f
}

func id64(v int64) string { return fmt.Sprint(v) }

// mustInt parses a GraphQL id.
func mustInt(t *testing.T, id string) int64 {
	t.Helper()
	var v int64
	if _, err := fmt.Sscan(id, &v); err != nil {
		t.Fatalf("id %q: %v", id, err)
	}
	return v
}

// Every mutation works against the sandbox: the payload holds the object
// as Circle now has it (re-read where the write answers no object), and
// Circle received exactly the documented write plus the re-read.
func TestMutationsSucceed(t *testing.T) {
	t.Parallel()
	tiptap := map[string]any{"body": map[string]any{"type": "doc", "content": []any{
		map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "Hello from TipTap"}}},
	}}}
	tests := []struct {
		name   string
		field  string
		doc    string
		vars   func(f mutFixture) map[string]any
		writes func(f mutFixture) []string // the non-GET calls Circle must receive
		gets   int                         // how many GETs the payload may cost
		check  func(t *testing.T, f mutFixture, p mutPayload)
	}{
		{
			name: "createPost with an HTML body", field: "createPost",
			doc: `mutation($in: CreatePostInput!) { createPost(input: $in) { ` + mutPostSel + ` ` + mutErrSel + ` } }`,
			vars: func(f mutFixture) map[string]any {
				return map[string]any{"in": map[string]any{"spaceId": "12", "title": "Hello, gateway", "body": "<p>First <b>post</b></p>"}}
			},
			writes: func(f mutFixture) []string { return []string{"POST /spaces/12/posts"} },
			check: func(t *testing.T, f mutFixture, p mutPayload) {
				got := p.Post
				if got == nil || got.Title == nil || *got.Title != "Hello, gateway" || got.Author.ID != f.demo || got.Space.ID != "12" ||
					got.LikesCount != 0 || got.IsLiked || got.CommentsCount != 0 || got.BodyText == nil || *got.BodyText != "First post" {
					t.Fatalf("post %+v", got)
				}
				if _, err := f.api.Post(context.Background(), 12, mustInt(t, got.ID)); err != nil {
					t.Fatalf("the sandbox does not have the new post: %v", err)
				}
			},
		},
		{
			name: "createPost with a TipTap body passes it through", field: "createPost",
			doc: `mutation($in: CreatePostInput!) { createPost(input: $in) { ` + mutPostSel + ` ` + mutErrSel + ` } }`,
			vars: func(f mutFixture) map[string]any {
				return map[string]any{"in": map[string]any{"spaceId": "16", "title": "Rich", "tiptapBody": tiptap, "isCommentsEnabled": false}}
			},
			writes: func(f mutFixture) []string { return []string{"POST /spaces/16/posts"} },
			check: func(t *testing.T, f mutFixture, p mutPayload) {
				if p.Post == nil || p.Post.BodyText == nil || *p.Post.BodyText != "Hello from TipTap" {
					t.Fatalf("post %+v", p.Post)
				}
				var sent, back any
				raw, _ := json.Marshal(tiptap)
				_ = json.Unmarshal(raw, &sent)
				if err := json.Unmarshal(p.Post.TiptapBody, &back); err != nil || !reflect.DeepEqual(sent, back) {
					t.Fatalf("tiptapBody came back as %s, want %s", p.Post.TiptapBody, raw)
				}
				created, err := f.api.Post(context.Background(), 16, mustInt(t, p.Post.ID))
				if err != nil || created.IsCommentsEnabled {
					t.Fatalf("isCommentsEnabled false was not sent: %+v %v", created, err)
				}
			},
		},
		{
			name: "deletePost", field: "deletePost",
			doc:    `mutation($s: ID!, $id: ID!) { deletePost(spaceId: $s, id: $id) { deletedId ` + mutErrSel + ` } }`,
			vars:   func(f mutFixture) map[string]any { return map[string]any{"s": "12", "id": id64(f.ownPost.ID)} },
			writes: func(f mutFixture) []string { return []string{"DELETE /spaces/12/posts/" + id64(f.ownPost.ID)} },
			check: func(t *testing.T, f mutFixture, p mutPayload) {
				if p.DeletedID == nil || *p.DeletedID != id64(f.ownPost.ID) {
					t.Fatalf("deletedId %v, want %d", p.DeletedID, f.ownPost.ID)
				}
				if _, err := f.api.Post(context.Background(), 12, f.ownPost.ID); !circle.IsStatus(err, http.StatusNotFound) {
					t.Fatalf("the post is still there: %v", err)
				}
			},
		},
		{
			name: "createComment: the comment's post shows the new count", field: "createComment",
			doc: `mutation($in: CreateCommentInput!) { createComment(input: $in) { ` + mutCommentSel + ` ` + mutErrSel + ` } }`,
			vars: func(f mutFixture) map[string]any {
				return map[string]any{"in": map[string]any{"postId": id64(f.unliked.ID), "body": "Well said"}}
			},
			writes: func(f mutFixture) []string { return []string{"POST /posts/" + id64(f.unliked.ID) + "/comments"} },
			gets:   1,
			check: func(t *testing.T, f mutFixture, p mutPayload) {
				c := p.Comment
				// The fixture added one comment (ownComment) after reading the count.
				if c == nil || c.BodyText == nil || *c.BodyText != "Well said" || c.Author.ID != f.demo || c.Parent != nil ||
					c.Post.ID != id64(f.unliked.ID) || c.Post.CommentsCount != f.unliked.CommentCount+2 {
					t.Fatalf("comment %+v, want post %d with %d comments", c, f.unliked.ID, f.unliked.CommentCount+2)
				}
			},
		},
		{
			name: "replyToComment: the parent shows the new count", field: "replyToComment",
			doc: `mutation($p: ID!, $c: ID!, $b: String!) { replyToComment(postId: $p, commentId: $c, body: $b) { ` + mutCommentSel + ` ` + mutErrSel + ` } }`,
			vars: func(f mutFixture) map[string]any {
				return map[string]any{"p": id64(f.unliked.ID), "c": id64(f.comment.ID), "b": "Agreed"}
			},
			writes: func(f mutFixture) []string { return []string{"POST /comments/" + id64(f.comment.ID) + "/replies"} },
			gets:   2,
			check: func(t *testing.T, f mutFixture, p mutPayload) {
				c := p.Comment
				if c == nil || c.Parent == nil || c.Parent.ID != id64(f.comment.ID) || c.Parent.RepliesCount != f.comment.RepliesCount+1 {
					t.Fatalf("reply %+v, want parent %d with %d replies", c, f.comment.ID, f.comment.RepliesCount+1)
				}
			},
		},
		{
			name: "deleteComment", field: "deleteComment",
			doc: `mutation($p: ID!, $id: ID!) { deleteComment(postId: $p, id: $id) { deletedId ` + mutErrSel + ` } }`,
			vars: func(f mutFixture) map[string]any {
				return map[string]any{"p": id64(f.unliked.ID), "id": id64(f.ownComment.ID)}
			},
			writes: func(f mutFixture) []string {
				return []string{"DELETE /posts/" + id64(f.unliked.ID) + "/comments/" + id64(f.ownComment.ID)}
			},
			check: func(t *testing.T, f mutFixture, p mutPayload) {
				if p.DeletedID == nil || *p.DeletedID != id64(f.ownComment.ID) {
					t.Fatalf("deletedId %v", p.DeletedID)
				}
			},
		},
		{
			name: "likePost: isLiked and likesCount re-read", field: "likePost",
			doc: `mutation($s: ID!, $p: ID!) { likePost(spaceId: $s, postId: $p) { ` + mutPostSel + ` ` + mutErrSel + ` } }`,
			vars: func(f mutFixture) map[string]any {
				return map[string]any{"s": "12", "p": id64(f.unliked.ID)}
			},
			writes: func(f mutFixture) []string { return []string{"POST /posts/" + id64(f.unliked.ID) + "/user_likes"} },
			gets:   1,
			check: func(t *testing.T, f mutFixture, p mutPayload) {
				if p.Post == nil || !p.Post.IsLiked || p.Post.LikesCount != f.unliked.UserLikesCount+1 {
					t.Fatalf("post %+v, want liked with %d likes", p.Post, f.unliked.UserLikesCount+1)
				}
			},
		},
		{
			name: "unlikePost", field: "unlikePost",
			doc: `mutation($s: ID!, $p: ID!) { unlikePost(spaceId: $s, postId: $p) { ` + mutPostSel + ` ` + mutErrSel + ` } }`,
			vars: func(f mutFixture) map[string]any {
				return map[string]any{"s": id64(f.liked.Space.ID), "p": id64(f.liked.ID)}
			},
			writes: func(f mutFixture) []string { return []string{"DELETE /posts/" + id64(f.liked.ID) + "/user_likes"} },
			gets:   1,
			check: func(t *testing.T, f mutFixture, p mutPayload) {
				if p.Post == nil || p.Post.IsLiked || p.Post.LikesCount != f.liked.UserLikesCount-1 {
					t.Fatalf("post %+v, want unliked with %d likes", p.Post, f.liked.UserLikesCount-1)
				}
			},
		},
		{
			name: "likeComment", field: "likeComment",
			doc: `mutation($p: ID!, $c: ID!) { likeComment(postId: $p, commentId: $c) { comment { id isLiked likesCount } ` + mutErrSel + ` } }`,
			vars: func(f mutFixture) map[string]any {
				return map[string]any{"p": id64(f.unliked.ID), "c": id64(f.comment.ID)}
			},
			writes: func(f mutFixture) []string { return []string{"POST /comments/" + id64(f.comment.ID) + "/user_likes"} },
			gets:   1,
			check: func(t *testing.T, f mutFixture, p mutPayload) {
				if p.Comment == nil || !p.Comment.IsLiked || p.Comment.LikesCount != f.comment.UserLikesCount+1 {
					t.Fatalf("comment %+v, want liked with %d likes", p.Comment, f.comment.UserLikesCount+1)
				}
			},
		},
		{
			name: "unlikeComment of a comment not liked changes nothing", field: "unlikeComment",
			doc: `mutation($p: ID!, $c: ID!) { unlikeComment(postId: $p, commentId: $c) { comment { id isLiked likesCount } ` + mutErrSel + ` } }`,
			vars: func(f mutFixture) map[string]any {
				return map[string]any{"p": id64(f.unliked.ID), "c": id64(f.comment.ID)}
			},
			writes: func(f mutFixture) []string { return []string{"DELETE /comments/" + id64(f.comment.ID) + "/user_likes"} },
			gets:   1,
			check: func(t *testing.T, f mutFixture, p mutPayload) {
				if p.Comment == nil || p.Comment.IsLiked || p.Comment.LikesCount != f.comment.UserLikesCount {
					t.Fatalf("comment %+v", p.Comment)
				}
			},
		},
		{
			name: "rsvpEvent: rsvpStatus and rsvpCount re-read", field: "rsvpEvent",
			doc: `mutation($s: ID!, $e: ID!) { rsvpEvent(spaceId: $s, eventId: $e) { ` + mutPostSel + ` ` + mutErrSel + ` } }`,
			vars: func(f mutFixture) map[string]any {
				return map[string]any{"s": id64(f.openEvent.Space.ID), "e": id64(f.openEvent.ID)}
			},
			writes: func(f mutFixture) []string {
				return []string{"POST /events/" + id64(f.openEvent.ID) + "/event_attendees"}
			},
			gets: 1,
			check: func(t *testing.T, f mutFixture, p mutPayload) {
				if p.Post == nil || p.Post.Event == nil || p.Post.Event.RsvpStatus == nil || *p.Post.Event.RsvpStatus != "YES" ||
					p.Post.Event.RsvpCount != f.openEvent.EventSettings.RsvpCount+1 {
					t.Fatalf("event %+v, want YES with %d RSVPs", p.Post, f.openEvent.EventSettings.RsvpCount+1)
				}
			},
		},
		{
			name: "cancelRsvp", field: "cancelRsvp",
			doc: `mutation($s: ID!, $e: ID!) { cancelRsvp(spaceId: $s, eventId: $e) { ` + mutPostSel + ` ` + mutErrSel + ` } }`,
			vars: func(f mutFixture) map[string]any {
				return map[string]any{"s": id64(f.goingEvent.Space.ID), "e": id64(f.goingEvent.ID)}
			},
			writes: func(f mutFixture) []string {
				return []string{"DELETE /events/" + id64(f.goingEvent.ID) + "/event_attendees"}
			},
			gets: 1,
			check: func(t *testing.T, f mutFixture, p mutPayload) {
				if p.Post == nil || p.Post.Event == nil || p.Post.Event.RsvpStatus == nil || *p.Post.Event.RsvpStatus != "NO" ||
					p.Post.Event.RsvpCount != f.goingEvent.EventSettings.RsvpCount-1 {
					t.Fatalf("event %+v, want NO with %d RSVPs", p.Post, f.goingEvent.EventSettings.RsvpCount-1)
				}
			},
		},
		{
			name: "joinSpace: the answer is the space, no re-read", field: "joinSpace",
			doc:    `mutation($id: ID!) { joinSpace(id: $id) { space { id name isMember isPrivate } ` + mutErrSel + ` } }`,
			vars:   func(f mutFixture) map[string]any { return map[string]any{"id": id64(f.othersSpace)} },
			writes: func(f mutFixture) []string { return []string{"POST /spaces/" + id64(f.othersSpace) + "/join"} },
			check: func(t *testing.T, f mutFixture, p mutPayload) {
				if p.Space == nil || p.Space.ID != id64(f.othersSpace) || !p.Space.IsMember {
					t.Fatalf("space %+v", p.Space)
				}
			},
		},
		{
			name: "leaveSpace", field: "leaveSpace",
			doc:    `mutation($id: ID!) { leaveSpace(id: $id) { space { id name isMember } ` + mutErrSel + ` } }`,
			vars:   func(f mutFixture) map[string]any { return map[string]any{"id": "12"} },
			writes: func(f mutFixture) []string { return []string{"POST /spaces/12/leave"} },
			check: func(t *testing.T, f mutFixture, p mutPayload) {
				if p.Space == nil || p.Space.ID != "12" || p.Space.IsMember {
					t.Fatalf("space %+v", p.Space)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := testenv.New(t, testenv.Options{})
			f := newMutFixture(t, env)
			p, r := mutation(t, env, f.token, tt.field, tt.doc, tt.vars(f))
			mustNoErrors(t, r)
			if p.UserErrors == nil || len(p.UserErrors) != 0 {
				t.Fatalf("userErrors %+v, want an empty list", p.UserErrors)
			}
			tt.check(t, f, p)
			calls := env.Upstream.Calls()
			if got, want := writeCalls(calls), tt.writes(f); !slices.Equal(got, want) {
				t.Fatalf("writes %v, want %v", got, want)
			}
			if gets := len(calls) - len(tt.writes(f)); gets != tt.gets {
				t.Fatalf("%d GETs after the write, want %d: %+v", gets, tt.gets, calls)
			}
			for _, c := range calls {
				if c.Authorization != "Bearer "+f.token {
					t.Fatalf("call %s %s did not carry the member's token", c.Method, c.Path)
				}
			}
		})
	}
}

// A re-read after a write is never served from what the operation read
// before: two mutations on one post in one operation each see Circle's
// state after their own write.
func TestMutationRereadSkipsTheOperationsCache(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	f := newMutFixture(t, env)
	vars := map[string]any{"s": "12", "p": id64(f.unliked.ID)}
	r := env.Do(t, f.token, `mutation($s: ID!, $p: ID!) {
		a: likePost(spaceId: $s, postId: $p) { post { isLiked likesCount } }
		b: unlikePost(spaceId: $s, postId: $p) { post { isLiked likesCount } }
		c: likePost(spaceId: $s, postId: $p) { post { isLiked likesCount } } }`, vars)
	mustNoErrors(t, r)
	var got map[string]struct {
		Post struct {
			IsLiked    bool
			LikesCount int
		}
	}
	r.Decode(t, &got)
	n := f.unliked.UserLikesCount
	if !got["a"].Post.IsLiked || got["a"].Post.LikesCount != n+1 || got["b"].Post.IsLiked || got["b"].Post.LikesCount != n ||
		!got["c"].Post.IsLiked || got["c"].Post.LikesCount != n+1 {
		t.Fatalf("got %+v, want liked %d, unliked %d, liked %d", got, n+1, n, n+1)
	}
	if calls := env.Upstream.Calls(); len(calls) != 6 {
		t.Fatalf("calls %+v, want 3 writes and 3 re-reads", calls)
	}
}

// Input the gateway can judge itself is refused before any upstream call:
// content problems as userErrors with the argument's path, bad ids as
// BAD_USER_INPUT.
func TestMutationInputRefused(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	createPost := `mutation($in: CreatePostInput!) { createPost(input: $in) { post { id } ` + mutErrSel + ` } }`
	createComment := `mutation($in: CreateCommentInput!) { createComment(input: $in) { comment { id } ` + mutErrSel + ` } }`
	tests := []struct {
		name       string
		field      string
		doc        string
		vars       map[string]any
		wantFields [][]string // userErrors' fields, in order; nil when a top-level error is wanted
		wantCode   string
	}{
		{"empty title", "createPost", createPost, map[string]any{"in": map[string]any{"spaceId": "12", "title": "", "body": "x"}}, [][]string{{"input", "title"}}, ""},
		{"blank title and no body", "createPost", createPost, map[string]any{"in": map[string]any{"spaceId": "12", "title": "  "}}, [][]string{{"input", "title"}}, ""},
		{"tiptapBody not an object", "createPost", createPost, map[string]any{"in": map[string]any{"spaceId": "12", "title": "t", "tiptapBody": []any{1}}}, [][]string{{"input", "tiptapBody"}}, ""},
		{"post in a space that is no id", "createPost", createPost, map[string]any{"in": map[string]any{"spaceId": "general", "title": "t", "body": "x"}}, nil, "BAD_USER_INPUT"},
		{"comment without content", "createComment", createComment, map[string]any{"in": map[string]any{"postId": "1001"}}, [][]string{{"input", "body"}}, ""},
		{"comment with a zero post id", "createComment", createComment, map[string]any{"in": map[string]any{"postId": "0", "body": "x"}}, nil, "BAD_USER_INPUT"},
		{"blank reply", "replyToComment", `mutation { replyToComment(postId: "1001", commentId: "20001", body: " ") { comment { id } ` + mutErrSel + ` } }`, nil, [][]string{{"body"}}, ""},
		{"reply to a comment that is no id", "replyToComment", `mutation { replyToComment(postId: "1001", commentId: "x", body: "hi") { comment { id } } }`, nil, nil, "BAD_USER_INPUT"},
		{"deletePost negative id", "deletePost", `mutation { deletePost(spaceId: "12", id: "-1") { deletedId } }`, nil, nil, "BAD_USER_INPUT"},
		{"deleteComment fractional id", "deleteComment", `mutation { deleteComment(postId: "1001", id: "1.5") { deletedId } }`, nil, nil, "BAD_USER_INPUT"},
		{"likePost bad post id", "likePost", `mutation { likePost(spaceId: "12", postId: "abc") { post { id } } }`, nil, nil, "BAD_USER_INPUT"},
		{"unlikePost empty space id", "unlikePost", `mutation { unlikePost(spaceId: "", postId: "1001") { post { id } } }`, nil, nil, "BAD_USER_INPUT"},
		{"likeComment bad comment id", "likeComment", `mutation { likeComment(postId: "1001", commentId: "2e4") { comment { id } } }`, nil, nil, "BAD_USER_INPUT"},
		{"unlikeComment zero post id", "unlikeComment", `mutation { unlikeComment(postId: "0", commentId: "20001") { comment { id } } }`, nil, nil, "BAD_USER_INPUT"},
		{"rsvpEvent bad event id", "rsvpEvent", `mutation { rsvpEvent(spaceId: "14", eventId: "next") { post { id } } }`, nil, nil, "BAD_USER_INPUT"},
		{"cancelRsvp negative space id", "cancelRsvp", `mutation { cancelRsvp(spaceId: "-14", eventId: "1053") { post { id } } }`, nil, nil, "BAD_USER_INPUT"},
		{"joinSpace by slug", "joinSpace", `mutation { joinSpace(id: "general") { space { id } } }`, nil, nil, "BAD_USER_INPUT"},
		{"comment edit without content", "updateComment", `mutation { updateComment(postId: "1001", id: "20001", body: "  ") { comment { id } ` + mutErrSel + ` } }`, nil, [][]string{{"body"}}, ""},
		{"comment edit to a TipTap list", "updateComment", `mutation { updateComment(postId: "1001", id: "20001", tiptapBody: [1]) { comment { id } ` + mutErrSel + ` } }`, nil, [][]string{{"tiptapBody"}}, ""},
		{"comment edit of a comment that is no id", "updateComment", `mutation { updateComment(postId: "1001", id: "c1", body: "x") { comment { id } } }`, nil, nil, "BAD_USER_INPUT"},
		{"reply edit without content", "updateReply", `mutation { updateReply(commentId: "20001", id: "20002") { comment { id } ` + mutErrSel + ` } }`, nil, [][]string{{"body"}}, ""},
		{"reply edit of a zero comment", "updateReply", `mutation { updateReply(commentId: "0", id: "20002", body: "x") { comment { id } } }`, nil, nil, "BAD_USER_INPUT"},
		{"rsvp to a date that is no id", "rsvpEventDates", `mutation { rsvpEventDates(spaceId: "14", eventId: "1053", dateIds: ["45001", "next"]) { post { id } } }`, nil, nil, "BAD_USER_INPUT"},
		{"rsvp to a series of a space that is no id", "rsvpEventDates", `mutation { rsvpEventDates(spaceId: "events", eventId: "1053", dateIds: []) { post { id } } }`, nil, nil, "BAD_USER_INPUT"},
		{"rsvp to 101 dates", "rsvpEventDates", `mutation($d: [ID!]!) { rsvpEventDates(spaceId: "14", eventId: "1053", dateIds: $d) { post { id } } }`, map[string]any{"d": manyIDs(101)}, nil, "BAD_USER_INPUT"},
		{"leaveSpace overflowing id", "leaveSpace", `mutation { leaveSpace(id: "99999999999999999999") { space { id } } }`, nil, nil, "BAD_USER_INPUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, r := mutation(t, env, tok, tt.field, tt.doc, tt.vars)
			if tt.wantCode != "" {
				if len(r.Errors) != 1 || r.Errors[0].Code() != tt.wantCode {
					t.Fatalf("errors %+v, want one %s", r.Errors, tt.wantCode)
				}
				return
			}
			mustNoErrors(t, r)
			if p.Post != nil || p.Comment != nil || len(p.UserErrors) != len(tt.wantFields) {
				t.Fatalf("payload %+v, want userErrors at %v", p, tt.wantFields)
			}
			for i, ue := range p.UserErrors {
				if !slices.Equal(ue.Field, tt.wantFields[i]) || ue.Message == "" {
					t.Errorf("userError %d = %+v, want field %v", i, ue, tt.wantFields[i])
				}
			}
		})
	}
	if calls := env.Upstream.Calls(); len(calls) != 0 {
		t.Fatalf("refused input cost %d upstream calls: %+v", len(calls), calls)
	}
}

// mutationDocs is one call of every mutation with valid arguments, for the
// tests that vary only what Circle answers.
var mutationDocs = []struct{ field, doc, writePath string }{
	{"createPost", `mutation { createPost(input: {spaceId: "12", title: "T", body: "B"}) { post { id } ` + mutErrSel + ` } }`, "/spaces/12/posts"},
	{"deletePost", `mutation { deletePost(spaceId: "12", id: "1001") { deletedId ` + mutErrSel + ` } }`, "/spaces/12/posts/1001"},
	{"createComment", `mutation { createComment(input: {postId: "1001", body: "B"}) { comment { id } ` + mutErrSel + ` } }`, "/posts/1001/comments"},
	{"replyToComment", `mutation { replyToComment(postId: "1001", commentId: "20001", body: "B") { comment { id } ` + mutErrSel + ` } }`, "/comments/20001/replies"},
	{"deleteComment", `mutation { deleteComment(postId: "1001", id: "20001") { deletedId ` + mutErrSel + ` } }`, "/posts/1001/comments/20001"},
	{"likePost", `mutation { likePost(spaceId: "12", postId: "1001") { post { id } ` + mutErrSel + ` } }`, "/posts/1001/user_likes"},
	{"unlikePost", `mutation { unlikePost(spaceId: "12", postId: "1001") { post { id } ` + mutErrSel + ` } }`, "/posts/1001/user_likes"},
	{"likeComment", `mutation { likeComment(postId: "1001", commentId: "20001") { comment { id } ` + mutErrSel + ` } }`, "/comments/20001/user_likes"},
	{"unlikeComment", `mutation { unlikeComment(postId: "1001", commentId: "20001") { comment { id } ` + mutErrSel + ` } }`, "/comments/20001/user_likes"},
	{"rsvpEvent", `mutation { rsvpEvent(spaceId: "14", eventId: "1053") { post { id } ` + mutErrSel + ` } }`, "/events/1053/event_attendees"},
	{"cancelRsvp", `mutation { cancelRsvp(spaceId: "14", eventId: "1053") { post { id } ` + mutErrSel + ` } }`, "/events/1053/event_attendees"},
	{"joinSpace", `mutation { joinSpace(id: "15") { space { id } ` + mutErrSel + ` } }`, "/spaces/15/join"},
	{"leaveSpace", `mutation { leaveSpace(id: "15") { space { id } ` + mutErrSel + ` } }`, "/spaces/15/leave"},
	{"updateComment", `mutation { updateComment(postId: "1001", id: "20001", body: "B") { comment { id } ` + mutErrSel + ` } }`, "/posts/1001/comments/20001"},
	{"updateReply", `mutation { updateReply(commentId: "20001", id: "20002", body: "B") { comment { id } ` + mutErrSel + ` } }`, "/comments/20001/replies/20002"},
	{"rsvpEventDates", `mutation { rsvpEventDates(spaceId: "14", eventId: "1053", dateIds: ["45001"]) { message post { id } ` + mutErrSel + ` } }`, "/spaces/14/events/1053/recurring_events/rsvp"},
}

// failWrites answers every non-GET call with status and body.
func failWrites(status int, body string) testenv.Fault {
	return func(r *http.Request) (int, string, bool) {
		return status, body, r.Method != http.MethodGet
	}
}

// An upstream 422 is the user's to fix: it lands in the payload's
// userErrors with Circle's message (and the argument's path when
// error_details names a field the mutation maps), not as a top-level error,
// and nothing is re-read.
func TestMutationUpstream422(t *testing.T) {
	t.Parallel()
	wantField := map[string][]string{
		"createPost":     {"input", "body"},
		"createComment":  {"input", "body"},
		"replyToComment": {"body"},
		"updateComment":  {"body"},
		"updateReply":    {"body"},
	}
	for _, m := range mutationDocs {
		t.Run(m.field, func(t *testing.T) {
			t.Parallel()
			env := testenv.New(t, testenv.Options{})
			env.Upstream.SetFault(failWrites(http.StatusUnprocessableEntity,
				`{"success":false,"message":"Body is too long (maximum is 10000 characters)","error_details":{"body":["is too long"],"internal":"SELECT secret"}}`))
			p, r := mutation(t, env, env.DemoToken(t), m.field, m.doc, nil)
			mustNoErrors(t, r)
			if p.Post != nil || p.Comment != nil || p.Space != nil || p.DeletedID != nil {
				t.Fatalf("payload %+v: nothing changed, so no object", p)
			}
			want := []mutUserError{{Field: wantField[m.field], Message: "Body is too long (maximum is 10000 characters)"}}
			if !reflect.DeepEqual(p.UserErrors, want) {
				t.Fatalf("userErrors %+v, want %+v", p.UserErrors, want)
			}
			if strings.Contains(string(r.Data), "SELECT") {
				t.Fatal("error_details leaked into the answer")
			}
			if calls := env.Upstream.Calls(); len(calls) != 1 || calls[0].Path != m.writePath {
				t.Fatalf("calls %+v, want the write alone", calls)
			}
		})
	}
}

// The sandbox's own refusals travel the same way: a 422 for a basic post in
// an image space and for liking a post whose likes are off, a 400 with
// Circle's message for a comment without text.
func TestMutationSandboxRefusals(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	f := newMutFixture(t, env)
	tests := []struct {
		name, field, doc string
		want             mutUserError
	}{
		{"basic post in the image space", "createPost", `mutation { createPost(input: {spaceId: "19", title: "T", body: "B"}) { post { id } ` + mutErrSel + ` } }`,
			mutUserError{Field: []string{"input", "spaceId"}, Message: "Posts in an image space must be image posts."}},
		{"comment whose HTML has no text", "createComment", `mutation { createComment(input: {postId: "` + id64(f.unliked.ID) + `", body: "<br>"}) { comment { id } ` + mutErrSel + ` } }`,
			mutUserError{Field: []string{"input", "body"}, Message: "Failed to create comment!"}},
		{"like where likes are off", "likePost", `mutation { likePost(spaceId: "12", postId: "` + id64(f.closedPost.ID) + `") { post { id } ` + mutErrSel + ` } }`,
			mutUserError{Message: "Liking is disabled for this post."}},
		{"comment where comments are off", "createComment", `mutation { createComment(input: {postId: "` + id64(f.closedPost.ID) + `", body: "x"}) { comment { id } ` + mutErrSel + ` } }`,
			mutUserError{Message: "Comments are disabled for this post."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			p, r := mutation(t, env, f.token, tt.field, tt.doc, nil)
			mustNoErrors(t, r)
			if len(p.UserErrors) != 1 || !reflect.DeepEqual(p.UserErrors[0], tt.want) || p.Post != nil || p.Comment != nil {
				t.Fatalf("payload %+v, want userError %+v", p, tt.want)
			}
			if n := len(env.Upstream.Calls()); n != 1 {
				t.Fatalf("%d calls, want the write alone", n)
			}
		})
	}
}

// Without a usable member token every mutation answers UNAUTHENTICATED
// and Circle is not called; a token Circle itself refuses answers the same
// after the one write.
func TestMutationUnauthenticated(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	expired, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"community_member_id": 101, "exp": time.Now().Add(-time.Minute).Unix()}).SignedString([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mutationDocs {
		for name, tok := range map[string]string{"no token": "", "expired": expired, "malformed": "abc.def"} {
			t.Run(m.field+" "+name, func(t *testing.T) {
				r := env.Do(t, tok, m.doc, nil)
				if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" || string(r.Data) != "null" {
					t.Fatalf("errors %+v data %s", r.Errors, r.Data)
				}
			})
		}
	}
	if calls := env.Upstream.Calls(); len(calls) != 0 {
		t.Fatalf("unauthenticated mutations cost %d upstream calls", len(calls))
	}

	forged, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"community_member_id": 101, "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte("not the sandbox key"))
	if err != nil {
		t.Fatal(err)
	}
	r := env.Do(t, forged, mutationDocs[5].doc, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" || r.Errors[0].Message != "The access token is invalid." {
		t.Fatalf("errors %+v", r.Errors)
	}
	if calls := env.Upstream.Calls(); len(calls) != 1 {
		t.Fatalf("calls %+v, want the refused write alone", calls)
	}
}

// Circle's other refusals keep their codes (docs/contract.md §5): a record the
// member cannot see is NOT_FOUND, someone else's post FORBIDDEN.
func TestMutationNotFoundAndForbidden(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	f := newMutFixture(t, env)
	othersPost := f.unliked // written by someone else
	tests := []struct{ name, doc, code string }{
		{"like a post of a private space of others", `mutation { likePost(spaceId: "17", postId: "` + privatePost(t, env) + `") { post { id } } }`, "NOT_FOUND"},
		{"delete an unknown comment", `mutation { deleteComment(postId: "` + id64(othersPost.ID) + `", id: "99999999") { deletedId } }`, "NOT_FOUND"},
		{"rsvp to a basic post", `mutation { rsvpEvent(spaceId: "12", eventId: "` + id64(othersPost.ID) + `") { post { id } } }`, "NOT_FOUND"},
		{"join a private space of others", `mutation { joinSpace(id: "17") { space { id } } }`, "NOT_FOUND"},
		{"delete someone else's post", `mutation { deletePost(spaceId: "12", id: "` + id64(othersPost.ID) + `") { deletedId } }`, "FORBIDDEN"},
		{"post in a space of others", `mutation { createPost(input: {spaceId: "15", title: "T", body: "B"}) { post { id } } }`, "FORBIDDEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, f.token, tt.doc, nil)
			if len(r.Errors) != 1 || r.Errors[0].Code() != tt.code || r.Errors[0].Message == "" {
				t.Fatalf("errors %+v, want %s", r.Errors, tt.code)
			}
			if calls := env.Upstream.Calls(); len(calls) != 1 || calls[0].Method == http.MethodGet {
				t.Fatalf("calls %+v, want the write alone", calls)
			}
		})
	}
}

// privatePost is a post of the Staff Room, which the demo member cannot see.
func privatePost(t *testing.T, env *testenv.Env) string {
	t.Helper()
	admin := int64(0)
	for _, id := range env.Sandbox.MemberIDs() {
		me, err := truth(t, env, env.Token(t, id)).Me(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if me.Roles.Admin {
			admin = id
			break
		}
	}
	posts, err := truth(t, env, env.Token(t, admin)).SpacePosts(context.Background(), 17, circle.ListParams{Page: 1, PerPage: 1})
	if err != nil || len(posts.Records) == 0 {
		t.Fatalf("no Staff Room post: %v", err)
	}
	return id64(posts.Records[0].ID)
}

// A write is never retried once it may have reached Circle: a 503 costs
// exactly one call and answers UPSTREAM_UNAVAILABLE.
func TestMutationNotRetriedOn503(t *testing.T) {
	t.Parallel()
	for _, m := range mutationDocs {
		t.Run(m.field, func(t *testing.T) {
			t.Parallel()
			env := testenv.New(t, testenv.Options{})
			env.Upstream.SetFault(failWrites(http.StatusServiceUnavailable, `{"success":false,"message":"Service Unavailable"}`))
			r := env.Do(t, env.DemoToken(t), m.doc, nil)
			if len(r.Errors) != 1 || r.Errors[0].Code() != "UPSTREAM_UNAVAILABLE" {
				t.Fatalf("errors %+v", r.Errors)
			}
			if calls := env.Upstream.Calls(); len(calls) != 1 || calls[0].Path != m.writePath {
				t.Fatalf("calls %+v, want the one write", calls)
			}
		})
	}
}

// A write that went through but whose re-read failed says so: the payload
// has no object and no userErrors, and the error at the object's path tells
// the client the change was made (a client that retried would, for
// createPost, publish the post twice), with the re-read failure's code.
func TestMutationRereadFailureSaysTheChangeWasMade(t *testing.T) {
	t.Parallel()
	for _, m := range mutationDocs {
		switch m.field {
		case "likePost", "likeComment", "rsvpEvent":
		default:
			continue
		}
		t.Run(m.field, func(t *testing.T) {
			t.Parallel()
			env := testenv.New(t, testenv.Options{})
			env.Upstream.SetFault(func(r *http.Request) (int, string, bool) {
				return http.StatusInternalServerError, `{"success":false,"message":"boom"}`, r.Method == http.MethodGet
			})
			p, r := mutation(t, env, env.DemoToken(t), m.field, m.doc, nil)
			if p.UserErrors == nil || len(p.UserErrors) != 0 || p.Post != nil || p.Comment != nil {
				t.Fatalf("payload %+v errors %+v", p, r.Errors)
			}
			if len(r.Errors) != 1 || r.Errors[0].Code() != "UPSTREAM_UNAVAILABLE" {
				t.Fatalf("errors %+v, want one UPSTREAM_UNAVAILABLE", r.Errors)
			}
			if msg := r.Errors[0].Message; !strings.Contains(msg, "change was made") || !strings.Contains(msg, "re-reading") {
				t.Fatalf("message %q does not say the change was made", msg)
			}
			if got := writeCalls(env.Upstream.Calls()); len(got) != 1 {
				t.Fatalf("writes %v, want one", got)
			}
		})
	}
}

// A write whose answer never came answers UPSTREAM_UNAVAILABLE saying its
// outcome is unknown, after exactly one call: no retry, no re-read. Circle
// reads the request and hangs up, so the gateway knows, with no clock,
// that the call was sent and will not be answered (a short upstream
// timeout could fire, on a loaded machine, before the request is written,
// and take the path of a call never sent); the gateway's client reports
// every attempt it sent as it ends, before the operation answers. The
// timeout itself is circle's TestWriteTimeoutOutcomeUnknown.
func TestMutationNoAnswerOutcomeUnknown(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var sent []circle.Call
	env := testenv.New(t, testenv.Options{ClientOptions: []circle.Option{
		circle.WithObserver(func(_ context.Context, c circle.Call) {
			mu.Lock()
			defer mu.Unlock()
			sent = append(sent, c)
		})}})
	f := newMutFixture(t, env)
	env.Upstream.SetGate(testenv.Hangup())
	mu.Lock()
	sent = nil
	mu.Unlock()
	r := env.Do(t, f.token, `mutation($p: ID!) { likePost(spaceId: "12", postId: $p) { post { id likesCount } } }`, map[string]any{"p": id64(f.unliked.ID)})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "UPSTREAM_UNAVAILABLE" || !strings.Contains(r.Errors[0].Message, "may or may not have been applied") {
		t.Fatalf("errors %+v, want UPSTREAM_UNAVAILABLE saying the outcome is unknown", r.Errors)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sent) != 1 || sent[0].Method != http.MethodPost || sent[0].Status != 0 {
		t.Fatalf("the gateway sent %+v, want the one POST, unanswered, and no retry or re-read", sent)
	}
}

// Likes are per member and counters exact under concurrency: every member
// of the community likes one new post at once through the gateway, each
// payload shows the member's own like, and the count ends at the number
// of members.
func TestMutationConcurrentLikes(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	demo := env.DemoToken(t)
	p, err := truth(t, env, demo).CreatePost(ctx, 12, circle.NewPost{Name: "Like me", Body: "Everyone"})
	if err != nil {
		t.Fatal(err)
	}
	members := env.Sandbox.MemberIDs()
	var wg sync.WaitGroup
	for _, m := range members {
		tok := env.Token(t, m)
		wg.Go(func() {
			r := env.Do(t, tok, `mutation($p: ID!) { likePost(spaceId: "12", postId: $p) { post { isLiked likesCount } userErrors { message } } }`, map[string]any{"p": id64(p.ID)})
			var got struct {
				LikePost struct {
					Post struct {
						IsLiked    bool
						LikesCount int
					}
				}
			}
			if len(r.Errors) > 0 || json.Unmarshal(r.Data, &got) != nil || !got.LikePost.Post.IsLiked || got.LikePost.Post.LikesCount < 1 {
				t.Errorf("member %d: %s %+v", m, r.Data, r.Errors)
			}
		})
	}
	wg.Wait()
	after, err := truth(t, env, demo).Post(ctx, 12, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.UserLikesCount != len(members) {
		t.Fatalf("likesCount %d after %d members liked, want %d", after.UserLikesCount, len(members), len(members))
	}
}

// mutToken is a member token shaped like Circle's, for a Circle double
// that does not verify it.
func mutToken(t *testing.T) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"community_id": 1, "community_member_id": 7, "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte("double"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// circleDouble answers the write endpoints the way Circle's OpenAPI
// examples do, and the reads the payloads need, recording each request's
// body.
type circleDouble struct {
	mu        sync.Mutex
	bodies    map[string]string // "METHOD path" → body received
	lastWrite string            // "METHOD path" of the last write
}

// last is the last write the double received.
func (d *circleDouble) last() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lastWrite
}

// body is what the double received for "METHOD path".
func (d *circleDouble) body(call string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.bodies[call]
}

func (d *circleDouble) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	path := strings.TrimPrefix(r.URL.Path, "/api/headless/v1")
	d.mu.Lock()
	d.bodies[r.Method+" "+path] = string(raw)
	d.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	author := `{"id":2,"community_member_id":7,"name":"Shari Rowe","headline":"Healthcare Liaison","avatar_url":null,"roles":["admin"]}`
	space := `{"id":3,"name":"officiis","slug":"illum","emoji":null}`
	post := func(liked bool, likes int, rsvp string) string {
		event := ""
		if rsvp != "" {
			event = `,"post_type":"event","event_setting_attributes":{"starts_at":"2030-01-01T10:00:00.000Z","ends_at":"2030-01-01T11:00:00.000Z","rsvp_count":4,"rsvp_limit":null},"rsvp_status":"` + rsvp + `"`
		}
		return fmt.Sprintf(`{"id":9,"name":"Post Name","display_title":"Post Name","slug":"post-name","body":{"html":"<p>Test</p>"},"tiptap_body":null,"body_plain_text":"Test","is_liked":%v,"user_likes_count":%d,"comment_count":1,"created_at":"2024-04-15T07:38:08.972Z","space":%s,"author":%s%s}`, liked, likes, space, author, event)
	}
	comment := func(id int, parent string, liked bool) string {
		return fmt.Sprintf(`{"id":%d,"user_id":2,"post_id":9,"space_id":3,"parent_comment_id":%s,"community_member_id":7,"body":{"html":"Officia"},"tiptap_body":null,"body_text":"Officia","user_likes_count":%d,"is_liked":%v,"replies_count":0,"created_at":"2024-04-15T07:38:08.972Z","author":%s}`, id, parent, map[bool]int{true: 1}[liked], liked, author)
	}
	ok := func(msg string) string { return `{"success":true,"message":"` + msg + `"}` }
	spaceRecord := func(member bool) string {
		return fmt.Sprintf(`{"id":3,"name":"officiis","slug":"illum","emoji":null,"is_private":false,"is_member":%v,"url":"https://x.example/c/illum"}`, member)
	}
	var status = http.StatusOK
	var body string
	switch r.Method + " " + path {
	case "POST /spaces/3/posts":
		body = post(false, 0, "")
	case "DELETE /spaces/3/posts/9":
		body = ok("Post deleted")
	case "POST /posts/9/comments":
		status, body = http.StatusCreated, comment(11, "null", false)
	case "POST /comments/11/replies":
		status, body = http.StatusCreated, comment(12, "11", false)
	case "DELETE /posts/9/comments/11":
		body = ok("This comment has been removed from the post.")
	case "POST /posts/9/user_likes":
		body = ok("Post has been liked")
	case "DELETE /posts/9/user_likes":
		body = ok("Post has been unliked")
	case "POST /comments/11/user_likes":
		body = ok("Comment has been liked")
	case "DELETE /comments/11/user_likes":
		body = ok("Comment has been unliked")
	case "POST /events/9/event_attendees":
		body = `{"id":1,"community_member_id":7,"rsvp_date":"2024-04-29T10:56:39.743Z","rsvp_status":"yes","name":"Shari Rowe"}`
	case "DELETE /events/9/event_attendees":
		body = `{"id":1,"community_member_id":7,"rsvp_date":"2024-04-29T11:14:06.123Z","rsvp_status":"no","name":"Shari Rowe"}`
	case "POST /spaces/3/join":
		body = spaceRecord(true)
	case "POST /spaces/3/leave":
		body = spaceRecord(false)
	case "GET /spaces/3/posts":
		// The re-read: the double answers as if the last write had happened.
		liked := !strings.HasPrefix(d.last(), "DELETE /posts")
		rsvp := map[bool]string{true: "yes", false: "no"}[!strings.HasPrefix(d.last(), "DELETE /events")]
		if !strings.Contains(d.last(), "/event_attendees") {
			rsvp = ""
		}
		body = `{"page":1,"per_page":1,"has_next_page":false,"count":1,"records":[` + post(liked, map[bool]int{true: 8, false: 7}[liked], rsvp) + `]}`
	case "GET /posts/9/comments/11":
		body = comment(11, "null", !strings.HasPrefix(d.last(), "DELETE"))
	default:
		status, body = http.StatusNotFound, `{"success":false,"message":"Oops! Missing record. Please try again later.","error_details":{}}`
	}
	if r.Method != http.MethodGet {
		d.mu.Lock()
		d.lastWrite = r.Method + " " + path
		d.mu.Unlock()
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// Every mutation also works against a Circle double that answers as the
// OpenAPI document's examples do: the gateway sends the documented bodies
// (the comment wrapper, tiptap_body untouched, no body where none is
// documented) and builds its payloads from those answers.
func TestMutationsAgainstCircleDouble(t *testing.T) {
	t.Parallel()
	tiptap := `{"body":{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"Rich","marks":[{"type":"bold"}]}]}]},"format":"post"}`
	var tiptapArg any
	if err := json.Unmarshal([]byte(tiptap), &tiptapArg); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		field, doc string
		vars       map[string]any
		call       string // the write Circle receives
		wantBody   string // its JSON body; "" for none
		check      func(t *testing.T, p mutPayload)
	}{
		{"createPost", `mutation($in: CreatePostInput!) { createPost(input: $in) { ` + mutPostSel + ` ` + mutErrSel + ` } }`,
			map[string]any{"in": map[string]any{"spaceId": "3", "title": "Post Name", "body": "<p>Test</p>", "tiptapBody": tiptapArg, "isLikingEnabled": true}},
			"POST /spaces/3/posts", `{"space_id":3,"name":"Post Name","body":"<p>Test</p>","tiptap_body":` + tiptap + `,"is_liking_enabled":true}`,
			func(t *testing.T, p mutPayload) {
				if p.Post == nil || p.Post.ID != "9" || p.Post.Space.ID != "3" || p.Post.Author.ID != "7" {
					t.Fatalf("post %+v", p.Post)
				}
			}},
		{"deletePost", `mutation { deletePost(spaceId: "3", id: "9") { deletedId ` + mutErrSel + ` } }`, nil, "DELETE /spaces/3/posts/9", "",
			func(t *testing.T, p mutPayload) {
				if p.DeletedID == nil || *p.DeletedID != "9" {
					t.Fatalf("deletedId %v", p.DeletedID)
				}
			}},
		{"createComment", `mutation($in: CreateCommentInput!) { createComment(input: $in) { comment { id bodyText author { id } post { id likesCount } } ` + mutErrSel + ` } }`,
			map[string]any{"in": map[string]any{"postId": "9", "tiptapBody": tiptapArg}},
			"POST /posts/9/comments", `{"comment":{"tiptap_body":` + tiptap + `}}`,
			func(t *testing.T, p mutPayload) {
				if p.Comment == nil || p.Comment.ID != "11" || p.Comment.Post.ID != "9" || p.Comment.Author.ID != "7" {
					t.Fatalf("comment %+v", p.Comment)
				}
			}},
		{"replyToComment", `mutation { replyToComment(postId: "9", commentId: "11", body: "<p>Agreed</p>") { comment { id parent { id } } ` + mutErrSel + ` } }`, nil,
			"POST /comments/11/replies", `{"comment":{"body":"<p>Agreed</p>"}}`,
			func(t *testing.T, p mutPayload) {
				if p.Comment == nil || p.Comment.ID != "12" || p.Comment.Parent == nil || p.Comment.Parent.ID != "11" {
					t.Fatalf("reply %+v", p.Comment)
				}
			}},
		{"deleteComment", `mutation { deleteComment(postId: "9", id: "11") { deletedId ` + mutErrSel + ` } }`, nil, "DELETE /posts/9/comments/11", "",
			func(t *testing.T, p mutPayload) {
				if p.DeletedID == nil || *p.DeletedID != "11" {
					t.Fatalf("deletedId %v", p.DeletedID)
				}
			}},
		{"likePost", `mutation { likePost(spaceId: "3", postId: "9") { ` + mutPostSel + ` ` + mutErrSel + ` } }`, nil, "POST /posts/9/user_likes", "",
			func(t *testing.T, p mutPayload) {
				if p.Post == nil || !p.Post.IsLiked || p.Post.LikesCount != 8 {
					t.Fatalf("post %+v", p.Post)
				}
			}},
		{"unlikePost", `mutation { unlikePost(spaceId: "3", postId: "9") { ` + mutPostSel + ` ` + mutErrSel + ` } }`, nil, "DELETE /posts/9/user_likes", "",
			func(t *testing.T, p mutPayload) {
				if p.Post == nil || p.Post.IsLiked || p.Post.LikesCount != 7 {
					t.Fatalf("post %+v", p.Post)
				}
			}},
		{"likeComment", `mutation { likeComment(postId: "9", commentId: "11") { comment { id isLiked likesCount } ` + mutErrSel + ` } }`, nil, "POST /comments/11/user_likes", "",
			func(t *testing.T, p mutPayload) {
				if p.Comment == nil || !p.Comment.IsLiked || p.Comment.LikesCount != 1 {
					t.Fatalf("comment %+v", p.Comment)
				}
			}},
		{"unlikeComment", `mutation { unlikeComment(postId: "9", commentId: "11") { comment { id isLiked likesCount } ` + mutErrSel + ` } }`, nil, "DELETE /comments/11/user_likes", "",
			func(t *testing.T, p mutPayload) {
				if p.Comment == nil || p.Comment.IsLiked || p.Comment.LikesCount != 0 {
					t.Fatalf("comment %+v", p.Comment)
				}
			}},
		{"rsvpEvent", `mutation { rsvpEvent(spaceId: "3", eventId: "9") { ` + mutPostSel + ` ` + mutErrSel + ` } }`, nil, "POST /events/9/event_attendees", "",
			func(t *testing.T, p mutPayload) {
				if p.Post == nil || p.Post.Event == nil || p.Post.Event.RsvpStatus == nil || *p.Post.Event.RsvpStatus != "YES" {
					t.Fatalf("post %+v", p.Post)
				}
			}},
		{"cancelRsvp", `mutation { cancelRsvp(spaceId: "3", eventId: "9") { ` + mutPostSel + ` ` + mutErrSel + ` } }`, nil, "DELETE /events/9/event_attendees", "",
			func(t *testing.T, p mutPayload) {
				if p.Post == nil || p.Post.Event == nil || p.Post.Event.RsvpStatus == nil || *p.Post.Event.RsvpStatus != "NO" {
					t.Fatalf("post %+v", p.Post)
				}
			}},
		{"joinSpace", `mutation { joinSpace(id: "3") { space { id name isMember } ` + mutErrSel + ` } }`, nil, "POST /spaces/3/join", "",
			func(t *testing.T, p mutPayload) {
				if p.Space == nil || p.Space.ID != "3" || !p.Space.IsMember {
					t.Fatalf("space %+v", p.Space)
				}
			}},
		{"leaveSpace", `mutation { leaveSpace(id: "3") { space { id name isMember } ` + mutErrSel + ` } }`, nil, "POST /spaces/3/leave", "",
			func(t *testing.T, p mutPayload) {
				if p.Space == nil || p.Space.ID != "3" || p.Space.IsMember {
					t.Fatalf("space %+v", p.Space)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			t.Parallel()
			double := &circleDouble{bodies: map[string]string{}}
			env := testenv.New(t, testenv.Options{Upstream: double})
			p, r := mutation(t, env, mutToken(t), tt.field, tt.doc, tt.vars)
			mustNoErrors(t, r)
			if p.UserErrors == nil || len(p.UserErrors) != 0 {
				t.Fatalf("userErrors %+v", p.UserErrors)
			}
			tt.check(t, p)
			if got := writeCalls(env.Upstream.Calls()); !slices.Equal(got, []string{tt.call}) {
				t.Fatalf("writes %v, want %s", got, tt.call)
			}
			got := double.body(tt.call)
			switch {
			case tt.wantBody == "" && got != "":
				t.Fatalf("sent body %s, want none", got)
			case tt.wantBody != "":
				var want, have any
				if err := json.Unmarshal([]byte(tt.wantBody), &want); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal([]byte(got), &have); err != nil || !reflect.DeepEqual(want, have) {
					t.Fatalf("sent body\n%s\nwant\n%s", got, tt.wantBody)
				}
			}
		})
	}
}

// manyIDs is n distinct ids, as GraphQL ID strings.
func manyIDs(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = strconv.Itoa(45001 + i)
	}
	return out
}
