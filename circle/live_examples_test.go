package circle

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// The notification and chat wire types read every example Circle's OpenAPI
// document gives for their endpoints, and read them right: each example's
// key fields must land in the typed fields.

// memberDoc loads Circle's Member API document from ../shared/circle-openapi
// (beside the repository). Without it the test is skipped on a developer
// machine but fails in CI.
func memberDoc(t *testing.T) *openapi3.T {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the package")
		}
		dir = filepath.Dir(dir)
	}
	path := filepath.Join(dir, "..", "shared", "circle-openapi", "headless-member-v1.yaml")
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Circle's OpenAPI document is missing in CI: %v", err)
		}
		t.Skipf("Circle's OpenAPI document is not at %s", path)
	}
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// examples returns the JSON of every example of one response.
func examples(t *testing.T, doc *openapi3.T, method, path, status string) map[string][]byte {
	t.Helper()
	item := doc.Paths.Find("/api/headless/v1" + path)
	if item == nil {
		t.Fatalf("%s is not in the document", path)
	}
	op := item.GetOperation(method)
	if op == nil || op.Responses.Value(status) == nil {
		t.Fatalf("%s %s %s is not in the document", method, path, status)
	}
	out := map[string][]byte{}
	for _, mt := range op.Responses.Value(status).Value.Content {
		for name, ex := range mt.Examples {
			if ex.Value == nil || ex.Value.Value == nil {
				continue
			}
			raw, err := json.Marshal(ex.Value.Value)
			if err != nil {
				t.Fatal(err)
			}
			out[name] = raw
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s %s %s has no example", method, path, status)
	}
	return out
}

func TestLiveWireTypesReadCircleExamples(t *testing.T) {
	t.Parallel()
	doc := memberDoc(t)
	checkNotification := func(t *testing.T, n Notification) {
		t.Helper()
		if n.ID == 0 || n.CreatedAt.IsZero() || n.Action == "" || n.NotifiableType == "" || n.ActorName == "" || n.NotifiableTitle == "" || len(n.NotificationTextStructure) == 0 || n.ActionWebURL == "" || n.Notifiable.ID == 0 || n.Notifiable.SpaceID == 0 {
			t.Errorf("notification %+v", n)
		}
		if _, post, ok := n.PostKey(); !ok || post == 0 {
			t.Errorf("notification %d about a %s names no post", n.ID, n.NotifiableType)
		}
	}
	checkMessage := func(t *testing.T, m ChatMessage) {
		t.Helper()
		if m.ID == 0 || m.ChatRoomUUID == "" || m.Body == "" || m.CreatedAt.IsZero() || m.SentAt.IsZero() || m.Sender.CommunityMemberID == 0 || m.Sender.Name == "" || m.ChatRoomParticipantID == 0 {
			t.Errorf("message %+v", m)
		}
	}
	checkRoom := func(t *testing.T, r ChatRoom) {
		t.Helper()
		if r.ID == 0 || r.UUID == "" || r.ChatRoomKind == "" || r.ChatRoomName == "" || r.ChatRoomParticipantsCount == 0 || len(r.OtherParticipantsPreview) == 0 || r.CurrentParticipant == nil || r.CurrentParticipant.CommunityMemberID == 0 {
			t.Errorf("room %+v", r)
		}
		for _, p := range r.OtherParticipantsPreview {
			if p.ID == 0 || p.CommunityMemberID == 0 || p.Name == "" || p.UserID == 0 {
				t.Errorf("participant %+v", p)
			}
		}
		if r.LastMessage != nil {
			checkMessage(t, *r.LastMessage)
		}
	}
	cases := []struct {
		method, path, status string
		check                func(t *testing.T, raw []byte)
	}{
		{"GET", "/notifications", "200", func(t *testing.T, raw []byte) {
			var p Page[Notification]
			mustDecode(t, raw, &p)
			if p.Count == 0 || len(p.Records) == 0 {
				t.Errorf("page %+v", p)
			}
			for _, n := range p.Records {
				checkNotification(t, n)
			}
		}},
		{"POST", "/notifications/{id}/mark_as_read", "200", func(t *testing.T, raw []byte) {
			var n Notification
			mustDecode(t, raw, &n)
			checkNotification(t, n)
			if n.ReadAt.IsZero() {
				t.Error("read_at not read")
			}
		}},
		{"POST", "/notifications/{id}/archive", "200", func(t *testing.T, raw []byte) {
			var n Notification
			mustDecode(t, raw, &n)
			checkNotification(t, n)
		}},
		{"DELETE", "/notifications/{id}", "200", func(t *testing.T, raw []byte) {
			var n Notification
			mustDecode(t, raw, &n)
			checkNotification(t, n)
		}},
		{"GET", "/notifications/new_notifications_count", "200", func(t *testing.T, raw []byte) {
			var c NotificationCounts
			mustDecode(t, raw, &c)
			if c.NewNotificationsCount != 1 || c.NewInboxCount != 1 {
				t.Errorf("counts %+v", c)
			}
		}},
		{"GET", "/notification_preferences/{medium}", "200", func(t *testing.T, raw []byte) {
			var p NotificationPreferences
			mustDecode(t, raw, &p)
			if len(p.Types) == 0 || p.Types[0].Type != "post_comment" || p.Types[0].Name == "" || len(p.Spaces) == 0 || p.Spaces[0].SpaceID == 0 || p.Spaces[0].Choice == "" {
				t.Errorf("preferences %+v", p)
			}
		}},
		{"GET", "/notification_preferences/space_members/{id}", "200", func(t *testing.T, raw []byte) {
			var p SpaceMemberPreferences
			mustDecode(t, raw, &p)
			if p.InApp != "all" || p.Push != "never" {
				t.Errorf("space member preferences %+v", p)
			}
		}},
		{"GET", "/space_notification_details", "200", func(t *testing.T, raw []byte) {
			var d []SpaceNotificationDetail
			mustDecode(t, raw, &d)
			if len(d) == 0 || d[0].ID == 0 || d[0].UnreadContentCount == 0 {
				t.Errorf("details %+v", d)
			}
		}},
		{"GET", "/messages", "200", func(t *testing.T, raw []byte) {
			var p Page[ChatRoom]
			mustDecode(t, raw, &p)
			if len(p.Records) == 0 {
				t.Error("no rooms")
			}
			for _, r := range p.Records {
				checkRoom(t, r)
			}
		}},
		{"POST", "/messages", "200", func(t *testing.T, raw []byte) {
			var r ChatRoom
			mustDecode(t, raw, &r)
			checkRoom(t, r)
			if r.ChatRoomKind != ChatRoomGroup {
				t.Errorf("kind %q", r.ChatRoomKind)
			}
		}},
		{"GET", "/messages/{uuid}", "200", func(t *testing.T, raw []byte) {
			var r ChatRoom
			mustDecode(t, raw, &r)
			checkRoom(t, r)
			if r.ChatRoomKind != ChatRoomDirect || r.FirstUnreadMessageID == nil || r.UnreadMessagesCount != 2 {
				t.Errorf("room %+v", r)
			}
		}},
		{"PUT", "/messages/{chat_room_uuid}/chat_room_participants/{id}", "200", func(t *testing.T, raw []byte) {
			var r ChatRoom
			mustDecode(t, raw, &r)
			checkRoom(t, r)
			if !r.CurrentParticipant.Archived {
				t.Error("current participant's archived flag not read")
			}
		}},
		{"GET", "/messages/{chat_room_uuid}/chat_room_participants", "200", func(t *testing.T, raw []byte) {
			var p Page[ChatParticipant]
			mustDecode(t, raw, &p)
			if len(p.Records) != 2 || !p.Records[0].CommunityAdmin || p.Records[0].Bio == "" || p.Records[0].Status != "offline" {
				t.Errorf("participants %+v", p)
			}
		}},
		{"GET", "/messages/{chat_room_uuid}/chat_room_messages", "200", func(t *testing.T, raw []byte) {
			var m ChatMessages
			mustDecode(t, raw, &m)
			if m.ID != 15 || m.FirstID != 1 || m.LastID != 15 || m.TotalCount != 15 || len(m.Records) != 15 || m.HasPreviousPage || m.HasNextPage {
				t.Errorf("window id %d first %d last %d total %d records %d", m.ID, m.FirstID, m.LastID, m.TotalCount, len(m.Records))
			}
			for _, r := range m.Records {
				checkMessage(t, r)
				if len(r.RichTextBody) == 0 {
					t.Errorf("message %d has no rich text", r.ID)
				}
			}
		}},
		{"GET", "/messages/{chat_room_uuid}/chat_room_messages/{id}", "200", func(t *testing.T, raw []byte) {
			var m ChatMessage
			mustDecode(t, raw, &m)
			checkMessage(t, m)
		}},
		{"GET", "/messages/unread_chat_rooms", "200", func(t *testing.T, raw []byte) {
			var v struct {
				ChatRooms []string `json:"chat_rooms"`
			}
			mustDecode(t, raw, &v)
			if len(v.ChatRooms) == 0 {
				t.Error("no uuids")
			}
		}},
		{"GET", "/chat_threads", "200", func(t *testing.T, raw []byte) {
			var p Page[ChatThread]
			mustDecode(t, raw, &p)
			if len(p.Records) == 0 {
				t.Error("no threads")
			}
			for _, th := range p.Records {
				checkMessage(t, th.ParentMessage)
				if th.ID == 0 || len(th.Replies) == 0 || th.ChatRoom.Kind == "" || th.ParentMessage.RepliesCount == 0 || len(th.ParentMessage.ThreadParticipantsPreview) == 0 {
					t.Errorf("thread %+v", th)
				}
				for _, r := range th.Replies {
					checkMessage(t, r)
					if r.ParentMessageID == nil || *r.ParentMessageID != th.ParentMessage.ID {
						t.Errorf("reply %d answers %v, want %d", r.ID, r.ParentMessageID, th.ParentMessage.ID)
					}
				}
			}
		}},
		{"GET", "/chat_threads/{id}", "200", func(t *testing.T, raw []byte) {
			var th ChatThread
			mustDecode(t, raw, &th)
			checkMessage(t, th.ParentMessage)
			if th.ID == 0 || len(th.Replies) == 0 {
				t.Errorf("thread %+v", th)
			}
		}},
		{"GET", "/chat_threads/unread_chat_threads", "200", func(t *testing.T, raw []byte) {
			var v struct {
				ChatThreadIDs []int64 `json:"chat_thread_ids"`
			}
			mustDecode(t, raw, &v)
			if len(v.ChatThreadIDs) != 2 {
				t.Errorf("ids %v", v.ChatThreadIDs)
			}
		}},
		{"POST", "/reactions", "200", func(t *testing.T, raw []byte) {
			var v struct {
				Reaction Reaction `json:"reaction"`
			}
			mustDecode(t, raw, &v)
			if v.Reaction.ReactionableID == 0 || v.Reaction.Emoji == "" || v.Reaction.CommunityMemberID == 0 {
				t.Errorf("reaction %+v", v.Reaction)
			}
		}},
	}
	for _, tc := range cases {
		for name, raw := range examples(t, doc, tc.method, tc.path, tc.status) {
			t.Run(tc.method+" "+tc.path+" "+name, func(t *testing.T) { tc.check(t, raw) })
		}
	}
}

func mustDecode(t *testing.T, raw []byte, out any) {
	t.Helper()
	// The client decodes with goccy/go-json (decode), writes' answers with
	// encoding/json: both must read Circle's examples.
	if err := decode(raw, out); err != nil {
		t.Fatalf("decode: %v\n%.500s", err, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("encoding/json: %v\n%.500s", err, raw)
	}
}
