package e2e

// The gateway against the strict Circle double of package
// internal/circledouble, and what the tests expect of it for the double's
// records.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/circle-gateway/gateway/internal/circledouble"
	"github.com/circle-gateway/gateway/internal/refqueries"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/internal/testjwt"
	"github.com/circle-gateway/gateway/loaders"
)

// --- test harness over the double ---

// double is the Circle double with what the tests expect of the gateway
// for its records (the want* methods).
type double struct{ *circledouble.Circle }

// doubleEnv is the gateway in front of a fresh double.
type doubleEnv struct {
	*testenv.Env
	d double
}

func newDoubleEnv(t *testing.T) *doubleEnv {
	t.Helper()
	d := double{circledouble.New()}
	env := testenv.New(t, testenv.Options{Upstream: d})
	t.Cleanup(func() {
		for _, v := range d.TakeViolations() {
			t.Errorf("Circle API contract violated by the gateway: %s", v)
		}
	})
	return &doubleEnv{Env: env, d: d}
}

// checkCircle fails t for every Circle contract violation recorded since
// the last check.
func (e *doubleEnv) checkCircle(t *testing.T) {
	t.Helper()
	for _, v := range e.d.TakeViolations() {
		t.Errorf("Circle API contract violated by the gateway: %s", v)
	}
}

// run resets the recorder and runs one operation as member who.
func (e *doubleEnv) run(t *testing.T, who int64, query string, vars map[string]any) testenv.Response {
	t.Helper()
	e.Upstream.Reset()
	return e.Do(t, testjwt.Member(t, who), query, vars)
}

func mustOK(t *testing.T, r testenv.Response) {
	t.Helper()
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("status %d, errors %+v", r.Status, r.Errors)
	}
}

// mustError checks r has exactly one error, with code at path (nil: any path).
func mustError(t *testing.T, r testenv.Response, code string, path ...any) {
	t.Helper()
	if len(r.Errors) != 1 || r.Errors[0].Code() != code {
		t.Fatalf("errors %+v (status %d), want exactly one %s", r.Errors, r.Status, code)
	}
	want := slices.Clone(path)
	if want != nil && fmt.Sprintf("%v", r.Errors[0].Path) != fmt.Sprintf("%v", want) {
		t.Fatalf("%s error at path %v, want %v", code, r.Errors[0].Path, want)
	}
}

// nullOrEmpty in an expected value accepts null or "".
const nullOrEmpty = "\x00null-or-empty"

// compareData compares a response's data with want (built from the
// double's records), reporting every difference with its path. Two strings
// that both read as RFC 3339 date-times are equal when they name the same
// instant.
func compareData(t *testing.T, what string, got json.RawMessage, want any) {
	t.Helper()
	wb, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: data %s: %v", what, got, err)
	}
	_ = json.Unmarshal(wb, &w)
	var diffs []string
	diff("data", g, w, &diffs)
	if len(diffs) > 0 {
		if len(diffs) > 25 {
			diffs = append(diffs[:25], fmt.Sprintf("… and %d more", len(diffs)-25))
		}
		t.Errorf("%s: %d differences from the double's data:\n  %s", what, len(diffs), strings.Join(diffs, "\n  "))
	}
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

func diff(path string, got, want any, out *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: got %s, want an object %s", path, short(got), short(want)))
			return
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, present := g[k]
			if !present {
				*out = append(*out, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			diff(path+"."+k, gv, w[k], out)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*out = append(*out, fmt.Sprintf("%s: got %s, want %s", path, short(got), short(want)))
			return
		}
		for i := range w {
			diff(fmt.Sprintf("%s[%d]", path, i), g[i], w[i], out)
		}
	case string:
		if w == nullOrEmpty {
			if got == nil || got == "" {
				return
			}
		} else if g, ok := got.(string); ok {
			if g == w {
				return
			}
			tg, err1 := time.Parse(time.RFC3339Nano, g)
			tw, err2 := time.Parse(time.RFC3339Nano, w)
			if err1 == nil && err2 == nil && tg.Equal(tw) {
				return
			}
		}
		*out = append(*out, fmt.Sprintf("%s: got %s, want %s", path, short(got), short(want)))
	default:
		if !reflect.DeepEqual(got, want) {
			*out = append(*out, fmt.Sprintf("%s: got %s, want %s", path, short(got), short(want)))
		}
	}
}

// Selections and what the double's records say they must be.
const (
	postFields    = `id type title slug url bodyHtml bodyText tiptapBody isPinned isLiked likesCount commentsCount createdAt updatedAt`
	spaceFields   = `id name slug emoji url isPrivate isMember`
	authorFields  = `id name headline avatarUrl isAdmin`
	memberFields  = `id name headline avatarUrl bio postsCount commentsCount isAdmin`
	eventFields   = `startsAt endsAt locationType inPersonLocation virtualLocationUrl rsvpCount rsvpLimit rsvpStatus`
	commentFields = `id bodyHtml bodyText tiptapBody createdAt updatedAt likesCount isLiked repliesCount`
)

func obj(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func with(m map[string]any, kv ...any) map[string]any {
	for k, v := range obj(kv...) {
		m[k] = v
	}
	return m
}

func mapN[T any](items []T, n int, f func(T) any) []any {
	out := []any{}
	for i, it := range items {
		if i >= n {
			break
		}
		out = append(out, f(it))
	}
	return out
}

func postTitle(p *circledouble.Post) string {
	if p.Name != nil && *p.Name != "" {
		return *p.Name
	}
	return p.DisplayTitle
}

func (d double) wantPost(p *circledouble.Post, viewer int64) map[string]any {
	var markup, tiptap any
	if p.HTML != nil {
		markup = *p.HTML
	}
	if p.Tiptap != nil {
		tiptap = p.Tiptap
	}
	var text any = p.Plain
	if p.Plain == "" {
		text = nullOrEmpty
	}
	return obj("id", circledouble.ID(p.ID), "type", strings.ToUpper(p.Kind), "title", postTitle(p), "slug", p.Slug,
		"url", circledouble.Site+"/c/"+d.Space(p.SpaceID).Slug+"/"+p.Slug, "bodyHtml", markup, "bodyText", text, "tiptapBody", tiptap,
		"isPinned", p.Pinned, "isLiked", p.Likes[viewer], "likesCount", len(p.Likes), "commentsCount", d.CommentCount(p.ID),
		"createdAt", circledouble.TS(p.Created), "updatedAt", circledouble.TS(p.Updated))
}

func (d double) wantSpace(s *circledouble.Space, viewer int64) map[string]any {
	var emoji any
	if s.Emoji != nil {
		emoji = *s.Emoji
	}
	return obj("id", circledouble.ID(s.ID), "name", s.Name, "slug", s.Slug, "emoji", emoji, "url", circledouble.Site+"/c/"+s.Slug,
		"isPrivate", s.Private, "isMember", s.Members[viewer])
}

func avatar(m *circledouble.Member) any {
	if m.Avatar == nil {
		return nil
	}
	return *m.Avatar
}

func (d double) wantAuthor(m *circledouble.Member) map[string]any {
	return obj("id", circledouble.ID(m.ID), "name", m.Name, "headline", m.Headline, "avatarUrl", avatar(m), "isAdmin", m.Admin)
}

func (d double) wantMember(m *circledouble.Member) map[string]any {
	return with(d.wantAuthor(m), "bio", m.Bio, "postsCount", d.PostsCount(m.ID), "commentsCount", d.CommentsCount(m.ID))
}

func (d double) wantEvent(p *circledouble.Post, viewer int64) map[string]any {
	e := p.Event
	var inPerson, limit, status any
	if e.InPerson != nil {
		inPerson = *e.InPerson
	}
	if e.Limit != nil {
		limit = *e.Limit
	}
	if s := d.RsvpOf(p, viewer); s != "" {
		status = strings.ToUpper(s)
	}
	var virtual any = e.Virtual
	if e.Virtual == "" {
		virtual = nullOrEmpty
	}
	return obj("startsAt", circledouble.TS(e.Starts), "endsAt", circledouble.TS(e.Ends), "locationType", e.LocationType,
		"inPersonLocation", inPerson, "virtualLocationUrl", virtual, "rsvpCount", e.YesCount(), "rsvpLimit", limit, "rsvpStatus", status)
}

func (d double) wantComment(c *circledouble.Comment, viewer int64) map[string]any {
	var tiptap any
	if c.Tiptap != nil {
		tiptap = c.Tiptap
	}
	return obj("id", circledouble.ID(c.ID), "bodyHtml", c.HTML, "bodyText", c.Text, "tiptapBody", tiptap,
		"createdAt", circledouble.TS(c.Created), "updatedAt", circledouble.TS(c.Updated), "likesCount", len(c.Likes),
		"isLiked", c.Likes[viewer], "repliesCount", len(d.Replies(c.ID)))
}

// --- the tests ---

func TestDoubleMe(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	q := `{ me { ` + memberFields + `
		posts(first: 4) { totalCount pageInfo { hasNextPage hasPreviousPage } nodes { id title author { id } space { id } } }
		comments(first: 4) { totalCount nodes { id bodyText author { id name } post { id } } } } }`
	for _, who := range []int64{circledouble.Alice, circledouble.Bob, circledouble.Hana, circledouble.Gus, circledouble.Zed} {
		t.Run(circledouble.ID(who), func(t *testing.T) {
			r := e.run(t, who, q, nil)
			mustOK(t, r)
			var want any
			e.d.Locked(func() {
				m := e.d.Member(who)
				posts, comments := e.d.MemberPosts(who, who), e.d.MemberComments(who, who)
				want = obj("me", with(e.d.wantMember(m),
					"posts", obj("totalCount", len(posts), "pageInfo", obj("hasNextPage", len(posts) > 4, "hasPreviousPage", false),
						"nodes", mapN(posts, 4, func(p *circledouble.Post) any {
							return obj("id", circledouble.ID(p.ID), "title", postTitle(p), "author", obj("id", circledouble.ID(who)), "space", obj("id", circledouble.ID(p.SpaceID)))
						})),
					"comments", obj("totalCount", len(comments), "nodes", mapN(comments, 4, func(c *circledouble.Comment) any {
						return obj("id", circledouble.ID(c.ID), "bodyText", c.Text, "author", obj("id", circledouble.ID(who), "name", m.Name), "post", obj("id", circledouble.ID(c.PostID)))
					}))))
			})
			compareData(t, "me", r.Data, want)
			for _, c := range e.Upstream.Calls() {
				if strings.HasSuffix(c.Path, "/public_profile") {
					t.Errorf("%s: me's own fields are all in GET /community_member, no profile fetch needed", c.Target())
				}
			}
			if n := countCalls(e.Upstream.Calls(), "GET", "/community_member"); n != 1 {
				t.Errorf("%d GET /community_member, want 1: %v", n, targets(e.Upstream.Calls()))
			}
			e.checkCircle(t)
		})
	}
}

func countCalls(calls []testenv.Call, method, path string) int {
	n := 0
	for _, c := range calls {
		if c.Method == method && c.Path == path {
			n++
		}
	}
	return n
}

func TestDoubleSpaces(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	for _, who := range []int64{circledouble.Alice, circledouble.Bob, circledouble.Gus} {
		t.Run(circledouble.ID(who), func(t *testing.T) {
			r := e.run(t, who, `{ spaces { `+spaceFields+` } }`, nil)
			mustOK(t, r)
			var want []any
			e.d.Locked(func() {
				for _, s := range e.d.Spaces {
					if !s.Unlisted && s.VisibleTo(who) {
						want = append(want, e.d.wantSpace(s, who))
					}
				}
			})
			compareData(t, "spaces", r.Data, obj("spaces", want))
			if calls := e.Upstream.Calls(); len(calls) != 1 || calls[0].Target() != "/spaces" {
				t.Errorf("calls %v, want only GET /spaces", targets(calls))
			}
			e.checkCircle(t)
		})
	}
}

func TestDoubleSpaceByIDAndSlug(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	q := `query($id: ID, $slug: String) { space(id: $id, slug: $slug) { ` + spaceFields + ` } }`
	cases := []struct {
		name  string
		who   int64
		vars  map[string]any
		space int64 // 0: null with NOT_FOUND
		calls []string
	}{
		{"listed by id", circledouble.Bob, obj("id", circledouble.ID(circledouble.Meetups)), circledouble.Meetups, []string{"GET /spaces"}},
		{"listed by slug", circledouble.Bob, obj("slug", "gallery-of-blooms"), circledouble.Gallery, []string{"GET /spaces"}},
		{"private by id, member", circledouble.Alice, obj("id", circledouble.ID(circledouble.Inner)), circledouble.Inner, []string{"GET /spaces"}},
		{"private by slug, member", circledouble.Gus, obj("slug", "inner-circle"), circledouble.Inner, []string{"GET /spaces"}},
		{"private by id, not a member", circledouble.Bob, obj("id", circledouble.ID(circledouble.Inner)), 0, []string{"GET /spaces", "GET /spaces/4000004"}},
		{"private by slug, not a member", circledouble.Bob, obj("slug", "inner-circle"), 0, []string{"GET /spaces"}},
		{"not in GET /spaces, by id", circledouble.Alice, obj("id", circledouble.ID(circledouble.Archive)), circledouble.Archive, []string{"GET /spaces", "GET /spaces/4000005"}},
		{"unknown id", circledouble.Alice, obj("id", "4000099"), 0, []string{"GET /spaces", "GET /spaces/4000099"}},
		{"unknown slug", circledouble.Alice, obj("slug", "no-such-space"), 0, []string{"GET /spaces"}},
		{"hostile slug", circledouble.Alice, obj("slug", "../spaces/4000004?per_page=1000"), 0, []string{"GET /spaces"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run(t, tc.who, q, tc.vars)
			if tc.space == 0 {
				mustError(t, r, "NOT_FOUND", "space")
				compareData(t, tc.name, r.Data, obj("space", nil))
			} else {
				mustOK(t, r)
				var want any
				e.d.Locked(func() { want = obj("space", e.d.wantSpace(e.d.Space(tc.space), tc.who)) })
				compareData(t, tc.name, r.Data, want)
			}
			got := targets(e.Upstream.Calls())
			slices.Sort(got)
			if !slices.Equal(got, tc.calls) {
				t.Errorf("calls %v, want %v", got, tc.calls)
			}
			e.checkCircle(t)
		})
	}
}

func TestDoubleSpacePosts(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	q := `query($id: ID, $sort: PostSort, $after: String) { space(id: $id) { id posts(first: 4, sort: $sort, after: $after) {
		totalCount pageInfo { hasNextPage hasPreviousPage } edges { cursor node { id title isLiked type } } } } }`
	sorts := map[string]string{"": "latest", "LATEST": "latest", "POPULAR": "popular", "OLDEST": "oldest", "LIKES": "likes", "ALPHABETICAL": "alphabetical", "NEW_ACTIVITY": "new_activity"}
	for _, space := range []int64{circledouble.Shed, circledouble.Meetups, circledouble.Inner} {
		for gql, circleSort := range sorts {
			t.Run(fmt.Sprintf("%d/%s", space, circledouble.Or(gql, "default")), func(t *testing.T) {
				vars := obj("id", circledouble.ID(space))
				if gql != "" {
					vars["sort"] = gql
				}
				r := e.run(t, circledouble.Alice, q, vars)
				mustOK(t, r)
				var all []*circledouble.Post
				e.d.Locked(func() { all = e.d.SpacePosts(space, circledouble.Alice, circleSort) })
				var got struct {
					Space struct {
						Posts struct {
							TotalCount int
							PageInfo   struct{ HasNextPage, HasPreviousPage bool }
							Edges      []struct {
								Cursor string
								Node   struct{ ID, Title, Type string }
							}
						}
					}
				}
				r.Decode(t, &got)
				var ids []string
				for _, ed := range got.Space.Posts.Edges {
					ids = append(ids, ed.Node.ID)
				}
				want := mapN(all, 4, func(p *circledouble.Post) any { return circledouble.ID(p.ID) })
				compareData(t, "posts", rawJSON(ids), want)
				if got.Space.Posts.TotalCount != len(all) || got.Space.Posts.PageInfo.HasNextPage != (len(all) > 4) || got.Space.Posts.PageInfo.HasPreviousPage {
					t.Errorf("totalCount %d pageInfo %+v, want %d items", got.Space.Posts.TotalCount, got.Space.Posts.PageInfo, len(all))
				}
				// The second page, through the cursor: one more call.
				if n := len(got.Space.Posts.Edges); n == 4 && len(all) > 4 {
					vars["after"] = got.Space.Posts.Edges[3].Cursor
					r2 := e.run(t, circledouble.Alice, q, vars)
					mustOK(t, r2)
					var got2 struct {
						Space struct {
							Posts struct {
								Edges []struct{ Node struct{ ID string } }
							}
						}
					}
					r2.Decode(t, &got2)
					var ids2 []string
					for _, ed := range got2.Space.Posts.Edges {
						ids2 = append(ids2, ed.Node.ID)
					}
					compareData(t, "page 2", rawJSON(ids2), mapN(all[4:], 4, func(p *circledouble.Post) any { return circledouble.ID(p.ID) }))
					if c := countCalls(e.Upstream.Calls(), "GET", fmt.Sprintf("/spaces/%d/posts", space)); c != 1 {
						t.Errorf("page 2 cost %d space-post calls, want 1: %v", c, targets(e.Upstream.Calls()))
					}
				}
				e.checkCircle(t)
			})
		}
	}
}

func rawJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	if string(b) == "null" {
		return json.RawMessage("[]")
	}
	return b
}

