package sandbox

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The Member API's reads: which records an endpoint lists for a viewer, in
// which order, and which page of them. Each method takes the read lock once
// and returns finished response values.

// pageParams selects one page of a list (page from 1, perPage in 1..100).
type pageParams struct{ page, perPage int }

// listPage cuts one page out of items and renders only that page. A page past
// the end is empty; Count is always the total.
func listPage[T, R any](items []T, pp pageParams, render func(T) R) wirePage[R] {
	start := len(items)
	if pp.page-1 <= len(items)/pp.perPage { // also keeps huge pages from overflowing
		start = min((pp.page-1)*pp.perPage, len(items))
	}
	end := min(start+pp.perPage, len(items))
	out := wirePage[R]{
		Page:        pp.page,
		PerPage:     pp.perPage,
		HasNextPage: end < len(items),
		Count:       len(items),
		Records:     make([]R, 0, end-start),
	}
	for _, it := range items[start:end] {
		out.Records = append(out.Records, render(it))
	}
	return out
}

// Post sorts Circle accepts; "" means the endpoint's default (latest).
var postSorts = map[string]bool{"latest": true, "popular": true, "likes": true, "oldest": true, "alphabetical": true, "new_activity": true}

// Comment sorts Circle accepts; "" means the default (oldest).
var commentSorts = map[string]bool{"oldest": true, "latest": true, "alphabetical": true, "likes": true, "latest_updated": true, "oldest_updated": true}

// Member directory sorts; "" means the default (oldest, i.e. join order).
var memberSorts = map[string]bool{"alphabetical": true, "oldest": true, "latest": true}

// postQuery is what a post list was asked for.
type postQuery struct {
	sort       string  // one of postSorts, or "" for the default
	pastEvents *bool   // nil when not sent
	postIDs    []int64 // nil when not sent: no filter
	// topics keeps posts with any of these topics; nil: no filter.
	topics []int64
	// drafts asks for draft posts (status=draft), of which the sandbox
	// has none: every post is published.
	drafts bool
	page   pageParams
}

// sortName is the sort echoed in a posts page's "sort" field.
func (q postQuery) sortName() string {
	if q.sort == "" {
		return "latest"
	}
	return q.sort
}

// renderPostsLocked renders one page of posts for viewer.
func (st *store) renderPostsLocked(ps []*post, q postQuery, viewer int64) wirePage[wirePost] {
	page := listPage(ps, q.page, func(p *post) wirePost { return st.postLocked(p, viewer) })
	page.Sort = q.sortName()
	return page
}

// lastActivityLocked is when a post last saw a new comment or reply, or its
// creation time, for the new_activity sort.
func (st *store) lastActivityLocked(p *post) time.Time {
	last := p.createdAt
	for _, id := range p.comments {
		c := st.comments[id]
		if c.createdAt.After(last) {
			last = c.createdAt
		}
		for _, rid := range c.replies {
			if r := st.comments[rid]; r.createdAt.After(last) {
				last = r.createdAt
			}
		}
	}
	return last
}

// sortPostsLocked orders posts by a Circle sort; ties fall back to the
// newest id first (oldest first for "oldest"), so every order is total.
func (st *store) sortPostsLocked(ps []*post, sort string) {
	newest := func(a, b *post) int {
		if c := b.createdAt.Compare(a.createdAt); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	}
	var by func(a, b *post) int
	switch sort {
	case "oldest":
		by = func(a, b *post) int { return -newest(a, b) }
	case "popular":
		score := func(p *post) int { return len(p.likes) + 2*st.commentCountLocked(p) }
		by = func(a, b *post) int { return cmp.Or(cmp.Compare(score(b), score(a)), newest(a, b)) }
	case "likes":
		by = func(a, b *post) int { return cmp.Or(cmp.Compare(len(b.likes), len(a.likes)), newest(a, b)) }
	case "alphabetical":
		by = func(a, b *post) int {
			return cmp.Or(cmp.Compare(strings.ToLower(displayTitle(a)), strings.ToLower(displayTitle(b))), cmp.Compare(a.id, b.id))
		}
	case "new_activity":
		by = func(a, b *post) int {
			return cmp.Or(st.lastActivityLocked(b).Compare(st.lastActivityLocked(a)), newest(a, b))
		}
	default:
		by = newest
	}
	slices.SortStableFunc(ps, by)
}

