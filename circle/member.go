package circle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxPerPage is the largest page the gateway asks Circle for, and the most
// ids it puts in one post_ids batch.
const MaxPerPage = 100

// GetRequest identifies one Member API GET: Target (path under
// /api/headless/v1 plus its encoded query) is what makes two GETs the same;
// Endpoint is the path template, for metrics. It is comparable, so it can key
// a per-operation cache.
type GetRequest struct {
	Endpoint string
	Target   string
}

// Getter fetches the raw body of a Member API GET. MemberAPI.Fetch is the
// direct implementation; package loaders wraps it to deduplicate GETs within
// one GraphQL operation.
type Getter interface {
	Get(ctx context.Context, r GetRequest) (*Response, error)
}

// GetterFunc adapts a function to Getter.
type GetterFunc func(ctx context.Context, r GetRequest) (*Response, error)

// Get calls f.
func (f GetterFunc) Get(ctx context.Context, r GetRequest) (*Response, error) { return f(ctx, r) }

// MemberAPI is the Member API seen by one member: every call carries that
// member's access token, unchanged. It is cheap to create (one per GraphQL
// operation) and must never be shared between members.
type MemberAPI struct {
	c   *Client
	who caller
	// cred is the token as the token memory sees it.
	cred Credential
	// getter is where GETs go; nil means straight to Fetch.
	getter Getter
}

// Member returns the Member API acting with the given member access token.
func (c *Client) Member(token string) *MemberAPI {
	return &MemberAPI{c: c, who: caller{member: "token:" + token, token: token}, cred: Credential{Kind: AccessToken, Token: token}}
}

// WithExpiry returns a copy of m that knows when its token expires (the
// token's exp claim), so that what Circle answers for the token is
// remembered exactly that long (WithTokenMemory).
func (m *MemberAPI) WithExpiry(exp time.Time) *MemberAPI {
	cp := *m
	cp.cred.ExpiresAt = exp
	return &cp
}

// WithMemberID returns a copy of m that knows which member its token
// belongs to (the token's community_member_id claim), so that a write
// through any of that member's tokens stops later reads, through any of
// them, from joining a GET that may predate the write. The claim is not
// verified: a token claiming another member can only make that member's
// next reads call Circle again, never share a call (calls are shared only
// between identical tokens).
func (m *MemberAPI) WithMemberID(id int64) *MemberAPI {
	cp := *m
	if id > 0 {
		cp.who.member = "member:" + strconv.FormatInt(id, 10)
		cp.cred.MemberID = id
	}
	return &cp
}

// WithGetter returns a copy of m whose GETs go through g (which usually
// calls m.Fetch in the end). Writes are not affected.
func (m *MemberAPI) WithGetter(g Getter) *MemberAPI {
	cp := *m
	cp.getter = g
	return &cp
}

// Fetch performs the GET r against Circle directly and returns its answer.
// Identical GETs of the same token that overlap in time share one call
// unless coalescing is off.
func (m *MemberAPI) Fetch(ctx context.Context, r GetRequest) (*Response, error) {
	cacheable := m.cacheable()
	var ticket uint64
	if cacheable {
		body, t, ok := m.c.cache.Get(ctx, m.cacheKey(r))
		if ok {
			if m.c.observe != nil {
				m.c.observe(ctx, Call{Method: http.MethodGet, Endpoint: r.Endpoint, Cached: true})
			}
			return NewResponse(body), nil
		}
		ticket = t
	}
	req := request{method: http.MethodGet, endpoint: r.Endpoint, target: r.Target, prefix: memberPrefix, token: m.who.token, cred: &m.cred}
	call := func(ctx context.Context) (*Response, error) {
		body, err := m.c.do(ctx, req)
		if err != nil {
			return nil, err
		}
		if cacheable {
			// Kept before anyone decodes the answer (which lets its
			// bytes go), with the ticket of the caller that sent it.
			// The cache gets a copy of its own: the buffer is handed
			// on once decoded, and a pooled buffer is larger than the
			// answer, which the cache's byte bound would not count.
			m.c.cache.Put(ctx, m.cacheKey(r), ticket, bytes.Clone(body))
		}
		// Nothing else holds the body: its buffer is handed on once
		// it is decoded.
		return m.c.ownedResponse(body), nil
	}
	var resp *Response
	var err error
	if m.c.flights == nil {
		resp, err = call(ctx)
	} else {
		var shared bool
		resp, shared, err = m.c.flights.do(ctx, m.who, r, call)
		if shared && m.c.observe != nil {
			m.c.observe(ctx, Call{Method: http.MethodGet, Endpoint: r.Endpoint, Shared: true, Err: err})
		}
		if shared && m.c.tracer != nil {
			m.c.tracer.SharedCall(ctx, http.MethodGet, r.Endpoint, err)
		}
	}
	if m.c.cache != nil && IsStatus(err, http.StatusUnauthorized) {
		// Circle no longer takes the token (revoked or expired outside
		// the gateway): what was kept for the member is not served again.
		m.forgetCached(ctx)
	}
	return resp, err
}

