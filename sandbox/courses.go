package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// Courses and quizzes: a course is a space of type course whose content is
// sections of lessons. Each member has their own progress per lesson and
// their own quiz attempts. The state lives in courseState, one field of the
// store, under the store's lock.

// Circle's messages for course and quiz failures. The two quoted in the
// OpenAPI document are used word for word; the document shows no example
// of the others (422s of the writes), so they follow the wording of the
// documented ones.
const (
	msgCannotPerform      = "You cannot perform this action."
	msgProgressStatus     = "Status is not included in the list"
	msgPreviousLesson     = "Complete the previous lesson first."
	msgQuizResponses      = "Responses contain a question that is not part of this quiz."
	msgQuizResult         = "Result is not included in the list"
	msgQuizGraded         = "This quiz has a passing grade: its attempts are graded."
	missingQuiz           = "quizzes/quiz"
	missingAttempt        = "quizzes/attempt"
	missingLesson         = "lesson"
	defaultQuizzesPerPage = 10
)

// courseState is every course of the community.
type courseState struct {
	courses  map[int64]*course // by space id
	lessons  map[int64]*lesson
	quizzes  map[int64]*quiz
	attempts map[int64]*quizAttempt
	// attemptOrder is every attempt id, oldest first.
	attemptOrder  []int64
	topics        []courseTopic
	nextAttemptID int64
}

type course struct {
	spaceID      int64
	sections     []*section
	lessonLabel  string // the course's word for a lesson, e.g. "day"; "" for the default
	sectionLabel string
	// sequential courses lock a lesson until the previous one is completed.
	sequential bool
}

type section struct {
	id        int64
	name      string
	dripDelay int // days
	dripped   bool
	drippedAt time.Time // zero when not dripped
	notify    bool
	lessons   []int64 // in course order
}

type lesson struct {
	id, courseID, sectionID int64
	name                    string
	paragraphs              []string
	media                   *lessonMedia // nil: no featured media
	commentsEnabled         bool
	downloadEnabled         bool
	enforceMedia            bool
	autocompleteOnMedia     bool
	files                   []lessonFile
	chatRoomUUID            string
	createdAt               time.Time
	// completed maps a member id to when they completed the lesson.
	completed map[int64]time.Time
}

type lessonMedia struct {
	filename, contentType string
	byteSize              int64
	width, height         int
	duration              float64 // seconds
	signedID              string
}

type lessonFile struct {
	id                    int64
	filename, contentType string
	byteSize              int64
	signedID              string
	createdAt             time.Time
}

type quiz struct {
	id, lessonID   int64
	passingGrade   *int
	enforcePassing bool
	hideAnswers    bool
	description    string
	questions      []quizQuestion
}

type quizQuestion struct {
	id        int64
	kind      string // "single_choice" or "multiple_choice"
	statement string
	options   []quizOption
}

type quizOption struct {
	id      int64
	value   string
	correct bool
}

type quizAttempt struct {
	id, quizID, memberID int64
	createdAt            time.Time
	selected             map[int64][]int64 // question id → chosen option ids
	// result, when set, overrides the grading (PUT on a quiz without a
	// passing grade).
	result string
}

type courseTopic struct {
	id        int64
	name      string
	adminOnly bool
}

// --- wire types (Circle's JSON, from the OpenAPI document) ---

type wireProgress struct {
	Status string `json:"status"`
}

type wireSectionLesson struct {
	ID                            int64        `json:"id"`
	Name                          string       `json:"name"`
	IsFeaturedMediaEnabled        bool         `json:"is_featured_media_enabled"`
	FeaturedMediaDuration         *int         `json:"featured_media_duration"`
	DrippedAt                     wireTime     `json:"dripped_at"`
	Progress                      wireProgress `json:"progress"`
	NeedsToCompletePreviousLesson bool         `json:"needs_to_complete_previous_lesson"`
}

