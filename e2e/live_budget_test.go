package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/internal/testjwt"
)

// Upstream calls of an inbox and of a chat screen, asserted exactly,
// against the sandbox and against a strict double of Circle whose ids lie
// in other ranges and whose message windows count the reference message
// among previous_per_page (the sandbox counts it apart): the gateway must
// cost the same on both.

// inboxQuery is issue 10's inbox screen.
const inboxQuery = `{ notifications(first: 20) { nodes { text post { title space { name } } } } newNotificationsCount }`

// The chat screen: the room list, one room's newest messages, then two
// pages back.
const (
	chatListQuery = `{ chatRooms(first: 20) { nodes { uuid name kind unreadMessagesCount participants { name avatarUrl } lastMessage { body createdAt } } } }`
	chatPageQuery = `query($u: ID!, $before: String) { chatRoom(uuid: $u) { messages(last: 20, before: $before) { totalCount pageInfo { hasPreviousPage startCursor } nodes { id body createdAt sender { name avatarUrl } } } } }`
)

// inboxBudget is 1 (the notifications) + 1 (the count) + one post_ids
// call per space of the posts the page is about.
func inboxBudget(t *testing.T, data json.RawMessage) (budget, posts, spaces int) {
	t.Helper()
	var v struct {
		Notifications struct {
			Nodes []struct {
				Post *struct {
					Title string
					Space struct{ Name string }
				}
			}
		}
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	titles, names := map[string]bool{}, map[string]bool{}
	for _, n := range v.Notifications.Nodes {
		if n.Post != nil {
			titles[n.Post.Title] = true
			names[n.Post.Space.Name] = true
		}
	}
	if len(v.Notifications.Nodes) != 20 {
		t.Fatalf("%d notifications, want a full page of 20", len(v.Notifications.Nodes))
	}
	return 2 + len(names), len(titles), len(names)
}

// checkInbox runs the inbox on env and asserts its cost is its budget.
func checkInbox(t *testing.T, env *testenv.Env, tok string) {
	t.Helper()
	env.Upstream.Reset()
	r := env.Do(t, tok, inboxQuery, nil)
	mustNoErrors(t, r)
	budget, posts, spaces := inboxBudget(t, r.Data)
	calls := env.Upstream.Calls()
	if len(calls) != budget {
		t.Fatalf("inbox: %d upstream calls, budget 1 + 1 + %d spaces = %d:\n%s", len(calls), spaces, budget, liveTargets(calls))
	}
	if spaces < 2 || posts <= spaces {
		t.Fatalf("inbox: %d posts in %d spaces: the data should make posts share spaces and spaces differ", posts, spaces)
	}
	t.Logf("inbox: %d upstream calls = 1 + 1 + %d post_ids batches (%d distinct posts in %d spaces)", len(calls), spaces, posts, spaces)
}

// checkChatScreen runs the chat screen on env: the list costs one call,
// the room's newest page one, and each page back one.
func checkChatScreen(t *testing.T, env *testenv.Env, tok string) {
	t.Helper()
	env.Upstream.Reset()
	r := env.Do(t, tok, chatListQuery, nil)
	mustNoErrors(t, r)
	var rooms struct {
		ChatRooms struct {
			Nodes []struct {
				UUID         string
				Participants []struct{ Name string }
				LastMessage  *struct{ Body string }
			}
		}
	}
	r.Decode(t, &rooms)
	if n := len(env.Upstream.Calls()); n != 1 || len(rooms.ChatRooms.Nodes) < 2 {
		t.Fatalf("room list: %d calls for %d rooms, want 1", n, len(rooms.ChatRooms.Nodes))
	}
	// The room with the longest history.
	var uuid string
	var longest int
	for _, room := range rooms.ChatRooms.Nodes {
		r := env.Do(t, tok, `query($u: ID!) { chatRoom(uuid: $u) { messages(last: 0) { totalCount } } }`, map[string]any{"u": room.UUID})
		mustNoErrors(t, r)
		var c struct {
			ChatRoom struct{ Messages struct{ TotalCount int } }
		}
		r.Decode(t, &c)
		if c.ChatRoom.Messages.TotalCount > longest {
			uuid, longest = room.UUID, c.ChatRoom.Messages.TotalCount
		}
	}
	if longest < 60 {
		t.Fatalf("the longest room has %d messages: too few for three pages of 20", longest)
	}
	var before any
	seen := map[string]bool{}
	for page := 1; page <= 3; page++ {
		env.Upstream.Reset()
		r := env.Do(t, tok, chatPageQuery, map[string]any{"u": uuid, "before": before})
		mustNoErrors(t, r)
		var got struct {
			ChatRoom struct{ Messages liveMessages }
		}
		r.Decode(t, &got)
		m := got.ChatRoom.Messages
		if len(m.Nodes) != 20 || !m.PageInfo.HasPreviousPage || m.TotalCount != longest {
			t.Fatalf("page %d: %d messages, previous %v, total %d", page, len(m.Nodes), m.PageInfo.HasPreviousPage, m.TotalCount)
		}
		for _, n := range m.Nodes {
			if seen[n.ID] || n.Sender == nil || n.Sender.Name == "" {
				t.Fatalf("page %d: message %+v seen twice or without its sender", page, n)
			}
			seen[n.ID] = true
		}
		if calls := env.Upstream.Calls(); len(calls) != 1 {
			t.Fatalf("page %d: %d upstream calls, want 1:\n%s", page, len(calls), liveTargets(calls))
		}
		before = *m.PageInfo.StartCursor
	}
	t.Logf("chat screen: 1 call for the room list, then 1 per page of messages (3 pages, 60 messages)")
}

func liveTargets(calls []testenv.Call) string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Method+" "+c.Target())
	}
	return strings.Join(out, "\n")
}

