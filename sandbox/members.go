package sandbox

import (
	"net/http"
	"strings"
	"unicode/utf8"
)

// Members as Circle shows them (the signed-in member, public profiles, the
// member directory) and the member's own account: profile update, signup
// profile, deactivation, and the spaces a member belongs to. The answers
// are written with the sandbox's own wire types, from Circle's OpenAPI
// document.

// firstMemberTagID starts the member tag ids, a range of their own.
const firstMemberTagID = 70001

// memberTag is one of the community's member tags.
type memberTag struct {
	id                 int64
	name, color, emoji string
	textColor          string
	displayFormat      string
	locations          []string
	public             bool
}

// communityTags are the demo community's member tags, by id.
var communityTags = []memberTag{
	{id: firstMemberTagID, name: "Staff", color: "#1D4ED8", textColor: "#FFFFFF", displayFormat: "tag", locations: []string{"profile", "post_comment", "member_directory"}, public: true},
	{id: firstMemberTagID + 1, name: "Mentor", color: "#059669", textColor: "#FFFFFF", emoji: "🧭", displayFormat: "tag", locations: []string{"profile", "member_directory"}, public: true},
	{id: firstMemberTagID + 2, name: "Founding member", color: "#D97706", textColor: "#000000", emoji: "🌱", displayFormat: "emoji", locations: []string{"profile"}, public: true},
	{id: firstMemberTagID + 3, name: "Beta tester", color: "#6B7280", textColor: "#FFFFFF", displayFormat: "tag", locations: []string{"profile"}, public: false},
}

// memberProfile is what a member says about themselves beyond name,
// headline and bio, and the state of their account.
type memberProfile struct {
	location, website                    string
	twitter, facebook, instagram, linked string
	tags                                 []int64 // ids of communityTags
	messagingOff                         bool
	hiddenFromDirectory                  bool
	emailPublic                          bool
	timeZone                             string
	// avatarBlob is the upload the avatar comes from; 0 for the seeded
	// (gravatar) avatars.
	avatarBlob int64
	// confirmed is set once the signup profile is confirmed (PUT
	// /signup/profile answers 409 afterwards).
	confirmed bool
	// deactivated members are gone for every endpoint: their tokens stop
	// working, as do lookups by id, sso_user_id or email.
	deactivated bool
	// fieldAnswers are the member's answers to profile fields, by
	// profile_field_id.
	fieldAnswers map[int64]fieldAnswer
}

// fieldAnswer is a member's answer to one profile field.
type fieldAnswer struct {
	text, textarea string
	choices        []int64
}

// Seed values of the members' profiles, picked by position so that the
// demo data does not depend on the random generator the rest of the seed
// draws from.
var (
	seedLocations = []string{"Lisbon, Portugal", "Toronto, Canada", "Nairobi, Kenya", "Osaka, Japan", "", "Berlin, Germany", "São Paulo, Brazil", ""}
	seedTimeZones = []string{"Europe/Lisbon", "America/Toronto", "Africa/Nairobi", "Asia/Tokyo", "UTC", "Europe/Berlin", "America/Sao_Paulo", "Europe/London"}
)

// seedProfiles fills in the profiles of the seeded members. The demo member
// has a full profile; the others vary by position.
func (sd *seeder) seedProfiles() {
	for i, id := range sd.memberIDs {
		m := sd.st.members[id]
		local := emailLocal(strings.Fields(m.name)[0])
		p := memberProfile{
			location: seedLocations[i%len(seedLocations)],
			timeZone: seedTimeZones[i%len(seedTimeZones)],
			// Every third member turns direct messages off.
			messagingOff: i%3 == 2,
		}
		if i%2 == 0 {
			p.website = "https://" + local + ".example.com"
		}
		if i%3 == 0 {
			p.twitter = "https://twitter.com/" + local
			p.linked = "https://www.linkedin.com/in/" + local
		}
		switch {
		case m.admin:
			p.tags = []int64{firstMemberTagID, firstMemberTagID + 2}
		case m.moderator:
			p.tags = []int64{firstMemberTagID + 1}
		case i%7 == 1:
			p.tags = []int64{firstMemberTagID + 3}
		}
		if id == sd.demo {
			p = memberProfile{
				location: "Sandbox City", website: "https://demo.example.com",
				twitter: "https://twitter.com/demo", linked: "https://www.linkedin.com/in/demo",
				tags: []int64{firstMemberTagID + 2}, timeZone: "UTC", confirmed: true,
			}
		}
		p.confirmed = p.confirmed || i%6 != 5 // a few members have not confirmed their signup profile
		m.profile = p
	}
}

