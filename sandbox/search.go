package sandbox

import (
	"cmp"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Search: GET /search (Circle's quick search), GET /advanced_search (its
// search page) and POST /search/community_members (the member directory's
// search), over what the viewer may see of the seeded community. A record
// matches when the text occurs in it, ignoring case; highlighted strings
// are HTML with <strong> around each occurrence, as in Circle's examples.

// Default page sizes, as the document's examples show them.
const (
	defaultSearchPerPage         = 15
	defaultAdvancedSearchPerPage = 20
	defaultMemberSearchPerPage   = 30
	// searchExcerptChars bounds the body a post or lesson result carries.
	searchExcerptChars = 300
)

// highlight escapes text as HTML and wraps each occurrence of needle
// (already lower-cased; case ignored) in <strong>.
func highlight(text, needle string) string {
	if needle == "" {
		return html.EscapeString(text)
	}
	lower := strings.ToLower(text)
	if len(lower) != len(text) { // case folding changed byte lengths: no safe offsets
		return html.EscapeString(text)
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, needle)
		if i < 0 {
			b.WriteString(html.EscapeString(text))
			return b.String()
		}
		b.WriteString(html.EscapeString(text[:i]))
		b.WriteString("<strong>" + html.EscapeString(text[i:i+len(needle)]) + "</strong>")
		text, lower = text[i+len(needle):], lower[i+len(needle):]
	}
}

// matches reports whether needle (lower-cased) occurs in any of texts.
func matches(needle string, texts ...string) bool {
	for _, t := range texts {
		if strings.Contains(strings.ToLower(t), needle) {
			return true
		}
	}
	return false
}

// excerpt shortens text to searchExcerptChars characters.
func excerpt(text string) string {
	if utf8.RuneCountInString(text) <= searchExcerptChars {
		return text
	}
	r := []rune(text)
	return string(r[:searchExcerptChars]) + "…"
}

func strPtr(s string) *string { return &s }

// --- wire types: GET /search ---

// wireSearchRecord is a record of GET /search: {"id": "post_3", "type":
// "post", "attributes": {…}}.
type wireSearchRecord struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Attributes any    `json:"attributes"`
}

type wireSearchSpaceRef struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

type wireSearchAuthor struct {
	ID                int64   `json:"id,omitempty"`
	Name              string  `json:"name"`
	AvatarURL         *string `json:"avatar_url"`
	CommunityMemberID int64   `json:"community_member_id"`
}

type wireSearchedPost struct {
	ID                  int64              `json:"id"`
	Name                string             `json:"name"`
	Body                string             `json:"body"`
	Slug                string             `json:"slug"`
	URL                 string             `json:"url"`
	CommentsCount       int                `json:"comments_count"`
	UserLikesCount      int                `json:"user_likes_count"`
	CreatedAt           wireTime           `json:"created_at"`
	UpdatedAt           wireTime           `json:"updated_at"`
	CommunityID         int64              `json:"community_id"`
	HideMetaInfo        bool               `json:"hide_meta_info"`
	HighlightedEmail    *string            `json:"highlighted_email"`
	HighlightedPostName *string            `json:"highlighted_post_name"`
	HighlightedName     *string            `json:"highlighted_name"`
	HighlightedSlug     *string            `json:"highlighted_slug"`
	HighlightedBody     *string            `json:"highlighted_body"`
	HighlightedUserName *string            `json:"highlighted_user_name"`
	PostType            string             `json:"post_type"`
	Space               wireSearchSpaceRef `json:"space"`
	Author              wireSearchAuthor   `json:"author"`
}

type wireSearchedMember struct {
	ID                string   `json:"id"` // the user id, as a string, as in Circle's example
	CommunityMemberID int64    `json:"community_member_id"`
	Name              string   `json:"name"`
	Headline          string   `json:"headline"`
	AvatarURL         *string  `json:"avatar_url"`
	Roles             []string `json:"roles"`
}

type wireSearchedTag struct {
	ID                 int64   `json:"id"`
	Name               string  `json:"name"`
	CommunityID        int64   `json:"community_id"`
	TaggedMembersCount int     `json:"tagged_members_count"`
	HighlightedName    *string `json:"highlighted_name"`
}

