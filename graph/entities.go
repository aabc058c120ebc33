package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
	"github.com/circle-gateway/gateway/loaders"
)

// Federation entity references (FEDERATION=true; package graph/subgraph,
// docs/federation.md). A router hands the subgraph every reference of a
// type at once (_entities); each is read the way the field that reads one
// such object reads it, through the operation's loaders, so that N
// references cost what N such fields cost in one operation: members one
// public profile per distinct member (Query.member), spaces one GET /spaces
// (Query.space), posts one post_ids call per space (Query.post, batched
// together), comments one GET each (Comment.parent).
//
// Each function returns one model per reference, in order, and an error
// that is nil, the operation's own (no member token: every reference fails
// alike, and nothing is sent upstream), or a graphql.BatchErrorList holding
// each failed reference's error at its index.

// PostRef is a post's federation key: its id and its space's (Circle reads
// posts only within their space).
type PostRef struct{ ID, SpaceID string }

// CommentRef is a comment's federation key: its id and its post's (Circle
// reads a comment only under its post).
type CommentRef struct{ ID, PostID string }

// MemberEntities resolves member references by community member id.
func (r *Resolver) MemberEntities(ctx context.Context, ids []string) ([]*model.Member, error) {
	return entities(ctx, len(ids), func(i int) (int64, error) { return parseID("id", ids[i]) },
		func(ctx context.Context, l *loaders.Loaders, keys []int64) ([]*circle.Profile, []error) {
			return l.ProfilesByMemberID.GetMany(ctx, keys)
		}, model.MemberFromProfile)
}

// SpaceEntities resolves space references by space id.
func (r *Resolver) SpaceEntities(ctx context.Context, ids []string) ([]*model.Space, error) {
	return entities(ctx, len(ids), func(i int) (int64, error) { return parseID("id", ids[i]) },
		func(ctx context.Context, l *loaders.Loaders, keys []int64) ([]*circle.Space, []error) {
			return l.SpacesByID.GetMany(ctx, keys)
		}, model.SpaceFrom)
}

// PostEntities resolves post references; their keys join one post batch
// (loaders.PostLoader.LoadMany).
func (r *Resolver) PostEntities(ctx context.Context, refs []PostRef) ([]*model.Post, error) {
	return entities(ctx, len(refs), func(i int) (loaders.PostKey, error) {
		return postKeyArgs("space.id", refs[i].SpaceID, "id", refs[i].ID)
	}, func(ctx context.Context, l *loaders.Loaders, keys []loaders.PostKey) ([]*circle.Post, []error) {
		thunks := l.PostsBySpaceAndID.LoadMany(ctx, keys)
		posts, errs := make([]*circle.Post, len(keys)), make([]error, len(keys))
		for i, th := range thunks {
			posts[i], errs[i] = th()
		}
		return posts, errs
	}, model.PostFrom)
}

// commentKey is a parsed CommentRef.
type commentKey struct{ post, id int64 }

// CommentEntities resolves comment references, one GET each, all at once
// (the operation's bound on calls in flight applies underneath).
func (r *Resolver) CommentEntities(ctx context.Context, refs []CommentRef) ([]*model.Comment, error) {
	return entities(ctx, len(refs), func(i int) (commentKey, error) {
		post, id, err := twoIDs("post.id", refs[i].PostID, "id", refs[i].ID)
		return commentKey{post: post, id: id}, err
	}, func(ctx context.Context, l *loaders.Loaders, keys []commentKey) ([]*circle.Comment, []error) {
		return loaders.All(ctx, keys, func(ctx context.Context, k commentKey) (*circle.Comment, error) {
			c, err := l.API.Comment(ctx, k.post, k.id)
			if err != nil {
				return nil, fmt.Errorf("comment %d of post %d: %w", k.id, k.post, err)
			}
			return c, nil
		})
	}, model.CommentFrom)
}

// entities is the prologue and epilogue of the entity functions: the
// operation's loaders, each reference's key (parse; a bad one fails alone,
// without a call), every key read at once (fetch, one result or error per
// key, in order), each record made into its model (to).
func entities[K, V, M any](ctx context.Context, n int, parse func(i int) (K, error),
	fetch func(context.Context, *loaders.Loaders, []K) ([]V, []error), to func(V) M) ([]M, error) {
	l, err := loaders.For(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]M, n)
	errs := make(graphql.BatchErrorList, n)
	failed := false
	keys := make([]K, 0, n)
	at := make([]int, 0, n)
	for i := range n {
		k, err := parse(i)
		if err != nil {
			errs[i], failed = err, true
			continue
		}
		keys = append(keys, k)
		at = append(at, i)
	}
	if len(keys) > 0 {
		values, verrs := fetch(ctx, l, keys)
		for j, i := range at {
			if j < len(verrs) && verrs[j] != nil {
				errs[i], failed = verrs[j], true
				continue
			}
			out[i] = to(values[j])
		}
	}
	if failed {
		return out, errs
	}
	return out, nil
}
