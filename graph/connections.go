package graph

import (
	"context"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
	"github.com/circle-gateway/gateway/loaders"
	"github.com/circle-gateway/gateway/relay"
)

// connection turns a window's records into the parts every connection type
// has: edges, nodes, page info and total count.
func connection[T, N, E any](res relay.Result[T], node func(*T) N, edge func(cursor string, n N) E) (edges []E, nodes []N, info *model.PageInfo, total *int) {
	edges = make([]E, len(res.Items))
	nodes = make([]N, len(res.Items))
	for i := range res.Items {
		nodes[i] = node(&res.Items[i])
		edges[i] = edge(res.Cursor(i), nodes[i])
	}
	info = &model.PageInfo{HasNextPage: res.HasNext, HasPreviousPage: res.HasPrevious()}
	if len(res.Items) > 0 {
		start, end := res.Cursor(0), res.Cursor(len(res.Items)-1)
		info.StartCursor, info.EndCursor = &start, &end
	}
	t := res.Total
	return edges, nodes, info, &t
}

// postConnection builds a page of posts and primes the operation's post
// loader with them: a comment on one of these posts then finds its post
// without another call.
func postConnection(ctx context.Context, res relay.Result[circle.Post]) *model.PostConnection {
	if l, err := loaders.For(ctx); err == nil {
		for i := range res.Items {
			p := &res.Items[i]
			l.PostsBySpaceAndID.Prime(loaders.PostKey{SpaceID: p.Space.ID, PostID: p.ID}, p)
		}
	}
	c := &model.PostConnection{}
	c.Edges, c.Nodes, c.PageInfo, c.TotalCount = connection(res, model.PostFrom,
		func(cursor string, n *model.Post) *model.PostEdge { return &model.PostEdge{Cursor: cursor, Node: n} })
	return c
}

// commentConnection builds a page of comments (list's build argument).
func commentConnection(_ context.Context, res relay.Result[circle.Comment]) *model.CommentConnection {
	c := &model.CommentConnection{}
	c.Edges, c.Nodes, c.PageInfo, c.TotalCount = connection(res, model.CommentFrom,
		func(cursor string, n *model.Comment) *model.CommentEdge {
			return &model.CommentEdge{Cursor: cursor, Node: n}
		})
	return c
}

// memberConnection builds a page of members from Circle's records of
// them, each turned into a Member by node.
func memberConnection[T any](node func(*T) *model.Member) func(context.Context, relay.Result[T]) *model.MemberConnection {
	return func(_ context.Context, res relay.Result[T]) *model.MemberConnection {
		c := &model.MemberConnection{}
		c.Edges, c.Nodes, c.PageInfo, c.TotalCount = connection(res, node,
			func(cursor string, n *model.Member) *model.MemberEdge {
				return &model.MemberEdge{Cursor: cursor, Node: n}
			})
		return c
	}
}

// attendeeConnection builds a page of an event's attendees.
func attendeeConnection(_ context.Context, res relay.Result[circle.EventAttendee]) *model.EventAttendeeConnection {
	c := &model.EventAttendeeConnection{}
	c.Edges, c.Nodes, c.PageInfo, c.TotalCount = connection(res, model.EventAttendeeFrom,
		func(cursor string, n *model.EventAttendee) *model.EventAttendeeEdge {
			return &model.EventAttendeeEdge{Cursor: cursor, Node: n}
		})
	return c
}

// postSort maps PostSort to Circle's sort values; LATEST is Circle's default
// and is not sent (the space-posts endpoint does not list it).
func postSort(s *model.PostSort) string {
	if s == nil {
		return ""
	}
	switch *s {
	case model.PostSortPopular:
		return "popular"
	case model.PostSortOldest:
		return "oldest"
	case model.PostSortLikes:
		return "likes"
	case model.PostSortAlphabetical:
		return "alphabetical"
	case model.PostSortNewActivity:
		return "new_activity"
	default:
		return ""
	}
}

// commentSort maps CommentSort to Circle's sort values, always sent since
// Circle's default order is undocumented.
func commentSort(s *model.CommentSort) string {
	if s == nil {
		return "oldest"
	}
	switch *s {
	case model.CommentSortLatest:
		return "latest"
	case model.CommentSortLikes:
		return "likes"
	case model.CommentSortAlphabetical:
		return "alphabetical"
	case model.CommentSortLatestUpdated:
		return "latest_updated"
	case model.CommentSortOldestUpdated:
		return "oldest_updated"
	default:
		return "oldest"
	}
}
