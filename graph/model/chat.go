package model

import (
	"encoding/json"
	"time"

	"github.com/circle-gateway/gateway/circle"
)

// ChatRoom is a chat room as the member sees it. Everything but messages
// is answered from Circle's room record (a record of GET /messages, GET
// /messages/{uuid}, or a room a write answered with).
type ChatRoom struct{ r *circle.ChatRoom }

// ChatRoomFrom wraps a Circle chat room.
func ChatRoomFrom(r *circle.ChatRoom) *ChatRoom { return &ChatRoom{r: r} }

// Circle returns the wrapped record.
func (r *ChatRoom) Circle() *circle.ChatRoom { return r.r }

// UUID is the room's uuid, its GraphQL id.
func (r *ChatRoom) UUID() string { return r.r.UUID }

// Kind maps chat_room_kind: "direct" is DIRECT; every other kind (group
// chats, and any kind Circle adds) is a room of several members.
func (r *ChatRoom) Kind() ChatRoomKind {
	if r.r.ChatRoomKind == circle.ChatRoomDirect {
		return ChatRoomKindDirect
	}
	return ChatRoomKindGroupChat
}

// Name is the room's name as the member sees it.
func (r *ChatRoom) Name() string { return r.r.ChatRoomName }

// UnreadMessagesCount is the member's unread count.
func (r *ChatRoom) UnreadMessagesCount() int { return r.r.UnreadMessagesCount }

// ParticipantsCount counts every participant, the member included.
func (r *ChatRoom) ParticipantsCount() int { return r.r.ChatRoomParticipantsCount }

// Participants are the other participants Circle previews, as members
// (name, headline, avatar, bio and admin flag known; counts load).
func (r *ChatRoom) Participants() []*Member {
	out := make([]*Member, len(r.r.OtherParticipantsPreview))
	for i := range r.r.OtherParticipantsPreview {
		out[i] = MemberFromParticipant(&r.r.OtherParticipantsPreview[i])
	}
	return out
}

// ChatMessage is one message of a room.
type ChatMessage struct{ m *circle.ChatMessage }

// ChatMessageFrom wraps a Circle message: a record of a message list, the
// answer of a message write, or the data of a newMessage or updatedMessage
// cable event.
func ChatMessageFrom(m *circle.ChatMessage) *ChatMessage { return &ChatMessage{m: m} }

// Circle returns the wrapped record.
func (m *ChatMessage) Circle() *circle.ChatMessage { return m.m }

// ID is the GraphQL id.
func (m *ChatMessage) ID() string { return FormatID(m.m.ID) }

// ChatRoomUUID is the room the message is in.
func (m *ChatMessage) ChatRoomUUID() string { return m.m.ChatRoomUUID }

// Body is the plain text; when Circle sent none, the TipTap envelope's
// plain-text fallback.
func (m *ChatMessage) Body() string {
	if m.m.Body != "" || len(m.m.RichTextBody) == 0 {
		return m.m.Body
	}
	var envelope struct {
		Fallback string `json:"circle_ios_fallback_text"`
	}
	if json.Unmarshal(m.m.RichTextBody, &envelope) != nil {
		return ""
	}
	return envelope.Fallback
}

// RichTextBody is the TipTap envelope, passed through untouched.
func (m *ChatMessage) RichTextBody() JSON { return jsonOrNil(m.m.RichTextBody) }

// Sender is the sender Circle embedded (name and avatar known), nil when
// the message names none.
func (m *ChatMessage) Sender() *Member {
	if m.m.Sender.CommunityMemberID == 0 {
		return nil
	}
	return MemberFromChatSender(m.m.Sender)
}

// CreatedAt is when the message was stored, else when it was sent.
func (m *ChatMessage) CreatedAt() time.Time {
	if m.m.CreatedAt.IsZero() {
		return m.m.SentAt.Time
	}
	return m.m.CreatedAt.Time
}

// EditedAt is the last edit, nil when never edited.
func (m *ChatMessage) EditedAt() *time.Time { return m.m.EditedAt.Ptr() }

// ParentMessageID is the message replied to, nil for a top-level message.
func (m *ChatMessage) ParentMessageID() *string {
	if m.m.ParentMessageID == nil || *m.m.ParentMessageID == 0 {
		return nil
	}
	s := FormatID(*m.m.ParentMessageID)
	return &s
}

// MemberFromChatSender builds a member from a message's embedded sender:
// id (the community member id, never the participant id Circle also
// sends), name and avatar are known; the rest loads from the profile.
func MemberFromChatSender(s circle.ChatSender) *Member {
	m := &Member{id: s.CommunityMemberID, name: s.Name}
	m.avatarURL = known(s.AvatarURL)
	return m
}

// MemberFromParticipant builds a member from a room participant, which
// carries the member's headline, bio, avatar and community roles; only the
// post and comment counts load from the profile.
func MemberFromParticipant(p *circle.ChatParticipant) *Member {
	m := &Member{id: p.CommunityMemberID, name: p.Name}
	m.headline = known(nonEmpty(p.Headline))
	m.avatarURL = known(p.AvatarURL)
	m.bio = known(nonEmpty(p.Bio))
	m.isAdmin = known(p.CommunityAdmin)
	return m
}
