package e2e

// A second strict Circle double, for the curated domains added after the
// first (courses, quizzes, search, community links, profile fields). Like
// double_test.go's it is independent of package sandbox: its JSON follows
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
// and the document's request bodies. Every breach is a violation that fails
// the test.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/internal/testjwt"
)

const (
	cdAda  int64 = 7_700_001 // admin
	cdBen  int64 = 7_700_002
	cdCleo int64 = 7_700_003 // not enrolled

	cdCourse int64 = 4_500_001
	cdKiln   int64 = 4_500_002

	cdClay, cdGlaze       int64 = 4_600_001, 4_600_002
	cdWedging, cdThrowing int64 = 4_700_001, 4_700_002
	cdGlazeQuiz           int64 = 4_700_003
	cdQuiz                int64 = 4_900_001
	cdBensAttempt         int64 = 5_300_001
)

var cdBase = time.Date(2024, 11, 14, 10, 41, 55, 0, time.UTC)

type cdMember struct {
	ID, UserID     int64
	Name, Headline string
	Admin          bool
}

type cdLesson struct {
	ID, Section int64
	Name        string
	Video       bool
	Files       []int64
}

// cdCircle is the curated domains' strict double.
type cdCircle struct {
	mu         sync.Mutex
	members    []cdMember
	lessons    []cdLesson
	enrolled   map[int64]bool
	completed  map[[2]int64]bool // (member, lesson)
	attempts   map[int64]int64   // attempt → member
	nextID     int64
	violations []string
	bodies     []string // write bodies received
}

func newCDCircle() *cdCircle {
	return &cdCircle{
		members: []cdMember{
			{ID: cdAda, UserID: 8_800_001, Name: "Ada Okonkwo", Headline: "Studio lead", Admin: true},
			{ID: cdBen, UserID: 8_800_002, Name: "Ben Adeyemi", Headline: "Weekend potter"},
			{ID: cdCleo, UserID: 8_800_003, Name: "Cleo Marchetti", Headline: "Glaze chemist"},
		},
		lessons: []cdLesson{
			{ID: cdWedging, Section: cdClay, Name: "Wedging clay", Video: true, Files: []int64{4_800_001, 4_800_002}},
			{ID: cdThrowing, Section: cdClay, Name: "Throwing a cylinder"},
			{ID: cdGlazeQuiz, Section: cdGlaze, Name: "Glaze safety quiz"},
		},
		enrolled:  map[int64]bool{cdAda: true, cdBen: true},
		completed: map[[2]int64]bool{{cdBen, cdWedging}: true},
		attempts:  map[int64]int64{cdBensAttempt: cdBen},
		nextID:    5_300_100,
	}
}

func (d *cdCircle) violate(format string, args ...any) {
	d.violations = append(d.violations, fmt.Sprintf(format, args...))
}

func (d *cdCircle) takeViolations() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	v := d.violations
	d.violations = nil
	return v
}

// cdCall is one request being served.
type cdCall struct {
	d             *cdCircle
	w             http.ResponseWriter
	r             *http.Request
	what          string
	viewer        int64
	ids           []int64
	q             url.Values
	body          []byte
	page, perPage int
}

// cdParams checks the query parameters an endpoint takes besides page and
// per_page.
type cdParams map[string]func(string) bool

type cdRoute struct {
	method, pattern string
	list            bool
	params          cdParams
	serve           func(*cdCall)
}

var cdRoutes []cdRoute

func init() {
	cdRoutes = []cdRoute{
		{"GET", "spaces", false, nil, (*cdCall).spaces},
		{"GET", "courses/{}/sections", false, nil, (*cdCall).sections},
		{"GET", "courses/{}/lessons/{}", false, nil, (*cdCall).lesson},
		{"GET", "courses/{}/lessons/{}/files", true, nil, (*cdCall).files},
		{"PATCH", "courses/{}/lessons/{}/progress", false, nil, (*cdCall).progress},
		{"GET", "course_topics", true, nil, (*cdCall).topics},
		{"GET", "courses/{}/quiz_attempts", true, nil, (*cdCall).quizAttempts},
		{"POST", "quizzes/{}/attempts", false, nil, (*cdCall).submit},
		{"GET", "quizzes/{}/attempts/{}", false, cdParams{"for_admin_review": cdIsBool}, (*cdCall).attempt},
		{"PUT", "quizzes/{}/attempts/{}", false, nil, (*cdCall).setResult},
	}
}

