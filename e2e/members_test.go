package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/internal/testjwt"
)

// Members against Circle's own documented answers: the double below serves,
// for each endpoint, the success example of Circle's Member API document,
// so that every member field is read from JSON Circle wrote, not from JSON
// the sandbox or the client's types wrote.

var (
	memberDocOnce sync.Once
	memberDoc     *openapi3.T
	memberDocErr  error
)

// memberAPIDoc loads Circle's Member API document once per test binary.
// Without it the test skips on a developer's machine and fails in CI.
func memberAPIDoc(t *testing.T) *openapi3.T {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "circle-openapi", "headless-member-v1.yaml")
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Circle's Member API document is missing in CI: %v", err)
		}
		t.Skipf("Circle's Member API document is not at %s: %v", path, err)
	}
	memberDocOnce.Do(func() { memberDoc, memberDocErr = openapi3.NewLoader().LoadFromFile(path) })
	if memberDocErr != nil {
		t.Fatal(memberDocErr)
	}
	return memberDoc
}

// docExample is the JSON of the first example of the 2xx answer of
// method on path (a template under /api/headless/v1) in Circle's document.
func docExample(t *testing.T, method, path string) []byte {
	t.Helper()
	item := memberAPIDoc(t).Paths.Find("/api/headless/v1" + path)
	if item == nil || item.GetOperation(method) == nil {
		t.Fatalf("%s %s is not in Circle's document", method, path)
	}
	for code, resp := range item.GetOperation(method).Responses.Map() {
		if !strings.HasPrefix(code, "2") || resp.Value == nil {
			continue
		}
		for _, mt := range resp.Value.Content {
			for _, ex := range mt.Examples {
				if ex.Value != nil && ex.Value.Value != nil {
					raw, err := json.Marshal(ex.Value.Value)
					if err != nil {
						t.Fatal(err)
					}
					return raw
				}
			}
		}
	}
	t.Fatalf("%s %s has no success example", method, path)
	return nil
}

// exampleDouble answers each "METHOD /path" (path without the API prefix
// and query) with a fixed body, and anything else with Circle's 404.
type exampleDouble map[string][]byte

func (d exampleDouble) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := d[r.Method+" "+strings.TrimPrefix(r.URL.Path, "/api/headless/v1")]
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"success":false,"message":"Oops! Missing record. Please try again later.","error_details":{}}`))
		return
	}
	_, _ = w.Write(body)
}

// upstreamCalls lists the recorded calls as "METHOD target".
func upstreamCalls(env *testenv.Env) []string {
	var out []string
	for _, c := range env.Upstream.Calls() {
		out = append(out, c.Method+" "+c.Target())
	}
	return out
}

func mustCalls(t *testing.T, env *testenv.Env, want ...string) {
	t.Helper()
	got := upstreamCalls(env)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("upstream calls:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// The profile fields a member screen needs, from Circle's documented public
// profile, in one call; the email Circle sends there is never shown.
func TestMemberProfileFieldsFromCircleExamples(t *testing.T) {
	t.Parallel()
	double := exampleDouble{
		"GET /community_members/2/public_profile": docExample(t, http.MethodGet, "/community_members/{community_member_id}/public_profile"),
		"GET /community_member":                   docExample(t, http.MethodGet, "/community_member"),
		"GET /community_members":                  docExample(t, http.MethodGet, "/community_members"),
	}
	tok := testjwt.Member(t, 1)
	tests := []struct {
		name  string
		query string
		want  string // JSON of data
		calls []string
	}{
		{
			"public profile",
			`{ member(id: "2") { id name isAdmin isModerator largeAvatarUrl spacesCount messagingEnabled canReceiveDirectMessage email
				profileInfo { location website twitterUrl facebookUrl instagramUrl linkedinUrl }
				tags { id name color textColor emoji customEmojiUrl customEmojiDarkUrl displayFormat displayLocations isPublic isBackgroundEnabled } } }`,
			`{"member":{"id":"2","name":"Elmer Windler","isAdmin":true,"isModerator":false,
				"largeAvatarUrl":"https://www.gravatar.com/avatar/3e460b479e2e5b48aec07710c08d50","spacesCount":4,
				"messagingEnabled":true,"canReceiveDirectMessage":true,"email":null,
				"profileInfo":{"location":"New York, NY","website":"http://www.example.com","twitterUrl":"https://twitter.com/username",
					"facebookUrl":"https://www.facebook.com/username","instagramUrl":"https://www.instagram.com/username","linkedinUrl":"https://www.linkedin.com/in/username"},
				"tags":[{"id":"1","name":"Great","color":"#FF0000","textColor":"#FFFFFF","emoji":"👍","customEmojiUrl":"https://example.com/emoji.png",
					"customEmojiDarkUrl":"https://example.com/emoji-dark.png","displayFormat":"tag","displayLocations":["profile"],"isPublic":true,"isBackgroundEnabled":true}]}}`,
			[]string{"GET /community_members/2/public_profile"},
		},
		{
			"the signed-in member, email included, blank profile info as null",
			`{ me { id email isModerator largeAvatarUrl spacesCount messagingEnabled profileInfo { location website } tags { name displayLocations } } }`,
			`{"me":{"id":"1","email":"shelton@tromp.info","isModerator":false,"largeAvatarUrl":null,"spacesCount":1,"messagingEnabled":true,
				"profileInfo":{"location":null,"website":null},"tags":[{"name":"Tag 1","displayLocations":["edit_profile"]}]}}`,
			[]string{"GET /community_member"},
		},
		{
			"the directory carries tags and messaging flags, never an email",
			`{ members(first: 2, sort: ALPHABETICAL) { nodes { id tags { name } messagingEnabled canReceiveDirectMessage email } } }`,
			`{"members":{"nodes":[{"id":"1","tags":[{"name":"Senior"}],"messagingEnabled":true,"canReceiveDirectMessage":false,"email":null},
				{"id":"2","tags":[],"messagingEnabled":true,"canReceiveDirectMessage":true,"email":null}]}}`,
			[]string{"GET /community_members?page=1&per_page=2&sort=alphabetical"},
		},
		{
			"members without a sort leave Circle's order",
			`{ members(first: 1) { nodes { id } } }`,
			`{"members":{"nodes":[{"id":"1"}]}}`,
			[]string{"GET /community_members?page=1&per_page=1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := testenv.New(t, testenv.Options{Upstream: double})
			r := env.Do(t, tok, tt.query, nil)
			mustNoErrors(t, r)
			assertJSON(t, r.Data, tt.want)
			mustCalls(t, env, tt.calls...)
		})
	}
}

// assertJSON compares two JSON documents by value.
func assertJSON(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %s: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Fatalf("data\n  %s\nwant\n  %s", gb, wb)
	}
}

// Fields the member's source lacks load the public profile once per
// member; fields it carries cost nothing, and email never costs a call.
func TestMemberFieldsLoadOnlyWhatIsMissing(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	tests := []struct {
		name     string
		query    string
		profiles int
		others   int
	}{
		{"me answers everything but canReceiveDirectMessage", `{ me { email tags { name } profileInfo { location } largeAvatarUrl spacesCount messagingEnabled isModerator } }`, 0, 1},
		{"me asking canReceiveDirectMessage loads its profile", `{ me { canReceiveDirectMessage } }`, 1, 1},
		{"directory members carry tags and messaging flags", `{ members(first: 5) { nodes { tags { name } messagingEnabled canReceiveDirectMessage email } } }`, 0, 1},
		{"directory members load the profile for profile info", `{ members(first: 5) { nodes { profileInfo { location } } } }`, 5, 1},
		{"authors of a feed: email is null without a call", `{ homeFeed(first: 5) { nodes { author { email isModerator } } } }`, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, tt.query, nil)
			mustNoErrors(t, r)
			profiles, others := 0, 0
			for _, c := range env.Upstream.Calls() {
				if strings.HasSuffix(c.Path, "/public_profile") {
					profiles++
				} else {
					others++
				}
			}
			if profiles != tt.profiles || others != tt.others {
				t.Fatalf("%d profile calls and %d others, want %d and %d: %v", profiles, others, tt.profiles, tt.others, upstreamCalls(env))
			}
			if strings.Contains(string(r.Data), `"email":"`) && !strings.HasPrefix(tt.name, "me ") {
				t.Fatalf("an email reached another member's field: %s", r.Data)
			}
		})
	}
}

