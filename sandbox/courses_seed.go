package sandbox

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The demo community's course: one course space with three sections of
// lessons (the last released on a drip schedule), featured videos, lesson
// files, two quizzes (one graded against a passing grade, one without) and
// progress and attempts of several members. It is seeded after everything
// else and draws nothing from the seed's random generator, so the rest of
// the demo community is the same with or without it.

// Id ranges of the course data, apart from every other kind.
const (
	spaceCourse = 18 // the course space; the demo member is enrolled

	firstSectionID    = 69001
	firstLessonID     = 71001
	firstLessonFileID = 72001
	firstQuizID       = 73001
	firstQuestionID   = 74001
	firstOptionID     = 75001
	firstAttemptID    = 76001
	firstTopicID      = 77001
)

func newCourseState() courseState {
	return courseState{
		courses:       map[int64]*course{},
		lessons:       map[int64]*lesson{},
		quizzes:       map[int64]*quiz{},
		attempts:      map[int64]*quizAttempt{},
		nextAttemptID: firstAttemptID,
	}
}

// seedLesson is a lesson of the seed: its text and what it carries.
type seedLesson struct {
	name       string
	paragraphs []string
	video      float64  // featured video length in seconds; 0 for none
	files      []string // attached file names
	quiz       *quiz    // the lesson's quiz, nil for none
}

func grade(n int) *int { return &n }

