package graph

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
	"github.com/circle-gateway/gateway/internal/argcheck"
	"github.com/circle-gateway/gateway/limits"
)

// Helpers of the post, comment, space and event fields that Circle's
// records answer (embedded replies) and of their arguments' checks.

// oldestFirst returns a copy of comments in Circle's "oldest" order
// (creation time, then id). The records are shared with every field that
// read the same answer, so they are never sorted in place.
func oldestFirst(comments []circle.Comment) []circle.Comment {
	out := slices.Clone(comments)
	slices.SortStableFunc(out, func(a, b circle.Comment) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt.Time), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// postStatus maps PostStatus to Circle's status values; "" when absent.
func postStatus(s *model.PostStatus) string {
	if s == nil {
		return ""
	}
	return strings.ToLower(string(*s))
}

// topicIDs parses a list of topic ids (nil for none), refusing more than
// limits.MaxTopicFilter (which the query limits checked already, with the
// same verdict) and anything that is not an id before any upstream call.
func topicIDs(arg string, ids []string) ([]int64, error) {
	out, err := argcheck.IDs(arg, ids, limits.MaxTopicFilter)
	if err != nil {
		return nil, badInput("%v", err)
	}
	return out, nil
}

// day checks a YYYY-MM-DD argument; "" when absent.
func day(arg string, v *string) (string, error) {
	if v == nil {
		return "", nil
	}
	if err := argcheck.Day(arg, *v); err != nil {
		return "", badInput("%v", err)
	}
	return *v, nil
}

// maxSlugLength bounds a slug put in a path, in characters (Circle's are
// short, made from the name).
const maxSlugLength = 200

// isSlug reports whether s can be a Circle slug — lowercase letters, digits,
// dashes and underscores — and so may be put in a path as a space_id.
// Anything else is never sent; the space is then looked up in GET /spaces.
func isSlug(s string) bool {
	if s == "" || len(s) > maxSlugLength {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// selectsOnlyPosts reports whether the Space being resolved is asked for
// its posts and nothing else Circle must be asked about (slug, which the
// caller named, and __typename aside): a space known by its slug alone then
// answers the selection, and the posts call proves that the space exists.
func selectsOnlyPosts(ctx context.Context) bool {
	posts := false
	for _, f := range graphql.CollectFieldsCtx(ctx, []string{"Space"}) {
		switch f.Name {
		case "posts":
			posts = true
		case "slug", "__typename":
		default:
			return false
		}
	}
	return posts
}