type wireSearchedSpace struct {
	ID                 int64    `json:"id"`
	Name               string   `json:"name"`
	Slug               string   `json:"slug"`
	CreatedAt          wireTime `json:"created_at"`
	UpdatedAt          wireTime `json:"updated_at"`
	CommunityID        int64    `json:"community_id"`
	Emoji              *string  `json:"emoji"`
	CustomEmojiURL     *string  `json:"custom_emoji_url"`
	CustomEmojiDarkURL *string  `json:"custom_emoji_dark_url"`
	SpaceMembersCount  *int     `json:"space_members_count"`
	HighlightedName    *string  `json:"highlighted_name"`
	HighlightedSlug    *string  `json:"highlighted_slug"`
}

type wireSearchedGroup struct {
	ID                     int64   `json:"id"`
	Name                   string  `json:"name"`
	CommunityID            int64   `json:"community_id"`
	SpaceGroupMembersCount int     `json:"space_group_members_count"`
	HighlightedName        *string `json:"highlighted_name"`
}

type wireSearchedComment struct {
	ID              int64            `json:"id"`
	ParentCommentID *int64           `json:"parent_comment_id"`
	PostID          int64            `json:"post_id"`
	PostName        string           `json:"post_name"`
	SpaceID         int64            `json:"space_id"`
	CommunityID     int64            `json:"community_id"`
	BodyText        string           `json:"body_text"`
	Title           string           `json:"title"`
	Author          wireSearchAuthor `json:"author"`
}

// --- wire types: GET /advanced_search ---

type wireAdvancedSpaceRef struct {
	ID                 int64   `json:"id"`
	Slug               string  `json:"slug"`
	Name               string  `json:"name"`
	Emoji              *string `json:"emoji"`
	CustomEmojiURL     *string `json:"custom_emoji_url"`
	CustomEmojiDarkURL *string `json:"custom_emoji_dark_url"`
}

type wireAdvancedAuthor struct {
	Name              string  `json:"name"`
	AvatarURL         *string `json:"avatar_url"`
	CommunityMemberID int64   `json:"community_member_id"`
}

type wireAdvancedPost struct {
	ID              int64                `json:"id"`
	Type            string               `json:"type"`
	Name            string               `json:"name"`
	Slug            string               `json:"slug"`
	URL             string               `json:"url"`
	CreatedAt       wireTime             `json:"created_at"`
	Status          string               `json:"status"`
	HighlightedName *string              `json:"highlighted_name"`
	CoverImageURL   *string              `json:"cover_image_url"`
	Body            *string              `json:"body"`
	HighlightedBody *string              `json:"highlighted_body"`
	SGID            string               `json:"sgid"`
	StartsAt        *string              `json:"starts_at"`
	Author          wireAdvancedAuthor   `json:"author"`
	Space           wireAdvancedSpaceRef `json:"space"`
}

type wireAdvancedComment struct {
	ID              int64              `json:"id"`
	Type            string             `json:"type"`
	Body            string             `json:"body"`
	URL             string             `json:"url"`
	PostID          int64              `json:"post_id"`
	PostSlug        string             `json:"post_slug"`
	PostName        string             `json:"post_name"`
	SpaceID         int64              `json:"space_id"`
	SpaceSlug       string             `json:"space_slug"`
	ParentCommentID *int64             `json:"parent_comment_id"`
	HighlightedBody *string            `json:"highlighted_body"`
	Author          wireAdvancedAuthor `json:"author"`
}

type wireAdvancedLesson struct {
	ID              int64                `json:"id"`
	Type            string               `json:"type"`
	Name            string               `json:"name"`
	Body            string               `json:"body"`
	Status          string               `json:"status"`
	SectionName     string               `json:"section_name"`
	SectionID       int64                `json:"section_id"`
	CreatedAt       wireTime             `json:"created_at"`
	HighlightedName *string              `json:"highlighted_name"`
	HighlightedBody *string              `json:"highlighted_body"`
	SGID            string               `json:"sgid"`
	Space           wireAdvancedSpaceRef `json:"space"`
}

