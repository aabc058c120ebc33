package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
)

// The rest of the notification and chat operations: settings, space
// counts, archive and delete, threads, participants, reactions.

func TestNotificationPreferences(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	want, err := truth(t, env, tok).NotificationPreferences(context.Background(), circle.MediumInApp)
	if err != nil {
		t.Fatal(err)
	}
	const fields = `medium types { type name enabled } spaces { spaceId spaceName choice isChatSpace }`
	type prefs struct {
		Medium string
		Types  []struct {
			Type, Name string
			Enabled    bool
		}
		Spaces []struct {
			SpaceID, SpaceName string
			Choice             *string
		}
	}
	r := env.Do(t, tok, `{ notificationPreferences { `+fields+` } }`, nil)
	mustNoErrors(t, r)
	var got struct{ NotificationPreferences prefs }
	r.Decode(t, &got)
	p := got.NotificationPreferences
	if p.Medium != "IN_APP" || len(p.Types) != len(want.Types) || len(p.Spaces) != len(want.Spaces) || len(p.Spaces) == 0 {
		t.Fatalf("preferences %+v, Circle's %+v", p, want)
	}
	for i, ty := range p.Types {
		if ty.Type != string(want.Types[i].Type) || ty.Name != want.Types[i].Name || ty.Enabled != want.Types[i].Enabled {
			t.Errorf("type %+v, Circle's %+v", ty, want.Types[i])
		}
	}
	for i, sp := range p.Spaces {
		if sp.SpaceID != fmt.Sprint(want.Spaces[i].SpaceID) || sp.Choice == nil || *sp.Choice != "ALL" {
			t.Errorf("space %+v, Circle's %+v", sp, want.Spaces[i])
		}
	}

	// Switching a kind off: the payload's settings are re-read.
	r = env.Do(t, tok, `mutation { updateNotificationPreference(medium: IN_APP, type: POST_LIKE, enabled: false) { preferences { types { type enabled } } userErrors { message } } }`, nil)
	mustNoErrors(t, r)
	if !strings.Contains(string(r.Data), `{"type":"post_like","enabled":false}`) {
		t.Fatalf("after switching post_like off: %s", r.Data)
	}
	// Every space's push choice at once.
	r = env.Do(t, tok, `mutation { updateAllSpacesNotificationPreference(medium: PUSH, choice: NEVER) { preferences { medium spaces { choice } } userErrors { message } } }`, nil)
	mustNoErrors(t, r)
	if strings.Contains(string(r.Data), `"ALL"`) || !strings.Contains(string(r.Data), `"NEVER"`) || !strings.Contains(string(r.Data), `"medium":"PUSH"`) {
		t.Fatalf("after setting every space to never: %s", r.Data)
	}
	// One space, through the space.
	general := fmt.Sprint(12)
	r = env.Do(t, tok, `mutation($s: ID!) { updateSpaceNotificationPreference(spaceId: $s, medium: IN_APP, choice: MENTIONS) { space { id name notificationPreferences { inApp push } } userErrors { field message } } }`, map[string]any{"s": general})
	mustNoErrors(t, r)
	if !strings.Contains(string(r.Data), `"notificationPreferences":{"inApp":"MENTIONS","push":"NEVER"}`) {
		t.Fatalf("after choosing mentions in General: %s", r.Data)
	}
	// A space the member does not belong to (Show and Tell): a userError,
	// and no write.
	env.Upstream.Reset()
	r = env.Do(t, tok, `mutation { updateSpaceNotificationPreference(spaceId: "15", medium: IN_APP, choice: NEVER) { space { id } userErrors { field message } } }`, nil)
	mustNoErrors(t, r)
	if !strings.Contains(string(r.Data), `"field":["spaceId"]`) {
		t.Fatalf("a space of others: %s", r.Data)
	}
	for _, c := range env.Upstream.Calls() {
		if c.Method != "GET" {
			t.Fatalf("a write was sent: %+v", c)
		}
	}

	// Each space's choices: one GET /spaces, one call per space the member
	// belongs to, null for the others.
	env.Upstream.Reset()
	r = env.Do(t, tok, `{ spaces { id isMember notificationPreferences { inApp push } } }`, nil)
	mustNoErrors(t, r)
	var sp struct {
		Spaces []struct {
			ID                      string
			IsMember                bool
			NotificationPreferences *struct{ InApp, Push string }
		}
	}
	r.Decode(t, &sp)
	members := 0
	for _, s := range sp.Spaces {
		if s.IsMember != (s.NotificationPreferences != nil) {
			t.Errorf("space %s: member %v, preferences %+v", s.ID, s.IsMember, s.NotificationPreferences)
		}
		if s.IsMember {
			members++
		}
	}
	if n := len(env.Upstream.Calls()); n != 1+members {
		t.Fatalf("%d calls for %d member spaces, want %d", n, members, 1+members)
	}
}

