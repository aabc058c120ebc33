// Package e2e tests the whole gateway over HTTP: GraphQL in, a recording
// Circle upstream (the embedded sandbox, or a hand-made double) behind it.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
)

// truth reads the sandbox directly as a member, bypassing the gateway, to
// learn what the gateway should answer. Its calls are not recorded.
func truth(t *testing.T, env *testenv.Env, token string) *circle.MemberAPI {
	t.Helper()
	c, err := circle.New(env.SandboxURL(t))
	if err != nil {
		t.Fatal(err)
	}
	return c.Member(token)
}

func mustNoErrors(t *testing.T, r testenv.Response) {
	t.Helper()
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("status %d errors %+v", r.Status, r.Errors)
	}
}

// mustOnlyCode fails unless r has errors and every one has code.
func mustOnlyCode(t testing.TB, r testenv.Response, code string) {
	t.Helper()
	if len(r.Errors) == 0 {
		t.Fatalf("no error, data %s; want %s", r.Data, code)
	}
	for _, e := range r.Errors {
		if e.Code() != code {
			t.Fatalf("error %q has code %s, want %s (all errors: %+v)", e.Message, e.Code(), code, r.Errors)
		}
	}
}

func TestMe(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	r := env.Do(t, tok, `{ me { id name headline avatarUrl bio postsCount commentsCount isAdmin } }`, nil)
	mustNoErrors(t, r)
	var got struct {
		Me struct {
			ID, Name   string
			Bio        *string
			PostsCount *int
		}
	}
	r.Decode(t, &got)
	me, err := truth(t, env, tok).Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.Me.ID != fmt.Sprint(env.Sandbox.DemoMemberID()) || got.Me.ID != fmt.Sprint(me.ID) || got.Me.Name != me.Name || got.Me.PostsCount == nil || *got.Me.PostsCount != me.PostsCount {
		t.Fatalf("me = %+v, sandbox says %+v", got.Me, me)
	}
	calls := env.Upstream.Calls()
	if len(calls) != 1 || calls[0].Path != "/community_member" {
		t.Fatalf("calls = %+v, want only GET /community_member (all fields are in it)", calls)
	}
	if calls[0].Authorization != "Bearer "+tok {
		t.Fatal("the member token was not forwarded unchanged")
	}
}

func TestSpaces(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	r := env.Do(t, tok, `{ spaces { id name slug emoji url isPrivate isMember } }`, nil)
	mustNoErrors(t, r)
	var got struct {
		Spaces []struct {
			ID, Name, Slug      string
			URL                 *string
			IsPrivate, IsMember bool
		}
	}
	r.Decode(t, &got)
	want, err := truth(t, env, tok).Spaces(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Spaces) != len(want) || len(want) == 0 {
		t.Fatalf("got %d spaces, want %d", len(got.Spaces), len(want))
	}
	for i, s := range want {
		g := got.Spaces[i]
		if g.ID != fmt.Sprint(s.ID) || g.Name != s.Name || g.Slug != s.Slug || g.IsPrivate != s.IsPrivate || g.IsMember != s.IsMember {
			t.Errorf("space %d: got %+v, want %+v", i, g, s)
		}
	}
	if n := len(env.Upstream.Calls()); n != 1 {
		t.Fatalf("calls = %d, want 1", n)
	}
}