const postQuery = `query($s: ID!, $id: ID!) { post(spaceId: $s, id: $id) { ` + postFields + `
	space { ` + spaceFields + ` }
	author { ` + memberFields + ` posts(first: 2) { totalCount nodes { id } } comments(first: 2) { totalCount nodes { id } } }
	event { ` + eventFields + ` attendees(first: 10) { totalCount nodes { rsvpStatus rsvpAt member { id name avatarUrl headline isAdmin } } } }
	comments(first: 6) { totalCount nodes { ` + commentFields + ` author { ` + authorFields + ` } post { id } parent { id }
		replies(first: 4) { totalCount nodes { ` + commentFields + ` author { id name } parent { id } post { id } } } } }
	likes(first: 10) { totalCount nodes { ` + authorFields + ` posts(first: 1) { totalCount } } }
} }`

// wantPostFull is what postQuery must answer.
func (d double) wantPostFull(p *circledouble.Post, viewer int64) map[string]any {
	w := d.wantPost(p, viewer)
	w["space"] = d.wantSpace(d.Space(p.SpaceID), viewer)
	w["author"] = with(d.wantMember(d.Member(p.AuthorID)), "posts", d.wantPostIDs(p.AuthorID, viewer, 2), "comments", d.wantCommentIDs(p.AuthorID, viewer, 2))
	w["event"] = nil
	if p.Event != nil {
		w["event"] = with(d.wantEvent(p, viewer), "attendees", obj("totalCount", len(p.Event.Attendees),
			"nodes", mapN(p.Event.Attendees, 10, func(a *circledouble.Attendee) any {
				m := d.Member(a.MemberID)
				return obj("rsvpStatus", strings.ToUpper(a.Status), "rsvpAt", circledouble.TS(a.At),
					"member", obj("id", circledouble.ID(m.ID), "name", m.Name, "avatarUrl", avatar(m), "headline", m.Headline, "isAdmin", m.Admin))
			})))
	}
	tops := circledouble.SortComments(d.TopComments(p.ID), "oldest")
	w["comments"] = obj("totalCount", len(tops), "nodes", mapN(tops, 6, func(c *circledouble.Comment) any {
		reps := circledouble.SortComments(d.Replies(c.ID), "oldest")
		return with(d.wantComment(c, viewer), "author", d.wantAuthor(d.Member(c.AuthorID)), "post", obj("id", circledouble.ID(p.ID)), "parent", nil,
			"replies", obj("totalCount", len(reps), "nodes", mapN(reps, 4, func(r *circledouble.Comment) any {
				return with(d.wantComment(r, viewer), "author", obj("id", circledouble.ID(r.AuthorID), "name", d.Member(r.AuthorID).Name),
					"parent", obj("id", circledouble.ID(c.ID)), "post", obj("id", circledouble.ID(p.ID)))
			})))
	}))
	likers := d.Likers(p)
	w["likes"] = obj("totalCount", len(likers), "nodes", mapN(likers, 10, func(m *circledouble.Member) any {
		return with(d.wantAuthor(m), "posts", obj("totalCount", len(d.MemberPosts(m.ID, viewer))))
	}))
	return w
}

func (d double) wantPostIDs(member, viewer int64, n int) map[string]any {
	ps := d.MemberPosts(member, viewer)
	return obj("totalCount", len(ps), "nodes", mapN(ps, n, func(p *circledouble.Post) any { return obj("id", circledouble.ID(p.ID)) }))
}

func (d double) wantCommentIDs(member, viewer int64, n int) map[string]any {
	cs := d.MemberComments(member, viewer)
	return obj("totalCount", len(cs), "nodes", mapN(cs, n, func(c *circledouble.Comment) any { return obj("id", circledouble.ID(c.ID)) }))
}

// Every field of a post and its relations, for posts of every kind, as two
// different members see them.
func TestDoublePostAndNestedFields(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	replies := 0
	for _, k := range []int64{1, 2, 3, 5, 6, 7, 9, 10, 15, 21, 24, 26, 27, 28, 29, 31, 34} {
		for _, who := range []int64{circledouble.Alice, circledouble.Bob} {
			t.Run(fmt.Sprintf("post%d/%d", k, who), func(t *testing.T) {
				var p *circledouble.Post
				var visible bool
				e.d.Locked(func() { p = e.d.Post(circledouble.Post0 + k); visible = e.d.Visible(p, who) })
				r := e.run(t, who, postQuery, obj("s", circledouble.ID(p.SpaceID), "id", circledouble.ID(p.ID)))
				if !visible {
					mustError(t, r, "NOT_FOUND", "post")
					compareData(t, "post", r.Data, obj("post", nil))
					e.checkCircle(t)
					return
				}
				mustOK(t, r)
				var want map[string]any
				e.d.Locked(func() {
					want = e.d.wantPostFull(p, who)
					for _, c := range e.d.TopComments(p.ID) {
						replies += len(e.d.Replies(c.ID))
					}
				})
				compareData(t, "post", r.Data, obj("post", want))
				e.checkCircle(t)
			})
		}
	}
	if replies == 0 {
		t.Error("the table checked no reply: pick posts with replies")
	}
}

// The OpenAPI example of GET /comments/{id}/replies has no embedded author,
// only user_id and community_member_id: the reply's author must still be
// the right member with its real name, headline and avatar.
func TestDoubleReplyWithoutEmbeddedAuthor(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	r := e.run(t, circledouble.Bob, `{ post(spaceId: "4000001", id: "55000012") { comments { nodes { id replies { nodes { id author { `+authorFields+` } } } } } } }`, nil)
	mustOK(t, r)
	var want any
	e.d.Locked(func() {
		top := e.d.TopComments(circledouble.Post0 + 12)[0]
		rep := e.d.Replies(top.ID)[0]
		want = obj("post", obj("comments", obj("nodes", []any{obj("id", circledouble.ID(top.ID),
			"replies", obj("nodes", []any{obj("id", circledouble.ID(rep.ID), "author", e.d.wantAuthor(e.d.Member(circledouble.Fern)))}))})))
	})
	compareData(t, "reply author", r.Data, want)
	e.checkCircle(t)
}

