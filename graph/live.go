package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	gojson "github.com/goccy/go-json"

	"github.com/circle-gateway/gateway/auth"
	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
	"github.com/circle-gateway/gateway/live"
)

// The plumbing of the Subscription fields: a subscription attaches to the
// member's cable connection (package live) and turns each event Circle
// pushes into the GraphQL value of the field, which gqlgen then resolves
// like a query (the transport gives every event its own loaders).

// ErrNoCable refuses a subscription on a gateway without a cable bridge
// (FORBIDDEN: a feature that is not configured).
var ErrNoCable = &ForbiddenError{Message: "subscriptions need Circle's cable (CIRCLE_CABLE_URL)"}

type streamEndKey struct{}

// StreamEnd records why a subscription stream ended on its own (Circle
// refused the token or the channel, the client fell behind, the gateway
// stopped), so that the transport can tell the client in a last response
// before the stream completes.
type StreamEnd struct {
	mu      sync.Mutex
	err     error
	started bool
	onValue func()
}

// WithStreamEnd returns ctx carrying a fresh StreamEnd for the subscription
// about to start.
func WithStreamEnd(ctx context.Context) (context.Context, *StreamEnd) {
	e := &StreamEnd{}
	return context.WithValue(ctx, streamEndKey{}, e), e
}

// Err is why the stream ended; nil while it runs or when the client ended it.
func (e *StreamEnd) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// Started reports whether the subscription's field attached a stream: false
// when the field refused (its error is the subscription's one answer), so
// that the transport shares only an execution that streams.
func (e *StreamEnd) Started() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.started
}

// OnValue has f called, on the cable connection's goroutine, each time the
// stream holds one more value for gqlgen to take, and once after it has
// closed: the transport then resolves an event only when one is there
// (reading the stream never waits), from whichever subscriber's goroutine
// is free. f must not block. Set it before the subscription's field runs.
func (e *StreamEnd) OnValue(f func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.onValue = f
}

// valueReady calls the OnValue func, if there is one; e may be nil.
func (e *StreamEnd) valueReady() {
	if e == nil {
		return
	}
	e.mu.Lock()
	f := e.onValue
	e.mu.Unlock()
	if f != nil {
		f()
	}
}

func startStream(ctx context.Context) {
	if e, ok := ctx.Value(streamEndKey{}).(*StreamEnd); ok {
		e.mu.Lock()
		e.started = true
		e.mu.Unlock()
	}
}

func endStream(ctx context.Context, err error) {
	if e, ok := ctx.Value(streamEndKey{}).(*StreamEnd); ok && err != nil {
		e.mu.Lock()
		e.err = err
		e.mu.Unlock()
	}
}

// streamBuffer is how many values a subscription may hold for its client
// before it is ended as fallen behind (as the cable bridge's own
// subscriptions are): the socket's own buffers come after it, so it only
// fills when the client stops reading for good.
const streamBuffer = live.DefaultBuffer

// stream attaches a subscription to channel on the caller's cable
// connection and delivers its events as GraphQL values: convert turns one
// event into a value (false skips it). It runs on the connection's
// goroutine as the event arrives, so that there is no goroutine per
// subscription between the cable and gqlgen. The stream ends when the
// client goes (ctx) or the bridge ends the subscription, whose reason is
// recorded as the stream's end. Nothing goes upstream for a caller
// without a usable token.
func stream[T any](ctx context.Context, r *Resolver, channel live.Channel, convert func(live.Event) (T, bool)) (<-chan T, error) {
	m, err := auth.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	if r.Live == nil {
		return nil, ErrNoCable
	}
	end, _ := ctx.Value(streamEndKey{}).(*StreamEnd)
	out := make(chan T, streamBuffer)
	sub, err := r.Live.SubscribeFunc(live.Member{Token: m.Token, ID: m.MemberID}, channel, live.Deliver{
		Event: func(e live.Event) bool {
			if e.Kind != live.KindMessage {
				return true
			}
			v, ok := convert(e)
			if !ok {
				return true
			}
			select {
			case out <- v:
				end.valueReady()
				return true
			default:
				return false
			}
		},
		End: func(err error) {
			endStream(ctx, err)
			close(out)
			end.valueReady()
		},
	})
	if err != nil {
		return nil, fmt.Errorf("subscribe to %s: %w", channel.Name, err)
	}
	context.AfterFunc(ctx, sub.Close)
	startStream(ctx)
	return out, nil
}

// Keys of live.Event.Decoded: an event reaches every subscription of its
// member's connection, and each of these decodings is done once for all of
// them. The decoded records are shared and only ever read.
type (
	decodedCount        struct{}
	decodedNotification struct{}
	decodedChatMessage  struct{}
	decodedDeletion     struct{}
)

