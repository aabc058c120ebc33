package model

import (
	"time"

	"github.com/circle-gateway/gateway/circle"
)

// The parts of posts, comments, spaces and events that Circle sends in the
// record itself (galleries, topics, policies, the member's own bookmark and
// following), answered from it with no upstream call.

// Topic is a topic of a space.
type Topic struct {
	ID        string
	Name      string
	AdminOnly bool
}

// TopicFrom wraps a Circle topic.
func TopicFrom(t *circle.Topic) *Topic {
	return &Topic{ID: FormatID(t.ID), Name: t.Name, AdminOnly: t.AdminOnly}
}

func topicsFrom(ts []circle.Topic) []*Topic {
	out := make([]*Topic, len(ts))
	for i := range ts {
		out[i] = TopicFrom(&ts[i])
	}
	return out
}

// Gallery is the images of an image post.
type Gallery struct {
	ID                 string
	DownloadableImages bool
	Images             []*GalleryImage
}

// GalleryImage is one image of a gallery.
type GalleryImage struct {
	ID          string
	URL         string
	OriginalURL *string
	SignedID    *string
	Filename    *string
	Width       *int
	Height      *int
}

// PostPolicies is what the member may do with a post.
type PostPolicies struct {
	CanDestroy, CanDuplicate, CanManage, CanReport, CanUpdate bool
}

// CommentPolicies is what the member may do with a comment.
type CommentPolicies struct {
	CanBookmark, CanDestroy, CanEdit, CanManage, CanReport bool
}

// SpacePolicies is what the member may do in a space.
type SpacePolicies struct {
	CanManage, CanView, CanLeave, CanCreatePost, CanInviteMembers bool
}

// SpaceVisibleTabs is which tabs of a space Circle shows.
type SpaceVisibleTabs struct {
	Posts, Members bool
}

// EventRecurrence is how a recurring event repeats.
type EventRecurrence struct {
	Frequency   *string
	EndsAt      *time.Time
	Occurrences *int
	RangeType   *string
}

func idOrNil(id *int64) *string {
	if id == nil || *id == 0 {
		return nil
	}
	s := FormatID(*id)
	return &s
}

// Status maps Circle's status; one the schema does not name is null.
func (p *Post) Status() *PostStatus {
	v := PostStatus(upper(p.p.Status))
	if !v.IsValid() {
		return nil
	}
	return &v
}

// CoverImageURL is the post's cover image.
func (p *Post) CoverImageURL() *string { return nonEmptyPtr(p.p.CoverImage) }

// CardViewImageURL is the post's card-view thumbnail.
func (p *Post) CardViewImageURL() *string { return nonEmptyPtr(p.p.CardviewImage) }

// Attachments is the body's attachments_array, passed through; nil when
// the body has none.
func (p *Post) Attachments() JSON {
	if p.p.Body == nil {
		return nil
	}
	raw := jsonOrNil(p.p.Body.AttachmentsArray)
	if string(raw) == "[]" {
		return nil
	}
	return raw
}

// Gallery is the image post's gallery, nil when Circle sent none.
func (p *Post) Gallery() *Gallery {
	g := p.p.Gallery
	if g == nil {
		return nil
	}
	out := &Gallery{ID: FormatID(g.ID), DownloadableImages: g.DownloadableImages, Images: make([]*GalleryImage, len(g.Images))}
	for i, img := range g.Images {
		out.Images[i] = &GalleryImage{
			ID: FormatID(img.ID), URL: img.URL, OriginalURL: nonEmpty(img.OriginalURL),
			SignedID: nonEmpty(img.SignedID), Filename: nonEmpty(img.Filename), Width: img.Width, Height: img.Height,
		}
	}
	return out
}

// Topics are the post's topics.
func (p *Post) Topics() []*Topic { return topicsFrom(p.p.Topics) }

// IsCommentsEnabled reports whether members may comment.
func (p *Post) IsCommentsEnabled() bool { return p.p.IsCommentsEnabled }

// IsCommentsClosed reports whether the comments are closed.
func (p *Post) IsCommentsClosed() bool { return p.p.IsCommentsClosed }

// IsLikingEnabled reports whether members may like the post.
func (p *Post) IsLikingEnabled() bool { return p.p.IsLikingEnabled }