// get fetches r through the getter and decodes the body into out.
func (m *MemberAPI) get(ctx context.Context, endpoint, path string, q url.Values, out any) error {
	target := path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	fetch := m.Fetch
	if m.getter != nil {
		fetch = m.getter.Get
	}
	resp, err := fetch(ctx, GetRequest{Endpoint: endpoint, Target: target})
	if err != nil {
		return err
	}
	if err := resp.DecodeInto(out); err != nil {
		return fmt.Errorf("circle: GET %s: decode response: %w", endpoint, err)
	}
	if err := checkShape(resp.IsNull(), out); err != nil {
		return fmt.Errorf("circle: GET %s: decode response: %w", endpoint, err)
	}
	return nil
}

// identified passes err on, or refuses a single-object answer that names no
// object (a 200 of null or {}): serving it would show zeros and empty
// strings as if Circle had said so.
func identified(err error, endpoint string, id int64) error {
	if err == nil && id == 0 {
		return fmt.Errorf("circle: GET %s: decode response: the answer has no id", endpoint)
	}
	return err
}

// write performs a non-GET Member API call and decodes a 2xx body into out
// (when out is non-nil and the body non-empty).
func (m *MemberAPI) write(ctx context.Context, method, endpoint, target string, body, out any) error {
	return m.writeRequest(ctx, request{method: method, endpoint: endpoint, target: target, body: body}, out)
}

// writeRequest is write for a request that needs more than write's
// arguments (the cookie endpoints read the answer's cookies).
func (m *MemberAPI) writeRequest(ctx context.Context, r request, out any) error {
	r.prefix, r.token, r.cred = memberPrefix, m.who.token, &m.cred
	method, endpoint := r.method, r.endpoint
	raw, err := m.c.do(ctx, r)
	if m.c.flights != nil {
		// Whatever the outcome, later reads of this member must not join
		// a GET that may have read the state from before the write.
		m.c.flights.forgetMember(m.who.member)
	}
	// Nor be answered from before it: the write's answer is returned only
	// once the member's cached answers are gone.
	m.forgetCached(ctx)
	if err != nil {
		return err
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("circle: %s %s: decode response: %w", method, endpoint, err)
	}
	return nil
}

// ListParams selects a page of a list endpoint. Page and PerPage are always
// sent (Circle's default page sizes differ by endpoint and are undocumented);
// the other fields are sent when set and only by the endpoints that take them.
type ListParams struct {
	Page    int
	PerPage int
	// Sort is Circle's sort value (e.g. "popular", "oldest"); empty for the
	// endpoint's default.
	Sort string
	// PastEvents is sent by Events and SpacePosts when non-nil.
	PastEvents *bool
	// SearchText and SpaceID filter Members.
	SearchText string
	SpaceID    int64
	// Status filters SpacePosts and Events by post status ("published",
	// "draft"); empty for Circle's default.
	Status string
	// TopicIDs filters SpacePosts to posts with these topics, sent as the
	// document's array form (topics=1&topics=2).
	TopicIDs []int64
	// StartDate and EndDate (YYYY-MM-DD) filter Events by start day, as
	// filter_date[start_date] and filter_date[end_date].
	StartDate, EndDate string
}

