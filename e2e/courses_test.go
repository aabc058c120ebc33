package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/internal/testenv"
)

// Courses and quizzes through the gateway, against the sandbox: what a
// course page and a lesson page cost, what they answer, and how the writes
// behave.

// sandboxCourse finds the sandbox's course space through the gateway.
func sandboxCourse(t *testing.T, env *testenv.Env, tok string) string {
	t.Helper()
	r := env.Do(t, tok, `{ spaces { id course { id } } }`, nil)
	mustNoErrors(t, r)
	var got struct {
		Spaces []struct {
			ID     string
			Course *struct{ ID string }
		}
	}
	r.Decode(t, &got)
	for _, s := range got.Spaces {
		if s.Course != nil {
			if s.Course.ID != s.ID {
				t.Fatalf("course %s of space %s", s.Course.ID, s.ID)
			}
			return s.ID
		}
	}
	t.Fatal("the sandbox has no course space")
	return ""
}

// courseOutline is what the course page query answers.
type courseOutline struct {
	Course struct {
		ID       string
		Sections []struct {
			ID, Name string
			Lessons  []struct {
				ID, Name                      string
				Progress                      *string
				NeedsToCompletePreviousLesson bool
			}
		}
	}
}

// The course queries with their exact upstream-call budgets, cold, one
// operation. The strict double runs the same table.
var courseQueries = []struct {
	name, query string
	// calls lists the upstream endpoints called, in any order.
	calls []string
}{
	{
		name:  "course page",
		query: `query($c: ID!) { course(id: $c) { id sections { id name lessons { id name progress needsToCompletePreviousLesson } } } }`,
		calls: []string{"GET /courses/{c}/sections"},
	},
	{
		name:  "course page with the space's name",
		query: `query($c: ID!) { course(id: $c) { space { name } sections { name lessons { name progress } } } }`,
		calls: []string{"GET /courses/{c}/sections", "GET /spaces"},
	},
	{
		name: "lesson page",
		query: `query($c: ID!, $l: ID!) { course(id: $c) { sections { name lessons { id name progress } }
			lesson(id: $l) { name progress bodyText tiptapBody featuredMedia { url durationSeconds thumbnailUrl } isCommentsEnabled
				files(first: 10) { totalCount nodes { filename url byteSize } } } } }`,
		calls: []string{"GET /courses/{c}/sections", "GET /courses/{c}/lessons/{l}", "GET /courses/{c}/lessons/{l}/files"},
	},
	{
		name:  "lesson's outline fields cost nothing more",
		query: `query($c: ID!, $l: ID!) { course(id: $c) { lesson(id: $l) { name progress drippedAt featuredMediaDuration } } }`,
		calls: []string{"GET /courses/{c}/sections"},
	},
	{
		name:  "the same lesson twice, through aliases",
		query: `query($c: ID!, $l: ID!) { course(id: $c) { a: lesson(id: $l) { bodyText } b: lesson(id: $l) { lessonLabel featuredMedia { url } } } }`,
		calls: []string{"GET /courses/{c}/sections", "GET /courses/{c}/lessons/{l}"},
	},
	{
		name:  "course topics",
		query: `{ courseTopics(first: 10) { totalCount nodes { id name adminOnly } } }`,
		calls: []string{"GET /course_topics"},
	},
}

// expand fills a call template with the course and lesson ids.
func expand(tmpl, course, lesson string) string {
	return strings.NewReplacer("{c}", course, "{l}", lesson).Replace(tmpl)
}

// sortedCalls lists calls as "METHOD path", sorted.
func sortedCalls(calls []testenv.Call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.Method + " " + c.Path
	}
	slices.Sort(out)
	return out
}

func TestCourseQueryBudgets(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	course := sandboxCourse(t, env, tok)
	lesson := firstLessonWithMedia(t, env, tok, course)
	for _, cq := range courseQueries {
		t.Run(cq.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, cq.query, map[string]any{"c": course, "l": lesson})
			mustNoErrors(t, r)
			var want []string
			for _, c := range cq.calls {
				want = append(want, expand(c, course, lesson))
			}
			slices.Sort(want)
			if got := sortedCalls(env.Upstream.Calls()); !slices.Equal(got, want) {
				t.Fatalf("upstream calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for _, c := range env.Upstream.Calls() {
				if strings.HasSuffix(c.Path, "/files") || c.Path == "/course_topics" {
					if !strings.Contains(c.Query, "per_page=") {
						t.Errorf("list call %s does not send per_page", c.Target())
					}
				}
			}
		})
	}
}

