package circledouble

import (
	"encoding/json"
	"html"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Comment and reply edits, a reply read on its own, who liked a comment,
// and the dates of a recurring event with their RSVPs.

// Date is one date of a recurring event's series (Circle's
// recurring_event), with the members going to it.
type Date struct {
	ID           int64
	Starts, Ends time.Time
	Limit        *int
	Going        map[int64]bool
}

// Date0 is where the double's series dates start: date k of post 27's
// series is Date0 + k.
const Date0 int64 = 68_000_000

// edit rewrites a comment or reply written by the viewer from Circle's
// request body; failed is Circle's message for a body without text.
func (c *call) edit(cm *Comment, failed string) {
	text, tiptap, ok := c.commentBody()
	if !ok {
		return
	}
	if cm.AuthorID != c.viewer {
		c.fail(http.StatusForbidden, "You are not authorized to perform this action.")
		return
	}
	plain := html.UnescapeString(stripTags(text))
	if tiptap == nil && plain == "" {
		c.failWith(http.StatusBadRequest, failed, map[string]any{"body": []any{"can't be blank"}})
		return
	}
	cm.HTML, cm.Text, cm.Tiptap = text, plain, tiptap
	if tiptap != nil && text == "" {
		cm.HTML, cm.Text = "", "(rich text)"
	}
	cm.Updated = time.Now().UTC().Truncate(time.Millisecond)
	c.json(http.StatusOK, c.d.renderComment(cm, c.viewer, true, false))
}

func (c *call) updateComment() {
	p := c.visiblePost(c.ids[0])
	cm := c.d.Comment(c.ids[1])
	if p == nil || cm == nil || cm.PostID != p.ID {
		c.notFound("comment")
		return
	}
	c.edit(cm, "Failed to update comment!")
}

// reply finds a reply of the comment in the path, which the viewer may see.
func (c *call) reply() *Comment {
	parent, r := c.d.Comment(c.ids[0]), c.d.Comment(c.ids[1])
	if parent == nil || r == nil || r.ParentID != parent.ID || c.visiblePost(parent.PostID) == nil {
		c.notFound("comment")
		return nil
	}
	return r
}

// getReply answers GET /comments/{comment_id}/replies/{id} as the
// document's example does: the record's parent_comment_id is null.
func (c *call) getReply() {
	r := c.reply()
	if r == nil {
		return
	}
	out := c.d.renderComment(r, c.viewer, false, false)
	out["parent_comment_id"] = nil
	c.json(http.StatusOK, out)
}

func (c *call) updateReply() {
	if r := c.reply(); r != nil {
		c.edit(r, "Failed to update reply!")
	}
}

func (c *call) getCommentLikes() {
	cm := c.d.Comment(c.ids[0])
	if cm == nil || c.visiblePost(cm.PostID) == nil {
		c.notFound("comment")
		return
	}
	var likers []*Member
	for _, m := range c.d.Members {
		if cm.Likes[m.ID] {
			likers = append(likers, m)
		}
	}
	list(c, likers, func(m *Member) any { return c.d.renderLiker(m) }, nil)
}

// series finds the recurring event of the path, in the path's space.
func (c *call) series() *Post {
	p := c.visiblePost(c.ids[1])
	if p == nil || p.SpaceID != c.ids[0] || p.Event == nil {
		c.notFound("event")
		return nil
	}
	if p.Event.Dates == nil {
		c.notFound("recurring_event")
		return nil
	}
	return p
}

func (c *call) getDates() {
	p := c.series()
	if p == nil {
		return
	}
	list(c, p.Event.Dates, func(dt *Date) any {
		var limit any
		if dt.Limit != nil {
			limit = *dt.Limit
		}
		return map[string]any{"id": dt.ID, "name": p.DisplayTitle, "starts_at": TS(dt.Starts), "ends_at": TS(dt.Ends),
			"start_date": dt.Starts.Format("Mon, Jan _2 2006"), "time_zone_abbreviations": "UTC", "time_zone": "Etc/UTC",
			"rsvped_event": dt.Going[c.viewer], "rsvp_limit": limit, "rsvp_count": len(dt.Going)}
	}, map[string]any{"meta": map[string]any{}})
}

// rsvpDates makes the viewer go to exactly the dates of the body's
// event_ids; a date of another series, or a full one the viewer was not
// going to, is refused and nothing changes.
func (c *call) rsvpDates() {
	p := c.series()
	if p == nil {
		return
	}
	c.d.Bodies = append(c.d.Bodies, string(c.body))
	var body map[string]json.RawMessage
	var ids []int64
	if json.Unmarshal(c.body, &body) != nil || len(body) != 1 || body["event_ids"] == nil || json.Unmarshal(body["event_ids"], &ids) != nil || ids == nil {
		c.d.violate("%s: body %s is not Circle's {\"event_ids\": [...]}", c.what, c.body)
		c.fail(http.StatusBadRequest, "Bad request")
		return
	}
	for i, id := range ids {
		if slices.Contains(ids[:i], id) {
			c.d.violate("%s: date %d sent twice", c.what, id)
		}
		j := slices.IndexFunc(p.Event.Dates, func(dt *Date) bool { return dt.ID == id })
		if j < 0 {
			c.failWith(http.StatusUnprocessableEntity, "Event ids is invalid", map[string]any{"event_ids": []any{"is invalid"}})
			return
		}
		if dt := p.Event.Dates[j]; !dt.Going[c.viewer] && dt.Limit != nil && len(dt.Going) >= *dt.Limit {
			c.fail(http.StatusUnprocessableEntity, "This event is full.")
			return
		}
	}
	for _, dt := range p.Event.Dates {
		if slices.Contains(ids, dt.ID) {
			dt.Going[c.viewer] = true
		} else {
			delete(dt.Going, c.viewer)
		}
	}
	c.json(http.StatusOK, map[string]any{"message": "You’ve RSVP’d to " + strconv.Itoa(len(ids)) + " events. We’ll send you a reminder before an event starts."})
}
