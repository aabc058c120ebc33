package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
	"github.com/circle-gateway/gateway/loaders"
)

// What the Member API mutations share: the input checks made before any
// upstream call, the write itself (after which the operation's reads are
// forgotten), Circle's validation failures as userErrors, and the re-read
// that puts the changed object in the payload.

// fieldPaths maps the request fields Circle's error_details may blame to
// the path of the GraphQL argument they came from, so that a userError can
// point at the input at fault.
type fieldPaths map[string][]string

// The argument paths of each mutation's Circle fields.
var (
	createPostFields = fieldPaths{
		"name":                {"input", "title"},
		"title":               {"input", "title"},
		"body":                {"input", "body"},
		"tiptap_body":         {"input", "tiptapBody"},
		"space_id":            {"input", "spaceId"},
		"is_comments_enabled": {"input", "isCommentsEnabled"},
		"is_liking_enabled":   {"input", "isLikingEnabled"},
		"topics":              {"input", "topicIds"},
		"cover_image":         {"input", "coverImageSignedId"},
	}
	createCommentFields = fieldPaths{
		"body":        {"input", "body"},
		"tiptap_body": {"input", "tiptapBody"},
		"post_id":     {"input", "postId"},
	}
	replyFields = fieldPaths{
		"body":        {"body"},
		"tiptap_body": {"tiptapBody"},
	}
)

// noUserErrors is the userErrors of a write that went through: an empty
// list, never null.
func noUserErrors() []*model.UserError { return []*model.UserError{} }

// write runs one upstream write for a mutation of the signed-in member. It
// fails with the authentication error, and no upstream call, when there is
// no member. Whatever the write's outcome, the operation's reads are
// forgotten afterwards (the write may have changed what they hold, even when
// its answer never came), so the payload's re-read and later fields of the
// operation read Circle's new state.
func write[T any](ctx context.Context, do func(api *circle.MemberAPI) (T, error)) (*loaders.Loaders, T, error) {
	var zero T
	l, err := loaders.For(ctx)
	if err != nil {
		return nil, zero, err
	}
	v, err := do(l.API)
	l.Invalidate()
	return l, v, err
}

// writeFailed sorts out how a write went wrong. A validation failure
// Circle reported (422, or a 400 with its message) belongs to the user and
// becomes userErrors for the payload, with Circle's message and, when
// error_details blames exactly one field paths knows, its argument path.
// Everything else (401, 403, 404, 5xx, an unknown outcome) is returned for
// the error presenter, which gives it its code. Both results are nil when
// err is.
func writeFailed(err error, paths fieldPaths) ([]*model.UserError, error) {
	var ce *circle.Error
	if err == nil {
		return nil, nil
	}
	if !errors.As(err, &ce) || (ce.Status != http.StatusUnprocessableEntity && ce.Status != http.StatusBadRequest) {
		return nil, err
	}
	ue := &model.UserError{Message: ce.Message}
	var blamed [][]string
	for _, name := range ce.Fields() {
		if p, ok := paths[name]; ok {
			blamed = append(blamed, p)
		}
	}
	if len(blamed) == 1 {
		ue.Field = blamed[0]
	}
	return []*model.UserError{ue}, nil
}

// reread loads the object a successful write changed. Its failure does not
// undo the write, so it is reported beside the payload (whose object is then
// null) rather than in place of it: the client learns that the change was
// made and that the object could not be shown.
func reread[T any](ctx context.Context, what string, load func() (T, error)) T {
	v, err := load()
	if err != nil {
		graphql.AddError(ctx, &RereadError{What: what, Err: err})
		var zero T
		return zero
	}
	return v
}

// rereadPost loads a post after a write, past the operation's old reads.
func rereadPost(ctx context.Context, l *loaders.Loaders, key loaders.PostKey) *model.Post {
	return reread(ctx, "the post", func() (*model.Post, error) {
		p, err := l.PostsBySpaceAndID.Load(ctx, key)()
		if err != nil {
			return nil, err
		}
		return model.PostFrom(p), nil
	})
}

