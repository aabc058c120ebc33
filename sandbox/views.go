package sandbox

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"
)

// The sandbox's records as Circle's JSON shapes (the wire types of
// wire.go), seen by one member. Every function here runs under the store's
// read lock and copies what it returns, so the result can be encoded after
// the lock is released.

const (
	// communityID is the id of the sandbox's only community.
	communityID = 1
	// communityURL is where the demo community would live; it only builds
	// the informational url fields (example.com never resolves to a real site).
	communityURL = "https://sandbox-community.example.com"
)

func ts(t time.Time) wireTime { return wireTime(t) }

// cloneStr copies a nullable string so that a response never aliases a record.
func cloneStr(s *string) *string {
	if s == nil {
		return nil
	}
	v := *s
	return &v
}

func roles(m *member) wireRoles { return wireRoles{Admin: m.admin, Moderator: m.moderator} }

// authorLocked is the shared_community_member embedded in posts and
// comments: "id" is the user id, "community_member_id" the member id.
func (st *store) authorLocked(memberID int64) wireAuthor {
	a := st.likerLocked(memberID)
	a.ID = st.members[memberID].userID
	return a
}

// likerLocked is a record of a post's user_likes: a shared_community_member
// without the user id, as in Circle's example.
func (st *store) likerLocked(memberID int64) wireAuthor {
	m := st.members[memberID]
	r := roles(m)
	return wireAuthor{
		CommunityMemberID: m.id,
		Name:              m.name,
		Headline:          m.headline,
		AvatarURL:         cloneStr(m.avatarURL),
		Roles:             &r,
	}
}

// spaceLocked is a space as GET /spaces and GET /spaces/{id} show it to viewer.
func (st *store) spaceLocked(sp *space, viewer int64) wireSpace {
	out := wireSpace{
		ID:                  sp.id,
		Name:                sp.name,
		Slug:                sp.slug,
		Emoji:               cloneStr(sp.emoji),
		CommunityID:         communityID,
		SpaceGroupID:        sp.groupID,
		SpaceGroupName:      sp.groupName,
		PostType:            sp.spaceType,
		SpaceType:           sp.spaceType,
		DisplayView:         "posts",
		URL:                 communityURL + "/c/" + sp.slug,
		IsPrivate:           sp.private,
		IsPostDisabled:      sp.adminsPostOnly && !st.isAdminLocked(viewer),
		ShowInSpacesSegment: true,
	}
	if smID, ok := sp.members[viewer]; ok {
		out.IsMember = true
		out.SpaceMemberID = &smID
	}
	return out
}

// isAdminLocked reports whether a member is an admin (false for unknown ids).
func (st *store) isAdminLocked(memberID int64) bool {
	m, ok := st.members[memberID]
	return ok && m.admin
}

// countsLocked returns how many posts and comments a member wrote and how
// many spaces they belong to, for profiles.
func (st *store) countsLocked(memberID int64) (posts, comments, spaces int) {
	for _, p := range st.posts {
		if p.authorID == memberID {
			posts++
		}
	}
	for _, c := range st.comments {
		if c.authorID == memberID {
			comments++
		}
	}
	for _, sp := range st.spaces {
		if _, ok := sp.members[memberID]; ok {
			spaces++
		}
	}
	return posts, comments, spaces
}