func TestSpaceByIDAndSlug(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	spaces, err := truth(t, env, tok).Spaces(context.Background())
	if err != nil || len(spaces) < 2 {
		t.Fatal(spaces, err)
	}
	s := spaces[1]
	tests := []struct {
		name     string
		query    string
		vars     map[string]any
		wantName string
		wantCode string
		calls    int
	}{
		{"by id", `query($id: ID) { space(id: $id) { name isPrivate } }`, map[string]any{"id": fmt.Sprint(s.ID)}, s.Name, "", 1},
		{"by slug", `query($slug: String) { space(slug: $slug) { name isMember } }`, map[string]any{"slug": s.Slug}, s.Name, "", 1},
		{"unknown id", `{ space(id: "999999") { name } }`, nil, "", "NOT_FOUND", 2},
		{"unknown slug", `{ space(slug: "no-such-space") { name } }`, nil, "", "NOT_FOUND", 1},
		{"both", `{ space(id: "11", slug: "x") { name } }`, nil, "", "BAD_USER_INPUT", 0},
		{"neither", `{ space { name } }`, nil, "", "BAD_USER_INPUT", 0},
		{"bad id", `{ space(id: "eleven") { name } }`, nil, "", "BAD_USER_INPUT", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, tt.query, tt.vars)
			var got struct{ Space *struct{ Name string } }
			r.Decode(t, &got)
			if tt.wantCode != "" {
				if got.Space != nil || len(r.Errors) != 1 || r.Errors[0].Code() != tt.wantCode {
					t.Fatalf("got %+v errors %+v, want null and %s", got.Space, r.Errors, tt.wantCode)
				}
			} else {
				mustNoErrors(t, r)
				if got.Space == nil || got.Space.Name != tt.wantName {
					t.Fatalf("got %+v", got.Space)
				}
			}
			if n := len(env.Upstream.Calls()); n != tt.calls {
				t.Fatalf("calls = %d, want %d: %+v", n, tt.calls, env.Upstream.Calls())
			}
		})
	}
}

func TestPostAndNestedFields(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	feed, err := truth(t, env, tok).Home(context.Background(), circle.ListParams{Page: 1, PerPage: 50})
	if err != nil {
		t.Fatal(err)
	}
	var p circle.Post
	for _, c := range feed.Records {
		if c.CommentCount > 0 && c.UserLikesCount > 0 {
			p = c
			break
		}
	}
	if p.ID == 0 {
		t.Fatal("the sandbox feed has no post with comments and likes")
	}
	q := `query($s: ID!, $id: ID!) { post(spaceId: $s, id: $id) {
		id type title slug url bodyHtml bodyText tiptapBody isPinned isLiked likesCount commentsCount createdAt updatedAt event { startsAt }
		space { id name slug emoji url isPrivate isMember }
		author { id name headline avatarUrl isAdmin bio postsCount commentsCount }
		comments(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { id bodyText createdAt likesCount isLiked repliesCount
			author { id name } post { id } parent { id }
			replies(first: 5) { totalCount nodes { id bodyText parent { id } author { id name } } } } }
		likes(first: 3) { totalCount nodes { id name } }
	} }`
	r := env.Do(t, tok, q, map[string]any{"s": fmt.Sprint(p.Space.ID), "id": fmt.Sprint(p.ID)})
	mustNoErrors(t, r)
	var got struct {
		Post struct {
			ID, Type, Slug string
			Title          *string
			IsLiked        bool
			LikesCount     int
			CommentsCount  int
			Event          any
			Space          struct{ ID, Name string }
			Author         struct {
				ID, Name string
				Bio      *string
			}
			Comments struct {
				TotalCount int
				Nodes      []struct {
					ID      string
					Author  struct{ ID string }
					Post    struct{ ID string }
					Parent  *struct{ ID string }
					Replies struct {
						TotalCount int
						Nodes      []struct {
							ID     string
							Parent *struct{ ID string }
						}
					}
				}
			}
			Likes struct {
				TotalCount int
				Nodes      []struct{ ID, Name string }
			}
		}
	}
	r.Decode(t, &got)
	gp := got.Post
	if gp.ID != fmt.Sprint(p.ID) || gp.IsLiked != p.IsLiked || gp.LikesCount != p.UserLikesCount || gp.CommentsCount != p.CommentCount || gp.Event != nil {
		t.Errorf("post = %+v, sandbox %+v", gp, p)
	}
	if gp.Author.ID != fmt.Sprint(p.Author.CommunityMemberID) || gp.Author.ID == fmt.Sprint(p.Author.ID) {
		t.Errorf("author id %s: want the community member id %d, not the user id %d", gp.Author.ID, p.Author.CommunityMemberID, p.Author.ID)
	}
	if gp.Space.ID != fmt.Sprint(p.Space.ID) || gp.Space.Name != p.Space.Name {
		t.Errorf("space = %+v", gp.Space)
	}
	if gp.Comments.TotalCount == 0 || len(gp.Comments.Nodes) == 0 {
		t.Fatalf("comments = %+v", gp.Comments)
	}
	for _, c := range gp.Comments.Nodes {
		if c.Post.ID != gp.ID || c.Parent != nil {
			t.Errorf("top-level comment %s: post %s parent %v", c.ID, c.Post.ID, c.Parent)
		}
		for _, rep := range c.Replies.Nodes {
			if rep.Parent == nil || rep.Parent.ID != c.ID {
				t.Errorf("reply %s: parent %v, want %s", rep.ID, rep.Parent, c.ID)
			}
		}
	}
	if gp.Likes.TotalCount != p.UserLikesCount || len(gp.Likes.Nodes) == 0 {
		t.Errorf("likes = %+v", gp.Likes)
	}
	// No GET may be repeated within one operation.
	seen := map[string]bool{}
	for _, c := range env.Upstream.Calls() {
		if seen[c.Target()] {
			t.Errorf("GET %s made twice in one operation", c.Target())
		}
		seen[c.Target()] = true
	}
}