// firstLessonWithMedia is the id of the first lesson with a featured video
// and files, as the course outline and the lessons say.
func firstLessonWithMedia(t *testing.T, env *testenv.Env, tok, course string) string {
	t.Helper()
	r := env.Do(t, tok, `query($c: ID!) { course(id: $c) { sections { lessons { id isFeaturedMediaEnabled } } } }`, map[string]any{"c": course})
	mustNoErrors(t, r)
	var got struct {
		Course struct {
			Sections []struct {
				Lessons []struct {
					ID                     string
					IsFeaturedMediaEnabled bool
				}
			}
		}
	}
	r.Decode(t, &got)
	for _, s := range got.Course.Sections {
		for _, l := range s.Lessons {
			if !l.IsFeaturedMediaEnabled {
				continue
			}
			r := env.Do(t, tok, `query($c: ID!, $l: ID!) { course(id: $c) { lesson(id: $l) { files(first: 1) { totalCount } } } }`, map[string]any{"c": course, "l": l.ID})
			mustNoErrors(t, r)
			var files struct {
				Course struct {
					Lesson struct{ Files struct{ TotalCount int } }
				}
			}
			r.Decode(t, &files)
			if files.Course.Lesson.Files.TotalCount > 0 {
				return l.ID
			}
		}
	}
	t.Fatal("no sandbox lesson has both a featured video and files")
	return ""
}

// The course page answers what Circle's outline says, the signed-in
// member's own progress and locks included.
func TestCoursePageAnswersTheOutline(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	course := sandboxCourse(t, env, tok)
	r := env.Do(t, tok, courseQueries[0].query, map[string]any{"c": course})
	mustNoErrors(t, r)
	var got courseOutline
	r.Decode(t, &got)

	var want []struct {
		ID      int64
		Name    string
		Lessons []struct {
			ID       int64
			Name     string
			Progress struct{ Status string }
			Locked   bool `json:"needs_to_complete_previous_lesson"`
		}
	}
	directGet(t, env, tok, "/courses/"+course+"/sections", &want)
	if len(got.Course.Sections) != len(want) || len(want) == 0 {
		t.Fatalf("%d sections, want %d", len(got.Course.Sections), len(want))
	}
	completed, locked := 0, 0
	for i, s := range want {
		g := got.Course.Sections[i]
		if g.ID != fmt.Sprint(s.ID) || g.Name != s.Name || len(g.Lessons) != len(s.Lessons) {
			t.Fatalf("section %d: %+v, want %+v", i, g, s)
		}
		for j, l := range s.Lessons {
			gl := g.Lessons[j]
			wantProgress := strings.ToUpper(l.Progress.Status)
			if gl.ID != fmt.Sprint(l.ID) || gl.Name != l.Name || gl.Progress == nil || *gl.Progress != wantProgress || gl.NeedsToCompletePreviousLesson != l.Locked {
				t.Errorf("lesson %d.%d: %+v, want %+v", i, j, gl, l)
			}
			if wantProgress == "COMPLETED" {
				completed++
			}
			if l.Locked {
				locked++
			}
		}
	}
	if completed == 0 || locked == 0 {
		t.Errorf("the demo member should have completed lessons and locked ones: %d completed, %d locked", completed, locked)
	}
}