type wireSection struct {
	ID                    int64               `json:"id"`
	Name                  string              `json:"name"`
	DripDelay             int                 `json:"drip_delay"`
	NotifyStudentsEnabled bool                `json:"notify_students_enabled"`
	IsDripped             bool                `json:"is_dripped"`
	DrippedAt             wireTime            `json:"dripped_at"`
	Lessons               []wireSectionLesson `json:"lessons"`
}

type wireMediaMetadata struct {
	Identified bool    `json:"identified"`
	Width      int     `json:"width"`
	Height     int     `json:"height"`
	Duration   float64 `json:"duration"`
	Analyzed   bool    `json:"analyzed"`
}

type wireImageVariants struct {
	Thumbnail *string `json:"thumbnail"`
}

type wireFeaturedMedia struct {
	Filename             string            `json:"filename"`
	ContentType          string            `json:"content_type"`
	Metadata             wireMediaMetadata `json:"metadata"`
	ByteSize             int64             `json:"byte_size"`
	Type                 string            `json:"type"`
	URL                  string            `json:"url"`
	WebVTTFileURL        *string           `json:"webvtt_file_url"`
	ChaptersURL          *string           `json:"chapters_url"`
	PreviewThumbnailsURL *string           `json:"preview_thumbnails_url"`
	IsDownloadable       bool              `json:"is_downloadable"`
	ImageVariants        wireImageVariants `json:"image_variants"`
	SignedID             string            `json:"signed_id"`
}

type wireLesson struct {
	ID                                    int64              `json:"id"`
	Name                                  string             `json:"name"`
	EnforceFeaturedMediaCompletion        bool               `json:"enforce_featured_media_completion"`
	AutocompleteOnFeaturedMediaCompletion bool               `json:"autocomplete_on_featured_media_completion"`
	IsCommentsEnabled                     bool               `json:"is_comments_enabled"`
	IsFeaturedMediaEnabled                bool               `json:"is_featured_media_enabled"`
	FeaturedMedia                         *wireFeaturedMedia `json:"featured_media,omitempty"`
	IsFeaturedMediaDownloadEnabled        bool               `json:"is_featured_media_download_enabled"`
	Space                                 wireSpaceRef       `json:"space"`
	BookmarkID                            *int64             `json:"bookmark_id"`
	ChatRoomUUID                          string             `json:"chat_room_uuid"`
	RichTextBody                          json.RawMessage    `json:"rich_text_body"`
	FeaturedMediaDuration                 int                `json:"featured_media_duration"`
	SectionID                             int64              `json:"section_id"`
	DrippedAt                             *string            `json:"dripped_at"`
	Progress                              wireProgress       `json:"progress"`
	NeedsToCompletePreviousLesson         bool               `json:"needs_to_complete_previous_lesson"`
	LessonLabel                           string             `json:"lesson_label,omitempty"`
	SectionLabel                          string             `json:"section_label,omitempty"`
}

type wireLessonFile struct {
	ID          int64    `json:"id"`
	CreatedAt   wireTime `json:"created_at"`
	ByteSize    int64    `json:"byte_size"`
	Filename    string   `json:"filename"`
	ContentType string   `json:"content_type"`
	SignedID    string   `json:"signed_id"`
	URL         string   `json:"url"`
	Type        string   `json:"type"`
}

type wireTopic struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	AdminOnly bool   `json:"admin_only"`
}

type wireQuizOption struct {
	ID       int64  `json:"id"`
	Value    string `json:"value"`
	Selected bool   `json:"selected"`
}

type wireQuizQuestion struct {
	ID           int64            `json:"id"`
	QuestionType string           `json:"question_type"`
	Statement    string           `json:"statement"`
	Correct      *bool            `json:"correct,omitempty"` // left out when the quiz hides answers
	Options      []wireQuizOption `json:"options"`
}

