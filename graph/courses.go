package graph

import (
	"context"
	"fmt"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
	"github.com/circle-gateway/gateway/relay"
)

// What the course and quiz resolvers share. Every read goes through the
// operation's deduplicated GETs, so a course's outline, a lesson or a quiz
// attempt costs one call per operation however many fields (or aliases,
// or search results) ask for it.

// courseSections returns a course's outline: the one the course holds,
// else one GET /courses/{id}/sections for the operation.
func courseSections(ctx context.Context, c *model.Course) ([]circle.Section, error) {
	if s, ok := c.KnownSections(); ok {
		return s, nil
	}
	api, err := memberAPI(ctx)
	if err != nil {
		return nil, err
	}
	return api.CourseSections(ctx, c.CircleID())
}

// lessonDetail returns a lesson's own record: the one it holds, else one
// GET /courses/{course_id}/lessons/{id} for the operation.
func lessonDetail(ctx context.Context, lesson *model.Lesson) (*circle.Lesson, error) {
	if d := lesson.Detail(); d != nil {
		return d, nil
	}
	api, err := memberAPI(ctx)
	if err != nil {
		return nil, err
	}
	d, err := api.Lesson(ctx, lesson.CourseID(), lesson.CircleID())
	if err != nil {
		return nil, fmt.Errorf("lesson %d of course %d: %w", lesson.CircleID(), lesson.CourseID(), err)
	}
	return d, nil
}

// lessonField answers a lesson field from the course outline when the
// lesson came from it and the outline has the field (fromOutline non-nil),
// else from the lesson's own record.
func lessonField[T any](ctx context.Context, lesson *model.Lesson, fromOutline func(*circle.SectionLesson) T, fromDetail func(*circle.Lesson) T) (T, error) {
	if o := lesson.Outline(); o != nil && fromOutline != nil {
		return fromOutline(o), nil
	}
	d, err := lessonDetail(ctx, lesson)
	if err != nil {
		var zero T
		return zero, err
	}
	return fromDetail(d), nil
}

// quizAttemptDetail returns an attempt's grading details: the record it
// holds when that is a single attempt's, else one
// GET /quizzes/{quiz_id}/attempts/{id} for the operation.
func quizAttemptDetail(ctx context.Context, a *model.QuizAttempt) (*circle.QuizAttempt, error) {
	if a.Detailed() {
		return a.Circle(), nil
	}
	api, err := memberAPI(ctx)
	if err != nil {
		return nil, err
	}
	c := a.Circle()
	return api.QuizAttempt(ctx, c.QuizID, c.ID, false)
}

func lessonFileConnection(_ context.Context, res relay.Result[circle.LessonFile]) *model.LessonFileConnection {
	c := &model.LessonFileConnection{}
	c.Edges, c.Nodes, c.PageInfo, c.TotalCount = connection(res, model.LessonFileFrom,
		func(cursor string, n *model.LessonFile) *model.LessonFileEdge {
			return &model.LessonFileEdge{Cursor: cursor, Node: n}
		})
	return c
}

func courseTopicConnection(_ context.Context, res relay.Result[circle.CourseTopic]) *model.CourseTopicConnection {
	c := &model.CourseTopicConnection{}
	c.Edges, c.Nodes, c.PageInfo, c.TotalCount = connection(res, model.CourseTopicFrom,
		func(cursor string, n *model.CourseTopic) *model.CourseTopicEdge {
			return &model.CourseTopicEdge{Cursor: cursor, Node: n}
		})
	return c
}

func quizAttemptConnection(_ context.Context, res relay.Result[circle.QuizAttempt]) *model.QuizAttemptConnection {
	c := &model.QuizAttemptConnection{}
	c.Edges, c.Nodes, c.PageInfo, c.TotalCount = connection(res, model.QuizAttemptFromList,
		func(cursor string, n *model.QuizAttempt) *model.QuizAttemptEdge {
			return &model.QuizAttemptEdge{Cursor: cursor, Node: n}
		})
	return c
}

// Bounds on a quiz submission, checked before any call: no real quiz has
// more questions, or a question more options, and they keep the request
// Circle receives small.
const (
	maxQuizResponses      = 200
	maxQuizOptionsPerItem = 50
)

// quizResponses checks the answers of a submission and turns them into
// Circle's request: every id a positive integer, each question answered
// once, sizes within bounds. Anything else is BAD_USER_INPUT.
func quizResponses(in []*model.QuizResponseInput) ([]circle.QuizResponse, error) {
	if len(in) > maxQuizResponses {
		return nil, badInput("responses: at most %d answers, got %d", maxQuizResponses, len(in))
	}
	out := make([]circle.QuizResponse, 0, len(in))
	seen := make(map[int64]bool, len(in))
	for i, r := range in {
		qid, err := parseID(fmt.Sprintf("responses[%d].questionId", i), r.QuestionID)
		if err != nil {
			return nil, err
		}
		if seen[qid] {
			return nil, badInput("responses[%d]: question %d is answered more than once", i, qid)
		}
		seen[qid] = true
		if len(r.SelectedOptionIds) > maxQuizOptionsPerItem {
			return nil, badInput("responses[%d].selectedOptionIds: at most %d options, got %d", i, maxQuizOptionsPerItem, len(r.SelectedOptionIds))
		}
		opts := make([]int64, 0, len(r.SelectedOptionIds))
		chosen := make(map[int64]bool, len(r.SelectedOptionIds))
		for j, o := range r.SelectedOptionIds {
			oid, err := parseID(fmt.Sprintf("responses[%d].selectedOptionIds[%d]", i, j), o)
			if err != nil {
				return nil, err
			}
			if chosen[oid] {
				return nil, badInput("responses[%d].selectedOptionIds: option %d is chosen more than once", i, oid)
			}
			chosen[oid] = true
			opts = append(opts, oid)
		}
		out = append(out, circle.QuizResponse{QuestionID: qid, SelectedOptions: opts})
	}
	return out, nil
}

// circleQuizResult is Circle's spelling of a QuizResult.
func circleQuizResult(r model.QuizResult) string {
	switch r {
	case model.QuizResultPassed:
		return circle.QuizPassed
	case model.QuizResultFailed:
		return circle.QuizFailed
	default:
		return circle.QuizPending
	}
}
