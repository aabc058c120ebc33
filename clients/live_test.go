package clients

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Live updates through the client libraries apps use, against the real
// gateway binary and its sandbox: two members, each with their own token,
// subscribe and act; the Node scripts report every result each
// subscription delivered, and these tests decide from that record.

// member is one sandbox member as the tests use it.
type member struct {
	ID, Name, Token string
}

// livePost is a post one member wrote that the other can see.
type livePost struct {
	ID, Title string
}

// twoMembers is the cast of the live tests: A (the demo member) and B,
// who share a direct chat room and can each see a post of the other's.
type twoMembers struct {
	A, B             member
	Room             string
	PostOfA, PostOfB livePost
}

// castTwoMembers finds B among A's direct rooms, B's token issued by
// createMemberToken with the service key the sandbox announced, and a
// post of each that the other sees in their feed.
func castTwoMembers(t *testing.T, gw *gateway) twoMembers {
	t.Helper()
	var c twoMembers
	c.A = member{Token: gw.Token}
	var me struct {
		Me        struct{ ID, Name string }
		ChatRooms struct {
			Nodes []struct {
				UUID, Kind   string
				Participants []struct{ ID, Name string }
			}
		}
	}
	decode(t, gw.postAs(t, c.A.Token, `{ me { id name } chatRooms(first: 20) { nodes { uuid kind participants { id name } } } }`, nil), &me)
	c.A.ID, c.A.Name = me.Me.ID, me.Me.Name
	for _, r := range me.ChatRooms.Nodes {
		if r.Kind != "DIRECT" || len(r.Participants) != 1 {
			continue
		}
		b := r.Participants[0]
		tokB := gw.memberToken(t, b.ID)
		postOfA, okA := postBy(t, gw, tokB, c.A.ID)
		postOfB, okB := postBy(t, gw, c.A.Token, b.ID)
		if okA && okB {
			c.B = member{ID: b.ID, Name: b.Name, Token: tokB}
			c.Room, c.PostOfA, c.PostOfB = r.UUID, postOfA, postOfB
			return c
		}
	}
	t.Fatalf("no direct room of %s with a member whose posts they see and who sees theirs", c.A.Name)
	return c
}

// postBy is a post by author in the feed of the token's member.
func postBy(t *testing.T, gw *gateway, token, author string) (livePost, bool) {
	t.Helper()
	var feed struct {
		HomeFeed struct {
			Nodes []struct {
				ID, Title string
				Author    struct{ ID string }
			}
		}
	}
	decode(t, gw.postAs(t, token, `{ homeFeed(first: 100) { nodes { id title author { id } } } }`, nil), &feed)
	for _, p := range feed.HomeFeed.Nodes {
		if p.Author.ID == author {
			return livePost{ID: p.ID, Title: p.Title}, true
		}
	}
	return livePost{}, false
}

// memberToken issues an access token for the member through
// createMemberToken, as a trusted backend would.
func (g *gateway) memberToken(t *testing.T, memberID string) string {
	t.Helper()
	var out struct {
		CreateMemberToken struct{ AccessToken, MemberID string }
	}
	decode(t, g.postWith(t, map[string]string{"X-Service-Key": g.ServiceKey}, map[string]any{
		"query":     `mutation($id: MemberIdentityInput!) { createMemberToken(identity: $id) { accessToken memberId } }`,
		"variables": map[string]any{"id": map[string]any{"memberId": memberID}},
	}), &out)
	if out.CreateMemberToken.MemberID != memberID || out.CreateMemberToken.AccessToken == "" {
		t.Fatalf("createMemberToken for %s: %+v", memberID, out)
	}
	return out.CreateMemberToken.AccessToken
}

// postAs runs query as the token's member.
func (g *gateway) postAs(t *testing.T, token, query string, vars map[string]any) graphqlResponse {
	t.Helper()
	return g.postWith(t, map[string]string{"Authorization": "Bearer " + token}, map[string]any{"query": query, "variables": vars})
}

// decode fails t unless r is a result without errors, decoded into v.
func decode(t *testing.T, r graphqlResponse, v any) {
	t.Helper()
	if len(r.Errors) > 0 || r.Status != 200 {
		t.Fatalf("HTTP %d, errors %v: %s", r.Status, r.Errors, r.Data)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("%v: %s", err, r.Data)
	}
}

