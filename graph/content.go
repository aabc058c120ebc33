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
	"github.com/circle-gateway/gateway/loaders"
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

// isSlug reports whether s has the form of Circle's slugs.
func isSlug(s string) bool { return argcheck.IsSlug(s) }

// digitsOnly reports whether s is made of digits alone: where Circle takes
// an id or a slug, it is read as an id.
func digitsOnly(s string) bool { return strings.Trim(s, "0123456789") == "" }

// selectsOnlyPosts reports whether the Space being resolved is asked for
// its posts (the list, or one post) and nothing else Circle must be asked
// about (slug, which the caller named, and __typename aside): a space known
// by its slug alone then answers the selection, and the posts calls prove
// that the space exists.
func selectsOnlyPosts(ctx context.Context) bool {
	posts := false
	for _, f := range graphql.CollectFieldsCtx(ctx, []string{"Space"}) {
		switch f.Name {
		case "posts", "post":
			posts = true
		case "slug", "__typename":
		default:
			return false
		}
	}
	return posts
}

// postRef is a post named by id or by slug (exactly one is set).
type postRef struct {
	id   int64
	slug string
}

// path is how the post is named in Circle's path.
func (r postRef) path() string {
	if r.slug != "" {
		return r.slug
	}
	return model.FormatID(r.id)
}

// postRefArgs checks Space.post's id and slug: exactly one, the id a
// positive integer, the slug one of Circle's (limits checks the same
// before the operation runs, so the space above costs no call either).
func postRefArgs(id, slug *string) (postRef, error) {
	if err := argcheck.OneRef("id", id, "slug", slug); err != nil {
		return postRef{}, badInput("%v", err)
	}
	if slug != nil {
		return postRef{slug: *slug}, nil
	}
	v, err := parseID("id", *id)
	return postRef{id: v}, err
}

// postByRef reads one post of a space through GET
// /spaces/{space_id}/posts/{id}, naming the space as the model knows it
// (id, or slug alone), and makes sure the answer is the post asked for:
// Circle may read a slug made of digits as an id, and a post of another
// space must not pass for this one's. The post primes the operation's post
// loader, so later lookups of it cost nothing.
func postByRef(ctx context.Context, api *circle.MemberAPI, s *model.Space, ref postRef) (*circle.Post, error) {
	const endpoint = "GET /spaces/{space_id}/posts/{id}"
	p, err := api.PostByRef(ctx, s.PathRef(), ref.path())
	if err != nil {
		return nil, err
	}
	sameSpace := (s.BySlug() && p.Space.Slug == s.PathRef()) || (!s.BySlug() && p.Space.ID == s.CircleID())
	samePost := (ref.slug != "" && p.Slug == ref.slug) || (ref.slug == "" && p.ID == ref.id)
	if !sameSpace || !samePost {
		return nil, circle.NotFound(endpoint, "post "+truncate(ref.path(), 60))
	}
	if l, err := loaders.For(ctx); err == nil && p.Space.ID != 0 {
		l.PostsBySpaceAndID.Prime(loaders.PostKey{SpaceID: p.Space.ID, PostID: p.ID}, p)
	}
	return p, nil
}