func (p ListParams) query() url.Values {
	q := url.Values{}
	page := p.Page
	if page < 1 {
		page = 1
	}
	q.Set("page", strconv.Itoa(page))
	if p.PerPage > 0 {
		q.Set("per_page", strconv.Itoa(p.PerPage))
	}
	if p.Sort != "" {
		q.Set("sort", p.Sort)
	}
	if p.PastEvents != nil {
		q.Set("past_events", strconv.FormatBool(*p.PastEvents))
	}
	if p.SearchText != "" {
		q.Set("search_text", p.SearchText)
	}
	if p.SpaceID != 0 {
		q.Set("space_id", strconv.FormatInt(p.SpaceID, 10))
	}
	if p.Status != "" {
		q.Set("status", p.Status)
	}
	for _, t := range p.TopicIDs {
		q.Add("topics", strconv.FormatInt(t, 10))
	}
	if p.StartDate != "" {
		q.Set("filter_date[start_date]", p.StartDate)
	}
	if p.EndDate != "" {
		q.Set("filter_date[end_date]", p.EndDate)
	}
	return q
}

func id(v int64) string { return strconv.FormatInt(v, 10) }

// Me returns the signed-in member: GET /community_member.
func (m *MemberAPI) Me(ctx context.Context) (*CurrentMember, error) {
	var out CurrentMember
	return &out, identified(m.get(ctx, "/community_member", "/community_member", nil, &out), "/community_member", out.ID)
}

// Spaces returns every space the member can see: GET /spaces (not paginated).
func (m *MemberAPI) Spaces(ctx context.Context) ([]Space, error) {
	var out []Space
	return out, m.get(ctx, "/spaces", "/spaces", nil, &out)
}

// Space returns one space: GET /spaces/{id}.
func (m *MemberAPI) Space(ctx context.Context, spaceID int64) (*Space, error) {
	var out Space
	return &out, identified(m.get(ctx, "/spaces/{id}", "/spaces/"+id(spaceID), nil, &out), "/spaces/{id}", out.ID)
}

// SpacePosts lists a space's posts: GET /spaces/{space_id}/posts.
func (m *MemberAPI) SpacePosts(ctx context.Context, spaceID int64, p ListParams) (*Page[Post], error) {
	return m.SpacePostsByRef(ctx, id(spaceID), p)
}

// SpacePostsByRef lists the posts of a space named by id or slug (Circle's
// space_id takes either): GET /spaces/{space_id}/posts. The reference is
// path-escaped; callers still check that a slug is one.
func (m *MemberAPI) SpacePostsByRef(ctx context.Context, spaceRef string, p ListParams) (*Page[Post], error) {
	var out Page[Post]
	return &out, m.get(ctx, "/spaces/{space_id}/posts", "/spaces/"+url.PathEscape(spaceRef)+"/posts", p.query(), &out)
}

// PostsByIDs fetches up to MaxPerPage posts of one space in one call:
// GET /spaces/{space_id}/posts?post_ids=1,2,3&per_page=3. Posts the member
// cannot see are simply absent from the answer.
func (m *MemberAPI) PostsByIDs(ctx context.Context, spaceID int64, ids []int64) ([]Post, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > MaxPerPage {
		return nil, fmt.Errorf("circle: PostsByIDs: %d ids, at most %d per call", len(ids), MaxPerPage)
	}
	parts := make([]string, len(ids))
	for i, v := range ids {
		parts[i] = id(v)
	}
	q := ListParams{Page: 1, PerPage: len(ids)}.query()
	q.Set("post_ids", strings.Join(parts, ","))
	var out Page[Post]
	if err := m.get(ctx, "/spaces/{space_id}/posts", "/spaces/"+id(spaceID)+"/posts", q, &out); err != nil {
		return nil, err
	}
	return out.Records, nil
}

// Post returns one post: GET /spaces/{space_id}/posts/{id}.
func (m *MemberAPI) Post(ctx context.Context, spaceID, postID int64) (*Post, error) {
	return m.PostByRef(ctx, id(spaceID), id(postID))
}

// PostByRef returns one post of a space, each named by id or slug as
// Circle's document allows for both path parameters ("Space ID or slug",
// "Post ID or slug"): GET /spaces/{space_id}/posts/{id}. The references
// are path-escaped; callers check that a slug is one, and that the answer
// is the post they named (Circle may read a numeric slug as an id).
func (m *MemberAPI) PostByRef(ctx context.Context, spaceRef, postRef string) (*Post, error) {
	var out Post
	const endpoint = "/spaces/{space_id}/posts/{id}"
	return &out, identified(m.get(ctx, endpoint, "/spaces/"+url.PathEscape(spaceRef)+"/posts/"+url.PathEscape(postRef), nil, &out), endpoint, out.ID)
}

