package model

import (
	"time"

	"github.com/circle-gateway/gateway/circle"
)

// Search results: one model per result type, each over Circle's record.
// They answer everything the record holds; a result's full object (post,
// comment, lesson) is a resolver that loads it.

// SearchResultFrom wraps one search record as its result type; nil for a
// record type this API does not know, which the connection leaves out.
func SearchResultFrom(h *circle.SearchHit) SearchResult {
	switch h.Type {
	case circle.SearchPost, circle.SearchEvent:
		return &PostSearchResult{h: h}
	case circle.SearchComment:
		return &CommentSearchResult{h: h}
	case circle.SearchCommunityMember:
		return &MemberSearchResult{h: h}
	case circle.SearchSpace:
		return &SpaceSearchResult{h: h}
	case circle.SearchSpaceGroup:
		return &SpaceGroupSearchResult{h: h}
	case circle.SearchMemberTag:
		return &MemberTagSearchResult{h: h}
	case circle.SearchLesson:
		return &LessonSearchResult{h: h}
	case circle.SearchGroupMention:
		return &GroupMentionSearchResult{h: h}
	}
	return nil
}

// searchSpace is the space a result names.
func searchSpace(s *circle.SearchHitSpace, fallbackID int64) *Space {
	if s == nil {
		return SpaceFromRef(circle.SpaceRef{ID: fallbackID})
	}
	return SpaceFromRef(circle.SpaceRef{ID: s.ID, Name: s.Name, Slug: s.Slug, Emoji: s.Emoji})
}

// searchAuthor is the author a post or comment result names, nil when it
// names no member.
func searchAuthor(a *circle.SearchAuthor) *Member {
	if a == nil || a.CommunityMemberID == 0 {
		return nil
	}
	m := &Member{id: a.CommunityMemberID, name: a.Name}
	m.avatarURL = known(a.AvatarURL)
	return m
}

func timePtr(t circle.Timestamp) *time.Time { return t.Ptr() }

// PostSearchResult is a post that matched.
type PostSearchResult struct{ h *circle.SearchHit }

// IsSearchResult marks the type as a member of the SearchResult union.
func (*PostSearchResult) IsSearchResult() {}

// Key is the post's (space, id), for loading the whole post.
func (r *PostSearchResult) Key() (spaceID, postID int64) {
	if r.h.Space != nil {
		spaceID = r.h.Space.ID
	}
	return spaceID, int64(r.h.ID)
}

// ID is the post id.
func (r *PostSearchResult) ID() string { return FormatID(int64(r.h.ID)) }

// Title is the post's name.
func (r *PostSearchResult) Title() *string { return nonEmpty(r.h.Name) }

// HighlightedTitle is the name with the match highlighted.
func (r *PostSearchResult) HighlightedTitle() *string { return r.h.HighlightedName }

// Slug is the URL slug.
func (r *PostSearchResult) Slug() *string { return nonEmpty(r.h.Slug) }

// HighlightedSlug is the slug with the match highlighted.
func (r *PostSearchResult) HighlightedSlug() *string { return r.h.HighlightedSlug }

// BodyText is the body Circle sends with the result.
func (r *PostSearchResult) BodyText() *string { return nonEmptyPtr(r.h.Body) }

// HighlightedBody is the body with the match highlighted.
func (r *PostSearchResult) HighlightedBody() *string { return r.h.HighlightedBody }

// HighlightedAuthorName is the author's name with the match highlighted.
func (r *PostSearchResult) HighlightedAuthorName() *string { return r.h.HighlightedUserName }

// URL links to the post.
func (r *PostSearchResult) URL() *string { return nonEmpty(r.h.URL) }

// Type is the kind of post, when Circle says.
func (r *PostSearchResult) Type() *PostType {
	var t PostType
	switch {
	case r.h.PostType == circle.PostTypeEvent || r.h.Type == circle.SearchEvent || !r.h.StartsAt.IsZero():
		t = PostTypeEvent
	case r.h.PostType == circle.PostTypeImage:
		t = PostTypeImage
	case r.h.PostType == circle.PostTypeBasic:
		t = PostTypeBasic
	default:
		return nil
	}
	return &t
}

// CommentsCount is the number of comments.
func (r *PostSearchResult) CommentsCount() *int { return r.h.CommentsCount }

// LikesCount is the number of likes.
func (r *PostSearchResult) LikesCount() *int { return r.h.UserLikesCount }

// CreatedAt is the creation time.
func (r *PostSearchResult) CreatedAt() *time.Time { return timePtr(r.h.CreatedAt) }

// UpdatedAt is the last change.
func (r *PostSearchResult) UpdatedAt() *time.Time { return timePtr(r.h.UpdatedAt) }

// Status is Circle's post status.
func (r *PostSearchResult) Status() *string { return nonEmpty(r.h.Status) }

// CoverImageURL is the cover image.
func (r *PostSearchResult) CoverImageURL() *string { return nonEmptyPtr(r.h.CoverImageURL) }

