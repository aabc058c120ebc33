package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
)

// Notifications and chat through the gateway, against the sandbox: what
// the fields answer, what they cost upstream, and how input is refused.

type liveMessage struct {
	ID, ChatRoomUUID, Body string
	RichTextBody           json.RawMessage
	Sender                 *struct{ ID, Name string }
	CreatedAt              string
	EditedAt               *string
	ParentMessageID        *string
}

type livePageInfo struct {
	HasPreviousPage, HasNextPage bool
	StartCursor, EndCursor       *string
}

type liveMessages struct {
	TotalCount int
	PageInfo   livePageInfo
	Edges      []struct{ Cursor string }
	Nodes      []liveMessage
}

type liveRoom struct {
	UUID, Kind, Name                       string
	UnreadMessagesCount, ParticipantsCount int
	Participants                           []struct{ ID, Name string }
	Messages                               liveMessages
}

// demoRooms lists the demo member's rooms as Circle has them.
func demoRooms(t *testing.T, env *testenv.Env, tok string) []circle.ChatRoom {
	t.Helper()
	rooms, err := truth(t, env, tok).ChatRooms(context.Background(), circle.ListParams{Page: 1, PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	return rooms.Records
}

// roomWith returns the first of the demo member's rooms that match.
func roomWith(t *testing.T, env *testenv.Env, tok string, match func(circle.ChatRoom) bool) circle.ChatRoom {
	t.Helper()
	for _, r := range demoRooms(t, env, tok) {
		if match(r) {
			return r
		}
	}
	t.Fatal("no such room in the sandbox")
	return circle.ChatRoom{}
}

func TestNotificationsInbox(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	want, err := truth(t, env, tok).Notifications(context.Background(), circle.ListParams{Page: 1, PerPage: 20, Sort: "latest"}, "")
	if err != nil {
		t.Fatal(err)
	}
	r := env.Do(t, tok, `{ notifications(first: 20) { totalCount pageInfo { hasNextPage endCursor } nodes { id action text isRead createdAt actorName notifiableType url post { id title space { name } } } } newNotificationsCount }`, nil)
	mustNoErrors(t, r)
	var got struct {
		Notifications struct {
			TotalCount int
			PageInfo   struct{ HasNextPage bool }
			Nodes      []struct {
				ID, Action, Text, CreatedAt string
				IsRead                      bool
				ActorName, NotifiableType   *string
				URL                         *string
				Post                        *struct {
					ID, Title string
					Space     struct{ Name string }
				}
			}
		}
		NewNotificationsCount int
	}
	r.Decode(t, &got)
	if got.Notifications.TotalCount != want.Count || len(got.Notifications.Nodes) != 20 || !got.Notifications.PageInfo.HasNextPage {
		t.Fatalf("total %d, %d nodes, next %v; Circle has %d", got.Notifications.TotalCount, len(got.Notifications.Nodes), got.Notifications.PageInfo.HasNextPage, want.Count)
	}
	if got.NewNotificationsCount != 3 {
		t.Fatalf("newNotificationsCount %d, want the seed's 3", got.NewNotificationsCount)
	}
	unread := 0
	for i, n := range got.Notifications.Nodes {
		c := want.Records[i]
		if n.ID != fmt.Sprint(c.ID) || n.Action != c.Action || n.IsRead != !c.ReadAt.IsZero() || *n.ActorName != c.ActorName || *n.NotifiableType != c.NotifiableType || *n.URL != c.ActionWebURL {
			t.Errorf("node %d %+v, Circle's %+v", i, n, c)
		}
		if wantText := c.ActorName + " " + c.DisplayAction + " " + c.NotifiableTitle; n.Text != wantText && n.Text != wantText+"." {
			t.Errorf("text %q, want %q.", n.Text, wantText)
		}
		if n.Post == nil || n.Post.Title != c.NotifiableTitle || n.Post.Space.Name != c.SpaceTitle {
			t.Errorf("post %+v, want %q in %q", n.Post, c.NotifiableTitle, c.SpaceTitle)
		}
		if !n.IsRead {
			unread++
		}
	}
	if unread == 0 || unread == 20 {
		t.Fatalf("%d of 20 unread: the seed has both", unread)
	}
	// Posts come in one post_ids batch per space, nothing else.
	spaces := map[int64]bool{}
	for _, c := range want.Records {
		spaces[c.SpaceID] = true
	}
	batches := 0
	for _, c := range env.Upstream.Calls() {
		if strings.Contains(c.Query, "post_ids=") {
			batches++
		}
	}
	if batches != len(spaces) || len(env.Upstream.Calls()) != 2+len(spaces) {
		t.Fatalf("%d calls, %d post_ids batches for %d spaces", len(env.Upstream.Calls()), batches, len(spaces))
	}

	// post { id } needs no call: the notification names its post.
	env.Upstream.Reset()
	mustNoErrors(t, env.Do(t, tok, `{ notifications(first: 20) { nodes { post { id } } } }`, nil))
	if n := len(env.Upstream.Calls()); n != 1 {
		t.Fatalf("post { id } cost %d calls, want 1", n)
	}
}

func TestChatRooms(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	want := demoRooms(t, env, tok)
	r := env.Do(t, tok, `{ chatRooms(first: 20) { totalCount nodes { uuid kind name unreadMessagesCount participantsCount participants { id name headline avatarUrl bio isAdmin } } } }`, nil)
	mustNoErrors(t, r)
	var got struct {
		ChatRooms struct {
			TotalCount int
			Nodes      []struct {
				UUID, Kind, Name                       string
				UnreadMessagesCount, ParticipantsCount int
				Participants                           []struct {
					ID, Name                 string
					Headline, AvatarURL, Bio *string
					IsAdmin                  bool
				}
			}
		}
	}
	r.Decode(t, &got)
	if got.ChatRooms.TotalCount != len(want) || len(got.ChatRooms.Nodes) != len(want) {
		t.Fatalf("%d rooms (total %d), Circle has %d", len(got.ChatRooms.Nodes), got.ChatRooms.TotalCount, len(want))
	}
	kinds := map[string]bool{}
	for i, n := range got.ChatRooms.Nodes {
		w := want[i]
		kinds[n.Kind] = true
		if n.UUID != w.UUID || n.Name != w.ChatRoomName || n.UnreadMessagesCount != w.UnreadMessagesCount || n.ParticipantsCount != w.ChatRoomParticipantsCount || len(n.Participants) != len(w.OtherParticipantsPreview) {
			t.Errorf("room %d %+v, Circle's %+v", i, n, w)
		}
		if (n.Kind == "DIRECT") != (w.ChatRoomKind == circle.ChatRoomDirect) {
			t.Errorf("room %s kind %s, Circle's %s", n.UUID, n.Kind, w.ChatRoomKind)
		}
		for j, p := range n.Participants {
			wp := w.OtherParticipantsPreview[j]
			if p.ID != fmt.Sprint(wp.CommunityMemberID) || p.Name != wp.Name || p.IsAdmin != wp.CommunityAdmin {
				t.Errorf("participant %+v, Circle's %+v", p, wp)
			}
		}
	}
	if !kinds["DIRECT"] || !kinds["GROUP_CHAT"] {
		t.Fatalf("kinds %v: the seed has both", kinds)
	}
	// Participants come with the room: headline, avatar, bio and isAdmin
	// cost nothing.
	if n := len(env.Upstream.Calls()); n != 1 {
		t.Fatalf("%d upstream calls, want 1", n)
	}

	// chatRoom by uuid: the same room, one call.
	env.Upstream.Reset()
	r = env.Do(t, tok, `query($u: ID!) { chatRoom(uuid: $u) { uuid name kind unreadMessagesCount } }`, map[string]any{"u": want[0].UUID})
	mustNoErrors(t, r)
	var one struct{ ChatRoom struct{ UUID, Name string } }
	r.Decode(t, &one)
	if one.ChatRoom.UUID != want[0].UUID || one.ChatRoom.Name != want[0].ChatRoomName || len(env.Upstream.Calls()) != 1 {
		t.Fatalf("chatRoom %+v after %d calls", one.ChatRoom, len(env.Upstream.Calls()))
	}
}

// Scrolling a room back costs one upstream call per page and sees every
// message once, oldest first within a page.
func TestChatMessagesPageBack(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	long := roomWith(t, env, tok, func(r circle.ChatRoom) bool {
		return r.ChatRoomKind == circle.ChatRoomDirect && r.UnreadMessagesCount == 3
	})
	const q = `query($u: ID!, $n: Int, $before: String) { chatRoom(uuid: $u) { messages(last: $n, before: $before) { totalCount pageInfo { hasPreviousPage hasNextPage startCursor endCursor } edges { cursor } nodes { id chatRoomUuid body sender { id name } createdAt parentMessageId } } } }`
	for _, n := range []int{20, 7} {
		var seen []string
		var before any
		pages := 0
		env.Upstream.Reset()
		for {
			r := env.Do(t, tok, q, map[string]any{"u": long.UUID, "n": n, "before": before})
			mustNoErrors(t, r)
			var got struct {
				ChatRoom struct{ Messages liveMessages }
			}
			r.Decode(t, &got)
			m := got.ChatRoom.Messages
			pages++
			if m.TotalCount != 75 {
				t.Fatalf("totalCount %d, want 75", m.TotalCount)
			}
			if pages == 1 && m.PageInfo.HasNextPage {
				t.Fatal("the newest page has a next page")
			}
			if pages > 1 && !m.PageInfo.HasNextPage {
				t.Fatal("a page back has no next page")
			}
			var ids []string
			for i, node := range m.Nodes {
				if node.ChatRoomUUID != long.UUID || node.Sender == nil || node.Sender.Name == "" || node.ParentMessageID != nil {
					t.Fatalf("message %+v", node)
				}
				if m.Edges[i].Cursor == node.ID || strings.Contains(m.Edges[i].Cursor, node.ID) {
					t.Fatalf("cursor %q is not opaque", m.Edges[i].Cursor)
				}
				ids = append(ids, node.ID)
			}
			if !slices.IsSortedFunc(ids, func(a, b string) int { return len(a)*1000 - len(b)*1000 + strings.Compare(a, b) }) {
				t.Fatalf("page not oldest first: %v", ids)
			}
			if len(ids) > 0 && *m.PageInfo.StartCursor != m.Edges[0].Cursor {
				t.Fatal("startCursor is not the first edge's cursor")
			}
			seen = append(ids, seen...)
			if !m.PageInfo.HasPreviousPage {
				break
			}
			before = *m.PageInfo.StartCursor
		}
		calls := env.Upstream.Calls()
		wantPages := (75 + n - 1) / n
		// A query selecting only the room's messages costs its page alone.
		if pages != wantPages || len(calls) != pages {
			t.Fatalf("last %d: %d pages in %d calls, want %d pages in %d calls", n, pages, len(calls), wantPages, wantPages)
		}
		if len(seen) != 75 || len(slices.Compact(slices.Clone(seen))) != 75 {
			t.Fatalf("last %d: saw %d messages (%d distinct)", n, len(seen), len(slices.Compact(slices.Clone(seen))))
		}
	}
}

// Input the gateway can judge is refused with BAD_USER_INPUT before any
// upstream call.
func TestLiveBadInput(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	rooms := demoRooms(t, env, tok)
	uuid, other := rooms[0].UUID, rooms[1].UUID
	// A real cursor of another room.
	r := env.Do(t, tok, `query($u: ID!) { chatRoom(uuid: $u) { messages(last: 2) { pageInfo { startCursor } } } }`, map[string]any{"u": other})
	mustNoErrors(t, r)
	var page struct {
		ChatRoom struct {
			Messages struct{ PageInfo struct{ StartCursor string } }
		}
	}
	r.Decode(t, &page)
	otherCursor := page.ChatRoom.Messages.PageInfo.StartCursor

	me := fmt.Sprint(env.Sandbox.DemoMemberID())
	tests := []struct {
		name, query string
		vars        map[string]any
	}{
		{"room uuid not a uuid", `{ chatRoom(uuid: "42") { name } }`, nil},
		{"room uuid with a path", `{ chatRoom(uuid: "../../spaces/12345678-1234-1234-1234-1") { name } }`, nil},
		{"last over 100", `query($u: ID!) { chatRoom(uuid: $u) { messages(last: 101) { totalCount } } }`, map[string]any{"u": uuid}},
		{"last negative", `query($u: ID!) { chatRoom(uuid: $u) { messages(last: -1) { totalCount } } }`, map[string]any{"u": uuid}},
		{"garbage cursor", `query($u: ID!) { chatRoom(uuid: $u) { messages(before: "abc") { totalCount } } }`, map[string]any{"u": uuid}},
		{"offset cursor", `query($u: ID!) { chatRoom(uuid: $u) { messages(before: "bzE6MQ") { totalCount } } }`, map[string]any{"u": uuid}},
		{"another room's cursor", `query($u: ID!, $c: String) { chatRoom(uuid: $u) { messages(before: $c) { totalCount } } }`, map[string]any{"u": uuid, "c": otherCursor}},
		{"notifications first over 100", `{ notifications(first: 101) { totalCount } }`, nil},
		{"notifications bad cursor", `{ notifications(after: "nope") { totalCount } }`, nil},
		{"chat rooms bad cursor", `{ chatRooms(after: "nope") { totalCount } }`, nil},
		{"both body and richTextBody", `mutation($u: ID!) { sendChatMessage(chatRoomUuid: $u, body: "hi", richTextBody: {body: {type: "doc", content: []}}) { message { id } } }`, map[string]any{"u": uuid}},
		{"neither body nor richTextBody", `mutation($u: ID!) { sendChatMessage(chatRoomUuid: $u) { message { id } } }`, map[string]any{"u": uuid}},
		{"empty body", `mutation($u: ID!) { sendChatMessage(chatRoomUuid: $u, body: "") { message { id } } }`, map[string]any{"u": uuid}},
		{"blank body", `mutation($u: ID!) { sendChatMessage(chatRoomUuid: $u, body: " \n\t ") { message { id } } }`, map[string]any{"u": uuid}},
		{"body too long", `mutation($u: ID!, $b: String) { sendChatMessage(chatRoomUuid: $u, body: $b) { message { id } } }`, map[string]any{"u": uuid, "b": strings.Repeat("x", 10_001)}},
		{"empty document", `mutation($u: ID!) { sendChatMessage(chatRoomUuid: $u, richTextBody: {body: {type: "doc", content: [{type: "paragraph", content: []}]}}) { message { id } } }`, map[string]any{"u": uuid}},
		{"not a document", `mutation($u: ID!) { sendChatMessage(chatRoomUuid: $u, richTextBody: "hello") { message { id } } }`, map[string]any{"u": uuid}},
		{"document without a doc", `mutation($u: ID!) { sendChatMessage(chatRoomUuid: $u, richTextBody: {type: "doc"}) { message { id } } }`, map[string]any{"u": uuid}},
		{"bad parent id", `mutation($u: ID!) { sendChatMessage(chatRoomUuid: $u, body: "hi", parentMessageId: "x") { message { id } } }`, map[string]any{"u": uuid}},
		{"send to a bad uuid", `mutation { sendChatMessage(chatRoomUuid: "room", body: "hi") { message { id } } }`, nil},
		{"edit to empty", `mutation($u: ID!) { editChatMessage(chatRoomUuid: $u, id: "5", body: "  ") { message { id } } }`, map[string]any{"u": uuid}},
		{"edit a bad id", `mutation($u: ID!) { editChatMessage(chatRoomUuid: $u, id: "-5", body: "x") { message { id } } }`, map[string]any{"u": uuid}},
		{"delete a bad id", `mutation($u: ID!) { deleteChatMessage(chatRoomUuid: $u, id: "0") { deletedId } }`, map[string]any{"u": uuid}},
		{"mark a bad room read", `mutation { markChatRoomRead(chatRoomUuid: "") { chatRoom { uuid } } }`, nil},
		{"a room with nobody", `mutation { createChatRoom(memberIds: []) { chatRoom { uuid } } }`, nil},
		{"a room with oneself", `mutation($me: ID!) { createChatRoom(memberIds: [$me, $me]) { chatRoom { uuid } } }`, map[string]any{"me": me}},
		{"a room with a bad id", `mutation { createChatRoom(memberIds: ["102", "x"]) { chatRoom { uuid } } }`, nil},
		{"a room too big", `mutation($ids: [ID!]!) { createChatRoom(memberIds: $ids) { chatRoom { uuid } } }`, map[string]any{"ids": slices.Repeat([]string{"102"}, 51)}},
		{"mark a bad notification read", `mutation { markNotificationRead(id: "abc") { notification { id } } }`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, tt.query, tt.vars)
			if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
				t.Fatalf("errors %+v, want one BAD_USER_INPUT", r.Errors)
			}
			if calls := env.Upstream.Calls(); len(calls) != 0 {
				t.Fatalf("%d upstream calls for input refused up front: %+v", len(calls), calls)
			}
		})
	}
}