type wireAdvancedSpace struct {
	Type               string  `json:"type"`
	ID                 int64   `json:"id"`
	Name               string  `json:"name"`
	Slug               string  `json:"slug"`
	Emoji              *string `json:"emoji"`
	CustomEmojiURL     *string `json:"custom_emoji_url"`
	CustomEmojiDarkURL *string `json:"custom_emoji_dark_url"`
	HighlightedName    *string `json:"highlighted_name"`
	SGID               string  `json:"sgid"`
}

type wireAdvancedMember struct {
	Type            string  `json:"type"`
	ID              int64   `json:"id"` // the community member id; user_id beside it
	Name            string  `json:"name"`
	Headline        string  `json:"headline"`
	AvatarURL       *string `json:"avatar_url"`
	Bio             *string `json:"bio"`
	PublicUID       string  `json:"public_uid"`
	Location        *string `json:"location"`
	UserID          int64   `json:"user_id"`
	HighlightedName *string `json:"highlighted_name"`
	SGID            string  `json:"sgid"`
}

// sgid is a stand-in for Circle's signed global id of a record.
func sgid(kind string, id int64) string {
	return "sandbox-sgid-" + kind + "-" + strconv.FormatInt(id, 10)
}

// --- what a search sees ---

// searchable is the part of the community a viewer's search looks at, in
// a fixed order: spaces by id, members by join order, posts and comments
// newest first, lessons in course order.
type searchable struct {
	spaces   []*space
	members  []*member
	posts    []*post
	comments []*comment
	lessons  []*lesson
}

func (st *store) searchableLocked(viewer int64) searchable {
	var s searchable
	for _, id := range st.spaceOrder {
		if sp := st.spaces[id]; st.canSeeLocked(sp, viewer) {
			s.spaces = append(s.spaces, sp)
		}
	}
	for _, id := range st.memberOrder {
		if m := st.members[id]; !m.profile.deactivated {
			s.members = append(s.members, m)
		}
	}
	for i := len(st.postOrder) - 1; i >= 0; i-- {
		p, ok := st.visiblePostLocked(st.postOrder[i], viewer)
		if !ok {
			continue
		}
		s.posts = append(s.posts, p)
		for _, cid := range p.comments {
			c := st.comments[cid]
			s.comments = append(s.comments, c)
			for _, rid := range c.replies {
				s.comments = append(s.comments, st.comments[rid])
			}
		}
	}
	slices.SortStableFunc(s.comments, func(a, b *comment) int {
		return cmp.Or(b.createdAt.Compare(a.createdAt), cmp.Compare(b.id, a.id))
	})
	for _, sp := range s.spaces {
		c, err := st.courseForLocked(viewer, sp.id)
		if err != nil {
			continue
		}
		for _, sec := range c.sections {
			for _, id := range sec.lessons {
				s.lessons = append(s.lessons, st.courses.lessons[id])
			}
		}
	}
	return s
}

func (st *store) postURLLocked(p *post) string {
	return communityURL + "/c/" + st.spaces[p.spaceID].slug + "/" + p.slug
}

