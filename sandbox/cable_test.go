package sandbox

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// cableClient speaks ActionCable's wire protocol to the sandbox's /cable,
// byte for byte, so the tests pin Circle's shapes.
type cableClient struct {
	t  *testing.T
	ws *websocket.Conn
}

func (h *harness) dialCable(token string, header http.Header) (*cableClient, *http.Response, error) {
	h.t.Helper()
	if header == nil {
		header = http.Header{}
	}
	if token != "" {
		header.Set("Authorization", "Bearer "+token)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/cable"
	ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	c := &cableClient{t: h.t, ws: ws}
	h.t.Cleanup(func() { _ = ws.CloseNow() })
	return c, resp, nil
}

// read returns the next message that is not a ping, as a generic map.
func (c *cableClient) read() map[string]any {
	c.t.Helper()
	for {
		m := c.readAny()
		if m["type"] != cablePing {
			return m
		}
	}
}

// readRaw returns the next message that is not a ping, as sent.
func (c *cableClient) readRaw() string {
	c.t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, data, err := c.ws.Read(ctx)
		cancel()
		if err != nil {
			c.t.Fatalf("cable read: %v", err)
		}
		if !strings.Contains(string(data), `"type":"ping"`) {
			return string(data)
		}
	}
}

func (c *cableClient) readAny() map[string]any {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, data, err := c.ws.Read(ctx)
	if err != nil {
		c.t.Fatalf("cable read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		c.t.Fatalf("cable sent %s: %v", data, err)
	}
	return m
}

func (c *cableClient) command(cmd, identifier string) {
	c.t.Helper()
	b, _ := json.Marshal(map[string]string{"command": cmd, "identifier": identifier})
	if err := c.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

func identifier(channel string, memberID any) string {
	b, _ := json.Marshal(map[string]any{"channel": channel, "community_member_id": memberID})
	return string(b)
}

// The cable welcomes a member, confirms the member's own channels, rejects
// another member's and unknown ones, and delivers what is published on the
// member's streams in Circle's shape — and nothing published for others.
func TestCableDeliversOnlyTheMembersOwnStreams(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	me, other := h.sb.DemoMemberID(), h.sb.DemoMemberID()+1
	c, _, err := h.dialCable(h.token(me), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := c.read(); m["type"] != cableWelcome {
		t.Fatalf("first message %v, want welcome", m)
	}
	notif := identifier(channelNotifications, me)
	chat := identifier(channelChatRoom, itoa(me)) // a numeric string works too
	for _, tc := range []struct {
		identifier, want string
	}{
		{notif, cableConfirm},
		{chat, cableConfirm},
		{identifier(channelNotifications, other), cableReject},
		{identifier("AdminChannel", me), cableReject},
		{`not json`, cableReject},
	} {
		c.command("subscribe", tc.identifier)
		if m := c.read(); m["type"] != tc.want || m["identifier"] != tc.identifier {
			t.Errorf("subscribe %s: got %v, want %s", tc.identifier, m, tc.want)
		}
	}
	if open, total := h.sb.CableConnections(); open != 1 || total != 1 {
		t.Errorf("cable counts %d open, %d total; want 1, 1", open, total)
	}

	h.sb.live.publish(liveEvent{Stream: notificationStream(other), Event: eventNewNotification, Data: map[string]any{"id": 1}})
	h.sb.live.publish(liveEvent{Stream: notificationStream(me), Event: eventNewNotification, Data: map[string]any{"id": 2, "action": "comment"}})
	h.sb.live.publish(liveEvent{Stream: memberChatStream(me), Event: "chatRoomRead", Data: map[string]any{"chat_room_uuid": "u"}})
	// Each stream keeps its order; two streams may interleave.
	got := map[string]bool{c.readRaw(): true, c.readRaw(): true}
	for _, want := range []string{
		`{"identifier":` + jsonString(notif) + `,"message":{"event":"newNotification","data":{"action":"comment","id":2}}}`,
		`{"identifier":` + jsonString(chat) + `,"message":{"event":"chatRoomRead","data":{"chat_room_uuid":"u"}}}`,
	} {
		if !got[want] {
			t.Errorf("missing %s; got %v", want, got)
		}
	}

	// After unsubscribe, that channel is silent; the other still speaks.
	c.command("unsubscribe", notif)
	// The unsubscribe and the publish race on the server; a sentinel on the
	// chat stream, read after the cable has processed the command, orders
	// them: publish only once the hub dropped the stream.
	waitFor(t, func() bool { return !h.sb.live.has(notificationStream(me)) })
	h.sb.live.publish(liveEvent{Stream: notificationStream(me), Event: eventNewNotification, Data: map[string]any{"id": 3}})
	h.sb.live.publish(liveEvent{Stream: memberChatStream(me), Event: "sentinel", Data: map[string]any{}})
	if m := c.read(); m["identifier"] != chat {
		t.Errorf("after unsubscribe got %v, want the chat sentinel", m)
	}

	_ = c.ws.Close(websocket.StatusNormalClosure, "")
	waitFor(t, func() bool { open, _ := h.sb.CableConnections(); return open == 0 })
	if h.sb.live.has(memberChatStream(me)) {
		t.Error("the hub still holds a closed connection's streams")
	}
}

// A token the Member API would refuse is refused on the cable the way
// ActionCable refuses: a disconnect message, then the close.
func TestCableRefusesBadTokens(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for name, token := range map[string]string{
		"none":    "",
		"garbage": "not-a-jwt",
	} {
		t.Run(name, func(t *testing.T) {
			c, _, err := h.dialCable(token, nil)
			if err != nil {
				t.Fatal(err)
			}
			m := c.read()
			if m["type"] != cableDisconnect || m["reason"] != "unauthorized" || m["reconnect"] != false {
				t.Fatalf("got %v, want an unauthorized disconnect", m)
			}
			if _, _, err := c.ws.Read(context.Background()); websocket.CloseStatus(err) == -1 {
				t.Fatalf("connection not closed after the refusal: %v", err)
			}
		})
	}
	if _, total := h.sb.CableConnections(); total != 0 {
		t.Errorf("refused connections counted: %d", total)
	}
}

// With CableOrigins set, only those origins may connect, as Circle accepts
// only the domains whitelisted for the community.
func TestCableOrigins(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: testStart}
	sb := New(Options{Now: clock.Now, CableOrigins: []string{"https://app.example.com"}, CablePingInterval: 10 * time.Millisecond})
	h := &harness{t: t, sb: sb, srv: httptestServer(t, sb), clock: clock}
	token := h.token(sb.DemoMemberID())

	_, resp, err := h.dialCable(token, http.Header{"Origin": {"https://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: err %v, response %v", err, resp)
	}
	c, _, err := h.dialCable(token, http.Header{"Origin": {"https://app.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if m := c.readAny(); m["type"] != cableWelcome {
		t.Fatalf("got %v", m)
	}
	if m := c.readAny(); m["type"] != cablePing {
		t.Fatalf("got %v, want a ping", m)
	} else if _, ok := m["message"].(float64); !ok {
		t.Fatalf("ping without a timestamp: %v", m)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitFor waits until cond holds; the bound only stops a broken test from
// hanging.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(time.Millisecond)
	}
}

// has reports whether anyone listens to stream.
func (h *liveHub) has(stream string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[stream]) > 0
}

// A Chats::RoomChannel hears one room's queue (every new, edited and
// deleted message), for its participants only: a room the member is not
// in is refused like one that does not exist, and a room named by both id
// and uuid must be the same room. A ChatRoomChannel hears the member's own
// queue whatever else its identifier says, as Circle's does.
func TestCableRoomChannel(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	me := h.sb.DemoMemberID()
	var mine, other *chatRoom
	h.sb.chat.mu.Lock()
	for _, r := range h.sb.chat.byUUID {
		if r.participantOf(me) != nil {
			if mine == nil {
				mine = r
			}
		} else if other == nil {
			other = r
		}
	}
	h.sb.chat.mu.Unlock()
	if mine == nil || other == nil {
		t.Fatal("the seed lacks a room with and one without the demo member")
	}
	c, _, err := h.dialCable(h.token(me), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.read() // welcome
	room := func(fields map[string]any) string {
		v := map[string]any{"channel": channelRoom, "community_member_id": me}
		maps.Copy(v, fields)
		b, _ := json.Marshal(v)
		return string(b)
	}
	byUUID := room(map[string]any{"chat_room_uuid": mine.uuid})
	byID := room(map[string]any{"chat_room_id": mine.id})
	both := room(map[string]any{"chat_room_id": itoa(mine.id), "chat_room_uuid": mine.uuid})
	legacy, _ := json.Marshal(map[string]any{"channel": channelChatRoom, "community_member_id": me, "chat_room_uuid": mine.uuid})
	for _, tc := range []struct{ identifier, want string }{
		{byUUID, cableConfirm},
		{byID, cableConfirm},
		{both, cableConfirm},
		{string(legacy), cableConfirm},
		{room(map[string]any{"chat_room_uuid": other.uuid}), cableReject},
		{room(map[string]any{"chat_room_id": other.id}), cableReject},
		{room(map[string]any{"chat_room_id": other.id, "chat_room_uuid": mine.uuid}), cableReject},
		{room(map[string]any{"chat_room_uuid": "no-such-room"}), cableReject},
		{room(map[string]any{"chat_room_id": 0}), cableReject},
		{room(nil), cableReject},
	} {
		c.command("subscribe", tc.identifier)
		if m := c.read(); m["type"] != tc.want {
			t.Errorf("%s: got %v, want %s", tc.identifier, m, tc.want)
		}
	}
	h.sb.live.publish(liveEvent{Stream: chatRoomStream(other.id), Event: eventNewMessage, Data: map[string]any{"id": 1}})
	h.sb.live.publish(liveEvent{Stream: chatRoomStream(mine.id), Event: eventUpdatedMessage, Data: map[string]any{"id": 2}})
	got := map[string]bool{}
	for range 3 {
		got[c.readRaw()] = true
	}
	for _, id := range []string{byUUID, byID, both} {
		if want := `{"identifier":` + jsonString(id) + `,"message":{"event":"updatedMessage","data":{"id":2}}}`; !got[want] {
			t.Errorf("missing %s among %v", want, got)
		}
	}
	// The ChatRoomChannel hears the member's queue, not the room's.
	h.sb.live.publish(liveEvent{Stream: memberChatStream(me), Event: eventChatRoomRead, Data: map[string]any{"chat_room_uuid": mine.uuid}})
	if got, want := c.readRaw(), `{"identifier":`+jsonString(string(legacy))+`,"message":{"event":"chatRoomRead","data":{"chat_room_uuid":"`+mine.uuid+`"}}}`; got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	if n := h.sb.CableSubscriptions(); n != 4 {
		t.Errorf("%d subscriptions counted, want 4", n)
	}
}
