package limits

import (
	"testing"

	"github.com/circle-gateway/gateway/relay"
)

// The cost of a space's topics and sidebar links, the member's bookmarks
// and the post writes that came with them.
func TestBookmarkAndTopicCosts(t *testing.T) {
	t.Parallel()
	schema := loadSchema(t)
	n := unboundedListSize
	tests := []struct {
		name  string
		query string
		want  int
	}{
		{"a space's topics are one call", `{ space(id: 1) { topics(first: 50) { totalCount nodes { id name adminOnly } } } }`, 1 + 1},
		{"every space's topics: one call per space", `{ spaces { name topics(first: 10) { nodes { name } } } }`, 1 + n*1},
		{"topics straddling two of Circle's pages", `{ space(id: 1) { topics(first: 100, after: "` + relay.EncodeCursor(0) + `") { nodes { name } } } }`, 1 + 2},
		{"a space's sidebar links, folders' links embedded", `{ space(id: 1) { bookmarks(first: 20) { nodes { name kind url links { name url links { name } } } } } }`, 1 + 1},
		{"bookmarks: the list is one call", `{ bookmarks(first: 20) { totalCount nodes { id type title url body recordCreatedAt author { name avatarUrl } space { name slug } } } }`, 1},
		{"a bookmark's author beyond name and avatar costs the profile", `{ bookmarks(first: 20) { nodes { author { headline } } } }`, 1 + 20},
		{"a bookmark author's roles cost the profile", `{ bookmarks(first: 10) { nodes { author { isAdmin isModerator bio } } } }`, 1 + 10},
		{"a bookmark's space details cost the space list", `{ bookmarks(first: 20) { nodes { space { isPrivate } } } }`, 1 + 20},
		{"a bookmark's post is loaded", `{ bookmarks(first: 20, type: POST) { nodes { post { title likesCount } } } }`, 1 + 20},
		{"a bookmark's post's author is embedded in the post", `{ bookmarks(first: 5) { nodes { post { author { headline } } } } }`, 1 + 5},
		{"createBookmark's answer", `mutation { createBookmark(type: POST, recordId: 1) { bookmark { id title post { isBookmarked } } } }`, 1},
		{"an image post's answer carries its gallery", `mutation { createImagePost(input: { spaceId: 1, images: [] }) { post { gallery { images { url width } } topics { name } } } }`, 0},
		{"followPost's post", `mutation { followPost(spaceId: 1, postId: 2) { post { isFollowing followerId } } }`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := costOf(t, schema, tt.query, nil); got != tt.want {
				t.Errorf("cost %d, want %d", got, tt.want)
			}
		})
	}
}
