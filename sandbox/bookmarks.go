package sandbox

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Bookmarks: a member's saved posts and comments (/bookmarks), and the
// links and folders a space shows in its sidebar (/spaces/{space_id}/
// bookmarks, which Circle also calls bookmarks). The state lives in
// store.bookmarks and store.spaces, under the store's lock.

// Bookmark types, as Circle's bookmark_type names them.
const (
	bookmarkPost    = "post"
	bookmarkComment = "comment"
)

// Messages of bookmark failures; the document shows none.
const (
	msgBookmarkType  = "Bookmark type is not included in the list"
	msgBookmarkTaken = "Record has already been bookmarked"
)

// bookmarkBook holds every member's bookmarks.
type bookmarkBook struct {
	byID  map[int64]*bookmark
	order []int64 // creation order
	next  int64
}

// bookmark is one member's bookmark of a post or comment.
type bookmark struct {
	id, memberID int64
	kind         string // bookmarkPost or bookmarkComment
	recordID     int64
	createdAt    time.Time
}

// spaceLink is a link or folder of links in a space's sidebar.
type spaceLink struct {
	id          int64
	name        string
	displayType string // "link" or "folder"
	url         string
	emoji       string
	links       []spaceLink // a folder's links
}

// wireBookmark is Circle's bookmark record.
type wireBookmark struct {
	ID               int64              `json:"id"`
	RecordID         int64              `json:"record_id"`
	BookmarkType     string             `json:"bookmark_type"`
	BookmarkableType string             `json:"bookmarkable_type"`
	CreatedAt        wireTime           `json:"created_at"`
	CommunityID      int64              `json:"community_id"`
	CommunityMember  int64              `json:"community_member_id"`
	Record           wireBookmarkRecord `json:"bookmark_record"`
	IsDeleted        bool               `json:"is_deleted"`
}

// wireBookmarkRecord is what a bookmark shows of the post or comment.
type wireBookmarkRecord struct {
	ID              int64               `json:"id,omitempty"`
	Name            string              `json:"name,omitempty"`
	Slug            string              `json:"slug,omitempty"`
	CreatedAt       *wireTime           `json:"created_at,omitempty"`
	URL             string              `json:"url,omitempty"`
	Body            string              `json:"body,omitempty"`
	AttachmentCount *int                `json:"attachment_count,omitempty"`
	Author          *wireBookmarkAuthor `json:"author,omitempty"`
	Space           *wireSpaceRef       `json:"space,omitempty"`
}

// wireBookmarkAuthor is the author of a bookmarked record.
type wireBookmarkAuthor struct {
	Name              string  `json:"name"`
	AvatarURL         *string `json:"avatar_url"`
	CommunityMemberID int64   `json:"community_member_id"`
}

// wireSpaceLink is a record of GET /spaces/{space_id}/bookmarks.
type wireSpaceLink struct {
	ID                 int64           `json:"id"`
	Name               string          `json:"name"`
	DisplayType        string          `json:"display_type"`
	URL                string          `json:"url,omitempty"`
	Emoji              string          `json:"emoji,omitempty"`
	CustomEmojiURL     *string         `json:"custom_emoji_url"`
	CustomEmojiDarkURL *string         `json:"custom_emoji_dark_url"`
	Links              []wireSpaceLink `json:"links,omitempty"`
}

// pageOf cuts one page out of items as listPage does, with page_count
// (the bookmark, topic, like and recurring-event lists have it).
func pageOf[T, R any](items []T, pp pageParams, render func(T) R) wirePage[R] {
	p := listPage(items, pp, render)
	p.PageCount = len(p.Records)
	return p
}

// bookmarkOfLocked is viewer's bookmark id of a record, nil when none.
func (st *store) bookmarkOfLocked(viewer int64, kind string, recordID int64) *int64 {
	for _, id := range st.bookmarks.order {
		if b := st.bookmarks.byID[id]; b.memberID == viewer && b.kind == kind && b.recordID == recordID {
			v := b.id
			return &v
		}
	}
	return nil
}

// bookmarkCountLocked is how many bookmarks a member has, for the
// current member's bookmarks_count.
func (st *store) bookmarkCountLocked(memberID int64) int {
	n := 0
	for _, b := range st.bookmarks.byID {
		if b.memberID == memberID {
			n++
		}
	}
	return n
}

// addBookmarkLocked stores a bookmark with the next id.
func (st *store) addBookmarkLocked(b bookmark) *bookmark {
	b.id = st.bookmarks.next
	st.bookmarks.next++
	st.bookmarks.byID[b.id] = &b
	st.bookmarks.order = append(st.bookmarks.order, b.id)
	return &b
}