func TestLiveBudgetsOnTheSandbox(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	t.Run("inbox", func(t *testing.T) { checkInbox(t, env, tok) })
	t.Run("chat screen", func(t *testing.T) { checkChatScreen(t, env, tok) })
}

func TestLiveBudgetsOnAStrictDouble(t *testing.T) {
	t.Parallel()
	d := newLiveDouble()
	env := testenv.New(t, testenv.Options{Upstream: d})
	tok := testjwt.Member(t, liveDblMe)
	t.Run("inbox", func(t *testing.T) { checkInbox(t, env, tok) })
	t.Run("chat screen", func(t *testing.T) { checkChatScreen(t, env, tok) })
	if v := d.violations(); len(v) > 0 {
		t.Fatalf("the gateway called the double in ways Circle's document does not allow:\n%s", strings.Join(v, "\n"))
	}
}

// The strict double's data: member ids 910_001…, spaces 5_000_00x, posts
// 77_000_0xx, notifications 3_300_0xx, rooms 6_600_00x, messages
// 44_000_xxx.
const (
	liveDblMe    int64 = 910_001
	liveDblOther int64 = 910_002
	liveDblPost0 int64 = 77_000_000
	liveDblNote0 int64 = 3_300_000
	liveDblMsg0  int64 = 44_000_000
)

var liveDblSpaces = map[int64]string{5_000_001: "Garden", 5_000_002: "Workshop", 5_000_003: "Meetups"}

// liveDouble is a strict Circle for the notification and chat reads: it
// answers only as Circle documents, and records every call that sends a
// parameter Circle does not take, omits per_page on a list, or asks for a
// post_ids batch whose per_page is not its number of ids.
type liveDouble struct {
	mu   sync.Mutex
	bad  []string
	room []int64 // the long room's message ids, oldest first
}

func newLiveDouble() *liveDouble {
	d := &liveDouble{}
	for i := range 70 {
		d.room = append(d.room, liveDblMsg0+100+int64(i)*3) // ids with gaps, as ids shared by many rooms have
	}
	return d
}

func (d *liveDouble) violations() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.bad)
}

func (d *liveDouble) violate(r *http.Request, why string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.bad = append(d.bad, r.Method+" "+r.URL.RequestURI()+": "+why)
}

// allow checks that the query holds only the named parameters, each valid.
func (d *liveDouble) allow(r *http.Request, params map[string]func(string) bool) bool {
	ok := true
	for k, vs := range r.URL.Query() {
		check, known := params[k]
		if !known || len(vs) != 1 || !check(vs[0]) {
			d.violate(r, "parameter "+k+"="+strings.Join(vs, ","))
			ok = false
		}
	}
	return ok
}

func positive(s string) bool { n, err := strconv.Atoi(s); return err == nil && n >= 1 }
func perPage(s string) bool  { n, err := strconv.Atoi(s); return err == nil && n >= 1 && n <= 100 }
func count(s string) bool    { n, err := strconv.Atoi(s); return err == nil && n >= 0 && n <= 100 }
func oneOf(vs ...string) func(string) bool {
	return func(s string) bool { return slices.Contains(vs, s) }
}

func liveJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

var liveDblBase = time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)

