package sandbox

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// The course and quiz endpoints: conformance to Circle's document, and the
// state they keep per member.

func init() {
	// The sandbox's own messages for course and quiz write failures, of
	// which Circle's document shows no example (see courses.go).
	for _, msg := range []string{msgProgressStatus, msgPreviousLesson, msgQuizResponses, msgQuizResult, msgQuizGraded} {
		writeMessages[http.StatusUnprocessableEntity][msg] = true
	}
}

// Extra credentials of the course cases.
const (
	credCourseAdmin = "course-admin" // an admin enrolled in the course
	credOutsider    = "outsider"     // a member not enrolled, not an admin
)

// courseFixture names the seeded course records the cases use.
type courseFixture struct {
	admin, outsider int64
	// othersAttempt is an attempt at the graded quiz by someone other than
	// the demo member; demoAttempt is the demo member's.
	othersAttempt, demoAttempt int64
	pendingAttempt             int64 // an attempt at the ungraded quiz, not yet reviewed
}

func newCourseFixture(h *harness) courseFixture {
	h.t.Helper()
	st := h.sb.store
	st.mu.RLock()
	defer st.mu.RUnlock()
	var fx courseFixture
	sp := st.spaces[spaceCourse]
	for _, id := range st.memberOrder {
		_, enrolled := sp.members[id]
		switch {
		case st.members[id].admin && enrolled && fx.admin == 0:
			fx.admin = id
		case !st.members[id].admin && !enrolled && fx.outsider == 0:
			fx.outsider = id
		}
	}
	demo := h.sb.DemoMemberID()
	for _, id := range st.courses.attemptOrder {
		a := st.courses.attempts[id]
		switch {
		case a.quizID == firstQuizID && a.memberID == demo && fx.demoAttempt == 0:
			fx.demoAttempt = id
		case a.quizID == firstQuizID && a.memberID != demo && fx.othersAttempt == 0:
			fx.othersAttempt = id
		case a.quizID == firstQuizID+1 && a.result == "":
			fx.pendingAttempt = id
		}
	}
	if fx.admin == 0 || fx.outsider == 0 || fx.demoAttempt == 0 || fx.othersAttempt == 0 || fx.pendingAttempt == 0 {
		h.t.Fatalf("the course seed lacks a fixture: %+v", fx)
	}
	return fx
}