// A post a post_ids batch does not return is null with NOT_FOUND at its
// path; posts of one space share one batch with per_page = number of ids.
func TestDoublePostNotFound(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	cases := []struct {
		name    string
		who     int64
		query   string
		data    string
		errPath []string
		calls   []string
	}{
		{"unknown id", circledouble.Alice, `{ post(spaceId: "4000001", id: "55000999") { id } }`, `{"post":null}`, []string{"post"},
			[]string{"GET /spaces/4000001/posts?page=1&per_page=1&post_ids=55000999"}},
		{"wrong space", circledouble.Alice, `{ post(spaceId: "4000002", id: "55000001") { id } }`, `{"post":null}`, []string{"post"},
			[]string{"GET /spaces/4000002/posts?page=1&per_page=1&post_ids=55000001"}},
		{"private post, not a member", circledouble.Bob, `{ post(spaceId: "4000004", id: "55000031") { id title } }`, `{"post":null}`, []string{"post"}, nil},
		{"one of a batch", circledouble.Alice, `{ a: post(spaceId: "4000001", id: "55000002") { id } b: post(spaceId: "4000001", id: "55000998") { id } c: post(spaceId: "4000001", id: "55000001") { id } }`,
			`{"a":{"id":"55000002"},"b":null,"c":{"id":"55000001"}}`, []string{"b"},
			[]string{"GET /spaces/4000001/posts?page=1&per_page=3&post_ids=55000001%2C55000002%2C55000998"}},
		{"batches per space", circledouble.Alice, `{ a: post(spaceId: "4000001", id: "55000004") { title } b: post(spaceId: "4000002", id: "55000021") { title } c: post(spaceId: "4000001", id: "55000005") { title } d: post(spaceId: "4000004", id: "55000032") { title } }`,
			`{"a":{"title":"Pinned: read before posting"},"b":{"title":"Sunset tulips"},"c":{"title":"Best compost ratio"},"d":{"title":"Who gets plot 9"}}`, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run(t, tc.who, tc.query, nil)
			if tc.errPath == nil {
				mustOK(t, r)
			} else {
				path := make([]any, len(tc.errPath))
				for i, p := range tc.errPath {
					path[i] = p
				}
				mustError(t, r, "NOT_FOUND", path...)
			}
			var want any
			_ = json.Unmarshal([]byte(tc.data), &want)
			compareData(t, tc.name, r.Data, want)
			calls := e.Upstream.Calls()
			spaces := map[string]bool{}
			for _, c := range calls {
				if !strings.Contains(c.Query, "post_ids=") {
					t.Errorf("unexpected call %s", c.Target())
				}
				if spaces[c.Path] {
					t.Errorf("two post_ids batches for %s in one operation: %v", c.Path, targets(calls))
				}
				spaces[c.Path] = true
			}
			if tc.calls != nil {
				got := targets(calls)
				if !slices.Equal(got, tc.calls) && !sameBatch(got, tc.calls) {
					t.Errorf("calls %v, want %v", got, tc.calls)
				}
			}
			e.checkCircle(t)
		})
	}
}

// sameBatch accepts the same batch with the ids in another order.
func sameBatch(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	norm := func(s string) string {
		path, rawQuery, _ := strings.Cut(strings.TrimPrefix(s, "GET "), "?")
		q, _ := url.ParseQuery(rawQuery)
		ids := strings.Split(q.Get("post_ids"), ",")
		slices.Sort(ids)
		q.Set("post_ids", strings.Join(ids, ","))
		return path + "?" + q.Encode()
	}
	for i := range got {
		if norm(got[i]) != norm(want[i]) {
			return false
		}
	}
	return true
}

func TestDoubleHomeFeedSorts(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	q := `query($sort: PostSort) { homeFeed(first: 25, sort: $sort) { totalCount pageInfo { hasNextPage } nodes { id isLiked likesCount } } }`
	sorts := []struct{ gql, circle string }{{"", "latest"}, {"LATEST", "latest"}, {"POPULAR", "popular"}, {"OLDEST", "oldest"},
		{"LIKES", "likes"}, {"ALPHABETICAL", "alphabetical"}, {"NEW_ACTIVITY", "new_activity"}}
	for _, s := range sorts {
		for _, who := range []int64{circledouble.Alice, circledouble.Bob} {
			t.Run(fmt.Sprintf("%s/%d", circledouble.Or(s.gql, "default"), who), func(t *testing.T) {
				vars := map[string]any{}
				if s.gql != "" {
					vars["sort"] = s.gql
				}
				r := e.run(t, who, q, vars)
				mustOK(t, r)
				var want any
				e.d.Locked(func() {
					all := e.d.Feed(who, s.circle)
					want = obj("homeFeed", obj("totalCount", len(all), "pageInfo", obj("hasNextPage", len(all) > 25),
						"nodes", mapN(all, 25, func(p *circledouble.Post) any {
							return obj("id", circledouble.ID(p.ID), "isLiked", p.Likes[who], "likesCount", len(p.Likes))
						})))
				})
				compareData(t, "homeFeed", r.Data, want)
				calls := e.Upstream.Calls()
				if len(calls) != 1 || calls[0].Path != "/home" {
					t.Errorf("calls %v, want one GET /home", targets(calls))
				}
				e.checkCircle(t)
			})
		}
	}
}

type feedPage struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
	Edges []struct {
		Cursor string
		Node   struct{ ID string }
	}
}

// Walking the feed page by page: every post once, in the double's order,
// one upstream call per page when `first` stays the same.
func TestDoubleHomeFeedWalk(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	q := `query($first: Int, $after: String, $sort: PostSort) { homeFeed(first: $first, after: $after, sort: $sort) {
		totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }`
	walks := []struct {
		who   int64
		sort  string
		sizes []int // repeated last
		same  bool
	}{
		{circledouble.Alice, "", []int{7}, true},
		{circledouble.Bob, "OLDEST", []int{10}, true},
		{circledouble.Alice, "ALPHABETICAL", []int{1}, true},
		{circledouble.Bob, "", []int{5, 7, 3, 20, 1, 100}, false},
		{circledouble.Alice, "LIKES", []int{36}, true},
	}
	for _, wk := range walks {
		t.Run(fmt.Sprintf("%d/%s/%v", wk.who, circledouble.Or(wk.sort, "default"), wk.sizes), func(t *testing.T) {
			circleSort := strings.ToLower(circledouble.Or(wk.sort, "latest"))
			var all []string
			e.d.Locked(func() {
				for _, p := range e.d.Feed(wk.who, circleSort) {
					all = append(all, circledouble.ID(p.ID))
				}
			})
			var got []string
			var after any
			for page := 0; page < 60; page++ {
				first := wk.sizes[min(page, len(wk.sizes)-1)]
				vars := obj("first", first, "after", after)
				if wk.sort != "" {
					vars["sort"] = wk.sort
				}
				r := e.run(t, wk.who, q, vars)
				mustOK(t, r)
				var v struct{ HomeFeed feedPage }
				r.Decode(t, &v)
				f := v.HomeFeed
				if f.TotalCount != len(all) {
					t.Errorf("page %d: totalCount %d, want %d", page, f.TotalCount, len(all))
				}
				if f.PageInfo.HasPreviousPage != (page > 0) {
					t.Errorf("page %d: hasPreviousPage %v", page, f.PageInfo.HasPreviousPage)
				}
				if len(f.Edges) > 0 && (f.PageInfo.StartCursor == nil || *f.PageInfo.StartCursor != f.Edges[0].Cursor ||
					f.PageInfo.EndCursor == nil || *f.PageInfo.EndCursor != f.Edges[len(f.Edges)-1].Cursor) {
					t.Errorf("page %d: start/end cursors %v/%v do not match the edges", page, f.PageInfo.StartCursor, f.PageInfo.EndCursor)
				}
				for _, ed := range f.Edges {
					got = append(got, ed.Node.ID)
				}
				calls := e.Upstream.Calls()
				if wk.same && len(calls) != 1 {
					t.Errorf("page %d cost %d calls, want 1: %v", page, len(calls), targets(calls))
				}
				if !wk.same && (len(calls) < 1 || len(calls) > 2) {
					t.Errorf("page %d cost %d calls, want 1 or 2: %v", page, len(calls), targets(calls))
				}
				if wantNext := len(got) < len(all); f.PageInfo.HasNextPage != wantNext {
					t.Errorf("page %d: hasNextPage %v after %d of %d posts", page, f.PageInfo.HasNextPage, len(got), len(all))
				}
				e.checkCircle(t)
				if !f.PageInfo.HasNextPage || f.PageInfo.EndCursor == nil {
					break
				}
				after = *f.PageInfo.EndCursor
			}
			compareData(t, "walked feed", rawJSON(got), all)
		})
	}
	t.Run("first 0", func(t *testing.T) {
		r := e.run(t, circledouble.Alice, `{ homeFeed(first: 0) { totalCount pageInfo { hasNextPage hasPreviousPage } nodes { id } } }`, nil)
		mustOK(t, r)
		var n int
		e.d.Locked(func() { n = len(e.d.Feed(circledouble.Alice, "latest")) })
		compareData(t, "first 0", r.Data, obj("homeFeed", obj("totalCount", n, "pageInfo", obj("hasNextPage", true, "hasPreviousPage", false), "nodes", []any{})))
		e.checkCircle(t)
	})
	t.Run("past the end", func(t *testing.T) {
		r := e.run(t, circledouble.Bob, `query($after: String) { homeFeed(first: 20, after: $after) { totalCount pageInfo { hasNextPage } nodes { id } } }`,
			obj("after", base64.RawURLEncoding.EncodeToString([]byte("o1:199"))))
		if len(r.Errors) > 0 {
			t.Skipf("the cursor format changed: %+v", r.Errors)
		}
		var n int
		e.d.Locked(func() { n = len(e.d.Feed(circledouble.Bob, "latest")) })
		compareData(t, "past the end", r.Data, obj("homeFeed", obj("totalCount", n, "pageInfo", obj("hasNextPage", false), "nodes", []any{})))
		e.checkCircle(t)
	})
}

