package sandbox

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// The sandbox's real-time cable at /cable: an ActionCable server with
// Circle's channels, event names and JSON shapes (Circle's "Websockets
// (Beta)" page). A member connects with "Authorization: Bearer <member
// access token>", verified as the Member API verifies it, and subscribes
// channels with {"command":"subscribe","identifier":"{\"channel\":
// \"NotificationChannel\",\"community_member_id\":101}"} (a
// Chats::RoomChannel with "chat_room_id" or "chat_room_uuid" hears one
// room's queue). What the sandbox's writes publish on its live hub then
// reaches the connections subscribed to the event's stream, as
// {"identifier": …, "message": {"event": "newNotification", "data": {…}}}.

// defaultCablePing is how often the cable pings, as ActionCable does.
const defaultCablePing = 3 * time.Second

// ActionCable's wire vocabulary.
const (
	cableWelcome    = "welcome"
	cablePing       = "ping"
	cableConfirm    = "confirm_subscription"
	cableReject     = "reject_subscription"
	cableDisconnect = "disconnect"
)

// Circle's channel names (its "Websockets (Beta)" page), each with the
// queue it streams from.
const (
	// channelNotifications: notificationStream of the member.
	channelNotifications = "NotificationChannel"
	// channelChatRoom: memberChatStream of the member, whatever else the
	// identifier carries (Circle's channel streams the member's queue).
	channelChatRoom = "ChatRoomChannel"
	// channelRoom: chatRoomStream of one room the member is in, named by
	// "chat_room_id" or "chat_room_uuid" (Circle's page leaves the
	// parameters out; the sandbox takes either, and both when they agree).
	channelRoom = "Chats::RoomChannel"
	// channelThreads: memberThreadsStream of the member.
	channelThreads = "Chats::CommunityMemberThreadsChannel"
)

// maxCableMessage bounds what a client may send in one message.
const maxCableMessage = 64 << 10

// cableState is the cable's bookkeeping: its settings and how many
// connections it serves, which tests and benchmarks read to show that the
// gateway opens one connection per member token.
type cableState struct {
	ping    time.Duration
	origins []string // allowed Origin values; empty allows any
	open    atomic.Int64
	total   atomic.Int64
	subs    atomic.Int64 // channel subscriptions running, over every connection
	// onConnection is Options.OnCableConnection.
	onConnection func(memberID int64, open bool)

	mu    sync.Mutex
	conns map[*cableConn]struct{}
}

// cableServerMessage is what the cable sends: a control message (Type) or a
// broadcast on a subscription (Identifier and Message).
type cableServerMessage struct {
	Type       string `json:"type,omitempty"`
	Identifier string `json:"identifier,omitempty"`
	Message    any    `json:"message,omitempty"`
	Reason     string `json:"reason,omitempty"`
	Reconnect  *bool  `json:"reconnect,omitempty"`
}

// cableBroadcast is Circle's payload on a subscription.
type cableBroadcast struct {
	Event string `json:"event"`
	Data  any    `json:"data"`
}

// cableCommand is what a client sends.
type cableCommand struct {
	Command    string `json:"command"`
	Identifier string `json:"identifier"`
}

// cableIdentifier is the decoded identifier of a subscription. Circle's
// docs pass the member id as a number; a numeric string is accepted too.
type cableIdentifier struct {
	Channel  string          `json:"channel"`
	MemberID json.RawMessage `json:"community_member_id"`
	// ChatRoomID and ChatRoomUUID name the room of a Chats::RoomChannel.
	ChatRoomID   json.RawMessage `json:"chat_room_id"`
	ChatRoomUUID string          `json:"chat_room_uuid"`
}

// CableConnections is how many cable connections are open right now, and
// how many were accepted since the sandbox started.
func (s *Sandbox) CableConnections() (open, total int) {
	return int(s.cable.open.Load()), int(s.cable.total.Load())
}

// CableSubscriptions is how many channel subscriptions the cable runs right
// now, over every connection: once a client's subscription counts here,
// what the sandbox publishes reaches it.
func (s *Sandbox) CableSubscriptions() int { return int(s.cable.subs.Load()) }

// DropCableConnections cuts every open cable connection without a close
// handshake, as a network failure or a restart of Circle's cable would:
// clients must notice and connect again. For trying out (and testing) what
// a gateway does when the cable drops mid-stream.
func (s *Sandbox) DropCableConnections() {
	s.cable.mu.Lock()
	defer s.cable.mu.Unlock()
	for c := range s.cable.conns {
		_ = c.ws.CloseNow()
	}
}

