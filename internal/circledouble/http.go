package circledouble

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// --- the HTTP side ---

// route is one endpoint of the double.
type route = endpoint[*call]

var (
	postSorts    = enum("popular", "likes", "oldest", "alphabetical", "new_activity")
	homeSorts    = enum("latest", "popular", "oldest", "likes", "alphabetical", "new_activity")
	commentSorts = enum("oldest", "latest", "alphabetical", "likes", "latest_updated", "oldest_updated")
)

// routes are the Member API endpoints the double serves, with the query
// parameters the OpenAPI document lists for each (page and per_page aside).
var routes = []route{
	{"GET", "spaces", false, nil, (*call).getSpaces},
	{"GET", "spaces/{}", false, nil, (*call).getSpace},
	{"GET", "spaces/{}/posts", true, params{"sort": postSorts, "status": enum("published", "draft"), "past_events": isBool, "topics": isIDList, "post_ids": isIDList}, (*call).getSpacePosts},
	{"GET", "spaces/{ref}/posts/{ref}", false, nil, (*call).getSpacePost},
	{"GET", "home", true, params{"sort": homeSorts}, (*call).getHome},
	{"GET", "community_events", true, params{"filter_date[start_date]": isDate, "filter_date[end_date]": isDate, "status": nonEmpty, "past_events": isBool}, (*call).getEvents},
	{"GET", "posts/{}/comments", true, params{"sort": commentSorts}, (*call).getComments},
	{"GET", "posts/{}/comments/{}", false, nil, (*call).getComment},
	{"GET", "comments/{}/replies", true, params{"sort": commentSorts}, (*call).getReplies},
	{"GET", "comments/{}/replies/{}", false, nil, (*call).getReply},
	{"PATCH", "comments/{}/replies/{}", false, nil, (*call).updateReply},
	{"PATCH", "posts/{}/comments/{}", false, nil, (*call).updateComment},
	{"GET", "comments/{}/user_likes", true, nil, (*call).getCommentLikes},
	{"GET", "spaces/{}/events/{}/recurring_events", true, nil, (*call).getDates},
	{"PUT", "spaces/{}/events/{}/recurring_events/rsvp", false, nil, (*call).rsvpDates},
	{"GET", "posts/{}/user_likes", true, nil, (*call).getLikes},
	{"GET", "events/{}/event_attendees", true, nil, (*call).getAttendees},
	{"GET", "community_members", true, params{"space_id": isID, "search_text": nonEmpty, "search_after": nonEmpty, "sort": enum("alphabetical", "oldest", "latest")}, (*call).getMembers},
	{"GET", "community_member", false, nil, (*call).getMe},
	{"GET", "community_members/{}/public_profile", false, nil, (*call).getProfile},
	{"GET", "community_members/{}/posts", true, nil, (*call).getMemberPosts},
	{"GET", "community_members/{}/comments", true, nil, (*call).getMemberComments},
	{"POST", "posts/{}/user_likes", false, nil, func(c *call) { c.like(true) }},
	{"DELETE", "posts/{}/user_likes", false, nil, func(c *call) { c.like(false) }},
	{"POST", "posts/{}/comments", false, nil, (*call).createComment},
	{"POST", "comments/{}/replies", false, nil, (*call).createReply},
	{"POST", "comments/{}/user_likes", false, nil, func(c *call) { c.likeComment(true) }},
	{"DELETE", "comments/{}/user_likes", false, nil, func(c *call) { c.likeComment(false) }},
	{"POST", "events/{}/event_attendees", false, nil, func(c *call) { c.rsvp(true) }},
	{"DELETE", "events/{}/event_attendees", false, nil, func(c *call) { c.rsvp(false) }},
	{"POST", "spaces/{}/join", false, nil, func(c *call) { c.membership(true) }},
	{"POST", "spaces/{}/leave", false, nil, func(c *call) { c.membership(false) }},
}

// call is one call being served, with the double it is for.
type call struct {
	*request
	d *Circle
}