// A member's spaces are one page of GET /community_members/{id}/spaces,
// whose full space records answer every Space field without another call.
func TestMemberSpaces(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	demo := fmt.Sprint(env.Sandbox.DemoMemberID())
	r := env.Do(t, tok, `query($id: ID!) { member(id: $id) { spaces(first: 2) { totalCount pageInfo { hasNextPage } nodes { id name slug isPrivate isMember url } } } }`, map[string]any{"id": demo})
	mustNoErrors(t, r)
	var got struct {
		Member struct {
			Spaces struct {
				TotalCount int
				PageInfo   struct{ HasNextPage bool }
				Nodes      []struct {
					ID       string
					IsMember bool
					URL      *string
				}
			}
		}
	}
	r.Decode(t, &got)
	s := got.Member.Spaces
	if len(s.Nodes) != 2 || s.TotalCount <= 2 || !s.PageInfo.HasNextPage || !s.Nodes[0].IsMember || s.Nodes[0].URL == nil {
		t.Fatalf("spaces %+v", s)
	}
	mustCalls(t, env, "GET /community_members/"+demo+"/public_profile", "GET /community_members/"+demo+"/spaces?page=1&per_page=2")

	env.Upstream.Reset()
	r = env.Do(t, tok, `{ me { spaces(first: 0) { totalCount } } }`, nil)
	mustNoErrors(t, r)
	mustCalls(t, env, "GET /community_member", "GET /community_members/"+demo+"/spaces?page=1&per_page=1")

	r = env.Do(t, tok, `{ me { spaces(first: 101) { totalCount } } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Fatalf("first: 101: %+v", r.Errors)
	}
}

// members(search:) is bounded in characters, not bytes, and checked before
// any call.
func TestMemberSearchLengthInCharacters(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	q := `query($s: String) { members(first: 1, search: $s) { totalCount } }`
	mustNoErrors(t, env.Do(t, tok, q, map[string]any{"s": strings.Repeat("é", 200)}))
	env.Upstream.Reset()
	r := env.Do(t, tok, q, map[string]any{"s": strings.Repeat("é", 201)})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Fatalf("201 characters: %+v", r.Errors)
	}
	mustCalls(t, env)
}
