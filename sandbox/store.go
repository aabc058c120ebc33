package sandbox

import (
	"encoding/json"
	"html"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The records the sandbox keeps. They hold only primary facts (who wrote
// what, who liked or joined what); everything Circle reports as a count or a
// per-viewer flag is derived from them when a response is built, so a write
// never has to keep a second copy in step.

type member struct {
	id        int64 // community member id (101…)
	userID    int64 // user id (5001…): what embedded authors carry in "id"
	publicUID string
	name      string
	email     string
	ssoUserID string // "" when the member has none
	headline  string
	bio       string
	avatarURL *string
	admin     bool
	moderator bool
	createdAt time.Time
	// profile is the rest of what the member says about themselves, and
	// the state of their account (members.go).
	profile memberProfile
}

type space struct {
	id        int64
	name      string
	slug      string
	emoji     *string
	spaceType string // "basic" or postTypeEvent; posts of the space have the same post_type
	private   bool
	groupID   int64
	groupName string
	// adminsPostOnly marks a space where only admins may post
	// (is_post_disabled for everyone else).
	adminsPostOnly bool
	// members maps a community member id to its space_member_id.
	members map[int64]int64
}

type post struct {
	id        int64
	spaceID   int64
	authorID  int64
	title     string
	slug      string
	html      string
	text      string
	tiptap    json.RawMessage // nil for trix posts
	pinned    bool
	createdAt time.Time
	updatedAt time.Time
	likes     map[int64]time.Time // member id → when liked
	comments  []int64             // top-level comment ids, oldest first
	event     *event              // nil unless an event post
	// commentsDisabled and likingDisabled are set by authors who turn
	// comments or likes off (is_comments_enabled / is_liking_enabled false).
	commentsDisabled bool
	likingDisabled   bool
}

type event struct {
	startsAt     time.Time
	endsAt       time.Time
	locationType string // "virtual" or "in_person"
	inPerson     *string
	virtualURL   string
	rsvpLimit    *int
	attendees    []attendee // in RSVP order
}

type attendee struct {
	id       int64
	memberID int64
	status   string // yes, no, maybe, invited
	at       time.Time
}

type comment struct {
	id        int64
	postID    int64
	parentID  int64 // 0 for a top-level comment
	authorID  int64
	html      string
	text      string
	tiptap    json.RawMessage
	createdAt time.Time
	updatedAt time.Time
	likes     map[int64]time.Time
	replies   []int64 // oldest first; only top-level comments have replies
}

// refreshGrant is what a refresh token stands for.
type refreshGrant struct {
	memberID  int64
	expiresAt time.Time
}

// store is the sandbox's whole state. Every method locks mu itself; methods
// whose names end in Locked expect the caller to hold it. Lists are kept in
// creation order so that every answer is deterministic.
type store struct {
	mu sync.RWMutex

	members     map[int64]*member
	memberOrder []int64
	spaces      map[int64]*space
	spaceOrder  []int64
	posts       map[int64]*post
	postOrder   []int64
	comments    map[int64]*comment

	// Next ids, one counter per kind so that the id ranges stay apart.
	nextMemberID, nextUserID, nextSpaceMemberID int64
	nextPostID, nextCommentID, nextAttendeeID   int64

	refresh map[string]refreshGrant // refresh token → grant
	revoked map[string]time.Time    // revoked access token jti → its expiry
}

func newStore() *store {
	return &store{
		members:           map[int64]*member{},
		spaces:            map[int64]*space{},
		posts:             map[int64]*post{},
		comments:          map[int64]*comment{},
		nextMemberID:      firstMemberID,
		nextUserID:        firstUserID,
		nextSpaceMemberID: firstSpaceMemberID,
		nextPostID:        firstPostID,
		nextCommentID:     firstCommentID,
		nextAttendeeID:    firstAttendeeID,
		refresh:           map[string]refreshGrant{},
		revoked:           map[string]time.Time{},
	}
}

// --- writes ---

// addMember stores m with the next member and user ids and returns its id.
func (st *store) addMember(m member) int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	m.id, m.userID = st.nextMemberID, st.nextUserID
	st.nextMemberID++
	st.nextUserID++
	st.members[m.id] = &m
	st.memberOrder = append(st.memberOrder, m.id)
	return m.id
}

// addSpace stores sp under its own id (spaces keep fixed, well-known ids).
func (st *store) addSpace(sp space) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sp.members = map[int64]int64{}
	st.spaces[sp.id] = &sp
	st.spaceOrder = append(st.spaceOrder, sp.id)
}

// join makes memberID a member of spaceID; joining twice changes nothing.
func (st *store) join(spaceID, memberID int64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sp := st.spaces[spaceID]
	if _, ok := sp.members[memberID]; ok {
		return
	}
	sp.members[memberID] = st.nextSpaceMemberID
	st.nextSpaceMemberID++
}

