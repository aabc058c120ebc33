package sandbox

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The small community endpoints: reporting content (POST
// /flagged_contents), joining by invitation link, live rooms, the home
// space and marking a space as read. Their state lives in communityState,
// behind its own lock; the records they point at (posts, comments, spaces)
// are the store's.

// Seeded invitation links: one leads into General (a member who follows it
// joins that space), one only into the community.
const (
	// InvitationToGeneral is an invitation link's token whose join puts the
	// member in General and answers with General's id.
	InvitationToGeneral = "sandbox-invite-general"
	// InvitationToCommunity is an invitation link's token that leads to
	// no space.
	InvitationToCommunity = "sandbox-invite"
)

// Bounds of what the sandbox keeps of these endpoints.
const (
	maxReports   = 1000
	maxLiveRooms = 1000
	// firstLiveRoomID starts the live room ids, a range of their own.
	firstLiveRoomID = 95001
)

// report is one flagged post or comment.
type report struct {
	memberID    int64
	contentType string // "Post" or "Comment"
	contentID   int64
	reason      string
	details     string
	at          time.Time
}

// communityState holds reports, live rooms, invitation links and the
// members' read marks.
type communityState struct {
	mu          sync.Mutex
	reports     []report // oldest first, at most maxReports
	rooms       []wireLiveRoom
	nextRoomID  int64
	invitations map[string]int64 // token → the space it leads to, 0 for none
	// readAt is when a space member last marked their space read, by
	// space_member_id.
	readAt map[int64]time.Time
}

func newCommunityState() *communityState {
	return &communityState{
		nextRoomID:  firstLiveRoomID,
		invitations: map[string]int64{InvitationToGeneral: spaceGeneral, InvitationToCommunity: 0},
		readAt:      map[int64]time.Time{},
	}
}

// Messages of these endpoints. The reports' are Circle's documented one
// ("Post has been reported to the admin") and its Comment counterpart.
const (
	msgPostReported    = "Post has been reported to the admin"
	msgCommentReported = "Comment has been reported to the admin"
	msgReportInvalid   = "Reported reason type is not included in the list"
	msgRoomNameBlank   = "Name can't be blank"
)

// reportReasons are the reasons Circle's request schema lists.
var reportReasons = map[string]bool{"harassment": true, "spam": true, "incorrect_location": true, "against_guidelines": true, "other": true}

type flagRequest struct {
	FlaggedContent *struct {
		ID     int64  `json:"flagged_contentable_id"`
		Type   string `json:"flagged_contentable_type"`
		Reason string `json:"reported_reason_type"`
		Body   string `json:"reported_reason_body"`
	} `json:"flagged_content"`
}

type messageBody struct {
	Message string `json:"message"`
}

func (s *Sandbox) flagContent(w http.ResponseWriter, r *http.Request, viewer int64) {
	var req flagRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	msg, err := s.report(viewer, req)
	answerCreated(w, messageBody{Message: msg}, err)
}

// report records a report of content viewer can see.
func (s *Sandbox) report(viewer int64, req flagRequest) (string, error) {
	f := req.FlaggedContent
	if f == nil {
		return "", &apiError{status: http.StatusBadRequest, message: "param is missing or the value is empty: flagged_content"}
	}
	if !reportReasons[f.Reason] {
		return "", invalid(msgReportInvalid, map[string][]string{"reported_reason_type": {"is not included in the list"}})
	}
	st := s.store
	st.mu.RLock()
	var visible bool
	switch f.Type {
	case "Post":
		_, visible = st.visiblePostLocked(f.ID, viewer)
	case "Comment":
		_, visible = st.visibleCommentLocked(f.ID, viewer)
	}
	st.mu.RUnlock()
	if !visible {
		return "", notFound(strings.ToLower(f.Type))
	}
	c := s.community
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reports = append(c.reports, report{memberID: viewer, contentType: f.Type, contentID: f.ID, reason: f.Reason, details: f.Body, at: s.now()})
	if len(c.reports) > maxReports {
		c.reports = c.reports[len(c.reports)-maxReports:]
	}
	if f.Type == "Comment" {
		return msgCommentReported, nil
	}
	return msgPostReported, nil
}

// wireInvitationJoin is the answer of POST /invitation_links/{token}/join.
type wireInvitationJoin struct {
	RedirectToSpaceID *int64 `json:"redirect_to_space_id"`
}

func (s *Sandbox) joinInvitation(w http.ResponseWriter, r *http.Request, viewer int64) {
	c := s.community
	c.mu.Lock()
	spaceID, ok := c.invitations[r.PathValue("token")]
	c.mu.Unlock()
	if !ok {
		writeError(w, notFound("invitation_link"))
		return
	}
	out := wireInvitationJoin{}
	if spaceID != 0 {
		if _, err := s.store.joinSpace(viewer, spaceID); err != nil {
			writeError(w, err)
			return
		}
		out.RedirectToSpaceID = &spaceID
	}
	writeJSON(w, http.StatusOK, out)
}

// wireLiveRoom is Circle's live_room.
type wireLiveRoom struct {
	ID               int64            `json:"id"`
	Name             string           `json:"name"`
	Description      string           `json:"description"`
	Slug             string           `json:"slug"`
	Status           string           `json:"status"`
	HostCapacity     int              `json:"host_capacity"`
	ViewType         string           `json:"view_type"`
	RoomType         string           `json:"room_type"`
	RecordingEnabled bool             `json:"recording_enabled"`
	AccessType       string           `json:"access_type"`
	RoomProvider     string           `json:"room_provider"`
	InvitedIDs       []int64          `json:"invited_entities_ids"`
	MuteOnJoin       bool             `json:"mute_on_join"`
	LimitURLSharing  bool             `json:"limit_url_sharing"`
	CreatedAt        wireTime         `json:"created_at"`
	ChatRoomUUID     string           `json:"chat_room_uuid"`
	Creator          wireRoomCreator  `json:"creator"`
	Participants     wireParticipants `json:"participants_preview"`
	CanHost          bool             `json:"can_host"`
	CanManage        bool             `json:"can_manage"`
	CanModerate      bool             `json:"can_moderate"`
	IsCreator        bool             `json:"is_creator"`
}

type wireRoomCreator struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	AvatarURL *string `json:"avatar_url"`
	PublicUID string  `json:"public_uid"`
	Bio       string  `json:"bio"`
	Headline  string  `json:"headline"`
}