// notification i of 25, newest first: about a post (its id naming its
// space), an event or a comment on a post, in one of 3 spaces; number 7 is
// about something that is no post.
func (d *liveDouble) notification(i int) map[string]any {
	spaceIDs := []int64{5_000_001, 5_000_002, 5_000_003}
	space := spaceIDs[i%3]
	post := liveDblPost0 + int64(i%8)*10 + int64(i%3) // each post lives in one space
	n := map[string]any{
		"id": liveDblNote0 + int64(i), "created_at": liveDblBase.Add(-time.Duration(i) * time.Hour).Format("2006-01-02T15:04:05.000Z"),
		"read_at": nil, "action": "add", "space_title": liveDblSpaces[space], "space_id": space, "display_action": "posted",
		"notification_text_structure": []string{"actor_name", "display_action", "notifiable_title"},
		"actor_name":                  "Ola Nordmann", "notifiable_title": fmt.Sprintf("Post %d", post), "actor_image": nil,
		"second_actor_image": nil, "second_actor_name": nil, "notifiable_type": "Post", "notifiable_id": post,
		"action_web_url": "https://garden.circle.test/c/x/post-" + strconv.FormatInt(post, 10),
		"notifiable":     map[string]any{"id": post, "community_id": 1, "space_id": space},
	}
	switch i % 4 {
	case 1: // a comment on the post
		n["notifiable_type"], n["display_action"] = "Comment", "Translation missing: en.notification_actions.comment.add"
		n["notifiable_id"] = 9_900_000 + int64(i)
		n["notifiable"] = map[string]any{"id": 9_900_000 + int64(i), "post_id": post, "parent_comment_id": nil, "community_id": 1, "space_id": space}
	case 2:
		n["notifiable_type"] = "Event"
	}
	if i == 7 { // about no post at all
		n["notifiable_type"], n["notifiable_title"] = "SpaceMember", "Garden"
		n["notifiable"] = map[string]any{"id": 123, "community_id": 1, "space_id": space}
	}
	return n
}

