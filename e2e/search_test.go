package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/testenv"
)

// Search through the gateway, against the sandbox: a page of mixed results
// is one call, and the full posts behind it one call per space.

// searchPage is the search page query: every result type, with what a
// results screen shows, the full post under each post and comment result.
const searchPage = `query($q: String!) { search(query: $q, first: 20) { totalCount pageInfo { hasNextPage endCursor } nodes { __typename
	... on PostSearchResult { id highlightedTitle highlightedBody type space { id name } author { id name avatarUrl } post { id isLiked likesCount } }
	... on CommentSearchResult { id bodyText postId spaceId author { name } post { id title } }
	... on MemberSearchResult { member { id name headline avatarUrl } }
	... on SpaceSearchResult { highlightedName space { id name slug } }
	... on SpaceGroupSearchResult { id name highlightedName }
	... on MemberTagSearchResult { id name taggedMembersCount } } } }`

type searchNode struct {
	Typename string `json:"__typename"`
	ID       string
	SpaceID  *string
	Space    *struct{ ID string }
	Post     *struct{ ID string }
}

// postSpaces is the set of spaces whose posts a page of results loads.
func postSpaces(nodes []searchNode) map[string]bool {
	spaces := map[string]bool{}
	for _, n := range nodes {
		switch {
		case n.Typename == "PostSearchResult" && n.Space != nil:
			spaces[n.Space.ID] = true
		case n.Typename == "CommentSearchResult" && n.SpaceID != nil:
			spaces[*n.SpaceID] = true
		}
	}
	return spaces
}

func TestSearchPageBudget(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	env.Upstream.Reset()
	r := env.Do(t, tok, searchPage, map[string]any{"q": "community"})
	mustNoErrors(t, r)
	var got struct {
		Search struct {
			TotalCount int
			Nodes      []searchNode
		}
	}
	r.Decode(t, &got)
	types := map[string]bool{}
	for _, n := range got.Search.Nodes {
		types[n.Typename] = true
		if (n.Typename == "PostSearchResult" || n.Typename == "CommentSearchResult") && (n.Post == nil || n.Post.ID == "") {
			t.Errorf("%s %s without its post", n.Typename, n.ID)
		}
	}
	if len(got.Search.Nodes) != 20 || len(types) < 4 || !types["PostSearchResult"] {
		t.Fatalf("a page of %d results of %d types (%v), want 20 of at least 4, posts among them", len(got.Search.Nodes), len(types), types)
	}
	spaces := postSpaces(got.Search.Nodes)
	calls := env.Upstream.Calls()
	// The figure BENCHMARKS.md states: the seed's page holds posts of 4
	// spaces, so the page costs exactly 5 calls.
	if len(spaces) != 4 || len(calls) != 5 {
		t.Fatalf("%d upstream calls for %d spaces with posts, want 1 + 4 = 5:\n%s", len(calls), len(spaces), strings.Join(targets(calls), "\n"))
	}
	if calls[0].Path != "/search" || !strings.Contains(calls[0].Query, "search_text=community") || !strings.Contains(calls[0].Query, "per_page=20") {
		t.Errorf("first call %s", calls[0].Target())
	}
	for _, c := range calls[1:] {
		if !strings.Contains(c.Query, "post_ids=") {
			t.Errorf("call %s is not a post_ids batch", c.Target())
		}
	}
	t.Logf("search page: 1 + %d calls (%d spaces with post results)", len(spaces), len(spaces))
}