type wireParticipants struct {
	Records []struct{} `json:"records"`
	Count   int        `json:"count"`
}

type liveRoomRequest struct {
	Name             string `json:"name"`
	Description      string `json:"description"`
	Slug             string `json:"slug"`
	ViewType         string `json:"view_type"`
	RecordingEnabled *bool  `json:"recording_enabled"`
	MuteOnJoin       *bool  `json:"mute_on_join"`
	LimitURLSharing  *bool  `json:"limit_url_sharing"`
	AccessType       string `json:"access_type"`
	RoomType         string `json:"room_type"`
}

var (
	liveViewTypes   = map[string]bool{"speaker_view": true, "speaker_variant_view": true, "grid_view": true}
	liveAccessTypes = map[string]bool{"open": true, "secret": true, "public_stream": true}
	liveRoomTypes   = map[string]bool{"stream": true, "conference": true}
)

func (s *Sandbox) createLiveRoom(w http.ResponseWriter, r *http.Request, viewer int64) {
	var req liveRoomRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	room, err := s.openRoom(viewer, req)
	answerCreated(w, room, err)
}

// openRoom creates a live room hosted by viewer, with Circle's defaults
// for what the request leaves out.
func (s *Sandbox) openRoom(viewer int64, req liveRoomRequest) (wireLiveRoom, error) {
	fields := map[string][]string{}
	name := strings.TrimSpace(req.Name)
	if name == "" {
		fields["name"] = []string{"can't be blank"}
	} else if utf8.RuneCountInString(name) > 255 {
		fields["name"] = []string{"is too long (maximum is 255 characters)"}
	}
	for _, v := range []struct {
		field, value string
		allowed      map[string]bool
	}{{"view_type", req.ViewType, liveViewTypes}, {"access_type", req.AccessType, liveAccessTypes}, {"room_type", req.RoomType, liveRoomTypes}} {
		if v.value != "" && !v.allowed[v.value] {
			fields[v.field] = []string{"is not included in the list"}
		}
	}
	if len(fields) > 0 {
		msg := msgRoomNameBlank
		if _, ok := fields["name"]; !ok || fields["name"][0] != "can't be blank" {
			msg = "Validation failed"
		}
		return wireLiveRoom{}, invalid(msg, fields)
	}
	m, ok := s.store.memberByID(viewer)
	if !ok {
		return wireLiveRoom{}, notFound("community_member")
	}
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	flag := func(b *bool) bool { return b != nil && *b }
	c := s.community
	c.mu.Lock()
	defer c.mu.Unlock()
	room := wireLiveRoom{
		ID: c.nextRoomID, Name: name, Description: req.Description, Status: "backstage", HostCapacity: 30,
		ViewType: or(req.ViewType, "grid_view"), RoomType: or(req.RoomType, "stream"), AccessType: or(req.AccessType, "open"),
		RecordingEnabled: flag(req.RecordingEnabled), MuteOnJoin: flag(req.MuteOnJoin), LimitURLSharing: flag(req.LimitURLSharing),
		RoomProvider: "sandbox", CreatedAt: wireTime(s.now()), ChatRoomUUID: uuidLike(),
		Creator:      wireRoomCreator{ID: m.id, Name: m.name, AvatarURL: cloneStr(m.avatarURL), PublicUID: m.publicUID, Bio: m.bio, Headline: m.headline},
		Participants: wireParticipants{Records: []struct{}{}},
		CanHost:      true, CanManage: true, CanModerate: true, IsCreator: true,
	}
	room.Slug = or(req.Slug, slugify(name)+"-"+strconv.FormatInt(room.ID, 10))
	c.nextRoomID++
	c.rooms = append(c.rooms, room)
	if len(c.rooms) > maxLiveRooms {
		c.rooms = c.rooms[len(c.rooms)-maxLiveRooms:]
	}
	return room, nil
}

