package circledouble

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// --- lookups and lists (callers hold d.mu) ---

// count is how many of items match.
func count[T any](items []T, match func(T) bool) int {
	n := 0
	for _, it := range items {
		if match(it) {
			n++
		}
	}
	return n
}

// first is the first of items that match, the zero value (nil) if none.
func first[T any](items []T, match func(T) bool) T {
	for _, it := range items {
		if match(it) {
			return it
		}
	}
	var zero T
	return zero
}

// Member returns the member with id, nil if none (callers hold the lock: Locked).
func (d *Circle) Member(id int64) *Member {
	return first(d.Members, func(m *Member) bool { return m.ID == id })
}

// Space returns the space with id, nil if none.
func (d *Circle) Space(id int64) *Space {
	return first(d.Spaces, func(s *Space) bool { return s.ID == id })
}

// SpaceBySlug returns the space with slug, nil if none.
func (d *Circle) SpaceBySlug(slug string) *Space {
	return first(d.Spaces, func(s *Space) bool { return s.Slug == slug })
}

// Post returns the post with id, nil if none.
func (d *Circle) Post(id int64) *Post {
	return first(d.Posts, func(p *Post) bool { return p.ID == id })
}

// Comment returns the comment with id, nil if none.
func (d *Circle) Comment(id int64) *Comment {
	return first(d.Comments, func(c *Comment) bool { return c.ID == id })
}

// Visible reports whether viewer may see post p.
func (d *Circle) Visible(p *Post, viewer int64) bool {
	return d.Space(p.SpaceID).VisibleTo(viewer)
}

// CommentCount is the number of comments on a post, replies included.
func (d *Circle) CommentCount(postID int64) int {
	return count(d.Comments, func(c *Comment) bool { return c.PostID == postID })
}

// TopComments are a post's comments that are not replies, oldest first.
func (d *Circle) TopComments(postID int64) []*Comment {
	var out []*Comment
	for _, c := range d.Comments {
		if c.PostID == postID && c.ParentID == 0 {
			out = append(out, c)
		}
	}
	return out
}

// Replies are the replies to a comment, oldest first.
func (d *Circle) Replies(commentID int64) []*Comment {
	var out []*Comment
	for _, c := range d.Comments {
		if c.ParentID == commentID {
			out = append(out, c)
		}
	}
	return out
}

func (d *Circle) sortPosts(ps []*Post, by string) []*Post {
	out := slices.Clone(ps)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch by {
		case "oldest":
			return a.Created.Before(b.Created)
		case "likes":
			if len(a.Likes) != len(b.Likes) {
				return len(a.Likes) > len(b.Likes)
			}
		case "popular":
			sa, sb := len(a.Likes)+2*d.CommentCount(a.ID), len(b.Likes)+2*d.CommentCount(b.ID)
			if sa != sb {
				return sa > sb
			}
		case "alphabetical":
			la, lb := strings.ToLower(a.DisplayTitle), strings.ToLower(b.DisplayTitle)
			if la != lb {
				return la < lb
			}
			return a.ID < b.ID
		case "new_activity":
			if !a.Updated.Equal(b.Updated) {
				return a.Updated.After(b.Updated)
			}
		}
		return a.Created.After(b.Created)
	})
	return out
}

// SortComments orders comments as Circle's sort parameter does (oldest, latest, likes).
func SortComments(cs []*Comment, by string) []*Comment {
	out := slices.Clone(cs)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch by {
		case "oldest":
			return a.Created.Before(b.Created)
		case "likes":
			if len(a.Likes) != len(b.Likes) {
				return len(a.Likes) > len(b.Likes)
			}
			return a.Created.Before(b.Created)
		case "alphabetical":
			return a.Text < b.Text
		case "latest_updated":
			return a.Updated.After(b.Updated)
		case "oldest_updated":
			return a.Updated.Before(b.Updated)
		}
		return a.Created.After(b.Created) // latest: Circle's default here
	})
	return out
}