// search is GET /search.
func (st *store) search(viewer int64, text string, pp pageParams) wirePage[wireSearchRecord] {
	st.mu.RLock()
	defer st.mu.RUnlock()
	needle := strings.ToLower(strings.TrimSpace(text))
	if needle == "" {
		return ownPage([]wireSearchRecord(nil), pp, func(r wireSearchRecord) wireSearchRecord { return r })
	}
	s := st.searchableLocked(viewer)
	hl := func(t string) *string { return strPtr(highlight(t, needle)) }
	var out []wireSearchRecord
	groups := map[int64]bool{}
	for _, sp := range s.spaces {
		if groups[sp.groupID] || !matches(needle, sp.groupName) {
			continue
		}
		groups[sp.groupID] = true
		n := 0
		for _, other := range st.spaces {
			if other.groupID == sp.groupID {
				n += len(other.members)
			}
		}
		out = append(out, wireSearchRecord{ID: "space_group_" + strconv.FormatInt(sp.groupID, 10), Type: "space_group", Attributes: wireSearchedGroup{
			ID: sp.groupID, Name: sp.groupName, CommunityID: communityID, SpaceGroupMembersCount: n, HighlightedName: hl(sp.groupName)}})
	}
	for _, sp := range s.spaces {
		if !matches(needle, sp.name, sp.slug) {
			continue
		}
		n := len(sp.members)
		out = append(out, wireSearchRecord{ID: "space_" + strconv.FormatInt(sp.id, 10), Type: "space", Attributes: wireSearchedSpace{
			ID: sp.id, Name: sp.name, Slug: sp.slug, CommunityID: communityID, Emoji: cloneStr(sp.emoji), SpaceMembersCount: &n,
			HighlightedName: hl(sp.name), HighlightedSlug: hl(sp.slug)}})
	}
	for _, m := range s.members {
		if !matches(needle, m.name, m.headline) {
			continue
		}
		roles := []string{}
		if m.admin {
			roles = append(roles, "admin")
		}
		if m.moderator {
			roles = append(roles, "moderator")
		}
		out = append(out, wireSearchRecord{ID: "community_member_" + strconv.FormatInt(m.id, 10), Type: "community_member", Attributes: wireSearchedMember{
			ID: strconv.FormatInt(m.userID, 10), CommunityMemberID: m.id, Name: m.name, Headline: m.headline, AvatarURL: cloneStr(m.avatarURL), Roles: roles}})
	}
	for _, p := range s.posts {
		a := st.members[p.authorID]
		if !matches(needle, p.title, p.text, a.name) {
			continue
		}
		sp := st.spaces[p.spaceID]
		out = append(out, wireSearchRecord{ID: "post_" + strconv.FormatInt(p.id, 10), Type: "post", Attributes: wireSearchedPost{
			ID: p.id, Name: p.title, Body: excerpt(p.text), Slug: p.slug, URL: st.postURLLocked(p),
			CommentsCount: st.commentCountLocked(p), UserLikesCount: len(p.likes), CreatedAt: wireTime(p.createdAt), UpdatedAt: wireTime(p.updatedAt),
			CommunityID: communityID, HighlightedName: hl(p.title), HighlightedSlug: hl(p.slug), HighlightedBody: hl(excerpt(p.text)),
			HighlightedUserName: hl(a.name), PostType: sp.spaceType,
			Space:  wireSearchSpaceRef{ID: sp.id, Slug: sp.slug, Name: sp.name},
			Author: wireSearchAuthor{ID: a.userID, Name: a.name, AvatarURL: cloneStr(a.avatarURL), CommunityMemberID: a.id}}})
	}
	for _, tag := range communityTags {
		if !tag.public || !matches(needle, tag.name) {
			continue
		}
		n := 0
		for _, m := range s.members {
			if slices.Contains(m.profile.tags, tag.id) {
				n++
			}
		}
		out = append(out, wireSearchRecord{ID: "member_tag_" + strconv.FormatInt(tag.id, 10), Type: "member_tag", Attributes: wireSearchedTag{
			ID: tag.id, Name: tag.name, CommunityID: communityID, TaggedMembersCount: n, HighlightedName: hl(tag.name)}})
	}
	for _, c := range s.comments {
		if !matches(needle, c.text) {
			continue
		}
		a, p := st.members[c.authorID], st.posts[c.postID]
		rec := wireSearchedComment{ID: c.id, PostID: p.id, PostName: p.title, SpaceID: p.spaceID, CommunityID: communityID, BodyText: c.text,
			Title:  a.name + " commented on " + p.title,
			Author: wireSearchAuthor{ID: a.userID, Name: a.name, AvatarURL: cloneStr(a.avatarURL), CommunityMemberID: a.id}}
		if c.parentID != 0 {
			parent := c.parentID
			rec.ParentCommentID = &parent
		}
		out = append(out, wireSearchRecord{ID: "comment_" + strconv.FormatInt(c.id, 10), Type: "comment", Attributes: rec})
	}
	return ownPage(out, pp, func(r wireSearchRecord) wireSearchRecord { return r })
}

// advancedQuery is what GET /advanced_search was asked for.
type advancedQuery struct {
	text, kind, status, authorName string
	spaceIDs, memberTagIDs         []int64
	page                           pageParams
}

// advancedKinds are the record types each search type looks for.
var advancedKinds = map[string][]string{
	"general":     {"space", "community_member", "post", "comment", "lesson"},
	"members":     {"community_member"},
	"mentions":    {"community_member"},
	"posts":       {"post"},
	"events":      {"event"},
	"comments":    {"comment"},
	"spaces":      {"space"},
	"lessons":     {"lesson"},
	"entity_list": {"space", "community_member"},
}

