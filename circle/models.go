package circle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Page is one page of a Circle list response. Every list endpoint the gateway
// uses answers with this envelope; Count is the total number of records the
// list holds across all pages.
type Page[T any] struct {
	Page        int    `json:"page"`
	PerPage     int    `json:"per_page"`
	HasNextPage bool   `json:"has_next_page"`
	Count       int    `json:"count"`
	PageCount   int    `json:"page_count,omitempty"`
	Sort        string `json:"sort,omitempty"`
	Records     []T    `json:"records"`
}

// Timestamp is a Circle date-time. Circle writes them as ISO 8601 with
// milliseconds ("2024-04-02T09:05:23.651Z"); Timestamp also accepts null,
// the empty string and unknown spellings (as zero) so that one odd record
// cannot fail a whole page.
type Timestamp struct{ time.Time }

// MarshalJSON writes the time as Circle does, or null when zero.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format("2006-01-02T15:04:05.000Z07:00") + `"`), nil
}

// UnmarshalJSON reads an RFC 3339 string (or another common spelling, see
// parseTime), null or "". Only a value that is not a JSON string at all is
// an error.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) || bytes.Equal(b, []byte(`""`)) {
		t.Time = time.Time{}
		return nil
	}
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		if utc, ok := parseUTC(b[1 : len(b)-1]); ok {
			// Circle's own spelling, read without a string or a layout.
			t.Time = utc
			return nil
		}
	}
	var s string
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 {
		// A plain quoted date: no need for a JSON decoder.
		s = string(b[1 : len(b)-1])
	} else if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	t.Time = parseTime(s)
	return nil
}

// parseUTC reads the spelling Circle writes, "2024-04-02T09:05:23.651Z"
// (any number of fraction digits, or none, and Z), straight from the
// bytes: every post and comment carries several, and time.Parse needs a
// string of each. It gives what time.Parse(time.RFC3339Nano, …) gives, and
// ok=false for anything else (other offsets, out-of-range fields), which
// parseTime then reads.
func parseUTC(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[len(b)-1] != 'Z' {
		return time.Time{}, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 {
		return time.Time{}, false
	}
	nsec := 0
	if frac := b[19 : len(b)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		n, ok := digits(frac[1:])
		if !ok {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			n *= 10
		}
		nsec = n
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

// digits reads b as a decimal number of ASCII digits only.
func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysIn is the number of days of month m in year.
func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// timeLayouts are the date-time spellings accepted besides RFC 3339: what
// Rails apps like Circle write in other serializers, and bare dates.
var timeLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999 MST",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// parseTime reads s in the first layout that fits, else returns the zero
// time: a date in an unexpected spelling reads as unknown (null where the
// field is nullable) instead of failing the whole page it came in.
func parseTime(s string) time.Time {
	if parsed, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return parsed
	}
	for _, layout := range timeLayouts {
		if parsed, err := time.Parse(layout, s); err == nil {
			return parsed.UTC()
		}
	}
	return time.Time{}
}

// Ptr returns nil for a zero time, else the time, for nullable fields.
func (t Timestamp) Ptr() *time.Time {
	if t.IsZero() {
		return nil
	}
	v := t.Time
	return &v
}

// Roles is a member's roles. Circle writes them either as an object
// ({"admin": true, "moderator": false}) or, in embedded authors, as a list of
// names (["admin"]); both decode to the same value.
type Roles struct {
	Admin     bool `json:"admin"`
	Moderator bool `json:"moderator"`
}

// UnmarshalJSON accepts the object form, the list form and null.
func (r *Roles) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*r = Roles{}
		return nil
	case len(b) > 0 && b[0] == '[':
		var names []string
		if err := decode(b, &names); err != nil {
			return fmt.Errorf("roles: %w", err)
		}
		*r = Roles{}
		for _, n := range names {
			switch n {
			case "admin":
				r.Admin = true
			case "moderator":
				r.Moderator = true
			}
		}
		return nil
	default:
		type plain Roles
		var p plain
		if err := decode(b, &p); err != nil {
			return fmt.Errorf("roles: %w", err)
		}
		*r = Roles(p)
		return nil
	}
}