func TestDoubleEvents(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	q := `query($past: Boolean) { events(first: 10, pastEvents: $past) { totalCount nodes { id title isLiked
		space { id name } author { id name isAdmin }
		event { ` + eventFields + ` attendees(first: 2) { totalCount pageInfo { hasNextPage } nodes { rsvpStatus rsvpAt member { id name avatarUrl headline } } } } } } }`
	for _, past := range []bool{false, true} {
		for _, who := range []int64{circledouble.Alice, circledouble.Bob, circledouble.Fern} {
			t.Run(fmt.Sprintf("past=%v/%d", past, who), func(t *testing.T) {
				r := e.run(t, who, q, obj("past", past))
				mustOK(t, r)
				var want any
				e.d.Locked(func() {
					evs := e.d.Events(who, past)
					want = obj("events", obj("totalCount", len(evs), "nodes", mapN(evs, 10, func(p *circledouble.Post) any {
						sp, au := e.d.Space(p.SpaceID), e.d.Member(p.AuthorID)
						return obj("id", circledouble.ID(p.ID), "title", postTitle(p), "isLiked", p.Likes[who],
							"space", obj("id", circledouble.ID(sp.ID), "name", sp.Name), "author", obj("id", circledouble.ID(au.ID), "name", au.Name, "isAdmin", au.Admin),
							"event", with(e.d.wantEvent(p, who), "attendees", obj("totalCount", len(p.Event.Attendees),
								"pageInfo", obj("hasNextPage", len(p.Event.Attendees) > 2),
								"nodes", mapN(p.Event.Attendees, 2, func(a *circledouble.Attendee) any {
									m := e.d.Member(a.MemberID)
									return obj("rsvpStatus", strings.ToUpper(a.Status), "rsvpAt", circledouble.TS(a.At),
										"member", obj("id", circledouble.ID(m.ID), "name", m.Name, "avatarUrl", avatar(m), "headline", m.Headline))
								}))))
					})))
				})
				compareData(t, "events", r.Data, want)
				for _, c := range e.Upstream.Calls() {
					if c.Path == "/community_events" && !strings.Contains(c.Query, "past_events="+strconv.FormatBool(past)) && past {
						t.Errorf("%s does not ask for past events", c.Target())
					}
				}
				e.checkCircle(t)
			})
		}
	}
	// GET /community_events records carry no post_type in Circle's
	// OpenAPI example; they are events all the same.
	t.Run("type", func(t *testing.T) {
		for _, past := range []bool{false, true} {
			r := e.run(t, circledouble.Alice, `query($past: Boolean) { events(pastEvents: $past) { nodes { id type } } }`, obj("past", past))
			mustOK(t, r)
			var want any
			e.d.Locked(func() {
				want = obj("events", obj("nodes", mapN(e.d.Events(circledouble.Alice, past), 20, func(p *circledouble.Post) any {
					return obj("id", circledouble.ID(p.ID), "type", "EVENT")
				})))
			})
			compareData(t, fmt.Sprintf("events(pastEvents: %v) type", past), r.Data, want)
		}
		e.checkCircle(t)
	})
	t.Run("attendees walk", func(t *testing.T) {
		var all []any
		e.d.Locked(func() {
			for _, a := range e.d.Post(circledouble.Post0 + 26).Event.Attendees {
				all = append(all, circledouble.ID(a.MemberID))
			}
		})
		var got []string
		var after any
		for i := 0; i < 10; i++ {
			r := e.run(t, circledouble.Bob, `query($after: String) { post(spaceId: "4000003", id: "55000026") { event { attendees(first: 2, after: $after) {
				totalCount pageInfo { hasNextPage endCursor } nodes { member { id } } } } } }`, obj("after", after))
			mustOK(t, r)
			var v struct {
				Post struct {
					Event struct {
						Attendees struct {
							TotalCount int
							PageInfo   struct {
								HasNextPage bool
								EndCursor   *string
							}
							Nodes []struct{ Member struct{ ID string } }
						}
					}
				}
			}
			r.Decode(t, &v)
			a := v.Post.Event.Attendees
			for _, n := range a.Nodes {
				got = append(got, n.Member.ID)
			}
			if a.TotalCount != len(all) {
				t.Errorf("totalCount %d, want %d", a.TotalCount, len(all))
			}
			if !a.PageInfo.HasNextPage || a.PageInfo.EndCursor == nil {
				break
			}
			after = *a.PageInfo.EndCursor
		}
		compareData(t, "attendees", rawJSON(got), all)
		e.checkCircle(t)
	})
}

func TestDoubleMemberAndMembers(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	q := `query($id: ID!) { member(id: $id) { ` + memberFields + `
		posts(first: 3) { totalCount nodes { id title author { id name } } }
		comments(first: 3) { totalCount nodes { id bodyText isLiked author { id } post { id title } } } } }`
	for _, target := range []int64{circledouble.Alice, circledouble.Bob, circledouble.Chidi, circledouble.Dana, circledouble.Emile, circledouble.Fern, circledouble.Gus, circledouble.Hana, circledouble.Zed} {
		for _, who := range []int64{circledouble.Alice, circledouble.Bob} {
			t.Run(fmt.Sprintf("member %d as %d", target, who), func(t *testing.T) {
				r := e.run(t, who, q, obj("id", circledouble.ID(target)))
				mustOK(t, r)
				var want any
				e.d.Locked(func() {
					m := e.d.Member(target)
					posts, comments := e.d.MemberPosts(target, who), e.d.MemberComments(target, who)
					want = obj("member", with(e.d.wantMember(m),
						"posts", obj("totalCount", len(posts), "nodes", mapN(posts, 3, func(p *circledouble.Post) any {
							return obj("id", circledouble.ID(p.ID), "title", postTitle(p), "author", obj("id", circledouble.ID(target), "name", m.Name))
						})),
						"comments", obj("totalCount", len(comments), "nodes", mapN(comments, 3, func(c *circledouble.Comment) any {
							return obj("id", circledouble.ID(c.ID), "bodyText", c.Text, "isLiked", c.Likes[who], "author", obj("id", circledouble.ID(target)),
								"post", obj("id", circledouble.ID(c.PostID), "title", postTitle(e.d.Post(c.PostID))))
						}))))
				})
				compareData(t, "member", r.Data, want)
				if n := countCalls(e.Upstream.Calls(), "GET", fmt.Sprintf("/community_members/%d/public_profile", target)); n != 1 {
					t.Errorf("%d profile fetches, want 1: %v", n, targets(e.Upstream.Calls()))
				}
				e.checkCircle(t)
			})
		}
	}
	t.Run("user id is not a member id", func(t *testing.T) {
		r := e.run(t, circledouble.Alice, `{ member(id: "7000502") { id name } }`, nil)
		mustError(t, r, "NOT_FOUND", "member")
		compareData(t, "member by user id", r.Data, obj("member", nil))
		e.checkCircle(t)
	})

	mq := `query($first: Int, $after: String, $search: String, $space: ID) { members(first: $first, after: $after, search: $search, spaceId: $space) {
		totalCount pageInfo { hasNextPage endCursor } nodes { ` + memberFields + ` } } }`
	lists := []struct {
		name   string
		who    int64
		search string
		space  int64
	}{
		{"all", circledouble.Alice, "", 0},
		{"search", circledouble.Bob, "na", 0},
		{"search unicode", circledouble.Bob, "ZOLA-BRONTË", 0},
		{"search apostrophe", circledouble.Alice, "o'hara", 0},
		{"search hostile", circledouble.Alice, "a&space_id=4000004&per_page=1000#x", 0},
		{"search nothing", circledouble.Alice, "zzz", 0},
		{"space", circledouble.Bob, "", circledouble.Meetups},
		{"private space, member", circledouble.Gus, "", circledouble.Inner},
		{"space and search", circledouble.Alice, "a", circledouble.Shed},
	}
	for _, l := range lists {
		for _, first := range []int{3, 100} {
			t.Run(fmt.Sprintf("members %s first %d", l.name, first), func(t *testing.T) {
				var all []*circledouble.Member
				e.d.Locked(func() { all = e.d.Directory(l.space, l.search) })
				var got []any
				var after any
				for page := 0; page < 10; page++ {
					vars := obj("first", first, "after", after)
					if l.search != "" {
						vars["search"] = l.search
					}
					if l.space != 0 {
						vars["space"] = circledouble.ID(l.space)
					}
					r := e.run(t, l.who, mq, vars)
					mustOK(t, r)
					var v struct {
						Members struct {
							TotalCount int
							PageInfo   struct {
								HasNextPage bool
								EndCursor   *string
							}
							Nodes []any
						}
					}
					r.Decode(t, &v)
					got = append(got, v.Members.Nodes...)
					if v.Members.TotalCount != len(all) {
						t.Errorf("totalCount %d, want %d", v.Members.TotalCount, len(all))
					}
					for _, c := range e.Upstream.Calls() {
						if c.Path != "/community_members" {
							continue
						}
						q, _ := url.ParseQuery(c.Query)
						if q.Get("search_text") != l.search || q.Get("space_id") != circledouble.Or(idOrEmpty(l.space), "") {
							t.Errorf("%s: search_text %q space_id %q, want %q %q", c.Target(), q.Get("search_text"), q.Get("space_id"), l.search, idOrEmpty(l.space))
						}
					}
					e.checkCircle(t)
					if !v.Members.PageInfo.HasNextPage || v.Members.PageInfo.EndCursor == nil {
						break
					}
					after = *v.Members.PageInfo.EndCursor
				}
				want := []any{}
				e.d.Locked(func() {
					for _, m := range all {
						want = append(want, e.d.wantMember(m))
					}
				})
				compareData(t, "members", rawJSON(got), want)
			})
		}
	}
	t.Run("private space, not a member", func(t *testing.T) {
		r := e.run(t, circledouble.Bob, `{ members(spaceId: "4000004") { totalCount nodes { id } } }`, nil)
		mustError(t, r, "NOT_FOUND", "members")
		e.checkCircle(t)
	})
}

func idOrEmpty(id int64) string {
	if id == 0 {
		return ""
	}
	return circledouble.ID(id)
}

// Two members query the same things at the same time, with upstream
// latency: each sees its own likes, RSVPs, memberships and private posts,
// never the other's.
func TestDoubleMemberSpecificConcurrent(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	e.Upstream.SetDelay(15 * time.Millisecond)
	q := `{ me { id name isAdmin } spaces { id isMember }
		homeFeed(first: 12) { nodes { id isLiked likesCount author { id } event { rsvpStatus } comments(first: 3) { nodes { id isLiked author { id } } } } }
		events(first: 5) { nodes { id isLiked event { rsvpStatus rsvpCount } } }
		secret: post(spaceId: "4000004", id: "55000031") { id isLiked space { isMember } }
		gallery: space(id: "4000002") { isMember posts(first: 3) { nodes { id isLiked } } } }`
	want := map[int64]any{}
	for _, who := range []int64{circledouble.Alice, circledouble.Bob, circledouble.Zed} {
		e.d.Locked(func() {
			var spaces []any
			for _, s := range e.d.Spaces {
				if !s.Unlisted && s.VisibleTo(who) {
					spaces = append(spaces, obj("id", circledouble.ID(s.ID), "isMember", s.Members[who]))
				}
			}
			m := e.d.Member(who)
			var secret any
			if p := e.d.Post(circledouble.Post0 + 31); e.d.Visible(p, who) {
				secret = obj("id", circledouble.ID(p.ID), "isLiked", p.Likes[who], "space", obj("isMember", true))
			}
			want[who] = obj(
				"me", obj("id", circledouble.ID(who), "name", m.Name, "isAdmin", m.Admin),
				"spaces", spaces,
				"homeFeed", obj("nodes", mapN(e.d.Feed(who, "latest"), 12, func(p *circledouble.Post) any {
					var ev any
					if p.Event != nil {
						ev = obj("rsvpStatus", e.d.wantEvent(p, who)["rsvpStatus"])
					}
					return obj("id", circledouble.ID(p.ID), "isLiked", p.Likes[who], "likesCount", len(p.Likes), "author", obj("id", circledouble.ID(p.AuthorID)), "event", ev,
						"comments", obj("nodes", mapN(circledouble.SortComments(e.d.TopComments(p.ID), "oldest"), 3, func(c *circledouble.Comment) any {
							return obj("id", circledouble.ID(c.ID), "isLiked", c.Likes[who], "author", obj("id", circledouble.ID(c.AuthorID)))
						})))
				})),
				"events", obj("nodes", mapN(e.d.Events(who, false), 5, func(p *circledouble.Post) any {
					ev := e.d.wantEvent(p, who)
					return obj("id", circledouble.ID(p.ID), "isLiked", p.Likes[who], "event", obj("rsvpStatus", ev["rsvpStatus"], "rsvpCount", ev["rsvpCount"]))
				})),
				"secret", secret,
				"gallery", obj("isMember", e.d.Space(circledouble.Gallery).Members[who], "posts", obj("nodes", mapN(e.d.SpacePosts(circledouble.Gallery, who, "latest"), 3, func(p *circledouble.Post) any {
					return obj("id", circledouble.ID(p.ID), "isLiked", p.Likes[who])
				}))),
			)
		})
	}
	var aliceSecret, bobSecret int
	e.d.Locked(func() {
		p := e.d.Post(circledouble.Post0 + 31)
		if e.d.Visible(p, circledouble.Alice) {
			aliceSecret = 1
		}
		if e.d.Visible(p, circledouble.Bob) {
			bobSecret = 1
		}
	})
	if aliceSecret != 1 || bobSecret != 0 {
		t.Fatal("the double's private post should be Alice's to see, not Bob's")
	}
	t.Run("group", func(t *testing.T) {
		for i := 0; i < 6; i++ {
			for _, who := range []int64{circledouble.Alice, circledouble.Bob, circledouble.Zed} {
				t.Run(fmt.Sprintf("%d-%d", who, i), func(t *testing.T) {
					t.Parallel()
					r := e.Do(t, testjwt.Member(t, who), q, nil)
					if who != circledouble.Alice {
						mustError(t, r, "NOT_FOUND", "secret")
					} else {
						mustOK(t, r)
					}
					compareData(t, fmt.Sprintf("member %d", who), r.Data, want[who])
				})
			}
		}
	})
	for _, c := range e.Upstream.Calls() {
		if c.Authorization == "" {
			t.Errorf("%s carried no token", c.Target())
		}
	}
	e.checkCircle(t)
}

