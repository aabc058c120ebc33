package circle

import (
	"context"
	"net/http"
)

// Comments and replies beyond creating them: reading, editing and deleting
// them through the endpoints Circle documents for each (a reply has its own
// under /comments/{comment_id}/replies), and who liked them.

// Reply returns one reply of a comment: GET /comments/{comment_id}/replies/{id}.
func (m *MemberAPI) Reply(ctx context.Context, commentID, replyID int64) (*Comment, error) {
	var out Comment
	const endpoint = "/comments/{comment_id}/replies/{id}"
	return &out, identified(m.get(ctx, endpoint, "/comments/"+id(commentID)+"/replies/"+id(replyID), nil, &out), endpoint, out.ID)
}

// CommentLikes lists the members who liked a comment or reply:
// GET /comments/{comment_id}/user_likes.
func (m *MemberAPI) CommentLikes(ctx context.Context, commentID int64, p ListParams) (*Page[Author], error) {
	var out Page[Author]
	return &out, m.get(ctx, "/comments/{comment_id}/user_likes", "/comments/"+id(commentID)+"/user_likes", p.query(), &out)
}

// UpdateComment changes a comment's body: PATCH /posts/{post_id}/comments/{id}.
// Circle wants body for a comment written with its trix editor and
// tiptap_body for a TipTap one; it answers with the comment as it now is.
func (m *MemberAPI) UpdateComment(ctx context.Context, postID, commentID int64, c NewComment) (*Comment, error) {
	var out Comment
	if err := m.write(ctx, http.MethodPatch, "/posts/{post_id}/comments/{id}", "/posts/"+id(postID)+"/comments/"+id(commentID), commentEnvelope{Comment: c}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateReply changes a reply's body: PATCH /comments/{comment_id}/replies/{id}.
func (m *MemberAPI) UpdateReply(ctx context.Context, commentID, replyID int64, c NewComment) (*Comment, error) {
	var out Comment
	if err := m.write(ctx, http.MethodPatch, "/comments/{comment_id}/replies/{id}", "/comments/"+id(commentID)+"/replies/"+id(replyID), commentEnvelope{Comment: c}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteReply deletes a reply: DELETE /comments/{comment_id}/replies/{id}.
func (m *MemberAPI) DeleteReply(ctx context.Context, commentID, replyID int64) error {
	return m.write(ctx, http.MethodDelete, "/comments/{comment_id}/replies/{id}", "/comments/"+id(commentID)+"/replies/"+id(replyID), nil, nil)
}