// subscriptionsReport is what live/subscriptions.mjs prints.
type subscriptionsReport struct {
	OK        bool
	Transport string
	Steps     []string
	Error     string
	Writes    struct {
		CommentOnA, CommentOnB struct {
			Comment    struct{ ID string }
			UserErrors []struct{ Message string }
		}
		Message struct {
			Message    struct{ ID string }
			UserErrors []struct{ Message string }
		}
	}
	Streams map[string]struct {
		Results []struct {
			Data   json.RawMessage
			Errors []struct{ Message string }
		}
		Errors    []string
		Completed bool
	}
}

// notificationEvent is one result of the sample subscription.
type notificationEvent struct {
	NotificationReceived struct {
		Text, ActorName, CreatedAt string
		Post                       *struct{ Title string }
	}
}

// chatEvent is one result of chatMessageReceived.
type chatEvent struct {
	ChatMessageReceived struct {
		ID, ChatRoomUUID, Body string
		Sender                 struct{ ID, Name string }
	}
}

// runSubscriptions runs live/subscriptions.mjs over a transport and checks
// its record: each notification stream delivered exactly the one
// notification of its member (so neither heard the other's), about the
// right post from the right actor; both room streams delivered exactly the
// message B sent.
func runSubscriptions(t *testing.T, transport string) {
	need(t, nodeTools)
	gw := startGateway(t, nil)
	c := castTwoMembers(t, gw)
	out, err := runNodeErr(t, map[string]string{
		"TRANSPORT":                 transport,
		"GATEWAY_URL":               gw.URL,
		"TOKEN_A":                   c.A.Token,
		"TOKEN_B":                   c.B.Token,
		"ROOM_UUID":                 c.Room,
		"POST_OF_A":                 c.PostOfA.ID,
		"POST_OF_B":                 c.PostOfB.ID,
		"NOTIFICATION_SUBSCRIPTION": gw.SampleSubscription,
	}, "node", filepath.Join("live", "subscriptions.mjs"))
	var rep subscriptionsReport
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if jerr := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); jerr != nil {
		t.Fatalf("no JSON report (exit %v):\n%s", err, out)
	}
	if err != nil || !rep.OK || rep.Transport != transport {
		t.Fatalf("the %s client failed (exit %v) after %v: %s\n%s", transport, err, rep.Steps, rep.Error, out)
	}
	for name, w := range map[string][]struct{ Message string }{
		"B's comment": rep.Writes.CommentOnA.UserErrors, "A's comment": rep.Writes.CommentOnB.UserErrors, "B's message": rep.Writes.Message.UserErrors,
	} {
		if len(w) > 0 {
			t.Errorf("%s: user errors %v", name, w)
		}
	}

	for _, tc := range []struct {
		stream        string
		actor, title  string
		commentWriter string
	}{
		{"aNotifications", c.B.Name, c.PostOfA.Title, "B"},
		{"bNotifications", c.A.Name, c.PostOfB.Title, "A"},
	} {
		s := rep.Streams[tc.stream]
		if len(s.Errors) > 0 || s.Completed {
			t.Errorf("%s: errors %v, completed %v", tc.stream, s.Errors, s.Completed)
		}
		if len(s.Results) != 1 {
			t.Errorf("%s delivered %d results, want the one notification of %s's comment: %s", tc.stream, len(s.Results), tc.commentWriter, out)
			continue
		}
		var ev notificationEvent
		if r := s.Results[0]; len(r.Errors) > 0 || json.Unmarshal(r.Data, &ev) != nil {
			t.Errorf("%s: %s %v", tc.stream, r.Data, r.Errors)
			continue
		}
		n := ev.NotificationReceived
		if n.ActorName != tc.actor || !strings.Contains(n.Text, "commented") || n.Post == nil || n.Post.Title != tc.title || n.CreatedAt == "" {
			t.Errorf("%s delivered %+v (post %+v), want %s's comment on %q", tc.stream, n, n.Post, tc.actor, tc.title)
		}
	}
	for _, stream := range []string{"aRoom", "bRoom"} {
		s := rep.Streams[stream]
		if len(s.Errors) > 0 || s.Completed || len(s.Results) != 1 {
			t.Errorf("%s: %d results, errors %v, completed %v; want B's one message", stream, len(s.Results), s.Errors, s.Completed)
			continue
		}
		var ev chatEvent
		if r := s.Results[0]; len(r.Errors) > 0 || json.Unmarshal(r.Data, &ev) != nil {
			t.Errorf("%s: %s %v", stream, r.Data, r.Errors)
			continue
		}
		m := ev.ChatMessageReceived
		if m.ID != rep.Writes.Message.Message.ID || m.ChatRoomUUID != c.Room || m.Sender.ID != c.B.ID || m.Body != "B in the room over "+transport {
			t.Errorf("%s delivered %+v, want message %s from member %s", stream, m, rep.Writes.Message.Message.ID, c.B.ID)
		}
	}
	if want := []string{"4 channels confirmed on the cable", "A notified of B's comment", "B notified of A's comment", "the message reached both room streams"}; !slices.Equal(rep.Steps, want) {
		t.Errorf("steps %v, want %v", rep.Steps, want)
	}
	t.Logf("%s: %v", transport, rep.Steps)
}

