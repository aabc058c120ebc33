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
		{"GET", "spaces/{}/posts", true, cdParams{"post_ids": cdIsIDList}, (*cdCall).postsByIDs},
		{"GET", "search", true, cdParams{"search_text": cdRequired(cdNonBlank)}, (*cdCall).search},
		{"GET", "advanced_search", true, cdParams{
			"query":                     cdRequired(cdNonBlank),
			"type":                      cdEnum("general", "members", "posts", "comments", "spaces", "lessons", "events", "entity_list", "mentions"),
			"mention_scope":             cdEnum("space", "group_chat", "thread", "direct"),
			"filters[space_ids][]":      cdIsID,
			"filters[topic_ids][]":      cdIsID,
			"filters[member_tag_ids][]": cdIsID,
			"filters[author_name]":      cdNonBlank,
			"filters[status]":           cdEnum("upcoming", "past"),
		}, (*cdCall).advancedSearch},
		{"POST", "search/community_members", false, nil, (*cdCall).searchMembers},
		{"GET", "community_links", false, nil, (*cdCall).links},
		{"GET", "page_profile_fields", true, cdParams{"page_name": cdRequired(cdEnum("signup", "edit_profile", "profile_view", "community_view"))}, (*cdCall).profileFields},
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
		if len(vs) != 1 && !strings.HasSuffix(k, "[]") { // Rails arrays repeat their key
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
			continue
		}
		for _, v := range vs {
			if !check(v) {
				c.d.violate("%s: invalid value %q for %q", c.what, v, k)
				ok = false
			}
		}
	}
	for k, check := range rt.params {
		if _, sent := c.q[k]; !sent && check("\x00required") {
			c.d.violate("%s: required parameter %q missing", c.what, k)
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

func cdIsID(s string) bool     { _, ok := cdAtoi(s); return ok }
func cdNonBlank(s string) bool { return s != "\x00required" && strings.TrimSpace(s) != "" }
func cdIsIDList(s string) bool {
	for _, part := range strings.Split(s, ",") {
		if !cdIsID(part) {
			return false
		}
	}
	return true
}

func cdEnum(vs ...string) func(string) bool {
	return func(s string) bool { return s != "\x00required" && slices.Contains(vs, s) }
}

// cdRequired marks a parameter the endpoint requires: checkQuery asks its
// check about the sentinel "\x00required" to learn that.
func cdRequired(check func(string) bool) func(string) bool {
	return func(s string) bool { return s == "\x00required" || check(s) }
}

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

// --- search ---

const (
	cdPostKiln   int64 = 5_600_001
	cdPostCourse int64 = 5_600_002
	cdComment    int64 = 5_700_001
	cdGroup      int64 = 4_500_900
	cdTag        int64 = 5_800_001
)

func (c *cdCall) authorOf(id int64) map[string]any {
	m := c.d.member(id)
	return map[string]any{"id": m.UserID, "name": m.Name, "avatar_url": nil, "community_member_id": m.ID}
}

func (c *cdCall) search() {
	text := c.q.Get("search_text")
	hl := "<strong>" + text + "</strong> wheel"
	c.list([]any{
		map[string]any{"id": "space_group_4500900", "type": "space_group", "attributes": map[string]any{"id": cdGroup, "name": "Studio", "community_id": 1, "space_group_members_count": 3, "highlighted_name": "<strong>Studio</strong>"}},
		map[string]any{"id": "space_4500002", "type": "space", "attributes": map[string]any{"id": cdKiln, "name": "Kiln Talk", "slug": "kiln-talk", "created_at": cdTS(cdBase), "updated_at": cdTS(cdBase),
			"community_id": 1, "emoji": "🔥", "custom_emoji_url": nil, "custom_emoji_dark_url": nil, "space_members_count": 3, "highlighted_name": "<strong>Kiln</strong> Talk", "highlighted_slug": "<strong>kiln</strong>-talk"}},
		map[string]any{"id": "community_member_7700002", "type": "community_member", "attributes": map[string]any{"id": "8800002", "community_member_id": cdBen, "name": "Ben Adeyemi", "headline": "Weekend potter", "avatar_url": nil, "roles": []any{}}},
		map[string]any{"id": "post_5600001", "type": "post", "attributes": map[string]any{"id": cdPostKiln, "name": "Cone 6 firing", "body": "Ramp slowly past 600°C.", "slug": "cone-6", "url": "https://studio.circle.test/c/kiln-talk/cone-6",
			"comments_count": 1, "user_likes_count": 2, "created_at": cdTS(cdBase), "updated_at": cdTS(cdBase.Add(time.Hour)), "community_id": 1, "hide_meta_info": false,
			"highlighted_email": nil, "highlighted_post_name": nil, "highlighted_name": hl, "highlighted_slug": "cone-6", "highlighted_body": "Ramp slowly past 600°C.", "highlighted_user_name": "Ada Okonkwo",
			"post_type": "basic", "space": map[string]any{"id": cdKiln, "slug": "kiln-talk", "name": "Kiln Talk"}, "author": c.authorOf(cdAda)}},
		map[string]any{"id": "poll_1", "type": "poll", "attributes": map[string]any{"id": 1, "name": "A record type the gateway does not know"}},
		map[string]any{"id": "post_5600002", "type": "post", "attributes": map[string]any{"id": cdPostCourse, "name": "Open studio night", "body": "Bring clay.", "slug": "open-studio", "url": "https://studio.circle.test/c/wheel-throwing/open-studio",
			"comments_count": 0, "user_likes_count": 0, "created_at": cdTS(cdBase), "updated_at": cdTS(cdBase), "community_id": 1, "hide_meta_info": false,
			"highlighted_name": "Open studio night", "highlighted_body": "Bring clay.", "post_type": "event", "space": map[string]any{"id": cdCourse, "slug": "wheel-throwing", "name": "Wheel Throwing"}, "author": c.authorOf(cdBen)}},
		map[string]any{"id": "member_tag_5800001", "type": "member_tag", "attributes": map[string]any{"id": cdTag, "name": "Kiln crew", "community_id": 1, "tagged_members_count": 2, "highlighted_name": "<strong>Kiln</strong> crew"}},
		map[string]any{"id": "comment_5700001", "type": "comment", "attributes": map[string]any{"id": cdComment, "parent_comment_id": nil, "post_id": cdPostKiln, "post_name": "Cone 6 firing", "space_id": cdKiln,
			"community_id": 1, "body_text": "Kiln sitter saved me.", "title": "Cleo Marchetti commented on Cone 6 firing", "author": c.authorOf(cdCleo)}},
	})
}

// cdPost renders a post of the double as the posts endpoints do.
func (c *cdCall) cdPost(id int64) map[string]any {
	space, author, name := cdKiln, cdAda, "Cone 6 firing"
	if id == cdPostCourse {
		space, author, name = cdCourse, cdBen, "Open studio night"
	}
	a := c.authorOf(author)
	a["headline"], a["roles"] = c.d.member(author).Headline, []any{}
	return map[string]any{"id": id, "post_type": "basic", "name": name, "display_title": name, "slug": "p", "body": map[string]any{"html": "<p>" + name + "</p>"},
		"body_plain_text": name, "tiptap_body": nil, "is_liked": c.viewer == cdBen, "user_likes_count": 2, "comment_count": 1, "is_pinned_at_top_of_space": false,
		"created_at": cdTS(cdBase), "updated_at": cdTS(cdBase), "space": map[string]any{"id": space, "name": "S", "slug": "s", "emoji": nil}, "author": a}
}

func (c *cdCall) postsByIDs() {
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
		id, _ := cdAtoi(v)
		if (id == cdPostKiln && c.ids[0] == cdKiln) || (id == cdPostCourse && c.ids[0] == cdCourse) {
			records = append(records, c.cdPost(id))
		}
	}
	c.list(records)
}

func (c *cdCall) advancedSearch() {
	kind := c.q.Get("type")
	space := map[string]any{"id": cdCourse, "slug": "wheel-throwing", "name": "Wheel Throwing", "emoji": nil, "custom_emoji_url": nil, "custom_emoji_dark_url": nil}
	all := map[string][]any{
		"lessons": {map[string]any{"id": cdThrowing, "type": "lesson", "name": "Throwing a cylinder", "body": "Centre first.", "status": "published", "section_name": "Clay", "section_id": cdClay,
			"created_at": cdTS(cdBase), "highlighted_name": "<strong>Throwing</strong> a cylinder", "highlighted_body": "Centre first.", "sgid": "sg-l", "space": space}},
		"events": {map[string]any{"id": cdPostCourse, "type": "post", "name": "Open studio night", "slug": "open-studio", "url": "https://studio.circle.test/c/wheel-throwing/open-studio",
			"created_at": cdTS(cdBase), "status": "published", "highlighted_name": "<strong>Open</strong> studio night", "cover_image_url": "https://studio.circle.test/cover.jpg",
			"body": "Bring clay.", "highlighted_body": nil, "sgid": "sg-p", "starts_at": "2024-12-01T18:00:00.000Z",
			"author": map[string]any{"name": "Ben Adeyemi", "avatar_url": nil, "community_member_id": cdBen}, "space": space}},
		"mentions": {
			map[string]any{"type": "community_member", "id": cdCleo, "name": "Cleo Marchetti", "headline": "Glaze chemist", "avatar_url": nil, "bio": "Mixes her own glazes.", "public_uid": "c1e0",
				"location": "Faenza", "user_id": 8_800_003, "highlighted_name": "<strong>Cl</strong>eo Marchetti", "sgid": "sg-m"},
			map[string]any{"id": 42, "type": "group_mention", "name": "Everyone in Kiln Talk", "mention_type": "space_members", "mention_scope": "space", "highlighted_name": "Everyone", "sgid": "sg-g"},
		},
		"comments": {map[string]any{"id": cdComment, "type": "comment", "body": "Kiln sitter saved me.", "url": "https://studio.circle.test/c/kiln-talk/cone-6#comment_5700001",
			"post_id": cdPostKiln, "post_slug": "cone-6", "post_name": "Cone 6 firing", "space_id": cdKiln, "space_slug": "kiln-talk", "parent_comment_id": nil,
			"highlighted_body": "<strong>Kiln</strong> sitter saved me.", "author": map[string]any{"name": "Cleo Marchetti", "avatar_url": nil, "community_member_id": cdCleo}}},
	}
	c.list(all[kind])
}

func (c *cdCall) searchMembers() {
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

func (c *cdCall) links() {
	c.json(http.StatusOK, []any{
		map[string]any{"id": 6_100_001, "name": "Firing schedule", "url": "https://studio.circle.test/firing", "community_id": 1, "created_at": cdTS(cdBase), "updated_at": cdTS(cdBase)},
		map[string]any{"id": 6_100_002, "name": "Shop", "url": "https://shop.studio.test/", "community_id": 1, "created_at": cdTS(cdBase), "updated_at": cdTS(cdBase.Add(time.Hour))},
	})
}

func (c *cdCall) profileFields() {
	c.list([]any{
		map[string]any{"id": 6_200_002, "label": "Kilns owned", "field_type": "number", "key": "profile_field_key_2", "placeholder": nil, "description": nil,
			"required": false, "allow_null": false, "platform_field": false, "number_options": map[string]any{"id": 1, "format": "number", "decimal": 2, "position": nil, "text": nil}, "choices": []any{}},
		map[string]any{"id": 6_200_001, "label": "Clay body", "field_type": "select", "key": "profile_field_key_1", "placeholder": "Pick one", "description": "What you throw with.",
			"required": true, "allow_null": false, "platform_field": false, "number_options": nil, "choices": []any{map[string]any{"id": 6_300_001, "value": "Stoneware"}, map[string]any{"id": 6_300_002, "value": "Porcelain"}}},
	})
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

// The quick search page against the double: every result type as Circle
// wrote it, an unknown record type left out, the full posts one call per
// space.
func TestCDSearch(t *testing.T) {
	t.Parallel()
	e := newCDEnv(t)
	r := e.run(t, cdBen, searchPage, map[string]any{"q": "kiln"})
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
	r := e.run(t, cdBen, `{ advancedSearch(query: "open", type: EVENTS, filters: { spaceIds: ["4500001", "4500002"], topicIds: ["9"], memberTagIds: ["5800001"], authorName: "Ben", status: UPCOMING }, first: 5) {
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

	r = e.run(t, cdBen, `{ advancedSearch(query: "cl", type: MENTIONS, mentionScope: SPACE, first: 10) { nodes { __typename
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

	r = e.run(t, cdBen, `{ advancedSearch(query: "throw", type: LESSONS) { nodes { ... on LessonSearchResult { id name sectionId sectionName space { id } lesson { id name progress lessonLabel course { id } } } } } }`, nil)
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
	r := e.run(t, cdBen, `{ searchMembers(input: { query: "a", order: ALPHABETICAL, status: ACTIVE, excludeEmptyName: true, excludeEmptyProfiles: false,
		filters: [{ key: "profile_field_key_1", filterType: IS_NOT, profileFieldType: "select", profileFieldId: "6200001", value: "Porcelain" }, { key: "joined", gte: 1, lte: 9 }] }, first: 1, after: "bzE6MA") {
		totalCount pageInfo { hasNextPage } nodes { id name headline isAdmin } } }`, nil)
	mustOK(t, r)
	compareData(t, "members", r.Data, obj("searchMembers", obj("totalCount", 2, "pageInfo", obj("hasNextPage", false), "nodes", []any{
		obj("id", "7700002", "name", "Ben Adeyemi", "headline", "Weekend potter", "isAdmin", false)})))
	if n := len(e.Upstream.Calls()); n != 1 {
		t.Errorf("%d calls", n)
	}
	want := `{"page":2,"per_page":1,"search_text":"a","exclude_empty_name":true,"exclude_empty_profiles":false,"order":"alphabetical","status":"active","filters":[{"key":"profile_field_key_1","filter_type":"is_not","profile_field_type":"select","profile_field_id":"6200001","value":"Porcelain"},{"key":"joined","gte":1,"lte":9}]}`
	if got := e.d.bodies[len(e.d.bodies)-1]; got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
}

// Links and profile fields as the double sends them.
func TestCDCommunity(t *testing.T) {
	t.Parallel()
	e := newCDEnv(t)
	r := e.run(t, cdBen, `{ communityLinks { id name url createdAt updatedAt } pageProfileFields(page: EDIT_PROFILE) { totalCount nodes {
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