// StartsAt is an event's start.
func (r *PostSearchResult) StartsAt() *time.Time { return timePtr(r.h.StartsAt) }

// Space is the post's space as the result names it.
func (r *PostSearchResult) Space() *Space { return searchSpace(r.h.Space, r.h.SpaceID) }

// Author is the post's author as the result names them.
func (r *PostSearchResult) Author() *Member { return searchAuthor(r.h.Author) }

// CommentSearchResult is a comment that matched.
type CommentSearchResult struct{ h *circle.SearchHit }

// IsSearchResult marks the type as a member of the SearchResult union.
func (*CommentSearchResult) IsSearchResult() {}

// Keys are the comment's post, space and id, for loading them.
func (r *CommentSearchResult) Keys() (spaceID, postID, commentID int64) {
	return r.h.SpaceID, r.h.PostID, int64(r.h.ID)
}

// ID is the comment id.
func (r *CommentSearchResult) ID() string { return FormatID(int64(r.h.ID)) }

// BodyText is the comment as plain text.
func (r *CommentSearchResult) BodyText() *string {
	if r.h.BodyText != "" {
		return &r.h.BodyText
	}
	return nonEmptyPtr(r.h.Body)
}

// HighlightedBody is the body with the match highlighted.
func (r *CommentSearchResult) HighlightedBody() *string { return r.h.HighlightedBody }

// Title is Circle's summary line.
func (r *CommentSearchResult) Title() *string { return nonEmpty(r.h.Title) }

// PostID is the post commented on.
func (r *CommentSearchResult) PostID() string { return FormatID(r.h.PostID) }

// PostName is that post's title.
func (r *CommentSearchResult) PostName() *string { return nonEmpty(r.h.PostName) }

// PostSlug is that post's slug.
func (r *CommentSearchResult) PostSlug() *string { return nonEmpty(r.h.PostSlug) }

// SpaceID is that post's space.
func (r *CommentSearchResult) SpaceID() *string {
	if r.h.SpaceID == 0 {
		return nil
	}
	s := FormatID(r.h.SpaceID)
	return &s
}

// SpaceSlug is that space's slug.
func (r *CommentSearchResult) SpaceSlug() *string { return nonEmpty(r.h.SpaceSlug) }

// URL links to the comment.
func (r *CommentSearchResult) URL() *string { return nonEmpty(r.h.URL) }

// ParentID is the comment replied to.
func (r *CommentSearchResult) ParentID() *string {
	if r.h.ParentCommentID == nil || *r.h.ParentCommentID == 0 {
		return nil
	}
	s := FormatID(*r.h.ParentCommentID)
	return &s
}

// Author is the comment's author as the result names them.
func (r *CommentSearchResult) Author() *Member { return searchAuthor(r.h.Author) }

// MemberSearchResult is a member who matched.
type MemberSearchResult struct{ h *circle.SearchHit }

// IsSearchResult marks the type as a member of the SearchResult union.
func (*MemberSearchResult) IsSearchResult() {}

// Member is the member with what the result carries.
func (r *MemberSearchResult) Member() *Member {
	m := &Member{id: r.h.MemberID(), name: r.h.Name}
	m.headline = known(nonEmpty(r.h.Headline))
	m.avatarURL = known(r.h.AvatarURL)
	if r.h.Roles != nil {
		m.isAdmin, m.isModerator = known(r.h.Roles.Admin), known(r.h.Roles.Moderator)
	}
	if r.h.Bio != nil {
		m.bio = known(nonEmptyPtr(r.h.Bio))
	}
	return m
}

// HighlightedName is the name with the match highlighted.
func (r *MemberSearchResult) HighlightedName() *string { return r.h.HighlightedName }

// Bio is the member's bio, when the result carries it.
func (r *MemberSearchResult) Bio() *string { return nonEmptyPtr(r.h.Bio) }

// Location is where the member is, when the result carries it.
func (r *MemberSearchResult) Location() *string { return nonEmptyPtr(r.h.Location) }

// SpaceSearchResult is a space that matched.
type SpaceSearchResult struct{ h *circle.SearchHit }

// IsSearchResult marks the type as a member of the SearchResult union.
func (*SpaceSearchResult) IsSearchResult() {}

// Space is the space with what the result carries.
func (r *SpaceSearchResult) Space() *Space {
	return SpaceFromRef(circle.SpaceRef{ID: int64(r.h.ID), Name: r.h.Name, Slug: r.h.Slug, Emoji: r.h.Emoji})
}

// HighlightedName is the name with the match highlighted.
func (r *SpaceSearchResult) HighlightedName() *string { return r.h.HighlightedName }

// HighlightedSlug is the slug with the match highlighted.
func (r *SpaceSearchResult) HighlightedSlug() *string { return r.h.HighlightedSlug }

// MembersCount is the number of members.
func (r *SpaceSearchResult) MembersCount() *int { return r.h.SpaceMembersCount }