// Every space's unread counts cost one call for the whole operation.
func TestSpaceUnreadCounts(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	want, err := truth(t, env, tok).SpaceNotificationDetails(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := env.Do(t, tok, `{ spaces { id unreadContentCount unreadNotificationsCount } }`, nil)
	mustNoErrors(t, r)
	var got struct {
		Spaces []struct {
			ID                                           string
			UnreadContentCount, UnreadNotificationsCount *int
		}
	}
	r.Decode(t, &got)
	byID := map[string]circle.SpaceNotificationDetail{}
	for _, d := range want {
		byID[fmt.Sprint(d.ID)] = d
	}
	some := false
	for _, s := range got.Spaces {
		d, ok := byID[s.ID]
		if !ok || s.UnreadContentCount == nil || *s.UnreadContentCount != d.UnreadContentCount || *s.UnreadNotificationsCount != d.UnreadNotificationsCount {
			t.Errorf("space %s: %v %v, Circle's %+v", s.ID, s.UnreadContentCount, s.UnreadNotificationsCount, d)
		}
		some = some || d.UnreadNotificationsCount > 0 || d.UnreadContentCount > 0
	}
	if !some {
		t.Fatal("the seed has no unread counts")
	}
	if n := len(env.Upstream.Calls()); n != 2 {
		t.Fatalf("%d calls, want GET /spaces and one GET /space_notification_details", n)
	}
}

func TestArchiveAndDeleteNotifications(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	list, err := truth(t, env, tok).Notifications(context.Background(), circle.ListParams{Page: 1, PerPage: 2, Sort: "latest"}, "")
	if err != nil || len(list.Records) < 2 {
		t.Fatal(list, err)
	}
	a, b := fmt.Sprint(list.Records[0].ID), fmt.Sprint(list.Records[1].ID)
	r := env.Do(t, tok, `mutation($id: ID!) { archiveNotification(id: $id) { notification { id text } userErrors { message } } }`, map[string]any{"id": a})
	mustNoErrors(t, r)
	if !strings.Contains(string(r.Data), `"id":"`+a+`"`) {
		t.Fatalf("archive: %s", r.Data)
	}
	r = env.Do(t, tok, `mutation($id: ID!) { deleteNotification(id: $id) { deletedId userErrors { message } } }`, map[string]any{"id": b})
	mustNoErrors(t, r)
	if !strings.Contains(string(r.Data), `"deletedId":"`+b+`"`) {
		t.Fatalf("delete: %s", r.Data)
	}
	r = env.Do(t, tok, `{ notifications(first: 100) { totalCount nodes { id } } }`, nil)
	mustNoErrors(t, r)
	if strings.Contains(string(r.Data), `"`+a+`"`) || strings.Contains(string(r.Data), `"`+b+`"`) || !strings.Contains(string(r.Data), fmt.Sprintf(`"totalCount":%d`, list.Count-2)) {
		t.Fatalf("after archive and delete: %s", r.Data)
	}
	r = env.Do(t, tok, `mutation($id: ID!) { deleteNotification(id: $id) { deletedId } }`, map[string]any{"id": b})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Fatalf("deleting twice: %+v", r.Errors)
	}
	// Filters: unread only.
	r = env.Do(t, tok, `{ notifications(first: 100, status: UNREAD) { nodes { isRead } } }`, nil)
	mustNoErrors(t, r)
	if strings.Contains(string(r.Data), `"isRead":true`) || !strings.Contains(string(r.Data), `"isRead":false`) {
		t.Fatalf("unread only: %s", r.Data)
	}
}

