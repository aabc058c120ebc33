package circle

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/circle-gateway/gateway/internal/deadline"
)

// writeCase is one typed write: what it must send and what Circle answers.
type writeCase struct {
	name     string
	call     func(ctx context.Context, m *MemberAPI) (any, error)
	method   string
	path     string
	body     string // the JSON body Circle must receive; "" for none
	status   int
	response string
	check    func(t *testing.T, got any)
}

func writeCases() []writeCase {
	tiptap := json.RawMessage(`{"body":{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"Hi"}]}]}}`)
	no := false
	return []writeCase{
		{
			name: "CreatePost",
			call: func(ctx context.Context, m *MemberAPI) (any, error) {
				return m.CreatePost(ctx, 12, NewPost{Name: "Hello", Body: "<p>Hi</p>", TiptapBody: tiptap, IsCommentsEnabled: &no})
			},
			method: http.MethodPost, path: "/api/headless/v1/spaces/12/posts",
			body:   `{"space_id":12,"name":"Hello","body":"<p>Hi</p>","tiptap_body":` + string(tiptap) + `,"is_comments_enabled":false}`,
			status: 200, response: `{"id":1078,"post_type":"basic","name":"Hello","slug":"hello","space":{"id":12,"name":"General","slug":"general"},"author":{"id":5001,"community_member_id":101,"name":"Demo"}}`,
			check: func(t *testing.T, got any) {
				p := got.(*Post)
				if p.ID != 1078 || p.Space.ID != 12 || p.Author.CommunityMemberID != 101 {
					t.Errorf("decoded %+v", p)
				}
			},
		},
		{
			name: "CreatePost without optional fields",
			call: func(ctx context.Context, m *MemberAPI) (any, error) {
				return m.CreatePost(ctx, 12, NewPost{Name: "Hello", Body: "Hi"})
			},
			method: http.MethodPost, path: "/api/headless/v1/spaces/12/posts",
			body:   `{"space_id":12,"name":"Hello","body":"Hi"}`,
			status: 200, response: `{"id":1078}`,
		},
		{
			name:   "DeletePost",
			call:   func(ctx context.Context, m *MemberAPI) (any, error) { return nil, m.DeletePost(ctx, 12, 1001) },
			method: http.MethodDelete, path: "/api/headless/v1/spaces/12/posts/1001",
			status: 200, response: `{"success":true,"message":"Post deleted"}`,
		},
		{
			name: "CreateComment wraps the body in comment",
			call: func(ctx context.Context, m *MemberAPI) (any, error) {
				return m.CreateComment(ctx, 1001, NewComment{Body: "Nice", TiptapBody: tiptap})
			},
			method: http.MethodPost, path: "/api/headless/v1/posts/1001/comments",
			body:   `{"comment":{"body":"Nice","tiptap_body":` + string(tiptap) + `}}`,
			status: 201, response: `{"id":20500,"post_id":1001,"space_id":12,"parent_comment_id":null,"body_text":"Nice","author":{"id":5001,"community_member_id":101,"name":"Demo"}}`,
			check: func(t *testing.T, got any) {
				c := got.(*Comment)
				if c.ID != 20500 || c.PostID != 1001 || c.SpaceID != 12 || c.ParentCommentID != nil {
					t.Errorf("decoded %+v", c)
				}
			},
		},
		{
			name: "ReplyToComment wraps the body in comment",
			call: func(ctx context.Context, m *MemberAPI) (any, error) {
				return m.ReplyToComment(ctx, 20001, NewComment{Body: "Agreed"})
			},
			method: http.MethodPost, path: "/api/headless/v1/comments/20001/replies",
			body:   `{"comment":{"body":"Agreed"}}`,
			status: 201, response: `{"id":20501,"post_id":1001,"space_id":12,"parent_comment_id":20001}`,
			check: func(t *testing.T, got any) {
				c := got.(*Comment)
				if c.ID != 20501 || c.ParentCommentID == nil || *c.ParentCommentID != 20001 {
					t.Errorf("decoded %+v", c)
				}
			},
		},
		{
			name:   "DeleteComment",
			call:   func(ctx context.Context, m *MemberAPI) (any, error) { return nil, m.DeleteComment(ctx, 1001, 20001) },
			method: http.MethodDelete, path: "/api/headless/v1/posts/1001/comments/20001",
			status: 200, response: `{"success":true,"message":"This comment has been removed from the post."}`,
		},
		{
			name:   "LikePost",
			call:   func(ctx context.Context, m *MemberAPI) (any, error) { return nil, m.LikePost(ctx, 1001) },
			method: http.MethodPost, path: "/api/headless/v1/posts/1001/user_likes",
			status: 200, response: `{"success":true,"message":"Post has been liked"}`,
		},
		{
			name:   "UnlikePost",
			call:   func(ctx context.Context, m *MemberAPI) (any, error) { return nil, m.UnlikePost(ctx, 1001) },
			method: http.MethodDelete, path: "/api/headless/v1/posts/1001/user_likes",
			status: 200, response: `{"success":true,"message":"Post has been unliked"}`,
		},
		{
			name:   "LikeComment",
			call:   func(ctx context.Context, m *MemberAPI) (any, error) { return nil, m.LikeComment(ctx, 20001) },
			method: http.MethodPost, path: "/api/headless/v1/comments/20001/user_likes",
			status: 200, response: `{"success":true,"message":"Comment has been liked"}`,
		},
		{
			name:   "UnlikeComment",
			call:   func(ctx context.Context, m *MemberAPI) (any, error) { return nil, m.UnlikeComment(ctx, 20001) },
			method: http.MethodDelete, path: "/api/headless/v1/comments/20001/user_likes",
			status: 200, response: `{"success":true,"message":"Comment has been unliked"}`,
		},
		{
			name:   "RSVP",
			call:   func(ctx context.Context, m *MemberAPI) (any, error) { return m.RSVP(ctx, 1053) },
			method: http.MethodPost, path: "/api/headless/v1/events/1053/event_attendees",
			status: 200, response: `{"id":40500,"community_member_id":101,"rsvp_status":"yes","name":"Demo"}`,
			check: func(t *testing.T, got any) {
				if a := got.(*EventAttendee); a.RsvpStatus != "yes" || a.CommunityMemberID != 101 {
					t.Errorf("decoded %+v", a)
				}
			},
		},
		{
			name:   "CancelRSVP",
			call:   func(ctx context.Context, m *MemberAPI) (any, error) { return m.CancelRSVP(ctx, 1053) },
			method: http.MethodDelete, path: "/api/headless/v1/events/1053/event_attendees",
			status: 200, response: `{"id":40500,"community_member_id":101,"rsvp_status":"no","name":"Demo"}`,
			check: func(t *testing.T, got any) {
				if a := got.(*EventAttendee); a.RsvpStatus != "no" {
					t.Errorf("decoded %+v", a)
				}
			},
		},
		{
			name: "UpdateComment wraps the body in comment",
			call: func(ctx context.Context, m *MemberAPI) (any, error) {
				return m.UpdateComment(ctx, 1001, 20001, NewComment{Body: "Edited"})
			},
			method: http.MethodPatch, path: "/api/headless/v1/posts/1001/comments/20001",
			body:   `{"comment":{"body":"Edited"}}`,
			status: 200, response: `{"id":20001,"post_id":1001,"space_id":12,"parent_comment_id":null,"body_text":"Edited"}`,
			check: func(t *testing.T, got any) {
				if c := got.(*Comment); c.ID != 20001 || c.BodyText != "Edited" || c.SpaceID != 12 {
					t.Errorf("decoded %+v", c)
				}
			},
		},
		{
			name: "UpdateReply wraps the body in comment",
			call: func(ctx context.Context, m *MemberAPI) (any, error) {
				return m.UpdateReply(ctx, 20001, 20501, NewComment{TiptapBody: tiptap})
			},
			method: http.MethodPatch, path: "/api/headless/v1/comments/20001/replies/20501",
			body:   `{"comment":{"tiptap_body":` + string(tiptap) + `}}`,
			status: 200, response: `{"id":20501,"post_id":1001,"space_id":12,"parent_comment_id":20001,"body_text":"Hi"}`,
			check: func(t *testing.T, got any) {
				if c := got.(*Comment); c.ID != 20501 || c.ParentCommentID == nil || *c.ParentCommentID != 20001 {
					t.Errorf("decoded %+v", c)
				}
			},
		},
		{
			name:   "DeleteReply",
			call:   func(ctx context.Context, m *MemberAPI) (any, error) { return nil, m.DeleteReply(ctx, 20001, 20501) },
			method: http.MethodDelete, path: "/api/headless/v1/comments/20001/replies/20501",
			status: 200, response: `{"success":true,"message":"This reply has been removed from the comment."}`,
		},
		{
			name: "RSVPRecurringEvents names the dates",
			call: func(ctx context.Context, m *MemberAPI) (any, error) {
				return m.RSVPRecurringEvents(ctx, 14, 1053, []int64{45001, 45003})
			},
			method: http.MethodPut, path: "/api/headless/v1/spaces/14/events/1053/recurring_events/rsvp",
			body:   `{"event_ids":[45001,45003]}`,
			status: 200, response: `{"message":"You’ve RSVP’d to 2 events. We’ll send you a reminder before an event starts."}`,
			check: func(t *testing.T, got any) {
				if m := got.(string); m != "You’ve RSVP’d to 2 events. We’ll send you a reminder before an event starts." {
					t.Errorf("message %q", m)
				}
			},
		},
		{
			name: "RSVPRecurringEvents with no dates sends an empty list",
			call: func(ctx context.Context, m *MemberAPI) (any, error) {
				return m.RSVPRecurringEvents(ctx, 14, 1053, nil)
			},
			method: http.MethodPut, path: "/api/headless/v1/spaces/14/events/1053/recurring_events/rsvp",
			body:   `{"event_ids":[]}`,
			status: 200, response: `{"message":"You’ve RSVP’d to 0 events."}`,
		},
		{
			name:   "JoinSpace",
			call:   func(ctx context.Context, m *MemberAPI) (any, error) { return m.JoinSpace(ctx, 15) },
			method: http.MethodPost, path: "/api/headless/v1/spaces/15/join",
			status: 200, response: `{"id":15,"name":"Show and Tell","slug":"show-and-tell","is_member":true}`,
			check: func(t *testing.T, got any) {
				if s := got.(*Space); s.ID != 15 || !s.IsMember {
					t.Errorf("decoded %+v", s)
				}
			},
		},
		{
			name:   "LeaveSpace",
			call:   func(ctx context.Context, m *MemberAPI) (any, error) { return m.LeaveSpace(ctx, 15) },
			method: http.MethodPost, path: "/api/headless/v1/spaces/15/leave",
			status: 200, response: `{"id":15,"name":"Show and Tell","slug":"show-and-tell","is_member":false}`,
			check: func(t *testing.T, got any) {
				if s := got.(*Space); s.ID != 15 || s.IsMember {
					t.Errorf("decoded %+v", s)
				}
			},
		},
	}
}