// serveCable upgrades a request to the cable. A token the Member API would
// refuse is refused as ActionCable refuses a connection: after the upgrade,
// with a disconnect message ("unauthorized", no reconnect) and a close.
func (s *Sandbox) serveCable(w http.ResponseWriter, r *http.Request) {
	if len(s.cable.origins) > 0 && !slices.Contains(s.cable.origins, r.Header.Get("Origin")) {
		writeError(w, &apiError{status: http.StatusForbidden, message: "Request origin not allowed.", details: map[string]string{"message": "Origin " + strconv.Quote(r.Header.Get("Origin")) + " is not allowed on the cable"}})
		return
	}
	token, failure := s.verify(bearer(r))
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer ws.CloseNow()
	ws.SetReadLimit(maxCableMessage)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	c := &cableConn{ws: ws, ctx: ctx, subs: map[string][]*liveSubscription{}}
	if failure != "" {
		no := false
		_ = c.send(cableServerMessage{Type: cableDisconnect, Reason: "unauthorized", Reconnect: &no})
		_ = ws.Close(websocket.StatusPolicyViolation, "unauthorized")
		return
	}
	s.cable.mu.Lock()
	if s.cable.conns == nil {
		s.cable.conns = map[*cableConn]struct{}{}
	}
	s.cable.conns[c] = struct{}{}
	s.cable.mu.Unlock()
	s.cable.open.Add(1)
	s.cable.total.Add(1)
	if s.cable.onConnection != nil {
		s.cable.onConnection(token.memberID, true)
	}
	defer func() {
		s.cable.mu.Lock()
		delete(s.cable.conns, c)
		s.cable.mu.Unlock()
		s.cable.open.Add(-1)
		if s.cable.onConnection != nil {
			s.cable.onConnection(token.memberID, false)
		}
	}()
	defer c.unsubscribeAll()

	if err := c.send(cableServerMessage{Type: cableWelcome}); err != nil {
		return
	}
	go c.pings(s.cable.ping)
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return
		}
		var cmd cableCommand
		if json.Unmarshal(data, &cmd) != nil {
			continue // ActionCable ignores what it cannot decode
		}
		switch cmd.Command {
		case "subscribe":
			streams, ok := s.cableStreams(cmd.Identifier, token.memberID)
			if !ok {
				_ = c.send(cableServerMessage{Type: cableReject, Identifier: cmd.Identifier})
				continue
			}
			if c.subscribe(&s.live, &s.cable.subs, cmd.Identifier, streams) {
				_ = c.send(cableServerMessage{Type: cableConfirm, Identifier: cmd.Identifier})
			}
		case "unsubscribe":
			c.unsubscribe(cmd.Identifier)
		}
	}
}

// cableStreams are the hub streams a subscription identifier listens to, or
// false when the channel is unknown or names another member: a member
// hears only their own queues.
func (s *Sandbox) cableStreams(raw string, memberID int64) ([]string, bool) {
	var id cableIdentifier
	if json.Unmarshal([]byte(raw), &id) != nil {
		return nil, false
	}
	if subscribed, ok := identifierInt(id.MemberID); !ok || subscribed != memberID {
		return nil, false
	}
	switch id.Channel {
	case channelNotifications:
		return []string{notificationStream(memberID)}, true
	case channelChatRoom:
		return []string{memberChatStream(memberID)}, true
	case channelThreads:
		return []string{memberThreadsStream(memberID)}, true
	case channelRoom:
		// A room's own queue, for its participants only: a room the
		// member is not in is refused as if it did not exist.
		cs := s.chat
		cs.mu.Lock()
		defer cs.mu.Unlock()
		var room *chatRoom
		if len(id.ChatRoomID) > 0 {
			n, ok := identifierInt(id.ChatRoomID)
			if room = cs.rooms[n]; !ok || room == nil {
				return nil, false
			}
		}
		if id.ChatRoomUUID != "" {
			byUUID := cs.byUUID[id.ChatRoomUUID]
			if byUUID == nil || (room != nil && room != byUUID) {
				return nil, false
			}
			room = byUUID
		}
		if room == nil || room.participantOf(memberID) == nil {
			return nil, false
		}
		return []string{chatRoomStream(room.id)}, true
	}
	return nil, false
}

// identifierInt reads an id of a subscription identifier, sent as a JSON
// number or as a numeric string.
func identifierInt(raw json.RawMessage) (int64, bool) {
	var n int64
	if json.Unmarshal(raw, &n) == nil {
		return n, n > 0
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// cableConn is one client connection of the cable.
type cableConn struct {
	ws  *websocket.Conn
	ctx context.Context

	mu    sync.Mutex
	subs  map[string][]*liveSubscription // by identifier
	count *atomic.Int64                  // the cable's subscription count
}

func (c *cableConn) send(m cableServerMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, b)
}

func (c *cableConn) pings(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-t.C:
			if c.send(cableServerMessage{Type: cablePing, Message: now.Unix()}) != nil {
				return
			}
		}
	}
}

// subscribe listens to streams for identifier and forwards their events;
// false when the identifier is subscribed already (ActionCable ignores a
// second subscribe).
func (c *cableConn) subscribe(hub *liveHub, count *atomic.Int64, identifier string, streams []string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.subs[identifier]; ok {
		return false
	}
	c.count = count
	count.Add(1)
	for _, stream := range streams {
		sub := hub.subscribe(stream)
		c.subs[identifier] = append(c.subs[identifier], sub)
		go c.forward(identifier, sub)
	}
	return true
}

func (c *cableConn) forward(identifier string, sub *liveSubscription) {
	for e := range sub.C {
		if c.send(cableServerMessage{Identifier: identifier, Message: cableBroadcast{Event: e.Event, Data: e.Data}}) != nil {
			return
		}
	}
}

func (c *cableConn) unsubscribe(identifier string) {
	c.mu.Lock()
	subs, ok := c.subs[identifier]
	delete(c.subs, identifier)
	if ok {
		c.count.Add(-1)
	}
	c.mu.Unlock()
	for _, sub := range subs {
		sub.cancel()
	}
}

func (c *cableConn) unsubscribeAll() {
	c.mu.Lock()
	all := c.subs
	c.subs = map[string][]*liveSubscription{}
	if c.count != nil {
		c.count.Add(-int64(len(all)))
	}
	c.mu.Unlock()
	for _, subs := range all {
		for _, sub := range subs {
			sub.cancel()
		}
	}
}