// notificationCount reads the count of updateNewNotificationCount and
// resetNewNotificationCount: {"new_notifications_count": n}.
func notificationCount(e live.Event) (int, bool) {
	if e.Name != live.EventUpdateNotificationCount && e.Name != live.EventResetNotificationCount {
		return 0, false
	}
	n, ok := e.Decoded(decodedCount{}, func(data json.RawMessage) any {
		var v struct {
			Count *int `json:"new_notifications_count"`
		}
		if gojson.Unmarshal(data, &v) != nil || v.Count == nil {
			return nil
		}
		return *v.Count
	}).(int)
	return n, ok
}

// notification reads a newNotification event: a notification as Circle
// renders it in its lists, so it resolves like one of notifications'.
func (r *Resolver) notification(e live.Event) (*model.Notification, bool) {
	if e.Name != live.EventNewNotification {
		return nil, false
	}
	n, _ := e.Decoded(decodedNotification{}, func(data json.RawMessage) any {
		var n circle.Notification
		if err := gojson.Unmarshal(data, &n); err != nil || n.ID == 0 {
			r.logUndecodable(e)
			return nil
		}
		return &n
	}).(*circle.Notification)
	if n == nil {
		return nil, false
	}
	return model.NotificationFrom(n), true
}

// chatMessage reads the newMessage and updatedMessage events of room uuid:
// the message as the message endpoints render it.
func (r *Resolver) chatMessage(uuid string) func(live.Event) (*model.ChatMessage, bool) {
	return func(e live.Event) (*model.ChatMessage, bool) {
		if e.Name != live.EventNewMessage && e.Name != live.EventUpdatedMessage {
			return nil, false
		}
		m, _ := e.Decoded(decodedChatMessage{}, func(data json.RawMessage) any {
			var m circle.ChatMessage
			if err := gojson.Unmarshal(data, &m); err != nil || m.ID == 0 {
				r.logUndecodable(e)
				return nil
			}
			return &m
		}).(*circle.ChatMessage)
		if m == nil || m.ChatRoomUUID != uuid {
			return nil, false // undecodable, or not this room's: nothing crosses rooms
		}
		return model.ChatMessageFrom(m), true
	}
}

// roomChannel is the channel of the chat room arg names, once Circle has
// shown that the member is in it: the room's own channel
// (Chats::RoomChannel), because the member's ChatRoomChannel carries new
// top-level messages only, never edits, deletions or replies. A malformed
// uuid is refused before any upstream call, and a room Circle does not show
// the member (NOT_FOUND) before anything is subscribed. The channel's
// ChatRoomUUID is the room's uuid as Circle spells it, the form its events
// carry.
func roomChannel(ctx context.Context, arg string) (live.Channel, error) {
	uuid, err := parseRoomUUID("chatRoomUuid", arg)
	if err != nil {
		return live.Channel{}, err
	}
	api, err := memberAPI(ctx)
	if err != nil {
		return live.Channel{}, err
	}
	room, err := api.ChatRoom(ctx, uuid)
	if err != nil {
		return live.Channel{}, fmt.Errorf("chat room %s: %w", uuid, err)
	}
	return live.ChatRoom(room.ID, room.UUID), nil
}

// chatDeletion is the data of a deletedMessage event: the message's id and,
// for a reply, the message it replied to as Circle renders it (null for a
// top-level message). The event names no room: it is the room's because it
// came on the room's channel.
type chatDeletion struct {
	ID            int64 `json:"id"`
	ParentMessage *struct {
		ID           int64  `json:"id"`
		ChatRoomUUID string `json:"chat_room_uuid"`
	} `json:"parent_message"`
}

// chatMessageDeletion reads the deletedMessage events of room uuid.
func (r *Resolver) chatMessageDeletion(uuid string) func(live.Event) (*model.ChatMessageDeletion, bool) {
	return func(e live.Event) (*model.ChatMessageDeletion, bool) {
		if e.Name != live.EventDeletedMessage {
			return nil, false
		}
		d, _ := e.Decoded(decodedDeletion{}, func(data json.RawMessage) any {
			var d chatDeletion
			if err := gojson.Unmarshal(data, &d); err != nil || d.ID == 0 {
				r.logUndecodable(e)
				return nil
			}
			return &d
		}).(*chatDeletion)
		if d == nil {
			return nil, false
		}
		out := &model.ChatMessageDeletion{MessageID: model.FormatID(d.ID), ChatRoomUUID: uuid}
		if p := d.ParentMessage; p != nil && p.ID != 0 {
			if p.ChatRoomUUID != "" && !strings.EqualFold(p.ChatRoomUUID, uuid) {
				return nil, false // a reply in another room's thread: nothing crosses rooms
			}
			id := model.FormatID(p.ID)
			out.ParentMessageID = &id
		}
		return out, true
	}
}

func (r *Resolver) logUndecodable(e live.Event) {
	if r.Log != nil {
		r.Log.Warn("cable: an event whose data does not decode was skipped", "event", e.Name, "bytes", len(e.Data))
	}
}
