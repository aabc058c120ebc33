package sandbox

import (
	"encoding/json"
	"time"
)

// The JSON the sandbox answers with, in its own types. They are written
// from Circle's OpenAPI documents and checked against them
// (conformance_test.go), and never borrowed from package circle: the
// sandbox must not inherit the client's mistakes, or a wrong JSON tag there
// would be copied here and a test of one against the other would prove
// nothing.

// wirePage is Circle's list envelope. page_count and sort appear only on
// the endpoints whose examples show them.
type wirePage[T any] struct {
	Page        int    `json:"page"`
	PerPage     int    `json:"per_page"`
	HasNextPage bool   `json:"has_next_page"`
	Count       int    `json:"count"`
	PageCount   int    `json:"page_count,omitempty"`
	Sort        string `json:"sort,omitempty"`
	Records     []T    `json:"records"`
}

// wireTime is a Circle date-time: ISO 8601 with milliseconds in UTC
// ("2024-04-02T09:05:23.651Z"), or null when zero.
type wireTime time.Time

// MarshalJSON writes the time as Circle does.
func (t wireTime) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + tt.UTC().Format("2006-01-02T15:04:05.000Z") + `"`), nil
}

// wireAuthor is Circle's shared_community_member, embedded in posts and
// comments (with the user id in "id") and listed in a post's user_likes
// (without it).
type wireAuthor struct {
	ID                int64      `json:"id,omitempty"`
	CommunityMemberID int64      `json:"community_member_id"`
	Name              string     `json:"name"`
	Headline          string     `json:"headline"`
	AvatarURL         *string    `json:"avatar_url"`
	Roles             *wireRoles `json:"roles,omitempty"`
}

// wireSpace is a space of GET /spaces and GET /spaces/{id}.
type wireSpace struct {
	ID                   int64   `json:"id"`
	Name                 string  `json:"name"`
	Slug                 string  `json:"slug"`
	Emoji                *string `json:"emoji"`
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
}

// wireSpaceRef is the short space object embedded in posts.
type wireSpaceRef struct {
	ID    int64   `json:"id"`
	Name  string  `json:"name"`
	Slug  string  `json:"slug"`
	Emoji *string `json:"emoji"`
}

// wireBody is a post's or comment's rendered body.
type wireBody struct {
	HTML string `json:"html"`
}

// wireEventSettings is an event post's event_setting_attributes.
type wireEventSettings struct {
	StartsAt              wireTime `json:"starts_at"`
	EndsAt                wireTime `json:"ends_at"`
	DurationInSeconds     int      `json:"duration_in_seconds,omitempty"`
	LocationType          string   `json:"location_type,omitempty"`
	InPersonLocation      *string  `json:"in_person_location"`
	VirtualLocationURL    string   `json:"virtual_location_url,omitempty"`
	RsvpCount             int      `json:"rsvp_count"`
	RsvpLimit             *int     `json:"rsvp_limit"`
	RsvpDisabled          bool     `json:"rsvp_disabled"`
	HideAttendees         bool     `json:"hide_attendees"`
	HideLocationFromGuest bool     `json:"hide_location_from_non_attendees"`
}