func (d *cdCircle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := &cdCall{d: d, w: w, r: r, what: r.Method + " " + r.URL.RequestURI()}
	c.body, _ = io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/headless/v1/")
	if !ok {
		d.violate("%s: not a Member API path", c.what)
		c.fail(http.StatusNotFound, "Not found.")
		return
	}
	if !c.authenticate() {
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		d.violate("%s: query does not parse", c.what)
		c.fail(http.StatusBadRequest, "Bad request")
		return
	}
	c.q = q
	seg := strings.Split(rest, "/")
	for _, rt := range cdRoutes {
		ids, matched, valid := cdMatchPath(seg, rt.pattern)
		if !matched || rt.method != r.Method {
			continue
		}
		if !valid {
			d.violate("%s: an id in the path is not a canonical positive integer", c.what)
			c.missing("record")
			return
		}
		c.ids = ids
		if !c.checkQuery(rt) {
			c.fail(http.StatusBadRequest, "Invalid parameters")
			return
		}
		if r.Method == http.MethodGet && len(bytes.TrimSpace(c.body)) > 0 {
			d.violate("%s: a GET with a body", c.what)
		}
		if r.Method != http.MethodGet {
			d.bodies = append(d.bodies, string(c.body))
		}
		rt.serve(c)
		return
	}
	d.violate("%s: no such Member API endpoint", c.what)
	c.fail(http.StatusNotFound, "Not found.")
}

func (c *cdCall) authenticate() bool {
	tok, ok := strings.CutPrefix(c.r.Header.Get("Authorization"), "Bearer ")
	parts := strings.Split(tok, ".")
	if !ok || len(parts) != 3 {
		c.d.violate("%s: reached Circle without a member bearer token", c.what)
		c.fail(http.StatusUnauthorized, "The access token is invalid.")
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Member json.Number `json:"community_member_id"`
	}
	if err == nil {
		err = json.Unmarshal(raw, &claims)
	}
	id, _ := claims.Member.Int64()
	if err != nil || c.d.member(id) == nil {
		c.fail(http.StatusUnauthorized, "Community member associated with the access token not found.")
		return false
	}
	c.viewer = id
	return true
}

func (c *cdCall) checkQuery(rt cdRoute) bool {
	ok := true
	for k, vs := range c.q {
		if len(vs) != 1 {
			c.d.violate("%s: parameter %q sent %d times", c.what, k, len(vs))
			ok = false
			continue
		}
		if rt.list && (k == "page" || k == "per_page") {
			continue
		}
		check, known := rt.params[k]
		if !known {
			c.d.violate("%s: unknown query parameter %q", c.what, k)
			ok = false
		} else if !check(vs[0]) {
			c.d.violate("%s: invalid value %q for %q", c.what, vs[0], k)
			ok = false
		}
	}
	if !rt.list {
		return ok
	}
	c.page = 1
	if vs, present := c.q["page"]; present {
		n, good := cdAtoi(vs[0])
		if !good {
			c.d.violate("%s: page must be an integer >= 1, got %q", c.what, vs[0])
			return false
		}
		c.page = int(n)
	}
	vs, present := c.q["per_page"]
	if !present {
		c.d.violate("%s: per_page missing (Circle's default page size is undocumented)", c.what)
		return false
	}
	n, good := cdAtoi(vs[0])
	if !good || n > 100 {
		c.d.violate("%s: per_page must be 1..100, got %q", c.what, vs[0])
		return false
	}
	c.perPage = int(n)
	return ok
}

func (c *cdCall) json(status int, v any) {
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(status)
	_ = json.NewEncoder(c.w).Encode(v)
}

func (c *cdCall) fail(status int, message string) {
	c.json(status, map[string]any{"success": false, "message": message, "error_details": map[string]any{}})
}

func (c *cdCall) missing(what string) {
	c.json(http.StatusNotFound, map[string]any{"success": false, "message": "Oops! Missing record. Please try again later.", "error_details": map[string]any{"message": "Missing record: " + what}})
}

