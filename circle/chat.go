package circle

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// The Member API's chat endpoints (tags Chat Room and Chat Threads of
// Circle's OpenAPI document, and /reactions): the member's direct and group
// rooms under /messages, their messages, participants, threads and
// reactions. Rooms are addressed by uuid; messages, participants and
// threads by numeric id.

// Chat room kinds as Circle names them in chat_room_kind.
const (
	ChatRoomDirect = "direct"
	ChatRoomGroup  = "group_chat"
)

// ChatSender is the participant Circle embeds in a message as "sender". ID
// is the participant's id in the room (chat_room_participant_id);
// CommunityMemberID is the member.
type ChatSender struct {
	ID                int64   `json:"id"`
	Name              string  `json:"name"`
	CommunityMemberID int64   `json:"community_member_id"`
	UserPublicUID     string  `json:"user_public_uid,omitempty"`
	AvatarURL         *string `json:"avatar_url"`
}

// ChatReaction is one emoji on a message: how many members used it and who.
type ChatReaction struct {
	Emoji              string  `json:"emoji"`
	Count              int     `json:"count"`
	CommunityMemberIDs []int64 `json:"community_member_ids"`
}

// ChatThreadParticipant is a member of a message's thread preview.
type ChatThreadParticipant struct {
	ID                int64   `json:"id"`
	CommunityMemberID int64   `json:"community_member_id"`
	Name              string  `json:"name"`
	AvatarURL         *string `json:"avatar_url"`
}

// ChatMessage is one message of a room (Circle's chat_room_message), as
// the message endpoints answer it and as Circle's cable pushes it
// (newMessage, updatedMessage), which adds the room's kind and the
// creation_uuid a send was answered with.
type ChatMessage struct {
	ID                    int64  `json:"id"`
	ChatRoomUUID          string `json:"chat_room_uuid"`
	ChatRoomParticipantID int64  `json:"chat_room_participant_id"`
	// ParentMessageID is set on replies in a thread.
	ParentMessageID *int64 `json:"parent_message_id"`
	// ChatThreadID is the thread the message starts or belongs to.
	ChatThreadID *int64 `json:"chat_thread_id"`
	// Body is the plain text; RichTextBody Circle's TipTap envelope
	// ({"body": {"type": "doc", …}, "circle_ios_fallback_text": …}).
	Body         string          `json:"body"`
	RichTextBody json.RawMessage `json:"rich_text_body"`
	BookmarkID   *int64          `json:"bookmark_id"`
	CreatedAt    Timestamp       `json:"created_at"`
	SentAt       Timestamp       `json:"sent_at"`
	EditedAt     Timestamp       `json:"edited_at"`
	LastReplyAt  Timestamp       `json:"last_reply_at"`
	RepliesCount int             `json:"replies_count"`
	Sender       ChatSender      `json:"sender"`

	TotalThreadParticipantsCount int                     `json:"total_thread_participants_count"`
	ThreadParticipantsPreview    []ChatThreadParticipant `json:"thread_participants_preview"`
	Reactions                    []ChatReaction          `json:"reactions"`

	// Cable events only.
	ChatRoomKind string `json:"chat_room_kind,omitempty"`
	CreationUUID string `json:"creation_uuid,omitempty"`
}

// ChatMessages is a window of a room's messages around a reference message
// (GET /messages/{uuid}/chat_room_messages): up to previous_per_page
// messages before it, the message itself and up to next_per_page after,
// oldest first. HasPreviousPage and HasNextPage say whether the room has
// messages beyond the window; FirstID and LastID are the window's ends.
type ChatMessages struct {
	ID              int64         `json:"id"`
	HasPreviousPage bool          `json:"has_previous_page"`
	HasNextPage     bool          `json:"has_next_page"`
	FirstID         int64         `json:"first_id"`
	LastID          int64         `json:"last_id"`
	TotalCount      int           `json:"total_count"`
	Records         []ChatMessage `json:"records"`
}

// MessageWindow selects a window of ChatMessages. Around is the reference
// message (0: the room's newest); Previous and Next how many messages to
// take before and after it. Both counts are always sent, since Circle's
// default (20) is not what a page of another size wants.
type MessageWindow struct {
	Around         int64
	Previous, Next int
}

func (w MessageWindow) query() url.Values {
	q := url.Values{}
	if w.Around > 0 {
		q.Set("id", id(w.Around))
	}
	q.Set("previous_per_page", strconv.Itoa(max(w.Previous, 0)))
	q.Set("next_per_page", strconv.Itoa(max(w.Next, 0)))
	return q
}

