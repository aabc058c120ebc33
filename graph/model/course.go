package model

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/circle-gateway/gateway/circle"
)

// Course is a course as far as the operation knows it: always its id (its
// space's id), and its outline once it has been read. Course.sections
// answers from the outline it holds and loads it otherwise.
type Course struct {
	id       int64
	sections []circle.Section
	loaded   bool
}

// CourseRef is a course known only by id (a course space, a lesson's
// course): its outline loads when a field needs it.
func CourseRef(id int64) *Course { return &Course{id: id} }

// CourseWithSections is a course whose outline has been read.
func CourseWithSections(id int64, sections []circle.Section) *Course {
	return &Course{id: id, sections: sections, loaded: true}
}

// CircleID is the course's (and its space's) numeric id, the key for loads.
func (c *Course) CircleID() int64 { return c.id }

// ID is the GraphQL id.
func (c *Course) ID() string { return FormatID(c.id) }

// KnownSections returns the outline when it has been read.
func (c *Course) KnownSections() ([]circle.Section, bool) { return c.sections, c.loaded }

// SectionsOf wraps a course's outline.
func SectionsOf(courseID int64, sections []circle.Section) []*CourseSection {
	out := make([]*CourseSection, len(sections))
	for i := range sections {
		out[i] = &CourseSection{courseID: courseID, s: &sections[i]}
	}
	return out
}

// CourseSection is one section of a course outline.
type CourseSection struct {
	courseID int64
	s        *circle.Section
}

// ID is the GraphQL id.
func (s *CourseSection) ID() string { return FormatID(s.s.ID) }

// Name is the display name.
func (s *CourseSection) Name() string { return s.s.Name }

// DripDelay is Circle's drip_delay, in days.
func (s *CourseSection) DripDelay() *int { return s.s.DripDelay }

// IsDripped is Circle's is_dripped flag.
func (s *CourseSection) IsDripped() bool { return s.s.Dripped() }

// DrippedAt is when the section was released to the member.
func (s *CourseSection) DrippedAt() *time.Time { return s.s.DrippedAt.Ptr() }

// NotifyStudentsEnabled reports whether members are notified on release.
func (s *CourseSection) NotifyStudentsEnabled() bool { return s.s.NotifyStudentsEnabled }

// Lessons are the section's lessons as the outline lists them.
func (s *CourseSection) Lessons() []*Lesson {
	out := make([]*Lesson, len(s.s.Lessons))
	for i := range s.s.Lessons {
		out[i] = LessonFromOutline(s.courseID, s.s.ID, &s.s.Lessons[i])
	}
	return out
}

// Lesson is a lesson as far as the operation knows it: from the course
// outline (name, progress, locks), from its own GET (everything), or only
// by id and name (a search result). Fields neither source holds are
// answered by resolvers that load the lesson.
type Lesson struct {
	courseID, id, sectionID int64
	name                    string
	outline                 *circle.SectionLesson
	detail                  *circle.Lesson
}

// LessonFromOutline wraps a lesson of a course's sections.
func LessonFromOutline(courseID, sectionID int64, l *circle.SectionLesson) *Lesson {
	return &Lesson{courseID: courseID, id: l.ID, sectionID: sectionID, name: l.Name, outline: l}
}

// LessonFromDetail wraps a lesson read on its own.
func LessonFromDetail(courseID int64, l *circle.Lesson) *Lesson {
	return &Lesson{courseID: courseID, id: l.ID, sectionID: l.SectionID, name: l.Name, detail: l}
}

// LessonRef is a lesson known by id and name only.
func LessonRef(courseID, id, sectionID int64, name string) *Lesson {
	return &Lesson{courseID: courseID, id: id, sectionID: sectionID, name: name}
}

// CircleID is the lesson's numeric id.
func (l *Lesson) CircleID() int64 { return l.id }

// CourseID is the numeric id of the lesson's course.
func (l *Lesson) CourseID() int64 { return l.courseID }

// ID is the GraphQL id.
func (l *Lesson) ID() string { return FormatID(l.id) }

// Name is the display name.
func (l *Lesson) Name() string { return l.name }

// Course is the lesson's course; its outline loads on demand.
func (l *Lesson) Course() *Course { return CourseRef(l.courseID) }

// Outline is the outline's record of the lesson, nil when it came from elsewhere.
func (l *Lesson) Outline() *circle.SectionLesson { return l.outline }

// Detail is the lesson's own record, nil until loaded.
func (l *Lesson) Detail() *circle.Lesson { return l.detail }

// KnownSectionID is the section id when known without a load.
func (l *Lesson) KnownSectionID() (int64, bool) { return l.sectionID, l.sectionID != 0 }

// ParseLessonProgress maps Circle's progress status; nil when absent or unknown.
func ParseLessonProgress(p *circle.LessonProgress) *LessonProgress {
	if p == nil {
		return nil
	}
	var v LessonProgress
	switch p.Status {
	case circle.LessonCompleted:
		v = LessonProgressCompleted
	case circle.LessonIncomplete:
		v = LessonProgressIncomplete
	default:
		return nil
	}
	return &v
}

// CircleLessonProgress is the status Circle takes for a LessonProgress.
func CircleLessonProgress(p LessonProgress) string {
	if p == LessonProgressCompleted {
		return circle.LessonCompleted
	}
	return circle.LessonIncomplete
}