func advancedSpaceRef(sp *space) wireAdvancedSpaceRef {
	return wireAdvancedSpaceRef{ID: sp.id, Slug: sp.slug, Name: sp.name, Emoji: cloneStr(sp.emoji)}
}

// advancedSearch is GET /advanced_search.
func (st *store) advancedSearch(viewer int64, q advancedQuery, now time.Time) wirePage[any] {
	st.mu.RLock()
	defer st.mu.RUnlock()
	needle := strings.ToLower(strings.TrimSpace(q.text))
	if needle == "" {
		return ownPage([]any(nil), q.page, func(r any) any { return r })
	}
	s := st.searchableLocked(viewer)
	hl := func(t string) *string { return strPtr(highlight(t, needle)) }
	inSpaces := func(id int64) bool { return len(q.spaceIDs) == 0 || slices.Contains(q.spaceIDs, id) }
	byAuthor := func(id int64) bool {
		return q.authorName == "" || strings.Contains(strings.ToLower(st.members[id].name), strings.ToLower(q.authorName))
	}
	kinds := advancedKinds[q.kind]
	if kinds == nil {
		kinds = advancedKinds["general"]
	}
	var out []any
	for _, kind := range kinds {
		switch kind {
		case "space":
			for _, sp := range s.spaces {
				if inSpaces(sp.id) && matches(needle, sp.name, sp.slug) {
					out = append(out, wireAdvancedSpace{Type: "space", ID: sp.id, Name: sp.name, Slug: sp.slug, Emoji: cloneStr(sp.emoji), HighlightedName: hl(sp.name), SGID: sgid("space", sp.id)})
				}
			}
		case "community_member":
			for _, m := range s.members {
				if !matches(needle, m.name, m.headline) || (len(q.memberTagIDs) > 0 && !slices.ContainsFunc(q.memberTagIDs, func(t int64) bool { return slices.Contains(m.profile.tags, t) })) {
					continue
				}
				rec := wireAdvancedMember{Type: "community_member", ID: m.id, Name: m.name, Headline: m.headline, AvatarURL: cloneStr(m.avatarURL),
					PublicUID: m.publicUID, UserID: m.userID, HighlightedName: hl(m.name), SGID: sgid("community_member", m.id)}
				if m.bio != "" {
					rec.Bio = strPtr(m.bio)
				}
				if m.profile.location != "" {
					rec.Location = strPtr(m.profile.location)
				}
				out = append(out, rec)
			}
		case "post", "event":
			for _, p := range s.posts {
				if (kind == "event") != (p.event != nil) || !inSpaces(p.spaceID) || !byAuthor(p.authorID) || !matches(needle, p.title, p.text) {
					continue
				}
				if kind == "event" && q.status != "" && (q.status == "past") == p.event.endsAt.After(now) {
					continue
				}
				sp, a := st.spaces[p.spaceID], st.members[p.authorID]
				body := excerpt(p.text)
				rec := wireAdvancedPost{ID: p.id, Type: "post", Name: p.title, Slug: p.slug, URL: st.postURLLocked(p), CreatedAt: wireTime(p.createdAt),
					Status: "published", HighlightedName: hl(p.title), Body: &body, HighlightedBody: hl(body), SGID: sgid("post", p.id),
					Author: wireAdvancedAuthor{Name: a.name, AvatarURL: cloneStr(a.avatarURL), CommunityMemberID: a.id}, Space: advancedSpaceRef(sp)}
				if p.event != nil {
					rec.StartsAt = strPtr(p.event.startsAt.UTC().Format("2006-01-02T15:04:05.000Z"))
				}
				out = append(out, rec)
			}
		case "comment":
			for _, c := range s.comments {
				p := st.posts[c.postID]
				if !inSpaces(p.spaceID) || !byAuthor(c.authorID) || !matches(needle, c.text) {
					continue
				}
				sp, a := st.spaces[p.spaceID], st.members[c.authorID]
				rec := wireAdvancedComment{ID: c.id, Type: "comment", Body: c.text, URL: st.postURLLocked(p) + "#comment_" + strconv.FormatInt(c.id, 10),
					PostID: p.id, PostSlug: p.slug, PostName: p.title, SpaceID: sp.id, SpaceSlug: sp.slug, HighlightedBody: hl(c.text),
					Author: wireAdvancedAuthor{Name: a.name, AvatarURL: cloneStr(a.avatarURL), CommunityMemberID: a.id}}
				if c.parentID != 0 {
					parent := c.parentID
					rec.ParentCommentID = &parent
				}
				out = append(out, rec)
			}
		case "lesson":
			for _, l := range s.lessons {
				text := strings.Join(l.paragraphs, "\n")
				if !inSpaces(l.courseID) || !matches(needle, l.name, text) {
					continue
				}
				var secName string
				for _, sec := range st.courses.courses[l.courseID].sections {
					if sec.id == l.sectionID {
						secName = sec.name
					}
				}
				body := excerpt(text)
				out = append(out, wireAdvancedLesson{ID: l.id, Type: "lesson", Name: l.name, Body: body, Status: "published", SectionName: secName, SectionID: l.sectionID,
					CreatedAt: wireTime(l.createdAt), HighlightedName: hl(l.name), HighlightedBody: hl(body), SGID: sgid("lesson", l.id), Space: advancedSpaceRef(st.spaces[l.courseID])})
			}
		}
	}
	return ownPage(out, q.page, func(r any) any { return r })
}

