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
	// profile is the rest of what the member says about themselves, and
	// the state of their account (members.go).
	profile memberProfile
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
	// topics are the space's topics in display order; requireTopic makes
	// every new post name one of them.
	topics       []topic
	requireTopic bool
	// cover is the signed id of the space's cover image; nil for none.
	cover *string
	// links are the links and folders of the space's sidebar.
	links []spaceLink
}

// topic is a topic of a space.
type topic struct {
	id        int64
	name      string
	adminOnly bool
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
	// topicIDs are the post's topics, ids of its space's topics.
	topicIDs []int64
	// followers maps a member who follows the post to the post_follower id.
	followers map[int64]int64
	// cover is the URL of the post's cover image; nil for none.
	cover *string
	// gallery holds an image post's images; nil for other posts.
	gallery *gallery
}

// gallery is the images of an image post.
type gallery struct {
	id           int64
	downloadable bool
	images       []galleryImage
}

// galleryImage is one uploaded image of a gallery.
type galleryImage struct {
	id            int64
	signedID      string
	filename      string
	width, height int
	// url is where the sandbox serves a file uploaded to it; "" for the
	// seed's images, which have no file.
	url string
}

type event struct {
	startsAt     time.Time
	endsAt       time.Time
	locationType string // "virtual" or "in_person"
	inPerson     *string
	virtualURL   string
	rsvpLimit    *int
	attendees    []attendee // in RSVP order
	// rsvpDisabled turns RSVPs off; hideAttendees hides the attendee list.
	rsvpDisabled, hideAttendees bool
	// series is set on the event of a recurring series.
	series *series
}

// series is a recurring event's schedule and its occurrences, which the
// sandbox keeps inside the event that lists them (GET
// …/events/{event_id}/recurring_events) rather than as posts of their own.
type series struct {
	frequency   string // "weekly"
	occurrences []occurrence
}

// occurrence is one date of a series and who RSVP'd to it.
type occurrence struct {
	id               int64
	startsAt, endsAt time.Time
	rsvps            map[int64]bool // member id → RSVP'd
	rsvpLimit        *int
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
	// removedAt is when a moderator removed the comment; zero unless removed.
	removedAt time.Time
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
	// courses holds the course spaces' content, progress and quizzes.
	courses courseState

	// Next ids, one counter per kind so that the id ranges stay apart.
	nextMemberID, nextUserID, nextSpaceMemberID int64
	nextPostID, nextCommentID, nextAttendeeID   int64
	nextTopicID, nextFollowerID                 int64
	nextGalleryID, nextImageID, nextOccurrence  int64

	// bookmarks are the members' bookmarks (bookmarks.go).
	bookmarks bookmarkBook

	refresh map[string]refreshGrant // refresh token → grant
	revoked map[string]time.Time    // revoked access token jti → its expiry
}

func newStore() *store {
	return &store{
		members:           map[int64]*member{},
		spaces:            map[int64]*space{},
		posts:             map[int64]*post{},
		comments:          map[int64]*comment{},
		courses:           newCourseState(),
		nextMemberID:      firstMemberID,
		nextUserID:        firstUserID,
		nextSpaceMemberID: firstSpaceMemberID,
		nextPostID:        firstPostID,
		nextCommentID:     firstCommentID,
		nextAttendeeID:    firstAttendeeID,
		nextTopicID:       firstSpaceTopicID,
		nextFollowerID:    firstFollowerID,
		nextGalleryID:     firstGalleryID,
		nextImageID:       firstImageID,
		nextOccurrence:    firstOccurrenceID,
		bookmarks:         bookmarkBook{byID: map[int64]*bookmark{}, next: firstBookmarkID},
		refresh:           map[string]refreshGrant{},
		revoked:           map[string]time.Time{},
	}
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
