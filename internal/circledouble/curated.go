package circledouble

// Curated is a second strict Circle double, for the curated domains added
// after the first (courses, quizzes, search, community links, profile
// fields). Like Circle it is independent of package sandbox: its JSON follows
// the examples of Circle's OpenAPI document (unknown extra fields included,
// and the schema's spellings where they differ from the examples, such as a
// section's is_dropped), and its ids lie in ranges of their own: members
// 7_700_00x, user ids 8_800_00x, spaces 4_500_00x, sections 4_600_00x,
// lessons 4_700_00x, files 4_800_00x, quizzes 4_900_00x, questions
// 5_100_00x, options 5_200_0xx, attempts 5_300_0xx, topics 5_400_00x.
//
// It is strict about how it is called: list calls must send per_page
// (1..100) and page >= 1, only the parameters the document lists for the
// endpoint with valid values, canonical ids in paths, a member bearer token,
// and the document's request bodies (strict.go, shared with Circle). Every
// breach is a violation that fails the test.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The curated double's members, course spaces and lessons, for tests to
// name.
const (
	Ada  int64 = 7_700_001 // admin
	Ben  int64 = 7_700_002
	Cleo int64 = 7_700_003 // not enrolled

	Course int64 = 4_500_001
	Kiln   int64 = 4_500_002

	claySection, glazeSection int64 = 4_600_001, 4_600_002
	Wedging, Throwing         int64 = 4_700_001, 4_700_002
	glazeQuizLesson           int64 = 4_700_003
	glazeQuiz                 int64 = 4_900_001
	bensAttempt               int64 = 5_300_001
)

var curatedBase = time.Date(2024, 11, 14, 10, 41, 55, 0, time.UTC)

type curatedMember struct {
	ID, UserID     int64
	Name, Headline string
	Admin          bool
}

type curatedLesson struct {
	ID, Section int64
	Name        string
	Video       bool
	Files       []int64
}

// Curated is the curated domains' strict double.
type Curated struct {
	mu         sync.Mutex
	members    []curatedMember
	lessons    []curatedLesson
	enrolled   map[int64]bool
	completed  map[[2]int64]bool // (member, lesson)
	attempts   map[int64]int64   // attempt → member
	nextID     int64
	violations []string
	bodies     []string // write bodies received
}

// NewCurated returns the curated double with its community: Ada (an
// admin), Ben (enrolled, with a completed lesson and a quiz attempt) and
// Cleo (not enrolled), the Wheel Throwing course and Kiln Talk.
func NewCurated() *Curated {
	return &Curated{
		members: []curatedMember{
			{ID: Ada, UserID: 8_800_001, Name: "Ada Okonkwo", Headline: "Studio lead", Admin: true},
			{ID: Ben, UserID: 8_800_002, Name: "Ben Adeyemi", Headline: "Weekend potter"},
			{ID: Cleo, UserID: 8_800_003, Name: "Cleo Marchetti", Headline: "Glaze chemist"},
		},
		lessons: []curatedLesson{
			{ID: Wedging, Section: claySection, Name: "Wedging clay", Video: true, Files: []int64{4_800_001, 4_800_002}},
			{ID: Throwing, Section: claySection, Name: "Throwing a cylinder"},
			{ID: glazeQuizLesson, Section: glazeSection, Name: "Glaze safety quiz"},
		},
		enrolled:  map[int64]bool{Ada: true, Ben: true},
		completed: map[[2]int64]bool{{Ben, Wedging}: true},
		attempts:  map[int64]int64{bensAttempt: Ben},
		nextID:    5_300_100,
	}
}

func (d *Curated) violate(format string, args ...any) {
	d.violations = append(d.violations, fmt.Sprintf(format, args...))
}

// LastBody is the body of the last write the double received ("" before
// any), for tests that check what the gateway sent.
func (d *Curated) LastBody() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.bodies) == 0 {
		return ""
	}
	return d.bodies[len(d.bodies)-1]
}

// TakeViolations returns and forgets the violations recorded so far.
func (d *Curated) TakeViolations() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	v := d.violations
	d.violations = nil
	return v
}

// curatedCall is one call being served, with the double it is for.
type curatedCall struct {
	*request
	d *Curated
}