// wireQuizAttempt is a single attempt (GET and POST /quizzes/…/attempts).
// The admin-review fields are present only when asked for.
type wireQuizAttempt struct {
	ID                  int64              `json:"id"`
	QuizID              int64              `json:"quiz_id"`
	CreatedAt           wireTime           `json:"created_at"`
	Grade               int                `json:"grade"`
	Result              string             `json:"result"`
	PassingGrade        *int               `json:"passing_grade,omitempty"`
	EnforcePassingGrade bool               `json:"enforce_passing_grade"`
	HideAnswers         bool               `json:"hide_answers"`
	CorrectResponses    int                `json:"correct_responses"`
	Questions           []wireQuizQuestion `json:"questions"`
	Description         *string            `json:"description"`
	QuizAttemptsCount   *int               `json:"quiz_attempts_count,omitempty"`
	LessonName          *string            `json:"lesson_name,omitempty"`
	SectionName         *string            `json:"section_name,omitempty"`
}

type wireAttemptMember struct {
	ID        int64   `json:"id"`
	PublicUID string  `json:"public_uid"`
	Name      string  `json:"name"`
	AvatarURL *string `json:"avatar_url"`
}

// wireListedAttempt is an attempt of GET /courses/{id}/quiz_attempts.
type wireListedAttempt struct {
	ID                int64             `json:"id"`
	QuizID            int64             `json:"quiz_id"`
	Result            string            `json:"result"`
	Grade             int               `json:"grade"`
	CreatedAt         wireTime          `json:"created_at"`
	CommunityMember   wireAttemptMember `json:"community_member"`
	LessonName        string            `json:"lesson_name"`
	SectionName       string            `json:"section_name"`
	PassingGrade      *int              `json:"passing_grade,omitempty"`
	QuizAttemptsCount int               `json:"quiz_attempts_count"`
}

// --- access ---

// courseForLocked returns a course viewer may read: the course space must
// exist, be visible, and have viewer as a member (or viewer be an admin).
// Anything else is Circle's missing record.
func (st *store) courseForLocked(viewer, courseID int64) (*course, error) {
	c, ok := st.courses.courses[courseID]
	if !ok {
		return nil, notFound("space")
	}
	sp := st.spaces[courseID]
	if !st.canSeeLocked(sp, viewer) {
		return nil, notFound("space")
	}
	if _, member := sp.members[viewer]; !member && !st.isAdminLocked(viewer) {
		return nil, notFound("space")
	}
	return c, nil
}

// lessonInLocked returns a lesson of a course viewer may read.
func (st *store) lessonInLocked(viewer, courseID, lessonID int64) (*course, *lesson, error) {
	c, err := st.courseForLocked(viewer, courseID)
	if err != nil {
		return nil, nil, err
	}
	l, ok := st.courses.lessons[lessonID]
	if !ok || l.courseID != courseID {
		return nil, nil, notFound(missingLesson)
	}
	return c, l, nil
}

// lockedLocked reports whether viewer must complete the lesson before l in
// a sequential course first.
func (st *store) lockedLocked(c *course, l *lesson, viewer int64) bool {
	if !c.sequential {
		return false
	}
	var prev int64
	for _, sec := range c.sections {
		for _, id := range sec.lessons {
			if id == l.id {
				if prev == 0 {
					return false
				}
				_, done := st.courses.lessons[prev].completed[viewer]
				return !done
			}
			prev = id
		}
	}
	return false
}

func progressOf(l *lesson, viewer int64) wireProgress {
	if _, done := l.completed[viewer]; done {
		return wireProgress{Status: "completed"}
	}
	return wireProgress{Status: "incomplete"}
}

// --- rendering ---

func (l *lesson) mediaDuration() *int {
	if l.media == nil {
		return nil
	}
	d := int(l.media.duration + 0.5)
	return &d
}

func (st *store) sectionsLocked(c *course, viewer int64) []wireSection {
	out := make([]wireSection, 0, len(c.sections))
	for _, sec := range c.sections {
		ws := wireSection{ID: sec.id, Name: sec.name, DripDelay: sec.dripDelay, NotifyStudentsEnabled: sec.notify, IsDripped: sec.dripped, DrippedAt: wireTime(sec.drippedAt), Lessons: []wireSectionLesson{}}
		for _, id := range sec.lessons {
			l := st.courses.lessons[id]
			ws.Lessons = append(ws.Lessons, wireSectionLesson{
				ID: l.id, Name: l.name, IsFeaturedMediaEnabled: l.media != nil, FeaturedMediaDuration: l.mediaDuration(),
				DrippedAt: wireTime(sec.drippedAt), Progress: progressOf(l, viewer), NeedsToCompletePreviousLesson: st.lockedLocked(c, l, viewer),
			})
		}
		out = append(out, ws)
	}
	return out
}