// postLocked is a post as viewer sees it: is_liked and rsvp_status are the
// viewer's own.
func (st *store) postLocked(p *post, viewer int64) wirePost {
	sp := st.spaces[p.spaceID]
	title := p.title
	_, liked := p.likes[viewer]
	out := wirePost{
		ID:                   p.id,
		PostType:             sp.spaceType,
		SpaceType:            sp.spaceType,
		Status:               "published",
		Name:                 &title,
		DisplayTitle:         p.title,
		Slug:                 p.slug,
		URL:                  communityURL + "/c/" + sp.slug + "/" + p.slug,
		Editor:               editor(p.tiptap),
		Body:                 &wireBody{HTML: p.html},
		TiptapBody:           p.tiptap,
		BodyPlainText:        p.text,
		IsCommentsEnabled:    !p.commentsDisabled,
		IsLikingEnabled:      !p.likingDisabled,
		IsPinnedAtTopOfSpace: p.pinned,
		IsLiked:              liked,
		UserLikesCount:       len(p.likes),
		CommentCount:         st.commentCountLocked(p),
		CreatedAt:            ts(p.createdAt),
		UpdatedAt:            ts(p.updatedAt),
		Space:                wireSpaceRef{ID: sp.id, Name: sp.name, Slug: sp.slug, Emoji: cloneStr(sp.emoji)},
		Author:               st.authorLocked(p.authorID),
	}
	if ev := p.event; ev != nil {
		settings := &wireEventSettings{
			StartsAt:           ts(ev.startsAt),
			EndsAt:             ts(ev.endsAt),
			DurationInSeconds:  int(ev.endsAt.Sub(ev.startsAt).Seconds()),
			LocationType:       ev.locationType,
			InPersonLocation:   cloneStr(ev.inPerson),
			VirtualLocationURL: ev.virtualURL,
		}
		if ev.rsvpLimit != nil {
			limit := *ev.rsvpLimit
			settings.RsvpLimit = &limit
		}
		for _, a := range ev.attendees {
			if a.status == rsvpYes {
				settings.RsvpCount++
			}
			if a.memberID == viewer {
				status := a.status
				out.RsvpStatus, out.RsvpedEvent = &status, a.status == rsvpYes
			}
		}
		out.EventSettings = settings
	}
	return out
}

// postTypeEvent is the post_type (and space_type) of event posts.
const postTypeEvent = "event"

// rsvpYes is the RSVP status that counts towards rsvp_count.
const rsvpYes = "yes"

func editor(tiptap json.RawMessage) string {
	if tiptap == nil {
		return "trix"
	}
	return "tiptap"
}

// commentLocked is a comment or reply as viewer sees it. Top-level comments
// embed their replies when withReplies is set (comment lists and the
// single-comment answer do; reply lists do not nest).
func (st *store) commentLocked(c *comment, viewer int64, withReplies bool) wireComment {
	p := st.posts[c.postID]
	_, liked := c.likes[viewer]
	out := wireComment{
		ID:                c.id,
		UserID:            st.members[c.authorID].userID,
		CommunityMemberID: c.authorID,
		PostID:            c.postID,
		SpaceID:           p.spaceID,
		PostName:          p.title,
		Editor:            editor(c.tiptap),
		Body:              &wireBody{HTML: c.html},
		TiptapBody:        c.tiptap,
		BodyText:          c.text,
		UserLikesCount:    len(c.likes),
		IsLiked:           liked,
		RepliesCount:      len(c.replies),
		CreatedAt:         ts(c.createdAt),
		UpdatedAt:         ts(c.updatedAt),
		Author:            st.authorLocked(c.authorID),
	}
	if c.parentID != 0 {
		parent := c.parentID
		out.ParentCommentID = &parent
	}
	if withReplies && len(c.replies) > 0 {
		out.Replies = make([]wireComment, 0, len(c.replies))
		for _, id := range c.replies {
			out.Replies = append(out.Replies, st.commentLocked(st.comments[id], viewer, false))
		}
	}
	return out
}

// attendeeLocked is a record of GET /events/{event_id}/event_attendees.
func (st *store) attendeeLocked(a attendee) wireAttendee {
	m := st.members[a.memberID]
	return wireAttendee{
		ID:                a.id,
		CommunityMemberID: m.id,
		ContactID:         m.id,
		ContactType:       "CommunityMember",
		Name:              m.name,
		AvatarURL:         cloneStr(m.avatarURL),
		RsvpDate:          ts(a.at),
		RsvpStatus:        a.status,
	}
}

// likersLocked lists who liked something, most recent like first.
func likersLocked(likes map[int64]time.Time) []int64 {
	ids := make([]int64, 0, len(likes))
	for id := range likes {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b int64) int {
		if c := likes[b].Compare(likes[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return ids
}