// wirePost is a post as Circle writes it. Event posts also carry the
// viewer's rsvp_status (null when they have not answered) and rsvped_event;
// other posts carry neither.
type wirePost struct {
	ID                   int64              `json:"id"`
	PostType             string             `json:"post_type"`
	SpaceType            string             `json:"space_type,omitempty"`
	Status               string             `json:"status,omitempty"`
	Name                 *string            `json:"name"`
	DisplayTitle         string             `json:"display_title"`
	Slug                 string             `json:"slug"`
	URL                  string             `json:"url,omitempty"`
	Editor               string             `json:"editor,omitempty"`
	Body                 *wireBody          `json:"body"`
	TiptapBody           json.RawMessage    `json:"tiptap_body"`
	BodyPlainText        string             `json:"body_plain_text"`
	IsCommentsEnabled    bool               `json:"is_comments_enabled"`
	IsCommentsClosed     bool               `json:"is_comments_closed"`
	IsLikingEnabled      bool               `json:"is_liking_enabled"`
	IsPinnedAtTopOfSpace bool               `json:"is_pinned_at_top_of_space"`
	IsLiked              bool               `json:"is_liked"`
	UserLikesCount       int                `json:"user_likes_count"`
	CommentCount         int                `json:"comment_count"`
	CreatedAt            wireTime           `json:"created_at"`
	UpdatedAt            wireTime           `json:"updated_at"`
	Space                wireSpaceRef       `json:"space"`
	Author               wireAuthor         `json:"author"`
	EventSettings        *wireEventSettings `json:"event_setting_attributes,omitempty"`
	// RsvpStatus and RsvpedEvent are the viewer's answer to an event post,
	// written only with EventSettings.
	RsvpStatus  *string `json:"-"`
	RsvpedEvent bool    `json:"-"`
}

// MarshalJSON writes event posts with their per-viewer RSVP fields.
func (p wirePost) MarshalJSON() ([]byte, error) {
	type plain wirePost
	if p.EventSettings == nil {
		return json.Marshal(plain(p))
	}
	return json.Marshal(struct {
		plain
		RsvpStatus  *string `json:"rsvp_status"`
		RsvpedEvent bool    `json:"rsvped_event"`
	}{plain(p), p.RsvpStatus, p.RsvpedEvent})
}

// wireComment is a comment or reply as Circle writes it.
type wireComment struct {
	ID                int64           `json:"id"`
	UserID            int64           `json:"user_id,omitempty"`
	CommunityMemberID int64           `json:"community_member_id"`
	PostID            int64           `json:"post_id"`
	SpaceID           int64           `json:"space_id"`
	PostName          string          `json:"post_name,omitempty"`
	ParentCommentID   *int64          `json:"parent_comment_id"`
	Editor            string          `json:"editor,omitempty"`
	Body              *wireBody       `json:"body,omitempty"`
	TiptapBody        json.RawMessage `json:"tiptap_body"`
	BodyText          string          `json:"body_text"`
	UserLikesCount    int             `json:"user_likes_count"`
	IsLiked           bool            `json:"is_liked"`
	RepliesCount      int             `json:"replies_count"`
	CreatedAt         wireTime        `json:"created_at"`
	UpdatedAt         wireTime        `json:"updated_at"`
	Author            wireAuthor      `json:"author"`
	Replies           []wireComment   `json:"replies,omitempty"`
}

// wireAttendee is a record of GET /events/{event_id}/event_attendees, and
// the answer of an RSVP.
type wireAttendee struct {
	ID                int64    `json:"id"`
	CommunityMemberID int64    `json:"community_member_id"`
	ContactID         int64    `json:"contact_id,omitempty"`
	ContactType       string   `json:"contact_type,omitempty"`
	Name              string   `json:"name"`
	AvatarURL         *string  `json:"avatar_url"`
	RsvpDate          wireTime `json:"rsvp_date"`
	RsvpStatus        string   `json:"rsvp_status"`
}

// wireToken is a member's token pair as POST auth_token answers it.
type wireToken struct {
	AccessToken           string   `json:"access_token"`
	RefreshToken          string   `json:"refresh_token"`
	AccessTokenExpiresAt  wireTime `json:"access_token_expires_at"`
	RefreshTokenExpiresAt wireTime `json:"refresh_token_expires_at"`
	CommunityMemberID     int64    `json:"community_member_id"`
	CommunityID           int64    `json:"community_id"`
}

// wireRefreshedToken is the answer of PATCH access_token/refresh.
type wireRefreshedToken struct {
	AccessToken          string   `json:"access_token"`
	AccessTokenExpiresAt wireTime `json:"access_token_expires_at"`
}