func TestPostNotFound(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	r := env.Do(t, env.DemoToken(t), `{ a: post(spaceId: "12", id: "999999") { id } b: post(spaceId: "x", id: "1") { id } }`, nil)
	var got struct{ A, B *struct{ ID string } }
	r.Decode(t, &got)
	if got.A != nil || got.B != nil {
		t.Fatalf("got %+v", got)
	}
	codes := r.Codes()
	slices.Sort(codes)
	if !slices.Equal(codes, []string{"BAD_USER_INPUT", "NOT_FOUND"}) {
		t.Fatalf("codes = %v", codes)
	}
}

func TestPostsBatchedPerSpaceThroughAliases(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	feed, err := truth(t, env, tok).Home(context.Background(), circle.ListParams{Page: 1, PerPage: 60})
	if err != nil {
		t.Fatal(err)
	}
	bySpace := map[int64][]int64{}
	var fields []string
	for _, p := range feed.Records {
		if len(bySpace[p.Space.ID]) < 2 {
			bySpace[p.Space.ID] = append(bySpace[p.Space.ID], p.ID)
			fields = append(fields, fmt.Sprintf(`p%d: post(spaceId: "%d", id: "%d") { id title }`, p.ID, p.Space.ID, p.ID))
		}
	}
	if len(bySpace) < 2 {
		t.Fatal("need posts from two spaces")
	}
	r := env.Do(t, tok, "{ "+strings.Join(fields, "\n")+" }", nil)
	mustNoErrors(t, r)
	calls := env.Upstream.Calls()
	if len(calls) != len(bySpace) {
		t.Fatalf("%d posts in %d spaces cost %d calls, want one per space: %+v", len(fields), len(bySpace), len(calls), calls)
	}
	for _, c := range calls {
		if !strings.Contains(c.Query, "post_ids=") || !strings.Contains(c.Query, "per_page=") {
			t.Errorf("call %s lacks post_ids or per_page", c.Target())
		}
	}
}

