package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
	"github.com/circle-gateway/gateway/loaders"
)

// fullSpace returns the full record of a space: the one it carries, else
// from SpacesByID (one GET /spaces per operation).
func fullSpace(ctx context.Context, s *model.Space) (*circle.Space, error) {
	if full := s.Full(); full != nil {
		return full, nil
	}
	l, err := loaders.For(ctx)
	if err != nil {
		return nil, err
	}
	return l.SpacesByID.Load(ctx, s.CircleID())()
}

// fromProfile answers a member field from what the member already carries,
// else from the member's public profile (one fetch per distinct member per
// operation).
func fromProfile[T any](ctx context.Context, m *model.Member, have func() (T, bool), pick func(*model.Member) (T, bool)) (T, error) {
	if v, ok := have(); ok {
		return v, nil
	}
	var zero T
	l, err := loaders.For(ctx)
	if err != nil {
		return zero, err
	}
	p, err := l.ProfilesByMemberID.Load(ctx, m.CircleID())()
	if err != nil {
		return zero, err
	}
	v, _ := pick(model.MemberFromProfile(p))
	return v, nil
}

// selectsOnlyID reports whether the field being resolved selects nothing
// but id (and __typename) on the object of type typeName it returns: an id
// the parent object already holds then answers it without a fetch.
func selectsOnlyID(ctx context.Context, typeName string) bool {
	for _, f := range graphql.CollectFieldsCtx(ctx, []string{typeName}) {
		if f.Name != "id" && f.Name != "__typename" {
			return false
		}
	}
	return true
}
