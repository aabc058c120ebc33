package circle

import (
	"context"
	"net/http"
	"net/url"
)

// The small community endpoints: reporting content, joining by invitation,
// live rooms, the home space and marking a space as read.

// ContentReport is the body of POST /flagged_contents, inside its
// {"flagged_content": …} envelope.
type ContentReport struct {
	// ContentID is the post's or comment's id.
	ContentID int64 `json:"flagged_contentable_id"`
	// ContentType is "Post" or "Comment".
	ContentType string `json:"flagged_contentable_type"`
	// Reason is one of harassment, spam, incorrect_location,
	// against_guidelines, other.
	Reason string `json:"reported_reason_type"`
	// Details is the member's own words; Circle requires the field.
	Details string `json:"reported_reason_body"`
}

// ReportContent reports a post or comment to the community's admins: POST
// /flagged_contents. Circle answers 201 with a message.
func (m *MemberAPI) ReportContent(ctx context.Context, r ContentReport) (string, error) {
	var out struct {
		Message string `json:"message"`
	}
	body := struct {
		Report ContentReport `json:"flagged_content"`
	}{r}
	if err := m.write(ctx, http.MethodPost, "/flagged_contents", "/flagged_contents", body, &out); err != nil {
		return "", err
	}
	return out.Message, nil
}

// InvitationJoin is Circle's answer to joining by an invitation link.
type InvitationJoin struct {
	// RedirectToSpaceID is the space the link leads to, nil when none.
	RedirectToSpaceID *int64 `json:"redirect_to_space_id"`
}

// JoinByInvitation accepts an invitation link for the member: POST
// /invitation_links/{token}/join. token is the link's token, escaped
// here as one path segment.
func (m *MemberAPI) JoinByInvitation(ctx context.Context, token string) (*InvitationJoin, error) {
	var out InvitationJoin
	if err := m.write(ctx, http.MethodPost, "/invitation_links/{token}/join", "/invitation_links/"+url.PathEscape(token)+"/join", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// NewLiveRoom is the body of POST /live_streams/rooms. Zero fields are not
// sent, so Circle's defaults apply.
type NewLiveRoom struct {
	Name             string        `json:"name"`
	Description      string        `json:"description,omitempty"`
	Slug             string        `json:"slug,omitempty"`
	ViewType         string        `json:"view_type,omitempty"`
	RoomType         string        `json:"room_type,omitempty"`
	AccessType       string        `json:"access_type,omitempty"`
	RecordingEnabled *bool         `json:"recording_enabled,omitempty"`
	MuteOnJoin       *bool         `json:"mute_on_join,omitempty"`
	LimitURLSharing  *bool         `json:"limit_url_sharing,omitempty"`
	Invited          *LiveInvitees `json:"invited_entities_ids,omitempty"`
}

// LiveInvitees are who a secret room is open to.
type LiveInvitees struct {
	MemberIDs     []int64 `json:"members_ids,omitempty"`
	SpaceIDs      []int64 `json:"spaces_ids,omitempty"`
	SpaceGroupIDs []int64 `json:"space_groups_ids,omitempty"`
	MemberTagIDs  []int64 `json:"member_tags_ids,omitempty"`
}

// LiveRoom is a live stream or conference room (Circle's live_room).
type LiveRoom struct {
	ID               int64     `json:"id"`
	Name             string    `json:"name"`
	Description      string    `json:"description"`
	Slug             string    `json:"slug"`
	Status           string    `json:"status"`
	HostCapacity     int       `json:"host_capacity"`
	ViewType         string    `json:"view_type"`
	RoomType         string    `json:"room_type"`
	RecordingEnabled bool      `json:"recording_enabled"`
	AccessType       string    `json:"access_type"`
	RoomProvider     string    `json:"room_provider"`
	MuteOnJoin       bool      `json:"mute_on_join"`
	LimitURLSharing  bool      `json:"limit_url_sharing"`
	CreatedAt        Timestamp `json:"created_at"`
	ChatRoomUUID     string    `json:"chat_room_uuid"`
	Participants     struct {
		Count int `json:"count"`
	} `json:"participants_preview"`
	CanHost     bool `json:"can_host"`
	CanManage   bool `json:"can_manage"`
	CanModerate bool `json:"can_moderate"`
	IsCreator   bool `json:"is_creator"`
}

// CreateLiveRoom opens a live room: POST /live_streams/rooms. Circle
// answers 201 with the room.
func (m *MemberAPI) CreateLiveRoom(ctx context.Context, r NewLiveRoom) (*LiveRoom, error) {
	var out LiveRoom
	if err := m.write(ctx, http.MethodPost, "/live_streams/rooms", "/live_streams/rooms", r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// HomeSpace returns the community's home "space" (the home feed's
// settings as a space record): GET /spaces/home. Its id is 0, as in
// Circle's example, so it is not refused for having none.
func (m *MemberAPI) HomeSpace(ctx context.Context) (*Space, error) {
	var out Space
	if err := m.get(ctx, "/spaces/home", "/spaces/home", nil, &out); err != nil {
		return nil, err
	}
	if out.Slug == "" && out.Name == "" {
		return nil, identified(nil, "/spaces/home", 0)
	}
	return &out, nil
}

// MarkSpaceMemberRead marks what is unread in a space as read for the
// member: POST /space_members/{id}/mark_as_read, where id is the member's
// space_member_id in that space (Space.SpaceMemberID).
func (m *MemberAPI) MarkSpaceMemberRead(ctx context.Context, spaceMemberID int64) error {
	return m.write(ctx, http.MethodPost, "/space_members/{id}/mark_as_read", "/space_members/"+id(spaceMemberID)+"/mark_as_read", nil, nil)
}
