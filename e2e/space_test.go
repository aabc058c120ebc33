package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/testenv"
)

// Space.posts lists the space's posts in the order asked for, with
// Circle's count, one upstream call per space.
func TestSpacePosts(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	tok := env.DemoToken(t)
	api := truth(t, env, tok)
	spaces, err := api.Spaces(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var space circle.Space
	for _, s := range spaces {
		if p, err := api.SpacePosts(context.Background(), s.ID, circle.ListParams{Page: 1, PerPage: 1}); err == nil && p.Count >= 4 && s.SpaceType != "event" {
			space = s
			break
		}
	}
	if space.ID == 0 {
		t.Fatal("no space with four posts")
	}
	tests := []struct {
		sort      string
		wantParam string
		circle    string
	}{
		{"", "", ""},
		{"OLDEST", "sort=oldest", "oldest"},
		{"ALPHABETICAL", "sort=alphabetical", "alphabetical"},
		{"POPULAR", "sort=popular", "popular"},
	}
	for _, tt := range tests {
		t.Run("sort "+tt.sort, func(t *testing.T) {
			want, err := api.SpacePosts(context.Background(), space.ID, circle.ListParams{Page: 1, PerPage: 3, Sort: tt.circle})
			if err != nil {
				t.Fatal(err)
			}
			arg := ""
			if tt.sort != "" {
				arg = ", sort: " + tt.sort
			}
			env.Upstream.Reset()
			r := env.Do(t, tok, fmt.Sprintf(`query($id: ID) { space(id: $id) { name posts(first: 3%s) { totalCount nodes { id space { id } } } } }`, arg), map[string]any{"id": fmt.Sprint(space.ID)})
			mustNoErrors(t, r)
			var got struct {
				Space struct {
					Posts struct {
						TotalCount int
						Nodes      []struct {
							ID    string
							Space struct{ ID string }
						}
					}
				}
			}
			r.Decode(t, &got)
			if got.Space.Posts.TotalCount != want.Count || len(got.Space.Posts.Nodes) != len(want.Records) {
				t.Fatalf("got %+v, want %d posts of %d", got.Space.Posts, len(want.Records), want.Count)
			}
			for i, n := range got.Space.Posts.Nodes {
				if n.ID != fmt.Sprint(want.Records[i].ID) || n.Space.ID != fmt.Sprint(space.ID) {
					t.Errorf("post %d: %+v, want %d", i, n, want.Records[i].ID)
				}
			}
			for _, c := range env.Upstream.Calls() {
				if strings.HasSuffix(c.Path, "/posts") {
					if !strings.Contains(c.Query, "per_page=3") || (tt.wantParam != "" && !strings.Contains(c.Query, tt.wantParam)) || (tt.wantParam == "" && strings.Contains(c.Query, "sort=")) {
						t.Errorf("posts call %s", c.Target())
					}
				}
			}
		})
	}
}
