package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/gqlws"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/live"
)

// The events of subscriptions, end to end: a write through the gateway
// changes the sandbox, the sandbox pushes on its cable, the gateway's
// bridge hears it on the member's connection and resolves the event as
// that member.

const notificationSubscription = `subscription { notificationReceived { id text actorName isRead post { id title } } }`

type receivedNotification struct {
	NotificationReceived struct {
		ID, Text, ActorName string
		IsRead              bool
		Post                *struct{ ID, Title string }
	}
}

// postBy finds a post authored by author that viewer can see, as Circle has
// it.
func postBy(t *testing.T, env *testenv.Env, viewer string, author int64) circle.Post {
	t.Helper()
	page, err := truth(t, env, viewer).Home(context.Background(), circle.ListParams{Page: 1, PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range page.Records {
		if p.Author.CommunityMemberID == author {
			return p
		}
	}
	t.Fatalf("no post by member %d in the feed", author)
	return circle.Post{}
}

// comment comments on post through the gateway, as the token's member.
func comment(t *testing.T, env *testenv.Env, token string, postID int64, body string) {
	t.Helper()
	r := env.Do(t, token, `mutation($p: ID!, $b: String!) { createComment(input: { postId: $p, body: $b }) { comment { id } userErrors { message } } }`,
		map[string]any{"p": strconv.FormatInt(postID, 10), "b": body})
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"comment":{"id"`) {
		t.Fatalf("createComment: %s %v", r.Data, r.Errors)
	}
}

// subscribeWS starts query on a new socket of token and returns the
// decoded payloads of its events, in order.
func subscribeWS(t *testing.T, env *testenv.Env, token, query string, vars map[string]any) <-chan gqlws.Response {
	t.Helper()
	c := dialWS(t, env, token)
	if err := c.Subscribe(bounded(t), "s", query, vars); err != nil {
		t.Fatal(err)
	}
	return readEvents(c)
}

func nextEvent(t *testing.T, events <-chan gqlws.Response) gqlws.Response {
	t.Helper()
	select {
	case r, ok := <-events:
		if !ok {
			t.Fatal("the subscription ended")
		}
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("no event")
	}
	return gqlws.Response{}
}

// Member A hears of B's comment on A's post, resolved as A (the post's
// title loaded as A); B hears nothing of it, and A nothing of what B
// hears. The count subscription follows.
func TestNotificationReceived(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tokA, tokB, post, postOfB := twoAuthors(t, env)

	notesA := subscribeWS(t, env, tokA, notificationSubscription, nil)
	countA := subscribeWS(t, env, tokA, `subscription { newNotificationsCountChanged }`, nil)
	notesB := subscribeWS(t, env, tokB, notificationSubscription, nil)
	waitUntil(t, "three subscriptions on two cable connections", func() bool {
		open, _ := env.Sandbox.CableConnections()
		return env.Subscriptions.Active() == 3 && open == 2
	})
	waitUntil(t, "their channels subscribed upstream (A's two share one)", func() bool { return cableSubscribed(env, 2) })

	before := countOf(t, env, tokA)
	comment(t, env, tokB, post.ID, "Nice one!")
	r := nextEvent(t, notesA)
	var got receivedNotification
	if err := json.Unmarshal(r.Data, &got); err != nil || len(r.Errors) > 0 {
		t.Fatalf("A's event: %s %v", r.Data, r.Errors)
	}
	n := got.NotificationReceived
	nameB := memberName(t, env, tokB)
	if !strings.Contains(n.Text, "commented") || n.ActorName != nameB || n.IsRead || n.Post == nil || n.Post.ID != strconv.FormatInt(post.ID, 10) || n.Post.Title != post.DisplayTitle || !strings.Contains(n.Text, nameB) {
		t.Fatalf("A received %+v (post %+v)", n, n.Post)
	}
	if r := nextEvent(t, countA); string(r.Data) != fmt.Sprintf(`{"newNotificationsCountChanged":%d}`, before+1) {
		t.Fatalf("A's count event %s, want %d", r.Data, before+1)
	}

	// B's first event is about A's comment on B's post, not B's own on A's.
	comment(t, env, tokA, postOfB.ID, "Thanks, and yours too")
	r = nextEvent(t, notesB)
	var gotB receivedNotification
	_ = json.Unmarshal(r.Data, &gotB)
	if gotB.NotificationReceived.ActorName != memberName(t, env, tokA) || gotB.NotificationReceived.Post.ID != strconv.FormatInt(postOfB.ID, 10) {
		t.Fatalf("B received %s", r.Data)
	}
	select {
	case r := <-notesA:
		t.Fatalf("A received a second notification: %s", r.Data)
	default:
	}
}

// cableSubscribed reports whether the sandbox's cable runs n channel
// subscriptions: from then on, what the sandbox publishes reaches them.
func cableSubscribed(env *testenv.Env, n int) bool {
	return env.Sandbox.CableSubscriptions() == n
}

func countOf(t *testing.T, env *testenv.Env, token string) int {
	t.Helper()
	var out struct{ NewNotificationsCount int }
	env.Do(t, token, `{ newNotificationsCount }`, nil).Decode(t, &out)
	return out.NewNotificationsCount
}

func memberName(t *testing.T, env *testenv.Env, token string) string {
	t.Helper()
	var out struct{ Me struct{ Name string } }
	env.Do(t, token, `{ me { name } }`, nil).Decode(t, &out)
	return out.Me.Name
}

// otherMember is a member other than a who has a post a can see and who
// can see a post of a's.
func otherMember(t *testing.T, env *testenv.Env, a int64) int64 {
	t.Helper()
	tokA := env.Token(t, a)
	page, err := truth(t, env, tokA).Home(context.Background(), circle.ListParams{Page: 1, PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range page.Records {
		if id := p.Author.CommunityMemberID; id != a {
			return id
		}
	}
	t.Fatal("no other author")
	return 0
}

// chatSubscription follows one room.
const chatSubscription = `subscription($room: ID!) { chatMessageReceived(chatRoomUuid: $room) { id chatRoomUuid body sender { id name } } }`

// A message B sends in a room with A reaches A's subscription of that room;
// a room A is not in, and an argument that is no room, are refused before
// anything is subscribed upstream.
func TestChatMessageReceived(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	a := env.Sandbox.DemoMemberID()
	tokA := env.Token(t, a)
	room := roomWith(t, env, tokA, func(r circle.ChatRoom) bool {
		return r.ChatRoomKind == "direct" && len(r.OtherParticipantsPreview) == 1
	})
	b := room.OtherParticipantsPreview[0].CommunityMemberID
	tokB := env.Token(t, b)

	events := subscribeWS(t, env, tokA, chatSubscription, map[string]any{"room": room.UUID})
	waitUntil(t, "the room's channel confirmed", func() bool { return cableSubscribed(env, 1) })
	r := env.Do(t, tokB, `mutation($r: ID!, $b: String!) { sendChatMessage(chatRoomUuid: $r, body: $b) { message { id } userErrors { message } } }`,
		map[string]any{"r": room.UUID, "b": "Are you coming tonight?"})
	var sent struct {
		SendChatMessage struct{ Message struct{ ID string } }
	}
	r.Decode(t, &sent)
	ev := nextEvent(t, events)
	var got struct {
		ChatMessageReceived struct {
			ID, ChatRoomUUID, Body string
			Sender                 struct{ ID, Name string }
		}
	}
	if err := json.Unmarshal(ev.Data, &got); err != nil || len(ev.Errors) > 0 {
		t.Fatalf("event %s %v", ev.Data, ev.Errors)
	}
	m := got.ChatMessageReceived
	if m.ID != sent.SendChatMessage.Message.ID || m.ChatRoomUUID != room.UUID || m.Body != "Are you coming tonight?" || m.Sender.ID != strconv.FormatInt(b, 10) {
		t.Fatalf("received %+v, want message %s of member %d", m, sent.SendChatMessage.Message.ID, b)
	}

	// Refusals, with no cable upgrade for them.
	stranger := env.Token(t, nonParticipant(t, env, room))
	env.Upstream.Reset()
	for name, tc := range map[string]struct {
		token, room, code string
	}{
		"not a participant": {stranger, room.UUID, "NOT_FOUND"},
		"no such room":      {tokA, "00000000-0000-4000-8000-000000000000", "NOT_FOUND"},
		"not a uuid":        {tokA, "room-1", "BAD_USER_INPUT"},
	} {
		t.Run(name, func(t *testing.T) {
			refused(t, env, tc.token, chatSubscription, map[string]any{"room": tc.room}, tc.code)
		})
	}
	for _, c := range env.Upstream.Calls() {
		if c.Path == "/cable" || (c.Path != "/messages/"+room.UUID && c.Path != "/messages/00000000-0000-4000-8000-000000000000") {
			t.Errorf("upstream call %s %s for a refused subscription", c.Method, c.Target())
		}
	}
}

// refused starts query on a new socket of token and checks that it is
// answered with one error of code, then completed.
func refused(t *testing.T, env *testenv.Env, token, query string, vars map[string]any, code string) {
	t.Helper()
	c := dialWS(t, env, token)
	if err := c.Subscribe(bounded(t), "x", query, vars); err != nil {
		t.Fatal(err)
	}
	msg, err := c.Next(bounded(t))
	if err != nil || msg.Type != "next" {
		t.Fatalf("%v %+v", err, msg)
	}
	resp, _ := msg.Decode()
	if codes := resp.Codes(); len(codes) != 1 || codes[0] != code {
		t.Fatalf("codes %v, want %s: %s", codes, code, msg.Payload)
	}
	if msg, err := c.Next(bounded(t)); err != nil || msg.Type != "complete" {
		t.Fatalf("after the refusal: %v %+v", err, msg)
	}
}

// chatMessageReceived follows the room's own channel (Chats::RoomChannel),
// where Circle sends replies and edits too, not the member's
// ChatRoomChannel, which carries new top-level messages only: a reply and
// an edit arrive after the message, a deletion is no message (and ends
// nothing), and what B writes in another room stays out.
func TestChatMessageReceivedRepliesAndEdits(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tokA, room, b, tokB, elsewhere := twoInARoom(t, env)

	events := subscribeWS(t, env, tokA, `subscription($room: ID!) { chatMessageReceived(chatRoomUuid: $room) { id chatRoomUuid body editedAt parentMessageId sender { id } } }`,
		map[string]any{"room": room.UUID})
	waitUntil(t, "the room's channel confirmed", func() bool { return cableSubscribed(env, 1) })

	write := func(query string, vars map[string]any) string {
		t.Helper()
		return chatWrite(t, env, tokB, query, vars)
	}
	type received struct {
		ID, ChatRoomUUID, Body    string
		EditedAt, ParentMessageID *string
		Sender                    struct{ ID string }
	}
	next := func() received {
		t.Helper()
		ev := nextEvent(t, events)
		var got struct{ ChatMessageReceived received }
		if err := json.Unmarshal(ev.Data, &got); err != nil || len(ev.Errors) > 0 {
			t.Fatalf("event %s %v", ev.Data, ev.Errors)
		}
		if m := got.ChatMessageReceived; m.ChatRoomUUID != room.UUID || m.Sender.ID != strconv.FormatInt(b, 10) {
			t.Fatalf("event %s: not B's message in the room", ev.Data)
		}
		return got.ChatMessageReceived
	}
	top := write(sendMessage, map[string]any{"u": room.UUID, "b": "top"})
	if m := next(); m.ID != top || m.Body != "top" || m.ParentMessageID != nil {
		t.Fatalf("first event %+v, want message %s", m, top)
	}
	write(sendMessage, map[string]any{"u": elsewhere, "b": "in another room"})
	reply := write(sendMessage, map[string]any{"u": room.UUID, "b": "a reply", "p": top})
	if m := next(); m.ID != reply || m.Body != "a reply" || m.ParentMessageID == nil || *m.ParentMessageID != top {
		t.Fatalf("second event %+v, want the reply %s to %s", m, reply, top)
	}
	write(`mutation($u: ID!, $id: ID!) { editChatMessage(chatRoomUuid: $u, id: $id, body: "top, edited") { message { id } } }`, map[string]any{"u": room.UUID, "id": top})
	if m := next(); m.ID != top || m.Body != "top, edited" || m.EditedAt == nil {
		t.Fatalf("third event %+v, want message %s edited", m, top)
	}
	write(deleteMessage, map[string]any{"u": room.UUID, "id": reply})
	last := write(sendMessage, map[string]any{"u": room.UUID, "b": "after the deletion"})
	if m := next(); m.ID != last {
		t.Fatalf("fourth event %+v, want message %s (a deletion is no message)", m, last)
	}
}

// chatMessageDeleted delivers each deletion of a message in one room the
// member is in, from the room's channel, which a chatMessageReceived of the
// same room shares: a reply's names the message it replied to, a top-level
// message's none; the room's new messages and what B deletes in another
// room stay out. A room A is not in is NOT_FOUND after the one room lookup,
// an argument that is no uuid BAD_USER_INPUT with no upstream call at all.
func TestChatMessageDeleted(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tokA, room, _, tokB, elsewhere := twoInARoom(t, env)

	const deletions = `subscription($room: ID!) { chatMessageDeleted(chatRoomUuid: $room) { messageId chatRoomUuid parentMessageId } }`
	events := subscribeWS(t, env, tokA, deletions, map[string]any{"room": room.UUID})
	subscribeWS(t, env, tokA, chatSubscription, map[string]any{"room": room.UUID})
	waitUntil(t, "both subscriptions on the room's one channel", func() bool {
		return env.Subscriptions.Active() == 2 && cableSubscribed(env, 1)
	})

	write := func(query string, vars map[string]any) string {
		t.Helper()
		return chatWrite(t, env, tokB, query, vars)
	}
	type deletion struct {
		MessageID, ChatRoomUUID string
		ParentMessageID         *string
	}
	next := func() deletion {
		t.Helper()
		ev := nextEvent(t, events)
		var got struct{ ChatMessageDeleted deletion }
		if err := json.Unmarshal(ev.Data, &got); err != nil || len(ev.Errors) > 0 {
			t.Fatalf("event %s %v", ev.Data, ev.Errors)
		}
		if got.ChatMessageDeleted.ChatRoomUUID != room.UUID {
			t.Fatalf("event %s: not of room %s", ev.Data, room.UUID)
		}
		return got.ChatMessageDeleted
	}

	top := write(sendMessage, map[string]any{"u": room.UUID, "b": "to be deleted"})
	reply := write(sendMessage, map[string]any{"u": room.UUID, "b": "a reply, to be deleted first", "p": top})
	other := write(sendMessage, map[string]any{"u": elsewhere, "b": "in another room"})
	write(deleteMessage, map[string]any{"u": elsewhere, "id": other})
	write(deleteMessage, map[string]any{"u": room.UUID, "id": reply})
	if d := next(); d.MessageID != reply || d.ParentMessageID == nil || *d.ParentMessageID != top {
		t.Fatalf("first event %+v, want the reply %s to %s", d, reply, top)
	}
	write(deleteMessage, map[string]any{"u": room.UUID, "id": top})
	if d := next(); d.MessageID != top || d.ParentMessageID != nil {
		t.Fatalf("second event %+v, want message %s, no parent", d, top)
	}

	stranger := env.Token(t, nonParticipant(t, env, room))
	env.Upstream.Reset()
	refused(t, env, stranger, deletions, map[string]any{"room": room.UUID}, "NOT_FOUND")
	if calls := env.Upstream.Calls(); len(calls) != 1 || calls[0].Method != http.MethodGet || calls[0].Path != "/messages/"+room.UUID {
		t.Errorf("upstream calls %+v for a room the member is not in, want the one room lookup", calls)
	}
	env.Upstream.Reset()
	refused(t, env, tokA, deletions, map[string]any{"room": "room-1"}, "BAD_USER_INPUT")
	if calls := env.Upstream.Calls(); len(calls) != 0 {
		t.Errorf("upstream calls %+v for a chatRoomUuid that is no uuid", calls)
	}
	if n := env.Subscriptions.Active(); n != 2 {
		t.Errorf("%d subscriptions running, want A's two", n)
	}
	if n := env.Sandbox.CableSubscriptions(); n != 1 {
		t.Errorf("%d channels subscribed upstream, want the room's one", n)
	}
}

// twoInARoom is a room of the demo member A (tokA) with another member b
// (tokB), and another room b is in.
func twoInARoom(t *testing.T, env *testenv.Env) (tokA string, room circle.ChatRoom, b int64, tokB, elsewhere string) {
	t.Helper()
	tokA = env.Token(t, env.Sandbox.DemoMemberID())
	room = roomWith(t, env, tokA, func(r circle.ChatRoom) bool { return len(r.OtherParticipantsPreview) > 0 })
	b = room.OtherParticipantsPreview[0].CommunityMemberID
	tokB = env.Token(t, b)
	for _, r := range demoRooms(t, env, tokB) {
		if r.UUID != room.UUID {
			return tokA, room, b, tokB, r.UUID
		}
	}
	t.Fatalf("member %d is in one room only", b)
	return
}

// The chat writes of the room tests: a message (a reply with $p), and a
// deletion.
const (
	sendMessage   = `mutation($u: ID!, $b: String!, $p: ID) { sendChatMessage(chatRoomUuid: $u, body: $b, parentMessageId: $p) { message { id } } }`
	deleteMessage = `mutation($u: ID!, $id: ID!) { deleteChatMessage(chatRoomUuid: $u, id: $id) { deletedId } }`
)

// chatWrite runs a chat mutation through the gateway as token's member
// and returns the id of the message it wrote, changed or deleted.
func chatWrite(t *testing.T, env *testenv.Env, token, query string, vars map[string]any) string {
	t.Helper()
	r := env.Do(t, token, query, vars)
	mustNoErrors(t, r)
	var got map[string]struct {
		Message   *struct{ ID string }
		DeletedID *string
	}
	r.Decode(t, &got)
	for _, p := range got {
		if p.Message != nil {
			return p.Message.ID
		}
		if p.DeletedID != nil {
			return *p.DeletedID
		}
	}
	t.Fatalf("no message in %s", r.Data)
	return ""
}

// nonParticipant is a member not in room.
func nonParticipant(t *testing.T, env *testenv.Env, room circle.ChatRoom) int64 {
	t.Helper()
	in := map[int64]bool{env.Sandbox.DemoMemberID(): true}
	for _, p := range room.OtherParticipantsPreview {
		in[p.CommunityMemberID] = true
	}
	for _, id := range env.Sandbox.MemberIDs() {
		if !in[id] {
			return id
		}
	}
	t.Fatal("everyone is in the room")
	return 0
}

// With Circle's cable unreachable, notifications still arrive: the bridge
// polls the member's count and reads what is new.
func TestNotificationsWhenTheCableIsDown(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{Live: live.Config{PollInterval: 20 * time.Millisecond}})
	env.Upstream.SetFault(func(r *http.Request) (int, string, bool) {
		return http.StatusServiceUnavailable, `{"message":"cable down"}`, r.URL.Path == "/cable"
	})
	a := env.Sandbox.DemoMemberID()
	tokA := env.Token(t, a)
	post := postBy(t, env, tokA, a)
	tokB := env.Token(t, otherMember(t, env, a))

	notes := subscribeWS(t, env, tokA, notificationSubscription, nil)
	// The first poll learns the count; the comment must come after its
	// answer, or it would count as already seen.
	waitUntil(t, "a first poll, answered", func() bool { return answeredPath(env, "/notifications/new_notifications_count") })
	comment(t, env, tokB, post.ID, "Seen through the fallback")
	r := nextEvent(t, notes)
	var got receivedNotification
	if err := json.Unmarshal(r.Data, &got); err != nil || !strings.Contains(got.NotificationReceived.Text, "commented") || got.NotificationReceived.Post.ID != strconv.FormatInt(post.ID, 10) {
		t.Fatalf("event %s %v", r.Data, r.Errors)
	}
	if open, _ := env.Sandbox.CableConnections(); open != 0 {
		t.Errorf("%d cable connections while the cable is down", open)
	}
}

func answeredPath(env *testenv.Env, path string) bool {
	for _, c := range env.Upstream.Calls() {
		if c.Path == path && !c.End.IsZero() {
			return true
		}
	}
	return false
}

// A cable connection that drops mid-stream is dialled again; the
// subscriptions keep running and hear what happens after.
func TestCableDropMidStream(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	a := env.Sandbox.DemoMemberID()
	tokA := env.Token(t, a)
	room := roomWith(t, env, tokA, func(r circle.ChatRoom) bool { return len(r.OtherParticipantsPreview) > 0 })
	tokB := env.Token(t, room.OtherParticipantsPreview[0].CommunityMemberID)
	events := subscribeWS(t, env, tokA, chatSubscription, map[string]any{"room": room.UUID})
	waitUntil(t, "the channel confirmed", func() bool { return cableSubscribed(env, 1) })

	env.Sandbox.DropCableConnections()
	waitUntil(t, "a second cable connection, subscribed", func() bool {
		open, total := env.Sandbox.CableConnections()
		// total 2, open 1: the first is gone (its channels with it).
		return total == 2 && open == 1 && cableSubscribed(env, 1)
	})
	send := `mutation($r: ID!, $b: String!) { sendChatMessage(chatRoomUuid: $r, body: $b) { message { id } } }`
	env.Do(t, tokB, send, map[string]any{"r": room.UUID, "b": "after the drop"})
	ev := nextEvent(t, events)
	if !strings.Contains(string(ev.Data), `"body":"after the drop"`) {
		t.Fatalf("event %s %v", ev.Data, ev.Errors)
	}
	if env.Subscriptions.Active() != 1 {
		t.Errorf("%d subscriptions running, want the one", env.Subscriptions.Active())
	}
}

// A chat subscription made while Circle's cable cannot be reached keeps
// running while the bridge dials again and again; once the cable answers,
// the room's messages arrive, the first one first.
func TestChatSubscriptionOutlivesACableOutage(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	env.Upstream.SetFault(func(r *http.Request) (int, string, bool) {
		return http.StatusServiceUnavailable, `{"message":"cable down"}`, r.URL.Path == "/cable"
	})
	a := env.Sandbox.DemoMemberID()
	tokA := env.Token(t, a)
	room := roomWith(t, env, tokA, func(r circle.ChatRoom) bool { return len(r.OtherParticipantsPreview) > 0 })
	tokB := env.Token(t, room.OtherParticipantsPreview[0].CommunityMemberID)
	events := subscribeWS(t, env, tokA, chatSubscription, map[string]any{"room": room.UUID})
	waitUntil(t, "three refused dials", func() bool { return cableCalls(env) >= 3 })
	if n := env.Subscriptions.Active(); n != 1 {
		t.Fatalf("%d subscriptions while the cable is down, want the one", n)
	}

	env.Upstream.SetFault(nil)
	waitUntil(t, "the room's channel confirmed", func() bool { return cableSubscribed(env, 1) })
	send := `mutation($r: ID!, $b: String!) { sendChatMessage(chatRoomUuid: $r, body: $b) { message { id } } }`
	env.Do(t, tokB, send, map[string]any{"r": room.UUID, "b": "the cable is back"})
	if ev := nextEvent(t, events); !strings.Contains(string(ev.Data), `"body":"the cable is back"`) || len(ev.Errors) > 0 {
		t.Fatalf("first event %s %v", ev.Data, ev.Errors)
	}
	if open, _ := env.Sandbox.CableConnections(); open != 1 {
		t.Errorf("%d cable connections, want 1", open)
	}
}

// Two members, 50 subscribers each (on ten sockets per member), several
// notifications each: every subscriber receives exactly its member's, as
// many as were made, recorded by socket and operation, and both members
// share one cable connection each.
func TestNoEventCrossesMembers(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	a := env.Sandbox.DemoMemberID()
	b := otherMember(t, env, a)
	tok := map[int64]string{a: env.Token(t, a), b: env.Token(t, b)}
	postOf := map[int64]circle.Post{a: postBy(t, env, tok[a], a), b: postBy(t, env, tok[b], b)}
	other := map[int64]int64{a: b, b: a}
	name := map[int64]string{a: memberName(t, env, tok[a]), b: memberName(t, env, tok[b])}

	// One reader per socket; a delivery is recorded by its operation id.
	type delivery struct {
		op string
		r  gqlws.Response
	}
	type socket struct {
		member int64
		events <-chan delivery
	}
	var sockets []socket
	for _, m := range []int64{a, b} {
		for range 10 {
			c := dialWS(t, env, tok[m])
			for j := range 5 {
				if err := c.Subscribe(bounded(t), strconv.Itoa(j), `subscription { notificationReceived { id actorName post { id } } }`, nil); err != nil {
					t.Fatal(err)
				}
			}
			out := make(chan delivery, 64)
			go func() {
				for {
					msg, err := c.Next(context.Background())
					if err != nil {
						close(out)
						return
					}
					r, _ := msg.Decode()
					out <- delivery{op: msg.ID + " " + msg.Type, r: r}
				}
			}()
			sockets = append(sockets, socket{member: m, events: out})
		}
	}
	waitUntil(t, "100 subscriptions", func() bool { return env.Subscriptions.Active() == 100 })
	waitUntil(t, "both channels confirmed", func() bool { return cableSubscribed(env, 2) })
	if open, _ := env.Sandbox.CableConnections(); open != 2 {
		t.Fatalf("%d cable connections for 2 members", open)
	}

	const rounds = 3
	for i := range rounds {
		comment(t, env, tok[b], postOf[a].ID, fmt.Sprintf("b→a %d", i))
		comment(t, env, tok[a], postOf[b].ID, fmt.Sprintf("a→b %d", i))
	}
	// Each socket carries 5 subscriptions × rounds events, all its member's;
	// each operation gets rounds of them, each notification once.
	var mu sync.Mutex
	var wrong []string
	var wg sync.WaitGroup
	for _, s := range sockets {
		wg.Go(func() {
			bad := func(format string, args ...any) {
				mu.Lock()
				wrong = append(wrong, fmt.Sprintf("member %d: ", s.member)+fmt.Sprintf(format, args...))
				mu.Unlock()
			}
			seen := map[string]map[string]bool{} // operation → notification ids
			for range 5 * rounds {
				var d delivery
				select {
				case d = <-s.events:
				case <-time.After(30 * time.Second):
					bad("an event missing")
					return
				}
				var got struct {
					NotificationReceived struct {
						ID, ActorName string
						Post          struct{ ID string }
					}
				}
				_ = json.Unmarshal(d.r.Data, &got)
				n := got.NotificationReceived
				if n.ActorName != name[other[s.member]] || n.Post.ID != strconv.FormatInt(postOf[s.member].ID, 10) {
					bad("received %s on %s", d.r.Data, d.op)
					continue
				}
				if seen[d.op] == nil {
					seen[d.op] = map[string]bool{}
				}
				if seen[d.op][n.ID] {
					bad("notification %s twice on %s", n.ID, d.op)
				}
				seen[d.op][n.ID] = true
			}
			for j := range 5 {
				if op := strconv.Itoa(j) + " next"; len(seen[op]) != rounds {
					bad("operation %s received %d notifications, want %d", op, len(seen[op]), rounds)
				}
			}
		})
	}
	wg.Wait()
	if len(wrong) > 0 {
		t.Fatalf("%d bad deliveries, e.g. %v", len(wrong), wrong[:min(3, len(wrong))])
	}
}

// Circle's 429 on a chat write is answered RATE_LIMITED after the one call
// (never retried) and leaves the room's subscription running: the next
// message arrives.
func TestChatWrite429KeepsTheSubscription(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	a := env.Sandbox.DemoMemberID()
	tokA := env.Token(t, a)
	room := roomWith(t, env, tokA, func(r circle.ChatRoom) bool { return len(r.OtherParticipantsPreview) > 0 })
	tokB := env.Token(t, room.OtherParticipantsPreview[0].CommunityMemberID)
	events := subscribeWS(t, env, tokA, chatSubscription, map[string]any{"room": room.UUID})
	waitUntil(t, "the channel subscribed", func() bool { return cableSubscribed(env, 1) })

	send := `mutation($r: ID!, $b: String!) { sendChatMessage(chatRoomUuid: $r, body: $b) { message { id } } }`
	env.Upstream.SetFault(func(r *http.Request) (int, string, bool) {
		return http.StatusTooManyRequests, `{"success":false,"message":"Too many requests"}`, r.Method == http.MethodPost
	})
	env.Upstream.Reset()
	r := env.Do(t, tokB, send, map[string]any{"r": room.UUID, "b": "refused"})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "RATE_LIMITED" {
		t.Fatalf("errors %+v, want RATE_LIMITED", r.Errors)
	}
	posts := 0
	for _, c := range env.Upstream.Calls() {
		if c.Method == http.MethodPost {
			posts++
		}
	}
	if posts != 1 {
		t.Fatalf("%d POSTs, want the one write", posts)
	}
	env.Upstream.SetFault(nil)
	env.Do(t, tokB, send, map[string]any{"r": room.UUID, "b": "accepted"})
	if ev := nextEvent(t, events); !strings.Contains(string(ev.Data), `"body":"accepted"`) {
		t.Fatalf("event %s %v (the refused write must not be delivered)", ev.Data, ev.Errors)
	}
}

// Each event is resolved like a query of its own: its loaders are new, so
// a second notification about the same post reads the post again (what
// the first event read is not served to it), and a subscription document
// is held to the query limits before anything runs.
func TestEachEventHasItsOwnLoaders(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	a := env.Sandbox.DemoMemberID()
	tokA := env.Token(t, a)
	post := postBy(t, env, tokA, a)
	tokB := env.Token(t, otherMember(t, env, a))
	events := subscribeWS(t, env, tokA, `subscription { notificationReceived { post { title likesCount } } }`, nil)
	waitUntil(t, "the channel subscribed", func() bool { return cableSubscribed(env, 1) })

	for i := 1; i <= 2; i++ {
		comment(t, env, tokB, post.ID, fmt.Sprintf("comment %d", i))
		if ev := nextEvent(t, events); !strings.Contains(string(ev.Data), `"title"`) || len(ev.Errors) > 0 {
			t.Fatalf("event %s %v", ev.Data, ev.Errors)
		}
		if n := postReads(env); n != i {
			t.Fatalf("after event %d: %d post reads, want %d (one per event)", i, n, i)
		}
	}

	env.Upstream.Reset()
	var fields strings.Builder
	for i := range 31 {
		fmt.Fprintf(&fields, "a%d: text ", i)
	}
	refused(t, env, tokA, "subscription { notificationReceived { "+fields.String()+"} }", nil, "COMPLEXITY_LIMIT_EXCEEDED")
	if calls := env.Upstream.Calls(); len(calls) != 0 {
		t.Fatalf("%d upstream calls for a refused document", len(calls))
	}
}

// postReads counts the post reads (GET /spaces/…/posts) the upstream has
// received since its last reset.
func postReads(env *testenv.Env) int {
	n := 0
	for _, c := range env.Upstream.Calls() {
		if c.Method == http.MethodGet && strings.HasPrefix(c.Path, "/spaces/") && strings.Contains(c.Path, "/posts") {
			n++
		}
	}
	return n
}

// twoAuthors is the tokens of the demo member (A) and of another author
// (B), and a post of each that both see.
func twoAuthors(t *testing.T, env *testenv.Env) (tokA, tokB string, postOfA, postOfB circle.Post) {
	t.Helper()
	a := env.Sandbox.DemoMemberID()
	tokA = env.Token(t, a)
	b := otherMember(t, env, a)
	tokB = env.Token(t, b)
	return tokA, tokB, postBy(t, env, tokA, a), postBy(t, env, tokB, b)
}