// ServeHTTP answers one Member API call.
func (d *Circle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d.Jitter != nil {
		select {
		case <-time.After(d.Jitter(r)):
		case <-r.Context().Done():
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c := newRequest(w, r, d.violate)
	serve(c, &call{request: c, d: d}, routes, func(id int64) bool { return d.Member(id) != nil })
}

// list answers one page of items.
func list[T any](c *call, items []T, render func(T) any, extra map[string]any) {
	records := []any{}
	start := (c.page - 1) * c.perPage
	end := min(start+c.perPage, len(items))
	if start < len(items) {
		for _, it := range items[start:end] {
			records = append(records, render(it))
		}
	}
	out := map[string]any{"page": c.page, "per_page": c.perPage, "has_next_page": end < len(items) && start < len(items),
		"count": len(items), "page_count": (len(items) + c.perPage - 1) / c.perPage, "records": records}
	for k, v := range extra {
		out[k] = v
	}
	c.json(http.StatusOK, out)
}

func (c *call) renderPost(p *Post) any { return c.d.renderPost(p, c.viewer, true) }

func (c *call) visiblePost(id int64) *Post {
	p := c.d.Post(id)
	if p == nil || !c.d.Visible(p, c.viewer) {
		return nil
	}
	return p
}

func (c *call) getSpaces() {
	out := []any{}
	for _, s := range c.d.Spaces {
		if !s.Unlisted && s.VisibleTo(c.viewer) {
			out = append(out, c.d.renderSpace(s, c.viewer))
		}
	}
	c.json(http.StatusOK, out)
}

func (c *call) getSpace() {
	s := c.d.Space(c.ids[0])
	if s == nil || !s.VisibleTo(c.viewer) {
		c.notFound("space")
		return
	}
	c.json(http.StatusOK, c.d.renderSpace(s, c.viewer))
}

func (c *call) getSpacePosts() {
	s := c.d.Space(c.ids[0])
	if s == nil || !s.VisibleTo(c.viewer) {
		c.notFound("space")
		return
	}
	raw, batch := c.q["post_ids"]
	if !batch {
		sortBy := c.q.Get("sort")
		list(c, c.d.SpacePosts(s.ID, c.viewer, sortBy), c.renderPost, map[string]any{"sort": Or(sortBy, "latest")})
		return
	}
	want := map[int64]bool{}
	parts := strings.Split(raw[0], ",")
	for _, part := range parts {
		id, _ := atoi(part)
		if want[id] {
			c.d.violate("%s: post id %d asked twice", c.what, id)
		}
		want[id] = true
	}
	if len(parts) > 100 {
		c.d.violate("%s: %d post_ids, at most 100 per call", c.what, len(parts))
	}
	if c.perPage != len(parts) {
		c.d.violate("%s: per_page %d with %d post_ids (must be equal)", c.what, c.perPage, len(parts))
	}
	if c.page != 1 {
		c.d.violate("%s: page %d on a post_ids batch", c.what, c.page)
	}
	var found []*Post
	for _, p := range c.d.SpacePosts(s.ID, c.viewer, "latest") {
		if want[p.ID] {
			found = append(found, p)
		}
	}
	list(c, found, c.renderPost, map[string]any{"sort": "latest"})
}

// getSpacePost answers GET /spaces/{space_id}/posts/{id}, both of which
// Circle takes as an id or a slug; a reference made of digits is an id.
func (c *call) getSpacePost() {
	s := c.d.Space(c.ids[0])
	if c.ids[0] == 0 {
		s = c.d.SpaceBySlug(c.refs[0])
	}
	if s == nil || !s.VisibleTo(c.viewer) {
		c.notFound("space")
		return
	}
	var p *Post
	if c.ids[1] != 0 {
		p = c.visiblePost(c.ids[1])
	} else {
		for _, cand := range c.d.SpacePosts(s.ID, c.viewer, "latest") {
			if cand.Slug == c.refs[1] {
				p = cand
			}
		}
	}
	if p == nil || p.SpaceID != s.ID {
		c.notFound("post")
		return
	}
	c.json(http.StatusOK, c.renderPost(p))
}

func (c *call) getHome() {
	sortBy := Or(c.q.Get("sort"), "latest")
	list(c, c.d.Feed(c.viewer, sortBy), c.renderPost, map[string]any{"sort": sortBy})
}

// getEvents answers /community_events, whose records carry no post_type
// (as in the OpenAPI example).
func (c *call) getEvents() {
	past := c.q.Get("past_events") == "true"
	list(c, c.d.Events(c.viewer, past), func(p *Post) any { return c.d.renderPost(p, c.viewer, false) }, map[string]any{"sort": "latest"})
}

func (c *call) getComments() {
	p := c.visiblePost(c.ids[0])
	if p == nil {
		c.notFound("post")
		return
	}
	cs := SortComments(c.d.TopComments(p.ID), Or(c.q.Get("sort"), "latest"))
	list(c, cs, func(cm *Comment) any { return c.d.renderComment(cm, c.viewer, true, false) }, nil)
}

func (c *call) getComment() {
	p := c.visiblePost(c.ids[0])
	cm := c.d.Comment(c.ids[1])
	if p == nil || cm == nil || cm.PostID != p.ID {
		c.notFound("comment")
		return
	}
	c.json(http.StatusOK, c.d.renderComment(cm, c.viewer, true, false))
}

func (c *call) getReplies() {
	parent := c.d.Comment(c.ids[0])
	if parent == nil || c.visiblePost(parent.PostID) == nil {
		c.notFound("comment")
		return
	}
	rs := SortComments(c.d.Replies(parent.ID), Or(c.q.Get("sort"), "latest"))
	list(c, rs, func(cm *Comment) any { return c.d.renderComment(cm, c.viewer, false, true) }, nil)
}

func (c *call) getLikes() {
	p := c.visiblePost(c.ids[0])
	if p == nil {
		c.notFound("post")
		return
	}
	list(c, c.d.Likers(p), func(m *Member) any { return c.d.renderLiker(m) }, nil)
}

func (c *call) getAttendees() {
	p := c.visiblePost(c.ids[0])
	if p == nil || p.Event == nil {
		c.notFound("event")
		return
	}
	list(c, p.Event.Attendees, func(a *Attendee) any { return c.d.renderAttendee(a) }, map[string]any{"meta": map[string]any{}})
}

func (c *call) getMembers() {
	var spaceID int64
	if v := c.q.Get("space_id"); v != "" {
		spaceID, _ = atoi(v)
		if s := c.d.Space(spaceID); s == nil || !s.VisibleTo(c.viewer) {
			c.notFound("space")
			return
		}
	}
	if vs, ok := c.q["search_text"]; ok {
		c.d.Searches = append(c.d.Searches, vs[0])
	}
	ms := c.d.Directory(spaceID, c.q.Get("search_text"))
	if c.q.Get("sort") == "alphabetical" {
		ms = slices.Clone(ms)
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].Name < ms[j].Name })
	}
	list(c, ms, func(m *Member) any { return c.d.renderDirectoryEntry(m) }, map[string]any{"next_search_after": []any{1721398993645}})
}

