package circle

import (
	"context"
	"net/http"
)

// The member's own account (profile update, signup profile, deactivation)
// and the member fields that several member records share.

// MemberTag is one of a member's tags (Circle's member_tags entries), as
// the profile, the member directory, the signed-in member and some embeds
// carry them.
type MemberTag struct {
	ID                  int64    `json:"id"`
	Name                string   `json:"name"`
	Color               string   `json:"color,omitempty"`
	TextColor           string   `json:"text_color,omitempty"`
	Emoji               string   `json:"emoji,omitempty"`
	CustomEmojiURL      string   `json:"custom_emoji_url,omitempty"`
	CustomEmojiDarkURL  string   `json:"custom_emoji_dark_url,omitempty"`
	DisplayFormat       string   `json:"display_format,omitempty"`
	DisplayLocations    []string `json:"display_locations,omitempty"`
	IsPublic            bool     `json:"is_public"`
	IsBackgroundEnabled bool     `json:"is_background_enabled"`
}

// ProfileInfo is where a member is and where else to find them
// (profile_info). Circle writes "" or null for a blank entry.
type ProfileInfo struct {
	Website      *string `json:"website"`
	Location     *string `json:"location"`
	TwitterURL   *string `json:"twitter_url"`
	FacebookURL  *string `json:"facebook_url"`
	InstagramURL *string `json:"instagram_url"`
	LinkedinURL  *string `json:"linkedin_url"`
}

// MemberFeatures are the features the community turns on for the signed-in
// member (GET /community_member's features).
type MemberFeatures struct {
	MessagingEnabled     bool `json:"messaging_enabled"`
	CanCreateLiveStreams bool `json:"can_create_live_streams"`
}

// ProfileUpdate is the body of PUT /profile and PUT /signup/profile:
// {"community_member": {…}}. Nil fields are not sent, so Circle keeps
// their values.
type ProfileUpdate struct {
	Name     *string `json:"name,omitempty"`
	Headline *string `json:"headline,omitempty"`
	// Avatar is the signed_id of a direct upload.
	Avatar   *string `json:"avatar,omitempty"`
	TimeZone *string `json:"time_zone,omitempty"`
	// Preferences is sent only when one of its fields is set.
	Preferences   *ProfilePreferences  `json:"preferences,omitempty"`
	ProfileFields []ProfileFieldUpdate `json:"community_member_profile_fields_attributes,omitempty"`
}

// ProfilePreferences are the member's own switches.
type ProfilePreferences struct {
	MessagingEnabled         *bool `json:"messaging_enabled,omitempty"`
	VisibleInMemberDirectory *bool `json:"visible_in_member_directory,omitempty"`
	MakeMyEmailPublic        *bool `json:"make_my_email_public,omitempty"`
}

// ProfileFieldUpdate sets the member's answer to one profile field
// (community_member_profile_fields_attributes, Rails nested attributes:
// ID names an existing answer, ProfileFieldID the field).
type ProfileFieldUpdate struct {
	ID             int64                 `json:"id,omitempty"`
	ProfileFieldID int64                 `json:"profile_field_id"`
	Text           *string               `json:"text,omitempty"`
	Textarea       *string               `json:"textarea,omitempty"`
	Choices        []ProfileChoiceUpdate `json:"community_member_choices_attributes,omitempty"`
}

// ProfileChoiceUpdate picks (or, with Destroy, drops) one choice of a
// choice field.
type ProfileChoiceUpdate struct {
	ID                   int64 `json:"id,omitempty"`
	ProfileFieldChoiceID int64 `json:"profile_field_choice_id,omitempty"`
	Destroy              bool  `json:"_destroy,omitempty"`
}

// profileEnvelope is the request body of the profile endpoints.
type profileEnvelope struct {
	CommunityMember ProfileUpdate `json:"community_member"`
}

// UpdatedProfile is Circle's answer to a profile write
// (profile_update_response): a message and part of the member's record.
type UpdatedProfile struct {
	Message       string `json:"message"`
	CurrentMember struct {
		ID                int64   `json:"id"`
		CommunityMemberID int64   `json:"community_member_id"`
		Name              string  `json:"name"`
		Headline          string  `json:"headline"`
		AvatarURL         *string `json:"avatar_url"`
	} `json:"current_community_member"`
}

// UpdateProfile changes the signed-in member's profile: PUT /profile.
func (m *MemberAPI) UpdateProfile(ctx context.Context, u ProfileUpdate) (*UpdatedProfile, error) {
	var out UpdatedProfile
	if err := m.write(ctx, http.MethodPut, "/profile", "/profile", profileEnvelope{CommunityMember: u}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ConfirmSignupProfile fills in and confirms the profile of a member who
// has just joined: PUT /signup/profile. Circle answers 409 when the
// profile was confirmed already.
func (m *MemberAPI) ConfirmSignupProfile(ctx context.Context, u ProfileUpdate) (*UpdatedProfile, error) {
	var out UpdatedProfile
	if err := m.write(ctx, http.MethodPut, "/signup/profile", "/signup/profile", profileEnvelope{CommunityMember: u}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Deactivate deactivates the signed-in member's own membership: DELETE
// /community_member/deactivate. Circle refuses it for admins and the
// community's owner. The member's tokens stop working afterwards.
func (m *MemberAPI) Deactivate(ctx context.Context) error {
	return m.write(ctx, http.MethodDelete, "/community_member/deactivate", "/community_member/deactivate", nil, nil)
}

// MemberSpaces lists the spaces a member belongs to (as far as the
// signed-in member may see them): GET /community_members/{id}/spaces.
func (m *MemberAPI) MemberSpaces(ctx context.Context, memberID int64, p ListParams) (*Page[Space], error) {
	var out Page[Space]
	return &out, m.get(ctx, "/community_members/{id}/spaces", "/community_members/"+id(memberID)+"/spaces", p.query(), &out)
}
