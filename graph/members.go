package graph

// Helpers of the member fields (member.resolvers.go) and of the member's
// own account mutations (account.resolvers.go), kept out of the generated
// resolver files so that gqlgen leaves them alone.

import (
	"context"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
	"github.com/circle-gateway/gateway/relay"
)

// maxSearchChars bounds members(search:), in characters (not bytes: a
// name in another script is as long as one in ASCII).
const maxSearchChars = 200

// memberSort maps MemberSort to Circle's sort values; nil leaves Circle's
// default order.
func memberSort(s *model.MemberSort) (string, error) {
	if s == nil {
		return "", nil
	}
	switch *s {
	case model.MemberSortAlphabetical:
		return "alphabetical", nil
	case model.MemberSortOldest:
		return "oldest", nil
	case model.MemberSortLatest:
		return "latest", nil
	default:
		return "", badInput("sort: unknown member sort %q", truncate(string(*s), 40))
	}
}

// spaceConnection builds a page of full space records (each answers every
// Space field without another call).
func spaceConnection(_ context.Context, res relay.Result[circle.Space]) *model.SpaceConnection {
	c := &model.SpaceConnection{}
	c.Edges, c.Nodes, c.PageInfo, c.TotalCount = connection(res, model.SpaceFrom,
		func(cursor string, n *model.Space) *model.SpaceEdge { return &model.SpaceEdge{Cursor: cursor, Node: n} })
	return c
}
