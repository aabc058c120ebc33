package sandbox

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The store's side of the Member API's writes (their HTTP side is
// writes.go). Each takes the write lock once, checks what Circle checks (the record
// exists and viewer may see it → else 404; viewer may do this → else 403;
// the input is valid → else 400/422), applies the change and renders the
// answer before releasing the lock. Counters are derived from the records
// (len of a likes map, RSVPs with status yes), so concurrent writes can
// never leave them out of step.

// draft is the content of a new post, comment or reply.
type draft struct {
	body   string          // HTML or plain text
	tiptap json.RawMessage // tiptap_body envelope, or nil
}

// postDraft is a new post.
type postDraft struct {
	draft
	name                           string
	slug                           string
	commentsEnabled, likingEnabled *bool   // nil: enabled, the spaces' default
	topics                         []int64 // topic ids of the space
	cover                          string  // signed id of a cover image, or ""
}

// createPost is POST /spaces/{space_id}/posts: viewer must belong to the
// space (or be an admin), and the space must take posts from viewer. A
// post needs a name; its body may be empty.
func (st *store) createPost(viewer int64, spaceRef string, d postDraft, now time.Time) (wirePost, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sp, err := st.postableSpaceLocked(viewer, spaceRef)
	if err != nil {
		return wirePost{}, err
	}
	switch sp.spaceType {
	case spaceTypeEvent:
		return wirePost{}, invalid(msgEventSpacePost, map[string][]string{"space_id": {"is an event space"}})
	case spaceTypeImage:
		return wirePost{}, invalid(msgImageSpacePost, map[string][]string{"space_id": {"is an image space"}})
	}
	if strings.TrimSpace(d.name) == "" {
		return wirePost{}, invalid("Name can't be blank", map[string][]string{"name": {"can't be blank"}})
	}
	if err := st.checkTopicsLocked(viewer, sp, d.topics); err != nil {
		return wirePost{}, err
	}
	htmlBody, text, tiptap := d.render()
	title := strings.TrimSpace(d.name)
	p := post{
		spaceID: sp.id, authorID: viewer, title: title, slug: st.uniqueSlugLocked(sp.id, cmp.Or(slugify(d.slug), title)),
		html: htmlBody, text: text, tiptap: tiptap, createdAt: now, updatedAt: now,
		commentsDisabled: d.commentsEnabled != nil && !*d.commentsEnabled,
		likingDisabled:   d.likingEnabled != nil && !*d.likingEnabled,
		topicIDs:         slices.Compact(slices.Sorted(slices.Values(d.topics))),
	}
	if d.cover != "" {
		u := communityURL + "/rails/active_storage/blobs/" + d.cover + "/cover.jpg"
		p.cover = &u
	}
	id := st.addPostLocked(p)
	return st.postLocked(st.posts[id], viewer), nil
}

// postableSpaceLocked finds a space viewer can see and post in: a member
// (or an admin), and not a space where only admins post.
func (st *store) postableSpaceLocked(viewer int64, spaceRef string) (*space, error) {
	sp, err := st.visibleSpaceLocked(spaceRef, viewer)
	if err != nil {
		return nil, err
	}
	admin := st.isAdminLocked(viewer)
	if _, member := sp.members[viewer]; (!member || sp.adminsPostOnly) && !admin {
		return nil, forbidden()
	}
	return sp, nil
}

// checkTopicsLocked refuses topics that are not the space's, admin-only
// topics from members, and no topic where the space requires one.
func (st *store) checkTopicsLocked(viewer int64, sp *space, ids []int64) error {
	if sp.requireTopic && len(ids) == 0 {
		return invalid(msgTopicRequired, map[string][]string{"topics": {"can't be blank"}})
	}
	for _, id := range ids {
		i := slices.IndexFunc(sp.topics, func(t topic) bool { return t.id == id })
		if i < 0 || (sp.topics[i].adminOnly && !st.isAdminLocked(viewer)) {
			return invalid(msgTopicInvalid, map[string][]string{"topics": {"is invalid"}})
		}
	}
	return nil
}

// uniqueSlugLocked is the slug of a new post titled title: the title's
// slug, numbered when the space has it already.
func (st *store) uniqueSlugLocked(spaceID int64, title string) string {
	base := slugify(title)
	if base == "" {
		base = "post"
	}
	taken := map[string]bool{}
	for _, p := range st.posts {
		if p.spaceID == spaceID {
			taken[p.slug] = true
		}
	}
	slug := base
	for n := 2; taken[slug]; n++ {
		slug = base + "-" + strconv.Itoa(n)
	}
	return slug
}

// postInSpaceLocked finds a post of a space viewer can see by id or slug.
func (st *store) postInSpaceLocked(viewer int64, spaceRef, postRef string) (*post, error) {
	sp, err := st.visibleSpaceLocked(spaceRef, viewer)
	if err != nil {
		return nil, err
	}
	id, numeric := parseID(postRef)
	for _, pid := range st.postOrder {
		p := st.posts[pid]
		if p.spaceID == sp.id && ((numeric && p.id == id) || p.slug == postRef) {
			return p, nil
		}
	}
	return nil, notFound("post")
}

// deletePost is DELETE /spaces/{space_id}/posts/{id}: the author or an
// admin may delete a post; its comments and replies go with it.
func (st *store) deletePost(viewer int64, spaceRef, postRef string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, err := st.postInSpaceLocked(viewer, spaceRef, postRef)
	if err != nil {
		return err
	}
	if p.authorID != viewer && !st.isAdminLocked(viewer) {
		return forbidden()
	}
	for _, cid := range p.comments {
		for _, rid := range st.comments[cid].replies {
			delete(st.comments, rid)
		}
		delete(st.comments, cid)
	}
	delete(st.posts, p.id)
	st.postOrder = slices.DeleteFunc(st.postOrder, func(id int64) bool { return id == p.id })
	return nil
}

// createComment is POST /posts/{post_id}/comments.
func (st *store) createComment(viewer, postID int64, d draft, now time.Time) (wireComment, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, ok := st.visiblePostLocked(postID, viewer)
	if !ok {
		return wireComment{}, notFound("post")
	}
	return st.addDraftLocked(viewer, p, 0, d, msgCommentFailed, now)
}

// createReply is POST /comments/{comment_id}/replies. Circle threads one
// level deep: a reply to a reply joins its parent's thread.
func (st *store) createReply(viewer, commentID int64, d draft, now time.Time) (wireComment, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	c, ok := st.visibleCommentLocked(commentID, viewer)
	if !ok {
		return wireComment{}, notFound("comment")
	}
	if c.parentID != 0 {
		c = st.comments[c.parentID]
	}
	return st.addDraftLocked(viewer, st.posts[c.postID], c.id, d, msgReplyFailed, now)
}

// addDraftLocked validates and stores a comment (parentID 0) or reply on p
// and renders it; failed is Circle's message for a blank body.
func (st *store) addDraftLocked(viewer int64, p *post, parentID int64, d draft, failed string, now time.Time) (wireComment, error) {
	if p.commentsDisabled {
		return wireComment{}, &apiError{status: http.StatusUnprocessableEntity, message: msgCommentsDisabled}
	}
	htmlBody, text, tiptap := d.render()
	if text == "" {
		return wireComment{}, &apiError{status: http.StatusBadRequest, message: failed, fields: map[string][]string{"body": {"can't be blank"}}}
	}
	id := st.addCommentLocked(comment{
		postID: p.id, parentID: parentID, authorID: viewer,
		html: htmlBody, text: text, tiptap: tiptap, createdAt: now, updatedAt: now,
	})
	return st.commentLocked(st.comments[id], viewer, true), nil
}

// deleteComment is DELETE /posts/{post_id}/comments/{id}: the author or an
// admin may delete a comment (its replies go with it) or a reply.
func (st *store) deleteComment(viewer, postID, commentID int64) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, ok := st.visiblePostLocked(postID, viewer)
	if !ok {
		return notFound("post")
	}
	c, ok := st.comments[commentID]
	if !ok || c.postID != postID {
		return notFound("comment")
	}
	return st.deleteCommentLocked(viewer, p, c)
}

