package circle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Search: GET /search (Circle's quick search), GET /advanced_search (the
// search page, by type and with filters) and POST /search/community_members
// (the member directory's search with profile filters). Circle's
// highlighted strings are HTML, with <strong> around the words that
// matched.

// Record types of the search endpoints, as Circle names them in "type".
const (
	SearchPost            = "post"
	SearchComment         = "comment"
	SearchCommunityMember = "community_member"
	SearchMemberTag       = "member_tag"
	SearchSpace           = "space"
	SearchSpaceGroup      = "space_group"
	SearchLesson          = "lesson"
	SearchGroupMention    = "group_mention"
	// SearchEvent is how an event may come back from advanced search; it is
	// read as a post.
	SearchEvent = "event"
)

// FlexID is an id Circle writes as a number or as a numeric string (a
// member record of GET /search writes its id as "2"). Anything else reads
// as 0.
type FlexID int64

// UnmarshalJSON accepts 12, "12", null and "".
func (f *FlexID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 1 && b[0] == '"' {
		b = b[1 : len(b)-1]
	}
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("id %s: %w", b, err)
	}
	*f = FlexID(n)
	return nil
}

// SearchHitSpace is the space a search result names.
type SearchHitSpace struct {
	ID                 int64   `json:"id"`
	Name               string  `json:"name"`
	Slug               string  `json:"slug"`
	Emoji              *string `json:"emoji"`
	CustomEmojiURL     *string `json:"custom_emoji_url"`
	CustomEmojiDarkURL *string `json:"custom_emoji_dark_url"`
}

// SearchAuthor is the author a post or comment result names. ID, when
// sent, is the user id; CommunityMemberID is the member id.
type SearchAuthor struct {
	ID                int64   `json:"id"`
	Name              string  `json:"name"`
	AvatarURL         *string `json:"avatar_url"`
	CommunityMemberID int64   `json:"community_member_id"`
}

// SearchHit is one result of either search endpoint, of any type: the
// union of the fields of Circle's searched_* and advanced_searched_*
// objects. Type says which it is; fields a type does not have are zero.
type SearchHit struct {
	Type string `json:"type"`
	ID   FlexID `json:"id"`

	Name                string    `json:"name"`
	Slug                string    `json:"slug"`
	Body                *string   `json:"body"`
	URL                 string    `json:"url"`
	Status              string    `json:"status"`
	CreatedAt           Timestamp `json:"created_at"`
	UpdatedAt           Timestamp `json:"updated_at"`
	HighlightedName     *string   `json:"highlighted_name"`
	HighlightedSlug     *string   `json:"highlighted_slug"`
	HighlightedBody     *string   `json:"highlighted_body"`
	HighlightedUserName *string   `json:"highlighted_user_name"`

	// Posts.
	PostType       string          `json:"post_type"`
	CommentsCount  *int            `json:"comments_count"`
	UserLikesCount *int            `json:"user_likes_count"`
	CoverImageURL  *string         `json:"cover_image_url"`
	StartsAt       Timestamp       `json:"starts_at"`
	Space          *SearchHitSpace `json:"space"`
	Author         *SearchAuthor   `json:"author"`

	// Comments.
	PostID          int64  `json:"post_id"`
	PostName        string `json:"post_name"`
	PostSlug        string `json:"post_slug"`
	SpaceID         int64  `json:"space_id"`
	SpaceSlug       string `json:"space_slug"`
	ParentCommentID *int64 `json:"parent_comment_id"`
	BodyText        string `json:"body_text"`
	Title           string `json:"title"`

	// Members.
	CommunityMemberID int64   `json:"community_member_id"`
	UserID            int64   `json:"user_id"`
	Headline          string  `json:"headline"`
	AvatarURL         *string `json:"avatar_url"`
	Bio               *string `json:"bio"`
	Location          *string `json:"location"`
	Roles             *Roles  `json:"roles"`

	// Spaces, space groups, member tags.
	Emoji                  *string `json:"emoji"`
	SpaceMembersCount      *int    `json:"space_members_count"`
	SpaceGroupMembersCount *int    `json:"space_group_members_count"`
	TaggedMembersCount     *int    `json:"tagged_members_count"`

	// Lessons.
	SectionID   int64  `json:"section_id"`
	SectionName string `json:"section_name"`

	// Group mentions.
	MentionType  string `json:"mention_type"`
	MentionScope string `json:"mention_scope"`
}

// MemberID is the community member id of a member result: Circle's
// community_member_id when it sends one (GET /search, whose id is the user
// id), else its id (GET /advanced_search, which sends the user id apart).
func (h *SearchHit) MemberID() int64 {
	if h.CommunityMemberID != 0 {
		return h.CommunityMemberID
	}
	return int64(h.ID)
}

// searchRecord is a record of GET /search: the type beside the
// attributes that hold the result.
type searchRecord struct {
	Type       string    `json:"type"`
	Attributes SearchHit `json:"attributes"`
}

// SearchParams selects a page of GET /search.
type SearchParams struct {
	Page, PerPage int
	Text          string
}