// npm's graphql-ws client, one WebSocket per member, the token in
// connection_init.
func TestGraphQLWSClient(t *testing.T) { runSubscriptions(t, "ws") }

// npm's graphql-sse client in distinct connections mode, one SSE request
// per subscription, the token in the Authorization header.
func TestGraphQLSSEClient(t *testing.T) { runSubscriptions(t, "sse") }

// A chat screen on Apollo Client: the room list, a room's newest messages,
// one page back, a message sent whose payload the cache takes in. What the
// cache ends up holding is what the gateway answers afterwards.
func TestApolloChatScreen(t *testing.T) {
	need(t, nodeTools)
	gw := startGateway(t, nil)
	var rooms struct {
		Me        struct{ ID string }
		ChatRooms struct {
			Nodes []struct {
				UUID     string
				Messages struct{ TotalCount int }
			}
		}
	}
	decode(t, gw.postAs(t, gw.Token, `{ me { id } chatRooms(first: 20) { nodes { uuid messages(last: 1) { totalCount } } } }`, nil), &rooms)
	var listed []string
	room, most := "", 0
	for _, r := range rooms.ChatRooms.Nodes {
		listed = append(listed, r.UUID)
		if r.Messages.TotalCount > most {
			room, most = r.UUID, r.Messages.TotalCount
		}
	}
	if most <= 20 {
		t.Fatalf("no room of the demo member has more than two pages of 10 messages: %+v", rooms)
	}

	out := runNode(t, map[string]string{"GATEWAY_URL": gw.URL, "GATEWAY_TOKEN": gw.Token, "ROOM_UUID": room}, "node", filepath.Join("live", "apollo-chat.mjs"))
	summary := lastJSON(t, out)
	mustPass(t, summary, "the room list came from the gateway", "the older page went in front of the first", "the merged messages are oldest first",
		"no message twice", "the payload message is in the cache", "the open screen shows it last", "the cached room query ends with it",
		"the room list shows it as the last message", "the total count went up by one", "nothing was refetched after the send")
	if got := strings.Fields(strings.Trim(fmt.Sprint(summary["rooms"]), "[]")); !slices.Equal(got, listed) {
		t.Errorf("Apollo listed rooms %v, the gateway lists %v", got, listed)
	}

	// The gateway's own view of the room after the send.
	cached, _ := summary["cachedMessages"].([]any)
	var after struct {
		ChatRoom struct {
			Messages struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
			}
		}
		ChatMessage struct {
			Body   string
			Sender struct{ ID string }
		}
	}
	sent, _ := summary["sent"].(map[string]any)
	sentID, _ := sent["id"].(string)
	decode(t, gw.postAs(t, gw.Token, `query($r: ID!, $n: Int!, $m: ID!) {
		chatRoom(uuid: $r) { messages(last: $n) { totalCount edges { node { id } } } }
		chatMessage(chatRoomUuid: $r, id: $m) { body sender { id } } }`,
		map[string]any{"r": room, "n": len(cached), "m": sentID}), &after)
	var want []string
	for _, e := range after.ChatRoom.Messages.Edges {
		want = append(want, e.Node.ID)
	}
	if fmt.Sprint(cached) != fmt.Sprint(want) {
		t.Errorf("Apollo's cache holds messages %v, the gateway answers %v", cached, want)
	}
	if summary["totalCount"] != float64(after.ChatRoom.Messages.TotalCount) || after.ChatRoom.Messages.TotalCount != most+1 {
		t.Errorf("cached totalCount %v, the gateway's %d, before the send %d", summary["totalCount"], after.ChatRoom.Messages.TotalCount, most)
	}
	if after.ChatMessage.Body != "Sent from the Apollo chat screen" || after.ChatMessage.Sender.ID != rooms.Me.ID {
		t.Errorf("the sent message as the gateway has it: %+v", after.ChatMessage)
	}
	t.Logf("Apollo: %v; %d messages in the cache, the last %s", summary["operations"], len(cached), sentID)
}