// Every write sends the documented method, path and body with the member's
// token, and decodes Circle's answer.
func TestWritesSendDocumentedRequests(t *testing.T) {
	t.Parallel()
	for _, tc := range writeCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var gotMethod, gotPath, gotAuth, gotType string
			var gotBody []byte
			c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				gotMethod, gotPath, gotAuth, gotType = r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type")
				gotBody, _ = io.ReadAll(r.Body)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.response)
			})
			got, err := tc.call(context.Background(), c.Member("member-token"))
			if err != nil {
				t.Fatal(err)
			}
			if calls.Load() != 1 || gotMethod != tc.method || gotPath != tc.path {
				t.Fatalf("%d calls, last %s %s; want one %s %s", calls.Load(), gotMethod, gotPath, tc.method, tc.path)
			}
			if gotAuth != "Bearer member-token" {
				t.Errorf("Authorization %q: the member token was not forwarded", gotAuth)
			}
			switch {
			case tc.body == "" && len(gotBody) != 0:
				t.Errorf("sent a body %s, want none", gotBody)
			case tc.body != "":
				if gotType != "application/json" {
					t.Errorf("Content-Type %q", gotType)
				}
				var want, have any
				if err := json.Unmarshal([]byte(tc.body), &want); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(gotBody, &have); err != nil {
					t.Fatalf("body is not JSON: %s", gotBody)
				}
				if !reflect.DeepEqual(want, have) {
					t.Errorf("body\n got %s\nwant %s", gotBody, tc.body)
				}
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

// No write is retried once sent: a 503 costs exactly one call, and a write
// whose answer never came is reported as ErrOutcomeUnknown.
func TestWritesNeverRetried(t *testing.T) {
	t.Parallel()
	for _, tc := range writeCases() {
		t.Run(tc.name+" 503", func(t *testing.T) {
			t.Parallel()
			c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, `{"success":false,"message":"Service Unavailable"}`)
			})
			_, err := tc.call(context.Background(), c.Member("t"))
			if !IsStatus(err, http.StatusServiceUnavailable) || calls.Load() != 1 {
				t.Fatalf("err %v after %d calls, want one 503", err, calls.Load())
			}
		})
		t.Run(tc.name+" timeout", func(t *testing.T) {
			t.Parallel()
			// The server never answers, and the call's deadline passes
			// once the server holds the request (a gated deadline, not a
			// clock); the client reports each attempt it sent as it ends,
			// so what was sent is known as soon as the call returns.
			ctx, expire := deadline.Gated(context.Background())
			var attempts atomic.Int32
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.ReadAll(r.Body)
				expire()
				<-r.Context().Done()
			}, WithObserver(func(context.Context, Call) { attempts.Add(1) }))
			_, err := tc.call(ctx, c.Member("t"))
			if !errors.Is(err, ErrOutcomeUnknown) {
				t.Fatalf("err %v, want ErrOutcomeUnknown", err)
			}
			if n := attempts.Load(); n != 1 {
				t.Fatalf("%d attempts sent, want exactly one", n)
			}
		})
	}
}

// A validation failure keeps Circle's message for the user and names the
// fields error_details blames, without their texts.
func TestErrorFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		want []string
	}{
		{`{"success":false,"message":"Name can't be blank","error_details":{"name":["can't be blank"]}}`, []string{"name"}},
		{`{"success":false,"message":"Failed","error_details":{"body":["can't be blank"],"name":["is too long"]}}`, []string{"body", "name"}},
		{`{"success":false,"message":"Oops!","error_details":{"message":"Missing record: post"}}`, nil},
		{`{"success":false,"message":"Oops!","error_details":"free text"}`, nil},
		{`{"success":false,"message":"Oops!","error_details":{}}`, nil},
		{`not json`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			t.Parallel()
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusUnprocessableEntity)
				_, _ = io.WriteString(w, tt.body)
			})
			_, err := c.Member("t").CreatePost(context.Background(), 12, NewPost{Name: "x", Body: "y"})
			var ce *Error
			if !errors.As(err, &ce) || ce.Status != http.StatusUnprocessableEntity {
				t.Fatalf("err = %v", err)
			}
			if got := ce.Fields(); !slices.Equal(got, tt.want) {
				t.Fatalf("Fields() = %v, want %v", got, tt.want)
			}
		})
	}
}