// directGet reads the sandbox without the recorder, as ground truth.
func directGet(t *testing.T, env *testenv.Env, tok, path string, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, env.SandboxURL(t)+"/api/headless/v1"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// The lesson page's loads run beside each other: the outline first (it is
// course(id:) itself), then the lesson and its files at once, which a gate
// holding both until the other has arrived shows.
func TestLessonPageLoadsTogether(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	course := sandboxCourse(t, env, tok)
	lesson := firstLessonWithMedia(t, env, tok, course)
	gate := &testenv.Gate{N: 2, Match: func(_, path string) bool { return strings.Contains(path, "/lessons/") }}
	env.Upstream.SetGate(gate)
	env.Upstream.Reset()
	mustNoErrors(t, env.Do(t, tok, courseQueries[2].query, map[string]any{"c": course, "l": lesson}))
	calls := env.Upstream.Calls()
	if len(calls) != 3 || !gate.Opened() {
		t.Fatalf("calls %v; the lesson and its files in flight together: %v", targets(calls), gate.Opened())
	}
}

// A lesson's own fields come from its GET: body, media and labels as the
// sandbox has them.
func TestLessonDetail(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	course := sandboxCourse(t, env, tok)
	lesson := firstLessonWithMedia(t, env, tok, course)
	r := env.Do(t, tok, `query($c: ID!, $l: ID!) { course(id: $c) { lesson(id: $l) { id name sectionId bodyText tiptapBody lessonLabel sectionLabel chatRoomUuid
		featuredMedia { url filename contentType byteSize durationSeconds width height thumbnailUrl signedId }
		files(first: 10) { totalCount nodes { id filename contentType byteSize url createdAt } } course { id } } } }`, map[string]any{"c": course, "l": lesson})
	mustNoErrors(t, r)
	var got struct {
		Course struct {
			Lesson struct {
				ID, Name, SectionID, BodyText string
				TiptapBody                    map[string]any
				LessonLabel, SectionLabel     *string
				ChatRoomUUID                  string `json:"chatRoomUuid"`
				FeaturedMedia                 *struct {
					URL, Filename, ContentType string
					ByteSize, DurationSeconds  float64
					Width, Height              int
					ThumbnailURL, SignedID     string
				}
				Files struct {
					TotalCount int
					Nodes      []struct{ ID, Filename, URL string }
				}
				Course struct{ ID string }
			}
		}
	}
	r.Decode(t, &got)
	var want struct {
		ID            int64
		Name          string
		SectionID     int64          `json:"section_id"`
		ChatRoomUUID  string         `json:"chat_room_uuid"`
		LessonLabel   string         `json:"lesson_label"`
		RichTextBody  map[string]any `json:"rich_text_body"`
		FeaturedMedia struct {
			URL      string
			ByteSize float64 `json:"byte_size"`
			Metadata struct{ Duration float64 }
		} `json:"featured_media"`
	}
	directGet(t, env, tok, "/courses/"+course+"/lessons/"+lesson, &want)
	l := got.Course.Lesson
	fallback, _ := want.RichTextBody["circle_ios_fallback_text"].(string)
	switch {
	case l.ID != lesson || l.Name != want.Name || l.SectionID != fmt.Sprint(want.SectionID) || l.Course.ID != course:
		t.Errorf("lesson %+v, want %+v", l, want)
	case l.BodyText == "" || l.BodyText != strings.TrimSpace(fallback):
		t.Errorf("bodyText %q, want the fallback text %q", l.BodyText, fallback)
	case l.TiptapBody["body"] == nil:
		t.Errorf("tiptapBody %v has no body", l.TiptapBody)
	case l.FeaturedMedia == nil || l.FeaturedMedia.URL != want.FeaturedMedia.URL || l.FeaturedMedia.ByteSize != want.FeaturedMedia.ByteSize || l.FeaturedMedia.DurationSeconds != want.FeaturedMedia.Metadata.Duration:
		t.Errorf("featuredMedia %+v, want %+v", l.FeaturedMedia, want.FeaturedMedia)
	case l.LessonLabel == nil || *l.LessonLabel != want.LessonLabel || l.ChatRoomUUID != want.ChatRoomUUID:
		t.Errorf("labels %v / room %q", l.LessonLabel, l.ChatRoomUUID)
	case l.Files.TotalCount == 0 || len(l.Files.Nodes) != l.Files.TotalCount || l.Files.Nodes[0].URL == "":
		t.Errorf("files %+v", l.Files)
	}
}

// Only a course space has a course, and a space's type answers that
// without a call beyond GET /spaces; a course that does not exist is null
// with NOT_FOUND.
func TestSpaceCourse(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	env.Upstream.Reset()
	r := env.Do(t, tok, `{ spaces { id name course { id } } }`, nil)
	mustNoErrors(t, r)
	var got struct {
		Spaces []struct {
			ID     string
			Course *struct{ ID string }
		}
	}
	r.Decode(t, &got)
	courses := 0
	for _, s := range got.Spaces {
		if s.Course != nil {
			courses++
		}
	}
	if courses != 1 || len(env.Upstream.Calls()) != 1 {
		t.Fatalf("%d courses among %d spaces in %d calls; want 1 course, 1 call", courses, len(got.Spaces), len(env.Upstream.Calls()))
	}
	general := got.Spaces[1].ID
	for _, id := range []string{general, "999999"} {
		r := env.Do(t, tok, `query($c: ID!) { course(id: $c) { id sections { id } } }`, map[string]any{"c": id})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" || !strings.Contains(string(r.Data), `"course":null`) {
			t.Errorf("course %s: %s %+v", id, r.Data, r.Errors)
		}
	}
}

