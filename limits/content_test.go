package limits_test

import (
	"errors"
	"testing"

	"github.com/circle-gateway/gateway/limits"
	"github.com/circle-gateway/gateway/relay"
)

// The fields of posts, comments, spaces and events that Circle sends in
// their records cost nothing; the lists they open cost what they fetch.
func TestContentCosts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, query string
		cost        int
	}{
		{"embedded post fields", `{ homeFeed(first: 20) { nodes { status coverImageUrl cardViewImageUrl attachments isBookmarked bookmarkId followerId isFollowing
			topics { id name } gallery { images { url width } } policies { canUpdate } } } }`, 1},
		{"embedded comment fields", `{ post(spaceId: "1", id: "1") { comments(first: 10) { nodes { removedAt isRemoved policies { canEdit } bookmarkId } } } }`, 1 + 1},
		{"replies counted as fetched", `{ post(spaceId: "1", id: "1") { comments(first: 10) { nodes { replies(first: 5) { nodes { id } } } } } }`, 1 + 1 + 10},
		{"space details once", `{ space(id: "1") { coverImageUrl policies { canManage } visibleTabs { posts } defaultTab requiresTopic isPostingDisabled url } }`, 1 + 1},
		{"event fields", `{ events(first: 10) { nodes { event { eventType isRecurring recurrence { frequency } durationSeconds rsvpDisabled hideAttendees } } } }`, 1},
		{"comment likes", `{ post(spaceId: "1", id: "1") { comments(first: 10) { nodes { likes(first: 5) { totalCount nodes { name } } } } } }`, 1 + 1 + 10*1},
		{"a reply and its likes", `{ reply(commentId: "1", id: "2") { bodyText likes(first: 3) { nodes { id } } } }`, 1 + 1},
		{"event dates", `{ events(first: 10) { nodes { event { dates(first: 5) { totalCount nodes { id isGoing rsvpCount } } } } } }`, 1 + 10*1},
		{"a space's post by slug", `{ space(slug: "s") { post(slug: "p") { title comments(first: 2) { totalCount } } } }`, 1 + 1 + 1},
		{"every space's post by id", `{ spaces { post(id: "1") { title } } }`, 1 + 20*1},
		{"filtered posts", `{ space(id: "1") { posts(first: 5, status: DRAFT, topicIds: ["1", "2"]) { nodes { topics { name } } } } }`, 1 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			oc, errs := prepare(t, limits.Limits{}, tt.query, nil)
			if len(errs) > 0 {
				t.Fatalf("refused: %v", errs)
			}
			if got := oc.Stats.GetExtension("complexity"); got != tt.cost {
				t.Fatalf("cost = %v, want %d", got, tt.cost)
			}
		})
	}
}

// A space's posts' topicIds are refused on the walk, before the space
// above them would be fetched, as a relay.ArgumentError (BAD_USER_INPUT).
func TestNestedTopicIDsRefused(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		query string
		vars  map[string]any
	}{
		{`{ space(id: "1") { posts(topicIds: ["x"]) { totalCount } } }`, nil},
		{`query($t: [ID!]) { space(id: "1") { posts(topicIds: $t) { totalCount } } }`, map[string]any{"t": []any{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "21"}}},
	} {
		_, errs := prepare(t, limits.Limits{}, tt.query, tt.vars)
		var ae *relay.ArgumentError
		if len(errs) != 1 || !errors.As(errs[0], &ae) || ae.Message == "" {
			t.Errorf("%s: errors %v, want one argument error", tt.query, errs)
		}
	}
}

// A space's post is refused on the walk, before the space above it would
// be fetched, unless it names exactly one of id and slug, a Circle id or a
// slug of Circle's form.
func TestNestedPostRefRefused(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		query string
		vars  map[string]any
		want  string
	}{
		{`{ space(id: "1") { post { id } } }`, nil, "give exactly one of id and slug"},
		{`{ space(id: "1") { post(id: "1", slug: "a") { id } } }`, nil, "give exactly one of id and slug"},
		{`{ space(slug: "s") { post(id: "x1") { id } } }`, nil, `id must be a positive integer id, got "x1"`},
		{`query($s: String) { spaces { post(slug: $s) { id } } }`, map[string]any{"s": "Not/A Slug"}, `slug must be a slug of lower-case letters, digits, '-' and '_' (at most 200), got "Not/A Slug"`},
	} {
		_, errs := prepare(t, limits.Limits{}, tt.query, tt.vars)
		var ae *relay.ArgumentError
		if len(errs) != 1 || !errors.As(errs[0], &ae) || ae.Message != tt.want {
			t.Errorf("%s: errors %v, want one argument error %q", tt.query, errs, tt.want)
		}
	}
}