// --- POST /search/community_members ---

// memberSearchRequest is the body of POST /search/community_members.
type memberSearchRequest struct {
	Page                 *int   `json:"page"`
	PerPage              *int   `json:"per_page"`
	SearchText           string `json:"search_text"`
	ExcludeEmptyName     bool   `json:"exclude_empty_name"`
	ExcludeEmptyProfiles bool   `json:"exclude_empty_profiles"`
	Order                string `json:"order"`
	Status               string `json:"status"`
	Filters              []struct {
		Key        string `json:"key"`
		FilterType string `json:"filter_type"`
		Value      string `json:"value"`
	} `json:"filters"`
	SearchAfter []string `json:"search_after"`
}

type wireMemberSearchRecord struct {
	FirstName          string  `json:"first_name"`
	LastName           string  `json:"last_name"`
	UserID             int64   `json:"user_id"`
	ID                 int64   `json:"id"`
	Admin              bool    `json:"admin"`
	Headline           string  `json:"headline"`
	PublicUID          string  `json:"public_uid"`
	UserAttachableSGID string  `json:"user_attachable_sgid"`
	Name               string  `json:"name"`
	AvatarURL          *string `json:"avatar_url"`
	IsDeleted          bool    `json:"is_deleted"`
	CommunityMemberID  int64   `json:"community_member_id"`
}

type wireMemberSearchPage struct {
	wirePage[wireMemberSearchRecord]
	Meta            map[string]any `json:"meta"`
	NextSearchAfter []string       `json:"next_search_after"`
}

// memberAttribute is what a member filter's key compares, by key; keys
// the sandbox does not know match every member, as Circle ignores them.
func memberAttribute(m *member, key string) (string, bool) {
	switch key {
	case "name":
		return m.name, true
	case "headline":
		return m.headline, true
	case "bio":
		return m.bio, true
	case "location":
		return m.profile.location, true
	case "role":
		switch {
		case m.admin:
			return "admin", true
		case m.moderator:
			return "moderator", true
		}
		return "member", true
	}
	return "", false
}

// filterHolds applies one filter to one attribute value.
func filterHolds(value, filterType, want string) bool {
	v, w := strings.ToLower(value), strings.ToLower(want)
	switch filterType {
	case "is_not":
		return v != w
	case "contains":
		return strings.Contains(v, w)
	case "does_not_contain":
		return !strings.Contains(v, w)
	default: // is, eq, and the numeric comparisons on text
		return v == w
	}
}