// ChatParticipant is a member of a room as Circle lists it (the room's
// other_participants_preview and current_participant, and
// GET …/chat_room_participants). ID is the participant id, which the
// participant endpoint takes; CommunityMemberID is the member; UserID the
// member's user id. Admin is the room's admin flag, CommunityAdmin the
// community's.
type ChatParticipant struct {
	ID                int64     `json:"id"`
	CommunityMemberID int64     `json:"community_member_id"`
	UserID            int64     `json:"user_id,omitempty"`
	Name              string    `json:"name"`
	UserPublicUID     string    `json:"user_public_uid,omitempty"`
	AvatarURL         *string   `json:"avatar_url"`
	Headline          string    `json:"headline"`
	Bio               string    `json:"bio"`
	Location          string    `json:"location,omitempty"`
	Email             string    `json:"email,omitempty"`
	LastSeenText      string    `json:"last_seen_text"`
	Status            string    `json:"status,omitempty"`
	Muted             bool      `json:"muted"`
	Archived          bool      `json:"archived"`
	Admin             bool      `json:"admin"`
	CommunityAdmin    bool      `json:"community_admin"`
	Moderator         bool      `json:"moderator"`
	CanSendMessage    *bool     `json:"can_send_message,omitempty"`
	DeletedAt         Timestamp `json:"deleted_at"`
}

// ChatRoom is a room as the member sees it (Circle's chat_room): its
// unread count, current participant and preview of the others are the
// member's own.
type ChatRoom struct {
	ID                        int64             `json:"id"`
	UUID                      string            `json:"uuid"`
	Identifier                string            `json:"identifier"`
	UnreadMessagesCount       int               `json:"unread_messages_count"`
	ChatRoomKind              string            `json:"chat_room_kind"`
	ChatRoomName              string            `json:"chat_room_name"`
	ChatRoomDescription       string            `json:"chat_room_description"`
	ChatRoomShowHistory       bool              `json:"chat_room_show_history"`
	ChatRoomParticipantsCount int               `json:"chat_room_participants_count"`
	OtherParticipantsPreview  []ChatParticipant `json:"other_participants_preview"`
	CurrentParticipant        *ChatParticipant  `json:"current_participant"`
	LastMessage               *ChatMessage      `json:"last_message"`
	FirstUnreadMessageID      *int64            `json:"first_unread_message_id"`
}