// deleteCommentLocked deletes c, a comment or reply of p, when viewer
// wrote it or is an admin; a comment's replies go with it.
func (st *store) deleteCommentLocked(viewer int64, p *post, c *comment) error {
	if c.authorID != viewer && !st.isAdminLocked(viewer) {
		return forbidden()
	}
	drop := func(ids []int64) []int64 { return slices.DeleteFunc(ids, func(id int64) bool { return id == c.id }) }
	if c.parentID != 0 {
		parent := st.comments[c.parentID]
		parent.replies = drop(parent.replies)
	} else {
		p.comments = drop(p.comments)
		for _, rid := range c.replies {
			delete(st.comments, rid)
		}
	}
	delete(st.comments, c.id)
	return nil
}

// likePostAs is POST /posts/{post_id}/user_likes: viewer's like, once
// however often it is sent.
func (st *store) likePostAs(viewer, postID int64, now time.Time) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, ok := st.visiblePostLocked(postID, viewer)
	if !ok {
		return notFound("post")
	}
	if p.likingDisabled {
		return &apiError{status: http.StatusUnprocessableEntity, message: msgLikingDisabled}
	}
	if _, ok := p.likes[viewer]; !ok {
		p.likes[viewer] = now
	}
	return nil
}

// unlikePostAs is DELETE /posts/{post_id}/user_likes; without a like it
// changes nothing.
func (st *store) unlikePostAs(viewer, postID int64) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, ok := st.visiblePostLocked(postID, viewer)
	if !ok {
		return notFound("post")
	}
	delete(p.likes, viewer)
	return nil
}