func courseConfCases(f *confFixture, fx courseFixture) []confCase {
	id := func(v int64) string { return strconv.FormatInt(v, 10) }
	course := "/courses/" + id(spaceCourse)
	c := func(name, method, path, cred string, body any, status int, message string) confCase {
		tc := confCase{name: name, method: method, path: memberPrefix + path, cred: cred, status: status, message: message}
		if body != nil {
			tc.body = func() any { return body }
		}
		return tc
	}
	get, post, put, patch, member := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, credMember
	lesson := func(n int) string { return course + "/lessons/" + id(int64(firstLessonID+n)) }
	quiz := func(n int) string { return "/quizzes/" + id(int64(firstQuizID+n)) + "/attempts" }
	status := func(s string) map[string]any { return map[string]any{"status": s} }
	cases := []confCase{
		c("sections", get, course+"/sections", member, nil, 200, ""),
		c("sections as an admin", get, course+"/sections", credCourseAdmin, nil, 200, ""),
		c("sections of a course not joined", get, course+"/sections", credOutsider, nil, 404, msgMissingRecord),
		c("sections of a space that is no course", get, "/courses/"+id(spaceGeneral)+"/sections", member, nil, 404, msgMissingRecord),
		c("sections of an unknown course", get, "/courses/999/sections", member, nil, 404, msgMissingRecord),
		c("sections expired", get, course+"/sections", credExpired, nil, 401, msgTokenExpired),
		c("sections revoked", get, course+"/sections", credRevoked, nil, 401, msgTokenRevoked),

		c("lesson with a video", get, lesson(0), member, nil, 200, ""),
		c("lesson without media", get, lesson(1), member, nil, 200, ""),
		c("dripped lesson", get, lesson(6), member, nil, 200, ""),
		c("lesson of another course", get, "/courses/"+id(spaceGeneral)+"/lessons/"+id(firstLessonID), member, nil, 404, msgMissingRecord),
		c("unknown lesson", get, course+"/lessons/1", member, nil, 404, msgMissingRecord),
		c("lesson garbage token", get, lesson(0), credGarbage, nil, 401, msgTokenInvalid),

		c("lesson files", get, lesson(4)+"/files", member, nil, 200, ""),
		c("lesson files paged", get, lesson(4)+"/files?per_page=1&page=2", member, nil, 200, ""),
		c("lesson without files", get, lesson(0)+"/files", member, nil, 200, ""),
		c("files of a course not joined", get, lesson(4)+"/files", credOutsider, nil, 404, msgMissingRecord),
		c("lesson files ghost", get, lesson(4)+"/files", credGhost, nil, 401, msgNoTokenMember),

		c("course topics", get, "/course_topics", member, nil, 200, ""),
		c("course topics paged", get, "/course_topics?per_page=3&page=2", member, nil, 200, ""),
		c("course topics other community", get, "/course_topics", credOtherCommunity, nil, 401, msgNoCommunity),

		c("quiz attempts as an admin", get, course+"/quiz_attempts", credCourseAdmin, nil, 200, ""),
		c("quiz attempts paged", get, course+"/quiz_attempts?per_page=2&page=2", credCourseAdmin, nil, 200, ""),
		c("quiz attempts as a member", get, course+"/quiz_attempts", member, nil, 401, msgCannotPerform),
		c("quiz attempts of an unknown course", get, "/courses/999/quiz_attempts", credCourseAdmin, nil, 404, msgMissingRecord),

		c("own attempt", get, quiz(0)+"/"+id(fx.demoAttempt), member, nil, 200, ""),
		c("own attempt for review", get, quiz(0)+"/"+id(fx.demoAttempt)+"?for_admin_review=true", member, nil, 200, ""),
		c("someone else's attempt", get, quiz(0)+"/"+id(fx.othersAttempt), member, nil, 404, msgMissingRecord),
		c("someone else's attempt as an admin", get, quiz(0)+"/"+id(fx.othersAttempt)+"?for_admin_review=true", credCourseAdmin, nil, 200, ""),
		c("attempt through another quiz", get, quiz(1)+"/"+id(fx.demoAttempt), member, nil, 404, msgMissingRecord),
		c("attempt of an unknown quiz", get, "/quizzes/1/attempts/"+id(fx.demoAttempt), member, nil, 404, msgMissingRecord),

		c("complete an open lesson", patch, lesson(2)+"/progress", member, status("completed"), 200, ""),
		c("complete it again", patch, lesson(2)+"/progress", member, status("completed"), 200, ""),
		c("complete a locked lesson", patch, lesson(4)+"/progress", member, status("completed"), 422, msgPreviousLesson),
		c("undo a completion", patch, lesson(2)+"/progress", member, status("incomplete"), 200, ""),
		c("progress in a course not joined", patch, lesson(0)+"/progress", credOutsider, status("completed"), 404, msgMissingRecord),
		c("progress of an unknown lesson", patch, course+"/lessons/1/progress", member, status("completed"), 404, msgMissingRecord),
		c("progress expired", patch, lesson(0)+"/progress", credExpired, status("completed"), 401, msgTokenExpired),

		c("submit an attempt", post, quiz(0), member, map[string]any{"responses": []any{
			map[string]any{"question_id": firstQuestionID, "selected_options": []int64{firstOptionID + 1}},
		}}, 201, ""),
		c("submit no answers", post, quiz(1), member, map[string]any{"responses": []any{}}, 201, ""),
		c("submit an unknown question", post, quiz(0), member, map[string]any{"responses": []any{
			map[string]any{"question_id": 1, "selected_options": []int64{}},
		}}, 422, msgQuizResponses),
		c("submit to an unknown quiz", post, "/quizzes/1/attempts", member, map[string]any{"responses": []any{}}, 404, msgMissingRecord),
		c("submit to a course not joined", post, quiz(0), credOutsider, map[string]any{"responses": []any{}}, 401, msgCannotPerform),
		c("submit revoked", post, quiz(0), credRevoked, map[string]any{"responses": []any{}}, 401, msgTokenRevoked),

		c("review a pending attempt", put, quiz(1)+"/"+id(fx.pendingAttempt), credCourseAdmin, map[string]any{"result": "passed"}, 204, ""),
		c("set the result of a graded quiz", put, quiz(0)+"/"+id(fx.demoAttempt), member, map[string]any{"result": "passed"}, 422, msgQuizGraded),
		c("set the result of someone else's attempt", put, quiz(1)+"/"+id(fx.pendingAttempt), member, map[string]any{"result": "failed"}, 404, msgMissingRecord),
		c("set the result of an unknown attempt", put, quiz(1)+"/1", credCourseAdmin, map[string]any{"result": "failed"}, 404, msgMissingRecord),
	}
	broken := []confCase{
		c("progress with an unknown status", patch, lesson(0)+"/progress", member, status("done"), 422, msgProgressStatus),
		c("result not in the list", put, quiz(1)+"/"+id(fx.pendingAttempt), credCourseAdmin, map[string]any{"result": "great"}, 422, msgQuizResult),
		c("sections without a token", get, course+"/sections", credNone, nil, 401, msgTokenInvalid),
	}
	return append(cases, markInvalid(broken)...)
}

// runConformance checks cases against Circle's member document in order,
// on f's one sandbox.
func runConformance(t *testing.T, f *confFixture, cases []confCase) {
	t.Helper()
	doc := loadAPIDoc(t, filepath.Join(circleDocsDir(t), "headless-member-v1.yaml"), "error")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { f.t = t; checkConformance(t, f, doc, tc) })
	}
}