// --- wire types ---

// wireMemberTag is one entry of member_tags.
type wireMemberTag struct {
	ID                  int64    `json:"id"`
	Name                string   `json:"name"`
	Color               string   `json:"color"`
	TextColor           string   `json:"text_color"`
	Emoji               string   `json:"emoji"`
	CustomEmojiURL      string   `json:"custom_emoji_url"`
	CustomEmojiDarkURL  string   `json:"custom_emoji_dark_url"`
	DisplayFormat       string   `json:"display_format"`
	DisplayLocations    []string `json:"display_locations"`
	IsPublic            bool     `json:"is_public"`
	IsBackgroundEnabled bool     `json:"is_background_enabled"`
}

// wireProfileInfo is profile_info; blank entries are "" as in Circle's
// examples.
type wireProfileInfo struct {
	Website      string `json:"website"`
	Location     string `json:"location"`
	TwitterURL   string `json:"twitter_url"`
	FacebookURL  string `json:"facebook_url"`
	InstagramURL string `json:"instagram_url"`
	LinkedinURL  string `json:"linkedin_url"`
}

// wireRoles is a member's roles in the object form.
type wireRoles struct {
	Admin     bool `json:"admin"`
	Moderator bool `json:"moderator"`
}

// wirePublicProfile is GET /community_members/{id}/public_profile.
type wirePublicProfile struct {
	ID               int64           `json:"id"`
	Name             string          `json:"name"`
	Headline         string          `json:"headline"`
	Bio              string          `json:"bio"`
	Email            string          `json:"email"`
	PostsCount       int             `json:"posts_count"`
	CommentsCount    int             `json:"comments_count"`
	SpacesCount      int             `json:"spaces_count"`
	CanReceiveDM     bool            `json:"can_receive_dm_from_current_member"`
	MessagingEnabled bool            `json:"messaging_enabled"`
	ProfileInfo      wireProfileInfo `json:"profile_info"`
	Roles            wireRoles       `json:"roles"`
	MemberTags       []wireMemberTag `json:"member_tags"`
	AvatarURL        *string         `json:"avatar_url"`
	LargeAvatarURL   *string         `json:"large_avatar_url"`
}

// wireFeatures is the signed-in member's features.
type wireFeatures struct {
	MessagingEnabled         bool `json:"messaging_enabled"`
	CanCreateLiveStreams     bool `json:"can_create_live_streams"`
	DisplayHomePage          bool `json:"display_home_page"`
	ProfileFieldsFlagEnabled bool `json:"profile_fields_feature_flag_enabled"`
	VoiceMessagesEnabled     bool `json:"voice_messages_enabled"`
	ChatReactionsEnabled     bool `json:"chat_reactions_enabled"`
	TiptapWebviewEditor      bool `json:"tiptap_webview_editor_enabled"`
}

// wireCurrentMember is GET /community_member.
type wireCurrentMember struct {
	ID             int64           `json:"id"`
	UserID         int64           `json:"user_id"`
	PublicUID      string          `json:"public_uid"`
	Email          string          `json:"email"`
	Name           string          `json:"name"`
	AvatarURL      *string         `json:"avatar_url"`
	LargeAvatarURL *string         `json:"large_avatar_url"`
	Bio            string          `json:"bio"`
	Headline       string          `json:"headline"`
	PostsCount     int             `json:"posts_count"`
	CommentsCount  int             `json:"comments_count"`
	SpacesCount    int             `json:"spaces_count"`
	BookmarksCount int             `json:"bookmarks_count"`
	DefaultSpaceID int64           `json:"default_space_id"`
	Active         bool            `json:"active"`
	ProfileInfo    wireProfileInfo `json:"profile_info"`
	Roles          wireRoles       `json:"roles"`
	Features       wireFeatures    `json:"features"`
	MemberTags     []wireMemberTag `json:"member_tags"`
}