// docs/contract.md §6: the reference queries within their budgets, on data unlike
// the sandbox's, plus the embedded-first and loader rules they rest on.
func TestDoubleUpstreamBudgets(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	type row struct {
		name   string
		query  string
		budget func(t *testing.T, who int64, data json.RawMessage) int
	}
	// The reference queries, with their budgets, on the double's data;
	// then queries of the double's own.
	var rows []row
	for _, rq := range refqueries.All {
		rows = append(rows, row{rq.Name, rq.Query, func(t *testing.T, _ int64, data json.RawMessage) int {
			n, err := rq.Calls(data)
			if err != nil {
				t.Fatal(err)
			}
			if rq.Name == "feed+comments" && n != 1+20 {
				t.Errorf("the feed has %d posts, want 20", n-1)
			}
			return n
		}})
	}
	rows = append(rows, []row{
		{"feed isAdmin from embedded roles", `{ homeFeed(first: 20) { nodes { author { id isAdmin headline } } } }`,
			func(*testing.T, int64, json.RawMessage) int { return 1 }},
		// GET /home, one GET /spaces, and GET /spaces/{id} for the one
		// space of the feed it lacks (the archive, public but unlisted).
		{"feed with full spaces", `{ homeFeed(first: 36) { nodes { space { id isPrivate isMember url } } } }`,
			func(*testing.T, int64, json.RawMessage) int { return 3 }},
		{"post", `{ post(spaceId: "4000001", id: "55000002") { title author { name isAdmin } space { name } } }`,
			func(*testing.T, int64, json.RawMessage) int { return 1 }},
		{"post with space details", `{ post(spaceId: "4000001", id: "55000002") { title space { isMember } } }`,
			func(*testing.T, int64, json.RawMessage) int { return 2 }},
		{"same post twice", `{ a: post(spaceId: "4000001", id: "55000002") { title } b: post(spaceId: "4000001", id: "55000002") { likesCount } }`,
			func(*testing.T, int64, json.RawMessage) int { return 1 }},
		{"same comments twice", `{ post(spaceId: "4000001", id: "55000003") { a: comments(first: 3) { totalCount } b: comments(first: 3) { nodes { id } } } }`,
			func(*testing.T, int64, json.RawMessage) int { return 2 }},
	}...)
	for _, rw := range rows {
		for _, who := range []int64{circledouble.Alice, circledouble.Bob} {
			t.Run(fmt.Sprintf("%s/%d", rw.name, who), func(t *testing.T) {
				r := e.run(t, who, rw.query, nil)
				mustOK(t, r)
				want := rw.budget(t, who, r.Data)
				calls := e.Upstream.Calls()
				if len(calls) != want {
					t.Errorf("%d upstream calls, budget %d:\n  %s", len(calls), want, strings.Join(targets(calls), "\n  "))
				}
				seen := map[string]bool{}
				for _, c := range calls {
					if c.Method == "GET" && seen[c.Target()] {
						t.Errorf("GET %s made twice in one operation", c.Target())
					}
					seen[c.Target()] = true
				}
				e.checkCircle(t)
			})
		}
	}
	t.Run("concurrent fetches", func(t *testing.T) {
		// The feed, then all 20 comment lists at once: the gate holds
		// them until all are in flight, so two rounds are shown whatever
		// the machine's speed.
		gate := &testenv.Gate{N: 20, Match: func(_, path string) bool { return strings.HasSuffix(path, "/comments") }}
		e.Upstream.SetGate(gate)
		defer e.Upstream.SetGate(nil)
		r := e.run(t, circledouble.Alice, refqueries.ByName("feed+comments").Query, nil)
		mustOK(t, r)
		if !gate.Opened() {
			t.Errorf("the 20 comment lists were never in flight together (%d arrived)", gate.Arrived())
		}
		if w := testenv.Waves(e.Upstream.Calls()); w != 2 {
			t.Errorf("%d sequential rounds of upstream calls, want 2", w)
		}
		e.checkCircle(t)
	})
}

// Invalid arguments: BAD_USER_INPUT, no upstream call.
func TestDoubleBadInput(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	cases := []string{
		`{ post(spaceId: "abc", id: "55000001") { id } }`,
		`{ post(spaceId: "4000001", id: "0") { id } }`,
		`{ post(spaceId: "4000001", id: "-55000001") { id } }`,
		`{ post(spaceId: "4000001", id: "55000001.0") { id } }`,
		`{ post(spaceId: "4000001", id: "1e6") { id } }`,
		`{ post(spaceId: "4000001", id: "0x10") { id } }`,
		`{ post(spaceId: "4000001", id: "99999999999999999999") { id } }`,
		`{ post(spaceId: " 4000001", id: "55000001") { id } }`,
		`{ post(spaceId: "4000001", id: "55000001/../55000002") { id } }`,
		`{ post(spaceId: "4000001", id: "55000001?per_page=1") { id } }`,
		`{ post(spaceId: "4000001", id: "") { id } }`,
		`{ space(id: "x") { id } }`,
		`{ space { id } }`,
		`{ space(id: "4000001", slug: "potting-shed") { id } }`,
		`{ space(slug: "") { id } }`,
		`{ member(id: "me") { id } }`,
		`{ member(id: "900001 ") { id } }`,
		`{ members(spaceId: "4000001x") { totalCount } }`,
		`{ homeFeed(first: -1) { totalCount } }`,
		`{ homeFeed(first: 101) { totalCount } }`,
		`{ homeFeed(after: "not a cursor") { totalCount } }`,
		`{ homeFeed(after: "") { totalCount } }`,
		`{ homeFeed(after: "` + base64.RawURLEncoding.EncodeToString([]byte("o1:-1")) + `") { totalCount } }`,
		`{ homeFeed(after: "` + base64.RawURLEncoding.EncodeToString([]byte("o1:1e3")) + `") { totalCount } }`,
		`{ events(first: 1000) { totalCount } }`,
		`{ events(after: "AAAA") { totalCount } }`,
		`{ members(first: -5) { totalCount } }`,
		`{ me { posts(first: 101) { totalCount } } }`,
		`{ spaces { posts(after: "zzz") { totalCount } } }`,
	}
	for _, q := range cases {
		t.Run(q, func(t *testing.T) {
			r := e.run(t, circledouble.Alice, q, nil)
			mustOnlyCode(t, r, "BAD_USER_INPUT")
			if calls := e.Upstream.Calls(); len(calls) != 0 {
				t.Errorf("%d upstream calls for invalid arguments: %v", len(calls), targets(calls))
			}
			e.checkCircle(t)
		})
	}
	t.Run("nested bad first", func(t *testing.T) {
		r := e.run(t, circledouble.Alice, `{ post(spaceId: "4000001", id: "55000001") { id comments(first: 500) { totalCount } } }`, nil)
		if len(r.Errors) == 0 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Fatalf("errors %+v, want BAD_USER_INPUT", r.Errors)
		}
		for _, c := range e.Upstream.Calls() {
			if strings.HasSuffix(c.Path, "/comments") {
				t.Errorf("comments fetched for first: 500: %s", c.Target())
			}
		}
		e.checkCircle(t)
	})
}

// Missing, malformed and expired tokens: UNAUTHENTICATED, no upstream call.
// A token Circle refuses: UNAUTHENTICATED after its one call.
func TestDoubleUnauthenticated(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	expired := testjwt.Sign(t, jwt.SigningMethodHS256, []byte("k"), jwt.MapClaims{"community_id": 31337, "community_member_id": circledouble.Alice, "exp": time.Now().Add(-time.Minute).Unix()}, nil)
	noExp := testjwt.Sign(t, jwt.SigningMethodHS256, []byte("k"), jwt.MapClaims{"community_id": 31337, "community_member_id": circledouble.Alice}, nil)
	unsigned := strings.Join(strings.Split(testjwt.Member(t, circledouble.Alice), ".")[:2], ".") + "."
	headers := map[string]string{
		"none":          "",
		"bare Bearer":   "Bearer",
		"empty token":   "Bearer ",
		"not a JWT":     "Bearer not-a-jwt",
		"two parts":     "Bearer abc.def",
		"garbage parts": "Bearer a.b.c",
		"Basic":         "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:pw")),
		"expired":       "Bearer " + expired,
		"no exp":        "Bearer " + noExp,
		"unsigned":      "Bearer " + unsigned,
	}
	queries := []string{`{ me { id } }`, `{ homeFeed { totalCount } }`, `{ post(spaceId: "4000001", id: "55000001") { id } }`,
		`{ spaces { id } member(id: "900002") { name } }`, `mutation { likePost(spaceId: "4000001", postId: "55000001") { userErrors { message } } }`}
	for name, h := range headers {
		for i, q := range queries {
			t.Run(fmt.Sprintf("%s/%d", name, i), func(t *testing.T) {
				e.Upstream.Reset()
				hdr := http.Header{}
				if h != "" {
					hdr.Set("Authorization", h)
				}
				r := e.DoWith(t, hdr, q, nil)
				mustOnlyCode(t, r, "UNAUTHENTICATED")
				if calls := e.Upstream.Calls(); len(calls) != 0 {
					t.Errorf("%d upstream calls: %v", len(calls), targets(calls))
				}
				e.checkCircle(t)
			})
		}
	}
	t.Run("unknown member", func(t *testing.T) {
		r := e.run(t, 123_456, `{ me { id } }`, nil)
		mustError(t, r, "UNAUTHENTICATED")
		if calls := e.Upstream.Calls(); len(calls) != 1 {
			t.Errorf("calls %v, want the one Circle refused", targets(calls))
		}
		e.checkCircle(t)
	})
}