// A room that does not exist, or that the member is not in, is null with
// NOT_FOUND; writing to one the member is not in is FORBIDDEN.
func TestChatRoomsOfOthers(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	mine := map[string]bool{}
	for _, r := range demoRooms(t, env, tok) {
		mine[r.UUID] = true
	}
	others := ""
	for _, id := range env.Sandbox.MemberIDs()[1:] {
		for _, r := range demoRooms(t, env, env.Token(t, id)) {
			if !mine[r.UUID] {
				others = r.UUID
			}
		}
		if others != "" {
			break
		}
	}
	if others == "" {
		t.Fatal("every sandbox room has the demo member in it")
	}
	for _, uuid := range []string{others, "00000000-0000-4000-8000-000000000000"} {
		// Asked for its name (the room is fetched) or only for its messages
		// (their page is the one call): null either way.
		for _, sel := range []string{"name", "messages { totalCount }"} {
			r := env.Do(t, tok, `query($u: ID!) { chatRoom(uuid: $u) { `+sel+` } }`, map[string]any{"u": uuid})
			if string(r.Data) != `{"chatRoom":null}` || len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
				t.Fatalf("chatRoom(%s) { %s }: data %s errors %+v", uuid, sel, r.Data, r.Errors)
			}
		}
	}
	r := env.Do(t, tok, `mutation($u: ID!) { sendChatMessage(chatRoomUuid: $u, body: "let me in") { message { id } } }`, map[string]any{"u": others})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("send to others' room: errors %+v", r.Errors)
	}
}