// wireDirectoryMember is a record of GET /community_members
// (basic_community_member).
type wireDirectoryMember struct {
	CommunityMemberID int64           `json:"community_member_id"`
	Name              string          `json:"name"`
	Headline          string          `json:"headline"`
	AvatarURL         *string         `json:"avatar_url"`
	MemberTags        []wireMemberTag `json:"member_tags"`
	CanReceiveDM      bool            `json:"can_receive_dm_from_current_member"`
	MessagingEnabled  bool            `json:"messaging_enabled"`
	Email             string          `json:"email"`
}

// wireUpdatedMember is the current_community_member of a profile write's
// answer (profile_update_response).
type wireUpdatedMember struct {
	ID                       int64   `json:"id"`
	UserID                   int64   `json:"user_id"`
	CommunityMemberID        int64   `json:"community_member_id"`
	Name                     string  `json:"name"`
	FirstName                string  `json:"first_name"`
	LastName                 string  `json:"last_name"`
	Headline                 string  `json:"headline"`
	Admin                    bool    `json:"admin"`
	AvatarURL                *string `json:"avatar_url"`
	PublicUID                string  `json:"public_uid"`
	IsDeleted                bool    `json:"is_deleted"`
	MessagingEnabled         bool    `json:"messaging_enabled"`
	MessagingEnabledByMember bool    `json:"messaging_enabled_by_member"`
	MessagingEnabledByAdmin  bool    `json:"messaging_enabled_by_admin"`
	VisibleInMemberDirectory bool    `json:"visible_in_member_directory"`
}

// wireProfileUpdate is the answer of PUT /profile and PUT /signup/profile.
type wireProfileUpdate struct {
	Message       string            `json:"message"`
	CurrentMember wireUpdatedMember `json:"current_community_member"`
}

// --- views (under the store's read lock) ---

func (st *store) tagsLocked(m *member) []wireMemberTag {
	out := []wireMemberTag{}
	for _, id := range m.profile.tags {
		for _, t := range communityTags {
			if t.id == id {
				out = append(out, wireMemberTag{
					ID: t.id, Name: t.name, Color: t.color, TextColor: t.textColor, Emoji: t.emoji,
					DisplayFormat: t.displayFormat, DisplayLocations: append([]string{}, t.locations...),
					IsPublic: t.public, IsBackgroundEnabled: true,
				})
			}
		}
	}
	return out
}

func profileInfoOf(m *member) wireProfileInfo {
	p := m.profile
	return wireProfileInfo{Website: p.website, Location: p.location, TwitterURL: p.twitter, FacebookURL: p.facebook, InstagramURL: p.instagram, LinkedinURL: p.linked}
}

// avatarsLocked are a member's avatar URLs: an uploaded avatar is served by
// the sandbox's blob route, in one size.
func (st *store) avatarsLocked(m *member) (small, large *string) {
	return cloneStr(m.avatarURL), cloneStr(m.avatarURL)
}

// canMessageLocked reports whether viewer may send m a direct message: both
// have messaging on and they are two members.
func (st *store) canMessageLocked(viewer int64, m *member) bool {
	v, ok := st.members[viewer]
	return ok && v.id != m.id && !v.profile.messagingOff && !m.profile.messagingOff
}

// currentMemberLocked is GET /community_member for the token's owner.
func (st *store) currentMemberLocked(memberID int64) wireCurrentMember {
	m := st.members[memberID]
	posts, comments, spaces := st.countsLocked(memberID)
	small, large := st.avatarsLocked(m)
	return wireCurrentMember{
		ID: m.id, UserID: m.userID, PublicUID: m.publicUID, Email: m.email, Name: m.name,
		AvatarURL: small, LargeAvatarURL: large, Bio: m.bio, Headline: m.headline,
		PostsCount: posts, CommentsCount: comments, SpacesCount: spaces, DefaultSpaceID: 0,
		BookmarksCount: st.bookmarkCountLocked(memberID), Active: true, ProfileInfo: profileInfoOf(m), Roles: wireRoles{Admin: m.admin, Moderator: m.moderator},
		Features: wireFeatures{
			MessagingEnabled: !m.profile.messagingOff, CanCreateLiveStreams: m.admin || m.moderator,
			DisplayHomePage: true, ChatReactionsEnabled: true, TiptapWebviewEditor: true,
		},
		MemberTags: st.tagsLocked(m),
	}
}

