package model

import (
	"strings"
	"time"

	"github.com/circle-gateway/gateway/circle"
)

// QuizAttempt is an attempt at a quiz: a single attempt's record (graded
// questions) or a course list's (member, lesson and section names). The
// grading fields a list record lacks are answered by resolvers that load
// the attempt.
type QuizAttempt struct {
	a        *circle.QuizAttempt
	detailed bool
}

// QuizAttemptFromDetail wraps a single attempt (GET or POST
// /quizzes/{quiz_id}/attempts…), which carries the graded questions.
func QuizAttemptFromDetail(a *circle.QuizAttempt) *QuizAttempt {
	return &QuizAttempt{a: a, detailed: true}
}

// QuizAttemptFromList wraps an attempt of a course's list.
func QuizAttemptFromList(a *circle.QuizAttempt) *QuizAttempt { return &QuizAttempt{a: a} }

// Circle returns the wrapped record.
func (q *QuizAttempt) Circle() *circle.QuizAttempt { return q.a }

// Detailed reports whether the record carries the grading details.
func (q *QuizAttempt) Detailed() bool { return q.detailed }

// ID is the GraphQL id.
func (q *QuizAttempt) ID() string { return FormatID(q.a.ID) }

// QuizID is the quiz's id.
func (q *QuizAttempt) QuizID() string { return FormatID(q.a.QuizID) }

// CreatedAt is when the attempt was made.
func (q *QuizAttempt) CreatedAt() *time.Time { return q.a.CreatedAt.Ptr() }

// Grade is the grade in percent.
func (q *QuizAttempt) Grade() *int { return q.a.Grade }

// Result maps Circle's result.
func (q *QuizAttempt) Result() *QuizResult { return ParseQuizResult(q.a.Result) }

// PassingGrade is the grade needed to pass.
func (q *QuizAttempt) PassingGrade() *int { return q.a.PassingGrade }

// Member is the member who made the attempt, when Circle names them.
func (q *QuizAttempt) Member() *Member {
	cm := q.a.CommunityMember
	if cm == nil || cm.ID == 0 {
		return nil
	}
	m := &Member{id: cm.ID, name: cm.Name}
	m.avatarURL = known(cm.AvatarURL)
	return m
}

// AttemptsCount is the member's number of attempts at the quiz.
func (q *QuizAttempt) AttemptsCount() *int { return q.a.QuizAttemptsCount }

// LessonName is the name of the quiz's lesson.
func (q *QuizAttempt) LessonName() *string { return q.a.LessonName }

// SectionName is the name of the quiz's section.
func (q *QuizAttempt) SectionName() *string { return q.a.SectionName }

// ParseQuizResult maps Circle's result ("passed", "failed", "pending");
// anything else is nil.
func ParseQuizResult(s string) *QuizResult {
	v := QuizResult(strings.ToUpper(s))
	if !v.IsValid() {
		return nil
	}
	return &v
}

// QuizQuestionsOf wraps an attempt's questions.
func QuizQuestionsOf(qs []circle.QuizQuestion) []*QuizQuestion {
	out := make([]*QuizQuestion, len(qs))
	for i := range qs {
		out[i] = &QuizQuestion{q: &qs[i]}
	}
	return out
}

// QuizQuestion is one question of an attempt.
type QuizQuestion struct{ q *circle.QuizQuestion }

// ID is the GraphQL id.
func (q *QuizQuestion) ID() string { return FormatID(q.q.ID) }

// Type is Circle's question type.
func (q *QuizQuestion) Type() *string { return nonEmpty(q.q.QuestionType) }

// Statement is the question.
func (q *QuizQuestion) Statement() string { return q.q.Statement }

// Correct reports whether the member answered right.
func (q *QuizQuestion) Correct() *bool { return q.q.Correct }

// Options are the answer options.
func (q *QuizQuestion) Options() []*QuizOption {
	out := make([]*QuizOption, len(q.q.Options))
	for i := range q.q.Options {
		out[i] = &QuizOption{o: &q.q.Options[i]}
	}
	return out
}

// QuizOption is an answer option.
type QuizOption struct{ o *circle.QuizOption }

// ID is the GraphQL id.
func (o *QuizOption) ID() string { return FormatID(o.o.ID) }

// Value is the option's text.
func (o *QuizOption) Value() string { return o.o.Value }

// Selected reports whether the member chose it.
func (o *QuizOption) Selected() bool { return o.o.Selected }
