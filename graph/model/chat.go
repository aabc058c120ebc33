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

// Description is the room's description, nil when empty.
func (r *ChatRoom) Description() *string { return nonEmpty(r.r.ChatRoomDescription) }

// LastMessage is the newest message Circle embeds in the room, nil when
// none.
func (r *ChatRoom) LastMessage() *ChatMessage {
	if r.r.LastMessage == nil || r.r.LastMessage.ID == 0 {
		return nil
	}
	return ChatMessageFrom(r.r.LastMessage)
}

// FirstUnreadMessageID is the oldest unread message, nil when none.
func (r *ChatRoom) FirstUnreadMessageID() *string { return optionalID(r.r.FirstUnreadMessageID) }

// CurrentParticipant is the signed-in member's participation, nil when
// Circle sent none.
func (r *ChatRoom) CurrentParticipant() *ChatParticipant {
	if r.r.CurrentParticipant == nil || r.r.CurrentParticipant.ID == 0 {
		return nil
	}
	return ChatParticipantFrom(r.r.CurrentParticipant)
}

// optionalID renders a nullable Circle id.
func optionalID(id *int64) *string {
	if id == nil || *id == 0 {
		return nil
	}
	s := FormatID(*id)
	return &s
}

// ChatParticipant is a member's participation in a room.
type ChatParticipant struct{ p *circle.ChatParticipant }

// ChatParticipantFrom wraps a Circle participant record.
func ChatParticipantFrom(p *circle.ChatParticipant) *ChatParticipant { return &ChatParticipant{p: p} }

// ID is the participant id.
func (p *ChatParticipant) ID() string { return FormatID(p.p.ID) }

// Member is the participant's member, with what the record carries.
func (p *ChatParticipant) Member() *Member { return MemberFromParticipant(p.p) }

// IsRoomAdmin reports the room's admin flag.
func (p *ChatParticipant) IsRoomAdmin() bool { return p.p.Admin }

// IsMuted reports whether the participant muted the room.
func (p *ChatParticipant) IsMuted() bool { return p.p.Muted }

// IsArchived reports whether the participant archived the room.
func (p *ChatParticipant) IsArchived() bool { return p.p.Archived }

// Status is Circle's presence, nil when not sent.
func (p *ChatParticipant) Status() *string { return nonEmpty(p.p.Status) }

// LastSeenText is Circle's last-seen words, nil when not sent.
func (p *ChatParticipant) LastSeenText() *string { return nonEmpty(p.p.LastSeenText) }

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
func (m *ChatMessage) ParentMessageID() *string { return optionalID(m.m.ParentMessageID) }

// RepliesCount is the number of replies in the thread the message starts.
func (m *ChatMessage) RepliesCount() int { return m.m.RepliesCount }

// LastReplyAt is when the last reply came, nil without replies.
func (m *ChatMessage) LastReplyAt() *time.Time { return m.m.LastReplyAt.Ptr() }

// ThreadID is the thread the message starts or belongs to, 0 when none.
func (m *ChatMessage) ThreadID() int64 {
	if m.m.ChatThreadID == nil {
		return 0
	}
	return *m.m.ChatThreadID
}

// ChatThread is a message with its replies.
type ChatThread struct{ t *circle.ChatThread }

// ChatThreadFrom wraps a Circle thread.
func ChatThreadFrom(t *circle.ChatThread) *ChatThread { return &ChatThread{t: t} }

// ID is the GraphQL id.
func (t *ChatThread) ID() string { return FormatID(t.t.ID) }

// ParentMessage is the message the thread answers.
func (t *ChatThread) ParentMessage() *ChatMessage { return ChatMessageFrom(&t.t.ParentMessage) }

// Replies are the replies, oldest first.
func (t *ChatThread) Replies() []*ChatMessage {
	out := make([]*ChatMessage, len(t.t.Replies))
	for i := range t.t.Replies {
		out[i] = ChatMessageFrom(&t.t.Replies[i])
	}
	return out
}

// ChatRoomName is the room's name as the member sees it.
func (t *ChatThread) ChatRoomName() string { return t.t.ChatRoom.Name }

// ChatRoomKind maps the room's kind as ChatRoom.Kind does.
func (t *ChatThread) ChatRoomKind() ChatRoomKind {
	return ChatRoomFrom(&circle.ChatRoom{ChatRoomKind: t.t.ChatRoom.Kind}).Kind()
}

// Participants are the members Circle previews in the thread: id, name
// and avatar known.
func (t *ChatThread) Participants() []*Member {
	preview := t.t.ParentMessage.ThreadParticipantsPreview
	out := make([]*Member, len(preview))
	for i, p := range preview {
		m := &Member{id: p.CommunityMemberID, name: p.Name}
		m.avatarURL = known(p.AvatarURL)
		out[i] = m
	}
	return out
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
