package sandbox

import (
	"net/http"
	"strconv"
)

// The notification and chat endpoints in the conformance test (see
// conformance_test.go): each in its success and failure cases, requests
// and answers checked against Circle's OpenAPI document.

func init() {
	// Messages of write failures Circle's document has no example of.
	for status, msgs := range map[int][]string{
		http.StatusUnprocessableEntity: {msgInvalidPreference, msgInvalidChoice, msgChatRoomKind, msgChatRoomMembers, msgDirectRoomSize, msgChatTooLong, msgEmojiInvalid},
	} {
		for _, m := range msgs {
			writeMessages[status][m] = true
		}
	}
}

// liveFixture names seeded records the live cases act on.
type liveFixture struct {
	longRoom, groupRoom, othersRoom  string // the demo member's long direct room and group, a room without them
	ownMessage, othersMessage        int64  // top-level messages of the group, by the demo member and by someone else
	reply                            int64  // a reply in the group's first thread
	thread, othersThread             int64  // a thread of the demo member's, one of a room they are not in
	spaceMember, othersSpaceMember   int64  // one of the demo member's space memberships, one of someone else's
	notification, secondNotification int64  // two of the demo member's notifications
}

func newLiveFixture(h *harness) liveFixture {
	demo := h.sb.DemoMemberID()
	var fx liveFixture
	cs := h.sb.chat
	cs.mu.Lock()
	for _, id := range cs.order {
		room := cs.rooms[id]
		switch {
		case room.participantOf(demo) == nil && room.kind == "group_chat":
			fx.othersRoom = room.uuid
		case room.name == "Launch crew":
			fx.groupRoom = room.uuid
			for _, mid := range room.timeline {
				m := cs.messages[mid]
				switch {
				case m.memberID == demo && fx.ownMessage == 0:
					fx.ownMessage = mid
				case m.memberID != demo && len(m.replies) > 0 && fx.reply == 0:
					fx.othersMessage, fx.reply, fx.thread = mid, m.replies[0], m.threadID
				}
			}
		case room.kind == "direct" && len(room.timeline) > 50:
			fx.longRoom = room.uuid
		}
	}
	for _, t := range cs.threads {
		if cs.rooms[t.roomID].participantOf(demo) == nil {
			fx.othersThread = t.id
		}
	}
	cs.mu.Unlock()
	if fx.othersThread == 0 {
		// No seeded thread lies outside the demo member's rooms: make one.
		cs.mu.Lock()
		room := cs.byUUID[fx.othersRoom]
		parent := cs.messages[room.timeline[0]]
		cs.addMessageLocked(room, room.participants[1], parent, "Thread outside", richTextDoc("Thread outside"), testStart)
		fx.othersThread = parent.threadID
		cs.mu.Unlock()
	}
	fx.spaceMember = h.sb.store.viewerSpaceMembers(demo)[0].id
	fx.othersSpaceMember = h.sb.store.viewerSpaceMembers(demo + 1)[0].id
	ns := h.sb.notifications
	ns.mu.Lock()
	list := ns.byMember[demo]
	fx.notification, fx.secondNotification = list[len(list)-1].id, list[len(list)-2].id
	ns.mu.Unlock()
	if fx.longRoom == "" || fx.groupRoom == "" || fx.othersRoom == "" || fx.ownMessage == 0 || fx.reply == 0 {
		h.t.Fatalf("the seed lacks what the live cases need: %+v", fx)
	}
	return fx
}