func blobURL(signedID, filename string) string {
	return communityURL + "/rails/active_storage/blobs/redirect/" + signedID + "/" + filename
}

func (st *store) lessonLocked(c *course, l *lesson, viewer int64) wireLesson {
	sp := st.spaces[c.spaceID]
	var sec *section
	for _, s := range c.sections {
		if s.id == l.sectionID {
			sec = s
		}
	}
	out := wireLesson{
		ID: l.id, Name: l.name,
		EnforceFeaturedMediaCompletion: l.enforceMedia, AutocompleteOnFeaturedMediaCompletion: l.autocompleteOnMedia,
		IsCommentsEnabled: l.commentsEnabled, IsFeaturedMediaEnabled: l.media != nil,
		IsFeaturedMediaDownloadEnabled: l.downloadEnabled,
		Space:                          wireSpaceRef{ID: sp.id, Name: sp.name, Slug: sp.slug},
		ChatRoomUUID:                   l.chatRoomUUID,
		RichTextBody:                   tiptapDoc(l.paragraphs),
		SectionID:                      l.sectionID,
		Progress:                       progressOf(l, viewer),
		NeedsToCompletePreviousLesson:  st.lockedLocked(c, l, viewer),
		LessonLabel:                    c.lessonLabel,
		SectionLabel:                   c.sectionLabel,
	}
	if sec != nil && !sec.drippedAt.IsZero() {
		at := sec.drippedAt.UTC().Format("2006-01-02T15:04:05.000Z")
		out.DrippedAt = &at
	}
	if m := l.media; m != nil {
		thumb := blobURL(m.signedID, "thumbnail.jpg")
		out.FeaturedMedia = &wireFeaturedMedia{
			Filename: m.filename, ContentType: m.contentType, ByteSize: m.byteSize, Type: "file",
			Metadata:       wireMediaMetadata{Identified: true, Width: m.width, Height: m.height, Duration: m.duration, Analyzed: true},
			URL:            blobURL(m.signedID, m.filename),
			IsDownloadable: l.downloadEnabled,
			ImageVariants:  wireImageVariants{Thumbnail: &thumb},
			SignedID:       m.signedID,
		}
		out.FeaturedMediaDuration = *l.mediaDuration()
	}
	return out
}

func lessonFileWire(f lessonFile) wireLessonFile {
	return wireLessonFile{ID: f.id, CreatedAt: wireTime(f.createdAt), ByteSize: f.byteSize, Filename: f.filename, ContentType: f.contentType, SignedID: f.signedID, URL: blobURL(f.signedID, f.filename), Type: "file"}
}

// grade scores an attempt: a question is right when exactly its correct
// options were chosen.
func (q *quiz) grade(a *quizAttempt) (correct, grade int, result string) {
	for _, qu := range q.questions {
		var want []int64
		for _, o := range qu.options {
			if o.correct {
				want = append(want, o.id)
			}
		}
		got := slices.Clone(a.selected[qu.id])
		slices.Sort(got)
		if slices.Equal(got, want) {
			correct++
		}
	}
	if len(q.questions) > 0 {
		grade = (100*correct + len(q.questions)/2) / len(q.questions)
	}
	switch {
	case a.result != "":
		result = a.result
	case q.passingGrade == nil:
		result = "pending"
	case grade >= *q.passingGrade:
		result = "passed"
	default:
		result = "failed"
	}
	return correct, grade, result
}

// attemptsOfLocked counts a member's attempts at a quiz.
func (st *store) attemptsOfLocked(quizID, memberID int64) int {
	n := 0
	for _, a := range st.courses.attempts {
		if a.quizID == quizID && a.memberID == memberID {
			n++
		}
	}
	return n
}