// Policies is what the member may do with the post.
func (p *Post) Policies() *PostPolicies {
	pp := p.p.Policies
	if pp == nil {
		return nil
	}
	return &PostPolicies{CanDestroy: pp.CanDestroyPost, CanDuplicate: pp.CanDuplicatePost, CanManage: pp.CanManagePost, CanReport: pp.CanReportPost, CanUpdate: pp.CanUpdatePost}
}

// BookmarkID is the member's bookmark of the post.
func (p *Post) BookmarkID() *string { return idOrNil(p.p.BookmarkID) }

// IsBookmarked reports whether the member bookmarked the post.
func (p *Post) IsBookmarked() bool { return p.BookmarkID() != nil }

// FollowerID is the member's following of the post.
func (p *Post) FollowerID() *string { return idOrNil(p.p.PostFollowerID) }

// IsFollowing reports whether the member follows the post.
func (p *Post) IsFollowing() bool { return p.FollowerID() != nil }

// RemovedAt is when the comment was removed.
func (c *Comment) RemovedAt() *time.Time { return c.c.RemovedAt.Ptr() }

// IsRemoved reports whether the comment was removed.
func (c *Comment) IsRemoved() bool { return !c.c.RemovedAt.IsZero() }

// Policies is what the member may do with the comment.
func (c *Comment) Policies() *CommentPolicies {
	cp := c.c.Policies
	if cp == nil {
		return nil
	}
	return &CommentPolicies{CanBookmark: cp.CanBookmark, CanDestroy: cp.CanDestroy, CanEdit: cp.CanEdit, CanManage: cp.CanManage, CanReport: cp.CanReport}
}

// BookmarkID is the member's bookmark of the comment.
func (c *Comment) BookmarkID() *string { return idOrNil(c.c.BookmarkID) }

// IsBookmarked reports whether the member bookmarked the comment.
func (c *Comment) IsBookmarked() bool { return c.BookmarkID() != nil }

// EmbeddedReplies returns the replies Circle embedded in the comment when
// they are all of them (as many as replies_count says), so that a page of
// replies can be cut from them; ok is false when some are missing and the
// replies must be fetched. A comment without replies has them all.
func (c *Comment) EmbeddedReplies() (replies []circle.Comment, ok bool) {
	if c.c.RepliesCount == 0 {
		return nil, true
	}
	if len(c.c.Replies) != c.c.RepliesCount {
		return nil, false
	}
	return c.c.Replies, true
}

// EventType is Circle's event type.
func (e *Event) EventType() *string { return nonEmpty(e.post.EventType) }

// IsRecurring reports whether the event belongs to a recurring series.
func (e *Event) IsRecurring() bool {
	return e.post.EventType == "recurring" || e.post.RecurringSetting != nil
}

// Recurrence is how the series repeats; nil for a single event.
func (e *Event) Recurrence() *EventRecurrence {
	r := e.post.RecurringSetting
	if r == nil {
		return nil
	}
	return &EventRecurrence{Frequency: nonEmpty(r.Frequency), EndsAt: r.EndsAt.Ptr(), Occurrences: r.Occurrences, RangeType: nonEmpty(r.RangeType)}
}

// DurationSeconds is the event's length, nil when unknown.
func (e *Event) DurationSeconds() *int {
	d := e.settings().DurationInSeconds
	if d <= 0 {
		return nil
	}
	return &d
}

// RsvpDisabled reports whether RSVPs are off.
func (e *Event) RsvpDisabled() bool { return e.settings().RsvpDisabled }

// HideAttendees reports whether the attendee list is hidden.
func (e *Event) HideAttendees() bool { return e.settings().HideAttendees }

// HideLocationFromNonAttendees reports whether only attendees see the place.
func (e *Event) HideLocationFromNonAttendees() bool { return e.settings().HideLocationFromGuest }

// SpaceID is the event post's space, for the series' endpoints.
func (e *Event) SpaceID() int64 { return e.post.Space.ID }

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// EventDateFrom turns a date of a recurring series into its model.
func EventDateFrom(e *circle.RecurringEvent) *EventDate {
	out := &EventDate{ID: FormatID(e.ID), Name: e.Name, StartsAt: e.StartsAt.Time, EndsAt: e.EndsAt.Ptr(),
		TimeZone: nonEmpty(e.TimeZone), TimeZoneAbbreviation: nonEmpty(e.TimeZoneAbbreviation),
		IsGoing: e.RsvpedEvent, RsvpCount: e.RsvpCount}
	if e.RsvpLimit != nil {
		limit := *e.RsvpLimit
		out.RsvpLimit = &limit
	}
	return out
}
