package sandbox

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The Member API's chat endpoints (/messages…, /chat_threads…,
// /reactions): direct and group rooms, their messages (a room's timeline
// holds its top-level messages; replies live in the thread of the message
// they answer), participants, threads, read state and reactions. Every
// message written is published on the room's stream (and, as Circle does,
// new top-level messages on each participant's ChatRoomChannel stream and
// replies on the thread participants' threads streams).

// chatState is the chat domain's state, behind its own lock. Lock order:
// chatState.mu may be held while taking the store's lock, never the other
// way round.
type chatState struct {
	mu       sync.Mutex
	rooms    map[int64]*chatRoom
	byUUID   map[string]*chatRoom
	order    []int64 // room ids in creation order
	messages map[int64]*chatMessage
	threads  map[int64]*chatThread

	nextRoomID, nextParticipantID, nextMessageID, nextThreadID int64
}

// Chat id ranges, apart from every other kind of id.
const (
	firstChatRoomID    = 501    // rooms: 501…
	firstParticipantID = 85001  // room participants: 85001…
	firstChatMessageID = 120001 // messages and replies: 120001…
	firstChatThreadID  = 7001   // threads: 7001…
)

type chatRoom struct {
	id          int64
	uuid        string
	kind        string // "direct" or "group_chat"
	name        string // a group's own name; "" to name it after its members
	description string
	// participants in join order; the first one created the room.
	participants []*chatParticipant
	// timeline lists the top-level messages, oldest first.
	timeline  []int64
	createdAt time.Time
}

type chatParticipant struct {
	id, memberID    int64
	admin           bool
	muted, archived bool
	// readUpTo is the newest top-level message the participant has read.
	readUpTo int64
	// threadReadUpTo is, per thread, the newest reply read.
	threadReadUpTo map[int64]int64
}

type chatMessage struct {
	id, roomID, participantID, memberID int64
	parentID                            int64 // the message replied to; 0 for top level
	threadID                            int64 // the thread it starts or belongs to; 0 for none
	body                                string
	rich                                json.RawMessage
	createdAt, editedAt                 time.Time
	creationUUID                        string
	replies                             []int64 // oldest first
	// reactions maps an emoji to the members who used it, in order.
	reactions     map[string][]int64
	reactionOrder []string // emojis in the order first used
}

type chatThread struct {
	id, roomID, parentID int64
}

func newChatState() *chatState {
	return &chatState{
		rooms:             map[int64]*chatRoom{},
		byUUID:            map[string]*chatRoom{},
		messages:          map[int64]*chatMessage{},
		threads:           map[int64]*chatThread{},
		nextRoomID:        firstChatRoomID,
		nextParticipantID: firstParticipantID,
		nextMessageID:     firstChatMessageID,
		nextThreadID:      firstChatThreadID,
	}
}

// Messages of the chat endpoints. Circle's document shows only the
// reaction ones ("Reaction created", the missing record); the failures of
// the other writes follow the wording of Circle's other messages.
const (
	msgReactionCreated = "Reaction created"
	msgChatRoomKind    = "Chat room kind is invalid."
	msgChatRoomMembers = "Community members are invalid."
	msgDirectRoomSize  = "A direct chat room needs exactly one other member."
	msgChatTooLong     = "Body is too long."
	msgEmojiInvalid    = "Emoji is invalid."
)

// Bounds of chat input.
const (
	maxChatMessageRunes = 10_000
	maxChatRoomMembers  = 50
	maxEmojiBytes       = 64
	// maxPreview is how many other participants a room record previews.
	maxPreview = 5
)