func (c *call) getMe() { c.json(http.StatusOK, c.d.renderCurrent(c.d.Member(c.viewer))) }

func (c *call) getProfile() {
	m := c.d.Member(c.ids[0])
	if m == nil {
		c.notFound("community member")
		return
	}
	c.json(http.StatusOK, c.d.renderProfile(m))
}

func (c *call) getMemberPosts() {
	if c.d.Member(c.ids[0]) == nil {
		c.notFound("community member")
		return
	}
	list(c, c.d.MemberPosts(c.ids[0], c.viewer), c.renderPost, map[string]any{"sort": "latest"})
}

func (c *call) getMemberComments() {
	if c.d.Member(c.ids[0]) == nil {
		c.notFound("community member")
		return
	}
	list(c, c.d.MemberComments(c.ids[0], c.viewer), func(cm *Comment) any { return c.d.renderComment(cm, c.viewer, true, false) }, nil)
}

// noBody checks that a write without a request body in Circle's API sent none.
func (c *call) noBody() bool {
	switch string(bytes.TrimSpace(c.body)) {
	case "", "{}", "null":
		return true
	}
	c.d.violate("%s: unexpected request body %q", c.what, c.body)
	c.fail(http.StatusBadRequest, "Bad request")
	return false
}

func (c *call) like(like bool) {
	p := c.visiblePost(c.ids[0])
	if p == nil {
		c.notFound("post")
		return
	}
	if !c.noBody() {
		return
	}
	if p.LikingOff {
		c.fail(http.StatusUnprocessableEntity, "Liking is disabled for this post.")
		return
	}
	if like {
		p.Likes[c.viewer] = true
		c.json(http.StatusOK, map[string]any{"success": true, "message": "Post has been liked"})
		return
	}
	delete(p.Likes, c.viewer)
	c.json(http.StatusOK, map[string]any{"success": true, "message": "Post has been unliked"})
}