// UnmarshalJSON reads a room bare, as GET /messages lists them, or inside
// Circle's {"chat_room": {…}} envelope, as the single-room endpoints (and
// the chat_room schema) have it.
func (r *ChatRoom) UnmarshalJSON(b []byte) error {
	type plain ChatRoom
	var v struct {
		plain
		Envelope *plain `json:"chat_room"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("chat room: %w", err)
	}
	if v.Envelope != nil && v.UUID == "" {
		*r = ChatRoom(*v.Envelope)
		return nil
	}
	*r = ChatRoom(v.plain)
	return nil
}

// ChatThread is a message with its replies (GET /chat_threads).
type ChatThread struct {
	ID            int64          `json:"id"`
	ParentMessage ChatMessage    `json:"parent_message"`
	Replies       []ChatMessage  `json:"replies"`
	ChatRoom      ChatThreadRoom `json:"chat_room"`
}

// ChatThreadRoom is the short room a thread embeds.
type ChatThreadRoom struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// NewChatRoom is the body of POST /messages (inside "chat_room"): a direct
// room with one other member or a group room with several. Circle takes the
// member ids as strings.
type NewChatRoom struct {
	Kind               string          `json:"kind"`
	CommunityMemberIDs []string        `json:"community_member_ids"`
	RichTextBody       json.RawMessage `json:"rich_text_body,omitempty"`
}

// NewChatMessage is the body of POST …/chat_room_messages: Circle takes the
// message only as a TipTap envelope (rich_text_body is required).
type NewChatMessage struct {
	RichTextBody    json.RawMessage `json:"rich_text_body"`
	ParentMessageID *int64          `json:"parent_message_id,omitempty"`
}

// SentChatMessage is Circle's 202 answer to a new message: it is queued,
// not yet stored, so the answer names no message id. The message arrives
// on the room's cable as newMessage carrying the same creation_uuid.
type SentChatMessage struct {
	CreationUUID    string    `json:"creation_uuid"`
	ParentMessageID *int64    `json:"parent_message_id"`
	SentAt          Timestamp `json:"sent_at"`
}

// ParticipantUpdate is the body of PUT …/chat_room_participants/{id}; nil
// fields are left as they are. Only room admins may set Admin.
type ParticipantUpdate struct {
	Admin    *bool `json:"admin,omitempty"`
	Archived *bool `json:"archived,omitempty"`
	Muted    *bool `json:"muted,omitempty"`
}

// Reaction is Circle's record of one member's emoji on a message.
type Reaction struct {
	ReactionableType  string `json:"reactionable_type"`
	ReactionableID    int64  `json:"reactionable_id"`
	CommunityMemberID int64  `json:"community_member_id"`
	Emoji             string `json:"emoji"`
}

// reactionBody is the body of POST and DELETE /reactions.
type reactionBody struct {
	ChatRoomMessage int64  `json:"chat_room_message"`
	Emoji           string `json:"emoji"`
}

func roomPath(uuid string) string { return "/messages/" + url.PathEscape(uuid) }

// ChatRooms lists the member's rooms, most recent activity first:
// GET /messages.
func (m *MemberAPI) ChatRooms(ctx context.Context, p ListParams) (*Page[ChatRoom], error) {
	var out Page[ChatRoom]
	return &out, m.get(ctx, "/messages", "/messages", p.query(), &out)
}

// ChatRoom returns one of the member's rooms: GET /messages/{uuid}.
func (m *MemberAPI) ChatRoom(ctx context.Context, uuid string) (*ChatRoom, error) {
	var out ChatRoom
	err := m.get(ctx, "/messages/{uuid}", roomPath(uuid), nil, &out)
	if err == nil && out.UUID == "" {
		err = fmt.Errorf("circle: GET /messages/{uuid}: decode response: the answer has no room uuid")
	}
	return &out, err
}

// CreateChatRoom opens a room (or finds the member's existing direct room
// with that member): POST /messages. Circle answers with the room.
func (m *MemberAPI) CreateChatRoom(ctx context.Context, r NewChatRoom) (*ChatRoom, error) {
	body := struct {
		ChatRoom NewChatRoom `json:"chat_room"`
	}{r}
	var out ChatRoom
	if err := m.write(ctx, http.MethodPost, "/messages", "/messages", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ChatMessages returns a window of a room's messages:
// GET /messages/{uuid}/chat_room_messages?id=…&previous_per_page=…&next_per_page=….
func (m *MemberAPI) ChatMessages(ctx context.Context, uuid string, w MessageWindow) (*ChatMessages, error) {
	var out ChatMessages
	return &out, m.get(ctx, "/messages/{chat_room_uuid}/chat_room_messages", roomPath(uuid)+"/chat_room_messages", w.query(), &out)
}

// ChatMessage returns one message of a room:
// GET /messages/{uuid}/chat_room_messages/{id}.
func (m *MemberAPI) ChatMessage(ctx context.Context, uuid string, messageID int64) (*ChatMessage, error) {
	var out ChatMessage
	return &out, identified(m.get(ctx, "/messages/{chat_room_uuid}/chat_room_messages/{id}", roomPath(uuid)+"/chat_room_messages/"+id(messageID), nil, &out), "/messages/{chat_room_uuid}/chat_room_messages/{id}", out.ID)
}

// SendChatMessage posts a message (a reply in a thread when
// ParentMessageID is set): POST /messages/{uuid}/chat_room_messages.
// Circle answers 202 with the queued message's creation_uuid and sent_at,
// not the message.
func (m *MemberAPI) SendChatMessage(ctx context.Context, uuid string, msg NewChatMessage) (*SentChatMessage, error) {
	var out SentChatMessage
	if err := m.write(ctx, http.MethodPost, "/messages/{chat_room_uuid}/chat_room_messages", roomPath(uuid)+"/chat_room_messages", msg, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EditChatMessage replaces a message's text:
// PUT /messages/{uuid}/chat_room_messages/{id} with a TipTap envelope.
// Circle answers with the message (nil when its answer names none).
func (m *MemberAPI) EditChatMessage(ctx context.Context, uuid string, messageID int64, richTextBody json.RawMessage) (*ChatMessage, error) {
	body := struct {
		RichTextBody json.RawMessage `json:"rich_text_body"`
	}{richTextBody}
	var out ChatMessage
	if err := m.write(ctx, http.MethodPut, "/messages/{chat_room_uuid}/chat_room_messages/{id}", roomPath(uuid)+"/chat_room_messages/"+id(messageID), body, &out); err != nil {
		return nil, err
	}
	if out.ID == 0 {
		return nil, nil
	}
	return &out, nil
}

// DeleteChatMessage deletes a message:
// DELETE /messages/{uuid}/chat_room_messages/{id}.
func (m *MemberAPI) DeleteChatMessage(ctx context.Context, uuid string, messageID int64) error {
	return m.write(ctx, http.MethodDelete, "/messages/{chat_room_uuid}/chat_room_messages/{id}", roomPath(uuid)+"/chat_room_messages/"+id(messageID), nil, nil)
}

// ChatParticipants lists every participant of a room:
// GET /messages/{uuid}/chat_room_participants.
func (m *MemberAPI) ChatParticipants(ctx context.Context, uuid string, p ListParams) (*Page[ChatParticipant], error) {
	var out Page[ChatParticipant]
	return &out, m.get(ctx, "/messages/{chat_room_uuid}/chat_room_participants", roomPath(uuid)+"/chat_room_participants", p.query(), &out)
}

// UpdateChatParticipant mutes, archives or (for room admins) promotes a
// participant: PUT /messages/{uuid}/chat_room_participants/{id}. Circle
// answers with the room as the member now sees it.
func (m *MemberAPI) UpdateChatParticipant(ctx context.Context, uuid string, participantID int64, u ParticipantUpdate) (*ChatRoom, error) {
	var out ChatRoom
	if err := m.write(ctx, http.MethodPut, "/messages/{chat_room_uuid}/chat_room_participants/{id}", roomPath(uuid)+"/chat_room_participants/"+id(participantID), u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// MarkChatRoomRead marks every message of a room read for the member:
// POST /messages/{uuid}/mark_all_as_read.
func (m *MemberAPI) MarkChatRoomRead(ctx context.Context, uuid string) error {
	return m.write(ctx, http.MethodPost, "/messages/{uuid}/mark_all_as_read", roomPath(uuid)+"/mark_all_as_read", nil, nil)
}

// UnreadChatRooms returns the uuids of the member's rooms with unread
// messages: GET /messages/unread_chat_rooms.
func (m *MemberAPI) UnreadChatRooms(ctx context.Context) ([]string, error) {
	var out struct {
		ChatRooms []string `json:"chat_rooms"`
	}
	return out.ChatRooms, m.get(ctx, "/messages/unread_chat_rooms", "/messages/unread_chat_rooms", nil, &out)
}

// ChatThreads lists the threads the member takes part in: GET /chat_threads.
func (m *MemberAPI) ChatThreads(ctx context.Context, p ListParams) (*Page[ChatThread], error) {
	var out Page[ChatThread]
	return &out, m.get(ctx, "/chat_threads", "/chat_threads", p.query(), &out)
}

// ChatThread returns one thread: GET /chat_threads/{id}.
func (m *MemberAPI) ChatThread(ctx context.Context, threadID int64) (*ChatThread, error) {
	var out ChatThread
	return &out, identified(m.get(ctx, "/chat_threads/{id}", "/chat_threads/"+id(threadID), nil, &out), "/chat_threads/{id}", out.ID)
}

// UnreadChatThreads returns the ids of the member's threads with unread
// replies: GET /chat_threads/unread_chat_threads.
func (m *MemberAPI) UnreadChatThreads(ctx context.Context) ([]int64, error) {
	var out struct {
		ChatThreadIDs []int64 `json:"chat_thread_ids"`
	}
	return out.ChatThreadIDs, m.get(ctx, "/chat_threads/unread_chat_threads", "/chat_threads/unread_chat_threads", nil, &out)
}

// AddReaction puts the member's emoji on a message: POST /reactions.
func (m *MemberAPI) AddReaction(ctx context.Context, messageID int64, emoji string) (*Reaction, error) {
	var out struct {
		Reaction Reaction `json:"reaction"`
	}
	if err := m.write(ctx, http.MethodPost, "/reactions", "/reactions", reactionBody{ChatRoomMessage: messageID, Emoji: emoji}, &out); err != nil {
		return nil, err
	}
	return &out.Reaction, nil
}

// RemoveReaction takes the member's emoji off a message: DELETE /reactions
// (with the same body). Circle answers 404 when the member had not used it.
func (m *MemberAPI) RemoveReaction(ctx context.Context, messageID int64, emoji string) error {
	return m.write(ctx, http.MethodDelete, "/reactions", "/reactions", reactionBody{ChatRoomMessage: messageID, Emoji: emoji}, nil)
}
