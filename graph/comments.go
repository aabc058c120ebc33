package graph

import (
	"context"
	"errors"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
	"github.com/circle-gateway/gateway/internal/argcheck"
	"github.com/circle-gateway/gateway/loaders"
	"github.com/circle-gateway/gateway/relay"
)

// Comment and reply edits, a reply read on its own, and a recurring
// event's dates and their RSVPs.

// editFields maps the fields Circle's edit refusals blame (a 400 "Failed to
// update comment!" with error_details.body) to updateComment's and
// updateReply's arguments.
var editFields = fieldPaths{
	"body":        {"body"},
	"tiptap_body": {"tiptapBody"},
}

// rsvpDatesFields maps the field Circle's series RSVP refusal blames to
// rsvpEventDates' argument.
var rsvpDatesFields = fieldPaths{"event_ids": {"dateIds"}}

// maxEventDates bounds rsvpEventDates' dateIds: a series' dates are listed
// 100 to a page, and each id is one JSON number of the request.
const maxEventDates = 100

// commentEdit checks an edit's content, sends it once (edit is
// MemberAPI.UpdateComment or UpdateReply) and answers with the comment
// Circle's edit returned; an answer without the keys a comment's relations
// need (its post and space) is completed by reread.
func commentEdit(ctx context.Context, body *string, tiptap model.JSON,
	edit func(*circle.MemberAPI, circle.NewComment) (*circle.Comment, error),
	reread func(*loaders.Loaders) *model.Comment) (*model.CommentPayload, error) {
	if err := signedIn(ctx); err != nil {
		return nil, err
	}
	content, problems := newComment(body, tiptap)
	if problems != nil {
		return &model.CommentPayload{UserErrors: problems}, nil
	}
	l, c, err := write(ctx, func(api *circle.MemberAPI) (*circle.Comment, error) { return edit(api, content) })
	if problems, err := writeFailed(err, editFields); problems != nil || err != nil {
		return &model.CommentPayload{UserErrors: problems}, err
	}
	if c == nil || c.ID == 0 || c.PostID == 0 || c.SpaceID == 0 {
		return &model.CommentPayload{Comment: reread(l), UserErrors: noUserErrors()}, nil
	}
	return &model.CommentPayload{Comment: model.CommentFrom(c), UserErrors: noUserErrors()}, nil
}

// replyOf completes a reply read through its parent's endpoint with the
// parent it was read through, when Circle's record leaves it out (the
// document's example of GET /comments/{comment_id}/replies/{id} does).
func replyOf(parent int64, r *circle.Comment) *circle.Comment {
	if r != nil && (r.ParentCommentID == nil || *r.ParentCommentID == 0) {
		r.ParentCommentID = &parent
	}
	return r
}

// reply reads one reply of a comment: GET /comments/{comment_id}/replies/{id}.
// A record naming another parent is not a reply of this comment.
func reply(ctx context.Context, api *circle.MemberAPI, commentID, replyID int64) (*circle.Comment, error) {
	r, err := api.Reply(ctx, commentID, replyID)
	if err != nil {
		return nil, err
	}
	if r.ParentCommentID != nil && *r.ParentCommentID != 0 && *r.ParentCommentID != commentID {
		return nil, circle.NotFound("GET /comments/{comment_id}/replies/{id}", "reply "+model.FormatID(replyID)+" of comment "+model.FormatID(commentID))
	}
	return replyOf(commentID, r), nil
}

// rereadReply loads a reply after a write, through its parent's endpoint.
func rereadReply(ctx context.Context, l *loaders.Loaders, commentID, replyID int64) *model.Comment {
	return reread(ctx, "the reply", func() (*model.Comment, error) {
		r, err := reply(ctx, l.API, commentID, replyID)
		if err != nil {
			return nil, err
		}
		return model.CommentFrom(r), nil
	})
}

// eventDateIDs checks rsvpEventDates' dateIds: ids, at most maxEventDates,
// repeats counted once. None is a valid answer (going to no date), sent as
// an empty list.
func eventDateIDs(ids []string) ([]int64, error) {
	out, err := argcheck.IDs("dateIds", ids, maxEventDates)
	if err != nil {
		return nil, badInput("%v", err)
	}
	if out == nil {
		out = []int64{}
	}
	return out, nil
}

// eventDateConnection builds a page of a series' dates.
func eventDateConnection(_ context.Context, res relay.Result[circle.RecurringEvent]) *model.EventDateConnection {
	c := &model.EventDateConnection{}
	c.Edges, c.Nodes, c.PageInfo, c.TotalCount = connection(res, model.EventDateFrom,
		func(cursor string, n *model.EventDate) *model.EventDateEdge {
			return &model.EventDateEdge{Cursor: cursor, Node: n}
		})
	return c
}

// errNoEventSpace refuses a series read for an event whose record names no
// space (the series' endpoints are under the space).
var errNoEventSpace = errors.New("event dates: Circle's record of the event names no space")

// message is Circle's confirmation, nil when it sent none.
func message(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