// The search page by type: one call, with Circle's parameters; a lesson
// result's lesson loads only for its own fields, once per lesson.
func TestAdvancedSearch(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	env.Upstream.Reset()
	r := env.Do(t, tok, `{ advancedSearch(query: "moderation", type: LESSONS, first: 10) { totalCount nodes { ... on LessonSearchResult {
		id name highlightedName sectionName space { id name } lesson { id name progress } again: lesson { bodyText } } } } }`, nil)
	mustNoErrors(t, r)
	var got struct {
		AdvancedSearch struct {
			TotalCount int
			Nodes      []struct {
				ID, Name, HighlightedName, SectionName string
				Space                                  struct{ ID, Name string }
				Lesson                                 struct{ ID, Progress string }
			}
		}
	}
	r.Decode(t, &got)
	nodes := got.AdvancedSearch.Nodes
	if len(nodes) == 0 || !strings.Contains(nodes[0].HighlightedName, "<strong>") || nodes[0].Lesson.ID != nodes[0].ID || nodes[0].Lesson.Progress == "" || nodes[0].Space.Name == "" {
		t.Fatalf("lesson results %s", r.Data)
	}
	calls := env.Upstream.Calls()
	if len(calls) != 1+len(nodes) || calls[0].Path != "/advanced_search" || !strings.Contains(calls[0].Query, "type=lessons") {
		t.Fatalf("calls %v, want the search and one GET per lesson", targets(calls))
	}

	env.Upstream.Reset()
	r = env.Do(t, tok, `{ advancedSearch(query: "e", type: EVENTS, filters: { status: UPCOMING, spaceIds: ["14"], authorName: "a" }, first: 5) {
		nodes { ... on PostSearchResult { id type startsAt space { id } } } } }`, nil)
	mustNoErrors(t, r)
	if !strings.Contains(string(r.Data), `"type":"EVENT"`) {
		t.Errorf("upcoming events: %s", r.Data)
	}
	calls = env.Upstream.Calls()
	if len(calls) != 1 {
		t.Fatalf("calls %v", targets(calls))
	}
	for _, p := range []string{"type=events", "filters%5Bstatus%5D=upcoming", "filters%5Bspace_ids%5D%5B%5D=14", "filters%5Bauthor_name%5D=a", "query=e"} {
		if !strings.Contains(calls[0].Query, p) {
			t.Errorf("query %s lacks %s", calls[0].Query, p)
		}
	}
}

// The member search is one POST a page, and its filters reach Circle.
func TestSearchMembers(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	env.Upstream.Reset()
	r := env.Do(t, tok, `{ searchMembers(input: { order: ROLE, filters: [{ key: "role", filterType: IS, value: "admin" }] }, first: 10) {
		totalCount nodes { id name isAdmin headline } } }`, nil)
	mustNoErrors(t, r)
	var got struct {
		SearchMembers struct {
			TotalCount int
			Nodes      []struct {
				ID, Name string
				IsAdmin  bool
			}
		}
	}
	r.Decode(t, &got)
	if len(got.SearchMembers.Nodes) == 0 {
		t.Fatalf("no admins: %s", r.Data)
	}
	for _, n := range got.SearchMembers.Nodes {
		if !n.IsAdmin {
			t.Errorf("member %s is no admin", n.ID)
		}
	}
	if calls := env.Upstream.Calls(); len(calls) != 1 || calls[0].Method != "POST" || calls[0].Path != "/search/community_members" {
		t.Fatalf("calls %v, want one POST (admin flags come with the results)", targets(calls))
	}
}

