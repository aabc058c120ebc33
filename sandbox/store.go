package sandbox

import (
	"encoding/json"
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
}

type space struct {
	id        int64
	name      string
	slug      string
	emoji     *string
	spaceType string // "basic" or "event"; posts of the space have the same post_type
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
	if m, ok := st.members[id]; ok {
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
		if m := st.members[id]; match(m) {
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
