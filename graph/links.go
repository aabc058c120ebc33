package graph

import (
	"context"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
	"github.com/circle-gateway/gateway/relay"
)

func profileFieldConnection(_ context.Context, res relay.Result[circle.ProfileField]) *model.ProfileFieldConnection {
	c := &model.ProfileFieldConnection{}
	c.Edges, c.Nodes, c.PageInfo, c.TotalCount = connection(res, model.ProfileFieldFrom,
		func(cursor string, n *model.ProfileField) *model.ProfileFieldEdge {
			return &model.ProfileFieldEdge{Cursor: cursor, Node: n}
		})
	return c
}