func (d *liveDouble) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		d.violate(r, "no member token")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/api/headless/v1")
	if !ok || r.Method != http.MethodGet {
		d.violate(r, "not a Member API read")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	seg := strings.Split(strings.Trim(path, "/"), "/")
	q := r.URL.Query()
	switch {
	case path == "/notifications":
		if !d.allow(r, map[string]func(string) bool{"page": positive, "per_page": perPage, "sort": oneOf("latest", "oldest"), "status": oneOf("all", "read", "unread")}) || q.Get("per_page") == "" {
			d.violate(r, "a list without per_page")
		}
		pp, _ := strconv.Atoi(q.Get("per_page"))
		page, _ := strconv.Atoi(q.Get("page"))
		const total = 25
		var recs []map[string]any
		for i := (page - 1) * pp; i < min(page*pp, total); i++ {
			recs = append(recs, d.notification(i))
		}
		liveJSON(w, map[string]any{"page": page, "per_page": pp, "has_next_page": page*pp < total, "count": total, "page_count": (total + pp - 1) / pp, "records": recs})
	case path == "/notifications/new_notifications_count":
		d.allow(r, nil)
		liveJSON(w, map[string]any{"new_notifications_count": 4, "new_mentions_count": 0, "new_inbox_count": 4})
	case len(seg) == 3 && seg[0] == "spaces" && seg[2] == "posts":
		d.allow(r, map[string]func(string) bool{"page": positive, "per_page": perPage, "post_ids": func(s string) bool { return s != "" }})
		space, _ := strconv.ParseInt(seg[1], 10, 64)
		ids := strings.Split(q.Get("post_ids"), ",")
		if q.Get("per_page") != strconv.Itoa(len(ids)) || q.Get("page") != "1" {
			d.violate(r, "a post_ids batch must ask for page 1 of exactly its ids")
		}
		var recs []map[string]any
		for _, s := range ids {
			id, _ := strconv.ParseInt(s, 10, 64)
			recs = append(recs, map[string]any{
				"id": id, "post_type": "basic", "name": fmt.Sprintf("Post %d", id), "display_title": fmt.Sprintf("Post %d", id),
				"slug": "post-" + s, "body": map[string]any{"html": "<p>x</p>"}, "tiptap_body": nil, "body_plain_text": "x",
				"created_at": "2024-05-01T08:00:00.000Z", "updated_at": "2024-05-01T08:00:00.000Z", "comment_count": 0, "user_likes_count": 0,
				"space":  map[string]any{"id": space, "name": liveDblSpaces[space], "slug": strings.ToLower(liveDblSpaces[space]), "emoji": nil},
				"author": map[string]any{"id": 7_100_001, "community_member_id": liveDblOther, "name": "Ola Nordmann", "headline": "", "avatar_url": nil, "roles": []string{}},
			})
		}
		liveJSON(w, map[string]any{"page": 1, "per_page": len(ids), "has_next_page": false, "count": len(recs), "page_count": 1, "records": recs})
	case path == "/messages":
		if !d.allow(r, map[string]func(string) bool{"page": positive, "per_page": perPage}) || q.Get("per_page") == "" {
			d.violate(r, "a list without per_page")
		}
		liveJSON(w, map[string]any{"page": 1, "per_page": 20, "has_next_page": false, "count": 2, "page_count": 1, "meta": map[string]any{},
			"records": []any{d.chatRoom("6f2b6a7e-6d5b-4a8e-9c51-000006600001", "direct", d.room[len(d.room)-1]), d.chatRoom("6f2b6a7e-6d5b-4a8e-9c51-000006600002", "group_chat", 0)}})
	case len(seg) == 3 && seg[0] == "messages" && seg[2] == "chat_room_messages":
		d.messages(w, r, seg[1])
	default:
		d.violate(r, "an endpoint this double does not serve")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"success":false,"message":"Oops! Missing record. Please try again later.","error_details":{}}`))
	}
}

func (d *liveDouble) chatRoom(uuid, kind string, last int64) map[string]any {
	participant := func(id, member int64, name string) map[string]any {
		return map[string]any{"id": id, "name": name, "last_seen_text": "", "user_public_uid": "abc", "headline": "", "bio": "", "location": "",
			"email": "", "avatar_url": nil, "user_id": member + 1_000_000, "community_member_id": member, "deleted_at": nil, "admin": false,
			"community_admin": false, "moderator": false, "muted": false, "archived": false, "can_send_message": true, "status": "offline"}
	}
	room := map[string]any{"id": 6_600_001, "uuid": uuid, "identifier": kind, "unread_messages_count": 0, "chat_room_kind": kind,
		"chat_room_name": "Ola Nordmann", "chat_room_description": "", "chat_room_show_history": true, "chat_room_participants_count": 2,
		"other_participants_preview": []any{participant(4_400_002, liveDblOther, "Ola Nordmann")},
		"current_participant":        participant(4_400_001, liveDblMe, "Kari Nordmann")}
	if last != 0 {
		room["last_message"] = d.message(uuid, last)
	}
	return room
}

func (d *liveDouble) message(uuid string, id int64) map[string]any {
	sender := liveDblOther
	if id%2 == 0 {
		sender = liveDblMe
	}
	at := liveDblBase.Add(time.Duration(id-liveDblMsg0) * time.Minute).Format("2006-01-02T15:04:05.000Z")
	return map[string]any{"id": id, "parent_message_id": nil, "edited_at": nil, "created_at": at, "chat_room_uuid": uuid,
		"chat_room_participant_id": 4_400_000 + sender%10, "body": fmt.Sprintf("Message %d", id), "bookmark_id": nil, "rich_text_body": nil,
		"sent_at": at, "replies_count": 0, "last_reply_at": nil, "total_thread_participants_count": 0, "thread_participants_preview": []any{},
		"chat_thread_id": nil, "reactions": []any{}, "embedded_chat_message_access": []any{},
		"sender": map[string]any{"id": 4_400_000 + sender%10, "name": "Member " + strconv.FormatInt(sender, 10), "community_member_id": sender, "user_public_uid": "abc", "avatar_url": nil}}
}

// messages answers a window the way this double's Circle counts it: the
// reference message is one of the previous_per_page (the sandbox counts it
// apart), so both readings of Circle's document are exercised.
func (d *liveDouble) messages(w http.ResponseWriter, r *http.Request, uuid string) {
	q := r.URL.Query()
	d.allow(r, map[string]func(string) bool{"id": positive, "previous_per_page": count, "next_per_page": count})
	if q.Get("previous_per_page") == "" || q.Get("next_per_page") == "" {
		d.violate(r, "a window without both counts (Circle's default is 20 each)")
	}
	var ids []int64
	if uuid == "6f2b6a7e-6d5b-4a8e-9c51-000006600001" {
		ids = d.room
	}
	if len(ids) == 0 {
		liveJSON(w, map[string]any{"id": 0, "has_previous_page": false, "has_next_page": false, "first_id": 0, "last_id": 0, "total_count": 0, "records": []any{}})
		return
	}
	at := len(ids) - 1
	if ref := q.Get("id"); ref != "" {
		id, _ := strconv.ParseInt(ref, 10, 64)
		if at = slices.Index(ids, id); at < 0 {
			d.violate(r, "a reference message that is not in the room")
			w.WriteHeader(http.StatusNotFound)
			return
		}
	}
	prev, _ := strconv.Atoi(q.Get("previous_per_page"))
	next, _ := strconv.Atoi(q.Get("next_per_page"))
	from, to := max(at-prev+1, 0), min(at+next, len(ids)-1)
	if prev == 0 {
		from = at
	}
	var recs []any
	for _, id := range ids[from : to+1] {
		recs = append(recs, d.message(uuid, id))
	}
	liveJSON(w, map[string]any{"id": ids[at], "has_previous_page": from > 0, "has_next_page": to < len(ids)-1, "first_id": ids[from], "last_id": ids[to], "total_count": len(ids), "records": recs})
}
