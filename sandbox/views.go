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
	admin := st.isAdminLocked(viewer)
	_, member := sp.members[viewer]
	out := wireSpace{
		ID:                   sp.id,
		Name:                 sp.name,
		Slug:                 sp.slug,
		Emoji:                cloneStr(sp.emoji),
		CommunityID:          communityID,
		SpaceGroupID:         sp.groupID,
		SpaceGroupName:       sp.groupName,
		PostType:             sp.spaceType,
		SpaceType:            sp.spaceType,
		DisplayView:          "posts",
		URL:                  communityURL + "/c/" + sp.slug,
		IsPrivate:            sp.private,
		IsPostDisabled:       sp.adminsPostOnly && !admin,
		DefaultTab:           "posts",
		VisibleTabs:          wireVisibleTabs{Posts: true, Members: true},
		ShowInSpacesSegment:  true,
		RequireTopicSelected: sp.requireTopic,
		TopicsCount:          len(sp.topics),
		Policies: wireSpacePolicies{
			CanManageSpace:   admin,
			CanViewSpace:     true,
			CanLeaveSpace:    member,
			CanCreatePost:    (member && !sp.adminsPostOnly) || admin,
			CanInviteMembers: admin,
		},
	}
	if sp.cover != nil {
		signed := *sp.cover
		u := communityURL + "/rails/active_storage/blobs/" + signed + "/cover.png"
		out.CoverImage, out.CoverImageURL = &signed, &u
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

// postLocked is a post as viewer sees it: is_liked, bookmark_id,
// post_follower_id, policies and rsvp_status are the viewer's own.
func (st *store) postLocked(p *post, viewer int64) wirePost {
	sp := st.spaces[p.spaceID]
	title := p.title
	_, liked := p.likes[viewer]
	manage := st.isAdminLocked(viewer)
	own := p.authorID == viewer
	out := wirePost{
		ID:                   p.id,
		PostType:             sp.spaceType,
		SpaceType:            sp.spaceType,
		Status:               "published",
		Name:                 &title,
		DisplayTitle:         p.title,
		Slug:                 p.slug,
		CoverImage:           cloneStr(p.cover),
		CardviewImage:        cloneStr(p.cover),
		URL:                  communityURL + "/c/" + sp.slug + "/" + p.slug,
		Editor:               editor(p.tiptap),
		Body:                 newWireBody(p.html),
		TiptapBody:           p.tiptap,
		BodyPlainText:        p.text,
		IsCommentsEnabled:    !p.commentsDisabled,
		IsLikingEnabled:      !p.likingDisabled,
		IsPinnedAtTopOfSpace: p.pinned,
		IsLiked:              liked,
		UserLikesCount:       len(p.likes),
		CommentCount:         st.commentCountLocked(p),
		CreatedAt:            wireTime(p.createdAt),
		UpdatedAt:            wireTime(p.updatedAt),
		Space:                wireSpaceRef{ID: sp.id, Name: sp.name, Slug: sp.slug, Emoji: cloneStr(sp.emoji)},
		Author:               st.authorLocked(p.authorID),
		BookmarkID:           st.bookmarkOfLocked(viewer, bookmarkPost, p.id),
		Topics:               st.topicsLocked(sp, p.topicIDs),
		Policies: wirePostPolicies{
			CanDestroyPost: own || manage, CanDuplicatePost: manage, CanManagePost: manage,
			CanReportPost: !own, CanUpdatePost: own || manage,
		},
	}
	if p.title == "" {
		out.Name, out.DisplayTitle = nil, displayTitle(p)
	}
	if fid, ok := p.followers[viewer]; ok {
		out.PostFollowerID = &fid
	}
	if g := p.gallery; g != nil {
		wg := &wireGallery{ID: g.id, DownloadableImages: g.downloadable, Images: make([]wireGalleryImage, len(g.images))}
		for i, img := range g.images {
			wg.Images[i] = wireGalleryImage{
				ID: img.id, SignedID: img.signedID, Filename: img.filename, Width: img.width, Height: img.height,
				OriginalURL: communityURL + "/rails/active_storage/blobs/" + img.signedID + "/" + img.filename,
				URL:         communityURL + "/rails/active_storage/representations/" + img.signedID + "/" + img.filename,
			}
			if img.url != "" {
				wg.Images[i].OriginalURL, wg.Images[i].URL = img.url, img.url
			}
		}
		out.wireImagePart = &wireImagePart{Gallery: wg}
	}
	if ev := p.event; ev != nil {
		part := &wireEventPart{
			EventType: "single",
			EventSettings: wireEventSettings{
				StartsAt:           wireTime(ev.startsAt),
				EndsAt:             wireTime(ev.endsAt),
				DurationInSeconds:  int(ev.endsAt.Sub(ev.startsAt).Seconds()),
				LocationType:       ev.locationType,
				InPersonLocation:   cloneStr(ev.inPerson),
				VirtualLocationURL: ev.virtualURL,
				RsvpDisabled:       ev.rsvpDisabled,
				HideAttendees:      ev.hideAttendees,
			},
		}
		if ev.rsvpLimit != nil {
			limit := *ev.rsvpLimit
			part.EventSettings.RsvpLimit = &limit
		}
		for _, a := range ev.attendees {
			if a.status == rsvpYes {
				part.EventSettings.RsvpCount++
			}
			if a.memberID == viewer {
				status := a.status
				part.RsvpStatus, part.RsvpedEvent = &status, a.status == rsvpYes
			}
		}
		if se := ev.series; se != nil {
			part.EventType = "recurring"
			part.RecurringSetting = &wireRecurrenceSet{Frequency: se.frequency, Occurrences: len(se.occurrences), RangeType: "occurrences", EndsAt: wireTime(seriesEnds(se))}
		}
		out.wireEventPart = part
	}
	return out
}

// displayTitle is a post's title, or for an untitled one (an image post)
// the start of its text, as Circle's display_title.
func displayTitle(p *post) string {
	if p.title != "" {
		return p.title
	}
	return firstWords(p.text)
}

// firstWords is the start of a text, for titles made from it.
func firstWords(text string) string {
	const max = 60
	r := []rune(text)
	if len(r) <= max {
		return text
	}
	return string(r[:max])
}

// topicsLocked renders the topics of sp named by ids, in the space's order.
func (st *store) topicsLocked(sp *space, ids []int64) []wireTopic {
	out := []wireTopic{}
	for _, t := range sp.topics {
		if slices.Contains(ids, t.id) {
			out = append(out, wireTopic{ID: t.id, Name: t.name, AdminOnly: t.adminOnly})
		}
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
// embed all their replies when withReplies is set (comment lists and the
// single-comment answer do; reply lists do not nest).
func (st *store) commentLocked(c *comment, viewer int64, withReplies bool) wireComment {
	p := st.posts[c.postID]
	_, liked := c.likes[viewer]
	own, manage := c.authorID == viewer, st.isAdminLocked(viewer)
	out := wireComment{
		ID:                c.id,
		UserID:            st.members[c.authorID].userID,
		CommunityMemberID: c.authorID,
		PostID:            c.postID,
		SpaceID:           p.spaceID,
		PostName:          p.title,
		Editor:            editor(c.tiptap),
		Body:              newWireBody(c.html),
		TiptapBody:        c.tiptap,
		BodyText:          c.text,
		UserLikesCount:    len(c.likes),
		IsLiked:           liked,
		RepliesCount:      len(c.replies),
		CreatedAt:         wireTime(c.createdAt),
		UpdatedAt:         wireTime(c.updatedAt),
		RemovedAt:         wireTime(c.removedAt),
		Author:            st.authorLocked(c.authorID),
		BookmarkID:        st.bookmarkOfLocked(viewer, bookmarkComment, c.id),
		Policies:          wireCommentPolicies{CanBookmark: true, CanDestroy: own || manage, CanEdit: own, CanManage: manage, CanReport: !own},
	}
	if c.parentID != 0 {
		parent := c.parentID
		out.ParentCommentID = &parent
	}
	if withReplies && c.parentID == 0 {
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