// Search runs Circle's quick search: GET /search?search_text=…. Each
// result's Type is set from its record.
func (m *MemberAPI) Search(ctx context.Context, p SearchParams) (*Page[SearchHit], error) {
	q := ListParams{Page: p.Page, PerPage: p.PerPage}.query()
	q.Set("search_text", p.Text)
	var raw Page[searchRecord]
	if err := m.get(ctx, "/search", "/search", q, &raw); err != nil {
		return nil, err
	}
	out := &Page[SearchHit]{Page: raw.Page, PerPage: raw.PerPage, HasNextPage: raw.HasNextPage, Count: raw.Count, PageCount: raw.PageCount, Records: make([]SearchHit, len(raw.Records))}
	for i, r := range raw.Records {
		out.Records[i] = r.Attributes
		out.Records[i].Type = r.Type
	}
	return out, nil
}

// AdvancedSearchFilters are GET /advanced_search's filters, sent as
// Rails-style nested parameters (filters[space_ids][]=1).
type AdvancedSearchFilters struct {
	SpaceIDs, TopicIDs, MemberTagIDs []int64
	AuthorName                       string
	// Status is "upcoming" or "past" (events), "" for none.
	Status string
}

// AdvancedSearchParams selects a page of GET /advanced_search.
type AdvancedSearchParams struct {
	Page, PerPage int
	Query         string
	// Type is one of Circle's search types ("general", "posts", …); ""
	// for Circle's default.
	Type string
	// MentionScope is "space", "group_chat", "thread" or "direct"; "" for none.
	MentionScope string
	Filters      AdvancedSearchFilters
}

func (p AdvancedSearchParams) query() url.Values {
	q := ListParams{Page: p.Page, PerPage: p.PerPage}.query()
	q.Set("query", p.Query)
	if p.Type != "" {
		q.Set("type", p.Type)
	}
	if p.MentionScope != "" {
		q.Set("mention_scope", p.MentionScope)
	}
	ids := func(name string, vs []int64) {
		for _, v := range vs {
			q.Add("filters["+name+"][]", id(v))
		}
	}
	ids("space_ids", p.Filters.SpaceIDs)
	ids("topic_ids", p.Filters.TopicIDs)
	ids("member_tag_ids", p.Filters.MemberTagIDs)
	if p.Filters.AuthorName != "" {
		q.Set("filters[author_name]", p.Filters.AuthorName)
	}
	if p.Filters.Status != "" {
		q.Set("filters[status]", p.Filters.Status)
	}
	return q
}

// AdvancedSearch runs Circle's search page: GET /advanced_search.
func (m *MemberAPI) AdvancedSearch(ctx context.Context, p AdvancedSearchParams) (*Page[SearchHit], error) {
	var out Page[SearchHit]
	return &out, m.get(ctx, "/advanced_search", "/advanced_search", p.query(), &out)
}

// MemberFilter is one profile filter of a member search.
type MemberFilter struct {
	Key              string `json:"key"`
	FilterType       string `json:"filter_type,omitempty"`
	ProfileFieldType string `json:"profile_field_type,omitempty"`
	ProfileFieldID   string `json:"profile_field_id,omitempty"`
	Value            string `json:"value,omitempty"`
	Gte              *int   `json:"gte,omitempty"`
	Lte              *int   `json:"lte,omitempty"`
}

// MemberSearch is the body of POST /search/community_members; zero fields
// are left out, so Circle applies its defaults.
type MemberSearch struct {
	Page                 int            `json:"page"`
	PerPage              int            `json:"per_page"`
	SearchText           string         `json:"search_text,omitempty"`
	ExcludeEmptyName     *bool          `json:"exclude_empty_name,omitempty"`
	ExcludeEmptyProfiles *bool          `json:"exclude_empty_profiles,omitempty"`
	Order                string         `json:"order,omitempty"`
	Status               string         `json:"status,omitempty"`
	Filters              []MemberFilter `json:"filters,omitempty"`
}

// SearchedMember is one record of a member search. ID and
// CommunityMemberID are both the community member id; UserID is the user's.
type SearchedMember struct {
	ID                int64   `json:"id"`
	CommunityMemberID int64   `json:"community_member_id"`
	UserID            int64   `json:"user_id"`
	Name              string  `json:"name"`
	FirstName         string  `json:"first_name"`
	LastName          string  `json:"last_name"`
	Headline          string  `json:"headline"`
	AvatarURL         *string `json:"avatar_url"`
	Admin             bool    `json:"admin"`
	PublicUID         string  `json:"public_uid"`
	IsDeleted         bool    `json:"is_deleted"`
}

// MemberID is the community member id.
func (s *SearchedMember) MemberID() int64 {
	if s.CommunityMemberID != 0 {
		return s.CommunityMemberID
	}
	return s.ID
}

// SearchMembers searches the member directory with profile filters:
// POST /search/community_members. It is a read that Circle takes as a
// POST: it does not end the member's shared GETs as a write does, and, as
// a POST, it is not retried once sent.
func (m *MemberAPI) SearchMembers(ctx context.Context, s MemberSearch) (*Page[SearchedMember], error) {
	raw, err := m.c.do(ctx, request{method: http.MethodPost, endpoint: "/search/community_members", target: "/search/community_members", prefix: memberPrefix, token: m.who.token, body: s})
	if err != nil {
		return nil, err
	}
	var out Page[SearchedMember]
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("circle: POST /search/community_members: decode response: %w", err)
	}
	return &out, nil
}