// addPost stores p with the next post id and returns it.
func (st *store) addPost(p post) int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.addPostLocked(p)
}

// addPostLocked is addPost for a caller holding the lock.
func (st *store) addPostLocked(p post) int64 {
	p.id = st.nextPostID
	st.nextPostID++
	if p.likes == nil {
		p.likes = map[int64]time.Time{}
	}
	st.posts[p.id] = &p
	st.postOrder = append(st.postOrder, p.id)
	return p.id
}

// addComment stores c (a reply when c.parentID is set) with the next comment
// id and returns it.
func (st *store) addComment(c comment) int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.addCommentLocked(c)
}

// addCommentLocked is addComment for a caller holding the lock.
func (st *store) addCommentLocked(c comment) int64 {
	c.id = st.nextCommentID
	st.nextCommentID++
	if c.likes == nil {
		c.likes = map[int64]time.Time{}
	}
	st.comments[c.id] = &c
	if c.parentID != 0 {
		parent := st.comments[c.parentID]
		parent.replies = append(parent.replies, c.id)
	} else {
		p := st.posts[c.postID]
		p.comments = append(p.comments, c.id)
	}
	return c.id
}

// likePost records that memberID liked postID at the given time.
func (st *store) likePost(postID, memberID int64, at time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.posts[postID].likes[memberID] = at
}

// likeComment records that memberID liked commentID at the given time.
func (st *store) likeComment(commentID, memberID int64, at time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.comments[commentID].likes[memberID] = at
}

// rsvp sets memberID's RSVP to an event post, replacing an earlier one.
func (st *store) rsvp(postID, memberID int64, status string, at time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	ev := st.posts[postID].event
	for i := range ev.attendees {
		if ev.attendees[i].memberID == memberID {
			ev.attendees[i].status, ev.attendees[i].at = status, at
			return
		}
	}
	ev.attendees = append(ev.attendees, attendee{id: st.nextAttendeeID, memberID: memberID, status: status, at: at})
	st.nextAttendeeID++
}

// --- tokens ---

// grantRefresh stores a new refresh token.
func (st *store) grantRefresh(token string, g refreshGrant) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.refresh[token] = g
}

// lookupRefresh returns what a refresh token stands for.
func (st *store) lookupRefresh(token string) (refreshGrant, bool) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	g, ok := st.refresh[token]
	return g, ok
}

// dropRefresh deletes a refresh token and reports whether it existed.
func (st *store) dropRefresh(token string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.refresh[token]
	delete(st.refresh, token)
	return ok
}

// revoke marks an access token (by jti) as revoked and reports false when it
// already was. Entries of tokens that have expired anyway are dropped, so the
// set stays as small as the number of live revoked tokens.
func (st *store) revoke(jti string, expiresAt, now time.Time) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.revoked[jti]; ok {
		return false
	}
	for k, exp := range st.revoked {
		if now.After(exp) {
			delete(st.revoked, k)
		}
	}
	st.revoked[jti] = expiresAt
	return true
}

// isRevoked reports whether the access token with this jti was revoked.
func (st *store) isRevoked(jti string) bool {
	st.mu.RLock()
	defer st.mu.RUnlock()
	_, ok := st.revoked[jti]
	return ok
}

// --- lookups (all read-only, under RLock) ---

// memberBySSO finds a member by sso_user_id.
func (st *store) memberBySSO(ssoUserID string) (member, bool) {
	return st.findMember(func(m *member) bool { return m.ssoUserID != "" && m.ssoUserID == ssoUserID })
}

// memberByEmail finds a member by email, ignoring case as Circle does.
func (st *store) memberByEmail(email string) (member, bool) {
	return st.findMember(func(m *member) bool { return strings.EqualFold(m.email, email) })
}

// memberByID finds a member by community member id.
func (st *store) memberByID(id int64) (member, bool) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if m, ok := st.members[id]; ok && !m.profile.deactivated {
		return *m, true
	}
	return member{}, false
}

// findMember returns a copy of the first member (in creation order) that
// matches; copies keep callers off the store's records once the lock is gone.
func (st *store) findMember(match func(*member) bool) (member, bool) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	for _, id := range st.memberOrder {
		if m := st.members[id]; !m.profile.deactivated && match(m) {
			return *m, true
		}
	}
	return member{}, false
}

// memberIDs returns every member id in creation order.
func (st *store) memberIDs() []int64 {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return append([]int64(nil), st.memberOrder...)
}

// canSeeLocked reports whether viewer may see the space: every public space,
// and the private ones the viewer belongs to.
func (st *store) canSeeLocked(sp *space, viewer int64) bool {
	if !sp.private {
		return true
	}
	_, ok := sp.members[viewer]
	return ok
}