// commentBody reads Circle's comment and reply body, {"comment":
// {"body": …} or {"tiptap_body": …}}, and nothing else.
func (c *call) commentBody() (text string, tiptap json.RawMessage, ok bool) {
	c.d.Bodies = append(c.d.Bodies, string(c.body))
	if ct := c.r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		c.d.violate("%s: Content-Type %q, want application/json", c.what, ct)
	}
	var env map[string]json.RawMessage
	var inner map[string]json.RawMessage
	bad := json.Unmarshal(c.body, &env) != nil || len(env) != 1 || env["comment"] == nil ||
		json.Unmarshal(env["comment"], &inner) != nil || len(inner) == 0
	for k, v := range inner {
		switch k {
		case "body":
			bad = bad || json.Unmarshal(v, &text) != nil
		case "tiptap_body":
			bad = bad || !bytes.HasPrefix(bytes.TrimSpace(v), []byte("{"))
			tiptap = v
		default:
			bad = true
		}
	}
	if bad {
		c.d.violate("%s: body %s is not Circle's {\"comment\": {\"body\"|\"tiptap_body\": …}}", c.what, c.body)
		c.fail(http.StatusBadRequest, "Bad request")
		return "", nil, false
	}
	return text, tiptap, true
}

func (c *call) addComment(p *Post, parent int64, text string, tiptap json.RawMessage) {
	cm := c.d.seedComment(p, c.viewer, parent, time.Now().UTC().Truncate(time.Millisecond))
	cm.Likes = map[int64]bool{}
	cm.HTML, cm.Text, cm.Tiptap = text, html.UnescapeString(stripTags(text)), tiptap
	if text == "" {
		cm.HTML, cm.Text = "", "(rich text)"
	}
	c.json(http.StatusCreated, c.d.renderComment(cm, c.viewer, true, false))
}

func (c *call) createComment() {
	p := c.visiblePost(c.ids[0])
	if p == nil {
		c.notFound("post")
		return
	}
	text, tiptap, ok := c.commentBody()
	if !ok {
		return
	}
	if p.Closed {
		c.failWith(http.StatusUnprocessableEntity, "Comments are closed for this post.", map[string]any{"base": []any{"Comments are closed"}})
		return
	}
	c.addComment(p, 0, text, tiptap)
}

func (c *call) createReply() {
	parent := c.d.Comment(c.ids[0])
	if parent == nil || c.visiblePost(parent.PostID) == nil {
		c.notFound("comment")
		return
	}
	text, tiptap, ok := c.commentBody()
	if !ok {
		return
	}
	if text == "too long" {
		c.failWith(http.StatusUnprocessableEntity, "Failed to create reply!", map[string]any{"body": []any{"is too long (maximum is 8 characters)"}})
		return
	}
	c.addComment(c.d.Post(parent.PostID), parent.ID, text, tiptap)
}

func (c *call) likeComment(like bool) {
	cm := c.d.Comment(c.ids[0])
	if cm == nil || c.visiblePost(cm.PostID) == nil {
		c.notFound("comment")
		return
	}
	if !c.noBody() {
		return
	}
	if like {
		cm.Likes[c.viewer] = true
		c.json(http.StatusOK, map[string]any{"success": true, "message": "Comment has been liked"})
		return
	}
	delete(cm.Likes, c.viewer)
	c.json(http.StatusOK, map[string]any{"success": true, "message": "Comment has been unliked"})
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (c *call) rsvp(yes bool) {
	p := c.visiblePost(c.ids[0])
	if p == nil || p.Event == nil {
		c.notFound("event")
		return
	}
	if !c.noBody() {
		return
	}
	status := "no"
	if yes {
		status = "yes"
	}
	for _, a := range p.Event.Attendees {
		if a.MemberID == c.viewer {
			a.Status, a.At = status, time.Now().UTC().Truncate(time.Millisecond)
			c.json(http.StatusOK, c.d.renderAttendee(a))
			return
		}
	}
	a := &Attendee{ID: Attendee0 + 9000 + int64(len(p.Event.Attendees)), MemberID: c.viewer, Status: status, At: time.Now().UTC().Truncate(time.Millisecond)}
	p.Event.Attendees = append(p.Event.Attendees, a)
	c.json(http.StatusOK, c.d.renderAttendee(a))
}

// membership joins or leaves a space; Circle answers with the space as the
// Member now sees it. A private space cannot be joined uninvited.
func (c *call) membership(join bool) {
	sp := c.d.Space(c.ids[0])
	if sp == nil {
		c.notFound("space")
		return
	}
	if !c.noBody() {
		return
	}
	if join && sp.Private && !sp.Members[c.viewer] {
		c.fail(http.StatusForbidden, "You are not allowed to join this space.")
		return
	}
	if join {
		sp.Members[c.viewer] = true
	} else {
		delete(sp.Members, c.viewer)
	}
	c.json(http.StatusOK, c.d.renderSpace(sp, c.viewer))
}

// Or is v, or def when v is empty.
func Or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