// lessonAndSectionLocked names a quiz's lesson and section.
func (st *store) lessonAndSectionLocked(q *quiz) (lessonName, sectionName string) {
	l := st.courses.lessons[q.lessonID]
	for _, s := range st.courses.courses[l.courseID].sections {
		if s.id == l.sectionID {
			return l.name, s.name
		}
	}
	return l.name, ""
}

func (st *store) attemptLocked(a *quizAttempt, forReview bool) wireQuizAttempt {
	q := st.courses.quizzes[a.quizID]
	correct, grade, result := q.grade(a)
	out := wireQuizAttempt{
		ID: a.id, QuizID: q.id, CreatedAt: wireTime(a.createdAt), Grade: grade, Result: result,
		PassingGrade: q.passingGrade, EnforcePassingGrade: q.enforcePassing, HideAnswers: q.hideAnswers,
		CorrectResponses: correct, Questions: []wireQuizQuestion{},
	}
	if q.description != "" {
		d := q.description
		out.Description = &d
	}
	for _, qu := range q.questions {
		wq := wireQuizQuestion{ID: qu.id, QuestionType: qu.kind, Statement: qu.statement, Options: []wireQuizOption{}}
		chosen := a.selected[qu.id]
		right := true
		for _, o := range qu.options {
			sel := slices.Contains(chosen, o.id)
			if sel != o.correct {
				right = false
			}
			wq.Options = append(wq.Options, wireQuizOption{ID: o.id, Value: o.value, Selected: sel})
		}
		if !q.hideAnswers {
			wq.Correct = &right
		}
		out.Questions = append(out.Questions, wq)
	}
	if forReview {
		n := st.attemptsOfLocked(q.id, a.memberID)
		lessonName, sectionName := st.lessonAndSectionLocked(q)
		out.QuizAttemptsCount, out.LessonName, out.SectionName = &n, &lessonName, &sectionName
	}
	return out
}

// --- the endpoints' logic ---

// courseSections is GET /courses/{course_id}/sections.
func (st *store) courseSections(viewer, courseID int64) ([]wireSection, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	c, err := st.courseForLocked(viewer, courseID)
	if err != nil {
		return nil, err
	}
	return st.sectionsLocked(c, viewer), nil
}

// lessonFor is GET /courses/{course_id}/lessons/{id}.
func (st *store) lessonFor(viewer, courseID, lessonID int64) (wireLesson, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	c, l, err := st.lessonInLocked(viewer, courseID, lessonID)
	if err != nil {
		return wireLesson{}, err
	}
	return st.lessonLocked(c, l, viewer), nil
}

// lessonFiles is GET /courses/{course_id}/lessons/{lesson_id}/files, in
// attachment order, newest first as in Circle's example.
func (st *store) lessonFiles(viewer, courseID, lessonID int64, pp pageParams) (wirePage[wireLessonFile], error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	_, l, err := st.lessonInLocked(viewer, courseID, lessonID)
	if err != nil {
		return wirePage[wireLessonFile]{}, err
	}
	files := slices.Clone(l.files)
	slices.Reverse(files)
	return ownPage(files, pp, lessonFileWire).minPageCount(), nil
}

// setProgress is PATCH /courses/{course_id}/lessons/{lesson_id}/progress.
func (st *store) setProgress(viewer, courseID, lessonID int64, status string, now time.Time) (wireProgress, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	c, l, err := st.lessonInLocked(viewer, courseID, lessonID)
	if err != nil {
		return wireProgress{}, err
	}
	switch status {
	case "completed":
		if st.lockedLocked(c, l, viewer) {
			return wireProgress{}, invalid(msgPreviousLesson, nil)
		}
		if _, done := l.completed[viewer]; !done {
			l.completed[viewer] = now
		}
	case "incomplete":
		delete(l.completed, viewer)
	default:
		return wireProgress{}, invalid(msgProgressStatus, map[string][]string{"status": {"is not included in the list"}})
	}
	return progressOf(l, viewer), nil
}