func TestChatThreads(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	want, err := truth(t, env, tok).ChatThreads(context.Background(), circle.ListParams{Page: 1, PerPage: 20})
	if err != nil || len(want.Records) == 0 {
		t.Fatal(want, err)
	}
	r := env.Do(t, tok, `{ chatThreads(first: 20) { totalCount nodes { id chatRoomName chatRoomKind parentMessage { id body repliesCount thread { id } } replies { id body parentMessageId sender { name } } participants { id name avatarUrl } } } unreadChatThreadIds unreadChatRoomUuids }`, nil)
	mustNoErrors(t, r)
	var got struct {
		ChatThreads struct {
			TotalCount int
			Nodes      []struct {
				ID, ChatRoomName, ChatRoomKind string
				ParentMessage                  struct {
					ID, Body     string
					RepliesCount int
					Thread       struct{ ID string }
				}
				Replies      []liveMessage
				Participants []struct{ ID, Name string }
			}
		}
		UnreadChatThreadIds []string
		UnreadChatRoomUuids []string
	}
	r.Decode(t, &got)
	if got.ChatThreads.TotalCount != want.Count || len(got.ChatThreads.Nodes) != len(want.Records) {
		t.Fatalf("%d threads, Circle has %d", len(got.ChatThreads.Nodes), want.Count)
	}
	for i, n := range got.ChatThreads.Nodes {
		w := want.Records[i]
		if n.ID != fmt.Sprint(w.ID) || n.ChatRoomName != w.ChatRoom.Name || n.ParentMessage.ID != fmt.Sprint(w.ParentMessage.ID) || n.ParentMessage.Thread.ID != n.ID || n.ParentMessage.RepliesCount != len(w.Replies) || len(n.Replies) != len(w.Replies) || len(n.Participants) == 0 {
			t.Errorf("thread %+v, Circle's %+v", n, w)
		}
		for _, reply := range n.Replies {
			if reply.ParentMessageID == nil || *reply.ParentMessageID != n.ParentMessage.ID || reply.Sender == nil {
				t.Errorf("reply %+v", reply)
			}
		}
	}
	if len(got.UnreadChatThreadIds) == 0 || len(got.UnreadChatRoomUuids) == 0 {
		t.Fatalf("unread threads %v rooms %v: the seed has both", got.UnreadChatThreadIds, got.UnreadChatRoomUuids)
	}
	// thread { id } cost nothing; one list and the two unread lists.
	if n := len(env.Upstream.Calls()); n != 3 {
		t.Fatalf("%d calls, want 3", n)
	}

	// From a room's message to its thread, and the thread by id.
	th := want.Records[0]
	env.Upstream.Reset()
	r = env.Do(t, tok, `query($u: ID!, $m: ID!, $t: ID!) { chatMessage(chatRoomUuid: $u, id: $m) { id repliesCount lastReplyAt thread { replies { body } } } chatThread(id: $t) { id replies { id } } }`,
		map[string]any{"u": th.ParentMessage.ChatRoomUUID, "m": fmt.Sprint(th.ParentMessage.ID), "t": fmt.Sprint(th.ID)})
	mustNoErrors(t, r)
	if !strings.Contains(string(r.Data), `"body":"`+th.Replies[0].Body+`"`) || strings.Contains(string(r.Data), `"lastReplyAt":null`) {
		t.Fatalf("message with its thread: %s", r.Data)
	}
}