// Injected faults and latency on the double, per docs/contract.md §5 and §6.
func TestDoubleFaults(t *testing.T) {
	t.Parallel()
	type fault struct {
		name   string
		suffix string
		status int
		header string // Retry-After
		times  int    // how many calls fail (0: all)
		query  string
		code   string // "" when the operation must succeed
		path   []any
		calls  int // calls to the failing endpoint
	}
	faults := []fault{
		{"500 not retried", "/posts/55000001/comments", 500, "", 0, `{ post(spaceId: "4000001", id: "55000001") { id comments { totalCount } } }`, "UPSTREAM_UNAVAILABLE", []any{"post", "comments"}, 1},
		{"503 retried", "/posts/55000001/comments", 503, "", 1, `{ post(spaceId: "4000001", id: "55000001") { id comments { totalCount } } }`, "", nil, 2},
		{"503 exhausted", "/home", 503, "", 0, `{ homeFeed { totalCount } }`, "UPSTREAM_UNAVAILABLE", []any{"homeFeed"}, 3},
		{"429 waited out", "/home", 429, "1", 1, `{ homeFeed { totalCount } }`, "", nil, 2},
		{"429 too long", "/home", 429, "120", 0, `{ homeFeed { totalCount } }`, "RATE_LIMITED", []any{"homeFeed"}, 1},
		{"404 profile", "/community_members/901313/public_profile", 404, "", 0, `{ post(spaceId: "4000001", id: "55000003") { id author { id name bio } } }`, "NOT_FOUND", []any{"post", "author", "bio"}, 1},
		{"403", "/spaces", 403, "", 0, `{ spaces { id } }`, "FORBIDDEN", []any{"spaces"}, 1},
		{"401", "/community_member", 401, "", 0, `{ me { id } }`, "UNAUTHENTICATED", []any{"me"}, 1},
		{"write 503 not retried", "/posts/55000002/comments", 503, "", 0, `mutation { createComment(input: {postId: "55000002", body: "hi"}) { comment { id } userErrors { message } } }`, "UPSTREAM_UNAVAILABLE", []any{"createComment"}, 1},
		{"like 500 not retried", "/posts/55000002/user_likes", 500, "", 0, `mutation { likePost(spaceId: "4000001", postId: "55000002") { post { id } userErrors { message } } }`, "UPSTREAM_UNAVAILABLE", []any{"likePost"}, 1},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			var e *doubleEnv
			if f.header != "" {
				// The recorder's faults carry no headers: a wrapper
				// answers the 429s with Retry-After.
				e = retryAfterEnv(t, f.suffix, f.header, f.times)
			} else {
				e = newDoubleEnv(t)
				var n atomic.Int32
				e.Upstream.SetFault(func(r *http.Request) (int, string, bool) {
					if !strings.HasSuffix(r.URL.Path, f.suffix) || (f.times > 0 && int(n.Add(1)) > f.times) {
						return 0, "", false
					}
					return f.status, `{"success":false,"message":"injected fault","error_details":{}}`, true
				})
			}
			r := e.run(t, circledouble.Alice, f.query, nil)
			if f.code == "" {
				mustOK(t, r)
			} else {
				mustError(t, r, f.code, f.path...)
				if f.code == "RATE_LIMITED" {
					if _, ok := r.Errors[0].Extensions["retryAfterSeconds"]; !ok {
						t.Errorf("RATE_LIMITED without retryAfterSeconds: %+v", r.Errors[0])
					}
				}
			}
			got := 0
			for _, c := range e.Upstream.Calls() {
				if strings.HasSuffix(c.Path, f.suffix) {
					got++
				}
			}
			if got != f.calls {
				t.Errorf("%d calls to %s, want %d: %v", got, f.suffix, f.calls, targets(e.Upstream.Calls()))
			}
			e.checkCircle(t)
		})
	}
}

