package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
	"github.com/circle-gateway/gateway/loaders"
	"github.com/circle-gateway/gateway/relay"
)

// How resolvers read. Every read needs the operation's loaders, which
// exist only for a signed-in member (loaders.For returns the authentication
// error otherwise, and nothing is sent upstream); the helpers here take
// that prologue once, so that a resolver is its arguments and one read:
//
//	return load(ctx, posts, key, model.PostFrom)
//	return call(ctx, (*circle.MemberAPI).Me, model.MemberFromCurrent)
//	return list(ctx, first, after, commentConnection, fetchComments)

// signedIn fails with the authentication error when the operation has no
// member. Mutations call it before judging their input, so that a caller
// without a token learns that first.
func signedIn(ctx context.Context) error {
	_, err := loaders.For(ctx)
	return err
}

// keyLoader is what get needs of a loader: the dataloaders and the post
// loader (loaders.PostLoader, which batches by counting) alike.
type keyLoader[K comparable, V any] interface {
	Load(ctx context.Context, key K) dataloader.Thunk[V]
}

// get reads one record through one of the operation's loaders (posts,
// spaces, profiles below).
func get[K comparable, V any](ctx context.Context, loader func(*loaders.Loaders) keyLoader[K, V], key K) (V, error) {
	l, err := loaders.For(ctx)
	if err != nil {
		var zero V
		return zero, err
	}
	return loader(l).Load(ctx, key)()
}

// load is get, with the record turned into its model.
func load[K comparable, V, M any](ctx context.Context, loader func(*loaders.Loaders) keyLoader[K, V], key K, to func(V) M) (M, error) {
	v, err := get(ctx, loader, key)
	if err != nil {
		var zero M
		return zero, err
	}
	return to(v), nil
}

// The operation's loaders, for get and load.
func posts(l *loaders.Loaders) keyLoader[loaders.PostKey, *circle.Post] {
	return l.PostsBySpaceAndID
}
func spaces(l *loaders.Loaders) keyLoader[int64, *circle.Space] { return l.SpacesByID }
func profiles(l *loaders.Loaders) keyLoader[int64, *circle.Profile] {
	return l.ProfilesByMemberID
}

// memberAPI is the member's Member API for the operation (its GETs
// deduplicated and batched by the operation's loaders), or the
// authentication error when there is no signed-in member.
func memberAPI(ctx context.Context) (*circle.MemberAPI, error) {
	l, err := loaders.For(ctx)
	if err != nil {
		return nil, err
	}
	return l.API, nil
}

// call makes one call of the member's Member API, whose GETs are
// deduplicated for the operation, and turns the answer into its model. do
// is usually a method expression, such as (*circle.MemberAPI).Me.
func call[V, M any](ctx context.Context, do func(*circle.MemberAPI, context.Context) (V, error), to func(V) M) (M, error) {
	var zero M
	api, err := memberAPI(ctx)
	if err != nil {
		return zero, err
	}
	v, err := do(api, ctx)
	if err != nil {
		return zero, err
	}
	return to(v), nil
}

// list fetches a connection window through fetch and builds the
// connection from it. The pagination arguments are validated first (the
// query limits checked them already, with the same verdict), so bad ones
// cost no upstream call.
func list[T, C any](ctx context.Context, first *int, after *string, build func(context.Context, relay.Result[T]) C,
	fetch func(ctx context.Context, api *circle.MemberAPI, p circle.ListParams) (*circle.Page[T], error)) (C, error) {
	var zero C
	w, err := relay.NewWindow(first, after)
	if err != nil {
		return zero, err
	}
	api, err := memberAPI(ctx)
	if err != nil {
		return zero, err
	}
	res, err := relay.Fetch(ctx, w, func(ctx context.Context, p relay.PageRequest) (*circle.Page[T], error) {
		return fetch(ctx, api, circle.ListParams{Page: p.Page, PerPage: p.PerPage})
	})
	if err != nil {
		return zero, err
	}
	return build(ctx, res), nil
}

// fullSpace returns the full record of a space: the one it carries, else
// from SpacesByID (one GET /spaces per operation).
func fullSpace(ctx context.Context, s *model.Space) (*circle.Space, error) {
	if full := s.Full(); full != nil {
		return full, nil
	}
	return get(ctx, spaces, s.CircleID())
}

// fromProfile answers a member field from what the member already carries,
// else from the member's public profile (one fetch per distinct member per
// operation).
func fromProfile[T any](ctx context.Context, m *model.Member, have func() (T, bool), pick func(*model.Member) (T, bool)) (T, error) {
	if v, ok := have(); ok {
		return v, nil
	}
	p, err := load(ctx, profiles, m.CircleID(), model.MemberFromProfile)
	if err != nil {
		var zero T
		return zero, err
	}
	v, _ := pick(p)
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