func TestConformanceCourses(t *testing.T) {
	f := newConfFixture(t)
	fx := newCourseFixture(f.harness)
	f.tokens[credCourseAdmin] = f.token(fx.admin)
	f.tokens[credOutsider] = f.token(fx.outsider)
	runConformance(t, f, courseConfCases(f, fx))
}

// The course keeps each member's progress and attempts: completing a lesson
// unlocks the next for that member only, and a submitted attempt is graded
// against the quiz's passing grade and listed for admins.
func TestCourseProgressAndQuizzes(t *testing.T) {
	h := newHarness(t)
	fx := newCourseFixture(h)
	demo := h.token(h.sb.DemoMemberID())
	admin := h.token(fx.admin)
	course := "/courses/" + itoa(spaceCourse)

	lessonState := func(token string, lessonID int64) (status string, locked bool) {
		t.Helper()
		var sections []struct {
			Lessons []struct {
				ID       int64
				Progress struct{ Status string }
				Locked   bool `json:"needs_to_complete_previous_lesson"`
			}
		}
		h.mustGet(token, course+"/sections", &sections)
		for _, s := range sections {
			for _, l := range s.Lessons {
				if l.ID == lessonID {
					return l.Progress.Status, l.Locked
				}
			}
		}
		t.Fatalf("lesson %d not in the outline", lessonID)
		return "", false
	}
	third, fourth := int64(firstLessonID+2), int64(firstLessonID+3)
	if s, locked := lessonState(demo, third); s != "incomplete" || locked {
		t.Fatalf("third lesson: %s, locked %v; want incomplete and open", s, locked)
	}
	if _, locked := lessonState(demo, fourth); !locked {
		t.Fatal("fourth lesson is open before the third is completed")
	}
	adminFourth, _ := lessonState(admin, fourth)
	progress := func(token string, lessonID int64, status string) int {
		st, _ := h.do(http.MethodPatch, memberPrefix+course+"/lessons/"+itoa(lessonID)+"/progress", token, map[string]any{"status": status})
		return st
	}
	if st := progress(demo, third, "completed"); st != http.StatusOK {
		t.Fatalf("complete: %d", st)
	}
	if s, _ := lessonState(demo, third); s != "completed" {
		t.Errorf("third lesson after completing: %s", s)
	}
	if _, locked := lessonState(demo, fourth); locked {
		t.Error("fourth lesson still locked after the third was completed")
	}
	if s, _ := lessonState(admin, fourth); s != adminFourth {
		t.Errorf("the demo member's progress changed the admin's: %s → %s", adminFourth, s)
	}
	var lesson struct {
		Progress struct{ Status string }
		Space    struct{ ID int64 }
	}
	h.mustGet(demo, course+"/lessons/"+itoa(third), &lesson)
	if lesson.Progress.Status != "completed" || lesson.Space.ID != spaceCourse {
		t.Errorf("lesson after completing: %+v", lesson)
	}

	// A perfect attempt passes; the answer grades it and the admin list
	// shows it as the demo member's latest.
	h.sb.store.mu.RLock()
	q := *h.sb.store.courses.quizzes[firstQuizID]
	h.sb.store.mu.RUnlock()
	var responses []map[string]any
	for _, qu := range q.questions {
		var right []int64
		for _, o := range qu.options {
			if o.correct {
				right = append(right, o.id)
			}
		}
		responses = append(responses, map[string]any{"question_id": qu.id, "selected_options": right})
	}
	st, raw := h.do(http.MethodPost, memberPrefix+"/quizzes/"+itoa(firstQuizID)+"/attempts", demo, map[string]any{"responses": responses})
	if st != http.StatusCreated {
		t.Fatalf("submit: %d %s", st, raw)
	}
	var got struct {
		ID               int64
		Grade            int
		Result           string
		CorrectResponses int `json:"correct_responses"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Result != "passed" || got.Grade != 100 || got.CorrectResponses != len(q.questions) {
		t.Errorf("perfect attempt: %s", raw)
	}
	type listed struct {
		ID                int64
		Result            string
		QuizAttemptsCount int                `json:"quiz_attempts_count"`
		CommunityMember   struct{ ID int64 } `json:"community_member"`
	}
	var list struct{ Records []listed }
	h.mustGet(admin, course+"/quiz_attempts?per_page=100", &list)
	i := slices.IndexFunc(list.Records, func(r listed) bool { return r.CommunityMember.ID == h.sb.DemoMemberID() })
	if i != 0 || list.Records[0].ID != got.ID || list.Records[0].Result != "passed" || list.Records[0].QuizAttemptsCount != 2 {
		t.Errorf("admin list after the attempt: %+v", list.Records)
	}
}