// Feed is the home feed of viewer: every post it can see.
func (d *Circle) Feed(viewer int64, by string) []*Post {
	var ps []*Post
	for _, p := range d.Posts {
		if d.Visible(p, viewer) {
			ps = append(ps, p)
		}
	}
	return d.sortPosts(ps, by)
}

// SpacePosts are a space's posts as viewer sees them, in Circle's order for sort by.
func (d *Circle) SpacePosts(spaceID, viewer int64, by string) []*Post {
	var ps []*Post
	for _, p := range d.Posts {
		if p.SpaceID == spaceID && d.Visible(p, viewer) {
			ps = append(ps, p)
		}
	}
	return d.sortPosts(ps, by)
}

// Events are the upcoming events soonest first, or the past ones latest first.
func (d *Circle) Events(viewer int64, past bool) []*Post {
	now := time.Now()
	var ps []*Post
	for _, p := range d.Posts {
		if p.Event != nil && d.Visible(p, viewer) && p.Event.Starts.Before(now) == past {
			ps = append(ps, p)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool {
		if past {
			return ps[i].Event.Starts.After(ps[j].Event.Starts)
		}
		return ps[i].Event.Starts.Before(ps[j].Event.Starts)
	})
	return ps
}

// MemberPosts are a member's posts that viewer may see, newest first.
func (d *Circle) MemberPosts(memberID, viewer int64) []*Post {
	var ps []*Post
	for _, p := range d.Posts {
		if p.AuthorID == memberID && d.Visible(p, viewer) {
			ps = append(ps, p)
		}
	}
	return d.sortPosts(ps, "latest")
}

// MemberComments are a member's comments that viewer may see, newest first.
func (d *Circle) MemberComments(memberID, viewer int64) []*Comment {
	var cs []*Comment
	for _, c := range d.Comments {
		if c.AuthorID == memberID && d.Visible(d.Post(c.PostID), viewer) {
			cs = append(cs, c)
		}
	}
	return SortComments(cs, "latest")
}

// Likers are the members who liked a post.
func (d *Circle) Likers(p *Post) []*Member {
	var out []*Member
	for _, m := range d.Members {
		if p.Likes[m.ID] {
			out = append(out, m)
		}
	}
	return out
}

// Directory is the member directory, optionally of one space and filtered by a search text.
func (d *Circle) Directory(spaceID int64, search string) []*Member {
	var out []*Member
	for _, m := range d.Members {
		if spaceID != 0 && !d.Space(spaceID).Members[m.ID] {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(m.Name), strings.ToLower(search)) {
			continue
		}
		out = append(out, m)
	}
	return out
}

// RsvpOf is viewer's RSVP status for an event post.
func (d *Circle) RsvpOf(p *Post, viewer int64) string {
	if p.Event == nil {
		return ""
	}
	for _, a := range p.Event.Attendees {
		if a.MemberID == viewer {
			return a.Status
		}
	}
	return ""
}

// PostsCount is the number of posts a member wrote.
func (d *Circle) PostsCount(memberID int64) int {
	return count(d.Posts, func(p *Post) bool { return p.AuthorID == memberID })
}

// CommentsCount is the number of comments a member wrote.
func (d *Circle) CommentsCount(memberID int64) int {
	return count(d.Comments, func(c *Comment) bool { return c.AuthorID == memberID })
}

// SpacesCount is the number of spaces a member joined.
func (d *Circle) SpacesCount(memberID int64) int {
	return count(d.Spaces, func(s *Space) bool { return s.Members[memberID] })
}

// --- what tests read ---

func (d *Circle) violate(format string, args ...any) {
	d.violations = append(d.violations, fmt.Sprintf(format, args...))
}

// TakeViolations returns and forgets the violations recorded so far.
func (d *Circle) TakeViolations() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	v := d.violations
	d.violations = nil
	return v
}

// Locked runs f holding the double's lock, so that f may read its records.
func (d *Circle) Locked(f func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f()
}
