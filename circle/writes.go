package circle

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
)

// The Member API's writes, on behalf of the member whose token the MemberAPI
// carries. They all go through MemberAPI.write, so they share the client's
// one request path: a write is never retried once it may have reached
// Circle, and a write whose answer never came fails with ErrOutcomeUnknown.

// NewPost is the body of POST /spaces/{space_id}/posts. Circle takes the
// body as HTML (Body) or as a TipTap document in its tiptap_body envelope
// ({"body": {"type": "doc", "content": [...]}}), which is sent exactly as
// given.
type NewPost struct {
	// SpaceID repeats the path's space id, as Circle's request schema has it.
	SpaceID int64 `json:"space_id"`
	// Name is the post's title.
	Name       string          `json:"name"`
	Body       string          `json:"body,omitempty"`
	TiptapBody json.RawMessage `json:"tiptap_body,omitempty"`
	// IsCommentsEnabled and IsLikingEnabled are left to the space's
	// defaults when nil.
	IsCommentsEnabled *bool `json:"is_comments_enabled,omitempty"`
	IsLikingEnabled   *bool `json:"is_liking_enabled,omitempty"`
	// Topics are ids of the space's topics (a space that requires a topic
	// refuses a post without one).
	Topics []int64 `json:"topics,omitempty"`
	// CoverImage is the signed id of an uploaded image shown above the post.
	CoverImage string `json:"cover_image,omitempty"`
}

// NewComment is a comment or reply body. Circle wants it inside a "comment"
// object ({"comment": {"body": …}}); CreateComment and ReplyToComment add
// that wrapper.
type NewComment struct {
	Body       string          `json:"body,omitempty"`
	TiptapBody json.RawMessage `json:"tiptap_body,omitempty"`
}

// commentEnvelope is the request body of the comment and reply endpoints.
type commentEnvelope struct {
	Comment NewComment `json:"comment"`
}