func TestEventsWithAttendees(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	q := `query($past: Boolean) { events(first: 10, pastEvents: $past) { totalCount nodes { id type title
		event { startsAt endsAt locationType inPersonLocation virtualLocationUrl rsvpCount rsvpLimit rsvpStatus
			attendees(first: 5) { totalCount nodes { rsvpStatus rsvpAt member { id name avatarUrl headline } } } } } } }`
	for _, past := range []bool{false, true} {
		t.Run(fmt.Sprint("past=", past), func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, q, map[string]any{"past": past})
			mustNoErrors(t, r)
			var got struct {
				Events struct {
					TotalCount int
					Nodes      []struct {
						Type  string
						Event *struct {
							StartsAt  time.Time
							RsvpCount int
							Attendees struct {
								TotalCount int
								Nodes      []struct {
									RsvpStatus *string
									Member     struct{ ID, Name string }
								}
							}
						}
					}
				}
			}
			r.Decode(t, &got)
			if len(got.Events.Nodes) == 0 {
				t.Fatal("no events")
			}
			var prev time.Time
			for i, n := range got.Events.Nodes {
				if n.Type != "EVENT" || n.Event == nil {
					t.Fatalf("node %d: %+v", i, n)
				}
				if upcoming := n.Event.StartsAt.After(time.Now().Add(-24 * time.Hour)); !past && !upcoming {
					t.Errorf("upcoming list holds an event of %v", n.Event.StartsAt)
				}
				if !past && i > 0 && n.Event.StartsAt.Before(prev) {
					t.Errorf("upcoming events not soonest first: %v after %v", n.Event.StartsAt, prev)
				}
				prev = n.Event.StartsAt
				if n.Event.Attendees.TotalCount < n.Event.RsvpCount {
					t.Errorf("%d attendees but rsvpCount %d", n.Event.Attendees.TotalCount, n.Event.RsvpCount)
				}
				for _, a := range n.Event.Attendees.Nodes {
					if a.Member.ID == "" || a.Member.Name == "" || a.RsvpStatus == nil {
						t.Errorf("attendee %+v", a)
					}
				}
			}
			for _, c := range env.Upstream.Calls() {
				if c.Path == "/community_events" && !strings.Contains(c.Query, fmt.Sprint("past_events=", past)) {
					t.Errorf("events call %s lacks past_events=%v", c.Target(), past)
				}
			}
		})
	}
}

func TestMemberAndMembers(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	ids := env.Sandbox.MemberIDs()
	target := ids[3]
	profile, err := truth(t, env, tok).PublicProfile(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	r := env.Do(t, tok, `query($id: ID!) { member(id: $id) { id name bio postsCount commentsCount isAdmin
		posts(first: 2) { totalCount nodes { author { id } } } comments(first: 2) { totalCount nodes { author { id } } } } }`, map[string]any{"id": fmt.Sprint(target)})
	mustNoErrors(t, r)
	var got struct {
		Member struct {
			ID, Name   string
			Bio        *string
			PostsCount *int
			Posts      struct {
				TotalCount int
				Nodes      []struct{ Author struct{ ID string } }
			}
			Comments struct {
				Nodes []struct{ Author struct{ ID string } }
			}
		}
	}
	r.Decode(t, &got)
	if got.Member.Name != profile.Name || got.Member.PostsCount == nil || *got.Member.PostsCount != profile.PostsCount {
		t.Fatalf("member = %+v, profile %+v", got.Member, profile)
	}
	for _, p := range got.Member.Posts.Nodes {
		if p.Author.ID != fmt.Sprint(target) {
			t.Errorf("member %d's posts include one by %s", target, p.Author.ID)
		}
	}
	for _, c := range got.Member.Comments.Nodes {
		if c.Author.ID != fmt.Sprint(target) {
			t.Errorf("member %d's comments include one by %s", target, c.Author.ID)
		}
	}

	t.Run("unknown member", func(t *testing.T) {
		r := env.Do(t, tok, `{ member(id: "424242") { name } }`, nil)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" || string(r.Data) != `{"member":null}` {
			t.Fatalf("data %s errors %+v", r.Data, r.Errors)
		}
	})

	t.Run("directory, search and space", func(t *testing.T) {
		first := strings.Fields(profile.Name)[0]
		r := env.Do(t, tok, `query($s: String) { all: members(first: 5) { totalCount nodes { id name headline } }
			found: members(search: $s) { nodes { name } }
			inSpace: members(spaceId: "12", first: 3) { totalCount } }`, map[string]any{"s": first})
		mustNoErrors(t, r)
		var got struct {
			All struct {
				TotalCount int
				Nodes      []struct{ ID, Name string }
			}
			Found   struct{ Nodes []struct{ Name string } }
			InSpace struct{ TotalCount int }
		}
		r.Decode(t, &got)
		if got.All.TotalCount != len(ids) || len(got.All.Nodes) != 5 {
			t.Errorf("all = %+v, want %d members", got.All, len(ids))
		}
		if len(got.Found.Nodes) == 0 || len(got.Found.Nodes) >= len(ids) {
			t.Errorf("search %q found %d", first, len(got.Found.Nodes))
		}
		for _, n := range got.Found.Nodes {
			if !strings.Contains(strings.ToLower(n.Name), strings.ToLower(first)) {
				t.Errorf("search %q found %q", first, n.Name)
			}
		}
		if got.InSpace.TotalCount == 0 || got.InSpace.TotalCount >= len(ids)+1 {
			t.Errorf("space members = %d", got.InSpace.TotalCount)
		}
		for _, c := range env.Upstream.Calls() {
			if c.Path == "/community_members" && strings.Contains(c.Query, "search_text") && !strings.Contains(c.Query, "search_text="+first) {
				t.Errorf("search sent as %s", c.Query)
			}
		}
	})
}

