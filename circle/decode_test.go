package circle

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// page builds a Circle /home page like the sandbox's: n posts with HTML,
// TipTap, event settings and embedded author and space.
func page(n int) []byte {
	var p Page[Post]
	p.Page, p.PerPage, p.Count, p.HasNextPage = 1, n, n*3, true
	avatar, emoji, loc := "https://example.com/a.png", "📣", "Berlin"
	limit := 40
	for i := range n {
		name := fmt.Sprintf("Post %d", i)
		rsvp := "yes"
		p.Records = append(p.Records, Post{
			ID: int64(1000 + i), PostType: PostTypeEvent, Name: &name, DisplayTitle: name, Slug: fmt.Sprintf("post-%d", i),
			URL: "https://community.example.com/c/general/post", Body: &PostBody{HTML: "<p>Hello <b>world</b> \u00e9\u00e8 &amp; more text here</p>"},
			TiptapBody:    json.RawMessage(`{"body":{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"Hello world"}]}]},"format":"post"}`),
			BodyPlainText: "Hello world é è & more text here", IsLiked: i%2 == 0, UserLikesCount: i, CommentCount: 2 * i,
			CreatedAt: Timestamp{time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)}, UpdatedAt: Timestamp{time.Date(2026, 1, 3, 3, 4, 5, 0, time.UTC)},
			Space:         SpaceRef{ID: 12, Name: "General", Slug: "general", Emoji: &emoji},
			Author:        Author{ID: 5001, CommunityMemberID: 101, Name: "Ava Okafor", Headline: "Host", AvatarURL: &avatar, Roles: &Roles{Admin: true}},
			EventSettings: &EventSettings{StartsAt: Timestamp{time.Date(2026, 2, 1, 18, 0, 0, 0, time.UTC)}, InPersonLocation: &loc, RsvpCount: 3, RsvpLimit: &limit},
			RsvpStatus:    &rsvp,
		})
	}
	b, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	return b
}

// decode must read every Circle shape exactly as encoding/json does.
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	inputs := map[string]any{
		"page of posts": &Page[Post]{},
		"roles as list": &Author{},
		"nulls":         &Post{},
	}
	bodies := map[string][]byte{
		"page of posts": page(20),
		"roles as list": []byte(`{"id":5001,"community_member_id":101,"name":"A","headline":"","avatar_url":null,"roles":["admin","moderator"]}`),
		"nulls":         []byte(`{"id":1,"name":null,"body":null,"tiptap_body":null,"created_at":"2024-04-02T09:05:23.651Z","updated_at":"","event_setting_attributes":null,"rsvp_status":null,"unknown_field":{"deep":[1,2,{"x":null}]}}`),
	}
	for name, target := range inputs {
		t.Run(name, func(t *testing.T) {
			want := reflect.New(reflect.TypeOf(target).Elem()).Interface()
			if err := json.Unmarshal(bodies[name], want); err != nil {
				t.Fatal(err)
			}
			if err := decode(bodies[name], target); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(want, target) {
				t.Fatalf("decode differs from encoding/json:\n got %+v\nwant %+v", target, want)
			}
		})
	}
	var p Post
	if err := decode([]byte(`{"id":"not a number"}`), &p); err == nil {
		t.Fatal("decode accepted a string id")
	}
}

func BenchmarkDecodePage(b *testing.B) {
	body := page(20)
	b.Run("goccy", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var p Page[Post]
			if err := decode(body, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var p Page[Post]
			if err := json.Unmarshal(body, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