// profileLocked is a member's public profile as viewer sees it.
func (st *store) profileLocked(viewer, memberID int64) wirePublicProfile {
	m := st.members[memberID]
	posts, comments, spaces := st.countsLocked(memberID)
	small, large := st.avatarsLocked(m)
	return wirePublicProfile{
		ID: m.id, Name: m.name, Headline: m.headline, Bio: m.bio, Email: m.email,
		PostsCount: posts, CommentsCount: comments, SpacesCount: spaces,
		CanReceiveDM: st.canMessageLocked(viewer, m), MessagingEnabled: !m.profile.messagingOff,
		ProfileInfo: profileInfoOf(m), Roles: wireRoles{Admin: m.admin, Moderator: m.moderator},
		MemberTags: st.tagsLocked(m), AvatarURL: small, LargeAvatarURL: large,
	}
}

// directoryEntryLocked is a record of GET /community_members.
func (st *store) directoryEntryLocked(viewer, memberID int64) wireDirectoryMember {
	m := st.members[memberID]
	return wireDirectoryMember{
		CommunityMemberID: m.id, Name: m.name, Headline: m.headline, AvatarURL: cloneStr(m.avatarURL),
		MemberTags: st.tagsLocked(m), CanReceiveDM: st.canMessageLocked(viewer, m),
		MessagingEnabled: !m.profile.messagingOff, Email: m.email,
	}
}

// updatedMemberLocked is the member part of a profile write's answer.
func (st *store) updatedMemberLocked(m *member) wireUpdatedMember {
	first, last, _ := strings.Cut(m.name, " ")
	return wireUpdatedMember{
		ID: m.id, UserID: m.userID, CommunityMemberID: m.id, Name: m.name, FirstName: first, LastName: last,
		Headline: m.headline, Admin: m.admin, AvatarURL: cloneStr(m.avatarURL), PublicUID: m.publicUID,
		MessagingEnabled: !m.profile.messagingOff, MessagingEnabledByMember: !m.profile.messagingOff,
		MessagingEnabledByAdmin: true, VisibleInMemberDirectory: !m.profile.hiddenFromDirectory,
	}
}

// --- the member's own account ---

// Messages of profile write failures. Circle's document shows only the
// 409 of a confirmed signup profile; the others follow Rails' wording.
const (
	msgProfileConfirmed = "You already created profile"
	msgProfileUpdated   = "Profile updated!"
	msgProfileDone      = "Profile confirmed!"
	msgCannotDeactivate = "Admins and the community owner cannot deactivate their membership."
)

// Bounds of the sandbox's profile fields, in characters (Rails string
// columns).
const (
	maxNameChars     = 255
	maxHeadlineChars = 255
	maxTextChars     = 10000
)

// profileRequest is the body of PUT /profile and PUT /signup/profile.
type profileRequest struct {
	CommunityMember *struct {
		Name        *string `json:"name"`
		Avatar      *string `json:"avatar"`
		Headline    *string `json:"headline"`
		TimeZone    *string `json:"time_zone"`
		Preferences *struct {
			MessagingEnabled         *bool `json:"messaging_enabled"`
			VisibleInMemberDirectory *bool `json:"visible_in_member_directory"`
			MakeMyEmailPublic        *bool `json:"make_my_email_public"`
		} `json:"preferences"`
		ProfileFields []struct {
			ID             int64   `json:"id"`
			ProfileFieldID int64   `json:"profile_field_id"`
			Text           *string `json:"text"`
			Textarea       *string `json:"textarea"`
			Choices        []struct {
				ID                   int64 `json:"id"`
				ProfileFieldChoiceID int64 `json:"profile_field_choice_id"`
				Destroy              bool  `json:"_destroy"`
			} `json:"community_member_choices_attributes"`
		} `json:"community_member_profile_fields_attributes"`
	} `json:"community_member"`
}