// Home lists the member's home feed: GET /home.
func (m *MemberAPI) Home(ctx context.Context, p ListParams) (*Page[Post], error) {
	var out Page[Post]
	return &out, m.get(ctx, "/home", "/home", p.query(), &out)
}

// Events lists community events: GET /community_events.
func (m *MemberAPI) Events(ctx context.Context, p ListParams) (*Page[Post], error) {
	var out Page[Post]
	return &out, m.get(ctx, "/community_events", "/community_events", p.query(), &out)
}

// Comments lists a post's top-level comments: GET /posts/{post_id}/comments.
func (m *MemberAPI) Comments(ctx context.Context, postID int64, p ListParams) (*Page[Comment], error) {
	var out Page[Comment]
	return &out, m.get(ctx, "/posts/{post_id}/comments", "/posts/"+id(postID)+"/comments", p.query(), &out)
}

// Comment returns one comment of a post: GET /posts/{post_id}/comments/{id}.
func (m *MemberAPI) Comment(ctx context.Context, postID, commentID int64) (*Comment, error) {
	var out Comment
	return &out, identified(m.get(ctx, "/posts/{post_id}/comments/{id}", "/posts/"+id(postID)+"/comments/"+id(commentID), nil, &out), "/posts/{post_id}/comments/{id}", out.ID)
}

// Replies lists the replies to a comment: GET /comments/{comment_id}/replies.
func (m *MemberAPI) Replies(ctx context.Context, commentID int64, p ListParams) (*Page[Comment], error) {
	var out Page[Comment]
	return &out, m.get(ctx, "/comments/{comment_id}/replies", "/comments/"+id(commentID)+"/replies", p.query(), &out)
}

// PostLikes lists the members who liked a post: GET /posts/{post_id}/user_likes.
func (m *MemberAPI) PostLikes(ctx context.Context, postID int64, p ListParams) (*Page[Author], error) {
	var out Page[Author]
	return &out, m.get(ctx, "/posts/{post_id}/user_likes", "/posts/"+id(postID)+"/user_likes", p.query(), &out)
}

// EventAttendees lists an event's RSVPs: GET /events/{event_id}/event_attendees.
func (m *MemberAPI) EventAttendees(ctx context.Context, eventID int64, p ListParams) (*Page[EventAttendee], error) {
	var out Page[EventAttendee]
	return &out, m.get(ctx, "/events/{event_id}/event_attendees", "/events/"+id(eventID)+"/event_attendees", p.query(), &out)
}

// Members lists the member directory, optionally searched or limited to a
// space: GET /community_members.
func (m *MemberAPI) Members(ctx context.Context, p ListParams) (*Page[CommunityMember], error) {
	var out Page[CommunityMember]
	return &out, m.get(ctx, "/community_members", "/community_members", p.query(), &out)
}

// PublicProfile returns a member's public profile:
// GET /community_members/{community_member_id}/public_profile.
func (m *MemberAPI) PublicProfile(ctx context.Context, memberID int64) (*Profile, error) {
	var out Profile
	return &out, identified(m.get(ctx, "/community_members/{id}/public_profile", "/community_members/"+id(memberID)+"/public_profile", nil, &out), "/community_members/{id}/public_profile", out.ID)
}

// MemberPosts lists a member's posts: GET /community_members/{id}/posts.
func (m *MemberAPI) MemberPosts(ctx context.Context, memberID int64, p ListParams) (*Page[Post], error) {
	var out Page[Post]
	return &out, m.get(ctx, "/community_members/{id}/posts", "/community_members/"+id(memberID)+"/posts", p.query(), &out)
}

// MemberComments lists a member's comments: GET /community_members/{id}/comments.
func (m *MemberAPI) MemberComments(ctx context.Context, memberID int64, p ListParams) (*Page[Comment], error) {
	var out Page[Comment]
	return &out, m.get(ctx, "/community_members/{id}/comments", "/community_members/"+id(memberID)+"/comments", p.query(), &out)
}