// list answers one page of records.
func (c *cdCall) list(records []any) {
	start := min((c.page-1)*c.perPage, len(records))
	end := min(start+c.perPage, len(records))
	c.json(http.StatusOK, map[string]any{"page": c.page, "per_page": c.perPage, "has_next_page": end < len(records),
		"count": len(records), "page_count": max(end-start, 1), "records": records[start:end]})
}

// decodeBody reads a write's JSON body strictly: unknown fields are a
// violation.
func (c *cdCall) decodeBody(v any) bool {
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		c.d.violate("%s: body %s does not match the document: %v", c.what, c.body, err)
		c.fail(http.StatusBadRequest, "Bad request")
		return false
	}
	return true
}

func (d *cdCircle) member(id int64) *cdMember {
	for i := range d.members {
		if d.members[i].ID == id {
			return &d.members[i]
		}
	}
	return nil
}

func (d *cdCircle) lesson(id int64) *cdLesson {
	for i := range d.lessons {
		if d.lessons[i].ID == id {
			return &d.lessons[i]
		}
	}
	return nil
}

// cdAtoi reads a canonical positive integer (no sign, no leading zero).
func cdAtoi(s string) (int64, bool) {
	if s == "" || len(s) > 19 || s[0] == '0' {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func cdIsBool(s string) bool { return s == "true" || s == "false" }

// cdMatchPath matches path segments against a pattern whose "{}" are ids.
func cdMatchPath(seg []string, pattern string) (ids []int64, matched, valid bool) {
	ps := strings.Split(pattern, "/")
	if len(ps) != len(seg) {
		return nil, false, false
	}
	for i, p := range ps {
		if p != "{}" && p != seg[i] {
			return nil, false, false
		}
	}
	valid = true
	for i, p := range ps {
		if p == "{}" {
			id, ok := cdAtoi(seg[i])
			valid = valid && ok
			ids = append(ids, id)
		}
	}
	return ids, true, valid
}

func cdTS(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// --- courses ---

func (c *cdCall) spaces() {
	c.json(http.StatusOK, []any{
		map[string]any{"id": cdCourse, "name": "Wheel Throwing", "slug": "wheel-throwing", "space_type": "course", "post_type": "basic", "is_private": false, "is_member": c.d.enrolled[c.viewer], "url": "https://studio.circle.test/c/wheel-throwing", "policies": map[string]any{}},
		map[string]any{"id": cdKiln, "name": "Kiln Talk", "slug": "kiln-talk", "space_type": "basic", "post_type": "basic", "is_private": false, "is_member": true},
	})
}

// course checks the path's course and the viewer's enrolment.
func (c *cdCall) course() bool {
	if c.ids[0] != cdCourse || !c.d.enrolled[c.viewer] {
		c.missing("space")
		return false
	}
	return true
}

func (c *cdCall) progressOf(l int64) map[string]any {
	if c.d.completed[[2]int64{c.viewer, l}] {
		return map[string]any{"status": "completed"}
	}
	return map[string]any{"status": "incomplete"}
}

func (c *cdCall) sections() {
	if !c.course() {
		return
	}
	var out []any
	for _, sec := range []struct {
		id   int64
		name string
	}{{cdClay, "Clay"}, {cdGlaze, "Glaze"}} {
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
		out = append(out, map[string]any{"id": sec.id, "name": sec.name, "drip_delay": 0, "notify_students_enabled": false, "is_dropped": sec.id == cdGlaze, "dripped_at": nil, "lessons": lessons})
	}
	c.json(http.StatusOK, out)
}

func (c *cdCall) lessonOf() *cdLesson {
	if !c.course() {
		return nil
	}
	l := c.d.lesson(c.ids[1])
	if l == nil {
		c.missing("lesson")
	}
	return l
}

func (c *cdCall) lesson() {
	l := c.lessonOf()
	if l == nil {
		return
	}
	out := map[string]any{
		"id": l.ID, "name": l.Name, "enforce_featured_media_completion": false, "autocomplete_on_featured_media_completion": true,
		"is_comments_enabled": true, "is_featured_media_enabled": l.Video, "is_featured_media_download_enabled": false,
		"space": map[string]any{"id": cdCourse, "name": "Wheel Throwing", "slug": "wheel-throwing"}, "bookmark_id": nil,
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

func (c *cdCall) files() {
	l := c.lessonOf()
	if l == nil {
		return
	}
	var records []any
	for i, id := range l.Files {
		records = append(records, map[string]any{"id": id, "created_at": cdTS(cdBase.Add(time.Duration(i) * time.Hour)), "byte_size": 43130784 + i,
			"filename": fmt.Sprintf("handout-%d.pdf", i+1), "content_type": "application/pdf", "signed_id": fmt.Sprintf("sig-%d", id),
			"url": fmt.Sprintf("https://studio.circle.test/rails/active_storage/disk/handout-%d.pdf", i+1), "type": "file"})
	}
	c.list(records)
}

func (c *cdCall) progress() {
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

func (c *cdCall) topics() {
	c.list([]any{
		map[string]any{"id": 5_400_001, "name": "Throwing", "admin_only": false},
		map[string]any{"id": 5_400_002, "name": "Glazing", "admin_only": false},
		map[string]any{"id": 5_400_003, "name": "Studio staff", "admin_only": true},
	})
}

// --- quizzes ---

// cdAttempt renders an attempt; review adds the admin-review fields.
func (c *cdCall) cdAttempt(id int64, review bool) map[string]any {
	out := map[string]any{"id": id, "quiz_id": cdQuiz, "created_at": cdTS(cdBase), "grade": 50, "result": "failed", "passing_grade": 70,
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

func (c *cdCall) quizAttempts() {
	if !c.course() {
		return
	}
	if !c.d.member(c.viewer).Admin {
		c.json(http.StatusUnauthorized, map[string]any{"message": "You cannot perform this action."})
		return
	}
	c.list([]any{map[string]any{"id": cdBensAttempt, "quiz_id": cdQuiz, "result": "failed", "grade": 50, "created_at": cdTS(cdBase),
		"community_member": map[string]any{"id": cdBen, "public_uid": "b3n", "name": "Ben Adeyemi", "avatar_url": nil},
		"lesson_name":      "Glaze safety quiz", "section_name": "Glaze", "passing_grade": 70, "quiz_attempts_count": 1}})
}

func (c *cdCall) quiz() bool {
	if c.ids[0] != cdQuiz {
		c.missing("quizzes/quiz")
		return false
	}
	return true
}

func (c *cdCall) submit() {
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
	c.json(http.StatusCreated, c.cdAttempt(id, false))
}

func (c *cdCall) attemptOf() int64 {
	if !c.quiz() {
		return 0
	}
	owner, ok := c.d.attempts[c.ids[1]]
	if !ok || (owner != c.viewer && !c.d.member(c.viewer).Admin) {
		c.missing("quizzes/attempt")
		return 0
	}
	return c.ids[1]
}

func (c *cdCall) attempt() {
	if id := c.attemptOf(); id != 0 {
		c.json(http.StatusOK, c.cdAttempt(id, c.q.Get("for_admin_review") == "true"))
	}
}

func (c *cdCall) setResult() {
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

// --- harness ---

type cdEnv struct {
	*testenv.Env
	d *cdCircle
}

func newCDEnv(t *testing.T) *cdEnv {
	t.Helper()
	d := newCDCircle()
	env := testenv.New(t, testenv.Options{Upstream: d})
	t.Cleanup(func() {
		for _, v := range d.takeViolations() {
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
	course, lesson := strconv.FormatInt(cdCourse, 10), strconv.FormatInt(cdWedging, 10)
	for _, cq := range courseQueries {
		t.Run(cq.name, func(t *testing.T) {
			r := e.run(t, cdBen, cq.query, map[string]any{"c": course, "l": lesson})
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
	r := e.run(t, cdBen, `query($c: ID!, $l: ID!) { course(id: $c) { id space { name } sections { id name isDripped dripDelay drippedAt lessons { id name progress featuredMediaDuration isFeaturedMediaEnabled sectionId } }
		lesson(id: $l) { id name bodyText lessonLabel sectionLabel chatRoomUuid isCommentsEnabled autocompleteOnFeaturedMediaCompletion
			featuredMedia { url filename contentType byteSize durationSeconds width height thumbnailUrl webvttFileUrl signedId }
			files(first: 1) { totalCount pageInfo { hasNextPage } nodes { id filename byteSize createdAt contentType url } } } } }`,
		map[string]any{"c": cdCourse, "l": cdWedging})
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
	// Ben has completed the first lesson, Ada has not: progress is each
	// member's own.
	for who, want := range map[int64]string{cdBen: "COMPLETED", cdAda: "INCOMPLETE"} {
		r := e.run(t, who, `query($c: ID!, $l: ID!) { course(id: $c) { lesson(id: $l) { progress } } }`, map[string]any{"c": cdCourse, "l": cdWedging})
		mustOK(t, r)
		if !strings.Contains(string(r.Data), `"progress":"`+want+`"`) {
			t.Errorf("member %d: %s, want %s", who, r.Data, want)
		}
	}
	// Cleo is not enrolled: Circle's 404 makes the course null.
	r = e.run(t, cdCleo, `query($c: ID!) { course(id: $c) { id } }`, map[string]any{"c": cdCourse})
	mustError(t, r, "NOT_FOUND", "course")
}

// The writes send the document's bodies, once, and re-read what they
// changed.
func TestCDCourseWrites(t *testing.T) {
	t.Parallel()
	e := newCDEnv(t)
	r := e.run(t, cdAda, `mutation($c: ID!, $l: ID!) { setLessonProgress(courseId: $c, lessonId: $l, status: COMPLETED) { lesson { id progress } userErrors { message } } }`,
		map[string]any{"c": cdCourse, "l": cdThrowing})
	mustOK(t, r)
	compareData(t, "progress", r.Data, obj("setLessonProgress", obj("lesson", obj("id", "4700002", "progress", "COMPLETED"), "userErrors", []any{})))
	if got := targets(e.Upstream.Calls()); !slices.Equal(got, []string{"PATCH /courses/4500001/lessons/4700002/progress", "GET /courses/4500001/lessons/4700002"}) {
		t.Errorf("calls %v", got)
	}

	r = e.run(t, cdBen, `mutation { submitQuizAttempt(quizId: "4900001", responses: [{questionId: "5100001", selectedOptionIds: ["5200001"]}, {questionId: "5100002", selectedOptionIds: []}]) {
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
	if got := e.d.bodies[len(e.d.bodies)-1]; got != `{"responses":[{"question_id":5100001,"selected_options":[5200001]},{"question_id":5100002,"selected_options":[]}]}` {
		t.Errorf("submission body %s", got)
	}

	r = e.run(t, cdAda, `mutation { setQuizAttemptResult(quizId: "4900001", attemptId: "5300001", result: PASSED) { attempt { id lessonName } userErrors { message } } }`, nil)
	mustOK(t, r)
	if got := targets(e.Upstream.Calls()); !slices.Equal(got, []string{"PUT /quizzes/4900001/attempts/5300001", "GET /quizzes/4900001/attempts/5300001"}) {
		t.Errorf("calls %v", got)
	}
	if got := e.d.bodies[len(e.d.bodies)-1]; got != `{"result":"passed"}` {
		t.Errorf("result body %s", got)
	}

	// The admin list: the listed attempt's member and names are embedded,
	// its questions cost one GET of the attempt.
	r = e.run(t, cdAda, `query($c: ID!) { course(id: $c) { quizAttempts(first: 5) { totalCount nodes { id result member { id name avatarUrl } attemptsCount lessonName sectionName questions { id } } } } }`, map[string]any{"c": cdCourse})
	mustOK(t, r)
	compareData(t, "attempts", r.Data, obj("course", obj("quizAttempts", obj("totalCount", 1, "nodes", []any{
		obj("id", "5300001", "result", "FAILED", "member", obj("id", "7700002", "name", "Ben Adeyemi", "avatarUrl", nil), "attemptsCount", 1,
			"lessonName", "Glaze safety quiz", "sectionName", "Glaze", "questions", []any{obj("id", "5100001"), obj("id", "5100002")}),
	}))))
	want := []string{"GET /courses/4500001/quiz_attempts?page=1&per_page=5", "GET /courses/4500001/sections", "GET /quizzes/4900001/attempts/5300001"}
	if got := targets(e.Upstream.Calls()); !slices.Equal(sortedStrings(got), want) {
		t.Errorf("calls %v, want %v", got, want)
	}
	r = e.run(t, cdAda, `{ quizAttempt(quizId: "4900001", id: "5300001", forAdminReview: true) { attemptsCount sectionName } }`, nil)
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