// updateProfile applies a profile write for viewer. signup marks PUT
// /signup/profile, which confirms the profile and may run once.
func (s *Sandbox) updateProfile(viewer int64, req profileRequest, signup bool) (wireProfileUpdate, error) {
	if req.CommunityMember == nil {
		return wireProfileUpdate{}, &apiError{status: http.StatusBadRequest, message: "param is missing or the value is empty: community_member"}
	}
	in := req.CommunityMember
	problems := map[string][]string{}
	if in.Name != nil {
		if n := utf8.RuneCountInString(strings.TrimSpace(*in.Name)); n == 0 {
			problems["name"] = []string{"can't be blank"}
		} else if n > maxNameChars {
			problems["name"] = []string{"is too long (maximum is 255 characters)"}
		}
	}
	if in.Headline != nil && utf8.RuneCountInString(*in.Headline) > maxHeadlineChars {
		problems["headline"] = []string{"is too long (maximum is 255 characters)"}
	}
	var avatar *blob
	if in.Avatar != nil {
		b, err := s.uploads.attachable(*in.Avatar)
		if err != nil || !strings.HasPrefix(b.contentType, "image/") {
			problems["avatar"] = []string{"is invalid"}
		}
		avatar = b
	}
	for _, f := range in.ProfileFields {
		if f.ProfileFieldID <= 0 {
			problems["community_member_profile_fields.profile_field"] = []string{"must exist"}
		}
		if (f.Text != nil && utf8.RuneCountInString(*f.Text) > maxTextChars) || (f.Textarea != nil && utf8.RuneCountInString(*f.Textarea) > maxTextChars) {
			problems["community_member_profile_fields.text"] = []string{"is too long (maximum is 10000 characters)"}
		}
	}
	if len(problems) > 0 {
		return wireProfileUpdate{}, invalid(validationMessage(problems), problems)
	}

	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	m, ok := st.members[viewer]
	if !ok {
		return wireProfileUpdate{}, notFound("community_member")
	}
	if signup && m.profile.confirmed {
		return wireProfileUpdate{}, &apiError{status: http.StatusConflict, message: msgProfileConfirmed}
	}
	if in.Name != nil {
		m.name = strings.TrimSpace(*in.Name)
	}
	if in.Headline != nil {
		m.headline = strings.TrimSpace(*in.Headline)
	}
	if in.TimeZone != nil {
		m.profile.timeZone = *in.TimeZone
	}
	if avatar != nil {
		u := avatar.serviceURL
		m.avatarURL, m.profile.avatarBlob = &u, avatar.id
	}
	if p := in.Preferences; p != nil {
		if p.MessagingEnabled != nil {
			m.profile.messagingOff = !*p.MessagingEnabled
		}
		if p.VisibleInMemberDirectory != nil {
			m.profile.hiddenFromDirectory = !*p.VisibleInMemberDirectory
		}
		if p.MakeMyEmailPublic != nil {
			m.profile.emailPublic = *p.MakeMyEmailPublic
		}
	}
	for _, f := range in.ProfileFields {
		if m.profile.fieldAnswers == nil {
			m.profile.fieldAnswers = map[int64]fieldAnswer{}
		}
		a := m.profile.fieldAnswers[f.ProfileFieldID]
		if f.Text != nil {
			a.text = *f.Text
		}
		if f.Textarea != nil {
			a.textarea = *f.Textarea
		}
		for _, c := range f.Choices {
			a.choices = removeID(a.choices, c.ProfileFieldChoiceID)
			if !c.Destroy && c.ProfileFieldChoiceID > 0 {
				a.choices = append(a.choices, c.ProfileFieldChoiceID)
			}
		}
		m.profile.fieldAnswers[f.ProfileFieldID] = a
	}
	msg := msgProfileUpdated
	if signup {
		m.profile.confirmed, msg = true, msgProfileDone
	}
	return wireProfileUpdate{Message: msg, CurrentMember: st.updatedMemberLocked(m)}, nil
}

// removeID drops id from ids.
func removeID(ids []int64, id int64) []int64 {
	out := ids[:0]
	for _, v := range ids {
		if v != id {
			out = append(out, v)
		}
	}
	return out
}