// courseTopicsPage is GET /course_topics.
func (st *store) courseTopicsPage(pp pageParams) wirePage[wireTopic] {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return ownPage(st.courses.topics, pp, func(t courseTopic) wireTopic {
		return wireTopic{ID: t.id, Name: t.name, AdminOnly: t.adminOnly}
	})
}

// cannotPerform is Circle's documented refusal of a quiz action: a 401
// with "You cannot perform this action."
func cannotPerform() *apiError {
	return &apiError{status: http.StatusUnauthorized, message: msgCannotPerform}
}

// courseQuizAttempts is GET /courses/{course_id}/quiz_attempts: for admins,
// each member's latest attempt at each quiz of the course, newest first.
func (st *store) courseQuizAttempts(viewer, courseID int64, pp pageParams) (wirePage[wireListedAttempt], error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if _, err := st.courseForLocked(viewer, courseID); err != nil {
		return wirePage[wireListedAttempt]{}, err
	}
	if !st.isAdminLocked(viewer) {
		return wirePage[wireListedAttempt]{}, cannotPerform()
	}
	type key struct{ quiz, member int64 }
	latest := map[key]*quizAttempt{}
	var keys []key
	for _, id := range st.courses.attemptOrder {
		a := st.courses.attempts[id]
		if st.courses.lessons[st.courses.quizzes[a.quizID].lessonID].courseID != courseID {
			continue
		}
		k := key{a.quizID, a.memberID}
		if _, ok := latest[k]; !ok {
			keys = append(keys, k)
		}
		latest[k] = a
	}
	// The document's list knows only decided attempts (result passed or
	// failed): attempts still pending are reviewed one by one.
	list := make([]*quizAttempt, 0, len(keys))
	for _, k := range keys {
		a := latest[k]
		if _, _, result := st.courses.quizzes[a.quizID].grade(a); result != "pending" {
			list = append(list, a)
		}
	}
	slices.SortStableFunc(list, func(a, b *quizAttempt) int {
		if c := b.createdAt.Compare(a.createdAt); c != 0 {
			return c
		}
		return int(b.id - a.id)
	})
	return ownPage(list, pp, func(a *quizAttempt) wireListedAttempt {
		q := st.courses.quizzes[a.quizID]
		_, grade, result := q.grade(a)
		m := st.members[a.memberID]
		lessonName, sectionName := st.lessonAndSectionLocked(q)
		return wireListedAttempt{
			ID: a.id, QuizID: q.id, Result: result, Grade: grade, CreatedAt: wireTime(a.createdAt),
			CommunityMember: wireAttemptMember{ID: m.id, PublicUID: m.publicUID, Name: m.name, AvatarURL: cloneStr(m.avatarURL)},
			LessonName:      lessonName, SectionName: sectionName, PassingGrade: q.passingGrade,
			QuizAttemptsCount: st.attemptsOfLocked(q.id, a.memberID),
		}
	}).minPageCount(), nil
}

// quizForLocked returns a quiz viewer may take: its course must be one
// viewer reads. An unknown quiz is Circle's missing quizzes/quiz; a course
// viewer cannot read makes the quiz unknown too.
func (st *store) quizForLocked(viewer, quizID int64) (*quiz, error) {
	q, ok := st.courses.quizzes[quizID]
	if !ok {
		return nil, notFound(missingQuiz)
	}
	if _, err := st.courseForLocked(viewer, st.courses.lessons[q.lessonID].courseID); err != nil {
		return nil, notFound(missingQuiz)
	}
	return q, nil
}

// attemptForLocked returns an attempt viewer may see: their own, or any
// for an admin.
func (st *store) attemptForLocked(viewer, quizID, attemptID int64) (*quizAttempt, error) {
	if _, err := st.quizForLocked(viewer, quizID); err != nil {
		return nil, err
	}
	a, ok := st.courses.attempts[attemptID]
	if !ok || a.quizID != quizID || (a.memberID != viewer && !st.isAdminLocked(viewer)) {
		return nil, notFound(missingAttempt)
	}
	return a, nil
}