type curatedRoute = endpoint[*curatedCall]

var curatedRoutes []curatedRoute

func init() {
	curatedRoutes = []curatedRoute{
		{"GET", "spaces", false, nil, (*curatedCall).spaces},
		{"GET", "courses/{}/sections", false, nil, (*curatedCall).sections},
		{"GET", "courses/{}/lessons/{}", false, nil, (*curatedCall).lesson},
		{"GET", "courses/{}/lessons/{}/files", true, nil, (*curatedCall).files},
		{"PATCH", "courses/{}/lessons/{}/progress", false, nil, (*curatedCall).progress},
		{"GET", "course_topics", true, nil, (*curatedCall).topics},
		{"GET", "courses/{}/quiz_attempts", true, nil, (*curatedCall).quizAttempts},
		{"POST", "quizzes/{}/attempts", false, nil, (*curatedCall).submit},
		{"GET", "quizzes/{}/attempts/{}", false, params{"for_admin_review": isBool}, (*curatedCall).attempt},
		{"PUT", "quizzes/{}/attempts/{}", false, nil, (*curatedCall).setResult},
		{"GET", "spaces/{}/posts", true, params{"post_ids": isIDList}, (*curatedCall).postsByIDs},
		{"GET", "search", true, params{"search_text": required(nonBlank)}, (*curatedCall).search},
		{"GET", "advanced_search", true, params{
			"query":                     required(nonBlank),
			"type":                      enum("general", "members", "posts", "comments", "spaces", "lessons", "events", "entity_list", "mentions"),
			"mention_scope":             enum("space", "group_chat", "thread", "direct"),
			"filters[space_ids][]":      isID,
			"filters[topic_ids][]":      isID,
			"filters[member_tag_ids][]": isID,
			"filters[author_name]":      nonBlank,
			"filters[status]":           enum("upcoming", "past"),
		}, (*curatedCall).advancedSearch},
		{"POST", "search/community_members", false, nil, (*curatedCall).searchMembers},
		{"GET", "community_links", false, nil, (*curatedCall).links},
		{"GET", "page_profile_fields", true, params{"page_name": required(enum("signup", "edit_profile", "profile_view", "community_view"))}, (*curatedCall).profileFields},
	}
}

// ServeHTTP answers one Member API call of the curated domains.
func (d *Curated) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := newRequest(w, r, d.violate)
	if r.Method != http.MethodGet {
		d.bodies = append(d.bodies, string(c.body))
	}
	serve(c, &curatedCall{request: c, d: d}, curatedRoutes, func(id int64) bool { return d.member(id) != nil })
}

// list answers one page of records.
func (c *curatedCall) list(records []any) {
	start := min((c.page-1)*c.perPage, len(records))
	end := min(start+c.perPage, len(records))
	c.json(http.StatusOK, map[string]any{"page": c.page, "per_page": c.perPage, "has_next_page": end < len(records),
		"count": len(records), "page_count": max(end-start, 1), "records": records[start:end]})
}

// decodeBody reads a write's JSON body strictly: unknown fields are a
// violation.
func (c *curatedCall) decodeBody(v any) bool {
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		c.d.violate("%s: body %s does not match the document: %v", c.what, c.body, err)
		c.fail(http.StatusBadRequest, "Bad request")
		return false
	}
	return true
}

func (d *Curated) member(id int64) *curatedMember {
	for i := range d.members {
		if d.members[i].ID == id {
			return &d.members[i]
		}
	}
	return nil
}

func (d *Curated) lesson(id int64) *curatedLesson {
	for i := range d.lessons {
		if d.lessons[i].ID == id {
			return &d.lessons[i]
		}
	}
	return nil
}

// --- courses ---

func (c *curatedCall) spaces() {
	c.json(http.StatusOK, []any{
		map[string]any{"id": Course, "name": "Wheel Throwing", "slug": "wheel-throwing", "space_type": "course", "post_type": "basic", "is_private": false, "is_member": c.d.enrolled[c.viewer], "url": "https://studio.circle.test/c/wheel-throwing", "policies": map[string]any{}},
		map[string]any{"id": Kiln, "name": "Kiln Talk", "slug": "kiln-talk", "space_type": "basic", "post_type": "basic", "is_private": false, "is_member": true},
	})
}