// searchMembers is POST /search/community_members.
func (st *store) searchMembers(req memberSearchRequest) wireMemberSearchPage {
	st.mu.RLock()
	defer st.mu.RUnlock()
	pp := pageParams{page: 1, perPage: defaultMemberSearchPerPage}
	if req.Page != nil {
		pp.page = max(*req.Page, 1)
	}
	if req.PerPage != nil {
		pp.perPage = min(max(*req.PerPage, 1), maxPerPage)
	}
	needle := strings.ToLower(strings.TrimSpace(req.SearchText))
	var ms []*member
	for _, id := range st.memberOrder {
		m := st.members[id]
		switch {
		case m.profile.deactivated, req.Status == "inactive": // every sandbox member is active
			continue
		case needle != "" && !matches(needle, m.name, m.headline, m.email):
			continue
		case req.ExcludeEmptyName && strings.TrimSpace(m.name) == "":
			continue
		case req.ExcludeEmptyProfiles && m.headline == "" && m.bio == "":
			continue
		}
		keep := true
		for _, f := range req.Filters {
			if v, known := memberAttribute(m, f.Key); known && !filterHolds(v, f.FilterType, f.Value) {
				keep = false
			}
		}
		if keep {
			ms = append(ms, m)
		}
	}
	switch req.Order {
	case "alphabetical":
		slices.SortStableFunc(ms, func(a, b *member) int { return cmp.Compare(strings.ToLower(a.name), strings.ToLower(b.name)) })
	case "latest":
		slices.Reverse(ms)
	case "role":
		rank := func(m *member) int {
			switch {
			case m.admin:
				return 0
			case m.moderator:
				return 1
			}
			return 2
		}
		slices.SortStableFunc(ms, func(a, b *member) int { return cmp.Compare(rank(a), rank(b)) })
	}
	page := ownPage(ms, pp, func(m *member) wireMemberSearchRecord {
		first, last, _ := strings.Cut(m.name, " ")
		return wireMemberSearchRecord{FirstName: first, LastName: last, UserID: m.userID, ID: m.id, Admin: m.admin, Headline: m.headline,
			PublicUID: m.publicUID, UserAttachableSGID: sgid("user", m.userID), Name: m.name, AvatarURL: cloneStr(m.avatarURL), CommunityMemberID: m.id}
	})
	var after []string
	if n := len(page.Records); n > 0 && page.HasNextPage {
		after = []string{strings.ToLower(page.Records[n-1].Name)}
	}
	return wireMemberSearchPage{wirePage: page, Meta: map[string]any{"next_search_after": after}, NextSearchAfter: after}
}

// --- HTTP ---

// searchRoutes adds the search endpoints through member.
func (s *Sandbox) searchRoutes(member func(method, path string, h memberHandler)) {
	member(http.MethodGet, "/search", s.searchHandler)
	member(http.MethodGet, "/advanced_search", s.advancedSearchHandler)
	member(http.MethodPost, "/search/community_members", s.searchMembersHandler)
}

func (s *Sandbox) searchHandler(w http.ResponseWriter, r *http.Request, viewer int64) {
	// A search without text finds nothing (the document has no example of
	// it).
	q := r.URL.Query()
	writeJSON(w, http.StatusOK, s.store.search(viewer, q.Get("search_text"), pageFrom(q, defaultSearchPerPage)))
}

// filterIDs reads filters[name] in both of the forms Circle (Rails) takes:
// filters[name][]=1 and filters[name][0]=1.
func filterIDs(q url.Values, name string) []int64 {
	var out []int64
	prefix := "filters[" + name + "]["
	for k, vs := range q {
		if !strings.HasPrefix(k, prefix) || !strings.HasSuffix(k, "]") {
			continue
		}
		for _, v := range vs {
			if id, ok := parseID(v); ok {
				out = append(out, id)
			}
		}
	}
	slices.Sort(out)
	return out
}

func (s *Sandbox) advancedSearchHandler(w http.ResponseWriter, r *http.Request, viewer int64) {
	q := r.URL.Query()
	writeJSON(w, http.StatusOK, s.store.advancedSearch(viewer, advancedQuery{
		text: q.Get("query"), kind: q.Get("type"), status: q.Get("filters[status]"), authorName: q.Get("filters[author_name]"),
		spaceIDs: filterIDs(q, "space_ids"), memberTagIDs: filterIDs(q, "member_tag_ids"),
		page: pageFrom(q, defaultAdvancedSearchPerPage),
	}, s.now()))
}

func (s *Sandbox) searchMembersHandler(w http.ResponseWriter, r *http.Request, _ int64) {
	var req memberSearchRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.store.searchMembers(req))
}