// retryAfterEnv is a double whose calls to suffix answer 429 with a
// Retry-After header (the first `times` of them; 0: all).
func retryAfterEnv(t *testing.T, suffix, retryAfter string, times int) *doubleEnv {
	d := double{circledouble.New()}
	var n atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, suffix) && (times == 0 || int(n.Add(1)) <= times) {
			w.Header().Set("Retry-After", retryAfter)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"success":false,"message":"Too many requests","error_details":{}}`)
			return
		}
		d.ServeHTTP(w, r)
	})
	env := testenv.New(t, testenv.Options{Upstream: h})
	t.Cleanup(func() {
		for _, v := range d.TakeViolations() {
			t.Errorf("Circle API contract violated by the gateway: %s", v)
		}
	})
	return &doubleEnv{Env: env, d: d}
}

// Writes against the double: Circle's request shapes, the re-read after a
// like, and 422s as userErrors.
func TestDoubleMutations(t *testing.T) {
	t.Parallel()
	like := `mutation($s: ID!, $p: ID!) { likePost(spaceId: $s, postId: $p) { post { id isLiked likesCount title } userErrors { field message } } }`
	unlike := `mutation($s: ID!, $p: ID!) { unlikePost(spaceId: $s, postId: $p) { post { id isLiked likesCount } userErrors { field message } } }`

	t.Run("likePost re-reads", func(t *testing.T) {
		t.Parallel()
		e := newDoubleEnv(t)
		var p *circledouble.Post
		var before int
		e.d.Locked(func() {
			for _, cand := range e.d.Posts {
				if cand.SpaceID == circledouble.Shed && !cand.Likes[circledouble.Bob] && !cand.LikingOff && len(cand.Likes) > 0 {
					p = cand
					break
				}
			}
			before = len(p.Likes)
		})
		// Read it first in the same operation: the payload must not be that stale read.
		r := e.run(t, circledouble.Bob, `mutation($s: ID!, $p: ID!) { likePost(spaceId: $s, postId: $p) { post { id isLiked likesCount } userErrors { field message } } }`,
			obj("s", circledouble.ID(p.SpaceID), "p", circledouble.ID(p.ID)))
		mustOK(t, r)
		compareData(t, "likePost", r.Data, obj("likePost", obj("post", obj("id", circledouble.ID(p.ID), "isLiked", true, "likesCount", before+1), "userErrors", []any{})))
		calls := targets(e.Upstream.Calls())
		if len(calls) != 2 || calls[0] != fmt.Sprintf("POST /posts/%d/user_likes", p.ID) || !strings.HasPrefix(calls[1], fmt.Sprintf("GET /spaces/%d/posts?", p.SpaceID)) {
			t.Errorf("calls %v, want the like then one re-read", calls)
		}
		// Alice sees Bob's like in the count, not as her own.
		r = e.run(t, circledouble.Alice, `query($s: ID!, $p: ID!) { post(spaceId: $s, id: $p) { isLiked likesCount } }`, obj("s", circledouble.ID(p.SpaceID), "p", circledouble.ID(p.ID)))
		mustOK(t, r)
		var aliceLikes bool
		e.d.Locked(func() { aliceLikes = p.Likes[circledouble.Alice] })
		compareData(t, "post as Alice", r.Data, obj("post", obj("isLiked", aliceLikes, "likesCount", before+1)))
		e.checkCircle(t)
	})

	t.Run("unlikePost", func(t *testing.T) {
		t.Parallel()
		e := newDoubleEnv(t)
		var p *circledouble.Post
		var before int
		e.d.Locked(func() {
			for _, cand := range e.d.Posts {
				if cand.Likes[circledouble.Alice] && !cand.LikingOff && cand.SpaceID == circledouble.Shed {
					p = cand
					break
				}
			}
			before = len(p.Likes)
		})
		r := e.run(t, circledouble.Alice, unlike, obj("s", circledouble.ID(p.SpaceID), "p", circledouble.ID(p.ID)))
		mustOK(t, r)
		compareData(t, "unlikePost", r.Data, obj("unlikePost", obj("post", obj("id", circledouble.ID(p.ID), "isLiked", false, "likesCount", before-1), "userErrors", []any{})))
		if n := countCalls(e.Upstream.Calls(), "DELETE", fmt.Sprintf("/posts/%d/user_likes", p.ID)); n != 1 {
			t.Errorf("%d DELETE user_likes, want 1: %v", n, targets(e.Upstream.Calls()))
		}
		e.checkCircle(t)
	})

	t.Run("likePost 422", func(t *testing.T) {
		t.Parallel()
		e := newDoubleEnv(t)
		r := e.run(t, circledouble.Bob, like, obj("s", circledouble.ID(circledouble.Shed), "p", "55000019"))
		mustOK(t, r)
		compareData(t, "likePost 422", r.Data, obj("likePost", obj("post", nil, "userErrors", []any{obj("field", nil, "message", "Liking is disabled for this post.")})))
		if n := countCalls(e.Upstream.Calls(), "POST", "/posts/55000019/user_likes"); n != 1 {
			t.Errorf("%d like calls, want 1 (writes are not retried): %v", n, targets(e.Upstream.Calls()))
		}
		e.checkCircle(t)
	})

	cq := `mutation($in: CreateCommentInput!) { createComment(input: $in) { comment { id bodyHtml bodyText isLiked likesCount repliesCount author { id name headline isAdmin } post { id title } parent { id } } userErrors { field message } } }`
	t.Run("createComment body shape", func(t *testing.T) {
		t.Parallel()
		e := newDoubleEnv(t)
		body := `<p>Try "neem" oil & rinse</p>`
		r := e.run(t, circledouble.Bob, cq, obj("in", obj("postId", "55000002", "body", body)))
		mustOK(t, r)
		var want any
		var sent []string
		e.d.Locked(func() {
			c := e.d.Comments[len(e.d.Comments)-1]
			bob := e.d.Member(circledouble.Bob)
			want = obj("createComment", obj("comment", obj("id", circledouble.ID(c.ID), "bodyHtml", body, "bodyText", `Try "neem" oil & rinse`,
				"isLiked", false, "likesCount", 0, "repliesCount", 0,
				"author", obj("id", circledouble.ID(circledouble.Bob), "name", bob.Name, "headline", bob.Headline, "isAdmin", false),
				"post", obj("id", "55000002", "title", postTitle(e.d.Post(circledouble.Post0+2))), "parent", nil), "userErrors", []any{}))
			sent = slices.Clone(e.d.Bodies)
		})
		compareData(t, "createComment", r.Data, want)
		if len(sent) != 1 {
			t.Fatalf("Circle received %d comment bodies, want 1", len(sent))
		}
		compareData(t, "request body", json.RawMessage(sent[0]), obj("comment", obj("body", body)))
		if n := countCalls(e.Upstream.Calls(), "POST", "/posts/55000002/comments"); n != 1 {
			t.Errorf("%d POSTs, want 1: %v", n, targets(e.Upstream.Calls()))
		}
		e.checkCircle(t)
	})

	t.Run("createComment tiptap", func(t *testing.T) {
		t.Parallel()
		e := newDoubleEnv(t)
		doc := map[string]any{"body": map[string]any{"type": "doc", "content": []any{map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "Ünïcödé 🌱"}}}}}}
		r := e.run(t, circledouble.Alice, `mutation($in: CreateCommentInput!) { createComment(input: $in) { comment { id author { id } } userErrors { message } } }`,
			obj("in", obj("postId", "55000005", "tiptapBody", doc)))
		mustOK(t, r)
		var sent []string
		var id int64
		e.d.Locked(func() { sent = slices.Clone(e.d.Bodies); id = e.d.Comments[len(e.d.Comments)-1].ID })
		compareData(t, "createComment", r.Data, obj("createComment", obj("comment", obj("id", circledouble.ID(id), "author", obj("id", circledouble.ID(circledouble.Alice))), "userErrors", []any{})))
		if len(sent) != 1 {
			t.Fatalf("Circle received %d comment bodies, want 1", len(sent))
		}
		compareData(t, "request body", json.RawMessage(sent[0]), obj("comment", obj("tiptap_body", doc)))
		e.checkCircle(t)
	})

	t.Run("createComment 422", func(t *testing.T) {
		t.Parallel()
		e := newDoubleEnv(t)
		r := e.run(t, circledouble.Bob, cq, obj("in", obj("postId", "55000020", "body", "Me too")))
		mustOK(t, r)
		compareData(t, "createComment 422", r.Data, obj("createComment", obj("comment", nil, "userErrors", []any{obj("field", nil, "message", "Comments are closed for this post.")})))
		if n := countCalls(e.Upstream.Calls(), "POST", "/posts/55000020/comments"); n != 1 {
			t.Errorf("%d POSTs, want 1: %v", n, targets(e.Upstream.Calls()))
		}
		e.checkCircle(t)
	})

	t.Run("rsvpEvent re-reads", func(t *testing.T) {
		t.Parallel()
		e := newDoubleEnv(t)
		var before int
		e.d.Locked(func() { before = e.d.Post(circledouble.Post0 + 28).Event.YesCount() })
		r := e.run(t, circledouble.Alice, `mutation { rsvpEvent(spaceId: "4000003", eventId: "55000028") { post { id event { rsvpStatus rsvpCount } } userErrors { message } } }`, nil)
		mustOK(t, r)
		compareData(t, "rsvpEvent", r.Data, obj("rsvpEvent", obj("post", obj("id", "55000028", "event", obj("rsvpStatus", "YES", "rsvpCount", before+1)), "userErrors", []any{})))
		// Bob's own RSVP is untouched.
		r = e.run(t, circledouble.Bob, `{ post(spaceId: "4000003", id: "55000028") { event { rsvpStatus rsvpCount } } }`, nil)
		mustOK(t, r)
		compareData(t, "as Bob", r.Data, obj("post", obj("event", obj("rsvpStatus", "YES", "rsvpCount", before+1))))
		e.checkCircle(t)
	})
}

// The double itself must be strict, or the tests above prove nothing: it
// records every breach of Circle's calling conventions it is built to see.
func TestDoubleIsStrict(t *testing.T) {
	t.Parallel()
	d := double{circledouble.New()}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	tok := testjwt.Member(t, circledouble.Alice)
	cases := []struct {
		method, target, body, token string
		ok                          bool
	}{
		{"GET", "/home?page=1&per_page=20", "", tok, true},
		{"GET", "/home?page=1&per_page=20&sort=latest", "", tok, true},
		{"GET", "/home?page=1", "", tok, false},
		{"GET", "/home?page=1&per_page=101", "", tok, false},
		{"GET", "/home?page=0&per_page=5", "", tok, false},
		{"GET", "/home?page=1&per_page=5&per_page=6", "", tok, false},
		{"GET", "/home?page=1&per_page=5&space_id=4000001", "", tok, false},
		{"GET", "/home?per_page=05", "", tok, false},
		{"GET", "/spaces/4000001/posts?page=1&per_page=5&sort=latest", "", tok, false},
		{"GET", "/spaces/4000001/posts?page=1&per_page=2&post_ids=55000001%2C55000002", "", tok, true},
		{"GET", "/spaces/4000001/posts?page=1&per_page=20&post_ids=55000001%2C55000002", "", tok, false},
		{"GET", "/spaces/4000001/posts?page=1&per_page=1&post_ids=55000001%2Cx", "", tok, false},
		{"GET", "/spaces/04000001", "", tok, false},
		{"GET", "/spaces?per_page=10", "", tok, false},
		{"GET", "/community_members?page=1&per_page=10&search_text=", "", tok, false},
		{"GET", "/posts/55000001/comments?page=1&per_page=10&sort=newest", "", tok, false},
		{"GET", "/posts/55000001/comments/8800001/extra", "", tok, false},
		{"GET", "/home?page=1&per_page=20", "", "", false},
		{"POST", "/posts/55000001/comments", `{"body":"x"}`, tok, false},
		{"POST", "/posts/55000001/comments", `{"comment":{"body":"x","user_id":1}}`, tok, false},
		{"POST", "/posts/55000001/comments", `{"comment":{"body":"x"}}`, tok, true},
		{"POST", "/posts/55000001/user_likes", `{"like":true}`, tok, false},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(tc.method, srv.URL+"/api/headless/v1"+tc.target, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		v := d.TakeViolations()
		if tc.ok && (len(v) > 0 || resp.StatusCode >= 400) {
			t.Errorf("%s %s: status %d, violations %v; want it accepted", tc.method, tc.target, resp.StatusCode, v)
		}
		if !tc.ok && len(v) == 0 {
			t.Errorf("%s %s: status %d and no violation recorded; want one", tc.method, tc.target, resp.StatusCode)
		}
	}
}

// Arguments of nested lists: comment sorts, reply and like pagination,
// an empty search, an empty space.
func TestDoubleNestedListArgs(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	var busy, threaded *circledouble.Post // most comments; a comment with replies
	e.d.Locked(func() {
		for _, p := range e.d.Posts {
			if busy == nil || len(e.d.TopComments(p.ID)) > len(e.d.TopComments(busy.ID)) {
				busy = p
			}
			for _, c := range e.d.TopComments(p.ID) {
				if len(e.d.Replies(c.ID)) >= 2 && threaded == nil && p.SpaceID == circledouble.Shed && p.ID != circledouble.Post0+12 {
					threaded = p
				}
			}
		}
	})
	for _, sortBy := range []string{"", "OLDEST", "LATEST", "LIKES"} {
		t.Run("comments "+circledouble.Or(sortBy, "default"), func(t *testing.T) {
			vars := obj("s", circledouble.ID(busy.SpaceID), "id", circledouble.ID(busy.ID))
			if sortBy != "" {
				vars["sort"] = sortBy
			}
			r := e.run(t, circledouble.Chidi, `query($s: ID!, $id: ID!, $sort: CommentSort) { post(spaceId: $s, id: $id) { comments(first: 10, sort: $sort) { totalCount nodes { id likesCount isLiked } } } }`, vars)
			mustOK(t, r)
			var want any
			e.d.Locked(func() {
				cs := circledouble.SortComments(e.d.TopComments(busy.ID), strings.ToLower(circledouble.Or(sortBy, "oldest")))
				want = obj("post", obj("comments", obj("totalCount", len(cs), "nodes", mapN(cs, 10, func(c *circledouble.Comment) any {
					return obj("id", circledouble.ID(c.ID), "likesCount", len(c.Likes), "isLiked", c.Likes[circledouble.Chidi])
				}))))
			})
			compareData(t, "comments", r.Data, want)
			e.checkCircle(t)
		})
	}
	t.Run("replies walk", func(t *testing.T) {
		var top *circledouble.Comment
		var all []any
		e.d.Locked(func() {
			for _, c := range e.d.TopComments(threaded.ID) {
				if len(e.d.Replies(c.ID)) >= 2 {
					top = c
					break
				}
			}
			for _, r := range circledouble.SortComments(e.d.Replies(top.ID), "oldest") {
				all = append(all, circledouble.ID(r.ID))
			}
		})
		var got []string
		var after any
		for i := 0; i < 10; i++ {
			r := e.run(t, circledouble.Dana, `query($s: ID!, $id: ID!, $after: String) { post(spaceId: $s, id: $id) { comments(first: 20) { nodes { id
				replies(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id parent { id } } } } } } }`,
				obj("s", circledouble.ID(threaded.SpaceID), "id", circledouble.ID(threaded.ID), "after", after))
			mustOK(t, r)
			var v struct {
				Post struct {
					Comments struct {
						Nodes []struct {
							ID      string
							Replies struct {
								TotalCount int
								PageInfo   struct {
									HasNextPage bool
									EndCursor   *string
								}
								Nodes []struct {
									ID     string
									Parent struct{ ID string }
								}
							}
						}
					}
				}
			}
			r.Decode(t, &v)
			var next *string
			for _, n := range v.Post.Comments.Nodes {
				if n.ID != circledouble.ID(top.ID) {
					continue
				}
				for _, rn := range n.Replies.Nodes {
					got = append(got, rn.ID)
					if rn.Parent.ID != circledouble.ID(top.ID) {
						t.Errorf("reply %s: parent %s, want %d", rn.ID, rn.Parent.ID, top.ID)
					}
				}
				if n.Replies.TotalCount != len(all) {
					t.Errorf("replies totalCount %d, want %d", n.Replies.TotalCount, len(all))
				}
				if n.Replies.PageInfo.HasNextPage {
					next = n.Replies.PageInfo.EndCursor
				}
			}
			e.checkCircle(t)
			if next == nil {
				break
			}
			after = *next
		}
		compareData(t, "replies", rawJSON(got), all)
	})
	t.Run("likes walk", func(t *testing.T) {
		var p *circledouble.Post
		e.d.Locked(func() {
			for _, cand := range e.d.Feed(circledouble.Alice, "likes") {
				p = cand
				break
			}
		})
		var all []any
		e.d.Locked(func() {
			for _, m := range e.d.Likers(p) {
				all = append(all, e.d.wantAuthor(m))
			}
		})
		if len(all) < 3 {
			t.Fatalf("post %d has %d likes, want a few", p.ID, len(all))
		}
		var got []any
		var after any
		for i := 0; i < 20; i++ {
			r := e.run(t, circledouble.Alice, `query($s: ID!, $id: ID!, $after: String) { post(spaceId: $s, id: $id) { likes(first: 2, after: $after) {
				totalCount pageInfo { hasNextPage endCursor } nodes { `+authorFields+` } } } }`, obj("s", circledouble.ID(p.SpaceID), "id", circledouble.ID(p.ID), "after", after))
			mustOK(t, r)
			var v struct {
				Post struct {
					Likes struct {
						TotalCount int
						PageInfo   struct {
							HasNextPage bool
							EndCursor   *string
						}
						Nodes []any
					}
				}
			}
			r.Decode(t, &v)
			got = append(got, v.Post.Likes.Nodes...)
			if v.Post.Likes.TotalCount != len(all) {
				t.Errorf("likes totalCount %d, want %d", v.Post.Likes.TotalCount, len(all))
			}
			e.checkCircle(t)
			if !v.Post.Likes.PageInfo.HasNextPage || v.Post.Likes.PageInfo.EndCursor == nil {
				break
			}
			after = *v.Post.Likes.PageInfo.EndCursor
		}
		compareData(t, "likes", rawJSON(got), all)
	})
	t.Run("empty search", func(t *testing.T) {
		r := e.run(t, circledouble.Alice, `{ members(search: "", first: 100) { totalCount nodes { id } } }`, nil)
		mustOK(t, r)
		var want any
		e.d.Locked(func() {
			want = obj("members", obj("totalCount", len(e.d.Members), "nodes", mapN(e.d.Members, 100, func(m *circledouble.Member) any { return obj("id", circledouble.ID(m.ID)) })))
		})
		compareData(t, "members", r.Data, want)
		e.checkCircle(t)
	})
	t.Run("empty space", func(t *testing.T) {
		r := e.run(t, circledouble.Bob, `{ space(slug: "empty-bed") { id isMember posts(first: 5) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } nodes { id } } } }`, nil)
		mustOK(t, r)
		compareData(t, "empty space", r.Data, obj("space", obj("id", circledouble.ID(circledouble.Empty), "isMember", true, "posts", obj("totalCount", 0,
			"pageInfo", obj("hasNextPage", false, "hasPreviousPage", false, "startCursor", nil, "endCursor", nil), "edges", []any{}, "nodes", []any{}))))
		e.checkCircle(t)
	})
	t.Run("reply parents cost at most one call each", func(t *testing.T) {
		r := e.run(t, circledouble.Alice, `query($s: ID!, $id: ID!) { post(spaceId: $s, id: $id) { comments(first: 10) { nodes { id post { id } replies(first: 3) { nodes { id parent { id } post { id } } } } } } }`,
			obj("s", circledouble.ID(threaded.SpaceID), "id", circledouble.ID(threaded.ID)))
		mustOK(t, r)
		var tops, withReplies int
		e.d.Locked(func() {
			for _, c := range e.d.TopComments(threaded.ID) {
				tops++
				if len(e.d.Replies(c.ID)) > 0 {
					withReplies++
				}
			}
		})
		// The post, its comments, each comment's replies, at most one
		// parent fetch per distinct parent; Comment.post reuses the post.
		if budget, n := 2+tops+withReplies, len(e.Upstream.Calls()); n > budget {
			t.Errorf("%d calls, budget %d: %v", n, budget, targets(e.Upstream.Calls()))
		}
		e.checkCircle(t)
	})
}

// Every post's space, full details included, as each member sees it: one
// GET /spaces, and GET /spaces/{id} only for the space it lacks.
func TestDoubleFeedSpaces(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	for _, who := range []int64{circledouble.Alice, circledouble.Bob, circledouble.Zed} {
		t.Run(circledouble.ID(who), func(t *testing.T) {
			r := e.run(t, who, `{ homeFeed(first: 100) { nodes { id space { `+spaceFields+` } } } }`, nil)
			mustOK(t, r)
			var want any
			e.d.Locked(func() {
				want = obj("homeFeed", obj("nodes", mapN(e.d.Feed(who, "latest"), 100, func(p *circledouble.Post) any {
					return obj("id", circledouble.ID(p.ID), "space", e.d.wantSpace(e.d.Space(p.SpaceID), who))
				})))
			})
			compareData(t, "feed spaces", r.Data, want)
			got := targets(e.Upstream.Calls())
			slices.Sort(got)
			wantCalls := []string{"GET /home?page=1&per_page=100", "GET /spaces", "GET /spaces/4000005"}
			if !slices.Equal(got, wantCalls) {
				t.Errorf("calls %v, want %v", got, wantCalls)
			}
			e.checkCircle(t)
		})
	}
}

func TestDoubleCommentMutations(t *testing.T) {
	t.Parallel()
	t.Run("replyToComment", func(t *testing.T) {
		t.Parallel()
		e := newDoubleEnv(t)
		r := e.run(t, circledouble.Zed, `mutation { replyToComment(postId: "55000001", commentId: "8800001", body: "Agreed & thanks") {
			comment { id bodyText author { id name } parent { id } post { id } } userErrors { field message } } }`, nil)
		var top *circledouble.Comment
		var want any
		e.d.Locked(func() {
			top = e.d.Comment(circledouble.Comment0 + 1)
			c := e.d.Comments[len(e.d.Comments)-1]
			want = obj("replyToComment", obj("comment", obj("id", circledouble.ID(c.ID), "bodyText", "Agreed & thanks",
				"author", obj("id", circledouble.ID(circledouble.Zed), "name", e.d.Member(circledouble.Zed).Name), "parent", obj("id", circledouble.ID(top.ID)), "post", obj("id", circledouble.ID(top.PostID))),
				"userErrors", []any{}))
		})
		if top.PostID != circledouble.Post0+1 {
			t.Fatalf("comment 8800001 is on post %d; fix the test", top.PostID)
		}
		mustOK(t, r)
		compareData(t, "replyToComment", r.Data, want)
		var sent []string
		e.d.Locked(func() { sent = slices.Clone(e.d.Bodies) })
		if len(sent) != 1 {
			t.Fatalf("Circle received %d bodies, want 1", len(sent))
		}
		compareData(t, "request body", json.RawMessage(sent[0]), obj("comment", obj("body", "Agreed & thanks")))
		if n := countCalls(e.Upstream.Calls(), "POST", "/comments/8800001/replies"); n != 1 {
			t.Errorf("%d reply POSTs, want 1: %v", n, targets(e.Upstream.Calls()))
		}
		e.checkCircle(t)
	})
	t.Run("replyToComment 422", func(t *testing.T) {
		t.Parallel()
		e := newDoubleEnv(t)
		r := e.run(t, circledouble.Bob, `mutation { replyToComment(postId: "55000001", commentId: "8800001", body: "too long") { comment { id } userErrors { field message } } }`, nil)
		mustOK(t, r)
		compareData(t, "reply 422", r.Data, obj("replyToComment", obj("comment", nil, "userErrors", []any{obj("field", []any{"body"}, "message", "Failed to create reply!")})))
		e.checkCircle(t)
	})
	t.Run("likeComment re-reads", func(t *testing.T) {
		t.Parallel()
		e := newDoubleEnv(t)
		var c *circledouble.Comment
		var before int
		e.d.Locked(func() {
			for _, cand := range e.d.Comments {
				if !cand.Likes[circledouble.Fern] && len(cand.Likes) > 0 && e.d.Visible(e.d.Post(cand.PostID), circledouble.Fern) {
					c = cand
					break
				}
			}
			before = len(c.Likes)
		})
		r := e.run(t, circledouble.Fern, `mutation($p: ID!, $c: ID!) { likeComment(postId: $p, commentId: $c) { comment { id isLiked likesCount author { id } } userErrors { message } } }`,
			obj("p", circledouble.ID(c.PostID), "c", circledouble.ID(c.ID)))
		mustOK(t, r)
		compareData(t, "likeComment", r.Data, obj("likeComment", obj("comment", obj("id", circledouble.ID(c.ID), "isLiked", true, "likesCount", before+1, "author", obj("id", circledouble.ID(c.AuthorID))), "userErrors", []any{})))
		calls := targets(e.Upstream.Calls())
		if len(calls) != 2 || calls[0] != fmt.Sprintf("POST /comments/%d/user_likes", c.ID) || calls[1] != fmt.Sprintf("GET /posts/%d/comments/%d", c.PostID, c.ID) {
			t.Errorf("calls %v, want the like then one re-read", calls)
		}
		e.checkCircle(t)
	})
}

// With upstream latency that differs from call to call, as any real
// upstream's does, the loaders still batch: one post_ids call per space per
// operation (docs/contract.md §6.3), at most 32 calls in flight, and the
// comments' posts need no call per comment. Post batches are counted, not
// timed (loaders.PostLoader), so every run must batch the same way.
func TestDoubleBatchingUnderJitter(t *testing.T) {
	t.Parallel()
	d := double{circledouble.New()}
	d.Jitter = func(r *http.Request) time.Duration {
		h := 0
		for _, b := range []byte(r.URL.Path) {
			h = h*31 + int(b)
		}
		return time.Duration(5+(h&0x7fffffff)%60) * time.Millisecond
	}
	env := testenv.New(t, testenv.Options{Upstream: d})
	e := &doubleEnv{Env: env, d: d}
	t.Cleanup(func() {
		for _, v := range d.TakeViolations() {
			t.Errorf("Circle API contract violated by the gateway: %s", v)
		}
	})
	queries := map[string]struct {
		query string
		// primed: every post asked for came in the feed already, so none
		// costs a call.
		primed bool
	}{
		"comment posts": {`{ homeFeed(first: 20) { nodes { id comments(first: 3) { nodes { id post { id title } } } } } }`, true},
		"member comment posts": {`{ a: member(id: "901313") { comments(first: 10) { nodes { post { id } } } } b: member(id: "904040") { comments(first: 10) { nodes { post { id } } } }
			c: member(id: "917171") { comments(first: 10) { nodes { post { id } } } } }`, false},
	}
	for name, q := range queries {
		for run := 0; run < 6; run++ {
			t.Run(fmt.Sprintf("%s/%d", name, run), func(t *testing.T) {
				r := e.run(t, circledouble.Alice, q.query, nil)
				mustOK(t, r)
				perSpace := map[string][]string{}
				for _, c := range e.Upstream.Calls() {
					if strings.Contains(c.Query, "post_ids=") {
						perSpace[c.Path] = append(perSpace[c.Path], c.Target())
					}
				}
				if q.primed != (len(perSpace) == 0) {
					t.Fatalf("post_ids calls %v; want them only for posts the operation did not have", perSpace)
				}
				for path, batch := range perSpace {
					if len(batch) > 1 {
						t.Errorf("%d post_ids calls for %s, want one:\n  %s", len(batch), path, strings.Join(batch, "\n  "))
					}
				}
				if m := e.Upstream.MaxInFlight(); m > loaders.DefaultMaxInFlight {
					t.Errorf("%d calls in flight at once, at most %d per operation", m, loaders.DefaultMaxInFlight)
				}
				e.checkCircle(t)
			})
		}
	}
}

// Memberships and RSVPs are the member's own: a write by one member changes
// what that member sees, not what another does.
func TestDoubleMembershipAndRsvpMutations(t *testing.T) {
	t.Parallel()
	t.Run("joinSpace", func(t *testing.T) {
		t.Parallel()
		e := newDoubleEnv(t)
		r := e.run(t, circledouble.Bob, `mutation { joinSpace(id: "4000002") { space { `+spaceFields+` } userErrors { message } } }`, nil)
		mustOK(t, r)
		var want any
		e.d.Locked(func() {
			want = obj("joinSpace", obj("space", e.d.wantSpace(e.d.Space(circledouble.Gallery), circledouble.Bob), "userErrors", []any{}))
		})
		compareData(t, "joinSpace", r.Data, want)
		compareData(t, "isMember", r.Data, obj("joinSpace", obj("space", obj("isMember", true, "id", "4000002", "name", "Gallery of Blooms",
			"slug", "gallery-of-blooms", "emoji", nil, "url", circledouble.Site+"/c/gallery-of-blooms", "isPrivate", false), "userErrors", []any{})))
		for who, member := range map[int64]bool{circledouble.Bob: true, circledouble.Chidi: false} {
			r = e.run(t, who, `{ space(id: "4000002") { isMember } }`, nil)
			mustOK(t, r)
			compareData(t, fmt.Sprintf("as %d", who), r.Data, obj("space", obj("isMember", member)))
		}
		e.checkCircle(t)
	})
	t.Run("leaveSpace", func(t *testing.T) {
		t.Parallel()
		e := newDoubleEnv(t)
		r := e.run(t, circledouble.Alice, `mutation { leaveSpace(id: "4000001") { space { id isMember } userErrors { message } } }`, nil)
		mustOK(t, r)
		compareData(t, "leaveSpace", r.Data, obj("leaveSpace", obj("space", obj("id", "4000001", "isMember", false), "userErrors", []any{})))
		e.checkCircle(t)
	})
	t.Run("joinSpace forbidden", func(t *testing.T) {
		t.Parallel()
		e := newDoubleEnv(t)
		r := e.run(t, circledouble.Bob, `mutation { joinSpace(id: "4000004") { space { id } userErrors { message } } }`, nil)
		mustError(t, r, "FORBIDDEN", "joinSpace")
		if n := countCalls(e.Upstream.Calls(), "POST", "/spaces/4000004/join"); n != 1 {
			t.Errorf("%d join calls, want 1", n)
		}
		e.checkCircle(t)
	})
	t.Run("cancelRsvp", func(t *testing.T) {
		t.Parallel()
		e := newDoubleEnv(t)
		var before int
		e.d.Locked(func() { before = e.d.Post(circledouble.Post0 + 27).Event.YesCount() })
		r := e.run(t, circledouble.Bob, `mutation { cancelRsvp(spaceId: "4000003", eventId: "55000027") { post { id event { rsvpStatus rsvpCount } } userErrors { message } } }`, nil)
		mustOK(t, r)
		compareData(t, "cancelRsvp", r.Data, obj("cancelRsvp", obj("post", obj("id", "55000027", "event", obj("rsvpStatus", "NO", "rsvpCount", before-1)), "userErrors", []any{})))
		r = e.run(t, circledouble.Gus, `{ post(spaceId: "4000003", id: "55000027") { event { rsvpStatus rsvpCount } } }`, nil)
		mustOK(t, r)
		compareData(t, "as Gus", r.Data, obj("post", obj("event", obj("rsvpStatus", "YES", "rsvpCount", before-1))))
		e.checkCircle(t)
	})
}

// Events one at a time, both ways: every event once, in order.
func TestDoubleEventsWalk(t *testing.T) {
	t.Parallel()
	e := newDoubleEnv(t)
	for _, past := range []bool{false, true} {
		t.Run(fmt.Sprintf("past=%v", past), func(t *testing.T) {
			var all []any
			e.d.Locked(func() {
				for _, p := range e.d.Events(circledouble.Hana, past) {
					all = append(all, circledouble.ID(p.ID))
				}
			})
			var got []string
			var after any
			for i := 0; i < 10; i++ {
				r := e.run(t, circledouble.Hana, `query($past: Boolean, $after: String) { events(first: 1, after: $after, pastEvents: $past) {
					totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { id } } }`, obj("past", past, "after", after))
				mustOK(t, r)
				var v struct {
					Events struct {
						TotalCount int
						PageInfo   struct {
							HasNextPage, HasPreviousPage bool
							EndCursor                    *string
						}
						Nodes []struct{ ID string }
					}
				}
				r.Decode(t, &v)
				for _, n := range v.Events.Nodes {
					got = append(got, n.ID)
				}
				if v.Events.TotalCount != len(all) || v.Events.PageInfo.HasPreviousPage != (i > 0) {
					t.Errorf("page %d: totalCount %d, pageInfo %+v; want %d events", i, v.Events.TotalCount, v.Events.PageInfo, len(all))
				}
				if len(e.Upstream.Calls()) != 1 {
					t.Errorf("page %d cost %v", i, targets(e.Upstream.Calls()))
				}
				e.checkCircle(t)
				if !v.Events.PageInfo.HasNextPage || v.Events.PageInfo.EndCursor == nil {
					break
				}
				after = *v.Events.PageInfo.EndCursor
			}
			compareData(t, "events", rawJSON(got), all)
		})
	}
}
