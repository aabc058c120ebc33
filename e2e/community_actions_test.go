package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/sandbox"
)

// The small community actions through the gateway: inputs checked before
// any call, Circle's answers mapped, the calls each costs.
func TestReportContent(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	feed := env.Do(t, tok, `{ homeFeed(first: 1) { nodes { id } } }`, nil)
	mustNoErrors(t, feed)
	var f struct {
		HomeFeed struct{ Nodes []struct{ ID string } }
	}
	feed.Decode(t, &f)
	postID := f.HomeFeed.Nodes[0].ID
	q := `mutation($in: ReportContentInput!) { reportContent(input: $in) { message userErrors { field message } } }`
	tests := []struct {
		name  string
		in    map[string]any
		code  string
		want  string
		calls []string
	}{
		{"a post", map[string]any{"contentType": "POST", "contentId": postID, "reason": "SPAM", "details": "Selling things"}, "",
			`{"reportContent":{"message":"Post has been reported to the admin","userErrors":[]}}`, []string{"POST /flagged_contents"}},
		{"details may be left out", map[string]any{"contentType": "POST", "contentId": postID, "reason": "INCORRECT_LOCATION"}, "",
			`{"reportContent":{"message":"Post has been reported to the admin","userErrors":[]}}`, []string{"POST /flagged_contents"}},
		{"OTHER needs details", map[string]any{"contentType": "POST", "contentId": postID, "reason": "OTHER", "details": "  "}, "",
			`{"reportContent":{"message":null,"userErrors":[{"field":["input","details"],"message":"say what is wrong in details when the reason is OTHER"}]}}`, nil},
		{"details of 2001 characters", map[string]any{"contentType": "COMMENT", "contentId": "20001", "reason": "HARASSMENT", "details": strings.Repeat("ö", 2001)}, "",
			`{"reportContent":{"message":null,"userErrors":[{"field":["input","details"],"message":"details must be at most 2000 characters"}]}}`, nil},
		{"an id that is not one", map[string]any{"contentType": "POST", "contentId": "abc", "reason": "SPAM"}, "BAD_USER_INPUT", "", nil},
		{"content the member cannot see", map[string]any{"contentType": "POST", "contentId": "999999", "reason": "SPAM"}, "NOT_FOUND", "", []string{"POST /flagged_contents"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, q, map[string]any{"in": tt.in})
			if tt.code != "" {
				mustCode(t, r, tt.code)
			} else {
				mustNoErrors(t, r)
				assertJSON(t, r.Data, tt.want)
			}
			mustCalls(t, env, tt.calls...)
		})
	}
}

func TestJoinByInvitation(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	// A member outside General, so that the invitation changes something.
	var outsider int64
	for _, id := range env.Sandbox.MemberIDs() {
		r := env.Do(t, env.Token(t, id), `{ space(id: "12") { isMember } }`, nil)
		if strings.Contains(string(r.Data), `"isMember":false`) {
			outsider = id
			break
		}
	}
	if outsider == 0 {
		t.Fatal("every member is in General")
	}
	tok := env.Token(t, outsider)
	q := `mutation($t: String!) { joinByInvitation(token: $t) { joined space { id %s } userErrors { message } } }`

	env.Upstream.Reset()
	r := env.Do(t, tok, fmt.Sprintf(q, ""), map[string]any{"t": sandbox.InvitationToCommunity})
	mustNoErrors(t, r)
	assertJSON(t, r.Data, `{"joinByInvitation":{"joined":true,"space":null,"userErrors":[]}}`)
	mustCalls(t, env, "POST /invitation_links/"+sandbox.InvitationToCommunity+"/join")

	env.Upstream.Reset()
	r = env.Do(t, tok, fmt.Sprintf(q, ""), map[string]any{"t": sandbox.InvitationToGeneral})
	mustNoErrors(t, r)
	assertJSON(t, r.Data, `{"joinByInvitation":{"joined":true,"space":{"id":"12"},"userErrors":[]}}`)
	mustCalls(t, env, "POST /invitation_links/"+sandbox.InvitationToGeneral+"/join")

	env.Upstream.Reset()
	r = env.Do(t, tok, fmt.Sprintf(q, "name isMember"), map[string]any{"t": sandbox.InvitationToGeneral})
	mustNoErrors(t, r)
	assertJSON(t, r.Data, `{"joinByInvitation":{"joined":true,"space":{"id":"12","name":"General","isMember":true},"userErrors":[]}}`)
	mustCalls(t, env, "POST /invitation_links/"+sandbox.InvitationToGeneral+"/join", "GET /spaces")

	for _, bad := range []string{"", "../../spaces/12/join", "a b", strings.Repeat("x", 201)} {
		env.Upstream.Reset()
		mustCode(t, env.Do(t, tok, fmt.Sprintf(q, ""), map[string]any{"t": bad}), "BAD_USER_INPUT")
		mustCalls(t, env)
	}
	mustCode(t, env.Do(t, tok, fmt.Sprintf(q, ""), map[string]any{"t": "no-such-link"}), "NOT_FOUND")
}