// Every course and quiz argument is checked before any call.
func TestCourseArgumentsCheckedFirst(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	tooMany := make([]map[string]any, 201)
	for i := range tooMany {
		tooMany[i] = map[string]any{"questionId": fmt.Sprint(i + 1), "selectedOptionIds": []string{}}
	}
	options := make([]string, 51)
	for i := range options {
		options[i] = fmt.Sprint(i + 1)
	}
	tests := []struct {
		name, query string
		vars        map[string]any
		code        string
	}{
		{"course id", `{ course(id: "abc") { id } }`, nil, "BAD_USER_INPUT"},
		{"negative course id", `{ course(id: "-4") { id } }`, nil, "BAD_USER_INPUT"},
		{"lesson id", `{ course(id: "18") { lesson(id: "1e3") { id } } }`, nil, "BAD_USER_INPUT"},
		{"files first", `{ course(id: "18") { lesson(id: "71001") { files(first: 101) { totalCount } } } }`, nil, "BAD_USER_INPUT"},
		{"topics cursor", `{ courseTopics(after: "nope") { totalCount } }`, nil, "BAD_USER_INPUT"},
		{"attempts first", `{ course(id: "18") { quizAttempts(first: -1) { totalCount } } }`, nil, "BAD_USER_INPUT"},
		{"quiz attempt ids", `{ quizAttempt(quizId: "x", id: "1") { id } }`, nil, "BAD_USER_INPUT"},
		{"progress lesson id", `mutation { setLessonProgress(courseId: "18", lessonId: "0", status: COMPLETED) { userErrors { message } } }`, nil, "BAD_USER_INPUT"},
		{"progress status", `mutation { setLessonProgress(courseId: "18", lessonId: "71001", status: DONE) { userErrors { message } } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
		{"quiz id", `mutation { submitQuizAttempt(quizId: "q", responses: []) { userErrors { message } } }`, nil, "BAD_USER_INPUT"},
		{"question id", `mutation { submitQuizAttempt(quizId: "73001", responses: [{questionId: "1.5", selectedOptionIds: []}]) { userErrors { message } } }`, nil, "BAD_USER_INPUT"},
		{"option id", `mutation { submitQuizAttempt(quizId: "73001", responses: [{questionId: "74001", selectedOptionIds: ["75001", ""]}]) { userErrors { message } } }`, nil, "BAD_USER_INPUT"},
		{"a question twice", `mutation { submitQuizAttempt(quizId: "73001", responses: [{questionId: "74001", selectedOptionIds: []}, {questionId: "74001", selectedOptionIds: []}]) { userErrors { message } } }`, nil, "BAD_USER_INPUT"},
		{"an option twice", `mutation { submitQuizAttempt(quizId: "73001", responses: [{questionId: "74001", selectedOptionIds: ["75001", "75001"]}]) { userErrors { message } } }`, nil, "BAD_USER_INPUT"},
		{"too many answers", `mutation($r: [QuizResponseInput!]!) { submitQuizAttempt(quizId: "73001", responses: $r) { userErrors { message } } }`, map[string]any{"r": tooMany}, "BAD_USER_INPUT"},
		{"too many options", `mutation($o: [ID!]!) { submitQuizAttempt(quizId: "73001", responses: [{questionId: "74001", selectedOptionIds: $o}]) { userErrors { message } } }`, map[string]any{"o": options}, "BAD_USER_INPUT"},
		{"attempt id", `mutation { setQuizAttemptResult(quizId: "73002", attemptId: "", result: PASSED) { userErrors { message } } }`, nil, "BAD_USER_INPUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Upstream.Reset()
			r := env.Do(t, tok, tt.query, tt.vars)
			if len(r.Errors) == 0 || r.Errors[0].Code() != tt.code {
				t.Fatalf("errors %+v, want %s", r.Errors, tt.code)
			}
			if n := len(env.Upstream.Calls()); n != 0 {
				t.Fatalf("%d upstream calls for refused input", n)
			}
		})
	}
}

// Completing a lesson is one PATCH and one re-read of the lesson; the
// outline read after it shows the next lesson open. Circle's refusal of a
// locked lesson is a userError.
func TestSetLessonProgress(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	course := sandboxCourse(t, env, tok)
	r := env.Do(t, tok, courseQueries[0].query, map[string]any{"c": course})
	mustNoErrors(t, r)
	var outline courseOutline
	r.Decode(t, &outline)
	var open, locked string
	for _, s := range outline.Course.Sections {
		for _, l := range s.Lessons {
			switch {
			case open == "" && *l.Progress == "INCOMPLETE" && !l.NeedsToCompletePreviousLesson:
				open = l.ID
			case open != "" && locked == "" && l.NeedsToCompletePreviousLesson:
				locked = l.ID
			}
		}
	}
	if open == "" || locked == "" {
		t.Fatalf("no open and locked lessons in %+v", outline)
	}
	mutation := `mutation($c: ID!, $l: ID!, $s: LessonProgress!) { setLessonProgress(courseId: $c, lessonId: $l, status: $s) {
		lesson { id progress course { sections { lessons { id needsToCompletePreviousLesson } } } } userErrors { field message } } }`

	// The locked one first: Circle refuses, the payload says why.
	env.Upstream.Reset()
	r = env.Do(t, tok, mutation, map[string]any{"c": course, "l": locked, "s": "COMPLETED"})
	mustNoErrors(t, r)
	var refused struct {
		SetLessonProgress struct {
			Lesson     *struct{ ID string }
			UserErrors []struct{ Message string }
		}
	}
	r.Decode(t, &refused)
	if refused.SetLessonProgress.Lesson != nil || len(refused.SetLessonProgress.UserErrors) != 1 || refused.SetLessonProgress.UserErrors[0].Message == "" {
		t.Fatalf("locked lesson: %s", r.Data)
	}
	if got := sortedCalls(env.Upstream.Calls()); len(got) != 1 || !strings.HasPrefix(got[0], "PATCH ") {
		t.Fatalf("refused write: calls %v", got)
	}

	env.Upstream.Reset()
	r = env.Do(t, tok, mutation, map[string]any{"c": course, "l": open, "s": "COMPLETED"})
	mustNoErrors(t, r)
	var done struct {
		SetLessonProgress struct {
			Lesson struct {
				ID, Progress string
				Course       struct {
					Sections []struct {
						Lessons []struct {
							ID                            string
							NeedsToCompletePreviousLesson bool
						}
					}
				}
			}
			UserErrors []struct{ Message string }
		}
	}
	r.Decode(t, &done)
	p := done.SetLessonProgress
	if p.Lesson.ID != open || p.Lesson.Progress != "COMPLETED" || len(p.UserErrors) != 0 {
		t.Fatalf("payload %s", r.Data)
	}
	want := []string{"GET /courses/" + course + "/lessons/" + open, "GET /courses/" + course + "/sections", "PATCH /courses/" + course + "/lessons/" + open + "/progress"}
	if got := sortedCalls(env.Upstream.Calls()); !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	// The lesson after the completed one is open now.
	prev := ""
	for _, s := range p.Lesson.Course.Sections {
		for _, l := range s.Lessons {
			if prev == open && l.NeedsToCompletePreviousLesson {
				t.Errorf("lesson %s still locked after %s was completed", l.ID, open)
			}
			prev = l.ID
		}
	}
}

// A write is sent once: Circle's 5xx on it is UPSTREAM_UNAVAILABLE, not a
// retry.
func TestLessonProgressNotRetried(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	course := sandboxCourse(t, env, tok)
	env.Upstream.SetFault(func(r *http.Request) (int, string, bool) {
		if r.Method != http.MethodGet {
			return http.StatusServiceUnavailable, `{"success":false,"message":"Service unavailable","error_details":{}}`, true
		}
		return 0, "", false
	})
	for _, m := range []string{
		`mutation($c: ID!) { setLessonProgress(courseId: $c, lessonId: "71001", status: INCOMPLETE) { userErrors { message } } }`,
		`mutation { submitQuizAttempt(quizId: "73001", responses: []) { userErrors { message } } }`,
		`mutation { setQuizAttemptResult(quizId: "73002", attemptId: "76001", result: PASSED) { userErrors { message } } }`,
	} {
		env.Upstream.Reset()
		r := env.Do(t, tok, m, map[string]any{"c": course})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "UPSTREAM_UNAVAILABLE" {
			t.Errorf("%s: errors %+v", m, r.Errors)
		}
		if n := len(env.Upstream.Calls()); n != 1 {
			t.Errorf("%s: %d calls, want the one write", m, n)
		}
	}
}

// attemptView is a quiz attempt as the quiz queries read it.
type attemptView struct {
	ID, QuizID, Result string
	Grade              int
	Member             *struct{ ID, Name string }
	AttemptsCount      *int
	LessonName         *string
	Questions          []struct {
		ID      string
		Correct *bool
		Options []struct {
			ID       string
			Selected bool
		}
	}
}

// A quiz from submission to review: the admin list shows graded attempts
// (their questions one GET per attempt), a submission is one call and
// comes back graded, and a result can be set only where the quiz has no
// passing grade.
func TestQuizAttempts(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	demo := env.DemoToken(t)
	course := sandboxCourse(t, env, demo)
	admin := env.Token(t, adminOfCourse(t, env, demo))

	// The admin's list, each attempt's questions loaded once.
	env.Upstream.Reset()
	r := env.Do(t, admin, `query($c: ID!) { course(id: $c) { quizAttempts(first: 20) { totalCount nodes { id quizId result grade member { id name } attemptsCount lessonName
		questions { id correct options { id selected } } alias: questions { id } } } } }`, map[string]any{"c": course})
	mustNoErrors(t, r)
	var list struct {
		Course struct {
			QuizAttempts struct {
				TotalCount int
				Nodes      []attemptView
			}
		}
	}
	r.Decode(t, &list)
	nodes := list.Course.QuizAttempts.Nodes
	if len(nodes) == 0 || len(nodes) != list.Course.QuizAttempts.TotalCount {
		t.Fatalf("attempts %+v", list.Course.QuizAttempts)
	}
	want := []string{"GET /courses/" + course + "/quiz_attempts", "GET /courses/" + course + "/sections"}
	var perfect *attemptView
	for i, n := range nodes {
		want = append(want, "GET /quizzes/"+n.QuizID+"/attempts/"+n.ID)
		if n.Member == nil || n.Member.Name == "" || n.AttemptsCount == nil || n.LessonName == nil || len(n.Questions) == 0 {
			t.Errorf("listed attempt %+v", n)
		}
		if n.Result == "PASSED" && n.Grade == 100 && perfect == nil {
			perfect = &nodes[i]
		}
	}
	slices.Sort(want)
	if got := sortedCalls(env.Upstream.Calls()); !slices.Equal(got, want) {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if perfect == nil {
		t.Fatal("no perfect attempt in the admin list")
	}

	// The demo member gives the perfect attempt's answers: one call, graded.
	var responses []map[string]any
	for _, q := range perfect.Questions {
		chosen := []string{}
		for _, o := range q.Options {
			if o.Selected {
				chosen = append(chosen, o.ID)
			}
		}
		responses = append(responses, map[string]any{"questionId": q.ID, "selectedOptionIds": chosen})
	}
	env.Upstream.Reset()
	r = env.Do(t, demo, `mutation($q: ID!, $r: [QuizResponseInput!]!) { submitQuizAttempt(quizId: $q, responses: $r) {
		attempt { id quizId result grade correctResponses passingGrade questions { correct } } userErrors { message } } }`, map[string]any{"q": perfect.QuizID, "r": responses})
	mustNoErrors(t, r)
	var submitted struct {
		SubmitQuizAttempt struct {
			Attempt struct {
				ID, QuizID, Result string
				Grade              int
				CorrectResponses   int
				PassingGrade       *int
				Questions          []struct{ Correct *bool }
			}
			UserErrors []struct{ Message string }
		}
	}
	r.Decode(t, &submitted)
	a := submitted.SubmitQuizAttempt.Attempt
	if a.Result != "PASSED" || a.Grade != 100 || a.CorrectResponses != len(perfect.Questions) || a.QuizID != perfect.QuizID || a.PassingGrade == nil {
		t.Errorf("submitted %s", r.Data)
	}
	if n := len(env.Upstream.Calls()); n != 1 {
		t.Errorf("submission cost %d calls, want 1 (Circle answers with the graded attempt)", n)
	}

	// Reading it back is one call, and its result cannot be overridden:
	// the quiz has a passing grade, and Circle's 422 is a userError.
	env.Upstream.Reset()
	r = env.Do(t, demo, `query($q: ID!, $id: ID!) { quizAttempt(quizId: $q, id: $id) { id result hideAnswers questions { id } } }`, map[string]any{"q": a.QuizID, "id": a.ID})
	mustNoErrors(t, r)
	if n := len(env.Upstream.Calls()); n != 1 {
		t.Errorf("quizAttempt cost %d calls, want 1", n)
	}
	env.Upstream.Reset()
	r = env.Do(t, demo, `mutation($q: ID!, $id: ID!) { setQuizAttemptResult(quizId: $q, attemptId: $id, result: FAILED) { attempt { id } userErrors { field message } } }`, map[string]any{"q": a.QuizID, "id": a.ID})
	mustNoErrors(t, r)
	var refused struct {
		SetQuizAttemptResult struct {
			Attempt    *struct{ ID string }
			UserErrors []struct{ Message string }
		}
	}
	r.Decode(t, &refused)
	if refused.SetQuizAttemptResult.Attempt != nil || len(refused.SetQuizAttemptResult.UserErrors) != 1 {
		t.Errorf("override of a graded attempt: %s", r.Data)
	}
	if n := len(env.Upstream.Calls()); n != 1 {
		t.Errorf("refused override cost %d calls, want 1", n)
	}

	// A member may not read the course's list; Circle's refusal passes
	// through with its message.
	r = env.Do(t, demo, `query($c: ID!) { course(id: $c) { quizAttempts { totalCount } } }`, map[string]any{"c": course})
	if len(r.Errors) != 1 || r.Errors[0].Message != "You cannot perform this action." {
		t.Errorf("member reading the list: %+v", r.Errors)
	}
}

// An admin reviews an attempt at the quiz without a passing grade: one PUT
// and one re-read, and the result is the one set.
func TestReviewPendingAttempt(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	demo := env.DemoToken(t)
	adminID := adminOfCourse(t, env, demo)
	admin := env.Token(t, adminID)
	// The reflection quiz (no passing grade): the admin answers it, then
	// reviews the answer.
	r := env.Do(t, admin, `mutation { submitQuizAttempt(quizId: "73002", responses: []) { attempt { id result passingGrade } userErrors { message } } }`, nil)
	mustNoErrors(t, r)
	var sub struct {
		SubmitQuizAttempt struct {
			Attempt struct {
				ID, Result   string
				PassingGrade *int
			}
		}
	}
	r.Decode(t, &sub)
	if sub.SubmitQuizAttempt.Attempt.Result != "PENDING" || sub.SubmitQuizAttempt.Attempt.PassingGrade != nil {
		t.Fatalf("reflection attempt %s", r.Data)
	}
	env.Upstream.Reset()
	r = env.Do(t, admin, `mutation($id: ID!) { setQuizAttemptResult(quizId: "73002", attemptId: $id, result: PASSED) { attempt { id result } userErrors { message } } }`, map[string]any{"id": sub.SubmitQuizAttempt.Attempt.ID})
	mustNoErrors(t, r)
	var set struct {
		SetQuizAttemptResult struct {
			Attempt struct{ ID, Result string }
		}
	}
	r.Decode(t, &set)
	if set.SetQuizAttemptResult.Attempt.Result != "PASSED" {
		t.Errorf("after review: %s", r.Data)
	}
	calls := sortedCalls(env.Upstream.Calls())
	if len(calls) != 2 || !strings.HasPrefix(calls[0], "GET /quizzes/73002/attempts/") || !strings.HasPrefix(calls[1], "PUT /quizzes/73002/attempts/") {
		t.Errorf("calls %v, want the PUT and one re-read", calls)
	}
}

// adminOfCourse finds an admin among the course's quiz takers: the
// member directory's first admin who can read the course.
func adminOfCourse(t *testing.T, env *testenv.Env, tok string) int64 {
	t.Helper()
	course := sandboxCourse(t, env, tok)
	for _, id := range env.Sandbox.MemberIDs() {
		r := env.Do(t, env.Token(t, id), `query($c: ID!) { me { isAdmin } course(id: $c) { quizAttempts(first: 1) { totalCount } } }`, map[string]any{"c": course})
		if len(r.Errors) == 0 {
			return id
		}
	}
	t.Fatal("no member may read the course's quiz attempts")
	return 0
}
