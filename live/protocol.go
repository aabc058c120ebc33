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
	// ChatRoomChannel carries the member's chat events
	// (queue chat-room-channel-#{community_member.id}) and those of the
	// rooms the member is in.
	ChatRoomChannel = "ChatRoomChannel"
)

// Circle's chat events on a room's queue.
const (
	// EventNewMessage carries a message as the message endpoints render it.
	EventNewMessage = "newMessage"
	// EventUpdatedMessage carries an edited message.
	EventUpdatedMessage = "updatedMessage"
	// EventDeletedMessage carries {"id": …}.
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
	// Name is NotificationChannel or ChatRoomChannel.
	Name string
	// ChatRoomUUID, on a ChatRoomChannel, narrows it to one room's queue
	// (chat-room-#{chat_room.id}-channel): every new, edited or deleted
	// message of the room, replies included. Empty: the member's own
	// queue (chat-room-channel-#{community_member.id}).
	ChatRoomUUID string
}

// Notifications is the member's NotificationChannel.
func Notifications() Channel { return Channel{Name: NotificationChannel} }

// ChatRoom is the ChatRoomChannel of one room the member is in.
func ChatRoom(uuid string) Channel { return Channel{Name: ChatRoomChannel, ChatRoomUUID: uuid} }

// Identifier is the ActionCable identifier of the channel subscribed by
// memberID: a JSON object serialised to a string,
// {"channel":"NotificationChannel","community_member_id":101}, with
// "chat_room_uuid" for a room. The server echoes it verbatim on every
// message of the subscription, so it is built the same way every time.
func (ch Channel) Identifier(memberID int64) string {
	name, _ := json.Marshal(ch.Name)
	id := `{"channel":` + string(name) + `,"` + identifierMember + `":` + strconv.FormatInt(memberID, 10)
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