// Space is a space as GET /spaces and GET /spaces/{id} return it. IsMember is
// specific to the member whose token fetched it.
type Space struct {
	ID                   int64   `json:"id"`
	Name                 string  `json:"name"`
	Slug                 string  `json:"slug"`
	Emoji                *string `json:"emoji"`
	CustomEmojiURL       string  `json:"custom_emoji_url,omitempty"`
	CustomEmojiDarkURL   string  `json:"custom_emoji_dark_url,omitempty"`
	CommunityID          int64   `json:"community_id,omitempty"`
	SpaceGroupID         int64   `json:"space_group_id,omitempty"`
	SpaceGroupName       string  `json:"space_group_name,omitempty"`
	PostType             string  `json:"post_type,omitempty"`
	SpaceType            string  `json:"space_type,omitempty"`
	DisplayView          string  `json:"display_view,omitempty"`
	URL                  string  `json:"url,omitempty"`
	IsPrivate            bool    `json:"is_private"`
	IsMember             bool    `json:"is_member"`
	IsPostDisabled       bool    `json:"is_post_disabled"`
	DefaultSort          *string `json:"default_sort"`
	SpaceMemberID        *int64  `json:"space_member_id,omitempty"`
	TopicsCount          int     `json:"topics_count"`
	ShowInSpacesSegment  bool    `json:"show_in_spaces_segment"`
	RequireTopicSelected bool    `json:"require_topic_selection"`
	// CoverImage is the cover's signed blob id; CoverImageURL is where the
	// image can be fetched. Both are null for a space without a cover.
	CoverImage    *string        `json:"cover_image"`
	CoverImageURL *string        `json:"cover_image_url"`
	DefaultTab    string         `json:"default_tab,omitempty"`
	VisibleTabs   *VisibleTabs   `json:"visible_tabs,omitempty"`
	Policies      *SpacePolicies `json:"policies,omitempty"`
}

// VisibleTabs says which tabs of a space Circle shows its members.
type VisibleTabs struct {
	Posts   bool `json:"posts"`
	Members bool `json:"members"`
}

// SpacePolicies is what the member whose token fetched a space may do there.
type SpacePolicies struct {
	CanManageSpace   bool `json:"can_manage_space"`
	CanViewSpace     bool `json:"can_view_space"`
	CanLeaveSpace    bool `json:"can_leave_space"`
	CanCreatePost    bool `json:"can_create_post"`
	CanInviteMembers bool `json:"can_invite_members"`
}

// SpaceRef is the short space object embedded in every post.
type SpaceRef struct {
	ID                 int64   `json:"id"`
	Name               string  `json:"name"`
	Slug               string  `json:"slug"`
	Emoji              *string `json:"emoji"`
	CustomEmojiURL     string  `json:"custom_emoji_url,omitempty"`
	CustomEmojiDarkURL string  `json:"custom_emoji_dark_url,omitempty"`
}

// Author is Circle's shared_community_member: the member object embedded in
// posts, comments and like lists. Mind the ids: ID is the member's *user* id;
// CommunityMemberID is the community member id that every other endpoint
// (profiles, member posts) takes.
type Author struct {
	ID                int64   `json:"id,omitempty"`
	CommunityMemberID int64   `json:"community_member_id"`
	Name              string  `json:"name"`
	Headline          string  `json:"headline"`
	AvatarURL         *string `json:"avatar_url"`
	Roles             *Roles  `json:"roles,omitempty"`
	// MemberTags is nil when Circle left the tags out of the embed (then
	// they come from the profile), empty when the member has none.
	MemberTags []MemberTag `json:"member_tags,omitempty"`
}