func TestChatWrites(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	demo := fmt.Sprint(env.Sandbox.DemoMemberID())
	group := roomWith(t, env, tok, func(r circle.ChatRoom) bool { return r.ChatRoomName == "Launch crew" })
	vars := map[string]any{"u": group.UUID}
	type payload struct {
		Message    *liveMessage
		UserErrors []struct{ Message string }
	}
	send := func(query string, vars map[string]any) liveMessage {
		t.Helper()
		r := env.Do(t, tok, query, vars)
		mustNoErrors(t, r)
		var got map[string]payload
		r.Decode(t, &got)
		for _, p := range got {
			if p.Message == nil || len(p.UserErrors) != 0 {
				t.Fatalf("payload %+v", p)
			}
			return *p.Message
		}
		t.Fatal("no payload")
		return liveMessage{}
	}
	const fields = `message { id chatRoomUuid body richTextBody sender { id name } createdAt editedAt parentMessageId } userErrors { message }`

	// A plain-text message: Circle answers 202 without it; the payload
	// finds it among the room's newest.
	env.Upstream.Reset()
	m := send(`mutation($u: ID!) { sendChatMessage(chatRoomUuid: $u, body: "Hello crew\nsecond line") { `+fields+` } }`, vars)
	if m.Body != "Hello crew\nsecond line" || m.ChatRoomUUID != group.UUID || m.Sender == nil || m.Sender.ID != demo || m.EditedAt != nil || m.ParentMessageID != nil {
		t.Fatalf("sent %+v", m)
	}
	if !strings.Contains(string(m.RichTextBody), `"type":"doc"`) {
		t.Fatalf("richTextBody %s", m.RichTextBody)
	}
	if calls := env.Upstream.Calls(); len(calls) != 2 || calls[0].Method != http.MethodPost {
		t.Fatalf("calls %+v, want the send and one re-read", calls)
	}
	// It is the newest message of the room.
	r := env.Do(t, tok, `query($u: ID!) { chatRoom(uuid: $u) { messages(last: 1) { nodes { id } } } }`, vars)
	mustNoErrors(t, r)
	if !strings.Contains(string(r.Data), `"id":"`+m.ID+`"`) {
		t.Fatalf("newest message %s, want %s", r.Data, m.ID)
	}

	// A rich-text reply in a thread.
	reply := send(`mutation($u: ID!, $p: ID) { sendChatMessage(chatRoomUuid: $u, parentMessageId: $p, richTextBody: {body: {type: "doc", content: [{type: "paragraph", content: [{type: "text", text: "In the thread"}]}]}}) { `+fields+` } }`,
		map[string]any{"u": group.UUID, "p": m.ID})
	if reply.Body != "In the thread" || reply.ParentMessageID == nil || *reply.ParentMessageID != m.ID {
		t.Fatalf("reply %+v", reply)
	}

	edited := send(`mutation($u: ID!, $id: ID!) { editChatMessage(chatRoomUuid: $u, id: $id, body: "Hello, crew!") { `+fields+` } }`, map[string]any{"u": group.UUID, "id": m.ID})
	if edited.ID != m.ID || edited.Body != "Hello, crew!" || edited.EditedAt == nil {
		t.Fatalf("edited %+v", edited)
	}

	r = env.Do(t, tok, `mutation($u: ID!, $id: ID!) { deleteChatMessage(chatRoomUuid: $u, id: $id) { deletedId userErrors { message } } }`, map[string]any{"u": group.UUID, "id": m.ID})
	mustNoErrors(t, r)
	if !strings.Contains(string(r.Data), `"deletedId":"`+m.ID+`"`) {
		t.Fatalf("delete: %s", r.Data)
	}

	// Someone else's message: Circle refuses, FORBIDDEN.
	var othersID string
	msgs, err := truth(t, env, tok).ChatMessages(context.Background(), group.UUID, circle.MessageWindow{Previous: 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range msgs.Records {
		if fmt.Sprint(rec.Sender.CommunityMemberID) != demo {
			othersID = fmt.Sprint(rec.ID)
		}
	}
	r = env.Do(t, tok, `mutation($u: ID!, $id: ID!) { editChatMessage(chatRoomUuid: $u, id: $id, body: "mine") { message { id } } }`, map[string]any{"u": group.UUID, "id": othersID})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("editing another's message: %+v", r.Errors)
	}

	// Marking the room read re-reads it.
	r = env.Do(t, tok, `mutation($u: ID!) { markChatRoomRead(chatRoomUuid: $u) { chatRoom { uuid unreadMessagesCount } userErrors { message } } }`, vars)
	mustNoErrors(t, r)
	if !strings.Contains(string(r.Data), `"unreadMessagesCount":0`) {
		t.Fatalf("markChatRoomRead: %s", r.Data)
	}

	// Opening rooms: one member is a direct room, several a group.
	stranger := fmt.Sprint(env.Sandbox.MemberIDs()[20])
	r = env.Do(t, tok, `mutation($ids: [ID!]!) { createChatRoom(memberIds: $ids) { chatRoom { uuid kind participantsCount participants { id } } userErrors { message } } }`, map[string]any{"ids": []string{stranger, demo}})
	mustNoErrors(t, r)
	var direct struct{ CreateChatRoom struct{ ChatRoom liveRoom } }
	r.Decode(t, &direct)
	if d := direct.CreateChatRoom.ChatRoom; d.Kind != "DIRECT" || d.ParticipantsCount != 2 || len(d.Participants) != 1 || d.Participants[0].ID != stranger {
		t.Fatalf("direct room %+v", d)
	}
	r = env.Do(t, tok, `mutation($ids: [ID!]!) { createChatRoom(memberIds: $ids) { chatRoom { uuid kind participantsCount } userErrors { message } } }`, map[string]any{"ids": []string{stranger, fmt.Sprint(env.Sandbox.MemberIDs()[21])}})
	mustNoErrors(t, r)
	if !strings.Contains(string(r.Data), `"kind":"GROUP_CHAT","participantsCount":3`) {
		t.Fatalf("group room: %s", r.Data)
	}
}

func TestNotificationWrites(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	unread, err := truth(t, env, tok).Notifications(context.Background(), circle.ListParams{Page: 1, PerPage: 1}, "unread")
	if err != nil || len(unread.Records) == 0 {
		t.Fatal(unread, err)
	}
	id := fmt.Sprint(unread.Records[0].ID)
	r := env.Do(t, tok, `mutation($id: ID!) { markNotificationRead(id: $id) { notification { id isRead text } userErrors { message } } }`, map[string]any{"id": id})
	mustNoErrors(t, r)
	if !strings.Contains(string(r.Data), `"id":"`+id+`","isRead":true`) {
		t.Fatalf("markNotificationRead: %s", r.Data)
	}
	r = env.Do(t, tok, `mutation { markNotificationRead(id: "1") { notification { id } } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Fatalf("an unknown notification: %+v", r.Errors)
	}

	r = env.Do(t, tok, `mutation { markAllNotificationsRead { deletedId userErrors { message } } }`, nil)
	mustNoErrors(t, r)
	r = env.Do(t, tok, `{ notifications(first: 100) { nodes { isRead } } }`, nil)
	mustNoErrors(t, r)
	if strings.Contains(string(r.Data), `"isRead":false`) {
		t.Fatalf("after markAllNotificationsRead: %s", r.Data)
	}

	r = env.Do(t, tok, `mutation { resetNewNotificationsCount }`, nil)
	mustNoErrors(t, r)
	if string(r.Data) != `{"resetNewNotificationsCount":0}` {
		t.Fatalf("reset: %s", r.Data)
	}
	r = env.Do(t, tok, `{ newNotificationsCount }`, nil)
	mustNoErrors(t, r)
	if string(r.Data) != `{"newNotificationsCount":0}` {
		t.Fatalf("count after reset: %s", r.Data)
	}
}

// A chat write is never retried: Circle's 429 is RATE_LIMITED after one
// call, even with a short Retry-After a read would wait out.
func TestChatWriteNotRetried(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	uuid := demoRooms(t, env, tok)[0].UUID
	env.Upstream.SetFault(func(r *http.Request) (int, string, bool) {
		return http.StatusTooManyRequests, `{"success":false,"message":"Too many requests"}`, r.Method != http.MethodGet
	})
	for name, doc := range map[string]string{
		"send":   `mutation($u: ID!) { sendChatMessage(chatRoomUuid: $u, body: "hi") { message { id } } }`,
		"edit":   `mutation($u: ID!) { editChatMessage(chatRoomUuid: $u, id: "120001", body: "hi") { message { id } } }`,
		"delete": `mutation($u: ID!) { deleteChatMessage(chatRoomUuid: $u, id: "120001") { deletedId } }`,
		"read":   `mutation($u: ID!) { markChatRoomRead(chatRoomUuid: $u) { chatRoom { uuid } } }`,
		"open":   `mutation { createChatRoom(memberIds: ["120"]) { chatRoom { uuid } } }`,
	} {
		env.Upstream.Reset()
		r := env.Do(t, tok, doc, map[string]any{"u": uuid})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "RATE_LIMITED" {
			t.Errorf("%s: errors %+v, want RATE_LIMITED", name, r.Errors)
		}
		if calls := env.Upstream.Calls(); len(calls) != 1 {
			t.Errorf("%s: %d upstream calls, want the one write", name, len(calls))
		}
	}
}

// The query limits count a room's messages by their `last`, and the
// participants Circle embeds as free (only their post and comment counts
// need a profile).
func TestLiveQueryLimits(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	uuid := demoRooms(t, env, tok)[0].UUID
	tests := []struct {
		name    string
		query   string
		refused bool
	}{
		{"one room's 100 messages with senders' bios fit", `query($u: ID!) { chatRoom(uuid: $u) { messages(last: 100) { nodes { sender { bio } } } } }`, false},
		{"two rooms of 100 messages with bios do not", `{ chatRooms(first: 2) { nodes { messages(last: 100) { nodes { sender { bio } } } } } }`, true},
		{"last from a variable", `query($n: Int) { chatRooms(first: 2) { nodes { messages(last: $n) { nodes { sender { bio } } } } } }`, true},
		{"a chat screen fits", `{ chatRooms(first: 20) { nodes { name participants { name avatarUrl bio isAdmin } messages(last: 5) { nodes { body sender { name } } } } } }`, false},
		{"participants' post counts on 20 rooms do not", `{ chatRooms(first: 20) { nodes { participants { postsCount } } } }`, true},
		{"an inbox fits", `{ notifications(first: 100) { nodes { text post { title } } } newNotificationsCount }`, false},
		{"an inbox with authors' bios does not", `{ notifications(first: 100) { nodes { post { author { bio } comments(first: 1) { nodes { id } } } } } }`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, tt.query, map[string]any{"u": uuid, "n": 100})
			if !tt.refused {
				mustNoErrors(t, r)
				return
			}
			if len(r.Errors) != 1 || r.Errors[0].Code() != "COMPLEXITY_LIMIT_EXCEEDED" {
				t.Fatalf("errors %+v, want COMPLEXITY_LIMIT_EXCEEDED", r.Errors)
			}
			if n := len(env.Upstream.Calls()); n != 0 {
				t.Fatalf("%d upstream calls before the refusal", n)
			}
		})
	}
}