// visiblePostLocked returns the post when it exists and viewer can see its space.
func (st *store) visiblePostLocked(id, viewer int64) (*post, bool) {
	p, ok := st.posts[id]
	if !ok || !st.canSeeLocked(st.spaces[p.spaceID], viewer) {
		return nil, false
	}
	return p, true
}

// visibleCommentLocked returns the comment when it exists and viewer can see its post.
func (st *store) visibleCommentLocked(id, viewer int64) (*comment, bool) {
	c, ok := st.comments[id]
	if !ok {
		return nil, false
	}
	if _, ok := st.visiblePostLocked(c.postID, viewer); !ok {
		return nil, false
	}
	return c, true
}

// commentCountLocked counts a post's comments, replies included, as Circle's
// comment_count does (the top-level list's count excludes replies).
func (st *store) commentCountLocked(p *post) int {
	n := len(p.comments)
	for _, id := range p.comments {
		n += len(st.comments[id].replies)
	}
	return n
}

// --- the Member API's writes ---
//
// Each takes the write lock once, checks what Circle checks (the record
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
	commentsEnabled, likingEnabled *bool // nil: enabled, the spaces' default
}

// createPost is POST /spaces/{space_id}/posts: viewer must belong to the
// space (or be an admin), and the space must take posts from viewer.
func (st *store) createPost(viewer int64, spaceRef string, d postDraft, now time.Time) (wirePost, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sp, err := st.visibleSpaceLocked(spaceRef, viewer)
	if err != nil {
		return wirePost{}, err
	}
	admin := st.isAdminLocked(viewer)
	if _, member := sp.members[viewer]; (!member || sp.adminsPostOnly) && !admin {
		return wirePost{}, forbidden()
	}
	if sp.spaceType == postTypeEvent {
		return wirePost{}, invalid(msgEventSpacePost, map[string][]string{"space_id": {"is an event space"}})
	}
	htmlBody, text, tiptap := d.render()
	fields := map[string][]string{}
	var problems []string
	if strings.TrimSpace(d.name) == "" {
		fields["name"] = []string{"can't be blank"}
		problems = append(problems, "Name can't be blank")
	}
	if text == "" {
		fields["body"] = []string{"can't be blank"}
		problems = append(problems, "Body can't be blank")
	}
	if len(problems) > 0 {
		return wirePost{}, invalid(strings.Join(problems, " and "), fields)
	}
	title := strings.TrimSpace(d.name)
	p := post{
		spaceID: sp.id, authorID: viewer, title: title, slug: st.uniqueSlugLocked(sp.id, title),
		html: htmlBody, text: text, tiptap: tiptap, createdAt: now, updatedAt: now,
		commentsDisabled: d.commentsEnabled != nil && !*d.commentsEnabled,
		likingDisabled:   d.likingEnabled != nil && !*d.likingEnabled,
	}
	id := st.addPostLocked(p)
	return st.postLocked(st.posts[id], viewer), nil
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

// render turns a draft into what the store keeps: HTML, plain text and the
// TipTap envelope. A TipTap document wins over the body when it holds text,
// as in Circle's editor; text is "" when the draft holds none.
func (d draft) render() (htmlBody, text string, tiptap json.RawMessage) {
	if paragraphs := tiptapText(d.tiptap); len(paragraphs) > 0 {
		var b strings.Builder
		for _, p := range paragraphs {
			b.WriteString("<p>" + html.EscapeString(p) + "</p>")
		}
		return b.String(), strings.Join(paragraphs, "\n"), slices.Clone(d.tiptap)
	}
	if strings.Contains(d.body, "<") {
		return d.body, htmlText(d.body), nil
	}
	text = strings.TrimSpace(d.body)
	if text == "" {
		return "", "", nil
	}
	return "<p>" + html.EscapeString(text) + "</p>", text, nil
}

// tiptapNode is a node of a TipTap document, as far as its text goes.
type tiptapNode struct {
	Type    string       `json:"type"`
	Text    string       `json:"text"`
	Content []tiptapNode `json:"content"`
}

func (n tiptapNode) text(b *strings.Builder) {
	b.WriteString(n.Text)
	for _, c := range n.Content {
		c.text(b)
	}
}

// tiptapText returns the non-blank top-level blocks of text of a
// tiptap_body envelope ({"body": {"type": "doc", "content": [...]}}); nil
// when it holds no document.
func tiptapText(raw json.RawMessage) []string {
	var envelope struct {
		Body *tiptapNode `json:"body"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &envelope) != nil || envelope.Body == nil || envelope.Body.Type != "doc" {
		return nil
	}
	var out []string
	for _, block := range envelope.Body.Content {
		var b strings.Builder
		block.text(&b)
		if t := strings.TrimSpace(b.String()); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// htmlText is the plain text of an HTML body: tags dropped, entities
// decoded, whitespace collapsed.
func htmlText(s string) string {
	var b strings.Builder
	inTag := false
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
			b.WriteByte(' ')
		case r == '>' && inTag:
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
}