func TestChatParticipantsAndReactions(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	demo := fmt.Sprint(env.Sandbox.DemoMemberID())
	group := roomWith(t, env, tok, func(r circle.ChatRoom) bool { return r.ChatRoomName == "Launch crew" })
	vars := map[string]any{"u": group.UUID}
	r := env.Do(t, tok, `query($u: ID!) { chatRoom(uuid: $u) { description firstUnreadMessageId lastMessage { id body } currentParticipant { id isMuted isArchived isRoomAdmin member { id name bio } } allParticipants(first: 3) { totalCount pageInfo { hasNextPage } nodes { id isRoomAdmin status member { id name bio headline } } } } }`, vars)
	mustNoErrors(t, r)
	var got struct {
		ChatRoom struct {
			FirstUnreadMessageID *string
			LastMessage          *struct{ ID, Body string }
			CurrentParticipant   struct {
				ID                               string
				IsMuted, IsArchived, IsRoomAdmin bool
				Member                           struct{ ID, Name string }
			}
			AllParticipants struct {
				TotalCount int
				PageInfo   struct{ HasNextPage bool }
				Nodes      []struct {
					ID          string
					IsRoomAdmin bool
					Member      struct{ ID, Name string }
				}
			}
		}
	}
	r.Decode(t, &got)
	room := got.ChatRoom
	if room.FirstUnreadMessageID == nil || room.LastMessage == nil || room.LastMessage.Body == "" || room.CurrentParticipant.Member.ID != demo || room.CurrentParticipant.IsMuted {
		t.Fatalf("room %+v", room)
	}
	if room.AllParticipants.TotalCount != 4 || len(room.AllParticipants.Nodes) != 3 || !room.AllParticipants.PageInfo.HasNextPage {
		t.Fatalf("participants %+v", room.AllParticipants)
	}
	// The room and one page of participants; bios come with them.
	if n := len(env.Upstream.Calls()); n != 2 {
		t.Fatalf("%d calls, want 2", n)
	}
	var other string
	for _, p := range room.AllParticipants.Nodes {
		if p.Member.ID != demo {
			other = p.ID
		}
	}

	r = env.Do(t, tok, `mutation($u: ID!, $p: ID!) { updateChatParticipant(chatRoomUuid: $u, participantId: $p, muted: true) { chatRoom { currentParticipant { isMuted } } userErrors { message } } }`, map[string]any{"u": group.UUID, "p": room.CurrentParticipant.ID})
	mustNoErrors(t, r)
	if !strings.Contains(string(r.Data), `"isMuted":true`) {
		t.Fatalf("muting: %s", r.Data)
	}
	r = env.Do(t, tok, `mutation($u: ID!, $p: ID!) { updateChatParticipant(chatRoomUuid: $u, participantId: $p, archived: true) { chatRoom { uuid } } }`, map[string]any{"u": group.UUID, "p": other})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("archiving another participant without being room admin: %+v", r.Errors)
	}

	// Reactions.
	msg := fmt.Sprint(group.LastMessage.ID)
	react := func(doc, emoji string) testenv.Response {
		return env.Do(t, tok, doc, map[string]any{"u": group.UUID, "m": msg, "e": emoji})
	}
	const add = `mutation($u: ID!, $m: ID!, $e: String!) { addChatReaction(chatRoomUuid: $u, messageId: $m, emoji: $e) { message { id reactions { emoji count memberIds reactedByMe } } userErrors { message } } }`
	const remove = `mutation($u: ID!, $m: ID!, $e: String!) { removeChatReaction(chatRoomUuid: $u, messageId: $m, emoji: $e) { message { id reactions { emoji count memberIds reactedByMe } } userErrors { message } } }`
	r = react(add, "rocket")
	mustNoErrors(t, r)
	if !strings.Contains(string(r.Data), `{"emoji":"rocket","count":1,"memberIds":["`+demo+`"],"reactedByMe":true}`) {
		t.Fatalf("after reacting: %s", r.Data)
	}
	r = react(remove, "rocket")
	mustNoErrors(t, r)
	if strings.Contains(string(r.Data), "rocket") {
		t.Fatalf("after taking it back: %s", r.Data)
	}
	r = react(remove, "rocket")
	if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Fatalf("taking back a reaction not given: %+v", r.Errors)
	}

	// Input refused before any call.
	for name, tt := range map[string]struct {
		doc  string
		vars map[string]any
	}{
		"blank emoji":       {add, map[string]any{"u": group.UUID, "m": msg, "e": "  "}},
		"emoji too long":    {add, map[string]any{"u": group.UUID, "m": msg, "e": strings.Repeat("x", 65)}},
		"control in emoji":  {add, map[string]any{"u": group.UUID, "m": msg, "e": "a\x00b"}},
		"bad message id":    {remove, map[string]any{"u": group.UUID, "m": "m1", "e": "heart"}},
		"nothing to update": {`mutation($u: ID!) { updateChatParticipant(chatRoomUuid: $u, participantId: "85001") { chatRoom { uuid } } }`, map[string]any{"u": group.UUID}},
		"bad participant":   {`mutation($u: ID!) { updateChatParticipant(chatRoomUuid: $u, participantId: "me", muted: true) { chatRoom { uuid } } }`, map[string]any{"u": group.UUID}},
		"bad thread id":     {`{ chatThread(id: "x") { id } }`, nil},
		"bad message room":  {`{ chatMessage(chatRoomUuid: "x", id: "1") { id } }`, nil},
	} {
		env.Upstream.Reset()
		r := env.Do(t, tok, tt.doc, tt.vars)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || len(env.Upstream.Calls()) != 0 {
			t.Errorf("%s: errors %+v after %d calls, want BAD_USER_INPUT and none", name, r.Errors, len(env.Upstream.Calls()))
		}
	}
}

// Senders come with their messages: name and avatar cost nothing; a field
// Circle does not send with them costs one profile per distinct sender.
func TestChatSendersEmbeddedFirst(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	group := roomWith(t, env, tok, func(r circle.ChatRoom) bool { return r.ChatRoomName == "Launch crew" })
	const q = `query($u: ID!) { chatRoom(uuid: $u) { messages(last: 20) { nodes { sender { id name avatarUrl %s } } } } }`
	mustNoErrors(t, env.Do(t, tok, fmt.Sprintf(q, ""), map[string]any{"u": group.UUID}))
	if n := len(env.Upstream.Calls()); n != 1 {
		t.Fatalf("senders' names and avatars cost %d calls, want the page alone", n)
	}
	env.Upstream.Reset()
	r := env.Do(t, tok, fmt.Sprintf(q, "headline"), map[string]any{"u": group.UUID})
	mustNoErrors(t, r)
	var got struct {
		ChatRoom struct {
			Messages struct {
				Nodes []struct{ Sender struct{ ID string } }
			}
		}
	}
	r.Decode(t, &got)
	senders := map[string]bool{}
	for _, n := range got.ChatRoom.Messages.Nodes {
		senders[n.Sender.ID] = true
	}
	if n := len(env.Upstream.Calls()); n != 1+len(senders) || len(senders) < 2 {
		t.Fatalf("headlines cost %d calls for %d senders, want 1 + %d", n, len(senders), len(senders))
	}
}
