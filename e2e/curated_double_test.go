package e2e

// The end-to-end tests against the second strict Circle double
// (circledouble.Curated): the curated domains added after the first
// (courses, quizzes, search, community links, profile fields), proven
// against data and JSON nothing else in the project produces.

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/circledouble"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/internal/testjwt"
)

type cdEnv struct {
	*testenv.Env
	d *circledouble.Curated
}

func newCDEnv(t *testing.T) *cdEnv {
	t.Helper()
	d := circledouble.NewCurated()
	env := testenv.New(t, testenv.Options{Upstream: d})
	t.Cleanup(func() {
		for _, v := range d.TakeViolations() {
			t.Errorf("Circle API contract violated by the gateway: %s", v)
		}
	})
	return &cdEnv{Env: env, d: d}
}

func (e *cdEnv) run(t *testing.T, who int64, query string, vars map[string]any) testenv.Response {
	t.Helper()
	e.Upstream.Reset()
	return e.Do(t, testjwt.Member(t, who), query, vars)
}

// The course budgets hold against the strict double too, with its ids.
func TestCDCourseQueryBudgets(t *testing.T) {
	t.Parallel()
	e := newCDEnv(t)
	course, lesson := strconv.FormatInt(circledouble.Course, 10), strconv.FormatInt(circledouble.Wedging, 10)
	for _, cq := range courseQueries {
		t.Run(cq.name, func(t *testing.T) {
			r := e.run(t, circledouble.Ben, cq.query, map[string]any{"c": course, "l": lesson})
			mustOK(t, r)
			var want []string
			for _, c := range cq.calls {
				want = append(want, expand(c, course, lesson))
			}
			slices.Sort(want)
			if got := sortedCalls(e.Upstream.Calls()); !slices.Equal(got, want) {
				t.Fatalf("upstream calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// What the double sends is what the gateway answers, field by field.
func TestCDCourseFidelity(t *testing.T) {
	t.Parallel()
	e := newCDEnv(t)
	r := e.run(t, circledouble.Ben, `query($c: ID!, $l: ID!) { course(id: $c) { id space { name } sections { id name isDripped dripDelay drippedAt lessons { id name progress featuredMediaDuration isFeaturedMediaEnabled sectionId } }
		lesson(id: $l) { id name bodyText lessonLabel sectionLabel chatRoomUuid isCommentsEnabled autocompleteOnFeaturedMediaCompletion
			featuredMedia { url filename contentType byteSize durationSeconds width height thumbnailUrl webvttFileUrl signedId }
			files(first: 1) { totalCount pageInfo { hasNextPage } nodes { id filename byteSize createdAt contentType url } } } } }`,
		map[string]any{"c": circledouble.Course, "l": circledouble.Wedging})
	mustOK(t, r)
	compareData(t, "course", r.Data, obj("course", obj(
		"id", "4500001", "space", obj("name", "Wheel Throwing"),
		"sections", []any{
			obj("id", "4600001", "name", "Clay", "isDripped", false, "dripDelay", 0, "drippedAt", nil, "lessons", []any{
				obj("id", "4700001", "name", "Wedging clay", "progress", "COMPLETED", "featuredMediaDuration", 95, "isFeaturedMediaEnabled", true, "sectionId", "4600001"),
				obj("id", "4700002", "name", "Throwing a cylinder", "progress", "INCOMPLETE", "featuredMediaDuration", nil, "isFeaturedMediaEnabled", false, "sectionId", "4600001"),
			}),
			obj("id", "4600002", "name", "Glaze", "isDripped", true, "dripDelay", 0, "drippedAt", nil, "lessons", []any{
				obj("id", "4700003", "name", "Glaze safety quiz", "progress", "INCOMPLETE", "featuredMediaDuration", nil, "isFeaturedMediaEnabled", false, "sectionId", "4600002"),
			}),
		},
		"lesson", obj("id", "4700001", "name", "Wedging clay", "bodyText", "Wedging clay, step by step.", "lessonLabel", "day", "sectionLabel", "week",
			"chatRoomUuid", "90a53aec-e575-4aec-8d4c-62dd982901", "isCommentsEnabled", true, "autocompleteOnFeaturedMediaCompletion", true,
			"featuredMedia", obj("url", "https://studio.circle.test/rails/active_storage/disk/wedging.mp4", "filename", "wedging.mp4", "contentType", "video/mp4",
				"byteSize", 3e9, "durationSeconds", 94.6, "width", 1280, "height", 720, "thumbnailUrl", "https://studio.circle.test/thumb/wedging.jpg", "webvttFileUrl", nil, "signedId", "sig-wedging"),
			"files", obj("totalCount", 2, "pageInfo", obj("hasNextPage", true), "nodes", []any{
				obj("id", "4800001", "filename", "handout-1.pdf", "byteSize", 43130784, "createdAt", "2024-11-14T10:41:55Z", "contentType", "application/pdf", "url", "https://studio.circle.test/rails/active_storage/disk/handout-1.pdf"),
			})),
	)))
	// circledouble.Ben has completed the first lesson, circledouble.Ada has not: progress is each
	// member's own.
	for who, want := range map[int64]string{circledouble.Ben: "COMPLETED", circledouble.Ada: "INCOMPLETE"} {
		r := e.run(t, who, `query($c: ID!, $l: ID!) { course(id: $c) { lesson(id: $l) { progress } } }`, map[string]any{"c": circledouble.Course, "l": circledouble.Wedging})
		mustOK(t, r)
		if !strings.Contains(string(r.Data), `"progress":"`+want+`"`) {
			t.Errorf("member %d: %s, want %s", who, r.Data, want)
		}
	}
	// circledouble.Cleo is not enrolled: Circle's 404 makes the course null.
	r = e.run(t, circledouble.Cleo, `query($c: ID!) { course(id: $c) { id } }`, map[string]any{"c": circledouble.Course})
	mustError(t, r, "NOT_FOUND", "course")
}

// The writes send the document's bodies, once, and re-read what they
// changed.
func TestCDCourseWrites(t *testing.T) {
	t.Parallel()
	e := newCDEnv(t)
	r := e.run(t, circledouble.Ada, `mutation($c: ID!, $l: ID!) { setLessonProgress(courseId: $c, lessonId: $l, status: COMPLETED) { lesson { id progress } userErrors { message } } }`,
		map[string]any{"c": circledouble.Course, "l": circledouble.Throwing})
	mustOK(t, r)
	compareData(t, "progress", r.Data, obj("setLessonProgress", obj("lesson", obj("id", "4700002", "progress", "COMPLETED"), "userErrors", []any{})))
	if got := targets(e.Upstream.Calls()); !slices.Equal(got, []string{"PATCH /courses/4500001/lessons/4700002/progress", "GET /courses/4500001/lessons/4700002"}) {
		t.Errorf("calls %v", got)
	}

	r = e.run(t, circledouble.Ben, `mutation { submitQuizAttempt(quizId: "4900001", responses: [{questionId: "5100001", selectedOptionIds: ["5200001"]}, {questionId: "5100002", selectedOptionIds: []}]) {
		attempt { id quizId result grade passingGrade correctResponses description questions { id type statement correct options { id value selected } } member { id } } userErrors { message } } }`, nil)
	mustOK(t, r)
	compareData(t, "submit", r.Data, obj("submitQuizAttempt", obj("attempt", obj("id", "5300100", "quizId", "4900001", "result", "FAILED", "grade", 50, "passingGrade", 70,
		"correctResponses", 1, "description", "Glaze safety.", "member", nil, "questions", []any{
			obj("id", "5100001", "type", "single_choice", "statement", "Wear a mask when mixing dry glaze?", "correct", true, "options", []any{
				obj("id", "5200001", "value", "Yes", "selected", true), obj("id", "5200002", "value", "No", "selected", false)}),
			obj("id", "5100002", "type", "single_choice", "statement", "Is lead glaze food safe?", "correct", false, "options", []any{
				obj("id", "5200003", "value", "Yes", "selected", true), obj("id", "5200004", "value", "No", "selected", false)}),
		}), "userErrors", []any{})))
	if n := len(e.Upstream.Calls()); n != 1 {
		t.Errorf("submission: %d calls", n)
	}
	if got := e.d.LastBody(); got != `{"responses":[{"question_id":5100001,"selected_options":[5200001]},{"question_id":5100002,"selected_options":[]}]}` {
		t.Errorf("submission body %s", got)
	}

	r = e.run(t, circledouble.Ada, `mutation { setQuizAttemptResult(quizId: "4900001", attemptId: "5300001", result: PASSED) { attempt { id lessonName } userErrors { message } } }`, nil)
	mustOK(t, r)
	if got := targets(e.Upstream.Calls()); !slices.Equal(got, []string{"PUT /quizzes/4900001/attempts/5300001", "GET /quizzes/4900001/attempts/5300001"}) {
		t.Errorf("calls %v", got)
	}
	if got := e.d.LastBody(); got != `{"result":"passed"}` {
		t.Errorf("result body %s", got)
	}

	// The admin list: the listed attempt's member and names are embedded,
	// its questions cost one GET of the attempt.
	r = e.run(t, circledouble.Ada, `query($c: ID!) { course(id: $c) { quizAttempts(first: 5) { totalCount nodes { id result member { id name avatarUrl } attemptsCount lessonName sectionName questions { id } } } } }`, map[string]any{"c": circledouble.Course})
	mustOK(t, r)
	compareData(t, "attempts", r.Data, obj("course", obj("quizAttempts", obj("totalCount", 1, "nodes", []any{
		obj("id", "5300001", "result", "FAILED", "member", obj("id", "7700002", "name", "Ben Adeyemi", "avatarUrl", nil), "attemptsCount", 1,
			"lessonName", "Glaze safety quiz", "sectionName", "Glaze", "questions", []any{obj("id", "5100001"), obj("id", "5100002")}),
	}))))
	want := []string{"GET /courses/4500001/quiz_attempts?page=1&per_page=5", "GET /courses/4500001/sections", "GET /quizzes/4900001/attempts/5300001"}
	if got := targets(e.Upstream.Calls()); !slices.Equal(sortedStrings(got), want) {
		t.Errorf("calls %v, want %v", got, want)
	}
	r = e.run(t, circledouble.Ada, `{ quizAttempt(quizId: "4900001", id: "5300001", forAdminReview: true) { attemptsCount sectionName } }`, nil)
	mustOK(t, r)
	if got := targets(e.Upstream.Calls()); !slices.Equal(got, []string{"GET /quizzes/4900001/attempts/5300001?for_admin_review=true"}) {
		t.Errorf("calls %v", got)
	}
}

func sortedStrings(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// The quick search page against the double: every result type as Circle
// wrote it, an unknown record type left out, the full posts one call per
// space.
func TestCDSearch(t *testing.T) {
	t.Parallel()
	e := newCDEnv(t)
	r := e.run(t, circledouble.Ben, searchPage, map[string]any{"q": "kiln"})
	mustOK(t, r)
	compareData(t, "search", r.Data, obj("search", obj("totalCount", 8, "pageInfo", obj("hasNextPage", false, "endCursor", "bzE6Nw"), "nodes", []any{
		obj("__typename", "SpaceGroupSearchResult", "id", "4500900", "name", "Studio", "highlightedName", "<strong>Studio</strong>"),
		obj("__typename", "SpaceSearchResult", "highlightedName", "<strong>Kiln</strong> Talk", "space", obj("id", "4500002", "name", "Kiln Talk", "slug", "kiln-talk")),
		obj("__typename", "MemberSearchResult", "member", obj("id", "7700002", "name", "Ben Adeyemi", "headline", "Weekend potter", "avatarUrl", nil)),
		obj("__typename", "PostSearchResult", "id", "5600001", "highlightedTitle", "<strong>kiln</strong> wheel", "highlightedBody", "Ramp slowly past 600°C.", "type", "BASIC",
			"space", obj("id", "4500002", "name", "Kiln Talk"), "author", obj("id", "7700001", "name", "Ada Okonkwo", "avatarUrl", nil), "post", obj("id", "5600001", "isLiked", true, "likesCount", 2)),
		obj("__typename", "PostSearchResult", "id", "5600002", "highlightedTitle", "Open studio night", "highlightedBody", "Bring clay.", "type", "EVENT",
			"space", obj("id", "4500001", "name", "Wheel Throwing"), "author", obj("id", "7700002", "name", "Ben Adeyemi", "avatarUrl", nil), "post", obj("id", "5600002", "isLiked", true, "likesCount", 2)),
		obj("__typename", "MemberTagSearchResult", "id", "5800001", "name", "Kiln crew", "taggedMembersCount", 2),
		obj("__typename", "CommentSearchResult", "id", "5700001", "bodyText", "Kiln sitter saved me.", "postId", "5600001", "spaceId", "4500002", "author", obj("name", "Cleo Marchetti"), "post", obj("id", "5600001", "title", "Cone 6 firing")),
	})))
	want := []string{"GET /search?page=1&per_page=20&search_text=kiln", "GET /spaces/4500001/posts?page=1&per_page=1&post_ids=5600002", "GET /spaces/4500002/posts?page=1&per_page=1&post_ids=5600001"}
	if got := sortedStrings(targets(e.Upstream.Calls())); !slices.Equal(got, want) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The search page by type against the double: its parameters as the
// document and Rails take them, events, lessons, members and group
// mentions as Circle writes them.
func TestCDAdvancedSearch(t *testing.T) {
	t.Parallel()
	e := newCDEnv(t)
	r := e.run(t, circledouble.Ben, `{ advancedSearch(query: "open", type: EVENTS, filters: { spaceIds: ["4500001", "4500002"], topicIds: ["9"], memberTagIds: ["5800001"], authorName: "Ben", status: UPCOMING }, first: 5) {
		nodes { ... on PostSearchResult { id type title status coverImageUrl startsAt highlightedTitle author { id name } space { id name } } } } }`, nil)
	mustOK(t, r)
	compareData(t, "events", r.Data, obj("advancedSearch", obj("nodes", []any{obj("id", "5600002", "type", "EVENT", "title", "Open studio night", "status", "published",
		"coverImageUrl", "https://studio.circle.test/cover.jpg", "startsAt", "2024-12-01T18:00:00Z", "highlightedTitle", "<strong>Open</strong> studio night",
		"author", obj("id", "7700002", "name", "Ben Adeyemi"), "space", obj("id", "4500001", "name", "Wheel Throwing"))})))
	calls := e.Upstream.Calls()
	if len(calls) != 1 {
		t.Fatalf("calls %v", targets(calls))
	}
	q, _ := url.ParseQuery(calls[0].Query)
	if !slices.Equal(q["filters[space_ids][]"], []string{"4500001", "4500002"}) || q.Get("filters[status]") != "upcoming" || q.Get("type") != "events" || q.Get("filters[author_name]") != "Ben" {
		t.Errorf("query %s", calls[0].Query)
	}

	r = e.run(t, circledouble.Ben, `{ advancedSearch(query: "cl", type: MENTIONS, mentionScope: SPACE, first: 10) { nodes { __typename
		... on MemberSearchResult { highlightedName bio location member { id name headline bio } }
		... on GroupMentionSearchResult { id name mentionType mentionScope highlightedName } } } }`, nil)
	mustOK(t, r)
	compareData(t, "mentions", r.Data, obj("advancedSearch", obj("nodes", []any{
		obj("__typename", "MemberSearchResult", "highlightedName", "<strong>Cl</strong>eo Marchetti", "bio", "Mixes her own glazes.", "location", "Faenza",
			"member", obj("id", "7700003", "name", "Cleo Marchetti", "headline", "Glaze chemist", "bio", "Mixes her own glazes.")),
		obj("__typename", "GroupMentionSearchResult", "id", "42", "name", "Everyone in Kiln Talk", "mentionType", "space_members", "mentionScope", "space", "highlightedName", "Everyone"),
	})))
	if n := len(e.Upstream.Calls()); n != 1 {
		t.Errorf("mentions: %d calls, want 1 (a result's bio comes with it)", n)
	}

	r = e.run(t, circledouble.Ben, `{ advancedSearch(query: "throw", type: LESSONS) { nodes { ... on LessonSearchResult { id name sectionId sectionName space { id } lesson { id name progress lessonLabel course { id } } } } } }`, nil)
	mustOK(t, r)
	compareData(t, "lessons", r.Data, obj("advancedSearch", obj("nodes", []any{obj("id", "4700002", "name", "Throwing a cylinder", "sectionId", "4600001", "sectionName", "Clay",
		"space", obj("id", "4500001"), "lesson", obj("id", "4700002", "name", "Throwing a cylinder", "progress", "INCOMPLETE", "lessonLabel", "day", "course", obj("id", "4500001")))})))
	want := []string{"GET /advanced_search?page=1&per_page=20&query=throw&type=lessons", "GET /courses/4500001/lessons/4700002"}
	if got := targets(e.Upstream.Calls()); !slices.Equal(got, want) {
		t.Errorf("calls %v, want %v", got, want)
	}
}

// The member search sends the document's body, once, and its results
// are members by their community member id.
func TestCDSearchMembers(t *testing.T) {
	t.Parallel()
	e := newCDEnv(t)
	r := e.run(t, circledouble.Ben, `{ searchMembers(input: { query: "a", order: ALPHABETICAL, status: ACTIVE, excludeEmptyName: true, excludeEmptyProfiles: false,
		filters: [{ key: "profile_field_key_1", filterType: IS_NOT, profileFieldType: "select", profileFieldId: "6200001", value: "Porcelain" }, { key: "joined", gte: 1, lte: 9 }] }, first: 1, after: "bzE6MA") {
		totalCount pageInfo { hasNextPage } nodes { id name headline isAdmin } } }`, nil)
	mustOK(t, r)
	compareData(t, "members", r.Data, obj("searchMembers", obj("totalCount", 2, "pageInfo", obj("hasNextPage", false), "nodes", []any{
		obj("id", "7700002", "name", "Ben Adeyemi", "headline", "Weekend potter", "isAdmin", false)})))
	if n := len(e.Upstream.Calls()); n != 1 {
		t.Errorf("%d calls", n)
	}
	want := `{"page":2,"per_page":1,"search_text":"a","exclude_empty_name":true,"exclude_empty_profiles":false,"order":"alphabetical","status":"active","filters":[{"key":"profile_field_key_1","filter_type":"is_not","profile_field_type":"select","profile_field_id":"6200001","value":"Porcelain"},{"key":"joined","gte":1,"lte":9}]}`
	if got := e.d.LastBody(); got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
}

// Links and profile fields as the double sends them.
func TestCDCommunity(t *testing.T) {
	t.Parallel()
	e := newCDEnv(t)
	r := e.run(t, circledouble.Ben, `{ communityLinks { id name url createdAt updatedAt } pageProfileFields(page: EDIT_PROFILE) { totalCount nodes {
		id label fieldType key placeholder description required allowNull platformField numberFormat { format decimals position text } choices { id value } } } }`, nil)
	mustOK(t, r)
	compareData(t, "community", r.Data, obj(
		"communityLinks", []any{
			obj("id", "6100001", "name", "Firing schedule", "url", "https://studio.circle.test/firing", "createdAt", "2024-11-14T10:41:55Z", "updatedAt", "2024-11-14T10:41:55Z"),
			obj("id", "6100002", "name", "Shop", "url", "https://shop.studio.test/", "createdAt", "2024-11-14T10:41:55Z", "updatedAt", "2024-11-14T11:41:55Z"),
		},
		"pageProfileFields", obj("totalCount", 2, "nodes", []any{
			obj("id", "6200002", "label", "Kilns owned", "fieldType", "number", "key", "profile_field_key_2", "placeholder", nil, "description", nil, "required", false, "allowNull", false,
				"platformField", false, "numberFormat", obj("format", "number", "decimals", 2, "position", nil, "text", nil), "choices", []any{}),
			obj("id", "6200001", "label", "Clay body", "fieldType", "select", "key", "profile_field_key_1", "placeholder", "Pick one", "description", "What you throw with.", "required", true,
				"allowNull", false, "platformField", false, "numberFormat", nil, "choices", []any{obj("id", "6300001", "value", "Stoneware"), obj("id", "6300002", "value", "Porcelain")}),
		})))
	want := []string{"GET /community_links", "GET /page_profile_fields?page=1&page_name=edit_profile&per_page=20"}
	if got := sortedStrings(targets(e.Upstream.Calls())); !slices.Equal(got, want) {
		t.Errorf("calls %v", got)
	}
}