// uuidLike is a random version-4 UUID, for chat room uuids.
func uuidLike() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0xf])
	}
	return string(out)
}

// wireHomeSpace is GET /spaces/home: the community's home as a space, with
// id 0, as in Circle's example.
type wireHomeSpace struct {
	ID                   int64           `json:"id"`
	Name                 string          `json:"name"`
	Slug                 string          `json:"slug"`
	SpaceGroupID         int64           `json:"space_group_id"`
	SpaceGroupName       string          `json:"space_group_name"`
	CommunityID          int64           `json:"community_id"`
	Emoji                *string         `json:"emoji"`
	IsPrivate            bool            `json:"is_private"`
	DisplayView          string          `json:"display_view"`
	PostType             string          `json:"post_type"`
	SpaceType            string          `json:"space_type"`
	IsPostDisabled       bool            `json:"is_post_disabled"`
	HidePostSettings     bool            `json:"hide_post_settings"`
	IsMember             bool            `json:"is_member"`
	DefaultTab           string          `json:"default_tab"`
	VisibleTabs          map[string]bool `json:"visible_tabs"`
	DefaultSort          *string         `json:"default_sort"`
	ShowInSpacesSegment  bool            `json:"show_in_spaces_segment"`
	CoverImage           *string         `json:"cover_image"`
	TopicsCount          int             `json:"topics_count"`
	RequireTopicSelected bool            `json:"require_topic_selection"`
	Policies             map[string]bool `json:"policies"`
}

func (s *Sandbox) homeSpace(w http.ResponseWriter, _ *http.Request, viewer int64) {
	admin := s.IsAdmin(viewer)
	writeJSON(w, http.StatusOK, wireHomeSpace{
		Name: "Home", Slug: "home", SpaceGroupName: "Home", CommunityID: communityID,
		DisplayView: "posts", PostType: "basic", SpaceType: "basic", IsPostDisabled: true, IsMember: true,
		DefaultTab: "posts", VisibleTabs: map[string]bool{"members": false, "posts": true}, ShowInSpacesSegment: true,
		Policies: map[string]bool{"can_manage_space": admin, "can_view_space": true, "can_leave_space": false, "can_create_post": false, "can_invite_members": admin},
	})
}

func (s *Sandbox) markSpaceRead(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "id", "space_member", func(spaceMemberID int64) (any, error) {
		st := s.store
		st.mu.RLock()
		found := false
		for _, sp := range st.spaces {
			if smID, ok := sp.members[viewer]; ok && smID == spaceMemberID {
				found = true
				break
			}
		}
		st.mu.RUnlock()
		if !found {
			return nil, notFound("space_member")
		}
		c := s.community
		c.mu.Lock()
		c.readAt[spaceMemberID] = s.now()
		c.mu.Unlock()
		return struct {
			Success bool `json:"success"`
		}{true}, nil
	})
}

// communityRoutes adds these endpoints to the route table.
func (s *Sandbox) communityRoutes(member func(method, path string, h memberHandler)) {
	member(http.MethodPost, "/flagged_contents", s.flagContent)
	member(http.MethodPost, "/invitation_links/{token}/join", s.joinInvitation)
	member(http.MethodPost, "/live_streams/rooms", s.createLiveRoom)
	member(http.MethodGet, "/spaces/home", s.homeSpace)
	member(http.MethodPost, "/space_members/{id}/mark_as_read", s.markSpaceRead)
}