// validationMessage is Rails' full message for field errors ("Name can't
// be blank and Headline is too long …"), fields in a fixed order.
func validationMessage(problems map[string][]string) string {
	var parts []string
	for _, name := range []string{"name", "headline", "avatar", "community_member_profile_fields.profile_field", "community_member_profile_fields.text"} {
		for _, p := range problems[name] {
			label := strings.ReplaceAll(name, "_", " ")
			if i := strings.LastIndexByte(label, '.'); i >= 0 {
				label = "Profile field " + label[i+1:]
			}
			parts = append(parts, strings.ToUpper(label[:1])+label[1:]+" "+p)
		}
	}
	return strings.Join(parts, " and ")
}

// deactivate is DELETE /community_member/deactivate: admins (and so the
// owner) may not; anyone else's membership ends and their tokens with it.
func (st *store) deactivate(viewer int64) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	m, ok := st.members[viewer]
	if !ok {
		return notFound("community_member")
	}
	if m.admin {
		return &apiError{status: http.StatusForbidden, message: msgCannotDeactivate}
	}
	m.profile.deactivated = true
	for _, sp := range st.spaces {
		delete(sp.members, viewer)
	}
	return nil
}

// memberSpaces is GET /community_members/{id}/spaces: the spaces the
// member belongs to that viewer can see, in id order.
func (st *store) memberSpaces(viewer, memberID int64, pp pageParams) (wirePage[wireSpace], error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if m, ok := st.members[memberID]; !ok || m.profile.deactivated {
		return wirePage[wireSpace]{}, notFound("community_member")
	}
	var in []*space
	for _, id := range st.spaceOrder {
		sp := st.spaces[id]
		if _, ok := sp.members[memberID]; ok && st.canSeeLocked(sp, viewer) {
			in = append(in, sp)
		}
	}
	page := listPage(in, pp, func(sp *space) wireSpace { return st.spaceLocked(sp, viewer) })
	page.Sort = "latest" // paginated_spaces names its order, as in Circle's example
	return page, nil
}

// --- handlers ---

func (s *Sandbox) putProfile(w http.ResponseWriter, r *http.Request, viewer int64) {
	s.profileWrite(w, r, viewer, false)
}

func (s *Sandbox) putSignupProfile(w http.ResponseWriter, r *http.Request, viewer int64) {
	s.profileWrite(w, r, viewer, true)
}

func (s *Sandbox) profileWrite(w http.ResponseWriter, r *http.Request, viewer int64, signup bool) {
	var req profileRequest
	if err := decodeBodyLimit(w, r, &req, maxWriteBodyBytes); err != nil {
		writeError(w, err)
		return
	}
	out, err := s.updateProfile(viewer, req, signup)
	answer(w, out, err)
}

func (s *Sandbox) deactivateMember(w http.ResponseWriter, _ *http.Request, viewer int64) {
	err := s.store.deactivate(viewer)
	answer(w, struct {
		Success bool `json:"success"`
	}{true}, err)
}

func (s *Sandbox) memberSpacesList(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "community_member_id", "community_member", func(memberID int64) (any, error) {
		return s.store.memberSpaces(viewer, memberID, pageFrom(r.URL.Query(), 30))
	})
}

// accountRoutes adds the member and account endpoints to the route table.
func (s *Sandbox) accountRoutes(member func(method, path string, h memberHandler)) {
	member(http.MethodPut, "/profile", s.putProfile)
	member(http.MethodPut, "/signup/profile", s.putSignupProfile)
	member(http.MethodDelete, "/community_member/deactivate", s.deactivateMember)
	member(http.MethodGet, "/community_members/{community_member_id}/spaces", s.memberSpacesList)
}

// IsAdmin reports whether a member is an admin, for tests that need one, or
// someone who is not (admins may not deactivate their membership).
func (s *Sandbox) IsAdmin(memberID int64) bool {
	s.store.mu.RLock()
	defer s.store.mu.RUnlock()
	return s.store.isAdminLocked(memberID)
}

// SignupConfirmed reports whether a member has confirmed their signup
// profile (PUT /signup/profile answers 409 once they have).
func (s *Sandbox) SignupConfirmed(memberID int64) bool {
	s.store.mu.RLock()
	defer s.store.mu.RUnlock()
	m, ok := s.store.members[memberID]
	return ok && m.profile.confirmed
}