// Every search argument is checked before any call; lengths count
// characters, not bytes.
func TestSearchArgumentsCheckedFirst(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "12"
		}
		return out
	}
	filters := make([]map[string]any, 21)
	for i := range filters {
		filters[i] = map[string]any{"key": "name", "value": "a"}
	}
	ok200 := strings.Repeat("é", 200)
	tests := []struct {
		name, query string
		vars        map[string]any
		refused     bool
	}{
		{"blank query", `{ search(query: "  ") { totalCount } }`, nil, true},
		{"201 characters", `query($q: String!) { search(query: $q) { totalCount } }`, map[string]any{"q": strings.Repeat("é", 201)}, true},
		{"200 characters of 400 bytes", `query($q: String!) { search(query: $q) { totalCount } }`, map[string]any{"q": ok200}, false},
		{"advanced: 201 characters", `query($q: String!) { advancedSearch(query: $q) { totalCount } }`, map[string]any{"q": strings.Repeat("x", 201)}, true},
		{"advanced: a bad space id", `{ advancedSearch(query: "a", filters: { spaceIds: ["12", "x"] }) { totalCount } }`, nil, true},
		{"advanced: 51 space ids", `query($s: [ID!]) { advancedSearch(query: "a", filters: { spaceIds: $s }) { totalCount } }`, map[string]any{"s": ids(51)}, true},
		{"advanced: 50 space ids", `query($s: [ID!]) { advancedSearch(query: "a", filters: { spaceIds: $s }) { totalCount } }`, map[string]any{"s": ids(50)}, false},
		{"advanced: a bad tag id", `{ advancedSearch(query: "a", filters: { memberTagIds: ["0"] }) { totalCount } }`, nil, true},
		{"advanced: a long author name", `query($a: String) { advancedSearch(query: "a", filters: { authorName: $a }) { totalCount } }`, map[string]any{"a": strings.Repeat("ß", 201)}, true},
		{"advanced: a bad type", `{ advancedSearch(query: "a", type: EVERYTHING) { totalCount } }`, nil, true},
		{"advanced: first 101", `{ advancedSearch(query: "a", first: 101) { totalCount } }`, nil, true},
		{"members: 201 characters", `query($q: String) { searchMembers(input: { query: $q }) { totalCount } }`, map[string]any{"q": strings.Repeat("ü", 201)}, true},
		{"members: 21 filters", `query($f: [MemberFilterInput!]) { searchMembers(input: { filters: $f }) { totalCount } }`, map[string]any{"f": filters}, true},
		{"members: an empty key", `{ searchMembers(input: { filters: [{ key: " " }] }) { totalCount } }`, nil, true},
		{"members: a bad profile field id", `{ searchMembers(input: { filters: [{ key: "k", profileFieldId: "a1" }] }) { totalCount } }`, nil, true},
		{"members: gte above lte", `{ searchMembers(input: { filters: [{ key: "k", gte: 5, lte: 4 }] }) { totalCount } }`, nil, true},
		{"members: a long value", `query($v: String) { searchMembers(input: { filters: [{ key: "k", value: $v }] }) { totalCount } }`, map[string]any{"v": strings.Repeat("v", 201)}, true},
		{"members: a bad cursor", `{ searchMembers(after: "x") { totalCount } }`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, tt.query, tt.vars)
			if !tt.refused {
				mustNoErrors(t, r)
				return
			}
			codes := r.Codes()
			if len(codes) == 0 || !slices.Contains([]string{"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"}, codes[0]) {
				t.Fatalf("errors %+v, want BAD_USER_INPUT", r.Errors)
			}
			if n := len(env.Upstream.Calls()); n != 0 {
				t.Fatalf("%d upstream calls for refused input", n)
			}
		})
	}
}

// The community's links and a page's profile fields: one call each, as
// the sandbox has them.
func TestCommunityLinksAndProfileFields(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	env.Upstream.Reset()
	r := env.Do(t, tok, `{ communityLinks { id name url createdAt }
		signup: pageProfileFields(page: SIGNUP) { totalCount nodes { id label fieldType key required choices { id value } } }
		view: pageProfileFields(page: PROFILE_VIEW, first: 2) { totalCount pageInfo { hasNextPage } nodes { id numberFormat { format decimals } platformField } } }`, nil)
	mustNoErrors(t, r)
	var got struct {
		CommunityLinks []struct{ ID, Name, URL string }
		Signup         struct {
			TotalCount int
			Nodes      []struct {
				ID, Label, FieldType string
				Required             bool
				Choices              []struct{ ID, Value string }
			}
		}
		View struct {
			TotalCount int
			PageInfo   struct{ HasNextPage bool }
			Nodes      []struct{ ID string }
		}
	}
	r.Decode(t, &got)
	if len(got.CommunityLinks) == 0 || got.CommunityLinks[0].URL == "" {
		t.Errorf("links %s", r.Data)
	}
	choices, required := 0, false
	for _, f := range got.Signup.Nodes {
		choices += len(f.Choices)
		required = required || f.Required
	}
	if got.Signup.TotalCount != len(got.Signup.Nodes) || choices == 0 || !required {
		t.Errorf("signup fields %s", r.Data)
	}
	if len(got.View.Nodes) != 2 || !got.View.PageInfo.HasNextPage || got.View.TotalCount <= 2 {
		t.Errorf("profile view fields %s", r.Data)
	}
	want := []string{"GET /community_links", "GET /page_profile_fields?page=1&page_name=profile_view&per_page=2", "GET /page_profile_fields?page=1&page_name=signup&per_page=20"}
	if got := targets(env.Upstream.Calls()); !slices.Equal(sortedStrings(got), want) {
		t.Errorf("calls %v, want %v", got, want)
	}
}