// Every member field is answered from embedded data when it can be; only
// profile-only fields cost a fetch, one per distinct member.
func TestEmbeddedFirst(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	tests := []struct {
		name      string
		query     string
		wantPaths func(calls []testenv.Call) bool
	}{
		{"author and space from the post", `{ homeFeed(first: 10) { nodes { author { id name headline avatarUrl isAdmin } space { id name slug emoji } } } }`,
			func(c []testenv.Call) bool { return len(c) == 1 && c[0].Path == "/home" }},
		{"space url needs GET /spaces once", `{ homeFeed(first: 10) { nodes { space { url isPrivate isMember } } } }`,
			func(c []testenv.Call) bool { return len(c) == 2 && c[1].Path == "/spaces" }},
		{"bio needs one profile per distinct author", `{ homeFeed(first: 10) { nodes { author { bio } } } }`,
			func(c []testenv.Call) bool {
				for _, x := range c[1:] {
					if !strings.HasSuffix(x.Path, "/public_profile") {
						return false
					}
				}
				return c[0].Path == "/home"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			mustNoErrors(t, env.Do(t, tok, tt.query, nil))
			calls := env.Upstream.Calls()
			slices.SortFunc(calls, func(a, b testenv.Call) int { return a.Start.Compare(b.Start) })
			if !tt.wantPaths(calls) {
				t.Fatalf("calls: %+v", calls)
			}
		})
	}
}

// The member JWT rules (docs/contract.md §3): no call for a missing, malformed or
// expired token, on every query field.
func TestTokenRules(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	expired, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"community_member_id": 101, "exp": time.Now().Add(-time.Minute).Unix()}).SignedString([]byte("k"))
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"community_member_id": 101}).SignedString([]byte("k"))
	fields := []string{
		`{ me { id } }`, `{ spaces { id } }`, `{ space(id: "11") { id } }`, `{ post(spaceId: "11", id: "1001") { id } }`,
		`{ homeFeed { nodes { id } } }`, `{ events { nodes { id } } }`, `{ member(id: "101") { id } }`, `{ members { nodes { id } } }`,
	}
	headers := map[string]string{
		"missing":    "",
		"not bearer": "Basic YTpi",
		"malformed":  "Bearer abc.def",
		"expired":    "Bearer " + expired,
		"no exp":     "Bearer " + noExp,
		"huge":       "Bearer " + strings.Repeat("x.", 20000),
	}
	for name, h := range headers {
		for _, q := range fields {
			t.Run(name+" "+q, func(t *testing.T) {
				hdr := http.Header{}
				if h != "" {
					hdr.Set("Authorization", h)
				}
				r := env.DoWith(t, hdr, q, nil)
				if len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
					t.Fatalf("errors %+v", r.Errors)
				}
				if strings.Contains(r.Errors[0].Message, "eyJ") {
					t.Fatalf("message echoes the token: %s", r.Errors[0].Message)
				}
			})
		}
	}
	if n := len(env.Upstream.Calls()); n != 0 {
		t.Fatalf("%d upstream calls for unauthenticated requests", n)
	}
}