// rereadComment loads a comment of a post after a write.
func rereadComment(ctx context.Context, l *loaders.Loaders, postID, commentID int64) *model.Comment {
	return reread(ctx, "the comment", func() (*model.Comment, error) {
		c, err := l.API.Comment(ctx, postID, commentID)
		if err != nil {
			return nil, err
		}
		return model.CommentFrom(c), nil
	})
}

// presentJSON reports whether a JSON argument was given as something other
// than null.
func presentJSON(v model.JSON) bool {
	t := bytes.TrimSpace(v)
	return len(t) > 0 && !bytes.Equal(t, []byte("null"))
}

// checkBody refuses, before any upstream call, content with neither a
// body nor a TipTap document, and a TipTap document that is not a JSON
// object (Circle's tiptap_body envelope, {"body": {"type": "doc", …}}).
// prefix is the path of the input object holding the fields.
func checkBody(body *string, tiptap model.JSON, prefix ...string) []*model.UserError {
	if presentJSON(tiptap) {
		return checkTiptap(tiptap, prefix...)
	}
	if body == nil || strings.TrimSpace(*body) == "" {
		return []*model.UserError{{Field: fieldPath(prefix, "body"), Message: "give body or tiptapBody: the content must not be empty"}}
	}
	return nil
}

// checkTiptap refuses a TipTap document that is not a JSON object; an
// absent one is fine.
func checkTiptap(tiptap model.JSON, prefix ...string) []*model.UserError {
	if presentJSON(tiptap) && bytes.TrimSpace(tiptap)[0] != '{' {
		return []*model.UserError{{Field: fieldPath(prefix, "tiptapBody"), Message: `tiptapBody must be a TipTap document in Circle's tiptap_body shape, a JSON object like {"body": {"type": "doc", "content": [...]}}`}}
	}
	return nil
}

// fieldPath is the path of an input field under prefix.
func fieldPath(prefix []string, field string) []string {
	return append(append([]string{}, prefix...), field)
}

// newPost checks a CreatePostInput and turns it into Circle's request body;
// userErrors lists every problem found, and then nothing may be sent. A
// post needs no body (Circle's document requires none: a title-only post,
// or an image post's caption-less gallery): whether one is needed is
// Circle's to say, and its refusal comes back as userErrors.
func newPost(in model.CreatePostInput) (circle.NewPost, []*model.UserError) {
	var problems []*model.UserError
	if strings.TrimSpace(in.Title) == "" {
		problems = append(problems, &model.UserError{Field: []string{"input", "title"}, Message: "title must not be empty"})
	}
	problems = append(problems, checkTiptap(in.TiptapBody, "input")...)
	if len(problems) > 0 {
		return circle.NewPost{}, problems
	}
	return circle.NewPost{
		Name:              in.Title,
		Body:              deref(in.Body),
		TiptapBody:        rawJSON(in.TiptapBody),
		IsCommentsEnabled: in.IsCommentsEnabled,
		IsLikingEnabled:   in.IsLikingEnabled,
	}, nil
}

// newComment checks a comment's content and turns it into Circle's body.
func newComment(body *string, tiptap model.JSON, prefix ...string) (circle.NewComment, []*model.UserError) {
	if problems := checkBody(body, tiptap, prefix...); len(problems) > 0 {
		return circle.NewComment{}, problems
	}
	return circle.NewComment{Body: deref(body), TiptapBody: rawJSON(tiptap)}, nil
}

