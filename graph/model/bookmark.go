package model

import (
	"time"

	"github.com/circle-gateway/gateway/circle"
)

// Bookmark is one of the signed-in member's bookmarks, answered from what
// Circle's bookmark record carries; only its post needs a load.
type Bookmark struct {
	b circle.Bookmark
}

// BookmarkFrom wraps a Circle bookmark.
func BookmarkFrom(b *circle.Bookmark) *Bookmark { return &Bookmark{b: *b} }

// ID is Circle's bookmark id.
func (b *Bookmark) ID() string { return FormatID(b.b.ID) }

// Type is what the bookmark saved; nil when Circle names another type.
func (b *Bookmark) Type() *BookmarkType {
	var t BookmarkType
	switch b.b.Kind() {
	case circle.BookmarkPost:
		t = BookmarkTypePost
	case circle.BookmarkComment:
		t = BookmarkTypeComment
	default:
		return nil
	}
	return &t
}

// RecordID is the saved post's or comment's id.
func (b *Bookmark) RecordID() string { return FormatID(b.b.RecordID) }

// CreatedAt is when the member bookmarked the record.
func (b *Bookmark) CreatedAt() *time.Time { return b.b.CreatedAt.Ptr() }

// IsDeleted reports whether the saved record is gone.
func (b *Bookmark) IsDeleted() bool { return b.b.IsDeleted }

// record is the saved record's summary, nil when it is gone.
func (b *Bookmark) record() *circle.BookmarkRecord {
	if b.b.IsDeleted {
		return nil
	}
	return &b.b.Record
}

// recordString is a string of the record, nil when the record is gone or
// the string empty.
func (b *Bookmark) recordString(pick func(*circle.BookmarkRecord) string) *string {
	if r := b.record(); r != nil {
		return nonEmpty(pick(r))
	}
	return nil
}

// Title is the post's title.
func (b *Bookmark) Title() *string {
	return b.recordString(func(r *circle.BookmarkRecord) string { return r.Name })
}

// Slug is the post's slug.
func (b *Bookmark) Slug() *string {
	return b.recordString(func(r *circle.BookmarkRecord) string { return r.Slug })
}

// URL links to the record in Circle's web app.
func (b *Bookmark) URL() *string {
	return b.recordString(func(r *circle.BookmarkRecord) string { return r.URL })
}

// Body is the record's text as the bookmark list shows it.
func (b *Bookmark) Body() *string {
	return b.recordString(func(r *circle.BookmarkRecord) string { return r.Body })
}

// AttachmentCount is the number of files attached to the record.
func (b *Bookmark) AttachmentCount() *int {
	if r := b.record(); r != nil {
		return r.AttachmentCount
	}
	return nil
}

// RecordCreatedAt is when the record was written.
func (b *Bookmark) RecordCreatedAt() *time.Time {
	if r := b.record(); r != nil {
		return r.CreatedAt.Ptr()
	}
	return nil
}

// Author is the record's author as the bookmark carries it (name and
// avatar): the member's other fields load the profile.
func (b *Bookmark) Author() *Member {
	r := b.record()
	if r == nil || r.Author == nil || r.Author.CommunityMemberID <= 0 {
		return nil
	}
	m := &Member{id: r.Author.CommunityMemberID, name: r.Author.Name}
	m.avatarURL = known(r.Author.AvatarURL)
	return m
}

// Space is the space the record is in, from the embedded reference.
func (b *Bookmark) Space() *Space {
	r := b.record()
	if r == nil || r.Space == nil || r.Space.ID <= 0 {
		return nil
	}
	return SpaceFromRef(*r.Space)
}

// PostRef is the space and id of the saved post, for a post bookmark
// whose record is there; ok is false otherwise.
func (b *Bookmark) PostRef() (spaceID, postID int64, ok bool) {
	r := b.record()
	if b.b.Kind() != circle.BookmarkPost || r == nil || r.Space == nil || r.Space.ID <= 0 || b.b.RecordID <= 0 {
		return 0, 0, false
	}
	return r.Space.ID, b.b.RecordID, true
}
