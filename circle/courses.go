package circle

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// Courses and quizzes of the Member API. A course is a space whose
// space_type is "course"; its course_id is that space's id. Circle sends the
// signed-in member's progress with every lesson, in the course outline
// (GET /courses/{course_id}/sections) as in a lesson's own answer.

// Lesson progress statuses as Circle writes them.
const (
	LessonCompleted  = "completed"
	LessonIncomplete = "incomplete"
)

// SpaceTypeCourse is the space_type of a course space.
const SpaceTypeCourse = "course"

// LessonProgress is the member's progress in a lesson: {"status": …}.
type LessonProgress struct {
	Status string `json:"status"`
}

// SectionLesson is a lesson as the course outline lists it: what a course
// page shows, without the lesson's body or media.
type SectionLesson struct {
	ID                            int64           `json:"id"`
	Name                          string          `json:"name"`
	IsFeaturedMediaEnabled        bool            `json:"is_featured_media_enabled"`
	FeaturedMediaDuration         *int            `json:"featured_media_duration"`
	DrippedAt                     Timestamp       `json:"dripped_at"`
	Progress                      *LessonProgress `json:"progress"`
	NeedsToCompletePreviousLesson bool            `json:"needs_to_complete_previous_lesson"`
}

// Section is one section of a course outline with its lessons, in course
// order. Circle's example writes is_dripped and its schema is_dropped: both
// are read.
type Section struct {
	ID                    int64           `json:"id"`
	Name                  string          `json:"name"`
	DripDelay             *int            `json:"drip_delay"`
	NotifyStudentsEnabled bool            `json:"notify_students_enabled"`
	IsDripped             *bool           `json:"is_dripped"`
	IsDropped             *bool           `json:"is_dropped"`
	DrippedAt             Timestamp       `json:"dripped_at"`
	Lessons               []SectionLesson `json:"lessons"`
}

// Dripped is Circle's is_dripped flag, under either of its spellings.
func (s *Section) Dripped() bool {
	switch {
	case s.IsDripped != nil:
		return *s.IsDripped
	case s.IsDropped != nil:
		return *s.IsDropped
	}
	return false
}

// MediaMetadata is what Circle learnt by analysing a media file.
type MediaMetadata struct {
	Width    *int     `json:"width"`
	Height   *int     `json:"height"`
	Duration *float64 `json:"duration"` // seconds
}

// FeaturedMedia is a lesson's featured video or file.
type FeaturedMedia struct {
	Filename             string         `json:"filename"`
	ContentType          string         `json:"content_type"`
	Metadata             *MediaMetadata `json:"metadata"`
	ByteSize             *int64         `json:"byte_size"`
	Type                 string         `json:"type"`
	URL                  string         `json:"url"`
	WebVTTFileURL        *string        `json:"webvtt_file_url"`
	ChaptersURL          *string        `json:"chapters_url"`
	PreviewThumbnailsURL *string        `json:"preview_thumbnails_url"`
	IsDownloadable       *bool          `json:"is_downloadable"`
	ImageVariants        *struct {
		Thumbnail *string `json:"thumbnail"`
	} `json:"image_variants"`
	SignedID string `json:"signed_id"`
}

// Lesson is one lesson as GET /courses/{course_id}/lessons/{id} returns it.
// RichTextBody is Circle's rich_text_body (a TipTap document in the same
// envelope as a post's tiptap_body), passed through undecoded.
type Lesson struct {
	ID                                    int64           `json:"id"`
	Name                                  string          `json:"name"`
	EnforceFeaturedMediaCompletion        bool            `json:"enforce_featured_media_completion"`
	AutocompleteOnFeaturedMediaCompletion bool            `json:"autocomplete_on_featured_media_completion"`
	IsCommentsEnabled                     bool            `json:"is_comments_enabled"`
	IsFeaturedMediaEnabled                bool            `json:"is_featured_media_enabled"`
	FeaturedMedia                         *FeaturedMedia  `json:"featured_media"`
	IsFeaturedMediaDownloadEnabled        bool            `json:"is_featured_media_download_enabled"`
	Space                                 SpaceRef        `json:"space"`
	BookmarkID                            *int64          `json:"bookmark_id"`
	ChatRoomUUID                          string          `json:"chat_room_uuid"`
	RichTextBody                          json.RawMessage `json:"rich_text_body"`
	FeaturedMediaDuration                 *int            `json:"featured_media_duration"`
	SectionID                             int64           `json:"section_id"`
	DrippedAt                             Timestamp       `json:"dripped_at"`
	Progress                              *LessonProgress `json:"progress"`
	NeedsToCompletePreviousLesson         bool            `json:"needs_to_complete_previous_lesson"`
	LessonLabel                           string          `json:"lesson_label"`
	SectionLabel                          string          `json:"section_label"`
}