// quizResponse is one answer of POST /quizzes/{quiz_id}/attempts.
type quizResponse struct {
	QuestionID      int64   `json:"question_id"`
	SelectedOptions []int64 `json:"selected_options"`
}

// createAttempt is POST /quizzes/{quiz_id}/attempts.
func (st *store) createAttempt(viewer, quizID int64, responses []quizResponse, now time.Time) (wireQuizAttempt, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	q, ok := st.courses.quizzes[quizID]
	if !ok {
		return wireQuizAttempt{}, notFound(missingQuiz)
	}
	if _, err := st.courseForLocked(viewer, st.courses.lessons[q.lessonID].courseID); err != nil {
		return wireQuizAttempt{}, cannotPerform()
	}
	selected := map[int64][]int64{}
	for _, r := range responses {
		if !slices.ContainsFunc(q.questions, func(qu quizQuestion) bool { return qu.id == r.QuestionID }) {
			return wireQuizAttempt{}, invalid(msgQuizResponses, map[string][]string{"responses": {"contain an unknown question"}})
		}
		selected[r.QuestionID] = slices.Clone(r.SelectedOptions)
	}
	a := &quizAttempt{id: st.courses.nextAttemptID, quizID: quizID, memberID: viewer, createdAt: now, selected: selected}
	st.courses.nextAttemptID++
	st.courses.attempts[a.id] = a
	st.courses.attemptOrder = append(st.courses.attemptOrder, a.id)
	return st.attemptLocked(a, false), nil
}

// attempt is GET /quizzes/{quiz_id}/attempts/{id}.
func (st *store) attempt(viewer, quizID, attemptID int64, forReview bool) (wireQuizAttempt, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	a, err := st.attemptForLocked(viewer, quizID, attemptID)
	if err != nil {
		return wireQuizAttempt{}, err
	}
	return st.attemptLocked(a, forReview), nil
}

// setAttemptResult is PUT /quizzes/{quiz_id}/attempts/{id}: only for
// quizzes without a passing grade.
func (st *store) setAttemptResult(viewer, quizID, attemptID int64, result string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	a, err := st.attemptForLocked(viewer, quizID, attemptID)
	if err != nil {
		return err
	}
	if st.courses.quizzes[quizID].passingGrade != nil {
		return invalid(msgQuizGraded, nil)
	}
	switch result {
	case "pending", "passed", "failed":
		a.result = result
		return nil
	default:
		return invalid(msgQuizResult, map[string][]string{"result": {"is not included in the list"}})
	}
}

// --- HTTP ---

// courseRoutes adds the course and quiz endpoints through member (the
// route table's registration function).
func (s *Sandbox) courseRoutes(member func(method, path string, h memberHandler)) {
	get, post, put, patch := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch
	member(get, "/courses/{course_id}/sections", s.courseSections)
	member(get, "/courses/{course_id}/lessons/{id}", s.lesson)
	member(get, "/courses/{course_id}/lessons/{lesson_id}/files", s.lessonFiles)
	member(patch, "/courses/{course_id}/lessons/{lesson_id}/progress", s.lessonProgress)
	member(get, "/course_topics", s.courseTopics)
	member(get, "/courses/{course_id}/quiz_attempts", s.courseQuizAttempts)
	member(post, "/quizzes/{quiz_id}/attempts", s.createQuizAttempt)
	member(get, "/quizzes/{quiz_id}/attempts/{id}", s.quizAttempt)
	member(put, "/quizzes/{quiz_id}/attempts/{id}", s.setQuizAttemptResult)
}

// pathIDs reads two numeric path parameters.
func pathIDs(r *http.Request, a, whatA, b, whatB string) (int64, int64, error) {
	idA, err := pathID(r, a, whatA)
	if err != nil {
		return 0, 0, err
	}
	idB, err := pathID(r, b, whatB)
	return idA, idB, err
}