// course checks the path's course and the viewer's enrolment.
func (c *curatedCall) course() bool {
	if c.ids[0] != Course || !c.d.enrolled[c.viewer] {
		c.notFound("space")
		return false
	}
	return true
}

func (c *curatedCall) progressOf(l int64) map[string]any {
	if c.d.completed[[2]int64{c.viewer, l}] {
		return map[string]any{"status": "completed"}
	}
	return map[string]any{"status": "incomplete"}
}

func (c *curatedCall) sections() {
	if !c.course() {
		return
	}
	var out []any
	for _, sec := range []struct {
		id   int64
		name string
	}{{claySection, "Clay"}, {glazeSection, "Glaze"}} {
		lessons := []any{}
		for _, l := range c.d.lessons {
			if l.Section != sec.id {
				continue
			}
			var duration any
			if l.Video {
				duration = 95
			}
			lessons = append(lessons, map[string]any{"id": l.ID, "name": l.Name, "is_featured_media_enabled": l.Video, "featured_media_duration": duration,
				"dripped_at": nil, "progress": c.progressOf(l.ID), "needs_to_complete_previous_lesson": false, "position": 1})
		}
		out = append(out, map[string]any{"id": sec.id, "name": sec.name, "drip_delay": 0, "notify_students_enabled": false, "is_dropped": sec.id == glazeSection, "dripped_at": nil, "lessons": lessons})
	}
	c.json(http.StatusOK, out)
}

func (c *curatedCall) lessonOf() *curatedLesson {
	if !c.course() {
		return nil
	}
	l := c.d.lesson(c.ids[1])
	if l == nil {
		c.notFound("lesson")
	}
	return l
}