// LessonFile is a file attached to a lesson.
type LessonFile struct {
	ID          int64     `json:"id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	ByteSize    *int64    `json:"byte_size"`
	CreatedAt   Timestamp `json:"created_at"`
	SignedID    string    `json:"signed_id"`
	URL         string    `json:"url"`
	Type        string    `json:"type"`
}

// CourseTopic is a topic of the course directory.
type CourseTopic struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	AdminOnly bool   `json:"admin_only"`
}

// CourseSections returns a course's outline, sections in course order with
// their lessons and the member's progress: GET /courses/{course_id}/sections
// (not paginated).
func (m *MemberAPI) CourseSections(ctx context.Context, courseID int64) ([]Section, error) {
	var out []Section
	return out, m.get(ctx, "/courses/{course_id}/sections", "/courses/"+id(courseID)+"/sections", nil, &out)
}

// Lesson returns one lesson of a course: GET /courses/{course_id}/lessons/{id}.
func (m *MemberAPI) Lesson(ctx context.Context, courseID, lessonID int64) (*Lesson, error) {
	var out Lesson
	const endpoint = "/courses/{course_id}/lessons/{id}"
	return &out, identified(m.get(ctx, endpoint, "/courses/"+id(courseID)+"/lessons/"+id(lessonID), nil, &out), endpoint, out.ID)
}

// LessonFiles lists a lesson's files:
// GET /courses/{course_id}/lessons/{lesson_id}/files.
func (m *MemberAPI) LessonFiles(ctx context.Context, courseID, lessonID int64, p ListParams) (*Page[LessonFile], error) {
	var out Page[LessonFile]
	return &out, m.get(ctx, "/courses/{course_id}/lessons/{lesson_id}/files", "/courses/"+id(courseID)+"/lessons/"+id(lessonID)+"/files", p.query(), &out)
}

// CourseTopics lists the course directory's topics: GET /course_topics.
func (m *MemberAPI) CourseTopics(ctx context.Context, p ListParams) (*Page[CourseTopic], error) {
	var out Page[CourseTopic]
	return &out, m.get(ctx, "/course_topics", "/course_topics", p.query(), &out)
}

// SetLessonProgress marks a lesson completed or incomplete for the member:
// PATCH /courses/{course_id}/lessons/{lesson_id}/progress with {"status": …}.
// Circle answers only the new status; callers re-read the lesson.
func (m *MemberAPI) SetLessonProgress(ctx context.Context, courseID, lessonID int64, status string) (*LessonProgress, error) {
	var out LessonProgress
	if err := m.write(ctx, http.MethodPatch, "/courses/{course_id}/lessons/{lesson_id}/progress",
		"/courses/"+id(courseID)+"/lessons/"+id(lessonID)+"/progress", LessonProgress{Status: status}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Quiz results as Circle writes them.
const (
	QuizPassed  = "passed"
	QuizFailed  = "failed"
	QuizPending = "pending"
)

// QuizOption is one answer option of a question, with the member's choice.
type QuizOption struct {
	ID       int64  `json:"id"`
	Value    string `json:"value"`
	Selected bool   `json:"selected"`
}

// QuizQuestion is one question of an attempt, graded.
type QuizQuestion struct {
	ID           int64        `json:"id"`
	QuestionType string       `json:"question_type"`
	Statement    string       `json:"statement"`
	Correct      *bool        `json:"correct"`
	Options      []QuizOption `json:"options"`
}

// QuizAttemptMember is the member an attempt of a course's list belongs to;
// ID is the community member id.
type QuizAttemptMember struct {
	ID        int64   `json:"id"`
	PublicUID string  `json:"public_uid"`
	Name      string  `json:"name"`
	AvatarURL *string `json:"avatar_url"`
}

// QuizAttempt is one attempt at a quiz. A single attempt (GET or POST
// /quizzes/{quiz_id}/attempts…) carries the graded questions; an attempt of
// a course's list (GET /courses/{course_id}/quiz_attempts) carries the
// member, lesson and section names instead, and Questions is then nil.
type QuizAttempt struct {
	ID                  int64              `json:"id"`
	QuizID              int64              `json:"quiz_id"`
	CreatedAt           Timestamp          `json:"created_at"`
	Grade               *int               `json:"grade"`
	Result              string             `json:"result"`
	PassingGrade        *int               `json:"passing_grade"`
	EnforcePassingGrade *bool              `json:"enforce_passing_grade"`
	HideAnswers         *bool              `json:"hide_answers"`
	CorrectResponses    *int               `json:"correct_responses"`
	Description         *string            `json:"description"`
	Questions           []QuizQuestion     `json:"questions"`
	QuizAttemptsCount   *int               `json:"quiz_attempts_count"`
	LessonName          *string            `json:"lesson_name"`
	SectionName         *string            `json:"section_name"`
	CommunityMember     *QuizAttemptMember `json:"community_member"`
}

// QuizResponse is the member's answer to one question.
type QuizResponse struct {
	QuestionID      int64   `json:"question_id"`
	SelectedOptions []int64 `json:"selected_options"`
}

// quizAttemptRequest is the body of POST /quizzes/{quiz_id}/attempts.
type quizAttemptRequest struct {
	Responses []QuizResponse `json:"responses"`
}

// CourseQuizAttempts lists the latest quiz attempts of a course's members
// (Circle allows it to course admins): GET /courses/{course_id}/quiz_attempts.
func (m *MemberAPI) CourseQuizAttempts(ctx context.Context, courseID int64, p ListParams) (*Page[QuizAttempt], error) {
	var out Page[QuizAttempt]
	return &out, m.get(ctx, "/courses/{course_id}/quiz_attempts", "/courses/"+id(courseID)+"/quiz_attempts", p.query(), &out)
}

// QuizAttempt returns one attempt: GET /quizzes/{quiz_id}/attempts/{id};
// forAdminReview asks Circle to add the attempts count and the lesson and
// section names.
func (m *MemberAPI) QuizAttempt(ctx context.Context, quizID, attemptID int64, forAdminReview bool) (*QuizAttempt, error) {
	var q url.Values
	if forAdminReview {
		q = url.Values{"for_admin_review": {strconv.FormatBool(true)}}
	}
	var out QuizAttempt
	const endpoint = "/quizzes/{quiz_id}/attempts/{id}"
	return &out, identified(m.get(ctx, endpoint, "/quizzes/"+id(quizID)+"/attempts/"+id(attemptID), q, &out), endpoint, out.ID)
}

// CreateQuizAttempt submits the member's answers to a quiz:
// POST /quizzes/{quiz_id}/attempts. Circle grades it and answers 201 with
// the attempt.
func (m *MemberAPI) CreateQuizAttempt(ctx context.Context, quizID int64, responses []QuizResponse) (*QuizAttempt, error) {
	if responses == nil {
		responses = []QuizResponse{}
	}
	var out QuizAttempt
	if err := m.write(ctx, http.MethodPost, "/quizzes/{quiz_id}/attempts", "/quizzes/"+id(quizID)+"/attempts", quizAttemptRequest{Responses: responses}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetQuizAttemptResult sets the result of an attempt at a quiz without a
// passing grade: PUT /quizzes/{quiz_id}/attempts/{id} with {"result": …}.
// Circle answers 204; callers re-read the attempt.
func (m *MemberAPI) SetQuizAttemptResult(ctx context.Context, quizID, attemptID int64, result string) error {
	return m.write(ctx, http.MethodPut, "/quizzes/{quiz_id}/attempts/{id}", "/quizzes/"+id(quizID)+"/attempts/"+id(attemptID),
		struct {
			Result string `json:"result"`
		}{result}, nil)
}
