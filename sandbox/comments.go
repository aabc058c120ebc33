package sandbox

import (
	"net/http"
	"time"
)

// Comments and replies beyond creating them: a reply read, edited or
// deleted through /comments/{comment_id}/replies/{id}, a comment edited
// through /posts/{post_id}/comments/{id}, and who liked a comment.

// Messages of the edit and delete endpoints, word for word from the
// document's examples.
const (
	msgCommentUpdateFailed = "Failed to update comment!"
	msgReplyUpdateFailed   = "Failed to update reply!"
	msgReplyDeleted        = "This reply has been removed from the comment."
)

// replyLocked finds a reply of a comment viewer can see; both must exist
// and the reply must belong to the comment.
func (st *store) replyLocked(viewer, commentID, replyID int64) (*comment, error) {
	parent, ok := st.visibleCommentLocked(commentID, viewer)
	if !ok {
		return nil, notFound("comment")
	}
	r, ok := st.comments[replyID]
	if !ok || r.parentID != parent.id {
		return nil, notFound("comment")
	}
	return r, nil
}

// reply is GET /comments/{comment_id}/replies/{id}.
func (st *store) reply(viewer, commentID, replyID int64) (wireComment, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	r, err := st.replyLocked(viewer, commentID, replyID)
	if err != nil {
		return wireComment{}, err
	}
	return st.commentLocked(r, viewer, false), nil
}

// editLocked applies d to c when viewer wrote it: the author alone may edit
// (admins may delete, not rewrite). A draft without text is Circle's 400
// with failed as its message.
func (st *store) editLocked(viewer int64, c *comment, d draft, failed string, now time.Time) (wireComment, error) {
	if c.authorID != viewer {
		return wireComment{}, forbidden()
	}
	htmlBody, text, tiptap := d.render()
	if text == "" {
		return wireComment{}, &apiError{status: http.StatusBadRequest, message: failed, fields: map[string][]string{"body": {"can't be blank"}}}
	}
	c.html, c.text, c.tiptap, c.updatedAt = htmlBody, text, tiptap, now
	return st.commentLocked(c, viewer, c.parentID == 0), nil
}

// updateComment is PATCH /posts/{post_id}/comments/{id}.
func (st *store) updateComment(viewer, postID, commentID int64, d draft, now time.Time) (wireComment, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.visiblePostLocked(postID, viewer); !ok {
		return wireComment{}, notFound("post")
	}
	c, ok := st.comments[commentID]
	if !ok || c.postID != postID {
		return wireComment{}, notFound("comment")
	}
	return st.editLocked(viewer, c, d, msgCommentUpdateFailed, now)
}

// updateReply is PATCH /comments/{comment_id}/replies/{id}.
func (st *store) updateReply(viewer, commentID, replyID int64, d draft, now time.Time) (wireComment, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	r, err := st.replyLocked(viewer, commentID, replyID)
	if err != nil {
		return wireComment{}, err
	}
	return st.editLocked(viewer, r, d, msgReplyUpdateFailed, now)
}

// deleteReply is DELETE /comments/{comment_id}/replies/{id}: the author or
// an admin may delete a reply.
func (st *store) deleteReply(viewer, commentID, replyID int64) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	r, err := st.replyLocked(viewer, commentID, replyID)
	if err != nil {
		return err
	}
	return st.deleteCommentLocked(viewer, st.posts[r.postID], r)
}

// commentLikes is GET /comments/{comment_id}/user_likes: who liked the
// comment, most recent first.
func (st *store) commentLikes(viewer, commentID int64, pp pageParams) (wirePage[wireAuthor], error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	c, ok := st.visibleCommentLocked(commentID, viewer)
	if !ok {
		return wirePage[wireAuthor]{}, notFound("comment")
	}
	return pageOf(likersLocked(c.likes), pp, st.likerLocked), nil
}

func (s *Sandbox) reply(w http.ResponseWriter, r *http.Request, viewer int64) {
	s.replyCall(w, r, func(commentID, replyID int64) (any, error) { return s.store.reply(viewer, commentID, replyID) })
}

func (s *Sandbox) updateReply(w http.ResponseWriter, r *http.Request, viewer int64) {
	var body commentRequest
	if err := decodeBodyLimit(w, r, &body, maxWriteBodyBytes); err != nil {
		writeError(w, err)
		return
	}
	s.replyCall(w, r, func(commentID, replyID int64) (any, error) {
		return s.store.updateReply(viewer, commentID, replyID, body.draft(), s.now())
	})
}

func (s *Sandbox) deleteReply(w http.ResponseWriter, r *http.Request, viewer int64) {
	s.replyCall(w, r, func(commentID, replyID int64) (any, error) {
		return done{Success: true, Message: msgReplyDeleted}, s.store.deleteReply(viewer, commentID, replyID)
	})
}

// replyCall reads a reply endpoint's comment_id and id and answers fn's
// result.
func (s *Sandbox) replyCall(w http.ResponseWriter, r *http.Request, fn func(commentID, replyID int64) (any, error)) {
	commentID, err := pathID(r, "comment_id", "comment")
	if err != nil {
		writeError(w, err)
		return
	}
	byID(w, r, "id", "comment", func(replyID int64) (any, error) { return fn(commentID, replyID) })
}

func (s *Sandbox) updateComment(w http.ResponseWriter, r *http.Request, viewer int64) {
	postID, err := pathID(r, "post_id", "post")
	if err != nil {
		writeError(w, err)
		return
	}
	var body commentRequest
	if err := decodeBodyLimit(w, r, &body, maxWriteBodyBytes); err != nil {
		writeError(w, err)
		return
	}
	byID(w, r, "id", "comment", func(commentID int64) (any, error) {
		return s.store.updateComment(viewer, postID, commentID, body.draft(), s.now())
	})
}

func (s *Sandbox) commentLikes(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "comment_id", "comment", func(commentID int64) (any, error) {
		return s.store.commentLikes(viewer, commentID, pageFrom(r.URL.Query(), defaultPerPage))
	})
}