// SpaceGroupSearchResult is a space group that matched.
type SpaceGroupSearchResult struct{ h *circle.SearchHit }

// IsSearchResult marks the type as a member of the SearchResult union.
func (*SpaceGroupSearchResult) IsSearchResult() {}

// ID is the group id.
func (r *SpaceGroupSearchResult) ID() string { return FormatID(int64(r.h.ID)) }

// Name is the display name.
func (r *SpaceGroupSearchResult) Name() string { return r.h.Name }

// HighlightedName is the name with the match highlighted.
func (r *SpaceGroupSearchResult) HighlightedName() *string { return r.h.HighlightedName }

// MembersCount is the number of members.
func (r *SpaceGroupSearchResult) MembersCount() *int { return r.h.SpaceGroupMembersCount }

// MemberTagSearchResult is a member tag that matched.
type MemberTagSearchResult struct{ h *circle.SearchHit }

// IsSearchResult marks the type as a member of the SearchResult union.
func (*MemberTagSearchResult) IsSearchResult() {}

// ID is the tag id.
func (r *MemberTagSearchResult) ID() string { return FormatID(int64(r.h.ID)) }

// Name is the tag's text.
func (r *MemberTagSearchResult) Name() string { return r.h.Name }

// HighlightedName is the name with the match highlighted.
func (r *MemberTagSearchResult) HighlightedName() *string { return r.h.HighlightedName }

// TaggedMembersCount is the number of members with the tag.
func (r *MemberTagSearchResult) TaggedMembersCount() *int { return r.h.TaggedMembersCount }

// LessonSearchResult is a lesson that matched.
type LessonSearchResult struct{ h *circle.SearchHit }

// IsSearchResult marks the type as a member of the SearchResult union.
func (*LessonSearchResult) IsSearchResult() {}

func (r *LessonSearchResult) courseID() int64 {
	if r.h.Space != nil {
		return r.h.Space.ID
	}
	return r.h.SpaceID
}

// ID is the lesson id.
func (r *LessonSearchResult) ID() string { return FormatID(int64(r.h.ID)) }

// Name is the display name.
func (r *LessonSearchResult) Name() string { return r.h.Name }

// HighlightedName is the name with the match highlighted.
func (r *LessonSearchResult) HighlightedName() *string { return r.h.HighlightedName }

// BodyText is the lesson's text.
func (r *LessonSearchResult) BodyText() *string { return nonEmptyPtr(r.h.Body) }

// HighlightedBody is the body with the match highlighted.
func (r *LessonSearchResult) HighlightedBody() *string { return r.h.HighlightedBody }

// SectionID is the lesson's section.
func (r *LessonSearchResult) SectionID() *string {
	if r.h.SectionID == 0 {
		return nil
	}
	s := FormatID(r.h.SectionID)
	return &s
}

// SectionName is that section's name.
func (r *LessonSearchResult) SectionName() *string { return nonEmpty(r.h.SectionName) }

// Status is Circle's lesson status.
func (r *LessonSearchResult) Status() *string { return nonEmpty(r.h.Status) }

// CreatedAt is the creation time.
func (r *LessonSearchResult) CreatedAt() *time.Time { return timePtr(r.h.CreatedAt) }

// Space is the course space as the result names it.
func (r *LessonSearchResult) Space() *Space { return searchSpace(r.h.Space, r.h.SpaceID) }

// Lesson is the lesson, known by id and name; its other fields load it.
func (r *LessonSearchResult) Lesson() *Lesson {
	return LessonRef(r.courseID(), int64(r.h.ID), r.h.SectionID, r.h.Name)
}

// GroupMentionSearchResult is a mentionable group that matched.
type GroupMentionSearchResult struct{ h *circle.SearchHit }

// IsSearchResult marks the type as a member of the SearchResult union.
func (*GroupMentionSearchResult) IsSearchResult() {}

// ID is the group mention's id.
func (r *GroupMentionSearchResult) ID() string { return FormatID(int64(r.h.ID)) }

// Name is the display name.
func (r *GroupMentionSearchResult) Name() string { return r.h.Name }

// MentionType is Circle's mention type.
func (r *GroupMentionSearchResult) MentionType() *string { return nonEmpty(r.h.MentionType) }

// MentionScope is Circle's mention scope.
func (r *GroupMentionSearchResult) MentionScope() *string { return nonEmpty(r.h.MentionScope) }

// HighlightedName is the name with the match highlighted.
func (r *GroupMentionSearchResult) HighlightedName() *string { return r.h.HighlightedName }

// MemberFromSearched builds a member from a member search record: name,
// headline, avatar and the admin flag are known.
func MemberFromSearched(s *circle.SearchedMember) *Member {
	m := &Member{id: s.MemberID(), name: s.Name}
	m.headline = known(nonEmpty(s.Headline))
	m.avatarURL = known(s.AvatarURL)
	m.isAdmin = known(s.Admin)
	return m
}