func TestCreateLiveRoom(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	q := `mutation($in: CreateLiveRoomInput!) { createLiveRoom(input: $in) {
		room { id name description slug status viewType roomType access recordingEnabled muteOnJoin limitUrlSharing participantsCount isCreator canHost chatRoomUuid createdAt }
		userErrors { field message } } }`
	r := env.Do(t, tok, q, map[string]any{"in": map[string]any{
		"name": " Staff sync ", "description": "Weekly", "slug": "staff-sync", "viewType": "SPEAKER_VIEW", "roomType": "CONFERENCE",
		"access": "SECRET", "recordingEnabled": true, "muteOnJoin": true, "limitUrlSharing": false,
		"invitedMemberIds": []string{fmt.Sprint(env.Sandbox.DemoMemberID())}, "invitedSpaceIds": []string{"17"},
	}})
	mustNoErrors(t, r)
	var out struct {
		CreateLiveRoom struct {
			Room struct {
				ID, Name, Slug, Status, ViewType, RoomType, Access string
				Description, ChatRoomUUID, CreatedAt               *string
				RecordingEnabled, MuteOnJoin, IsCreator            bool
			}
		}
	}
	r.Decode(t, &out)
	room := out.CreateLiveRoom.Room
	if room.ID == "" || room.Name != "Staff sync" || room.Slug != "staff-sync" || room.Status != "backstage" || room.ViewType != "SPEAKER_VIEW" ||
		room.RoomType != "CONFERENCE" || room.Access != "SECRET" || !room.RecordingEnabled || !room.MuteOnJoin || !room.IsCreator ||
		room.Description == nil || room.ChatRoomUUID == nil || room.CreatedAt == nil {
		t.Fatalf("room %+v", room)
	}
	mustCalls(t, env, "POST /live_streams/rooms")

	tests := []struct {
		name  string
		in    map[string]any
		code  string
		field string
	}{
		{"a blank name", map[string]any{"name": "  "}, "", "input.name"},
		{"a name of 256 characters", map[string]any{"name": strings.Repeat("ß", 256)}, "", "input.name"},
		{"a slug with capitals", map[string]any{"name": "x", "slug": "Office-Hours"}, "", "input.slug"},
		{"a long description", map[string]any{"name": "x", "description": strings.Repeat("d", 2001)}, "", "input.description"},
		{"an invited id that is not one", map[string]any{"name": "x", "invitedMemberTagIds": []string{"tag"}}, "BAD_USER_INPUT", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, q, map[string]any{"in": tt.in})
			if tt.code != "" {
				mustCode(t, r, tt.code)
			} else {
				mustNoErrors(t, r)
				ue := userErrors(t, r, "createLiveRoom")
				if len(ue) != 1 || strings.Join(ue[0].Field, ".") != tt.field {
					t.Fatalf("userErrors %+v, want one at %s", ue, tt.field)
				}
			}
			mustCalls(t, env)
		})
	}
}

func TestHomeSpaceAndMarkAsRead(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	r := env.Do(t, tok, `{ homeSpace { id name slug isPrivate isMember posts(first: 2) { nodes { id } } } }`, nil)
	mustNoErrors(t, r)
	var home struct {
		HomeSpace struct {
			ID, Name, Slug string
			IsMember       bool
			Posts          struct{ Nodes []struct{ ID string } }
		}
	}
	r.Decode(t, &home)
	if h := home.HomeSpace; h.ID != "0" || h.Name != "Home" || h.Slug != "home" || !h.IsMember || len(h.Posts.Nodes) != 2 {
		t.Fatalf("homeSpace %+v", h)
	}
	mustCalls(t, env, "GET /spaces/home", "GET /home?page=1&per_page=2")

	q := `mutation($id: ID!) { markSpaceAsRead(spaceId: $id) { space { id name } userErrors { field message } } }`
	env.Upstream.Reset()
	r = env.Do(t, tok, q, map[string]any{"id": "12"})
	mustNoErrors(t, r)
	assertJSON(t, r.Data, `{"markSpaceAsRead":{"space":{"id":"12","name":"General"},"userErrors":[]}}`)
	calls := upstreamCalls(env)
	if len(calls) != 2 || calls[0] != "GET /spaces" || !strings.HasPrefix(calls[1], "POST /space_members/") || !strings.HasSuffix(calls[1], "/mark_as_read") {
		t.Fatalf("calls %v", calls)
	}

	env.Upstream.Reset()
	r = env.Do(t, tok, q, map[string]any{"id": "15"}) // Show and Tell: public, the demo member is not in it
	mustNoErrors(t, r)
	assertJSON(t, r.Data, `{"markSpaceAsRead":{"space":null,"userErrors":[{"field":["spaceId"],"message":"the signed-in member does not belong to this space"}]}}`)
	mustCalls(t, env, "GET /spaces")

	env.Upstream.Reset()
	mustCode(t, env.Do(t, tok, q, map[string]any{"id": "general"}), "BAD_USER_INPUT")
	mustCalls(t, env)
}