// sortEvents orders event posts by start: soonest first for upcoming
// events, latest start first when past events are wanted.
func sortEvents(ps []*post, latestFirst bool) {
	slices.SortStableFunc(ps, func(a, b *post) int {
		c := cmp.Or(a.event.startsAt.Compare(b.event.startsAt), cmp.Compare(a.id, b.id))
		if latestFirst {
			return -c
		}
		return c
	})
}

// spaceByRefLocked finds a space by id or slug, as Circle's space_id accepts.
func (st *store) spaceByRefLocked(ref string) *space {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return st.spaces[id]
	}
	for _, id := range st.spaceOrder {
		if sp := st.spaces[id]; sp.slug == ref {
			return sp
		}
	}
	return nil
}

// visibleSpaceLocked resolves a space reference the viewer may see.
func (st *store) visibleSpaceLocked(ref string, viewer int64) (*space, error) {
	sp := st.spaceByRefLocked(ref)
	if sp == nil || !st.canSeeLocked(sp, viewer) {
		return nil, notFound("space")
	}
	return sp, nil
}

// spacesFor is GET /spaces: every space viewer can see, in id order.
func (st *store) spacesFor(viewer int64) []wireSpace {
	st.mu.RLock()
	defer st.mu.RUnlock()
	out := []wireSpace{}
	for _, id := range st.spaceOrder {
		if sp := st.spaces[id]; st.canSeeLocked(sp, viewer) {
			out = append(out, st.spaceLocked(sp, viewer))
		}
	}
	return out
}

// space is GET /spaces/{id}. Unlike the posts endpoints, it takes only a
// numeric id, as Circle documents it.
func (st *store) space(viewer, id int64) (wireSpace, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	sp, ok := st.spaces[id]
	if !ok || !st.canSeeLocked(sp, viewer) {
		return wireSpace{}, notFound("space")
	}
	return st.spaceLocked(sp, viewer), nil
}