// likeCommentAs is POST /comments/{comment_id}/user_likes.
func (st *store) likeCommentAs(viewer, commentID int64, now time.Time) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	c, ok := st.visibleCommentLocked(commentID, viewer)
	if !ok {
		return notFound("comment")
	}
	if st.posts[c.postID].likingDisabled {
		return &apiError{status: http.StatusUnprocessableEntity, message: msgLikingDisabled}
	}
	if _, ok := c.likes[viewer]; !ok {
		c.likes[viewer] = now
	}
	return nil
}

// unlikeCommentAs is DELETE /comments/{comment_id}/user_likes.
func (st *store) unlikeCommentAs(viewer, commentID int64) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	c, ok := st.visibleCommentLocked(commentID, viewer)
	if !ok {
		return notFound("comment")
	}
	delete(c.likes, viewer)
	return nil
}

// attend is POST /events/{event_id}/event_attendees: viewer's RSVP becomes
// yes, unless the event has reached its RSVP limit.
func (st *store) attend(viewer, eventID int64, now time.Time) (wireAttendee, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, ok := st.visiblePostLocked(eventID, viewer)
	if !ok || p.event == nil {
		return wireAttendee{}, notFound("event")
	}
	ev := p.event
	yes, mine := 0, -1
	for i, a := range ev.attendees {
		if a.status == rsvpYes {
			yes++
		}
		if a.memberID == viewer {
			mine = i
		}
	}
	if mine >= 0 && ev.attendees[mine].status == rsvpYes {
		return st.attendeeLocked(ev.attendees[mine]), nil
	}
	if ev.rsvpLimit != nil && yes >= *ev.rsvpLimit {
		return wireAttendee{}, &apiError{status: http.StatusUnprocessableEntity, message: msgEventFull}
	}
	if mine < 0 {
		ev.attendees = append(ev.attendees, attendee{id: st.nextAttendeeID, memberID: viewer})
		st.nextAttendeeID++
		mine = len(ev.attendees) - 1
	}
	ev.attendees[mine].status, ev.attendees[mine].at = rsvpYes, now
	return st.attendeeLocked(ev.attendees[mine]), nil
}

// unattend is DELETE /events/{event_id}/event_attendees: Circle keeps
// viewer's attendee record with status no. Without one it is a missing
// record.
func (st *store) unattend(viewer, eventID int64, now time.Time) (wireAttendee, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, ok := st.visiblePostLocked(eventID, viewer)
	if !ok || p.event == nil {
		return wireAttendee{}, notFound("event")
	}
	for i := range p.event.attendees {
		if a := &p.event.attendees[i]; a.memberID == viewer {
			if a.status != "no" {
				a.status, a.at = "no", now
			}
			return st.attendeeLocked(*a), nil
		}
	}
	return wireAttendee{}, notFound("event_attendee")
}

// joinSpace is POST /spaces/{id}/join: any space viewer can see; joining
// twice changes nothing.
func (st *store) joinSpace(viewer, spaceID int64) (wireSpace, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sp, ok := st.spaces[spaceID]
	if !ok || !st.canSeeLocked(sp, viewer) {
		return wireSpace{}, notFound("space")
	}
	if _, ok := sp.members[viewer]; !ok {
		sp.members[viewer] = st.nextSpaceMemberID
		st.nextSpaceMemberID++
	}
	return st.spaceLocked(sp, viewer), nil
}

// leaveSpace is POST /spaces/{id}/leave. The answer shows the space as it
// was seen when leaving (is_member false), even a private space viewer can
// no longer see.
func (st *store) leaveSpace(viewer, spaceID int64) (wireSpace, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sp, ok := st.spaces[spaceID]
	if !ok || !st.canSeeLocked(sp, viewer) {
		return wireSpace{}, notFound("space")
	}
	delete(sp.members, viewer)
	return st.spaceLocked(sp, viewer), nil
}