// CreatePost publishes a post in a space: POST /spaces/{space_id}/posts.
// Circle answers with the new post as the member sees it.
func (m *MemberAPI) CreatePost(ctx context.Context, spaceID int64, p NewPost) (*Post, error) {
	p.SpaceID = spaceID
	var out Post
	if err := m.write(ctx, http.MethodPost, "/spaces/{space_id}/posts", "/spaces/"+id(spaceID)+"/posts", p, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeletePost deletes a post: DELETE /spaces/{space_id}/posts/{id}.
func (m *MemberAPI) DeletePost(ctx context.Context, spaceID, postID int64) error {
	return m.write(ctx, http.MethodDelete, "/spaces/{space_id}/posts/{id}", "/spaces/"+id(spaceID)+"/posts/"+id(postID), nil, nil)
}

// CreateComment comments on a post: POST /posts/{post_id}/comments. Circle
// answers 201 with the new comment.
func (m *MemberAPI) CreateComment(ctx context.Context, postID int64, c NewComment) (*Comment, error) {
	var out Comment
	if err := m.write(ctx, http.MethodPost, "/posts/{post_id}/comments", "/posts/"+id(postID)+"/comments", commentEnvelope{Comment: c}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReplyToComment replies to a comment: POST /comments/{comment_id}/replies.
// Circle answers 201 with the new reply.
func (m *MemberAPI) ReplyToComment(ctx context.Context, commentID int64, c NewComment) (*Comment, error) {
	var out Comment
	if err := m.write(ctx, http.MethodPost, "/comments/{comment_id}/replies", "/comments/"+id(commentID)+"/replies", commentEnvelope{Comment: c}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteComment deletes a comment of a post:
// DELETE /posts/{post_id}/comments/{id}. Replies have their own endpoint
// (DeleteReply).
func (m *MemberAPI) DeleteComment(ctx context.Context, postID, commentID int64) error {
	return m.write(ctx, http.MethodDelete, "/posts/{post_id}/comments/{id}", "/posts/"+id(postID)+"/comments/"+id(commentID), nil, nil)
}

// LikePost likes a post as the member: POST /posts/{post_id}/user_likes.
// Circle answers only {success, message}; callers re-read the post.
func (m *MemberAPI) LikePost(ctx context.Context, postID int64) error {
	return m.write(ctx, http.MethodPost, "/posts/{post_id}/user_likes", "/posts/"+id(postID)+"/user_likes", nil, nil)
}

// UnlikePost removes the member's like: DELETE /posts/{post_id}/user_likes.
func (m *MemberAPI) UnlikePost(ctx context.Context, postID int64) error {
	return m.write(ctx, http.MethodDelete, "/posts/{post_id}/user_likes", "/posts/"+id(postID)+"/user_likes", nil, nil)
}

// LikeComment likes a comment or reply: POST /comments/{comment_id}/user_likes.
func (m *MemberAPI) LikeComment(ctx context.Context, commentID int64) error {
	return m.write(ctx, http.MethodPost, "/comments/{comment_id}/user_likes", "/comments/"+id(commentID)+"/user_likes", nil, nil)
}

// UnlikeComment removes the member's like of a comment:
// DELETE /comments/{comment_id}/user_likes.
func (m *MemberAPI) UnlikeComment(ctx context.Context, commentID int64) error {
	return m.write(ctx, http.MethodDelete, "/comments/{comment_id}/user_likes", "/comments/"+id(commentID)+"/user_likes", nil, nil)
}

// RSVP answers "yes" to an event for the member:
// POST /events/{event_id}/event_attendees. Circle answers with the
// member's attendee record.
func (m *MemberAPI) RSVP(ctx context.Context, eventID int64) (*EventAttendee, error) {
	var out EventAttendee
	if err := m.write(ctx, http.MethodPost, "/events/{event_id}/event_attendees", "/events/"+id(eventID)+"/event_attendees", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CancelRSVP withdraws the member's RSVP:
// DELETE /events/{event_id}/event_attendees. Circle keeps the attendee
// record with rsvp_status "no" and answers with it.
func (m *MemberAPI) CancelRSVP(ctx context.Context, eventID int64) (*EventAttendee, error) {
	var out EventAttendee
	if err := m.write(ctx, http.MethodDelete, "/events/{event_id}/event_attendees", "/events/"+id(eventID)+"/event_attendees", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// JoinSpace makes the member a member of a space: POST /spaces/{id}/join.
// Circle answers with the space as the member now sees it (is_member true).
func (m *MemberAPI) JoinSpace(ctx context.Context, spaceID int64) (*Space, error) {
	var out Space
	if err := m.write(ctx, http.MethodPost, "/spaces/{id}/join", "/spaces/"+id(spaceID)+"/join", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// LeaveSpace ends the member's membership: POST /spaces/{id}/leave. Circle
// answers with the space as the member now sees it (is_member false).
func (m *MemberAPI) LeaveSpace(ctx context.Context, spaceID int64) (*Space, error) {
	var out Space
	if err := m.write(ctx, http.MethodPost, "/spaces/{id}/leave", "/spaces/"+id(spaceID)+"/leave", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Fields lists, sorted, the names of the request fields Circle's
// error_details blames ({"name": ["can't be blank"]} → ["name"]), so that a
// validation failure can point at the input at fault. Only the names are
// returned: what Circle says about them stays in Details, which is for logs.
func (e *Error) Fields() []string {
	if e.Details == "" {
		return nil
	}
	var details map[string]json.RawMessage
	if err := json.Unmarshal([]byte(e.Details), &details); err != nil {
		return nil
	}
	var out []string
	for name, v := range details {
		// Rails-style field errors are lists of strings; other keys (a
		// lone "message") describe the failure, not a field.
		var msgs []string
		if json.Unmarshal(v, &msgs) == nil && len(msgs) > 0 {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