// rawJSON passes a TipTap document through untouched; nil when absent.
func rawJSON(v model.JSON) json.RawMessage {
	if !presentJSON(v) {
		return nil
	}
	return json.RawMessage(v)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// createdComment is the comment Circle answered a create with, completed by
// a re-read when the answer lacks the keys its relations need (post and
// space ids), as a Circle-compatible upstream might.
func createdComment(ctx context.Context, l *loaders.Loaders, postID int64, c *circle.Comment) (*model.Comment, error) {
	if c == nil || c.ID == 0 {
		return nil, errors.New("new comment: Circle's answer holds no comment id")
	}
	if c.PostID != 0 && c.SpaceID != 0 {
		return model.CommentFrom(c), nil
	}
	return rereadComment(ctx, l, postID, c.ID), nil
}

// likeWrite likes or unlikes a post (do is MemberAPI.LikePost or
// UnlikePost), or follows or unfollows it (FollowPost, UnfollowPost), and
// re-reads it, so that isLiked and likesCount (followerId) are current.
func likeWrite(ctx context.Context, spaceID, postID string, do func(*circle.MemberAPI, context.Context, int64) error) (*model.PostPayload, error) {
	key, err := postKeyArgs("spaceId", spaceID, "postId", postID)
	if err != nil {
		return nil, err
	}
	l, _, err := write(ctx, func(api *circle.MemberAPI) (struct{}, error) { return struct{}{}, do(api, ctx, key.PostID) })
	if problems, err := writeFailed(err, nil); problems != nil || err != nil {
		return &model.PostPayload{UserErrors: problems}, err
	}
	return &model.PostPayload{Post: rereadPost(ctx, l, key), UserErrors: noUserErrors()}, nil
}

// commentLikeWrite likes or unlikes a comment (do is MemberAPI.LikeComment
// or UnlikeComment) and re-reads it through its post.
func commentLikeWrite(ctx context.Context, postID, commentID string, do func(*circle.MemberAPI, context.Context, int64) error) (*model.CommentPayload, error) {
	pid, cid, err := twoIDs("postId", postID, "commentId", commentID)
	if err != nil {
		return nil, err
	}
	l, _, err := write(ctx, func(api *circle.MemberAPI) (struct{}, error) { return struct{}{}, do(api, ctx, cid) })
	if problems, err := writeFailed(err, nil); problems != nil || err != nil {
		return &model.CommentPayload{UserErrors: problems}, err
	}
	return &model.CommentPayload{Comment: rereadComment(ctx, l, pid, cid), UserErrors: noUserErrors()}, nil
}

// rsvpWrite answers or withdraws the member's RSVP (do is MemberAPI.RSVP or
// CancelRSVP) and re-reads the event post, so that event.rsvpStatus and
// rsvpCount are current.
func rsvpWrite(ctx context.Context, spaceID, eventID string, do func(*circle.MemberAPI, context.Context, int64) (*circle.EventAttendee, error)) (*model.EventRsvpPayload, error) {
	key, err := postKeyArgs("spaceId", spaceID, "eventId", eventID)
	if err != nil {
		return nil, err
	}
	l, _, err := write(ctx, func(api *circle.MemberAPI) (*circle.EventAttendee, error) { return do(api, ctx, key.PostID) })
	if problems, err := writeFailed(err, nil); problems != nil || err != nil {
		return &model.EventRsvpPayload{UserErrors: problems}, err
	}
	return &model.EventRsvpPayload{Post: rereadPost(ctx, l, key), UserErrors: noUserErrors()}, nil
}

// membershipWrite joins or leaves a space (do is MemberAPI.JoinSpace or
// LeaveSpace). Circle answers with the space as the member now sees it,
// which is the payload; only an answer without the space costs a re-read.
func membershipWrite(ctx context.Context, id string, do func(*circle.MemberAPI, context.Context, int64) (*circle.Space, error)) (*model.SpacePayload, error) {
	spaceID, err := parseID("id", id)
	if err != nil {
		return nil, err
	}
	l, s, err := write(ctx, func(api *circle.MemberAPI) (*circle.Space, error) { return do(api, ctx, spaceID) })
	if problems, err := writeFailed(err, nil); problems != nil || err != nil {
		return &model.SpacePayload{UserErrors: problems}, err
	}
	if s.ID != spaceID {
		s = reread(ctx, "the space", func() (*circle.Space, error) { return l.SpacesByID.Load(ctx, spaceID)() })
		if s == nil {
			return &model.SpacePayload{UserErrors: noUserErrors()}, nil
		}
	}
	return &model.SpacePayload{Space: model.SpaceFrom(s), UserErrors: noUserErrors()}, nil
}