func (s *Sandbox) courseSections(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "course_id", "space", func(courseID int64) (any, error) {
		return s.store.courseSections(viewer, courseID)
	})
}

func (s *Sandbox) lesson(w http.ResponseWriter, r *http.Request, viewer int64) {
	courseID, lessonID, err := pathIDs(r, "course_id", "space", "id", missingLesson)
	if err != nil {
		writeError(w, err)
		return
	}
	l, err := s.store.lessonFor(viewer, courseID, lessonID)
	answer(w, l, err)
}

func (s *Sandbox) lessonFiles(w http.ResponseWriter, r *http.Request, viewer int64) {
	courseID, lessonID, err := pathIDs(r, "course_id", "space", "lesson_id", missingLesson)
	if err != nil {
		writeError(w, err)
		return
	}
	page, err := s.store.lessonFiles(viewer, courseID, lessonID, pageFrom(r.URL.Query(), defaultPerPage))
	answer(w, page, err)
}

func (s *Sandbox) lessonProgress(w http.ResponseWriter, r *http.Request, viewer int64) {
	courseID, lessonID, err := pathIDs(r, "course_id", "space", "lesson_id", missingLesson)
	if err != nil {
		writeError(w, err)
		return
	}
	var body struct {
		Status string `json:"status"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		writeError(w, err)
		return
	}
	p, err := s.store.setProgress(viewer, courseID, lessonID, body.Status, s.now())
	answer(w, p, err)
}

func (s *Sandbox) courseTopics(w http.ResponseWriter, r *http.Request, _ int64) {
	writeJSON(w, http.StatusOK, s.store.courseTopicsPage(pageFrom(r.URL.Query(), defaultPerPage)))
}

func (s *Sandbox) courseQuizAttempts(w http.ResponseWriter, r *http.Request, viewer int64) {
	byID(w, r, "course_id", "space", func(courseID int64) (any, error) {
		return s.store.courseQuizAttempts(viewer, courseID, pageFrom(r.URL.Query(), defaultQuizzesPerPage))
	})
}

func (s *Sandbox) createQuizAttempt(w http.ResponseWriter, r *http.Request, viewer int64) {
	quizID, err := pathID(r, "quiz_id", missingQuiz)
	if err != nil {
		writeError(w, err)
		return
	}
	var body struct {
		Responses []quizResponse `json:"responses"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		writeError(w, err)
		return
	}
	a, err := s.store.createAttempt(viewer, quizID, body.Responses, s.now())
	answerCreated(w, a, err)
}

func (s *Sandbox) quizAttempt(w http.ResponseWriter, r *http.Request, viewer int64) {
	quizID, attemptID, err := pathIDs(r, "quiz_id", missingQuiz, "id", missingAttempt)
	if err != nil {
		writeError(w, err)
		return
	}
	review := boolFrom(r.URL.Query(), "for_admin_review")
	a, err := s.store.attempt(viewer, quizID, attemptID, review != nil && *review)
	answer(w, a, err)
}

func (s *Sandbox) setQuizAttemptResult(w http.ResponseWriter, r *http.Request, viewer int64) {
	quizID, attemptID, err := pathIDs(r, "quiz_id", missingQuiz, "id", missingAttempt)
	if err != nil {
		writeError(w, err)
		return
	}
	var body struct {
		Result string `json:"result"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		writeError(w, err)
		return
	}
	if err := s.store.setAttemptResult(viewer, quizID, attemptID, body.Result); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ownPage cuts one page out of items, as listPage does, with page_count
// the number of records on the page, as in the examples of the course,
// quiz, search and profile field endpoints.
func ownPage[T, R any](items []T, pp pageParams, render func(T) R) wirePage[R] {
	p := listPage(items, pp, render)
	p.PageCount = len(p.Records)
	return p
}

// minPageCount returns p with page_count at least 1, for the endpoints
// whose document says so even of an empty page (lesson files, quiz
// attempts).
func (p wirePage[T]) minPageCount() wirePage[T] {
	p.PageCount = max(p.PageCount, 1)
	return p
}