// chatUUID is the deterministic uuid of something of kind with id: the
// seed's rooms keep their uuids across starts.
func chatUUID(kind string, id int64) string {
	sum := md5.Sum([]byte("sandbox-" + kind + "-" + strconv.FormatInt(id, 10)))
	sum[6] = sum[6]&0x0f | 0x40 // version 4
	sum[8] = sum[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(sum[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// --- wire types: Circle's JSON shapes, as its OpenAPI examples show them ---

type wireChatSender struct {
	ID                int64   `json:"id"`
	Name              string  `json:"name"`
	CommunityMemberID int64   `json:"community_member_id"`
	UserPublicUID     string  `json:"user_public_uid"`
	AvatarURL         *string `json:"avatar_url"`
}

type wireChatReaction struct {
	Emoji              string  `json:"emoji"`
	Count              int     `json:"count"`
	CommunityMemberIDs []int64 `json:"community_member_ids"`
}

type wireThreadParticipant struct {
	ID                int64   `json:"id"`
	CommunityMemberID int64   `json:"community_member_id"`
	AvatarURL         *string `json:"avatar_url"`
	Name              string  `json:"name"`
}

// wireChatMessage is a message as the message endpoints render it.
type wireChatMessage struct {
	ID                           int64                   `json:"id"`
	ParentMessageID              *int64                  `json:"parent_message_id"`
	EditedAt                     *string                 `json:"edited_at"`
	CreatedAt                    string                  `json:"created_at"`
	ChatRoomUUID                 string                  `json:"chat_room_uuid"`
	ChatRoomParticipantID        int64                   `json:"chat_room_participant_id"`
	Body                         string                  `json:"body"`
	BookmarkID                   *int64                  `json:"bookmark_id"`
	RichTextBody                 json.RawMessage         `json:"rich_text_body"`
	SentAt                       string                  `json:"sent_at"`
	RepliesCount                 int                     `json:"replies_count"`
	LastReplyAt                  *string                 `json:"last_reply_at"`
	Sender                       wireChatSender          `json:"sender"`
	TotalThreadParticipantsCount int                     `json:"total_thread_participants_count"`
	ThreadParticipantsPreview    []wireThreadParticipant `json:"thread_participants_preview"`
	ChatThreadID                 *int64                  `json:"chat_thread_id"`
	Reactions                    []wireChatReaction      `json:"reactions"`
	EmbeddedChatMessageAccess    []map[string]bool       `json:"embedded_chat_message_access"`
}

// wireLastMessage is the short message a room record embeds.
type wireLastMessage struct {
	ID                        int64              `json:"id"`
	ParentMessageID           *int64             `json:"parent_message_id"`
	EditedAt                  *string            `json:"edited_at"`
	CreatedAt                 string             `json:"created_at"`
	ChatRoomUUID              string             `json:"chat_room_uuid"`
	ChatRoomParticipantID     int64              `json:"chat_room_participant_id"`
	Body                      string             `json:"body"`
	BookmarkID                *int64             `json:"bookmark_id"`
	RichTextBody              json.RawMessage    `json:"rich_text_body"`
	SentAt                    string             `json:"sent_at"`
	Sender                    wireChatSender     `json:"sender"`
	ChatThreadID              *int64             `json:"chat_thread_id"`
	Reactions                 []wireChatReaction `json:"reactions"`
	EmbeddedChatMessageAccess []map[string]bool  `json:"embedded_chat_message_access"`
}

// wireCableMessage is a message as the cable's newMessage and
// updatedMessage events carry it (Circle's JSONMessage).
type wireCableMessage struct {
	wireChatMessage
	ChatRoomKind           string `json:"chat_room_kind"`
	CreationUUID           string `json:"creation_uuid"`
	LessonID               *int64 `json:"lesson_id"`
	ChatThreadRepliesCount int    `json:"chat_thread_replies_count"`
}

// wireDeletedMessage is the data of the cable's deletedMessage event.
type wireDeletedMessage struct {
	ID            int64             `json:"id"`
	ParentMessage *wireCableMessage `json:"parent_message"`
}

// wireChatMessages is GET …/chat_room_messages.
type wireChatMessages struct {
	ID              int64             `json:"id"`
	HasPreviousPage bool              `json:"has_previous_page"`
	HasNextPage     bool              `json:"has_next_page"`
	FirstID         int64             `json:"first_id"`
	LastID          int64             `json:"last_id"`
	TotalCount      int               `json:"total_count"`
	Records         []wireChatMessage `json:"records"`
	Meta            emptyObject       `json:"meta"`
}

// wireParticipant is a participant as the room records and the
// participant list render it.
type wireParticipant struct {
	ID                int64   `json:"id"`
	Name              string  `json:"name"`
	LastSeenText      string  `json:"last_seen_text"`
	UserPublicUID     string  `json:"user_public_uid"`
	Headline          string  `json:"headline"`
	Bio               string  `json:"bio"`
	Location          string  `json:"location"`
	Email             string  `json:"email"`
	AvatarURL         *string `json:"avatar_url"`
	UserID            int64   `json:"user_id"`
	CommunityMemberID int64   `json:"community_member_id"`
	DeletedAt         *string `json:"deleted_at"`
	Admin             bool    `json:"admin"`
	CommunityAdmin    bool    `json:"community_admin"`
	Moderator         bool    `json:"moderator"`
	Muted             bool    `json:"muted"`
	Archived          bool    `json:"archived"`
	CanSendMessage    *bool   `json:"can_send_message,omitempty"`
	Status            string  `json:"status,omitempty"`
}

// wireChatRoom is a room record as GET /messages lists it.
type wireChatRoom struct {
	ID                        int64             `json:"id"`
	UUID                      string            `json:"uuid"`
	Identifier                string            `json:"identifier"`
	UnreadMessagesCount       int               `json:"unread_messages_count"`
	ChatRoomKind              string            `json:"chat_room_kind"`
	ChatRoomName              string            `json:"chat_room_name"`
	ChatRoomDescription       string            `json:"chat_room_description"`
	ChatRoomShowHistory       bool              `json:"chat_room_show_history"`
	ChatRoomParticipantsCount int               `json:"chat_room_participants_count"`
	OtherParticipantsPreview  []wireParticipant `json:"other_participants_preview"`
	CurrentParticipant        wireParticipant   `json:"current_participant"`
	LastMessage               *wireLastMessage  `json:"last_message,omitempty"`
}

// wireChatRoomDetail is a room as the single-room answers have it.
type wireChatRoomDetail struct {
	wireChatRoom
	FirstUnreadMessageID *int64 `json:"first_unread_message_id"`
}

// wireChatRoomEnvelope is {"chat_room": {…}}.
type wireChatRoomEnvelope struct {
	ChatRoom wireChatRoomDetail `json:"chat_room"`
}

type wireThreadRoom struct {
	Kind          string `json:"kind"`
	Name          string `json:"name"`
	EmbeddedSpace *int64 `json:"embedded_space"`
	Lesson        *int64 `json:"lesson"`
}

type wireChatThread struct {
	ID            int64             `json:"id"`
	ParentMessage wireChatMessage   `json:"parent_message"`
	Replies       []wireChatMessage `json:"replies"`
	ChatRoom      wireThreadRoom    `json:"chat_room"`
}

type wireSentMessage struct {
	CreationUUID    string `json:"creation_uuid"`
	ParentMessageID *int64 `json:"parent_message_id"`
	SentAt          string `json:"sent_at"`
}

type wireReaction struct {
	ReactionableType  string `json:"reactionable_type"`
	ReactionableID    int64  `json:"reactionable_id"`
	CommunityMemberID int64  `json:"community_member_id"`
	Emoji             string `json:"emoji"`
}

type wireReactionCreated struct {
	Success  bool         `json:"success"`
	Message  string       `json:"message"`
	Reaction wireReaction `json:"reaction"`
}

// wireRoomRead is the data of chatRoomRead.
type wireRoomRead struct {
	ChatRoomUUID string `json:"chat_room_uuid"`
}

// --- rendering (under chatState.mu, with the store read-locked) ---

// chatView renders chat records; it holds the store's read lock for its
// member lookups, so it must be released (done) before anything publishes.
type chatView struct {
	cs *chatState
	st *store
}

func (cs *chatState) view(st *store) (chatView, func()) {
	st.mu.RLock()
	return chatView{cs: cs, st: st}, st.mu.RUnlock
}

func (v chatView) sender(m *chatMessage) wireChatSender {
	mem := v.st.members[m.memberID]
	if mem == nil {
		return wireChatSender{ID: m.participantID, CommunityMemberID: m.memberID}
	}
	return wireChatSender{ID: m.participantID, Name: mem.name, CommunityMemberID: mem.id, UserPublicUID: mem.publicUID, AvatarURL: cloneStr(mem.avatarURL)}
}

func (v chatView) reactions(m *chatMessage) []wireChatReaction {
	out := []wireChatReaction{}
	for _, e := range m.reactionOrder {
		if ids := m.reactions[e]; len(ids) > 0 {
			out = append(out, wireChatReaction{Emoji: e, Count: len(ids), CommunityMemberIDs: slices.Clone(ids)})
		}
	}
	return out
}

func optID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func (v chatView) message(m *chatMessage) wireChatMessage {
	room := v.cs.rooms[m.roomID]
	w := wireChatMessage{
		ID:                        m.id,
		ParentMessageID:           optID(m.parentID),
		EditedAt:                  liveTimeOrNull(m.editedAt),
		CreatedAt:                 liveTime(m.createdAt),
		ChatRoomUUID:              room.uuid,
		ChatRoomParticipantID:     m.participantID,
		Body:                      m.body,
		RichTextBody:              slices.Clone(m.rich),
		SentAt:                    liveTime(m.createdAt),
		RepliesCount:              len(m.replies),
		Sender:                    v.sender(m),
		ThreadParticipantsPreview: []wireThreadParticipant{},
		ChatThreadID:              optID(m.threadID),
		Reactions:                 v.reactions(m),
		EmbeddedChatMessageAccess: []map[string]bool{},
	}
	if len(m.replies) > 0 {
		last := v.cs.messages[m.replies[len(m.replies)-1]]
		w.LastReplyAt = liveTimeOrNull(last.createdAt)
		seen := map[int64]bool{}
		for _, rid := range m.replies {
			r := v.cs.messages[rid]
			if seen[r.memberID] {
				continue
			}
			seen[r.memberID] = true
			w.TotalThreadParticipantsCount++
			if mem := v.st.members[r.memberID]; mem != nil && len(w.ThreadParticipantsPreview) < maxPreview {
				w.ThreadParticipantsPreview = append(w.ThreadParticipantsPreview, wireThreadParticipant{ID: r.participantID, CommunityMemberID: mem.id, AvatarURL: cloneStr(mem.avatarURL), Name: mem.name})
			}
		}
	}
	return w
}

func (v chatView) cableMessage(m *chatMessage) wireCableMessage {
	w := wireCableMessage{wireChatMessage: v.message(m), ChatRoomKind: v.cs.rooms[m.roomID].kind, CreationUUID: m.creationUUID}
	if m.threadID != 0 {
		w.ChatThreadRepliesCount = len(v.cs.messages[v.cs.threads[m.threadID].parentID].replies)
	}
	return w
}

func (v chatView) lastMessage(m *chatMessage) *wireLastMessage {
	full := v.message(m)
	return &wireLastMessage{
		ID: full.ID, ParentMessageID: full.ParentMessageID, EditedAt: full.EditedAt, CreatedAt: full.CreatedAt,
		ChatRoomUUID: full.ChatRoomUUID, ChatRoomParticipantID: full.ChatRoomParticipantID, Body: full.Body,
		BookmarkID: full.BookmarkID, RichTextBody: full.RichTextBody, SentAt: full.SentAt, Sender: full.Sender,
		ChatThreadID: full.ChatThreadID, Reactions: full.Reactions, EmbeddedChatMessageAccess: full.EmbeddedChatMessageAccess,
	}
}

// participant renders p; withStatus adds what the lists of others carry
// (can_send_message is there for everyone, status only for others).
func (v chatView) participant(p *chatParticipant, withStatus bool) wireParticipant {
	mem := v.st.members[p.memberID]
	w := wireParticipant{ID: p.id, CommunityMemberID: p.memberID, Admin: p.admin, Muted: p.muted, Archived: p.archived}
	if mem != nil {
		w.Name, w.UserPublicUID, w.Headline, w.Bio, w.Email = mem.name, mem.publicUID, mem.headline, mem.bio, mem.email
		w.AvatarURL, w.UserID, w.CommunityAdmin, w.Moderator = cloneStr(mem.avatarURL), mem.userID, mem.admin, mem.moderator
	}
	can := true
	w.CanSendMessage = &can
	if withStatus {
		w.Status = "offline"
	}
	return w
}

// participantOf returns memberID's participation in room, nil when none.
func (room *chatRoom) participantOf(memberID int64) *chatParticipant {
	for _, p := range room.participants {
		if p.memberID == memberID {
			return p
		}
	}
	return nil
}

// roomName is the room's name as viewer sees it: a group's own name, else
// the other member's name in a direct room, the others' first names in a
// group.
func (v chatView) roomName(room *chatRoom, viewer int64) string {
	if room.name != "" {
		return room.name
	}
	var names []string
	for _, p := range room.participants {
		if p.memberID == viewer {
			continue
		}
		if mem := v.st.members[p.memberID]; mem != nil {
			if room.kind == "direct" {
				return mem.name
			}
			names = append(names, strings.Fields(mem.name)[0])
		}
	}
	return strings.Join(names, ", ")
}

// unreadLocked lists the top-level messages of room viewer has not read
// (their own never count), oldest first.
func (cs *chatState) unreadLocked(room *chatRoom, p *chatParticipant) []int64 {
	var out []int64
	for _, id := range room.timeline {
		if id > p.readUpTo && cs.messages[id].memberID != p.memberID {
			out = append(out, id)
		}
	}
	return out
}

func (v chatView) room(room *chatRoom, viewer int64) wireChatRoomDetail {
	me := room.participantOf(viewer)
	ids := make([]int64, 0, len(room.participants))
	for _, p := range room.participants {
		ids = append(ids, p.memberID)
	}
	slices.Sort(ids)
	identifier := room.kind
	for _, id := range ids {
		identifier += "-" + strconv.FormatInt(id, 10)
	}
	w := wireChatRoomDetail{wireChatRoom: wireChatRoom{
		ID: room.id, UUID: room.uuid, Identifier: identifier, ChatRoomKind: room.kind,
		ChatRoomName: v.roomName(room, viewer), ChatRoomDescription: room.description, ChatRoomShowHistory: true,
		ChatRoomParticipantsCount: len(room.participants), OtherParticipantsPreview: []wireParticipant{},
		CurrentParticipant: v.participant(me, false),
	}}
	for _, p := range room.participants {
		if p != me && len(w.OtherParticipantsPreview) < maxPreview {
			w.OtherParticipantsPreview = append(w.OtherParticipantsPreview, v.participant(p, true))
		}
	}
	if unread := v.cs.unreadLocked(room, me); len(unread) > 0 {
		w.UnreadMessagesCount = len(unread)
		w.FirstUnreadMessageID = optID(unread[0])
	}
	if n := len(room.timeline); n > 0 {
		w.LastMessage = v.lastMessage(v.cs.messages[room.timeline[n-1]])
	}
	return w
}

// lastActivity is when a room last had a message (or was created).
func (cs *chatState) lastActivity(room *chatRoom) time.Time {
	if n := len(room.timeline); n > 0 {
		return cs.messages[room.timeline[n-1]].createdAt
	}
	return room.createdAt
}

// --- lookups ---

// memberRoomLocked finds a room viewer is in: an unknown room, or one viewer
// is not in, is a missing record for reads; writes (forWrite) are refused
// with 403 in a room that exists.
func (cs *chatState) memberRoomLocked(viewer int64, uuid string, forWrite bool) (*chatRoom, *chatParticipant, error) {
	room, ok := cs.byUUID[uuid]
	if !ok {
		return nil, nil, notFound("chat_room")
	}
	p := room.participantOf(viewer)
	if p == nil {
		if forWrite {
			return nil, nil, forbidden()
		}
		return nil, nil, notFound("chat_room")
	}
	return room, p, nil
}

// roomMessageLocked finds a message of room (top level or reply).
func (cs *chatState) roomMessageLocked(room *chatRoom, ref string) (*chatMessage, error) {
	id, ok := parseID(ref)
	if !ok {
		return nil, notFound("chat_room_message")
	}
	m, ok := cs.messages[id]
	if !ok || m.roomID != room.id {
		return nil, notFound("chat_room_message")
	}
	return m, nil
}

// --- writing messages ---

// richText is the plain text of a TipTap envelope (paragraphs and line
// breaks as newlines), preferring its circle_ios_fallback_text; ok is false
// when raw is not an envelope with a document.
func richText(raw json.RawMessage) (text string, ok bool) {
	var envelope struct {
		Body     *tiptapNode `json:"body"`
		Fallback string      `json:"circle_ios_fallback_text"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &envelope) != nil || envelope.Body == nil || envelope.Body.Type != "doc" {
		return "", false
	}
	if strings.TrimSpace(envelope.Fallback) != "" {
		return strings.TrimSpace(envelope.Fallback), true
	}
	var lines []string
	for _, block := range envelope.Body.Content {
		var b strings.Builder
		block.text(&b)
		lines = append(lines, b.String())
	}
	return strings.TrimSpace(strings.Join(lines, "\n")), true
}

// richTextDoc is Circle's chat envelope of plain text, one paragraph per line.
func richTextDoc(text string) json.RawMessage {
	lines := strings.Split(text, "\n")
	content := make([]map[string]any, len(lines))
	for i, line := range lines {
		nodes := []any{}
		if line != "" {
			nodes = append(nodes, map[string]any{"type": "text", "text": line, "circle_ios_fallback_text": line})
		}
		content[i] = map[string]any{"type": "paragraph", "content": nodes}
	}
	raw, err := json.Marshal(map[string]any{
		"body":                     map[string]any{"type": "doc", "content": content},
		"circle_ios_fallback_text": text,
		"attachments":              []any{},
		"inline_attachments":       []any{},
		"sgids_to_object_map":      map[string]any{},
		"format":                   "chat",
		"community_members":        []any{},
		"entities":                 []any{},
		"group_mentions":           []any{},
		"polls":                    []any{},
	})
	if err != nil {
		panic(err) // maps of strings: cannot fail
	}
	return raw
}

// addMessageLocked stores a message by participant p in room (a reply to
// parent when parent is set) and returns it.
func (cs *chatState) addMessageLocked(room *chatRoom, p *chatParticipant, parent *chatMessage, body string, rich json.RawMessage, at time.Time) *chatMessage {
	m := &chatMessage{
		id: cs.nextMessageID, roomID: room.id, participantID: p.id, memberID: p.memberID,
		body: body, rich: rich, createdAt: at, reactions: map[string][]int64{},
	}
	cs.nextMessageID++
	m.creationUUID = chatUUID("message", m.id)
	cs.messages[m.id] = m
	if parent == nil {
		room.timeline = append(room.timeline, m.id)
		p.readUpTo = m.id // one has read what one wrote
		return m
	}
	if parent.threadID == 0 {
		t := &chatThread{id: cs.nextThreadID, roomID: room.id, parentID: parent.id}
		cs.nextThreadID++
		cs.threads[t.id] = t
		parent.threadID = t.id
	}
	m.parentID, m.threadID = parent.id, parent.threadID
	parent.replies = append(parent.replies, m.id)
	if p.threadReadUpTo == nil {
		p.threadReadUpTo = map[int64]int64{}
	}
	p.threadReadUpTo[m.threadID] = m.id
	return m
}

// messageEvents are the cable events of a new, changed or deleted message:
// on the room's stream for everyone in it; a new top-level message also on
// each participant's own ChatRoomChannel stream, and a reply (new, changed
// or deleted) on the threads stream of each member in its thread.
func (v chatView) messageEvents(event string, m *chatMessage) []liveEvent {
	room := v.cs.rooms[m.roomID]
	var data any
	if event == eventDeletedMessage {
		d := wireDeletedMessage{ID: m.id}
		if m.parentID != 0 {
			if parent, ok := v.cs.messages[m.parentID]; ok {
				pm := v.cableMessage(parent)
				d.ParentMessage = &pm
			}
		}
		data = d
	} else {
		data = v.cableMessage(m)
	}
	events := []liveEvent{{Stream: chatRoomStream(room.id), Event: event, Data: data}}
	switch {
	case m.parentID == 0 && event == eventNewMessage:
		for _, p := range room.participants {
			events = append(events, liveEvent{Stream: memberChatStream(p.memberID), Event: event, Data: data})
		}
	case m.parentID != 0:
		for _, memberID := range v.cs.threadMembersLocked(m.threadID) {
			events = append(events, liveEvent{Stream: memberThreadsStream(memberID), Event: event, Data: data})
		}
	}
	return events
}

// threadMembersLocked lists the members in a thread: the parent's sender
// and everyone who replied, in that order.
func (cs *chatState) threadMembersLocked(threadID int64) []int64 {
	t, ok := cs.threads[threadID]
	if !ok {
		return nil
	}
	parent := cs.messages[t.parentID]
	out := []int64{parent.memberID}
	for _, rid := range parent.replies {
		if r, ok := cs.messages[rid]; ok && !slices.Contains(out, r.memberID) {
			out = append(out, r.memberID)
		}
	}
	return out
}

// publishAll publishes events, in order.
func (s *Sandbox) publishAll(events []liveEvent) {
	for _, e := range events {
		s.live.publish(e)
	}
}

// --- handlers ---

func (s *Sandbox) chatRooms(w http.ResponseWriter, r *http.Request, viewer int64) {
	cs := s.chat
	cs.mu.Lock()
	var rooms []*chatRoom
	for _, id := range cs.order {
		if room := cs.rooms[id]; room.participantOf(viewer) != nil {
			rooms = append(rooms, room)
		}
	}
	slices.SortStableFunc(rooms, func(a, b *chatRoom) int {
		if c := cs.lastActivity(b).Compare(cs.lastActivity(a)); c != 0 {
			return c
		}
		return int(b.id - a.id)
	})
	v, done := cs.view(s.store)
	out := make([]wireChatRoom, len(rooms))
	for i, room := range rooms {
		out[i] = v.room(room, viewer).wireChatRoom
	}
	done()
	cs.mu.Unlock()
	writeJSON(w, http.StatusOK, livePageOf(out, pageFrom(r.URL.Query(), defaultPerPage)))
}

func (s *Sandbox) chatRoom(w http.ResponseWriter, r *http.Request, viewer int64) {
	cs := s.chat
	cs.mu.Lock()
	defer cs.mu.Unlock()
	room, _, err := cs.memberRoomLocked(viewer, r.PathValue("uuid"), false)
	if err != nil {
		writeError(w, err)
		return
	}
	v, done := cs.view(s.store)
	out := wireChatRoomEnvelope{ChatRoom: v.room(room, viewer)}
	done()
	writeJSON(w, http.StatusOK, out)
}

// createChatRoom is POST /messages: a direct room with one other member
// (the existing one when the two already have one) or a group room.
func (s *Sandbox) createChatRoom(w http.ResponseWriter, r *http.Request, viewer int64) {
	var body struct {
		ChatRoom struct {
			Kind               string          `json:"kind"`
			CommunityMemberIDs []json.Number   `json:"community_member_ids"`
			RichTextBody       json.RawMessage `json:"rich_text_body"`
		} `json:"chat_room"`
	}
	if err := decodeBodyLimit(w, r, &body, maxWriteBodyBytes); err != nil {
		writeError(w, err)
		return
	}
	req := body.ChatRoom
	if req.Kind != "direct" && req.Kind != "group_chat" {
		writeError(w, invalid(msgChatRoomKind, map[string][]string{"kind": {"is invalid"}}))
		return
	}
	var others []int64
	for _, raw := range req.CommunityMemberIDs {
		id, ok := parseID(raw.String())
		if _, known := s.store.memberByID(id); !ok || !known {
			writeError(w, invalid(msgChatRoomMembers, map[string][]string{"community_member_ids": {"is invalid"}}))
			return
		}
		if id != viewer && !slices.Contains(others, id) {
			others = append(others, id)
		}
	}
	switch {
	case len(others) == 0 || len(others) > maxChatRoomMembers:
		writeError(w, invalid(msgChatRoomMembers, map[string][]string{"community_member_ids": {"is invalid"}}))
		return
	case req.Kind == "direct" && len(others) != 1:
		writeError(w, invalid(msgDirectRoomSize, map[string][]string{"community_member_ids": {"must name one member"}}))
		return
	}
	var first string
	if len(req.RichTextBody) > 0 && string(req.RichTextBody) != "null" {
		text, ok := richText(req.RichTextBody)
		if !ok || text == "" {
			writeError(w, invalid("Body can't be blank", map[string][]string{"rich_text_body": {"can't be blank"}}))
			return
		}
		first = text
	}

	cs := s.chat
	cs.mu.Lock()
	now := s.now()
	var room *chatRoom
	if req.Kind == "direct" {
		for _, id := range cs.order {
			if c := cs.rooms[id]; c.kind == "direct" && c.participantOf(viewer) != nil && c.participantOf(others[0]) != nil {
				room = c
			}
		}
	}
	created := room == nil
	if created {
		room = cs.addRoomLocked(req.Kind, "", append([]int64{viewer}, others...), now)
	}
	var events []liveEvent
	v, done := cs.view(s.store)
	if first != "" {
		m := cs.addMessageLocked(room, room.participantOf(viewer), nil, first, slices.Clone(req.RichTextBody), now)
		events = append(events, v.messageEvents(eventNewMessage, m)...)
	}
	if created {
		for _, p := range room.participants {
			events = append(events, liveEvent{Stream: memberChatStream(p.memberID), Event: eventChatRoomCreated, Data: v.room(room, p.memberID).wireChatRoom})
		}
	}
	out := wireChatRoomEnvelope{ChatRoom: v.room(room, viewer)}
	done()
	cs.mu.Unlock()
	s.publishAll(events)
	writeJSON(w, http.StatusOK, out)
}

// addRoomLocked makes a room of members (the first one its creator and,
// in a group, its admin).
func (cs *chatState) addRoomLocked(kind, name string, members []int64, at time.Time) *chatRoom {
	room := &chatRoom{id: cs.nextRoomID, kind: kind, name: name, createdAt: at}
	cs.nextRoomID++
	room.uuid = chatUUID("room", room.id)
	for i, id := range members {
		room.participants = append(room.participants, &chatParticipant{id: cs.nextParticipantID, memberID: id, admin: i == 0 && kind == "group_chat"})
		cs.nextParticipantID++
	}
	cs.rooms[room.id] = room
	cs.byUUID[room.uuid] = room
	cs.order = append(cs.order, room.id)
	return room
}

// chatMessages is GET …/chat_room_messages: up to previous_per_page
// top-level messages before the reference message (id; default the
// newest), the message itself, and up to next_per_page after it (each 20
// by default, at most 100).
func (s *Sandbox) chatMessages(w http.ResponseWriter, r *http.Request, viewer int64) {
	q := r.URL.Query()
	count := func(name string) int {
		n, err := strconv.Atoi(q.Get(name))
		if err != nil {
			return 20
		}
		return min(max(n, 0), maxPerPage)
	}
	prev, next := count("previous_per_page"), count("next_per_page")
	cs := s.chat
	cs.mu.Lock()
	defer cs.mu.Unlock()
	room, _, err := cs.memberRoomLocked(viewer, r.PathValue("chat_room_uuid"), false)
	if err != nil {
		writeError(w, err)
		return
	}
	out := wireChatMessages{Records: []wireChatMessage{}, TotalCount: len(room.timeline)}
	if len(room.timeline) > 0 {
		at := len(room.timeline) - 1
		if ref := q.Get("id"); ref != "" {
			id, ok := parseID(ref)
			at = slices.Index(room.timeline, id)
			if !ok || at < 0 {
				writeError(w, notFound("chat_room_message"))
				return
			}
		}
		from, to := max(at-prev, 0), min(at+next, len(room.timeline)-1)
		v, done := cs.view(s.store)
		for _, id := range room.timeline[from : to+1] {
			out.Records = append(out.Records, v.message(cs.messages[id]))
		}
		done()
		out.ID = room.timeline[at]
		out.FirstID, out.LastID = room.timeline[from], room.timeline[to]
		out.HasPreviousPage, out.HasNextPage = from > 0, to < len(room.timeline)-1
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Sandbox) chatMessage(w http.ResponseWriter, r *http.Request, viewer int64) {
	cs := s.chat
	cs.mu.Lock()
	defer cs.mu.Unlock()
	room, _, err := cs.memberRoomLocked(viewer, r.PathValue("chat_room_uuid"), false)
	if err != nil {
		writeError(w, err)
		return
	}
	m, err := cs.roomMessageLocked(room, r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	v, done := cs.view(s.store)
	out := v.message(m)
	done()
	writeJSON(w, http.StatusOK, out)
}

// messageText reads and checks a message body's rich_text_body.
func messageText(raw json.RawMessage) (string, error) {
	text, ok := richText(raw)
	if !ok || text == "" {
		return "", invalid("Body can't be blank", map[string][]string{"rich_text_body": {"can't be blank"}})
	}
	if len([]rune(text)) > maxChatMessageRunes {
		return "", invalid(msgChatTooLong, map[string][]string{"rich_text_body": {"is too long"}})
	}
	return text, nil
}

// sendChatMessage is POST …/chat_room_messages. Circle queues the message
// and answers 202 with its creation_uuid; the sandbox stores it at once.
func (s *Sandbox) sendChatMessage(w http.ResponseWriter, r *http.Request, viewer int64) {
	var body struct {
		RichTextBody    json.RawMessage `json:"rich_text_body"`
		ParentMessageID *json.Number    `json:"parent_message_id"`
	}
	if err := decodeBodyLimit(w, r, &body, maxWriteBodyBytes); err != nil {
		writeError(w, err)
		return
	}
	cs := s.chat
	cs.mu.Lock()
	room, p, err := cs.memberRoomLocked(viewer, r.PathValue("chat_room_uuid"), true)
	if err != nil {
		cs.mu.Unlock()
		writeError(w, err)
		return
	}
	var parent *chatMessage
	if body.ParentMessageID != nil {
		if parent, err = cs.roomMessageLocked(room, body.ParentMessageID.String()); err == nil && parent.parentID != 0 {
			parent = cs.messages[parent.parentID] // threads are one level deep
		}
	}
	var text string
	if err == nil {
		text, err = messageText(body.RichTextBody)
	}
	if err != nil {
		cs.mu.Unlock()
		writeError(w, err)
		return
	}
	m := cs.addMessageLocked(room, p, parent, text, slices.Clone(body.RichTextBody), s.now())
	v, done := cs.view(s.store)
	events := v.messageEvents(eventNewMessage, m)
	done()
	out := wireSentMessage{CreationUUID: m.creationUUID, ParentMessageID: optID(m.parentID), SentAt: liveTime(m.createdAt)}
	cs.mu.Unlock()
	s.publishAll(events)
	writeJSON(w, http.StatusAccepted, out)
}

// ownMessage finds viewer's message for an edit or delete: another
// member's is 403.
func (cs *chatState) ownMessageLocked(viewer int64, uuid, ref string) (*chatMessage, error) {
	room, _, err := cs.memberRoomLocked(viewer, uuid, true)
	if err != nil {
		return nil, err
	}
	m, err := cs.roomMessageLocked(room, ref)
	if err != nil {
		return nil, err
	}
	if m.memberID != viewer {
		return nil, forbidden()
	}
	return m, nil
}

func (s *Sandbox) editChatMessage(w http.ResponseWriter, r *http.Request, viewer int64) {
	var body struct {
		RichTextBody json.RawMessage `json:"rich_text_body"`
	}
	if err := decodeBodyLimit(w, r, &body, maxWriteBodyBytes); err != nil {
		writeError(w, err)
		return
	}
	cs := s.chat
	cs.mu.Lock()
	m, err := cs.ownMessageLocked(viewer, r.PathValue("chat_room_uuid"), r.PathValue("id"))
	var text string
	if err == nil {
		text, err = messageText(body.RichTextBody)
	}
	if err != nil {
		cs.mu.Unlock()
		writeError(w, err)
		return
	}
	m.body, m.rich, m.editedAt = text, slices.Clone(body.RichTextBody), s.now()
	v, done := cs.view(s.store)
	events := v.messageEvents(eventUpdatedMessage, m)
	out := v.message(m)
	done()
	cs.mu.Unlock()
	s.publishAll(events)
	writeJSON(w, http.StatusOK, out)
}

// deleteChatMessage is DELETE …/chat_room_messages/{id}: the sender's
// message goes, with its replies.
func (s *Sandbox) deleteChatMessage(w http.ResponseWriter, r *http.Request, viewer int64) {
	cs := s.chat
	cs.mu.Lock()
	m, err := cs.ownMessageLocked(viewer, r.PathValue("chat_room_uuid"), r.PathValue("id"))
	if err != nil {
		cs.mu.Unlock()
		writeError(w, err)
		return
	}
	v, done := cs.view(s.store)
	events := v.messageEvents(eventDeletedMessage, m)
	done()
	room := cs.rooms[m.roomID]
	if m.parentID != 0 {
		parent := cs.messages[m.parentID]
		parent.replies = slices.DeleteFunc(parent.replies, func(id int64) bool { return id == m.id })
	} else {
		room.timeline = slices.DeleteFunc(room.timeline, func(id int64) bool { return id == m.id })
		for _, rid := range m.replies {
			delete(cs.messages, rid)
		}
		delete(cs.threads, m.threadID)
	}
	delete(cs.messages, m.id)
	cs.mu.Unlock()
	s.publishAll(events)
	writeJSON(w, http.StatusOK, emptyObject{})
}

func (s *Sandbox) chatParticipants(w http.ResponseWriter, r *http.Request, viewer int64) {
	cs := s.chat
	cs.mu.Lock()
	defer cs.mu.Unlock()
	room, _, err := cs.memberRoomLocked(viewer, r.PathValue("chat_room_uuid"), false)
	if err != nil {
		writeError(w, err)
		return
	}
	v, done := cs.view(s.store)
	out := make([]wireParticipant, len(room.participants))
	for i, p := range room.participants {
		out[i] = v.participant(p, true)
		out[i].CanSendMessage = nil
	}
	done()
	writeJSON(w, http.StatusOK, livePageOf(out, pageFrom(r.URL.Query(), 50)))
}

// updateChatParticipant is PUT …/chat_room_participants/{id}: a member
// mutes or archives the room for themselves; only a room admin changes
// someone else, or anyone's admin flag.
func (s *Sandbox) updateChatParticipant(w http.ResponseWriter, r *http.Request, viewer int64) {
	var body struct {
		Admin    *bool `json:"admin"`
		Archived *bool `json:"archived"`
		Muted    *bool `json:"muted"`
	}
	if err := decodeBodyLimit(w, r, &body, maxBodyBytes); err != nil {
		writeError(w, err)
		return
	}
	cs := s.chat
	cs.mu.Lock()
	defer cs.mu.Unlock()
	room, me, err := cs.memberRoomLocked(viewer, r.PathValue("chat_room_uuid"), true)
	if err != nil {
		writeError(w, err)
		return
	}
	id, ok := parseID(r.PathValue("id"))
	var target *chatParticipant
	for _, p := range room.participants {
		if ok && p.id == id {
			target = p
		}
	}
	switch {
	case target == nil:
		writeError(w, notFound("chat_room_participant"))
		return
	case (target != me || body.Admin != nil) && !me.admin:
		writeError(w, forbidden())
		return
	}
	if body.Admin != nil {
		target.admin = *body.Admin
	}
	if body.Archived != nil {
		target.archived = *body.Archived
	}
	if body.Muted != nil {
		target.muted = *body.Muted
	}
	v, done := cs.view(s.store)
	out := wireChatRoomEnvelope{ChatRoom: v.room(room, viewer)}
	done()
	writeJSON(w, http.StatusOK, out)
}

// markChatRoomRead is POST /messages/{uuid}/mark_all_as_read.
func (s *Sandbox) markChatRoomRead(w http.ResponseWriter, r *http.Request, viewer int64) {
	cs := s.chat
	cs.mu.Lock()
	room, p, err := cs.memberRoomLocked(viewer, r.PathValue("uuid"), true)
	if err != nil {
		cs.mu.Unlock()
		writeError(w, err)
		return
	}
	if n := len(room.timeline); n > 0 {
		p.readUpTo = room.timeline[n-1]
	}
	uuid := room.uuid
	cs.mu.Unlock()
	s.live.publish(liveEvent{Stream: memberChatStream(viewer), Event: eventChatRoomRead, Data: wireRoomRead{ChatRoomUUID: uuid}})
	writeJSON(w, http.StatusOK, emptyObject{})
}

func (s *Sandbox) unreadChatRooms(w http.ResponseWriter, _ *http.Request, viewer int64) {
	cs := s.chat
	cs.mu.Lock()
	out := struct {
		ChatRooms []string `json:"chat_rooms"`
	}{ChatRooms: []string{}}
	for _, id := range cs.order {
		room := cs.rooms[id]
		if p := room.participantOf(viewer); p != nil && len(cs.unreadLocked(room, p)) > 0 {
			out.ChatRooms = append(out.ChatRooms, room.uuid)
		}
	}
	cs.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// viewerThreadsLocked lists the threads viewer is in (in a room of theirs,
// as the parent's sender or a replier), most recent reply first.
func (cs *chatState) viewerThreadsLocked(viewer int64) []*chatThread {
	var out []*chatThread
	for _, t := range cs.threads {
		room := cs.rooms[t.roomID]
		if room.participantOf(viewer) != nil && slices.Contains(cs.threadMembersLocked(t.id), viewer) && len(cs.messages[t.parentID].replies) > 0 {
			out = append(out, t)
		}
	}
	latest := func(t *chatThread) int64 {
		r := cs.messages[t.parentID].replies
		return r[len(r)-1]
	}
	slices.SortFunc(out, func(a, b *chatThread) int { return int(latest(b) - latest(a)) })
	return out
}

func (v chatView) thread(t *chatThread, viewer int64) wireChatThread {
	parent := v.cs.messages[t.parentID]
	room := v.cs.rooms[t.roomID]
	out := wireChatThread{ID: t.id, ParentMessage: v.message(parent), Replies: []wireChatMessage{}, ChatRoom: wireThreadRoom{Kind: room.kind, Name: v.roomName(room, viewer)}}
	for _, rid := range parent.replies {
		out.Replies = append(out.Replies, v.message(v.cs.messages[rid]))
	}
	return out
}

func (s *Sandbox) chatThreads(w http.ResponseWriter, r *http.Request, viewer int64) {
	cs := s.chat
	cs.mu.Lock()
	threads := cs.viewerThreadsLocked(viewer)
	v, done := cs.view(s.store)
	out := make([]wireChatThread, len(threads))
	for i, t := range threads {
		out[i] = v.thread(t, viewer)
	}
	done()
	cs.mu.Unlock()
	writeJSON(w, http.StatusOK, livePageOf(out, pageFrom(r.URL.Query(), defaultPerPage)))
}

func (s *Sandbox) chatThread(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "id", "chat_thread", func(id int64) (any, error) {
		cs := s.chat
		cs.mu.Lock()
		defer cs.mu.Unlock()
		t, ok := cs.threads[id]
		if !ok || cs.rooms[t.roomID].participantOf(viewer) == nil {
			return nil, notFound("chat_thread")
		}
		v, done := cs.view(s.store)
		defer done()
		return v.thread(t, viewer), nil
	})
}

func (s *Sandbox) unreadChatThreads(w http.ResponseWriter, _ *http.Request, viewer int64) {
	cs := s.chat
	cs.mu.Lock()
	out := struct {
		ChatThreadIDs []int64 `json:"chat_thread_ids"`
	}{ChatThreadIDs: []int64{}}
	for _, t := range cs.viewerThreadsLocked(viewer) {
		p := cs.rooms[t.roomID].participantOf(viewer)
		for _, rid := range cs.messages[t.parentID].replies {
			if m := cs.messages[rid]; m.memberID != viewer && rid > p.threadReadUpTo[t.id] {
				out.ChatThreadIDs = append(out.ChatThreadIDs, t.id)
				break
			}
		}
	}
	cs.mu.Unlock()
	slices.Sort(out.ChatThreadIDs)
	writeJSON(w, http.StatusOK, out)
}

// reactionRequest is the body of POST and DELETE /reactions.
type reactionRequest struct {
	ChatRoomMessage json.Number `json:"chat_room_message"`
	Emoji           string      `json:"emoji"`
}

// reactionTarget reads a reaction request and finds its message in a room
// viewer is in.
func (s *Sandbox) reactionTargetLocked(w http.ResponseWriter, r *http.Request, viewer int64) (*chatMessage, string, error) {
	var body reactionRequest
	if err := decodeBodyLimit(w, r, &body, maxBodyBytes); err != nil {
		return nil, "", err
	}
	id, ok := parseID(body.ChatRoomMessage.String())
	if !ok {
		return nil, "", notFound("chat_room_message")
	}
	m, ok := s.chat.messages[id]
	if !ok || s.chat.rooms[m.roomID].participantOf(viewer) == nil {
		return nil, "", notFound("chat_room_message")
	}
	emoji := strings.TrimSpace(body.Emoji)
	if emoji == "" || len(emoji) > maxEmojiBytes {
		return nil, "", invalid(msgEmojiInvalid, map[string][]string{"emoji": {"is invalid"}})
	}
	return m, emoji, nil
}

func (s *Sandbox) addReaction(w http.ResponseWriter, r *http.Request, viewer int64) {
	cs := s.chat
	cs.mu.Lock()
	defer cs.mu.Unlock()
	m, emoji, err := s.reactionTargetLocked(w, r, viewer)
	if err != nil {
		writeError(w, err)
		return
	}
	if !slices.Contains(m.reactions[emoji], viewer) {
		if len(m.reactions[emoji]) == 0 && !slices.Contains(m.reactionOrder, emoji) {
			m.reactionOrder = append(m.reactionOrder, emoji)
		}
		m.reactions[emoji] = append(m.reactions[emoji], viewer)
	}
	writeJSON(w, http.StatusOK, wireReactionCreated{Success: true, Message: msgReactionCreated, Reaction: wireReaction{
		ReactionableType: "ChatRoomMessage", ReactionableID: m.id, CommunityMemberID: viewer, Emoji: emoji,
	}})
}

func (s *Sandbox) removeReaction(w http.ResponseWriter, r *http.Request, viewer int64) {
	cs := s.chat
	cs.mu.Lock()
	defer cs.mu.Unlock()
	m, emoji, err := s.reactionTargetLocked(w, r, viewer)
	if err == nil && !slices.Contains(m.reactions[emoji], viewer) {
		err = notFound("reaction")
	}
	if err != nil {
		writeError(w, err)
		return
	}
	m.reactions[emoji] = slices.DeleteFunc(m.reactions[emoji], func(id int64) bool { return id == viewer })
	w.WriteHeader(http.StatusNoContent)
}

// chatRoutes registers the chat endpoints.
func (s *Sandbox) chatRoutes(member func(method, path string, h memberHandler)) {
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	member(get, "/messages", s.chatRooms)
	member(post, "/messages", s.createChatRoom)
	member(get, "/messages/unread_chat_rooms", s.unreadChatRooms)
	member(get, "/messages/{uuid}", s.chatRoom)
	member(post, "/messages/{uuid}/mark_all_as_read", s.markChatRoomRead)
	member(get, "/messages/{chat_room_uuid}/chat_room_messages", s.chatMessages)
	member(post, "/messages/{chat_room_uuid}/chat_room_messages", s.sendChatMessage)
	member(get, "/messages/{chat_room_uuid}/chat_room_messages/{id}", s.chatMessage)
	member(put, "/messages/{chat_room_uuid}/chat_room_messages/{id}", s.editChatMessage)
	member(del, "/messages/{chat_room_uuid}/chat_room_messages/{id}", s.deleteChatMessage)
	member(get, "/messages/{chat_room_uuid}/chat_room_participants", s.chatParticipants)
	member(put, "/messages/{chat_room_uuid}/chat_room_participants/{id}", s.updateChatParticipant)
	member(get, "/chat_threads", s.chatThreads)
	member(get, "/chat_threads/unread_chat_threads", s.unreadChatThreads)
	member(get, "/chat_threads/{id}", s.chatThread)
	member(post, "/reactions", s.addReaction)
	member(del, "/reactions", s.removeReaction)
}