// LessonMedia is a lesson's featured media.
type LessonMedia struct{ m *circle.FeaturedMedia }

// LessonMediaFrom wraps featured media; nil when there is none.
func LessonMediaFrom(m *circle.FeaturedMedia) *LessonMedia {
	if m == nil || m.URL == "" {
		return nil
	}
	return &LessonMedia{m: m}
}

// URL is where the media can be fetched.
func (m *LessonMedia) URL() string { return m.m.URL }

// Filename is the file name.
func (m *LessonMedia) Filename() *string { return nonEmpty(m.m.Filename) }

// ContentType is the MIME type.
func (m *LessonMedia) ContentType() *string { return nonEmpty(m.m.ContentType) }

// ByteSize is the size in bytes.
func (m *LessonMedia) ByteSize() *float64 { return bytesOf(m.m.ByteSize) }

// Type is Circle's kind of media.
func (m *LessonMedia) Type() *string { return nonEmpty(m.m.Type) }

// DurationSeconds is the analysed length.
func (m *LessonMedia) DurationSeconds() *float64 {
	if m.m.Metadata == nil {
		return nil
	}
	return m.m.Metadata.Duration
}

// Width is the analysed width in pixels.
func (m *LessonMedia) Width() *int {
	if m.m.Metadata == nil {
		return nil
	}
	return m.m.Metadata.Width
}

// Height is the analysed height in pixels.
func (m *LessonMedia) Height() *int {
	if m.m.Metadata == nil {
		return nil
	}
	return m.m.Metadata.Height
}

// ThumbnailURL is the thumbnail variant, when Circle made one.
func (m *LessonMedia) ThumbnailURL() *string {
	if m.m.ImageVariants == nil || m.m.ImageVariants.Thumbnail == nil {
		return nil
	}
	return nonEmpty(*m.m.ImageVariants.Thumbnail)
}

// WebvttFileURL is the subtitles URL.
func (m *LessonMedia) WebvttFileURL() *string { return nonEmptyPtr(m.m.WebVTTFileURL) }

// ChaptersURL is the chapters URL.
func (m *LessonMedia) ChaptersURL() *string { return nonEmptyPtr(m.m.ChaptersURL) }

// PreviewThumbnailsURL is the scrubbing strip URL.
func (m *LessonMedia) PreviewThumbnailsURL() *string { return nonEmptyPtr(m.m.PreviewThumbnailsURL) }

// SignedID is Circle's signed blob id.
func (m *LessonMedia) SignedID() *string { return nonEmpty(m.m.SignedID) }

// LessonFile is a file attached to a lesson.
type LessonFile struct{ f *circle.LessonFile }

// LessonFileFrom wraps a lesson file.
func LessonFileFrom(f *circle.LessonFile) *LessonFile { return &LessonFile{f: f} }

// ID is the GraphQL id.
func (f *LessonFile) ID() string { return FormatID(f.f.ID) }

// Filename is the file name.
func (f *LessonFile) Filename() string { return f.f.Filename }

// ContentType is the MIME type.
func (f *LessonFile) ContentType() *string { return nonEmpty(f.f.ContentType) }

// ByteSize is the size in bytes.
func (f *LessonFile) ByteSize() *float64 { return bytesOf(f.f.ByteSize) }

// URL is where the file can be downloaded.
func (f *LessonFile) URL() string { return f.f.URL }

// SignedID is Circle's signed blob id.
func (f *LessonFile) SignedID() *string { return nonEmpty(f.f.SignedID) }

// Type is Circle's kind of attachment.
func (f *LessonFile) Type() *string { return nonEmpty(f.f.Type) }

// CreatedAt is when the file was attached.
func (f *LessonFile) CreatedAt() *time.Time { return f.f.CreatedAt.Ptr() }

// CourseTopic is a topic of the course directory.
type CourseTopic struct{ t *circle.CourseTopic }

// CourseTopicFrom wraps a course topic.
func CourseTopicFrom(t *circle.CourseTopic) *CourseTopic { return &CourseTopic{t: t} }

// ID is the GraphQL id.
func (t *CourseTopic) ID() string { return FormatID(t.t.ID) }

// Name is the display name.
func (t *CourseTopic) Name() string { return t.t.Name }

// AdminOnly reports whether only admins may use the topic.
func (t *CourseTopic) AdminOnly() bool { return t.t.AdminOnly }

// bytesOf turns a byte count into the Float the schema uses for sizes.
func bytesOf(n *int64) *float64 {
	if n == nil {
		return nil
	}
	f := float64(*n)
	return &f
}

// nonEmptyPtr is nonEmpty for a nullable string.
func nonEmptyPtr(s *string) *string {
	if s == nil {
		return nil
	}
	return nonEmpty(*s)
}

// RichTextFallback is the plain text Circle writes beside a rich-text body
// (its circle_ios_fallback_text); nil when there is none.
func RichTextFallback(raw json.RawMessage) *string {
	var v struct {
		Text string `json:"circle_ios_fallback_text"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return nil
	}
	return nonEmpty(strings.TrimSpace(v.Text))
}

// JSONOrNil is a raw JSON value as the JSON scalar, nil when Circle sent
// null or nothing.
func JSONOrNil(raw json.RawMessage) JSON { return jsonOrNil(raw) }

// NonEmpty is s, or nil when s is empty.
func NonEmpty(s string) *string { return nonEmpty(s) }
