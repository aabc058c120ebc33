package sandbox

import (
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
