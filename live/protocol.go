package live

import (
	"encoding/json"
	"strconv"
)

// Circle's channels (its "Websockets (Beta)" page). Each is subscribed with
// the member's own community member id.
const (
	// NotificationChannel carries the member's in-app notifications
	// (queue notification-channel-#{community_member_id}).
	NotificationChannel = "NotificationChannel"
	// ChatRoomChannel carries the chat events meant for the member alone
	// (queue chat-room-channel-#{community_member.id}): rooms created,
	// updated, read, and each new top-level message of a non-embedded
	// room. Edits, deletions and replies are not on it.
	ChatRoomChannel = "ChatRoomChannel"
	// RoomChannel carries what every participant of one room hears (queue
	// chat-room-#{chat_room.id}-channel): each new message (replies and
	// embedded rooms included), each edit (updatedMessage) and each
	// deletion (deletedMessage). Circle's page names the channel and its
	// queue but not its parameters; the gateway sends the room's id, its
	// uuid and the member's id, so that the channel finds the room by
	// either.
	RoomChannel = "Chats::RoomChannel"
)

// Circle's chat events on a room's queue.
const (
	// EventNewMessage carries a message as the message endpoints render it.
	EventNewMessage = "newMessage"
	// EventUpdatedMessage carries an edited message.
	EventUpdatedMessage = "updatedMessage"
	// EventDeletedMessage carries {"id": …, "parent_message": …}: the
	// deleted message's id and, for a reply, the message it replied to as
	// the message endpoints render it (null for a top-level message).
	EventDeletedMessage = "deletedMessage"
)

// Circle's NotificationChannel events.
const (
	// EventNewNotification carries one rendered notification.
	EventNewNotification = "newNotification"
	// EventUpdateNotificationCount carries {"new_notifications_count": n}.
	EventUpdateNotificationCount = "updateNewNotificationCount"
	// EventResetNotificationCount carries {"new_notifications_count": 0}.
	EventResetNotificationCount = "resetNewNotificationCount"
)

// ActionCable's message types (server to client) and commands (client to
// server), as its JavaScript client speaks them.
const (
	typeWelcome      = "welcome"
	typePing         = "ping"
	typeConfirm      = "confirm_subscription"
	typeReject       = "reject_subscription"
	typeDisconnect   = "disconnect"
	cmdSubscribe     = "subscribe"
	cmdUnsubscribe   = "unsubscribe"
	reasonUnauthzd   = "unauthorized"
	identifierMember = "community_member_id"
)

// Channel names one ActionCable channel subscription of a member.
type Channel struct {
	// Name is NotificationChannel, ChatRoomChannel or RoomChannel.
	Name string
	// ChatRoomID and ChatRoomUUID name the room of a RoomChannel.
	ChatRoomID   int64
	ChatRoomUUID string
}

// Notifications is the member's NotificationChannel.
func Notifications() Channel { return Channel{Name: NotificationChannel} }

// ChatRoom is the RoomChannel of one room the member is in (its id and
// uuid as Circle's room endpoint gives them).
func ChatRoom(id int64, uuid string) Channel {
	return Channel{Name: RoomChannel, ChatRoomID: id, ChatRoomUUID: uuid}
}

// Identifier is the ActionCable identifier of the channel subscribed by
// memberID: a JSON object serialised to a string,
// {"channel":"NotificationChannel","community_member_id":101}, with
// "chat_room_id" and "chat_room_uuid" for a room. The server echoes it
// verbatim on every message of the subscription, so it is built the same
// way every time.
func (ch Channel) Identifier(memberID int64) string {
	name, _ := json.Marshal(ch.Name)
	id := `{"channel":` + string(name) + `,"` + identifierMember + `":` + strconv.FormatInt(memberID, 10)
	if ch.ChatRoomID != 0 {
		id += `,"chat_room_id":` + strconv.FormatInt(ch.ChatRoomID, 10)
	}
	if ch.ChatRoomUUID != "" {
		uuid, _ := json.Marshal(ch.ChatRoomUUID)
		id += `,"chat_room_uuid":` + string(uuid)
	}
	return id + `}`
}

// Identifier is the identifier of a channel without parameters.
func Identifier(channel string, memberID int64) string {
	return Channel{Name: channel}.Identifier(memberID)
}

// serverMessage is any message the cable sends: a control message (Type
// set) or a broadcast on a subscription (Identifier and Message set).
type serverMessage struct {
	Type       string          `json:"type,omitempty"`
	Identifier string          `json:"identifier,omitempty"`
	Message    json.RawMessage `json:"message,omitempty"`
	Reason     string          `json:"reason,omitempty"`
	Reconnect  *bool           `json:"reconnect,omitempty"`
}

// command is what the client sends: subscribe or unsubscribe.
type command struct {
	Command    string `json:"command"`
	Identifier string `json:"identifier"`
}

// broadcast is the payload Circle sends on a subscription: the event's name
// and its data.
type broadcast struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
}
