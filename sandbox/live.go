package sandbox

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"
)

// liveEvent is a change of the sandbox's state that Circle would push over
// its real-time cable (ActionCable at /cable): a new notification, a new
// notification count, a chat message. Writes publish them on the hub after
// their state change is committed; the sandbox's /cable delivers them to
// the connections subscribed to the event's stream.
type liveEvent struct {
	// Stream is Circle's pubsub queue, e.g. notificationStream(101) or
	// chatRoomStream(7); see the stream functions below.
	Stream string
	// Event is Circle's event name, e.g. eventNewNotification.
	Event string
	// Data is the JSON object Circle sends with the event (a rendered
	// notification, {"new_notifications_count": 3}, a rendered message).
	// It must not be changed after publishing: every subscriber sees it.
	Data any
}

// Circle's event names on the NotificationChannel (its "Websockets (Beta)"
// page).
const (
	eventNewNotification         = "newNotification"
	eventUpdateNotificationCount = "updateNewNotificationCount"
	eventResetNotificationCount  = "resetNewNotificationCount"
)

// Circle's event names on the chat channels (its "Websockets (Beta)"
// page). The sandbox publishes:
//   - newMessage: every new message (replies included) on the room's
//     stream, chatRoomStream; each new top-level message also on every
//     participant's memberChatStream; each reply also on the
//     memberThreadsStream of every member in its thread;
//   - updatedMessage, deletedMessage: on the room's stream, and for a reply
//     also on its thread members' threads streams;
//   - chatRoomCreated: on each participant's memberChatStream, with the
//     room as that participant sees it;
//   - chatRoomRead: on the reader's memberChatStream.
//
// newMessage and updatedMessage carry the message as the message endpoints
// render it plus chat_room_kind, creation_uuid, lesson_id and
// chat_thread_replies_count (Circle's JSONMessage); deletedMessage carries
// {"id": …, "parent_message": … or null}; chatRoomRead
// {"chat_room_uuid": …}.
const (
	eventNewMessage      = "newMessage"
	eventUpdatedMessage  = "updatedMessage"
	eventDeletedMessage  = "deletedMessage"
	eventChatRoomCreated = "chatRoomCreated"
	eventChatRoomRead    = "chatRoomRead"
)

// notificationStream is the NotificationChannel queue of one member:
// "notification-channel-#{community_member_id}".
func notificationStream(memberID int64) string {
	return "notification-channel-" + strconv.FormatInt(memberID, 10)
}

// memberChatStream is the ChatRoomChannel queue of one member, for what
// concerns that member only: "chat-room-channel-#{community_member.id}".
func memberChatStream(memberID int64) string {
	return "chat-room-channel-" + strconv.FormatInt(memberID, 10)
}

// chatRoomStream is the queue of one chat room, for what every participant
// hears: "chat-room-#{chat_room.id}-channel".
func chatRoomStream(roomID int64) string {
	return "chat-room-" + strconv.FormatInt(roomID, 10) + "-channel"
}

// memberThreadsStream is the Chats::CommunityMemberThreadsChannel queue of
// one member, for the threads that member is in:
// "chat-community-member-#{community_member_id}-threads-channel".
func memberThreadsStream(memberID int64) string {
	return "chat-community-member-" + strconv.FormatInt(memberID, 10) + "-threads-channel"
}

// liveSubscriberBuffer is how many events a subscriber may fall behind by;
// past it, events for that subscriber are dropped rather than blocking the
// write that published them (a slow cable client never stalls the sandbox).
const liveSubscriberBuffer = 256

// Published is one event the sandbox published for its cable, as
// Options.OnPublish is told of it.
type Published struct {
	// At is when it was published, by the wall clock (not Options.Now),
	// so that another process on the machine can compare its own
	// time.Now with it.
	At time.Time
	// Stream is Circle's queue, e.g. "chat-room-501-channel".
	Stream string
	// Event is Circle's event name, e.g. "newMessage".
	Event string
	// ID is the "id" of the event's data (the message's, the
	// notification's); 0 when it has none.
	ID int64
}

// liveHub fans events out to the subscribers of their stream. Publishing
// never blocks. The zero value is ready to use.
type liveHub struct {
	mu   sync.Mutex
	subs map[string]map[*liveSubscription]struct{}
	// onPublish is Options.OnPublish.
	onPublish func(Published)
}

// liveSubscription receives the events of one stream until cancelled.
type liveSubscription struct {
	// C delivers the events in publishing order; it is closed by cancel.
	C      chan liveEvent
	hub    *liveHub
	stream string
	once   sync.Once
}

// subscribe starts receiving the events published on stream from now on.
func (h *liveHub) subscribe(stream string) *liveSubscription {
	s := &liveSubscription{C: make(chan liveEvent, liveSubscriberBuffer), hub: h, stream: stream}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[string]map[*liveSubscription]struct{}{}
	}
	if h.subs[stream] == nil {
		h.subs[stream] = map[*liveSubscription]struct{}{}
	}
	h.subs[stream][s] = struct{}{}
	return s
}

// cancel stops the subscription and closes C; it may be called more than once.
func (s *liveSubscription) cancel() {
	s.once.Do(func() {
		h := s.hub
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs[s.stream], s)
		if len(h.subs[s.stream]) == 0 {
			delete(h.subs, s.stream)
		}
		close(s.C)
	})
}

// publish delivers e to every current subscriber of e.Stream, dropping it
// for subscribers whose buffer is full.
func (h *liveHub) publish(e liveEvent) {
	if h.onPublish != nil {
		h.onPublish(Published{At: time.Now(), Stream: e.Stream, Event: e.Event, ID: dataID(e.Data)})
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[e.Stream] {
		select {
		case s.C <- e:
		default:
		}
	}
}

// dataID reads the "id" of an event's data, for Published.
func dataID(data any) int64 {
	b, err := json.Marshal(data)
	if err != nil {
		return 0
	}
	var v struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(b, &v)
	return v.ID
}