func liveConfCases(f *confFixture) []confCase {
	fx := newLiveFixture(f.harness)
	id := func(v int64) string { return strconv.FormatInt(v, 10) }
	c := func(name, method, path, cred string, b any, status int, message string) confCase {
		tc := confCase{name: name, method: method, path: memberPrefix + path, cred: cred, status: status, message: message}
		if b != nil {
			tc.body = func() any { return b }
		}
		return tc
	}
	get, post, put, del, member := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, credMember
	notFound := msgMissingRecord
	text := func(s string) map[string]any { return map[string]any{"rich_text_body": chatEnvelope(s)} }
	msgs := "/messages/" + fx.groupRoom + "/chat_room_messages"

	cases := []confCase{
		c("notifications", get, "/notifications", member, nil, 200, ""),
		c("notifications paged, oldest first", get, "/notifications?page=2&per_page=5&sort=oldest", member, nil, 200, ""),
		c("unread notifications", get, "/notifications?status=unread", member, nil, 200, ""),
		c("read notifications", get, "/notifications?status=read&sort=latest", member, nil, 200, ""),
		c("notifications expired", get, "/notifications", credExpired, nil, 401, msgTokenExpired),
		c("new notifications count", get, "/notifications/new_notifications_count", member, nil, 200, ""),
		c("new notifications count revoked", get, "/notifications/new_notifications_count", credRevoked, nil, 401, msgTokenRevoked),
		c("mark a notification read", post, "/notifications/"+id(fx.notification)+"/mark_as_read", member, nil, 200, ""),
		c("mark an unknown notification read", post, "/notifications/1/mark_as_read", member, nil, 404, notFound),
		c("archive a notification", post, "/notifications/"+id(fx.notification)+"/archive", member, nil, 200, ""),
		c("archive an archived notification", post, "/notifications/"+id(fx.notification)+"/archive", member, nil, 404, notFound),
		c("delete a notification", del, "/notifications/"+id(fx.secondNotification), member, nil, 200, ""),
		c("delete a deleted notification", del, "/notifications/"+id(fx.secondNotification), member, nil, 404, notFound),
		c("mark all notifications read", post, "/notifications/mark_all_as_read", member, nil, 200, ""),
		c("reset the new count", post, "/notifications/reset_new_notifications_count", member, nil, 200, ""),
		c("reset the new count ghost", post, "/notifications/reset_new_notifications_count", credGhost, nil, 401, msgNoTokenMember),

		c("in-app preferences", get, "/notification_preferences/in_app", member, nil, 200, ""),
		c("push preferences", get, "/notification_preferences/push", member, nil, 200, ""),
		c("mobile preferences", get, "/notification_preferences/mobile", member, nil, 200, ""),
		c("preferences garbage token", get, "/notification_preferences/in_app", credGarbage, nil, 401, msgTokenInvalid),
		c("switch a preference off", put, "/notification_preferences/in_app?type=post_like&enabled=false", member, nil, 200, ""),
		c("switch direct messages on", put, "/notification_preferences/push?type=direct_messages&enabled=true", member, nil, 200, ""),
		c("space member preferences", get, "/notification_preferences/space_members/"+id(fx.spaceMember), member, nil, 200, ""),
		c("preferences of another's space membership", get, "/notification_preferences/space_members/"+id(fx.othersSpaceMember), member, nil, 404, notFound),
		c("one space's preference", put, "/notification_preferences/in_app/spaces/"+id(fx.spaceMember)+"?choice=mention", member, nil, 200, ""),
		c("another's space preference", put, "/notification_preferences/in_app/spaces/"+id(fx.othersSpaceMember)+"?choice=never", member, nil, 404, notFound),
		c("every space's preference", put, "/notification_preferences/push/spaces?choice=never", member, nil, 200, ""),
		c("space notification details", get, "/space_notification_details", member, nil, 200, ""),
		c("space notification details of some spaces", get, "/space_notification_details?space_ids="+id(spaceGeneral)+","+id(spaceStaff), member, nil, 200, ""),

		c("chat rooms", get, "/messages", member, nil, 200, ""),
		c("chat rooms paged", get, "/messages?page=2&per_page=2", member, nil, 200, ""),
		c("chat rooms expired", get, "/messages", credExpired, nil, 401, msgTokenExpired),
		c("unread chat rooms", get, "/messages/unread_chat_rooms", member, nil, 200, ""),
		c("chat room", get, "/messages/"+fx.groupRoom, member, nil, 200, ""),
		c("chat room of others", get, "/messages/"+fx.othersRoom, member, nil, 404, notFound),
		c("unknown chat room", get, "/messages/"+chatUUID("nothing", 1), member, nil, 404, notFound),
		c("newest messages", get, msgs, member, nil, 200, ""),
		c("messages around a message of another room", get, "/messages/"+fx.longRoom+"/chat_room_messages?id="+id(fx.ownMessage)+"&previous_per_page=5&next_per_page=0", member, nil, 404, notFound),
		c("a page back", get, msgs+"?id="+id(fx.othersMessage)+"&previous_per_page=3&next_per_page=0", member, nil, 200, ""),
		c("messages around one", get, msgs+"?id="+id(fx.othersMessage)+"&previous_per_page=2&next_per_page=2", member, nil, 200, ""),
		c("messages of others' room", get, "/messages/"+fx.othersRoom+"/chat_room_messages", member, nil, 404, notFound),
		c("messages revoked", get, msgs, credRevoked, nil, 401, msgTokenRevoked),
		c("message", get, msgs+"/"+id(fx.othersMessage), member, nil, 200, ""),
		c("reply", get, msgs+"/"+id(fx.reply), member, nil, 200, ""),
		c("message of another room", get, "/messages/"+fx.longRoom+"/chat_room_messages/"+id(fx.othersMessage), member, nil, 404, notFound),
		c("participants", get, "/messages/"+fx.groupRoom+"/chat_room_participants", member, nil, 200, ""),
		c("participants paged", get, "/messages/"+fx.groupRoom+"/chat_room_participants?page=1&per_page=2", member, nil, 200, ""),
		c("participants of others' room", get, "/messages/"+fx.othersRoom+"/chat_room_participants", member, nil, 404, notFound),
		c("threads", get, "/chat_threads", member, nil, 200, ""),
		c("threads paged", get, "/chat_threads?page=1&per_page=1", member, nil, 200, ""),
		c("unread threads", get, "/chat_threads/unread_chat_threads", member, nil, 200, ""),
		c("thread", get, "/chat_threads/"+id(fx.thread), member, nil, 200, ""),
		c("thread of others", get, "/chat_threads/"+id(fx.othersThread), member, nil, 404, notFound),
		c("threads ghost", get, "/chat_threads", credGhost, nil, 401, msgNoTokenMember),

		c("send a message", post, msgs, member, text("Hello from the conformance test"), 202, ""),
		c("reply in a thread", post, msgs, member, map[string]any{"rich_text_body": chatEnvelope("Me too"), "parent_message_id": fx.othersMessage}, 202, ""),
		c("reply to an unknown message", post, msgs, member, map[string]any{"rich_text_body": chatEnvelope("x"), "parent_message_id": 1}, 404, notFound),
		c("send a blank message", post, msgs, member, text("   "), 422, "Body can't be blank"),
		c("send to others' room", post, "/messages/"+fx.othersRoom+"/chat_room_messages", member, text("x"), 403, msgForbidden),
		c("send to an unknown room", post, "/messages/"+chatUUID("nothing", 2)+"/chat_room_messages", member, text("x"), 404, notFound),
		c("send expired", post, msgs, credExpired, text("x"), 401, msgTokenExpired),
		c("edit own message", put, msgs+"/"+id(fx.ownMessage), member, text("Edited"), 200, ""),
		c("edit another's message", put, msgs+"/"+id(fx.othersMessage), member, text("Mine now"), 403, msgForbidden),
		c("edit to blank", put, msgs+"/"+id(fx.ownMessage), member, text(""), 422, "Body can't be blank"),
		c("react", post, "/reactions", member, map[string]any{"chat_room_message": fx.othersMessage, "emoji": "heart"}, 200, ""),
		c("react again", post, "/reactions", member, map[string]any{"chat_room_message": fx.othersMessage, "emoji": "heart"}, 200, ""),
		c("react to others' room", post, "/reactions", member, map[string]any{"chat_room_message": fx.othersThreadParent(f), "emoji": "heart"}, 404, notFound),
		c("react with a blank emoji", post, "/reactions", member, map[string]any{"chat_room_message": fx.othersMessage, "emoji": " "}, 422, msgEmojiInvalid),
		c("take a reaction back", del, "/reactions", member, map[string]any{"chat_room_message": fx.othersMessage, "emoji": "heart"}, 204, ""),
		c("take back a reaction not given", del, "/reactions", member, map[string]any{"chat_room_message": fx.othersMessage, "emoji": "heart"}, 404, notFound),
		c("delete another's message", del, msgs+"/"+id(fx.othersMessage), member, nil, 403, msgForbidden),
		c("delete own message", del, msgs+"/"+id(fx.ownMessage), member, nil, 200, ""),
		c("delete a deleted message", del, msgs+"/"+id(fx.ownMessage), member, nil, 404, notFound),
		c("mute the room", put, "/messages/"+fx.groupRoom+"/chat_room_participants/"+id(f.participantID(fx.groupRoom, f.sb.DemoMemberID())), member, map[string]any{"muted": true}, 200, ""),
		c("archive another participant", put, "/messages/"+fx.groupRoom+"/chat_room_participants/"+id(f.otherParticipantID(fx.groupRoom)), member, map[string]any{"archived": true}, 403, msgForbidden),
		c("update an unknown participant", put, "/messages/"+fx.groupRoom+"/chat_room_participants/1", member, map[string]any{"muted": true}, 404, notFound),
		c("mark the room read", post, "/messages/"+fx.groupRoom+"/mark_all_as_read", member, nil, 200, ""),
		c("mark others' room read", post, "/messages/"+fx.othersRoom+"/mark_all_as_read", member, nil, 403, msgForbidden),
		c("open a direct room", post, "/messages", member, map[string]any{"chat_room": map[string]any{"kind": "direct", "community_member_ids": []string{id(firstMemberID + 20)}}}, 200, ""),
		c("open the same direct room again", post, "/messages", member, map[string]any{"chat_room": map[string]any{"kind": "direct", "community_member_ids": []string{id(firstMemberID + 20)}}}, 200, ""),
		c("open a group with a first message", post, "/messages", member, map[string]any{"chat_room": map[string]any{"kind": "group_chat", "community_member_ids": []string{id(firstMemberID + 21), id(firstMemberID + 22)}, "rich_text_body": chatEnvelope("Welcome!")}}, 200, ""),
		c("open a direct room with two", post, "/messages", member, map[string]any{"chat_room": map[string]any{"kind": "direct", "community_member_ids": []string{id(firstMemberID + 21), id(firstMemberID + 22)}}}, 422, msgDirectRoomSize),
		c("open a room with nobody known", post, "/messages", member, map[string]any{"chat_room": map[string]any{"kind": "group_chat", "community_member_ids": []string{"999999"}}}, 422, msgChatRoomMembers),
		c("open a room of an unknown kind", post, "/messages", member, map[string]any{"chat_room": map[string]any{"kind": "space", "community_member_ids": []string{id(firstMemberID + 21)}}}, 422, msgChatRoomKind),
		c("open a room garbage token", post, "/messages", credGarbage, map[string]any{"chat_room": map[string]any{"kind": "direct", "community_member_ids": []string{id(firstMemberID + 20)}}}, 401, msgTokenInvalid),
	}
	// Requests that break the document on purpose.
	broken := []confCase{
		c("preferences of an unknown medium", get, "/notification_preferences/email", member, nil, 404, notFound),
		c("switch an unknown preference", put, "/notification_preferences/in_app?type=live&enabled=true", member, nil, 422, msgInvalidPreference),
		c("an unknown space choice", put, "/notification_preferences/in_app/spaces?choice=some", member, nil, 422, msgInvalidChoice),
		c("send without rich text", post, msgs, member, map[string]any{"body": "plain"}, 422, "Body can't be blank"),
		c("notifications without a token", get, "/notifications", credNone, nil, 401, msgTokenInvalid),
	}
	return append(cases, markInvalid(broken)...)
}

// chatEnvelope is a rich_text_body envelope as Circle's request schema has it.
func chatEnvelope(text string) map[string]any {
	content := []any{}
	if text != "" {
		content = append(content, map[string]any{"type": "text", "text": text})
	}
	return map[string]any{"body": map[string]any{"type": "doc", "content": []any{map[string]any{"type": "paragraph", "content": content}}}}
}

// participantID is memberID's participant id in a room.
func (h *harness) participantID(uuid string, memberID int64) int64 {
	cs := h.sb.chat
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.byUUID[uuid].participantOf(memberID).id
}

// otherParticipantID is the participant id of someone in a room other than
// the demo member.
func (h *harness) otherParticipantID(uuid string) int64 {
	cs := h.sb.chat
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, p := range cs.byUUID[uuid].participants {
		if p.memberID != h.sb.DemoMemberID() {
			return p.id
		}
	}
	h.t.Fatal("no other participant")
	return 0
}

// othersThreadParent is the id of a message in a room the demo member is
// not in.
func (fx liveFixture) othersThreadParent(f *confFixture) int64 {
	cs := f.sb.chat
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.byUUID[fx.othersRoom].timeline[0]
}