// PostBody is the HTML body of a post or comment with what is attached to
// it. Circle gives the attachments twice, as an object keyed by attachment
// and as a list (attachments_array); both are kept as sent, their records
// being undocumented.
type PostBody struct {
	HTML             string          `json:"html"`
	Attachments      json.RawMessage `json:"attachments,omitempty"`
	AttachmentsArray json.RawMessage `json:"attachments_array,omitempty"`
}

// EventSettings are the event fields of an event post.
type EventSettings struct {
	StartsAt              Timestamp `json:"starts_at"`
	EndsAt                Timestamp `json:"ends_at"`
	DurationInSeconds     int       `json:"duration_in_seconds,omitempty"`
	LocationType          string    `json:"location_type,omitempty"`
	InPersonLocation      *string   `json:"in_person_location"`
	VirtualLocationURL    string    `json:"virtual_location_url,omitempty"`
	RsvpCount             int       `json:"rsvp_count"`
	RsvpLimit             *int      `json:"rsvp_limit"`
	RsvpDisabled          bool      `json:"rsvp_disabled"`
	HideAttendees         bool      `json:"hide_attendees"`
	HideLocationFromGuest bool      `json:"hide_location_from_non_attendees"`
}

// RecurringSetting is how a recurring event repeats
// (recurring_setting_attributes of an event post).
type RecurringSetting struct {
	Frequency   string    `json:"frequency"`
	EndsAt      Timestamp `json:"ends_at"`
	Occurrences *int      `json:"occurrences"`
	RangeType   string    `json:"range_type"`
}

// Topic is a topic of a space, as posts carry them and GET
// /spaces/{space_id}/topics lists them.
type Topic struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	AdminOnly bool   `json:"admin_only"`
}

// Gallery is the set of images of an image post.
type Gallery struct {
	ID                 int64          `json:"id"`
	DownloadableImages bool           `json:"downloadable_images"`
	Images             []GalleryImage `json:"images"`
}

// GalleryImage is one image of a gallery. URL serves a representation
// sized for display, OriginalURL the file as uploaded; SignedID names the
// blob, as an update of the post refers to it.
type GalleryImage struct {
	ID          int64  `json:"id"`
	URL         string `json:"url"`
	OriginalURL string `json:"original_url,omitempty"`
	SignedID    string `json:"signed_id,omitempty"`
	Filename    string `json:"filename,omitempty"`
	Width       *int   `json:"width"`
	Height      *int   `json:"height"`
}

// PostPolicies is what the member whose token fetched a post may do with it.
type PostPolicies struct {
	CanDestroyPost   bool `json:"can_destroy_post"`
	CanDuplicatePost bool `json:"can_duplicate_post"`
	CanManagePost    bool `json:"can_manage_post"`
	CanReportPost    bool `json:"can_report_post"`
	CanUpdatePost    bool `json:"can_update_post"`
}

// CommentPolicies is what the member whose token fetched a comment may do
// with it.
type CommentPolicies struct {
	CanBookmark bool `json:"can_bookmark"`
	CanDestroy  bool `json:"can_destroy"`
	CanEdit     bool `json:"can_edit"`
	CanManage   bool `json:"can_manage"`
	CanReport   bool `json:"can_report"`
}