// courses seeds the course space and its content.
func (sd *seeder) courses() {
	st := sd.st
	st.addSpace(space{id: spaceCourse, name: "Community Building 101", slug: "community-building-101", emoji: emoji("🎓"), spaceType: "course", groupID: 204, groupName: "Learning"})
	var enrolled []int64
	for i, id := range sd.memberIDs {
		if id == sd.demo || i%3 == 0 || slices.Contains(sd.admins, id) {
			st.join(spaceCourse, id)
			enrolled = append(enrolled, id)
		}
	}

	q1 := &quiz{
		passingGrade: grade(70), enforcePassing: true,
		description: "Three questions on finding and welcoming your first members.",
		questions: []quizQuestion{
			{kind: "single_choice", statement: "Who should your first members be?", options: []quizOption{
				{value: "Anyone who will sign up"}, {value: "People who already share the problem your community is about", correct: true}, {value: "Only paying customers"},
			}},
			{kind: "single_choice", statement: "What makes onboarding stick?", options: []quizOption{
				{value: "A long welcome email"}, {value: "A first small action within a day of joining", correct: true}, {value: "A mandatory video call"},
			}},
			{kind: "multiple_choice", statement: "Which of these are good first posts to prompt?", options: []quizOption{
				{value: "An introduction", correct: true}, {value: "A question they are stuck on", correct: true}, {value: "Their credit card number"},
			}},
		},
	}
	q2 := &quiz{
		description: "A reflection: there are no wrong answers, a moderator reviews each one.",
		questions: []quizQuestion{
			{kind: "single_choice", statement: "How confident do you feel moderating a heated thread?", options: []quizOption{
				{value: "Not yet"}, {value: "Somewhat"}, {value: "Very"},
			}},
			{kind: "single_choice", statement: "Which guideline will you write first?", options: []quizOption{
				{value: "Be kind"}, {value: "No self-promotion"}, {value: "Stay on topic"},
			}},
		},
	}
	sections := []struct {
		name    string
		dripped bool
		lessons []seedLesson
	}{
		{"Getting started", false, []seedLesson{
			{name: "Welcome to the course", paragraphs: []string{"Welcome! This course walks you through building a community from its first member to its first hundred.", "Each module ends with a short check, so you know where you stand."}, video: 192.5},
			{name: "How this course works", paragraphs: []string{"Lessons open one after the other: complete a lesson to unlock the next.", "Mark a lesson complete when you are done with it; you can always come back."}},
			{name: "Your first community goal", paragraphs: []string{"Write down, in one sentence, what your community helps its members do.", "Use the worksheet attached to this lesson."}, files: []string{"community-goal-worksheet.pdf"}},
		}},
		{"Growing your community", false, []seedLesson{
			{name: "Finding your first members", paragraphs: []string{"Your first members already exist: they are the people asking your question elsewhere.", "Invite twenty of them personally before you announce anything."}, video: 421, files: []string{"invite-tracker.csv"}},
			{name: "Onboarding that sticks", paragraphs: []string{"The first day decides whether a member comes back.", "Ask for one small action: an introduction, a question, a reaction."}, files: []string{"onboarding-checklist.pdf", "welcome-message-templates.docx"}},
			{name: "Check your understanding", paragraphs: []string{"Answer three questions on this module. You need 70% to pass."}, quiz: q1},
		}},
		{"Keeping it healthy", true, []seedLesson{
			{name: "Moderation basics", paragraphs: []string{"Good moderation is mostly invisible: clear guidelines, applied consistently.", "Write your guidelines before you need them."}, video: 318},
			{name: "Handling conflict", paragraphs: []string{"Move heated threads to a private conversation early.", "Restate the guideline, not the person's mistake."}},
			{name: "Reflection", paragraphs: []string{"Two questions about your own moderation style. A moderator reviews your answers."}, quiz: q2},
		}},
	}

	c := &course{spaceID: spaceCourse, sequential: true, lessonLabel: "lesson", sectionLabel: "module"}
	lessonID, fileID, questionID, optionID := int64(firstLessonID), int64(firstLessonFileID), int64(firstQuestionID), int64(firstOptionID)
	quizID := int64(firstQuizID)
	created := sd.now.AddDate(0, 0, -60)
	for i, spec := range sections {
		sec := &section{id: firstSectionID + int64(i), name: spec.name, notify: spec.dripped}
		if spec.dripped {
			sec.dripped, sec.dripDelay, sec.drippedAt = true, 7, sd.now.AddDate(0, 0, -2)
		}
		for _, sl := range spec.lessons {
			l := &lesson{
				id: lessonID, courseID: spaceCourse, sectionID: sec.id, name: sl.name, paragraphs: sl.paragraphs,
				commentsEnabled: sl.quiz == nil, downloadEnabled: sl.video > 0 && lessonID%2 == 0,
				chatRoomUUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", lessonID),
				createdAt:    created.Add(time.Duration(lessonID-firstLessonID) * time.Hour),
				completed:    map[int64]time.Time{},
			}
			if sl.video > 0 {
				l.media = &lessonMedia{filename: slugify(sl.name) + ".mp4", contentType: "video/mp4", byteSize: int64(sl.video * 250_000), width: 1920, height: 1080, duration: sl.video, signedID: fmt.Sprintf("sandbox-blob-%d", lessonID)}
				l.enforceMedia, l.autocompleteOnMedia = lessonID == firstLessonID, true
			}
			for k, name := range sl.files {
				contentType := "application/pdf"
				switch {
				case strings.HasSuffix(name, ".docx"):
					contentType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
				case strings.HasSuffix(name, ".csv"):
					contentType = "text/csv"
				}
				l.files = append(l.files, lessonFile{id: fileID, filename: name, contentType: contentType, byteSize: 48_000 + 9_000*int64(k), signedID: fmt.Sprintf("sandbox-blob-%d", fileID), createdAt: created.Add(time.Duration(fileID-firstLessonFileID) * time.Hour)})
				fileID++
			}
			if q := sl.quiz; q != nil {
				q.id, q.lessonID = quizID, l.id
				quizID++
				for qi := range q.questions {
					q.questions[qi].id = questionID
					questionID++
					for oi := range q.questions[qi].options {
						q.questions[qi].options[oi].id = optionID
						optionID++
					}
				}
				st.courses.quizzes[q.id] = q
			}
			st.courses.lessons[l.id] = l
			sec.lessons = append(sec.lessons, l.id)
			lessonID++
		}
		c.sections = append(c.sections, sec)
	}
	st.courses.courses[spaceCourse] = c

	// Progress: the demo member finished the first two lessons (so the
	// third is open and the fourth locked); other members went further.
	done := func(member int64, n int, daysAgo int) {
		for k := range n {
			st.courses.lessons[int64(firstLessonID+k)].completed[member] = sd.now.AddDate(0, 0, -daysAgo+k)
		}
	}
	done(sd.demo, 2, 20)
	others := slices.DeleteFunc(slices.Clone(enrolled), func(id int64) bool { return id == sd.demo })
	for i, m := range others {
		done(m, (i*4)%10, 30)
	}

	// Attempts: the demo member failed the graded quiz once; others passed
	// or failed it, and answered the reflection (one reviewed, one pending).
	answer := func(member, quizID int64, daysAgo int, right []bool, result string) {
		q := st.courses.quizzes[quizID]
		sel := map[int64][]int64{}
		for qi, qu := range q.questions {
			for oi, o := range qu.options {
				if (qi < len(right) && right[qi]) == o.correct && (o.correct || oi == 0) {
					sel[qu.id] = append(sel[qu.id], o.id)
				}
			}
		}
		a := &quizAttempt{id: st.courses.nextAttemptID, quizID: quizID, memberID: member, createdAt: sd.now.AddDate(0, 0, -daysAgo), selected: sel, result: result}
		st.courses.nextAttemptID++
		st.courses.attempts[a.id] = a
		st.courses.attemptOrder = append(st.courses.attemptOrder, a.id)
	}
	answer(sd.demo, firstQuizID, 3, []bool{true, false, false}, "")
	answer(sd.admins[0], firstQuizID, 12, []bool{true, true, true}, "")
	answer(others[1], firstQuizID, 9, []bool{false, true, false}, "")
	answer(others[1], firstQuizID, 8, []bool{true, true, false}, "")
	answer(others[2], firstQuizID, 6, []bool{true, true, true}, "")
	answer(others[2], firstQuizID+1, 5, nil, "passed")
	answer(others[3], firstQuizID+1, 1, nil, "")

	st.courses.topics = []courseTopic{
		{id: firstTopicID, name: "Community strategy"},
		{id: firstTopicID + 1, name: "Moderation"},
		{id: firstTopicID + 2, name: "Growth"},
		{id: firstTopicID + 3, name: "Staff onboarding", adminOnly: true},
	}
}