func (c *curatedCall) lesson() {
	l := c.lessonOf()
	if l == nil {
		return
	}
	out := map[string]any{
		"id": l.ID, "name": l.Name, "enforce_featured_media_completion": false, "autocomplete_on_featured_media_completion": true,
		"is_comments_enabled": true, "is_featured_media_enabled": l.Video, "is_featured_media_download_enabled": false,
		"space": map[string]any{"id": Course, "name": "Wheel Throwing", "slug": "wheel-throwing"}, "bookmark_id": nil,
		"chat_room_uuid": "90a53aec-e575-4aec-8d4c-62dd98290" + strconv.FormatInt(l.ID%1000, 10),
		"rich_text_body": map[string]any{"body": map[string]any{"type": "doc", "content": []any{map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": l.Name + ", step by step."}}}}},
			"circle_ios_fallback_text": l.Name + ", step by step.", "attachments": []any{}, "format": "post"},
		"featured_media_duration": 0, "section_id": l.Section, "dripped_at": nil, "progress": c.progressOf(l.ID),
		"needs_to_complete_previous_lesson": false, "lesson_label": "day", "section_label": "week",
	}
	if l.Video {
		out["featured_media_duration"] = 95
		out["featured_media"] = map[string]any{"filename": "wedging.mp4", "content_type": "video/mp4",
			"metadata":  map[string]any{"identified": true, "width": 1280, "height": 720, "duration": 94.6, "analyzed": true},
			"byte_size": 3_000_000_000, "type": "file", "url": "https://studio.circle.test/rails/active_storage/disk/wedging.mp4",
			"webvtt_file_url": nil, "chapters_url": nil, "preview_thumbnails_url": nil, "is_downloadable": false,
			"image_variants": map[string]any{"thumbnail": "https://studio.circle.test/thumb/wedging.jpg"}, "signed_id": "sig-wedging"}
	}
	c.json(http.StatusOK, out)
}

func (c *curatedCall) files() {
	l := c.lessonOf()
	if l == nil {
		return
	}
	var records []any
	for i, id := range l.Files {
		records = append(records, map[string]any{"id": id, "created_at": TS(curatedBase.Add(time.Duration(i) * time.Hour)), "byte_size": 43130784 + i,
			"filename": fmt.Sprintf("handout-%d.pdf", i+1), "content_type": "application/pdf", "signed_id": fmt.Sprintf("sig-%d", id),
			"url": fmt.Sprintf("https://studio.circle.test/rails/active_storage/disk/handout-%d.pdf", i+1), "type": "file"})
	}
	c.list(records)
}

func (c *curatedCall) progress() {
	l := c.lessonOf()
	if l == nil {
		return
	}
	var body struct {
		Status string `json:"status"`
	}
	if !c.decodeBody(&body) {
		return
	}
	switch body.Status {
	case "completed":
		c.d.completed[[2]int64{c.viewer, l.ID}] = true
	case "incomplete":
		delete(c.d.completed, [2]int64{c.viewer, l.ID})
	default:
		c.d.violate("%s: status %q is not in the document's enum", c.what, body.Status)
		c.fail(http.StatusUnprocessableEntity, "Status is not included in the list")
		return
	}
	c.json(http.StatusOK, map[string]any{"status": body.Status})
}

func (c *curatedCall) topics() {
	c.list([]any{
		map[string]any{"id": 5_400_001, "name": "Throwing", "admin_only": false},
		map[string]any{"id": 5_400_002, "name": "Glazing", "admin_only": false},
		map[string]any{"id": 5_400_003, "name": "Studio staff", "admin_only": true},
	})
}

// --- quizzes ---

// attemptJSON renders an attempt; review adds the admin-review fields.
func (c *curatedCall) attemptJSON(id int64, review bool) map[string]any {
	out := map[string]any{"id": id, "quiz_id": glazeQuiz, "created_at": TS(curatedBase), "grade": 50, "result": "failed", "passing_grade": 70,
		"enforce_passing_grade": false, "hide_answers": false, "correct_responses": 1, "description": "Glaze safety.",
		"questions": []any{
			map[string]any{"id": 5_100_001, "question_type": "single_choice", "statement": "Wear a mask when mixing dry glaze?", "correct": true,
				"options": []any{map[string]any{"id": 5_200_001, "value": "Yes", "selected": true}, map[string]any{"id": 5_200_002, "value": "No", "selected": false}}},
			map[string]any{"id": 5_100_002, "question_type": "single_choice", "statement": "Is lead glaze food safe?", "correct": false,
				"options": []any{map[string]any{"id": 5_200_003, "value": "Yes", "selected": true}, map[string]any{"id": 5_200_004, "value": "No", "selected": false}}},
		}}
	if review {
		out["quiz_attempts_count"], out["lesson_name"], out["section_name"] = 1, "Glaze safety quiz", "Glaze"
	}
	return out
}

func (c *curatedCall) quizAttempts() {
	if !c.course() {
		return
	}
	if !c.d.member(c.viewer).Admin {
		c.json(http.StatusUnauthorized, map[string]any{"message": "You cannot perform this action."})
		return
	}
	c.list([]any{map[string]any{"id": bensAttempt, "quiz_id": glazeQuiz, "result": "failed", "grade": 50, "created_at": TS(curatedBase),
		"community_member": map[string]any{"id": Ben, "public_uid": "b3n", "name": "Ben Adeyemi", "avatar_url": nil},
		"lesson_name":      "Glaze safety quiz", "section_name": "Glaze", "passing_grade": 70, "quiz_attempts_count": 1}})
}

func (c *curatedCall) quiz() bool {
	if c.ids[0] != glazeQuiz {
		c.notFound("quizzes/quiz")
		return false
	}
	return true
}

func (c *curatedCall) submit() {
	if !c.quiz() {
		return
	}
	var body struct {
		Responses []struct {
			QuestionID      *int64  `json:"question_id"`
			SelectedOptions []int64 `json:"selected_options"`
		} `json:"responses"`
	}
	if !c.decodeBody(&body) {
		return
	}
	if body.Responses == nil {
		c.d.violate("%s: no responses array", c.what)
	}
	for _, r := range body.Responses {
		if r.QuestionID == nil || r.SelectedOptions == nil {
			c.d.violate("%s: a response without question_id or selected_options", c.what)
		}
	}
	if !c.d.enrolled[c.viewer] {
		c.json(http.StatusUnauthorized, map[string]any{"message": "You cannot perform this action."})
		return
	}
	id := c.d.nextID
	c.d.nextID++
	c.d.attempts[id] = c.viewer
	c.json(http.StatusCreated, c.attemptJSON(id, false))
}

func (c *curatedCall) attemptOf() int64 {
	if !c.quiz() {
		return 0
	}
	owner, ok := c.d.attempts[c.ids[1]]
	if !ok || (owner != c.viewer && !c.d.member(c.viewer).Admin) {
		c.notFound("quizzes/attempt")
		return 0
	}
	return c.ids[1]
}

func (c *curatedCall) attempt() {
	if id := c.attemptOf(); id != 0 {
		c.json(http.StatusOK, c.attemptJSON(id, c.q.Get("for_admin_review") == "true"))
	}
}

func (c *curatedCall) setResult() {
	if c.attemptOf() == 0 {
		return
	}
	var body struct {
		Result string `json:"result"`
	}
	if !c.decodeBody(&body) {
		return
	}
	if !slices.Contains([]string{"pending", "passed", "failed"}, body.Result) {
		c.d.violate("%s: result %q is not in the document's enum", c.what, body.Result)
	}
	c.w.WriteHeader(http.StatusNoContent)
}

// --- search ---

const (
	kilnPost    int64 = 5_600_001
	coursePost  int64 = 5_600_002
	kilnComment int64 = 5_700_001
	studioGroup int64 = 4_500_900
	kilnTag     int64 = 5_800_001
)

func (c *curatedCall) authorOf(id int64) map[string]any {
	m := c.d.member(id)
	return map[string]any{"id": m.UserID, "name": m.Name, "avatar_url": nil, "community_member_id": m.ID}
}

func (c *curatedCall) search() {
	text := c.q.Get("search_text")
	hl := "<strong>" + text + "</strong> wheel"
	c.list([]any{
		map[string]any{"id": "space_group_4500900", "type": "space_group", "attributes": map[string]any{"id": studioGroup, "name": "Studio", "community_id": 1, "space_group_members_count": 3, "highlighted_name": "<strong>Studio</strong>"}},
		map[string]any{"id": "space_4500002", "type": "space", "attributes": map[string]any{"id": Kiln, "name": "Kiln Talk", "slug": "kiln-talk", "created_at": TS(curatedBase), "updated_at": TS(curatedBase),
			"community_id": 1, "emoji": "🔥", "custom_emoji_url": nil, "custom_emoji_dark_url": nil, "space_members_count": 3, "highlighted_name": "<strong>Kiln</strong> Talk", "highlighted_slug": "<strong>kiln</strong>-talk"}},
		map[string]any{"id": "community_member_7700002", "type": "community_member", "attributes": map[string]any{"id": "8800002", "community_member_id": Ben, "name": "Ben Adeyemi", "headline": "Weekend potter", "avatar_url": nil, "roles": []any{}}},
		map[string]any{"id": "post_5600001", "type": "post", "attributes": map[string]any{"id": kilnPost, "name": "Cone 6 firing", "body": "Ramp slowly past 600°C.", "slug": "cone-6", "url": "https://studio.circle.test/c/kiln-talk/cone-6",
			"comments_count": 1, "user_likes_count": 2, "created_at": TS(curatedBase), "updated_at": TS(curatedBase.Add(time.Hour)), "community_id": 1, "hide_meta_info": false,
			"highlighted_email": nil, "highlighted_post_name": nil, "highlighted_name": hl, "highlighted_slug": "cone-6", "highlighted_body": "Ramp slowly past 600°C.", "highlighted_user_name": "Ada Okonkwo",
			"post_type": "basic", "space": map[string]any{"id": Kiln, "slug": "kiln-talk", "name": "Kiln Talk"}, "author": c.authorOf(Ada)}},
		map[string]any{"id": "poll_1", "type": "poll", "attributes": map[string]any{"id": 1, "name": "A record type the gateway does not know"}},
		map[string]any{"id": "post_5600002", "type": "post", "attributes": map[string]any{"id": coursePost, "name": "Open studio night", "body": "Bring clay.", "slug": "open-studio", "url": "https://studio.circle.test/c/wheel-throwing/open-studio",
			"comments_count": 0, "user_likes_count": 0, "created_at": TS(curatedBase), "updated_at": TS(curatedBase), "community_id": 1, "hide_meta_info": false,
			"highlighted_name": "Open studio night", "highlighted_body": "Bring clay.", "post_type": "event", "space": map[string]any{"id": Course, "slug": "wheel-throwing", "name": "Wheel Throwing"}, "author": c.authorOf(Ben)}},
		map[string]any{"id": "member_tag_5800001", "type": "member_tag", "attributes": map[string]any{"id": kilnTag, "name": "Kiln crew", "community_id": 1, "tagged_members_count": 2, "highlighted_name": "<strong>Kiln</strong> crew"}},
		map[string]any{"id": "comment_5700001", "type": "comment", "attributes": map[string]any{"id": kilnComment, "parent_comment_id": nil, "post_id": kilnPost, "post_name": "Cone 6 firing", "space_id": Kiln,
			"community_id": 1, "body_text": "Kiln sitter saved me.", "title": "Cleo Marchetti commented on Cone 6 firing", "author": c.authorOf(Cleo)}},
	})
}

// postJSON renders a post of the double as the posts endpoints do.
func (c *curatedCall) postJSON(id int64) map[string]any {
	space, author, name := Kiln, Ada, "Cone 6 firing"
	if id == coursePost {
		space, author, name = Course, Ben, "Open studio night"
	}
	a := c.authorOf(author)
	a["headline"], a["roles"] = c.d.member(author).Headline, []any{}
	return map[string]any{"id": id, "post_type": "basic", "name": name, "display_title": name, "slug": "p", "body": map[string]any{"html": "<p>" + name + "</p>"},
		"body_plain_text": name, "tiptap_body": nil, "is_liked": c.viewer == Ben, "user_likes_count": 2, "comment_count": 1, "is_pinned_at_top_of_space": false,
		"created_at": TS(curatedBase), "updated_at": TS(curatedBase), "space": map[string]any{"id": space, "name": "S", "slug": "s", "emoji": nil}, "author": a}
}

func (c *curatedCall) postsByIDs() {
	raw := c.q.Get("post_ids")
	if raw == "" {
		c.d.violate("%s: the double serves only post_ids batches", c.what)
	}
	ids := strings.Split(raw, ",")
	if c.perPage != len(ids) {
		c.d.violate("%s: per_page %d for %d post_ids", c.what, c.perPage, len(ids))
	}
	var records []any
	for _, v := range ids {
		id, _ := atoi(v)
		if (id == kilnPost && c.ids[0] == Kiln) || (id == coursePost && c.ids[0] == Course) {
			records = append(records, c.postJSON(id))
		}
	}
	c.list(records)
}

func (c *curatedCall) advancedSearch() {
	kind := c.q.Get("type")
	space := map[string]any{"id": Course, "slug": "wheel-throwing", "name": "Wheel Throwing", "emoji": nil, "custom_emoji_url": nil, "custom_emoji_dark_url": nil}
	all := map[string][]any{
		"lessons": {map[string]any{"id": Throwing, "type": "lesson", "name": "Throwing a cylinder", "body": "Centre first.", "status": "published", "section_name": "Clay", "section_id": claySection,
			"created_at": TS(curatedBase), "highlighted_name": "<strong>Throwing</strong> a cylinder", "highlighted_body": "Centre first.", "sgid": "sg-l", "space": space}},
		"events": {map[string]any{"id": coursePost, "type": "post", "name": "Open studio night", "slug": "open-studio", "url": "https://studio.circle.test/c/wheel-throwing/open-studio",
			"created_at": TS(curatedBase), "status": "published", "highlighted_name": "<strong>Open</strong> studio night", "cover_image_url": "https://studio.circle.test/cover.jpg",
			"body": "Bring clay.", "highlighted_body": nil, "sgid": "sg-p", "starts_at": "2024-12-01T18:00:00.000Z",
			"author": map[string]any{"name": "Ben Adeyemi", "avatar_url": nil, "community_member_id": Ben}, "space": space}},
		"mentions": {
			map[string]any{"type": "community_member", "id": Cleo, "name": "Cleo Marchetti", "headline": "Glaze chemist", "avatar_url": nil, "bio": "Mixes her own glazes.", "public_uid": "c1e0",
				"location": "Faenza", "user_id": 8_800_003, "highlighted_name": "<strong>Cl</strong>eo Marchetti", "sgid": "sg-m"},
			map[string]any{"id": 42, "type": "group_mention", "name": "Everyone in Kiln Talk", "mention_type": "space_members", "mention_scope": "space", "highlighted_name": "Everyone", "sgid": "sg-g"},
		},
		"comments": {map[string]any{"id": kilnComment, "type": "comment", "body": "Kiln sitter saved me.", "url": "https://studio.circle.test/c/kiln-talk/cone-6#comment_5700001",
			"post_id": kilnPost, "post_slug": "cone-6", "post_name": "Cone 6 firing", "space_id": Kiln, "space_slug": "kiln-talk", "parent_comment_id": nil,
			"highlighted_body": "<strong>Kiln</strong> sitter saved me.", "author": map[string]any{"name": "Cleo Marchetti", "avatar_url": nil, "community_member_id": Cleo}}},
	}
	c.list(all[kind])
}

func (c *curatedCall) searchMembers() {
	var body struct {
		Page                 *int   `json:"page"`
		PerPage              *int   `json:"per_page"`
		SearchText           string `json:"search_text"`
		ExcludeEmptyName     *bool  `json:"exclude_empty_name"`
		ExcludeEmptyProfiles *bool  `json:"exclude_empty_profiles"`
		Order                string `json:"order"`
		Status               string `json:"status"`
		Filters              []struct {
			Key              string `json:"key"`
			FilterType       string `json:"filter_type"`
			ProfileFieldType string `json:"profile_field_type"`
			ProfileFieldID   string `json:"profile_field_id"`
			Value            string `json:"value"`
			Gte              *int   `json:"gte"`
			Lte              *int   `json:"lte"`
		} `json:"filters"`
		SearchAfter []string `json:"search_after"`
	}
	if !c.decodeBody(&body) {
		return
	}
	if body.Page == nil || body.PerPage == nil || *body.Page < 1 || *body.PerPage < 1 || *body.PerPage > 100 {
		c.d.violate("%s: page and per_page must be sent (per_page 1..100): %s", c.what, c.body)
		c.fail(http.StatusBadRequest, "Bad request")
		return
	}
	c.page, c.perPage = *body.Page, *body.PerPage
	var records []any
	for _, m := range c.d.members[:2] {
		first, last, _ := strings.Cut(m.Name, " ")
		records = append(records, map[string]any{"first_name": first, "last_name": last, "user_id": m.UserID, "id": m.ID, "admin": m.Admin, "headline": m.Headline,
			"public_uid": "p", "user_attachable_sgid": "sg", "name": m.Name, "avatar_url": nil, "is_deleted": false, "community_member_id": m.ID})
	}
	c.list(records)
}

func (c *curatedCall) links() {
	c.json(http.StatusOK, []any{
		map[string]any{"id": 6_100_001, "name": "Firing schedule", "url": "https://studio.circle.test/firing", "community_id": 1, "created_at": TS(curatedBase), "updated_at": TS(curatedBase)},
		map[string]any{"id": 6_100_002, "name": "Shop", "url": "https://shop.studio.test/", "community_id": 1, "created_at": TS(curatedBase), "updated_at": TS(curatedBase.Add(time.Hour))},
	})
}

func (c *curatedCall) profileFields() {
	c.list([]any{
		map[string]any{"id": 6_200_002, "label": "Kilns owned", "field_type": "number", "key": "profile_field_key_2", "placeholder": nil, "description": nil,
			"required": false, "allow_null": false, "platform_field": false, "number_options": map[string]any{"id": 1, "format": "number", "decimal": 2, "position": nil, "text": nil}, "choices": []any{}},
		map[string]any{"id": 6_200_001, "label": "Clay body", "field_type": "select", "key": "profile_field_key_1", "placeholder": "Pick one", "description": "What you throw with.",
			"required": true, "allow_null": false, "platform_field": false, "number_options": nil, "choices": []any{map[string]any{"id": 6_300_001, "value": "Stoneware"}, map[string]any{"id": 6_300_002, "value": "Porcelain"}}},
	})
}

// --- harness ---