// Post is a post of any type (basic, image or event). IsLiked and RsvpStatus
// are specific to the member whose token fetched it.
type Post struct {
	ID                   int64           `json:"id"`
	PostType             string          `json:"post_type"`
	SpaceType            string          `json:"space_type,omitempty"`
	Status               string          `json:"status,omitempty"`
	Name                 *string         `json:"name"`
	DisplayTitle         string          `json:"display_title"`
	Slug                 string          `json:"slug"`
	URL                  string          `json:"url,omitempty"`
	Editor               string          `json:"editor,omitempty"`
	Body                 *PostBody       `json:"body"`
	TiptapBody           json.RawMessage `json:"tiptap_body"`
	BodyPlainText        string          `json:"body_plain_text"`
	IsCommentsEnabled    bool            `json:"is_comments_enabled"`
	IsCommentsClosed     bool            `json:"is_comments_closed"`
	IsLikingEnabled      bool            `json:"is_liking_enabled"`
	IsPinnedAtTopOfSpace bool            `json:"is_pinned_at_top_of_space"`
	IsLiked              bool            `json:"is_liked"`
	UserLikesCount       int             `json:"user_likes_count"`
	CommentCount         int             `json:"comment_count"`
	CreatedAt            Timestamp       `json:"created_at"`
	UpdatedAt            Timestamp       `json:"updated_at"`
	Space                SpaceRef        `json:"space"`
	Author               Author          `json:"author"`
	// CoverImage and CardviewImage are image URLs (null when the post has
	// none): the cover shown above the post and the thumbnail of card views.
	CoverImage    *string `json:"cover_image,omitempty"`
	CardviewImage *string `json:"cardview_image,omitempty"`
	Topics        []Topic `json:"topics,omitempty"`
	// BookmarkID and PostFollowerID are the fetching member's own bookmark
	// of the post and following of it, null when there is none.
	BookmarkID     *int64        `json:"bookmark_id,omitempty"`
	PostFollowerID *int64        `json:"post_follower_id,omitempty"`
	Policies       *PostPolicies `json:"policies,omitempty"`

	// Image posts only.
	Gallery *Gallery `json:"gallery,omitempty"`

	// Event posts only. EventType is "single" or, for a series,
	// "recurring"; RecurringSetting says how a series repeats.
	EventSettings    *EventSettings    `json:"event_setting_attributes,omitempty"`
	EventType        string            `json:"event_type,omitempty"`
	RecurringSetting *RecurringSetting `json:"recurring_setting_attributes,omitempty"`
	RsvpStatus       *string           `json:"rsvp_status,omitempty"`
	RsvpedEvent      *bool             `json:"rsvped_event,omitempty"`
}

// Post types as Circle names them in post_type.
const (
	PostTypeBasic = "basic"
	PostTypeEvent = "event"
	PostTypeImage = "image"
)

// Comment is a comment or a reply. IsLiked is specific to the member whose
// token fetched it. Replies holds the replies Circle embeds in comment lists.
type Comment struct {
	ID                int64           `json:"id"`
	UserID            int64           `json:"user_id,omitempty"`
	CommunityMemberID int64           `json:"community_member_id"`
	PostID            int64           `json:"post_id"`
	SpaceID           int64           `json:"space_id"`
	PostName          string          `json:"post_name,omitempty"`
	ParentCommentID   *int64          `json:"parent_comment_id"`
	Editor            string          `json:"editor,omitempty"`
	Body              *PostBody       `json:"body,omitempty"`
	TiptapBody        json.RawMessage `json:"tiptap_body"`
	BodyText          string          `json:"body_text"`
	UserLikesCount    int             `json:"user_likes_count"`
	IsLiked           bool            `json:"is_liked"`
	RepliesCount      int             `json:"replies_count"`
	CreatedAt         Timestamp       `json:"created_at"`
	UpdatedAt         Timestamp       `json:"updated_at"`
	// RemovedAt is when a moderator or the author removed the comment;
	// Circle keeps a removed comment (with its replies) in its thread.
	RemovedAt Timestamp `json:"removed_at"`
	// BookmarkID is the fetching member's bookmark of the comment, if any.
	BookmarkID *int64           `json:"bookmark_id,omitempty"`
	Policies   *CommentPolicies `json:"policies,omitempty"`
	Author     Author           `json:"author"`
	Replies    []Comment        `json:"replies,omitempty"`
}

