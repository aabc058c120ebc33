package circle

import (
	"context"
	"io"
	"net/http"
	"testing"
)

// The wire types of a single post, comment and reply edits, comment likes
// and recurring events read every example Circle's document gives for
// their endpoints, and read them right.
func TestContentWireTypesReadCircleExamples(t *testing.T) {
	t.Parallel()
	doc := memberDoc(t)
	// reply: 1 when the record must name its parent, -1 when it must not,
	// 0 when the example does not say (GET …/replies/{id}'s is a copy of a
	// top-level comment's, parent_comment_id null).
	checkComment := func(t *testing.T, c Comment, reply int) {
		t.Helper()
		if c.ID == 0 || c.PostID == 0 || c.SpaceID == 0 || c.CommunityMemberID == 0 || c.BodyText == "" || c.CreatedAt.IsZero() || c.Author.CommunityMemberID == 0 || c.Policies == nil {
			t.Errorf("comment %+v", c)
		}
		if hasParent := c.ParentCommentID != nil && *c.ParentCommentID != 0; reply != 0 && (reply > 0) != hasParent {
			t.Errorf("comment %d: parent %v, reply %v", c.ID, c.ParentCommentID, reply)
		}
	}
	cases := []struct {
		method, path, status string
		check                func(t *testing.T, raw []byte)
	}{
		{"GET", "/spaces/{space_id}/posts/{id}", "200", func(t *testing.T, raw []byte) {
			var p Post
			mustDecode(t, raw, &p)
			if p.ID == 0 || p.Slug == "" || p.Space.ID == 0 || p.Space.Slug == "" || p.Author.CommunityMemberID == 0 || p.Gallery == nil || len(p.Gallery.Images) == 0 || len(p.Topics) != 2 || p.Policies == nil {
				t.Errorf("post %+v", p)
			}
		}},
		{"GET", "/comments/{comment_id}/replies/{id}", "200", func(t *testing.T, raw []byte) {
			var c Comment
			mustDecode(t, raw, &c)
			checkComment(t, c, 0)
		}},
		{"PATCH", "/comments/{comment_id}/replies/{id}", "200", func(t *testing.T, raw []byte) {
			var c Comment
			mustDecode(t, raw, &c)
			checkComment(t, c, 1)
		}},
		{"PATCH", "/posts/{post_id}/comments/{id}", "200", func(t *testing.T, raw []byte) {
			var c Comment
			mustDecode(t, raw, &c)
			checkComment(t, c, -1)
			if c.BodyText != "Updated comment body" {
				t.Errorf("body_text %q", c.BodyText)
			}
		}},
		{"GET", "/comments/{comment_id}/user_likes", "200", func(t *testing.T, raw []byte) {
			var p Page[Author]
			mustDecode(t, raw, &p)
			if len(p.Records) == 0 {
				t.Fatalf("page %+v", p)
			}
			for _, a := range p.Records {
				if a.CommunityMemberID == 0 || a.Name == "" {
					t.Errorf("liker %+v", a)
				}
			}
		}},
		{"GET", "/spaces/{space_id}/events/{event_id}/recurring_events", "200", func(t *testing.T, raw []byte) {
			var p Page[RecurringEvent]
			mustDecode(t, raw, &p)
			if p.Count != 3 || len(p.Records) != 3 {
				t.Fatalf("page %+v", p)
			}
			for _, e := range p.Records {
				if e.ID == 0 || e.Name == "" || e.StartsAt.IsZero() || e.EndsAt.IsZero() || e.StartDate == "" || e.TimeZone == "" || e.TimeZoneAbbreviation == "" || e.RsvpLimit == nil || *e.RsvpLimit != 5 {
					t.Errorf("date %+v", e)
				}
			}
		}},
	}
	for _, tc := range cases {
		for name, raw := range examples(t, doc, tc.method, tc.path, tc.status) {
			t.Run(tc.method+" "+tc.path+" "+name, func(t *testing.T) { tc.check(t, raw) })
		}
	}
}

// PostByRef puts a slug in the path as one escaped segment, so that no
// slug can reach another endpoint.
func TestPostByRefEscapes(t *testing.T) {
	t.Parallel()
	var got string
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":7,"slug":"a"}`)
	})
	if _, err := c.Member("t").PostByRef(context.Background(), "the-shed", "a/../b?c"); err != nil {
		t.Fatal(err)
	}
	if want := "/api/headless/v1/spaces/the-shed/posts/a%2F..%2Fb%3Fc"; got != want {
		t.Errorf("path %s, want %s", got, want)
	}
}
