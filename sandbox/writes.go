package sandbox

import (
	"encoding/json"
	"net/http"
)

// The Member API's writes (/api/headless/v1/…), on behalf of the member
// whose access token the request carries. Success bodies and statuses are
// Circle's documented ones: the post, comment, attendee or space as the
// member now sees it, or {"success": true, "message": …}.

// Messages of the write failures. Circle's OpenAPI document has no example
// of a 403 or 422 and shows a 400 only for comment and reply updates
// ("Failed to update comment!", error_details {"body": ["can't be blank"]}),
// so these follow the documented ones' wording and shape.
const (
	msgForbidden        = "You are not authorized to perform this action."
	msgCommentFailed    = "Failed to create comment!"
	msgReplyFailed      = "Failed to create reply!"
	msgCommentsDisabled = "Comments are disabled for this post."
	msgLikingDisabled   = "Liking is disabled for this post."
	msgEventFull        = "This event is full."
	msgEventSpacePost   = "Posts in an event space must be events."
	msgImageSpacePost   = "Posts in an image space must be image posts."
	msgTopicRequired    = "Topics can't be blank"
	msgTopicInvalid     = "Topics is invalid"
)

// Success messages, word for word from the OpenAPI document's examples.
const (
	msgPostDeleted    = "Post deleted"
	msgCommentDeleted = "This comment has been removed from the post."
	msgPostLiked      = "Post has been liked"
	msgPostUnliked    = "Post has been unliked"
	msgCommentLiked   = "Comment has been liked"
	msgCommentUnliked = "Comment has been unliked"
)

// forbidden is the answer to a member who may not do what they asked (post
// in a space they do not belong to, delete someone else's post).
func forbidden() *apiError {
	return &apiError{status: http.StatusForbidden, message: msgForbidden}
}

// invalid is a 422 for a record that fails validation, with Rails-style
// field errors in error_details.
func invalid(message string, fields map[string][]string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, message: message, fields: fields}
}

// done is the {"success": true, "message": …} answer of likes and deletes.
type done struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
}

// answerDone writes done with message, or err in Circle's error shape.
func answerDone(w http.ResponseWriter, message string, err error) {
	answer(w, done{Success: true, Message: message}, err)
}