// A token Circle rejects (revoked, or signed by someone else) surfaces as
// UNAUTHENTICATED with Circle's message.
func TestUpstreamRejectsToken(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	forged, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"community_member_id": 101, "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte("not the sandbox key"))
	r := env.Do(t, forged, `{ me { id } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" || r.Errors[0].Message == "" {
		t.Fatalf("errors %+v", r.Errors)
	}
}

// Two members reading the same objects at the same time each see their own
// isLiked and rsvpStatus: nothing member-specific crosses operations.
func TestMembersIsolated(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	ids := env.Sandbox.MemberIDs()
	members := []int64{env.Sandbox.DemoMemberID()}
	for _, id := range ids {
		if id != members[0] && len(members) < 4 {
			members = append(members, id)
		}
	}
	q := `{ homeFeed(first: 40) { nodes { id isLiked likesCount } } events(first: 20) { nodes { id event { rsvpStatus } } } }`
	type view struct {
		HomeFeed struct {
			Nodes []struct {
				ID      string
				IsLiked bool
			}
		}
		Events struct {
			Nodes []struct {
				ID    string
				Event struct{ RsvpStatus *string }
			}
		}
	}
	// What each member should see, read straight from the sandbox.
	wantLiked := map[int64]map[string]bool{}
	wantRsvp := map[int64]map[string]string{}
	tokens := map[int64]string{}
	for _, m := range members {
		tokens[m] = env.Token(t, m)
		api := truth(t, env, tokens[m])
		feed, err := api.Home(context.Background(), circle.ListParams{Page: 1, PerPage: 40})
		if err != nil {
			t.Fatal(err)
		}
		wantLiked[m] = map[string]bool{}
		for _, p := range feed.Records {
			wantLiked[m][fmt.Sprint(p.ID)] = p.IsLiked
		}
		events, err := api.Events(context.Background(), circle.ListParams{Page: 1, PerPage: 20, PastEvents: new(bool)})
		if err != nil {
			t.Fatal(err)
		}
		wantRsvp[m] = map[string]string{}
		for _, e := range events.Records {
			if e.RsvpStatus != nil {
				wantRsvp[m][fmt.Sprint(e.ID)] = strings.ToUpper(*e.RsvpStatus)
			}
		}
	}
	differ := false
	for k, v := range wantLiked[members[0]] {
		if wantLiked[members[1]][k] != v {
			differ = true
		}
	}
	if !differ {
		t.Fatal("the sandbox gives the first two members the same likes: the test would prove nothing")
	}

	var wg sync.WaitGroup
	for round := 0; round < 5; round++ {
		for _, m := range members {
			wg.Go(func() {
				r := env.Do(t, tokens[m], q, nil)
				if len(r.Errors) > 0 {
					t.Errorf("member %d: %+v", m, r.Errors)
					return
				}
				var v view
				if err := json.Unmarshal(r.Data, &v); err != nil {
					t.Error(err)
					return
				}
				for _, p := range v.HomeFeed.Nodes {
					if p.IsLiked != wantLiked[m][p.ID] {
						t.Errorf("member %d post %s: isLiked %v, want %v", m, p.ID, p.IsLiked, wantLiked[m][p.ID])
					}
				}
				for _, e := range v.Events.Nodes {
					got := ""
					if e.Event.RsvpStatus != nil {
						got = *e.Event.RsvpStatus
					}
					if got != wantRsvp[m][e.ID] {
						t.Errorf("member %d event %s: rsvpStatus %q, want %q", m, e.ID, got, wantRsvp[m][e.ID])
					}
				}
			})
		}
	}
	wg.Wait()
	// Each upstream call carried the token of the member whose operation made it.
	known := map[string]bool{}
	for _, tok := range tokens {
		known["Bearer "+tok] = true
	}
	for _, c := range env.Upstream.Calls() {
		if !known[c.Authorization] {
			t.Fatalf("call %s carried an unexpected token", c.Target())
		}
	}
}

func TestPaginationArguments(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	for _, q := range []string{
		`{ homeFeed(first: 101) { nodes { id } } }`,
		`{ homeFeed(first: -1) { nodes { id } } }`,
		`{ homeFeed(after: "garbage") { nodes { id } } }`,
		`{ members(after: "bzE6LTE") { nodes { id } } }`,
		// Nested connections too: the outer list is not fetched for an
		// operation that cannot run.
		`{ homeFeed(first: 3) { nodes { comments(first: 101) { totalCount } } } }`,
		`query($n: Int) { spaces { posts(first: $n) { totalCount } } }`,
		`{ homeFeed(first: 3) { nodes { ...C } } } fragment C on Post { likes(after: "garbage") { totalCount } }`,
	} {
		r := env.Do(t, tok, q, map[string]any{"n": -5})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Errorf("%s: errors %+v", q, r.Errors)
		}
		if n := len(env.Upstream.Calls()); n != 0 {
			t.Errorf("%s: bad arguments cost %d upstream calls", q, n)
		}
	}
}

// Walking the feed with the same first visits every post once, at one
// upstream call per page, and totalCount is Circle's count.
func TestWalkFeed(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	q := `query($after: String) { homeFeed(first: 7, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`
	var after any
	seen := map[string]bool{}
	pages, total := 0, -1
	for {
		r := env.Do(t, tok, q, map[string]any{"after": after})
		mustNoErrors(t, r)
		var got struct {
			HomeFeed struct {
				TotalCount int
				Edges      []struct {
					Cursor string
					Node   struct{ ID string }
				}
				PageInfo struct {
					HasNextPage, HasPreviousPage bool
					StartCursor, EndCursor       *string
				}
			}
		}
		r.Decode(t, &got)
		f := got.HomeFeed
		pages++
		total = f.TotalCount
		if f.PageInfo.HasPreviousPage != (pages > 1) {
			t.Errorf("page %d: hasPreviousPage %v", pages, f.PageInfo.HasPreviousPage)
		}
		for _, e := range f.Edges {
			if seen[e.Node.ID] {
				t.Fatalf("post %s seen twice", e.Node.ID)
			}
			seen[e.Node.ID] = true
		}
		if !f.PageInfo.HasNextPage {
			break
		}
		if *f.PageInfo.EndCursor != f.Edges[len(f.Edges)-1].Cursor {
			t.Fatal("endCursor is not the last edge's cursor")
		}
		after = *f.PageInfo.EndCursor
		if pages > 100 {
			t.Fatal("walk does not end")
		}
	}
	if len(seen) != total || total < 8 {
		t.Fatalf("walked %d posts, totalCount %d", len(seen), total)
	}
	if calls := env.Upstream.Calls(); len(calls) != pages {
		t.Fatalf("%d pages cost %d calls", pages, len(calls))
	}
	for _, c := range env.Upstream.Calls() {
		if !strings.Contains(c.Query, "per_page=7") {
			t.Errorf("page call %s does not ask for per_page=7", c.Target())
		}
	}
}