// bookmarkLocked renders a bookmark. A record that is gone (or that the
// viewer can no longer see) is is_deleted with an empty bookmark_record.
func (st *store) bookmarkLocked(b *bookmark) wireBookmark {
	out := wireBookmark{
		ID: b.id, RecordID: b.recordID, BookmarkType: b.kind, CreatedAt: wireTime(b.createdAt),
		CommunityID: communityID, CommunityMember: b.memberID, BookmarkableType: "Post",
	}
	var p *post
	var c *comment
	switch b.kind {
	case bookmarkPost:
		p, _ = st.visiblePostLocked(b.recordID, b.memberID)
	case bookmarkComment:
		out.BookmarkableType = "Comment"
		if c, _ = st.visibleCommentLocked(b.recordID, b.memberID); c != nil {
			p = st.posts[c.postID]
		}
	}
	if p == nil {
		out.IsDeleted = true
		return out
	}
	sp := st.spaces[p.spaceID]
	authorID, created, text, url := p.authorID, p.createdAt, p.text, communityURL+"/c/"+sp.slug+"/"+p.slug
	if c != nil {
		authorID, created, text = c.authorID, c.createdAt, c.text
		url += "#comment_wrapper_" + strconv.FormatInt(c.id, 10)
	}
	author := st.members[authorID]
	attachments := 0
	if p.gallery != nil && c == nil {
		attachments = len(p.gallery.images)
	}
	at := wireTime(created)
	out.Record = wireBookmarkRecord{
		ID: b.recordID, Name: p.title, Slug: p.slug, CreatedAt: &at, URL: url, Body: text, AttachmentCount: &attachments,
		Author: &wireBookmarkAuthor{Name: author.name, AvatarURL: cloneStr(author.avatarURL), CommunityMemberID: author.id},
		Space:  &wireSpaceRef{ID: sp.id, Name: sp.name, Slug: sp.slug, Emoji: cloneStr(sp.emoji)},
	}
	return out
}

// createBookmark is POST /bookmarks: viewer bookmarks a post or comment
// they can see, once.
func (st *store) createBookmark(viewer int64, kind string, recordID int64, now time.Time) (wireBookmark, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	switch kind {
	case bookmarkPost:
		if _, ok := st.visiblePostLocked(recordID, viewer); !ok {
			return wireBookmark{}, notFound("post")
		}
	case bookmarkComment:
		if _, ok := st.visibleCommentLocked(recordID, viewer); !ok {
			return wireBookmark{}, notFound("comment")
		}
	default:
		return wireBookmark{}, invalid(msgBookmarkType, map[string][]string{"bookmark_type": {"is not included in the list"}})
	}
	if st.bookmarkOfLocked(viewer, kind, recordID) != nil {
		return wireBookmark{}, invalid(msgBookmarkTaken, map[string][]string{"record_id": {"has already been taken"}})
	}
	return st.bookmarkLocked(st.addBookmarkLocked(bookmark{memberID: viewer, kind: kind, recordID: recordID, createdAt: now})), nil
}

// memberBookmarks is GET /bookmarks: viewer's bookmarks, newest first,
// of one type when kind is set.
func (st *store) memberBookmarks(viewer int64, kind string, pp pageParams) wirePage[wireBookmark] {
	st.mu.RLock()
	defer st.mu.RUnlock()
	var mine []*bookmark
	for _, id := range slices.Backward(st.bookmarks.order) {
		if b := st.bookmarks.byID[id]; b.memberID == viewer && (kind == "" || b.kind == kind) {
			mine = append(mine, b)
		}
	}
	return pageOf(mine, pp, st.bookmarkLocked)
}

// deleteBookmark is DELETE /bookmarks/{id}; only the owner's bookmark is
// found.
func (st *store) deleteBookmark(viewer, id int64) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	b, ok := st.bookmarks.byID[id]
	if !ok || b.memberID != viewer {
		return notFound("bookmark")
	}
	delete(st.bookmarks.byID, id)
	st.bookmarks.order = slices.DeleteFunc(st.bookmarks.order, func(v int64) bool { return v == id })
	return nil
}

// spaceBookmarks is GET /spaces/{space_id}/bookmarks: the space's links.
func (st *store) spaceBookmarks(viewer, spaceID int64, pp pageParams) (wirePage[wireSpaceLink], error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	sp, ok := st.spaces[spaceID]
	if !ok || !st.canSeeLocked(sp, viewer) {
		return wirePage[wireSpaceLink]{}, notFound("space")
	}
	return pageOf(sp.links, pp, renderLink), nil
}

func renderLink(l spaceLink) wireSpaceLink {
	out := wireSpaceLink{ID: l.id, Name: l.name, DisplayType: l.displayType, URL: l.url, Emoji: l.emoji}
	for _, sub := range l.links {
		out.Links = append(out.Links, renderLink(sub))
	}
	return out
}

func (s *Sandbox) createBookmark(w http.ResponseWriter, r *http.Request, viewer int64) {
	var body struct {
		RecordID     int64  `json:"record_id"`
		BookmarkType string `json:"bookmark_type"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		writeError(w, err)
		return
	}
	b, err := s.store.createBookmark(viewer, body.BookmarkType, body.RecordID, s.now())
	answerCreated(w, b, err)
}

func (s *Sandbox) bookmarks(w http.ResponseWriter, r *http.Request, viewer int64) {
	q := r.URL.Query()
	kind := q.Get("bookmark_type")
	if kind != bookmarkPost && kind != bookmarkComment {
		kind = ""
	}
	writeJSON(w, http.StatusOK, s.store.memberBookmarks(viewer, kind, pageFrom(q, defaultPerPage)))
}

func (s *Sandbox) deleteBookmark(w http.ResponseWriter, r *http.Request, viewer int64) {
	id, err := pathID(r, "id", "bookmark")
	if err == nil {
		err = s.store.deleteBookmark(viewer, id)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sandbox) spaceLinks(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "space_id", "space", func(spaceID int64) (any, error) {
		return s.store.spaceBookmarks(viewer, spaceID, pageFrom(r.URL.Query(), defaultPerPage))
	})
}
