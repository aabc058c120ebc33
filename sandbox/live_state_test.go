package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"
)

// The notification and chat writes change what reads show and publish the
// events Circle's cable would carry, with Circle's data shapes.

// drain returns the events a subscription has received so far.
func drain(sub *liveSubscription) []liveEvent {
	var out []liveEvent
	for {
		select {
		case e := <-sub.C:
			out = append(out, e)
		default:
			return out
		}
	}
}

// asJSON renders an event's data as a client of the cable would decode it.
func asJSON(t *testing.T, v any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (h *harness) mustCall(method, path, token string, body any, want int) []byte {
	h.t.Helper()
	status, raw := h.do(method, memberPrefix+path, token, body)
	if status != want {
		h.t.Fatalf("%s %s: %d %s, want %d", method, path, status, raw, want)
	}
	return raw
}

func TestCommentNotifiesThePostAuthor(t *testing.T) {
	h := newHarness(t)
	fx := newWriteFixture(h)
	demo := h.sb.DemoMemberID()
	var author, commenter int64
	func() {
		h.sb.store.mu.RLock()
		defer h.sb.store.mu.RUnlock()
		author = h.sb.store.posts[fx.othersPost].authorID
	}()
	for _, m := range h.spaceMembers(spaceGeneral) {
		if m != author && m != demo {
			commenter = m
			break
		}
	}
	authorEvents := h.sb.live.subscribe(notificationStream(author))
	defer authorEvents.cancel()
	commenterEvents := h.sb.live.subscribe(notificationStream(commenter))
	defer commenterEvents.cancel()
	authorTok, commenterTok := h.token(author), h.token(commenter)

	var before struct {
		NewNotificationsCount int `json:"new_notifications_count"`
	}
	h.mustGet(authorTok, "/notifications/new_notifications_count", &before)

	raw := h.mustCall(http.MethodPost, "/posts/"+itoa(fx.othersPost)+"/comments", commenterTok, map[string]any{"comment": map[string]any{"body": "Great post"}}, 201)
	var comment struct{ ID int64 }
	if err := json.Unmarshal(raw, &comment); err != nil {
		t.Fatal(err)
	}
	events := drain(authorEvents)
	if len(events) != 2 || events[0].Event != eventNewNotification || events[1].Event != eventUpdateNotificationCount {
		t.Fatalf("author's stream got %+v, want newNotification then updateNewNotificationCount", events)
	}
	n := asJSON(t, events[0].Data)
	if n["notifiable_type"] != "Comment" || n["notifiable_id"] != float64(comment.ID) || n["read_at"] != nil || n["action"] != "add" {
		t.Fatalf("notification %v", n)
	}
	if notifiable := n["notifiable"].(map[string]any); notifiable["post_id"] != float64(fx.othersPost) || notifiable["space_id"] != float64(spaceGeneral) {
		t.Fatalf("notifiable %v", notifiable)
	}
	if c := asJSON(t, events[1].Data); c["new_notifications_count"] != float64(before.NewNotificationsCount+1) {
		t.Fatalf("count event %v, want %d", c, before.NewNotificationsCount+1)
	}
	if got := drain(commenterEvents); len(got) != 0 {
		t.Fatalf("the commenter was notified of their own comment: %+v", got)
	}

	// The author reads it; the count resets and says so.
	var list livePage[map[string]any]
	h.mustGet(authorTok, "/notifications?per_page=1", &list)
	if list.Records[0]["id"] != n["id"] {
		t.Fatalf("newest notification %v, want %v", list.Records[0]["id"], n["id"])
	}
	h.mustCall(http.MethodPost, "/notifications/reset_new_notifications_count", authorTok, nil, 200)
	if events := drain(authorEvents); len(events) != 1 || events[0].Event != eventResetNotificationCount || asJSON(t, events[0].Data)["new_notifications_count"] != float64(0) {
		t.Fatalf("after reset: %+v", events)
	}
	var after struct {
		NewNotificationsCount int `json:"new_notifications_count"`
	}
	h.mustGet(authorTok, "/notifications/new_notifications_count", &after)
	if after.NewNotificationsCount != 0 {
		t.Fatalf("count after reset %d", after.NewNotificationsCount)
	}

	// Commenting on one's own post notifies nobody.
	ownEvents := h.sb.live.subscribe(notificationStream(demo))
	defer ownEvents.cancel()
	h.mustCall(http.MethodPost, "/posts/"+itoa(fx.ownPost)+"/comments", h.token(demo), map[string]any{"comment": map[string]any{"body": "Note to self"}}, 201)
	if got := drain(ownEvents); len(got) != 0 {
		t.Fatalf("own comment notified: %+v", got)
	}
}

func TestChatMessagesReachEveryParticipant(t *testing.T) {
	h := newHarness(t)
	fx := newLiveFixture(h)
	demo := h.sb.DemoMemberID()
	var roomID int64
	var members []int64
	func() {
		h.sb.chat.mu.Lock()
		defer h.sb.chat.mu.Unlock()
		room := h.sb.chat.byUUID[fx.groupRoom]
		roomID = room.id
		for _, p := range room.participants {
			members = append(members, p.memberID)
		}
	}()
	roomSub := h.sb.live.subscribe(chatRoomStream(roomID))
	defer roomSub.cancel()
	memberSubs := map[int64]*liveSubscription{}
	for _, m := range members {
		memberSubs[m] = h.sb.live.subscribe(memberChatStream(m))
		defer memberSubs[m].cancel()
	}
	outsider := h.sb.live.subscribe(memberChatStream(firstMemberID + 30))
	defer outsider.cancel()

	tok := h.token(demo)
	path := "/messages/" + fx.groupRoom + "/chat_room_messages"
	raw := h.mustCall(http.MethodPost, path, tok, map[string]any{"rich_text_body": chatEnvelope("Hello, room")}, 202)
	var sent wireSentMessage
	if err := json.Unmarshal(raw, &sent); err != nil || sent.CreationUUID == "" {
		t.Fatalf("202 answer %s: %v", raw, err)
	}
	check := func(e liveEvent, event string) map[string]any {
		t.Helper()
		if e.Event != event {
			t.Fatalf("event %q, want %q", e.Event, event)
		}
		return asJSON(t, e.Data)
	}
	evs := drain(roomSub)
	if len(evs) != 1 {
		t.Fatalf("room stream got %d events", len(evs))
	}
	msg := check(evs[0], eventNewMessage)
	if msg["body"] != "Hello, room" || msg["chat_room_uuid"] != fx.groupRoom || msg["creation_uuid"] != sent.CreationUUID || msg["chat_room_kind"] != "group_chat" {
		t.Fatalf("newMessage data %v", msg)
	}
	if sender := msg["sender"].(map[string]any); sender["community_member_id"] != float64(demo) {
		t.Fatalf("sender %v", sender)
	}
	for m, sub := range memberSubs {
		if evs := drain(sub); len(evs) != 1 || check(evs[0], eventNewMessage)["id"] != msg["id"] {
			t.Fatalf("participant %d got %+v", m, evs)
		}
	}
	if evs := drain(outsider); len(evs) != 0 {
		t.Fatalf("a member outside the room got %+v", evs)
	}

	// The message is the newest of the room, for everyone in it.
	var window wireChatMessages
	h.mustGet(h.token(members[0]), path+"?previous_per_page=0&next_per_page=0", &window)
	if len(window.Records) != 1 || window.Records[0].ID != int64(msg["id"].(float64)) || !window.HasPreviousPage || window.HasNextPage {
		t.Fatalf("newest window %+v", window)
	}

	id := strconv.FormatInt(int64(msg["id"].(float64)), 10)
	h.mustCall(http.MethodPut, path+"/"+id, tok, map[string]any{"rich_text_body": chatEnvelope("Hello, everyone")}, 200)
	if evs := drain(roomSub); len(evs) != 1 || check(evs[0], eventUpdatedMessage)["body"] != "Hello, everyone" || check(evs[0], eventUpdatedMessage)["edited_at"] == nil {
		t.Fatalf("after an edit the room got %+v", evs)
	}
	h.mustCall(http.MethodDelete, path+"/"+id, tok, nil, 200)
	if evs := drain(roomSub); len(evs) != 1 || check(evs[0], eventDeletedMessage)["id"] != msg["id"] {
		t.Fatalf("after a delete the room got %+v", evs)
	}
	h.mustCall(http.MethodGet, path+"/"+id, tok, nil, 404)
}

// A window is the reference message with up to previous_per_page messages
// before it and next_per_page after it.
func TestChatMessageWindows(t *testing.T) {
	h := newHarness(t)
	fx := newLiveFixture(h)
	tok := h.token(h.sb.DemoMemberID())
	var timeline []int64
	func() {
		h.sb.chat.mu.Lock()
		defer h.sb.chat.mu.Unlock()
		timeline = slices.Clone(h.sb.chat.byUUID[fx.longRoom].timeline)
	}()
	ids := func(w wireChatMessages) []int64 {
		var out []int64
		for _, r := range w.Records {
			out = append(out, r.ID)
		}
		return out
	}
	path := "/messages/" + fx.longRoom + "/chat_room_messages"
	n := len(timeline)
	tests := []struct {
		query      string
		want       []int64
		prev, next bool
	}{
		{"", timeline[n-21:], true, false},
		{"?previous_per_page=4&next_per_page=0", timeline[n-5:], true, false},
		{"?id=" + itoa(timeline[30]) + "&previous_per_page=3&next_per_page=0", timeline[27:31], true, true},
		{"?id=" + itoa(timeline[30]) + "&previous_per_page=2&next_per_page=2", timeline[28:33], true, true},
		{"?id=" + itoa(timeline[2]) + "&previous_per_page=20&next_per_page=0", timeline[0:3], false, true},
	}
	for _, tt := range tests {
		var w wireChatMessages
		h.mustGet(tok, path+tt.query, &w)
		if got := ids(w); !slices.Equal(got, tt.want) || w.HasPreviousPage != tt.prev || w.HasNextPage != tt.next || w.TotalCount != n {
			t.Errorf("%s: ids %v prev %v next %v total %d, want %v %v %v %d", tt.query, got, w.HasPreviousPage, w.HasNextPage, w.TotalCount, tt.want, tt.prev, tt.next, n)
		}
		if len(w.Records) > 0 && (w.FirstID != w.Records[0].ID || w.LastID != w.Records[len(w.Records)-1].ID) {
			t.Errorf("%s: first_id %d last_id %d do not match the records", tt.query, w.FirstID, w.LastID)
		}
	}
}

func TestChatReadState(t *testing.T) {
	h := newHarness(t)
	fx := newLiveFixture(h)
	demo := h.sb.DemoMemberID()
	tok := h.token(demo)
	room := func() wireChatRoomDetail {
		var env wireChatRoomEnvelope
		h.mustGet(tok, "/messages/"+fx.groupRoom, &env)
		return env.ChatRoom
	}
	unread := func() []string {
		var out struct {
			ChatRooms []string `json:"chat_rooms"`
		}
		h.mustGet(tok, "/messages/unread_chat_rooms", &out)
		return out.ChatRooms
	}
	if r := room(); r.UnreadMessagesCount != 5 || r.FirstUnreadMessageID == nil || !slices.Contains(unread(), fx.groupRoom) {
		t.Fatalf("seeded group: unread %d first %v", r.UnreadMessagesCount, r.FirstUnreadMessageID)
	}
	sub := h.sb.live.subscribe(memberChatStream(demo))
	defer sub.cancel()
	h.mustCall(http.MethodPost, "/messages/"+fx.groupRoom+"/mark_all_as_read", tok, nil, 200)
	if r := room(); r.UnreadMessagesCount != 0 || r.FirstUnreadMessageID != nil || slices.Contains(unread(), fx.groupRoom) {
		t.Fatalf("after marking read: unread %d first %v", r.UnreadMessagesCount, r.FirstUnreadMessageID)
	}
	if evs := drain(sub); len(evs) != 1 || evs[0].Event != eventChatRoomRead || asJSON(t, evs[0].Data)["chat_room_uuid"] != fx.groupRoom {
		t.Fatalf("chatRoomRead events %+v", evs)
	}
	// A message from someone else makes the room unread again.
	other := room().OtherParticipantsPreview[0].CommunityMemberID
	h.mustCall(http.MethodPost, "/messages/"+fx.groupRoom+"/chat_room_messages", h.token(other), map[string]any{"rich_text_body": chatEnvelope("New!")}, 202)
	if got := room().UnreadMessagesCount; got != 1 {
		t.Fatalf("unread after a new message %d, want 1", got)
	}
}