// Profile is a member's public profile (GET
// /community_members/{id}/public_profile). ID is the community member id.
// Circle's public profile also carries the member's email; the gateway
// decodes it nowhere, so that it cannot reach another member by mistake.
type Profile struct {
	ID             int64   `json:"id"`
	Name           string  `json:"name"`
	Headline       string  `json:"headline"`
	Bio            string  `json:"bio"`
	AvatarURL      *string `json:"avatar_url"`
	LargeAvatarURL *string `json:"large_avatar_url"`
	PostsCount     int     `json:"posts_count"`
	CommentsCount  int     `json:"comments_count"`
	SpacesCount    int     `json:"spaces_count"`
	Roles          Roles   `json:"roles"`
	// CanReceiveDM is whether the member whose token fetched the profile
	// may send this member a direct message.
	CanReceiveDM     *bool        `json:"can_receive_dm_from_current_member"`
	MessagingEnabled *bool        `json:"messaging_enabled"`
	ProfileInfo      *ProfileInfo `json:"profile_info"`
	MemberTags       []MemberTag  `json:"member_tags"`
}

// CurrentMember is the signed-in member (GET /community_member). ID is the
// community member id, UserID the user id. Email is the member's own
// address: the one source the gateway shows an email from.
type CurrentMember struct {
	ID             int64          `json:"id"`
	UserID         int64          `json:"user_id"`
	PublicUID      string         `json:"public_uid,omitempty"`
	Name           string         `json:"name"`
	Email          string         `json:"email,omitempty"`
	Headline       string         `json:"headline"`
	Bio            string         `json:"bio"`
	AvatarURL      *string        `json:"avatar_url"`
	LargeAvatarURL *string        `json:"large_avatar_url"`
	PostsCount     int            `json:"posts_count"`
	CommentsCount  int            `json:"comments_count"`
	SpacesCount    int            `json:"spaces_count"`
	BookmarksCount int            `json:"bookmarks_count"`
	Active         bool           `json:"active"`
	Roles          Roles          `json:"roles"`
	ProfileInfo    *ProfileInfo   `json:"profile_info"`
	MemberTags     []MemberTag    `json:"member_tags"`
	Features       MemberFeatures `json:"features"`
}

// CommunityMember is one record of the member directory (GET
// /community_members): Circle's basic_community_member. Circle sends each
// member's email here too; it is not decoded (see Profile).
type CommunityMember struct {
	CommunityMemberID int64       `json:"community_member_id"`
	Name              string      `json:"name"`
	Headline          string      `json:"headline"`
	AvatarURL         *string     `json:"avatar_url"`
	MemberTags        []MemberTag `json:"member_tags"`
	CanReceiveDM      *bool       `json:"can_receive_dm_from_current_member"`
	MessagingEnabled  *bool       `json:"messaging_enabled"`
}

// EventAttendee is one RSVP of an event (GET /events/{id}/event_attendees).
type EventAttendee struct {
	ID                int64     `json:"id"`
	CommunityMemberID int64     `json:"community_member_id"`
	ContactID         int64     `json:"contact_id,omitempty"`
	ContactType       string    `json:"contact_type,omitempty"`
	Name              string    `json:"name"`
	AvatarURL         *string   `json:"avatar_url"`
	RsvpDate          Timestamp `json:"rsvp_date"`
	RsvpStatus        string    `json:"rsvp_status"`
}

// AuthToken is a member's token pair as the Auth API issues it (POST
// /api/v1/headless/auth_token, Circle's headless_auth_token). The access
// token is a JWT valid for an hour; the refresh token is opaque and valid for
// a month, and buys new access tokens through RefreshedAccessToken.
type AuthToken struct {
	AccessToken           string    `json:"access_token"`
	RefreshToken          string    `json:"refresh_token"`
	AccessTokenExpiresAt  Timestamp `json:"access_token_expires_at"`
	RefreshTokenExpiresAt Timestamp `json:"refresh_token_expires_at"`
	// CommunityMemberID is the member the tokens act for.
	CommunityMemberID int64 `json:"community_member_id"`
	CommunityID       int64 `json:"community_id"`
}

// RefreshedAccessToken is a new access token for an existing refresh token
// (PATCH /api/v1/headless/access_token/refresh, Circle's
// refreshed_access_token). The refresh token itself stays the same.
type RefreshedAccessToken struct {
	AccessToken          string    `json:"access_token"`
	AccessTokenExpiresAt Timestamp `json:"access_token_expires_at"`
}