// spacePosts is GET /spaces/{space_id}/posts.
//
// With post_ids it returns just those posts of the space, whatever their
// date. Otherwise, in an event space, it lists upcoming events (soonest
// first) unless past_events=true, which includes past events too (latest
// start first); an explicit sort other than latest overrides either order.
// In other spaces, pinned posts come first under the default sort.
func (st *store) spacePosts(viewer int64, ref string, q postQuery, now time.Time) (wirePage[wirePost], error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	sp, err := st.visibleSpaceLocked(ref, viewer)
	if err != nil {
		return wirePage[wirePost]{}, err
	}
	wanted := map[int64]bool{}
	for _, id := range q.postIDs {
		wanted[id] = true
	}
	past := q.pastEvents != nil && *q.pastEvents
	eventOrder := sp.spaceType == postTypeEvent && q.postIDs == nil
	var ps []*post
	for _, id := range st.postOrder {
		p := st.posts[id]
		switch {
		case p.spaceID != sp.id:
		case q.drafts:
		case q.topics != nil && !slices.ContainsFunc(p.topicIDs, func(t int64) bool { return slices.Contains(q.topics, t) }):
		case q.postIDs != nil:
			if wanted[id] {
				ps = append(ps, p)
			}
		case eventOrder && p.event != nil && !past && !p.event.endsAt.After(now):
		default:
			ps = append(ps, p)
		}
	}
	switch {
	case eventOrder && (q.sort == "" || q.sort == "latest"):
		sortEvents(ps, past)
	case q.sort == "" || q.sort == "latest":
		st.sortPostsLocked(ps, q.sort)
		slices.SortStableFunc(ps, func(a, b *post) int {
			return cmp.Compare(boolRank(b.pinned), boolRank(a.pinned))
		})
	default:
		st.sortPostsLocked(ps, q.sort)
	}
	return st.renderPostsLocked(ps, q, viewer), nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// post is GET /spaces/{space_id}/posts/{id}; the post must be in that space.
func (st *store) post(viewer int64, spaceRef, postRef string) (wirePost, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	sp, err := st.visibleSpaceLocked(spaceRef, viewer)
	if err != nil {
		return wirePost{}, err
	}
	id, numeric := parseID(postRef)
	for _, pid := range st.postOrder {
		p := st.posts[pid]
		if p.spaceID == sp.id && ((numeric && p.id == id) || p.slug == postRef) {
			return st.postLocked(p, viewer), nil
		}
	}
	return wirePost{}, notFound("post")
}

// home is GET /home: posts of every space viewer can see.
func (st *store) home(viewer int64, q postQuery) wirePage[wirePost] {
	st.mu.RLock()
	defer st.mu.RUnlock()
	var ps []*post
	for _, id := range st.postOrder {
		if p, ok := st.visiblePostLocked(id, viewer); ok {
			ps = append(ps, p)
		}
	}
	st.sortPostsLocked(ps, q.sort)
	return st.renderPostsLocked(ps, q, viewer)
}

// eventQuery is what GET /community_events was asked for.
type eventQuery struct {
	past     bool
	drafts   bool       // status=draft: the sandbox has no draft events
	from, to *time.Time // filter_date[start_date] / [end_date], whole UTC days
	page     pageParams
}

// events is GET /community_events: upcoming events (not yet ended) soonest
// first, or with past_events=true the ended ones, latest first.
func (st *store) events(viewer int64, q eventQuery, now time.Time) wirePage[wirePost] {
	st.mu.RLock()
	defer st.mu.RUnlock()
	var ps []*post
	for _, id := range st.postOrder {
		p, ok := st.visiblePostLocked(id, viewer)
		if !ok || p.event == nil || p.event.endsAt.After(now) == q.past || q.drafts {
			continue
		}
		if q.from != nil && p.event.startsAt.Before(*q.from) {
			continue
		}
		if q.to != nil && !p.event.startsAt.Before(q.to.AddDate(0, 0, 1)) {
			continue
		}
		ps = append(ps, p)
	}
	sortEvents(ps, q.past)
	return st.renderPostsLocked(ps, postQuery{page: q.page}, viewer)
}

// memberPosts is GET /community_members/{id}/posts: the member's posts that
// viewer can see, newest first.
func (st *store) memberPosts(viewer, memberID int64, pp pageParams) (wirePage[wirePost], error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if _, ok := st.members[memberID]; !ok {
		return wirePage[wirePost]{}, notFound("community_member")
	}
	var ps []*post
	for _, id := range st.postOrder {
		if p, ok := st.visiblePostLocked(id, viewer); ok && p.authorID == memberID {
			ps = append(ps, p)
		}
	}
	st.sortPostsLocked(ps, "")
	return st.renderPostsLocked(ps, postQuery{page: pp}, viewer), nil
}

// sortComments orders comments by a Circle comment sort (default oldest).
func sortComments(cs []*comment, sort string) {
	oldest := func(a, b *comment) int {
		return cmp.Or(a.createdAt.Compare(b.createdAt), cmp.Compare(a.id, b.id))
	}
	var by func(a, b *comment) int
	switch sort {
	case "latest":
		by = func(a, b *comment) int { return -oldest(a, b) }
	case "likes":
		by = func(a, b *comment) int { return cmp.Or(cmp.Compare(len(b.likes), len(a.likes)), oldest(a, b)) }
	case "alphabetical":
		by = func(a, b *comment) int {
			return cmp.Or(cmp.Compare(strings.ToLower(a.text), strings.ToLower(b.text)), oldest(a, b))
		}
	case "latest_updated":
		by = func(a, b *comment) int { return cmp.Or(b.updatedAt.Compare(a.updatedAt), -oldest(a, b)) }
	case "oldest_updated":
		by = func(a, b *comment) int { return cmp.Or(a.updatedAt.Compare(b.updatedAt), oldest(a, b)) }
	default:
		by = oldest
	}
	slices.SortStableFunc(cs, by)
}

func (st *store) commentsByIDLocked(ids []int64) []*comment {
	out := make([]*comment, len(ids))
	for i, id := range ids {
		out[i] = st.comments[id]
	}
	return out
}

// postComments is GET /posts/{post_id}/comments: top-level comments, each
// with its replies embedded.
func (st *store) postComments(viewer, postID int64, sort string, pp pageParams) (wirePage[wireComment], error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	p, ok := st.visiblePostLocked(postID, viewer)
	if !ok {
		return wirePage[wireComment]{}, notFound("post")
	}
	cs := st.commentsByIDLocked(p.comments)
	sortComments(cs, sort)
	return listPage(cs, pp, func(c *comment) wireComment { return st.commentLocked(c, viewer, true) }), nil
}

// comment is GET /posts/{post_id}/comments/{id}; the comment (or reply) must
// belong to that post.
func (st *store) comment(viewer, postID, commentID int64) (wireComment, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if _, ok := st.visiblePostLocked(postID, viewer); !ok {
		return wireComment{}, notFound("post")
	}
	c, ok := st.comments[commentID]
	if !ok || c.postID != postID {
		return wireComment{}, notFound("comment")
	}
	return st.commentLocked(c, viewer, true), nil
}

// replies is GET /comments/{comment_id}/replies.
func (st *store) replies(viewer, commentID int64, sort string, pp pageParams) (wirePage[wireComment], error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	c, ok := st.visibleCommentLocked(commentID, viewer)
	if !ok {
		return wirePage[wireComment]{}, notFound("comment")
	}
	cs := st.commentsByIDLocked(c.replies)
	sortComments(cs, sort)
	return listPage(cs, pp, func(c *comment) wireComment { return st.commentLocked(c, viewer, false) }), nil
}

// memberComments is GET /community_members/{id}/comments: the member's
// comments and replies on posts viewer can see, newest first.
func (st *store) memberComments(viewer, memberID int64, pp pageParams) (wirePage[wireComment], error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if _, ok := st.members[memberID]; !ok {
		return wirePage[wireComment]{}, notFound("community_member")
	}
	var cs []*comment
	for _, c := range st.comments {
		if _, ok := st.visiblePostLocked(c.postID, viewer); ok && c.authorID == memberID {
			cs = append(cs, c)
		}
	}
	sortComments(cs, "latest")
	return listPage(cs, pp, func(c *comment) wireComment { return st.commentLocked(c, viewer, false) }), nil
}

// postLikes is GET /posts/{post_id}/user_likes: who liked the post, most
// recent first.
func (st *store) postLikes(viewer, postID int64, pp pageParams) (wirePage[wireAuthor], error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	p, ok := st.visiblePostLocked(postID, viewer)
	if !ok {
		return wirePage[wireAuthor]{}, notFound("post")
	}
	page := listPage(likersLocked(p.likes), pp, st.likerLocked)
	page.PageCount = len(page.Records)
	return page, nil
}

// eventAttendees is GET /events/{event_id}/event_attendees, in RSVP order.
func (st *store) eventAttendees(viewer, eventID int64, pp pageParams) (wirePage[wireAttendee], error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	p, ok := st.visiblePostLocked(eventID, viewer)
	if !ok || p.event == nil {
		return wirePage[wireAttendee]{}, notFound("event")
	}
	page := listPage(p.event.attendees, pp, st.attendeeLocked)
	page.PageCount = len(page.Records)
	return page, nil
}

// memberQuery is what GET /community_members was asked for.
type memberQuery struct {
	search  string // case-insensitive substring of the name
	spaceID string // "" for the whole community
	sort    string // one of memberSorts, or "" for join order
	page    pageParams
}

// membersList is GET /community_members.
func (st *store) membersList(viewer int64, q memberQuery) (wirePage[wireDirectoryMember], error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	var in map[int64]int64
	if q.spaceID != "" {
		sp, err := st.visibleSpaceLocked(q.spaceID, viewer)
		if err != nil {
			return wirePage[wireDirectoryMember]{}, err
		}
		in = sp.members
	}
	needle := strings.ToLower(q.search)
	var ms []*member
	for _, id := range st.memberOrder {
		m := st.members[id]
		if _, ok := in[id]; in != nil && !ok {
			continue
		}
		if m.profile.deactivated || (m.profile.hiddenFromDirectory && m.id != viewer) {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(m.name), needle) {
			continue
		}
		ms = append(ms, m)
	}
	switch q.sort {
	case "alphabetical":
		slices.SortStableFunc(ms, func(a, b *member) int {
			return cmp.Or(cmp.Compare(strings.ToLower(a.name), strings.ToLower(b.name)), cmp.Compare(a.id, b.id))
		})
	case "latest":
		slices.Reverse(ms)
	}
	page := listPage(ms, q.page, func(m *member) wireDirectoryMember { return st.directoryEntryLocked(viewer, m.id) })
	page.PageCount = len(page.Records)
	return page, nil
}

// profile is GET /community_members/{id}/public_profile, as viewer sees it.
func (st *store) profile(viewer, memberID int64) (wirePublicProfile, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if m, ok := st.members[memberID]; !ok || m.profile.deactivated {
		return wirePublicProfile{}, notFound("community_member")
	}
	return st.profileLocked(viewer, memberID), nil
}

// currentMember is GET /community_member.
func (st *store) currentMember(viewer int64) (wireCurrentMember, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if m, ok := st.members[viewer]; !ok || m.profile.deactivated { // gone since its token was checked
		return wireCurrentMember{}, notFound("community_member")
	}
	return st.currentMemberLocked(viewer), nil
}

// parseID reads a decimal id; anything else is no id.
func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}