// answerCreated writes v with 201 Created, or err in Circle's error shape.
func answerCreated[T any](w http.ResponseWriter, v T, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

// commentRequest is the body of the comment and reply endpoints.
type commentRequest struct {
	Comment struct {
		Body       string          `json:"body"`
		TiptapBody json.RawMessage `json:"tiptap_body"`
	} `json:"comment"`
}

func (c commentRequest) draft() draft {
	return draft{body: c.Comment.Body, tiptap: c.Comment.TiptapBody}
}

func (s *Sandbox) createPost(w http.ResponseWriter, r *http.Request, viewer int64) {
	var body struct {
		Name              string          `json:"name"`
		Slug              string          `json:"slug"`
		Body              string          `json:"body"`
		TiptapBody        json.RawMessage `json:"tiptap_body"`
		IsCommentsEnabled *bool           `json:"is_comments_enabled"`
		IsLikingEnabled   *bool           `json:"is_liking_enabled"`
		Topics            []int64         `json:"topics"`
		CoverImage        string          `json:"cover_image"`
	}
	if err := decodeBodyLimit(w, r, &body, maxWriteBodyBytes); err != nil {
		writeError(w, err)
		return
	}
	p, err := s.store.createPost(viewer, r.PathValue("space_id"), postDraft{
		draft:           draft{body: body.Body, tiptap: body.TiptapBody},
		name:            body.Name,
		slug:            body.Slug,
		commentsEnabled: body.IsCommentsEnabled,
		likingEnabled:   body.IsLikingEnabled,
		topics:          body.Topics,
		cover:           body.CoverImage,
	}, s.now())
	answer(w, p, err)
}

func (s *Sandbox) deletePost(w http.ResponseWriter, r *http.Request, viewer int64) {
	err := s.store.deletePost(viewer, r.PathValue("space_id"), r.PathValue("id"))
	answerDone(w, msgPostDeleted, err)
}

func (s *Sandbox) createComment(w http.ResponseWriter, r *http.Request, viewer int64) {
	s.writeComment(w, r, "post_id", "post", func(postID int64, d draft) (wireComment, error) {
		c, err := s.store.createComment(viewer, postID, d, s.now())
		if err == nil {
			s.notifyComment(viewer, c.ID, s.now())
		}
		return c, err
	})
}

func (s *Sandbox) createReply(w http.ResponseWriter, r *http.Request, viewer int64) {
	s.writeComment(w, r, "comment_id", "comment", func(commentID int64, d draft) (wireComment, error) {
		c, err := s.store.createReply(viewer, commentID, d, s.now())
		if err == nil {
			s.notifyComment(viewer, c.ID, s.now())
		}
		return c, err
	})
}

// writeComment reads the parent id from the path and the comment wrapper
// from the body, then answers create's result with 201.
func (s *Sandbox) writeComment(w http.ResponseWriter, r *http.Request, param, what string, create func(int64, draft) (wireComment, error)) {
	parentID, err := pathID(r, param, what)
	if err != nil {
		writeError(w, err)
		return
	}
	var body commentRequest
	if err := decodeBodyLimit(w, r, &body, maxWriteBodyBytes); err != nil {
		writeError(w, err)
		return
	}
	c, err := create(parentID, body.draft())
	answerCreated(w, c, err)
}

func (s *Sandbox) deleteComment(w http.ResponseWriter, r *http.Request, viewer int64) {
	postID, err := pathID(r, "post_id", "post")
	if err != nil {
		writeError(w, err)
		return
	}
	commentID, err := pathID(r, "id", "comment")
	if err != nil {
		writeError(w, err)
		return
	}
	answerDone(w, msgCommentDeleted, s.store.deleteComment(viewer, postID, commentID))
}

func (s *Sandbox) likePost(w http.ResponseWriter, r *http.Request, viewer int64) {
	postID, err := pathID(r, "post_id", "post")
	if err == nil {
		err = s.store.likePostAs(viewer, postID, s.now())
	}
	answerDone(w, msgPostLiked, err)
}

func (s *Sandbox) unlikePost(w http.ResponseWriter, r *http.Request, viewer int64) {
	postID, err := pathID(r, "post_id", "post")
	if err == nil {
		err = s.store.unlikePostAs(viewer, postID)
	}
	answerDone(w, msgPostUnliked, err)
}

func (s *Sandbox) likeComment(w http.ResponseWriter, r *http.Request, viewer int64) {
	commentID, err := pathID(r, "comment_id", "comment")
	if err == nil {
		err = s.store.likeCommentAs(viewer, commentID, s.now())
	}
	answerDone(w, msgCommentLiked, err)
}

func (s *Sandbox) unlikeComment(w http.ResponseWriter, r *http.Request, viewer int64) {
	commentID, err := pathID(r, "comment_id", "comment")
	if err == nil {
		err = s.store.unlikeCommentAs(viewer, commentID)
	}
	answerDone(w, msgCommentUnliked, err)
}

func (s *Sandbox) rsvp(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "event_id", "event", func(eventID int64) (any, error) {
		return s.store.attend(viewer, eventID, s.now())
	})
}

func (s *Sandbox) cancelRSVP(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "event_id", "event", func(eventID int64) (any, error) {
		return s.store.unattend(viewer, eventID, s.now())
	})
}

func (s *Sandbox) joinSpace(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "id", "space", func(spaceID int64) (any, error) {
		return s.store.joinSpace(viewer, spaceID)
	})
}

func (s *Sandbox) leaveSpace(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "id", "space", func(spaceID int64) (any, error) {
		return s.store.leaveSpace(viewer, spaceID)
	})
}
